import { basename, extname } from "node:path";
import { createDiagnostic, type Diagnostic, type Ir, type IrInput, loadIr } from "@flowc/ir";
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
 * `queue_size` and `backpressure` → block, otherwise drop oldest. The IR is then validated like
 * any other.
 */
export function descriptorToIr(descriptor: Descriptor, name = descriptor._flowc?.name ?? "dataflow"): ToIrResult {
  const diagnostics: Diagnostic[] = [];
  const declared = new Map(descriptor.nodes.map((n) => [n.id, new Set(n.outputs ?? [])]));
  const nodes: IrInput["nodes"] = [];
  const channels: NonNullable<IrInput["channels"]> = [];
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
      const channel = facts?.channels[inputId];
      const { capacity, onFull } = channel ?? queueOf(spec);
      const port = channel?.port ?? inputId;
      if (!dataPorts.includes(port)) dataPorts.push(port);
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
  const loaded = loadIr(doc);
  if (!loaded.ok) return { ir: undefined, diagnostics: [...loaded.diagnostics] };
  return { ir: loaded.ir, diagnostics: [...loaded.diagnostics] };
}

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
