import type { FromExecutor, InitMessage, ToExecutor } from "@flowc/runtime";

/** Daemon → node process: what to run (the shared executor's init plus the dataflow's wiring). */
export interface NodeInit extends InitMessage {
  readonly dataflow: string;
  /** Sockets of the dataflow's node processes: `<socketDir>/<node index>.sock`. */
  readonly socketDir: string;
  readonly shm: { readonly dir: string; readonly threshold: number } | null;
  /** This process replaces one that exited: it joins a running dataflow. */
  readonly restart: boolean;
  /**
   * The daemon, not the node, closes this node's outputs (restart policies): a node that
   * ends or fails may come back, so its consumers' inputs stay open until the daemon gives up.
   */
  readonly deferClose: boolean;
}

export type ToNode =
  | ToExecutor
  | NodeInit
  /** A daemon timer tick: the tick scheduled `at` ms after the start is released. */
  | { readonly type: "tick"; readonly at: number }
  /** `node` (a consumer of ours) came back: connect to it again. */
  | { readonly type: "reconnect"; readonly node: string }
  /** `node` (executor `index`) is gone for good: end the inputs it fed once its data is in. */
  | { readonly type: "inputsClosed"; readonly node: string; readonly index: number };

export type FromNode = FromExecutor;

/** The socket of node `index` of the dataflow. */
export function nodeSocket(socketDir: string, index: number): string {
  return `${socketDir}/${index}.sock`;
}
