import { Duplex } from "node:stream";
import { type NatsConnection, NoRespondersError, nuid, RequestError, type Subscription } from "@nats-io/transport-node";

/**
 * A reliable, ordered byte stream between two processes over core NATS.
 *
 * Core NATS delivers at most once, has no backpressure and drops whatever is in flight when a
 * server goes away, so the pipe does what TCP does: every byte has an offset, the receiver
 * acknowledges what it got in order (so the sender may forget it) and what its reader consumed
 * (so the sender may send more: the window), and the sender retransmits whatever a reconnect, a
 * gap or silence may have lost. Each message is one type byte followed by little-endian fields;
 * offsets are float64, exact up to 2^53 bytes.
 */

export interface PipeOptions {
  /** Most bytes sent and not yet consumed by the peer's reader (default 8 MiB). */
  windowBytes?: number;
  /** Largest DATA payload (default: the server's max_payload less 64 bytes of header room). */
  chunkBytes?: number;
  /** Retransmit unacknowledged data after this long without progress (default 1000 ms). */
  retransmitMs?: number;
  /** Keepalive interval when nothing else was sent (default 1000 ms). */
  heartbeatMs?: number;
  /** Fail the pipe when nothing was heard from the peer for this long (default 10 s). */
  deadAfterMs?: number;
  /** How long dialing waits for the listener's answer (default 5 s). */
  requestTimeoutMs?: number;
}

const DATA = 1; // offset f64, bytes
const ACK = 2; // received-in-order f64, consumed f64, FIN-received u8
const FIN = 3; // final offset f64
const RST = 4;
const PING = 5; // same fields as ACK
const NACK = 6; // same fields as ACK; asks for retransmission from "received"

/** One status loop per connection, fanned out to its pipes (each status() call is a new iterator). */
const statusListeners = new WeakMap<NatsConnection, Set<(type: string) => void>>();

function watchStatus(nc: NatsConnection, listener: (type: string) => void): () => void {
  let listeners = statusListeners.get(nc);
  if (!listeners) {
    const set = new Set<(type: string) => void>();
    statusListeners.set(nc, set);
    listeners = set;
    void (async () => {
      for await (const status of nc.status()) for (const l of set) l(status.type);
    })().catch(() => {});
  }
  listeners.add(listener);
  const set = listeners;
  return () => set.delete(listener);
}

interface Sent {
  readonly end: number;
  readonly bytes: number;
  readonly msg: Uint8Array;
}

export class NatsPipe extends Duplex {
  readonly #nc: NatsConnection;
  readonly #out: string;
  readonly #sub: Subscription;
  readonly #window: number;
  readonly #chunk: number;
  readonly #retransmitMs: number;
  readonly #heartbeatMs: number;
  readonly #deadAfterMs: number;
  readonly #timer: NodeJS.Timeout;
  readonly #unwatch: () => void;
  #connected = true;
  #lastHeard = Date.now();
  #lastSent = Date.now();
  #lastProgress = Date.now();
  #rto: number;
  #closedCleanly = false;
  #resetByPeer = false;

  // Sending: bytes below #peerReceived are at the peer; #inflight holds the sent messages above
  // it for retransmission; #pending holds the current write's bytes not yet sent.
  #sent = 0;
  #peerReceived = 0;
  #peerConsumed = 0;
  #inflight: Sent[] = [];
  #pending: Buffer[] = [];
  #pendingAt = 0;
  #writeCb: ((err?: Error | null) => void) | undefined;
  #pumpQueued = false;
  #finalCb: ((err?: Error | null) => void) | undefined;
  #finOffset: number | undefined;
  #finAcked = false;
  #retransmitted = 0;

  // Receiving: bytes in order not yet handed to the reader wait in #queue (bounded by the peer's window).
  #received = 0;
  #delivered = 0;
  #queue: Buffer[] = [];
  #queueAt = 0;
  #wantRead = true;
  #readEpoch = 0;
  #delivering = false;
  #peerFin = false;
  #ended = false;
  #ackedReceived = 0;
  #ackedConsumed = 0;
  #ackedFin = false;
  #ackImmediate: NodeJS.Immediate | undefined;
  #nackedAt = -1;
  #nackedTime = 0;

