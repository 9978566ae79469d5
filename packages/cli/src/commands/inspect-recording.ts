import { statSync } from "node:fs";
import { resolve } from "node:path";
import { createDiagnostic } from "@flowc/ir";
import { RecordingFormatError, RecordingReader } from "@flowc/runtime";
import { displayPath } from "../files.js";
import { type CliIo, ExitCode, plural } from "../io.js";
import { report } from "../report.js";

export interface RecordingSummary {
  readonly file: string;
  readonly format: "flowrec";
  readonly version: number;
  /** False when the writer died: the counts are those of the frames that are whole. */
  readonly complete: boolean;
  readonly bytes: number;
  readonly flow: string;
  readonly irHash: string;
  readonly startedAt: string;
  readonly writer: string;
  readonly runtime: string | null;
  readonly messages: number;
  /** First and last send time (ms after the start), or null without messages. */
  readonly span: { readonly first: number; readonly last: number } | null;
  readonly channels: Readonly<Record<string, { readonly count: number; readonly first: number; readonly last: number }>>;
  /** The node bundles stored in it (paths as the IR names them). */
  readonly bundles: readonly string[];
}

/** `flowc inspect <file.flowrec>`: what a recording holds, from its header and footer (no message is decoded). */
export function inspectRecordingCommand(io: CliIo, file: string, options: { json?: boolean }): ExitCode {
  const json = options.json === true;
  const path = resolve(io.cwd, file);
  const shown = displayPath(io.cwd, path);
  let reader: RecordingReader;
  try {
    if (!statSync(path).isFile())
      return report(io, [createDiagnostic("FileUnreadable", { path: shown, detail: "it is not a regular file" })], { json });
    reader = RecordingReader.open(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return report(io, [createDiagnostic("FileNotFound", { what: "recording", path: shown })], { json });
    const detail = error instanceof RecordingFormatError ? error.message : String((error as Error).message);
    return report(io, [createDiagnostic("RecordingInvalid", { path: shown, detail })], { json });
  }
  const { header, footer } = reader;
  reader.close();
  const times = Object.values(footer.channels);
  const summary: RecordingSummary = {
    file: shown,
    format: "flowrec",
    version: header.version,
    complete: reader.complete,
    bytes: reader.size,
    flow: header.ir.name,
    irHash: header.irHash,
    startedAt: header.startedAt,
    writer: header.writer,
    runtime: header.runtime,
    messages: footer.count,
    span: times.length ? { first: Math.min(...times.map((c) => c.first)), last: Math.max(...times.map((c) => c.last)) } : null,
    channels: footer.channels,
    bundles: Object.keys(header.modules ?? {}).filter((m) => !m.endsWith(".map")),
  };
  if (json) {
    io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
    return ExitCode.Ok;
  }
  const ms = (t: number) => `${Math.round(t * 1000) / 1000} ms`;
  const width = Math.max(0, ...Object.keys(footer.channels).map((c) => c.length));
  const lines = [
    `${shown}  (flowrec v${summary.version}, ${formatBytes(summary.bytes)}${summary.complete ? "" : ", INCOMPLETE: its writer did not finish"})`,
    `  flow        ${summary.flow}  (${summary.irHash})`,
    `  recorded    ${summary.startedAt} by ${summary.writer}${summary.runtime ? ` on ${summary.runtime}` : ""}`,
    `  messages    ${summary.messages}${summary.span ? ` sent from ${ms(summary.span.first)} to ${ms(summary.span.last)}` : ""}`,
    `  channels    ${plural(Object.keys(footer.channels).length, "channel")} with messages`,
    ...Object.entries(footer.channels).map(
      ([id, c]) => `    ${id.padEnd(width)}  ${String(c.count).padStart(7)}  ${ms(c.first)} – ${ms(c.last)}`,
    ),
    `  bundles     ${summary.bundles.join(", ") || "none (replay it with --flow <entry>)"}`,
    "",
  ];
  io.stdout(lines.join("\n"));
  return ExitCode.Ok;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
