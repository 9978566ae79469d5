import type { NodeStatus } from "./contract.js";

/**
 * Live numbers of a run, sampled while it runs (`flowc run --report`, `flowc top`, the daemon's
 * metrics). Every figure is cumulative since the node started (or a gauge: queue depth,
 * memory), so a lost or late sample loses no information: rates are differences between two
 * samples. Executors sample their own nodes; whoever watches merges the latest of each.
 */

/** Sub-buckets per power of two: a percentile read from the histogram is within ~19 % of the truth. */
const SUB = 4;
/** Durations are counted in microseconds; bucket 0 holds everything under 1 µs. */
const MAX_BUCKET = 1 + 40 * SUB;

/** The histogram bucket of a duration in milliseconds (log-linear, 4 buckets per octave of µs). */
export function histogramBucket(ms: number): number {
  const us = ms * 1000;
  if (!(us >= 1)) return 0;
  // Every step pays this: integer arithmetic where bucket bounds are whole microseconds (≥ 4 µs).
  if (us >= 4 && us < 2 ** 31) {
    const u = us | 0;
    const octave = 31 - Math.clz32(u);
    return 1 + octave * SUB + ((u >>> (octave - 2)) & 3);
  }
  if (us < 4) {
    const octave = us < 2 ? 0 : 1;
    return 1 + octave * SUB + Math.floor((us / (octave + 1) - 1) * SUB);
  }
  const octave = Math.floor(Math.log2(us));
  const sub = Math.min(SUB - 1, Math.floor((us / 2 ** octave - 1) * SUB));
  return Math.min(MAX_BUCKET, 1 + octave * SUB + sub);
}

/** The upper bound of a bucket, in milliseconds. */
export function bucketUpperMs(bucket: number): number {
  if (bucket <= 0) return 0.001;
  const octave = Math.floor((bucket - 1) / SUB);
  const sub = (bucket - 1) % SUB;
  return (2 ** octave * (1 + (sub + 1) / SUB)) / 1000;
}

/** Step durations of one node: counts per bucket, cumulative since the node started. */
export class StepHistogram {
  readonly #counts = new Float64Array(MAX_BUCKET + 1);

  record(ms: number): void {
    const b = histogramBucket(ms);
    this.#counts[b] = (this.#counts[b] as number) + 1;
  }

  /** Non-empty buckets as `[bucket, count]` pairs, in bucket order. */
  snapshot(): Histogram {
    const out: [number, number][] = [];
    const counts = this.#counts;
    for (let i = 0; i < counts.length; i++) {
      const n = counts[i] as number;
      if (n > 0) out.push([i, n]);
    }
    return out;
  }
}

/** A sparse histogram: `[bucket, count]` pairs in bucket order (see `histogramBucket`). */
export type Histogram = readonly (readonly [number, number])[];

/** What happened between two cumulative histograms (the later minus the earlier). */
export function histogramDelta(later: Histogram, earlier: Histogram | undefined): Histogram {
  if (!earlier || earlier.length === 0) return later;
  const before = new Map(earlier);
  const out: [number, number][] = [];
  for (const [b, n] of later) {
    const d = n - (before.get(b) ?? 0);
    if (d > 0) out.push([b, d]);
  }
  return out;
}

/** The `q` quantile (0–1) of a histogram, as the upper bound of its bucket (ms); null when empty. */
export function histogramQuantile(histogram: Histogram, q: number): number | null {
  let total = 0;
  for (const [, n] of histogram) total += n;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [b, n] of histogram) {
    seen += n;
    if (seen >= rank) return bucketUpperMs(b);
  }
  return bucketUpperMs((histogram[histogram.length - 1] as readonly [number, number])[0]);
}

export interface NodeSample {
  readonly status: "running" | "ready" | NodeStatus;
  readonly steps: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly dropped: number;
  /** Time in the node's own code (see NodeResult.cpuMs). */
  readonly cpuMs: number;
  /** Step durations so far. */
  readonly stepMs: Histogram;
  /** Memory of the node's executor now: its heap (thread) or resident set (process); null inline. */
  readonly memoryBytes: number | null;
  /** Times the node's executor was relaunched (restart policies); set by the supervising side. */
  readonly restarts: number;
}

export interface ChannelSample {
  /** Messages the consumer took off the channel. */
  readonly taken: number;
  /** Messages waiting at the consumer now. */
  readonly depth: number;
  /** Messages lost to the channel's onFull policy. */
  readonly dropped: number;
}

/** One executor's view at run time `t` (ms since the start barrier; logical ms on a logical clock). */
export interface StatsSample {
  readonly t: number;
  readonly nodes: Readonly<Record<string, NodeSample>>;
  /** Channels by id, sampled at their consumer. */
  readonly channels: Readonly<Record<string, ChannelSample>>;
}

