import { createDiagnostic, type Diagnostic, type Ir } from "@flowc/ir";
import {
  type BuildOptions,
  type Execution,
  parseRuntimeOptions,
  type RunEnv,
  type Runtime,
  type RuntimeDescription,
  RuntimeError,
  runtimeOptionsOrThrow,
} from "@flowc/runtime";
import { z } from "zod";
import { DaemonClient, daemonTimeout } from "./client.js";
import { DataflowRun } from "./daemon/dataflow.js";
import { uuidv7 } from "./daemon/id.js";
import { daemonPaths, ensureDirs, machineId } from "./daemon/paths.js";
import { planPlacement, unreachableNodes } from "./daemon/routing.js";
import { StateStore } from "./daemon/state.js";
import { DataflowOptions, effectiveOptions } from "./options.js";
import { AttachedExecution } from "./remote-execution.js";

/**
 * Runs a dataflow on an embedded one-shot daemon (like `dora run`): the DataflowRun lives in
 * this process, its node processes are this process' children, its logs and result record go
 * to the state directory as a daemon's would.
 */
export async function runEmbedded(ir: Ir, options: BuildOptions, dataflow: DataflowOptions): Promise<DataflowRun> {
  const paths = daemonPaths(options.env);
  ensureDirs(paths);
  const store = new StateStore(paths.stateDir);
  store.recoverLost();
  const machine = machineId(dataflow.machine, options.env);
  const plan = planPlacement(ir, machine);
  const unreachable = unreachableNodes(plan);
  if (unreachable[0]) throw new RuntimeError(unreachable[0]);
  const id = uuidv7();
  return DataflowRun.create({
    id,
    name: null,
    ir,
    baseDir: options.baseDir,
    durationMs: options.durationMs,
    options: effectiveOptions(dataflow, options),
    local: plan.local,
    store,
    env: options.env,
    onRecord: options.onRecord,
    recordValues: options.recordValues,
    sampleMs: options.sampleMs,
    machine,
  });
}

/** The Dora-style dataflow runtime: one OS process per node under a daemon. */
export const dataflowRuntime: Runtime = {
  name: "dataflow",
  describe(): RuntimeDescription {
    return {
      name: "dataflow",
      description:
        "Dora-style dataflow daemon: one OS process per node, daemon timers, restart policies, per-node logs; uses the running daemon (flowc daemon start) or an embedded one",
      modes: ["process per node"],
      optionsSchema: z.toJSONSchema(DataflowOptions, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>,
    };
  },
  check(ir: Ir, raw: Readonly<Record<string, unknown>> | undefined, env: RunEnv): Diagnostic[] {
    const parsed = parseRuntimeOptions("dataflow", DataflowOptions, raw);
    if (!parsed.ok) return parsed.diagnostics;
    // A running daemon knows the machines of its cluster and judges placement itself; an
    // embedded daemon is alone, so placing a node elsewhere is refused here already.
    const diagnostics =
      parsed.options.daemon === "embedded" ? unreachableNodes(planPlacement(ir, machineId(parsed.options.machine, env))) : [];
    for (const id of Object.keys(parsed.options.nodes)) {
      if (!ir.nodes.some((n) => n.id === id))
        diagnostics.push(
          createDiagnostic("RuntimeOptionsInvalid", { runtime: "dataflow", detail: `/nodes/${id}: the flow has no node '${id}'` }),
        );
    }
    return diagnostics;
  },
  async build(ir: Ir, options: BuildOptions): Promise<Execution> {
    const dataflow = runtimeOptionsOrThrow("dataflow", DataflowOptions, options.options);
    if (dataflow.daemon !== "embedded") {
      const paths = daemonPaths(options.env);
      const client = await DaemonClient.connectIfRunning(paths, daemonTimeout(options.env));
      if (client) return AttachedExecution.create(client, ir, options, dataflow);
      if (dataflow.daemon === "running") throw RuntimeError.of("DaemonNotRunning", { socket: paths.socket });
    }
    return runEmbedded(ir, options, dataflow);
  },
};
