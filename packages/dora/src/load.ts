import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, posix, relative, resolve } from "node:path";
import { describeNodeModules, type EmitOptions, emit } from "@flowc/frontend";
import {
  clipText,
  createDiagnostic,
  type Diagnostic,
  hasErrors,
  type Ir,
  isPortablePath,
  leavesDirectory,
  quote,
  setOwn,
  validateIr,
} from "@flowc/ir";
import type { Descriptor } from "./descriptor.js";
import { parseDescriptor } from "./parse.js";
import { descriptorToIr, handWrittenImpl, withForeignModules } from "./to-ir.js";

/** What a descriptor says about a node's process, in the dataflow runtime's option names (`runtimes.dataflow.nodes`). */
export interface NodeProcessSettings {
  readonly restart?: "never" | "onFailure" | "always";
  readonly maxRestarts?: number;
  readonly restartDelayMs?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly workingDir?: string;
}

export type LoadDescriptorResult =
  | {
      readonly ok: true;
      readonly ir: Ir;
      /** Per-node process settings (restart policy, env, working directory). */
      readonly nodeSettings: Readonly<Record<string, NodeProcessSettings>>;
      /** Warnings found on the way (lines of the YAML). */
      readonly warnings: readonly Diagnostic[];
      /** Files written into `outDir` (absolute); none when only checked. */
      readonly files: readonly string[];
    }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

export interface DescriptorSource {
  /** The YAML text. */
  readonly text: string;
  /** The file as diagnostics name it. */
  readonly file: string;
  /** The absolute path of the descriptor: `path`s and `working_dir`s resolve against its directory. */
  readonly path: string;
  /** Paths in diagnostics are relative to it. */
  readonly displayRoot: string;
  /**
   * Accept bundles of flowc-written nodes outside the descriptor's directory (copied in as
   * well); off by default, as for an IR (`validateIr`'s `allowOutsideModules`).
   */
  readonly allowOutsideModules?: boolean;
  /**
   * Also report TypeScript's own errors (`TS2322`, …) in the TypeScript node modules the
   * descriptor names and the modules of the user's they import, as `flowc check`/`build`/`run`
   * do for a flow file; any of them refuses the descriptor. Off by default.
   */
  readonly typecheck?: boolean;
}

export interface CheckOptions {
  /**
   * Only look at the dataflow (`flowc validate`, `inspect`, `graph`, `check`): nodes flowc cannot
   * run and Dora features that leave the graph as it is are warnings, and the IR shows them
   * (`parseDescriptor`'s `describeOnly`). Such an IR is never run: `loadDescriptor` refuses them.
   */
  readonly describeOnly?: boolean;
}

/** A checked descriptor: its IR, and what writing it out copies and bundles. */
interface Checked {
  readonly ir: Ir;
  readonly nodeSettings: Record<string, NodeProcessSettings>;
  readonly warnings: readonly Diagnostic[];
  readonly copies: readonly { readonly from: string; readonly to: string }[];
  readonly modules: readonly { readonly file: string; readonly exports: ReadonlySet<string>; readonly output: string }[];
  readonly yamlDir: string;
}

/**
 * Everything `loadDescriptor` checks, writing nothing: the descriptor parsed (FLC31xx at YAML
 * lines), its hand-written nodes' definitions read and their ports checked, the IR it becomes
 * validated. `impl.module` paths in the IR are where `loadDescriptor` would put the bundles.
 * What `flowc validate`, `inspect`, `graph` and `check` report for a descriptor.
 */
export function checkDescriptor(options: DescriptorSource, how: CheckOptions = {}): LoadDescriptorResult {
  const checked = check(options, how.describeOnly === true);
  if (!("ir" in checked)) return checked;
  return { ok: true, ir: checked.ir, nodeSettings: checked.nodeSettings, warnings: checked.warnings, files: [] };
}

const SOURCE_FILE = /\.(m|c)?[jt]sx?$/;
const JAVASCRIPT_MODULE = /\.(m|c)?js$/;

/**
 * A Dora-dialect descriptor made runnable: parsed (FLC31xx at YAML lines), turned into IR,
 * and its hand-written nodes — JS/TS modules using @flowc/dsl — bundled with esbuild into
 * `outDir`, as `flowc build` bundles a flow's nodes. The bundles of nodes flowc wrote (with a
 * `_flowc` section) are copied into `outDir` at the same relative paths, so the IR and
 * everything it imports are one self-contained directory (the daemon copies it whole). Every
 * `impl.module` in the IR is relative to `outDir`. Diagnostics point at YAML lines.
 */
