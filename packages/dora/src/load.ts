import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { basename, dirname, join, posix, relative, resolve } from "node:path";
import { emit } from "@flowc/frontend";
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
import { type Descriptor, FLOWC_NODE_RUNNER } from "./descriptor.js";
import { parseDescriptor } from "./parse.js";
import { descriptorToIr } from "./to-ir.js";

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
    }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

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
export async function loadDescriptor(options: {
  /** The YAML text. */
  readonly text: string;
  /** The file as diagnostics name it. */
  readonly file: string;
  /** The absolute path of the descriptor: `path`s and `working_dir`s resolve against its directory. */
  readonly path: string;
  /** An empty directory for the bundles; the caller deletes it. */
  readonly outDir: string;
  /** Paths in diagnostics are relative to it. */
  readonly displayRoot: string;
  /**
   * Accept bundles of flowc-written nodes outside the descriptor's directory (copied in as
   * well); off by default, as for an IR (`validateIr`'s `allowOutsideModules`).
   */
  readonly allowOutsideModules?: boolean;
}): Promise<LoadDescriptorResult> {
  const parsed = parseDescriptor(options.text, options.file);
  if (!parsed.descriptor) return { ok: false, diagnostics: parsed.diagnostics };
  const descriptor = parsed.descriptor;
  const located = (diagnostics: readonly Diagnostic[]): Diagnostic[] =>
    diagnostics.map((d) =>
      d.path === undefined || d.line !== undefined
        ? { ...d, file: options.file }
        : { ...d, ...parsed.locate(d.path, d.name === "IrUnknownProperty") },
    );
  const name =
    basename(options.path)
      .replace(/(\.dataflow)?\.ya?ml$/i, "")
      .replace(/[^A-Za-z0-9_.-]/g, "_") || "dataflow";
  const converted = descriptorToIr(descriptor, descriptor._flowc?.name ?? name);
  if (!converted.ir) return { ok: false, diagnostics: located(converted.diagnostics) };
  const yamlDir = dirname(options.path);
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
  // What runs is checked as any IR is: a hand-written path that is no module at all ends here.
  const checked = validateIr({ ...converted.ir, nodes });
  if (!checked.ok)
    return {
      ok: false,
      diagnostics: located(checked.diagnostics.map((d) => (d.path === undefined ? d : { ...d, path: nodePath(d.path, descriptor) }))),
    };
  const ir = checked.ir;
  for (const { from, to } of copies.values()) {
    try {
      mkdirSync(dirname(join(options.outDir, to)), { recursive: true });
      copyFileSync(from, join(options.outDir, to));
    } catch (error) {
      const detail = `The bundle '${relative(options.displayRoot, from)}' cannot be copied: ${(error as Error).message.split("\n")[0]}.`;
      return { ok: false, diagnostics: [createDiagnostic("DescriptorInvalid", { detail }, { file: options.file })] };
    }
  }
  const emitted = await emit({
    ir,
    modules: [...modules.values()].map((m) => ({ file: m.file, resolveDir: dirname(m.file), output: m.output, exports: [...m.exports] })),
    outDir: options.outDir,
    format: "json",
    projectRoot: yamlDir,
    displayRoot: options.displayRoot,
  });
  if (hasErrors(emitted.diagnostics)) return { ok: false, diagnostics: emitted.diagnostics };
  return {
    ok: true,
    ir,
    nodeSettings: nodeSettings(descriptor, yamlDir),
    warnings: [...parsed.diagnostics, ...located(converted.diagnostics)],
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

/** An IR finding about a node's module as a descriptor pointer: the node's `path`/`args`, or its `_flowc` module. */
function nodePath(pointer: string, descriptor: Descriptor): string {
  const match = /^\/nodes\/(\d+)(\/.*)?$/.exec(pointer);
  if (!match) return "";
  const i = Number(match[1]);
  const node = descriptor.nodes[i];
  if (!node) return "";
  if (node._flowc) return `/nodes/${i}/_flowc${match[2] ?? ""}`;
  return `/nodes/${i}/${match[2]?.startsWith("/impl") ? (node.path === FLOWC_NODE_RUNNER ? "args" : "path") : ""}`.replace(/\/$/, "");
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
