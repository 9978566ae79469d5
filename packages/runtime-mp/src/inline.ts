import { analyze, type Ir } from "@flowc/ir";
import {
  type BuildOptions,
  bringUpError,
  bringUpHosts,
  DrivenExecution,
  type DriveState,
  type HostEnv,
  LocalScheduler,
  nodeReport,
  peakRssBytes,
  type RecordEntry,
  type RunResult,
  RunSupervisor,
  SampleClock,
  type StopReason,
  sampleHosts,
  warningEvent,
} from "@flowc/runtime";

/**
 * Every node on the calling thread, on a logical clock: `drive()` runs one step, or advances
 * the clock to the next tick when nothing can run. Steps take no logical time, so runs are
 * deterministic and a 10-second flow finishes in milliseconds. The debugger's and the test
 * suite's mode.
 */
export class InlineExecution extends DrivenExecution {
  readonly #ir: Ir;
  readonly #options: BuildOptions;
  readonly #supervisor: RunSupervisor;
  #scheduler!: LocalScheduler;
  #now = 0;
  #phase: "built" | "running" | "ended" = "built";
  #stopRequest: { reason: StopReason; detail: string } | undefined;
  #result: RunResult | undefined;
  #records: RecordEntry[] = [];
  #finishing: Promise<DriveState> | undefined;
  /** Resolves once `--duration` has passed in real time (a step that never settles must not hold the run). */
  #wallExpired: Promise<void> | undefined;
  #wallTimer: NodeJS.Timeout | undefined;
  /** Live statistics fall on instants of logical time: the same in every run of a flow. */
  readonly #sampleClock: SampleClock | undefined;