export async function loadDescriptor(
  options: DescriptorSource & {
    /** The directory for the IR file and the bundles (an empty temporary one for a run; the caller deletes it). */
    readonly outDir: string;
    /** The IR file's encoding (default json). */
    readonly format?: "json" | "msgpack";
    /** Files made from the IR, written with it, all or nothing (`emit`'s `extraFiles`). */
    readonly extraFiles?: (ir: Ir) => NonNullable<EmitOptions["extraFiles"]>;
  },
): Promise<LoadDescriptorResult> {
  const checked = check(options, false);
  if (!("ir" in checked)) return checked;
  const { ir, copies, modules, yamlDir } = checked;
  // The bundles flowc wrote are read here and written by `emit` with the IR and the new
  // bundles, all or nothing: a failed write leaves no copy behind.
  const files: { path: string; contents: Uint8Array }[] = [];
  const maps = new Set<string>();
  for (const { from, to } of copies) {
    try {
      files.push({ path: to, contents: readFileSync(from) });
      // The bundle names its source map; without it a failing step's stack loses the user's lines.
      if (existsSync(`${from}.map`)) {
        files.push({ path: `${to}.map`, contents: readFileSync(`${from}.map`) });
        maps.add(resolve(options.outDir, `${to}.map`));
      }
    } catch (error) {
      const detail = `The bundle '${relative(options.displayRoot, from)}' cannot be copied: ${(error as Error).message.split("\n")[0]}.`;
      return { ok: false, diagnostics: [createDiagnostic("DescriptorInvalid", { detail }, { file: options.file })] };
    }
  }
  const emitted = await emit({
    files,
    ir,
    modules: modules.map((m) => ({ file: m.file, resolveDir: dirname(m.file), output: m.output, exports: [...m.exports] })),
    outDir: options.outDir,
    format: options.format ?? "json",
    projectRoot: yamlDir,
    displayRoot: options.displayRoot,
    ...(options.extraFiles !== undefined && { extraFiles: options.extraFiles(ir) }),
  });
  if (hasErrors(emitted.diagnostics)) return { ok: false, diagnostics: emitted.diagnostics };
  return {
    ok: true,
    ir,
    nodeSettings: checked.nodeSettings,
    warnings: [...checked.warnings, ...emitted.diagnostics],
    // The copied maps go unlisted, as before: a bundle and its map are one node module.
    files: emitted.files.filter((f) => !maps.has(f)),
  };
}

