import type { Duplex } from "node:stream";
import type { ChildInit, ExitInfo, FromExecutor, KillAction, LaunchedExecutor, LaunchHandlers, ToExecutor } from "@flowc/runtime";
import type { Manifest } from "./bundles.js";
import { MessageLink } from "./wire.js";

/** What a daemon asks another machine's daemon to run: one node process of a dataflow it supervises. */
export interface SpawnSpec {
  readonly dataflow: string;
  /** The supervising daemon's machine (the host stops the process when that machine is lost). */
  readonly supervisor: string;
  /** The node process' init; the host fills in its own socket directory and base directory. */
  readonly init: ChildInit;
  /** Every node's machine, by node id (channels to nodes elsewhere take links, not sockets). */
  readonly machineOf: readonly (readonly [string, string])[];
  /** The node's own environment settings (on top of the host daemon's environment). */
  readonly env: Readonly<Record<string, string>>;
  /** The working directory, relative to the base directory (none: the base directory). */
  readonly workingDir: string | undefined;
  /** The base directory's files. */
  readonly manifest: Manifest;
}

/** Supervisor → host. */
export type ExecDown =
  | { readonly t: "spawn"; readonly spec: SpawnSpec }
  | { readonly t: "post"; readonly m: ToExecutor | object }
  | { readonly t: "kill"; readonly action: KillAction };

/** Host → supervisor. */
export type ExecUp =
  | { readonly t: "spawned"; readonly pid: number | undefined }
  | { readonly t: "m"; readonly m: FromExecutor }
  | { readonly t: "io"; readonly stream: "stdout" | "stderr"; readonly chunk: Uint8Array }
  | { readonly t: "exit"; readonly exit: ExitInfo; readonly tail: string };

/**
 * A node process on another machine, as the supervisor's executor group sees it: the same
 * `LaunchedExecutor` as a local child process, with IPC carried by a pipe to that machine's
 * daemon. The machine's loss, or the pipe's, is the process' exit, with the machine named.
 */
export class RemoteExecutor implements LaunchedExecutor {
  readonly kind = "process" as const;
  readonly ownMemory = true;
  #pid: number | undefined;
  #gone = false;
  #tail = "";
  readonly #link: MessageLink<ExecUp, ExecDown>;
  readonly #handlers: LaunchHandlers;
  readonly #stdio: ((stream: "stdout" | "stderr", chunk: Buffer) => void) | undefined;

  constructor(
    pipe: Duplex,
    spec: SpawnSpec,
    handlers: LaunchHandlers,
    stdio: ((stream: "stdout" | "stderr", chunk: Buffer) => void) | undefined,
    readonly machine: string,
  ) {
    this.#handlers = handlers;
    this.#stdio = stdio;
    this.#link = new MessageLink<ExecUp, ExecDown>(pipe, (m) => this.#receive(m));
    pipe.on("error", (error: Error) => this.lost(`its daemon's pipe failed (${error.message})`));
    pipe.on("close", () => this.lost("its daemon closed the pipe"));
    this.#link.send({ t: "spawn", spec });
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  #receive(m: ExecUp): void {
    if (this.#gone) return;
    switch (m.t) {
      case "spawned":
        this.#pid = m.pid;
        break;
      case "m":
        this.#handlers.onMessage(m.m);
        break;
      case "io":
        this.#stdio?.(m.stream, Buffer.from(m.chunk));
        break;
      case "exit":
        this.#tail = m.tail;
        this.#exit(m.exit);
        this.#link.end();
        break;
    }
  }

  #exit(exit: ExitInfo): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#handlers.onExit(exit);
  }

  /** The machine (or the pipe to it) is gone: so is the process, as far as this run can know. */
  lost(detail: string): void {
    if (this.#gone) return;
    this.#exit({ code: null, signal: null, error: `FLC3214 machine '${this.machine}' was lost: ${detail}` });
    this.#link.destroy();
  }

  post(message: ToExecutor | object): void {
    if (!this.#gone) this.#link.send({ t: "post", m: message });
  }

  kill(action: KillAction): boolean {
    if (this.#gone) return false;
    this.#link.send({ t: "kill", action });
    return true;
  }

  retire(): void {}

  stderrTail(lines = 5): string {
    return this.#tail.split("\n").slice(-lines).join("\n");
  }
}
