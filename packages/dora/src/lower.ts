import { analyze, type Ir, type IrChannel } from "@flowc/ir";
import { stringify } from "yaml";
import {
  DEFAULT_QUEUE_SIZE,
  type Descriptor,
  type DescriptorNode,
  FLOWC_NODE_RUNNER,
  type FlowcNodeFacts,
  type InputSpec,
} from "./descriptor.js";
import { timerFor } from "./inputs.js";

/**
 * Lowers IR v1 to a Dora-dialect descriptor. Per node: `path: flowc-node` with `args: <module>
 * <export>`, inputs in the short form `node/output` when the channel has Dora's defaults
 * (capacity 10, drop oldest) and the long form `{source, queue_size, queue_policy}` otherwise —
 * so a channel with flowc's own default (block) is written `queue_policy: backpressure`, and
 * reads back as block even without the `_flowc` facts;
 * a rate or hybrid clock as a timer input, outputs, `deploy.machine` from the placement, and
 * the flowc-only facts under `_flowc`. Several channels into one port become input ids
 * `<port>.1`, `<port>.2`, … (Dora inputs take one source each).
 */
export function lowerToDescriptor(ir: Ir): Descriptor {
  const into = new Map<string, IrChannel[]>();
  for (const c of ir.channels) into.set(c.to.node, [...(into.get(c.to.node) ?? []), c]);
  const byId = new Map(ir.nodes.map((n) => [n.id, n]));
  const nodes: DescriptorNode[] = analyze(ir).order.map((id) => {
    const node = byId.get(id);
    if (!node) throw new Error(`unknown node '${id}'`);
    const inputs: Record<string, InputSpec> = {};
    const channels: Record<string, FlowcNodeFacts["channels"][string]> = {};
    const perPort = new Map<string, IrChannel[]>();
    for (const c of into.get(node.id) ?? []) perPort.set(c.to.port, [...(perPort.get(c.to.port) ?? []), c]);
    for (const [port, list] of perPort) {
      list.forEach((c, i) => {
        const inputId = list.length === 1 ? port : `${port}.${i + 1}`;
        const source = `${c.from.node}/${c.from.port}`;
        const plain = c.capacity === DEFAULT_QUEUE_SIZE && c.onFull === "dropOldest";
        inputs[inputId] = plain
          ? source
          : {
              source,
              queue_size: c.capacity,
              ...(c.onFull === "block"
                ? { queue_policy: "backpressure" as const }
                : c.onFull === "dropOldest"
                  ? { queue_policy: "drop_oldest" as const }
                  : {}),
            };
        channels[inputId] = { id: c.id, port, capacity: c.capacity, onFull: c.onFull };
      });
    }
    let timer: string | undefined;
    if (node.clock.kind === "rate" || node.clock.kind === "hybrid") {
      timer = "tick";
      for (let k = 2; timer in inputs || timer in node.inputs; k++) timer = `tick${k}`;
      inputs[timer] = timerFor(node.clock.hz);
    }
    const facts: FlowcNodeFacts = {
      type: node.type,
      impl: node.impl,
      params: node.params,
      clock: node.clock,
      inputs: node.inputs,
      outputs: node.outputs,
      stateful: node.stateful,
      parallelism: node.parallelism,
      onError: node.onError,
      source: node.source,
      ...(timer !== undefined && { timer }),
      channels,
    };
    const outputs = Object.keys(node.outputs);
    return {
      id: node.id,
      path: FLOWC_NODE_RUNNER,
      args: `${node.impl.module} ${node.impl.export}`,
      ...(Object.keys(inputs).length > 0 && { inputs }),
      ...(outputs.length > 0 && { outputs }),
      ...(node.placement !== null && { deploy: { machine: node.placement } }),
      _flowc: facts,
    };
  });
  return { nodes, _flowc: { irVersion: 1, name: ir.name, meta: ir.meta } };
}

/** The descriptor as YAML text, with a header saying where it came from. */
export function descriptorToYaml(descriptor: Descriptor): string {
  const name = descriptor._flowc?.name ?? "dataflow";
  const header = [
    `# Dataflow '${name}' in Dora's descriptor dialect, written by flowc (flowc build --target dataflow).`,
    "# Nodes run flowc-node <module> <export>; the _flowc keys keep what Dora's fields cannot say.",
    "",
  ].join("\n");
  return header + stringify(descriptor, { lineWidth: 0, aliasDuplicateObjects: false });
}
