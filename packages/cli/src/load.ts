import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { checkDescriptor, type DescriptorSource, loadDescriptor, type NodeProcessSettings } from "@flowc/dora";
import { type CompileResult, compile, emit } from "@flowc/frontend";
import { createDiagnostic, type Diagnostic, hasErrors, type Ir } from "@flowc/ir";
import { setOwn } from "@flowc/runtime";
import { displayPath, irFormatOf, readInputFile, readIrFile } from "./files.js";
import type { CliIo } from "./io.js";

const FLOW_FILE = /\.(m|c)?tsx?$/;
const DESCRIPTOR_FILE = /\.ya?ml$/i;

/** Which flow of a file to compile, and whether TypeScript's type errors count (default: they do). */
export interface EntryChoice {
  readonly flow?: string | undefined;
  readonly typecheck?: boolean | undefined;
}

/** Checks the entry argument and compiles it; diagnostics when it is not a flow file or cannot be read. */
export function compileEntry(
  io: CliIo,
  entry: string,
  choice: EntryChoice = {},
): { result: CompileResult } | { diagnostics: Diagnostic[] } {
  if (!FLOW_FILE.test(entry)) return { diagnostics: [createDiagnostic("UnknownFileKind", { path: entry, expected: ".ts (a flow file)" })] };
  const read = readInputFile(io.cwd, entry, "flow file");
  if ("diagnostics" in read) return read;
  return {
    result: compile({
      entry: resolve(io.cwd, entry),
      displayRoot: io.cwd,
      typecheck: choice.typecheck !== false,
      ...(choice.flow !== undefined && { flow: choice.flow }),
    }),
  };
}

/** A flow to run: its IR and the directory its node modules resolve against. */
export interface Loaded {
  readonly ir: Ir;
  readonly baseDir: string;
  /** A temporary build directory to delete after the run. */
  readonly temp?: string;
  /** Per-node process settings a descriptor gave (restart policy, env, working dir): dataflow runtime options. */
  readonly nodeSettings?: Readonly<Record<string, NodeProcessSettings>>;
  /** Warnings found on the way, with the source texts that locate them. */
  readonly warnings: readonly Diagnostic[];
  readonly sources?: ReadonlyMap<string, string>;
}

export type LoadResult = Loaded | { diagnostics: readonly Diagnostic[]; sources?: ReadonlyMap<string, string> };

/**
 * Any runnable entry: a flow file (compiled, its nodes bundled into a temporary directory), a
 * Dora-dialect descriptor (its hand-written nodes bundled likewise), or an IR file. Nothing is
 * printed: warnings come back with the result.
 */
export async function loadEntry(io: CliIo, entry: string, choice: EntryChoice = {}): Promise<LoadResult> {
  if (FLOW_FILE.test(entry)) {
    const compiled = compileEntry(io, entry, choice);
    if ("diagnostics" in compiled) return compiled;
    const { result } = compiled;
    if (!result.ir || hasErrors(result.diagnostics)) return { diagnostics: result.diagnostics };
    const temp = mkdtempSync(join(tmpdir(), "flowc-run-"));
    const emitted = await emit({
      ir: result.ir,
      modules: result.modules,
      outDir: temp,
      format: "json",
      projectRoot: result.projectRoot,
      displayRoot: io.cwd,
    });
    if (hasErrors(emitted.diagnostics)) {
      rmSync(temp, { recursive: true, force: true });
      return { diagnostics: [...result.diagnostics, ...emitted.diagnostics] };
    }
    return { ir: result.ir, baseDir: temp, temp, warnings: result.diagnostics };
  }
  if (DESCRIPTOR_FILE.test(entry)) {
    const read = readDescriptorFile(io, entry);
    if ("diagnostics" in read) return read;
    const temp = mkdtempSync(join(tmpdir(), "flowc-run-"));
    const loaded = await loadDescriptor({ ...read.source, outDir: temp, typecheck: choice.typecheck !== false });
    if (!loaded.ok) {
      rmSync(temp, { recursive: true, force: true });
      return { diagnostics: loaded.diagnostics, sources: read.sources };
    }
    return {
      ir: loaded.ir,
      baseDir: temp,
      temp,
      nodeSettings: loaded.nodeSettings,
      warnings: loaded.warnings,
      sources: read.sources,
    };
  }
  if (!irFormatOf(entry)) return { diagnostics: [unknownKind(entry, ["flow", "ir", "descriptor"])] };
  const read = readIrFile(io.cwd, entry);
  if (!read.ok) return { diagnostics: read.diagnostics, sources: read.sources };
  return { ir: read.ir, baseDir: dirname(resolve(io.cwd, entry)), warnings: read.warnings };
}

/** The kinds of file flowc reads a flow from. */
export type EntryKind = "flow" | "ir" | "descriptor";

