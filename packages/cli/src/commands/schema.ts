import { createDiagnostic, irJsonSchema } from "@flowc/ir";
import { type CliIo, ExitCode } from "../io.js";
import { report } from "../report.js";
import { builtinConfigJsonSchema } from "../runtimes.js";

const SCHEMAS: Record<string, () => Record<string, unknown>> = { ir: irJsonSchema, config: builtinConfigJsonSchema };

export function schemaCommand(io: CliIo, name = "ir"): ExitCode {
  const make = SCHEMAS[name];
  if (!make) return report(io, [createDiagnostic("UnknownSchemaName", { name, available: Object.keys(SCHEMAS).join(", ") })]);
  io.stdout(`${JSON.stringify(make(), null, 2)}\n`);
  return ExitCode.Ok;
}
