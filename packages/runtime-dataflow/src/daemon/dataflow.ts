import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Ir } from "@flowc/ir";
import {
  type ChildInit,
  type DriveState,
  type EndedExecutor,
  type Execution,
  ExecutorGroup,
  execArgvFrom,
  type FromExecutor,
  launchChildExecutor,
  type Member,
  processLadder,
  type RecordEntry,
  type RunEnv,
  type RunResult,
  RuntimeError,
  type StatsSample,
  type StopReason,
  setOwn,
  shmDirFor,
  warningEvent,
} from "@flowc/runtime";
import type { Manifest } from "../cluster/bundles.js";
import type { Cluster } from "../cluster/cluster.js";
import type { DataflowOptions, RestartPolicyName } from "../options.js";
import { LogFile } from "./logs.js";
import type { DataflowInfo, ResultRecord, StateStore } from "./state.js";
import { DaemonTimers } from "./timers.js";

/** What the daemon needs to run one dataflow. */
export interface DataflowSpec {
  /** UUIDv7. */
  readonly id: string;
  readonly name: string | null;
  readonly ir: Ir;
  /** `impl.module` paths resolve against it; the default working directory of node processes. */
  readonly baseDir: string;
  readonly durationMs: number | undefined;
  readonly options: DataflowOptions;
  /** The nodes this daemon spawns (routing.ts decides). */
  readonly local: readonly string[];
  /** Where this dataflow's state directory (logs, result record) lives. */
  readonly store: StateStore;
  /** The environment node processes inherit (plus their own `env` settings). */
  readonly env: RunEnv;
  readonly onRecord?: ((entries: readonly RecordEntry[]) => void) | undefined;
  readonly recordValues?: boolean | undefined;
  /** Live statistics every this many ms; none when absent. */
  readonly sampleMs?: number | undefined;
  readonly logMaxBytes?: number | undefined;
  /** This daemon's machine id (recorded). */
  readonly machine: string;
  /** Nodes placed on other machines, by node id (their daemons spawn them through the cluster). */
  readonly remote?: ReadonlyMap<string, string> | undefined;
  /** The NATS cluster the other machines' daemons are reached through (required with `remote`). */
  readonly cluster?: Cluster | undefined;
}

export type DataflowStatus = "starting" | "running" | "stopping" | "succeeded" | "failed" | "stopped";

/** Per-node process facts, for `flowc list --json` and the result record. */
export interface ProcessInfo {
  /** The machine whose daemon runs the process. */
  readonly machine: string;
  /** Its pid on that machine. */
  readonly pid: number | null;
  readonly restarts: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly log: string;
}

/** A node process' own settings: restart policy, environment, working directory, log. */
interface NodeProcess {
  readonly policy: RestartPolicyName;
  readonly maxRestarts: number;
  readonly delayMs: number;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly log: LogFile;
}

/**
 * One dataflow under a daemon: a process per node on the shared executor group (start
 * barrier, report routing, death → FLC3040, the stop ladder Stop → grace → SIGTERM → SIGKILL),
 * plus what is the dataflow engine's own: each process' working directory and environment,
 * stdout/stderr into rotated per-node logs, restart policies with exponential backoff, the
 * daemon's timers, shared memory for large payloads, and the result record. It is the
 * runtime contract's Execution, so the embedded one-shot daemon of `flowc run` is this class.
 */
export class DataflowRun implements Execution {
  readonly spec: DataflowSpec;
  readonly createdAt = Date.now();
  readonly #group: ExecutorGroup;
  readonly #processes = new Map<string, NodeProcess>();
  readonly #shmDir: string;
  readonly #timers: DaemonTimers;
  readonly #dir: string;
  /** The base directory's files, sent to the machines that run some of its nodes. */
  #manifest: Manifest = [];
  endedAt: number | undefined;

