import { analyze, type Ir } from "@flowc/ir";
import {
  type BuildOptions,
  bringUpError,
  buildHosts,
  type DriveState,
  EventBus,
  type Execution,
  type HostEnv,
  LocalScheduler,
  type NodeHost,
  nodeReport,
  peakRssBytes,
  type RecordEntry,
  type RunResult,
  RunSupervisor,
  type RuntimeEvent,
  type StopReason,
  warningEvent,
} from "@flowc/runtime";
import { describeStuck, yieldToEventLoop } from "./common.js";

/**
 * Every node on the calling thread, on a logical clock: `drive()` runs one step, or advances
 * the clock to the next tick when nothing can run. Steps take no logical time, so runs are
 * deterministic and a 10-second flow finishes in milliseconds. The debugger's and the test
 * suite's mode.
 */
export class InlineExecution implements Execution {
  readonly events = new EventBus<RuntimeEvent>();
  readonly #ir: Ir;
  readonly #options: BuildOptions;
  readonly #supervisor: RunSupervisor;
  #scheduler!: LocalScheduler;
  #now = 0;
  #phase: "built" | "running" | "ended" = "built";
  #stopRequest: { reason: StopReason; detail: string } | undefined;
  #result: RunResult | undefined;
  #records: RecordEntry[] = [];
  #driving: Promise<DriveState> | undefined;

  private constructor(ir: Ir, options: BuildOptions, runtimeName: string) {
    this.#ir = ir;
    this.#options = options;
    this.#supervisor = new RunSupervisor(ir, runtimeName, this.events);
  }

  static async create(ir: Ir, options: BuildOptions, validate: boolean, runtimeName: string): Promise<InlineExecution> {
    const execution = new InlineExecution(ir, options, runtimeName);
    await execution.#bringUp(validate);
    return execution;
  }

  get result(): RunResult | undefined {
    return this.#result;
  }

