import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createDiagnostic, type Diagnostic, encodeJson, encodeMsgpack, type Ir } from "@flowc/ir";
import { build } from "esbuild";
import type { ModulePlan } from "./compile.js";
import { flowFileStem } from "./file-names.js";
import { relativePath } from "./located.js";

export interface EmitOptions {
  readonly ir: Ir;
  readonly modules: readonly ModulePlan[];
  readonly outDir: string;
  readonly format: "json" | "msgpack";
  readonly projectRoot: string;
  /** Diagnostics show paths relative to this directory. */
  readonly displayRoot: string;
  /**
   * More files derived from the IR, written with it, all or nothing: `suffix` follows the
   * flow's file-name stem (`.dataflow.yml` → `<stem>.dataflow.yml`).
   */
  readonly extraFiles?: readonly { readonly suffix: string; readonly contents: string }[];
  /** Files at paths relative to `outDir` (bundles made earlier), written with the rest, all or nothing. */
  readonly files?: readonly { readonly path: string; readonly contents: Uint8Array | string }[];
}

export interface EmitResult {
  readonly files: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Writes the IR file and the bundled node modules. Bundles are built in memory first; files
 * are written only when every bundle succeeded, each through a temporary file and a rename,
 * so a failed build leaves no half-written output.
 */
export async function emit(options: EmitOptions): Promise<EmitResult> {
  const outDir = resolve(options.outDir);
  const outputs: { path: string; contents: Uint8Array | string }[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const module of options.modules) {
    const entry = `export { ${module.exports.join(", ")} } from ${JSON.stringify(module.file)};\n`;
    try {
      const result = await build({
        stdin: { contents: entry, resolveDir: module.resolveDir, sourcefile: "flowc-node-entry.js", loader: "js" },
        absWorkingDir: options.projectRoot,
        bundle: true,
        format: "esm",
        platform: "node",
        target: "node20",
        write: false,
        outfile: join(outDir, module.output),
        legalComments: "none",
        logLevel: "silent",
        // A linked map next to each bundle (paths only, no copies of the sources): the runtimes
        // turn a failing step's stack back into the user's file.ts:line:col.
        sourcemap: "linked",
        sourcesContent: false,
        banner: {
          js: `// Bundled by flowc from ${module.file.startsWith("/") ? relativePath(options.projectRoot, module.file) : module.file}. Do not edit.`,
        },
      });
      for (const file of result.outputFiles) outputs.push({ path: file.path, contents: file.contents });
    } catch (error) {
      const errors = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
      const detail = errors.length
        ? errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join("; ")
        : String((error as Error).message);
      diagnostics.push(
        createDiagnostic(
          "BundleFailed",
          { file: relativePath(options.displayRoot, module.file), detail },
          { file: relativePath(options.displayRoot, module.file) },
        ),
      );
    }
  }
  if (diagnostics.length > 0) return { files: [], diagnostics };
  const stem = flowFileStem(options.ir.name);
  const irFile = join(outDir, `${stem}.ir.${options.format}`);
  outputs.push({ path: irFile, contents: options.format === "json" ? encodeJson(options.ir) : encodeMsgpack(options.ir) });
  for (const extra of options.extraFiles ?? []) outputs.push({ path: join(outDir, `${stem}${extra.suffix}`), contents: extra.contents });
  for (const file of options.files ?? []) outputs.push({ path: join(outDir, file.path), contents: file.contents });
  // A directory where a file goes would fail its rename after others were renamed: refused first.
  const blocked = outputs.find((o) => isDirectory(o.path));
  if (blocked)
    return {
      files: [],
      diagnostics: [
        createDiagnostic("FileUnwritable", { path: relativePath(options.displayRoot, blocked.path), detail: "it is a directory" }),
      ],
    };
  // Every temporary file first, then the renames: a disk that fills up or a directory that
  // cannot be written stops the build before any file is replaced.
  const written: { temporary: string; path: string }[] = [];
  let current = outDir;
  try {
    for (const output of outputs) {
      current = output.path;
      const temporary = `${output.path}.tmp-${process.pid}`;
      mkdirSync(dirname(output.path), { recursive: true });
      written.push({ temporary, path: output.path });
      writeFileSync(temporary, output.contents);
    }
    for (const { temporary, path } of written) {
      current = path;
      renameSync(temporary, path);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail =
      code === "EACCES" || code === "EPERM" ? "permission denied" : code === "ENOSPC" ? "no space left" : String((error as Error).message);
    return {
      files: [],
      diagnostics: [createDiagnostic("FileUnwritable", { path: relativePath(options.displayRoot, current), detail })],
    };
  } finally {
    for (const { temporary } of written) rmSync(temporary, { force: true });
  }
  return { files: outputs.map((o) => o.path), diagnostics };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
