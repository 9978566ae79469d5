import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Duplex } from "node:stream";
import {
  type ChildInit,
  entryUrl,
  execArgvFrom,
  type LaunchedExecutor,
  type LaunchHandlers,
  launchChildExecutor,
  RuntimeError,
  shmDirFor,
} from "@flowc/runtime";
import { type ObjectStore, Objm } from "@nats-io/obj";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { materialize, publishTree } from "./bundles.js";
import { type ExecDown, type ExecUp, RemoteExecutor, type SpawnSpec } from "./exec.js";
import type { LinkOptions } from "./links.js";
import { DEFAULT_TIMINGS, type MachineView, Membership, type MembershipTimings } from "./membership.js";
import { dialPipe, listenPipes } from "./pipe.js";
import { Registry } from "./registry.js";
import { connectionOptions, type NatsSettings, redactUrl } from "./settings.js";
import { MessageLink } from "./wire.js";

/** The module node processes load for their links to other machines (links.ts), in every layout. */
const LINKS_MODULE = entryUrl(import.meta.url, { source: "../../dist/cluster/links.js", dist: "./links.js", packed: "cluster-links.js" });

export interface ClusterOptions {
  readonly machine: string;
  readonly version: string;
  readonly protocol: number;
  /** Where this daemon keeps what other machines sent it (bundles) — its runtime directory. */
  readonly workDir: string;
  /** The environment node processes spawned for other daemons inherit. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where the NATS password or token variables are (the daemon's own environment). */
  readonly secrets: Readonly<Record<string, string | undefined>>;
  readonly log: (line: string) => void;
  readonly timings?: MembershipTimings | undefined;
  /** Takes another daemon's pipe to this daemon's control protocol (its client is authenticated there). */
  readonly control: (pipe: Duplex) => void;
}

/** `flowc daemon status` with a cluster. */
export interface ClusterStatus {
  readonly name: string;
  readonly url: string;
  readonly machines: readonly MachineView[];
}

/**
 * This daemon's membership of a flowc cluster on NATS. There is no coordinator: machines
 * register in a KV bucket (membership.ts); the daemon that receives `start` supervises the
 * dataflow and asks each other machine's daemon, over a pipe (pipe.ts), to spawn the nodes
 * placed there; bundles travel through the object store by content hash; a channel between
 * machines is a pipe between the two node processes (links.ts), carrying the same frames as
 * their Unix sockets, with no daemon in between.
 *
 * Subjects: `flowc.<cluster>.m.<machine>.exec` (spawn pipes), `.ctl` (forwarded control
 * requests), `flowc.<cluster>.df.<dataflow>.x.<executor>` (channels into a node process).
 */
export class Cluster {
  readonly nc: NatsConnection;
  /** Set once the machine is registered (join); other daemons can reach this one before that. */
  membership!: Membership;
  /** Every dataflow of the cluster and the machine that supervises it. */
  readonly registry: Registry;
  readonly settings: NatsSettings;
  readonly #options: ClusterOptions;
  readonly #bundles: ObjectStore;
  /** Socket directories of the dataflows this daemon runs node processes for, by dataflow. */
  readonly #socketDirs = new Map<string, string>();
  readonly #listeners: { close(): void }[] = [];
  /** Node processes this daemon runs for other daemons, by dataflow. */
  readonly #hosted = new Map<string, Set<{ kill(): void }>>();
  readonly #remotes = new Set<RemoteExecutor>();

  private constructor(nc: NatsConnection, registry: Registry, bundles: ObjectStore, settings: NatsSettings, options: ClusterOptions) {
    this.nc = nc;
    this.registry = registry;
    this.#bundles = bundles;
    this.settings = settings;
    this.#options = options;
  }

  /** Connects, opens the buckets, registers the machine (FLC3212, FLC3213) and starts serving other daemons. */
  static async join(settings: NatsSettings, options: ClusterOptions): Promise<Cluster> {
    let nc: NatsConnection;
    try {
      nc = await connect(connectionOptions(settings, options.secrets, `flowc-daemon-${options.machine}`));
    } catch (error) {
      throw RuntimeError.of("ClusterUnreachable", { url: redactUrl(settings.url), detail: (error as Error).message });
    }
    try {
      const bundles = await new Objm(nc).create(`flowc-${settings.cluster}-bundles`, { replicas: settings.replicas });
      const registry = await Registry.open(nc, settings.cluster, settings.replicas);
      const cluster = new Cluster(nc, registry, bundles, settings, options);
      // Serving before registering: a daemon that sees this machine can reach it at once.
      cluster.#serve();
      await nc.flush();
      cluster.membership = await Membership.join(
        nc,
        settings.cluster,
        {
          machine: options.machine,
          daemon: randomUUID(),
          version: options.version,
          protocol: options.protocol,
          startedAt: new Date().toISOString(),
        },
        options.timings ?? DEFAULT_TIMINGS,
        settings.replicas,
      );
      cluster.membership.onLost((machine, detail) => cluster.#machineLost(machine, detail));
      return cluster;
    } catch (error) {
      await nc.close().catch(() => {});
      if (error instanceof RuntimeError) throw error;
      throw RuntimeError.of("ClusterUnreachable", {
        url: redactUrl(settings.url),
        detail: `${(error as Error).message} (is JetStream enabled? nats-server -js)`,
      });
    }
  }

  get machine(): string {
    return this.#options.machine;
  }

  #subject(machine: string, what: "exec" | "ctl"): string {
    return `flowc.${this.settings.cluster}.m.${machine}.${what}`;
  }

