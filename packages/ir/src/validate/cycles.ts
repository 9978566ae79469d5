import type { Components, Graph } from "../analysis/graph.js";
import type { IrChannel } from "../schema.js";

/** What the rule reads of a node: its clock (IR input or output form). */
interface Clocked {
  readonly clock: { readonly kind: string; readonly on?: readonly string[] };
}

/**
 * The cycles (strongly connected components with a cycle) that can never start: none of their
 * nodes has a clock that fires on its own (rate, hybrid; free sources have no inputs, so never
 * sit on a cycle), and no channel from outside the component feeds a port one of them triggers
 * on. A cycle with either can run: a tick, or a message from outside, lets one node go first.
 * `channels` are the channels the graph was built from (its `inChannel` indexes them).
 */
export function cyclesThatCannotStart(
  nodes: readonly Clocked[],
  channels: readonly Pick<IrChannel, "to">[],
  graph: Graph,
  components: Components,
): number[] {
  const stuck: number[] = [];
  components.members.forEach((members, c) => {
    if (!components.cyclic[c]) return;
    const canStart = members.some((v) => {
      const clock = nodes[v]?.clock;
      if (clock?.kind !== "trigger") return clock !== undefined;
      const on = clock.on ?? [];
      for (let e = graph.inStart[v] as number; e < (graph.inStart[v + 1] as number); e++) {
        if (components.of[graph.inSource[e] as number] === c) continue;
        const port = channels[graph.inChannel[e] as number]?.to.port;
        if (port !== undefined && on.includes(port)) return true;
      }
      return false;
    });
    if (!canStart) stuck.push(c);
  });
  return stuck;
}
