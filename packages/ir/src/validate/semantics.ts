import { rememberGraph } from "../analysis/analyze.js";
import { type Components, type Edges, type Graph, graphFromEdges, stronglyConnectedComponents } from "../analysis/graph.js";
import { clipText, createDiagnostic, type Diagnostic, jsonPointer, listNames, quote } from "../diagnostics/diagnostic.js";
import type { Ir, IrChannel, IrNode, JsonSchema } from "../schema.js";
import { cyclesThatCannotStart } from "./cycles.js";
import { compareSchemas, MAX_COMPARISON_STEPS, type SchemaComparison } from "./schema-compat.js";

/** Steps all of an IR's schema comparisons may take together (see MAX_COMPARISON_STEPS): seconds, not hours, however many channels. */
export const MAX_TOTAL_COMPARISON_STEPS = 10_000_000;

/**
 * The rules the schema alone cannot express: identity, references between nodes and
 * channels, port direction and types (with a warning where a channel narrows them), clocks
 * against ports, parallelism against state, portable paths, and cycles that can never start.
 * Every finding is a coded diagnostic with a JSON pointer; nothing stops at the first one.
 * Linear in the size of the IR; JSON pointers are only built for findings.
 */
export interface SemanticOptions {
  /**
   * Accept `impl.module` paths that leave the IR file's directory or do not name a JavaScript
   * file (FLC1044, FLC1045). Off by default: an IR is untrusted input, and its modules are
   * imported and run. Only a person vouching for the IR turns it on (the CLI's
   * `--allow-outside-modules`), never the IR itself.
   */
  readonly allowOutsideModules?: boolean;
}

export function checkSemantics(ir: Ir, options: SemanticOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  const modules: ModuleCheck = { allowOutside: options.allowOutsideModules === true, verdicts: new Map() };
  const firstIndex = new Map<string, number>();
  for (let i = 0; i < ir.nodes.length; i++) {
    const node = ir.nodes[i] as IrNode;
    const first = firstIndex.get(node.id);
    if (first !== undefined) {
      out.push(createDiagnostic("DuplicateNodeId", { id: clipText(node.id), first: `/nodes/${first}` }, { path: `/nodes/${i}/id` }));
    } else {
      firstIndex.set(node.id, i);
    }
    checkNode(node, i, modules, out);
  }

  const wellFormed: IrChannel[] = [];
  const edges: Edges = { from: [], to: [], channel: [] };
  // Inputs fed by channels that are broken only at their source still count as connected.
  const fedDespiteErrors = new Set<string>();
  const channelIndex = new Map<string, number>();
  const compared = new Map<JsonSchema, Map<JsonSchema, SchemaComparison>>();
  const budget = { steps: MAX_TOTAL_COMPARISON_STEPS };
  for (let k = 0; k < ir.channels.length; k++) {
    const channel = ir.channels[k] as IrChannel;
    const first = channelIndex.get(channel.id);
    if (first === undefined) channelIndex.set(channel.id, k);
    else
      out.push(
        createDiagnostic("DuplicateChannelId", { id: clipText(channel.id), first: `/channels/${first}` }, { path: `/channels/${k}/id` }),
      );
    const fromIndex = firstIndex.get(channel.from.node);
    const toIndex = firstIndex.get(channel.to.node);
    const fromNode = fromIndex === undefined ? undefined : ir.nodes[fromIndex];
    const toNode = toIndex === undefined ? undefined : ir.nodes[toIndex];
    if (!fromNode)
      out.push(
        createDiagnostic(
          "UnknownNode",
          { channel: clipText(channel.id), node: clipText(channel.from.node) },
          { path: `/channels/${k}/from/node` },
        ),
      );
    if (!toNode)
      out.push(
        createDiagnostic(
          "UnknownNode",
          { channel: clipText(channel.id), node: clipText(channel.to.node) },
          { path: `/channels/${k}/to/node` },
        ),
      );
    const producer = fromNode && endpoint(fromNode, channel.from.port, "output", channel.id, k, out);
    const consumer = toNode && endpoint(toNode, channel.to.port, "input", channel.id, k, out);
    if (!producer || !consumer) {
      if (consumer) fedDespiteErrors.add(`${toIndex}\u0000${channel.to.port}`);
      continue;
    }
    edges.from.push(fromIndex as number);
    edges.to.push(toIndex as number);
    edges.channel.push(wellFormed.length);
    wellFormed.push(channel);
    // Channels between the same two ports compare the same two schemas: once is enough.
    let pairs = compared.get(producer.schema);
    if (!pairs) compared.set(producer.schema, (pairs = new Map()));
    let comparison = pairs.get(consumer.schema);
    if (!comparison) {
      comparison = compareSchemas(producer.schema, consumer.schema, budget);
      pairs.set(consumer.schema, comparison);
    }
    const { incompatible, narrowing } = comparison;
    if (comparison.gaveUp) {
      const detail =
        budget.steps <= 0
          ? `the IR's ${MAX_TOTAL_COMPARISON_STEPS} steps for all channels are used up`
          : `more than ${MAX_COMPARISON_STEPS} steps`;
      out.push(
        createDiagnostic(
          "SchemaComparisonGaveUp",
          {
            channel: clipText(channel.id),
            fromPort: clipText(`${fromNode.id}.${channel.from.port}`),
            toPort: clipText(`${toNode.id}.${channel.to.port}`),
            detail,
          },
          { path: `/channels/${k}` },
        ),
      );
    }
    const problem = incompatible ?? narrowing;
    if (problem) {
      out.push(
        createDiagnostic(
          incompatible ? "PortSchemaMismatch" : "ChannelNarrowsSchema",
          {
            channel: clipText(channel.id),
            fromPort: clipText(`${fromNode.id}.${channel.from.port}`),
            toPort: clipText(`${toNode.id}.${channel.to.port}`),
            fromType: problem.produced,
            toType: problem.accepted,
            where: problem.at ? ` (at ${problem.at})` : "",
          },
          { path: `/channels/${k}` },
        ),
      );
    }
  }

  // The graph of well-formed channels: trigger connectivity and cycles. When every channel is
  // well-formed it is the IR's own graph, and `analyze` reuses it.
  const graph = graphFromEdges(
    ir.nodes.map((node) => node.id),
    firstIndex,
    edges,
  );
  const components = stronglyConnectedComponents(graph);
  if (wellFormed.length === ir.channels.length) rememberGraph(ir, graph, components);
  checkTriggersConnected(ir, firstIndex, graph, wellFormed, fedDespiteErrors, out);
  checkCycles(ir, graph, components, wellFormed, out);
  return out;
}

