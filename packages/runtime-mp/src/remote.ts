import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import { analyze, fuse, type Ir, isFusedNode } from "@flowc/ir";
import {
  type BuildOptions,
  bringUpError,
  type DriveState,
  driveUntilEnded,
  EventBus,
  type Execution,
  emptyReport,
  epochNow,
  type FromExecutor,
  Inbox,
  type InitMessage,
  type NodeReport,
  peakRssBytes,
  type RunResult,
  RunSupervisor,
  RuntimeError,
  type RuntimeEvent,
  type StopReason,
  type ToExecutor,
  warningEvent,
} from "@flowc/runtime";

import type { ProcessInit } from "./process-node.js";
import { createRing, Doorbells, type RingSpec } from "./ring.js";
import type { ThreadInit } from "./thread-worker.js";

const fromSource = import.meta.url.endsWith(".ts");
/** Executors run built JavaScript; from sources (tests) they use the package's dist. */
const entry = (name: string) => new URL(fromSource ? `../dist/${name}.js` : `./${name}.js`, import.meta.url);

interface Executor {
  readonly index: number;
  readonly nodes: readonly string[];
  post(message: ToExecutor): void;
  kill(): void;
  done: boolean;
  /** The thread or process is gone (set by its exit event). */
  exited: boolean;
  /** Its exit has been handled: every report it sent before exiting was handled first. */
  settled: boolean;
  /** Killed by flowc (after "done", or by the grace ladder). */
  killed: boolean;
  /** Killed because it did not stop in time. */
  forced: boolean;
  readonly pid: number | undefined;
}

type Incoming = { readonly executor: Executor; readonly message: FromExecutor } | { readonly executor: Executor; readonly exit: string };

/**
 * Thread and process executions. The calling thread only supervises: executors (one per node,
 * or per fused chain) run the node hosts and talk to each other directly (shared-memory rings
 * between threads, Unix sockets between processes); they report events, records and results
 * here. `drive()` handles one report, or one timer (duration, grace period).
 */
export class RemoteExecution implements Execution {
  readonly events = new EventBus<RuntimeEvent>();
  readonly #ir: Ir;
  readonly #options: BuildOptions;
  readonly #isolation: "thread" | "process";
  readonly #supervisor: RunSupervisor;
  readonly #executors: Executor[] = [];
  readonly #inbox = new Inbox<Incoming>();
  #bells: Doorbells | undefined;
  #socketDir: string | undefined;
  #phase: "building" | "built" | "running" | "stopping" | "ended" = "building";
  #startedAt = 0;
  #graceDeadline: number | undefined;
  #graceMs = 5000;
  #result: RunResult | undefined;
  readonly #reports = new Map<string, NodeReport>();
  #driving: Promise<DriveState> | undefined;
  #childPeak = 0;

  private constructor(ir: Ir, options: BuildOptions, isolation: "thread" | "process") {
    this.#ir = ir;
    this.#options = options;
    this.#isolation = isolation;
    this.#supervisor = new RunSupervisor(ir, "mp", this.events);
    this.#graceMs = options.graceMs ?? 5000;
  }

  static async create(
    ir: Ir,
    options: BuildOptions,
    mp: { isolation: "thread" | "process"; fuse: boolean; validate: boolean; spinUs: number },
  ): Promise<RemoteExecution> {
    const execution = new RemoteExecution(ir, options, mp.isolation);
    try {
      await execution.#bringUp(mp.fuse, mp.validate, mp.spinUs);
    } catch (error) {
      await execution.#killAll();
      execution.#cleanup();
      throw error instanceof RuntimeError ? error : bringUpError("mp", error);
    }
    return execution;
  }

  get result(): RunResult | undefined {
    return this.#result;
  }

