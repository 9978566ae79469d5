import { histogramBucket, type NodeSample, type StatsSample } from "@flowc/runtime";
import type { DataflowStats, DataflowSummary } from "@flowc/runtime-dataflow";
import { describe, expect, it } from "vitest";
import { Samples } from "../commands/top.js";
import {
  dataflowView,
  formatDuration,
  formatMs,
  formatUptime,
  frame,
  jsonBlock,
  NONE_RUNNING,
  plainBlock,
  printable,
  screenLines,
  truncate,
} from "./render.js";

const CREATED = "2030-01-01T00:00:00.000Z";
const T0 = Date.parse(CREATED);
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escape codes is the point
const ESCAPE = /\u001b/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: colour (SGR) sequences
const SGR = /\u001b\[[0-9;]*m/g;

function node(over: Partial<NodeSample> = {}): NodeSample {
  return {
    status: "running",
    steps: 0,
    messagesIn: 0,
    messagesOut: 0,
    dropped: 0,
    cpuMs: 0,
    stepMs: [],
    memoryBytes: 50 * 1048576,
    restarts: 0,
    ...over,
  };
}

function summary(over: Partial<DataflowSummary> = {}): DataflowSummary {
  const proc = { machine: "m1", pid: 1, restarts: 0, exitCode: null, signal: null, log: "x.log" };
  return {
    id: "01a22bb8-bee7-70fe-bb72-2e6acabbc658",
    name: "d1",
    flow: "demo",
    status: "running",
    machine: "m1",
    nodes: 2,
    createdAt: CREATED,
    endedAt: null,
    processes: { src: proc, sink: { ...proc, restarts: 2 } },
    ...over,
  };
}

const channels = [{ id: "src.value->sink.value", from: "src", to: "sink", capacity: 10, onFull: "block" }];

function stats(sample: StatsSample, over: Partial<DataflowSummary> = {}): DataflowStats {
  return { dataflow: summary(over), sample, channels };
}

/** Two samples one second apart: src 10 steps, sink 10 in, 250 ms in its code, 3 waiting, 1 dropped. */
const s1: StatsSample = {
  t: 1000,
  nodes: { src: node({ steps: 10, messagesOut: 10 }), sink: node({ steps: 9, messagesIn: 9, cpuMs: 100 }) },
  channels: { "src.value->sink.value": { taken: 9, depth: 1, dropped: 0 } },
};
const s2: StatsSample = {
  t: 2000,
  nodes: {
    src: node({ steps: 20, messagesOut: 20 }),
    sink: node({
      steps: 19,
      messagesIn: 19,
      cpuMs: 350,
      dropped: 1,
      stepMs: [
        [histogramBucket(0.02), 90],
        [histogramBucket(3), 10],
      ],
    }),
  },
  channels: { "src.value->sink.value": { taken: 19, depth: 3, dropped: 1 } },
};

describe("flowc top: rates", () => {
  it("are the differences of two cumulative samples over the time between them", () => {
    const v = dataflowView(stats(s2), s1, T0 + 65_000);
    expect(v).toMatchObject({ label: "d1", flow: "demo", status: "running", uptimeMs: 65_000, ended: false });
    const [src, sink] = v.nodes;
    expect(src).toMatchObject({ node: "src", stepsPerSec: 10, inPerSec: 0, outPerSec: 10, queue: null, capacity: null });
    expect(sink).toMatchObject({ node: "sink", stepsPerSec: 10, inPerSec: 10, outPerSec: 0, queue: 3, capacity: 10, drops: 1 });
    // 250 ms of a node's code in 1000 ms: a quarter of a core.
    expect(sink?.cpuPercent).toBeCloseTo(25);
    // Restarts: the larger of the sample's and the process record's.
    expect(sink?.restarts).toBe(2);
    expect(sink?.p50Ms).toBeGreaterThanOrEqual(0.02);
    expect(sink?.p50Ms).toBeLessThan(0.03);
    expect(sink?.p99Ms).toBeGreaterThanOrEqual(3);
    expect(sink?.p99Ms).toBeLessThan(4);
  });

  it("are unknown without a previous sample and once the dataflow ended", () => {
    for (const v of [
      dataflowView(stats(s2), undefined, T0),
      dataflowView(stats(s2, { status: "stopped", endedAt: "2030-01-01T00:00:07.500Z" }), s1, T0 + 99_000),
    ]) {
      expect(v.nodes.map((n) => [n.stepsPerSec, n.inPerSec, n.outPerSec, n.cpuPercent])).toEqual([
        [null, null, null, null],
        [null, null, null, null],
      ]);
      // Totals and gauges are known all the same.
      expect(v.nodes[1]).toMatchObject({ drops: 1, queue: 3, memoryBytes: 50 * 1048576 });
    }
    const ended = dataflowView(stats(s2, { status: "failed", endedAt: "2030-01-01T00:00:07.500Z" }), s1, T0 + 99_000);
    expect(ended).toMatchObject({ ended: true, uptimeMs: 7500 });
  });

  it("a node not sampled yet shows dashes; nodes keep the flow's order", () => {
    const v = dataflowView(stats({ t: 0, nodes: { sink: node() }, channels: {} }), undefined, T0);
    expect(v.nodes.map((n) => n.node)).toEqual(["src", "sink"]);
    expect(v.nodes[0]).toMatchObject({ status: "-", drops: null, memoryBytes: null, p50Ms: null });
  });

  it("Samples: repeated polls of one daemon sample keep the rates; rates span at least the interval", () => {
    const at = (t: number, steps: number): StatsSample => ({ t, nodes: { src: node({ steps }), sink: node() }, channels: {} });
    const samples = new Samples(1000);
    expect(samples.update([stats(at(500, 0))], T0)[0]?.nodes[0]?.stepsPerSec).toBeNull();
    // Half a second later: the only earlier sample, even though younger than the interval.
    expect(samples.update([stats(at(1000, 2))], T0)[0]?.nodes[0]?.stepsPerSec).toBe(4);
    // The same sample again (the daemon has not sampled since): the same rate.
    expect(samples.update([stats(at(1000, 2))], T0)[0]?.nodes[0]?.stepsPerSec).toBe(4);
    // 1 Hz steps seen at 500 ms: over one second it is 1/s, not 0 and 2 in turn.
    expect(samples.update([stats(at(1500, 2))], T0)[0]?.nodes[0]?.stepsPerSec).toBe(2);
    expect(samples.update([stats(at(2000, 3))], T0)[0]?.nodes[0]?.stepsPerSec).toBe(1);
    expect(samples.update([stats(at(2500, 3))], T0)[0]?.nodes[0]?.stepsPerSec).toBe(1);
    // A dataflow that is gone is forgotten; one that comes back starts again.
    expect(samples.update([], T0)).toEqual([]);
    expect(samples.update([stats(at(3000, 4))], T0)[0]?.nodes[0]?.stepsPerSec).toBeNull();
  });
});

describe("flowc top: plain lines", () => {
  it("a comment line per dataflow, a key=value line per node, no escape codes", () => {
    const text = plainBlock([dataflowView(stats(s2), s1, T0 + 5000)]);
    expect(text).not.toMatch(ESCAPE);
    expect(text.split("\n")).toEqual([
      "# d1 id=01a22bb8-bee7-70fe-bb72-2e6acabbc658 flow=demo status=running uptime=0:00:05 nodes=2",
      "d1 src status=running steps/s=10.0 in/s=0.0 out/s=10.0 queue=- drops=0 restarts=0 cpu%=0.0 mem=50.0MB p50=- p99=-",
      "d1 sink status=running steps/s=10.0 in/s=10.0 out/s=0.0 queue=3/10 drops=1 restarts=2 cpu%=25.0 mem=50.0MB p50=0.024ms p99=3.1ms",
      "",
      "",
    ]);
  });

  it("says when a named dataflow ended, and when none runs", () => {
    const ended = dataflowView(stats(s2, { status: "stopped", endedAt: CREATED, name: null }), s1, T0);
    const text = plainBlock([ended], true);
    expect(text).toContain("01a22bb8-bee7-70fe-bb72-2e6acabbc658 sink status=running steps/s=- ");
    expect(text).toContain("# 01a22bb8-bee7-70fe-bb72-2e6acabbc658 ended: stopped\n");
    expect(plainBlock([])).toBe(`${NONE_RUNNING}\n`);
    expect(JSON.parse(jsonBlock([ended]))).toMatchObject({ dataflows: [{ status: "stopped", ended: true, nodes: [{}, { queue: 3 }] }] });
  });

  it("formats: milliseconds with two digits, uptime as h:mm:ss", () => {
    expect([0.0035, 0.32, 1.536, 130.2, 2100].map(formatDuration)).toEqual(["3.5µs", "320µs", "1.5ms", "130ms", "2.1s"]);
    expect([0.0025, 0.02, 0.024, 1.536, 12.5, 130.2].map(formatMs)).toEqual(["0.0025", "0.02", "0.024", "1.5", "12.5", "130"]);
    expect(formatMs(null)).toBe("-");
    expect([0, 7_999, 3_723_000, 2 * 86_400_000 + 5_000].map(formatUptime)).toEqual(["0:00:00", "0:00:07", "1:02:03", "2d 0:00:05"]);
  });

  it("control characters in names never reach the terminal", () => {
    expect(printable("a\u001b[2Jb\nc")).toBe("a?[2Jb?c");
    const v = dataflowView(stats(s2, { name: "x\u001b]0;owned\u0007" }), s1, T0);
    expect(plainBlock([v])).not.toMatch(ESCAPE);
    expect(screenLines([v], { columns: 120, rows: 40, color: false, intervalMs: 1000 }).join("\n")).not.toMatch(ESCAPE);
  });
});

describe("flowc top: the screen", () => {
  const long = "a_node_with_a_rather_long_identifier_that_goes_on";
  const wide: DataflowStats = {
    dataflow: summary({ processes: { [long]: { machine: "m1", pid: 1, restarts: 0, exitCode: null, signal: null, log: "" } } }),
    sample: { t: 2000, nodes: { [long]: node({ steps: 5 }) }, channels: {} },
    channels: [],
  };
  const wideBefore: StatsSample = { t: 1000, nodes: { [long]: node({ steps: 1 }) }, channels: {} };

  it("a header and a table: every node with its figures", () => {
    const lines = screenLines([dataflowView(stats(s2), s1, T0 + 12_000)], { columns: 120, rows: 40, color: false, intervalMs: 1000 });
    expect(lines[0]).toBe("flowc top — 1 running dataflow — every 1 s — q quits");
    expect(lines[2]).toBe("d1  01a22bb8-bee7-70fe-bb72-2e6acabbc658  flow demo  running  up 0:00:12  2 nodes");
    expect(lines[3]).toBe("NODE  STATUS  STEPS/S IN/S OUT/S QUEUE CPU% MEM MB DROPS RESTART  P50   P99");
    expect(lines[4]).toBe("src   running    10.0  0.0  10.0     -  0.0   50.0     0       0    -     -");
    expect(lines[5]).toBe("sink  running    10.0 10.0   0.0  3/10 25.0   50.0     1       2 24µs 3.1ms");
    expect(lines).toHaveLength(6);
    // Numbers are right-aligned under their titles.
    const title = lines[3] as string;
    for (const row of [lines[4], lines[5]] as string[])
      expect(row.indexOf("50.0") + "50.0".length).toBe(title.indexOf("MEM MB") + "MEM MB".length);
  });

  it("fits the width: long ids end in …, then columns are left out from the right", () => {
    for (const columns of [120, 80, 60, 40, 20, 5]) {
      const lines = screenLines([dataflowView(wide, wideBefore, T0)], { columns, rows: 40, color: false, intervalMs: 250 });
      for (const line of lines) expect([...line].length, `${columns}: '${line}'`).toBeLessThanOrEqual(columns);
    }
    const at80 = screenLines([dataflowView(wide, wideBefore, T0)], { columns: 80, rows: 40, color: false, intervalMs: 250 });
    expect(at80[0]).toBe("flowc top — 1 running dataflow — every 250 ms — q quits");
    const row = at80.find((l) => l.startsWith("a_node")) as string;
    expect(row).toMatch(/^a_node_with… {2}running\s+4\.0\s/);
    expect(row).not.toContain(long);
    // Wide enough: the whole id.
    const at200 = screenLines([dataflowView(wide, wideBefore, T0)], { columns: 200, rows: 40, color: false, intervalMs: 250 });
    expect(at200.some((l) => l.startsWith(`${long}  running`))).toBe(true);
    // Narrow: NODE and STATUS stay, the figures go first.
    const at30 = screenLines([dataflowView(wide, wideBefore, T0)], { columns: 30, rows: 40, color: false, intervalMs: 250 });
    expect(at30.find((l) => l.startsWith("NODE"))).not.toContain("P99");
  });

  it("fits the height: a last line says how many are hidden", () => {
    const lines = screenLines([dataflowView(stats(s2), s1, T0)], { columns: 120, rows: 4, color: false, intervalMs: 1000 });
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe("… 3 more lines (a taller terminal shows them)");
  });

  it("colour: bold header, coloured status; none at all without it (NO_COLOR)", () => {
    const failed = dataflowView(stats(s2, { status: "failed", endedAt: CREATED }), s1, T0);
    const coloured = screenLines([failed], { columns: 120, rows: 40, color: true, intervalMs: 1000, target: "d1" });
    expect(coloured[0]).toBe("\u001b[1mflowc top — dataflow d1 — every 1 s — q quits\u001b[0m");
    expect(coloured.join("\n")).toContain("\u001b[31mfailed\u001b[0m");
    expect(coloured.join("\n")).toContain("\u001b[32mrunning\u001b[0m");
    expect(coloured.at(-1)).toContain("ended");
    // Widths do not count the escapes.
    const plain = screenLines([failed], { columns: 120, rows: 40, color: false, intervalMs: 1000, target: "d1" });
    expect(coloured.map((l) => l.replace(SGR, ""))).toEqual(plain);
    expect(plain.join("\n")).not.toMatch(ESCAPE);
    expect(plain.at(-1)).toBe("dataflow d1 ended: failed — its final figures above; q quits");
  });

  it("none running: says so; a frame overwrites in place and clears what is left", () => {
    const lines = screenLines([], { columns: 80, rows: 24, color: false, intervalMs: 1000 });
    expect(lines).toEqual([
      "flowc top — 0 running dataflows — every 1 s — q quits",
      "",
      "no running dataflows — waiting for `flowc start <flow>`",
    ]);
    expect(frame(["a", "b"])).toBe("\u001b[Ha\u001b[K\r\nb\u001b[K\u001b[J");
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
  });
});
