import type { IrChannel } from "@flowc/ir";
import type { Payload } from "./payload.js";

/**
 * One message on a channel. The payload is encoded (MessagePack) at most once and every
 * consumer decodes its own copy, so no two nodes share a mutable object.
 */
export interface Envelope {
  /** Per-channel sequence number given by the producer: 0, 1, 2, … (drops leave gaps). */
  readonly seq: number;
  /** Send time, ms since the run started. */
  readonly t: number;
  readonly payload: Payload;
}

/** What happened to an offered message. "full": a `block` channel has no room; offer it again later. */
export type OfferResult = "accepted" | "full";

/** The producer's end of a channel. */
export interface Outbound {
  readonly channel: IrChannel;
  /** Carries a shared-memory slot by reference (a descriptor), so a lent buffer needs no copy. */
  readonly bySlot?: boolean;
  /**
   * Writes a lent buffer's bytes to its transport as they are (a local socket) and reports
   * each payload `sent` only once they are written, so a reused buffer needs no copy.
   */
  readonly byReference?: boolean;
  offer(envelope: Envelope): OfferResult;
  /** End of stream: the consumer sees it after every message offered before. */
  close(): void;
}

/** The consumer's end of a channel. */
export interface Inbound {
  readonly channel: IrChannel;
  /** Takes the oldest message, or undefined when none is waiting. */
  take(): Envelope | undefined;
  /** Messages waiting. */
  size(): number;
  /** Send time of the oldest waiting message, or undefined when none waits. */
  headTime(): number | undefined;
  /** The producer closed the channel and every message has been taken. */
  drained(): boolean;
  /** Messages lost to the onFull policy so far. */
  dropped(): number;
  /** Optional: takes every waiting message at once (cheaper than repeated `take` on shared memory). */
  drainAll?(into: Envelope[]): void;
}

/**
 * The decision every queue makes when a message arrives at a full channel — the one place the
 * onFull policies are defined (docs/semantics.md, "Channels"):
 * - `dropOldest`: evict the oldest waiting message, accept the new one;
 * - `dropNewest`: discard the new message, keep the waiting ones;
 * - `block`: accept nothing; the producer keeps the message and waits for room.
 */
export function onFullAction(policy: IrChannel["onFull"]): "evictOldest" | "discardNew" | "refuse" {
  switch (policy) {
    case "dropOldest":
      return "evictOldest";
    case "dropNewest":
      return "discardNew";
    case "block":
      return "refuse";
  }
}

/** A bounded in-memory channel: both ends in one executor (inline, fused chains) or the consumer end of a socket. */
export class MemoryQueue implements Inbound, Outbound {
  readonly channel: IrChannel;
  readonly #items: (Envelope | undefined)[];
  #head = 0;
  #count = 0;
  #closed = false;
  #dropped = 0;
  /** Called when a message was taken (room for a blocked producer). */
  onTake: (() => void) | undefined;
  /** Called when a message was accepted or the channel closed (work for the consumer). */
  onArrive: (() => void) | undefined;

  constructor(channel: IrChannel) {
    this.channel = channel;
    this.#items = new Array(channel.capacity);
  }

  offer(envelope: Envelope): OfferResult {
    const capacity = this.#items.length;
    if (this.#count === capacity) {
      const action = onFullAction(this.channel.onFull);
      if (action === "refuse") return "full";
      this.#dropped++;
      // A dropped message gives back any memory it borrowed (a shared-memory slot).
      if (action === "discardNew") {
        envelope.payload.release();
        return "accepted";
      }
      this.#items[this.#head]?.payload.release();
      this.#items[this.#head] = undefined;
      this.#head = (this.#head + 1) % capacity;
      this.#count--;
    }
    this.#items[(this.#head + this.#count) % capacity] = envelope;
    this.#count++;
    this.onArrive?.();
    return "accepted";
  }

  /** Accepts a message regardless of capacity: for transports whose credit scheme already bounds it. */
  force(envelope: Envelope): void {
    if (this.#count === this.#items.length) {
      const grown = this.#items.length * 2;
      const items: (Envelope | undefined)[] = new Array(grown);
      for (let i = 0; i < this.#count; i++) items[i] = this.#items[(this.#head + i) % this.#items.length];
      this.#items.length = 0;
      this.#items.push(...items);
      this.#head = 0;
    }
    this.#items[(this.#head + this.#count) % this.#items.length] = envelope;
    this.#count++;
    this.onArrive?.();
  }

  take(): Envelope | undefined {
    if (this.#count === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#count--;
    this.onTake?.();
    return item;
  }

  size(): number {
    return this.#count;
  }

  headTime(): number | undefined {
    return this.#count === 0 ? undefined : this.#items[this.#head]?.t;
  }

  close(): void {
    this.#closed = true;
    this.onArrive?.();
  }

  drained(): boolean {
    return this.#closed && this.#count === 0;
  }

  dropped(): number {
    return this.#dropped;
  }
}
