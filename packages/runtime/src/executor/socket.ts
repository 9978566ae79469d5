import type { Duplex } from "node:stream";
import type { IrChannel } from "@flowc/ir";
import { uninitialized } from "../bytes.js";
import { FrameReader, frame } from "../framing.js";
import { Payload } from "../payload.js";
import { type Envelope, MemoryQueue, type OfferResult, type Outbound } from "../queue.js";
import { BufferPool, FRAME_POOL_BYTES } from "./buffer-pool.js";
import { SLOT_DESCRIPTOR_BYTES, SlotReader } from "./slots.js";

/**
 * Channels between child processes: one Unix socket connection per (producer, consumer)
 * executor pair carries all their channels, so messages one executor sends keep their order
 * across channels (a "go" message never overtakes the data sent before it). Frames are
 * length-prefixed; data frames carry the channel index, seq, send time and the MessagePack
 * payload.
 *
 * The consumer's end of a channel is a `MemoryQueue` with the channel's capacity and onFull
 * policy, filled as frames arrive. For `block` channels the producer holds at most `capacity`
 * unacknowledged messages and the consumer returns credit as it takes them, so the queue never
 * overflows and the producer really waits.
 */

const DATA = 0;
const CLOSE = 1;
const CREDIT = 2;
const HELLO = 3;
/** Like DATA, but the body is the name of a tmpfs file holding the payload. */
const LARGE = 4;
/** Like DATA, but the body is a descriptor of the shared-memory slot holding the payload. */
const SLOT = 5;
/** Consumer to producer: u32 serials of slots it is done with, one per message. */
const RELEASE = 6;
const DATA_HEADER = 15; // u8 type, u16 channel, u32 seq, f64 t
/** Payloads from this size on are written as their own pieces after the frame header, not copied into one buffer. */
const SPLIT_FRAME_BYTES = 64 * 1024;
const utf8Decoder = new TextDecoder();

/**
 * Where payloads of `threshold` bytes or more travel instead of the socket (shared memory).
 * `put` stores a payload once however many channels carry it and returns what one reader is
 * sent instead of the bytes — or undefined when there is no room (the bytes take the socket).
 */
export interface LargePayloads {
  readonly threshold: number;
  /** Stores the encoding (`parts`, concatenated) once per payload; the body of a frame for `reader` (a connection). */
  put(
    payload: Payload,
    parts: readonly Uint8Array[],
    reader: object,
  ): { readonly kind: "file" | "slot"; readonly body: Uint8Array } | undefined;
  /** `reader` is done with one message of slot `serial`. */
  released?(reader: object, serial: number): void;
  /** `reader`'s connection closed: whatever it still held is free. */
  readerGone?(reader: object): void;
  /** Payloads travel as slot descriptors: a buffer lent from a slot is sent without a copy. */
  readonly bySlot?: boolean;
  /** The bytes of a file payload (and its name released). */
  take?(name: string): Uint8Array;
}

/** Slots of producers mapped by this process (a consumer maps each slot once). */
const slotReader = new SlotReader();
/** Large frames this process reassembles from its connections' chunks, reused message after message. */
const receiveBuffers = new BufferPool(FRAME_POOL_BYTES);

/** The pieces of one flush are copied into one buffer when none is this large; otherwise they go out as a writev. */
const COALESCE_PIECE_BYTES = 4096;

interface Flushable {
  readonly flush: () => void;
}

/**
 * The writes of one executor (frames, credit), held while its loop works and sent when the
 * loop goes idle or yields (`flush`), instead of each connection scheduling its own flush with
 * `process.nextTick`: the first nextTick after a process slept costs ~20 µs there, more than
 * the rest of a small message's send (measured; docs/architecture.md, "The message path, per
 * engine"). Writers outside a held batch schedule their own flush.
 */
export class WriteBatch {
  #held = false;
  readonly #dirty: Flushable[] = [];