  async #bringUp(validate: boolean): Promise<void> {
    const ir = this.#ir;
    const order = analyze(ir).order;
    const byId = new Map(ir.nodes.map((n) => [n.id, n]));
    const record = this.#options.onRecord ? (entry: RecordEntry) => this.#record(entry) : undefined;
    const env: HostEnv = {
      log: (node, level, message) => this.events.emit({ type: "log", node, level, message }),
      warn: (node, code, message) => this.events.emit({ type: "warning", node, code, message }),
      nodeStarted: (node) => this.#supervisor.nodeStarted(node),
      nodeEnded: (node, status, error) => {
        if (this.#supervisor.nodeEnded(node, status, error) === "stop") {
          this.#stopRequest ??= { reason: "failure", detail: `node '${node}' failed: ${error?.message ?? "unknown error"}` };
        }
      },
      record,
      validate,
    };
    let hosts: NodeHost[];
    try {
      hosts = await buildHosts(
        {
          nodes: order.map((id) => byId.get(id)).filter((n) => n !== undefined),
          channels: ir.channels,
          baseDir: this.#options.baseDir,
          inbound: () => {
            throw new Error("inline executions have no remote channels");
          },
          outbound: () => {
            throw new Error("inline executions have no remote channels");
          },
        },
        env,
      );
    } catch (error) {
      throw bringUpError("mp", error);
    }
    for (const host of hosts) {
      if (!(await host.setup()))
        throw bringUpError("mp", Object.assign(new Error(host.error?.message ?? "setup failed"), { nodeId: host.id }));
    }
    this.#scheduler = new LocalScheduler(hosts, this.#options.durationMs);
    this.events.emit({ type: "built", executors: 1, channels: ir.channels.length, mode: "inline" });
  }

  #record(entry: RecordEntry): void {
    this.#records.push(entry);
    if (this.#records.length >= 4096) this.#flushRecords();
  }

  #flushRecords(): void {
    if (this.#records.length === 0) return;
    const batch = this.#records;
    this.#records = [];
    this.#options.onRecord?.(batch);
  }

  async start(): Promise<void> {
    if (this.#phase !== "built") return;
    this.#phase = "running";
    this.#supervisor.markStarted();
  }

  drive(): Promise<DriveState> {
    this.#driving ??= this.#drive().finally(() => {
      this.#driving = undefined;
    });
    return this.#driving;
  }

  async #drive(): Promise<DriveState> {
    if (this.#phase === "ended") return this.#terminal();
    if (this.#phase === "built") await this.start();
    if (this.#stopRequest) return this.#finish(this.#stopRequest.reason, this.#stopRequest.detail);
    const scheduler = this.#scheduler;
    const worked = await scheduler.runOne(this.#now);
    const stop = this.#pendingStop();
    if (stop) return this.#finish(stop.reason, stop.detail);
    if (worked) return "continue";
    if (scheduler.allEnded()) return this.#finish("completed", "every node finished");
    const next = scheduler.nextWakeAt();
    const deadline = this.#options.durationMs;
    if (next === undefined) return this.#finish("deadlock", describeStuck(scheduler.hosts));
    if (deadline !== undefined && next >= deadline) {
      this.#now = deadline;
      return this.#finish("duration", `the duration of ${deadline / 1000} s was reached (logical time)`);
    }
    this.#now = next;
    return "continue";
  }

  /** Read through a method: a node failing inside `runOne` sets it while we await. */
  #pendingStop(): { reason: StopReason; detail: string } | undefined {
    return this.#stopRequest;
  }

  #terminal(): DriveState {
    return this.#result?.status === "failed" ? "failed" : "shutdown";
  }

  async #finish(reason: StopReason, detail: string): Promise<DriveState> {
    if (this.#phase === "ended") return this.#terminal();
    this.#phase = "ended";
    const supervisor = this.#supervisor;
    supervisor.beginStop(reason, detail);
    if (reason === "deadlock") this.events.emit(warningEvent(null, "Deadlock", { detail }));
    await this.#scheduler.endAll(this.#now, (host) => supervisor.statusForUnfinished(host.id, host.stats.steps > 0));
    for (const host of this.#scheduler.hosts) supervisor.report(nodeReport(host, null));
    this.#flushRecords();
    this.#result = supervisor.result(peakRssBytes());
    this.events.emit({ type: "stopped", result: this.#result, clean: true });
    return this.#terminal();
  }

  async wait(options: { timeoutMs?: number } = {}): Promise<RunResult | undefined> {
    const until = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + options.timeoutMs;
    let lastYield = performance.now();
    while (this.#phase !== "ended") {
      const left = until - performance.now();
      if (left <= 0) return undefined;
      if (left === Number.POSITIVE_INFINITY) await this.drive();
      else {
        // A step awaiting something that never comes must not hold `wait` past its timeout.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([this.drive(), new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
        clearTimeout(timer);
      }
      if (performance.now() - lastYield > 10) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    return this.#result;
  }

  kill(): void {
    this.#stopRequest ??= { reason: "signal", detail: "killed" };
    this.#driving = undefined;
    void this.#finish(this.#stopRequest.reason, this.#stopRequest.detail);
  }

  async stop(options: { graceMs?: number; reason?: StopReason } = {}): Promise<RunResult> {
    if (this.#result) return this.#result;
    const reason = options.reason ?? "request";
    this.#stopRequest ??= { reason, detail: reason === "signal" ? "interrupted by a signal" : "stop requested" };
    const grace = options.graceMs ?? this.#options.graceMs ?? 5000;
    if (this.#driving) {
      // A step is running on this thread (an async step awaiting something): give it the grace period.
      const timedOut = await Promise.race([
        this.#driving.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), grace).unref()),
      ]);
      if (timedOut) {
        this.#driving = undefined;
        for (const host of this.#scheduler.hosts) {
          if (!host.ended && host.started) this.events.emit(warningEvent(host.id, "StopTimeout", { node: host.id, grace }));
        }
      }
    }
    if (this.#phase === "built") {
      this.#phase = "running";
      this.#supervisor.markStarted();
    }
    await this.#finish(this.#stopRequest.reason, this.#stopRequest.detail);
    return this.#result as unknown as RunResult;
  }
}
