// The conformance suite: every scenario runs on every registered runtime and mode, and the
// record signatures and RunResult statuses must agree (docs/semantics.md is the contract).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { FLOW_V8_FLAGS, type RunResult, type ChannelSample as StatsChannel, type NodeSample as StatsNode } from "@flowc/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childProcesses, stopEsbuild } from "../helpers/processes.js";
import {
  type Compiled,
  compileScenario,
  ENV,
  MODES,
  NODE_PROCESS,
  node,
  type Outcome,
  removeCompiled,
  run,
  signature,
  startDaemon,
  statuses,
  valuesOn,
} from "./harness.js";

/** The line of tests/conformance/flows/nodes.ts where Boom throws: a failed node's stack must name it. */
const BOOM_THROW_LINE =
  readFileSync(new URL("./flows/nodes.ts", import.meta.url), "utf8")
    .split("\n")
    .findIndex((line) => line.includes("throw new Error(`boom at message")) + 1;

const NAMES = [
  "chain",
  "fanout",
  "fanin",
  "clocks",
  "batch",
  "failStop",
  "failIsolate",
  "block",
  "dropOldest",
  "dropNewest",
  "params",
  "binary",
  "largeBlock",
  "hangSync",
  "hangAsync",
  "parallel",
  "invalid",
  "exitStep",
  "exitSetup",
  "probe",
  "defaults",
  "logReturn",
  "rate3",
  "deadlock",
  "lagError",
  "bigFrames",
  "keptFrames",
  "allocatedFrames",
  "refined",
  "fedCycle",
  "isolateDiscard",
] as const;
type Name = (typeof NAMES)[number];
const compiled = new Map<Name, Compiled>();
const scenario = (name: Name) => compiled.get(name) as Compiled;

/** The first mode's outcome per scenario: later modes must match it. */
const reference = new Map<string, Outcome>();

beforeAll(async () => {
  for (const name of NAMES) compiled.set(name, await compileScenario(name));
  expect(await stopEsbuild()).toEqual([]);
}, 120_000);

afterAll(() => {
  removeCompiled();
  expect(childProcesses(NODE_PROCESS)).toEqual([]);
});

function expectAllStatus(result: RunResult, status: string): void {
  for (const n of result.nodes) expect(n.status, n.id).toBe(status);
}

