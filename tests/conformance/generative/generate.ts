// Random flows. fast-check generates a *genome* — plain records of small integers — and
// `decode` turns any genome into a valid flow. Shrinking a genome (fewer nodes, smaller
// numbers) therefore always yields a valid, smaller flow, and every number shrinks towards
// the simplest choice: the first kind of a list, the most recent unconsumed output, one
// channel per port, parallelism 1.
import fc from "fast-check";
import {
  type AdapterSpec,
  type ChannelSpec,
  channelId,
  type FlowSpec,
  type Json,
  KINDS,
  type KindName,
  kindInfo,
  type NodeSpec,
  type PortType,
} from "./flow.js";
import { atLeast, type FlowModel, type Level, model } from "./model.js";

export interface NodeGene {
  readonly kind: number;
  /** Kind parameters. */
  readonly p: readonly [number, number, number, number];
  /** Wiring: one number per channel into the node (which output, how many per port). */
  readonly wires: readonly number[];
  /** Channel capacities, one per channel into the node. */
  readonly caps: readonly number[];
  /** Adapter choice and parallelism. */
  readonly x: number;
}

export interface BoomGene {
  /** Which exact channel (or unconsumed output) the Boom is spliced into. */
  readonly where: number;
  readonly at: number;
  readonly how: number;
  readonly forward: boolean;
  readonly cap: number;
}

export interface CycleGene {
  /** Which output feeds the Loop from outside. */
  readonly where: number;
  readonly rounds: number;
  /** Hops on the loop (1–3). */
  readonly hops: number;
  readonly caps: readonly number[];
  /** Whether the Loop's exit goes to a Sink (else it has no channel). */
  readonly sink: boolean;
}

export interface Genome {
  /** How many of `nodes` the flow uses: most flows are small, some use all of them. */
  readonly size: number;
  readonly nodes: readonly NodeGene[];
  readonly booms: readonly BoomGene[];
  readonly cycle: CycleGene | null;
}

/** What a property generates. */
export type Family = "dag" | "isolate" | "stop" | "cycle";

const nat = (max: number) => fc.nat({ max });

const nodeGene: fc.Arbitrary<NodeGene> = fc.record({
  kind: nat(999),
  p: fc.tuple(nat(999), nat(999), nat(999), nat(999)),
  wires: fc.array(nat(999), { minLength: 4, maxLength: 4 }),
  caps: fc.array(nat(999), { minLength: 4, maxLength: 4 }),
  x: nat(999),
});

const boomGene: fc.Arbitrary<BoomGene> = fc.record({
  where: nat(999),
  at: nat(999),
  how: nat(999),
  forward: fc.boolean(),
  cap: nat(999),
});

const cycleGene: fc.Arbitrary<CycleGene> = fc.record({
  where: nat(999),
  rounds: nat(999),
  hops: nat(999),
  caps: fc.array(nat(999), { minLength: 5, maxLength: 5 }),
  sink: fc.boolean(),
});

/**
 * The genome of a family's flows. Flows have 2–12 nodes in all: the DAG part is 2–12 nodes for
 * `dag`, up to 8 with Booms (each may bring a source of its own), up to 6 with a cycle (a Loop,
 * 1–3 Hops, an exit Sink, maybe a source of its own).
 */
export function genomeArbitrary(family: Family): fc.Arbitrary<Genome> {
  switch (family) {
    case "dag":
      return fc.record({
        size: nat(999),
        nodes: fc.array(nodeGene, { minLength: 2, maxLength: 12 }),
        booms: fc.constant([]),
        cycle: fc.constant(null),
      });
    case "isolate":
    case "stop":
      return fc.record({
        size: nat(999),
        nodes: fc.array(nodeGene, { minLength: 1, maxLength: 8 }),
        booms: fc.array(boomGene, { minLength: 1, maxLength: 2 }),
        cycle: fc.constant(null),
      });
    case "cycle":
      return fc.record({
        size: nat(999),
        nodes: fc.array(nodeGene, { minLength: 1, maxLength: 6 }),
        booms: fc.constant([]),
        cycle: cycleGene,
      });
  }
}

