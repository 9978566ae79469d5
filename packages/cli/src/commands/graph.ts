import { createDiagnostic } from "@flowc/ir";
import { GRAPH_FORMATS, type GraphFormat, toDot, toMermaid } from "../graph-render.js";
import { type CliIo, ExitCode } from "../io.js";
import { readFlow } from "../load.js";
import { report } from "../report.js";

export function graphCommand(io: CliIo, file: string, options: { format?: string }): ExitCode {
  const format = (options.format ?? "mermaid") as GraphFormat;
  if (!GRAPH_FORMATS.includes(format)) {
    const detail = `Unknown graph format '${options.format}'; use one of: ${GRAPH_FORMATS.join(", ")}.`;
    return report(io, [createDiagnostic("UsageError", { detail })]);
  }
  // A picture of the flow does not need TypeScript's own errors, only the flow's.
  const read = readFlow(io, file, ["flow", "ir", "descriptor"], { typecheck: false });
  if (!read.ok) return report(io, read.diagnostics, { sources: read.sources });
  report(io, read.warnings, { sources: read.sources });
  io.stdout(format === "dot" ? toDot(read.ir) : toMermaid(read.ir));
  return ExitCode.Ok;
}
