// The SVG of a laid-out flow, as a string (Node, no DOM). Every text the flow supplies goes
// through escapeXml; every number is the layout's own. Classes and data-* attributes are the
// hooks GRAPH_CSS and GRAPH_SCRIPT use (and tests, and pages that embed the graph).
import type { Ir, IrNode } from "@flowc/ir";
import { type EdgeLayout, type FlowLayout, METRICS, type NodeLayout, nodeLines, type PortLayout, portLabel } from "./layout.js";
import { adapterLabel, clockDetail, escapeXml } from "./text.js";

/** How a run ended for a node (a run report colours the boxes with it). */
export type NodeStatus = "SUCCEEDED" | "FAILED" | "SKIPPED" | "STOPPED";
export const NODE_STATUSES: readonly NodeStatus[] = ["SUCCEEDED", "FAILED", "SKIPPED", "STOPPED"];

export interface GraphViewOptions {
  /** Colours node boxes by how a run ended for them (nodes not in the map keep the plain colours). */
  readonly status?: ReadonlyMap<string, NodeStatus>;
  /** Extra rows per node for the details panel (e.g. steps, messages, last error). */
  readonly details?: ReadonlyMap<string, Readonly<Record<string, string | number>>>;
  /**
   * Prefix of the SVG's element ids (arrow markers), so that several graphs fit in one page;
   * letters, digits, `-` and `_` (anything else becomes `_`). Default `fg`.
   */
  readonly idPrefix?: string;
  /** Adds the SVG namespace, for a `.svg` file on its own (an SVG inside HTML needs none). */
  readonly standalone?: boolean;
}

const SVG_NS = ["http", "://www.w3.org/2000/svg"].join("");

const num = (n: number) => `${Math.round(n * 10) / 10}`;
const attr = (name: string, value: string) => ` ${name}="${escapeXml(value)}"`;

export function safePrefix(prefix: string | undefined): string {
  return (prefix ?? "fg").replace(/[^A-Za-z0-9_-]/g, "_") || "fg";
}

/** The graph as an SVG element (no XML declaration): groups, edges, edge labels, then nodes on top. */
export function renderGraphSvg(ir: Ir, layout: FlowLayout, options: GraphViewOptions = {}): string {
  const prefix = safePrefix(options.idPrefix);
  const width = Math.max(1, Math.ceil(layout.width));
  const height = Math.max(1, Math.ceil(layout.height));
  const out: string[] = [];
  out.push(
    `<svg class="fg-svg"${options.standalone ? attr("xmlns", SVG_NS) : ""} viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" data-width="${width}" data-height="${height}" role="img"${attr("aria-label", `Flow ${ir.name}`)}>`,
  );
  out.push(`<title>${escapeXml(`Flow ${ir.name}: ${ir.nodes.length} nodes, ${ir.channels.length} channels`)}</title>`);
  out.push(
    "<defs>",
    marker(`${prefix}-arrow`, "fg-arrow"),
    marker(`${prefix}-arrow-cycle`, "fg-arrow fg-arrow-cycle"),
    "</defs>",
    `<g class="fg-viewport">`,
  );

  out.push(`<g class="fg-groups">`);
  for (const group of layout.groups) {
    out.push(
      `<g class="fg-group"${attr("data-placement", group.placement)}>`,
      `<title>${escapeXml(`machine ${group.placement}: ${group.nodes.join(", ")}`)}</title>`,
      `<rect x="${num(group.x)}" y="${num(group.y)}" width="${num(group.width)}" height="${num(group.height)}" rx="10"/>`,
      `<text class="fg-group-label" x="${num(group.x + METRICS.groupPad)}" y="${num(group.y + 19)}">machine ${escapeXml(group.placement)}</text>`,
      "</g>",
    );
  }
  out.push("</g>");

  out.push(`<g class="fg-edges">`);
  for (const edge of layout.edges) out.push(renderEdge(ir, edge, prefix));
  out.push("</g>");

  out.push(`<g class="fg-edge-labels">`);
  for (const edge of layout.edges) {
    if (!edge.label) continue;
    const { x, y, width, lines } = edge.label;
    const cls = edge.inCycle ? "fg-edge-label fg-cycle" : "fg-edge-label";
    const cx = num(x + width / 2);
    const step = METRICS.edgeFont + 2;
    out.push(
      `<text class="${cls}" text-anchor="middle"><tspan x="${cx}" y="${num(y + step - 1)}">${escapeXml(lines[0])}</tspan><tspan x="${cx}" y="${num(y + 2 * step - 1)}">${escapeXml(lines[1])}</tspan></text>`,
    );
  }
  out.push("</g>");

  out.push(`<g class="fg-nodes">`);
  const byId = new Map<string, IrNode>();
  for (const node of ir.nodes) if (!byId.has(node.id)) byId.set(node.id, node);
  for (const box of layout.nodes) {
    const node = byId.get(box.id);
    if (node) out.push(renderNode(node, box, options.status?.get(node.id)));
  }
  out.push("</g>", "</g>", "</svg>");
  return out.join("\n");
}