  /** Holds `f`'s write for the next flush; false when writes are not held (the caller schedules its own). */
  defer(f: Flushable): boolean {
    if (!this.#held) return false;
    this.#dirty.push(f);
    return true;
  }

  flush(): void {
    const dirty = this.#dirty;
    for (let i = 0; i < dirty.length; i++) (dirty[i] as Flushable).flush();
    dirty.length = 0;
  }

  /** Starts holding writes, or stops (sending what was held). */
  hold(on: boolean): void {
    this.#held = on;
    if (!on) this.flush();
  }
}

/**
 * Writes frames, coalescing the writes of one turn of the event loop (or of a `WriteBatch`)
 * into one syscall: one frame is written as it is, several small ones as one buffer, large
 * ones together as a writev — never the stream's cork/uncork bookkeeping per frame.
 */
class Writer implements Flushable {
  #pending: Uint8Array[] = [];
  /** Called once the pending bytes are written (lent buffers going back to their pool). */
  #written: (() => void)[] = [];
  #bytes = 0;
  #largest = 0;
  #scheduled = false;
  constructor(
    readonly socket: Duplex,
    private readonly batch?: WriteBatch,
  ) {}
  /** Queues `bytes`; `written`, if given, is called once they left (or can never leave: the connection is gone). */
  write(bytes: Uint8Array, written?: () => void): void {
    if (this.socket.destroyed) {
      written?.();
      return;
    }
    this.#pending.push(bytes);
    if (written) this.#written.push(written);
    this.#bytes += bytes.byteLength;
    if (bytes.byteLength > this.#largest) this.#largest = bytes.byteLength;
    if (!this.#scheduled) {
      this.#scheduled = true;
      if (!this.batch?.defer(this)) process.nextTick(this.flush);
    }
  }
  readonly flush = (): void => {
    if (!this.#scheduled) return;
    this.#scheduled = false;
    const parts = this.#pending;
    const size = this.#bytes;
    const largest = this.#largest;
    const written = this.#written;
    this.#pending = [];
    this.#bytes = 0;
    this.#largest = 0;
    if (written.length > 0) this.#written = [];
    const socket = this.socket;
    // Node calls a write's callback after the writes before it completed, on error too.
    const done = written.length === 0 ? undefined : () => callAll(written);
    if (socket.destroyed) done?.();
    else if (parts.length === 1) socket.write(parts[0] as Uint8Array, done);
    else if (largest < COALESCE_PIECE_BYTES) {
      const out = uninitialized(size);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.byteLength;
      }
      socket.write(out);
      done?.(); // copied
    } else {
      socket.cork();
      for (let i = 0; i < parts.length - 1; i++) socket.write(parts[i] as Uint8Array);
      socket.write(parts[parts.length - 1] as Uint8Array, done);
      socket.uncork();
    }
  };
}

function callAll(callbacks: readonly (() => void)[]): void {
  for (const f of callbacks) f();
}

/** The producer side of a connection to one consumer executor. */
export class SocketLink {
  readonly #writer: Writer;
  readonly #byIndex = new Map<number, SocketOutbound>();
  readonly #reader = new FrameReader();

  constructor(socket: Duplex, producer: number, large?: LargePayloads, batch?: WriteBatch) {
    const writer = new Writer(socket, batch);
    this.#writer = writer;
    socket.on("close", () => {
      for (const o of this.#byIndex.values()) o.detach(writer);
      large?.readerGone?.(writer);
    });
    const hello = new Uint8Array(3);
    hello[0] = HELLO;
    new DataView(hello.buffer).setUint16(1, producer, true);
    // At once: the consumer waits for every producer's hello before its executor loop runs.
    socket.write(frame(hello));
    socket.on("data", (chunk: Buffer) =>
      this.#reader.push(chunk, (body) => {
        const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
        if (body[0] === CREDIT) this.#byIndex.get(view.getUint16(1, true))?.credit(view.getUint32(3, true));
        else if (body[0] === RELEASE)
          for (let at = 1; at + 4 <= body.byteLength; at += 4) large?.released?.(writer, view.getUint32(at, true));
      }),
    );
  }

  add(outbound: SocketOutbound): void {
    this.#byIndex.set(outbound.index, outbound);
    outbound.attach(this.#writer);
  }
}

export class SocketOutbound implements Outbound {
  #writer: Writer | undefined;
  #inflight = 0;
  readonly #block: boolean;
  /** Frames written and credit received on the current connection (deadlock probes compare them with the consumer's). */
  sent = 0;
  credited = 0;

  constructor(
    readonly channel: IrChannel,
    readonly index: number,
    private readonly onRoom: () => void,
    private readonly large?: LargePayloads,
  ) {
    this.#block = channel.onFull === "block";
    this.bySlot = large?.bySlot === true;
    // Connections to other machines (no `large`) may keep what they are given past the write.
    this.byReference = large !== undefined;
  }

  /** Carries slots by reference (a lent buffer is not copied). */
  readonly bySlot: boolean;
  /** Writes a lent buffer as it is, and holds its payload's `sent` until the bytes are written. */
  readonly byReference: boolean;