  /** Executor groups: one per node, or one per fused chain, in topological order. */
  #groups(fuseChains: boolean): string[][] {
    if (fuseChains) {
      return fuse(this.#ir).nodes.map((n) => (isFusedNode(n) ? n.impl.members.map((m) => m.id) : [n.id]));
    }
    return analyze(this.#ir).order.map((id) => [id]);
  }

  async #bringUp(fuseChains: boolean, validate: boolean, spinUs: number): Promise<void> {
    const ir = this.#ir;
    const groups = this.#groups(fuseChains);
    const executorOf: Record<string, number> = {};
    groups.forEach((nodes, i) => {
      for (const id of nodes) executorOf[id] = i;
    });
    const base = (index: number, nodes: readonly string[]): InitMessage => ({
      type: "init",
      ir,
      nodes,
      baseDir: this.#options.baseDir,
      validate,
      record: this.#options.onRecord !== undefined,
      durationMs: this.#options.durationMs,
      index,
    });
    const ready = new Set<number>();
    if (this.#isolation === "thread") {
      const bells = Doorbells.create(groups.length);
      this.#bells = bells;
      const rings: Record<number, Record<string, { spec: RingSpec; port: MessagePort }>> = {};
      const transfer: Record<number, MessagePort[]> = {};
      groups.forEach((_, i) => {
        rings[i] = {};
        transfer[i] = [];
      });
      for (const c of ir.channels) {
        const from = executorOf[c.from.node] as number;
        const to = executorOf[c.to.node] as number;
        if (from === to) continue;
        const spec = createRing(c, from, to);
        const { port1, port2 } = new MessageChannel();
        (rings[from] as Record<string, { spec: RingSpec; port: MessagePort }>)[c.id] = { spec, port: port1 };
        (rings[to] as Record<string, { spec: RingSpec; port: MessagePort }>)[c.id] = { spec, port: port2 };
        transfer[from]?.push(port1);
        transfer[to]?.push(port2);
      }
      groups.forEach((nodes, i) => {
        const init: ThreadInit = { ...base(i, nodes), bells: bells.sab, spinUs, rings: rings[i] ?? {} };
        const worker = new Worker(entry("thread-worker"), {
          workerData: init,
          transferList: transfer[i] ?? [],
          execArgv: [],
          name: `flowc ${nodes.join("+")}`,
        });
        const executor: Executor = {
          index: i,
          nodes,
          pid: undefined,
          done: false,
          exited: false,
          settled: false,
          killed: false,
          forced: false,
          post: (m) => worker.postMessage(m),
          kill: () => {
            executor.killed = true;
            void worker.terminate();
          },
        };
        worker.on("message", (message: FromExecutor) => this.#push({ executor, message }));
        worker.on("error", (error) => this.#push({ executor, exit: `uncaught ${error.name}: ${error.message}` }));
        worker.on("exit", (code) => {
          executor.exited = true;
          this.#push({ executor, exit: `exit code ${code}` });
        });
        this.#executors.push(executor);
      });
    } else {
      const socketDir = mkdtempSync(join(tmpdir(), "flowc-mp-"));
      this.#socketDir = socketDir;
      groups.forEach((nodes, i) => {
        const child: ChildProcess = fork(entry("process-node"), [], {
          serialization: "advanced",
          stdio: ["ignore", "inherit", "inherit", "ipc"],
          execArgv: [],
        });
        const executor: Executor = {
          index: i,
          nodes,
          pid: child.pid,
          done: false,
          exited: false,
          settled: false,
          killed: false,
          forced: false,
          post: (m) => {
            if (child.connected) child.send(m);
          },
          kill: () => {
            executor.killed = true;
            child.kill("SIGKILL");
          },
        };
        child.on("message", (message: FromExecutor) => this.#push({ executor, message }));
        child.on("error", (error) => this.#push({ executor, exit: `spawn failed: ${error.message}` }));
        child.on("exit", (code, signal) => {
          executor.exited = true;
          this.#push({ executor, exit: signal ? `killed by ${signal}` : `exit code ${code}` });
        });
        const init: ProcessInit = { ...base(i, nodes), socketDir, executorOf };
        child.send(init);
        this.#executors.push(executor);
      });
    }
    // Bring-up: every executor loads and sets up its nodes (processes first listen, then connect).
    const listening = new Set<number>();
    const limit = performance.now() + 60_000;
    while (ready.size < this.#executors.length) {
      const item = await this.#next(limit);
      if (!item) throw bringUpError("mp", Object.assign(new Error("executors did not come up within 60 s"), { nodeId: "*" }));
      if ("exit" in item) {
        if (item.executor.exited) {
          throw bringUpError(
            "mp",
            Object.assign(new Error(`its executor ended during bring-up (${item.exit})`), { nodeId: item.executor.nodes[0] }),
          );
        }
        continue;
      }
      const m = item.message;
      if (m.type === "listening") {
        listening.add(item.executor.index);
        if (listening.size === this.#executors.length) for (const e of this.#executors) e.post({ type: "connect" });
      } else if (m.type === "ready") ready.add(item.executor.index);
      else if (m.type === "bringUpFailed") {
        const cause = Object.assign(new Error(m.code ? `${m.code} ${m.message}` : m.message), { nodeId: m.nodeId });
        throw bringUpError("mp", cause);
      } else this.#handle(item);
    }
    this.#phase = "built";
    this.events.emit({ type: "built", executors: this.#executors.length, channels: ir.channels.length, mode: this.#isolation });
  }

  #push(item: Incoming): void {
    this.#inbox.push(item);
  }

  /** The next report, or undefined when the deadline passes first or every executor has exited. */
  #next(deadline: number | (() => number)): Promise<Incoming | undefined> {
    return this.#inbox.next(deadline, () => this.#executors.length > 0 && this.#executors.every((e) => e.exited));
  }

  async start(): Promise<void> {
    if (this.#phase !== "built") return;
    this.#phase = "running";
    this.#startedAt = performance.now();
    this.#supervisor.markStarted();
    const epoch = epochNow();
    for (const e of this.#executors) e.post({ type: "start", epoch });
  }

  drive(): Promise<DriveState> {
    this.#driving ??= this.#drive().finally(() => {
      this.#driving = undefined;
    });
    return this.#driving;
  }

  #ended(): boolean {
    return this.#phase === "ended";
  }

  #terminal(): DriveState {
    return this.#result?.status === "failed" ? "failed" : "shutdown";
  }

  async #drive(): Promise<DriveState> {
    if (this.#phase === "ended") return this.#terminal();
    if (this.#phase === "built") await this.start();
    const duration = this.#options.durationMs;
    // Re-evaluated on every wake-up: a stop that begins while we wait brings in the grace deadline.
    const until = () => {
      if (this.#phase === "running" && duration !== undefined) return this.#startedAt + duration;
      if (this.#phase === "stopping" && this.#graceDeadline !== undefined) return this.#graceDeadline;
      return Number.POSITIVE_INFINITY;
    };
    const item = await this.#next(until);
    if (!item) {
      if (this.#phase === "running") this.#beginStop("duration", `the duration of ${(duration ?? 0) / 1000} s was reached`);
      else if (this.#phase === "stopping") this.#killStragglers();
    } else this.#handle(item);
    // Only once every report is handled: an executor that exited on its own may still have its
    // "done" waiting in the inbox.
    if (this.#executors.every((e) => e.done || e.settled)) this.#finish();
    return this.#ended() ? this.#terminal() : "continue";
  }

  #handle(item: Incoming): void {
    const executor = item.executor;
    if ("exit" in item) {
      if (!executor.exited) return; // an uncaught error; the exit follows
      executor.settled = true;
      if (!executor.done) this.#executorDied(executor, item.exit);
      return;
    }
    const m = item.message;
    switch (m.type) {
      case "event":
        if (m.event.type === "nodeStarted") this.#supervisor.nodeStarted(m.event.node);
        else this.events.emit(m.event);
        break;
      case "records":
        this.#options.onRecord?.(m.entries);
        break;
      case "ended":
        if (m.status === "STOPPED" || m.status === "SKIPPED") break; // settled when the executor reports
        if (this.#supervisor.nodeEnded(m.node, m.status, m.error) === "stop") {
          this.#beginStop("failure", `node '${m.node}' failed: ${m.error?.message ?? "unknown error"}`);
        }
        if (this.#supervisor.allEnded() && this.#phase === "running") this.#beginStop("completed", "every node finished");
        break;
      case "done":
        executor.done = true;
        for (const r of m.reports) this.#settle(r);
        if (this.#isolation === "process") this.#childPeak += m.reports[0]?.peakMemoryBytes ?? 0;
        if (this.#isolation === "thread") executor.kill(); // it has nothing left; terminate() ends it promptly
        break;
      default:
        break;
    }
  }

  /** Final numbers of a node; a node the executor ended on a stop gets STOPPED or SKIPPED here. */
  #settle(report: NodeReport): void {
    let status = report.status;
    if (status === "STOPPED") {
      status = this.#supervisor.statusForUnfinished(report.id, report.steps > 0);
      this.#supervisor.nodeEnded(report.id, status, null);
    }
    this.#reports.set(report.id, { ...report, status });
  }

  #executorDied(executor: Executor, how: string): void {
    executor.done = true;
    for (const id of executor.nodes) {
      if (this.#reports.has(id)) continue;
      if (executor.killed) {
        // Killed by the grace ladder.
        const status = this.#supervisor.statusForUnfinished(id, this.#supervisor.hasStarted(id));
        this.#supervisor.nodeEnded(id, status, null);
        this.#reports.set(id, emptyReport(id, status, null));
        continue;
      }
      const error = RuntimeError.of("ExecutorDied", { node: id, detail: how });
      const nodeError = { nodeId: id, message: error.message, stack: null, code: error.diagnostic.code };
      this.#reports.set(id, emptyReport(id, "FAILED", nodeError));
      if (this.#supervisor.nodeEnded(id, "FAILED", nodeError) === "stop")
        this.#beginStop("failure", `node '${id}' failed: ${error.message}`);
    }
    if (this.#supervisor.allEnded() && this.#phase === "running") this.#beginStop("completed", "every node finished");
  }

  #beginStop(reason: StopReason, detail: string): void {
    if (this.#phase === "stopping" || this.#phase === "ended") return;
    this.#supervisor.beginStop(reason, detail);
    this.#phase = "stopping";
    this.#graceDeadline = performance.now() + this.#graceMs;
    this.#inbox.wake();
    this.#bells?.requestStop();
    for (const e of this.#executors) if (!e.done && !e.exited) e.post({ type: "stop" });
  }

  #killStragglers(): void {
    for (const e of this.#executors) {
      if (e.done || e.exited) continue;
      for (const id of e.nodes)
        if (!this.#reports.has(id)) this.events.emit(warningEvent(id, "StopTimeout", { node: id, grace: this.#graceMs }));
      e.forced = true;
      e.kill();
    }
    this.#graceDeadline = performance.now() + 5000;
  }

  async #killAll(): Promise<void> {
    for (const e of this.#executors) if (!e.exited) e.kill();
    const limit = performance.now() + 5000;
    while (this.#executors.some((e) => !e.exited) && performance.now() < limit) await this.#next(limit);
  }

  #finish(): void {
    if (this.#phase === "ended") return;
    this.#phase = "ended";
    this.#supervisor.beginStop("completed", "every node finished");
    for (const [, report] of this.#reports) this.#supervisor.report(report);
    const peak = peakRssBytes() + this.#childPeak;
    this.#result = this.#supervisor.result(peak);
    this.#cleanup();
    const clean = this.#executors.every((e) => !e.forced);
    this.events.emit({ type: "stopped", result: this.#result, clean });
  }

  #cleanup(): void {
    if (this.#socketDir) rmSync(this.#socketDir, { recursive: true, force: true });
    this.#socketDir = undefined;
  }

  async wait(options: { timeoutMs?: number } = {}): Promise<RunResult | undefined> {
    if (
      !(await driveUntilEnded(
        () => this.drive(),
        () => this.#phase === "ended",
        options.timeoutMs,
      ))
    )
      return undefined;
    // Executors may still be exiting (thread terminate is asynchronous): wait for them, bounded.
    const limit = performance.now() + 5000;
    while (this.#executors.some((e) => !e.exited) && performance.now() < limit) await this.#next(limit);
    return this.#result;
  }

  async stop(options: { graceMs?: number; reason?: StopReason } = {}): Promise<RunResult> {
    if (options.graceMs !== undefined) this.#graceMs = options.graceMs;
    if (this.#phase === "built") await this.start();
    this.#beginStop(options.reason ?? "request", options.reason === "signal" ? "interrupted by a signal" : "stop requested");
    return (await this.wait()) as RunResult;
  }

  /** Kills every executor now (a second interrupt). */
  kill(): void {
    this.#killStragglers();
  }

  /** Process ids of child-process executors (for tests that check nothing outlives a run). */
  pids(): number[] {
    return this.#executors.map((e) => e.pid).filter((p): p is number => p !== undefined);
  }
}
