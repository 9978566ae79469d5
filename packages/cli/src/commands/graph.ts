import { createDiagnostic } from "@flowc/ir";
import { readIrFile } from "../files.js";
import { GRAPH_FORMATS, type GraphFormat, toDot, toMermaid } from "../graph-render.js";
import { type CliIo, ExitCode } from "../io.js";
import { report } from "../report.js";

export function graphCommand(io: CliIo, file: string, options: { format?: string }): ExitCode {
  const format = (options.format ?? "mermaid") as GraphFormat;
  if (!GRAPH_FORMATS.includes(format)) {
    const detail = `Unknown graph format '${options.format}'; use one of: ${GRAPH_FORMATS.join(", ")}.`;
    return report(io, [createDiagnostic("UsageError", { detail })]);
  }
  const read = readIrFile(io.cwd, file);
  if (!read.ok) return report(io, read.diagnostics, { sources: read.sources });
  report(io, read.warnings);
  io.stdout(format === "dot" ? toDot(read.ir) : toMermaid(read.ir));
  return ExitCode.Ok;
}
