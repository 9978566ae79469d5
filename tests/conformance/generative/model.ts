// The reference model: what a random flow must deliver, computed without any engine. It runs
// each node's arithmetic (the functions of kinds.ts) over unbounded queues and says, for every
// channel, how much of what it carries is guaranteed (its `Level`), so the comparison checks
// exactly the guaranteed part and nothing that depends on timing.

import { channelId, type FlowSpec, inputsOf, KINDS, type KindClass, type NodeSpec, outputsOf } from "./flow.js";
import {
  affine,
  boomMessage,
  burstValue,
  countValue,
  hop,
  keeps,
  loopBack,
  loopEnter,
  mergeA,
  mergeB,
  mod,
  type Obj,
  pack,
  pairX,
  pairY,
  spread,
  twinRecord,
  unpack,
} from "./kinds.js";

/**
 * How much of a channel's content every engine must deliver identically:
 * - `exact`: the sequence of values (the record signature);
 * - `multiset`: the values, in an order that depends on timing (an interleaving upstream);
 * - `count`: how many messages, not their values (a stateful node after an interleaving);
 * - `none`: nothing beyond losslessness (a window's sums, or what follows from them).
 * Every level keeps seq 0, 1, 2, … in order: nothing is lost or duplicated on a block channel.
 */
export type Level = "exact" | "multiset" | "count" | "none";
const RANK: Record<Level, number> = { none: 0, count: 1, multiset: 2, exact: 3 };

export function minLevel(...levels: Level[]): Level {
  let out: Level = "exact";
  for (const l of levels) if (RANK[l] < RANK[out]) out = l;
  return out;
}

export function atLeast(level: Level, floor: Level): boolean {
  return RANK[level] >= RANK[floor];
}

/** What a kind of class `cls` makes of an input at `level`. */
function transfer(cls: KindClass, level: Level): Level {
  switch (cls) {
    case "map":
    case "merge":
      return level;
    case "filter":
    case "boom":
      return atLeast(level, "multiset") ? level : "none";
    case "scan":
      return level === "multiset" ? "count" : level;
    case "loop":
      return atLeast(level, "multiset") ? "multiset" : "none";
    case "window":
    case "source":
    case "sink":
      return "none";
  }
}

/** One stream: the values (trusted as far as `level` says) and their number (when level ≥ count). */
export interface Stream {
  readonly level: Level;
  readonly values: readonly unknown[];
}

export interface ModelFailure {
  readonly code: string | null;
  /** The exact message, when the model knows it (a thrown Error); engines must agree on it anyway. */
  readonly message: string | null;
}

export interface NodeModel {
  readonly status: "SUCCEEDED" | "FAILED";
  readonly failure: ModelFailure | null;
  /** Counts every engine must report; undefined where they depend on timing. */
  readonly steps: number | undefined;
  readonly messagesIn: number | undefined;
  readonly messagesOut: number | undefined;
}

export interface FlowModel {
  /** Per channel id (local ids): what its consumer takes. */
  readonly channels: ReadonlyMap<string, Stream>;
  /** What each channel's producer sends on it (more than is delivered into a failed node). */
  readonly sent: ReadonlyMap<string, Stream>;
  /** What each output port (`node.port`) sends, with or without channels. */
  readonly ports: ReadonlyMap<string, Stream>;
  readonly nodes: ReadonlyMap<string, NodeModel>;
  /** The onError "stop" node that fails, which stops the run. */
  readonly stopFailure: string | undefined;
  readonly cyclic: boolean;
}

interface Output {
  readonly port: string;
  readonly value: unknown;
}

interface Evaluated {
  /** Outputs per input port element, in order; per port a list of emitted values. */
  readonly outputs: Map<string, unknown[]>;
  readonly failure: ModelFailure | null;
  /** Messages the node took per input port (fewer than offered when it failed). */
  readonly taken: Map<string, number>;
  readonly steps: number | undefined;
  readonly emitted: number;
}

function num(v: unknown): number {
  return v as number;
}