describe.each(MODES)("$label", (mode) => {
  let stopDaemon: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (mode.daemon) stopDaemon = await startDaemon(mode);
  });
  afterAll(async () => {
    await stopDaemon?.();
  });

  it("chain: counter → ×2 → +10 gives 12, 14, 16, … and no step after the duration", async () => {
    const out = await run(mode, scenario("chain"), { durationMs: 450 });
    const values = valuesOn(out.records, "plus10.value->sink.value");
    const expected = [12, 14, 16, 18, 20];
    if (mode.exact) expect(values).toEqual(expected);
    else {
      expect(values.length).toBeGreaterThanOrEqual(4);
      expect(values).toEqual(expected.slice(0, values.length));
    }
    expect(out.result.status).toBe("stopped");
    expect(out.result.reason).toBe("duration");
    expectAllStatus(out.result, "STOPPED");
    // Ticks at 0, 100, …, 400 ms: five steps, never a sixth after the duration.
    expect(node(out.result, "counter").steps).toBeLessThanOrEqual(5);
    // Durations are wall time on every engine; the logical clock's own time is reported apart.
    if (mode.exact) expect(out.result.logicalDurationMs).toBe(450);
    else expect(out.result.logicalDurationMs).toBeNull();
    for (const n of out.result.nodes) expect(n.durationMs).toBeLessThan(out.result.durationMs + 1);
    expect(out.events.map((e) => e.type)).toEqual(expect.arrayContaining(["built", "started", "nodeStarted", "stopping"]));
  });

  it("fan-out: both branches get every message, in order", async () => {
    const out = await run(mode, scenario("fanout"));
    expect(out.result.status).toBe("succeeded");
    expectAllStatus(out.result, "SUCCEEDED");
    const n = Array.from({ length: 50 }, (_, i) => i + 1);
    expect(valuesOn(out.records, "double.value->a.value")).toEqual(n.map((x) => 2 * x));
    expect(valuesOn(out.records, "square.value->b.value")).toEqual(n.map((x) => x * x));
    compare("fanout", out);
  });

  it("fan-in with a window adapter: merged per channel in order, the window never exceeds its size", async () => {
    const out = await run(mode, scenario("fanin"));
    expect(out.result.status).toBe("succeeded");
    const n = Array.from({ length: 40 }, (_, i) => i + 1);
    expect(valuesOn(out.records, "left.value->win.values")).toEqual(n);
    expect(valuesOn(out.records, "shift.value->win.values")).toEqual(n.map((x) => x + 1000));
    expect(node(out.result, "win").messagesIn).toBe(80);
    const sizes = valuesOn(out.records, "win.size->sizes.value") as number[];
    expect(sizes.every((s) => s >= 1 && s <= 4)).toBe(true);
    expect(sizes.at(-1)).toBe(4);
  });

  it("rate vs trigger vs hybrid", async () => {
    const out = await run(mode, scenario("clocks"), { durationMs: 1000 });
    const steps = (id: string) => node(out.result, id).steps;
    const causes = valuesOn(out.records, "mixed.cause->m.value") as string[];
    if (mode.exact) {
      // rate(20) over 1 s: ticks at 0, 50, …, 950; rate(5): 0, 200, …, 800; hybrid(10): 10 ticks + 5 messages.
      expect(steps("fast")).toBe(20);
      expect(steps("triggered")).toBe(20);
      expect(steps("slow")).toBe(5);
      expect(steps("mixed")).toBe(15);
      expect(causes.filter((c) => c === "tick")).toHaveLength(10);
      expect(causes.filter((c) => c === "value")).toHaveLength(5);
    } else {
      expect(steps("fast")).toBeGreaterThanOrEqual(17);
      expect(steps("fast")).toBeLessThanOrEqual(20);
      // Messages sent just before the duration may still wait when it passes (no step starts after it).
      expect(steps("triggered")).toBeGreaterThanOrEqual(steps("fast") - 3);
      expect(steps("triggered")).toBeLessThanOrEqual(steps("fast"));
      expect(steps("slow")).toBeGreaterThanOrEqual(4);
      // A tick and a message due together may share one step ("value+tick") on wall clocks, and
      // the output of a step right at the duration may not be taken by the sink any more.
      const ticks = causes.filter((c) => c.includes("tick")).length;
      expect(ticks).toBeGreaterThanOrEqual(8);
      expect(ticks).toBeLessThanOrEqual(10);
      const valueSteps = causes.filter((c) => c.includes("value")).length;
      expect(valueSteps).toBeLessThanOrEqual(node(out.result, "mixed").messagesIn);
      expect(valueSteps).toBeGreaterThanOrEqual(node(out.result, "mixed").messagesIn - 1);
      expect(node(out.result, "mixed").messagesIn).toBeGreaterThanOrEqual(4);
      expect(steps("mixed")).toBeLessThanOrEqual(15);
    }
    // Trigger ≠ rate: the trigger node steps only when a message came.
    expect(valuesOn(out.records, "triggered.cause->t.value").every((c) => c === "value")).toBe(true);
  });

  it("a finite batch DAG completes with per-node results", async () => {
    const out = await run(mode, scenario("batch"));
    expect(out.result.status).toBe("succeeded");
    expect(out.result.reason).toBe("completed");
    expect(statuses(out.result)).toEqual({
      numbers: "SUCCEEDED",
      double: "SUCCEEDED",
      plus: "SUCCEEDED",
      total: "SUCCEEDED",
      sink: "SUCCEEDED",
    });
    expect(node(out.result, "numbers").messagesOut).toBe(200);
    expect(node(out.result, "double").steps).toBe(200);
    expect(node(out.result, "plus").messagesIn).toBe(200);
    expect(node(out.result, "total").messagesIn).toBe(200);
    const sums = valuesOn(out.records, "total.sum->sink.value") as number[];
    expect(sums.reduce((a, b) => a + b, 0)).toBe(40_400);
    for (const n of out.result.nodes) {
      expect(n.durationMs).toBeGreaterThanOrEqual(0);
      expect(n.error).toBeNull();
    }
    compare("batch", out, ["numbers.value->double.value", "double.value->plus.value", "plus.value->total.values"]);
  });

  it("a failing node under onError stop: the run fails, downstream never-run nodes are SKIPPED", async () => {
    const out = await run(mode, scenario("failStop"), { durationMs: 10_000 });
    expect(out.result.status).toBe("failed");
    expect(out.result.reason).toBe("failure");
    expect(statuses(out.result)).toEqual({ src: "STOPPED", boom: "FAILED", after: "SKIPPED", ok: "STOPPED" });
    const boom = node(out.result, "boom");
    expect(boom.error).toMatchObject({ nodeId: "boom", message: "boom at message 3" });
    expect(boom.error?.stack).toContain("boom at message 3");
    // The stack names the node's source line, not the bundle the engine loaded.
    expect(boom.error?.stack).toMatch(new RegExp(`flows/nodes\\.ts:${BOOM_THROW_LINE}:\\d+`));
    expect(node(out.result, "after").cause).toContain("'boom' failed");
    expect(out.events).toContainEqual(expect.objectContaining({ type: "nodeFailed", node: "boom" }));
  });

  it("a failing node under onError isolate: the rest keeps running", async () => {
    // Two seconds, not the half second the assertions need: on a loaded machine a wall-clock
    // engine skips ticks it missed, and boom must still see its third message.
    const out = await run(mode, scenario("failIsolate"), { durationMs: 2000 });
    expect(out.result.status).toBe("stopped");
    expect(out.result.reason).toBe("duration");
    expect(statuses(out.result)).toEqual({ src: "STOPPED", boom: "FAILED", after: "SUCCEEDED", ok: "STOPPED" });
    expect(node(out.result, "ok").messagesIn).toBeGreaterThan(3);
  });

  it("a node failed in isolation discards what arrives later: its producer never waits on it", async () => {
    const out = await run(mode, scenario("isolateDiscard"));
    expect(out.result.status).toBe("succeeded");
    expect(statuses(out.result)).toEqual({ src: "SUCCEEDED", boom: "FAILED", ok: "SUCCEEDED" });
    expect(node(out.result, "boom")).toMatchObject({ messagesIn: 3, dropped: 47 });
    expect(node(out.result, "ok")).toMatchObject({ messagesIn: 50, dropped: 0 });
    expect(valuesOn(out.records, "src.value->boom.value")).toEqual([1, 2, 3]);
  });

  it("block with a slow consumer and 100,000 messages: none lost, none duplicated, in order", async () => {
    const out = await run(mode, scenario("block"));
    expect(out.result.status).toBe("succeeded");
    const seqs = out.records.filter((r) => r.channel === "flood.value->sink.values").map((r) => r.seq);
    expect(seqs).toHaveLength(100_000);
    let inOrder = true;
    for (let i = 0; i < seqs.length; i++) if (seqs[i] !== i) inOrder = false;
    expect(inOrder).toBe(true);
    expect(node(out.result, "sink").dropped).toBe(0);
    expect(node(out.result, "sink").messagesIn).toBe(100_000);
  }, 120_000);

  it("dropOldest keeps exactly the newest messages", async () => {
    const out = await run(mode, scenario("dropOldest"));
    expect(valuesOn(out.records, "gate.kept->sink.value")).toEqual([[15, 16, 17, 18, 19]]);
    expect(signature(out.records, ["burst.data->gate.data"])).toEqual({
      "burst.data->gate.data": [15, 16, 17, 18, 19].map((v) => [v, v]),
    });
    expect(node(out.result, "gate").dropped).toBe(15);
  });

  it("dropNewest keeps exactly the oldest messages", async () => {
    const out = await run(mode, scenario("dropNewest"));
    expect(valuesOn(out.records, "gate.kept->sink.value")).toEqual([[0, 1, 2, 3, 4]]);
    expect(node(out.result, "gate").dropped).toBe(15);
  });

  it("live statistics: samples only grow, and the last one of each node and channel is the result", async () => {
    for (const [name, durationMs] of [
      ["clocks", 1000],
      ["dropOldest", undefined],
    ] as const) {
      const scenarioIr = scenario(name);
      const out = await run(mode, scenarioIr, { ...(durationMs ? { durationMs } : {}), sampleMs: 100 });
      const samples = out.events.flatMap((e) => (e.type === "stats" ? [e.sample] : []));
      // A second of run time (logical inline) at 100 ms; a burst may end before its first interval.
      expect(samples.length, name).toBeGreaterThanOrEqual(durationMs ? 5 : 1);
      const last = new Map<string, StatsNode>();
      const lastChannel = new Map<string, StatsChannel>();
      for (const s of samples) {
        for (const [id, n] of Object.entries(s.nodes)) {
          const before = last.get(id);
          if (before) expect(n.steps, `${name}: ${id} steps never go back`).toBeGreaterThanOrEqual(before.steps);
          last.set(id, n);
        }
        for (const [id, c] of Object.entries(s.channels)) lastChannel.set(id, c);
      }
      expect([...last.keys()].sort()).toEqual(scenarioIr.ir.nodes.map((n) => n.id).sort());
      for (const n of out.result.nodes) {
        const s = last.get(n.id) as StatsNode;
        expect({ id: n.id, steps: s.steps, in: s.messagesIn, out: s.messagesOut, dropped: s.dropped }).toEqual({
          id: n.id,
          steps: n.steps,
          in: n.messagesIn,
          out: n.messagesOut,
          dropped: n.dropped,
        });
        expect(
          s.stepMs.reduce((sum, [, count]) => sum + count, 0),
          `${name}: ${n.id} histogram`,
        ).toBe(n.steps);
        const into = scenarioIr.ir.channels.filter((c) => c.to.node === n.id);
        expect(
          into.reduce((sum, c) => sum + (lastChannel.get(c.id)?.taken ?? 0), 0),
          `${name}: ${n.id} taken`,
        ).toBe(n.messagesIn);
      }
      if (name === "dropOldest") expect(lastChannel.get("burst.data->gate.data")?.dropped).toBe(15);
    }
  });

  it("params reach the node, validated", async () => {
    const out = await run(mode, scenario("params"));
    expect(valuesOn(out.records, "d.text->sink.value")).toEqual(["cam:3:a,b:-1-2.5"]);
    const bad = scenario("params");
    const ir = { ...bad.ir, nodes: bad.ir.nodes.map((n) => (n.id === "d" ? { ...n, params: { ...n.params, factor: 0 } } : n)) };
    await expect(run(mode, { ir, baseDir: bad.baseDir })).rejects.toMatchObject({
      diagnostic: { code: "FLC3043", message: expect.stringMatching(/node 'd'.*FLC3012.*\/factor/) },
    });
  });

  it("validate: true stops a message that breaks its port schema, naming channel and path", async () => {
    const off = await run(mode, scenario("invalid"));
    expect(off.result.status).toBe("succeeded");
    expect(valuesOn(off.records, "liar.reading->sink.value")).toHaveLength(2);
    const on = await run(mode, scenario("invalid"), { extra: { validate: true } });
    expect(on.result.status).toBe("failed");
    const liar = node(on.result, "liar");
    expect(liar.status).toBe("FAILED");
    expect(liar.error).toMatchObject({ code: "FLC3020", nodeId: "liar" });
    expect(liar.error?.message).toContain("channel 'liar.reading->sink.value'");
    expect(liar.error?.message).toContain("at /level: expected a number");
    // The bad message never leaves; the good one may or may not be taken before the run stops.
    for (const v of valuesOn(on.records, "liar.reading->sink.value")) expect(v).toEqual({ id: 1, level: 0.5 });
  });

  it("node ids like __proto__ and constructor run like any other", async () => {
    const base = scenario("batch");
    const rename: Record<string, string> = { numbers: "__proto__", double: "constructor", plus: "toString" };
    const id = (n: string) => (Object.hasOwn(rename, n) ? (rename[n] as string) : n);
    const ir = {
      ...base.ir,
      nodes: base.ir.nodes.map((n) => ({ ...n, id: id(n.id) })),
      channels: base.ir.channels.map((c) => {
        const from = { node: id(c.from.node), port: c.from.port };
        const to = { node: id(c.to.node), port: c.to.port };
        return { ...c, id: `${from.node}.${from.port}->${to.node}.${to.port}`, from, to };
      }),
    };
    const out = await run(mode, { ir, baseDir: base.baseDir });
    expect(out.result.status).toBe("succeeded");
    expect(out.result.nodes.map((n) => n.id)).toEqual(["__proto__", "constructor", "toString", "total", "sink"]);
    expect(valuesOn(out.records, "__proto__.value->constructor.value")).toHaveLength(200);
    expect(node(out.result, "constructor").steps).toBe(200);
  });

  it("validate: true enforces zod refinements: 1.5 on a z.number().int().min(0) port is FLC3020", async () => {
    const out = await run(mode, scenario("refined"), { extra: { validate: true } });
    expect(out.result.status).toBe("failed");
    const count = node(out.result, "count");
    expect(count.error).toMatchObject({ code: "FLC3020", nodeId: "count" });
    expect(count.error?.message).toContain("expected an integer ≥ 0, got 1.5");
    // The bad message never leaves; the good one may or may not be taken before the run stops.
    for (const v of valuesOn(out.records, "count.value->sink.value")) expect(v).toBe(3);
  });

  it("a 4 MB binary payload arrives intact", async () => {
    const out = await run(mode, scenario("binary"));
    expect(valuesOn(out.records, "check.ok->sink.value")).toEqual([true]);
    const frame = new Uint8Array(4 * 1024 * 1024);
    for (let i = 0; i < frame.length; i++) frame[i] = (i * 31 + 7) & 0xff;
    const sha256 = createHash("sha256").update(frame).digest("hex");
    expect(valuesOn(out.records, "frame.frame->check.frame")).toEqual([{ $binary: frame.length, sha256 }]);
  });

  it("large frames back to back over block: every one whole and in order, then the end of stream", async () => {
    const out = await run(mode, scenario("largeBlock"));
    expect(out.result.status).toBe("succeeded");
    expect(valuesOn(out.records, "index.index->sink.value")).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expectAllStatus(out.result, "SUCCEEDED");
  });

  it("parallelism: a stateless node on a pool keeps message order", async () => {
    const out = await run(mode, scenario("parallel"));
    expect(out.result.status).toBe("succeeded");
    expect(valuesOn(out.records, "work.value->sink.value")).toEqual(Array.from({ length: 300 }, (_, i) => 2 * (i + 1)));
    expect(node(out.result, "work").steps).toBe(300);
    // Each pooled step busy-waits 1 ms in the pool's thread: cpuMs counts them, not just the dispatch.
    expect(node(out.result, "work").cpuMs).toBeGreaterThanOrEqual(300);
    compare("parallel", out);
  });

  it("a node that hangs in step is stopped by the grace ladder", async () => {
    const flow = mode.exact ? "hangAsync" : "hangSync"; // a spinning step cannot be interrupted on the calling thread
    const started = performance.now();
    const out = await run(mode, scenario(flow), { stopAfterMs: 300, graceMs: 300 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(statuses(out.result)).toEqual({ src: "STOPPED", hang: "STOPPED" });
    expect(out.events).toContainEqual(expect.objectContaining({ type: "warning", node: "hang", code: "FLC3041" }));
    expect(childProcesses(NODE_PROCESS)).toEqual([]);
  });
});