  attach(writer: Writer): void {
    this.#writer = writer;
    this.#inflight = 0;
    this.sent = 0;
    this.credited = 0;
    this.onRoom();
  }

  /** The consumer went away (its process died): messages are lost until it is connected again. */
  detach(writer: Writer): void {
    if (this.#writer !== writer) return;
    this.#writer = undefined;
    this.#inflight = 0;
  }

  get connected(): boolean {
    return this.#writer !== undefined;
  }

  credit(n: number): void {
    this.#inflight -= n;
    this.credited += n;
    this.onRoom();
  }

  offer(envelope: Envelope): OfferResult {
    if (this.#block && this.#inflight >= this.channel.capacity) return "full";
    const writer = this.#writer;
    if (!writer) return "accepted"; // the consumer is gone: the message is lost (docs/semantics.md, "Restarts")
    // A big binary value is never packed into one buffer: its header and its own bytes.
    let parts = envelope.payload.encodedParts();
    let size = 0;
    for (const p of parts) size += p.byteLength;
    let type = DATA;
    if (this.large && size >= this.large.threshold) {
      const stored = this.large.put(envelope.payload, parts, writer);
      if (stored) {
        parts = [stored.body];
        size = stored.body.byteLength;
        type = stored.kind === "slot" ? SLOT : LARGE;
      }
    }
    // Small frames are one buffer (one write); large ones, and binary values of 4 KB or more, go
    // out as a header and the payload's own pieces, written together without copying them here.
    const split = parts.length > 1 || size >= SPLIT_FRAME_BYTES;
    const out = new Uint8Array(4 + DATA_HEADER + (split ? 0 : size));
    const view = new DataView(out.buffer);
    view.setUint32(0, DATA_HEADER + size, true);
    out[4] = type;
    view.setUint16(5, this.index, true);
    view.setUint32(7, envelope.seq, true);
    view.setFloat64(11, envelope.t, true);
    if (!split) {
      let at = 4 + DATA_HEADER;
      for (const p of parts) {
        out.set(p, at);
        at += p.byteLength;
      }
    }
    if (this.#block) this.#inflight++;
    this.sent++;
    writer.write(out);
    if (!split) return "accepted";
    // The payload's own bytes are written by reference: memory lent to the step (a reused
    // buffer, or a slot when no slot was free for the descriptor) goes back only once written.
    const payload = envelope.payload;
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) writer.write(parts[i] as Uint8Array);
    writer.write(parts[last] as Uint8Array, payload.holdSent() ? () => payload.sent() : undefined);
    return "accepted";
  }

  close(): void {
    const body = new Uint8Array(3);
    body[0] = CLOSE;
    new DataView(body.buffer).setUint16(1, this.index, true);
    if (!this.#writer) return;
    this.sent++;
    this.#writer.write(frame(body));
  }
}

export class SocketInbound extends MemoryQueue implements Flushable {
  #socket: Duplex | undefined;
  #credit = 0;
  #creditScheduled = false;
  /** Credit owed is sent once it reaches this, without waiting for the batch's flush. */
  readonly #creditBatch: number;
  /** Slots to give back, by the connection they came on. */
  readonly #releases = new Map<Duplex, number[]>();
  #releaseScheduled = false;
  readonly #block: boolean;
  /** Frames received and messages taken (credit owed to the producer), for deadlock probes. */
  arrived = 0;
  taken = 0;

  constructor(
    channel: IrChannel,
    readonly index: number,
    onArrive: () => void,
    private readonly large?: LargePayloads,
    batch?: WriteBatch,
  ) {
    super(channel);
    this.#block = channel.onFull === "block";
    this.#creditBatch = Math.max(1, channel.capacity >> 1);
    this.onArrive = onArrive;
    if (this.#block) {
      this.onTake = () => {
        this.taken++;
        this.#credit++;
        if (this.#creditScheduled) {
          if (this.#credit >= this.#creditBatch) this.#sendCredit();
          return;
        }
        this.#creditScheduled = true;
        if (!batch?.defer(this)) process.nextTick(this.flush);
      };
    }
  }

  /** Sends the credit owed. */
  readonly flush = (): void => this.#sendCredit();

  #sendCredit(): void {
    this.#creditScheduled = false;
    const socket = this.#socket;
    if (this.#credit === 0 || !socket || socket.destroyed) return;
    const body = new Uint8Array(7);
    body[0] = CREDIT;
    const view = new DataView(body.buffer);
    view.setUint16(1, this.index, true);
    view.setUint32(3, this.#credit, true);
    this.#credit = 0;
    socket.write(frame(body));
  }

  /** Gives slot `serial` back to the producer on `socket` (batched: one frame per turn of the event loop). */
  #release(socket: Duplex, serial: number): void {
    const list = this.#releases.get(socket);
    if (list) list.push(serial);
    else this.#releases.set(socket, [serial]);
    if (this.#releaseScheduled) return;
    this.#releaseScheduled = true;
    process.nextTick(() => {
      this.#releaseScheduled = false;
      for (const [s, serials] of this.#releases) {
        if (s.destroyed) continue; // the producer took everything back when the connection closed
        const body = new Uint8Array(1 + 4 * serials.length);
        body[0] = RELEASE;
        const view = new DataView(body.buffer);
        for (let i = 0; i < serials.length; i++) view.setUint32(1 + 4 * i, serials[i] as number, true);
        s.write(frame(body));
      }
      this.#releases.clear();
    });
  }

  /**
   * One data or close frame of this channel, from `socket`; `owned`: nothing else shares the
   * body's memory; `reused`: it is a pooled buffer, given back through this once the message is done with.
   */
  receive(socket: Duplex, body: Uint8Array, owned = false, reused?: () => void): void {
    if (this.#socket !== socket) {
      // A new connection (a producer that came back) counts from zero, as the producer does.
      this.arrived = 0;
      this.taken = 0;
    }
    this.#socket = socket;
    this.arrived++;
    if (body[0] !== DATA) reused?.();
    if (body[0] === CLOSE) {
      this.close();
      return;
    }
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    let bytes = body.subarray(DATA_HEADER);
    // A frame reassembled in a reused buffer is lent to the consumer as a slot is.
    let release: (() => void) | undefined = body[0] === DATA ? reused : undefined;
    if (body[0] === LARGE) {
      if (!this.large?.take) throw new Error(`channel '${this.channel.id}' received a tmpfs payload but has no store`);
      bytes = this.large.take(utf8Decoder.decode(bytes));
    } else if (body[0] === SLOT) {
      let read: ReturnType<SlotReader["read"]>;
      try {
        read = slotReader.read(bytes);
      } catch (error) {
        // Only a producer that died after sending can take its slot away before it is read.
        process.emitWarning(`a shared-memory message on '${this.channel.id}' is lost: ${(error as Error).message}`);
        return;
      }
      bytes = read.bytes;
      if (read.borrowed) release = () => this.#release(socket, read.serial);
      else this.#release(socket, read.serial);
    }
    // Bytes read from shared memory, or a frame reassembled in a buffer of its own, belong to
    // this message alone: a big binary value opens as a view of them, not a copy.
    const envelope = {
      seq: view.getUint32(3, true),
      t: view.getFloat64(7, true),
      payload: Payload.ofBytes(bytes, body[0] !== DATA || owned, release),
    };
    if (this.#block) this.force(envelope);
    else this.offer(envelope);
  }
}

/**
 * Serves one producer's connection to this executor: frames go to the channel they name. Feed
 * it the connection's chunks (`push`); `transient` chunks are memory the reader reuses once
 * `push` returns (see `readInPlace`).
 */
export function acceptFrames(
  socket: Duplex,
  inbound: ReadonlyMap<number, SocketInbound>,
  onHello: (producer: number) => void,
): (chunk: Uint8Array, transient: boolean) => void {
  const reader = new FrameReader(undefined, receiveBuffers);
  /** Producer processes whose slots came on this connection: once it closes they send no more. */
  const slotOwners = new Set<number>();
  const onFrame = (body: Uint8Array, owned: boolean, reused?: () => void) => {
    const type = body[0];
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const to = type === DATA || type === CLOSE || type === LARGE || type === SLOT ? inbound.get(view.getUint16(1, true)) : undefined;
    if (!to) reused?.();
    if (type === HELLO) return onHello(view.getUint16(1, true));
    if (!to) return;
    if (type === SLOT && body.byteLength >= DATA_HEADER + SLOT_DESCRIPTOR_BYTES) slotOwners.add(view.getUint32(DATA_HEADER, true));
    to.receive(socket, body, owned, reused);
  };
  socket.on("close", () => {
    reader.close();
    for (const pid of slotOwners) slotReader.forget(pid);
  });
  socket.on("error", () => {});
  return (chunk, transient) => reader.push(chunk, onFrame, transient);
}