/** Every trigger port must be fed by at least one (well-formed) channel. */
function checkTriggersConnected(
  ir: Ir,
  firstIndex: Map<string, number>,
  graph: Graph,
  channels: readonly IrChannel[],
  fedDespiteErrors: ReadonlySet<string>,
  out: Diagnostic[],
): void {
  for (let i = 0; i < ir.nodes.length; i++) {
    const node = ir.nodes[i] as IrNode;
    // A duplicate id already has its error; channels cannot tell the two nodes apart.
    if ((node.clock.kind !== "trigger" && node.clock.kind !== "hybrid") || firstIndex.get(node.id) !== i) continue;
    const start = graph.inStart[i] as number;
    const end = graph.inStart[i + 1] as number;
    const on = node.clock.on;
    next: for (let j = 0; j < on.length; j++) {
      const port = on[j] as string;
      for (let e = start; e < end; e++) if (channels[graph.inChannel[e] as number]?.to.port === port) continue next;
      if (!Object.hasOwn(node.inputs, port) || fedDespiteErrors.has(`${i}\u0000${port}`)) continue; // reported already
      out.push(
        createDiagnostic(
          "TriggerUnconnectedPort",
          { node: clipText(node.id), port: clipText(port) },
          { path: `/nodes/${i}/clock/on/${j}` },
        ),
      );
    }
  }
}

interface ModuleCheck {
  readonly allowOutside: boolean;
  /** Per distinct module path: what is wrong with it, if anything (nodes share a few bundles). */
  readonly verdicts: Map<string, ModuleProblem>;
}

type ModuleProblem = "AbsolutePath" | "ModuleOutsideIr" | "ModuleNotJavaScript" | null;

