import { shmThresholdOption } from "@flowc/runtime";
import { z } from "zod";

/** `runtimes.mp` in flowc.config.json. */
export const MpOptions = z
  .object({
    isolation: z
      .enum(["inline", "thread", "process"])
      .default("thread")
      .describe(
        "inline: every node on the calling thread, logical clock, deterministic, no isolation (a node that exits ends the program); thread: a worker thread per node; process: a child process per node.",
      ),
    fuse: z.boolean().default(false).describe("Run each fusable chain of nodes (see `flowc inspect`) in one executor."),
    validate: z.boolean().default(false).describe("Check every message against its output port's schema (FLC3020)."),
    spinUs: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(0)
      .describe(
        "Thread mode: how long an idle executor polls for work before it sleeps (µs). Helps latency only when every executor has a free core; on small machines polling steals the producer's CPU (see bench/results/runtime.md).",
      ),
    shmThresholdBytes: shmThresholdOption(
      'Process mode: payloads of this many bytes or more travel through shared memory instead of the socket (docs/semantics.md, "Large payloads").',
    ),
    graceMs: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(5000)
      .describe("How long a stop waits for steps and teardown before killing executors."),
  })
  .strict();
export type MpOptions = z.output<typeof MpOptions>;
export type Isolation = MpOptions["isolation"];
