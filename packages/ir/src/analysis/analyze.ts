import type { Ir, IrNode } from "../schema.js";
import { buildGraph, type Components, type Graph, stronglyConnectedComponents, topologicalOrder } from "./graph.js";

export interface NodeAnalysis {
  readonly id: string;
  /** Number of channels into / out of the node. */
  readonly fanIn: number;
  readonly fanOut: number;
  readonly inCycle: boolean;
  /**
   * Nominal upper bound on how often the node steps, in Hz: a rate clock's hz; for a trigger,
   * the sum of the rates of the nodes feeding its trigger ports (one message per step each);
   * a hybrid adds both. null when unbounded or unknown (free sources, cycles, or fed by such).
   */
  readonly effectiveRateHz: number | null;
  /** Index into `partitions`. */
  readonly partition: number;
}

export interface IrAnalysis {
  /** Every node once: topological order with declaration order breaking ties (see `topologicalOrder`). */
  readonly order: readonly string[];
  /** Nodes without incoming / outgoing channels, in declaration order. */
  readonly sources: readonly string[];
  readonly sinks: readonly string[];
  /** Strongly connected components that form cycles, each in declaration order. */
  readonly cycles: readonly (readonly string[])[];
  /** A partition of the nodes into maximal fusable linear chains (singletons included), in topological order. */
  readonly partitions: readonly (readonly string[])[];
  /** Per node, in declaration order. */
  readonly nodes: readonly NodeAnalysis[];
}

interface Prepared {
  readonly ir: Ir;
  readonly graph: Graph;
  readonly components: Components;
  readonly order: number[];
}

/** Graphs built while validating an IR, so that analyzing it right after does not build them again. */
const remembered = new WeakMap<Ir, { graph: Graph; components: Components }>();

/** Called by validation with the graph of an IR whose channels are all well-formed. */
export function rememberGraph(ir: Ir, graph: Graph, components: Components): void {
  remembered.set(ir, { graph, components });
}

function prepare(ir: Ir): Prepared {
  const known = remembered.get(ir);
  const graph = known?.graph ?? buildGraph(ir);
  const components = known?.components ?? stronglyConnectedComponents(graph);
  const order = topologicalOrder(graph, components);
  return { ir, graph, components, order };
}

export function analyze(ir: Ir): IrAnalysis {
  const p = prepare(ir);
  const { graph: g, components } = p;
  const n = ir.nodes.length;
  const ids = g.ids;
  const inCycle = (v: number) => components.cyclic[components.of[v] as number] === true;
  const rates = effectiveRates(p, inCycle);
  const chains = fusableChains(p, inCycle);
  const partitionOf = new Int32Array(n);
  chains.forEach((chain, k) => {
    for (const v of chain) partitionOf[v] = k;
  });
  const sources: string[] = [];
  const sinks: string[] = [];
  const nodes: NodeAnalysis[] = new Array(n);
  for (let v = 0; v < n; v++) {
    const fanIn = (g.inStart[v + 1] as number) - (g.inStart[v] as number);
    const fanOut = (g.outStart[v + 1] as number) - (g.outStart[v] as number);
    if (fanIn === 0) sources.push(ids[v] as string);
    if (fanOut === 0) sinks.push(ids[v] as string);
    nodes[v] = {
      id: ids[v] as string,
      fanIn,
      fanOut,
      inCycle: inCycle(v),
      effectiveRateHz: rates[v] ?? null,
      partition: partitionOf[v] as number,
    };
  }
  const cycles = components.members
    .filter((_, c) => components.cyclic[c])
    .sort((a, b) => (a[0] as number) - (b[0] as number))
    .map((members) => members.map((v) => ids[v] as string));
  return {
    order: p.order.map((v) => ids[v] as string),
    sources,
    sinks,
    cycles,
    partitions: chains.map((chain) => chain.map((v) => ids[v] as string)),
    nodes,
  };
}

function effectiveRates(p: Prepared, inCycle: (v: number) => boolean): (number | null)[] {
  const { ir, graph: g, order } = p;
  const rates: (number | null)[] = new Array(ir.nodes.length).fill(null);
  for (const v of order) {
    const node = ir.nodes[v] as IrNode;
    const clock = node.clock;
    if (clock.kind === "rate") {
      rates[v] = clock.hz;
      continue;
    }
    if (clock.kind === "free" || inCycle(v)) continue;
    const on = clock.on;
    let sum: number | null = clock.kind === "hybrid" ? clock.hz : 0;
    for (let e = g.inStart[v] as number; e < (g.inStart[v + 1] as number) && sum !== null; e++) {
      const channel = ir.channels[g.inChannel[e] as number];
      if (!channel || !on.includes(channel.to.port)) continue;
      const upstream = rates[g.inSource[e] as number];
      sum = upstream === null || upstream === undefined ? null : sum + upstream;
    }
    rates[v] = sum;
  }
  return rates;
}

const FUSABLE_ADAPTERS = new Set(["latest", "hold", "events"]);

/**
 * Whether `b` can run inside `a`'s executor, right after `a`, without changing what the flow
 * computes: `a` feeds only `b` and `b` is fed only by `a`; `b` steps only on arriving
 * messages (trigger clock) through adapters that do not depend on wall-clock time; both run
 * one copy, on the same machine, with the same failure policy, and neither is in a cycle.
 */
function fusable(p: Prepared, a: number, b: number, inCycle: (v: number) => boolean): boolean {
  const { ir, graph: g } = p;
  if (a === b || inCycle(a) || inCycle(b)) return false;
  const na = ir.nodes[a] as IrNode;
  const nb = ir.nodes[b] as IrNode;
  if (nb.clock.kind !== "trigger") return false;
  if (na.parallelism !== 1 || nb.parallelism !== 1) return false;
  if (na.placement !== nb.placement || na.onError !== nb.onError) return false;
  for (let e = g.outStart[a] as number; e < (g.outStart[a + 1] as number); e++) if (g.outTarget[e] !== b) return false;
  for (let e = g.inStart[b] as number; e < (g.inStart[b + 1] as number); e++) if (g.inSource[e] !== a) return false;
  if ((g.inStart[b + 1] as number) === (g.inStart[b] as number)) return false;
  for (const name in nb.inputs) if (!FUSABLE_ADAPTERS.has((nb.inputs[name] as IrNode["inputs"][string]).adapter.kind)) return false;
  return true;
}

function fusableChains(p: Prepared, inCycle: (v: number) => boolean): number[][] {
  const { graph: g, order } = p;
  const n = p.ir.nodes.length;
  const next = new Int32Array(n).fill(-1);
  const hasPrev = new Uint8Array(n);
  for (let a = 0; a < n; a++) {
    if ((g.outStart[a + 1] as number) === (g.outStart[a] as number)) continue;
    const b = g.outTarget[g.outStart[a] as number] as number;
    if (fusable(p, a, b, inCycle)) {
      next[a] = b;
      hasPrev[b] = 1;
    }
  }
  const chains: number[][] = [];
  for (const v of order) {
    if (hasPrev[v]) continue;
    const chain = [v];
    for (let w = next[v] as number; w !== -1; w = next[w] as number) chain.push(w);
    chains.push(chain);
  }
  return chains;
}