function marker(id: string, cls: string): string {
  return `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" markerUnits="userSpaceOnUse" orient="auto"><path class="${cls}" d="M0,0 L10,5 L0,10 z"/></marker>`;
}

function renderEdge(ir: Ir, edge: EdgeLayout, prefix: string): string {
  const channel = ir.channels[edge.channel];
  if (!channel || edge.points.length < 2) return "";
  const d = edge.points.map((p, i) => `${i === 0 ? "M" : "L"}${num(p.x)},${num(p.y)}`).join(" ");
  const cls = edge.inCycle ? "fg-edge fg-cycle" : "fg-edge";
  const arrow = edge.inCycle ? `${prefix}-arrow-cycle` : `${prefix}-arrow`;
  const title = `${channel.from.node}.${channel.from.port} → ${channel.to.node}.${channel.to.port} (capacity ${channel.capacity}, onFull ${channel.onFull})${edge.inCycle ? ", on a cycle" : ""}`;
  return [
    `<g class="${cls}"${attr("data-channel", channel.id)}${attr("data-from", channel.from.node)}${attr("data-to", channel.to.node)}>`,
    `<title>${escapeXml(title)}</title>`,
    `<path d="${d}" marker-end="url(#${arrow})"/>`,
    "</g>",
  ].join("");
}

function renderNode(node: IrNode, box: NodeLayout, status: NodeStatus | undefined): string {
  const m = METRICS;
  const lines = nodeLines(node);
  const classes = ["fg-node", ...(status ? [`fg-status-${status.toLowerCase()}`] : [])].join(" ");
  const title = `${node.id}: ${node.type}, ${clockDetail(node.clock)}${node.parallelism > 1 ? `, ${node.parallelism} copies` : ""}${node.placement ? `, on ${node.placement}` : ""}${status ? ` — ${status}` : ""}`;
  const out: string[] = [
    `<g class="${classes}"${attr("data-node", node.id)}${status ? attr("data-status", status) : ""} transform="translate(${num(box.x)} ${num(box.y)})" tabindex="0" role="button"${attr("aria-label", `node ${node.id}`)}>`,
    `<title>${escapeXml(title)}</title>`,
    `<rect class="fg-box" width="${num(box.width)}" height="${num(box.height)}" rx="6"/>`,
    `<path class="fg-band" d="M0,6 a6,6 0 0 1 6,-6 h${num(box.width - 12)} a6,6 0 0 1 6,6 v18 h${num(-box.width)} z"/>`,
    `<text class="fg-id" x="${m.padX}" y="${m.lines[0]}">${escapeXml(lines.id)}</text>`,
  ];
  if (lines.parallel) {
    out.push(
      `<text class="fg-parallel" x="${num(box.width - m.padX)}" y="${m.lines[0]}" text-anchor="end">${escapeXml(lines.parallel)}</text>`,
    );
  }
  out.push(
    `<text class="fg-type" x="${m.padX}" y="${m.lines[1]}">${escapeXml(lines.type)}</text>`,
    `<text class="fg-clock" x="${m.padX}" y="${m.lines[2]}">${escapeXml(lines.clock)}</text>`,
  );
  for (const port of box.inputs) {
    const adapter = node.inputs[port.name]?.adapter;
    out.push(renderPort(port, box, adapter ? `input ${port.name} (${adapterLabel(adapter)})` : `input ${port.name}`));
  }
  for (const port of box.outputs) out.push(renderPort(port, box, `output ${port.name}`));
  out.push("</g>");
  return out.join("");
}

function renderPort(port: PortLayout, box: NodeLayout, title: string): string {
  const m = METRICS;
  const cy = port.y - box.y + port.height / 2;
  const input = port.direction === "input";
  // The square sits across the border; the name inside the box, next to it.
  const sx = input ? -m.portWidth / 2 : box.width - m.portWidth / 2;
  const tx = input ? m.portWidth / 2 + 4 : box.width - m.portWidth / 2 - 4;
  return [
    `<g class="fg-port fg-port-${input ? "in" : "out"}"${attr("data-port", port.name)}>`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="${num(sx)}" y="${num(cy - m.portWidth / 2)}" width="${m.portWidth}" height="${m.portWidth}" rx="1.5"/>`,
    `<text x="${num(tx)}" y="${num(cy + 4)}"${input ? "" : ` text-anchor="end"`}>${escapeXml(portLabel(port.name))}</text>`,
    "</g>",
  ].join("");
}
