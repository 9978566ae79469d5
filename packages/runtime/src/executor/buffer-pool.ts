import type { FrameBuffers } from "../framing.js";
import { markLent, slotClass } from "./slots.js";

/** Frames from this size on use the pools. */
export const POOLED_FRAME_MIN_BYTES = 64 * 1024;
/** What each of a process's two pools (frames lent to steps, frames received) holds at most. */
export const FRAME_POOL_BYTES = 128 * 1024 * 1024;

/**
 * Reused buffers of ordinary memory for large frames (64 KB or more) on a socket: the frames a
 * step fills from `ctx.allocate` when no shared-memory slot carries them, and the frames a
 * consumer reassembles from a socket's chunks. Sizes come in the slot pool's classes (four
 * per octave), the pool holds at most `limitBytes`, and every buffer is marked lent (a value
 * over it is not the node's to keep).
 *
 * Why reuse matters: a process that allocates a fresh multi-megabyte ArrayBuffer per message
 * can fall into back-to-back full garbage collections in V8 — external memory allocated since
 * the last full collection counts against the old generation's limit, and the limit a busy
 * process ends up with can be small — which made a 4 MB stream on the socket collapse to a
 * fifth of its speed in some runs (packages/runtime-dataflow/README.md). A reused buffer
 * allocates nothing.
 */
export class BufferPool implements FrameBuffers {
  readonly minBytes = POOLED_FRAME_MIN_BYTES;
  readonly #limit: number;
  readonly #freeBySize = new Map<number, ArrayBuffer[]>();
  #bytes = 0;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  /** Bytes the pool holds (taken or free). */
  get bytes(): number {
    return this.#bytes;
  }

  /** A buffer of at least `bytes` (unzeroed), or undefined when the pool is at its bound and none is free. */
  take(bytes: number): ArrayBuffer | undefined {
    const size = slotClass(bytes);
    const free = this.#freeBySize.get(size)?.pop();
    if (free) return free;
    if (this.#bytes + size > this.#limit) return undefined;
    this.#bytes += size;
    const buffer = Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer;
    markLent(buffer);
    return buffer;
  }

  /** `buffer` (from `take`) is free for the next frame. */
  give(buffer: ArrayBuffer): void {
    const free = this.#freeBySize.get(buffer.byteLength);
    if (free) free.push(buffer);
    else this.#freeBySize.set(buffer.byteLength, [buffer]);
  }
}