/** 0, -1, 1, -2, 2, …: shrinks towards 0. */
function zigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

const SOURCES: readonly KindName[] = ["Count", "Bursts", "Twin", "Objects"];
/** The kinds of DAG nodes, weighted by repetition; simple ones first (shrinking goes there). */
const POOL: readonly KindName[] = [
  "Affine",
  "Sink",
  "Keep",
  "Spread",
  "Split",
  "Running",
  "Pair",
  "Merge",
  "AffineEach",
  "RunningEach",
  "Collect",
  "Affine",
  "Pack",
  "Unpack",
  "Count",
  "Twin",
  "WindowSum",
  "Sink",
];

function params(kind: KindName, p: readonly [number, number, number, number]): Record<string, Json> {
  const [a, b, c, d] = p;
  switch (kind) {
    case "Count":
      return { count: a % 41, start: zigzag(b % 101), stride: 1 + zigzag(c % 11) };
    case "Bursts":
      return { steps: a % 9, per: 1 + (b % 12), base: zigzag(c % 201) };
    case "Twin":
      return { count: a % 41 };
    case "Objects":
      return { count: a % 31, start: zigzag(b % 101) };
    case "Affine":
      return { mul: 1 + zigzag(a % 9), add: zigzag(b % 41), mod: [1000, 97, 10, 7][c % 4] as number, async: d % 3 === 2 };
    case "AffineEach":
      return { mul: 1 + zigzag(a % 9), add: zigzag(b % 41), mod: [1000, 97, 10, 7][c % 4] as number };
    case "Keep": {
      const m = 1 + (a % 4);
      return { mod: m, rem: b % m };
    }
    case "Spread":
      return { copies: 1 + (a % 3) };
    case "Running":
    case "RunningEach":
      return { mod: [1000, 97, 13][a % 3] as number };
    default:
      return {};
  }
}

function adapters(kind: KindName, x: number, p0: number): Record<string, AdapterSpec> {
  const info = kindInfo(kind);
  const out: Record<string, AdapterSpec> = {};
  for (const port of Object.keys(info.inputs)) {
    if (info.read === "events") out[port] = { kind: "events" };
    else if (info.read === "window") out[port] = { kind: "window", size: 1 + (p0 % 4) };
    else out[port] = x % 3 === 2 ? { kind: "hold" } : { kind: "latest" };
  }
  return out;
}

interface Producer {
  readonly node: string;
  readonly port: string;
  readonly type: PortType;
}

function accepts(input: PortType, output: PortType): boolean {
  return input === "any" || input === output;
}

function capacity(gene: number): number {
  return 1 + (gene % 16);
}