// Ordinary flows, written as a user would: each once gave different results on different engines.
describe.each(MODES)("$label: ordinary flows agree", (mode) => {
  let stopDaemon: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (mode.daemon) stopDaemon = await startDaemon(mode);
  });
  afterAll(async () => {
    await stopDaemon?.();
  });

  it("a finite source into a channel left at its defaults loses nothing", async () => {
    const out = await run(mode, scenario("defaults"));
    expect(out.result.status).toBe("succeeded");
    expect(node(out.result, "count").messagesIn).toBe(100);
    expect(node(out.result, "count").dropped).toBe(0);
    expect(signature(out.records, ["src.value->count.value"])["src.value->count.value"]).toEqual(
      Array.from({ length: 100 }, (_, i) => [i, i + 1]),
    );
    compare("defaults", out);
  });

  it("what log.info returns is never taken as output", async () => {
    const out = await run(mode, scenario("logReturn"));
    expect(out.result.status).toBe("succeeded");
    expect(node(out.result, "log")).toMatchObject({ status: "SUCCEEDED", steps: 5, messagesOut: 0, error: null });
  });

  it("rate(3) for 2 s steps six times, never at or after the duration", async () => {
    const out = await run(mode, scenario("rate3"), { durationMs: 2000 });
    const steps = node(out.result, "ticks").steps;
    // Exact on the logical clock; a wall clock under load may miss the edge tick, never add one.
    if (mode.exact) expect(steps).toBe(6);
    else {
      expect(steps).toBeGreaterThanOrEqual(5);
      expect(steps).toBeLessThanOrEqual(6);
    }
    for (const r of out.records) expect(r.t).toBeLessThan(2000);
    if (mode.exact) expect(out.records.map((r) => r.t)).toEqual([0, 1, 2, 3, 4, 5].map((k) => (k * 1000) / 3));
  });

  it("a deadlock ends the run with FLC3042 naming the blocked nodes and channels", async () => {
    const started = performance.now();
    const out = await run(mode, scenario("deadlock"));
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(out.result.status).toBe("failed");
    expect(out.result.reason).toBe("deadlock");
    const warning = out.events.find((e) => e.type === "warning" && e.code === "FLC3042") as { message: string } | undefined;
    expect(warning?.message).toContain("'src' waits for room on the full block channel 'src.value->pair.a'");
    expect(warning?.message).toContain("'pair' waits for input");
    expect(warning?.message).toContain("'quiet' waits for input");
    expect(statuses(out.result)).toEqual({ src: "STOPPED", quiet: "STOPPED", pair: "STOPPED" });
    expect(childProcesses(NODE_PROCESS)).toEqual([]);
  });

  it("a cycle fed from outside completes once its source ended and the loop is empty (quiescence)", async () => {
    const out = await run(mode, scenario("fedCycle"));
    expect(out.result.status).toBe("succeeded");
    expect(out.result.reason).toBe("completed");
    expectAllStatus(out.result, "SUCCEEDED");
    expect(valuesOn(out.records, "head.out->sink.value")).toEqual([1, 2, 3, 4, 5]);
    expect(valuesOn(out.records, "body.value->head.back")).toHaveLength(15);
    expect(out.events.some((e) => e.type === "warning" && e.code === "FLC3042")).toBe(false);
    expect(childProcesses(NODE_PROCESS)).toEqual([]);
  });

  it("onLag error: a step that overruns its period fails the node with FLC3030", async () => {
    const out = await run(mode, scenario("lagError"), { durationMs: 5000 });
    expect(out.result.status).toBe("failed");
    const busy = node(out.result, "busy");
    expect(busy.status).toBe("FAILED");
    expect(busy.error?.code).toBe("FLC3030");
    expect(busy.steps).toBe(1);
  });

  it("two 64 MB frames on three block channels all arrive whole, then the end of stream", async () => {
    const out = await run(mode, scenario("bigFrames"));
    expect(out.result.status).toBe("succeeded");
    for (const id of ["c1", "c2", "c3"]) expect(valuesOn(out.records, `${id}.index->${id}sink.value`)).toEqual([0, 1]);
    expectAllStatus(out.result, "SUCCEEDED");
  }, 180_000);

  it("frames a node writes where they travel (ctx.allocate) arrive whole on every channel", async () => {
    const out = await run(mode, scenario("allocatedFrames"));
    expect(out.result.status).toBe("succeeded");
    const indices = Array.from({ length: 10 }, (_, i) => i);
    expect(valuesOn(out.records, "direct.index->directsink.value")).toEqual(indices);
    expect(valuesOn(out.records, "relayed.index->relayedsink.value")).toEqual(indices);
    expectAllStatus(out.result, "SUCCEEDED");
  });

  it("large frames a window keeps or a node forwards stay whole while they are shown", async () => {
    const out = await run(mode, scenario("keptFrames"));
    expect(out.result.status).toBe("succeeded");
    const seen = valuesOn(out.records, "win.seen->winsink.value") as number[];
    expect(seen).not.toContain(-1);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(40);
    expect(valuesOn(out.records, "check.index->checksink.value")).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expectAllStatus(out.result, "SUCCEEDED");
  });
});

