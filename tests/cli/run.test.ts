import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopEsbuild } from "../helpers/processes.js";
import { bin, flowc, flowcProcess, root } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "flowc-run-test-"));
const inline = join(dir, "inline.json");
const processConfig = join(dir, "process.json");
let demoIr: string;

beforeAll(async () => {
  writeFileSync(inline, JSON.stringify({ runtimes: { mp: { isolation: "inline" } } }));
  writeFileSync(processConfig, JSON.stringify({ runtimes: { mp: { isolation: "process" } } }));
  const built = await flowc(["build", "examples/demo.flow.ts", "-o", join(dir, "demo")]);
  expect(built.code).toBe(0);
  demoIr = join(dir, "demo/demo.ir.json");
}, 60_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  expect(await stopEsbuild()).toEqual([]);
});

/** Live pids among `pids`. */
function alive(pids: readonly number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

/** Starts the built CLI and lets a test wait for output and the exit. */
function start(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  exited.finally(() => clearTimeout(killer));
  return {
    child,
    exited,
    out: () => stdout,
    err: () => stderr,
    async waitFor(pattern: RegExp, ms = 15_000): Promise<void> {
      const until = Date.now() + ms;
      while (!pattern.test(stdout + stderr)) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${pattern}; got:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

describe("flowc run", () => {
  it("runs the demo on mp threads: lifecycle on stderr, node output prefixed, RunResult as the last stdout line", () => {
    const r = flowcProcess(["run", "examples/demo.flow.ts", "--runtime", "mp", "--duration", "2", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 2)).toEqual(["[sink] final value 12", "[sink] final value 14"]);
    const result = JSON.parse(lines.at(-1) as string);
    expect(result).toMatchObject({ flow: "demo", runtime: "mp", status: "stopped", reason: "duration" });
    expect(result.nodes.map((n: { id: string; status: string }) => [n.id, n.status])).toEqual([
      ["counter", "STOPPED"],
      ["double", "STOPPED"],
      ["plus10", "STOPPED"],
      ["sink", "STOPPED"],
    ]);
    expect(result.nodes[0]).toMatchObject({ steps: 2, messagesOut: 2, dropped: 0, error: null });
    expect(r.stderr).toContain("flowc: built: 4 executors (thread), 3 channels");
    expect(r.stderr).toContain("flowc: started");
    expect(r.stderr).toContain("flowc: stopping: the duration of 2 s was reached");
    expect(r.stderr).toMatch(/flowc: stopped: stopped after 2\.\d\d s \(duration\); nodes: 4 STOPPED; every executor ended cleanly/);
  });

  it("--record never replaces what its path names: links stay links, devices stay devices, directories are refused first", async () => {
    // A link: the record goes where it points, and the link stays a link.
    const real = join(dir, "real.jsonl");
    const link = join(dir, "link.jsonl");
    symlinkSync(real, link);
    const viaLink = await flowc(["run", demoIr, "--duration", "2", "--config", inline, "--record", link]);
    expect(viaLink.code, viaLink.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, "utf8").trim().split("\n")).toHaveLength(6);
    // A device: written through, never renamed over.
    const toNull = await flowc(["run", demoIr, "--duration", "1", "--config", inline, "--record", "/dev/null"]);
    expect(toNull.code, toNull.stderr).toBe(0);
    expect(lstatSync("/dev/null").isCharacterDevice()).toBe(true);
    expect(existsSync("/dev/null.partial")).toBe(false);
    // A directory, or a FIFO nobody reads: a coded error before anything is compiled or run.
    for (const target of [dir, join(dir, "fifo")]) {
      if (target !== dir) execFileSync("mkfifo", [target]);
      const r = await flowc(["run", "examples/demo.flow.ts", "--duration", "1", "--config", inline, "--record", target]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/error FLC4006: Cannot write '.*': (it is a directory|it is a FIFO that nobody reads)/);
      expect(r.stderr).not.toContain("flowc: running");
    }
    const json = await flowc(["run", demoIr, "--record", dir, "--json"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: "FLC4006" }] });
  });

  it("inline: a step that never settles does not end flowc; --duration bounds it in real time", async () => {
    const flows = "tests/conformance/flows/scenarios.flow.ts";
    const record = join(dir, "hang.jsonl");
    const r = flowcProcess(["run", flows, "--flow", "hangAsync", "--config", inline, "--duration", "1.5", "--json", "--record", record]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("flowc: stopping: the duration of 1.5 s passed in real time while a step of 'hang' was still running");
    expect(JSON.parse(r.stdout.trim().split("\n").at(-1) as string)).toMatchObject({ status: "stopped", reason: "duration" });
    expect(existsSync(record)).toBe(true);
    expect(existsSync(`${record}.partial`)).toBe(false);
    // Without --duration it waits; Ctrl-C ends it with a result.
    const run = start(["run", flows, "--flow", "hangAsync", "--config", inline, "--json"]);
    await run.waitFor(/flowc: started/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    expect(JSON.parse(run.out().trim().split("\n").at(-1) as string)).toMatchObject({ status: "stopped", reason: "signal" });
  }, 60_000);

  it("inline: Ctrl-C while a teardown outlasts the grace period still ends with a result (exit 130)", async () => {
    const config = join(dir, "inline-grace.json");
    writeFileSync(config, JSON.stringify({ runtimes: { mp: { isolation: "inline", graceMs: 200 } } }));
    const run = start(["run", "tests/conformance/flows/scenarios.flow.ts", "--flow", "slowTeardown", "--config", config, "--json"]);
    await run.waitFor(/flowc: started/);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    expect(run.err()).not.toContain("internal error");
    expect(JSON.parse(run.out().trim().split("\n").at(-1) as string)).toMatchObject({ status: "stopped", reason: "signal" });
  }, 60_000);

  it("a deadlocked flow ends with FLC3042 naming what each node waits for, and exit 1, on threads and processes", async () => {
    const flows = "tests/conformance/flows/scenarios.flow.ts";
    for (const isolation of ["thread", "process"]) {
      const config = join(dir, `deadlock-${isolation}.json`);
      writeFileSync(config, JSON.stringify({ runtimes: { mp: { isolation } } }));
      const r = flowcProcess(["run", flows, "--flow", "deadlock", "--config", config]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("flowc: warning FLC3042: No node can make progress: 'src' waits for room on the full block channel");
      expect(r.stderr).toMatch(/flowc: stopped: failed after \d+\.\d\d s \(deadlock\)/);
    }
  });

  it("an unknown runtime exits 2 with FLC3001 listing the runtimes, before anything starts", async () => {
    const r = await flowc(["run", demoIr, "--runtime", "nosuch"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error FLC3001: Unknown runtime 'nosuch'; available: mp, dataflow.");
    expect(r.stderr).not.toContain("started");
    const env = await flowc(["run", demoIr], { env: { FLOWC_RUNTIME: "fromenv" } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain("'fromenv'");
    const flagWins = await flowc(["run", demoIr, "--runtime", "mp", "--duration", "1", "--config", inline], {
      env: { FLOWC_RUNTIME: "fromenv" },
    });
    expect(flagWins.code).toBe(0);
    writeFileSync(join(dir, "cfg-runtime.json"), JSON.stringify({ runtime: "fromconfig" }));
    const config = await flowc(["run", demoIr, "--config", join(dir, "cfg-runtime.json")]);
    expect(config.stderr).toContain("'fromconfig'");
  });

  it("--record writes one JSON line per delivered message, under its final name only at the end", async () => {
    const record = join(dir, "rec/demo.jsonl");
    const r = await flowc(["run", demoIr, "--duration", "3", "--config", inline, "--record", record]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("[sink] final value 12\n[sink] final value 14\n[sink] final value 16\n");
    const lines = readFileSync(record, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(9);
    expect(lines.filter((l) => l.channel === "plus10.value->sink.value")).toEqual([
      { channel: "plus10.value->sink.value", seq: 0, t: 0, value: 12 },
      { channel: "plus10.value->sink.value", seq: 1, t: 1000, value: 14 },
      { channel: "plus10.value->sink.value", seq: 2, t: 2000, value: 16 },
    ]);
    expect(existsSync(`${record}.partial`)).toBe(false);
  });

  it("rejects bad runtime options (FLC3003) and unsupported IR (FLC3004) with exit 2; bring-up failures exit 1", async () => {
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ runtimes: { mp: { isolation: "fiber" } } }));
    const bad = await flowc(["run", demoIr, "--config", join(dir, "bad.json")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("FLC3003");
    expect(bad.stderr).toContain("/isolation");
    // The dataflow runtime's NATS settings are checked the same way, before any daemon starts.
    writeFileSync(
      join(dir, "bad-nats.json"),
      JSON.stringify({ runtimes: { dataflow: { nats: { url: "nats://127.0.0.1:1", cluster: "two words" } } } }),
    );
    const badNats = await flowc(["run", demoIr, "--runtime", "dataflow", "--config", join(dir, "bad-nats.json")]);
    expect(badNats.code, badNats.stderr).toBe(2);
    expect(badNats.stderr).toContain("FLC3003");
    expect(badNats.stderr).toContain("/nats");
    const ir = JSON.parse(readFileSync(demoIr, "utf8"));
    ir.nodes[0].placement = "robot-2";
    writeFileSync(join(dir, "demo/placed.ir.json"), JSON.stringify(ir));
    const placed = await flowc(["run", join(dir, "demo/placed.ir.json")]);
    expect(placed.code).toBe(2);
    expect(placed.stderr).toContain("FLC3004");
    ir.nodes[0].placement = null;
    ir.nodes[1].impl.export = "Nope";
    writeFileSync(join(dir, "demo/broken.ir.json"), JSON.stringify(ir));
    const broken = await flowc(["run", join(dir, "demo/broken.ir.json"), "--config", inline]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("FLC3043");
    expect(broken.stderr).toContain("FLC3011");
    const duration = await flowc(["run", demoIr, "--duration", "-1"]);
    expect(duration.code).toBe(2);
  });

  it("--print-ir prints the canonical IR before the run", async () => {
    const r = await flowc(["run", demoIr, "--duration", "1", "--config", inline, "--print-ir"]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(readFileSync(demoIr, "utf8"))).toBe(true);
    expect(r.stdout).toContain("[sink] final value 12");
  });

  it("runs Dora-dialect descriptors: hand-written with TS nodes, and the one flowc build --target dataflow writes", async () => {
    const hand = await flowc(["run", "examples/dataflow/dataflow.yml", "--duration", "3", "--config", inline, "--json"]);
    expect(hand.code, hand.stderr).toBe(0);
    expect(hand.stdout.split("\n").slice(0, 3)).toEqual(["[show] squared 1", "[show] squared 4", "[show] squared 9"]);
    expect(JSON.parse(hand.stdout.trim().split("\n").at(-1) as string)).toMatchObject({ flow: "dataflow", status: "stopped" });
    const built = await flowc(["build", "examples/demo.flow.ts", "--target", "dataflow", "-o", join(dir, "df")]);
    expect(built.code).toBe(0);
    const fromYaml = await flowc(["run", join(dir, "df/demo.dataflow.yml"), "--duration", "2", "--config", inline]);
    expect(fromYaml.code, fromYaml.stderr).toBe(0);
    expect(fromYaml.stdout).toBe("[sink] final value 12\n[sink] final value 14\n");
    writeFileSync(join(dir, "bad.yml"), "nodes:\n  - id: a\n    path: flowc-node\n    inputs:\n      x: dora/timer/millis/0\n");
    const bad = await flowc(["run", join(dir, "bad.yml")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("bad.yml(5,10): error FLC3104: Input 'x' of node 'a' is 'dora/timer/millis/0'");
  });

  it("flowc runtimes lists the runtimes with modes and option schemas", async () => {
    const text = await flowc(["runtimes"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/\* mp +multiprocessing/);
    const json = JSON.parse((await flowc(["runtimes", "--json"])).stdout);
    expect(json.default).toBe("mp");
    expect(json.runtimes[0]).toMatchObject({ name: "mp", modes: ["inline", "thread", "process"] });
    expect(json.runtimes[0].optionsSchema.properties.isolation.default).toBe("thread");
    // This machine (Linux x64) maps shared-memory slots through koffi.
    expect(json.sharedMemory).toMatchObject({ path: "mmap", detail: expect.stringContaining("koffi") });
    expect(text.stdout).toMatch(/large payloads between processes: shared-memory slots \(memfd_create \+ mmap through koffi \d/);
  });

  it("flowc runtimes says when large payloads fall back to tmpfs files", async () => {
    // The path is chosen per process, from its own environment.
    const r = flowcProcess(["runtimes", "--json"], { env: { FLOWC_SHM: "files" } });
    expect(JSON.parse(r.stdout).sharedMemory).toMatchObject({ path: "files", detail: expect.stringContaining("FLOWC_SHM=files") });
  });

  it("runs a third-party runtime named by module in the config", async () => {
    writeFileSync(
      join(dir, "echo-runtime.mjs"),
      `import { mpRuntime } from ${JSON.stringify(join(root, "packages/runtime-mp/dist/index.js"))};
export const runtime = { ...mpRuntime, name: "echo", describe: () => ({ ...mpRuntime.describe(), name: "echo" }) };`,
    );
    writeFileSync(
      join(dir, "third.json"),
      JSON.stringify({ runtime: "echo", runtimes: { echo: { module: "./echo-runtime.mjs", isolation: "inline" } } }),
    );
    const r = await flowc(["run", demoIr, "--duration", "1", "--config", join(dir, "third.json"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("running 'demo' on echo (runtime from config)");
  });
});

describe("flowc run lifecycle", () => {
  it("Ctrl-C while compiling exits 130 and leaves no temporary directory", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "flowc-ctrlc-"));
    const child = spawn(process.execPath, [bin, "run", "examples/demo.flow.ts", "--json"], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", TMPDIR: tmp },
    });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // Once flowc has loaded, it compiles: a signal then waits for the compiler and ends there.
    await new Promise((r) => setTimeout(r, 1200));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(err).toMatch(/SIGINT: stopped before (the run|anything) started/);
    expect(readdirSync(tmp)).toEqual([]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it("Ctrl-C during bring-up stops the run as soon as it exists: exit 130, a stopped RunResult, no executor left", async () => {
    const run = start(["run", demoIr, "--config", processConfig, "--json"]);
    await run.waitFor(/flowc: running 'demo'/);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    const result = JSON.parse(run.out().trim().split("\n").at(-1) as string);
    expect(result).toMatchObject({ status: "stopped", reason: "signal" });
    expect(childrenOf(run.child.pid as number)).toEqual([]);
  });

  it("SIGINT stops gracefully (exit 130) and leaves no executor behind", async () => {
    const run = start(["run", demoIr, "--config", processConfig]);
    await run.waitFor(/final value 12/);
    const children = childrenOf(run.child.pid as number);
    expect(children.length).toBe(4);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    expect(run.err()).toContain("SIGINT: stopping");
    expect(run.err()).toContain("stopping: interrupted by a signal");
    expect(alive(children)).toEqual([]);
  });

  it("a second SIGINT kills a run whose node never returns", async () => {
    const hang = await flowc(["build", "tests/conformance/flows/scenarios.flow.ts", "--flow", "hangSync", "-o", join(dir, "hang")]);
    expect(hang.code, hang.stderr).toBe(0);
    writeFileSync(join(dir, "slow-grace.json"), JSON.stringify({ runtimes: { mp: { isolation: "process", graceMs: 60_000 } } }));
    const run = start(["run", join(dir, "hang/hangSync.ir.json"), "--config", join(dir, "slow-grace.json")]);
    await run.waitFor(/started/);
    await new Promise((r) => setTimeout(r, 300));
    const children = childrenOf(run.child.pid as number);
    run.child.kill("SIGINT");
    await run.waitFor(/stopping: interrupted/);
    const t = Date.now();
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    expect(Date.now() - t).toBeLessThan(5000);
    expect(run.err()).toContain("SIGINT: killing");
    expect(run.err()).toContain("FLC3041");
    const until = Date.now() + 2000;
    while (alive(children).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(alive(children)).toEqual([]);
  });

  it("a node process killed with SIGKILL is reported with its node id, and the run fails", async () => {
    const run = start(["run", demoIr, "--config", processConfig, "--json"]);
    await run.waitFor(/final value 12/);
    const children = childrenOf(run.child.pid as number);
    // Executors start in topological order: counter, double, plus10, sink.
    process.kill(children[1] as number, "SIGKILL");
    expect(await run.exited).toBe(1);
    const result = JSON.parse(run.out().trim().split("\n").at(-1) as string);
    expect(result.status).toBe("failed");
    const double = result.nodes.find((n: { id: string }) => n.id === "double");
    expect(double).toMatchObject({ status: "FAILED", error: { nodeId: "double", code: "FLC3040" } });
    expect(double.error.message).toContain("killed by SIGKILL");
    expect(alive(children)).toEqual([]);
  });

  it("killing flowc itself leaves no node process behind (orphan protection)", async () => {
    const run = start(["run", demoIr, "--config", processConfig]);
    await run.waitFor(/final value 12/);
    const children = childrenOf(run.child.pid as number);
    expect(children.length).toBe(4);
    run.child.kill("SIGKILL");
    await run.exited;
    const until = Date.now() + 2000;
    while (alive(children).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(alive(children)).toEqual([]);
    // A SIGKILLed flowc cannot remove its socket directory; the next run with processes sweeps it.
    const left = () => readdirSync(tmpdir()).filter((d) => d.startsWith(`flowc-mp-${run.child.pid}-`));
    expect(left()).toHaveLength(1);
    const next = await flowc(["run", demoIr, "--config", processConfig, "--duration", "0.5"]);
    expect(next.code, next.stderr).toBe(0);
    expect(left()).toEqual([]);
  });
});
