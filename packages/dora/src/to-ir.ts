import { basename, extname } from "node:path";
import type { NodeDefinitionFacts, NodeDefinitionLookup } from "@flowc/frontend";
import {
  createDiagnostic,
  type Diagnostic,
  type DiagnosticLocation,
  type Ir,
  type IrInput,
  type JsonSchema,
  jsonPointer,
  loadIr,
  parseJsonPointer,
  quote,
  setOwn,
} from "@flowc/ir";
import { DEFAULT_QUEUE_SIZE, type Descriptor, type DescriptorNode, FLOWC_NODE_RUNNER, type InputSpec } from "./descriptor.js";
import { parseInputSource } from "./inputs.js";
import { NODE_MODULE } from "./parse.js";

export interface ToIrResult {
  readonly ir: Ir | undefined;
  readonly diagnostics: Diagnostic[];
  /**
   * Where in the descriptor a finding about the IR is (a JSON pointer into the IR → one into
   * the descriptor): for IR checks made after conversion, so they point at YAML lines too.
   */
  readonly descriptorPointer: (irPointer: string) => string;
}

export interface ToIrOptions {
  /** File, line and column of a pointer into the descriptor (`parseDescriptor`'s `locate`): findings then carry them. */
  readonly locate?: (pointer: string, key?: boolean) => DiagnosticLocation;
  /**
   * The @flowc/dsl definition behind a hand-written node (by index in `nodes`), when its module
   * could be read (`describeNodeModules`): the descriptor's ports are checked against it, and
   * its type, port schemas and state reach the IR.
   */
  readonly definitions?: (index: number) => NodeDefinitionLookup | undefined;
  /**
   * The descriptor was parsed with `describeOnly`: nodes flowc cannot run (a `path` that is no
   * JS/TS module) keep that path as `impl.module`, and the IR's module checks pass over them —
   * the IR is for looking at, never for running.
   */
  readonly describeOnly?: boolean;
}

/**
 * Turns a descriptor back into IR v1. Nodes flowc wrote (`_flowc` facts present) come back
 * exactly as they were lowered. Hand-written nodes — `path` a JS/TS module whose export (`args`,
 * default `default`) is a `@flowc/dsl` node — get: with the node's definition (`definitions`),
 * its type, state and ports with their schemas, the descriptor's ports checked against them;
 * without it, ports from the descriptor's input ids and outputs (schemas `{}`); a rate clock from a timer input (hybrid with data inputs too),
 * trigger on every data input otherwise, `free` without inputs; channels with the input's
 * `queue_size` and `backpressure` → block, otherwise drop oldest. A hand-written input keeps
 * Dora's documented defaults (queue size 10, drop oldest), not flowc's (block): the file means
 * what it means to Dora. The IR is then validated like any other.
 */
export function descriptorToIr(
  descriptor: Descriptor,
  name = descriptor._flowc?.name ?? "dataflow",
  options: ToIrOptions = {},
): ToIrResult {
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
    const lookup = options.definitions?.(i);
    if (lookup && "problem" in lookup) {
      const { module, exportName } = handWrittenImpl(node);
      diagnostics.push(
        createDiagnostic(
          "DescriptorNodeDefinitionMissing",
          { node: node.id, export: exportName, module: quote(module), detail: lookup.problem },
          { path: `/nodes/${i}/${node.args !== undefined ? "args" : "path"}` },
        ),
      );
    }
    const definition = lookup && "facts" in lookup ? lookup.facts : undefined;
    if (definition) diagnostics.push(...unknownPorts(node, i, dataPorts, definition));
    nodes.push(handWritten(node, dataPorts, timerHz, placement, definition));
  });
  const descriptorPointer = (pointer: string) => jsonPointer(descriptorPath(pointer, descriptor, origins, nodes));
  const located = (found: readonly Diagnostic[]) =>
    unique(found).map((d) =>
      d.path === undefined || d.line !== undefined || !options.locate
        ? d
        : // An unknown input is its id, the key; everything else is about the value.
          { ...d, ...options.locate(d.path, d.name === "DescriptorUnknownPort" && d.path.includes("/inputs/")) },
    );
  if (diagnostics.length > 0) return { ir: undefined, diagnostics: located(diagnostics), descriptorPointer };
  const doc: IrInput = {
    irVersion: 1,
    name,
    nodes,
    channels,
    meta: descriptor._flowc?.meta ?? { compiler: "flowc (from a dataflow descriptor)", sourceHash: null },
  };
  // Module paths are the descriptor's (hand-written sources, or bundles beside it): loadDescriptor
  // checks them, bundles the sources and copies the bundles, then validates the result again.
  const loaded = withForeignModules(doc, options.describeOnly === true, (d) => loadIr(d, { allowOutsideModules: true }));
  const found = loaded.diagnostics.map((d) => (d.path === undefined ? d : { ...d, path: descriptorPointer(d.path) }));
  return { ir: loaded.ok ? loaded.ir : undefined, diagnostics: located(found), descriptorPointer };
}

