import type { Ir } from "@flowc/ir";
import { type BuildOptions, DrivenExecution, type DriveState, type RunResult, RuntimeError, type StopReason } from "@flowc/runtime";
import type { DaemonClient } from "./client.js";
import type { DataflowSummary, StreamEvent } from "./daemon/protocol.js";
import { type DataflowOptions, effectiveOptions } from "./options.js";

/**
 * A `flowc run` on the running daemon: the dataflow is brought up there and held at the start
 * barrier; this side's start() releases it, and its events and records stream back over the
 * control socket. Stopping (or the connection dropping) stops the dataflow on the daemon.
 */
export class AttachedExecution extends DrivenExecution {
  readonly #client: DaemonClient;
  readonly #id: string;
  readonly #queue: StreamEvent[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #result: RunResult | undefined;
  #started = false;
  readonly #onRecord: BuildOptions["onRecord"];

  private constructor(client: DaemonClient, id: string, onRecord: BuildOptions["onRecord"]) {
    super();
    this.#client = client;
    this.#id = id;
    this.#onRecord = onRecord;
  }

  static async create(client: DaemonClient, ir: Ir, options: BuildOptions, dataflow: DataflowOptions): Promise<AttachedExecution> {
    let execution: AttachedExecution | undefined;
    const early: StreamEvent[] = [];
    const stream = client.stream<DataflowSummary>(
      {
        op: "start",
        ir,
        baseDir: options.baseDir,
        copyBaseDir: false,
        durationMs: options.durationMs,
        options: effectiveOptions(dataflow, options),
        attach: true,
        record: options.onRecord !== undefined,
        recordValues: options.recordValues === true,
        hold: true,
        sampleMs: options.sampleMs,
      },
      (event) => (execution ? execution.#push(event) : early.push(event)),
    );
    let summary: DataflowSummary;
    try {
      summary = await stream.response;
    } catch (error) {
      client.close();
      throw error;
    }
    const created = new AttachedExecution(client, summary.id, options.onRecord);
    execution = created;
    void stream.ended.then(() => {
      created.#ended = true;
      created.#wake?.();
    });
    for (const event of early) created.#push(event);
    return created;
  }

  /** The dataflow's id on the daemon. */
  get id(): string {
    return this.#id;
  }

  get result(): RunResult | undefined {
    return this.#result;
  }

  #push(event: StreamEvent): void {
    this.#queue.push(event);
    this.#wake?.();
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#client.request({ op: "go", dataflow: this.#id });
  }

  /** One event streamed from the daemon (waiting for it), or the end. */
  protected async work(): Promise<DriveState> {
    if (!this.#started) await this.start();
    for (;;) {
      const event = this.#queue.shift();
      if (event) {
        if (event.kind === "records") this.#onRecord?.(event.entries);
        else if (event.kind === "runtime") {
          if (event.event.type === "stopped") {
            this.#result = event.event.result;
            this.#client.close();
          }
          this.events.emit(event.event);
        }
        break;
      }
      if (this.#ended || this.#result) break;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
    if (this.#result) return this.terminal();
    if (this.#ended && this.#queue.length === 0)
      throw RuntimeError.of("DaemonUnreachable", {
        socket: this.#client.paths.socket,
        detail: `the connection closed before dataflow ${this.#id} ended (did the daemon die? \`flowc logs ${this.#id}\` shows what ran)`,
      });
    return "continue";
  }

  async stop(options: { graceMs?: number; reason?: StopReason } = {}): Promise<RunResult> {
    if (!this.#result) {
      await this.#client.request({ op: "stop", dataflow: this.#id, graceMs: options.graceMs, reason: options.reason }).catch(() => {});
    }
    return (await this.wait()) as RunResult;
  }

  kill(): void {
    void this.#client.request({ op: "stop", dataflow: this.#id, force: true }).catch(() => {});
  }
}
