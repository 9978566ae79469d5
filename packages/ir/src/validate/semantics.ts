import { buildGraph, stronglyConnectedComponents } from "../analysis/graph.js";
import { createDiagnostic, type Diagnostic, jsonPointer, quote } from "../diagnostics/diagnostic.js";
import type { Ir, IrChannel, IrNode } from "../schema.js";
import { checkSchemaCompatible } from "./schema-compat.js";

/**
 * The rules the schema alone cannot express: identity, references between nodes and
 * channels, port direction and types, clocks against ports, parallelism against state,
 * portable paths, and cycles that can never start. Every finding is a coded diagnostic
 * with a JSON pointer; nothing stops at the first one.
 */
export function checkSemantics(ir: Ir): Diagnostic[] {
  const out: Diagnostic[] = [];
  const firstIndex = new Map<string, number>();
  ir.nodes.forEach((node, i) => {
    const first = firstIndex.get(node.id);
    if (first !== undefined) {
      out.push(createDiagnostic("DuplicateNodeId", { id: node.id, first: `/nodes/${first}` }, { path: `/nodes/${i}/id` }));
    } else {
      firstIndex.set(node.id, i);
    }
    checkNode(node, i, out);
  });

  const connectedInputs = new Set<string>();
  const wellFormed: IrChannel[] = [];
  const channelIndex = new Map<string, number>();
  ir.channels.forEach((channel, k) => {
    const at = (...rest: (string | number)[]) => jsonPointer(["channels", k, ...rest]);
    const first = channelIndex.get(channel.id);
    if (first !== undefined) {
      out.push(createDiagnostic("DuplicateChannelId", { id: channel.id, first: `/channels/${first}` }, { path: at("id") }));
    } else {
      channelIndex.set(channel.id, k);
    }
    const fromIndex = firstIndex.get(channel.from.node);
    const toIndex = firstIndex.get(channel.to.node);
    const fromNode = fromIndex === undefined ? undefined : ir.nodes[fromIndex];
    const toNode = toIndex === undefined ? undefined : ir.nodes[toIndex];
    if (!fromNode)
      out.push(createDiagnostic("UnknownNode", { channel: channel.id, node: channel.from.node }, { path: at("from", "node") }));
    if (!toNode) out.push(createDiagnostic("UnknownNode", { channel: channel.id, node: channel.to.node }, { path: at("to", "node") }));
    const fromOk = fromNode ? checkEndpoint(fromNode, channel.from.port, "output", channel.id, at("from", "port"), out) : false;
    const toOk = toNode ? checkEndpoint(toNode, channel.to.port, "input", channel.id, at("to", "port"), out) : false;
    if (toOk) connectedInputs.add(`${channel.to.node}\u0000${channel.to.port}`);
    if (fromOk && toOk) wellFormed.push(channel);
    if (fromOk && toOk && fromNode && toNode) {
      const produced = fromNode.outputs[channel.from.port]?.schema ?? {};
      const accepted = toNode.inputs[channel.to.port]?.schema ?? {};
      const problem = checkSchemaCompatible(produced, accepted);
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
            { path: at() },
          ),
        );
      }
    }
  });

  ir.nodes.forEach((node, i) => {
    if (node.clock.kind !== "trigger" && node.clock.kind !== "hybrid") return;
    node.clock.on.forEach((port, j) => {
      if (Object.hasOwn(node.inputs, port) && !connectedInputs.has(`${node.id}\u0000${port}`))
        out.push(createDiagnostic("TriggerUnconnectedPort", { node: node.id, port }, { path: `/nodes/${i}/clock/on/${j}` }));
    });
  });

  checkCycles(ir.nodes, wellFormed, out);
  return out;
}

function checkNode(node: IrNode, i: number, out: Diagnostic[]): void {
  const at = (...rest: (string | number)[]) => jsonPointer(["nodes", i, ...rest]);
  const inputNames = Object.keys(node.inputs);
  const clock = node.clock;
  if (clock.kind === "trigger" || clock.kind === "hybrid") {
    clock.on.forEach((port, j) => {
      if (!Object.hasOwn(node.inputs, port))
        out.push(
          createDiagnostic(
            "TriggerUnknownPort",
            { node: node.id, port, available: inputNames.length ? inputNames.join(", ") : "none" },
            { path: at("clock", "on", j) },
          ),
        );
    });
  }
  if (clock.kind === "free" && inputNames.length > 0)
    out.push(createDiagnostic("FreeClockWithInputs", { node: node.id, inputs: inputNames.join(", ") }, { path: at("clock") }));
  for (const [port, input] of Object.entries(node.inputs)) {
    const adapter = input.adapter;
    if (adapter.kind !== "window") continue;
    const given = [adapter.size !== undefined ? "size" : "", adapter.ms !== undefined ? "ms" : ""].filter(Boolean);
    if (given.length !== 1)
      out.push(
        createDiagnostic(
          "WindowAdapterInvalid",
          { detail: given.length === 0 ? "neither is given" : "both are given" },
          { path: at("inputs", port, "adapter") },
        ),
      );
  }
  if (node.parallelism > 1 && node.stateful)
    out.push(createDiagnostic("ParallelismOnStatefulNode", { node: node.id, value: node.parallelism }, { path: at("parallelism") }));
  if (!isPortablePath(node.impl.module))
    out.push(createDiagnostic("AbsolutePath", { value: quote(node.impl.module) }, { path: at("impl", "module") }));
  if (node.source && !isPortablePath(node.source.file))
    out.push(createDiagnostic("AbsolutePath", { value: quote(node.source.file) }, { path: at("source", "file") }));
}

/** Checks one channel endpoint; returns whether it names a port of the right direction. */
function checkEndpoint(
  node: IrNode,
  port: string,
  direction: "input" | "output",
  channel: string,
  path: string,
  out: Diagnostic[],
): boolean {
  const own = direction === "output" ? node.outputs : node.inputs;
  const other = direction === "output" ? node.inputs : node.outputs;
  if (Object.hasOwn(own, port)) return true;
  if (Object.hasOwn(other, port)) {
    const detail =
      direction === "output"
        ? `starts at '${node.id}.${port}', which is an input port`
        : `ends at '${node.id}.${port}', which is an output port`;
    out.push(createDiagnostic("ChannelDirection", { channel, detail }, { path }));
    return false;
  }
  const available = Object.keys(own);
  out.push(
    createDiagnostic(
      "UnknownPort",
      { node: node.id, direction, port, available: available.length ? available.join(", ") : "none" },
      { path },
    ),
  );
  return false;
}

/** Cycles among well-formed channels in which no node has a rate or hybrid clock. */
function checkCycles(nodes: readonly IrNode[], channels: readonly IrChannel[], out: Diagnostic[]): void {
  const graph = buildGraph({ nodes, channels });
  const components = stronglyConnectedComponents(graph);
  components.members.forEach((members, c) => {
    if (!components.cyclic[c]) return;
    const started = members.some((v) => {
      const kind = nodes[v]?.clock.kind;
      return kind === "rate" || kind === "hybrid";
    });
    if (started) return;
    const names = members.map((v) => graph.ids[v] as string);
    const shown = names.length > 6 ? [...names.slice(0, 6), `... (${names.length} nodes)`] : [...names, names[0] as string];
    out.push(createDiagnostic("CycleWithoutClock", { members: shown.join(" -> ") }, { path: `/nodes/${members[0]}` }));
  });
}

/** Relative, forward slashes, no drive letter, no URL scheme. */
export function isPortablePath(path: string): boolean {
  return !path.startsWith("/") && !path.includes("\\") && !/^[A-Za-z]:/.test(path) && !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(path);
}
