// Pages: the view fragment (toolbar, legend, SVG, details panel, node data as JSON) and a whole
// self-contained HTML document around it. Nothing is loaded from anywhere: styles and script
// are inline and the Content-Security-Policy forbids every other source.
import { buildGraph, type Ir, type Json, stronglyConnectedComponents } from "@flowc/ir";
import { FLOWC_VERSION } from "../version.js";
import { GRAPH_CSS, GRAPH_SCRIPT, PAGE_CSS } from "./assets.js";
import { type FlowLayout, type LayoutOptionsInput, layoutFlow } from "./layout.js";
import { type GraphViewOptions, NODE_STATUSES, type NodeStatus, renderGraphSvg } from "./svg.js";
import { adapterLabel, clockDetail, escapeXml, jsonForScript, sourceLabel } from "./text.js";

/** The Content-Security-Policy of every page: inline styles and scripts, `data:` images, nothing else. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** What the details panel shows of a node (the JSON embedded in the view). */
export interface NodeData {
  readonly id: string;
  readonly type: string;
  readonly clock: string;
  readonly parallelism: number;
  readonly placement: string | null;
  readonly onError: string;
  readonly stateful: boolean;
  /** `module#export`. */
  readonly impl: string;
  /** `file:line`, or null. */
  readonly source: string | null;
  readonly params: Readonly<Record<string, Json>>;
  readonly inputs: readonly { readonly name: string; readonly adapter: string; readonly schema: Json }[];
  readonly outputs: readonly { readonly name: string; readonly schema: Json }[];
  readonly status?: NodeStatus;
  readonly details?: Readonly<Record<string, string | number>>;
}

export interface GraphData {
  readonly flow: string;
  readonly nodes: readonly NodeData[];
}

/** The node data of the details panel, with a run's status and extra rows when given. */
export function graphData(ir: Ir, options: GraphViewOptions = {}): GraphData {
  return {
    flow: ir.name,
    nodes: ir.nodes.map((node) => {
      const status = options.status?.get(node.id);
      const details = options.details?.get(node.id);
      return {
        id: node.id,
        type: node.type,
        clock: clockDetail(node.clock),
        parallelism: node.parallelism,
        placement: node.placement,
        onError: node.onError,
        stateful: node.stateful,
        impl: `${node.impl.module}#${node.impl.export}`,
        source: sourceLabel(node) ?? null,
        params: node.params,
        inputs: Object.entries(node.inputs).map(([name, port]) => ({ name, adapter: adapterLabel(port.adapter), schema: port.schema })),
        outputs: Object.entries(node.outputs).map(([name, port]) => ({ name, schema: port.schema })),
        ...(status && { status }),
        ...(details && { details: { ...details } }),
      };
    }),
  };
}

function legend(layout: FlowLayout, options: GraphViewOptions): string {
  const line = (cls: string) =>
    `<svg width="30" height="10" aria-hidden="true"><g class="${cls}"><path d="M1,5 L25,5"/></g><path class="${cls === "fg-edge" ? "fg-arrow" : "fg-arrow fg-arrow-cycle"}" d="M23,1 L30,5 L23,9 z"/></svg>`;
  const items = [
    `<span class="fg-legend-item">${line("fg-edge")}channel</span>`,
    `<span class="fg-legend-item">${line("fg-edge fg-cycle")}channel on a cycle</span>`,
  ];
  if (layout.groups.length > 0)
    items.push(`<span class="fg-legend-item"><span class="fg-swatch fg-group-swatch"></span>machine (placement)</span>`);
  if (options.status && options.status.size > 0) {
    const used = new Set(options.status.values());
    for (const status of NODE_STATUSES) {
      if (used.has(status))
        items.push(
          `<span class="fg-legend-item"><span class="fg-swatch fg-status-${status.toLowerCase()}"></span>${status.toLowerCase()}</span>`,
        );
    }
  }
  return `<span class="fg-legend">${items.join("")}</span>`;
}

/**
 * The interactive view of a flow as an HTML fragment: toolbar and legend, the SVG, the details
 * panel and the node data. Embed it in any page that also carries GRAPH_CSS and GRAPH_SCRIPT
 * (`htmlDocument` does); several views may share a page when their `idPrefix`es differ.
 */
