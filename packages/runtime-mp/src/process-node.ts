// Entry of a child process executor (isolation "process"): one node or one fused chain.
import { type FromExecutor, guardAgainstOrphaning, type InitMessage, runExecutor, SocketTransport, type ToExecutor } from "@flowc/runtime";

export interface ProcessInit extends InitMessage {
  readonly socketDir: string;
  /** Executor index of every node, to find the socket of a channel's consumer. */
  readonly executorOf: Readonly<Record<string, number>>;
}

if (!process.send) throw new Error("process-node.js runs as a forked child with an IPC channel");
const send = (message: FromExecutor) =>
  new Promise<void>((resolve) => {
    if (!process.connected) return resolve();
    process.send?.(message, undefined, {}, () => resolve());
  });

guardAgainstOrphaning();
// Ctrl-C reaches the whole process group: the parent coordinates a graceful stop, so children ignore SIGINT.
process.on("SIGINT", () => {});

let resolveStart: (epoch: number) => void = () => {};
const started = new Promise<number>((resolve) => {
  resolveStart = resolve;
});
let resolveConnect: () => void = () => {};
const connectNow = new Promise<void>((resolve) => {
  resolveConnect = resolve;
});
let resolveInit: (init: ProcessInit) => void = () => {};
const initialized = new Promise<ProcessInit>((resolve) => {
  resolveInit = resolve;
});
let transport: SocketTransport | undefined;
let stopEarly = false;

process.on("message", (message: ToExecutor | ProcessInit) => {
  if (message.type === "init") resolveInit(message);
  else if (message.type === "connect") resolveConnect();
  else if (message.type === "start") resolveStart(message.epoch);
  else if (message.type === "stop") {
    stopEarly = true;
    transport?.requestStop();
  }
});

const init = await initialized;
transport = new SocketTransport({
  channels: init.ir.channels,
  nodes: init.nodes,
  index: init.index,
  socketOf: (node) => `${init.socketDir}/${init.executorOf[node] ?? "?"}.sock`,
});
if (stopEarly) transport.requestStop();
const socket = await transport.listen();
await send({ type: "listening", socket });
const t = transport;
await runExecutor(
  init,
  {
    inbound: (c) => t.inbound(c),
    outbound: (c) => t.outbound(c),
    waiter: t.waiter,
    stopRequested: () => t.stopRequested(),
    peakMemory: () => t.peakMemory(),
    connect: async () => {
      await connectNow;
      await t.connect();
    },
  },
  send,
  started,
);
await t.close();
process.removeAllListeners("disconnect");
process.exit(0);
