import type { Diagnostic } from "./diagnostic.js";
import { parseJsonPointer } from "./diagnostic.js";
import { JsonIndex, scanJsonText } from "./json-text.js";

export interface TextPosition {
  readonly line: number;
  readonly column: number;
  readonly length: number;
}

/**
 * Maps JSON pointers to line/column positions in a JSON text. The text is indexed once, on
 * first use and without recursion, so locating is free on the success path, linear on the
 * error path however many diagnostics there are, and safe on documents of any depth.
 */
export class JsonLocator {
  #index: JsonIndex | undefined;
  #lines: LineIndex | undefined;

  constructor(private readonly text: string) {}

  /** `key`: point at the property name rather than its value (for unknown properties). */
  locate(pointer: string, key = false): TextPosition | undefined {
    if (!this.#index) {
      this.#index = new JsonIndex();
      scanJsonText(this.text, this.#index);
    }
    const index = this.#index;
    if (index.count === 0) return undefined;
    const segments = parseJsonPointer(pointer);
    // Walk down as far as the document goes: a missing property points at its parent object.
    let node = 0;
    let found = 0;
    for (const segment of segments) {
      const child = index.child(node, segment);
      if (child < 0) break;
      node = child;
      found++;
    }
    // For an object member that exists, point at its key when the value is an object/array
    // (the key is what a reader looks for), at the value otherwise.
    let offset = index.start[node] as number;
    let length = (index.end[node] as number) - offset;
    if (found === segments.length && found > 0 && index.key[node] !== undefined && (key || index.isContainer(node))) {
      offset = index.keyStart[node] as number;
      length = (index.keyEnd[node] as number) - offset;
    }
    this.#lines ??= new LineIndex(this.text);
    const { line, column } = this.#lines.position(offset);
    const maxLength = this.#lines.lineEnd(line) - offset;
    return { line, column, length: Math.max(1, Math.min(length, maxLength)) };
  }

  /** Locate every diagnostic that has a path but no position; returns new values. */
  locateAll(diagnostics: readonly Diagnostic[], file: string): Diagnostic[] {
    return diagnostics.map((d) => {
      if (d.line !== undefined) return d.file ? d : { ...d, file };
      const position = d.path !== undefined ? this.locate(d.path, d.name === "IrUnknownProperty") : undefined;
      return position ? { ...d, file, ...position } : { ...d, file };
    });
  }
}

/** Where each line of a text starts, found once: offsets to line/column and lines by number in O(log n). */
export class LineIndex {
  readonly #starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.#starts.push(i + 1);
  }

  get lineCount(): number {
    return this.#starts.length;
  }

  position(offset: number): { line: number; column: number } {
    const starts = this.#starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
  }

  /** Offset of the end of a line (1-based), before its newline. */
  lineEnd(line: number): number {
    const next = this.#starts[line];
    return next === undefined ? this.text.length : next - 1;
  }

  /** The text of a line (1-based) without its newline, or undefined past the end. */
  line(line: number): string | undefined {
    const start = this.#starts[line - 1];
    return start === undefined ? undefined : this.text.slice(start, this.lineEnd(line));
  }
}

/** Line and column (1-based) of a character offset in a text. */
export function offsetToPosition(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
