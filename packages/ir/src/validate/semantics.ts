import { rememberGraph } from "../analysis/analyze.js";
import { type Components, type Edges, type Graph, graphFromEdges, stronglyConnectedComponents } from "../analysis/graph.js";
import { createDiagnostic, type Diagnostic, jsonPointer, quote } from "../diagnostics/diagnostic.js";
import type { Ir, IrChannel, IrNode, JsonSchema } from "../schema.js";
import { checkSchemaCompatible } from "./schema-compat.js";

/**
 * The rules the schema alone cannot express: identity, references between nodes and
 * channels, port direction and types, clocks against ports, parallelism against state,
 * portable paths, and cycles that can never start. Every finding is a coded diagnostic
 * with a JSON pointer; nothing stops at the first one. Linear in the size of the IR; JSON
 * pointers are only built for findings.
 */
export function checkSemantics(ir: Ir): Diagnostic[] {
  const out: Diagnostic[] = [];
  const firstIndex = new Map<string, number>();
  const portable = new Map<string, boolean>();
  for (let i = 0; i < ir.nodes.length; i++) {
    const node = ir.nodes[i] as IrNode;
    const first = firstIndex.get(node.id);
    if (first !== undefined) {
      out.push(createDiagnostic("DuplicateNodeId", { id: node.id, first: `/nodes/${first}` }, { path: `/nodes/${i}/id` }));
    } else {
      firstIndex.set(node.id, i);
    }
    checkNode(node, i, portable, out);
  }

  const wellFormed: IrChannel[] = [];
  const edges: Edges = { from: [], to: [], channel: [] };
  // Inputs fed by channels that are broken only at their source still count as connected.
  const fedDespiteErrors = new Set<string>();
  const channelIds = new Set<string>();
  for (let k = 0; k < ir.channels.length; k++) {
    const channel = ir.channels[k] as IrChannel;
    if (channelIds.size === channelIds.add(channel.id).size) {
      const first = ir.channels.findIndex((c) => c.id === channel.id);
      out.push(createDiagnostic("DuplicateChannelId", { id: channel.id, first: `/channels/${first}` }, { path: `/channels/${k}/id` }));
    }
    const fromIndex = firstIndex.get(channel.from.node);
    const toIndex = firstIndex.get(channel.to.node);
    const fromNode = fromIndex === undefined ? undefined : ir.nodes[fromIndex];
    const toNode = toIndex === undefined ? undefined : ir.nodes[toIndex];
    if (!fromNode)
      out.push(createDiagnostic("UnknownNode", { channel: channel.id, node: channel.from.node }, { path: `/channels/${k}/from/node` }));
    if (!toNode)
      out.push(createDiagnostic("UnknownNode", { channel: channel.id, node: channel.to.node }, { path: `/channels/${k}/to/node` }));
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
    const problem = checkSchemaCompatible(producer.schema, consumer.schema);
    if (problem) {
      out.push(
        createDiagnostic(
          "PortSchemaMismatch",
          {
            channel: channel.id,
            fromPort: `${fromNode.id}.${channel.from.port}`,
            toPort: `${toNode.id}.${channel.to.port}`,
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
  checkCycles(ir, graph, components, out);
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
      out.push(createDiagnostic("TriggerUnconnectedPort", { node: node.id, port }, { path: `/nodes/${i}/clock/on/${j}` }));
    }
  }
}

function checkNode(node: IrNode, i: number, portable: Map<string, boolean>, out: Diagnostic[]): void {
  const at = (...rest: (string | number)[]) => jsonPointer(["nodes", i, ...rest]); // only called for findings
  const clock = node.clock;
  if (clock.kind === "trigger" || clock.kind === "hybrid") {
    for (let j = 0; j < clock.on.length; j++) {
      const port = clock.on[j] as string;
      if (Object.hasOwn(node.inputs, port)) continue;
      const inputNames = Object.keys(node.inputs);
      const available = inputNames.length ? inputNames.join(", ") : "none";
      out.push(createDiagnostic("TriggerUnknownPort", { node: node.id, port, available }, { path: at("clock", "on", j) }));
    }
  }
  if (clock.kind === "free") {
    const inputs = Object.keys(node.inputs);
    if (inputs.length > 0)
      out.push(createDiagnostic("FreeClockWithInputs", { node: node.id, inputs: inputs.join(", ") }, { path: at("clock") }));
  }
  for (const port in node.inputs) {
    const adapter = node.inputs[port]?.adapter;
    if (adapter?.kind !== "window" || (adapter.size === undefined) !== (adapter.ms === undefined)) continue;
    const detail = adapter.size === undefined ? "neither is given" : "both are given";
    out.push(createDiagnostic("WindowAdapterInvalid", { detail }, { path: at("inputs", port, "adapter") }));
  }
  if (node.parallelism > 1 && node.stateful)
    out.push(createDiagnostic("ParallelismOnStatefulNode", { node: node.id, value: node.parallelism }, { path: at("parallelism") }));
  const module = node.impl.module;
  let ok = portable.get(module);
  if (ok === undefined) portable.set(module, (ok = isPortablePath(module)));
  if (!ok) out.push(createDiagnostic("AbsolutePath", { value: quote(module) }, { path: at("impl", "module") }));
  if (node.source && !isPortablePath(node.source.file))
    out.push(createDiagnostic("AbsolutePath", { value: quote(node.source.file) }, { path: at("source", "file") }));
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
        ? `starts at '${node.id}.${port}', which is an input port`
        : `ends at '${node.id}.${port}', which is an output port`;
    out.push(createDiagnostic("ChannelDirection", { channel, detail }, { path }));
    return undefined;
  }
  const available = Object.keys(own);
  out.push(
    createDiagnostic(
      "UnknownPort",
      { node: node.id, direction, port, available: available.length ? available.join(", ") : "none" },
      { path },
    ),
  );
  return undefined;
}

/** Cycles in which no node has a rate or hybrid clock can never start. */
function checkCycles(ir: Ir, graph: Graph, components: Components, out: Diagnostic[]): void {
  components.members.forEach((members, c) => {
    if (!components.cyclic[c]) return;
    const started = members.some((v) => {
      const kind = ir.nodes[v]?.clock.kind;
      return kind === "rate" || kind === "hybrid";
    });
    if (started) return;
    const names = members.map((v) => graph.ids[v] as string);
    const shown = names.length > 6 ? [...names.slice(0, 6), `... (${names.length} nodes)`] : [...names, names[0] as string];
    out.push(createDiagnostic("CycleWithoutClock", { members: shown.join(" -> ") }, { path: `/nodes/${members[0]}` }));
  });
}

const NOT_PORTABLE = /^(?:\/|[A-Za-z]:|[A-Za-z][A-Za-z0-9+.-]*:\/\/)|\\/;

/** Relative, forward slashes, no drive letter, no URL scheme. */
export function isPortablePath(path: string): boolean {
  return !NOT_PORTABLE.test(path);
}