/** Runs one node over its whole input (per port, merged in some interleaving). */
function evaluate(node: NodeSpec, inputs: Map<string, unknown[]>, connected: (port: string) => boolean): Evaluated {
  const p = node.params as any;
  const outputs = new Map<string, unknown[]>();
  for (const port of Object.keys(KINDS[node.kind].outputs)) outputs.set(port, []);
  const taken = new Map<string, number>();
  for (const [port, values] of inputs) taken.set(port, values.length);
  let emitted = 0;
  const emit = (o: Output) => {
    (outputs.get(o.port) as unknown[]).push(o.value);
    emitted++;
  };
  const each = (port: string, f: (v: unknown) => Output[]) => {
    for (const v of inputs.get(port) ?? []) for (const o of f(v)) emit(o);
  };
  const inCount = [...inputs.values()].reduce((a, b) => a + b.length, 0);
  switch (node.kind) {
    case "Count":
      for (let i = 0; i < p.count; i++) emit({ port: "value", value: countValue(p, i) });
      return { outputs, failure: null, taken, steps: p.count, emitted };
    case "Bursts":
      for (let s = 0; s < p.steps; s++) for (let j = 0; j < p.per; j++) emit({ port: "value", value: burstValue(p, s, j) });
      return { outputs, failure: null, taken, steps: p.steps, emitted };
    case "Twin":
      for (let i = 0; i < p.count; i++) {
        const r = twinRecord(i);
        if (r.a !== undefined) emit({ port: "a", value: r.a });
        if (r.b !== undefined) emit({ port: "b", value: r.b });
      }
      return { outputs, failure: null, taken, steps: p.count, emitted };
    case "Objects":
      for (let i = 0; i < p.count; i++) emit({ port: "value", value: pack(p.start + i) });
      return { outputs, failure: null, taken, steps: p.count, emitted };
    case "Affine":
    case "AffineEach":
      each(node.kind === "Affine" ? "value" : "values", (v) => [{ port: "value", value: affine(p, num(v)) }]);
      break;
    case "Keep":
      each("value", (v) => (keeps(p, num(v)) ? [{ port: "value", value: v }] : []));
      break;
    case "Spread":
      each("value", (v) => spread(p, num(v)).map((value) => ({ port: "value", value })));
      break;
    case "Split":
      each("value", (v) => [{ port: mod(num(v), 2) === 0 ? "even" : "odd", value: v }]);
      break;
    case "Running":
    case "RunningEach": {
      let sum = 0;
      each(node.kind === "Running" ? "value" : "values", (v) => {
        sum = mod(sum + num(v), p.mod);
        return [{ port: "value", value: sum }];
      });
      break;
    }
    case "Pack":
      each("value", (v) => [{ port: "value", value: pack(num(v)) }]);
      break;
    case "Unpack":
      each("value", (v) => [{ port: "value", value: unpack(v as Obj) }]);
      break;
    case "Hop":
      each("value", (v) => [{ port: "value", value: hop(num(v)) }]);
      break;
    case "Pair":
      each("a", (v) => [{ port: "x", value: pairX(num(v)) }]);
      each("b", (v) => [{ port: "y", value: pairY(num(v)) }]);
      return { outputs, failure: null, taken, steps: undefined, emitted };
    case "Merge":
      each("a", (v) => [{ port: "value", value: mergeA(num(v)) }]);
      each("b", (v) => [{ port: "value", value: mergeB(num(v)) }]);
      return { outputs, failure: null, taken, steps: undefined, emitted };
    case "Sink":
    case "Collect":
      break;
    case "WindowSum":
      // One sum per step: the values and their number depend on batching (level "none").
      return { outputs, failure: null, taken, steps: undefined, emitted: Number.NaN };
    case "Boom": {
      const values = inputs.get("value") ?? [];
      for (let n = 1; n <= values.length; n++) {
        const v = num(values[n - 1]);
        if (n !== p.at) {
          if (p.forward) emit({ port: "value", value: v });
          continue;
        }
        const message = boomMessage(n, v);
        let failure: ModelFailure | null = null;
        if (p.how === "throw" || p.how === "reject") failure = { code: null, message };
        else if (p.how === "badPort") failure = { code: "FLC3022", message: null };
        else if (connected("value")) {
          emitted++; // counted before the encoding fails
          failure = { code: "FLC3021", message: null };
        } else emitted++; // a port without channels never encodes: the emission only counts
        if (failure) {
          taken.set("value", n);
          return { outputs, failure, taken, steps: n - 1, emitted };
        }
      }
      break;
    }
    case "Loop":
      throw new Error("Loop is evaluated with its cycle");
  }
  const one = KINDS[node.kind].read === "one" && Object.keys(KINDS[node.kind].inputs).length === 1;
  return { outputs, failure: null, taken, steps: one ? inCount : undefined, emitted };
}