/** What `sampleHosts` needs of a node host (kept structural so the module has no cycle with host.ts). */
export interface SampledHost {
  readonly id: string;
  readonly started: boolean;
  readonly ended: boolean;
  readonly status: NodeStatus | undefined;
  readonly stats: { readonly steps: number; readonly messagesIn: number; readonly messagesOut: number; readonly cpuMs: number };
  readonly stepTimes: StepHistogram;
  dropped(): number;
  channelSamples(into: Record<string, ChannelSample>): void;
}

/** Samples an executor's hosts at run time `t`. */
export function sampleHosts(hosts: readonly SampledHost[], t: number, memoryBytes: number | null): StatsSample {
  const nodes: Record<string, NodeSample> = {};
  const channels: Record<string, ChannelSample> = {};
  for (const h of hosts) {
    const s = h.stats;
    nodes[h.id] = {
      status: h.ended ? (h.status ?? "STOPPED") : h.started ? "running" : "ready",
      steps: s.steps,
      messagesIn: s.messagesIn,
      messagesOut: s.messagesOut,
      dropped: h.dropped(),
      cpuMs: s.cpuMs,
      stepMs: h.stepTimes.snapshot(),
      memoryBytes,
      restarts: 0,
    };
    h.channelSamples(channels);
  }
  return { t, nodes, channels };
}

/**
 * The latest figures of every node and channel of a run, merged from the samples of its
 * executors as they arrive. A relaunched executor starts its counts again from zero: the
 * board keeps what the previous ones had counted, so totals never go backwards.
 */
export class StatsBoard {
  readonly #nodes = new Map<string, NodeSample>();
  readonly #channels = new Map<string, ChannelSample>();
  /** Totals of executors that were replaced, by node and by channel. */
  readonly #carried = new Map<string, NodeSample>();
  readonly #carriedChannels = new Map<string, ChannelSample>();
  readonly #restarts = new Map<string, number>();
  #t = 0;

  /** Merges one executor's sample; returns the merged sample of the nodes and channels it named. */
  add(sample: StatsSample): StatsSample {
    this.#t = Math.max(this.#t, sample.t);
    const nodes: Record<string, NodeSample> = {};
    const channels: Record<string, ChannelSample> = {};
    for (const [id, n] of Object.entries(sample.nodes)) {
      const merged = addNode(this.#carried.get(id), n, this.#restarts.get(id) ?? 0);
      this.#nodes.set(id, merged);
      nodes[id] = merged;
    }
    for (const [id, c] of Object.entries(sample.channels)) {
      const before = this.#carriedChannels.get(id);
      const merged = before ? { taken: before.taken + c.taken, depth: c.depth, dropped: before.dropped + c.dropped } : c;
      this.#channels.set(id, merged);
      channels[id] = merged;
    }
    return { t: sample.t, nodes, channels };
  }

  /** The executor of these nodes is relaunched: its next samples count from zero again. */
  relaunched(nodes: readonly string[], channels: readonly string[]): void {
    for (const id of nodes) {
      const last = this.#nodes.get(id);
      if (last) this.#carried.set(id, { ...last, status: "running" });
      this.#restarts.set(id, (this.#restarts.get(id) ?? 0) + 1);
    }
    for (const id of channels) {
      const last = this.#channels.get(id);
      if (last) this.#carriedChannels.set(id, { ...last, depth: 0 });
    }
  }

  /** A node's final status, from the run's supervisor (its executor may be gone). */
  settle(id: string, status: NodeStatus): void {
    const last = this.#nodes.get(id);
    if (last) this.#nodes.set(id, { ...last, status });
  }

  /** Everything known now. */
  snapshot(): StatsSample {
    return { t: this.#t, nodes: Object.fromEntries(this.#nodes), channels: Object.fromEntries(this.#channels) };
  }
}

function addNode(before: NodeSample | undefined, now: NodeSample, restarts: number): NodeSample {
  if (!before) return restarts === 0 ? now : { ...now, restarts };
  const hist = new Map(before.stepMs);
  for (const [b, n] of now.stepMs) hist.set(b, (hist.get(b) ?? 0) + n);
  return {
    status: now.status,
    steps: before.steps + now.steps,
    messagesIn: before.messagesIn + now.messagesIn,
    messagesOut: before.messagesOut + now.messagesOut,
    dropped: before.dropped + now.dropped,
    cpuMs: before.cpuMs + now.cpuMs,
    stepMs: [...hist].sort((a, b) => a[0] - b[0]),
    memoryBytes: now.memoryBytes,
    restarts,
  };
}

/**
 * Takes a sample every `intervalMs` of run time. Executors call `due` from their loop (or a
 * timer) with the run's clock — wall time on threads and processes, logical time inline, so an
 * inline run's samples fall on the same instants in every run.
 */
export class SampleClock {
  readonly intervalMs: number;
  #next: number;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
    this.#next = intervalMs;
  }

  /** Whether a sample is due at `now`; advances to the next instant after `now` when it is. */
  due(now: number): boolean {
    if (now < this.#next) return false;
    this.#next = (Math.floor(now / this.intervalMs) + 1) * this.intervalMs;
    return true;
  }
}
