import type { Ir } from "@flowc/ir";
import type { NodeError, NodeStatus, RecordEntry, RuntimeEvent } from "../contract.js";
import type { NodeReport } from "../supervisor.js";

/** Main → executor: what to run. Transport details are added by the engine (rings or sockets). */
export interface InitMessage {
  readonly type: "init";
  readonly ir: Ir;
  /** This executor's nodes, in topological order. */
  readonly nodes: readonly string[];
  readonly baseDir: string;
  readonly validate: boolean;
  readonly record: boolean;
  readonly durationMs: number | undefined;
  /** This executor's index (its doorbell on threads). */
  readonly index: number;
}

export type ToExecutor =
  | { readonly type: "start"; readonly epoch: number }
  | { readonly type: "stop" }
  /** Process transport: every executor listens (socket paths are deterministic); connect the outbound channels now. */
  | { readonly type: "connect" };

export type FromExecutor =
  | { readonly type: "listening"; readonly socket: string }
  | { readonly type: "ready" }
  | { readonly type: "bringUpFailed"; readonly nodeId: string; readonly message: string; readonly code: string | null }
  | { readonly type: "event"; readonly event: RuntimeEvent }
  | { readonly type: "ended"; readonly node: string; readonly status: NodeStatus; readonly error: NodeError | null }
  | { readonly type: "records"; readonly entries: readonly RecordEntry[] }
  | { readonly type: "done"; readonly reports: readonly NodeReport[] };

/** Milliseconds since the Unix epoch with sub-millisecond resolution, comparable across threads and processes. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
