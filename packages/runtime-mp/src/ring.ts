import { type MessagePort, receiveMessageOnPort } from "node:worker_threads";
import type { IrChannel } from "@flowc/ir";
import { copyRange, type Envelope, type Inbound, type OfferResult, type Outbound, onFullAction, Payload } from "@flowc/runtime";

/**
 * A channel between two worker threads: a byte ring in a SharedArrayBuffer holding at most
 * `capacity` messages, guarded by a spin lock, with the channel's onFull policy applied by the
 * producer under the lock — so the ring *is* the channel's queue and every policy behaves
 * exactly as on the other engines. Messages are MessagePack bytes; a payload too large for the
 * ring goes over the channel's MessagePort (binary buffers are transferred, not copied) and
 * the ring holds a marker in its place.
 *
 * Both ends ring the other side's doorbell (see `Doorbells`): the producer after writing, the
 * consumer after taking when the producer waits for room.
 */

const LOCK = 0;
const COUNT = 1;
const HEAD = 2;
const TAIL = 3;
const CLOSED = 4;
const DROPPED = 5;
const PRODUCER_WAITING = 6;
const SIDE_SEQ = 7;
const HEADER_INTS = 8;
const HEADER_BYTES = HEADER_INTS * 4;

const RECORD_HEADER = 20; // u32 length, u32 seq, f64 t, u32 side-message id (0: payload inline)
const WRAP = 0xffffffff;
const KIND_BYTES = 0;
const KIND_PORT = 1;

/**
 * Doorbells in one SharedArrayBuffer: per executor [counter, sleeping], then one stop flag per
 * executor. Stop flags are per executor because a run can stop some executors and not others:
 * one whose only nodes failed in isolation keeps discarding what its producers still send.
 */
export class Doorbells {
  readonly ints: Int32Array;
  /** How long `wait` polls before sleeping (ms). */
  spinMs = 0;
  readonly executors: number;
  constructor(readonly sab: SharedArrayBuffer) {
    this.ints = new Int32Array(sab);
    this.executors = this.ints.length / 3;
  }
  static create(executors: number): Doorbells {
    return new Doorbells(new SharedArrayBuffer(executors * 3 * 4));
  }
  ring(executor: number): void {
    const i = executor * 2;
    Atomics.add(this.ints, i, 1);
    if (Atomics.load(this.ints, i + 1) !== 0) Atomics.notify(this.ints, i);
  }
  token(executor: number): number {
    return Atomics.load(this.ints, executor * 2);
  }
  /** Sleeps until the doorbell moves past `token` or `timeoutMs` passes. */
  wait(executor: number, token: number, timeoutMs: number): void {
    const i = executor * 2;
    // Poll first (`spinUs`): a message that comes meanwhile is picked up without a futex sleep
    // and wake-up, which costs tens of µs on a small VM.
    const spinUntil = performance.now() + Math.min(this.spinMs, timeoutMs);
    while (performance.now() < spinUntil) if (Atomics.load(this.ints, i) !== token) return;
    Atomics.store(this.ints, i + 1, 1);
    Atomics.wait(this.ints, i, token, timeoutMs);
    Atomics.store(this.ints, i + 1, 0);
  }
  /** `wait` without blocking the thread's event loop. */
  async waitAsync(executor: number, token: number, timeoutMs: number): Promise<void> {
    const i = executor * 2;
    Atomics.store(this.ints, i + 1, 1);
    // Atomics.waitAsync is in Node 20 (V8), though not in the ES2023 lib typings.
    const waitAsync = (
      Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: unknown } }
    ).waitAsync;
    const r = waitAsync(this.ints, i, token, timeoutMs);
    if (r.async) await r.value;
    Atomics.store(this.ints, i + 1, 0);
  }
  /** Asks `executor` to stop and wakes it if it sleeps on its doorbell. */
  requestStop(executor: number): void {
    Atomics.store(this.ints, this.executors * 2 + executor, 1);
    this.ring(executor);
  }
  stopRequested(executor: number): boolean {
    return Atomics.load(this.ints, this.executors * 2 + executor) !== 0;
  }
}

