import type { IrNode } from "@flowc/ir";
import Tinypool from "tinypool";
import { entryUrl } from "../entry.js";
import type { ParallelSteps, StepOutcome } from "../host.js";
import type { PoolTask } from "./pool-worker.js";

const workerFile = entryUrl(import.meta.url, {
  source: "../../dist/executor/pool-worker.js",
  dist: "./pool-worker.js",
  packed: "pool-worker.js",
});

/**
 * `parallelism: N` on a tinypool pool of N worker threads. tinypool: zero dependencies, kept
 * up to date, worker_threads or child_process runtimes; the older worker-threads-pool package
 * is unmaintained since 2018 and starts a worker per call. The pool runs the stateless
 * node's `step` on copies of the inputs; the node host keeps the message order.
 */
export function createPool(node: IrNode, baseDir: string): ParallelSteps {
  // Workers start as steps need them (up to `parallelism`), not all at bring-up.
  const pool = new Tinypool({ filename: workerFile.href, minThreads: 0, maxThreads: node.parallelism, idleTimeout: 60_000 });
  return {
    size: node.parallelism,
    run(inputs: Record<string, unknown>, now: number, fired: readonly string[]): Promise<StepOutcome> {
      const task: PoolTask = { node, baseDir, inputs, now, fired };
      return pool.run(task) as Promise<StepOutcome>;
    },
    async close() {
      await pool.destroy();
    },
  };
}
