import { type ChildProcess, fork } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Ir, IrNode } from "@flowc/ir";
import {
  bringUpError,
  type DriveState,
  driveUntilEnded,
  EventBus,
  type Execution,
  emptyReport,
  epochNow,
  Inbox,
  type NodeReport,
  peakRssBytes,
  type RecordEntry,
  type RunResult,
  RunSupervisor,
  RuntimeError,
  type RuntimeEvent,
  type StopReason,
  warningEvent,
} from "@flowc/runtime";
import type { FromNode, NodeInit, ToNode } from "../node/protocol.js";
import { shmDirFor } from "../node/shm.js";
import type { DataflowOptions, RestartPolicyName } from "../options.js";
import { LogFile } from "./logs.js";
import { type DataflowInfo, type ResultRecord, writeJsonAtomic } from "./state.js";
import { DaemonTimers } from "./timers.js";

const fromSource = import.meta.url.endsWith(".ts");
/** Node processes run built JavaScript; from sources (tests) they use the package's dist. */
const nodeEntry = new URL(fromSource ? "../../dist/node/main.js" : "../node/main.js", import.meta.url);

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
  /** This dataflow's state directory: logs/ and the result record. */
  readonly dir: string;
  readonly onRecord?: ((entries: readonly RecordEntry[]) => void) | undefined;
  readonly logMaxBytes?: number | undefined;
  /** This daemon's machine id (recorded). */
  readonly machine: string;
}

export type DataflowStatus = "starting" | "running" | "stopping" | "succeeded" | "failed" | "stopped";

/** Per-node process facts, for `flowc list --json` and the result record. */
export interface ProcessInfo {
  readonly pid: number | null;
  readonly restarts: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly log: string;
}

interface Proc {
  readonly id: string;
  readonly index: number;
  readonly node: IrNode;
  readonly policy: RestartPolicyName;
  readonly maxRestarts: number;
  readonly delayMs: number;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly log: LogFile;
  child: ChildProcess | undefined;
  pid: number | null;
  phase: "spawning" | "listening" | "ready" | "running" | "waiting" | "gone";
  /** The process' own final report ("done"), if it sent one. */
  report: NodeReport | undefined;
  /** Totals of earlier incarnations (restarts). */
  carried: NodeReport | undefined;
  restarts: number;
  exitCode: number | null;
  signal: string | null;
  killed: "ladder" | "force" | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

type Item =
  | { readonly proc: Proc; readonly child: ChildProcess; readonly message: FromNode }
  | { readonly proc: Proc; readonly child: ChildProcess; readonly exit: string }
  | { readonly proc: Proc; readonly restartDue: true };

/**
 * One dataflow under a daemon (dora.md §2.3–2.4): a process per node, spawned with its
 * working directory and environment, stdout/stderr into rotated per-node logs; the start
 * barrier (no message and no timer tick before every node has connected, and a named error
 * if one dies first); the daemon's timers; the stop ladder Stop → grace → SIGTERM →
 * SIGKILL; restart policies with exponential backoff; node statuses and causes through the
 * shared RunSupervisor. Implements the runtime contract's Execution, so the embedded one-shot
 * daemon of `flowc run` is this class alone.
 */
export class DataflowRun implements Execution {
  readonly events = new EventBus<RuntimeEvent>();
  readonly spec: DataflowSpec;
  readonly createdAt = Date.now();
  readonly #supervisor: RunSupervisor;
  readonly #procs = new Map<string, Proc>();
  readonly #inbox = new Inbox<Item>();
  readonly #socketDir: string;
  readonly #shmDir: string;
  readonly #timers: DaemonTimers;
  readonly #final = new Map<string, NodeReport>();
  #phase: "building" | "built" | "running" | "stopping" | "ended" = "building";
  #epoch = 0;
  #startedAt = 0;
  #graceMs: number;
  #ladder: { stage: "stop" | "term" | "kill" | "abandon"; deadline: number } | undefined;
  #result: RunResult | undefined;
  #driving: Promise<DriveState> | undefined;
  #forced = false;
  endedAt: number | undefined;