/** A topological order of the flow's nodes, cycles collapsed (a cycle's nodes in flow order). */
function order(flow: FlowSpec, cycle: ReadonlySet<string>): NodeSpec[] {
  const rep = (id: string) => (cycle.has(id) ? "<cycle>" : id);
  const indegree = new Map<string, number>();
  const members = new Map<string, NodeSpec[]>();
  for (const n of flow.nodes) {
    const r = rep(n.id);
    members.set(r, [...(members.get(r) ?? []), n]);
    indegree.set(r, 0);
  }
  const edges = new Set<string>();
  for (const c of flow.channels) {
    const a = rep(c.from.node);
    const b = rep(c.to.node);
    if (a === b || edges.has(`${a}\u0000${b}`)) continue;
    edges.add(`${a}\u0000${b}`);
    indegree.set(b, (indegree.get(b) ?? 0) + 1);
  }
  const ready = [...indegree].filter(([, d]) => d === 0).map(([r]) => r);
  const out: NodeSpec[] = [];
  while (ready.length > 0) {
    const r = ready.shift() as string;
    out.push(...(members.get(r) ?? []));
    for (const e of edges) {
      const [a, b] = e.split("\u0000") as [string, string];
      if (a !== r) continue;
      const d = (indegree.get(b) as number) - 1;
      indegree.set(b, d);
      if (d === 0) ready.push(b);
    }
  }
  if (out.length !== flow.nodes.length) throw new Error("the model supports one cycle per flow");
  return out;
}

/** The nodes on the flow's cycle (a Loop and the Hops that feed its `b` back), if any. */
export function cycleOf(flow: FlowSpec): Set<string> {
  const loop = flow.nodes.find((n) => n.kind === "Loop");
  if (!loop) return new Set();
  const members = new Set<string>([loop.id]);
  // Walk back from the Loop's `b` input along single-input Hops until the Loop's own output.
  let at = inputsOf(flow, loop.id, "b")[0]?.from.node;
  while (at !== undefined && at !== loop.id) {
    members.add(at);
    at = inputsOf(flow, at)[0]?.from.node;
  }
  return members;
}

/**
 * Evaluates the flow. Ports fed by several channels merge them in declaration order — one of
 * the interleavings an engine may take; the levels say what of the result is guaranteed.
 */
export function model(flow: FlowSpec): FlowModel {
  const cycle = cycleOf(flow);
  const channels = new Map<string, Stream>();
  const sent = new Map<string, Stream>();
  const ports = new Map<string, Stream>();
  const nodes = new Map<string, NodeModel>();
  let stopFailure: string | undefined;
  const portStream = (id: string, port: string): Stream => {
    const list = inputsOf(flow, id, port);
    const streams = list.map((c) => sent.get(channelId(c)) as Stream);
    const level = list.length > 1 ? minLevel("multiset", ...streams.map((s) => s.level)) : (streams[0]?.level ?? "exact");
    return { level, values: streams.flatMap((s) => s.values) };
  };
  const publish = (node: NodeSpec, port: string, level: Level, values: readonly unknown[]) => {
    ports.set(`${node.id}.${port}`, { level, values });
    for (const c of outputsOf(flow, node.id, port)) sent.set(channelId(c), { level, values });
  };
  const deliverAll = (node: NodeSpec, taken?: Map<string, number>) => {
    for (const c of inputsOf(flow, node.id)) {
      const s = sent.get(channelId(c)) as Stream;
      const n = taken?.get(c.to.port);
      channels.set(channelId(c), n === undefined ? s : { level: s.level, values: s.values.slice(0, n) });
    }
  };
  let cycleDone = false;
  for (const node of order(flow, cycle)) {
    if (cycle.has(node.id)) {
      if (!cycleDone) evaluateCycle(flow, cycle, sent, ports, nodes);
      cycleDone = true;
      continue;
    }
    const info = KINDS[node.kind];
    const inputs = new Map<string, unknown[]>();
    const levels: Level[] = [];
    for (const port of Object.keys(info.inputs)) {
      const s = portStream(node.id, port);
      inputs.set(port, [...s.values]);
      levels.push(s.level);
    }
    const inLevel = info.cls === "source" ? "exact" : minLevel(...levels);
    const r = evaluate(node, inputs, (port) => outputsOf(flow, node.id, port).length > 0);
    let outLevel: Level = info.cls === "source" ? "exact" : transfer(info.cls, inLevel);
    if (node.kind === "Pair") {
      publish(node, "x", transfer("map", portStream(node.id, "a").level), r.outputs.get("x") ?? []);
      publish(node, "y", transfer("map", portStream(node.id, "b").level), r.outputs.get("y") ?? []);
    } else {
      if (node.kind === "Merge") outLevel = minLevel(outLevel, "multiset");
      for (const [port, values] of r.outputs) publish(node, port, outLevel, values);
    }
    deliverAll(node, r.failure ? r.taken : undefined);
    const counted = atLeast(inLevel, "count");
    // Outputs whose number is known: every output port at level ≥ count (a failing Boom's too).
    const outCounted = node.kind === "Pair" ? counted : atLeast(outLevel, "count") || (info.cls === "boom" && counted);
    nodes.set(node.id, {
      status: r.failure ? "FAILED" : "SUCCEEDED",
      failure: r.failure,
      steps: counted ? r.steps : undefined,
      messagesIn: counted ? [...r.taken.values()].reduce((a, b) => a + b, 0) : undefined,
      messagesOut: outCounted && !Number.isNaN(r.emitted) ? r.emitted : undefined,
    });
    if (r.failure && node.onError === "stop" && stopFailure === undefined) stopFailure = node.id;
  }
  for (const id of cycle) {
    const node = flow.nodes.find((n) => n.id === id) as NodeSpec;
    deliverAll(node);
  }
  // A node failed under onError "isolate" discards what arrives after its failure: nothing
  // upstream of it ever waits on it (docs/semantics.md §8).
  return { channels, sent, ports, nodes, stopFailure, cyclic: cycle.size > 0 };
}

