import type { Ir } from "@flowc/ir";
import { histogramBucket, type RunResult } from "@flowc/runtime";
import { describe, expect, it } from "vitest";
import { RunReportCollector } from "./collect.js";

const ir = {
  irVersion: 1,
  name: "two",
  nodes: [],
  channels: [{ id: "a.out->b.in", from: { node: "a", port: "out" }, to: { node: "b", port: "in" }, capacity: 10, onFull: "block" }],
  meta: { compiler: "test", sourceHash: null },
} as unknown as Ir;

const result = (steps: number): RunResult => ({
  flow: "two",
  runtime: "mp",
  status: "stopped",
  reason: "duration",
  durationMs: 1000,
  logicalDurationMs: null,
  peakMemoryBytes: 0,
  nodes: [
    {
      id: "b",
      status: "STOPPED",
      steps,
      messagesIn: steps,
      messagesOut: 0,
      dropped: 0,
      durationMs: 1,
      cpuMs: 1,
      peakMemoryBytes: null,
      error: null,
      cause: "the run stopped (duration)",
    },
  ],
});

/** A sample at `t` ms: node b took 10 messages per 100 ms, each step 1 ms long with 0.5 ms in its code. */
function sample(t: number) {
  const steps = t / 10;
  return {
    t,
    nodes: {
      b: {
        status: "running" as const,
        steps,
        messagesIn: steps,
        messagesOut: 0,
        dropped: 0,
        cpuMs: steps * 0.5,
        stepMs: [[histogramBucket(1), steps] as const],
        memoryBytes: 5e6,
        restarts: 0,
      },
    },
    channels: { "a.out->b.in": { taken: steps, depth: t % 700 === 0 ? 7 : 1, dropped: 0 } },
  };
}

describe("run report collector", () => {
  it("turns cumulative samples into rates, percentiles and gauges on one time axis", () => {
    const c = new RunReportCollector();
    for (let t = 100; t <= 1000; t += 100) c.add(sample(t));
    const r = c.finish(ir, "mp/thread", result(100));
    expect(r.t).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(r.channelSeries["a.out->b.in"]?.perSecond.every((v) => v === 100)).toBe(true);
    expect(r.channelSeries["a.out->b.in"]?.depth[6]).toBe(7);
    expect(r.nodeSeries.b?.cpuPercent.every((v) => v === 5)).toBe(true);
    expect(r.nodeSeries.b?.stepP50.every((v) => v !== null && v >= 1 && v <= 1.25)).toBe(true);
    expect(r.nodes[0]).toMatchObject({ id: "b", steps: 100, restarts: 0 });
    expect(r.nodes[0]?.stepP99Ms).toBeCloseTo(1.024);
  });

  it("a long run is kept at a bounded number of points: cells double, totals and peaks stay exact", () => {
    const c = new RunReportCollector();
    const end = 100 * 5000;
    for (let t = 100; t <= end; t += 100) c.add(sample(t));
    const r = c.finish(ir, "mp/thread", result(end / 10));
    expect(r.t.length).toBeLessThanOrEqual(1200);
    expect(r.t.length).toBeGreaterThan(300);
    expect(r.intervalMs).toBeGreaterThan(100);
    expect(r.t.at(-1)).toBe(end);
    expect(r.channelSeries["a.out->b.in"]?.taken.at(-1)).toBe(end / 10);
    // Rates over wider cells are the same rate; the deepest queue of a merged cell is kept.
    expect(r.channelSeries["a.out->b.in"]?.perSecond.every((v) => v === 100)).toBe(true);
    expect(Math.max(...(r.channelSeries["a.out->b.in"]?.depth.map((v) => v ?? 0) ?? []))).toBe(7);
  });

  it("ignores every event but stats, and names the time logical when the result does", () => {
    const c = new RunReportCollector();
    c.observe({ type: "started" });
    c.observe({ type: "stats", sample: sample(100) });
    const r = c.finish(ir, "mp/inline", { ...result(10), logicalDurationMs: 100 });
    expect(r.t).toEqual([100]);
    expect(r.logicalTime).toBe(true);
  });
});
