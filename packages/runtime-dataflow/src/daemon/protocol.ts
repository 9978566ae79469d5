import type { Diagnostic, Ir } from "@flowc/ir";
import type { RecordEntry, RunResult, RuntimeEvent, StatsSample, StopReason } from "@flowc/runtime";
import type { ClusterStatus } from "../cluster/cluster.js";
import type { DataflowStatus, ProcessInfo } from "./dataflow.js";

/**
 * The daemon's control protocol: newline-delimited JSON over the Unix socket, so it can be
 * read with `socat` and spoken from any language. A client sends `hello` with the owner token
 * first; every request carries an `id` echoed by its response; requests that open a stream
 * (`start` with attach, `attach`, `logs` with follow) then send `event` messages with the same
 * id until `end`.
 */
export const PROTOCOL_VERSION = 1;

export type Request =
  | { readonly op: "hello"; readonly token: string; readonly version: number }
  | { readonly op: "status" }
  | {
      readonly op: "start";
      readonly ir: Ir;
      readonly baseDir: string;
      /** The daemon copies baseDir into its state directory (the client's build directory is temporary). */
      readonly copyBaseDir: boolean;
      readonly name?: string | undefined;
      readonly durationMs?: number | undefined;
      readonly options?: Readonly<Record<string, unknown>> | undefined;
      /** Stream the dataflow's events (and records, when `record`) on this request. */
      readonly attach: boolean;
      readonly record: boolean;
      /** Records carry whole values. */
      readonly recordValues?: boolean;
      /** Hold the dataflow at the start barrier until a `go` request (the runtime contract's start()). */
      readonly hold: boolean;
      /** Sample live statistics this often (ms); the daemon's default otherwise (`DEFAULT_SAMPLE_MS`). */
      readonly sampleMs?: number | undefined;
    }
  /** Live statistics of one dataflow, or of every running one (`flowc top`). */
  | { readonly op: "stats"; readonly dataflow?: string | undefined }
  | { readonly op: "go"; readonly dataflow: string }
  | { readonly op: "list" }
  | {
      readonly op: "stop";
      readonly dataflow: string;
      readonly graceMs?: number | undefined;
      readonly force?: boolean | undefined;
      /** Why (a client's Ctrl-C is "signal"); default "request". */
      readonly reason?: StopReason | undefined;
    }
  | { readonly op: "attach"; readonly dataflow: string }
  | { readonly op: "logs"; readonly dataflow: string; readonly node?: string | undefined; readonly follow: boolean }
  | { readonly op: "shutdown"; readonly graceMs?: number | undefined; readonly force?: boolean | undefined };

export type Envelope = Request & { readonly id: number };

export interface DaemonStatus {
  readonly pid: number;
  readonly machine: string;
  readonly version: number;
  readonly socket: string;
  readonly stateDir: string;
  readonly startedAt: string;
  readonly dataflows: number;
  /** Where the metrics endpoint listens (`host:port`), or null without `--metrics`. */
  readonly metrics: string | null;
  /** The NATS cluster this daemon joined and the machines it sees, or null on its own. */
  readonly cluster: ClusterStatus | null;
}

export interface DataflowSummary {
  readonly id: string;
  readonly name: string | null;
  readonly flow: string;
  readonly status: DataflowStatus;
  readonly machine: string;
  readonly nodes: number;
  readonly createdAt: string;
  readonly endedAt: string | null;
  readonly processes: Readonly<Record<string, ProcessInfo>>;
}

/** How often a dataflow's nodes are sampled when no client asked for more (`flowc top`, metrics). */
export const DEFAULT_SAMPLE_MS = 500;

/** A dataflow's live statistics (`stats`): its summary, the latest sample, and its channels' ends and policies. */
export interface DataflowStats {
  readonly dataflow: DataflowSummary;
  readonly sample: StatsSample;
  readonly channels: readonly {
    readonly id: string;
    readonly from: string;
    readonly to: string;
    readonly capacity: number;
    readonly onFull: string;
  }[];
}

export type StreamEvent =
  | { readonly kind: "runtime"; readonly event: RuntimeEvent }
  | { readonly kind: "records"; readonly entries: readonly RecordEntry[] }
  | { readonly kind: "log"; readonly node: string; readonly line: string };

export type Response =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: Diagnostic; readonly nodeId?: string | null }
  | { readonly id: number; readonly event: StreamEvent }
  | { readonly id: number; readonly end: true; readonly result?: RunResult | undefined };