  /** Use `dialPipe`/`listenPipes`; `incoming` is this side's subject, `outgoing` the peer's. */
  constructor(nc: NatsConnection, incoming: string, outgoing: string, options: PipeOptions = {}) {
    // Large buffers on both sides: a connection carries frames of megabytes, and pausing every 16 KB would cost an event-loop turn each time.
    super({ readableHighWaterMark: 4 * 1024 * 1024, writableHighWaterMark: 4 * 1024 * 1024 });
    this.#nc = nc;
    this.#out = outgoing;
    this.#window = options.windowBytes ?? 8 * 1024 * 1024;
    this.#chunk = options.chunkBytes ?? (nc.info?.max_payload ?? 1024 * 1024) - 64;
    this.#retransmitMs = this.#rto = options.retransmitMs ?? 1000;
    this.#heartbeatMs = options.heartbeatMs ?? 1000;
    this.#deadAfterMs = options.deadAfterMs ?? 10_000;
    this.#sub = nc.subscribe(incoming, {
      callback: (err, msg) => {
        if (err) this.destroy(err);
        else this.#onMessage(msg.data);
      },
    });
    this.#unwatch = watchStatus(nc, (type) => this.#onStatus(type));
    const tickMs = Math.max(10, Math.min(this.#heartbeatMs, this.#retransmitMs, this.#deadAfterMs) / 4);
    // The connection keeps the process alive while there is traffic; the pipe's clock must not.
    this.#timer = setInterval(() => this.#tick(), tickMs).unref();
  }

  /** Bytes of new data published (retransmissions excluded). */
  get bytesSent(): number {
    return this.#sent;
  }
  /** Bytes the peer's reader consumed: the window's trailing edge. */
  get bytesAcked(): number {
    return this.#peerConsumed;
  }
  /** Bytes received in order. */
  get bytesReceived(): number {
    return this.#received;
  }
  get retransmittedBytes(): number {
    return this.#retransmitted;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#pending.push(chunk);
    this.#writeCb = callback;
    this.#schedulePump();
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (err?: Error | null) => void): void {
    for (const { chunk } of chunks) this.#pending.push(chunk);
    this.#writeCb = callback;
    this.#schedulePump();
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.#finalCb = callback;
    this.#pump();
  }

  override _read(): void {
    this.#wantRead = true;
    this.#readEpoch++;
    this.#deliver();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    clearInterval(this.#timer);
    if (this.#ackImmediate) clearImmediate(this.#ackImmediate);
    this.#unwatch();
    this.#closedCleanly = !err && this.#finAcked && this.#peerFin;
    const failure = err ?? new Error("NATS pipe destroyed");
    if (this.#closedCleanly) {
      // Our last ACK of the peer's FIN may be lost; keep answering its retransmissions until it would give up anyway.
      this.#sendAck(ACK);
      setTimeout(() => this.#unsubscribe(), this.#deadAfterMs).unref();
    } else {
      if (!this.#resetByPeer) this.#publish(Uint8Array.of(RST));
      this.#unsubscribe();
    }
    const writeCb = this.#writeCb;
    const finalCb = this.#finalCb;
    this.#writeCb = this.#finalCb = undefined;
    this.#pending = [];
    this.#inflight = [];
    this.#queue = [];
    writeCb?.(failure);
    finalCb?.(failure);
    callback(err);
  }

  #unsubscribe(): void {
    try {
      this.#sub.unsubscribe();
    } catch {
      // The connection is already closed, which took the subscription with it.
    }
  }

  #publish(msg: Uint8Array): void {
    try {
      this.#nc.publish(this.#out, msg);
      this.#lastSent = Date.now();
    } catch (err) {
      this.destroy(this.#nc.isClosed() ? new Error("NATS pipe: the connection was closed", { cause: err }) : (err as Error));
    }
  }

  #onStatus(type: string): void {
    if (type === "disconnect") this.#connected = false;
    if (type !== "reconnect") return;
    this.#connected = true;
    // Whatever either side published around the outage may be gone: resend ours, report our state.
    this.#retransmit(this.#peerReceived);
    this.#sendAck(ACK);
  }

  #tick(): void {
    const now = Date.now();
    if (this.#nc.isClosed()) return void this.destroy(new Error("NATS pipe: the connection was closed"));
    const silent = now - this.#lastHeard;
    if (silent > this.#deadAfterMs)
      return void this.destroy(new Error(`NATS pipe: the peer went silent for ${(silent / 1000).toFixed(1)} s`));
    if (!this.#connected) return; // publishing now would only pile up in the client's reconnect buffer
    const unacked = this.#sent > this.#peerReceived || (this.#finOffset !== undefined && !this.#finAcked);
    if (unacked && now - this.#lastProgress >= this.#rto) {
      this.#retransmit(this.#peerReceived);
      // Backing off spares a peer that is merely too busy to acknowledge from a resend of the whole window each period.
      this.#rto = Math.min(this.#rto * 2, 8 * this.#retransmitMs);
    }
    if (now - this.#lastSent >= this.#heartbeatMs) this.#sendAck(PING);
  }

  // Sending

  #schedulePump(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    // Deferring to the check phase lets every write of this event-loop turn share messages (a
    // frame's header and its payload, the frames of several channels, a burst of small ones):
    // each message has its own cost at both clients and the server. The check phase follows
    // the poll phase of the same turn, so a lone small write waits for nothing.
    setImmediate(() => {
      this.#pumpQueued = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.destroyed) return;
    for (;;) {
      const room = Math.min(this.#chunk, this.#peerConsumed + this.#window - this.#sent);
      if (room <= 0 || this.#pendingAt >= this.#pending.length) break;
      const parts: Buffer[] = [];
      let size = 0;
      for (let head = this.#pending[this.#pendingAt]; head && size < room; head = this.#pending[this.#pendingAt]) {
        const take = Math.min(room - size, head.length);
        parts.push(head.subarray(0, take));
        size += take;
        if (take === head.length) this.#pendingAt++;
        else this.#pending[this.#pendingAt] = head.subarray(take);
      }
      const msg = Buffer.allocUnsafe(9 + size);
      msg[0] = DATA;
      msg.writeDoubleLE(this.#sent, 1);
      let at = 9;
      for (const part of parts) at += part.copy(msg, at);
      if (this.#sent === this.#peerReceived) this.#lastProgress = Date.now();
      this.#sent += size;
      this.#inflight.push({ end: this.#sent, bytes: size, msg });
      this.#publish(msg);
    }
    if (this.#pendingAt < this.#pending.length || this.destroyed) return;
    this.#pending = [];
    this.#pendingAt = 0;
    const writeCb = this.#writeCb;
    this.#writeCb = undefined;
    if (this.#finalCb && this.#finOffset === undefined) {
      this.#finOffset = this.#sent;
      if (this.#sent === this.#peerReceived) this.#lastProgress = Date.now();
      this.#sendFin();
    }
    writeCb?.();
  }

  #sendFin(): void {
    const msg = Buffer.allocUnsafe(9);
    msg[0] = FIN;
    msg.writeDoubleLE(this.#finOffset ?? 0, 1);
    this.#publish(msg);
  }

  #retransmit(from: number): void {
    for (const sent of this.#inflight) {
      if (sent.end <= from) continue;
      this.#retransmitted += sent.bytes;
      this.#publish(sent.msg);
    }
    if (this.#finOffset !== undefined && !this.#finAcked) this.#sendFin();
    this.#lastProgress = Date.now();
  }

  #onAck(received: number, consumed: number, finReceived: boolean, nack: boolean): void {
    received = Math.min(received, this.#sent);
    if (received > this.#peerReceived) {
      this.#peerReceived = received;
      this.#lastProgress = Date.now();
      this.#rto = this.#retransmitMs;
      while ((this.#inflight[0]?.end ?? Number.POSITIVE_INFINITY) <= received) this.#inflight.shift();
    }
    this.#peerConsumed = Math.max(this.#peerConsumed, Math.min(consumed, received));
    if (nack) this.#retransmit(received);
    if (finReceived && !this.#finAcked && this.#finOffset !== undefined && received >= this.#finOffset) {
      this.#finAcked = true;
      const finalCb = this.#finalCb;
      this.#finalCb = undefined;
      finalCb?.();
    }
    this.#pump();
  }

  // Receiving

  #onMessage(data: Uint8Array): void {
    const msg = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const type = msg[0];
    if (this.destroyed) {
      if (this.#closedCleanly && (type === FIN || type === DATA)) this.#sendAck(ACK);
      return;
    }
    this.#lastHeard = Date.now();
    if (type === DATA && msg.length >= 9) this.#onData(msg.readDoubleLE(1), msg.subarray(9));
    else if ((type === ACK || type === PING || type === NACK) && msg.length >= 18)
      this.#onAck(msg.readDoubleLE(1), msg.readDoubleLE(9), msg[17] === 1, type === NACK);
    else if (type === FIN && msg.length >= 9) this.#onFin(msg.readDoubleLE(1));
    else if (type === RST) {
      this.#resetByPeer = true;
      this.destroy(new Error("NATS pipe reset by peer"));
    }
  }

  #onData(offset: number, bytes: Buffer): void {
    if (offset > this.#received) {
      this.#nack(); // a gap: something before this was lost
      return;
    }
    const end = offset + bytes.length;
    if (end > this.#received && !this.#peerFin) {
      this.#queue.push(bytes.subarray(this.#received - offset));
      this.#received = end;
      this.#deliver();
    } else this.#scheduleAck(true); // a duplicate: the sender may have missed our ACK
  }

  #onFin(offset: number): void {
    if (offset > this.#received) this.#nack(); // bytes before the end are missing
    if (offset !== this.#received) return;
    this.#peerFin = true;
    this.#deliver();
    this.#scheduleAck(true);
  }

  #deliver(): void {
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let chunk = this.#queue[this.#queueAt]; chunk && this.#wantRead; chunk = this.#queue[this.#queueAt]) {
        this.#queueAt++;
        this.#delivered += chunk.length;
        const epoch = this.#readEpoch;
        // A _read() arriving during push() means the reader wants more even if push() says it is full.
        if (!this.push(chunk) && epoch === this.#readEpoch) this.#wantRead = false;
      }
      if (this.#queueAt === this.#queue.length) {
        this.#queue = [];
        this.#queueAt = 0;
        if (this.#peerFin && !this.#ended) {
          this.#ended = true;
          this.push(null);
        }
      }
    } finally {
      this.#delivering = false;
    }
    this.#scheduleAck(false);
  }

  /** Acks at once when a quarter window was consumed, else once per event-loop turn, so a burst costs one ACK. */
  #scheduleAck(force: boolean): void {
    if (this.destroyed) return;
    if (this.#delivered - this.#ackedConsumed >= this.#window / 4) {
      this.#sendAck(ACK);
      return;
    }
    const changed = this.#received !== this.#ackedReceived || this.#delivered !== this.#ackedConsumed || this.#peerFin !== this.#ackedFin;
    if ((force || changed) && !this.#ackImmediate) {
      this.#ackImmediate = setImmediate(() => {
        this.#ackImmediate = undefined;
        this.#sendAck(ACK);
      });
    }
  }

  #nack(): void {
    const now = Date.now();
    // Every message after a gap is out of order too; one request per gap and retransmit period is enough.
    if (this.#nackedAt === this.#received && now - this.#nackedTime < this.#retransmitMs) return;
    this.#nackedAt = this.#received;
    this.#nackedTime = now;
    this.#sendAck(NACK);
  }

  #sendAck(type: number): void {
    const msg = Buffer.allocUnsafe(18);
    msg[0] = type;
    msg.writeDoubleLE(this.#received, 1);
    msg.writeDoubleLE(this.#delivered, 9);
    msg[17] = this.#peerFin ? 1 : 0;
    this.#ackedReceived = this.#received;
    this.#ackedConsumed = this.#delivered;
    this.#ackedFin = this.#peerFin;
    this.#publish(msg);
  }
}

interface Hello {
  sid: string;
  meta: unknown;
}

/** Accepts pipes dialed to `address`; `accept` gets each pipe and the dialer's `meta`. */
export function listenPipes(
  nc: NatsConnection,
  address: string,
  accept: (pipe: NatsPipe, meta: unknown) => void,
  options: PipeOptions = {},
): { close(): void } {
  const sub = nc.subscribe(address, {
    callback: (err, msg) => {
      if (err) return;
      let hello: Hello;
      try {
        hello = msg.json<Hello>();
        if (typeof hello.sid !== "string" || !/^[A-Za-z0-9_-]+$/.test(hello.sid)) throw new Error("bad stream id");
      } catch (cause) {
        msg.respond(JSON.stringify({ ok: false, error: String(cause) }));
        return;
      }
      const pipe = new NatsPipe(nc, `${address}.${hello.sid}.l`, `${address}.${hello.sid}.d`, options);
      // The dialer may publish as soon as it has our answer, so the subscription must be in place first.
      nc.flush().then(
        () => {
          msg.respond(JSON.stringify({ ok: true }));
          accept(pipe, hello.meta);
        },
        () => pipe.destroy(),
      );
    },
  });
  return { close: () => sub.unsubscribe() };
}

/** Opens a pipe to whoever listens on `address`, handing it `meta` (JSON). */
export async function dialPipe(nc: NatsConnection, address: string, meta: unknown, options: PipeOptions = {}): Promise<NatsPipe> {
  const sid = nuid.next();
  const timeout = options.requestTimeoutMs ?? 5000;
  // Subscribed before the request goes out on the same connection, so the listener's first bytes find us.
  const pipe = new NatsPipe(nc, `${address}.${sid}.d`, `${address}.${sid}.l`, options);
  let answer: { ok?: boolean; error?: string };
  try {
    const reply = await nc.request(address, JSON.stringify({ sid, meta } satisfies Hello), { timeout });
    answer = reply.json();
  } catch (err) {
    pipe.destroy();
    if (err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders()))
      throw new Error(`no pipe listener on "${address}": nobody answered the dial`, { cause: err });
    throw new Error(`the pipe listener on "${address}" did not answer within ${timeout} ms`, { cause: err });
  }
  if (answer.ok === true) return pipe;
  pipe.destroy();
  throw new Error(`the pipe listener on "${address}" refused the dial: ${answer.error ?? "no reason given"}`);
}