/** Builds the DAG part: node i is fed only by nodes before it. */
function decodeDag(genes: readonly NodeGene[], prefix: string): { nodes: NodeSpec[]; channels: ChannelSpec[] } {
  const nodes: NodeSpec[] = [];
  const channels: ChannelSpec[] = [];
  const producers: Producer[] = [];
  const consumed = new Set<string>();
  genes.forEach((g, i) => {
    const id = `${prefix}${i}`;
    let kind: KindName = i === 0 ? (SOURCES[g.kind % SOURCES.length] as KindName) : (POOL[g.kind % POOL.length] as KindName);
    const wanted = Object.values(kindInfo(kind).inputs);
    if (!wanted.every((t) => producers.some((o) => accepts(t, o.type)))) kind = "Count";
    const info = kindInfo(kind);
    let w = 0;
    for (const [port, type] of Object.entries(info.inputs)) {
      const gene = g.wires[w] ?? 0;
      // Mostly one channel per port; fan-in of two or three now and then.
      const fan = gene % 8 === 7 ? 3 : gene % 8 >= 5 ? 2 : 1;
      const candidates = producers
        .filter((o) => accepts(type, o.type))
        .reverse()
        .sort((x, y) => Number(consumed.has(`${x.node}.${x.port}`)) - Number(consumed.has(`${y.node}.${y.port}`)));
      for (let f = 0; f < fan && f < candidates.length; f++) {
        const pick = f === 0 ? (gene % 4 === 3 ? (gene >> 2) % candidates.length : 0) : ((gene >> 3) + f) % candidates.length;
        const from = candidates[pick] as Producer;
        const channel: ChannelSpec = {
          from: { node: from.node, port: from.port },
          to: { node: id, port },
          capacity: capacity(g.caps[w] ?? 0),
        };
        w++;
        if (channels.some((c) => channelId(c) === channelId(channel))) continue;
        channels.push(channel);
        consumed.add(`${from.node}.${from.port}`);
      }
    }
    const stateless = !info.stateful && info.cls !== "source";
    const chosen = adapters(kind, g.x, g.p[0]);
    const extra = kind === "Pair" || kind === "Merge" ? { held: chosen.a?.kind === "hold" } : {};
    nodes.push({
      id,
      kind,
      params: { ...params(kind, g.p), ...extra },
      adapters: chosen,
      parallelism: stateless && g.x % 5 === 4 ? 2 + ((g.x >> 4) % 2) : 1,
      onError: "stop",
    });
    for (const [port, type] of Object.entries(info.outputs)) producers.push({ node: id, port, type });
  });
  return { nodes, channels };
}

/** How many messages a channel carries, as the model computes them. */
function carried(m: FlowModel, c: ChannelSpec): number {
  return m.sent.get(channelId(c))?.values.length ?? 0;
}

/**
 * Splices a Boom into an `exact` number channel (u → v becomes u → boom → v), or hangs it on
 * an unconsumed exact number output, or — when there is neither — feeds it from a new Count.
 * The Boom takes one message per step from one channel, so which message it fails on and the
 * value in its message are guaranteed.
 */
function spliceBoom(flow: { nodes: NodeSpec[]; channels: ChannelSpec[] }, gene: BoomGene, id: string, onError: "stop" | "isolate"): void {
  const m = model(flow);
  const exact = (level: Level | undefined) => level === "exact";
  const spots: ({ channel: ChannelSpec } | { node: string; port: string })[] = [];
  for (const c of flow.channels) if (exact(m.sent.get(channelId(c))?.level) && typeOf(flow, c.from) === "num") spots.push({ channel: c });
  for (const n of flow.nodes) {
    for (const [port, type] of Object.entries(kindInfo(n.kind).outputs)) {
      if (type !== "num" || flow.channels.some((c) => c.from.node === n.id && c.from.port === port)) continue;
      if (outputLevel(m, n.id, port) === "exact") spots.push({ node: n.id, port });
    }
  }
  const boom: NodeSpec = {
    id,
    kind: "Boom",
    params: {
      at: 1 + (gene.at % 8),
      how: (["throw", "reject", "badPort", "unsendable"] as const)[gene.how % 4] as string,
      forward: gene.forward,
    },
    adapters: { value: (gene.at >> 3) % 3 === 2 ? { kind: "hold" } : { kind: "latest" } },
    parallelism: 1,
    onError,
  };
  const spot = spots[gene.where % Math.max(1, spots.length)];
  if (!spot) {
    const src: NodeSpec = {
      id: `${id}src`,
      kind: "Count",
      params: params("Count", [gene.where, gene.at, gene.how, 0]),
      adapters: {},
      parallelism: 1,
      onError: "stop",
    };
    flow.nodes.push(src, boom);
    flow.channels.push({ from: { node: src.id, port: "value" }, to: { node: id, port: "value" }, capacity: capacity(gene.cap) });
    return;
  }
  flow.nodes.push(boom);
  if ("channel" in spot) {
    const c = spot.channel;
    flow.channels.splice(
      flow.channels.indexOf(c),
      1,
      { from: c.from, to: { node: id, port: "value" }, capacity: capacity(gene.cap) },
      {
        from: { node: id, port: "value" },
        to: c.to,
        capacity: c.capacity,
      },
    );
  } else flow.channels.push({ from: { node: spot.node, port: spot.port }, to: { node: id, port: "value" }, capacity: capacity(gene.cap) });
}