const KIND_NAMES: Readonly<Record<EntryKind, string>> = {
  flow: ".ts (a flow file)",
  ir: ".ir.json or .ir.msgpack (an IR file)",
  descriptor: ".yml or .yaml (a Dora-dialect dataflow)",
};

/** The kind of an entry by its name, or undefined when flowc reads no such file. */
export function entryKind(entry: string): EntryKind | undefined {
  if (FLOW_FILE.test(entry)) return "flow";
  if (DESCRIPTOR_FILE.test(entry)) return "descriptor";
  return irFormatOf(entry) ? "ir" : undefined;
}

/** FLC4004 for a file that is none of the kinds a command reads. */
export function unknownKind(entry: string, accepted: readonly EntryKind[]): Diagnostic {
  const names = accepted.map((k) => KIND_NAMES[k]);
  const expected = names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : (names[0] ?? "");
  return createDiagnostic("UnknownFileKind", { path: entry, expected });
}

/** A descriptor read from disk, ready for `checkDescriptor`/`loadDescriptor`, with its text for code frames. */
export function readDescriptorFile(
  io: CliIo,
  entry: string,
): { source: DescriptorSource; sources: ReadonlyMap<string, string> } | { diagnostics: Diagnostic[] } {
  const read = readInputFile(io.cwd, entry, "dataflow descriptor");
  if ("diagnostics" in read) return read;
  const text = read.bytes.toString("utf8");
  return {
    source: { text, file: read.file, path: resolve(io.cwd, entry), displayRoot: io.cwd },
    sources: new Map([[read.file, text]]),
  };
}

/** A flow as the commands that only look at it see it: the IR, and where it came from. */
export type ReadFlow =
  | {
      readonly ok: true;
      readonly ir: Ir;
      readonly kind: EntryKind;
      /** The entry as diagnostics name it. */
      readonly file: string;
      readonly warnings: readonly Diagnostic[];
      readonly sources?: ReadonlyMap<string, string>;
    }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[]; readonly sources?: ReadonlyMap<string, string> };

/**
 * The IR of any entry a command accepts, writing nothing: a flow file compiled, a Dora-dialect
 * descriptor checked and turned into IR (its diagnostics at YAML lines), an IR file read and
 * validated. `validate`, `inspect`, `graph` and `check` all read their input here, and only
 * look at it: a descriptor's nodes flowc cannot run (Python, native programs, URLs, operators)
 * and the Dora features that leave its graph as it is are warnings, its structure still checked
 * and shown. `run`, `start` (`loadEntry`) and `build` read descriptors through the same
 * `@flowc/dora` checks, and refuse those nodes.
 */
export function readFlow(io: CliIo, entry: string, accepted: readonly EntryKind[], choice: EntryChoice = {}): ReadFlow {
  const kind = entryKind(entry);
  if (!kind || !accepted.includes(kind)) return { ok: false, diagnostics: [unknownKind(entry, accepted)] };
  const file = displayPath(io.cwd, entry);
  if (kind === "flow") {
    const compiled = compileEntry(io, entry, choice);
    if ("diagnostics" in compiled) return { ok: false, diagnostics: compiled.diagnostics };
    const { result } = compiled;
    if (!result.ir || hasErrors(result.diagnostics)) return { ok: false, diagnostics: result.diagnostics };
    return { ok: true, ir: result.ir, kind, file, warnings: result.diagnostics };
  }
  if (kind === "descriptor") {
    const read = readDescriptorFile(io, entry);
    if ("diagnostics" in read) return { ok: false, diagnostics: read.diagnostics };
    const checked = checkDescriptor({ ...read.source, typecheck: choice.typecheck !== false }, { describeOnly: true });
    if (!checked.ok) return { ok: false, diagnostics: checked.diagnostics, sources: read.sources };
    return { ok: true, ir: checked.ir, kind, file, warnings: checked.warnings, sources: read.sources };
  }
  const read = readIrFile(io.cwd, entry);
  if (!read.ok) return read;
  return { ok: true, ir: read.ir, kind, file: read.file, warnings: read.warnings };
}

/** Descriptor node settings under the config's own (`runtimes.dataflow.nodes` wins). */
export function withNodeSettings(
  options: Readonly<Record<string, unknown>> | undefined,
  runtime: string,
  settings: Readonly<Record<string, NodeProcessSettings>> | undefined,
): Readonly<Record<string, unknown>> | undefined {
  if (runtime !== "dataflow" || !settings || Object.keys(settings).length === 0) return options;
  const own = (options?.nodes ?? {}) as Record<string, NodeProcessSettings>;
  const nodes: Record<string, NodeProcessSettings> = {};
  for (const [id, s] of Object.entries(settings)) setOwn(nodes, id, s);
  for (const [id, s] of Object.entries(own)) setOwn(nodes, id, { ...(Object.hasOwn(nodes, id) ? nodes[id] : {}), ...s });
  return { ...options, nodes };
}
