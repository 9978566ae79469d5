// Entry of a child process executor (isolation "process"): one node or one fused chain.
import { mkdirSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { Worker } from "node:worker_threads";
import type { IrChannel } from "@flowc/ir";
import { FrameReader, type Waiter } from "@flowc/runtime";
import { type ExecutorTransport, runExecutor } from "./executor.js";
import type { FromExecutor, InitMessage, ToExecutor } from "./protocol.js";
import { HELLO, helloFrame, SocketInbound, SocketOutbound } from "./socket.js";

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
const waiter: Waiter = {
  token: () => counter,
  wait: (token, timeoutMs) =>
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
        }),
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
const inbound = new Map<string, SocketInbound>();
const outbound = new Map<string, SocketOutbound>();
const connections: Socket[] = [];
let allInbound: () => void = () => {};
const inboundConnected = new Promise<void>((resolve) => {
  allInbound = resolve;
});
let connectedCount = 0;
const expectedInbound = init.ir.channels.filter((c) => init.nodes.includes(c.to.node) && !init.nodes.includes(c.from.node)).length;
if (expectedInbound === 0) allInbound();

mkdirSync(init.socketDir, { recursive: true });
const socketPath = `${init.socketDir}/${init.index}.sock`;
const server = createServer((socket) => {
  connections.push(socket);
  socket.setNoDelay?.(true);
  const reader = new FrameReader();
  let handler: ((body: Uint8Array) => void) | undefined;
  socket.on("data", (chunk: Buffer) =>
    reader.push(chunk, (body) => {
      if (handler) return handler(body);
      if (body[0] !== HELLO) return;
      const id = new TextDecoder().decode(body.subarray(1));
      const queue = inbound.get(id);
      if (!queue) return socket.destroy();
      handler = queue.attach(socket);
      if (++connectedCount === expectedInbound) allInbound();
    }),
  );
  socket.on("error", () => {});
});
await new Promise<void>((resolve) => server.listen(socketPath, resolve));
send({ type: "listening", socket: socketPath });

const transport: ExecutorTransport = {
  inbound: (c: IrChannel) => {
    const q = new SocketInbound(c, notify);
    inbound.set(c.id, q);
    return q;
  },
  outbound: (c: IrChannel) => {
    const o = new SocketOutbound(c, notify);
    outbound.set(c.id, o);
    return o;
  },
  waiter,
  stopRequested: () => stop,
  peakMemory: () => process.resourceUsage().maxRSS * 1024,
  async connect() {
    const sockets = await socketsKnown;
    await Promise.all(
      [...outbound.values()].map(
        (o) =>
          new Promise<void>((resolve, reject) => {
            const consumer = init.executorOf[o.channel.to.node];
            const path = consumer === undefined ? undefined : sockets[String(consumer)];
            if (path === undefined) return reject(new Error(`no socket for the consumer of channel '${o.channel.id}'`));
            const socket = createConnection(path, () => {
              socket.write(helloFrame(o.channel.id));
              o.attach(socket);
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
