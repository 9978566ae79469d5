// The dataflow daemon in-process: socket permissions, owner checks, coded errors, the
// dataflow lifecycle, restart policies, the start barrier, placement. Node processes are real.
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Ir } from "@flowc/ir";
import { loadValid, testIr, testSource } from "@flowc/ir/testing";
import { RuntimeError } from "@flowc/runtime";
import { Daemon, DaemonClient, type DaemonPaths, type DataflowSummary, daemonPaths, type StreamEvent } from "@flowc/runtime-dataflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Compiled, compileScenario, NODE_PROCESS, removeCompiled } from "../conformance/harness.js";
import { childProcesses, stopEsbuild } from "../helpers/processes.js";

const home = mkdtempSync(join(tmpdir(), "flowc-daemon-test-"));
const paths: DaemonPaths = daemonPaths({ FLOWC_HOME: home });
let daemon: Daemon;
let chain: Compiled;
let failStop: Compiled;

async function client(): Promise<DaemonClient> {
  return DaemonClient.connect(paths);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RuntimeError) return error.diagnostic.code;
    throw error;
  }
  throw new Error("expected a coded error");
}

async function start(c: DaemonClient, scenario: Compiled, extra: { name?: string; options?: Record<string, unknown>; ir?: Ir } = {}) {
  return c.request<DataflowSummary>({
    op: "start",
    ir: extra.ir ?? scenario.ir,
    baseDir: scenario.baseDir,
    copyBaseDir: false,
    name: extra.name,
    options: extra.options,
    attach: false,
    record: false,
    hold: false,
  });
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const limit = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > limit) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  chain = await compileScenario("chain");
  failStop = await compileScenario("failStop");
  expect(await stopEsbuild()).toEqual([]);
  daemon = await Daemon.start(paths, { machine: "m1", env: process.env });
}, 120_000);

afterAll(async () => {
  await daemon?.shutdown({ force: true });
  // No dataflow leaves shared memory behind.
  expect(readdirSync(paths.stateDir).filter((id) => existsSync(`/dev/shm/flowc-${id}`))).toEqual([]);
  removeCompiled();
  rmSync(home, { recursive: true, force: true });
  expect(childProcesses(NODE_PROCESS)).toEqual([]);
});

