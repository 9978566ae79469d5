import type { Diagnostic, Ir } from "@flowc/ir";
import type { EventBus } from "./events.js";
import type { StatsSample } from "./stats.js";

/** How one node ended. See docs/semantics.md, "Results". */
export type NodeStatus = "SUCCEEDED" | "FAILED" | "SKIPPED" | "STOPPED";
/** How a run ended: every node finished, a node failed, or the run was stopped (duration, signal, request). */
export type RunStatus = "succeeded" | "failed" | "stopped";
/** Why a run is stopping. */
export type StopReason = "completed" | "duration" | "signal" | "failure" | "request" | "deadlock";

export interface NodeError {
  readonly nodeId: string;
  readonly message: string;
  /** Where the node's own code threw; null for flowc's coded errors (their stack is flowc's internals). */
  readonly stack: string | null;
  /** A flowc diagnostic code when flowc raised the error (e.g. FLC3010 for a bad message), else null. */
  readonly code: string | null;
}

export interface NodeResult {
  readonly id: string;
  readonly status: NodeStatus;
  /** Completed calls of `step` (a source: records pulled from its generator). */
  readonly steps: number;
  /** Messages taken off this node's input channels. */
  readonly messagesIn: number;
  /** Messages this node emitted (once per port emission, whatever the fan-out). */
  readonly messagesOut: number;
  /** Messages lost on this node's input channels by their onFull policy. */
  readonly dropped: number;
  /** From the node's first step to its end, on the wall clock (on every engine). */
  readonly durationMs: number;
  /**
   * Time spent in the node's own code — setup, steps (also those run on a `parallelism` pool),
   * a generator's next(), teardown — measured on the wall clock around those calls (an async
   * step counts until its promise settles); not flowc's decoding, encoding or waiting.
   */
  readonly cpuMs: number;
  /**
   * Peak memory of the node's executor: the V8 heap its worker thread used (thread), the peak
   * resident set of its process (process, dataflow); null when nodes share the heap (inline).
   * A fused chain's nodes share one executor and report the same figure.
   */
  readonly peakMemoryBytes: number | null;
  readonly error: NodeError | null;
  /** Why a SKIPPED or STOPPED node did not finish, e.g. "upstream node 'parse' failed". */
  readonly cause: string | null;
}

