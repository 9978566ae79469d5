import { basename, extname } from "node:path";
import { createDiagnostic, type Diagnostic, type Ir, type IrInput, jsonPointer, loadIr, parseJsonPointer } from "@flowc/ir";
import { DEFAULT_QUEUE_SIZE, type Descriptor, type DescriptorNode, FLOWC_NODE_RUNNER, type InputSpec } from "./descriptor.js";
import { parseInputSource } from "./inputs.js";

export interface ToIrResult {
  readonly ir: Ir | undefined;
  readonly diagnostics: Diagnostic[];
}

/**
 * Turns a descriptor back into IR v1. Nodes flowc wrote (`_flowc` facts present) come back
 * exactly as they were lowered. Hand-written nodes — `path` a JS/TS module whose export (`args`,
 * default `default`) is a `@flowc/dsl` node — get: ports from the descriptor's input ids and
 * outputs (schemas `{}`), a rate clock from a timer input (hybrid with data inputs too),
 * trigger on every data input otherwise, `free` without inputs; channels with the input's
 * `queue_size` and `backpressure` → block, otherwise drop oldest. A hand-written input keeps
 * Dora's documented defaults (queue size 10, drop oldest), not flowc's (block): the file means
 * what it means to Dora. The IR is then validated like any other.
 */
export function descriptorToIr(descriptor: Descriptor, name = descriptor._flowc?.name ?? "dataflow"): ToIrResult {
  const diagnostics: Diagnostic[] = [];
  const declared = new Map(descriptor.nodes.map((n) => [n.id, new Set(n.outputs ?? [])]));
  const nodes: IrInput["nodes"] = [];
  const channels: NonNullable<IrInput["channels"]> = [];
  // Where each IR channel came from: the node (index) and input id of the descriptor.
  const origins: { node: number; input: string }[] = [];
  descriptor.nodes.forEach((node, i) => {
    const facts = node._flowc;
    const placement = node.deploy?.machine ?? descriptor.deploy?.machine ?? null;
    const inputs = Object.entries(node.inputs ?? {});
    let timerHz: number | undefined;
    const dataPorts: string[] = [];
    for (const [inputId, spec] of inputs) {
      const text = typeof spec === "string" ? spec : spec.source;
      const source = parseInputSource(text);
      if (typeof source === "string") continue; // reported by parseDescriptor
      if (source.kind === "timer") {
        timerHz = 1000 / source.periodMs;
        continue;
      }
      const outputs = declared.get(source.node);
      if (!outputs) {
        diagnostics.push(
          createDiagnostic(
            "DescriptorUnknownSource",
            { input: inputId, node: node.id, source: text, detail: `and no node is called '${source.node}'` },
            { path: `/nodes/${i}/inputs/${inputId}` },
          ),
        );
        continue;
      }
      if (!outputs.has(source.output)) {
        const known = [...outputs].join(", ") || "none";
        diagnostics.push(
          createDiagnostic(
            "DescriptorUnknownSource",
            {
              input: inputId,
              node: node.id,
              source: text,
              detail: `but '${source.node}' declares no output '${source.output}' (outputs: ${known})`,
            },
            { path: `/nodes/${i}/inputs/${inputId}` },
          ),
        );
        continue;
      }
      const known = facts?.channels;
      const channel = known && Object.hasOwn(known, inputId) ? known[inputId] : undefined;
      const { capacity, onFull } = channel ?? queueOf(spec);
      const port = channel?.port ?? inputId;
      if (!dataPorts.includes(port)) dataPorts.push(port);
      origins.push({ node: i, input: inputId });
      channels.push({
        id: channel?.id ?? `${source.node}.${source.output}->${node.id}.${port}`,
        from: { node: source.node, port: source.output },
        to: { node: node.id, port },
        capacity,
        onFull,
      });
    }
    if (facts) {
      nodes.push({
        id: node.id,
        type: facts.type,
        impl: facts.impl,
        params: facts.params,
        clock: facts.clock,
        inputs: facts.inputs,
        outputs: facts.outputs,
        stateful: facts.stateful,
        parallelism: facts.parallelism,
        placement,
        onError: facts.onError,
        source: facts.source,
      });
      return;
    }
    nodes.push(handWritten(node, dataPorts, timerHz, placement));
  });
  if (diagnostics.length > 0) return { ir: undefined, diagnostics };
  const doc: IrInput = {
    irVersion: 1,
    name,
    nodes,
    channels,
    meta: descriptor._flowc?.meta ?? { compiler: "flowc (from a dataflow descriptor)", sourceHash: null },
  };
  // Module paths are the descriptor's (hand-written sources, or bundles beside it): loadDescriptor
  // checks them, bundles the sources and copies the bundles, then validates the result again.
  const loaded = loadIr(doc, { allowOutsideModules: true });
  const found = loaded.diagnostics.map((d) =>
    d.path === undefined ? d : { ...d, path: jsonPointer(descriptorPath(d.path, descriptor, origins)) },
  );
  return { ir: loaded.ok ? loaded.ir : undefined, diagnostics: found };
}

