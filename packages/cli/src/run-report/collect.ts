import type { Ir } from "@flowc/ir";
import {
  type ChannelSample,
  type Histogram,
  histogramDelta,
  histogramQuantile,
  type NodeSample,
  type RunResult,
  type RuntimeEvent,
  type StatsSample,
} from "@flowc/runtime";

/** How often a run with `--report` is sampled (ms of run time; logical ms on mp inline). */
export const REPORT_SAMPLE_MS = 100;
/** Points kept per series: a longer run is sampled more coarsely, so a report's size is bounded. */
const MAX_POINTS = 1200;

export const RUN_REPORT_FORMAT = "flowc-run-report";
export const RUN_REPORT_VERSION = 1;

/** One node's figures over time, on the report's time axis (`null`: no sample in that cell). */
export interface NodeSeries {
  readonly steps: (number | null)[];
  readonly messagesIn: (number | null)[];
  readonly messagesOut: (number | null)[];
  readonly dropped: (number | null)[];
  /** Time in the node's code per second of run time, as a percentage of one core. */
  readonly cpuPercent: (number | null)[];
  readonly memoryBytes: (number | null)[];
  /** Step duration percentiles (ms) of the steps that ended in the cell. */
  readonly stepP50: (number | null)[];
  readonly stepP90: (number | null)[];
  readonly stepP99: (number | null)[];
}

export interface ChannelSeries {
  /** Messages taken by the consumer so far. */
  readonly taken: (number | null)[];
  /** Messages taken by the consumer per second of run time. */
  readonly perSecond: (number | null)[];
  /** Messages waiting at the consumer (the most seen in the cell). */
  readonly depth: (number | null)[];
  /** Messages lost to onFull so far. */
  readonly dropped: (number | null)[];
}

export interface NodeSummary {
  readonly id: string;
  readonly status: string;
  readonly steps: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly dropped: number;
  readonly cpuMs: number;
  readonly peakMemoryBytes: number | null;
  readonly restarts: number;
  readonly stepP50Ms: number | null;
  readonly stepP99Ms: number | null;
  readonly error: string | null;
  readonly cause: string | null;
}

/** `flowc run --report <file>.json`, and the data behind the HTML report. */
export interface RunReport {
  readonly format: typeof RUN_REPORT_FORMAT;
  readonly version: typeof RUN_REPORT_VERSION;
  readonly flow: string;
  readonly runtime: string;
  readonly startedAt: string;
  /** Run time is logical on mp inline: rates are per second of logical time there. */
  readonly logicalTime: boolean;
  /** The width of one point of the series (ms of run time). */
  readonly intervalMs: number;
  readonly result: RunResult;
  readonly ir: Ir;
  readonly nodes: readonly NodeSummary[];
  /** The time axis (ms of run time, the end of each cell) shared by every series. */
  readonly t: readonly number[];
  readonly nodeSeries: Readonly<Record<string, NodeSeries>>;
  readonly channelSeries: Readonly<Record<string, ChannelSeries>>;
}

interface NodePoint {
  readonly cell: number;
  readonly t: number;
  readonly sample: NodeSample;
}
interface ChannelPoint {
  readonly cell: number;
  readonly t: number;
  readonly sample: ChannelSample;
  /** The deepest queue seen in the cell. */
  readonly depth: number;
}

/**
 * Collects a run's `stats` events into series for a report. Samples are cumulative, so keeping
 * the last one of each cell loses nothing but resolution; when a run outgrows `MAX_POINTS`
 * cells, cells double in width and neighbours merge — memory stays bounded however long it runs.
 */
export class RunReportCollector {
  #cellMs = REPORT_SAMPLE_MS;
  readonly #nodes = new Map<string, NodePoint[]>();
  readonly #channels = new Map<string, ChannelPoint[]>();
  readonly #cells = new Set<number>();
  readonly #startedAt = new Date();

  /** Feeds one runtime event; anything but `stats` is ignored. */
  observe(event: RuntimeEvent): void {
    if (event.type === "stats") this.add(event.sample);
  }