export interface RingSpec {
  readonly sab: SharedArrayBuffer;
  readonly producer: number;
  readonly consumer: number;
}

/** Ring bytes for a channel: room for its capacity of ~1 KB messages, 64 KB to 16 MB. */
export function ringBytes(capacity: number): number {
  return Math.min(16 << 20, Math.max(64 << 10, capacity * 1024));
}

export function createRing(channel: IrChannel, producer: number, consumer: number): RingSpec {
  return { sab: new SharedArrayBuffer(HEADER_BYTES + ringBytes(channel.capacity)), producer, consumer };
}

/** Payloads at least this large that are whole, unshared binary buffers are moved (transferred). */
export const TRANSFER_THRESHOLD = 64 * 1024;

class Ring {
  readonly header: Int32Array;
  readonly data: Uint8Array;
  readonly view: DataView;
  readonly size: number;
  constructor(
    readonly channel: IrChannel,
    readonly spec: RingSpec,
    readonly bells: Doorbells,
  ) {
    this.header = new Int32Array(spec.sab, 0, HEADER_INTS);
    this.data = new Uint8Array(spec.sab, HEADER_BYTES);
    this.view = new DataView(spec.sab, HEADER_BYTES);
    this.size = this.data.byteLength;
    // With every record at most size/(capacity+1) bytes, `capacity` records always fit, wasted
    // space at the wrap included: the ring's limit is its message count, exactly like every
    // other queue. Larger payloads travel over the side port.
    this.maxRecord = Math.floor(this.size / (channel.capacity + 1)) - 1;
  }
  readonly maxRecord: number;
  /** A futex-style lock: 0 free, 1 held, 2 held with waiters (only then does unlock notify). */
  lock(): void {
    const h = this.header;
    if (Atomics.compareExchange(h, LOCK, 0, 1) === 0) return;
    for (let spins = 0; spins < 200; spins++) if (Atomics.compareExchange(h, LOCK, 0, 1) === 0) return;
    while (Atomics.exchange(h, LOCK, 2) !== 0) Atomics.wait(h, LOCK, 2, 1);
  }
  unlock(): void {
    if (Atomics.exchange(this.header, LOCK, 0) === 2) Atomics.notify(this.header, LOCK, 1);
  }
  /** Length of the record at `tail` (following a wrap marker); call under the lock with count > 0. */
  recordAtTail(): { at: number; length: number } {
    let tail = this.header[TAIL] as number;
    if (this.size - tail < RECORD_HEADER || this.view.getUint32(tail, true) === WRAP) tail = 0;
    return { at: tail, length: this.view.getUint32(tail, true) };
  }
  /** Removes the record at the tail; call under the lock with count > 0. */
  dropTail(): void {
    const { at, length } = this.recordAtTail();
    const h = this.header;
    h[TAIL] = at + length;
    h[COUNT] = (h[COUNT] as number) - 1;
    if (h[COUNT] === 0) {
      h[HEAD] = 0;
      h[TAIL] = 0;
    }
  }
  /** Where a record of `n` bytes would go, or -1 without room; call under the lock. */
  placeFor(n: number): number {
    const h = this.header;
    if (h[COUNT] === 0) {
      h[HEAD] = 0;
      h[TAIL] = 0;
      return n <= this.size ? 0 : -1;
    }
    const head = h[HEAD] as number;
    const tail = h[TAIL] as number;
    if (head >= tail) {
      if (this.size - head >= n) return head;
      if (tail > n) {
        if (this.size - head >= 4) this.view.setUint32(head, WRAP, true);
        return 0;
      }
      return -1;
    }
    return tail - head > n ? head : -1;
  }
}

/** What both ends of a ring hold: the shared ring and the channel's side port for large payloads. */
abstract class RingEnd {
  protected readonly ring: Ring;
  protected readonly port: MessagePort | undefined;
  constructor(
    readonly channel: IrChannel,
    spec: RingSpec,
    bells: Doorbells,
    port: MessagePort | undefined,
  ) {
    this.ring = new Ring(channel, spec, bells);
    this.port = port;
  }
}

