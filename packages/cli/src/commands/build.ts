import { renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { descriptorToYaml, lowerToDescriptor } from "@flowc/dora";
import { emit } from "@flowc/frontend";
import { createDiagnostic, type Diagnostic, diagnosticsToJson, encodeJson, hasErrors } from "@flowc/ir";
import { displayPath } from "../files.js";
import { type CliIo, ExitCode } from "../io.js";
import { compileEntry } from "../load.js";
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
}

export async function buildCommand(io: CliIo, entry: string, options: BuildOptions): Promise<ExitCode> {
  const target = options.target ?? "ir";
  if (!(BUILD_TARGETS as readonly string[]).includes(target)) {
    const detail = `Unknown build target '${target}'; this flowc builds: ${BUILD_TARGETS.join(", ")}.`;
    return report(io, [createDiagnostic("UsageError", { detail })], { json: options.json === true });
  }
  const format = options.format ?? "json";
  if (format !== "json" && format !== "msgpack") {
    return report(io, [createDiagnostic("UsageError", { detail: `Unknown IR format '${format}'; use json or msgpack.` })], {
      json: options.json === true,
    });
  }
  const compiled = compileEntry(io, entry, options.flow);
  if ("diagnostics" in compiled) return report(io, compiled.diagnostics, { json: options.json === true });
  const { result } = compiled;
  if (!result.ir || hasErrors(result.diagnostics)) return report(io, result.diagnostics, { json: options.json === true });
  const diagnostics: Diagnostic[] = [...result.diagnostics];
  let files: readonly string[] = [];
  // --print-ir alone prints and writes nothing; with -o it does both.
  if (!options.printIr || options.out !== undefined) {
    const outDir = resolve(io.cwd, options.out ?? DEFAULT_OUT_DIR);
    const emitted = await emit({
      ir: result.ir,
      modules: result.modules,
      outDir,
      format,
      projectRoot: result.projectRoot,
      displayRoot: io.cwd,
    });
    diagnostics.push(...emitted.diagnostics);
    files = emitted.files.map((f) => displayPath(io.cwd, f));
    if (hasErrors(emitted.diagnostics)) return report(io, diagnostics, { json: options.json === true });
    if (target === "dataflow") {
      // Next to the IR: the descriptor's `args` name the node modules relative to it.
      const yamlFile = join(outDir, `${result.ir.name}.dataflow.yml`);
      writeFileAtomic(yamlFile, descriptorToYaml(lowerToDescriptor(result.ir)));
      files = [...files, displayPath(io.cwd, yamlFile)];
    }
  }
  if (options.json) {
    io.stdout(`${JSON.stringify({ ok: true, name: result.ir.name, files, diagnostics: diagnosticsToJson(diagnostics) }, null, 2)}\n`);
    return ExitCode.Ok;
  }
  report(io, diagnostics);
  if (options.printIr) io.stdout(encodeJson(result.ir));
  if (files.length > 0) {
    const ir = files.find((f) => f.endsWith(`.ir.${format}`));
    const yaml = files.find((f) => f.endsWith(".dataflow.yml"));
    const modules = files.length - 1 - (yaml ? 1 : 0);
    io.stderr(
      `flowc: built '${result.ir.name}' (${result.ir.nodes.length} nodes, ${result.ir.channels.length} channels): ${ir}${yaml ? ` + ${yaml}` : ""} + ${modules} node module${modules === 1 ? "" : "s"}\n`,
    );
  }
  return ExitCode.Ok;
}

export function checkCommand(io: CliIo, entry: string, options: { json?: boolean; flow?: string }): ExitCode {
  const compiled = compileEntry(io, entry, options.flow);
  if ("diagnostics" in compiled) return report(io, compiled.diagnostics, { json: options.json === true });
  const { result } = compiled;
  if (options.json || !result.ir) return report(io, result.diagnostics, { json: options.json === true });
  report(io, result.diagnostics);
  io.stdout(
    `${displayPath(io.cwd, entry)}: flow '${result.ir.name}' is valid (${result.ir.nodes.length} nodes, ${result.ir.channels.length} channels)\n`,
  );
  return ExitCode.Ok;
}

/** Writes through a temporary file and a rename, so a crash never leaves half a file. */
function writeFileAtomic(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}
