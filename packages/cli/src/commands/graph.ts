import { createDiagnostic } from "@flowc/ir";
import { writeOutputFile } from "../files.js";
import { GRAPH_FORMATS, type GraphFormat, toDot, toMermaid } from "../graph-render.js";
import { type CliIo, ExitCode, plural } from "../io.js";
import { readFlow } from "../load.js";
import { report } from "../report.js";
import { LayoutError, renderFlowPage } from "../view/index.js";

export interface GraphOptions {
  readonly format?: string;
  /** Write the picture to this file (atomically) instead of stdout. */
  readonly out?: string;
}

export async function graphCommand(io: CliIo, file: string, options: GraphOptions): Promise<ExitCode> {
  const format = (options.format ?? "mermaid") as GraphFormat;
  if (!GRAPH_FORMATS.includes(format)) {
    const detail = `Unknown graph format '${options.format}'; use one of: ${GRAPH_FORMATS.join(", ")}.`;
    return report(io, [createDiagnostic("UsageError", { detail })]);
  }
  if (options.out === "") return report(io, [createDiagnostic("UsageError", { detail: "-o, --out needs a file name." })]);
  // A picture of the flow does not need TypeScript's own errors, only the flow's.
  const read = readFlow(io, file, ["flow", "ir", "descriptor"], { typecheck: false });
  if (!read.ok) return report(io, read.diagnostics, { sources: read.sources });
  report(io, read.warnings, { sources: read.sources });
  const { ir } = read;
  let text: string;
  try {
    text = format === "html" ? await renderFlowPage(ir) : format === "dot" ? toDot(ir) : toMermaid(ir);
  } catch (error) {
    if (!(error instanceof LayoutError)) throw error;
    return report(io, [createDiagnostic("GraphLayoutFailed", { flow: ir.name, detail: error.message })]);
  }
  if (options.out === undefined) {
    io.stdout(text);
    return ExitCode.Ok;
  }
  const problem = writeOutputFile(io.cwd, options.out, text);
  if (problem) return report(io, [problem]);
  io.stderr(
    `flowc: wrote the ${format} graph of '${ir.name}' (${plural(ir.nodes.length, "node")}, ${plural(ir.channels.length, "channel")}) to ${options.out}\n`,
  );
  return ExitCode.Ok;
}