function checkNode(node: IrNode, i: number, modules: ModuleCheck, out: Diagnostic[]): void {
  const at = (...rest: (string | number)[]) => jsonPointer(["nodes", i, ...rest]); // only called for findings
  const id = clipText(node.id);
  const clock = node.clock;
  if (clock.kind === "trigger" || clock.kind === "hybrid") {
    let available: string | undefined;
    for (let j = 0; j < clock.on.length; j++) {
      const port = clock.on[j] as string;
      if (Object.hasOwn(node.inputs, port)) continue;
      available ??= listNames(Object.keys(node.inputs)) || "none";
      out.push(createDiagnostic("TriggerUnknownPort", { node: id, port: clipText(port), available }, { path: at("clock", "on", j) }));
    }
  }
  if (clock.kind === "free") {
    const inputs = Object.keys(node.inputs);
    if (inputs.length > 0)
      out.push(createDiagnostic("FreeClockWithInputs", { node: id, inputs: listNames(inputs) }, { path: at("clock") }));
  }
  for (const port in node.inputs) {
    const adapter = node.inputs[port]?.adapter;
    if (adapter?.kind !== "window" || (adapter.size === undefined) !== (adapter.ms === undefined)) continue;
    const detail = adapter.size === undefined ? "neither is given" : "both are given";
    out.push(createDiagnostic("WindowAdapterInvalid", { detail }, { path: at("inputs", port, "adapter") }));
  }
  if (node.parallelism > 1 && node.stateful)
    out.push(createDiagnostic("ParallelismOnStatefulNode", { node: id, value: node.parallelism }, { path: at("parallelism") }));
  const module = node.impl.module;
  let problem = modules.verdicts.get(module);
  if (problem === undefined) modules.verdicts.set(module, (problem = moduleProblem(module, modules.allowOutside)));
  if (problem === "AbsolutePath") out.push(createDiagnostic("AbsolutePath", { value: quote(module) }, { path: at("impl", "module") }));
  else if (problem) out.push(createDiagnostic(problem, { value: quote(module), node: id }, { path: at("impl", "module") }));
  if (node.source && !isPortablePath(node.source.file))
    out.push(createDiagnostic("AbsolutePath", { value: quote(node.source.file) }, { path: at("source", "file") }));
}

const JAVASCRIPT_MODULE = /\.(?:m|c)?js$/;

function moduleProblem(module: string, allowOutside: boolean): ModuleProblem {
  if (!isPortablePath(module)) return "AbsolutePath";
  if (allowOutside) return null;
  if (leavesDirectory(module)) return "ModuleOutsideIr";
  return JAVASCRIPT_MODULE.test(module) ? null : "ModuleNotJavaScript";
}

/** Whether a relative path with forward slashes, normalized, climbs above its starting directory. */
export function leavesDirectory(path: string): boolean {
  let depth = 0;
  for (const segment of path.split("/")) {
    if (segment === "..") {
      if (--depth < 0) return true;
    } else if (segment !== "." && segment !== "") depth++;
  }
  return false;
}

/**
 * Resolves one channel endpoint to its port, or reports why it cannot. One property read on
 * the success path: every own value of a port record is a port object, and the only
 * object-valued property a plain object inherits is `__proto__`.
 */
function endpoint(
  node: IrNode,
  port: string,
  direction: "input" | "output",
  channel: string,
  k: number,
  out: Diagnostic[],
): { schema: JsonSchema } | undefined {
  const own: Record<string, { schema: JsonSchema }> = direction === "output" ? node.outputs : node.inputs;
  const found = own[port];
  if (typeof found === "object" && found !== null && port !== "__proto__") return found;
  const path = `/channels/${k}/${direction === "output" ? "from" : "to"}/port`;
  const other = direction === "output" ? node.inputs : node.outputs;
  if (Object.hasOwn(other, port)) {
    const detail =
      direction === "output"
        ? `starts at '${clipText(`${node.id}.${port}`)}', which is an input port`
        : `ends at '${clipText(`${node.id}.${port}`)}', which is an output port`;
    out.push(createDiagnostic("ChannelDirection", { channel: clipText(channel), detail }, { path }));
    return undefined;
  }
  out.push(
    createDiagnostic(
      "UnknownPort",
      { node: clipText(node.id), direction, port: clipText(port), available: listNames(Object.keys(own)) || "none" },
      { path },
    ),
  );
  return undefined;
}

/** Cycles that no tick and no message from outside can ever start. */
function checkCycles(ir: Ir, graph: Graph, components: Components, channels: readonly IrChannel[], out: Diagnostic[]): void {
  for (const c of cyclesThatCannotStart(ir.nodes, channels, graph, components)) {
    const members = components.members[c] as readonly number[];
    const names = members.map((v) => clipText(graph.ids[v] as string, 40));
    const shown = names.length > 6 ? [...names.slice(0, 6), `... (${names.length} nodes)`] : [...names, names[0] as string];
    out.push(createDiagnostic("CycleWithoutClock", { members: shown.join(" -> ") }, { path: `/nodes/${members[0]}` }));
  }
}

const NOT_PORTABLE = /^(?:\/|[A-Za-z]:|[A-Za-z][A-Za-z0-9+.-]*:\/\/)|\\/;

/** Relative, forward slashes, no drive letter, no URL scheme. */
export function isPortablePath(path: string): boolean {
  return !NOT_PORTABLE.test(path);
}
