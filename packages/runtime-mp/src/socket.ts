import type { Socket } from "node:net";
import type { IrChannel } from "@flowc/ir";
import { type Envelope, FrameReader, frame, MemoryQueue, type OfferResult, type Outbound, Payload } from "@flowc/runtime";

/**
 * Channels between child processes: one Unix socket connection per channel, length-prefixed
 * frames. The consumer's end is a `MemoryQueue` with the channel's capacity and onFull policy,
 * filled as frames arrive. For `block` channels the producer holds at most `capacity`
 * unacknowledged messages and the consumer returns credit as it takes them, so the queue never
 * overflows and the producer really waits.
 */

const DATA = 0;
const CLOSE = 1;
const CREDIT = 2;
export const HELLO = 3;
const DATA_HEADER = 13; // u8 type, u32 seq, f64 t

export function helloFrame(channelId: string): Uint8Array {
  const id = new TextEncoder().encode(channelId);
  const body = new Uint8Array(1 + id.byteLength);
  body[0] = HELLO;
  body.set(id, 1);
  return frame(body);
}

/** Writes frames, coalescing the writes of one turn of the event loop into one syscall. */
class Writer {
  #corked = false;
  constructor(readonly socket: Socket) {}
  write(bytes: Uint8Array): void {
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes);
  }
}

export class SocketOutbound implements Outbound {
  readonly channel: IrChannel;
  #writer: Writer | undefined;
  #inflight = 0;
  readonly #block: boolean;
  readonly #onRoom: () => void;
  readonly #reader = new FrameReader();

  constructor(channel: IrChannel, onRoom: () => void) {
    this.channel = channel;
    this.#block = channel.onFull === "block";
    this.#onRoom = onRoom;
  }

  attach(socket: Socket): void {
    this.#writer = new Writer(socket);
    socket.on("data", (chunk: Buffer) =>
      this.#reader.push(chunk, (body) => {
        if (body[0] === CREDIT) {
          this.#inflight -= new DataView(body.buffer, body.byteOffset + 1, 4).getUint32(0, true);
          this.#onRoom();
        }
      }),
    );
  }

  offer(envelope: Envelope): OfferResult {
    if (this.#block && this.#inflight >= this.channel.capacity) return "full";
    const writer = this.#writer;
    if (!writer) throw new Error(`channel '${this.channel.id}' is not connected`);
    const bytes = envelope.payload.encoded();
    const out = new Uint8Array(4 + DATA_HEADER + bytes.byteLength);
    const view = new DataView(out.buffer);
    view.setUint32(0, DATA_HEADER + bytes.byteLength, true);
    out[4] = DATA;
    view.setUint32(5, envelope.seq, true);
    view.setFloat64(9, envelope.t, true);
    out.set(bytes, 4 + DATA_HEADER);
    if (this.#block) this.#inflight++;
    writer.write(out);
    return "accepted";
  }

  close(): void {
    this.#writer?.write(frame(Uint8Array.of(CLOSE)));
  }
}

export class SocketInbound extends MemoryQueue {
  #socket: Socket | undefined;
  #credit = 0;
  #creditScheduled = false;
  readonly #block: boolean;

  constructor(channel: IrChannel, onArrive: () => void) {
    super(channel);
    this.#block = channel.onFull === "block";
    this.onArrive = onArrive;
    if (this.#block) {
      this.onTake = () => {
        this.#credit++;
        if (!this.#creditScheduled) {
          this.#creditScheduled = true;
          process.nextTick(() => this.#sendCredit());
        }
      };
    }
  }

  #sendCredit(): void {
    this.#creditScheduled = false;
    if (this.#credit === 0 || !this.#socket || this.#socket.destroyed) return;
    const body = new Uint8Array(5);
    body[0] = CREDIT;
    new DataView(body.buffer).setUint32(1, this.#credit, true);
    this.#credit = 0;
    this.#socket.write(frame(body));
  }

  /** Takes over a connection whose hello named this channel; returns the handler for its later frames. */
  attach(socket: Socket): (body: Uint8Array) => void {
    this.#socket = socket;
    return (body: Uint8Array) => {
      const type = body[0];
      if (type === DATA) {
        const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
        const envelope = {
          seq: view.getUint32(1, true),
          t: view.getFloat64(5, true),
          payload: Payload.ofBytes(body.subarray(DATA_HEADER)),
        };
        if (this.#block) this.force(envelope);
        else this.offer(envelope);
      } else if (type === CLOSE) this.close();
    };
  }
}
