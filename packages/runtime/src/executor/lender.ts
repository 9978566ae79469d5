import type { Payload } from "../payload.js";
import type { Outbound } from "../queue.js";
import { BufferPool, FRAME_POOL_BYTES, POOLED_FRAME_MIN_BYTES } from "./buffer-pool.js";
import type { SlotPool } from "./slots.js";

/**
 * Buffers lent to a node's step (`ctx.allocate`) that it fills and emits without a copy. The
 * node host asks `lend` for a buffer, `claim`s it for the payload it emits on `outbounds`
 * (false: not a lent buffer, already emitted, or a channel that cannot carry it as it is —
 * the host then emits a copy), tells `sent` once the payload left on every channel, and
 * `reclaim`s what a step lent but did not emit when the step ends.
 */
export interface SlotLender {
  lend(bytes: number): Uint8Array<ArrayBuffer> | undefined;
  claim(value: unknown, payload: Payload, outbounds: readonly Outbound[]): boolean;
  sent(payload: Payload): void;
  reclaim(): void;
}

interface Lent {
  readonly buffer: ArrayBuffer;
  /** Lent to a step and not emitted yet: the bytes lent. */
  lent: number | undefined;
}

/**
 * What `ctx.allocate` hands out in a child process. A shared-memory slot where the slot pool
 * lends one (emitting it sends a descriptor). Otherwise — shared memory off or unavailable,
 * or every slot busy — a frame of 64 KB or more is a reused buffer (`BufferPool`): the socket
 * writes it as it is, and it goes back to the pool once written on every channel.
 */
export class Lender implements SlotLender {
  readonly #slots: SlotPool | undefined;
  readonly #pool: BufferPool;
  readonly #known = new WeakMap<ArrayBuffer, Lent>();
  readonly #lent = new Set<Lent>();
  /** Emitted buffers, by the payload that carries them, until every channel wrote them. */
  readonly #claimed = new WeakMap<Payload, Lent>();

  constructor(slots: SlotPool | undefined, pool = new BufferPool(FRAME_POOL_BYTES)) {
    this.#slots = slots;
    this.#pool = pool;
  }

  lend(bytes: number): Uint8Array<ArrayBuffer> | undefined {
    const slot = this.#slots?.lend(bytes);
    if (slot) return slot;
    if (bytes < POOLED_FRAME_MIN_BYTES) return undefined;
    const buffer = this.#pool.take(bytes);
    if (!buffer) return undefined;
    let lent = this.#known.get(buffer);
    if (!lent) this.#known.set(buffer, (lent = { buffer, lent: undefined }));
    lent.lent = bytes;
    this.#lent.add(lent);
    return new Uint8Array(buffer, 0, bytes);
  }

  claim(value: unknown, payload: Payload, outbounds: readonly Outbound[]): boolean {
    if (!(value instanceof Uint8Array) || !(value.buffer instanceof ArrayBuffer)) return false;
    const lent = this.#known.get(value.buffer);
    if (!lent) return this.#slots !== undefined && outbounds.every((o) => o.bySlot === true) && this.#slots.claim(value, payload);
    if (lent.lent === undefined || value.byteOffset !== 0 || value.byteLength !== lent.lent) return false;
    // Only a socket writes the buffer without keeping it; a channel inside this process would
    // hand the very memory to its consumer while the next step refills it.
    if (!outbounds.every((o) => o.byReference === true)) return false;
    this.#lent.delete(lent);
    lent.lent = undefined;
    this.#claimed.set(payload, lent);
    return true;
  }

  sent(payload: Payload): void {
    const lent = this.#claimed.get(payload);
    if (!lent) {
      this.#slots?.sent(payload);
      return;
    }
    this.#claimed.delete(payload);
    this.#pool.give(lent.buffer);
  }

  reclaim(): void {
    this.#slots?.reclaim();
    if (this.#lent.size === 0) return;
    for (const lent of this.#lent) {
      lent.lent = undefined;
      this.#pool.give(lent.buffer);
    }
    this.#lent.clear();
  }
}
