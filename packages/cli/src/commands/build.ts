import { accessSync, constants, existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { checkDescriptor, descriptorToYaml, loadDescriptor, lowerToDescriptor } from "@flowc/dora";
import { emit } from "@flowc/frontend";
import { createDiagnostic, type Diagnostic, diagnosticsToJson, encodeJson, hasErrors, type Ir } from "@flowc/ir";
import { makeDirectory } from "../dirs.js";
import { displayPath } from "../files.js";
import { type CliIo, ExitCode, plural } from "../io.js";
import { compileEntry, entryKind, readDescriptorFile, readFlow, unknownKind } from "../load.js";
import { report } from "../report.js";

export const DEFAULT_OUT_DIR = ".flowc-out";
/** Build targets: the IR (and node bundles), or also a Dora-dialect dataflow descriptor. */
export const BUILD_TARGETS = ["ir", "dataflow"] as const;
export interface BuildOptions {
  target?: string;
  out?: string;
  printIr?: boolean;
  format?: string;
  json?: boolean;
  flow?: string;
  typecheck?: boolean;
}

/** What a build produced: the IR and the files written (paths as given to `io.cwd`), or why not. */
export interface BuiltFlow {
  readonly ok: boolean;
  /** Source texts the diagnostics point into (a descriptor's YAML), for code frames. */
  readonly sources?: ReadonlyMap<string, string>;
  readonly ir: Ir | undefined;
  /** Written files, relative to the working directory when inside it. */
  readonly files: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Compiles a flow and writes its IR, bundles and (for the dataflow target) descriptor to
 * `out`, or only compiles when `write` is false. Prints nothing: `buildCommand` and the
 * programmatic API report the result their own way.
 */
export async function buildFlow(
  io: CliIo,
  entry: string,
  options: { target?: string; out?: string; format?: string; flow?: string; typecheck?: boolean; write: boolean },
): Promise<BuiltFlow> {
  const failed = (diagnostics: readonly Diagnostic[]): BuiltFlow => ({ ok: false, ir: undefined, files: [], diagnostics });
  const target = options.target ?? "ir";
  if (!(BUILD_TARGETS as readonly string[]).includes(target)) {
    const detail = `Unknown build target '${target}'; this flowc builds: ${BUILD_TARGETS.join(", ")}.`;
    return failed([createDiagnostic("UsageError", { detail })]);
  }
  const format = options.format ?? "json";
  if (format !== "json" && format !== "msgpack") {
    return failed([createDiagnostic("UsageError", { detail: `Unknown IR format '${format}'; use json or msgpack.` })]);
  }
  // The output directory first: one that cannot be written is an error before anything is compiled.
  if (options.write) {
    const problem = outputDirProblem(resolve(io.cwd, options.out ?? DEFAULT_OUT_DIR));
    if (problem) return failed([createDiagnostic("FileUnwritable", { path: options.out ?? DEFAULT_OUT_DIR, detail: problem })]);
  }
  const kind = entryKind(entry);
  if (kind === "descriptor") return buildDescriptor(io, entry, { ...options, format, target });
  if (kind !== "flow") return failed([unknownKind(entry, ["flow", "descriptor"])]);
  const compiled = compileEntry(io, entry, options);
  if ("diagnostics" in compiled) return failed(compiled.diagnostics);
  const { result } = compiled;
  if (!result.ir || hasErrors(result.diagnostics)) return failed(result.diagnostics);
  const diagnostics: Diagnostic[] = [...result.diagnostics];
  let files: readonly string[] = [];
  if (options.write) {
    const outDir = resolve(io.cwd, options.out ?? DEFAULT_OUT_DIR);
    const emitted = await emit({
      ir: result.ir,
      modules: result.modules,
      outDir,
      format,
      projectRoot: result.projectRoot,
      displayRoot: io.cwd,
      // Next to the IR, written with it: the descriptor's `args` name the node modules relative to it.
      extraFiles: target === "dataflow" ? [{ suffix: ".dataflow.yml", contents: descriptorToYaml(lowerToDescriptor(result.ir)) }] : [],
    });
    diagnostics.push(...emitted.diagnostics);
    files = emitted.files.map((f) => displayPath(io.cwd, f));
    if (hasErrors(emitted.diagnostics)) return failed(diagnostics);
  }
  return { ok: true, ir: result.ir, files, diagnostics };
}

/**
 * A Dora-dialect descriptor built as a flow file is: checked (FLC31xx and the IR's rules at
 * YAML lines), then its IR and node bundles (and with `--target dataflow` the descriptor flowc
 * writes for it) written to `out`, or only checked when `write` is false.
 */
async function buildDescriptor(
  io: CliIo,
  entry: string,
  options: { target: string; out?: string; format: "json" | "msgpack"; write: boolean; typecheck?: boolean },
): Promise<BuiltFlow> {
  const read = readDescriptorFile(io, entry);
  if ("diagnostics" in read) return { ok: false, ir: undefined, files: [], diagnostics: read.diagnostics };
  const source = { ...read.source, typecheck: options.typecheck !== false };
  const loaded = options.write
    ? await loadDescriptor({
        ...source,
        outDir: resolve(io.cwd, options.out ?? DEFAULT_OUT_DIR),
        format: options.format,
        extraFiles: (ir) =>
          options.target === "dataflow" ? [{ suffix: ".dataflow.yml", contents: descriptorToYaml(lowerToDescriptor(ir)) }] : [],
      })
    : checkDescriptor(source);
  if (!loaded.ok) return { ok: false, ir: undefined, files: [], diagnostics: loaded.diagnostics, sources: read.sources };
  return {
    ok: true,
    ir: loaded.ir,
    files: loaded.files.map((f) => displayPath(io.cwd, f)),
    diagnostics: loaded.warnings,
    sources: read.sources,
  };
}

export async function buildCommand(io: CliIo, entry: string, options: BuildOptions): Promise<ExitCode> {
  const format = options.format ?? "json";
  // --print-ir alone prints and writes nothing; with -o it does both.
  const built = await buildFlow(io, entry, { ...options, write: !options.printIr || options.out !== undefined });
  if (!built.ok || !built.ir) return report(io, built.diagnostics, { json: options.json === true, sources: built.sources });
  const { ir, files, diagnostics } = built;
  if (options.json) {
    io.stdout(`${JSON.stringify({ ok: true, name: ir.name, files, diagnostics: diagnosticsToJson(diagnostics) }, null, 2)}\n`);
    return ExitCode.Ok;
  }
  report(io, diagnostics, { sources: built.sources });
  if (options.printIr) io.stdout(encodeJson(ir));
  if (files.length > 0) {
    const irFile = files.find((f) => f.endsWith(`.ir.${format}`));
    const yaml = files.find((f) => f.endsWith(".dataflow.yml"));
    const modules = files.length - 1 - (yaml ? 1 : 0);
    io.stderr(
      `flowc: built '${ir.name}' (${plural(ir.nodes.length, "node")}, ${plural(ir.channels.length, "channel")}): ${irFile}${yaml ? ` + ${yaml}` : ""} + ${plural(modules, "node module")}\n`,
    );
  }
  return ExitCode.Ok;
}

export function checkCommand(io: CliIo, entry: string, options: { json?: boolean; flow?: string; typecheck?: boolean }): ExitCode {
  const read = readFlow(io, entry, ["flow", "descriptor"], options);
  const json = options.json === true;
  if (!read.ok) return report(io, read.diagnostics, { json, sources: read.sources });
  if (json) return report(io, read.warnings, { json });
  report(io, read.warnings, { sources: read.sources });
  const what = read.kind === "descriptor" ? "dataflow" : "flow";
  io.stdout(
    `${read.file}: ${what} '${read.ir.name}' is valid (${plural(read.ir.nodes.length, "node")}, ${plural(read.ir.channels.length, "channel")})\n`,
  );
  return ExitCode.Ok;
}

/** Why `dir` cannot be a build's output directory (made if missing), or undefined when it can. */
function outputDirProblem(dir: string): string | undefined {
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) return "it exists and is not a directory";
    makeDirectory(dir);
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") return "permission denied";
    if (code === "ENOTDIR" || code === "EEXIST") return "a part of the path is a file, not a directory";
    if (code === "EROFS") return "the file system is read-only";
    if (code === "ENOENT") return "it cannot be created there";
    return (error as Error).message;
  }
}