// mp inline runs every node on the calling thread: a node that exits ends the program (no isolation by design).
describe.each(MODES.filter((m) => m.isolation !== "none"))("$label: supervision of isolated executors", (mode) => {
  let stopDaemon: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (mode.daemon) stopDaemon = await startDaemon(mode);
  });
  afterAll(async () => {
    await stopDaemon?.();
  });
  const processes = mode.isolation === "process";
  const fused = mode.fused === true;

  it("an executor that dies is FLC3040 naming its node, with the exit status and the end of its stderr", async () => {
    const out = await run(mode, scenario("exitStep"), { durationMs: 20_000 });
    expect(out.result.status).toBe("failed");
    expect(out.result.reason).toBe("failure");
    const dies = node(out.result, "dies");
    expect(dies.status).toBe("FAILED");
    expect(dies.error?.code).toBe("FLC3040");
    expect(dies.error?.nodeId).toBe("dies");
    expect(dies.error?.message).toContain("exit code 7");
    expect(dies.error?.message).toContain("exiting at message 3 with code 7");
    // A fused executor runs both nodes: they die together.
    if (!fused) expect(node(out.result, "src").status).not.toBe("FAILED");
    expect(childProcesses(NODE_PROCESS)).toEqual([]);
  });

  it("an executor that dies during bring-up is FLC3207 naming its node; nothing runs", async () => {
    const error = await run(mode, scenario("exitSetup")).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ diagnostic: { code: "FLC3207" }, nodeId: fused ? "src" : "dies" });
    expect((error as Error).message).toContain("exit code 5");
    expect((error as Error).message).toContain("exiting in setup with code 5");
    expect(childProcesses(NODE_PROCESS)).toEqual([]);
  });

  it("executors see the run's environment; processes get flowc's V8 flags, then FLOWC_NODE_EXEC_ARGV", async () => {
    const out = await run(mode, scenario("probe"));
    expect(out.result.status).toBe("succeeded");
    expect(valuesOn(out.records, "probe.env->sink.value")).toEqual(["marked"]);
    expect(valuesOn(out.records, "probe.execArgv->flags.value")).toEqual([processes ? [...FLOW_V8_FLAGS, "--no-warnings"] : []]);
  });

  it("bad runtime options are FLC3003 from build, as from check", async () => {
    const bogus = { ...mode.options, bogus: true };
    expect(mode.runtime.check(scenario("chain").ir, bogus, ENV).map((d) => d.code)).toEqual(["FLC3003"]);
    await expect(run(mode, scenario("chain"), { extra: { bogus: true } })).rejects.toMatchObject({ diagnostic: { code: "FLC3003" } });
  });

  it("the run's peak memory counts each executor process once, on top of the supervisor's own", async () => {
    const out = await run(mode, scenario("batch"));
    const own = process.resourceUsage().maxRSS * 1024;
    const nodes = out.result.nodes.map((n) => n.peakMemoryBytes ?? 0);
    for (const n of nodes) expect(n).toBeGreaterThan(0);
    if (processes) expect(out.result.peakMemoryBytes).toBeGreaterThanOrEqual(own + nodes.reduce((a, b) => a + b, 0) - 64 * 1024 * 1024);
    else expect(out.result.peakMemoryBytes).toBeGreaterThanOrEqual(Math.max(...nodes));
  });
});

/** Later modes must deliver exactly what the first mode delivered on these channels. */
function compare(name: string, out: Outcome, channels?: readonly string[]): void {
  const first = reference.get(name);
  if (!first) {
    reference.set(name, out);
    return;
  }
  expect(signature(out.records, channels)).toEqual(signature(first.records, channels));
  expect(statuses(out.result)).toEqual(statuses(first.result));
}
