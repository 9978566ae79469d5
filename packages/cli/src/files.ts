import { readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { createDiagnostic, type Diagnostic, type Ir, type IrFormat, JsonLocator, loadIr } from "@flowc/ir";
import { OutputFile } from "@flowc/runtime";
import { makeDirectory } from "./dirs.js";

export type ReadResult =
  | { readonly ok: true; readonly ir: Ir; readonly file: string; readonly warnings: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[]; readonly sources: ReadonlyMap<string, string> };

const IR_EXTENSIONS: readonly [string, IrFormat][] = [
  [".ir.json", "json"],
  [".ir.msgpack", "msgpack"],
  [".json", "json"],
  [".msgpack", "msgpack"],
  [".mpk", "msgpack"],
];

export function irFormatOf(path: string): IrFormat | undefined {
  const lower = path.toLowerCase();
  return IR_EXTENSIONS.find(([ext]) => lower.endsWith(ext))?.[1];
}

/** A path as diagnostics show it: relative to the working directory when inside it. */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, resolve(cwd, path));
  return rel && !rel.startsWith("..") ? rel.split("\\").join("/") : resolve(cwd, path);
}

/** Reads a file or returns FLC4002/FLC4003. */
export function readInputFile(cwd: string, path: string, what: string): { bytes: Buffer; file: string } | { diagnostics: Diagnostic[] } {
  const absolute = resolve(cwd, path);
  const file = displayPath(cwd, path);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(absolute);
  } catch {
    return { diagnostics: [createDiagnostic("FileNotFound", { what, path: file })] };
  }
  if (stat.isDirectory()) return { diagnostics: [createDiagnostic("FileUnreadable", { path: file, detail: "it is a directory" })] };
  // A device or FIFO may never end (/dev/zero, a pipe nobody writes): inputs are regular files.
  if (!stat.isFile()) {
    const kind = stat.isFIFO() ? "a FIFO" : stat.isSocket() ? "a socket" : "a device";
    return { diagnostics: [createDiagnostic("FileUnreadable", { path: file, detail: `it is ${kind}, not a regular file` })] };
  }
  try {
    return { bytes: readFileSync(absolute), file };
  } catch (error) {
    const detail = (error as NodeJS.ErrnoException).code === "EACCES" ? "permission denied" : String((error as Error).message);
    return { diagnostics: [createDiagnostic("FileUnreadable", { path: file, detail })] };
  }
}

/** Reads, decodes and validates an IR file; diagnostics carry the file and, for JSON, line and column. */
export function readIrFile(cwd: string, path: string): ReadResult {
  const format = irFormatOf(path);
  if (!format) {
    const expected = ".ir.json or .ir.msgpack";
    return { ok: false, diagnostics: [createDiagnostic("UnknownFileKind", { path, expected })], sources: new Map() };
  }
  const read = readInputFile(cwd, path, "IR file");
  if ("diagnostics" in read) return { ok: false, diagnostics: read.diagnostics, sources: new Map() };
  const result = loadIr(read.bytes, { format });
  const text = format === "json" ? read.bytes.toString("utf8") : undefined;
  const place = (diagnostics: readonly Diagnostic[]) =>
    text !== undefined ? new JsonLocator(text).locateAll(diagnostics, read.file) : diagnostics.map((d) => ({ ...d, file: read.file }));
  if (!result.ok) {
    return { ok: false, diagnostics: place(result.diagnostics), sources: new Map(text !== undefined ? [[read.file, text]] : []) };
  }
  return { ok: true, ir: result.ir, file: read.file, warnings: place(result.diagnostics) };
}

/**
 * Opens a file a command writes as its result (`OutputFile`: written beside it and renamed into
 * place, so a reader never sees half of it and a failure leaves the old file, or none). Missing
 * parent directories are made. Returns FLC4006 with the reason when it cannot be written.
 */
export function openOutputFile(cwd: string, path: string): OutputFile | { readonly diagnostic: Diagnostic } {
  const absolute = resolve(cwd, path);
  const unwritable = (detail: string) => ({ diagnostic: createDiagnostic("FileUnwritable", { path: displayPath(cwd, path), detail }) });
  try {
    makeDirectory(dirname(absolute));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return unwritable(code === "ENOTDIR" || code === "EEXIST" ? "a parent of it is not a directory" : (error as Error).message);
  }
  const opened = OutputFile.open(absolute);
  return "error" in opened ? unwritable(opened.error) : opened;
}

/** Writes an output file whole or not at all (`openOutputFile`); FLC4006 when it cannot. */
export function writeOutputFile(cwd: string, path: string, contents: string | Uint8Array): Diagnostic | undefined {
  const opened = openOutputFile(cwd, path);
  if ("diagnostic" in opened) return opened.diagnostic;
  opened.write(contents);
  const failed = opened.close();
  return failed ? createDiagnostic("FileUnwritable", { path: displayPath(cwd, path), detail: failed.error }) : undefined;
}
