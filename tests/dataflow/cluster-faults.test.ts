import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Ir } from "@flowc/ir";
import { processAlive, type RunResult } from "@flowc/runtime";
import {
  Daemon,
  DaemonClient,
  type DaemonStatus,
  type DataflowSummary,
  daemonPaths,
  launchDaemon,
  NatsSettings,
  type StreamEvent,
} from "@flowc/runtime-dataflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Compiled, compileScenario, ENV, NODE_PROCESS, removeCompiled, signature } from "../conformance/harness.js";
import { killAllNatsServers, type NatsServerHandle, skipNatsTests, startNatsCluster, startNatsServer } from "../helpers/nats-server.js";
import { Scratch } from "../helpers/scratch.js";

const scratch = new Scratch("flowc-cluster-faults-");
const root = scratch.path;
let nats: NatsServerHandle;
let chain: Compiled;
let block: Compiled;
const pids = new Set<number>();

/** Each test's daemons have homes of their own (cluster/machine), so a failed test cannot disturb the next. */
let cluster = "";
function envOf(machine: string): Record<string, string | undefined> {
  return { ...ENV, FLOWC_HOME: join(root, cluster, machine) };
}

/** A daemon in its own process (as `flowc daemon start` runs it), so it can be SIGKILLed. */
async function daemonProcess(machine: string, url = nats.url): Promise<number> {
  const { status } = await launchDaemon(daemonPaths(envOf(machine)), {
    machine,
    nats: NatsSettings.parse({ url, cluster }),
    env: envOf(machine) as NodeJS.ProcessEnv,
  });
  pids.add(status.pid);
  return status.pid;
}

function placed(scenario: Compiled, machines: readonly string[]): Ir {
  return { ...scenario.ir, nodes: scenario.ir.nodes.map((n, i) => ({ ...n, placement: machines[i % machines.length] as string })) };
}

/** Starts a dataflow on `machine`'s daemon, attached: its events stream back until its result. */
async function startAttached(machine: string, scenario: Compiled, ir: Ir, record = false) {
  const client = await DaemonClient.connect(daemonPaths(envOf(machine)));
  const events: StreamEvent[] = [];
  const stream = client.stream<DataflowSummary>(
    { op: "start", ir, baseDir: scenario.baseDir, copyBaseDir: true, attach: true, record, hold: false },
    (e) => events.push(e),
  );
  const summary = await stream.response;
  return { client, events, summary, ended: stream.ended as Promise<RunResult | undefined> };
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const limit = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > limit) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function machinesUp(machine: string, expected: number): Promise<void> {
  const client = await DaemonClient.connect(daemonPaths(envOf(machine)));
  try {
    await waitUntil(`${machine} sees ${expected} machines up`, async () => {
      const status = await client.request<DaemonStatus>({ op: "status" });
      return (status.cluster?.machines.filter((m) => m.up).length ?? 0) === expected;
    });
  } finally {
    client.close();
  }
}

async function stopDaemons(): Promise<void> {
  for (const pid of pids) if (processAlive(pid)) process.kill(pid, "SIGTERM");
  await waitUntil("the daemons exited", () => [...pids].every((pid) => !processAlive(pid)), 30_000);
  pids.clear();
}

beforeAll(async () => {
  if (skipNatsTests) return;
  nats = await startNatsServer();
  chain = await compileScenario("chain");
  block = await compileScenario("block");
}, 60_000);

afterAll(async () => {
  for (const pid of pids) if (processAlive(pid)) process.kill(pid, "SIGKILL");
  for (const pid of nodeProcesses()) process.kill(pid, "SIGKILL");
  await killAllNatsServers();
  removeCompiled();
  scratch.remove();
});

