import { basename, dirname, relative, resolve } from "node:path";
import { emit } from "@flowc/frontend";
import { type Diagnostic, hasErrors, type Ir } from "@flowc/ir";
import type { Descriptor } from "./descriptor.js";
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

/**
 * A Dora-dialect descriptor made runnable: parsed (FLC31xx at YAML lines), turned into IR,
 * and its hand-written nodes — JS/TS modules using @flowc/dsl — bundled with esbuild into
 * `outDir`, as `flowc build` bundles a flow's nodes. Nodes flowc wrote (with a `_flowc`
 * section) keep pointing at their bundles. `impl.module` paths in the IR are relative to
 * `outDir`.
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
}): Promise<LoadDescriptorResult> {
  const parsed = parseDescriptor(options.text, options.file);
  if (!parsed.descriptor) return { ok: false, diagnostics: parsed.diagnostics };
  const descriptor = parsed.descriptor;
  const name =
    basename(options.path)
      .replace(/(\.dataflow)?\.ya?ml$/i, "")
      .replace(/[^A-Za-z0-9_.-]/g, "_") || "dataflow";
  const converted = descriptorToIr(descriptor, descriptor._flowc?.name ?? name);
  if (!converted.ir) return { ok: false, diagnostics: converted.diagnostics.map((d) => ({ ...d, file: options.file })) };
  const yamlDir = dirname(options.path);
  const modules = new Map<string, { file: string; exports: Set<string>; output: string }>();
  const nodes = converted.ir.nodes.map((node) => {
    const file = resolve(yamlDir, node.impl.module);
    if (!SOURCE_FILE.test(file)) return node;
    const hand = descriptor.nodes.find((n) => n.id === node.id);
    if (hand?._flowc) return { ...node, impl: { ...node.impl, module: relative(options.outDir, file).split("\\").join("/") } };
    let plan = modules.get(file);
    if (!plan) {
      plan = { file, exports: new Set(), output: `nodes/${modules.size}-${basename(file).replace(/\.[^.]+$/, "")}.mjs` };
      modules.set(file, plan);
    }
    plan.exports.add(node.impl.export);
    return { ...node, impl: { module: plan.output, export: node.impl.export } };
  });
  const ir = { ...converted.ir, nodes };
  const emitted = await emit({
    ir,
    modules: [...modules.values()].map((m) => ({ file: m.file, resolveDir: dirname(m.file), output: m.output, exports: [...m.exports] })),
    outDir: options.outDir,
    format: "json",
    projectRoot: yamlDir,
    displayRoot: options.displayRoot,
  });
  if (hasErrors(emitted.diagnostics)) return { ok: false, diagnostics: emitted.diagnostics };
  return { ok: true, ir, nodeSettings: nodeSettings(descriptor, yamlDir), warnings: [...parsed.diagnostics, ...converted.diagnostics] };
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
    if (Object.keys(settings).length > 0) out[n.id] = settings;
  }
  return out;
}
