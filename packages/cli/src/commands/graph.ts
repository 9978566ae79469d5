import { createDiagnostic, type Ir } from "@flowc/ir";
import { readIrFile } from "../files.js";
import { GRAPH_FORMATS, type GraphFormat, toDot, toMermaid } from "../graph-render.js";
import { type CliIo, ExitCode } from "../io.js";
import { compileEntry } from "../load.js";
import { exitCodeFor, report } from "../report.js";

export function graphCommand(io: CliIo, file: string, options: { format?: string }): ExitCode {
  const format = (options.format ?? "mermaid") as GraphFormat;
  if (!GRAPH_FORMATS.includes(format)) {
    const detail = `Unknown graph format '${options.format}'; use one of: ${GRAPH_FORMATS.join(", ")}.`;
    return report(io, [createDiagnostic("UsageError", { detail })]);
  }
  let ir: Ir;
  if (/\.(m|c)?tsx?$/.test(file)) {
    const compiled = compileEntry(io, file, { typecheck: false });
    if ("diagnostics" in compiled) return report(io, compiled.diagnostics);
    report(io, compiled.result.diagnostics);
    if (!compiled.result.ir) return exitCodeFor(compiled.result.diagnostics);
    ir = compiled.result.ir;
  } else {
    const read = readIrFile(io.cwd, file);
    if (!read.ok) return report(io, read.diagnostics, { sources: read.sources });
    report(io, read.warnings);
    ir = read.ir;
  }
  io.stdout(format === "dot" ? toDot(ir) : toMermaid(ir));
  return ExitCode.Ok;
}
