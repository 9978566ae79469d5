// The dataflow runtime from the command line, with the built executable: the issue's
// acceptance sequence, orphan protection when the daemon dies, and the coded errors.
import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bin, flowc, flowcProcess, type Run, root } from "./helpers.js";

const home = mkdtempSync(join(tmpdir(), "flowc-dataflow-cli-"));

/** The built flowc with this file's own FLOWC_HOME. */
function flowcIn(args: string[], env: Record<string, string> = {}, timeout = 60_000): Run {
  return flowcProcess(args, { env: { FLOWC_HOME: home, ...env }, timeout });
}

/** Node processes of the dataflow runtime still alive anywhere on the machine, for this FLOWC_HOME's daemon. */
function nodeProcesses(): number[] {
  const out = spawnSync("pgrep", ["-f", "runtime/dist/executor/child-main.js"], { encoding: "utf8" }).stdout;
  return out
    .split("\n")
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0 && readFileSync(`/proc/${n}/environ`, "utf8").includes(`FLOWC_HOME=${home}`));
}

/** Running (a zombie has exited: it only waits for whoever adopted it to reap it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

afterAll(() => {
  try {
    flowcIn(["daemon", "stop", "--force"]);
    // No dataflow leaves shared memory behind (no state directory: no test of this file ran one).
    const ids = existsSync(join(home, "state")) ? readdirSync(join(home, "state")) : [];
    expect(ids.filter((id) => existsSync(`/dev/shm/flowc-${id}`))).toEqual([]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

describe("flowc with the dataflow runtime", () => {
  it("run --runtime dataflow needs no daemon: 12, then 14, with the lifecycle", () => {
    const r = flowcIn(["run", "examples/demo.flow.ts", "--runtime", "dataflow", "--duration", "3", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 2)).toEqual(["[sink] final value 12", "[sink] final value 14"]);
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({ flow: "demo", runtime: "dataflow", status: "stopped", reason: "duration" });
    expect(r.stderr).toContain("flowc: built: 4 executors (process per node), 3 channels");
    expect(r.stderr).toContain("flowc: started");
    expect(r.stderr).toMatch(/flowc: stopped: stopped after 3\.\d\d s \(duration\); nodes: 4 STOPPED; every executor ended cleanly/);
    expect(nodeProcesses()).toEqual([]);
    // Its logs and result record are in the state directory; `flowc logs` reads them without a daemon.
    const [id] = readdirSync(join(home, "state"));
    const logs = flowcIn(["logs", id as string]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^\[sink\] .* info final value 14$/m);
    expect(JSON.parse(readFileSync(join(home, "state", id as string, "result.json"), "utf8")).result.status).toBe("stopped");
  }, 60_000);

  it("Ctrl-C stops an embedded dataflow gracefully: exit 130, every node STOPPED, no node process left", async () => {
    const child = spawn(process.execPath, [bin, "run", "examples/demo.flow.ts", "--runtime", "dataflow", "--json"], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", FLOWC_HOME: home },
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    for (let i = 0; i < 300 && !out.includes("final value 12"); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGINT");
    const code = await exited;
    clearTimeout(killer);
    expect(code).toBe(130);
    const result = JSON.parse(out.trim().split("\n").at(-1) as string);
    expect(result).toMatchObject({ runtime: "dataflow", status: "stopped", reason: "signal" });
    expect(result.nodes.map((n: { status: string }) => n.status)).toEqual(["STOPPED", "STOPPED", "STOPPED", "STOPPED"]);
    expect(nodeProcesses()).toEqual([]);
  }, 60_000);

  it("daemon verbs without a daemon are coded and say what to do", () => {
    const list = flowcIn(["list"]);
    expect(list.code).toBe(2);
    expect(list.stderr).toContain("error FLC3201: No flowc daemon is running at");
    expect(list.stderr).toContain("flowc daemon start");
    expect(flowcIn(["daemon", "status"]).code).toBe(2);
    const bogus = flowcIn(["daemon", "bogus"]);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain("error FLC4001: Unknown daemon action 'bogus'; use start, stop or status.");
    const grace = flowcIn(["stop", "d1", "--grace", "soon"]);
    expect(grace.code).toBe(2);
    expect(grace.stderr).toContain("error FLC4001: --grace takes a number of seconds (0 or more), got 'soon'.");
  });

  it("daemon start, start --name d1, list, logs d1 sink, stop d1, daemon stop", () => {
    const started = flowcIn(["daemon", "start", "--machine-id", "m1"]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/flowc daemon started: pid \d+, machine 'm1'/);
    expect(flowcIn(["daemon", "start"]).stdout).toContain("already running");

    const d1 = flowcIn(["start", "examples/demo.flow.ts", "--name", "d1"]);
    expect(d1.code, d1.stderr).toBe(0);
    const id = d1.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(flowcIn(["start", "examples/demo.flow.ts", "--name", "d1"]).stderr).toContain("FLC3209");
    const missing = flowcIn(["start", "examples/nosuch.flow.ts"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/error FLC\d{4}: .*nosuch\.flow\.ts/);

    const list = flowcIn(["list", "--json"]);
    const entry = JSON.parse(list.stdout).find((d: { name: string }) => d.name === "d1");
    expect(entry).toMatchObject({ id, status: "running", nodes: 4, machine: "m1" });
    expect(flowcIn(["list"]).stdout).toMatch(new RegExp(`${id}\\s+d1\\s+running\\s+4`));

    // The sink logs 12 after about a second.
    let logs = "";
    for (let i = 0; i < 60 && !logs.includes("final value 12"); i++) {
      spawnSync("sleep", ["0.1"]);
      logs = flowcIn(["logs", "d1", "sink"]).stdout;
    }
    expect(logs).toMatch(/ info final value 12\n/);
    expect(flowcIn(["logs", "d1", "nosuch"]).stderr).toContain("FLC3204");

    const stopped = flowcIn(["stop", "d1"]);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toBe("d1: stopped\n");
    expect(flowcIn(["list"]).stdout).toMatch(new RegExp(`${id}\\s+d1\\s+stopped`));
    expect(flowcIn(["stop", "nosuch"]).code).toBe(2);

    const down = flowcIn(["daemon", "stop"]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/flowc daemon stopped \(pid \d+/);
    expect(nodeProcesses()).toEqual([]);
    // Logs and the result record outlive the dataflow and the daemon.
    const record = JSON.parse(readFileSync(join(home, "state", id, "result.json"), "utf8"));
    expect(record).toMatchObject({ id, name: "d1", status: "stopped", machine: "m1" });
  }, 120_000);

  it("killing the daemon leaves no node process behind (within a second)", () => {
    expect(flowcIn(["daemon", "start"]).code).toBe(0);
    expect(flowcIn(["start", "examples/demo.flow.ts", "--name", "orphans"]).code).toBe(0);
    const pids = nodeProcesses();
    expect(pids).toHaveLength(4);
    const status = JSON.parse(flowcIn(["daemon", "status", "--json"]).stdout);
    process.kill(status.pid, "SIGKILL");
    const t0 = Date.now();
    while (pids.some(alive) && Date.now() - t0 < 3000) spawnSync("sleep", ["0.02"]);
    expect(pids.filter(alive)).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1000);
    // A stale socket is not a running daemon, and a new daemon replaces it.
    expect(flowcIn(["list"]).stderr).toContain("FLC3201");
    expect(flowcIn(["daemon", "start"]).code).toBe(0);
    // The new daemon records the dataflow the dead one left without a result.
    const orphaned = readdirSync(join(home, "state")).find(
      (id) => JSON.parse(readFileSync(join(home, "state", id, "dataflow.json"), "utf8")).name === "orphans",
    ) as string;
    const record = JSON.parse(readFileSync(join(home, "state", orphaned, "result.json"), "utf8"));
    expect(record).toMatchObject({ name: "orphans", status: "failed" });
    expect(record.result.nodes[0].cause).toBe(`the process that ran it (pid ${status.pid}) died before it ended`);
    // `flowc list` shows it, and the dead daemon's socket directory goes once a dataflow starts.
    expect(JSON.parse(flowcIn(["list", "--json"]).stdout)).toContainEqual(expect.objectContaining({ name: "orphans", status: "failed" }));
    // (Any run may sweep it, also one of another test file: the unit test of the group checks who does.)
    expect(flowcIn(["start", "examples/demo.flow.ts", "--name", "sweeper"]).code).toBe(0);
    expect(readdirSync(tmpdir()).filter((d) => d.startsWith(`flowc-df-${status.pid}-`))).toEqual([]);
    expect(flowcIn(["stop", "sweeper", "--force"]).code).toBe(0);
    expect(flowcIn(["daemon", "stop"]).code).toBe(0);
  }, 60_000);

  it("killing the daemon while frames stream through shared memory leaves no process and nothing in /dev/shm", () => {
    const before = new Set(readdirSync("/dev/shm"));
    expect(flowcIn(["daemon", "start"]).code).toBe(0);
    const started = flowcIn(["start", "tests/conformance/flows/scenarios.flow.ts", "--flow", "slotStream", "--name", "stream"]);
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    // Frames flow (1 MB, 200 per second) once the dataflow runs; let a few hundred go by.
    const running = () =>
      (JSON.parse(flowcIn(["list", "--json"]).stdout) as { id: string; status: string }[]).some(
        (d) => d.id === id && d.status === "running",
      );
    const t1 = Date.now();
    while (!running() && Date.now() - t1 < 20_000) spawnSync("sleep", ["0.1"]);
    spawnSync("sleep", ["1.5"]);
    const pids = nodeProcesses();
    expect(pids).toHaveLength(3);
    const status = JSON.parse(flowcIn(["daemon", "status", "--json"]).stdout);
    process.kill(status.pid, "SIGKILL");
    const t0 = Date.now();
    while (pids.some(alive) && Date.now() - t0 < 3000) spawnSync("sleep", ["0.02"]);
    expect(pids.filter(alive)).toEqual([]);
    // Slots are anonymous memory the kernel freed with the last process that mapped them.
    expect(readdirSync("/dev/shm").filter((name) => !before.has(name))).toEqual([]);
    // The next daemon records the lost dataflow.
    expect(flowcIn(["daemon", "start"]).code).toBe(0);
    expect(JSON.parse(flowcIn(["list", "--json"]).stdout)).toContainEqual(expect.objectContaining({ id, status: "failed" }));
    expect(flowcIn(["daemon", "stop"]).code).toBe(0);
  }, 90_000);

  it("run --runtime dataflow uses the running daemon when there is one", () => {
    expect(flowcIn(["daemon", "start"]).code).toBe(0);
    const r = flowcIn(["run", "examples/demo.flow.ts", "--runtime", "dataflow", "--duration", "2"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("[sink] final value 12");
    // The run shows in the daemon's list (beside dataflows it recovered from a dead predecessor, if any).
    const list = JSON.parse(flowcIn(["list", "--json"]).stdout) as { flow: string; status: string; name: string | null }[];
    expect(list.filter((d) => d.status !== "failed")).toEqual([expect.objectContaining({ flow: "demo", status: "stopped", name: null })]);
    // start --attach follows the dataflow to its end; a hand-written YAML with TypeScript nodes runs too.
    const attached = flowcIn(["start", "examples/dataflow/dataflow.yml", "--attach", "--duration", "2.5"]);
    expect(attached.code, attached.stderr).toBe(0);
    expect(attached.stdout).toContain("[show] squared 1\n[show] squared 4\n");
    expect(attached.stderr).toContain("flowc: started");
    expect(attached.stderr).toMatch(/flowc: stopped: stopped after 2\.\d\d s \(duration\)/);
    expect(flowcIn(["daemon", "stop"]).code).toBe(0);
  }, 60_000);

  it("a paused daemon makes every client exit with FLC3205 and exit 2 within its timeout", () => {
    expect(flowcIn(["daemon", "start"]).code).toBe(0);
    const status = JSON.parse(flowcIn(["daemon", "status", "--json"]).stdout);
    process.kill(status.pid, "SIGSTOP");
    try {
      const fast = { FLOWC_DAEMON_TIMEOUT_MS: "1000" };
      for (const args of [["list"], ["daemon", "status"], ["stop", "x", "--force"], ["logs", "x"], ["start", "examples/demo.flow.ts"]]) {
        const t0 = Date.now();
        const r = flowcIn(args, fast, 30_000);
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain("error FLC3205");
        expect(Date.now() - t0).toBeLessThan(20_000);
      }
    } finally {
      process.kill(status.pid, "SIGCONT");
    }
    expect(flowcIn(["daemon", "stop"]).code).toBe(0);
  }, 120_000);

  it("FLC3201 exits 2 from every command; a daemon directory that cannot be made is FLC4006", () => {
    const list = flowcIn(["list"]);
    expect(list.code).toBe(2);
    expect(list.stderr).toContain("error FLC3201");
    const config = join(home, "running.json");
    writeFileSync(config, JSON.stringify({ runtimes: { dataflow: { daemon: "running" } } }));
    const run = flowcIn(["run", "examples/demo.flow.ts", "--runtime", "dataflow", "--config", config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error FLC3201");
    const bad = flowcIn(["daemon", "start"], { FLOWC_HOME: "/dev/null/x" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/error FLC4006: Cannot write '\/dev\/null\/x\/run': a part of the path is a file/);
  }, 60_000);

  it("another user is told the daemon's directory is not theirs, not that no daemon runs", (ctx) => {
    // The daemon's directory belongs to another user (nobody, 0700) and flowc runs as root
    // without capabilities, so file permissions apply as to anyone else — while the checkout
    // itself (root's, wherever it was cloned) stays readable. Needs root and util-linux's setpriv.
    if (process.getuid?.() !== 0 || spawnSync("setpriv", ["--version"]).status !== 0) ctx.skip();
    const privateHome = mkdtempSync(join(tmpdir(), "flowc-private-"));
    chownSync(privateHome, 65534, 65534);
    const r = spawnSync("setpriv", ["--bounding-set=-all", "--inh-caps=-all", process.execPath, bin, "list"], {
      cwd: root,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", FLOWC_HOME: join(privateHome, "x") },
    });
    rmSync(privateHome, { recursive: true, force: true });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error FLC3203");
    expect(r.stderr).toContain("permission denied on");
    expect(r.stderr).not.toContain("FLC3201");
  });

  it("run --runtime dataflow and daemon verbs in one process address the daemon of the environment they are given", async () => {
    // In-process: this test process has no FLOWC_HOME; only the injected environment names it.
    const env = { FLOWC_HOME: join(home, "injected") };
    expect(process.env.FLOWC_HOME).toBeUndefined();
    const up = await flowc(["daemon", "start", "--machine-id", "injected"], { env });
    expect(up.code, up.stderr).toBe(0);
    try {
      const r = await flowc(["run", "examples/demo.flow.ts", "--runtime", "dataflow", "--duration", "1.5", "--json"], { env });
      expect(r.code, r.stderr).toBe(0);
      const list = await flowc(["list", "--json"], { env });
      expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ flow: "demo", machine: "injected", status: "stopped" })]);
    } finally {
      expect((await flowc(["daemon", "stop"], { env })).code).toBe(0);
    }
  }, 60_000);

  it("a run attached to a daemon that dies ends with FLC3205, its record discarded, no node process left", async () => {
    expect(flowcIn(["daemon", "start"]).code).toBe(0);
    const record = join(home, "attached.jsonl");
    const child = spawn(process.execPath, [bin, "run", "examples/demo.flow.ts", "--runtime", "dataflow", "--record", record], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", FLOWC_HOME: home },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    for (let i = 0; i < 300 && !out.includes("final value 12"); i++) await new Promise((r) => setTimeout(r, 50));
    const status = JSON.parse(flowcIn(["daemon", "status", "--json"]).stdout);
    process.kill(status.pid, "SIGKILL");
    const code = await exited;
    clearTimeout(killer);
    expect(code).toBe(2);
    expect(err).toContain("error FLC3205");
    expect(err).toContain("the connection closed before dataflow");
    expect(existsSync(record)).toBe(false);
    expect(existsSync(`${record}.partial`)).toBe(false);
    const t0 = Date.now();
    while (nodeProcesses().some(alive) && Date.now() - t0 < 2000) spawnSync("sleep", ["0.02"]);
    expect(nodeProcesses().filter(alive)).toEqual([]);
    // The next embedded run records the lost dataflow and frees its shared memory.
    expect(flowcIn(["run", "examples/dataflow/dataflow.yml", "--runtime", "dataflow", "--duration", "0.5"]).code).toBe(0);
  }, 60_000);
});
