import { shmThresholdOption } from "@flowc/runtime";
import { z } from "zod";
import { NatsOption } from "./cluster/settings.js";

const RestartPolicy = z.enum(["never", "onFailure", "always"]);

const NodeSettings = z
  .object({
    restart: RestartPolicy.optional().describe("Overrides the dataflow's restart policy for this node."),
    maxRestarts: z.number().int().min(0).max(1_000_000).optional(),
    restartDelayMs: z.number().int().min(0).max(3_600_000).optional(),
    env: z.record(z.string(), z.string()).optional().describe("Extra environment variables of the node process."),
    workingDir: z.string().optional().describe("Working directory of the node process (default: the flow's build directory)."),
  })
  .strict();
export type NodeSettings = z.output<typeof NodeSettings>;

/** `runtimes.dataflow` in flowc.config.json. */
export const DataflowOptions = z
  .object({
    graceMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(10_000)
      .describe("Stop ladder: how long after the Stop event a node may take before SIGTERM (SIGKILL follows after half as long again)."),
    restart: RestartPolicy.default("never").describe(
      "What the daemon does when a node process exits or its node fails: never restart it, restart it on failure, or always (not after its inputs closed, nor during a stop).",
    ),
    maxRestarts: z.number().int().min(0).max(1_000_000).default(5).describe("Restarts per node before it is given up as FAILED."),
    restartDelayMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(100)
      .describe("Backoff before the first restart; doubles on every further restart, up to maxRestartDelayMs."),
    maxRestartDelayMs: z.number().int().min(0).max(3_600_000).default(10_000),
    shmThresholdBytes: shmThresholdOption(
      'Payloads of this many bytes or more travel through shared-memory slots instead of the socket (docs/semantics.md, "Large payloads"; bench/results/dataflow.md).',
    ),
    validate: z.boolean().default(false).describe("Check every message against its output port's schema (FLC3020)."),
    daemon: z
      .enum(["auto", "embedded", "running"])
      .default("auto")
      .describe(
        "`flowc run`: use the running daemon when there is one (auto), always an embedded one-shot daemon, or require the running daemon.",
      ),
    machine: z.string().min(1).optional().describe("Machine id of the embedded daemon (default: FLOWC_MACHINE_ID or the host name)."),
    nodes: z.record(z.string(), NodeSettings).default({}).describe("Per-node settings by node id."),
    nats: NatsOption.optional().describe(
      "`flowc daemon start` joins the daemons of other machines through this NATS server: a URL, or settings with credentials and TLS (docs/cluster.md).",
    ),
  })
  .strict();
export type DataflowOptions = z.output<typeof DataflowOptions>;

/** The options a run uses: the contract's grace period and validation flag win over the config's. */
export function effectiveOptions(
  dataflow: DataflowOptions,
  build: { readonly graceMs?: number | undefined; readonly validate?: boolean | undefined },
): DataflowOptions {
  return { ...dataflow, graceMs: build.graceMs ?? dataflow.graceMs, validate: dataflow.validate || build.validate === true };
}
export type RestartPolicyName = z.output<typeof RestartPolicy>;
