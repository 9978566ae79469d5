import type { Ir } from "@flowc/ir";
import type { NodeError, NodeResult, NodeStatus, RunResult, RunStatus, RuntimeEvent, StopReason } from "./contract.js";
import type { EventBus } from "./events.js";
import { emptyReport } from "./usage.js";

/** What an executor reports about a node when it ends (or when the run gives up on it); the supervisor adds the cause. */
export type NodeReport = Omit<NodeResult, "cause">;

/**
 * The engine-independent half of a run (docs/semantics.md, "Failures", "Stopping" and
 * "Results"): node states, the per-node reports, the failure policy, the stop decision and
 * its reason, and the RunResult. Engines report what their executors observe; the supervisor
 * decides what it means and tells the engine when the run must stop (`onStop`), once.
 */
export class RunSupervisor {
  readonly ir: Ir;
  readonly runtime: string;
  readonly events: EventBus<RuntimeEvent>;
  readonly #onStop: (reason: StopReason, detail: string) => void;
  readonly #reports = new Map<string, NodeReport>();
  readonly #started = new Set<string>();
  /** How each node ended, as it was first known (its own ending, or its settled status). */
  readonly #ended = new Map<string, { readonly status: NodeStatus; readonly error: NodeError | null }>();
  readonly #causes = new Map<string, string>();
  readonly #onError: ReadonlyMap<string, string>;
  #failedStop: string | undefined;
  #reason: StopReason | undefined;
  #startedAt: number | undefined;
  #downstream: Set<string> | undefined;

  constructor(ir: Ir, runtime: string, events: EventBus<RuntimeEvent>, onStop: (reason: StopReason, detail: string) => void) {
    this.ir = ir;
    this.runtime = runtime;
    this.events = events;
    this.#onStop = onStop;
    this.#onError = new Map(ir.nodes.map((n) => [n.id, n.onError]));
  }

  /** The start barrier was released. */
  markStarted(): void {
    this.#startedAt = performance.now();
    this.events.emit({ type: "started" });
  }

  get started(): boolean {
    return this.#startedAt !== undefined;
  }

  /** Why the run is stopping, once it is. */
  get reason(): StopReason | undefined {
    return this.#reason;
  }

  /** The first node whose failure stops the run (onError: "stop"), if any. */
  get failedNode(): string | undefined {
    return this.#failedStop;
  }