/** The producer's end of a ring. */
export class RingOutbound extends RingEnd implements Outbound {
  readonly #action = onFullAction(this.channel.onFull);

  offer(envelope: Envelope): OfferResult {
    const ring = this.ring;
    const payload = envelope.payload;
    let bytes: Uint8Array | undefined;
    let kind = KIND_BYTES;
    const value = payload.value;
    const big = !payload.owned && isMovable(value) ? value : undefined;
    if (big === undefined) {
      bytes = payload.encoded();
      if (RECORD_HEADER + bytes.byteLength > ring.maxRecord) kind = KIND_PORT;
    } else kind = KIND_PORT;
    const length = RECORD_HEADER + (kind === KIND_BYTES ? (bytes as Uint8Array).byteLength : 0);
    const h = ring.header;
    ring.lock();
    let place: number;
    try {
      for (;;) {
        if ((h[COUNT] as number) < this.channel.capacity) {
          place = ring.placeFor(length);
          if (place >= 0) break;
        }
        if (this.#action === "refuse") {
          Atomics.store(h, PRODUCER_WAITING, 1);
          return "full";
        }
        if (this.#action === "discardNew" || h[COUNT] === 0) {
          Atomics.add(h, DROPPED, 1);
          return "accepted";
        }
        ring.dropTail();
        Atomics.add(h, DROPPED, 1);
      }
      if (kind === KIND_PORT) {
        const id = (h[SIDE_SEQ] as number) + 1;
        h[SIDE_SEQ] = id;
        this.#sendSide(id, big, bytes, payload);
        this.#writeRecord(place, length, envelope, id, undefined);
      } else this.#writeRecord(place, length, envelope, 0, bytes);
    } finally {
      ring.unlock();
    }
    ring.bells.ring(ring.spec.consumer);
    return "accepted";
  }

  #sendSide(id: number, big: ArrayBufferView | ArrayBuffer | undefined, bytes: Uint8Array | undefined, payload: Payload): void {
    const port = this.port;
    if (!port) throw new Error(`channel '${this.channel.id}' has no side port for large payloads`);
    if (big !== undefined) {
      // Moved when this channel is the payload's only carrier and the buffer is whole and unshared; copied otherwise.
      const buffer = big instanceof ArrayBuffer ? big : big.buffer;
      const move = payload.carriers === 1 && buffer instanceof ArrayBuffer;
      port.postMessage({ id, value: big }, move ? [buffer] : []);
    } else port.postMessage({ id, bytes });
  }

  /** Writes a record; `side` is 0 for inline bytes, else the id of the side message carrying the payload. */
  #writeRecord(place: number, length: number, envelope: Envelope, side: number, bytes: Uint8Array | undefined): void {
    const ring = this.ring;
    const v = ring.view;
    v.setUint32(place, length, true);
    v.setUint32(place + 4, envelope.seq, true);
    v.setFloat64(place + 8, envelope.t, true);
    v.setUint32(place + 16, side, true);
    if (bytes) ring.data.set(bytes, place + RECORD_HEADER);
    const h = ring.header;
    h[HEAD] = place + length;
    h[COUNT] = (h[COUNT] as number) + 1;
  }

  close(): void {
    const ring = this.ring;
    ring.lock();
    ring.header[CLOSED] = 1;
    ring.unlock();
    ring.bells.ring(ring.spec.consumer);
  }
}

