import { createDiagnostic, type Diagnostic, type Ir } from "@flowc/ir";
import {
  type BuildOptions,
  type Execution,
  parseRuntimeOptions,
  type Runtime,
  type RuntimeDescription,
  runtimeOptionsOrThrow,
} from "@flowc/runtime";
import { z } from "zod";
import { InlineExecution } from "./inline.js";
import { MpOptions } from "./options.js";
import { createRemoteExecution } from "./remote.js";

/** The multiprocessing runtime: inline, worker threads (default) or child processes. */
export const mpRuntime: Runtime = {
  name: "mp",
  describe(): RuntimeDescription {
    return {
      name: "mp",
      description:
        "multiprocessing executor on this machine: inline (deterministic, logical clock; no isolation: a node that exits or runs out of memory ends flowc), worker threads (default) or child processes",
      modes: MpOptions.shape.isolation.unwrap().options,
      optionsSchema: z.toJSONSchema(MpOptions, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>,
    };
  },
  check(ir: Ir, raw?: Readonly<Record<string, unknown>>): Diagnostic[] {
    const parsed = parseRuntimeOptions("mp", MpOptions, raw);
    if (!parsed.ok) return parsed.diagnostics;
    const diagnostics: Diagnostic[] = [];
    for (const node of ir.nodes) {
      if (node.placement !== null) {
        diagnostics.push(
          createDiagnostic("RuntimeUnsupported", {
            runtime: "mp",
            detail: `node '${node.id}' is placed on machine '${node.placement}', and mp runs every node on this machine; remove the placement or use the dataflow runtime`,
          }),
        );
      }
    }
    return diagnostics;
  },
  async build(ir: Ir, options: BuildOptions): Promise<Execution> {
    const mp = runtimeOptionsOrThrow("mp", MpOptions, options.options);
    const validate = mp.validate || options.validate === true;
    const graceMs = options.graceMs ?? mp.graceMs;
    if (mp.isolation === "inline") return InlineExecution.create(ir, { ...options, graceMs }, validate, "mp");
    return createRemoteExecution(ir, options, {
      isolation: mp.isolation,
      fuse: mp.fuse,
      validate,
      spinUs: mp.spinUs,
      graceMs,
      shmThresholdBytes: mp.shmThresholdBytes,
    });
  },
};
