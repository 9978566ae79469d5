import { createDiagnostic, type Diagnostic, type Ir } from "@flowc/ir";

/**
 * Where each node of a dataflow runs and how each channel travels. A node's machine is its IR
 * placement (which is also `deploy.machine` in the descriptor), or the daemon's own machine
 * when it has none. A channel between two nodes on the same machine is `local`: a direct Unix
 * socket between the two node processes (shared memory for large payloads). A channel that
 * crosses machines is `remote`.
 *
 * The daemon that received `start` supervises every node; the nodes of another machine are
 * spawned by that machine's daemon (cluster/cluster.ts), and a `remote` channel is a pipe over
 * NATS between the two node processes (cluster/links.ts). A plan with a machine no daemon that is up
 * serves is refused with FLC3208 before anything is spawned.
 */
export interface Route {
  readonly channel: string;
  readonly kind: "local" | "remote";
  readonly fromMachine: string;
  readonly toMachine: string;
}

export interface Plan {
  readonly machine: string;
  /** Nodes by machine id, in IR order. */
  readonly machines: ReadonlyMap<string, readonly string[]>;
  /** The nodes this daemon spawns. */
  readonly local: readonly string[];
  readonly routes: readonly Route[];
}

export function planPlacement(ir: Ir, machine: string): Plan {
  const machineOf = new Map(ir.nodes.map((n) => [n.id, n.placement ?? machine]));
  const machines = new Map<string, string[]>();
  for (const n of ir.nodes) {
    const m = machineOf.get(n.id) as string;
    machines.set(m, [...(machines.get(m) ?? []), n.id]);
  }
  const routes = ir.channels.map((c) => {
    const fromMachine = machineOf.get(c.from.node) ?? machine;
    const toMachine = machineOf.get(c.to.node) ?? machine;
    return { channel: c.id, kind: fromMachine === toMachine ? ("local" as const) : ("remote" as const), fromMachine, toMachine };
  });
  return { machine, machines, local: machines.get(machine) ?? [], routes };
}

/** FLC3208 for every node placed on a machine no daemon that is up serves (the message lists those that are). */
export function unreachableNodes(plan: Plan, connected: ReadonlySet<string> = new Set()): Diagnostic[] {
  const out: Diagnostic[] = [];
  const up = [plan.machine, ...[...connected].filter((m) => m !== plan.machine).sort()].map((m) => `'${m}'`).join(", ");
  for (const [m, nodes] of plan.machines) {
    if (m === plan.machine || connected.has(m)) continue;
    for (const node of nodes) out.push(createDiagnostic("PlacementUnavailable", { node, machine: m, self: plan.machine, up }));
  }
  return out;
}