describe("the control socket", () => {
  it("is mode 0600 in a 0700 directory, with a 0600 owner token", () => {
    expect(statSync(paths.socket).mode & 0o777).toBe(0o600);
    expect(statSync(paths.runtimeDir).mode & 0o777).toBe(0o700);
    expect(statSync(paths.token).mode & 0o777).toBe(0o600);
  });

  it("answers status with its machine id", async () => {
    const c = await client();
    const status = await c.request<{ machine: string; pid: number }>({ op: "status" });
    c.close();
    expect(status).toMatchObject({ machine: "m1", pid: process.pid });
  });

  it("refuses a peer without the owner token (FLC3203)", async () => {
    const copy = mkdtempSync(join(tmpdir(), "flowc-daemon-token-"));
    writeFileSync(join(copy, "daemon.token"), "not-the-token\n");
    const code = await codeOf(DaemonClient.connect({ ...paths, token: join(copy, "daemon.token") }));
    rmSync(copy, { recursive: true, force: true });
    expect(code).toBe("FLC3203");
  });

  it("will not talk to a socket another user owns (FLC3202)", async () => {
    chownSync(paths.socket, 65534, 65534);
    try {
      expect(await codeOf(DaemonClient.connect(paths))).toBe("FLC3202");
    } finally {
      chownSync(paths.socket, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    }
  });

  it("says when no daemon runs (FLC3201)", async () => {
    expect(await codeOf(DaemonClient.connect(daemonPaths({ FLOWC_HOME: join(home, "nobody") })))).toBe("FLC3201");
  });

  it("refuses a second daemon on the same socket", async () => {
    expect(await codeOf(Daemon.start(paths, { machine: "m1", env: process.env }))).toBe("FLC3210");
  });
});

describe("dataflows", () => {
  it("start, list, logs, stop: a UUIDv7 id, a unique name, per-node logs, a result record", async () => {
    const c = await client();
    const started = await start(c, chain, { name: "d1" });
    expect(started.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await codeOf(start(c, chain, { name: "d1" }))).toBe("FLC3209");
    const list = await c.request<DataflowSummary[]>({ op: "list" });
    const d1 = list.find((d) => d.name === "d1");
    expect(d1?.status).toBe("running");
    expect(Object.values(d1?.processes ?? {}).every((p) => typeof p.pid === "number")).toBe(true);
    const logs = await c.request<{ text: string }>({ op: "logs", dataflow: "d1", node: "sink", follow: false });
    expect(logs.text).toMatch(/flowc spawned pid \d+ in /);
    const stopped = await c.request<DataflowSummary>({ op: "stop", dataflow: "d1" });
    expect(stopped.status).toBe("stopped");
    // The record survives: by id prefix, after the run.
    const again = await c.request<DataflowSummary>({ op: "stop", dataflow: started.id.slice(0, 13) });
    expect(again.status).toBe("stopped");
    const after = await c.request<{ text: string }>({ op: "logs", dataflow: "d1", follow: false });
    expect(after.text).toMatch(/\[sink\] .* flowc process exit code 0/);
    c.close();
    expect(statSync(join(paths.stateDir, started.id, "result.json")).size).toBeGreaterThan(0);
    expect(childProcesses(NODE_PROCESS)).toEqual([]);
  }, 30_000);

  it("unknown dataflows and nodes are coded (FLC3204); an invalid IR is refused with its IR diagnostic", async () => {
    const c = await client();
    const broken = {
      ...chain.ir,
      channels: [...chain.ir.channels, { ...chain.ir.channels[0], id: "x", to: { node: "nowhere", port: "value" } }],
    };
    expect(await codeOf(start(c, chain, { ir: broken as Ir }))).toMatch(/^FLC1\d{3}$/);
    expect(await codeOf(start(c, chain, { ir: { nodes: 3 } as unknown as Ir }))).toMatch(/^FLC1\d{3}$/);
    expect(await codeOf(c.request({ op: "stop", dataflow: "no-such-dataflow" }))).toBe("FLC3204");
    expect(await codeOf(c.request({ op: "logs", dataflow: "no-such-dataflow", follow: false }))).toBe("FLC3204");
    c.close();
  });

  it("a node placed on another machine is refused before anything is spawned (FLC3208)", async () => {
    const c = await client();
    const ir = { ...chain.ir, nodes: chain.ir.nodes.map((n) => (n.id === "sink" ? { ...n, placement: "m2" } : n)) };
    expect(await codeOf(start(c, chain, { ir }))).toBe("FLC3208");
    c.close();
    expect(childProcesses(NODE_PROCESS)).toEqual([]);
  });

  it("a node that dies before the start barrier is named (FLC3207) and nothing starts", async () => {
    const dir = mkdtempSync(join(chain.baseDir, "die-"));
    writeFileSync(join(dir, "die.mjs"), "process.stderr.write('dying on purpose\\n'); process.exit(3);\n");
    const ir = {
      ...chain.ir,
      nodes: chain.ir.nodes.map((n) =>
        n.id === "plus10" ? { ...n, impl: { module: `${dir.slice(chain.baseDir.length + 1)}/die.mjs`, export: "x" } } : n,
      ),
    };
    const c = await client();
    let message = "";
    try {
      await start(c, chain, { ir });
    } catch (error) {
      message = (error as RuntimeError).diagnostic.code + (error as Error).message;
    }
    c.close();
    expect(message).toContain("FLC3207");
    expect(message).toContain("'plus10'");
    expect(message).toContain("exit code 3");
    expect(message).toContain("dying on purpose");
    expect(childProcesses(NODE_PROCESS)).toEqual([]);
  }, 30_000);

  it("SIGKILL of a node: restarted under onFailure with backoff, reported with the node id", async () => {
    const c = await client();
    const events: StreamEvent[] = [];
    const stream = c.stream<DataflowSummary>(
      {
        op: "start",
        ir: chain.ir,
        baseDir: chain.baseDir,
        copyBaseDir: false,
        name: "restarts",
        options: { restart: "onFailure", restartDelayMs: 50 },
        attach: true,
        record: true,
        hold: false,
      },
      (e) => events.push(e),
    );
    const started = await stream.response;
    const pid = started.processes.double?.pid as number;
    const delivered = () =>
      events.filter((e) => e.kind === "records").reduce((n, e) => n + (e.kind === "records" ? e.entries.length : 0), 0);
    await until(() => (delivered() > 3 ? true : undefined));
    process.kill(pid, "SIGKILL");
    const warning = await until(() => events.find((e) => e.kind === "runtime" && e.event.type === "warning" && e.event.code === "FLC3206"));
    expect(JSON.stringify(warning)).toContain("Node 'double' exited (killed by SIGKILL)");
    const restarted = await until(async () => {
      const list = await c.request<DataflowSummary[]>({ op: "list" });
      const p = list.find((d) => d.id === started.id)?.processes.double;
      return p && p.restarts === 1 && p.pid !== null && p.pid !== pid ? p : undefined;
    });
    expect(restarted.restarts).toBe(1);
    // Messages flow through the restarted node again.
    const before = events.filter((e) => e.kind === "records" && e.entries.some((r) => r.channel.startsWith("plus10"))).length;
    await until(() =>
      events.filter((e) => e.kind === "records" && e.entries.some((r) => r.channel.startsWith("plus10"))).length > before + 2
        ? true
        : undefined,
    );
    await c.request({ op: "stop", dataflow: "restarts" });
    c.close();
    expect(childProcesses(NODE_PROCESS)).toEqual([]);
  }, 30_000);

  it("SIGKILL of a node under the default policy (never): FLC3040 naming it, the run fails with causes", async () => {
    const c = await client();
    const events: StreamEvent[] = [];
    const stream = c.stream<DataflowSummary>(
      { op: "start", ir: chain.ir, baseDir: chain.baseDir, copyBaseDir: false, attach: true, record: true, hold: false },
      (e) => events.push(e),
    );
    const started = await stream.response;
    await until(() => (events.some((e) => e.kind === "records") ? true : undefined));
    process.kill(started.processes.double?.pid as number, "SIGKILL");
    const result = (await stream.ended) as {
      status: string;
      nodes: { id: string; status: string; error: { code: string; message: string } | null; cause: string | null }[];
    };
    c.close();
    expect(result.status).toBe("failed");
    const double = result.nodes.find((n) => n.id === "double");
    expect(double?.status).toBe("FAILED");
    expect(double?.error?.code).toBe("FLC3040");
    expect(double?.error?.message).toContain("'double'");
    expect(double?.error?.message).toContain("SIGKILL");
    expect(result.nodes.find((n) => n.id === "counter")?.cause).toBe("the run stopped because node 'double' failed");
  }, 30_000);

  it("a failing step under onFailure is restarted maxRestarts times, then the node fails", async () => {
    const c = await client();
    const events: StreamEvent[] = [];
    const stream = c.stream<DataflowSummary>(
      {
        op: "start",
        ir: failStop.ir,
        baseDir: failStop.baseDir,
        copyBaseDir: false,
        options: { restart: "onFailure", maxRestarts: 2, restartDelayMs: 20 },
        attach: true,
        record: false,
        hold: false,
      },
      (e) => events.push(e),
    );
    const started = await stream.response;
    const result = (await stream.ended) as { status: string; nodes: { id: string; status: string }[] };
    const list = await c.request<DataflowSummary[]>({ op: "list" });
    c.close();
    const restarts = events.filter((e) => e.kind === "runtime" && e.event.type === "warning" && e.event.code === "FLC3206");
    expect(restarts).toHaveLength(2);
    expect(JSON.stringify(restarts[1])).toContain("restart 2 of 2");
    expect(result.status).toBe("failed");
    expect(result.nodes.find((n) => n.id === "boom")?.status).toBe("FAILED");
    expect(list.find((d) => d.id === started.id)?.processes.boom?.restarts).toBe(2);
  }, 30_000);

  it("spawns each node process in its working directory with its environment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flowc-daemon-env-"));
    writeFileSync(
      join(dir, "env.mjs"),
      `export const Env = { kind: "flowc.node", type: "Env", params: {}, spec: { step: (_i, { log }) => { log.info("FOO=" + process.env.FOO + " NODE=" + process.env.FLOWC_NODE + " cwd=" + process.cwd()); } } };\n`,
    );
    const work = mkdtempSync(join(tmpdir(), "flowc-daemon-cwd-"));
    const ir = loadValid(testIr([testSource("env", { impl: { module: "env.mjs", export: "Env" } })], [], "env"));
    const c = await client();
    await c.request({
      op: "start",
      ir,
      baseDir: dir,
      copyBaseDir: false,
      name: "env",
      options: { nodes: { env: { env: { FOO: "bar" }, workingDir: work } } },
      attach: false,
      record: false,
      hold: false,
    });
    const text = await until(async () => {
      const l = await c.request<{ text: string }>({ op: "logs", dataflow: "env", node: "env", follow: false });
      return l.text.includes("FOO=") ? l.text : undefined;
    });
    await c.request({ op: "stop", dataflow: "env", force: true });
    c.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
    expect(text).toContain(`info FOO=bar NODE=env cwd=${work}`);
  }, 30_000);

  it("attach and logs --follow stream a running dataflow until it ends", async () => {
    const c = await client();
    const started = await start(c, chain, { name: "followed" });
    const watcher = await client();
    const lines: string[] = [];
    const follow = watcher.stream<{ text: string; following: boolean }>(
      { op: "logs", dataflow: "followed", node: "sink", follow: true },
      (e) => {
        if (e.kind === "log") lines.push(e.line);
      },
    );
    expect((await follow.response).following).toBe(true);
    const events: StreamEvent[] = [];
    const attached = watcher.stream<DataflowSummary>({ op: "attach", dataflow: started.id }, (e) => events.push(e));
    expect((await attached.response).id).toBe(started.id);
    await c.request({ op: "stop", dataflow: "followed" });
    const result = (await attached.ended) as { status: string };
    await follow.ended;
    watcher.close();
    c.close();
    expect(result.status).toBe("stopped");
    expect(events.some((e) => e.kind === "runtime" && e.event.type === "started")).toBe(true);
    expect(events.some((e) => e.kind === "runtime" && e.event.type === "stopping")).toBe(true);
    expect(lines.some((l) => l.includes("flowc process exit code 0"))).toBe(true);
  }, 30_000);

  it("stop --force kills at once", async () => {
    const c = await client();
    await start(c, chain, { name: "forced" });
    const t0 = performance.now();
    const stopped = await c.request<DataflowSummary>({ op: "stop", dataflow: "forced", force: true });
    c.close();
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(stopped.status).toBe("stopped");
    expect(Object.values(stopped.processes).map((p) => p.signal)).toEqual(["SIGKILL", "SIGKILL", "SIGKILL", "SIGKILL"]);
  }, 30_000);
});

