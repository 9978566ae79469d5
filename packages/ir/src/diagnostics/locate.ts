import { findNodeAtLocation, type Node as JsonNode, parseTree } from "jsonc-parser";
import type { Diagnostic } from "./diagnostic.js";
import { parseJsonPointer } from "./diagnostic.js";

export interface TextPosition {
  readonly line: number;
  readonly column: number;
  readonly length: number;
}

/**
 * Maps JSON pointers to line/column positions in a JSON text. The text is parsed once, on
 * first use, so locating is free on the success path and linear on the error path.
 */
export class JsonLocator {
  #tree: JsonNode | undefined | null = null;
  #lineStarts: number[] | null = null;

  constructor(private readonly text: string) {}

  /** `key`: point at the property name rather than its value (for unknown properties). */
  locate(pointer: string, key = false): TextPosition | undefined {
    if (this.#tree === null) this.#tree = parseTree(this.text);
    const tree = this.#tree;
    if (!tree) return undefined;
    const segments = parseJsonPointer(pointer).map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
    // Walk down as far as the document goes: a missing property points at its parent object.
    let node: JsonNode | undefined = tree;
    let found = 0;
    for (let i = segments.length; i >= 0; i--) {
      node = findNodeAtLocation(tree, segments.slice(0, i));
      if (node) {
        found = i;
        break;
      }
    }
    if (!node) return undefined;
    // For an object member that exists, point at its key when the value is an object/array
    // (the key is what a reader looks for), at the value otherwise.
    let offset = node.offset;
    let length = node.length;
    if (found === segments.length && found > 0 && node.parent?.type === "property") {
      const name = node.parent.children?.[0];
      if (name && (key || node.type === "object" || node.type === "array")) {
        offset = name.offset;
        length = name.length;
      }
    }
    const { line, column } = this.#position(offset);
    const lineEnd = this.text.indexOf("\n", offset);
    const maxLength = (lineEnd === -1 ? this.text.length : lineEnd) - offset;
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

  #position(offset: number): { line: number; column: number } {
    if (this.#lineStarts === null) {
      const starts = [0];
      for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) starts.push(i + 1);
      this.#lineStarts = starts;
    }
    const starts = this.#lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
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
