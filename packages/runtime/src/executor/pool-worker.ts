// A tinypool worker running the steps of one stateless node (parallelism > 1).
import { format } from "node:util";
import type { IrNode } from "@flowc/ir";
import type { LogLevel } from "../contract.js";
import { RuntimeError } from "../errors.js";
import type { StepOutcome } from "../host.js";
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
    (...args: unknown[]) =>
      logs.push([level, format(...args)]);
  const ctx = {
    params,
    state: undefined,
    now: task.now,
    fired: task.fired,
    log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    emit: (port: string, value: unknown) => emitted.push([port, value]),
  };
  const out = await spec.step(task.inputs, ctx);
  if (out !== undefined && out !== null) {
    if (typeof out !== "object") {
      const ports = Object.keys(task.node.outputs).join(", ") || "none";
      throw RuntimeError.of("UnknownOutputPort", { node: task.node.id, port: String(out), ports });
    }
    for (const [port, value] of Object.entries(out)) if (value !== undefined) emitted.push([port, value]);
  }
  return { emitted, logs };
}
