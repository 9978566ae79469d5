import { catalogue, type DiagnosticArgs, type DiagnosticName, formatCode, type Severity } from "./catalogue.js";

/** A diagnostic is a value: produced by a check, passed up, rendered at the edge. */
export interface Diagnostic {
  /** Stable code such as `FLC1010`. */
  readonly code: string;
  /** Catalogue name such as `DuplicateNodeId`. */
  readonly name: DiagnosticName;
  readonly severity: Severity;
  readonly message: string;
  /** JSON pointer (RFC 6901) into the document the diagnostic is about. */
  readonly path?: string;
  /** Source position, 1-based, when known. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** Length of the offending text on that line, for the code frame underline. */
  readonly length?: number;
  readonly hint?: string;
}

export interface DiagnosticLocation {
  readonly path?: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly length?: number;
}

export function createDiagnostic<N extends DiagnosticName>(
  name: N,
  args: DiagnosticArgs<N>,
  location: DiagnosticLocation = {},
): Diagnostic {
  const entry = catalogue[name];
  const values = args as Record<string, string | number>;
  const message = entry.message.replace(/\{(\w+)\}/g, (_, key: string) => String(values[key] ?? `{${key}}`));
  const diagnostic: { -readonly [K in keyof Diagnostic]: Diagnostic[K] } = {
    code: formatCode(entry.code),
    name,
    severity: entry.severity,
    message,
    ...location,
  };
  if ("hint" in entry) diagnostic.hint = entry.hint;
  return diagnostic;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** RFC 6901 JSON pointer from path segments. */
export function jsonPointer(segments: readonly (string | number)[]): string {
  let out = "";
  for (const s of segments) out += `/${String(s).replace(/~/g, "~0").replace(/\//g, "~1")}`;
  return out;
}

/** Path segments from an RFC 6901 JSON pointer. */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Quote a value for a message: strings in single quotes, everything else as JSON. */
export function quote(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (value === undefined) return "nothing";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
}
