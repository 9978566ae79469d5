import type { Ir, IrChannel, IrNode } from "../schema.js";
import { analyze } from "./analyze.js";

/**
 * A fused node: a linear chain of IR nodes that one executor runs back to back. The chain's
 * head supplies the clock and the inputs, its tail the outputs; `members` keep their own
 * params, state and implementations, and `channels` are the chain's internal channels, so a
 * runtime still sees (and can record) every message that crosses them.
 */
export interface FusedNode extends Omit<IrNode, "impl" | "type" | "params"> {
  readonly type: "fused";
  readonly impl: { readonly kind: "fused"; readonly members: readonly IrNode[]; readonly channels: readonly IrChannel[] };
  readonly params: Record<string, never>;
}

export type ExecNode = IrNode | FusedNode;

export interface FusedIr extends Omit<Ir, "nodes" | "channels"> {
  readonly nodes: readonly ExecNode[];
  /** External channels; endpoints of fused chains are renamed to the fused node's id. */
  readonly channels: readonly IrChannel[];
}

export function isFusedNode(node: ExecNode): node is FusedNode {
  return node.type === "fused" && (node.impl as { kind?: unknown }).kind === "fused";
}

/** The id of a fused chain: its members' ids joined by `+` (a character node ids cannot contain). */
export function fusedId(members: readonly string[]): string {
  return members.join("+");
}

/**
 * Lowers an IR so that every partition of more than one node becomes one fused node. By
 * default the partitions are `analyze(ir).partitions` (maximal fusable linear chains).
 * Node order follows the IR's declaration order of each chain's head.
 */
export function fuse(ir: Ir, partitions: readonly (readonly string[])[] = analyze(ir).partitions): FusedIr {
  const byId = new Map(ir.nodes.map((node) => [node.id, node]));
  const chainOf = new Map<string, { fused: FusedNode; head: string; tail: string }>();
  for (const partition of partitions) {
    if (partition.length < 2) continue;
    const members = partition.map((id) => {
      const node = byId.get(id);
      if (!node) throw new Error(`fuse: partition names unknown node '${id}'`);
      return node;
    });
    const head = members[0] as IrNode;
    const tail = members[members.length - 1] as IrNode;
    const inside = new Set(partition);
    const fused: FusedNode = {
      id: fusedId(partition),
      type: "fused",
      impl: {
        kind: "fused",
        members,
        channels: ir.channels.filter((c) => inside.has(c.from.node) && inside.has(c.to.node)),
      },
      params: {},
      clock: head.clock,
      inputs: head.inputs,
      outputs: tail.outputs,
      stateful: members.some((m) => m.stateful),
      parallelism: 1,
      placement: head.placement,
      onError: head.onError,
      source: head.source,
    };
    for (const id of partition) chainOf.set(id, { fused, head: head.id, tail: tail.id });
  }
  const nodes: ExecNode[] = [];
  for (const node of ir.nodes) {
    const chain = chainOf.get(node.id);
    if (!chain) nodes.push(node);
    else if (chain.head === node.id) nodes.push(chain.fused);
  }
  const channels: IrChannel[] = [];
  for (const c of ir.channels) {
    const from = chainOf.get(c.from.node);
    const to = chainOf.get(c.to.node);
    if (from && to && from.fused === to.fused) continue;
    if ((from && from.tail !== c.from.node) || (to && to.head !== c.to.node))
      throw new Error(`fuse: channel '${c.id}' leaves or enters a chain in its middle; partitions must be fusable chains`);
    channels.push({
      ...c,
      from: from ? { node: from.fused.id, port: c.from.port } : c.from,
      to: to ? { node: to.fused.id, port: c.to.port } : c.to,
    });
  }
  return { ...ir, nodes, channels };
}
