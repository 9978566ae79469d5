import type { Diagnostic } from "./diagnostic.js";

export interface FormatOptions {
  /** The text of `diagnostic.file`, for a code frame. */
  readonly sourceText?: (file: string) => string | undefined;
  /** ANSI colours. */
  readonly color?: boolean;
}

const paint = (on: boolean, code: string, text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);

/**
 * tsc-shaped text: `file(line,col): error FLC1010: message`, then the hint, the JSON pointer
 * when there is no position, and a code frame when the source text is available.
 */
export function formatDiagnostic(d: Diagnostic, options: FormatOptions = {}): string {
  const color = options.color ?? false;
  const where = d.file ? (d.line !== undefined ? `${d.file}(${d.line},${d.column ?? 1}): ` : `${d.file}: `) : "";
  const severity = paint(color, d.severity === "error" ? "31" : "33", d.severity);
  const lines = [`${paint(color, "36", where)}${severity} ${paint(color, "90", `${d.code}:`)} ${d.message}`];
  if (d.path !== undefined && d.line === undefined) lines.push(`  at ${d.path === "" ? "(document root)" : d.path}`);
  const frame = d.file && d.line !== undefined ? codeFrame(options.sourceText?.(d.file), d, color) : undefined;
  if (frame) lines.push("", frame);
  if (d.hint) lines.push(`  ${paint(color, "90", `hint: ${d.hint}`)}`);
  return lines.join("\n");
}

export function formatDiagnostics(diagnostics: readonly Diagnostic[], options: FormatOptions = {}): string {
  if (diagnostics.length === 0) return "";
  const body = diagnostics.map((d) => formatDiagnostic(d, options)).join("\n\n");
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const summary = [
    errors ? `${errors} error${errors === 1 ? "" : "s"}` : "",
    warnings ? `${warnings} warning${warnings === 1 ? "" : "s"}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  return `${body}\n\nFound ${summary}.\n`;
}

function codeFrame(text: string | undefined, d: Diagnostic, color: boolean): string | undefined {
  if (text === undefined || d.line === undefined) return undefined;
  const all = text.split("\n");
  const source = all[d.line - 1];
  if (source === undefined) return undefined;
  const gutter = String(d.line);
  const shown = source.replace(/\t/g, " ").replace(/\r$/, "");
  const column = Math.max(1, d.column ?? 1);
  const length = Math.max(1, Math.min(d.length ?? 1, shown.length - column + 1));
  const marker = `${" ".repeat(column - 1)}${"~".repeat(length)}`;
  return `${paint(color, "7", gutter)} ${shown}\n${paint(color, "7", " ".repeat(gutter.length))} ${paint(color, "31", marker)}`;
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