  nodeStarted(id: string): void {
    if (this.#started.has(id)) return;
    this.#started.add(id);
    this.events.emit({ type: "nodeStarted", node: id });
  }

  hasStarted(id: string): boolean {
    return this.#started.has(id);
  }

  hasEnded(id: string): boolean {
    return this.#ended.has(id);
  }

  /** A node that failed and was isolated (onError "isolate"): the run went on without it. */
  isolatedFailure(id: string): boolean {
    return this.#ended.get(id)?.status === "FAILED" && this.#onError.get(id) === "isolate";
  }

  /**
   * A node ended on its own, as its executor saw it: it finished (SUCCEEDED) or failed. A
   * failure under onError "stop" stops the run; the last node to end completes it. STOPPED and
   * SKIPPED are not endings of a node's own: they are decided when its report is settled.
   */
  nodeEnded(id: string, status: NodeStatus, error: NodeError | null): void {
    if (status === "STOPPED" || status === "SKIPPED") return;
    this.#end(id, status, error);
  }

  #end(id: string, status: NodeStatus, error: NodeError | null): void {
    if (this.#ended.has(id)) return;
    this.#ended.set(id, { status, error });
    if (status === "FAILED" && error) {
      this.events.emit({ type: "nodeFailed", node: id, error });
      this.events.emit({ type: "nodeFinished", node: id, status });
      if (this.#onError.get(id) !== "isolate" && this.#failedStop === undefined && this.#reason === undefined) {
        this.#failedStop = id;
        this.requestStop("failure", `node '${id}' failed: ${error.message}`);
      }
    } else this.events.emit({ type: "nodeFinished", node: id, status });
    if (this.allEnded()) this.requestStop("completed", "every node finished");
  }

  allEnded(): boolean {
    return this.ir.nodes.every((n) => this.#ended.has(n.id));
  }

  /**
   * A node's final numbers. A node its executor ended because the run stopped (STOPPED)
   * becomes SKIPPED when it never started a step and is downstream of the failure that stopped
   * the run, STOPPED otherwise, with the cause.
   */
  settle(report: NodeReport): void {
    if (this.#reports.has(report.id)) return;
    // A node that ended on its own keeps that ending; the report adds the numbers.
    const ending = this.#ended.get(report.id);
    let status = ending?.status ?? report.status;
    const error = report.error ?? ending?.error ?? null;
    if (status === "STOPPED" || status === "SKIPPED")
      status = this.#unfinished(report.id, report.steps > 0 || this.#started.has(report.id));
    this.#end(report.id, status, error);
    this.#reports.set(report.id, { ...report, status, error });
  }

  /** A node whose executor is gone without reporting it: FAILED with `error`, or ended by the stop. */
  settleLost(id: string, error: NodeError | null): void {
    this.settle(emptyReport(id, error ? "FAILED" : "STOPPED", error));
  }

  hasSettled(id: string): boolean {
    return this.#reports.has(id);
  }

  #unfinished(id: string, everStepped: boolean): NodeStatus {
    if (this.#reason === "failure" && this.#failedStop !== undefined && !everStepped && this.#downstreamOfFailure().has(id)) {
      this.#causes.set(id, `upstream node '${this.#failedStop}' failed`);
      return "SKIPPED";
    }
    if (this.#reason === "failure" && this.#failedStop !== undefined)
      this.#causes.set(id, `the run stopped because node '${this.#failedStop}' failed`);
    else if (this.#reason !== undefined) this.#causes.set(id, `the run stopped (${this.#reason})`);
    return "STOPPED";
  }

  /** Decides that the run stops (the first reason wins): announces it and tells the engine. False when it already was. */
  requestStop(reason: StopReason, detail: string): boolean {
    if (this.#reason !== undefined) return false;
    this.#reason = reason;
    this.events.emit({ type: "stopping", reason, detail });
    this.#onStop(reason, detail);
    return true;
  }

  #downstreamOfFailure(): Set<string> {
    if (this.#downstream) return this.#downstream;
    const successors = new Map<string, string[]>();
    for (const c of this.ir.channels) successors.set(c.from.node, [...(successors.get(c.from.node) ?? []), c.to.node]);
    const seen = new Set<string>();
    const start = this.#failedStop;
    if (start !== undefined) {
      const stack = [start];
      while (stack.length > 0) {
        const id = stack.pop() as string;
        for (const next of successors.get(id) ?? []) {
          if (!seen.has(next)) {
            seen.add(next);
            stack.push(next);
          }
        }
      }
    }
    this.#downstream = seen;
    return seen;
  }

  /** The RunResult: every node settled (a node never reported is STOPPED). `logicalMs` on a logical clock. */
  result(peakMemoryBytes: number, logicalMs: number | null = null): RunResult {
    for (const node of this.ir.nodes) if (!this.#reports.has(node.id)) this.settleLost(node.id, null);
    const reason = this.#reason ?? "completed";
    const nodes: NodeResult[] = this.ir.nodes.map((node) => {
      const base = this.#reports.get(node.id) as NodeReport;
      const cause = base.status === "SKIPPED" || base.status === "STOPPED" ? (this.#causes.get(node.id) ?? null) : null;
      return { ...base, durationMs: round(base.durationMs), cpuMs: round(base.cpuMs), cause };
    });
    let status: RunStatus;
    if (this.#failedStop !== undefined || reason === "deadlock") status = "failed";
    else if (reason === "completed") status = "succeeded";
    else status = "stopped";
    const durationMs = this.#startedAt === undefined ? 0 : performance.now() - this.#startedAt;
    return {
      flow: this.ir.name,
      runtime: this.runtime,
      status,
      reason,
      nodes,
      durationMs: round(durationMs),
      logicalDurationMs: logicalMs === null ? null : round(logicalMs),
      peakMemoryBytes,
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
