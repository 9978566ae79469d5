import type { Ir } from "@flowc/ir";
import type { NodeError, NodeResult, NodeStatus, RunResult, RunStatus, RuntimeEvent, StopReason } from "./contract.js";
import type { EventBus } from "./events.js";

/** What an executor reports about a node when it ends (or when the run gives up on it); the supervisor adds the cause. */
export type NodeReport = Omit<NodeResult, "cause">;

/**
 * The engine-independent half of a run: node states, the failure policy, the stop reason, and
 * the RunResult (docs/semantics.md, "Failures" and "Results"). Engines report what their
 * executors observe; the supervisor decides what it means.
 */
export class RunSupervisor {
  readonly ir: Ir;
  readonly runtime: string;
  readonly events: EventBus<RuntimeEvent>;
  readonly #reports = new Map<string, NodeReport>();
  readonly #started = new Set<string>();
  readonly #ended = new Set<string>();
  readonly #causes = new Map<string, string>();
  #failedStop: string | undefined;
  #reason: StopReason | undefined;
  #startedAt: number | undefined;

  constructor(ir: Ir, runtime: string, events: EventBus<RuntimeEvent>) {
    this.ir = ir;
    this.runtime = runtime;
    this.events = events;
  }

  markStarted(): void {
    this.#startedAt = performance.now();
    this.events.emit({ type: "started" });
  }

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

  /**
   * A node ended. Returns "stop" when its failure must stop the run (onError "stop"),
   * "continue" otherwise.
   */
  nodeEnded(id: string, status: NodeStatus, error: NodeError | null): "stop" | "continue" {
    if (this.#ended.has(id)) return "continue";
    this.#ended.add(id);
    if (status === "FAILED" && error) {
      this.events.emit({ type: "nodeFailed", node: id, error });
      this.events.emit({ type: "nodeFinished", node: id, status });
      const node = this.ir.nodes.find((n) => n.id === id);
      if (node?.onError !== "isolate" && this.#failedStop === undefined) {
        this.#failedStop = id;
        return "stop";
      }
      return "continue";
    }
    this.events.emit({ type: "nodeFinished", node: id, status });
    return "continue";
  }

  hasStarted(id: string): boolean {
    return this.#started.has(id);
  }

  hasEnded(id: string): boolean {
    return this.#ended.has(id);
  }

  allEnded(): boolean {
    return this.ir.nodes.every((n) => this.#ended.has(n.id));
  }

  /** Records the final numbers of a node. */
  report(report: NodeReport): void {
    this.#reports.set(report.id, report);
  }

  /** The status an unfinished node gets when the run stops: SKIPPED if it never ran and is downstream of the failure. */
  statusForUnfinished(id: string, everStepped: boolean): NodeStatus {
    if (this.#reason === "failure" && this.#failedStop !== undefined && !everStepped && this.#downstreamOfFailure().has(id)) {
      this.#causes.set(id, `upstream node '${this.#failedStop}' failed`);
      return "SKIPPED";
    }
    if (this.#reason === "failure" && this.#failedStop !== undefined)
      this.#causes.set(id, `the run stopped because node '${this.#failedStop}' failed`);
    else if (this.#reason !== undefined) this.#causes.set(id, `the run stopped (${this.#reason})`);
    return "STOPPED";
  }

  /** Sets why the run is stopping (the first reason wins) and announces it. */
  beginStop(reason: StopReason, detail: string): boolean {
    if (this.#reason !== undefined) return false;
    this.#reason = reason;
    this.events.emit({ type: "stopping", reason, detail });
    return true;
  }

  #downstream: Set<string> | undefined;
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

  /** The RunResult; every node must have been reported. */
  result(peakMemoryBytes: number): RunResult {
    const reason = this.#reason ?? "completed";
    const nodes: NodeResult[] = this.ir.nodes.map((node) => {
      const r = this.#reports.get(node.id);
      const base = r ?? {
        id: node.id,
        status: "STOPPED" as NodeStatus,
        steps: 0,
        messagesIn: 0,
        messagesOut: 0,
        dropped: 0,
        durationMs: 0,
        cpuMs: 0,
        peakMemoryBytes: null,
        error: null,
      };
      const cause = base.status === "SKIPPED" || base.status === "STOPPED" ? (this.#causes.get(node.id) ?? null) : null;
      return { ...base, durationMs: round(base.durationMs), cpuMs: round(base.cpuMs), cause };
    });
    let status: RunStatus;
    if (this.#failedStop !== undefined || reason === "deadlock") status = "failed";
    else if (reason === "completed") status = "succeeded";
    else status = "stopped";
    const durationMs = this.#startedAt === undefined ? 0 : performance.now() - this.#startedAt;
    return { flow: this.ir.name, runtime: this.runtime, status, reason, nodes, durationMs: round(durationMs), peakMemoryBytes };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
