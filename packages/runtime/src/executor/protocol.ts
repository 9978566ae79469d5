import type { Ir } from "@flowc/ir";
import type { NodeError, NodeStatus, RecordEntry, RuntimeEvent } from "../contract.js";
import type { StatsSample } from "../stats.js";
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
  /** Records carry whole values (`RecordEntry.packed`). */
  readonly recordValues?: boolean;
  readonly durationMs: number | undefined;
  /** Send a `stats` sample of its nodes every this many ms (live statistics); none when absent. */
  readonly statsMs?: number | undefined;
  /** This executor's index (its doorbell on threads, its socket and hello frame on processes). */
  readonly index: number;
}

/** The init of a child-process executor (`runChildExecutor`): the socket wiring and what its engine adds. */
export interface ChildInit extends InitMessage {
  /** Every executor listens on `<socketDir>/<executor index>.sock`. */
  readonly socketDir: string;
  /** The executor index of every node of the flow, to find the socket of a channel's consumer. */
  readonly executorOf: readonly (readonly [string, number])[];
  /** Payloads of `threshold` bytes or more travel through shared memory in `dir`; null: all on the socket. */
  readonly shm: { readonly dir: string; readonly threshold: number } | null;
  /** This process replaces one that exited: it joins a running flow (its consumers may be gone). */
  readonly restart: boolean;
  /**
   * The supervisor, not the node, closes this executor's outputs: a node that ends may come back
   * (restart policies), so its consumers' inputs stay open until the supervisor gives up on it.
   */
  readonly deferClose: boolean;
  /** Periodic clocks wait for `tick` messages (the dataflow daemon's timers) instead of timing ticks themselves. */
  readonly externalTicks: boolean;
  /**
   * Nodes on other machines and the engine's links to them: `module` (a file URL) exports
   * `createRemoteLinks(options, index)` returning the executor's `RemoteLinks`.
   */
  readonly remote?: { readonly nodes: readonly string[]; readonly module: string; readonly options: unknown };
}

export type ToExecutor =
  | { readonly type: "start"; readonly epoch: number }
  | { readonly type: "stop" }
  /** Process transport: every executor listens (socket paths are deterministic); connect the outbound channels now. */
  | { readonly type: "connect" }
  /** An external timer tick: the tick scheduled `at` ms after the start is released. */
  | { readonly type: "tick"; readonly at: number }
  /** Executor `index` (a consumer of ours) is gone (it may come back): drop the connection to it. */
  | { readonly type: "peerGone"; readonly index: number }
  /** Executor `index` (a consumer of ours) came back after a restart: connect to it again. */
  | { readonly type: "reconnect"; readonly index: number }
  /** `node` (executor `index`) is gone for good: end the inputs it fed once its data is in. */
  | { readonly type: "inputsClosed"; readonly node: string; readonly index: number }
  /** A deadlock probe: answer with the executor's state (`ProbeReply`). */
  | { readonly type: "probe"; readonly round: number }
  /** The run is quiescent (nothing can arrive anywhere): end the inputs of every unfinished node. */
  | { readonly type: "quiesce" };

/**
 * What crossed one channel between executors so far, counted at each end: frames (data and the
 * end of stream) the producer wrote and the consumer received, and for `block` channels the
 * credit the consumer returned and the producer received. Equal counts at both ends mean
 * nothing is in flight on the channel.
 */
export interface ChannelCounts {
  readonly sent?: number;
  readonly credited?: number;
  readonly arrived?: number;
  readonly taken?: number;
}

/** An executor's answer to a deadlock probe. */
export interface ProbeReply {
  readonly type: "probe";
  readonly round: number;
  /** None of its nodes can act until a message, room or a close arrives from elsewhere. */
  readonly stuck: boolean;
  /** Units of work done so far: unchanged between two rounds means it did nothing in between. */
  readonly work: number;
  /** Counts of the channels it is an end of, by channel id (socket transports). */
  readonly channels: Readonly<Record<string, ChannelCounts>>;
  /** What its unfinished nodes wait for (when stuck). */
  readonly waiting: string;
  /** One of its nodes waits for room on a full `block` channel. */
  readonly writeBlocked: boolean;
}

export type FromExecutor =
  | { readonly type: "listening" }
  | { readonly type: "ready" }
  /** A node could not be loaded or set up; `failure.code` is its own (FLC3010–3012, or the code setup threw). */
  | { readonly type: "bringUpFailed"; readonly failure: NodeError }
  | { readonly type: "event"; readonly event: RuntimeEvent }
  | { readonly type: "ended"; readonly node: string; readonly status: NodeStatus; readonly error: NodeError | null }
  | { readonly type: "records"; readonly entries: readonly RecordEntry[] }
  /** Live statistics of its nodes (`InitMessage.statsMs`). */
  | { readonly type: "stats"; readonly sample: StatsSample }
  | ProbeReply
  | {
      readonly type: "done";
      readonly reports: readonly NodeReport[];
      /** The final channel counts (see ProbeReply). */
      readonly channels: Readonly<Record<string, ChannelCounts>>;
    };

/** Milliseconds since the Unix epoch with sub-millisecond resolution, comparable across threads and processes. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
