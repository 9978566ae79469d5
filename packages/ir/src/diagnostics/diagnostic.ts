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
  // A value that ends a sentence itself ("…: params must be positive.") does not get a second period.
  const message = entry.message.replace(/\{(\w+)\}/g, (_, key: string) => String(values[key] ?? `{${key}}`)).replace(/([^.])\.\.$/, "$1.");
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

/** Longest user-given string a message quotes whole; longer ones are cut, with the length said. */
export const MAX_QUOTED_LENGTH = 100;

/** Quote a value for a message: strings in single quotes, everything else as JSON; long ones cut short. */
export function quote(value: unknown): string {
  if (typeof value === "string") return `'${clipText(value)}'`;
  if (value === undefined) return "nothing";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value) || (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype)) {
    const text = jsonPreview(value, 60);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  }
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return clipText(String(value), 60);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    // Too deep for JSON.stringify, or cyclic: say what it is instead.
    return Array.isArray(value) ? "[...]" : typeof value === "object" && value !== null ? "{...}" : typeof value;
  }
}

type Frame =
  | { readonly text: string }
  | { readonly items: readonly unknown[]; next: number }
  | { readonly object: object; keys?: string[]; next: number };

/**
 * The start of a value's JSON text, at least `max` characters of it when it is longer: written
 * without recursion and without visiting more of the value than it prints, so quoting a param
 * nested thousands of levels deep, or an array of a million items, costs a few steps.
 */
export function jsonPreview(value: unknown, max: number): string {
  let out = "";
  const todo: (Frame | { readonly value: unknown })[] = [{ value }];
  while (todo.length > 0 && out.length <= max) {
    const top = todo[todo.length - 1] as Frame | { readonly value: unknown };
    if ("text" in top) {
      todo.pop();
      out += top.text;
    } else if ("items" in top) {
      if (top.next >= top.items.length) {
        todo.pop();
        out += "]";
      } else {
        if (top.next > 0) out += ",";
        const item = top.items[top.next++];
        todo.push({ value: item === undefined || typeof item === "function" ? null : item });
      }
    } else if ("object" in top) {
      top.keys ??= Object.keys(top.object).filter((k) => {
        const v = (top.object as Record<string, unknown>)[k];
        return v !== undefined && typeof v !== "function";
      });
      if (top.next >= top.keys.length) {
        todo.pop();
        out += "}";
      } else {
        const key = top.keys[top.next++] as string;
        out += `${top.next > 1 ? "," : ""}${JSON.stringify(key.slice(0, max))}:`;
        todo.push({ value: (top.object as Record<string, unknown>)[key] });
      }
    } else {
      todo.pop();
      const v = top.value;
      if (Array.isArray(v)) {
        out += "[";
        todo.push({ items: v, next: 0 });
      } else if (v !== null && typeof v === "object") {
        out += "{";
        todo.push({ object: v, next: 0 });
      } else if (typeof v === "string") out += JSON.stringify(v.slice(0, max + 1));
      else if (typeof v === "bigint") out += `${v}n`;
      else out += JSON.stringify(v) ?? "null";
    }
  }
  return out;
}

/** A user-given string as a message shows it: whole, or its start and how long it is. */
export function clipText(text: string, max = MAX_QUOTED_LENGTH): string {
  if (text.length <= max) return text;
  let end = max - 3;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}... (${text.length} characters)`;
}

/** Names for a message: all of them when few, else the first ones and how many there are. */
export function listNames(names: readonly string[], max = 10): string {
  const shown = names.slice(0, max).map((n) => clipText(n, 40));
  return names.length > max ? `${shown.join(", ")}, … (${names.length} in all)` : shown.join(", ");
}