/**
 * Validates an IR in which, with `describeOnly`, nodes flowc cannot run name their foreign code
 * (`sender.py`, `../../target/debug/node`, a URL): the IR's module rules (FLC1043–FLC1045) are
 * about what a runtime loads, so those nodes are checked with a stand-in module and get their
 * own back afterwards. Every other rule applies to them as to any node; a runnable IR is
 * validated unchanged.
 */
export function withForeignModules<R extends { readonly ok: boolean; readonly ir?: Ir | undefined }>(
  doc: IrInput,
  describeOnly: boolean,
  validate: (doc: IrInput) => R,
): R {
  const foreign = describeOnly ? doc.nodes.map((n) => isForeignModule(n.impl.module)) : [];
  if (!foreign.includes(true)) return validate(doc);
  const result = validate({
    ...doc,
    nodes: doc.nodes.map((n, i) =>
      foreign[i] ? { ...n, impl: { ...n.impl, module: FOREIGN_STAND_IN }, clock: standInClock(n.clock) } : n,
    ),
  });
  if (!result.ok || !result.ir) return result;
  const ir = result.ir;
  return {
    ...result,
    ir: {
      ...ir,
      nodes: ir.nodes.map((n, i) => {
        const original = doc.nodes[i];
        return foreign[i] && original
          ? {
              ...n,
              impl: { ...n.impl, module: original.impl.module },
              clock: n.clock.kind === original.clock?.kind ? n.clock : (original.clock as typeof n.clock),
            }
          : n;
      }),
    },
  };
}

/**
 * The clock a foreign node is checked with: a Dora node is a process that may send whenever it
 * likes, not only when a message arrives, so for the rule that a cycle must be able to start
 * (FLC1026) a trigger-clocked foreign node counts as one that can start it (a hybrid clock
 * with the same trigger ports). The IR keeps the node's own clock.
 */
function standInClock(clock: IrInput["nodes"][number]["clock"]): IrInput["nodes"][number]["clock"] {
  return clock?.kind === "trigger" ? { kind: "hybrid", hz: 1, onLag: "warn", on: clock.on } : clock;
}

/** A module the IR's rules accept, in place of foreign code while it is checked. */
const FOREIGN_STAND_IN = "foreign.mjs";

/** Code flowc cannot run: not `flowc-node`'s bundle nor a JS/TS module. */
function isForeignModule(module: string): boolean {
  return !NODE_MODULE.test(module);
}

/** The module and export a hand-written node names: `path` and `args`, or `flowc-node`'s `args: <module> <export>`. */
export function handWrittenImpl(node: DescriptorNode): { module: string; exportName: string } {
  const runner = node.path === FLOWC_NODE_RUNNER;
  // Foreign code (`describeOnly`) has command-line `args`, not an export.
  if (!runner && !NODE_MODULE.test(node.path)) return { module: node.path, exportName: "default" };
  const words = (node.args ?? "").split(/\s+/).filter((w) => w !== "");
  return { module: runner ? (words[0] ?? "") : node.path, exportName: (runner ? words[1] : words[0]) ?? "default" };
}

