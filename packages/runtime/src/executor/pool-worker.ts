// A tinypool worker running the steps of one stateless node (parallelism > 1).
import { format } from "node:util";
import type { IrNode } from "@flowc/ir";
import type { LogLevel } from "../contract.js";
import { type StepOutcome, stepOutputs } from "../host.js";
import { type LoadedNode, loadNode } from "../loader.js";

export interface PoolTask {
  readonly node: IrNode;
  readonly baseDir: string;
  readonly inputs: Record<string, unknown>;
  readonly now: number;
  readonly fired: readonly string[];
}

const loaded = new Map<string, Promise<LoadedNode>>();

export default async function step(task: PoolTask): Promise<StepOutcome> {
  let pending = loaded.get(task.node.id);
  if (!pending) {
    pending = loadNode(task.node, task.baseDir);
    loaded.set(task.node.id, pending);
  }
  const { spec, params } = await pending;
  if (!spec.step) throw new Error(`node '${task.node.id}' has no step`);
  const emitted: [string, unknown][] = [];
  const logs: [LogLevel, string][] = [];
  const log =
    (level: LogLevel) =>
    (...args: unknown[]): void => {
      logs.push([level, format(...args)]);
    };
  const ctx = {
    params,
    state: undefined,
    now: task.now,
    fired: task.fired,
    log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    emit: (port: string, value: unknown) => emitted.push([port, value]),
    // The pool's threads have no shared-memory slots: ordinary memory, moved back to the node.
    allocate: (bytes: number) => new Uint8Array(bytes),
  };
  const started = performance.now();
  const out = await spec.step(task.inputs, ctx);
  emitted.push(...stepOutputs(task.node, out));
  return { emitted, logs, cpuMs: performance.now() - started };
}
