import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadValid, testChannel, testIr, testNode, testSource } from "@flowc/ir/testing";
import { epochNow, shmDirFor, tickTime } from "@flowc/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { uuidv7 } from "./id.js";
import { LogFile, readLog } from "./logs.js";
import { planPlacement, unreachableNodes } from "./routing.js";
import { StateStore, writeJsonAtomic } from "./state.js";
import { DaemonTimers } from "./timers.js";

const dir = mkdtempSync(join(tmpdir(), "flowc-df-parts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("uuidv7", () => {
  it("is an RFC 9562 version 7 id that sorts by creation time", () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(Number.parseInt(a.replace(/-/g, "").slice(0, 12), 16)).toBe(1_700_000_000_000);
    expect(new Set(Array.from({ length: 1000 }, () => uuidv7())).size).toBe(1000);
  });
});

describe("DaemonTimers", () => {
  it("runs one timer per distinct rate, phase-locked to the start", async () => {
    const ticks: [string[], number][] = [];
    const timers = new DaemonTimers((nodes, at) => ticks.push([[...nodes], at]));
    timers.add(50, "a");
    timers.add(50, "b");
    timers.add(20, "c");
    expect(timers.count).toBe(2);
    timers.start(epochNow(), 110);
    await new Promise((r) => setTimeout(r, 200));
    timers.stop();
    const fast = ticks.filter(([n]) => n.includes("a")).map(([, at]) => at);
    const slow = ticks.filter(([n]) => n.includes("c")).map(([, at]) => at);
    expect(ticks.every(([n]) => n.join() === "a,b" || n.join() === "c")).toBe(true);
    // Phase-locked: multiples of the interval from 0, increasing, none at or after the end
    // (under load a late timer skips ticks, which the next test covers).
    for (const [list, interval] of [
      [fast, 20],
      [slow, 50],
    ] as const) {
      expect(list[0]).toBe(0);
      expect(list.every((at, i) => at % interval === 0 && (i === 0 || at > (list[i - 1] as number)) && at < 110)).toBe(true);
    }
    expect(fast.length).toBeGreaterThanOrEqual(3);
    expect(timers.lastTickOf("b")).toBe(fast.at(-1));
  });

  it("sends the same tick times as a node's clock computes: k · 1000 / hz, exact on whole milliseconds", async () => {
    const ticks: number[] = [];
    const timers = new DaemonTimers((_, at) => ticks.push(at));
    timers.add(3, "a");
    // Started 1.8 s ago with a 2 s duration: the latest due tick (k = 5) goes out, and the next,
    // k = 6 at exactly 2000 ms, is at the end: no timer is left for it.
    timers.start(epochNow() - 1800, 2000);
    timers.stop();
    expect(ticks).toEqual([tickTime(5, 3)]);
  });

  it("skips the ticks it missed while the daemon was busy instead of bursting", async () => {
    const ticks: number[] = [];
    const timers = new DaemonTimers((_, at) => ticks.push(at));
    timers.add(100, "a");
    timers.start(epochNow(), undefined);
    const busyUntil = performance.now() + 55;
    while (performance.now() < busyUntil) {}
    await new Promise((r) => setTimeout(r, 5));
    timers.stop();
    // Tick 0 went out at the start; the next one is the latest due (50), not 10, 20, 30, 40.
    expect(ticks[0]).toBe(0);
    expect(ticks[1]).toBeGreaterThanOrEqual(50);
    expect(ticks).toEqual([...new Set(ticks)].sort((x, y) => x - y));
  });
});

describe("LogFile", () => {
  it("rotates past its size, keeps `keep` old files, and reads back in order", () => {
    const path = join(dir, "node.log");
    const log = new LogFile(path, 200, 2);
    for (let i = 0; i < 30; i++) log.line("stdout", `line ${i}`);
    log.chunk("stderr", "partial ");
    log.chunk("stderr", "line\nlast");
    log.close();
    expect(
      readdirSync(dir)
        .filter((f) => f.startsWith("node.log"))
        .sort(),
    ).toEqual(["node.log", "node.log.1", "node.log.2"]);
    const text = readLog(path, 2);
    const numbers = [...text.matchAll(/line (\d+)/g)].map((m) => Number(m[1]));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(numbers.at(-1)).toBe(29);
    expect(text).toContain("stderr partial line");
    expect(text).toContain("stderr last");
    expect(log.stderrTail()).toBe("partial line\nlast");
  });
});