/**
 * A Loop and its Hops, on unbounded queues: each value entering at `a` goes round until its
 * rounds are used up, then leaves through `exit`. Everything on and after the cycle is an
 * interleaving of such journeys (level multiset at best).
 */
function evaluateCycle(
  flow: FlowSpec,
  cycle: ReadonlySet<string>,
  sent: Map<string, Stream>,
  ports: Map<string, Stream>,
  nodes: Map<string, NodeModel>,
): void {
  const loop = flow.nodes.find((n) => n.kind === "Loop") as NodeSpec;
  const rounds = loop.params.rounds as number;
  const entering = inputsOf(flow, loop.id, "a").map((c) => sent.get(channelId(c)) as Stream);
  const inLevel = transfer(
    "loop",
    entering.length > 1 ? minLevel("multiset", ...entering.map((s) => s.level)) : (entering[0]?.level ?? "exact"),
  );
  const hops: NodeSpec[] = [];
  for (let at = outputsOf(flow, loop.id, "loop")[0]?.to.node; at !== undefined && at !== loop.id; ) {
    hops.push(flow.nodes.find((n) => n.id === at) as NodeSpec);
    at = outputsOf(flow, at)[0]?.to.node;
  }
  const carried = new Map<string, unknown[]>(); // per output port, `node.port`
  const emitFrom = (node: string, port: string, v: unknown) => {
    const key = `${node}.${port}`;
    carried.set(key, [...(carried.get(key) ?? []), v]);
  };
  const counts = new Map<string, { in: number; out: number }>([...cycle].map((id) => [id, { in: 0, out: 0 }]));
  const count = (id: string, key: "in" | "out") => {
    const c = counts.get(id) as { in: number; out: number };
    c[key]++;
  };
  for (const v of entering.flatMap((s) => s.values)) {
    count(loop.id, "in");
    let x = loopEnter({ rounds }, v as number);
    count(loop.id, "out");
    emitFrom(loop.id, "loop", x);
    for (;;) {
      for (const h of hops) {
        count(h.id, "in");
        x = hop(x);
        count(h.id, "out");
        emitFrom(h.id, "value", x);
      }
      count(loop.id, "in");
      const [port, out] = loopBack(x);
      count(loop.id, "out");
      emitFrom(loop.id, port, out);
      if (port === "exit") break;
      x = out;
    }
  }
  for (const id of cycle) {
    const node = flow.nodes.find((n) => n.id === id) as NodeSpec;
    for (const port of Object.keys(KINDS[node.kind].outputs)) {
      const stream: Stream = { level: inLevel, values: carried.get(`${id}.${port}`) ?? [] };
      ports.set(`${id}.${port}`, stream);
      for (const c of outputsOf(flow, id, port)) sent.set(channelId(c), stream);
    }
    const known = atLeast(inLevel, "count");
    const c = counts.get(id) as { in: number; out: number };
    nodes.set(id, {
      status: "SUCCEEDED",
      failure: null,
      steps: known && id !== loop.id ? c.in : undefined,
      messagesIn: known ? c.in : undefined,
      messagesOut: known ? c.out : undefined,
    });
  }
}

/** Canonical text of a value, for comparing multisets. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
