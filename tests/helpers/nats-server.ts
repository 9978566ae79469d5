import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";

export { connect, Kvm };

const NATS_SERVER = process.env.FLOWC_NATS_SERVER ?? "nats-server";

/**
 * The tests of several machines are skipped on a machine without nats-server (like the browser
 * tests without Chromium), never failed for want of a tool — but not in CI, where `.ci/run`
 * installs it and a missing server is a failure.
 */
export const skipNatsTests: boolean = spawnSync(NATS_SERVER, ["--version"], { stdio: "ignore" }).status !== 0 && !process.env.CI;
if (skipNatsTests)
  console.warn("nats-server is not installed: the tests of several machines are skipped; `apt-get install -y nats-server` runs them.");
const READY_TIMEOUT_MS = 15_000;
const CLUSTER_READY_TIMEOUT_MS = 30_000;

export interface NatsServerOptions {
  /** Enable JetStream (default true), storing under `storeDir` or a fresh temp dir. */
  jetstream?: boolean;
  /** Client port; random when omitted. */
  port?: number;
  cluster?: { name: string; port?: number; routes?: string[] };
  serverName?: string;
  storeDir?: string;
  /** More server flags (authentication: `--auth <token>`, `--user`/`--pass`). */
  args?: string[];
}

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  /** Pid of the current process (changes on restart). */
  readonly pid: number;
  /** SIGTERM, SIGKILL after 3 s; resolves once the process exited. */
  stop(): Promise<void>;
  /** SIGKILL; resolves once the process exited. */
  kill(): Promise<void>;
  /** Stops, then starts again on the same ports and store dir. */
  restart(): Promise<void>;
  /** Stops and removes the temp dirs. */
  cleanup(): Promise<void>;
}

export interface NatsCluster {
  servers: NatsServerHandle[];
  urls: string[];
  cleanup(): Promise<void>;
}

/** Every nats-server process started here and not yet exited. */
const live = new Set<ChildProcess>();
/** The temporary directories (ports file, JetStream store) of servers not cleaned up yet. */
const workDirs = new Set<string>();
let exitHookInstalled = false;

/** Kills every server still running and removes their directories (for afterAll; handles' cleanup() is the tidy way). */
export async function killAllNatsServers(): Promise<void> {
  await Promise.all([...live].map((child) => terminate(child, true)));
  await Promise.all([...workDirs].map((dir) => rm(dir, { recursive: true, force: true })));
  workDirs.clear();
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function terminate(child: ChildProcess, hard: boolean): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(hard ? "SIGKILL" : "SIGTERM");
  const escalate = hard ? undefined : setTimeout(() => child.kill("SIGKILL"), 3000);
  await gone;
  clearTimeout(escalate);
}

async function launch(args: string[], portsDir: string): Promise<{ child: ChildProcess; port: number }> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test runner that exits without running afterAll must not leave servers behind.
    process.once("exit", () => {
      for (const child of live) child.kill("SIGKILL");
      for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
    });
  }
  const child = spawn(NATS_SERVER, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  let spawnError: Error | undefined;
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  child.once("error", (err) => {
    spawnError = err;
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const fail = async (why: string): Promise<never> => {
    await terminate(child, true);
    throw new Error(`nats-server ${args.join(" ")}: ${why}${stderr ? `; stderr:\n${stderr}` : ""}`);
  };
  for (;;) {
    if (spawnError) return fail(`could not start (${spawnError.message})`);
    if (exited(child)) return fail(`exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    const port = await readPortsFile(portsDir, child.pid);
    if (port !== undefined) return { child, port };
    if (Date.now() > deadline) return fail(`no ports file within ${READY_TIMEOUT_MS} ms`);
    await delay(20);
  }
}

/** The client port from `<executable>_<pid>.ports`, once the server has written it. */
async function readPortsFile(dir: string, pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const name = (await readdir(dir)).find((file) => file.endsWith(`_${pid}.ports`));
  if (!name) return undefined;
  try {
    const ports = JSON.parse(await readFile(join(dir, name), "utf8")) as { nats?: string[] };
    const port = Number(new URL(ports.nats?.[0] ?? "").port);
    return port > 0 ? port : undefined;
  } catch {
    return undefined; // caught mid-write
  }
}

/** A port free right now (the small race until the server binds it is acceptable in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const work = await mkdtemp(join(tmpdir(), "flowc-nats-"));
  workDirs.add(work);
  const args = ["-a", "127.0.0.1", "--ports_file_dir", work];
  if (options.jetstream ?? true) args.push("-js", "-sd", options.storeDir ?? join(work, "jetstream"));
  if (options.serverName) args.push("--server_name", options.serverName);
  if (options.args) args.push(...options.args);
  if (options.cluster) {
    // Fixed even when not given, so a restart rejoins on the address its peers route to.
    const clusterPort = options.cluster.port ?? (await freePort());
    args.push("--cluster", `nats://127.0.0.1:${clusterPort}`, "--cluster_name", options.cluster.name);
    if (options.cluster.routes?.length) args.push("--routes", options.cluster.routes.join(","));
  }
  let current: { child: ChildProcess; port: number };
  try {
    current = await launch([...args, "-p", String(options.port ?? -1)], work);
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    workDirs.delete(work);
    throw err;
  }
  const port = current.port;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return current.child.pid ?? -1;
    },
    stop: () => terminate(current.child, false),
    kill: () => terminate(current.child, true),
    async restart() {
      await terminate(current.child, false);
      current = await launch([...args, "-p", String(port)], work);
    },
    async cleanup() {
      await terminate(current.child, false);
      await rm(work, { recursive: true, force: true });
      workDirs.delete(work);
    },
  };
}

/** A JetStream cluster, resolved once a replicated KV bucket can be created (it has a meta leader). */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = clusterPorts.map((port) => `nats://127.0.0.1:${port}`);
  const started = await Promise.allSettled(
    clusterPorts.map((port, i) =>
      startNatsServer({
        serverName: `n${i}`,
        cluster: { name: "flowc-test", port, routes: routes.filter((_, j) => j !== i) },
      }),
    ),
  );
  const servers = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const cleanup = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.cleanup()));
  };
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    await cleanup();
    throw failed.reason;
  }
  const urls = servers.map((server) => server.url);
  try {
    await waitForJetStream(urls, Math.min(3, size));
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { servers, urls, cleanup };
}

async function waitForJetStream(urls: string[], replicas: number): Promise<void> {
  const nc = await connect({ servers: urls, reconnectTimeWait: 100 });
  const deadline = Date.now() + CLUSTER_READY_TIMEOUT_MS;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const kv = await new Kvm(nc).create(`flowc_ready_${process.pid}_${attempt}`, { replicas });
        await kv.destroy();
        return;
      } catch (err) {
        // Until the servers elect a JetStream meta leader, every request fails or times out.
        if (Date.now() > deadline) throw new Error(`JetStream cluster not ready within ${CLUSTER_READY_TIMEOUT_MS} ms`, { cause: err });
        await delay(200);
      }
    }
  } finally {
    await nc.close();
  }
}
