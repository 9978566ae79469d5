// Entry of a dataflow node process: spawned by the daemon, one per node. It runs the shared
// executor (node host, scheduler) over Unix sockets and, for large payloads, shared memory;
// its periodic clock is released by the daemon's timer ticks.
import type { IrChannel } from "@flowc/ir";
import { exitChild, type Outbound, openParentChannel, runExecutor, SocketTransport, type TickGate } from "@flowc/runtime";
import { type NodeInit, nodeSocket, type ToNode } from "./protocol.js";
import { ShmPayloads } from "./shm.js";

// If the daemon dies, the node exits: on IPC disconnect, and from a watchdog thread (within
// 200 ms) even while a step spins (openParentChannel).
let transport: SocketTransport | undefined;
const early: ToNode[] = [];
let released = Number.NEGATIVE_INFINITY;
const gate: TickGate = { released: () => released };

function handle(message: ToNode): void {
  const t = transport;
  if (!t) {
    early.push(message);
  } else
    switch (message.type) {
      case "stop":
        t.requestStop();
        break;
      case "tick":
        if (message.at > released) released = message.at;
        t.notify();
        break;
      case "reconnect":
        void t.connect({ only: message.node, awaitProducers: false }).catch(() => {});
        break;
      case "inputsClosed":
        t.closeInputsFrom(message.node, message.index);
        break;
      default:
        break;
    }
}
const parent = openParentChannel<NodeInit>((message) => handle(message as ToNode));
const init = await parent.init;
const indexOf = new Map(init.ir.nodes.map((n, i) => [n.id, i]));
const t = new SocketTransport({
  channels: init.ir.channels,
  nodes: init.nodes,
  index: init.index,
  socketOf: (node) => nodeSocket(init.socketDir, indexOf.get(node) ?? -1),
  ...(init.shm ? { large: new ShmPayloads(init.shm.dir, init.shm.threshold, init.nodes[0] ?? "node") } : {}),
});
transport = t;
for (const m of early.splice(0)) handle(m);
const socket = await t.listen();
await parent.send({ type: "listening", socket });

const deferClose = (o: Outbound): Outbound => (init.deferClose ? { channel: o.channel, offer: (e) => o.offer(e), close: () => {} } : o);
const periodic = new Set(init.ir.nodes.filter((n) => n.clock.kind === "rate" || n.clock.kind === "hybrid").map((n) => n.id));

await runExecutor(
  init,
  {
    inbound: (c: IrChannel) => t.inbound(c),
    outbound: (c: IrChannel) => deferClose(t.outbound(c)),
    waiter: t.waiter,
    stopRequested: () => t.stopRequested(),
    peakMemory: () => t.peakMemory(),
    connect: async () => {
      await parent.connect;
      await t.connect({ awaitProducers: !init.restart, tolerateMissing: init.restart });
    },
    tickGate: (node) => (periodic.has(node.id) ? gate : undefined),
  },
  parent.send,
  parent.start,
);
await t.close();
exitChild();