  private constructor(ir: Ir, options: BuildOptions, runtimeName: string) {
    super();
    this.#ir = ir;
    this.#options = options;
    // The supervisor decides; the next unit of work carries the decision out.
    this.#supervisor = new RunSupervisor(ir, runtimeName, this.events, (reason, detail) => {
      this.#stopRequest ??= { reason, detail };
    });
    this.#sampleClock = options.sampleMs ? new SampleClock(options.sampleMs) : undefined;
  }

  static async create(ir: Ir, options: BuildOptions, validate: boolean, runtimeName: string): Promise<InlineExecution> {
    const execution = new InlineExecution(ir, options, runtimeName);
    await execution.#bringUp(validate, runtimeName);
    return execution;
  }

  get result(): RunResult | undefined {
    return this.#result;
  }

  async #bringUp(validate: boolean, runtimeName: string): Promise<void> {
    const ir = this.#ir;
    const order = analyze(ir).order;
    const byId = new Map(ir.nodes.map((n) => [n.id, n]));
    const record = this.#options.onRecord ? (entry: RecordEntry) => this.#record(entry) : undefined;
    const env: HostEnv = {
      log: (node, level, message) => this.events.emit({ type: "log", node, level, message }),
      warn: (node, code, message) => this.events.emit({ type: "warning", node, code, message }),
      nodeStarted: (node) => this.#supervisor.nodeStarted(node),
      nodeEnded: (node, status, error) => this.#supervisor.nodeEnded(node, status, error),
      record,
      recordValues: this.#options.recordValues,
      validate,
      logicalClock: true,
    };
    const noTransport = () => {
      throw new Error("inline executions have no remote channels");
    };
    const brought = await bringUpHosts(
      {
        nodes: order.map((id) => byId.get(id)).filter((n) => n !== undefined),
        channels: ir.channels,
        baseDir: this.#options.baseDir,
        inbound: noTransport,
        outbound: noTransport,
      },
      env,
    );
    if (!brought.ok) throw bringUpError(runtimeName, brought.failure);
    this.#scheduler = new LocalScheduler(brought.hosts, this.#options.durationMs);
    this.events.emit({ type: "built", executors: 1, channels: ir.channels.length, mode: "inline" });
  }

  #sample(): void {
    this.events.emit({ type: "stats", sample: sampleHosts(this.#scheduler.hosts, this.#now, null) });
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
    this.#armWallDeadline();
  }

  /**
   * Logical time runs far ahead of real time, so `--duration` in real time is a bound a healthy
   * inline run never meets; a step that awaits something that never comes meets it, and the
   * run then stops with reason `duration` (the step is abandoned, as after a grace period).
   */
  #armWallDeadline(): void {
    const duration = this.#options.durationMs;
    if (duration === undefined) return;
    this.#wallExpired = new Promise<void>((resolve) => {
      this.#wallTimer = setTimeout(resolve, duration);
      this.#wallTimer.unref();
    });
  }

  protected async work(): Promise<DriveState> {
    // Ended, or ending (teardown may still run): the same outcome for every caller.
    if (this.#finishing) return this.#finishing;
    if (this.#phase === "built") await this.start();
    if (this.#stopRequest) return this.#finish(this.#stopRequest.reason, this.#stopRequest.detail);
    const scheduler = this.#scheduler;
    if (this.#sampleClock?.due(this.#now)) this.#sample();
    const unit = scheduler.runOne(this.#now);
    const worked = this.#wallExpired ? await Promise.race([unit, this.#wallExpired.then(() => "expired" as const)]) : await unit;
    if (worked === "expired") {
      return this.#finish(
        "duration",
        `the duration of ${(this.#options.durationMs ?? 0) / 1000} s passed in real time while a step of '${scheduler.running?.id ?? "?"}' was still running`,
      );
    }
    const stop = this.#pendingStop();
    if (stop) return this.#finish(stop.reason, stop.detail);
    if (worked) return "continue";
    if (scheduler.settled()) return this.#finish("completed", "every node finished");
    const next = scheduler.nextWakeAt();
    const deadline = this.#options.durationMs;
    if (next === undefined) {
      if (scheduler.quiesce()) return "continue";
      return this.#finish("deadlock", scheduler.describeStuck());
    }
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

  #finish(reason: StopReason, detail: string): Promise<DriveState> {
    this.#finishing ??= this.#end(reason, detail);
    return this.#finishing;
  }

  async #end(reason: StopReason, detail: string): Promise<DriveState> {
    this.#phase = "ended";
    clearTimeout(this.#wallTimer);
    const supervisor = this.#supervisor;
    supervisor.requestStop(reason, detail);
    if (supervisor.reason === "deadlock") this.events.emit(warningEvent(null, "Deadlock", { detail }));
    await this.#scheduler.endAll(this.#now, () => "STOPPED");
    for (const host of this.#scheduler.hosts) supervisor.settle(nodeReport(host, null));
    if (this.#sampleClock) this.#sample();
    this.#flushRecords();
    this.#result = supervisor.result(peakRssBytes(), this.#now);
    this.events.emit({ type: "stopped", result: this.#result, clean: true });
    return this.terminal();
  }

  kill(): void {
    this.#stopRequest ??= { reason: "signal", detail: "killed" };
    this.abandonDrive();
    void this.#finish(this.#stopRequest.reason, this.#stopRequest.detail);
  }

  async stop(options: { graceMs?: number; reason?: StopReason } = {}): Promise<RunResult> {
    if (this.#result) return this.#result;
    if (this.#phase === "built") {
      this.#phase = "running";
      this.#supervisor.markStarted();
    }
    const reason = options.reason ?? "request";
    this.#supervisor.requestStop(reason, reason === "signal" ? "interrupted by a signal" : "stop requested");
    const grace = options.graceMs ?? this.#options.graceMs ?? 5000;
    const running = this.driving;
    if (running) {
      // A step is running on this thread (an async step awaiting something): give it the grace period.
      const timedOut = await Promise.race([
        running.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), grace).unref()),
      ]);
      if (timedOut) {
        this.abandonDrive();
        for (const host of this.#scheduler.hosts) {
          if (!host.ended && host.started)
            this.events.emit(
              warningEvent(host.id, "StopTimeout", { node: host.id, when: `it did not stop within the grace period (${grace} ms)` }),
            );
        }
      }
    }
    const request = this.#stopRequest ?? { reason, detail: "stop requested" };
    await this.#finish(request.reason, request.detail);
    return this.#result as unknown as RunResult;
  }
}
