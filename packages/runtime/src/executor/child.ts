import type { IrChannel } from "@flowc/ir";
import type { TickGate } from "../clock.js";
import type { Outbound } from "../queue.js";
import { ProbeDesk, runExecutor } from "./executor.js";
import { Lender } from "./lender.js";
import type { ChildInit, FromExecutor, ToExecutor } from "./protocol.js";
import { ShmPayloads } from "./shm.js";
import { canMapSlots, SlotPool } from "./slots.js";
import { guardAgainstOrphaning, type RemoteLinks, SocketTransport } from "./socket-transport.js";

/** Shared-memory slots where this process can map them, tmpfs files otherwise. */
function largePayloads(shm: { readonly dir: string; readonly threshold: number } | null, owner: string) {
  if (!shm) return undefined;
  return canMapSlots() ? new SlotPool(shm.threshold) : new ShmPayloads(shm.dir, shm.threshold, owner);
}

/** The engine's links to executors on other machines, from the module its init names. */
async function remoteLinks(remote: NonNullable<ChildInit["remote"]>, index: number): Promise<RemoteLinks> {
  const mod = (await import(remote.module)) as { createRemoteLinks?: (options: unknown, index: number) => Promise<RemoteLinks> };
  if (typeof mod.createRemoteLinks !== "function") throw new Error(`${remote.module} exports no createRemoteLinks`);
  return mod.createRemoteLinks(remote.options, index);
}

/** The socket executor `index` listens on. */
export function executorSocket(socketDir: string, index: number): string {
  return `${socketDir}/${index}.sock`;
}

/**
 * The body of every child-process executor (mp's process isolation, the dataflow engine's
 * node processes): it takes its init over IPC, runs the shared executor over Unix sockets
 * (shared memory for large payloads when the init names a directory), follows the
 * supervisor's messages — connect, start, stop, timer ticks, a consumer's return after a
 * restart, a producer gone for good — and exits once its sockets have drained.
 *
 * It protects itself against orphaning (it exits when the parent's IPC channel closes, and a
 * watchdog thread kills it when the parent process is gone even while a node spins), and it
 * ignores SIGINT: Ctrl-C reaches the whole process group, and the supervisor coordinates the stop.
 */
export async function runChildExecutor(): Promise<never> {
  const send = process.send?.bind(process);
  if (!send) throw new Error("a flowc executor runs as a forked child with an IPC channel");
  guardAgainstOrphaning();
  process.on("SIGINT", () => {});
  const post = (message: FromExecutor) =>
    new Promise<void>((resolve) => {
      if (!process.connected) return resolve();
      send(message, undefined, {}, () => resolve());
    });

  let transport: SocketTransport | undefined;
  const early: ToExecutor[] = [];
  let released = Number.NEGATIVE_INFINITY;
  const gate: TickGate = { released: () => released };
  let resolveInit: (init: ChildInit) => void = () => {};
  const initialized = new Promise<ChildInit>((resolve) => {
    resolveInit = resolve;
  });
  let resolveConnect: () => void = () => {};
  const connectRequested = new Promise<void>((resolve) => {
    resolveConnect = resolve;
  });
  let resolveStart: (epoch: number) => void = () => {};
  const started = new Promise<number>((resolve) => {
    resolveStart = resolve;
  });
  const probes = new ProbeDesk();

  const handle = (message: ToExecutor): void => {
    const t = transport;
    if (message.type === "connect") {
      resolveConnect();
      return;
    }
    if (message.type === "start") {
      resolveStart(message.epoch);
      return;
    }
    if (message.type === "probe") {
      probes.request(message.round);
      return;
    }
    if (message.type === "quiesce") {
      probes.quiesce();
      t?.notify();
      return;
    }
    if (!t) {
      early.push(message);
      return;
    }
    switch (message.type) {
      case "stop":
        t.requestStop();
        break;
      case "tick":
        if (message.at > released) released = message.at;
        t.notify();
        break;
      case "peerGone":
        t.dropPeer(message.index);
        break;
      case "reconnect":
        void t.connect({ only: message.index, awaitProducers: false }).catch(() => {});
        break;
      case "inputsClosed":
        t.closeInputsFrom(message.node, message.index);
        break;
    }
  };
  process.on("message", (message: ChildInit | ToExecutor) => {
    if (message.type === "init") resolveInit(message);
    else handle(message);
  });

  const init = await initialized;
  const executorOf = new Map(init.executorOf);
  const large = largePayloads(init.shm, init.nodes[0] ?? "node");
  const remote = init.remote ? { nodes: new Set(init.remote.nodes), links: await remoteLinks(init.remote, init.index) } : undefined;
  const t = new SocketTransport({
    channels: init.ir.channels,
    nodes: init.nodes,
    index: init.index,
    executorOf: (node) => executorOf.get(node) ?? -1,
    socketOf: (index) => executorSocket(init.socketDir, index),
    ...(large ? { large } : {}),
    ...(remote ? { remote } : {}),
  });
  transport = t;
  for (const m of early.splice(0)) handle(m);
  await t.listen();
  await post({ type: "listening" });

  // The supervisor closes the outputs of a node that may be restarted.
  const deferClose = (o: Outbound): Outbound =>
    init.deferClose
      ? { channel: o.channel, bySlot: o.bySlot === true, byReference: o.byReference === true, offer: (e) => o.offer(e), close: () => {} }
      : o;
  const periodic = new Set(
    init.externalTicks ? init.ir.nodes.filter((n) => n.clock.kind === "rate" || n.clock.kind === "hybrid").map((n) => n.id) : [],
  );
  await runExecutor(
    init,
    {
      inbound: (c: IrChannel) => t.inbound(c),
      outbound: (c: IrChannel) => deferClose(t.outbound(c)),
      waiter: t.waiter,
      stopRequested: () => t.stopRequested(),
      peakMemory: () => t.peakMemory(),
      memoryNow: () => t.memoryNow(),
      counters: () => t.counters(),
      holdWrites: (on) => t.holdWrites(on),
      flushWrites: () => t.flushWrites(),
      connect: async () => {
        await connectRequested;
        await t.connect({ awaitProducers: !init.restart, tolerateMissing: init.restart });
      },
      tickGate: (node) => (periodic.has(node.id) ? gate : undefined),
      relaunched: init.deferClose,
      // Without a large-payload store the sockets carry no lent memory by reference: nothing to lend.
      slots: large ? new Lender(large instanceof SlotPool ? large : undefined) : undefined,
    },
    post,
    started,
    probes,
  );
  await t.close();
  process.removeAllListeners("disconnect");
  process.exit(0);
}