  private constructor(spec: DataflowSpec) {
    this.spec = spec;
    this.#supervisor = new RunSupervisor(spec.ir, "dataflow", this.events);
    this.#graceMs = spec.options.graceMs;
    this.#socketDir = mkdtempSync(join(tmpdir(), "flowc-df-"));
    this.#shmDir = shmDirFor(spec.id, this.#socketDir);
    this.#timers = new DaemonTimers((nodes, at) => {
      for (const id of nodes) {
        const p = this.#procs.get(id);
        if (p?.phase === "running") this.#post(p, { type: "tick", at });
      }
    });
  }

  /** Spawns every local node and holds them at the start barrier; throws FLC3207/FLC3043 naming the node. */
  static async create(spec: DataflowSpec): Promise<DataflowRun> {
    const run = new DataflowRun(spec);
    try {
      await run.#bringUp();
    } catch (error) {
      await run.#killAll();
      run.#cleanup();
      throw error instanceof RuntimeError ? error : bringUpError("dataflow", error);
    }
    return run;
  }

  get result(): RunResult | undefined {
    return this.#result;
  }

  get status(): DataflowStatus {
    if (this.#result) return this.#result.status;
    if (this.#phase === "stopping") return "stopping";
    if (this.#phase === "running") return "running";
    return "starting";
  }

  processes(): Record<string, ProcessInfo> {
    const out: Record<string, ProcessInfo> = {};
    for (const p of this.#procs.values())
      out[p.id] = { pid: p.child ? p.pid : null, restarts: p.restarts, exitCode: p.exitCode, signal: p.signal, log: p.log.path };
    return out;
  }

  info(): DataflowInfo {
    const { id, name, ir, machine, local, baseDir } = this.spec;
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
    const result = this.#result;
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
    return [...this.#procs.values()].filter((p) => p.child && p.pid !== null).map((p) => p.pid as number);
  }

  logOf(node: string): LogFile | undefined {
    return this.#procs.get(node)?.log;
  }

  // ---- bring-up ------------------------------------------------------------------------

  async #bringUp(): Promise<void> {
    const { ir, options, local } = this.spec;
    const logs = join(this.spec.dir, "logs");
    mkdirSync(logs, { recursive: true, mode: 0o700 });
    writeJsonAtomic(join(this.spec.dir, "dataflow.json"), this.info());
    const localSet = new Set(local);
    ir.nodes.forEach((node, index) => {
      if (!localSet.has(node.id)) return;
      const settings = options.nodes[node.id] ?? {};
      const proc: Proc = {
        id: node.id,
        index,
        node,
        policy: settings.restart ?? options.restart,
        maxRestarts: settings.maxRestarts ?? options.maxRestarts,
        delayMs: settings.restartDelayMs ?? options.restartDelayMs,
        env: settings.env ?? {},
        cwd: settings.workingDir ? resolve(this.spec.baseDir, settings.workingDir) : this.spec.baseDir,
        log: new LogFile(join(logs, `${node.id.replace(/[^A-Za-z0-9_.-]/g, "_")}.log`), this.spec.logMaxBytes),
        child: undefined,
        pid: null,
        phase: "spawning",
        report: undefined,
        carried: undefined,
        restarts: 0,
        exitCode: null,
        signal: null,
        killed: undefined,
        restartTimer: undefined,
      };
      this.#procs.set(node.id, proc);
      if (proc.node.clock.kind === "rate" || proc.node.clock.kind === "hybrid") this.#timers.add(1000 / proc.node.clock.hz, node.id);
    });
    for (const p of this.#procs.values()) this.#spawn(p, false);

    // The start barrier: every node listens, then connects to its consumers and is connected
    // to by its producers; only then does anything start.
    const procs = [...this.#procs.values()];
    const limit = performance.now() + 60_000;
    while (procs.some((p) => p.phase !== "ready")) {
      const item = await this.#next(limit);
      if (!item) throw bringUpError("dataflow", Object.assign(new Error("node processes did not come up within 60 s"), { nodeId: "*" }));
      if ("restartDue" in item) continue;
      if ("exit" in item) {
        if (item.proc.child !== item.child) continue;
        if (!item.child.killed && item.child.exitCode === null && item.child.signalCode === null) continue;
        const tail = item.proc.log.stderrTail(3);
        throw RuntimeError.of("StartBarrierBroken", { node: item.proc.id, detail: `${item.exit}${tail ? `; stderr: ${tail}` : ""}` });
      }
      const m = item.message;
      if (m.type === "listening") {
        item.proc.phase = "listening";
        if (procs.every((p) => p.phase === "listening")) for (const p of procs) this.#post(p, { type: "connect" });
      } else if (m.type === "ready") item.proc.phase = "ready";
      else if (m.type === "bringUpFailed") {
        const cause = Object.assign(new Error(m.code ? `${m.code} ${m.message}` : m.message), { nodeId: m.nodeId });
        throw bringUpError("dataflow", cause);
      } else this.#handleMessage(item.proc, m);
    }
    this.#phase = "built";
    this.events.emit({ type: "built", executors: procs.length, channels: ir.channels.length, mode: "process per node" });
  }

  #spawn(proc: Proc, restart: boolean): void {
    const env: NodeJS.ProcessEnv = { ...process.env, ...proc.env, FLOWC_DATAFLOW: this.spec.id, FLOWC_NODE: proc.id };
    const child = fork(nodeEntry, [], {
      cwd: proc.cwd,
      env,
      serialization: "advanced",
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      // Node.js flags for node processes, for profiling (`--cpu-prof`) or debugging (`--inspect`).
      execArgv: process.env.FLOWC_NODE_EXEC_ARGV?.split(" ").filter((a) => a !== "") ?? [],
    });
    proc.child = child;
    proc.pid = child.pid ?? null;
    proc.phase = "spawning";
    proc.report = undefined;
    proc.killed = undefined;
    child.stdout?.on("data", (d: Buffer) => proc.log.chunk("stdout", d));
    child.stderr?.on("data", (d: Buffer) => proc.log.chunk("stderr", d));
    child.on("message", (message: FromNode) => this.#push({ proc, child, message }));
    child.on("error", (error) => this.#push({ proc, child, exit: `spawn failed: ${error.message}` }));
    // "close", not "exit": stderr is complete by then, so error messages can quote it.
    child.on("close", (code, signal) => {
      proc.exitCode = code;
      proc.signal = signal;
      this.#push({ proc, child, exit: signal ? `killed by ${signal}` : `exit code ${code}` });
    });
    proc.log.line("flowc", `${restart ? `restart ${proc.restarts}: ` : ""}spawned pid ${child.pid} in ${proc.cwd}`);
    const init: NodeInit = {
      type: "init",
      ir: this.spec.ir,
      nodes: [proc.id],
      baseDir: this.spec.baseDir,
      validate: this.spec.options.validate,
      record: this.spec.onRecord !== undefined,
      durationMs: this.spec.durationMs,
      index: proc.index,
      dataflow: this.spec.id,
      socketDir: this.#socketDir,
      shm: { dir: this.#shmDir, threshold: this.spec.options.shmThresholdBytes },
      restart,
      deferClose: proc.policy !== "never",
    };
    child.send(init);
  }

  #post(proc: Proc, message: ToNode): void {
    const child = proc.child;
    if (child?.connected) child.send(message);
  }

  #push(item: Item): void {
    this.#inbox.push(item);
  }

  #next(deadline: number | (() => number)): Promise<Item | undefined> {
    return this.#inbox.next(deadline);
  }

  // ---- running -------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.#phase !== "built") return;
    this.#phase = "running";
    this.#startedAt = performance.now();
    this.#supervisor.markStarted();
    this.#epoch = epochNow();
    for (const p of this.#procs.values()) {
      p.phase = "running";
      this.#post(p, { type: "start", epoch: this.#epoch });
    }
    this.#timers.start(this.#epoch, this.spec.durationMs);
  }

  drive(): Promise<DriveState> {
    this.#driving ??= this.#drive().finally(() => {
      this.#driving = undefined;
    });
    return this.#driving;
  }

  #terminal(): DriveState {
    return this.#result?.status === "failed" ? "failed" : "shutdown";
  }

  async #drive(): Promise<DriveState> {
    if (this.#phase === "ended") return this.#terminal();
    if (this.#phase === "built") await this.start();
    const duration = this.spec.durationMs;
    const until = () => {
      if (this.#phase === "running" && duration !== undefined) return this.#startedAt + duration;
      if (this.#phase === "stopping" && this.#ladder) return this.#ladder.deadline;
      return Number.POSITIVE_INFINITY;
    };
    const item = await this.#next(until);
    if (!item) {
      if (this.#phase === "running") this.#beginStop("duration", `the duration of ${(duration ?? 0) / 1000} s was reached`);
      else if (this.#phase === "stopping") this.#escalate();
    } else this.#handle(item);
    if ([...this.#procs.values()].every((p) => p.phase === "gone")) this.#finish();
    return this.#result ? this.#terminal() : "continue";
  }

  #handle(item: Item): void {
    const proc = item.proc;
    if ("restartDue" in item) {
      proc.restartTimer = undefined;
      if (proc.phase === "waiting") this.#spawn(proc, true);
      return;
    }
    if (proc.child !== item.child) return; // a report of an earlier incarnation
    if ("exit" in item) {
      if (item.child.exitCode === null && item.child.signalCode === null) return; // "error" before "exit"
      this.#exited(proc, item.exit);
      return;
    }
    const m = item.message;
    if (m.type === "listening" && proc.phase === "spawning") {
      proc.phase = "listening";
      this.#post(proc, { type: "connect" });
    } else if (m.type === "ready" && proc.phase === "listening") {
      // A restarted node joins the running dataflow: same epoch, the latest tick, and its
      // producers connect to it again.
      proc.phase = "running";
      this.#post(proc, { type: "start", epoch: this.#epoch });
      const at = this.#timers.lastTickOf(proc.id);
      if (at !== undefined) this.#post(proc, { type: "tick", at });
      for (const producer of this.#producersOf(proc)) this.#post(producer, { type: "reconnect", node: proc.id });
      if (this.#phase === "stopping") this.#post(proc, { type: "stop" });
    } else if (m.type === "bringUpFailed") {
      proc.log.line("flowc", `restart failed: ${m.message}`);
    } else this.#handleMessage(proc, m);
  }

  #handleMessage(proc: Proc, m: FromNode): void {
    switch (m.type) {
      case "event":
        if (m.event.type === "nodeStarted") this.#supervisor.nodeStarted(m.event.node);
        else {
          if (m.event.type === "log") proc.log.line(m.event.level, m.event.message);
          else if (m.event.type === "warning") proc.log.line("warning", `${m.event.code ?? ""} ${m.event.message}`.trim());
          this.events.emit(m.event);
        }
        break;
      case "records":
        this.spec.onRecord?.(m.entries);
        break;
      case "ended":
        proc.log.line("flowc", `node ended ${m.status}${m.error ? `: ${m.error.message}` : ""}`);
        break;
      case "done":
        proc.report = m.reports[0];
        break;
      default:
        break;
    }
  }

  /** A node process exited: restart it (policy), or settle its node. */
  #exited(proc: Proc, how: string): void {
    proc.child = undefined;
    proc.log.line("flowc", `process ${how}`);
    const report = proc.report;
    const died = report === undefined;
    const failed = died || report.status === "FAILED";
    if (this.#shouldRestart(proc, failed)) {
      const delay = Math.min(proc.delayMs * 2 ** Math.min(proc.restarts, 16), this.spec.options.maxRestartDelayMs);
      proc.restarts++;
      proc.carried = sumReports(proc.carried, report);
      proc.phase = "waiting";
      const detail = died ? `exited (${how})` : `failed: ${report.error?.message ?? "unknown error"}`;
      this.events.emit(
        warningEvent(proc.id, "NodeRestarting", {
          node: proc.id,
          detail,
          delay: String(delay),
          count: String(proc.restarts),
          max: String(proc.maxRestarts),
          policy: proc.policy,
        }),
      );
      proc.restartTimer = setTimeout(() => this.#push({ proc, restartDue: true }), delay);
      return;
    }
    let final: NodeReport;
    if (died) {
      if (proc.killed || this.#phase === "stopping") {
        const status = this.#supervisor.statusForUnfinished(proc.id, this.#supervisor.hasStarted(proc.id));
        final = emptyReport(proc.id, status, null);
      } else {
        const tail = proc.log.stderrTail(3);
        const error = RuntimeError.of("ExecutorDied", {
          node: proc.id,
          detail: `${how}${proc.restarts > 0 ? ` (after ${proc.restarts} restart${proc.restarts === 1 ? "" : "s"})` : ""}${tail ? `; stderr: ${tail}` : ""}`,
        });
        final = emptyReport(proc.id, "FAILED", { nodeId: proc.id, message: error.message, stack: null, code: error.diagnostic.code });
      }
    } else if (report.status === "STOPPED") {
      final = { ...report, status: this.#supervisor.statusForUnfinished(proc.id, report.steps > 0) };
    } else final = report;
    this.#settle(proc, final);
  }

  #shouldRestart(proc: Proc, failed: boolean): boolean {
    if (this.#phase !== "running" || proc.killed) return false;
    if (proc.restarts >= proc.maxRestarts) return false;
    if (proc.policy === "onFailure") return failed;
    if (proc.policy === "always") {
      // Not once its inputs are all closed: it would only end again (Dora does the same).
      const producers = this.#producersOf(proc);
      const inputsClosed = proc.node.inputs && Object.keys(proc.node.inputs).length > 0 && producers.every((p) => p.phase === "gone");
      return failed || !inputsClosed;
    }
    return false;
  }

  #producersOf(proc: Proc): Proc[] {
    const ids = new Set(this.spec.ir.channels.filter((c) => c.to.node === proc.id).map((c) => c.from.node));
    return [...this.#procs.values()].filter((p) => ids.has(p.id));
  }

  #consumersOf(proc: Proc): Proc[] {
    const ids = new Set(this.spec.ir.channels.filter((c) => c.from.node === proc.id).map((c) => c.to.node));
    return [...this.#procs.values()].filter((p) => ids.has(p.id));
  }

  /** The node is done for good: record it, close its consumers' inputs, apply the failure policy. */
  #settle(proc: Proc, report: NodeReport): void {
    proc.phase = "gone";
    const total = sumReports(proc.carried, report) as NodeReport;
    this.#final.set(proc.id, { ...total, status: report.status, error: report.error });
    // Inputs it fed end once its data is in: always when it died, and when the daemon owns the
    // closing (restart policies).
    if (proc.report === undefined || proc.policy !== "never")
      for (const c of this.#consumersOf(proc)) this.#post(c, { type: "inputsClosed", node: proc.id, index: proc.index });
    if (this.#supervisor.nodeEnded(proc.id, report.status, report.error) === "stop")
      this.#beginStop("failure", `node '${proc.id}' failed: ${report.error?.message ?? "unknown error"}`);
    if (this.#supervisor.allEnded() && this.#phase === "running") this.#beginStop("completed", "every node finished");
  }

  // ---- stopping ------------------------------------------------------------------------

  /** Stop → grace → SIGTERM → grace/2 → SIGKILL; `force` kills at once. */
  #beginStop(reason: StopReason, detail: string, force = false): void {
    if (this.#phase === "ended") return;
    if (this.#phase !== "stopping") {
      this.#supervisor.beginStop(reason, detail);
      this.#phase = "stopping";
      this.#timers.stop();
      for (const p of this.#procs.values()) {
        if (p.phase !== "waiting") continue;
        clearTimeout(p.restartTimer);
        this.#settle(p, emptyReport(p.id, this.#supervisor.statusForUnfinished(p.id, this.#supervisor.hasStarted(p.id)), null));
      }
      if (!force) {
        for (const p of this.#procs.values()) this.#post(p, { type: "stop" });
        this.#ladder = { stage: "stop", deadline: performance.now() + this.#graceMs };
      }
    }
    if (force) {
      this.#forced = true;
      this.#signalAll("SIGKILL", "force");
      this.#ladder = { stage: "kill", deadline: performance.now() + 5000 };
    }
    this.#inbox.wake();
  }

  #escalate(): void {
    const ladder = this.#ladder;
    if (!ladder) return;
    if (ladder.stage === "stop") {
      for (const p of this.#procs.values())
        if (p.child) this.events.emit(warningEvent(p.id, "StopTimeout", { node: p.id, grace: this.#graceMs }));
      this.#forced = this.#signalAll("SIGTERM", "ladder") || this.#forced;
      this.#ladder = { stage: "term", deadline: performance.now() + this.#graceMs / 2 };
    } else if (ladder.stage === "term") {
      this.#signalAll("SIGKILL", "ladder");
      this.#ladder = { stage: "kill", deadline: performance.now() + 5000 };
    } else {
      // The kernel did not report the exits within 5 s: give the nodes up.
      for (const p of this.#procs.values()) if (p.phase !== "gone") this.#exited(p, "did not exit after SIGKILL");
    }
  }

  #signalAll(signal: NodeJS.Signals, why: "ladder" | "force"): boolean {
    let any = false;
    for (const p of this.#procs.values()) {
      if (!p.child) continue;
      p.killed = why;
      p.child.kill(signal);
      any = true;
    }
    return any;
  }

  async #killAll(): Promise<void> {
    this.#timers.stop();
    for (const p of this.#procs.values()) {
      clearTimeout(p.restartTimer);
      p.child?.kill("SIGKILL");
    }
    const limit = performance.now() + 5000;
    while ([...this.#procs.values()].some((p) => p.child && p.child.exitCode === null && p.child.signalCode === null)) {
      if (performance.now() > limit) break;
      const item = await this.#next(limit);
      if (item && "exit" in item && item.proc.child === item.child) item.proc.child = undefined;
    }
  }

  #finish(): void {
    if (this.#phase === "ended") return;
    this.#phase = "ended";
    this.endedAt = Date.now();
    this.#timers.stop();
    this.#supervisor.beginStop("completed", "every node finished");
    for (const report of this.#final.values()) this.#supervisor.report(report);
    // Like mp's process mode: this process plus every node process (its largest incarnation).
    let nodes = 0;
    for (const report of this.#final.values()) nodes += report.peakMemoryBytes ?? 0;
    this.#result = this.#supervisor.result(peakRssBytes() + nodes);
    this.#cleanup();
    try {
      writeJsonAtomic(join(this.spec.dir, "result.json"), this.record());
    } catch (error) {
      this.events.emit({
        type: "log",
        node: "*",
        level: "error",
        message: `could not write the result record: ${(error as Error).message}`,
      });
    }
    this.events.emit({ type: "stopped", result: this.#result, clean: !this.#forced });
  }

  #cleanup(): void {
    rmSync(this.#socketDir, { recursive: true, force: true });
    rmSync(this.#shmDir, { recursive: true, force: true });
    for (const p of this.#procs.values()) p.log.close();
  }

  // ---- the Execution contract ------------------------------------------------------------

  async wait(options: { timeoutMs?: number } = {}): Promise<RunResult | undefined> {
    if (
      !(await driveUntilEnded(
        () => this.drive(),
        () => this.#phase === "ended",
        options.timeoutMs,
      ))
    )
      return undefined;
    return this.#result;
  }

  async stop(options: { graceMs?: number; reason?: StopReason; force?: boolean } = {}): Promise<RunResult> {
    if (options.graceMs !== undefined) this.#graceMs = options.graceMs;
    if (this.#phase === "built") await this.start();
    this.#beginStop(
      options.reason ?? "request",
      options.reason === "signal" ? "interrupted by a signal" : "stop requested",
      options.force === true,
    );
    return (await this.wait()) as RunResult;
  }

  kill(): void {
    this.#beginStop("signal", "killed", true);
  }
}

function sumReports(a: NodeReport | undefined, b: NodeReport | undefined): NodeReport | undefined {
  if (!a) return b;
  if (!b) return a;
  return {
    ...b,
    steps: a.steps + b.steps,
    messagesIn: a.messagesIn + b.messagesIn,
    messagesOut: a.messagesOut + b.messagesOut,
    dropped: a.dropped + b.dropped,
    durationMs: a.durationMs + b.durationMs,
    cpuMs: a.cpuMs + b.cpuMs,
    peakMemoryBytes: Math.max(a.peakMemoryBytes ?? 0, b.peakMemoryBytes ?? 0) || null,
  };
}
