import { mapUnpackr, unpackr } from "./codec.js";
import { createDiagnostic, type Diagnostic, hasErrors, quote } from "./diagnostics/diagnostic.js";
import { scanJsonText } from "./diagnostics/json-text.js";
import { offsetToPosition } from "./diagnostics/locate.js";
import { scanMsgpack } from "./msgpack-scan.js";
import { IR_VERSION, type Ir, MAX_NESTING, SUPPORTED_IR_VERSIONS } from "./schema.js";
import { checkSemantics, type SemanticOptions } from "./validate/semantics.js";
import { parseStructure } from "./validate/structure.js";

export type LoadResult =
  | { readonly ok: true; readonly ir: Ir; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

export type IrFormat = "json" | "msgpack";

export interface LoadOptions extends SemanticOptions {
  /** How to decode bytes; by default a buffer whose first non-blank byte is `{` is JSON, anything else MessagePack. */
  readonly format?: IrFormat;
}

/**
 * Loads untrusted input — JSON text, JSON or MessagePack bytes, or an already-parsed value —
 * into a validated IR. Never throws: every problem is a coded diagnostic with a JSON pointer
 * (JSON syntax errors carry a line and column instead). On success `ir` has every default
 * filled in and `diagnostics` holds only warnings.
 */
export function loadIr(input: string | Uint8Array | unknown, options: LoadOptions = {}): LoadResult {
  try {
    const decoded = decode(input, options);
    if ("diagnostics" in decoded) return { ok: false, diagnostics: decoded.diagnostics };
    return validateIr(decoded.value, options);
  } catch (error) {
    return { ok: false, diagnostics: [unexpected(error)] };
  }
}

/** Validates a decoded value (see `loadIr`). */
export function validateIr(value: unknown, options: SemanticOptions = {}): LoadResult {
  try {
    const version = checkVersion(value);
    if (version) return { ok: false, diagnostics: [version] };
    const structure = parseStructure(value);
    if ("diagnostics" in structure) return { ok: false, diagnostics: structure.diagnostics };
    const diagnostics = checkSemantics(structure.ir, options);
    return hasErrors(diagnostics) ? { ok: false, diagnostics } : { ok: true, ir: structure.ir, diagnostics };
  } catch (error) {
    return { ok: false, diagnostics: [unexpected(error)] };
  }
}

function decode(input: unknown, options: LoadOptions): { value: unknown } | { diagnostics: Diagnostic[] } {
  if (typeof input === "string") return decodeJsonText(input);
  if (input instanceof Uint8Array) {
    const format = options.format ?? sniff(input);
    if (format === "json") return decodeJsonText(new TextDecoder("utf-8", { fatal: false }).decode(input));
    return decodeMsgpackBytes(input);
  }
  return { value: input };
}

function sniff(bytes: Uint8Array): IrFormat {
  for (const byte of bytes) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0xef || byte === 0xbb || byte === 0xbf) continue;
    return byte === 0x7b ? "json" : "msgpack";
  }
  return "json";
}

export function decodeJsonText(text: string): { value: unknown } | { diagnostics: Diagnostic[] } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // Refused before it is parsed, as MessagePack is: millions of nested arrays would cost
  // JSON.parse gigabytes, and no IR nests deeper than MAX_NESTING.
  const deep = tooDeepAt(body);
  if (deep !== undefined) {
    const position = offsetToPosition(body, deep);
    const detail = `it nests arrays and objects deeper than ${MAX_NESTING} levels (at line ${position.line}, column ${position.column})`;
    return { diagnostics: [createDiagnostic("IrTooComplex", { detail }, { ...position, length: 1 })] };
  }
  try {
    return { value: JSON.parse(body) };
  } catch (error) {
    // JSON.parse's messages carry no position on this Node; a strict scan finds the first
    // error's offset (only on this error path, and without recursion, so any depth is fine).
    const first = scanJsonText(body);
    if (!first) {
      const detail = error instanceof Error ? error.message : String(error);
      return { diagnostics: [createDiagnostic("IrJsonSyntax", { detail: detail.replace(/\.$/, "") })] };
    }
    const position = offsetToPosition(body, first.offset);
    const detail = `${first.message} at line ${position.line}, column ${position.column}`;
    return { diagnostics: [createDiagnostic("IrJsonSyntax", { detail }, { ...position, length: first.length })] };
  }
}

/** The offset of the first bracket or brace that opens level MAX_NESTING + 1 (outside strings), if any. */
function tooDeepAt(text: string): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_NESTING) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

export function decodeMsgpackBytes(bytes: Uint8Array): { value: unknown } | { diagnostics: Diagnostic[] } {
  if (bytes.length === 0) return { diagnostics: [createDiagnostic("IrMsgpackSyntax", { detail: "the input is empty" })] };
  const scan = scanMsgpack(bytes);
  if (scan.tooDeep) return { diagnostics: [createDiagnostic("IrTooComplex", { detail: scan.problem as string }, { path: "" })] };
  if (scan.problem) return { diagnostics: [createDiagnostic("IrMsgpackSyntax", { detail: scan.problem })] };
  try {
    // msgpackr renames a `__proto__` key while building objects; read maps as Maps then, so the
    // key reaches validation as itself.
    const value: unknown = scan.prototypeKey ? fromMaps(mapUnpackr.unpack(bytes)) : unpackr.unpack(bytes);
    if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) {
      return { diagnostics: [createDiagnostic("IrMsgpackSyntax", { detail: "the data is not a MessagePack map" })] };
    }
    return { value };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { diagnostics: [createDiagnostic("IrMsgpackSyntax", { detail: detail.replace(/\.$/, "") })] };
  }
}

/** Maps as plain objects with every key an own property, `__proto__` included (depth bounded by the pre-scan). */
function fromMaps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromMaps);
  if (!(value instanceof Map)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of value)
    Object.defineProperty(out, String(key), { value: fromMaps(item), enumerable: true, writable: true, configurable: true });
  return out;
}

function checkVersion(value: unknown): Diagnostic | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    return createDiagnostic("IrInvalidValue", { detail: `An IR document must be a JSON object, not ${got}.` }, { path: "" });
  }
  const version = (value as Record<string, unknown>).irVersion;
  if (version === IR_VERSION) return undefined;
  return createDiagnostic(
    "IrVersionUnsupported",
    { found: version === undefined ? "(missing)" : quote(version), supported: SUPPORTED_IR_VERSIONS.join(", ") },
    { path: Object.hasOwn(value, "irVersion") ? "/irVersion" : "" },
  );
}

function unexpected(error: unknown): Diagnostic {
  const detail =
    error instanceof RangeError
      ? "it is nested too deeply"
      : `the loader failed unexpectedly (${error instanceof Error ? error.message : String(error)})`;
  return createDiagnostic("IrTooComplex", { detail }, { path: "" });
}