export function renderGraphView(ir: Ir, layout: FlowLayout, options: GraphViewOptions = {}): string {
  return [
    `<section class="fg-view"${` aria-label="${escapeXml(`Flow ${ir.name}`)}"`}>`,
    `<div class="fg-toolbar" role="toolbar" aria-label="Graph view">`,
    `<button type="button" data-action="zoom-in" title="Zoom in (+)" aria-label="Zoom in">+</button>`,
    `<button type="button" data-action="zoom-out" title="Zoom out (-)" aria-label="Zoom out">−</button>`,
    `<button type="button" data-action="fit" title="Fit to view (0)">Fit</button>`,
    legend(layout, options),
    `<span class="fg-hint">drag to pan · wheel to zoom · click a node for details</span>`,
    "</div>",
    `<div class="fg-body">`,
    `<div class="fg-canvas">`,
    renderGraphSvg(ir, layout, options),
    "</div>",
    `<aside class="fg-details" hidden aria-label="Node details">`,
    `<button type="button" class="fg-close" data-action="close" aria-label="Close details">×</button>`,
    `<div class="fg-details-body"></div>`,
    "</aside>",
    "</div>",
    `<script type="application/json" class="fg-data">${jsonForScript(graphData(ir, options))}</script>`,
    "</section>",
  ].join("\n");
}

export interface HtmlDocumentParts {
  /** The page title (escaped here). */
  readonly title: string;
  /** Markup added to `<head>` as it is (the caller escapes what it puts there). */
  readonly head?: string;
  /** The page's body markup, as it is (build it with escapeHtml and renderGraphView). */
  readonly body: string;
  /** The page's styles; default PAGE_CSS + GRAPH_CSS. */
  readonly css?: string;
  /** The page's script; default GRAPH_SCRIPT. */
  readonly script?: string;
}

/** A whole HTML document: the CSP, the styles inline in `<head>`, the body, the script inline at its end. */
export function htmlDocument(parts: HtmlDocumentParts): string {
  const script = parts.script ?? GRAPH_SCRIPT;
  if (/<\/script/i.test(script)) throw new Error("an inline script must not contain '</script'");
  const css = (parts.css ?? PAGE_CSS + GRAPH_CSS).replace(/<\/style/gi, "<\\/style");
  return [
    "<!doctype html>",
    `<html lang="en">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">`,
    `<meta name="referrer" content="no-referrer">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="generator" content="flowc ${escapeXml(FLOWC_VERSION)}">`,
    `<title>${escapeXml(parts.title)}</title>`,
    `<style>${css}</style>`,
    parts.head ?? "",
    "</head>",
    "<body>",
    parts.body,
    `<script>${script}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

export interface FlowPageOptions extends GraphViewOptions, LayoutOptionsInput {
  /** Default: the flow's name. */
  readonly title?: string;
}

/** `flowc graph --format html`: the flow laid out, drawn and wrapped into one self-contained page. */
export async function renderFlowPage(ir: Ir, options: FlowPageOptions = {}): Promise<string> {
  const layout = await layoutFlow(ir, options);
  const cycles = stronglyConnectedComponents(buildGraph(ir)).cyclic.filter(Boolean).length;
  const facts = [
    `${ir.nodes.length} node${ir.nodes.length === 1 ? "" : "s"}`,
    `${ir.channels.length} channel${ir.channels.length === 1 ? "" : "s"}`,
    ...(cycles > 0 ? [`${cycles} cycle${cycles === 1 ? "" : "s"}`] : []),
    ...(layout.groups.length > 0 ? [`${layout.groups.length} machine${layout.groups.length === 1 ? "" : "s"}`] : []),
  ];
  const body = [
    `<div class="fg-page">`,
    `<header class="fg-page-header"><h1>Flow <code>${escapeXml(ir.name)}</code></h1><p>${escapeXml(facts.join(" · "))}</p></header>`,
    renderGraphView(ir, layout, options),
    "</div>",
  ].join("\n");
  return htmlDocument({ title: options.title ?? `${ir.name} — flowc graph`, body });
}
