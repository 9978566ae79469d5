import type { IrAdapter } from "@flowc/ir";
import type { Lease } from "./payload.js";
import type { Envelope, Inbound } from "./queue.js";

/** A message taken off a channel, decoded, with where it came from. */
export interface Taken {
  readonly channel: string;
  readonly seq: number;
  readonly t: number;
  readonly value: unknown;
  /** The value is a view of borrowed memory (a shared-memory slot), held by this lease. */
  readonly lease?: Lease | undefined;
}

/**
 * One input port of a node: the channels feeding it, merged, sampled through the port's adapter
 * (docs/semantics.md, "Adapters"). Every step drains every channel of every port; the adapter
 * decides what the step sees:
 * - `latest`: the newest message taken this step, else absent;
 * - `hold`: the newest message ever taken, kept across steps;
 * - `window {size}`: the last `size` messages, kept across steps; `{ms}`: those sent in the last `ms`;
 * - `events`: every message taken this step, in order (absent when none).
 * Several channels merge in send-time order; equal times keep channel declaration order.
 */
export class InputPort {
  readonly name: string;
  readonly adapter: IrAdapter;
  readonly channels: readonly Inbound[];
  #held: Taken | undefined;
  /** A message with a lease went through this port (only then is retention tracked). */
  #leased = false;
  #ended = false;
  #window: Taken[] = [];
  #current: Taken[] = [];
  /** Messages taken off each channel (same order as `channels`), for live statistics. */
  readonly taken: number[];

  constructor(name: string, adapter: IrAdapter, channels: readonly Inbound[]) {
    this.name = name;
    this.adapter = adapter;
    this.channels = channels;
    this.taken = channels.map(() => 0);
  }

  /** Whether any feeding channel has a message waiting. */
  pending(): boolean {
    for (const c of this.channels) if (c.size() > 0) return true;
    return false;
  }

  /** Every feeding channel closed by its producer and empty (a port with no channels is drained). */
  drained(): boolean {
    if (this.#ended) return !this.pending();
    for (const c of this.channels) if (!c.drained()) return false;
    return true;
  }

  /**
   * Ends the port although its producers have not closed it: the run proved that nothing can
   * ever arrive (quiescence, docs/semantics.md §9). Returns false when it had already ended.
   */
  end(): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    return true;
  }

  dropped(): number {
    let n = 0;
    for (const c of this.channels) n += c.dropped();
    return n;
  }

  /**
   * Takes the messages this step consumes, in merge order: every waiting message, or with
   * `one` only the oldest (a `latest`/`hold` port that triggers the node: each message gets
   * its own step). `decode` turns an envelope into its value.
   */
  drain(decode: (envelope: Envelope) => unknown, one = false): readonly Taken[] {
    const taken: Taken[] = [];
    if (one && this.channels.length === 1) {
      const c = this.channels[0] as Inbound;
      const e = c.take();
      if (e) {
        taken.push(this.#taken(c.channel.id, e, decode));
        this.#count(0, 1);
      }
      this.#current = taken;
      return taken;
    }
    if (one) {
      let oldest = -1;
      let oldestT = Number.POSITIVE_INFINITY;
      for (let i = 0; i < this.channels.length; i++) {
        const t = (this.channels[i] as Inbound).headTime();
        if (t !== undefined && t < oldestT) {
          oldest = i;
          oldestT = t;
        }
      }
      const c = this.channels[oldest];
      const e = c?.take();
      if (c && e) {
        taken.push(this.#taken(c.channel.id, e, decode));
        this.#count(oldest, 1);
      }
      this.#current = taken;
      return taken;
    }
    const batch: Envelope[] = [];
    for (let i = 0; i < this.channels.length; i++) {
      const c = this.channels[i] as Inbound;
      const id = c.channel.id;
      const before = taken.length;
      if (c.drainAll) {
        batch.length = 0;
        c.drainAll(batch);
        for (const e of batch) taken.push(this.#taken(id, e, decode));
      } else for (let e = c.take(); e !== undefined; e = c.take()) taken.push(this.#taken(id, e, decode));
      this.#count(i, taken.length - before);
    }
    // Stable sort: channel order breaks ties, and one channel's messages stay in sequence.
    if (this.channels.length > 1) taken.sort((a, b) => a.t - b.t);
    this.#current = taken;
    return taken;
  }

  #taken(channel: string, e: Envelope, decode: (envelope: Envelope) => unknown): Taken {
    const value = decode(e);
    const lease = e.payload.lease;
    if (lease === undefined) return { channel, seq: e.seq, t: e.t, value };
    this.#leased = true;
    return { channel, seq: e.seq, t: e.t, value, lease };
  }

  #count(channel: number, n: number): void {
    this.taken[channel] = (this.taken[channel] ?? 0) + n;
  }

  /** What the step sees for this port after `drain`, or undefined when absent. */
  sample(now: number): unknown {
    const taken = this.#current;
    const last = taken[taken.length - 1];
    switch (this.adapter.kind) {
      case "latest":
        return last?.value;
      case "hold":
        if (last && last !== this.#held) {
          last.lease?.hold();
          this.#held?.lease?.drop();
          this.#held = last;
        }
        return this.#held?.value;
      case "events":
        return taken.length > 0 ? taken.map((m) => m.value) : undefined;
      case "window": {
        const window = this.#window;
        for (const m of taken) {
          m.lease?.hold();
          window.push(m);
        }
        const { size, ms } = this.adapter;
        let drop = size !== undefined && window.length > size ? window.length - size : 0;
        if (ms !== undefined) while (drop < window.length && (window[drop] as Taken).t < now - ms) drop++;
        if (drop > 0) for (const m of window.splice(0, drop)) m.lease?.drop();
        return window.length > 0 ? window.map((m) => m.value) : undefined;
      }
    }
  }

  /**
   * After `sample`: takes a hold, for the step, on every borrowed value the step is shown
   * (pushed to `into`), and drops the holds of this drain's messages — a message the adapter
   * keeps (`hold`, `window`) has its own.
   */
  leaseForStep(into: Lease[]): void {
    if (!this.#leased) return;
    const taken = this.#current;
    const show = (m: Taken | undefined) => {
      if (m?.lease) {
        m.lease.hold();
        into.push(m.lease);
      }
    };
    switch (this.adapter.kind) {
      case "latest":
        show(taken[taken.length - 1]);
        break;
      case "events":
        for (const m of taken) show(m);
        break;
      case "hold":
        show(this.#held);
        break;
      case "window":
        for (const m of this.#window) show(m);
        break;
    }
    for (const m of taken) m.lease?.drop();
  }

  /** The node ended: what the adapter keeps goes back. */
  releaseAll(): void {
    if (!this.#leased) return;
    this.#held?.lease?.drop();
    this.#held = undefined;
    for (const m of this.#window) m.lease?.drop();
    this.#window = [];
  }
}