describe("placement", () => {
  const ir = loadValid(
    testIr(
      [testSource("a"), testNode("b", { placement: "m2" }), testNode("c")],
      [testChannel("a.value", "b.value"), testChannel("a.value", "c.value")],
    ),
  );
  it("routes channels within a machine locally and across machines through the daemons", () => {
    const plan = planPlacement(ir, "m1");
    expect(plan.local).toEqual(["a", "c"]);
    expect(plan.machines.get("m2")).toEqual(["b"]);
    expect(plan.routes.map((r) => r.kind)).toEqual(["remote", "local"]);
  });
  it("refuses nodes on machines no daemon that is up serves (FLC3208, listing those up), and accepts them once one is", () => {
    const plan = planPlacement(ir, "m1");
    expect(unreachableNodes(plan).map((d) => [d.code, d.message])).toEqual([
      ["FLC3208", "Node 'b' is placed on machine 'm2', but no daemon for 'm2' is up (this daemon is 'm1'; up: 'm1')."],
    ]);
    expect(unreachableNodes(plan, new Set(["m1", "m3"]))[0]?.message).toContain("up: 'm1', 'm3'");
    expect(unreachableNodes(plan, new Set(["m2"]))).toEqual([]);
  });
});

describe("StateStore.recoverLost", () => {
  it("records dataflows whose owner died as failed and frees their shared memory; leaves live owners' and ended ones alone", async () => {
    const state = join(dir, "state");
    const { spawn } = await import("node:child_process");
    const sleeper = spawn("sleep", ["30"]);
    const dead = spawn("true");
    await new Promise((r) => dead.once("exit", r));
    const info = (id: string, ownerPid: number) => ({
      id,
      name: null,
      flow: "f",
      machine: "m",
      nodes: ["a"],
      baseDir: "/",
      createdAt: new Date().toISOString(),
      ownerPid,
    });
    const ids = { lost: uuidv7(), live: uuidv7(), ended: uuidv7() };
    for (const [key, pid] of [
      ["lost", dead.pid],
      ["live", sleeper.pid],
      ["ended", dead.pid],
    ] as const) {
      mkdirSync(join(state, ids[key]), { recursive: true });
      writeJsonAtomic(join(state, ids[key], "dataflow.json"), info(ids[key], pid as number));
    }
    writeJsonAtomic(join(state, ids.ended, "result.json"), { ended: true });
    const shm = shmDirFor(ids.lost, join(state, ids.lost));
    mkdirSync(shm, { recursive: true });
    try {
      const store = new StateStore(state);
      expect(store.recoverLost()).toEqual([ids.lost]);
      const record = store.find(ids.lost)?.record;
      expect(record?.status).toBe("failed");
      expect(record?.result.nodes[0]?.cause).toBe(`the process that ran it (pid ${dead.pid}) died before it ended`);
      expect(existsSync(shm)).toBe(false);
      expect(existsSync(join(state, ids.live, "result.json"))).toBe(false);
      expect(store.find(ids.ended)?.record).toEqual({ ended: true });
      expect(store.recoverLost()).toEqual([]);
    } finally {
      sleeper.kill("SIGKILL");
    }
  });
});

describe("StateStore lookups", () => {
  const root = join(dir, "lookups");
  const store = new StateStore(root);
  const info = (id: string, name: string | null) => ({
    id,
    name,
    flow: "f",
    machine: "m",
    nodes: ["a", "b/c"],
    baseDir: "/",
    createdAt: new Date().toISOString(),
    ownerPid: process.pid,
  });
  const older = uuidv7(1_700_000_000_000);
  const newer = uuidv7(1_700_000_000_001);
  for (const [id, name] of [
    [older, "d1"],
    [newer, "d1"],
  ] as const) {
    mkdirSync(join(root, id, "logs"), { recursive: true });
    store.writeInfo(info(id, name));
  }

  it("finds a dataflow by id, by name (the newest), by a unique id prefix of 4 or more", () => {
    expect(store.find(older)?.info.id).toBe(older);
    expect(store.find("d1")?.info.id).toBe(newer);
    expect(store.find(newer.slice(0, 30))?.info.id).toBe(newer);
    // Both ids start alike (same millisecond prefix): an ambiguous prefix names nothing, nor does a short one.
    expect(store.find(older.slice(0, 8))).toBeUndefined();
    expect(store.find(older.slice(0, 3))).toBeUndefined();
    expect(store.find("nosuch")).toBeUndefined();
    expect(store.list().map((d) => d.info.id)).toEqual([newer, older]);
  });

  it("reads one node's log, or every node's with [node] prefixes; node ids are safe file names", () => {
    expect(store.logFile(newer, "b/c")).toBe(join(root, newer, "logs", "b_c.log"));
    const a = new LogFile(store.logFile(newer, "a"));
    a.line("stdout", "hello");
    a.close();
    const b = new LogFile(store.logFile(newer, "b/c"));
    b.line("stderr", "oops");
    b.close();
    const found = store.find(newer);
    if (!found) throw new Error("the dataflow is recorded");
    expect(store.readLogs(found.info, "a")).toMatch(/ stdout hello\n$/);
    const all = store.readLogs(found.info);
    expect(all).toMatch(/^\[a\] .* stdout hello\n\[b\/c\] .* stderr oops\n$/);
  });
});