function typeOf(flow: { nodes: NodeSpec[] }, e: { node: string; port: string }): PortType {
  const n = flow.nodes.find((x) => x.id === e.node) as NodeSpec;
  return kindInfo(n.kind).outputs[e.port] as PortType;
}

/** The level of what a node sends on `port`, with or without channels. */
function outputLevel(m: FlowModel, node: string, port: string): Level | undefined {
  return m.ports.get(`${node}.${port}`)?.level;
}

/**
 * A channel into a node that fails under onError "isolate" must hold everything its producer
 * sends after the failure: the failed node takes nothing more, so a smaller channel leaves the
 * producer blocked for good — a deadlock. Some isolate flows keep the channel as it is on
 * purpose (`starved`): then the deadlock is the outcome every engine must report.
 */
function sizeIsolatedInputs(flow: { nodes: NodeSpec[]; channels: ChannelSpec[] }, starved: ReadonlySet<string>): void {
  const m = model(flow);
  flow.channels.forEach((c, i) => {
    const to = flow.nodes.find((n) => n.id === c.to.node) as NodeSpec;
    if (to.onError !== "isolate" || starved.has(to.id)) return;
    const need = carried(m, c);
    if (c.capacity < need) flow.channels[i] = { ...c, capacity: need };
  });
}

/**
 * Adds a cycle fed from outside: some number output → loop.a; loop.loop → hop… → loop.b;
 * loop.exit → a Sink (or nowhere). The channels on the cycle hold everything that ever
 * travels on them, so whether the cycle blocks never depends on timing.
 */
function addCycle(flow: { nodes: NodeSpec[]; channels: ChannelSpec[] }, gene: CycleGene): void {
  const m = model(flow);
  const feeds: { node: string; port: string }[] = [];
  for (const n of flow.nodes) {
    for (const [port, type] of Object.entries(kindInfo(n.kind).outputs)) {
      if (type !== "num") continue;
      const level = outputLevel(m, n.id, port);
      if (level && atLeast(level, "multiset")) feeds.push({ node: n.id, port });
    }
  }
  const feed = feeds[gene.where % Math.max(1, feeds.length)];
  const loop: NodeSpec = {
    id: "loop",
    kind: "Loop",
    params: { rounds: gene.rounds % 4, held: gene.rounds % 5 === 4 },
    adapters: gene.rounds % 5 === 4 ? { a: { kind: "hold" }, b: { kind: "hold" } } : { a: { kind: "latest" }, b: { kind: "latest" } },
    parallelism: 1,
    onError: "stop",
  };
  const hops = 1 + (gene.hops % 3);
  const cap = (k: number) => capacity(gene.caps[k] ?? 0);
  if (feed) flow.channels.push({ from: feed, to: { node: "loop", port: "a" }, capacity: cap(0) });
  else {
    flow.nodes.push({
      id: "loopsrc",
      kind: "Count",
      params: params("Count", [gene.where, gene.rounds, gene.hops, 0]),
      adapters: {},
      parallelism: 1,
      onError: "stop",
    });
    flow.channels.push({ from: { node: "loopsrc", port: "value" }, to: { node: "loop", port: "a" }, capacity: cap(0) });
  }
  flow.nodes.push(loop);
  let prev = { node: "loop", port: "loop" };
  for (let h = 0; h < hops; h++) {
    const id = `hop${h}`;
    flow.nodes.push({
      id,
      kind: "Hop",
      params: {},
      adapters: { value: { kind: "latest" } },
      parallelism: (gene.hops >> 2) % 4 === 3 ? 2 : 1,
      onError: "stop",
    });
    flow.channels.push({ from: prev, to: { node: id, port: "value" }, capacity: cap(1 + h) });
    prev = { node: id, port: "value" };
  }
  flow.channels.push({ from: prev, to: { node: "loop", port: "b" }, capacity: cap(4) });
  if (gene.sink) {
    flow.nodes.push({ id: "exit", kind: "Sink", params: {}, adapters: { value: { kind: "latest" } }, parallelism: 1, onError: "stop" });
    flow.channels.push({ from: { node: "loop", port: "exit" }, to: { node: "exit", port: "value" }, capacity: cap(0) });
  }
  // Size the cycle's own channels for everything that ever travels on them.
  const sized = model(flow);
  const onCycle = new Set(["loop", ...Array.from({ length: hops }, (_, h) => `hop${h}`)]);
  flow.channels.forEach((c, i) => {
    if (!onCycle.has(c.from.node) || !onCycle.has(c.to.node)) return;
    const need = carried(sized, c);
    if (c.capacity < need) flow.channels[i] = { ...c, capacity: need };
  });
}

