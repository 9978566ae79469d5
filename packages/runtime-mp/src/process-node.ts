// Entry of a child process executor (isolation "process"): one node or one fused chain.
import { exitChild, type InitMessage, openParentChannel, runExecutor, SocketTransport } from "@flowc/runtime";

export interface ProcessInit extends InitMessage {
  readonly socketDir: string;
  /** Executor index of every node, to find the socket of a channel's consumer. */
  readonly executorOf: Readonly<Record<string, number>>;
}

let transport: SocketTransport | undefined;
let stopEarly = false;
const parent = openParentChannel<ProcessInit>((message) => {
  if (message.type !== "stop") return;
  stopEarly = true;
  transport?.requestStop();
});

const init = await parent.init;
const t = new SocketTransport({
  channels: init.ir.channels,
  nodes: init.nodes,
  index: init.index,
  socketOf: (node) => `${init.socketDir}/${init.executorOf[node] ?? "?"}.sock`,
});
transport = t;
if (stopEarly) t.requestStop();
const socket = await t.listen();
await parent.send({ type: "listening", socket });
await runExecutor(
  init,
  {
    inbound: (c) => t.inbound(c),
    outbound: (c) => t.outbound(c),
    waiter: t.waiter,
    stopRequested: () => t.stopRequested(),
    peakMemory: () => t.peakMemory(),
    connect: async () => {
      await parent.connect;
      await t.connect();
    },
  },
  parent.send,
  parent.start,
);
await t.close();
exitChild();