const FACT_FIELDS = new Set(["type", "impl", "params", "clock", "inputs", "outputs", "stateful", "parallelism", "onError", "source"]);

/**
 * Where in the descriptor an IR finding is: a `_flowc` fact flowc wrote, the field of a
 * hand-written node the IR value came from, or the input a channel came from. The nearest
 * part of the descriptor that exists when there is no exact match.
 */
function descriptorPath(pointer: string, descriptor: Descriptor, origins: readonly { node: number; input: string }[]): (string | number)[] {
  const [head, index, field, ...rest] = parseJsonPointer(pointer);
  if (head === "nodes" && index !== undefined) {
    const i = Number(index);
    const node = descriptor.nodes[i];
    if (!node) return [];
    const at: (string | number)[] = ["nodes", i];
    if (field === undefined) return at;
    if (field === "id") return [...at, "id"];
    if (field === "placement") return node.deploy ? [...at, "deploy", "machine"] : descriptor.deploy ? ["deploy", "machine"] : at;
    if (node._flowc) return FACT_FIELDS.has(field) ? [...at, "_flowc", field, ...rest] : [...at, "_flowc"];
    if (field === "impl") return [...at, node.path === FLOWC_NODE_RUNNER ? "args" : "path"];
    if (field === "inputs" && rest[0] !== undefined && node.inputs && Object.hasOwn(node.inputs, rest[0]))
      return [...at, "inputs", rest[0]];
    if (field === "outputs" || field === "inputs" || field === "clock") return [...at, field === "outputs" ? "outputs" : "inputs"];
    return at;
  }
  if (head === "channels" && index !== undefined) {
    const origin = origins[Number(index)];
    if (!origin) return [];
    const facts = descriptor.nodes[origin.node]?._flowc?.channels;
    const at = ["nodes", origin.node, "inputs", origin.input];
    if (facts && Object.hasOwn(facts, origin.input) && field !== undefined && field !== "from" && field !== "to")
      return ["nodes", origin.node, "_flowc", "channels", origin.input, field];
    return at;
  }
  if (head !== undefined && descriptor._flowc)
    return ["_flowc", head, ...(index !== undefined ? [index] : []), ...(field !== undefined ? [field, ...rest] : [])];
  return [];
}

/** Dora's queue settings of an input, with Dora's defaults. */
function queueOf(spec: InputSpec): { capacity: number; onFull: "dropOldest" | "block" } {
  if (typeof spec === "string") return { capacity: DEFAULT_QUEUE_SIZE, onFull: "dropOldest" };
  return { capacity: spec.queue_size ?? DEFAULT_QUEUE_SIZE, onFull: spec.queue_policy === "backpressure" ? "block" : "dropOldest" };
}

function handWritten(
  node: DescriptorNode,
  dataPorts: readonly string[],
  timerHz: number | undefined,
  placement: string | null,
): IrInput["nodes"][number] {
  const runner = node.path === FLOWC_NODE_RUNNER;
  const words = (node.args ?? "").split(/\s+/).filter((w) => w !== "");
  const module = runner ? (words[0] ?? "") : node.path;
  const exportName = (runner ? words[1] : words[0]) ?? "default";
  let clock: IrInput["nodes"][number]["clock"];
  if (timerHz !== undefined && dataPorts.length > 0) clock = { kind: "hybrid", hz: timerHz, onLag: "warn", on: [...dataPorts] };
  else if (timerHz !== undefined) clock = { kind: "rate", hz: timerHz, onLag: "warn" };
  else if (dataPorts.length > 0) clock = { kind: "trigger", on: [...dataPorts] };
  else clock = { kind: "free" };
  return {
    id: node.id,
    type: exportName === "default" ? basename(module, extname(module)) : exportName,
    impl: { module, export: exportName },
    clock,
    inputs: Object.fromEntries(dataPorts.map((p) => [p, {}])),
    outputs: Object.fromEntries((node.outputs ?? []).map((o) => [o, {}])),
    placement,
  };
}