describe("a run attached to the daemon", () => {
  it("honours wait's timeout while the dataflow is quiet, and stops on request", async () => {
    const { dataflowRuntime } = await import("@flowc/runtime-dataflow");
    const env = { ...process.env, FLOWC_HOME: home };
    // A 1 Hz chain: after the first tick nothing happens for a second.
    const execution = await dataflowRuntime.build(chain.ir, { baseDir: chain.baseDir, env, options: { daemon: "running" } });
    await execution.start();
    await execution.wait({ timeoutMs: 300 });
    const started = performance.now();
    expect(await execution.wait({ timeoutMs: 200 })).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(2000);
    const result = await execution.stop({ reason: "signal" });
    expect(result.reason).toBe("signal");
    expect(result.status).toBe("stopped");
  });
});

describe("names and unauthenticated peers", () => {
  it("refuses names outside the grammar (FLC3211) and gives a name to exactly one of several concurrent starts", async () => {
    const c = await client();
    for (const name of ["", "-x", "a\nb", "\u001b[31mred", "x".repeat(10_000), "bad/slash"])
      expect(await codeOf(start(c, chain, { name }))).toBe("FLC3211");
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => start(c, chain, { name: "racer" })));
    const started = results.filter((r) => r.status === "fulfilled");
    expect(started).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect((r.reason as RuntimeError).diagnostic.code).toBe("FLC3209");
    const list = await c.request<DataflowSummary[]>({ op: "list" });
    expect(list.filter((d) => d.name === "racer" && d.status === "running")).toHaveLength(1);
    await c.request({ op: "stop", dataflow: "racer", force: true });
    c.close();
  });

  it("drops a peer that sends an endless line before authenticating, without buffering it", async () => {
    const { createConnection } = await import("node:net");
    const socket = createConnection(paths.socket);
    await new Promise((resolve) => socket.once("connect", resolve));
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.on("error", () => {});
    const chunk = "x".repeat(64 * 1024);
    for (let i = 0; i < 8 && !socket.destroyed; i++) socket.write(chunk);
    await closed;
    expect(socket.destroyed).toBe(true);
    // The daemon still answers everyone else.
    const c = await client();
    expect(await c.request<{ machine: string }>({ op: "status" })).toMatchObject({ machine: "m1" });
    c.close();
  });

  it("drops a peer that never says hello", async () => {
    const { createConnection } = await import("node:net");
    const quietPaths = daemonPaths({ FLOWC_HOME: join(home, "quiet") });
    const quiet = await Daemon.start(quietPaths, { machine: "q", env: process.env, helloTimeoutMs: 200 });
    try {
      const socket = createConnection(quietPaths.socket);
      socket.on("error", () => {});
      const started = performance.now();
      await new Promise((resolve) => socket.once("close", resolve));
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await quiet.shutdown({ force: true });
    }
  });
});
