// Entry of a child process executor (isolation "process"): one node or one fused chain.
import { mkdirSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { Worker } from "node:worker_threads";
import type { IrChannel } from "@flowc/ir";
import type { Waiter } from "@flowc/runtime";
import { type ExecutorTransport, runExecutor } from "./executor.js";
import type { FromExecutor, InitMessage, ToExecutor } from "./protocol.js";
import { acceptFrames, SocketInbound, SocketLink, SocketOutbound } from "./socket.js";

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

// Orphan protection: when the parent goes away, exit — from the IPC channel closing, and from a
// watchdog thread that notices even while this thread is stuck in a node's step.
const parentPid = process.ppid;
process.on("disconnect", () => process.exit(1));
// Ctrl-C reaches the whole process group: the parent coordinates a graceful stop, so children ignore SIGINT.
process.on("SIGINT", () => {});
const watchdog = new Worker(`setInterval(() => { if (process.ppid !== ${parentPid}) process.kill(${process.pid}, "SIGKILL"); }, 200);`, {
  eval: true,
});
watchdog.unref();

let counter = 0;
let wake: (() => void) | undefined;
const notify = () => {
  counter++;
  wake?.();
};
const waitFor = (token: number, timeoutMs: number): Promise<void> | undefined =>
  token !== counter
    ? undefined
    : new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        wake = done;
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
      });
const waiter: Waiter = {
  token: () => counter,
  wait: waitFor,
  waitAsync: async (token, timeoutMs) => waitFor(token, timeoutMs),
};

let stop = false;
let resolveStart: (epoch: number) => void = () => {};
const started = new Promise<number>((resolve) => {
  resolveStart = resolve;
});
let resolveSockets: (sockets: Readonly<Record<string, string>>) => void = () => {};
const socketsKnown = new Promise<Readonly<Record<string, string>>>((resolve) => {
  resolveSockets = resolve;
});
let resolveInit: (init: ProcessInit) => void = () => {};
const initialized = new Promise<ProcessInit>((resolve) => {
  resolveInit = resolve;
});

process.on("message", (message: ToExecutor | ProcessInit) => {
  if (message.type === "init") resolveInit(message);
  else if (message.type === "connect") resolveSockets(message.sockets);
  else if (message.type === "start") resolveStart(message.epoch);
  else if (message.type === "stop") {
    stop = true;
    notify();
  }
});

const init = await initialized;
const channelIndex = new Map(init.ir.channels.map((c, i) => [c.id, i]));
const inbound = new Map<number, SocketInbound>();
const outbound: SocketOutbound[] = [];
const connections: Socket[] = [];
const local = new Set(init.nodes);
// One connection arrives from every executor that feeds this one.
const producers = new Set(
  init.ir.channels.filter((c) => local.has(c.to.node) && !local.has(c.from.node)).map((c) => init.executorOf[c.from.node]),
);
let helloCount = 0;
let allInbound: () => void = () => {};
const inboundConnected = new Promise<void>((resolve) => {
  allInbound = resolve;
});
if (producers.size === 0) allInbound();

mkdirSync(init.socketDir, { recursive: true });
const socketPath = `${init.socketDir}/${init.index}.sock`;
const server = createServer((socket) => {
  connections.push(socket);
  socket.setNoDelay?.(true);
  acceptFrames(socket, inbound, () => {
    if (++helloCount === producers.size) allInbound();
  });
});
await new Promise<void>((resolve) => server.listen(socketPath, resolve));
await send({ type: "listening", socket: socketPath });

const indexOf = (c: IrChannel) => {
  const i = channelIndex.get(c.id);
  if (i === undefined) throw new Error(`unknown channel '${c.id}'`);
  return i;
};
const transport: ExecutorTransport = {
  inbound: (c: IrChannel) => {
    const q = new SocketInbound(c, indexOf(c), notify);
    inbound.set(q.index, q);
    return q;
  },
  outbound: (c: IrChannel) => {
    const o = new SocketOutbound(c, indexOf(c), notify);
    outbound.push(o);
    return o;
  },
  waiter,
  stopRequested: () => stop,
  peakMemory: () => process.resourceUsage().maxRSS * 1024,
  async connect() {
    const sockets = await socketsKnown;
    const consumers = new Map<number, SocketOutbound[]>();
    for (const o of outbound) {
      const consumer = init.executorOf[o.channel.to.node];
      if (consumer === undefined) throw new Error(`no executor for node '${o.channel.to.node}'`);
      consumers.set(consumer, [...(consumers.get(consumer) ?? []), o]);
    }
    await Promise.all(
      [...consumers].map(
        ([consumer, list]) =>
          new Promise<void>((resolve, reject) => {
            const path = sockets[String(consumer)];
            if (path === undefined) return reject(new Error(`no socket for executor ${consumer}`));
            const socket = createConnection(path, () => {
              const link = new SocketLink(socket, init.index);
              for (const o of list) link.add(o);
              resolve();
            });
            socket.setNoDelay?.(true);
            socket.on("error", reject);
            connections.push(socket);
          }),
      ),
    );
    await inboundConnected;
  },
};

await runExecutor(init, transport, send, started);
// Let the last frames (end-of-stream markers) leave before exiting; a stuck peer gets 2 s.
await Promise.race([
  Promise.all(connections.map((s) => new Promise<void>((resolve) => (s.writableEnded ? resolve() : s.end(resolve))))),
  new Promise((resolve) => setTimeout(resolve, 2000)),
]);
server.close();
process.removeAllListeners("disconnect");
process.exit(0);
