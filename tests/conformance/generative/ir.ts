// From flows to IR without the TypeScript compiler: the kind library is compiled and bundled
// once, and every random flow's IR is assembled from the library's nodes as templates (the
// module, export, ports, schemas and statefulness the compiler wrote), then validated.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile, emit } from "@flowc/frontend";
import { type Ir, type IrInput, type IrNode, loadIr } from "@flowc/ir";
import { channelId, type FlowSpec, KINDS, type KindName } from "./flow.js";

export interface Library {
  readonly templates: ReadonlyMap<KindName, IrNode>;
  /** Where the bundle lives: the `baseDir` of every run. */
  readonly baseDir: string;
  readonly remove: () => void;
}

const LIBRARY = join(import.meta.dirname, "library.flow.ts");

/** Compiles and bundles the kind library once; checks it against the kind table. */
export async function compileLibrary(): Promise<Library> {
  const result = compile({ entry: LIBRARY, flow: "library" });
  if (!result.ir)
    throw new Error(`the kind library does not compile: ${result.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}`);
  const baseDir = mkdtempSync(join(tmpdir(), "flowc-generative-"));
  const emitted = await emit({
    ir: result.ir,
    modules: result.modules,
    outDir: baseDir,
    format: "json",
    projectRoot: result.projectRoot,
    displayRoot: baseDir,
  });
  if (emitted.diagnostics.some((d) => d.severity === "error")) throw new Error(emitted.diagnostics.map((d) => d.message).join("; "));
  const templates = new Map<KindName, IrNode>();
  for (const node of result.ir.nodes) templates.set(node.type as KindName, node);
  for (const [kind, info] of Object.entries(KINDS)) {
    const t = templates.get(kind as KindName);
    if (!t) throw new Error(`the kind library has no node of kind ${kind}`);
    const same = (a: object, b: object) => Object.keys(a).sort().join() === Object.keys(b).sort().join();
    if (!same(t.inputs, info.inputs) || !same(t.outputs, info.outputs) || t.stateful !== info.stateful)
      throw new Error(`kind ${kind}: the table in flow.ts does not match its definition in kinds.ts`);
  }
  return { templates, baseDir, remove: () => rmSync(baseDir, { recursive: true, force: true }) };
}

/** The prefix of flow `i`'s node ids in a batch. */
export function flowPrefix(i: number): string {
  return `f${i}_`;
}

/**
 * One IR holding `flows` as disjoint subgraphs (node ids prefixed `f<i>_`), validated by
 * `loadIr`. Throws with the diagnostics when the IR is refused.
 */
export function buildIr(library: Library, flows: readonly FlowSpec[], name = "generative"): Ir {
  const nodes: IrInput["nodes"] = [];
  const channels: NonNullable<IrInput["channels"]> = [];
  flows.forEach((flow, i) => {
    const prefix = flowPrefix(i);
    for (const n of flow.nodes) {
      const t = library.templates.get(n.kind) as IrNode;
      const inputs: Record<string, { schema: IrNode["inputs"][string]["schema"]; adapter: IrNode["inputs"][string]["adapter"] }> = {};
      for (const [port, input] of Object.entries(t.inputs))
        inputs[port] = { schema: input.schema, adapter: n.adapters[port] ?? input.adapter };
      const ports = Object.keys(t.inputs);
      nodes.push({
        id: `${prefix}${n.id}`,
        type: t.type,
        impl: t.impl,
        params: n.params,
        clock: ports.length === 0 ? { kind: "free" } : { kind: "trigger", on: ports },
        inputs,
        outputs: t.outputs,
        stateful: t.stateful,
        parallelism: n.parallelism,
        placement: null,
        onError: n.onError,
        source: null,
      });
    }
    for (const c of flow.channels) {
      channels.push({
        id: channelId(c, prefix),
        from: { node: `${prefix}${c.from.node}`, port: c.from.port },
        to: { node: `${prefix}${c.to.node}`, port: c.to.port },
        capacity: c.capacity,
        onFull: "block",
      });
    }
  });
  const loaded = loadIr({ irVersion: 1, name, nodes, channels, meta: { compiler: "flowc-generative-test", sourceHash: null } });
  if (!loaded.ok)
    throw new Error(`the IR is refused:\n${loaded.diagnostics.map((d) => `${d.code} ${d.path ?? ""} ${d.message}`).join("\n")}`);
  return loaded.ir;
}

/**
 * Whether the validator accepts a cycle fed from outside (source → loop.a; loop → hop →
 * loop.b). Random cycles are generated only when it does.
 */
export function cyclesAccepted(library: Library): boolean {
  try {
    buildIr(library, [
      {
        nodes: [
          { id: "s", kind: "Count", params: { count: 1, start: 0, stride: 1 }, adapters: {}, parallelism: 1, onError: "stop" },
          {
            id: "loop",
            kind: "Loop",
            params: { rounds: 1, held: false },
            adapters: { a: { kind: "latest" }, b: { kind: "latest" } },
            parallelism: 1,
            onError: "stop",
          },
          { id: "hop", kind: "Hop", params: {}, adapters: { value: { kind: "latest" } }, parallelism: 1, onError: "stop" },
        ],
        channels: [
          { from: { node: "s", port: "value" }, to: { node: "loop", port: "a" }, capacity: 4 },
          { from: { node: "loop", port: "loop" }, to: { node: "hop", port: "value" }, capacity: 4 },
          { from: { node: "hop", port: "value" }, to: { node: "loop", port: "b" }, capacity: 4 },
        ],
      },
    ]);
    return true;
  } catch {
    return false;
  }
}
