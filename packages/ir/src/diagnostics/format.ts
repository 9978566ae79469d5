import type { Diagnostic } from "./diagnostic.js";
import { LineIndex } from "./locate.js";

/** Diagnostics printed in full (message, code frame, hint) by `formatDiagnostics`; the rest are counted. */
export const MAX_PRINTED_DIAGNOSTICS = 100;
/** Characters of a source line a code frame shows: a window around the column, so a one-line megabyte file prints one short line. */
export const CODE_FRAME_WIDTH = 120;
/** Characters of a message printed; the rest of a longer one is replaced by a count. */
export const MAX_MESSAGE_LENGTH = 2000;

export interface FormatOptions {
  /** The text of `diagnostic.file`, for a code frame. Asked once per file. */
  readonly sourceText?: (file: string) => string | undefined;
  /** ANSI colours. */
  readonly color?: boolean;
  /** How many diagnostics `formatDiagnostics` prints in full (default `MAX_PRINTED_DIAGNOSTICS`). */
  readonly limit?: number;
}

const paint = (on: boolean, code: string, text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);

type Lines = (file: string) => LineIndex | undefined;

/** Source texts by file, each read and indexed once however many diagnostics point into it. */
function lineCache(sourceText: FormatOptions["sourceText"]): Lines {
  const cache = new Map<string, LineIndex | undefined>();
  return (file) => {
    if (!cache.has(file)) {
      const text = sourceText?.(file);
      cache.set(file, text === undefined ? undefined : new LineIndex(text));
    }
    return cache.get(file);
  };
}

/**
 * tsc-shaped text: `file(line,col): error FLC1010: message`, then the hint, the JSON pointer
 * when there is no position, and a code frame when the source text is available.
 */
export function formatDiagnostic(d: Diagnostic, options: FormatOptions = {}): string {
  return format(d, options.color ?? false, lineCache(options.sourceText));
}

function format(d: Diagnostic, color: boolean, lines: Lines): string {
  const where = d.file ? (d.line !== undefined ? `${d.file}(${d.line},${d.column ?? 1}): ` : `${d.file}: `) : "";
  const severity = paint(color, d.severity === "error" ? "31" : "33", d.severity);
  const message =
    d.message.length > MAX_MESSAGE_LENGTH
      ? `${d.message.slice(0, MAX_MESSAGE_LENGTH)}… (${d.message.length - MAX_MESSAGE_LENGTH} more characters)`
      : d.message;
  const out = [`${paint(color, "36", where)}${severity} ${paint(color, "90", `${d.code}:`)} ${message}`];
  if (d.path !== undefined && d.line === undefined) out.push(`  at ${d.path === "" ? "(document root)" : clip(d.path, CODE_FRAME_WIDTH)}`);
  const frame = d.file && d.line !== undefined ? codeFrame(lines(d.file), d, color) : undefined;
  if (frame) out.push("", frame);
  if (d.hint) out.push(`  ${paint(color, "90", `hint: ${d.hint}`)}`);
  return out.join("\n");
}

/**
 * All diagnostics as text, then a summary line. The first `limit` (default 100) are printed
 * in full; the rest are only counted, so ten thousand errors print in moments, not minutes.
 */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], options: FormatOptions = {}): string {
  if (diagnostics.length === 0) return "";
  const lines = lineCache(options.sourceText);
  const color = options.color ?? false;
  const limit = Math.max(0, options.limit ?? MAX_PRINTED_DIAGNOSTICS);
  const shown = diagnostics.slice(0, limit).map((d) => format(d, color, lines));
  const rest = diagnostics.length - shown.length;
  if (rest > 0) shown.push(`… and ${rest} more diagnostic${rest === 1 ? "" : "s"} not shown (${counts(diagnostics.slice(limit))}).`);
  return `${shown.join("\n\n")}\n\nFound ${counts(diagnostics)}.\n`;
}

function counts(diagnostics: readonly Diagnostic[]): string {
  let errors = 0;
  for (const d of diagnostics) if (d.severity === "error") errors++;
  const warnings = diagnostics.length - errors;
  return [errors ? `${errors} error${errors === 1 ? "" : "s"}` : "", warnings ? `${warnings} warning${warnings === 1 ? "" : "s"}` : ""]
    .filter(Boolean)
    .join(", ");
}

function codeFrame(lines: LineIndex | undefined, d: Diagnostic, color: boolean): string | undefined {
  if (lines === undefined || d.line === undefined) return undefined;
  const source = lines.line(d.line);
  if (source === undefined) return undefined;
  const gutter = String(d.line);
  const full = source.replace(/\r$/, "");
  const column = Math.max(1, Math.min(d.column ?? 1, full.length + 1));
  // A window of CODE_FRAME_WIDTH characters, the column a third of the way in.
  let start = 0;
  let end = full.length;
  if (full.length > CODE_FRAME_WIDTH) {
    start = Math.max(0, Math.min(column - 1 - Math.floor(CODE_FRAME_WIDTH / 3), full.length - CODE_FRAME_WIDTH));
    end = start + CODE_FRAME_WIDTH;
    if (isLowSurrogate(full.charCodeAt(start))) start++;
    if (isLowSurrogate(full.charCodeAt(end))) end--;
  }
  const before = start > 0 ? "…" : "";
  const after = end < full.length ? "…" : "";
  const shown = `${before}${full.slice(start, end).replace(/\t/g, " ")}${after}`;
  const at = column - 1 - start + before.length;
  const length = Math.max(1, Math.min(d.length ?? 1, end - (column - 1)));
  const marker = `${" ".repeat(at)}${"~".repeat(length)}`;
  return `${paint(color, "7", gutter)} ${shown}\n${paint(color, "7", " ".repeat(gutter.length))} ${paint(color, "31", marker)}`;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The `--json` shape: stable, versioned by the catalogue codes. */
export function diagnosticsToJson(diagnostics: readonly Diagnostic[]): object[] {
  return diagnostics.map((d) => ({
    code: d.code,
    name: d.name,
    severity: d.severity,
    message: d.message,
    ...(d.path !== undefined ? { path: d.path } : {}),
    ...(d.file !== undefined ? { file: d.file } : {}),
    ...(d.line !== undefined ? { line: d.line, column: d.column } : {}),
    ...(d.hint !== undefined ? { hint: d.hint } : {}),
  }));
}
