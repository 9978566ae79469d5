import { fork } from "node:child_process";
import type { Readable } from "node:stream";
import { type TransferListItem, Worker } from "node:worker_threads";
import { entryUrl } from "../entry.js";
import type { ChildInit, FromExecutor, ToExecutor } from "../executor/protocol.js";
import { FLOW_V8_FLAGS } from "../executor/v8-flags.js";

/** Where an executor's stdout and stderr go (a node's log, the terminal), chunk by chunk. */
export type StdioSink = (stream: "stdout" | "stderr", chunk: Buffer) => void;

/** What the kernel or the worker said when an executor ended. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: string | null;
  /** An uncaught error in a worker thread, or a failed spawn. */
  readonly error: string | null;
}

/** "exit code 1", "killed by SIGKILL", "uncaught Error: …". */
export function describeExit(exit: ExitInfo): string {
  if (exit.error) return exit.error;
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exit code ${exit.code}`;
}

/** How the stop ladder ends an executor that is still there. */
export type KillAction = "SIGTERM" | "SIGKILL" | "terminate";

/**
 * One running executor (a worker thread or a child process), as its supervisor sees it. Both
 * launchers keep the last lines of its stderr for error messages.
 */
export interface LaunchedExecutor {
  readonly kind: "thread" | "process";
  /** The OS process id (processes only). */
  readonly pid: number | undefined;
  post(message: ToExecutor | object): void;
  /** Ends it the way `action` says; false when it is gone already. */
  kill(action: KillAction): boolean;
  /** It sent its final report: let it go (a thread is terminated, a process exits on its own). */
  retire(): void;
  /** The last `lines` lines it wrote to stderr. */
  stderrTail(lines?: number): string;
  /** Its peak resident memory counts on top of the supervisor's own (a separate process). */
  readonly ownMemory: boolean;
}

export interface LaunchHandlers {
  onMessage(message: FromExecutor): void;
  /** Called once, when it is gone and its output is complete. */
  onExit(exit: ExitInfo): void;
}

/** What both launchers take. */
export interface LaunchOptions {
  /** The executor's environment (processes: the whole environment; threads: `process.env` inside the worker). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Node.js flags (`--cpu-prof`, `--inspect`, …). */
  readonly execArgv?: readonly string[] | undefined;
  /** Receives its stdout/stderr; without one they go to this process' own. */
  readonly stdio?: StdioSink | undefined;
  /** A name for debuggers and `ps` (threads). */
  readonly name?: string | undefined;
}

const TAIL_LINES = 20;

/** Keeps the last lines of a stream, for error messages. */
class Tail {
  readonly #lines: string[] = [];
  #partial = "";
  push(chunk: Buffer): void {
    const parts = (this.#partial + chunk.toString()).split("\n");
    this.#partial = parts.pop() ?? "";
    for (const line of parts) if (line.trim() !== "") this.#lines.push(line);
    if (this.#lines.length > TAIL_LINES) this.#lines.splice(0, this.#lines.length - TAIL_LINES);
  }
  last(n: number): string {
    const lines = this.#partial.trim() === "" ? this.#lines : [...this.#lines, this.#partial];
    return lines.slice(-n).join("\n");
  }
}

function pipe(stream: Readable | null | undefined, name: "stdout" | "stderr", sink: StdioSink | undefined, tail: Tail | undefined): void {
  stream?.on("data", (chunk: Buffer) => {
    tail?.push(chunk);
    if (sink) sink(name, chunk);
    else (name === "stdout" ? process.stdout : process.stderr).write(chunk);
  });
}

/** Starts a worker thread running `entry` with `workerData`. */
export function launchThread(
  entry: URL,
  workerData: unknown,
  transferList: readonly TransferListItem[],
  options: LaunchOptions,
  handlers: LaunchHandlers,
): LaunchedExecutor {
  const worker = new Worker(entry, {
    workerData,
    transferList: [...transferList],
    execArgv: [...(options.execArgv ?? [])],
    env: { ...options.env },
    name: options.name,
    stdout: true,
    stderr: true,
  });
  const tail = new Tail();
  pipe(worker.stdout, "stdout", options.stdio, undefined);
  pipe(worker.stderr, "stderr", options.stdio, tail);
  let error: string | null = null;
  let gone = false;
  worker.on("message", (message: FromExecutor) => handlers.onMessage(message));
  worker.on("error", (e) => {
    error = `uncaught ${e.name}: ${e.message}`;
  });
  worker.on("exit", (code) => {
    gone = true;
    handlers.onExit({ code, signal: null, error });
  });
  return {
    kind: "thread",
    pid: undefined,
    ownMemory: false,
    post: (message) => {
      if (!gone) worker.postMessage(message);
    },
    kill: () => {
      if (gone) return false;
      void worker.terminate();
      return true;
    },
    retire: () => void worker.terminate(),
    stderrTail: (lines = 5) => tail.last(lines),
  };
}

/** Forks a Node.js child process running `entry` (IPC with structured clone), in `cwd`. */
export function launchProcess(entry: URL, options: LaunchOptions & { readonly cwd: string }, handlers: LaunchHandlers): LaunchedExecutor {
  const child = fork(entry, [], {
    cwd: options.cwd,
    env: { ...options.env },
    serialization: "advanced",
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    // flowc's V8 flags first: FLOWC_NODE_EXEC_ARGV's come after and win (V8 keeps the last).
    execArgv: [...FLOW_V8_FLAGS, ...(options.execArgv ?? [])],
  });
  const tail = new Tail();
  pipe(child.stdout, "stdout", options.stdio, undefined);
  pipe(child.stderr, "stderr", options.stdio, tail);
  let spawnError: string | null = null;
  let gone = false;
  child.on("message", (message: FromExecutor) => handlers.onMessage(message));
  const exited = (code: number | null, signal: string | null) => {
    if (gone) return;
    gone = true;
    handlers.onExit({ code, signal, error: spawnError });
  };
  child.on("error", (e) => {
    spawnError ??= `spawn failed: ${e.message}`;
    // A process that never started may report no close at all.
    if (child.pid === undefined) setTimeout(() => exited(null, null), 100).unref();
  });
  // "close", not "exit": stderr is complete by then, so error messages can quote it.
  child.on("close", exited);
  return {
    kind: "process",
    pid: child.pid,
    ownMemory: true,
    post: (message) => {
      if (child.connected) child.send(message);
    },
    kill: (action) => {
      if (gone || child.exitCode !== null || child.signalCode !== null) return false;
      return child.kill(action === "terminate" ? "SIGKILL" : action);
    },
    retire: () => {},
    stderrTail: (lines = 5) => tail.last(lines),
  };
}

/** The child-process executor's entry (`runChildExecutor`); from sources (tests) the package's dist. */
const childEntry = entryUrl(import.meta.url, {
  source: "../../dist/executor/child-main.js",
  dist: "../executor/child-main.js",
  packed: "child-main.js",
});

/** Forks a child-process executor (`runChildExecutor`) and sends it `init`. */
export function launchChildExecutor(
  init: ChildInit,
  options: LaunchOptions & { readonly cwd: string },
  handlers: LaunchHandlers,
): LaunchedExecutor {
  const executor = launchProcess(childEntry, options, handlers);
  executor.post(init);
  return executor;
}

/** Node.js flags for executors from `FLOWC_NODE_EXEC_ARGV` (profiling with `--cpu-prof`, debugging with `--inspect`). */
export function execArgvFrom(env: Readonly<Record<string, string | undefined>>): string[] {
  return env.FLOWC_NODE_EXEC_ARGV?.split(" ").filter((a) => a !== "") ?? [];
}