/** The consumer's end of a ring. */
export class RingInbound extends RingEnd implements Inbound {
  take(): Envelope | undefined {
    const ring = this.ring;
    const h = ring.header;
    if (Atomics.load(h, COUNT) === 0) return undefined;
    // The one-message path of every sparse hop: no arrays, one lock.
    let seq = 0;
    let t = 0;
    let side = 0;
    let bytes: Uint8Array | undefined;
    let wakeProducer = false;
    ring.lock();
    try {
      if ((h[COUNT] as number) === 0) return undefined;
      const { at, length } = ring.recordAtTail();
      const v = ring.view;
      seq = v.getUint32(at + 4, true);
      t = v.getFloat64(at + 8, true);
      side = v.getUint32(at + 16, true);
      if (side === 0) bytes = copyRange(ring.data, at + RECORD_HEADER, at + length);
      ring.dropTail();
      wakeProducer = this.#producerWaiting();
    } finally {
      ring.unlock();
    }
    if (wakeProducer) ring.bells.ring(ring.spec.producer);
    return { seq, t, payload: bytes !== undefined ? Payload.ofBytes(bytes) : this.#receiveSide(side) };
  }

  /** Takes every waiting message under one lock (a drain-all step), oldest first. */
  drainAll(into: Envelope[]): void {
    this.#takeUpTo(Number.POSITIVE_INFINITY, into);
  }

  /** Whether the producer waits for room (then clears the flag: the caller rings it); under the lock. */
  #producerWaiting(): boolean {
    const h = this.ring.header;
    if (h[PRODUCER_WAITING] === 0) return false;
    h[PRODUCER_WAITING] = 0;
    return true;
  }

  /** Moves up to `max` records out of the ring under one lock, then wakes a producer waiting for room. */
  #takeUpTo(max: number, into: Envelope[]): void {
    const ring = this.ring;
    const h = ring.header;
    if (Atomics.load(h, COUNT) === 0) return;
    const raw: { seq: number; t: number; side: number; bytes: Uint8Array | undefined }[] = [];
    let wakeProducer = false;
    ring.lock();
    try {
      const v = ring.view;
      while ((h[COUNT] as number) > 0 && raw.length < max) {
        const { at, length } = ring.recordAtTail();
        const side = v.getUint32(at + 16, true);
        raw.push({
          seq: v.getUint32(at + 4, true),
          t: v.getFloat64(at + 8, true),
          side,
          bytes: side === 0 ? copyRange(ring.data, at + RECORD_HEADER, at + length) : undefined,
        });
        ring.dropTail();
      }
      wakeProducer = this.#producerWaiting();
    } finally {
      ring.unlock();
    }
    if (wakeProducer) ring.bells.ring(ring.spec.producer);
    for (const r of raw)
      into.push({ seq: r.seq, t: r.t, payload: r.bytes !== undefined ? Payload.ofBytes(r.bytes) : this.#receiveSide(r.side) });
  }

  /**
   * The side message with id `id`. Side messages are posted before their record is written, in
   * id order; messages of records evicted by dropOldest have smaller ids and are skipped.
   */
  #receiveSide(id: number): Payload {
    const port = this.port;
    if (!port) throw new Error(`channel '${this.channel.id}' has no side port`);
    for (;;) {
      const got = receiveMessageOnPort(port) as { message: { id: number; value?: unknown; bytes?: Uint8Array } } | undefined;
      if (!got || got.message.id < id) continue;
      const m = got.message;
      return m.bytes !== undefined ? Payload.ofBytes(m.bytes) : Payload.owned(m.value);
    }
  }

  size(): number {
    return Atomics.load(this.ring.header, COUNT);
  }

  headTime(): number | undefined {
    const ring = this.ring;
    if (Atomics.load(ring.header, COUNT) === 0) return undefined;
    ring.lock();
    try {
      if (ring.header[COUNT] === 0) return undefined;
      return ring.view.getFloat64(ring.recordAtTail().at + 8, true);
    } finally {
      ring.unlock();
    }
  }

  drained(): boolean {
    const h = this.ring.header;
    return Atomics.load(h, CLOSED) !== 0 && Atomics.load(h, COUNT) === 0;
  }

  dropped(): number {
    return Atomics.load(this.ring.header, DROPPED);
  }
}

function isMovable(value: unknown): value is ArrayBufferView | ArrayBuffer {
  if (value instanceof ArrayBuffer) return value.byteLength >= TRANSFER_THRESHOLD;
  if (ArrayBuffer.isView(value)) return value.byteLength >= TRANSFER_THRESHOLD;
  return false;
}
