import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bucketUpperMs,
  histogramBucket,
  histogramDelta,
  histogramQuantile,
  type NodeSample,
  SampleClock,
  StatsBoard,
  StepHistogram,
} from "./stats.js";

const node = (steps: number, extra: Partial<NodeSample> = {}): NodeSample => ({
  status: "running",
  steps,
  messagesIn: steps,
  messagesOut: steps,
  dropped: 0,
  cpuMs: steps / 10,
  stepMs: [[histogramBucket(1), steps]],
  memoryBytes: 1000,
  restarts: 0,
  ...extra,
});

describe("step histogram", () => {
  it("a duration falls in a bucket whose upper bound is above it and within 25 % of it", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 1e6, noNaN: true }), (ms) => {
        const upper = bucketUpperMs(histogramBucket(ms));
        expect(upper).toBeGreaterThanOrEqual(ms * 0.999999);
        expect(upper).toBeLessThanOrEqual(ms * 1.25 + 1e-9);
      }),
    );
  });

  it("the integer fast paths put every duration in the bucket the log formula gives", () => {
    const reference = (ms: number) => {
      const us = ms * 1000;
      if (!(us >= 1)) return 0;
      const octave = Math.floor(Math.log2(us));
      return Math.min(1 + 40 * 4, 1 + octave * 4 + Math.min(3, Math.floor((us / 2 ** octave - 1) * 4)));
    };
    fc.assert(
      fc.property(fc.double({ min: 0, max: 3e6, noNaN: true }), (ms) => {
        expect(histogramBucket(ms)).toBe(reference(ms));
      }),
    );
    for (let us = 0; us < 5000; us += 0.25) expect(histogramBucket(us / 1000)).toBe(reference(us / 1000));
  });

  it("buckets grow with the duration; sub-microsecond and absurd durations are bounded", () => {
    expect(histogramBucket(0)).toBe(0);
    expect(histogramBucket(Number.NaN)).toBe(0);
    expect(histogramBucket(0.0005)).toBe(0);
    expect(histogramBucket(1e15)).toBe(histogramBucket(1e16));
    let previous = -1;
    for (let ms = 0.001; ms < 1e5; ms *= 1.1) {
      const b = histogramBucket(ms);
      expect(b).toBeGreaterThanOrEqual(previous);
      previous = b;
    }
  });

  it("quantiles read from the buckets: p50 and p99 of 99 fast steps and one slow one", () => {
    const h = new StepHistogram();
    for (let i = 0; i < 99; i++) h.record(0.1);
    h.record(50);
    const snapshot = h.snapshot();
    expect(snapshot.reduce((s, [, n]) => s + n, 0)).toBe(100);
    expect(histogramQuantile(snapshot, 0.5)).toBeCloseTo(bucketUpperMs(histogramBucket(0.1)));
    expect(histogramQuantile(snapshot, 0.99)).toBeCloseTo(bucketUpperMs(histogramBucket(0.1)));
    expect(histogramQuantile(snapshot, 1)).toBeCloseTo(bucketUpperMs(histogramBucket(50)));
    expect(histogramQuantile([], 0.5)).toBeNull();
  });

  it("the delta of two cumulative histograms is what happened in between", () => {
    const h = new StepHistogram();
    h.record(1);
    const before = h.snapshot();
    h.record(1);
    h.record(8);
    expect(histogramDelta(h.snapshot(), before)).toEqual([
      [histogramBucket(1), 1],
      [histogramBucket(8), 1],
    ]);
    expect(histogramDelta(h.snapshot(), undefined)).toEqual(h.snapshot());
  });
});

describe("stats board", () => {
  it("keeps the latest sample of each node and channel, from any executor", () => {
    const board = new StatsBoard();
    board.add({ t: 100, nodes: { a: node(1) }, channels: {} });
    board.add({ t: 120, nodes: { b: node(5) }, channels: { "a.x->b.y": { taken: 5, depth: 2, dropped: 0 } } });
    board.add({ t: 200, nodes: { a: node(3) }, channels: {} });
    const s = board.snapshot();
    expect(s.t).toBe(200);
    expect(s.nodes.a?.steps).toBe(3);
    expect(s.nodes.b?.steps).toBe(5);
    expect(s.channels["a.x->b.y"]).toEqual({ taken: 5, depth: 2, dropped: 0 });
  });

  it("a relaunched executor counts from zero again: totals carry over and never go back, restarts are counted", () => {
    const board = new StatsBoard();
    board.add({ t: 100, nodes: { b: node(5) }, channels: { c: { taken: 5, depth: 3, dropped: 1 } } });
    board.relaunched(["b"], ["c"]);
    const merged = board.add({ t: 300, nodes: { b: node(2) }, channels: { c: { taken: 2, depth: 1, dropped: 0 } } });
    expect(merged.nodes.b).toMatchObject({ steps: 7, messagesIn: 7, restarts: 1, stepMs: [[histogramBucket(1), 7]] });
    expect(merged.channels.c).toEqual({ taken: 7, depth: 1, dropped: 1 });
    board.relaunched(["b"], ["c"]);
    board.add({ t: 400, nodes: { b: node(1) }, channels: {} });
    expect(board.snapshot().nodes.b).toMatchObject({ steps: 8, restarts: 2 });
    board.settle("b", "FAILED");
    expect(board.snapshot().nodes.b?.status).toBe("FAILED");
  });
});

describe("sample clock", () => {
  it("is due once per interval, on the interval's instants, however time jumps", () => {
    const clock = new SampleClock(100);
    expect(clock.due(0)).toBe(false);
    expect(clock.due(99)).toBe(false);
    expect(clock.due(100)).toBe(true);
    expect(clock.due(150)).toBe(false);
    expect(clock.due(450)).toBe(true);
    expect(clock.due(499)).toBe(false);
    expect(clock.due(500)).toBe(true);
  });
});
