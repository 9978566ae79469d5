// Layout of a flow with elkjs' layered algorithm (Sugiyama style, left to right): inputs on the
// west side of a node, outputs on the east, orthogonal edges, nodes grouped by placement.
// Computed in Node; the result is plain data (absolute coordinates) that the SVG renderer reads.
import { buildGraph, type Ir, type IrNode, stronglyConnectedComponents } from "@flowc/ir";
import type { ElkExtendedEdge, ElkNode, ElkPort, LayoutOptions } from "elkjs/lib/elk-api.js";
import { clip, clockLabel, textWidth } from "./text.js";

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface PortLayout extends Box {
  readonly name: string;
  readonly direction: "input" | "output";
}

export interface NodeLayout extends Box {
  readonly id: string;
  /** In the order of the node's declaration (`inputs` / `outputs` records). */
  readonly inputs: readonly PortLayout[];
  readonly outputs: readonly PortLayout[];
}

export interface GroupLayout extends Box {
  /** The machine name of the nodes inside (their `placement`). */
  readonly placement: string;
  readonly nodes: readonly string[];
}

export interface EdgeLayout {
  /** Index of the channel in `ir.channels`. */
  readonly channel: number;
  /** The route, from the output port to the input port. */
  readonly points: readonly Point[];
  /** Two lines: the ports (`value → value`), then capacity and policy (`cap 10 · block`). */
  readonly label: (Box & { readonly lines: readonly [string, string] }) | null;
  /** Whether the channel lies on a cycle (its two nodes are in one strongly connected component). */
  readonly inCycle: boolean;
}

/** Where everything of a flow is drawn; plain JSON-able data with absolute coordinates. */
export interface FlowLayout {
  readonly width: number;
  readonly height: number;
  /** One per node, in `ir.nodes` order (a repeated id keeps its first node only). */
  readonly nodes: readonly NodeLayout[];
  /** Placement groups, in order of their first node; empty when no node has a placement. */
  readonly groups: readonly GroupLayout[];
  /** One per channel whose two ends exist, in `ir.channels` order. */
  readonly edges: readonly EdgeLayout[];
}

export interface LayoutOptionsInput {
  /** ELK options set on the root graph, over the defaults (`DEFAULT_ELK_OPTIONS`). */
  readonly elk?: Readonly<Record<string, string>>;
}

/** Sizes of the node boxes, shared by the layout and the renderer. */
export const METRICS = {
  font: 12,
  idFont: 13,
  portFont: 11,
  edgeFont: 10,
  padX: 10,
  /** Baselines of the id, type and clock lines. */
  lines: [18, 34, 50] as const,
  header: 60,
  portRow: 18,
  /** A port is a 8 × 14 box on the border (the square drawn is 8 × 8): 14 + 4 spacing = one row. */
  portWidth: 8,
  portHeight: 14,
  minWidth: 150,
  /** Longest text (in characters) a box line shows; the panel shows the rest. */
  maxChars: 48,
  groupPadTop: 30,
  groupPad: 14,
} as const;

/**
 * ELK's layered defaults but for thoroughness 3 (ELK: 7) and model order (nodes keep their
 * declaration order where the layering leaves a choice, so small edits move little). Measured
 * (`pnpm bench:graph`, bench/results/graph.md): a 1,000-node flow in about 1.3 s on 2 cores,
 * and a third faster than ELK's own settings when long edges make it hard.
 */
export const DEFAULT_ELK_OPTIONS: Readonly<Record<string, string>> = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.layered.spacing.nodeNodeBetweenLayers": "32",
  "elk.layered.spacing.edgeNodeBetweenLayers": "16",
  "elk.spacing.nodeNode": "28",
  "elk.spacing.edgeNode": "16",
  "elk.spacing.edgeEdge": "10",
  "elk.spacing.edgeLabel": "4",
  "elk.edgeLabels.placement": "CENTER",
  "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
  "elk.layered.thoroughness": "3",
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
  "elk.padding": "[top=16,left=16,bottom=16,right=16]",
};

/** Options that make ELK write absolute coordinates and are not a matter of taste. */
const FIXED_ELK_OPTIONS: LayoutOptions = {
  "elk.json.shapeCoords": "ROOT",
  "elk.json.edgeCoords": "ROOT",
};

/** The lines a node box shows: id (with `×N`), type, clock. */
export function nodeLines(node: IrNode): { id: string; parallel: string; type: string; clock: string } {
  return {
    id: clip(node.id, METRICS.maxChars),
    parallel: node.parallelism > 1 ? `×${node.parallelism}` : "",
    type: clip(node.type, METRICS.maxChars),
    clock: clip(clockLabel(node.clock), METRICS.maxChars),
  };
}

export function portLabel(name: string): string {
  return clip(name, 24);
}

export function edgeLabelLines(ir: Ir, channel: number): [string, string] {
  const c = ir.channels[channel];
  return c ? [clip(`${c.from.port} → ${c.to.port}`, 40), `cap ${c.capacity} · ${c.onFull}`] : ["", ""];
}

