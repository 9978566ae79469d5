// The flow model of the generative conformance test: what a random flow is (nodes of the
// kinds in kinds.ts, block channels between their ports), and what each kind is as far as the
// generator and the reference model need to know.

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** The value types on ports: numbers, the object payload, or anything (sinks). */
export type PortType = "num" | "obj" | "any";

/**
 * How a kind's outputs relate to its inputs, which decides what the comparison can expect of
 * them (see `Level` in model.ts):
 * - `map`: one output per input message, computed from that message alone;
 * - `filter`: zero or more outputs per input message, computed from that message alone;
 * - `scan`: one output per input message, computed from the messages so far (state);
 * - `merge`: like `map`, but every input port feeds the same output (an interleaving);
 * - `window`: one output per step (depends on how messages are batched: not guaranteed);
 * - `boom`, `loop`, `sink`, `source`: the kinds of their own name.
 */
export type KindClass = "source" | "map" | "filter" | "scan" | "merge" | "window" | "boom" | "loop" | "sink";

/** How a kind's input ports take messages: one per step (trigger + latest/hold), or all waiting. */
export type Read = "none" | "one" | "events" | "window";

export interface KindInfo {
  readonly cls: KindClass;
  readonly read: Read;
  readonly inputs: Readonly<Record<string, PortType>>;
  readonly outputs: Readonly<Record<string, PortType>>;
  readonly stateful: boolean;
}

const NUM_IN = { value: "num" } as const;
const NUM_OUT = { value: "num" } as const;
const EACH_IN = { values: "num" } as const;

/** Every kind of kinds.ts; the test checks this table against the compiled library. */
export const KINDS = {
  Count: { cls: "source", read: "none", inputs: {}, outputs: NUM_OUT, stateful: false },
  Bursts: { cls: "source", read: "none", inputs: {}, outputs: NUM_OUT, stateful: false },
  Twin: { cls: "source", read: "none", inputs: {}, outputs: { a: "num", b: "num" }, stateful: false },
  Objects: { cls: "source", read: "none", inputs: {}, outputs: { value: "obj" }, stateful: false },
  Affine: { cls: "map", read: "one", inputs: NUM_IN, outputs: NUM_OUT, stateful: false },
  Keep: { cls: "filter", read: "one", inputs: NUM_IN, outputs: NUM_OUT, stateful: false },
  Spread: { cls: "filter", read: "one", inputs: NUM_IN, outputs: NUM_OUT, stateful: false },
  Split: { cls: "filter", read: "one", inputs: NUM_IN, outputs: { even: "num", odd: "num" }, stateful: false },
  Running: { cls: "scan", read: "one", inputs: NUM_IN, outputs: NUM_OUT, stateful: true },
  Pack: { cls: "map", read: "one", inputs: NUM_IN, outputs: { value: "obj" }, stateful: false },
  Unpack: { cls: "map", read: "one", inputs: { value: "obj" }, outputs: NUM_OUT, stateful: false },
  Boom: { cls: "boom", read: "one", inputs: NUM_IN, outputs: NUM_OUT, stateful: true },
  Sink: { cls: "sink", read: "one", inputs: { value: "any" }, outputs: {}, stateful: false },
  Pair: { cls: "map", read: "one", inputs: { a: "num", b: "num" }, outputs: { x: "num", y: "num" }, stateful: false },
  Merge: { cls: "merge", read: "one", inputs: { a: "num", b: "num" }, outputs: NUM_OUT, stateful: false },
  AffineEach: { cls: "map", read: "events", inputs: EACH_IN, outputs: NUM_OUT, stateful: false },
  RunningEach: { cls: "scan", read: "events", inputs: EACH_IN, outputs: NUM_OUT, stateful: true },
  Collect: { cls: "sink", read: "events", inputs: { values: "any" }, outputs: {}, stateful: false },
  WindowSum: { cls: "window", read: "window", inputs: EACH_IN, outputs: NUM_OUT, stateful: false },
  Loop: { cls: "loop", read: "one", inputs: { a: "num", b: "num" }, outputs: { loop: "num", exit: "num" }, stateful: false },
  Hop: { cls: "map", read: "one", inputs: NUM_IN, outputs: NUM_OUT, stateful: false },
} as const satisfies Record<string, KindInfo>;

export type KindName = keyof typeof KINDS;

export function kindInfo(kind: KindName): KindInfo {
  return KINDS[kind];
}

export type AdapterSpec =
  | { readonly kind: "latest" }
  | { readonly kind: "hold" }
  | { readonly kind: "events" }
  | { readonly kind: "window"; readonly size: number };

export interface NodeSpec {
  /** Local id (the flow's own; a batch prefixes it). */
  readonly id: string;
  readonly kind: KindName;
  readonly params: Readonly<Record<string, Json>>;
  /** One adapter per input port. */
  readonly adapters: Readonly<Record<string, AdapterSpec>>;
  readonly parallelism: number;
  readonly onError: "stop" | "isolate";
}

export interface Endpoint {
  readonly node: string;
  readonly port: string;
}

/** A `block` channel (every channel of a random flow is lossless). */
export interface ChannelSpec {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly capacity: number;
}

export interface FlowSpec {
  readonly nodes: readonly NodeSpec[];
  readonly channels: readonly ChannelSpec[];
}

/** The channel id the compiler writes: `a.out->b.in`. */
export function channelId(c: { readonly from: Endpoint; readonly to: Endpoint }, prefix = ""): string {
  return `${prefix}${c.from.node}.${c.from.port}->${prefix}${c.to.node}.${c.to.port}`;
}

export function nodeById(flow: FlowSpec, id: string): NodeSpec {
  const n = flow.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`no node '${id}' in the flow`);
  return n;
}

export function inputsOf(flow: FlowSpec, id: string, port?: string): ChannelSpec[] {
  return flow.channels.filter((c) => c.to.node === id && (port === undefined || c.to.port === port));
}

export function outputsOf(flow: FlowSpec, id: string, port?: string): ChannelSpec[] {
  return flow.channels.filter((c) => c.from.node === id && (port === undefined || c.from.port === port));
}

/** Nodes reachable from `id` through channels (not `id` itself unless it is on a cycle). */
export function downstreamOf(flow: FlowSpec, id: string): Set<string> {
  const seen = new Set<string>();
  const stack = [id];
  while (stack.length > 0) {
    const at = stack.pop() as string;
    for (const c of outputsOf(flow, at)) {
      if (seen.has(c.to.node)) continue;
      seen.add(c.to.node);
      stack.push(c.to.node);
    }
  }
  return seen;
}

/** Whether the flow's channels form a cycle. */
export function hasCycle(flow: FlowSpec): boolean {
  return flow.nodes.some((n) => downstreamOf(flow, n.id).has(n.id));
}