  status(): ClusterStatus {
    return { name: this.settings.cluster, url: redactUrl(this.settings.url), machines: this.membership.machines() };
  }

  #machineLost(machine: string, detail: string): void {
    this.#options.log(`machine '${machine}' lost: ${detail}`);
    for (const remote of this.#remotes) if (remote.machine === machine) remote.lost(detail);
    void this.registry.supervisorLost(machine);
  }

  // ---- the control protocol between daemons ----------------------------------------------

  /** A pipe to `machine`'s control protocol, to forward one client request. */
  dialControl(machine: string): Promise<Duplex> {
    return dialPipe(this.nc, this.#subject(machine, "ctl"), { from: this.machine });
  }

  // ---- supervising side ------------------------------------------------------------------

  /** Sends a dataflow's base directory to the object store; the manifest goes with every spawn. */
  publish(baseDir: string) {
    return publishTree(this.#bundles, baseDir);
  }

  /** Asks `machine`'s daemon to spawn one node process; its IPC and output come back over a pipe. */
  launchRemote(
    machine: string,
    spec: SpawnSpec,
    handlers: LaunchHandlers,
    stdio: (stream: "stdout" | "stderr", chunk: Buffer) => void,
  ): LaunchedExecutor {
    let executor: RemoteExecutor | undefined;
    const early: (() => void)[] = [];
    // The group wants its executor now; the pipe is dialed behind it (posts wait in `early`).
    const pending: LaunchedExecutor = {
      kind: "process",
      ownMemory: true,
      get pid() {
        return executor?.pid;
      },
      post: (m) => (executor ? executor.post(m) : early.push(() => executor?.post(m))),
      kill: (action) => {
        if (executor) return executor.kill(action);
        early.push(() => executor?.kill(action));
        return true;
      },
      retire: () => {},
      stderrTail: (lines) => executor?.stderrTail(lines) ?? "",
    };
    const lost = (detail: string) =>
      handlers.onExit({ code: null, signal: null, error: `FLC3214 machine '${machine}' was lost: ${detail}` });
    if (!this.membership.isUp(machine)) {
      setImmediate(() => lost("its daemon is not up"));
      return pending;
    }
    dialPipe(this.nc, this.#subject(machine, "exec"), { dataflow: spec.dataflow, index: spec.init.index })
      .then((pipe) => {
        const remote = new RemoteExecutor(
          pipe,
          spec,
          {
            onMessage: handlers.onMessage,
            onExit: (exit) => {
              this.#remotes.delete(remote);
              handlers.onExit(exit);
            },
          },
          stdio,
          machine,
        );
        executor = remote;
        this.#remotes.add(remote);
        for (const f of early.splice(0)) f();
      })
      .catch((error: Error) => lost(`its daemon did not take the node (${error.message})`));
    return pending;
  }

  // ---- channels between machines ---------------------------------------------------------

  /**
   * What a node process of `dataflow` needs to reach the nodes placed on other machines: their
   * ids and its links (links.ts: its own NATS connection and pipes), with the credentials the
   * settings name handed over in the init message rather than the environment.
   */
  remoteInit(dataflow: string, node: string, machineOf: ReadonlyMap<string, string>): NonNullable<ChildInit["remote"]> {
    const { settings } = this;
    const secrets: Record<string, string> = {};
    for (const name of [settings.passwordEnv ?? "FLOWC_NATS_PASSWORD", settings.tokenEnv ?? "FLOWC_NATS_TOKEN"]) {
      const value = this.#options.secrets[name];
      if (value !== undefined) secrets[name] = value;
    }
    const options: LinkOptions = { settings, secrets, dataflow, node };
    const mine = machineOf.get(node);
    return { nodes: [...machineOf].filter(([, m]) => m !== mine).map(([n]) => n), module: LINKS_MODULE.href, options };
  }

  // ---- hosting side ----------------------------------------------------------------------

  #serve(): void {
    this.#listeners.push(listenPipes(this.nc, this.#subject(this.machine, "ctl"), (pipe) => this.#options.control(pipe)));
    this.#listeners.push(
      listenPipes(this.nc, this.#subject(this.machine, "exec"), (pipe) => {
        // Posts and kills that arrive while the bundle is fetched wait for the process.
        const early: ExecDown[] = [];
        let deliver: ((m: ExecDown) => void) | undefined;
        const link: MessageLink<ExecDown, ExecUp> = new MessageLink<ExecDown, ExecUp>(pipe, (m) => {
          if (m.t === "spawn")
            void this.#host(m.spec, pipe, link, (d) => {
              deliver = d;
              for (const e of early.splice(0)) d(e);
            });
          else if (deliver) deliver(m);
          else early.push(m);
        });
      }),
    );
  }

  /** Runs one node process for another machine's daemon, relaying its IPC, output and exit over `pipe`. */
  async #host(
    spec: SpawnSpec,
    pipe: Duplex,
    link: MessageLink<ExecDown, ExecUp>,
    deliverTo: (d: (m: ExecDown) => void) => void,
  ): Promise<void> {
    const node = spec.init.nodes[0] as string;
    const log = (line: string) => this.#options.log(`dataflow ${spec.dataflow} node '${node}': ${line}`);
    const gone = (exit: { code: number | null; signal: string | null; error: string | null }, tail = "") => {
      link.send({ t: "exit", exit, tail });
      link.end();
    };
    let baseDir: string;
    let socketDir: string;
    try {
      ({ baseDir, socketDir } = await this.#prepare(spec));
    } catch (error) {
      log(`could not be prepared: ${(error as Error).message}`);
      return gone({ code: null, signal: null, error: `spawn failed on machine '${this.machine}': ${(error as Error).message}` });
    }
    const init: ChildInit = {
      ...spec.init,
      baseDir,
      socketDir,
      shm: spec.init.shm ? { dir: shmDirFor(spec.dataflow, socketDir), threshold: spec.init.shm.threshold } : null,
      remote: this.remoteInit(spec.dataflow, node, new Map(spec.machineOf)),
    };
    const hosted = this.#hosted.get(spec.dataflow) ?? new Set();
    this.#hosted.set(spec.dataflow, hosted);
    let exited = false;
    const executor = launchChildExecutor(
      init,
      {
        env: { ...this.#options.env, ...spec.env, FLOWC_DATAFLOW: spec.dataflow, FLOWC_NODE: node },
        cwd: spec.workingDir ? resolve(baseDir, spec.workingDir) : baseDir,
        execArgv: execArgvFrom(this.#options.env),
        stdio: (stream, chunk) => link.send({ t: "io", stream, chunk }),
      },
      {
        onMessage: (m) => link.send({ t: "m", m }),
        onExit: (exit) => {
          exited = true;
          hosted.delete(entry);
          log(`process exited (${exit.signal ? `killed by ${exit.signal}` : (exit.error ?? `exit code ${exit.code}`)})`);
          gone(exit, executor.stderrTail(20));
          if (hosted.size === 0) this.#release(spec.dataflow);
        },
      },
    );
    const entry = { kill: () => executor.kill("SIGKILL") };
    hosted.add(entry);
    log(`spawned pid ${executor.pid} for machine '${spec.supervisor}'`);
    link.send({ t: "spawned", pid: executor.pid });
    deliverTo((m) => {
      if (m.t === "post") executor.post(m.m);
      else if (m.t === "kill") executor.kill(m.action);
    });
    // The supervisor is gone (its machine lost, or the pipe broke): nobody will stop this process.
    const orphaned = () => {
      if (!exited) {
        log("its supervisor is gone: killing it");
        executor.kill("SIGKILL");
      }
    };
    pipe.on("error", orphaned);
    pipe.on("close", orphaned);
    const unsubscribe = this.membership.onLost((machine) => {
      if (machine === spec.supervisor) orphaned();
    });
    pipe.on("close", unsubscribe);
  }

  /** The dataflow's directories on this machine (created at its first node): bundles and sockets. */
  async #prepare(spec: SpawnSpec): Promise<{ baseDir: string; socketDir: string }> {
    const dir = join(this.#options.workDir, "hosted", spec.dataflow);
    const baseDir = join(dir, "base");
    let socketDir = this.#socketDirs.get(spec.dataflow);
    if (socketDir === undefined) {
      mkdirSync(baseDir, { recursive: true, mode: 0o700 });
      await materialize(this.#bundles, spec.manifest, join(this.#options.workDir, "bundle-cache"), baseDir);
      socketDir = this.#socketDirs.get(spec.dataflow) ?? mkdtempSync(join(tmpdir(), `flowc-df-${process.pid}-`));
      this.#socketDirs.set(spec.dataflow, socketDir);
    }
    return { baseDir, socketDir };
  }

  /** The last node process of a hosted dataflow ended: its directories go. */
  #release(dataflow: string): void {
    const socketDir = this.#socketDirs.get(dataflow);
    this.#socketDirs.delete(dataflow);
    this.#hosted.delete(dataflow);
    if (socketDir !== undefined) {
      rmSync(socketDir, { recursive: true, force: true });
      rmSync(shmDirFor(dataflow, socketDir), { recursive: true, force: true });
    }
    rmSync(join(this.#options.workDir, "hosted", dataflow), { recursive: true, force: true });
  }

  /** Kills what this daemon hosts, leaves the cluster (`leave`: its machine id is free at once) and disconnects. */
  async close(leave: boolean): Promise<void> {
    for (const [dataflow, hosted] of this.#hosted) {
      for (const h of hosted) h.kill();
      this.#release(dataflow);
    }
    for (const l of this.#listeners) l.close();
    for (const remote of this.#remotes) remote.lost("this daemon is shutting down");
    this.registry.close();
    await this.membership.close(leave);
    await this.nc.drain().catch(() => this.nc.close());
  }
}