/** Size of an edge label (two lines). */
export function edgeLabelSize(lines: readonly [string, string]): { width: number; height: number } {
  const m = METRICS;
  return { width: Math.max(textWidth(lines[0], m.edgeFont), textWidth(lines[1], m.edgeFont)) + 6, height: 2 * (m.edgeFont + 2) + 2 };
}

/** The size of a node's box: its lines, and a row per port on its busier side. */
export function nodeSize(node: IrNode): { width: number; height: number } {
  const m = METRICS;
  const lines = nodeLines(node);
  const idWidth = textWidth(lines.id, m.idFont) + (lines.parallel ? textWidth(` ${lines.parallel}`, m.font) + 8 : 0);
  const widest = (names: string[]) => Math.max(0, ...names.map((n) => textWidth(portLabel(n), m.portFont)));
  const ins = Object.keys(node.inputs);
  const outs = Object.keys(node.outputs);
  const ports = widest(ins) + widest(outs) + 28;
  const width = Math.max(
    m.minWidth,
    idWidth + 2 * m.padX,
    textWidth(lines.type, m.font) + 2 * m.padX,
    textWidth(lines.clock, m.font) + 2 * m.padX,
    ports,
  );
  const rows = Math.max(1, ins.length, outs.length);
  return { width, height: m.header + rows * m.portRow + 2 };
}

/** Indices of the channels that lie on a cycle, from the IR's strongly connected components. */
export function cycleChannels(ir: Ir): ReadonlySet<number> {
  const graph = buildGraph(ir);
  const components = stronglyConnectedComponents(graph);
  const out = new Set<number>();
  ir.channels.forEach((channel, k) => {
    const a = graph.index.get(channel.from.node);
    const b = graph.index.get(channel.to.node);
    if (a === undefined || b === undefined) return;
    const ca = components.of[a] as number;
    if (ca === components.of[b] && components.cyclic[ca]) out.add(k);
  });
  return out;
}

/** elkjs could not lay out the flow (its message, shortened). */
export class LayoutError extends Error {
  override readonly name = "LayoutError";
}

interface Elk {
  layout(graph: ElkNode, args?: { layoutOptions?: LayoutOptions }): Promise<ElkNode>;
}

let elkInstance: Promise<Elk> | undefined;

/** elkjs' bundled build (no worker thread), loaded on first use: 1.6 MB that only `graph --format html` needs. */
function elk(): Promise<Elk> {
  elkInstance ??= import("elkjs/lib/elk.bundled.js").then((module) => {
    const exported = module as unknown as { default: (new () => Elk) | { default: new () => Elk } };
    const Elk = typeof exported.default === "function" ? exported.default : exported.default.default;
    return new Elk();
  });
  return elkInstance;
}

/** ELK ids are made of indices, never of the flow's own names, so no name can clash with another. */
const nodeKey = (i: number) => `n${i}`;
const portKey = (i: number, direction: "i" | "o", k: number) => `n${i}${direction}${k}`;