/** Sources nothing listens to cost an executor on every mode and show little: drop them. */
function dropIdleSources(flow: { nodes: NodeSpec[]; channels: ChannelSpec[] }): void {
  const idle = (n: NodeSpec) => kindInfo(n.kind).cls === "source" && !flow.channels.some((c) => c.from.node === n.id);
  if (flow.nodes.filter((n) => !idle(n)).length < 2) return;
  flow.nodes = flow.nodes.filter((n) => !idle(n));
}

export interface Decoded {
  readonly flow: FlowSpec;
  readonly model: FlowModel;
}

/** Any genome → a valid flow of the family, and its reference model. */
export function decode(family: Family, genome: Genome): Decoded {
  // Every node costs an executor start on four modes, so most flows are small: the DAG part
  // uses 2 + 11·u² of its genes (u = size / 999). A flow whose failure stops the run runs
  // alone, and then the run's own start-up outweighs its nodes: those use 2 + 11·u.
  const u = genome.size / 999;
  const used = Math.min(genome.nodes.length, 2 + Math.floor(11 * (family === "stop" ? u : u * u)));
  const flow = decodeDag(genome.nodes.slice(0, used), "n");
  const starved = new Set<string>();
  genome.booms.forEach((gene, i) => {
    const onError = family === "stop" && i === 0 ? "stop" : "isolate";
    spliceBoom(flow, gene, `boom${i}`, onError);
    if (family === "isolate" && i === 0 && gene.cap % 4 === 3) starved.add(`boom${i}`);
  });
  if (genome.cycle) addCycle(flow, genome.cycle);
  sizeIsolatedInputs(flow, starved);
  dropIdleSources(flow);
  return { flow, model: model(flow) };
}

/** What a set of flows covers, for the log: kinds, adapters, fan-in, parallelism, fusable chains. */
export function coverage(flows: readonly FlowSpec[]): string {
  const kinds = new Set(flows.flatMap((f) => f.nodes.map((n) => n.kind)));
  const adapters = new Set(flows.flatMap((f) => f.nodes.flatMap((n) => Object.values(n.adapters).map((a) => a.kind))));
  const count = (p: (f: FlowSpec) => boolean) => flows.filter(p).length;
  const fanIn = count((f) => f.channels.some((c) => f.channels.some((d) => d !== c && d.to.node === c.to.node && d.to.port === c.to.port)));
  const fanOut = count((f) =>
    f.channels.some((c) => f.channels.some((d) => d !== c && d.from.node === c.from.node && d.from.port === c.from.port)),
  );
  const parallel = count((f) => f.nodes.some((n) => n.parallelism > 1));
  return `${kinds.size}/${Object.keys(KINDS).length} kinds, adapters ${[...adapters].sort().join("/")}; flows with fan-in ${fanIn}, fan-out ${fanOut}, parallelism ${parallel}`;
}
