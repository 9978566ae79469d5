// Several machines from the command line, with the built executable: two daemons joined through
// one NATS server, a flow placed on both, the cluster's verbs from either daemon, and the coded
// errors of joining (a taken machine id, a server that refuses the credentials).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killAllNatsServers, type NatsServerHandle, skipNatsTests, startNatsServer } from "../helpers/nats-server.js";
import { Scratch } from "../helpers/scratch.js";
import { bin, type Run, root } from "./helpers.js";

const scratch = new Scratch("flowc-cluster-cli-");
const base = scratch.path;
let nats: NatsServerHandle;

function flowcAs(machine: string, args: string[], env: Record<string, string> = {}): Run {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
    killSignal: "SIGKILL",
    env: { ...process.env, NO_COLOR: "1", FLOWC_HOME: join(base, machine), ...env },
  });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Node processes of this file's daemons, found by the FLOWC_HOME they inherited. */
function nodeProcesses(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("child-main.js")) continue;
      if (readFileSync(`/proc/${entry}/environ`, "utf8").includes(`FLOWC_HOME=${base}`)) found.push(Number(entry));
    } catch {
      // It ended while we looked.
    }
  }
  return found;
}

async function eventually(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const limit = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > limit) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  if (skipNatsTests) return;
  nats = await startNatsServer();
}, 30_000);

afterAll(async () => {
  for (const machine of ["alpha", "beta", "beta-2", "locked"]) flowcAs(machine, ["daemon", "stop", "--force"]);
  await killAllNatsServers();
  expect(nodeProcesses()).toEqual([]);
  scratch.remove();
});

describe.skipIf(skipNatsTests)("flowc daemons of two machines", () => {
  it("join with --nats, show the cluster in status, and refuse a second daemon for a live machine id (FLC3213)", async () => {
    const alpha = flowcAs("alpha", ["daemon", "start", "--machine-id", "alpha", "--nats", nats.url]);
    expect(alpha.code, alpha.stderr).toBe(0);
    const beta = flowcAs("beta", ["daemon", "start", "--machine-id", "beta"], { FLOWC_NATS_URL: nats.url });
    expect(beta.code, beta.stderr).toBe(0);
    // The server's address reaches the daemon in its environment, never on its command line.
    const pid = Number(/pid (\d+)/.exec(alpha.stdout)?.[1]);
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).not.toContain("nats://");
    let status = "";
    await eventually("alpha sees beta", () => {
      status = flowcAs("alpha", ["daemon", "status"]).stdout;
      return /beta\s+up/.test(status);
    });
    expect(status).toContain(`cluster 'flowc' at ${nats.url}`);
    expect(status).toMatch(/alpha\s+up .*\(this daemon\)/);
    const json = JSON.parse(flowcAs("beta", ["daemon", "status", "--json"]).stdout);
    expect(json.cluster.machines.map((m: { machine: string; up: boolean }) => [m.machine, m.up])).toEqual([
      ["alpha", true],
      ["beta", true],
    ]);
    const twin = flowcAs("beta-2", ["daemon", "start", "--machine-id", "beta", "--nats", nats.url]);
    expect(twin.code).toBe(2);
    expect(twin.stderr).toContain("FLC3213");
  });

  it("start a flow placed on both machines from one, and list, logs and stop it from the other", async () => {
    const started = flowcAs("beta", ["start", "examples/cluster.flow.ts", "--name", "spread"]);
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    let list = "";
    await eventually("alpha lists the dataflow running", () => {
      list = flowcAs("alpha", ["list"]).stdout;
      return new RegExp(`${id}\\s+spread\\s+running`).test(list);
    });
    expect(list).toContain("counter@alpha double@beta plus10@alpha sink@beta");
    let logs = "";
    await eventually("the sink on beta printed 14, read through alpha", () => {
      logs = flowcAs("alpha", ["logs", "spread", "sink"]).stdout;
      return logs.includes("final value 14");
    });
    expect(logs).toContain("final value 12");
    const stopped = flowcAs("alpha", ["stop", "spread"]);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(flowcAs("beta", ["list"]).stdout).toMatch(new RegExp(`${id}\\s+spread\\s+stopped`));
    await eventually("no node process is left", () => nodeProcesses().length === 0);
  });

  it("a flow placed on a machine no daemon serves is refused before anything starts, naming the machines up (FLC3208)", () => {
    const r = flowcAs("alpha", ["start", "tests/fixtures/cluster/gamma.flow.ts"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("FLC3208");
    expect(r.stderr).toContain("up: 'alpha', 'beta'");
  });

  it("a server that wants a token refuses a daemon without it (FLC3212) and takes one with FLOWC_NATS_TOKEN", async () => {
    const locked = await startNatsServer({ args: ["--auth", "s3cret-token"] });
    try {
      const refused = flowcAs("locked", ["daemon", "start", "--machine-id", "locked", "--nats", locked.url]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("FLC3212");
      expect(refused.stderr).not.toContain("s3cret");
      const joined = flowcAs("locked", ["daemon", "start", "--machine-id", "locked", "--nats", locked.url], {
        FLOWC_NATS_TOKEN: "s3cret-token",
      });
      expect(joined.code, joined.stderr).toBe(0);
      expect(flowcAs("locked", ["daemon", "stop"]).code).toBe(0);
    } finally {
      await locked.cleanup();
    }
  });
});