  private constructor(spec: DataflowSpec) {
    this.spec = spec;
    const { ir, options } = spec;
    this.#dir = spec.store.dirOf(spec.id);
    const logs = join(this.#dir, "logs");
    mkdirSync(logs, { recursive: true, mode: 0o700 });
    spec.store.writeInfo(this.info());
    const local = new Set([...spec.local, ...(spec.remote?.keys() ?? [])]);
    const indexOf = new Map(ir.nodes.map((n, i) => [n.id, i]));
    for (const node of ir.nodes) {
      if (!local.has(node.id)) continue;
      const settings = (Object.hasOwn(options.nodes, node.id) ? options.nodes[node.id] : undefined) ?? {};
      this.#processes.set(node.id, {
        policy: settings.restart ?? options.restart,
        maxRestarts: settings.maxRestarts ?? options.maxRestarts,
        delayMs: settings.restartDelayMs ?? options.restartDelayMs,
        env: settings.env ?? {},
        cwd: settings.workingDir ? resolve(spec.baseDir, settings.workingDir) : spec.baseDir,
        log: new LogFile(spec.store.logFile(spec.id, node.id), spec.logMaxBytes),
      });
    }
    // The group's socket directory doubles as the fallback for shared memory without /dev/shm.
    this.#group = new ExecutorGroup(
      {
        runtime: "dataflow",
        mode: "process per node",
        ir,
        members: ir.nodes.filter((n) => local.has(n.id)).map((n) => ({ index: indexOf.get(n.id) as number, nodes: [n.id] })),
        handshake: true,
        socketDirPrefix: "flowc-df-",
        durationMs: spec.durationMs,
        graceMs: options.graceMs,
        ladder: processLadder,
        onRecord: spec.onRecord,
      },
      {
        launch: (member, restart, handlers) => this.#launch(member, restart, handlers),
        observe: (member, message) => this.#observe(member, message),
        restartable: (member) => this.#process(member).policy !== "never",
        restartDelay: (member, ended) => this.#restartDelay(member, ended),
        rejoined: (member) => {
          const at = this.#timers.lastTickOf(member.nodes[0] as string);
          if (at !== undefined) this.#group.post(member, { type: "tick", at });
        },
        exited: (member, how) => this.#process(member).log.line("flowc", `process ${how}`),
        started: (epoch) => this.#timers.start(epoch, spec.durationMs),
        stopping: () => this.#timers.stop(),
        finished: () => this.#finished(),
        cleanup: () => {
          this.#timers.stop();
          rmSync(this.#shmDir, { recursive: true, force: true });
          for (const p of this.#processes.values()) p.log.close();
        },
      },
    );
    this.#shmDir = shmDirFor(spec.id, this.#group.socketDir as string);
    this.#timers = new DaemonTimers((nodes, at) => {
      for (const id of nodes) {
        const member = this.#group.memberOf(id);
        if (member?.phase === "running") this.#group.post(member, { type: "tick", at });
      }
    });
    for (const node of ir.nodes)
      if (local.has(node.id) && (node.clock.kind === "rate" || node.clock.kind === "hybrid")) this.#timers.add(node.clock.hz, node.id);
  }

  /** Spawns every local node and holds them at the start barrier; throws FLC3207/FLC3043 naming the node. */
  static async create(spec: DataflowSpec): Promise<DataflowRun> {
    for (const id of spec.local) {
      const cwd = Object.hasOwn(spec.options.nodes, id) ? spec.options.nodes[id]?.workingDir : undefined;
      if (cwd === undefined) continue;
      const dir = resolve(spec.baseDir, cwd);
      if (!existsSync(dir) || !statSync(dir).isDirectory())
        throw RuntimeError.of(
          "BringUpFailed",
          { runtime: "dataflow", node: id, detail: `its working directory ${dir} does not exist` },
          { nodeId: id },
        );
    }
    const run = new DataflowRun(spec);
    const { cluster, remote } = spec;
    if (cluster && remote && remote.size > 0) run.#manifest = await cluster.publish(spec.baseDir);
    await run.#group.bringUp();
    return run;
  }

  #process(member: Member): NodeProcess {
    return this.#processes.get(member.nodes[0] as string) as NodeProcess;
  }

  #launch(member: Member, restart: boolean, handlers: Parameters<typeof launchChildExecutor>[2]) {
    const spec = this.spec;
    const p = this.#process(member);
    const node = member.nodes[0] as string;
    const init: ChildInit = {
      type: "init",
      ir: spec.ir,
      nodes: member.nodes,
      baseDir: spec.baseDir,
      validate: spec.options.validate,
      record: spec.onRecord !== undefined,
      recordValues: spec.recordValues === true,
      durationMs: spec.durationMs,
      statsMs: spec.sampleMs,
      index: member.index,
      socketDir: this.#group.socketDir as string,
      executorOf: spec.ir.nodes.map((n, i) => [n.id, i] as const),
      shm: { dir: this.#shmDir, threshold: spec.options.shmThresholdBytes },
      restart,
      deferClose: p.policy !== "never",
      externalTicks: true,
      ...(spec.cluster && spec.remote && spec.remote.size > 0 ? { remote: spec.cluster.remoteInit(spec.id, node, this.#machineOf()) } : {}),
    };
    const machine = spec.remote?.get(node);
    if (machine !== undefined && spec.cluster) {
      const settings = Object.hasOwn(spec.options.nodes, node) ? spec.options.nodes[node] : undefined;
      const executor = spec.cluster.launchRemote(
        machine,
        {
          dataflow: spec.id,
          supervisor: spec.machine,
          init,
          machineOf: [...this.#machineOf()],
          env: p.env,
          workingDir: settings?.workingDir,
          manifest: this.#manifest,
        },
        handlers,
        (stream, chunk) => p.log.chunk(stream, chunk),
      );
      p.log.line("flowc", `${restart ? `restart ${member.restarts}: ` : ""}asked machine '${machine}' to spawn it`);
      return executor;
    }
    const executor = launchChildExecutor(
      init,
      {
        env: { ...spec.env, ...p.env, FLOWC_DATAFLOW: spec.id, FLOWC_NODE: node },
        cwd: p.cwd,
        execArgv: execArgvFrom(spec.env),
        stdio: (stream, chunk) => p.log.chunk(stream, chunk),
      },
      handlers,
    );
    p.log.line("flowc", `${restart ? `restart ${member.restarts}: ` : ""}spawned pid ${executor.pid} in ${p.cwd}`);
    return executor;
  }

  /** The machine of every node of the dataflow. */
  #machineOf(): Map<string, string> {
    return new Map(this.spec.ir.nodes.map((n) => [n.id, this.spec.remote?.get(n.id) ?? this.spec.machine]));
  }

  /** Node log lines, warnings and endings go to the node's log file too. */
  #observe(member: Member, m: FromExecutor): void {
    const log = this.#process(member).log;
    if (m.type === "event") {
      if (m.event.type === "log") log.line(m.event.level, m.event.message);
      else if (m.event.type === "warning") log.line("warning", `${m.event.code ?? ""} ${m.event.message}`.trim());
    } else if (m.type === "ended") log.line("flowc", `node ended ${m.status}${m.error ? `: ${m.error.message}` : ""}`);
    else if (m.type === "bringUpFailed" && member.restarts > 0) log.line("flowc", `restart failed: ${m.failure.message}`);
  }

  /** The node's restart policy: the backoff before it runs again, or undefined to let it end. */
  #restartDelay(member: Member, ended: EndedExecutor): number | undefined {
    const p = this.#process(member);
    if (member.restarts >= p.maxRestarts) return undefined;
    let restart = false;
    if (p.policy === "onFailure") restart = ended.failed;
    else if (p.policy === "always") {
      // Not once its inputs are all closed: it would only end again (Dora does the same).
      const node = this.spec.ir.nodes.find((n) => n.id === member.nodes[0]);
      const producers = new Set(this.spec.ir.channels.filter((c) => c.to.node === node?.id).map((c) => c.from.node));
      const inputsClosed =
        Object.keys(node?.inputs ?? {}).length > 0 && [...producers].every((id) => this.#group.memberOf(id)?.phase === "gone");
      restart = ended.failed || !inputsClosed;
    }
    if (!restart) return undefined;
    const delay = Math.min(p.delayMs * 2 ** Math.min(member.restarts, 16), this.spec.options.maxRestartDelayMs);
    const detail = ended.died ? `exited (${ended.how})` : `failed: ${ended.error ?? "unknown error"}`;
    this.#group.events.emit(
      warningEvent(member.nodes[0] as string, "NodeRestarting", {
        node: member.nodes[0] as string,
        detail,
        delay: String(delay),
        count: String(member.restarts + 1),
        max: String(p.maxRestarts),
        policy: p.policy,
      }),
    );
    return delay;
  }

  #finished(): void {
    this.endedAt = Date.now();
    try {
      this.spec.store.writeResult(this.record() as ResultRecord);
    } catch (error) {
      this.events.emit({
        type: "log",
        node: "*",
        level: "error",
        message: `could not write the result record: ${(error as Error).message}`,
      });
    }
  }

  // ---- what the daemon shows -------------------------------------------------------------

  get events() {
    return this.#group.events;
  }

  get result(): RunResult | undefined {
    return this.#group.result;
  }

  /** The latest live statistics of its nodes and channels. */
  stats(): StatsSample {
    return this.#group.stats.snapshot();
  }

  get status(): DataflowStatus {
    const result = this.#group.result;
    if (result) return result.status;
    const phase = this.#group.phase;
    if (phase === "stopping") return "stopping";
    if (phase === "running") return "running";
    return "starting";
  }

  processes(): Record<string, ProcessInfo> {
    const out: Record<string, ProcessInfo> = {};
    for (const member of this.#group.members) {
      const id = member.nodes[0] as string;
      setOwn(out, id, {
        machine: this.spec.remote?.get(id) ?? this.spec.machine,
        pid: member.executor ? member.pid : null,
        restarts: member.restarts,
        exitCode: member.exit?.code ?? null,
        signal: member.exit?.signal ?? null,
        log: this.#process(member).log.path,
      });
    }
    return out;
  }

  info(): DataflowInfo {
    const { id, name, ir, machine, baseDir } = this.spec;
    const supervised = new Set([...this.spec.local, ...(this.spec.remote?.keys() ?? [])]);
    const local = ir.nodes.filter((n) => supervised.has(n.id)).map((n) => n.id);
    return {
      id,
      name,
      flow: ir.name,
      machine,
      nodes: local,
      baseDir,
      createdAt: new Date(this.createdAt).toISOString(),
      ownerPid: process.pid,
    };
  }

  /** The result record (once ended). */
  record(): ResultRecord | undefined {
    const result = this.#group.result;
    if (!result) return undefined;
    return {
      ...this.info(),
      status: result.status,
      endedAt: new Date(this.endedAt ?? Date.now()).toISOString(),
      result,
      processes: this.processes(),
    };
  }

  /** Process ids of live node processes (tests check that none outlives a run). */
  pids(): number[] {
    return this.#group.pids();
  }

  logOf(node: string): LogFile | undefined {
    return this.#processes.get(node)?.log;
  }

  // ---- the Execution contract ------------------------------------------------------------

  start(): Promise<void> {
    return this.#group.start();
  }

  drive(): Promise<DriveState> {
    return this.#group.drive();
  }

  wait(options?: { timeoutMs?: number }): Promise<RunResult | undefined> {
    return this.#group.wait(options);
  }

  stop(options?: { graceMs?: number; reason?: StopReason }): Promise<RunResult> {
    return this.#group.stop(options);
  }

  /** Kills every node process now (a second interrupt; `flowc stop --force` with reason "request"). */
  kill(reason?: StopReason): void {
    this.#group.kill(reason);
  }
}
