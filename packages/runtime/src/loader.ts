import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type IrNode, jsonPointer } from "@flowc/ir";
import { RuntimeError } from "./errors.js";
import { setOwn } from "./own.js";

/** The parts of a `@flowc/dsl` node definition a runtime uses (the runtime never imports the DSL). */
export interface NodeSpecLike {
  readonly state?: (params: unknown) => unknown;
  readonly setup?: (ctx: unknown) => unknown;
  readonly step?: (inputs: Record<string, unknown>, ctx: unknown) => unknown;
  readonly source?: (ctx: unknown) => unknown;
  readonly teardown?: (ctx: unknown) => unknown;
}

interface ZodLike {
  safeParse(
    value: unknown,
  ): { success: true; data: unknown } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

interface NodeDefLike {
  readonly kind: "flowc.node";
  readonly type: string;
  readonly params: Readonly<Record<string, ZodLike>>;
  readonly spec: NodeSpecLike;
}

/** A node ready to host: its spec, validated params (zod defaults applied) and fresh state. */
export interface LoadedNode {
  readonly spec: NodeSpecLike;
  readonly params: Readonly<Record<string, unknown>>;
  readonly state: unknown;
}

const moduleCache = new Map<string, Promise<Record<string, unknown>>>();

/**
 * Imports the bundled module a node's `impl` names (relative to the IR file's directory),
 * finds its `node()` definition, validates the IR params against the definition's zod schemas
 * and creates the node's state. Errors are FLC3010–3012.
 */
export async function loadNode(node: IrNode, baseDir: string): Promise<LoadedNode> {
  const file = isAbsolute(node.impl.module) ? node.impl.module : resolve(baseDir, node.impl.module);
  // Only a JavaScript file is imported: a device or a FIFO named by a hostile IR would be read forever.
  const problem = moduleFileProblem(file);
  if (problem) throw RuntimeError.of("NodeModuleLoadFailed", { node: node.id, module: node.impl.module, detail: problem });
  let mod: Record<string, unknown>;
  try {
    let pending = moduleCache.get(file);
    if (!pending) {
      // Bundles carry source maps: stacks of node code then name the user's .ts lines, on
      // every engine (each thread and process loads its nodes through here).
      process.setSourceMapsEnabled(true);
      pending = import(pathToFileURL(file).href) as Promise<Record<string, unknown>>;
      moduleCache.set(file, pending);
      pending.catch(() => moduleCache.delete(file));
    }
    mod = await pending;
  } catch (error) {
    throw RuntimeError.of("NodeModuleLoadFailed", { node: node.id, module: node.impl.module, detail: firstLine(error) }, { cause: error });
  }
  const def = mod[node.impl.export] as NodeDefLike | undefined;
  if (!def || typeof def !== "object" || def.kind !== "flowc.node" || typeof def.spec !== "object") {
    throw RuntimeError.of("NodeExportMissing", { node: node.id, module: node.impl.module, export: node.impl.export });
  }
  const params: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(def.params ?? {})) {
    const parsed = schema.safeParse(node.params[name]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = jsonPointer([name, ...(issue?.path ?? []).map(String)]);
      throw RuntimeError.of("NodeParamsInvalid", { node: node.id, path, detail: lowerFirst(issue?.message ?? "is invalid") });
    }
    setOwn(params, name, parsed.data);
  }
  for (const [name, value] of Object.entries(node.params)) if (!Object.hasOwn(params, name)) setOwn(params, name, value);
  Object.freeze(params);
  const state = def.spec.state ? def.spec.state(params) : undefined;
  return { spec: def.spec, params, state };
}

function moduleFileProblem(file: string): string | undefined {
  if (!/\.(m|c)?js$/.test(file)) return "a node module is a .js, .mjs or .cjs file";
  try {
    if (!statSync(file).isFile()) return "it is not a regular file";
  } catch {
    return "the file does not exist";
  }
  return undefined;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}

function lowerFirst(text: string): string {
  return text.length > 0 ? text[0]?.toLowerCase() + text.slice(1) : text;
}