/** Inputs and outputs the descriptor names that the node's definition does not declare, at their lines. */
function unknownPorts(node: DescriptorNode, i: number, dataPorts: readonly string[], facts: NodeDefinitionFacts): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { module } = handWrittenImpl(node);
  const common = { node: node.id, type: facts.type, module: quote(module) };
  const list = (ports: Iterable<string>) => [...ports].join(", ") || "none";
  for (const port of dataPorts) {
    if (facts.inputs.has(port)) continue;
    out.push(
      createDiagnostic(
        "DescriptorUnknownPort",
        { ...common, side: "Input", port, kind: "an input", plural: "inputs", available: list(facts.inputs.keys()) },
        { path: `/nodes/${i}/inputs/${escapePointer(port)}` },
      ),
    );
  }
  (node.outputs ?? []).forEach((port, k) => {
    if (facts.outputs.has(port)) return;
    out.push(
      createDiagnostic(
        "DescriptorUnknownPort",
        { ...common, side: "Output", port, kind: "an output", plural: "outputs", available: list(facts.outputs.keys()) },
        { path: `/nodes/${i}/outputs/${k}` },
      ),
    );
  });
  return out;
}

/**
 * One finding per place: several IR values can come from one YAML value (a hand-written input
 * id is a port and a trigger of the clock), and the reader needs to hear about it once.
 */
function unique(found: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return found.filter((d) => {
    const key = `${d.code}\u0000${d.path ?? ""}\u0000${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

const FACT_FIELDS = new Set(["type", "impl", "params", "clock", "inputs", "outputs", "stateful", "parallelism", "onError", "source"]);

/**
 * Where in the descriptor an IR finding is: a `_flowc` fact flowc wrote, the field of a
 * hand-written node the IR value came from, or the input a channel came from. The nearest
 * part of the descriptor that exists when there is no exact match.
 */
function descriptorPath(
  pointer: string,
  descriptor: Descriptor,
  origins: readonly { node: number; input: string }[],
  nodes: IrInput["nodes"],
): (string | number)[] {
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
    // A trigger port of a hand-written node is one of its input ids.
    const clock = nodes[i]?.clock;
    const trigger = field === "clock" && rest[0] === "on" && clock && "on" in clock ? clock.on[Number(rest[1])] : undefined;
    if (typeof trigger === "string" && node.inputs && Object.hasOwn(node.inputs, trigger)) return [...at, "inputs", trigger];
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
  facts: NodeDefinitionFacts | undefined,
): IrInput["nodes"][number] {
  const { module, exportName } = handWrittenImpl(node);
  let clock: IrInput["nodes"][number]["clock"];
  if (timerHz !== undefined && dataPorts.length > 0) clock = { kind: "hybrid", hz: timerHz, onLag: "warn", on: [...dataPorts] };
  else if (timerHz !== undefined) clock = { kind: "rate", hz: timerHz, onLag: "warn" };
  else if (dataPorts.length > 0) clock = { kind: "trigger", on: [...dataPorts] };
  else clock = { kind: "free" };
  if (!facts)
    return {
      id: node.id,
      type: exportName === "default" ? basename(module, extname(module)) : exportName,
      impl: { module, export: exportName },
      clock,
      inputs: Object.fromEntries(dataPorts.map((p) => [p, {}])),
      outputs: Object.fromEntries((node.outputs ?? []).map((o) => [o, {}])),
      placement,
    };
  // What the definition declares, as `flowc build` lowers it: every port with its schema (a
  // `many` input receives every message since the last step), and its state.
  const inputs: Record<string, { schema: JsonSchema; adapter: { kind: "events" | "latest" } }> = {};
  for (const [port, input] of facts.inputs)
    setOwn(inputs, port, { schema: input.schema, adapter: { kind: input.list ? "events" : "latest" } });
  const outputs: Record<string, { schema: JsonSchema }> = {};
  for (const [port, output] of facts.outputs) setOwn(outputs, port, { schema: output.schema });
  return {
    id: node.id,
    type: facts.type,
    impl: { module, export: exportName },
    clock,
    inputs,
    outputs,
    stateful: facts.stateful,
    placement,
  };
}