  add(sample: StatsSample): void {
    const cell = this.#cellOf(sample.t);
    this.#cells.add(cell);
    for (const [id, s] of Object.entries(sample.nodes)) {
      const points = this.#nodes.get(id) ?? [];
      if (!this.#nodes.has(id)) this.#nodes.set(id, points);
      const last = points[points.length - 1];
      const point = { cell, t: sample.t, sample: s };
      if (last && last.cell === cell) points[points.length - 1] = point;
      else points.push(point);
    }
    for (const [id, s] of Object.entries(sample.channels)) {
      const points = this.#channels.get(id) ?? [];
      if (!this.#channels.has(id)) this.#channels.set(id, points);
      const last = points[points.length - 1];
      if (last && last.cell === cell) points[points.length - 1] = { cell, t: sample.t, sample: s, depth: Math.max(last.depth, s.depth) };
      else points.push({ cell, t: sample.t, sample: s, depth: s.depth });
    }
    if (this.#cells.size > MAX_POINTS) this.#coarsen();
  }

  #cellOf(t: number): number {
    // A sample taken at 100 ms belongs to the cell ending at 100 ms.
    return Math.max(0, Math.ceil(t / this.#cellMs - 1e-9));
  }

  #coarsen(): void {
    this.#cellMs *= 2;
    this.#cells.clear();
    for (const points of this.#nodes.values()) {
      const merged: NodePoint[] = [];
      for (const p of points) {
        const cell = this.#cellOf(p.t);
        this.#cells.add(cell);
        const last = merged[merged.length - 1];
        if (last && last.cell === cell) merged[merged.length - 1] = { ...p, cell };
        else merged.push({ ...p, cell });
      }
      points.splice(0, points.length, ...merged);
    }
    for (const points of this.#channels.values()) {
      const merged: ChannelPoint[] = [];
      for (const p of points) {
        const cell = this.#cellOf(p.t);
        this.#cells.add(cell);
        const last = merged[merged.length - 1];
        if (last && last.cell === cell) merged[merged.length - 1] = { ...p, cell, depth: Math.max(last.depth, p.depth) };
        else merged.push({ ...p, cell });
      }
      points.splice(0, points.length, ...merged);
    }
  }

  /** The report of a run that ended with `result`. */
  finish(ir: Ir, runtime: string, result: RunResult): RunReport {
    const cells = [...this.#cells].sort((a, b) => a - b);
    const index = new Map(cells.map((c, i) => [c, i]));
    const t = cells.map((c) => c * this.#cellMs);
    const empty = () => cells.map((): number | null => null);
    const nodeSeries: Record<string, NodeSeries> = {};
    for (const [id, points] of this.#nodes) {
      const s: NodeSeries = {
        steps: empty(),
        messagesIn: empty(),
        messagesOut: empty(),
        dropped: empty(),
        cpuPercent: empty(),
        memoryBytes: empty(),
        stepP50: empty(),
        stepP90: empty(),
        stepP99: empty(),
      };
      let previous: NodePoint | undefined;
      for (const p of points) {
        const i = index.get(p.cell) as number;
        s.steps[i] = p.sample.steps;
        s.messagesIn[i] = p.sample.messagesIn;
        s.messagesOut[i] = p.sample.messagesOut;
        s.dropped[i] = p.sample.dropped;
        s.memoryBytes[i] = p.sample.memoryBytes;
        const dt = p.t - (previous?.t ?? 0);
        if (dt > 0) s.cpuPercent[i] = round((100 * (p.sample.cpuMs - (previous?.sample.cpuMs ?? 0))) / dt);
        const steps: Histogram = histogramDelta(p.sample.stepMs, previous?.sample.stepMs);
        s.stepP50[i] = histogramQuantile(steps, 0.5);
        s.stepP90[i] = histogramQuantile(steps, 0.9);
        s.stepP99[i] = histogramQuantile(steps, 0.99);
        previous = p;
      }
      nodeSeries[id] = s;
    }
    const channelSeries: Record<string, ChannelSeries> = {};
    for (const [id, points] of this.#channels) {
      const s: ChannelSeries = { taken: empty(), perSecond: empty(), depth: empty(), dropped: empty() };
      let previous: ChannelPoint | undefined;
      for (const p of points) {
        const i = index.get(p.cell) as number;
        const dt = p.t - (previous?.t ?? 0);
        if (dt > 0) s.perSecond[i] = round((1000 * (p.sample.taken - (previous?.sample.taken ?? 0))) / dt);
        s.taken[i] = p.sample.taken;
        s.depth[i] = p.depth;
        s.dropped[i] = p.sample.dropped;
        previous = p;
      }
      channelSeries[id] = s;
    }
    const nodes = result.nodes.map((n): NodeSummary => {
      const last = this.#nodes.get(n.id)?.at(-1)?.sample;
      const hist = last?.stepMs ?? [];
      return {
        id: n.id,
        status: n.status,
        steps: n.steps,
        messagesIn: n.messagesIn,
        messagesOut: n.messagesOut,
        dropped: n.dropped,
        cpuMs: round(n.cpuMs),
        peakMemoryBytes: n.peakMemoryBytes,
        restarts: last?.restarts ?? 0,
        stepP50Ms: histogramQuantile(hist, 0.5),
        stepP99Ms: histogramQuantile(hist, 0.99),
        error: n.error?.message ?? null,
        cause: n.cause,
      };
    });
    return {
      format: RUN_REPORT_FORMAT,
      version: RUN_REPORT_VERSION,
      flow: ir.name,
      runtime,
      startedAt: this.#startedAt.toISOString(),
      logicalTime: result.logicalDurationMs !== null,
      intervalMs: this.#cellMs,
      result,
      ir,
      nodes,
      t,
      nodeSeries,
      channelSeries,
    };
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
