import { mkdirSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { dirname } from "node:path";
import type { Duplex } from "node:stream";
import { Worker } from "node:worker_threads";
import type { IrChannel } from "@flowc/ir";
import { setOwn } from "../own.js";
import { LONGEST_SLEEP_MS, type Waiter } from "../scheduler.js";
import type { ExecutorTransport } from "./executor.js";
import { readInPlace } from "./in-place.js";
import type { ChannelCounts } from "./protocol.js";
import { acceptFrames, type LargePayloads, SocketInbound, SocketLink, SocketOutbound, WriteBatch } from "./socket.js";

export interface SocketTransportOptions {
  /** Every channel of the flow; a channel's index in this list is its number on the wire. */
  readonly channels: readonly IrChannel[];
  /** The nodes this executor runs. */
  readonly nodes: readonly string[];
  /** The executor that runs each node of the flow. */
  readonly executorOf: (node: string) => number;
  /** The socket every executor listens on (deterministic, so peers can be found). */
  readonly socketOf: (executor: number) => string;
  /** Which executor this is, sent in the hello frame. */
  readonly index: number;
  /** Payloads at or above its threshold travel through it instead of the socket. */
  readonly large?: LargePayloads;
  /**
   * Executors on other machines, reached through the engine's own links instead of Unix
   * sockets: consumers of ours there are dialed with `remote.dial`, producers there connect
   * through `remote.listen`. Every payload to them travels in the frames themselves (shared
   * memory does not reach another machine).
   */
  readonly remote?: { readonly nodes: ReadonlySet<string>; readonly links: RemoteLinks };
}

/**
 * Connections between executors on different machines, provided by the engine (the dataflow
 * runtime's pipes over NATS). A connection is an ordered, reliable byte stream that carries
 * the same frames as a Unix socket.
 */
export interface RemoteLinks {
  /** A connection to the executor with this index on another machine. */
  dial(index: number): Promise<Duplex>;
  /** Takes connections from producers on other machines. */
  listen(accept: (connection: Duplex) => void): Promise<void>;
  /** Stops taking connections and lets the links go (after the connections closed). */
  close(): Promise<void>;
}

/** A producer elsewhere that is gone for good: its connection is closed once it was quiet this long. */
const REMOTE_PRODUCER_QUIET_MS = 1_000;

/**
 * The executor transport between OS processes: the executor listens on its own Unix socket;
 * it connects once to every executor that consumes one of its channels (channels to the same
 * consumer share the connection, so their order is kept). Wakes the executor loop when a
 * message or credit arrives.
 */
export class SocketTransport implements ExecutorTransport {
  readonly #options: SocketTransportOptions;
  readonly #index: Map<string, number>;
  readonly #local: ReadonlySet<string>;
  readonly #inbound = new Map<number, SocketInbound>();
  readonly #outbound: SocketOutbound[] = [];
  readonly #connections = new Set<Duplex>();
  /** Connections from producers on other machines (their end is not a process of ours to watch). */
  readonly #remoteConnections = new WeakSet<Duplex>();
  /** Connections to consumers on other machines, by executor index. */
  readonly #dialed = new Map<number, Duplex>();
  readonly #producers: ReadonlySet<number>;
  /** Open connections by the producer index their hello frame named. */
  readonly #fromProducer = new Map<number, Duplex>();
  #server: Server | undefined;
  #hellos = 0;
  #allInbound: () => void = () => {};
  readonly #inboundConnected: Promise<void>;
  #counter = 0;
  #wake: (() => void) | undefined;
  #lookAround: NodeJS.Timeout | undefined;
  #stop = false;
  readonly waiter: Waiter;
  readonly #writes = new WriteBatch();

  constructor(options: SocketTransportOptions) {
    this.#options = options;
    this.#index = new Map(options.channels.map((c, i) => [c.id, i]));
    this.#local = new Set(options.nodes);
    const local = this.#local;
    // One connection arrives from every socket that feeds this executor.
    this.#producers = new Set(
      options.channels.filter((c) => local.has(c.to.node) && !local.has(c.from.node)).map((c) => options.executorOf(c.from.node)),
    );
    this.#inboundConnected = new Promise<void>((resolve) => {
      this.#allInbound = resolve;
    });
    if (this.#producers.size === 0) this.#allInbound();
    // A sleep of the loop's longest (nothing scheduled: it only looks around now and then) is
    // ended by one interval timer, not a timer set and cleared per sleep — clearing it would
    // sit on the path of the message that woke the loop.
    const waitFor = (token: number, timeoutMs: number): Promise<void> | undefined =>
      token !== this.#counter
        ? undefined
        : new Promise<void>((resolve) => {
            const timer = timeoutMs < LONGEST_SLEEP_MS ? setTimeout(() => this.#wake?.(), timeoutMs) : undefined;
            if (!timer) this.#lookAround ??= setInterval(() => this.#wake?.(), LONGEST_SLEEP_MS).unref();
            this.#wake = () => {
              if (timer) clearTimeout(timer);
              this.#wake = undefined;
              resolve();
            };
          });
    this.waiter = { token: () => this.#counter, wait: waitFor, waitAsync: async (token, timeoutMs) => waitFor(token, timeoutMs) };
  }

  /** Wakes the executor loop: something changed (a message, room, a stop, a timer tick). */
  readonly notify = (): void => {
    this.#counter++;
    this.#wake?.();
  };

  /** While the executor loop runs, frames and credit wait for `flushWrites` (the loop going idle). */
  holdWrites(on: boolean): void {
    this.#writes.hold(on);
  }

  flushWrites(): void {
    this.#writes.flush();
  }

  requestStop(): void {
    this.#stop = true;
    this.notify();
  }

  stopRequested(): boolean {
    return this.#stop;
  }

  peakMemory(): number {
    return process.resourceUsage().maxRSS * 1024;
  }

  memoryNow(): number {
    return process.memoryUsage.rss();
  }

  /** What crossed each channel this executor is an end of, on the current connections. */
  counters(): Record<string, ChannelCounts> {
    const out: Record<string, ChannelCounts> = {};
    for (const o of this.#outbound) setOwn(out, o.channel.id, { sent: o.sent, credited: o.credited });
    for (const q of this.#inbound.values())
      setOwn(out, q.channel.id, { ...(Object.hasOwn(out, q.channel.id) ? out[q.channel.id] : {}), arrived: q.arrived, taken: q.taken });
    return out;
  }

  #indexOf(c: IrChannel): number {
    const i = this.#index.get(c.id);
    if (i === undefined) throw new Error(`unknown channel '${c.id}'`);
    return i;
  }

  inbound(c: IrChannel): SocketInbound {
    const q = new SocketInbound(c, this.#indexOf(c), this.notify, this.#options.large, this.#writes);
    this.#inbound.set(q.index, q);
    return q;
  }

  /** Where payloads of channels to `node` may go instead of the frames (nowhere when it is relayed to another machine). */
  #largeTo(node: string): LargePayloads | undefined {
    return this.#options.remote?.nodes.has(node) ? undefined : this.#options.large;
  }

  outbound(c: IrChannel): SocketOutbound {
    const o = new SocketOutbound(c, this.#indexOf(c), this.notify, this.#largeTo(c.to.node));
    this.#outbound.push(o);
    return o;
  }

  /** Starts listening (a stale socket file from a dead predecessor is replaced), and for producers elsewhere. */
  async listen(): Promise<string> {
    const path = this.#options.socketOf(this.#options.index);
    mkdirSync(dirname(path), { recursive: true });
    rmSync(path, { force: true });
    const server = createServer({ pauseOnConnect: true }, (accepted) => {
      // Read in place where possible (one reused buffer, no stream machinery per read).
      let push: (chunk: Uint8Array, transient: boolean) => void = () => {};
      const socket = readInPlace(accepted, (chunk) => push(chunk, true));
      if (socket) push = this.#accept(socket);
      else {
        const pushStream = this.#accept(accepted);
        accepted.on("data", (chunk: Buffer) => pushStream(chunk, false));
        accepted.resume();
      }
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    });
    await this.#options.remote?.links.listen((connection) => {
      this.#remoteConnections.add(connection);
      const push = this.#accept(connection);
      connection.on("data", (chunk: Buffer) => push(chunk, false));
    });
    return path;
  }

  /** A producer's connection: its frames feed our inbound channels (the caller pushes its chunks). */
  #accept(socket: Duplex): (chunk: Uint8Array, transient: boolean) => void {
    this.#connections.add(socket);
    socket.on("close", () => this.#connections.delete(socket));
    return acceptFrames(socket, this.#inbound, (producer) => {
      this.#fromProducer.set(producer, socket);
      socket.on("close", () => {
        if (this.#fromProducer.get(producer) === socket) this.#fromProducer.delete(producer);
      });
      if (++this.#hellos === this.#producers.size) this.#allInbound();
    });
  }

  /**
   * Connects to the consumers of this executor's channels (all of them, or only the one that
   * is executor `only`), then, unless `awaitProducers` is false, waits until every producer connected here.
   * With `tolerateMissing`, a consumer that does not listen is skipped (its channels drop
   * messages until it is connected).
   */
  async connect(options: { only?: number; awaitProducers?: boolean; tolerateMissing?: boolean } = {}): Promise<void> {
    const byExecutor = new Map<number, SocketOutbound[]>();
    for (const o of this.#outbound) {
      const executor = this.#options.executorOf(o.channel.to.node);
      if (options.only !== undefined && executor !== options.only) continue;
      byExecutor.set(executor, [...(byExecutor.get(executor) ?? []), o]);
    }
    await Promise.all(
      [...byExecutor].map(([executor, list]) => {
        const node = list[0]?.channel.to.node ?? "";
        const linked = this.#link(executor, node, list);
        // A consumer that is gone (ended, or restarting) is connected when it tells us.
        return options.tolerateMissing ? linked.catch(() => {}) : linked;
      }),
    );
    if (options.awaitProducers !== false) await this.#inboundConnected;
  }

  /** Opens the connection to executor `index`, which runs the consumer `node` (its Unix socket, or a remote link), and puts `list` on it. */
  async #link(index: number, node: string, list: readonly SocketOutbound[]): Promise<void> {
    const remote = this.#options.remote;
    const socket = remote?.nodes.has(node) ? await remote.links.dial(index) : await this.#dial(this.#options.socketOf(index));
    if (remote?.nodes.has(node)) {
      this.#dialed.set(index, socket);
      socket.on("close", () => {
        if (this.#dialed.get(index) === socket) this.#dialed.delete(index);
      });
    }
    socket.on("error", () => {});
    this.#connections.add(socket);
    socket.on("close", () => this.#connections.delete(socket));
    const link = new SocketLink(socket, this.#options.index, this.#largeTo(node), this.#writes);
    for (const o of list) link.add(o);
  }

  #dial(path: string): Promise<Duplex> {
    return new Promise<Duplex>((resolve, reject) => {
      const socket = createConnection(path, () => {
        socket.off("error", reject);
        resolve(socket);
      });
      socket.setNoDelay?.(true);
      socket.once("error", reject);
    });
  }

  /**
   * Executor `index`, a consumer of ours, is gone: a connection to it on another machine is
   * dropped (a Unix socket closed with its process already).
   */
  dropPeer(index: number): void {
    this.#dialed.get(index)?.destroy();
  }

  /**
   * Ends the inputs fed by `node`, executor `producer` (it ended without closing them and will
   * not come back) — once its connection has delivered everything it carried.
   */
  closeInputsFrom(node: string, producer: number): void {
    const close = () => {
      for (const q of this.#inbound.values()) if (q.channel.from.node === node) q.close();
      this.notify();
    };
    const socket = this.#fromProducer.get(producer);
    if (!socket || socket.destroyed) {
      close();
      return;
    }
    socket.once("close", close);
    // A producer on another machine that died sends no end: its connection is closed once
    // nothing arrived on it for a while (what it sent before it died has arrived by then).
    if (this.#remoteConnections.has(socket)) {
      let quiet = setTimeout(() => socket.destroy(), REMOTE_PRODUCER_QUIET_MS);
      socket.on("data", () => {
        clearTimeout(quiet);
        quiet = setTimeout(() => socket.destroy(), REMOTE_PRODUCER_QUIET_MS);
      });
    }
  }

  /**
   * Lets every frame written so far leave, then closes everything. Each connection is
   * half-closed once its writes are flushed — however long a slow consumer takes to read them:
   * an executor that exits earlier loses its last frames and its end of stream (the stop ladder
   * bounds a consumer that never reads) — and kept reading until the peer closes its side,
   * for at most `timeoutMs` after the flush: closing a Unix socket that still has unread bytes
   * (credit frames) makes Linux reset the connection, and the peer would lose what it had not
   * read yet.
   */
  async close(timeoutMs = 2000): Promise<void> {
    await Promise.all(
      [...this.#connections].map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.destroyed) return resolve();
            s.once("close", () => resolve());
            s.resume();
            const flushed = () => setTimeout(() => s.destroy(), timeoutMs).unref();
            if (s.writableFinished) flushed();
            else {
              s.once("finish", flushed);
              if (!s.writableEnded) s.end();
            }
          }),
      ),
    );
    this.#server?.close();
    clearInterval(this.#lookAround);
    await this.#options.remote?.links.close();
  }
}

/**
 * Orphan protection for a child executor: exit when the parent's IPC channel closes, and
 * SIGKILL ourselves from a watchdog thread when the parent process is gone — that thread
 * notices even while the main thread is stuck in a node's step.
 */
export function guardAgainstOrphaning(intervalMs = 200): void {
  const parentPid = process.ppid;
  process.on("disconnect", () => process.exit(1));
  const watchdog = new Worker(
    `setInterval(() => { if (process.ppid !== ${parentPid}) process.kill(${process.pid}, "SIGKILL"); }, ${intervalMs});`,
    { eval: true },
  );
  watchdog.unref();
}
