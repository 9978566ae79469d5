import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Ir } from "@flowc/ir";
import { Daemon, DaemonClient, type DaemonStatus, type DataflowSummary, daemonPaths, NatsSettings } from "@flowc/runtime-dataflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Compiled, compileScenario, ENV, removeCompiled } from "../conformance/harness.js";
import { killAllNatsServers, type NatsServerHandle, skipNatsTests, startNatsServer } from "../helpers/nats-server.js";
import { Scratch } from "../helpers/scratch.js";

/** Short heartbeats so losses are noticed quickly in tests (the defaults are 0.5 s / 2.5 s too). */
const TIMINGS = { heartbeatMs: 250, lostAfterMs: 2_000 };

let nats: NatsServerHandle;
const scratch = new Scratch("flowc-cluster-");
const root = scratch.path;
const daemons = new Map<string, Daemon>();

function homeOf(machine: string): string {
  return join(root, machine);
}

async function startDaemon(machine: string): Promise<Daemon> {
  const env = { ...ENV, FLOWC_HOME: homeOf(machine) };
  const daemon = await Daemon.start(daemonPaths(env), {
    machine,
    env,
    nats: NatsSettings.parse({ url: nats.url, cluster: "t" }),
    clusterTimings: TIMINGS,
  });
  daemons.set(machine, daemon);
  return daemon;
}

function clientOf(machine: string): Promise<DaemonClient> {
  return DaemonClient.connect(daemonPaths({ ...ENV, FLOWC_HOME: homeOf(machine) }));
}

/** Places the nodes alternately on `machines`, in IR order. */
function placed(scenario: Compiled, machines: readonly string[]): Compiled {
  const ir: Ir = { ...scenario.ir, nodes: scenario.ir.nodes.map((n, i) => ({ ...n, placement: machines[i % machines.length] as string })) };
  return { ...scenario, ir };
}

beforeAll(async () => {
  if (skipNatsTests) return;
  nats = await startNatsServer();
  await startDaemon("alpha");
  await startDaemon("beta");
}, 60_000);

afterAll(async () => {
  for (const d of daemons.values()) await d.shutdown({ force: true });
  await killAllNatsServers();
  removeCompiled();
  scratch.remove();
});

describe.skipIf(skipNatsTests)("daemons joined through NATS", () => {
  it("see each other: status lists both machines, up", async () => {
    const client = await DaemonClient.connect(daemonPaths({ ...ENV, FLOWC_HOME: homeOf("alpha") }));
    try {
      let status: DaemonStatus | undefined;
      for (let i = 0; i < 40; i++) {
        status = await client.request<DaemonStatus>({ op: "status" });
        if (status.cluster?.machines.length === 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(status?.cluster?.machines.map((m) => [m.machine, m.up])).toEqual([
        ["alpha", true],
        ["beta", true],
      ]);
    } finally {
      client.close();
    }
  });

  it("refuses a second daemon claiming a live machine id (FLC3213)", async () => {
    const env = { ...ENV, FLOWC_HOME: join(root, "beta-2") };
    const error = await Daemon.start(daemonPaths(env), {
      machine: "beta",
      env,
      nats: NatsSettings.parse({ url: nats.url, cluster: "t" }),
      clusterTimings: TIMINGS,
    }).catch((e: unknown) => e);
    expect((error as { diagnostic?: { code: string } }).diagnostic?.code).toBe("FLC3213");
  });

  it("answers list, logs and stop for any dataflow of the cluster from either daemon", async () => {
    const chain = placed(await compileScenario("chain"), ["alpha", "beta"]);
    const alpha = await clientOf("alpha");
    const beta = await clientOf("beta");
    try {
      const started = await alpha.request<DataflowSummary>({
        op: "start",
        ir: chain.ir,
        baseDir: chain.baseDir,
        copyBaseDir: true,
        name: "spread",
        attach: false,
        record: false,
        hold: false,
      });
      // The registry reaches beta through the KV watch.
      let listed: DataflowSummary | undefined;
      for (let i = 0; i < 50 && listed?.status !== "running"; i++) {
        listed = (await beta.request<DataflowSummary[]>({ op: "list" })).find((d) => d.id === started.id);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(listed?.machine).toBe("alpha");
      expect(Object.fromEntries(Object.entries(listed?.processes ?? {}).map(([n, p]) => [n, p.machine]))).toEqual({
        counter: "alpha",
        double: "beta",
        plus10: "alpha",
        sink: "beta",
      });
      // Logs of a node that runs on beta, asked of beta by name: the supervisor keeps them.
      let text = "";
      for (let i = 0; i < 50 && !text.includes("spawn"); i++) {
        text = (await beta.request<{ text: string }>({ op: "logs", dataflow: "spread", node: "double", follow: false })).text;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(text).toContain("machine 'beta'");
      const stopped = await beta.request<DataflowSummary>({ op: "stop", dataflow: "spread", graceMs: 5000 });
      expect(stopped.status).toBe("stopped");
      const after = (await alpha.request<DataflowSummary[]>({ op: "list" })).find((d) => d.id === started.id);
      expect(after?.status).toBe("stopped");
      const unknown = await beta.request({ op: "stop", dataflow: "nothing-like-it" }).catch((e: unknown) => e);
      expect((unknown as { diagnostic?: { code: string } }).diagnostic?.code).toBe("FLC3204");
    } finally {
      alpha.close();
      beta.close();
    }
  });

  it("a restarted daemon has the cluster's dataflows back from the registry at once", async () => {
    await daemons.get("beta")?.shutdown();
    const beta = await startDaemon("beta");
    const listed = beta.list().find((d) => d.name === "spread");
    expect(listed?.machine).toBe("alpha");
    expect(listed?.status).toBe("stopped");
  });

  it("leaves no hosted socket directory or bundle behind", async () => {
    await new Promise((r) => setTimeout(r, 300));
    expect(readdirSync(join(homeOf("beta"), "run", "hosted")).length).toBe(0);
  });
});