describe.skipIf(skipNatsTests)("faults of a cluster", () => {
  it("a SIGKILLed daemon is reported within 3 s naming its machine; its nodes fail, nothing outlives it", async () => {
    cluster = "f1";
    await daemonProcess("alpha");
    const beta = await daemonProcess("beta");
    await machinesUp("alpha", 2);
    const run = await startAttached("alpha", chain, placed(chain, ["alpha", "beta"]));
    await waitUntil("the dataflow runs", () => run.events.some((e) => e.kind === "runtime" && e.event.type === "started"));
    await new Promise((r) => setTimeout(r, 500));
    process.kill(beta, "SIGKILL");
    const result = await run.ended;
    run.client.close();
    expect(result?.status).toBe("failed");
    const lost = result?.nodes.filter((n) => n.status === "FAILED") ?? [];
    expect(lost.map((n) => n.id).sort()).toEqual(["double", "sink"]);
    for (const n of lost) {
      expect(n.error?.message).toContain("machine 'beta' was lost");
      // The daemon's own account of the silence it waited for before declaring the loss.
      const seconds = Number(/no heartbeat for ([\d.]+) s/.exec(n.error?.message ?? "")?.[1]);
      expect(seconds).toBeLessThanOrEqual(3);
    }
    await waitUntil("beta's node processes are gone", () => nodeProcesses().length === 0);
    await stopDaemons();
  });

  it("a SIGKILLed supervisor: the other daemon kills the nodes it ran for it and records the dataflow as failed", async () => {
    cluster = "f2";
    const alpha = await daemonProcess("alpha");
    await daemonProcess("beta");
    await machinesUp("beta", 2);
    const run = await startAttached("alpha", chain, placed(chain, ["alpha", "beta"]));
    await waitUntil("the dataflow runs", () => run.events.some((e) => e.kind === "runtime" && e.event.type === "started"));
    const betaClient = await DaemonClient.connect(daemonPaths(envOf("beta")));
    process.kill(alpha, "SIGKILL");
    await run.ended.catch(() => undefined);
    run.client.close();
    try {
      await waitUntil("beta records the dataflow as failed", async () => {
        const list = await betaClient.request<DataflowSummary[]>({ op: "list" });
        return list.find((d) => d.id === run.summary.id)?.status === "failed";
      });
      const status = await betaClient.request<DaemonStatus>({ op: "status" });
      expect(status.cluster?.machines.find((m) => m.machine === "alpha")?.up).toBe(false);
    } finally {
      betaClient.close();
    }
    // Nodes of both machines: alpha's died with it, beta killed those it hosted.
    await waitUntil("no node process is left", () => nodeProcesses().length === 0);
    await stopDaemons();
  });

  it("a NATS server restart mid-run loses nothing on a block channel between machines", async () => {
    cluster = "f3";
    await blockThrough([nats.url], 1, () => nats.restart());
  });

  it("with a 3-server NATS cluster, killing one server loses nothing", async () => {
    cluster = "f4";
    const servers = await startNatsCluster(3);
    try {
      await blockThrough(servers.urls, 3, async () => {
        await servers.servers[0]?.kill();
      });
    } finally {
      await servers.cleanup();
    }
  });
});

/**
 * 100,000 messages over a block channel from alpha to beta (daemons in this process), with
 * `fault` striking while they flow: every message must arrive, once, in order.
 */
async function blockThrough(urls: string[], replicas: number, fault: () => Promise<void>): Promise<void> {
  const daemons = await inProcessDaemons(["alpha", "beta"], urls, replicas);
  try {
    await machinesUp("alpha", 2);
    const run = await startAttached("alpha", block, placed(block, ["alpha", "beta"]), true);
    await waitUntil("the dataflow runs", () => run.events.some((e) => e.kind === "runtime" && e.event.type === "started"));
    await new Promise((r) => setTimeout(r, 800));
    await fault();
    const result = await run.ended;
    run.client.close();
    expect(result?.status).toBe("succeeded");
    const records = run.events.flatMap((e) => (e.kind === "records" ? e.entries : []));
    const values = signature(records)[block.ir.channels[0]?.id as string] ?? [];
    expect(values.length).toBe(100_000);
    expect(values.every(([seq], i) => seq === i)).toBe(true);
  } finally {
    for (const d of daemons) await d.shutdown({ force: true });
  }
}

async function inProcessDaemons(machines: string[], urls: string[], replicas = 1): Promise<Daemon[]> {
  const out: Daemon[] = [];
  for (const machine of machines)
    out.push(
      await Daemon.start(daemonPaths(envOf(machine)), {
        machine,
        env: envOf(machine),
        nats: NatsSettings.parse({ url: urls.join(","), cluster, replicas }),
      }),
    );
  return out;
}

/**
 * Node processes of this test's daemons, wherever they are in the process tree (a detached
 * daemon's children are not ours, and a SIGKILLed daemon's are re-parented): found by the
 * FLOWC_HOME they inherited.
 */
function nodeProcesses(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (!NODE_PROCESS.test(cmdline)) continue;
      if (
        readFileSync(`/proc/${entry}/environ`, "utf8")
          .split("\0")
          .some((v) => v.startsWith(`FLOWC_HOME=${root}`))
      )
        found.push(Number(entry));
    } catch {
      // It ended while we looked.
    }
  }
  return found;
}