/** Lays out a flow: node boxes, ports on their sides, placement groups, routed and labelled edges. */
export async function layoutFlow(ir: Ir, options: LayoutOptionsInput = {}): Promise<FlowLayout> {
  const m = METRICS;
  // A repeated id (an IR that failed validation) keeps its first node, as the analysis does.
  const first = new Map<string, number>();
  ir.nodes.forEach((node, i) => {
    if (!first.has(node.id)) first.set(node.id, i);
  });
  const kept = [...first.values()];
  const portIndex = new Map<string, string>(); // `${node index}\0${i|o}\0${port}` → ELK port id
  const elkNodes = new Map<number, ElkNode>();
  for (const i of kept) {
    const node = ir.nodes[i] as IrNode;
    const size = nodeSize(node);
    const ports: ElkPort[] = [];
    Object.keys(node.inputs).forEach((name, k) => {
      const id = portKey(i, "i", k);
      portIndex.set(`${i}\0i\0${name}`, id);
      ports.push({
        id,
        width: m.portWidth,
        height: m.portHeight,
        layoutOptions: { "elk.port.side": "WEST", "elk.port.borderOffset": `${-m.portWidth / 2}` },
      });
    });
    Object.keys(node.outputs).forEach((name, k) => {
      const id = portKey(i, "o", k);
      portIndex.set(`${i}\0o\0${name}`, id);
      ports.push({
        id,
        width: m.portWidth,
        height: m.portHeight,
        layoutOptions: { "elk.port.side": "EAST", "elk.port.borderOffset": `${-m.portWidth / 2}` },
      });
    });
    elkNodes.set(i, {
      id: nodeKey(i),
      ...size,
      ports,
      layoutOptions: {
        "elk.portConstraints": "FIXED_SIDE",
        // Ports packed at the bottom of their side, one row each: below the id, type and clock lines.
        "elk.portAlignment.default": "END",
        "elk.spacing.portPort": `${m.portRow - m.portHeight}`,
      },
    });
  }

  // Placement groups: compound nodes, when any node has a placement.
  const groups = new Map<string, number[]>();
  for (const i of kept) {
    const placement = (ir.nodes[i] as IrNode).placement;
    if (placement === null) continue;
    const members = groups.get(placement) ?? [];
    members.push(i);
    groups.set(placement, members);
  }
  const groupKeys = [...groups.keys()];
  const children: ElkNode[] = [];
  const grouped = new Set<number>();
  groupKeys.forEach((placement, g) => {
    const members = groups.get(placement) as number[];
    for (const i of members) grouped.add(i);
    children.push({
      id: `g${g}`,
      children: members.map((i) => elkNodes.get(i) as ElkNode),
      layoutOptions: {
        "elk.padding": `[top=${m.groupPadTop},left=${m.groupPad},bottom=${m.groupPad},right=${m.groupPad}]`,
        "elk.nodeSize.constraints": "MINIMUM_SIZE",
        "elk.nodeSize.minimum": `(${textWidth(`machine ${placement}`, m.font) + 2 * m.groupPad}, 40)`,
      },
    });
  });
  for (const i of kept) if (!grouped.has(i)) children.push(elkNodes.get(i) as ElkNode);

  const inCycle = cycleChannels(ir);
  const edges: ElkExtendedEdge[] = [];
  ir.channels.forEach((channel, c) => {
    const a = first.get(channel.from.node);
    const b = first.get(channel.to.node);
    if (a === undefined || b === undefined) return;
    const source = portIndex.get(`${a}\0o\0${channel.from.port}`);
    const target = portIndex.get(`${b}\0i\0${channel.to.port}`);
    if (source === undefined || target === undefined) return;
    const lines = edgeLabelLines(ir, c);
    edges.push({
      id: `e${c}`,
      sources: [source],
      targets: [target],
      labels: [{ id: `e${c}l`, text: lines.join("\n"), ...edgeLabelSize(lines) }],
    });
  });

  const root: ElkNode = {
    id: "root",
    layoutOptions: {
      ...DEFAULT_ELK_OPTIONS,
      ...(groupKeys.length > 0 && { "elk.hierarchyHandling": "INCLUDE_CHILDREN" }),
      ...options.elk,
      ...FIXED_ELK_OPTIONS,
    },
    children,
    edges,
  };
  let laid: ElkNode;
  try {
    laid = await (await elk()).layout(root);
  } catch (error) {
    // elkjs' errors are Java exceptions compiled to JavaScript: keep their first line, short.
    const message = String((error as Error)?.message ?? error).split("\n")[0] ?? "";
    throw new LayoutError(clip(message.replace(/^[\w.]+Exception: /, ""), 300));
  }
  return readLayout(ir, laid, { kept, groupKeys, groups, inCycle });
}

function readLayout(
  ir: Ir,
  laid: ElkNode,
  context: {
    kept: number[];
    groupKeys: string[];
    groups: Map<string, number[]>;
    inCycle: ReadonlySet<number>;
  },
): FlowLayout {
  const shapes = new Map<string, ElkNode>();
  const visit = (node: ElkNode) => {
    shapes.set(node.id, node);
    for (const child of node.children ?? []) visit(child);
  };
  visit(laid);
  const box = (shape: { x?: number; y?: number; width?: number; height?: number }): Box => ({
    x: shape.x ?? 0,
    y: shape.y ?? 0,
    width: shape.width ?? 0,
    height: shape.height ?? 0,
  });
  const nodes: NodeLayout[] = context.kept.map((i) => {
    const node = ir.nodes[i] as IrNode;
    const shape = shapes.get(nodeKey(i)) as ElkNode;
    const ports = new Map((shape.ports ?? []).map((p) => [p.id, p]));
    const side = (direction: "i" | "o", names: string[]): PortLayout[] =>
      names.map((name, k) => ({
        name,
        direction: direction === "i" ? "input" : "output",
        ...box(ports.get(portKey(i, direction, k)) ?? {}),
      }));
    return {
      id: node.id,
      ...box(shape),
      inputs: side("i", Object.keys(node.inputs)),
      outputs: side("o", Object.keys(node.outputs)),
    };
  });
  const groups: GroupLayout[] = context.groupKeys.map((placement, g) => ({
    placement,
    nodes: (context.groups.get(placement) as number[]).map((i) => (ir.nodes[i] as IrNode).id),
    ...box(shapes.get(`g${g}`) ?? {}),
  }));
  const edges: EdgeLayout[] = (laid.edges ?? []).map((edge) => {
    const channel = Number(edge.id.slice(1));
    const points: Point[] = [];
    for (const section of (edge as ElkExtendedEdge).sections ?? []) {
      points.push(section.startPoint, ...(section.bendPoints ?? []), section.endPoint);
    }
    const label = edge.labels?.[0];
    return {
      channel,
      points: points.map((p) => ({ x: p.x, y: p.y })),
      label: label ? { ...box(label), lines: edgeLabelLines(ir, channel) } : null,
      inCycle: context.inCycle.has(channel),
    };
  });
  return { width: laid.width ?? 0, height: laid.height ?? 0, nodes, groups, edges };
}