function check(
  options: DescriptorSource,
  describeOnly: boolean,
): Checked | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] } {
  const parsed = parseDescriptor(options.text, options.file, { describeOnly });
  if (!parsed.descriptor) return { ok: false, diagnostics: parsed.diagnostics };
  const descriptor = parsed.descriptor;
  const located = (diagnostics: readonly Diagnostic[]): Diagnostic[] =>
    diagnostics.map((d) =>
      d.path === undefined || d.line !== undefined
        ? { ...d, file: d.file ?? options.file }
        : { ...d, ...parsed.locate(d.path, d.name === "IrUnknownProperty") },
    );
  const name =
    basename(options.path)
      .replace(/(\.dataflow)?\.ya?ml$/i, "")
      .replace(/[^A-Za-z0-9_.-]/g, "_") || "dataflow";
  const yamlDir = dirname(options.path);
  // The definitions of hand-written TypeScript nodes, read statically: their ports are checked
  // against the descriptor, and their schemas and state reach the IR.
  const sources = new Map<number, { file: string; exportName: string }>();
  descriptor.nodes.forEach((node, i) => {
    if (node._flowc) return;
    const { module, exportName } = handWrittenImpl(node);
    if (SOURCE_FILE.test(module)) sources.set(i, { file: resolve(yamlDir, module), exportName });
  });
  const exportsOf = new Map<string, Set<string>>();
  for (const { file, exportName } of sources.values()) exportsOf.set(file, (exportsOf.get(file) ?? new Set()).add(exportName));
  const described = describeNodeModules({
    modules: [...exportsOf].map(([file, exports]) => ({ file, exports: [...exports] })),
    displayRoot: options.displayRoot,
    typecheck: options.typecheck === true,
  });
  const converted = descriptorToIr(descriptor, descriptor._flowc?.name ?? name, {
    describeOnly,
    locate: parsed.locate,
    definitions: (i) => {
      const source = sources.get(i);
      return source && described.definitions.get(source.file)?.get(source.exportName);
    },
  });
  // TypeScript's own errors come first, as for a flow file; the descriptor's findings follow.
  const typeErrors = described.diagnostics.filter((d) => d.severity === "error");
  if (!converted.ir || typeErrors.length > 0) return { ok: false, diagnostics: [...typeErrors, ...located(converted.diagnostics)] };
  const used = new Set<string>();
  const claim = (wanted: string): string => {
    let out = wanted;
    for (let n = 2; used.has(out); n++) out = wanted.replace(/(\.[^./]+)?$/, (ext) => `-${n}${ext}`);
    used.add(out);
    return out;
  };
  const problems: Diagnostic[] = [];
  const at = (i: number) => parsed.locate(`/nodes/${i}/_flowc/impl/module`);
  // The bundles flowc wrote: checked like an IR's modules, then copied in at their paths.
  const copies = new Map<string, { from: string; to: string }>();
  const irNodes = converted.ir.nodes.map((node, i) => {
    if (!descriptor.nodes[i]?._flowc) return node;
    const module = node.impl.module;
    const value = quote(module);
    const id = clipText(node.id);
    if (!isPortablePath(module)) problems.push(createDiagnostic("AbsolutePath", { value }, at(i)));
    else if (leavesDirectory(module) && !options.allowOutsideModules)
      problems.push(createDiagnostic("ModuleOutsideIr", { value, node: id }, at(i)));
    else if (!JAVASCRIPT_MODULE.test(module)) problems.push(createDiagnostic("ModuleNotJavaScript", { value, node: id }, at(i)));
    else {
      const normalized = posix.normalize(module);
      let copy = copies.get(normalized);
      if (!copy) {
        const from = resolve(yamlDir, module);
        const problem = bundleFileProblem(from);
        if (problem) {
          problems.push(createDiagnostic("DescriptorInvalid", { detail: `The bundle ${value} of node '${id}' ${problem}.` }, at(i)));
          return node;
        }
        copy = { from, to: claim(leavesDirectory(module) ? `nodes/outside/${basename(module)}` : normalized) };
        copies.set(normalized, copy);
      }
      return { ...node, impl: { ...node.impl, module: copy.to } };
    }
    return node;
  });
  if (problems.length > 0) return { ok: false, diagnostics: problems };
  // Hand-written nodes: their JS/TS modules bundled, as `flowc build` bundles a flow's.
  const modules = new Map<string, { file: string; exports: Set<string>; output: string }>();
  const nodes = irNodes.map((node, i) => {
    if (descriptor.nodes[i]?._flowc) return node;
    const file = resolve(yamlDir, node.impl.module);
    if (!SOURCE_FILE.test(file)) return node;
    let plan = modules.get(file);
    if (!plan) {
      plan = { file, exports: new Set(), output: claim(`nodes/${modules.size}-${basename(file).replace(/\.[^.]+$/, "")}.mjs`) };
      modules.set(file, plan);
    }
    plan.exports.add(node.impl.export);
    return { ...node, impl: { module: plan.output, export: node.impl.export } };
  });
  // What runs is checked as any IR is; findings point at the YAML the IR value came from.
  const checked = withForeignModules({ ...converted.ir, nodes }, describeOnly, (doc) => validateIr(doc));
  if (!checked.ok)
    return {
      ok: false,
      diagnostics: located(
        checked.diagnostics.map((d) => (d.path === undefined ? d : { ...d, path: converted.descriptorPointer(d.path) })),
      ),
    };
  return {
    ir: checked.ir,
    nodeSettings: nodeSettings(descriptor, yamlDir),
    warnings: [...parsed.diagnostics, ...described.diagnostics, ...located(converted.diagnostics)],
    copies: [...copies.values()],
    modules: [...modules.values()],
    yamlDir,
  };
}

/** Why a bundle cannot be copied (missing, a directory, a device or a FIFO that would be read forever), if it cannot. */
function bundleFileProblem(file: string): string | undefined {
  try {
    return statSync(file).isFile() ? undefined : "is not a regular file";
  } catch {
    return "does not exist";
  }
}

/** What a descriptor says about node processes, as dataflow runtime options (`nodes`). */
function nodeSettings(descriptor: Descriptor, yamlDir: string): Record<string, NodeProcessSettings> {
  const out: Record<string, NodeProcessSettings> = {};
  const policies = { never: "never", "on-failure": "onFailure", always: "always" } as const;
  for (const n of descriptor.nodes) {
    const env = { ...descriptor.env, ...n.env };
    const workingDir = n.deploy?.working_dir ?? descriptor.deploy?.working_dir;
    const settings: NodeProcessSettings = {
      ...(n.restart_policy ? { restart: policies[n.restart_policy] } : {}),
      ...(n.max_restarts !== undefined ? { maxRestarts: n.max_restarts } : {}),
      ...(n.restart_delay !== undefined ? { restartDelayMs: Math.round(n.restart_delay * 1000) } : {}),
      ...(Object.keys(env).length > 0 ? { env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) } : {}),
      ...(workingDir !== undefined ? { workingDir: resolve(yamlDir, workingDir) } : {}),
    };
    if (Object.keys(settings).length > 0) setOwn(out, n.id, settings);
  }
  return out;
}
