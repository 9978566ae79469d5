import { analyze, hashIr, type Ir } from "@flowc/ir";
import { isRecordingPath } from "@flowc/runtime";
import { describeClock, formatHz } from "../describe.js";
import { type CliIo, ExitCode } from "../io.js";
import { readFlow } from "../load.js";
import { report } from "../report.js";
import { inspectRecordingCommand } from "./inspect-recording.js";

export interface InspectSummary {
  name: string;
  irVersion: number;
  hash: string;
  nodes: number;
  channels: number;
  sources: readonly string[];
  sinks: readonly string[];
  order: readonly string[];
  cycles: readonly (readonly string[])[];
  partitions: readonly (readonly string[])[];
}

export function summarize(ir: Ir): InspectSummary {
  const a = analyze(ir);
  return {
    name: ir.name,
    irVersion: ir.irVersion,
    hash: hashIr(ir),
    nodes: ir.nodes.length,
    channels: ir.channels.length,
    sources: a.sources,
    sinks: a.sinks,
    order: a.order,
    cycles: a.cycles,
    partitions: a.partitions,
  };
}

export function inspectCommand(io: CliIo, file: string, options: { json?: boolean }): ExitCode {
  if (isRecordingPath(file)) return inspectRecordingCommand(io, file, options);
  const read = readFlow(io, file, ["ir", "descriptor"], { typecheck: false });
  if (!read.ok) return report(io, read.diagnostics, { json: options.json === true, sources: read.sources });
  report(io, read.warnings, { sources: read.sources });
  const ir = read.ir;
  if (options.json) {
    io.stdout(`${JSON.stringify(summarize(ir), null, 2)}\n`);
    return ExitCode.Ok;
  }
  const a = analyze(ir);
  const list = (items: readonly string[]) => (items.length ? items.join(", ") : "none");
  const lines = [
    `${ir.name}  (irVersion ${ir.irVersion}, ${hashIr(ir)})`,
    `  compiler    ${ir.meta.compiler}`,
    `  nodes       ${ir.nodes.length}`,
    `  channels    ${ir.channels.length}`,
    `  sources     ${list(a.sources)}`,
    `  sinks       ${list(a.sinks)}`,
    `  order       ${a.order.join(" → ") || "none"}`,
    `  cycles      ${a.cycles.length ? a.cycles.map((c) => `[${c.join(", ")}]`).join(" ") : "none"}`,
    `  partitions  ${a.partitions.map((p) => `[${p.join(" → ")}]`).join(" ") || "none"}`,
    "",
  ];
  const rows = ir.nodes.map((node, i) => {
    const n = a.nodes[i];
    return [
      node.id,
      node.type,
      describeClock(node.clock),
      String(n?.fanIn ?? 0),
      String(n?.fanOut ?? 0),
      formatHz(n?.effectiveRateHz ?? null),
    ];
  });
  lines.push(...table(["node", "type", "clock", "in", "out", "rate"], rows));
  io.stdout(`${lines.join("\n")}\n`);
  return ExitCode.Ok;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `  ${cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join("  ")
      .trimEnd()}`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}