export interface RunResult {
  readonly flow: string;
  readonly runtime: string;
  readonly status: RunStatus;
  readonly reason: StopReason;
  readonly nodes: readonly NodeResult[];
  /** From the start barrier to the end, on the wall clock. */
  readonly durationMs: number;
  /** The logical time the run reached on a logical clock (mp inline); null on wall-clock engines. */
  readonly logicalDurationMs: number | null;
  /** Peak resident memory of the run: the supervising process plus each executor process (docs/semantics.md, "Results"). */
  readonly peakMemoryBytes: number;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export type RuntimeEvent =
  | { readonly type: "built"; readonly executors: number; readonly channels: number; readonly mode: string }
  | { readonly type: "started" }
  | { readonly type: "nodeStarted"; readonly node: string }
  | { readonly type: "nodeFinished"; readonly node: string; readonly status: NodeStatus }
  | { readonly type: "nodeFailed"; readonly node: string; readonly error: NodeError }
  | { readonly type: "log"; readonly node: string; readonly level: LogLevel; readonly message: string }
  | { readonly type: "warning"; readonly node: string | null; readonly code: string | null; readonly message: string }
  | { readonly type: "stopping"; readonly reason: StopReason; readonly detail: string }
  /**
   * Live statistics (`BuildOptions.sampleMs`): the latest cumulative figures of the nodes and
   * channels one executor sampled, merged over the executors' restarts (`StatsBoard`).
   */
  | { readonly type: "stats"; readonly sample: StatsSample }
  | { readonly type: "stopped"; readonly result: RunResult; readonly clean: boolean };

/** What `drive()` returns: more work may follow, or the run reached a terminal state. */
export type DriveState = "continue" | "failed" | "shutdown";

/** One delivered message, as `flowc run --record` writes it (one JSON line each). */
export interface RecordEntry {
  readonly channel: string;
  readonly seq: number;
  /** Send time in ms since the run started (logical time on inline). */
  readonly t: number;
  /** The value as the record shows it (`toRecordValue`: binaries as their length and sha256). */
  readonly value: unknown;
  /** Delivery time: when the consumer's step took it (ms since the run started). */
  readonly at?: number;
  /** With `recordValues`: the value whole, MessagePack as base64 (it crosses JSON protocols). */
  readonly packed?: string;
}

/**
 * The environment a run sees: what executors inherit, and where runtimes read their settings
 * (FLOWC_HOME, FLOWC_MACHINE_ID, FLOWC_NODE_EXEC_ARGV, …). Runtimes never read `process.env`
 * themselves: the CLI (or the program embedding flowc) passes its environment here, so every
 * part of one invocation sees the same daemon, the same machine id and the same settings.
 */
export type RunEnv = Readonly<Record<string, string | undefined>>;

export interface BuildOptions {
  /** Directory the IR file lives in: `impl.module` paths resolve against it. */
  readonly baseDir: string;
  readonly env: RunEnv;
  /** Stop the run after this long (ms; logical ms on a logical clock). No step starts at or after it. */
  readonly durationMs?: number | undefined;
  /** How long `stop()` waits for nodes to finish their step and teardown before killing them. Default 5000. */
  readonly graceMs?: number | undefined;
  /** Check every message against its output port's schema (FLC3020 on a mismatch). */
  readonly validate?: boolean | undefined;
  /** Receives delivered messages in batches; recording costs time, so only when given. */
  readonly onRecord?: ((entries: readonly RecordEntry[]) => void) | undefined;
  /** Records also carry each value whole (`RecordEntry.packed`), for a `.flowrec` recording. */
  readonly recordValues?: boolean | undefined;
  /**
   * Emit `stats` events every this many ms of run time (logical time inline): per-node steps,
   * messages, drops, time in node code, step durations, memory; per-channel traffic and queue
   * depth. None when absent.
   */
  readonly sampleMs?: number | undefined;
  /** The runtime's own options (`runtimes.<name>` in flowc.config.json), already checked by `check`. */
  readonly options?: Readonly<Record<string, unknown>> | undefined;
}

export interface Execution {
  readonly events: EventBus<RuntimeEvent>;
  /** Releases the start barrier: clocks start, sources run. */
  start(): Promise<void>;
  /** One unit of scheduling work. `wait` loops it; tests may call it directly. */
  drive(): Promise<DriveState>;
  /** Drives until the run ends (its result) or `timeoutMs` passes (undefined). */
  wait(options?: { timeoutMs?: number }): Promise<RunResult | undefined>;
  /** Stops gracefully: no new steps, running steps and teardown get `graceMs`, then executors are killed. */
  stop(options?: { graceMs?: number; reason?: StopReason }): Promise<RunResult>;
  /** Ends every executor now, without grace (a second interrupt); `wait` then returns the result. */
  kill(): void;
  /** The result once the run ended. */
  readonly result: RunResult | undefined;
}

export interface RuntimeDescription {
  readonly name: string;
  readonly description: string;
  /** Execution modes, e.g. mp's isolation levels. */
  readonly modes: readonly string[];
  /** JSON Schema of the runtime's options (`runtimes.<name>` in flowc.config.json). */
  readonly optionsSchema: Readonly<Record<string, unknown>>;
}

export interface Runtime {
  readonly name: string;
  describe(): RuntimeDescription;
  /** Everything this runtime cannot run, or bad options (FLC3003), before anything starts. */
  check(ir: Ir, options: Readonly<Record<string, unknown>> | undefined, env: RunEnv): Diagnostic[];
  /**
   * Brings the executors up (spawned, modules loaded, setup run) and returns the execution, not
   * started yet. Throws a RuntimeError: FLC3003 for bad options (as `check` reports them),
   * FLC3043/FLC3207 naming the node that could not be brought up.
   */
  build(ir: Ir, options: BuildOptions): Promise<Execution>;
}
