import type { FromExecutor } from "./protocol.js";
import { guardAgainstOrphaning } from "./socket-transport.js";

/** The parent side of a child-process executor, as the child sees it. */
export interface ParentChannel<I> {
  /** Sends a report; resolves once written (a parent that is gone is ignored). */
  send(message: FromExecutor): Promise<void>;
  /** The init message. */
  readonly init: Promise<I>;
  /** Every executor listens: connect the outbound channels now. */
  readonly connect: Promise<void>;
  /** The start barrier is released: the run's epoch. */
  readonly start: Promise<number>;
}

/**
 * Sets up a forked child executor: orphan protection (exit when the parent goes), SIGINT
 * ignored (Ctrl-C reaches the whole process group; the parent coordinates the stop), and the
 * bring-up messages as promises; every other message goes to `onMessage`.
 */
export function openParentChannel<I>(onMessage: (message: { type: string }) => void): ParentChannel<I> {
  if (!process.send) throw new Error("a flowc executor runs as a forked child with an IPC channel");
  guardAgainstOrphaning();
  process.on("SIGINT", () => {});
  let resolveInit: (init: I) => void = () => {};
  let resolveConnect: () => void = () => {};
  let resolveStart: (epoch: number) => void = () => {};
  const channel: ParentChannel<I> = {
    send: (message) =>
      new Promise<void>((resolve) => {
        if (!process.connected) return resolve();
        process.send?.(message, undefined, {}, () => resolve());
      }),
    init: new Promise<I>((resolve) => {
      resolveInit = resolve;
    }),
    connect: new Promise<void>((resolve) => {
      resolveConnect = resolve;
    }),
    start: new Promise<number>((resolve) => {
      resolveStart = resolve;
    }),
  };
  process.on("message", (message: { type: string; epoch?: number }) => {
    if (message.type === "init") resolveInit(message as I);
    else if (message.type === "connect") resolveConnect();
    else if (message.type === "start") resolveStart(message.epoch ?? 0);
    else onMessage(message);
  });
  return channel;
}

/** Ends a child executor once its transport is closed. */
export function exitChild(): never {
  process.removeAllListeners("disconnect");
  process.exit(0);
}
