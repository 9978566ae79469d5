import { binaryParts, decodeValue, encodeValue, viewBigBinary } from "./codec.js";

/**
 * A message's payload: the value as the step produced it, encoded at most once however many
 * channels carry it. `owned` payloads (moved between threads) are handed over as they are.
 */
export class Payload {
  readonly #value: unknown;
  #bytes: Uint8Array | undefined;
  readonly owned: boolean;
  /** The bytes belong to this payload alone (read from shared memory): a big binary value is opened as a view, not a copy. */
  readonly #exclusive: boolean;
  /** How many channels carry this payload: a thread engine moves a binary buffer only when it is one. */
  readonly carriers: number;

  /** Gives borrowed bytes back (a shared-memory slot): once, when nothing presents the value any more. */
  #release: (() => void) | undefined;
  /** The hold on the borrowed bytes under the value `open` returned, if it is a view of them. */
  lease: Lease | undefined;
  /** Channels it has yet to be offered on, and what to do then (a lent buffer's memory waits for it). */
  #unsent = 0;
  #onSent: (() => void) | undefined;

  private constructor(value: unknown, bytes: Uint8Array | undefined, owned: boolean, carriers = 1, exclusive = false) {
    this.#value = value;
    this.#bytes = bytes;
    this.owned = owned;
    this.carriers = carriers;
    this.#exclusive = exclusive;
  }
  static ofValue(value: unknown, carriers = 1): Payload {
    return new Payload(value, undefined, false, carriers);
  }
  /** Received bytes; `exclusive` when nothing else holds them (no other consumer, no other message). */
  static ofBytes(bytes: Uint8Array, exclusive = false, release?: () => void): Payload {
    const payload = new Payload(undefined, bytes, false, 1, exclusive);
    payload.#release = release;
    return payload;
  }
  /** A value that crossed a boundary already (structured clone or transfer): nobody else holds it. */
  static owned(value: unknown): Payload {
    return new Payload(value, undefined, true);
  }
  get value(): unknown {
    return this.#value;
  }
  encoded(): Uint8Array {
    this.#bytes ??= encodeValue(this.#value);
    return this.#bytes;
  }
  /** The encoding in pieces that concatenate to `encoded()`, without copying a binary value of 4 KB or more. */
  encodedParts(): readonly Uint8Array[] {
    if (this.#bytes === undefined) {
      const parts = binaryParts(this.#value);
      if (parts) return parts;
    }
    return [this.encoded()];
  }
  /**
   * The consumer's own copy of the value — or, for a big binary value in bytes nothing else
   * holds, a view of them. A view of borrowed bytes comes with a `lease`; any other value is
   * decoded into fresh memory and the borrowed bytes go back at once.
   */
  open(): unknown {
    if (this.owned) return this.#value;
    const bytes = this.encoded();
    const view = this.#exclusive ? viewBigBinary(bytes) : undefined;
    if (view && this.#release) {
      this.lease = new Lease(this.#release);
      this.#release = undefined;
      return view;
    }
    if (view) return view;
    try {
      return decodeValue(bytes);
    } finally {
      this.release();
    }
  }

  /** Calls `done` once the payload was offered on `carriers` channels (`sent` once per channel). */
  whenSent(carriers: number, done: () => void): void {
    this.#unsent = carriers;
    this.#onSent = done;
  }

  /**
   * One more thing to wait for before `whenSent`'s `done`: a channel that offered the payload
   * but still writes its bytes (a lent buffer on a socket) calls `sent` once more when they
   * are written. False when nothing waits for the payload to be sent.
   */
  holdSent(): boolean {
    if (this.#onSent === undefined) return false;
    this.#unsent++;
    return true;
  }

  /** It was offered on one more of its channels. */
  sent(): void {
    const done = this.#onSent;
    if (done === undefined || --this.#unsent > 0) return;
    this.#onSent = undefined;
    done();
  }

  /** Gives borrowed bytes back unread (a message dropped or discarded). */
  release(): void {
    const release = this.#release;
    if (!release) return;
    this.#release = undefined;
    // The bytes are the producer's again: nothing may read them after this.
    this.#bytes = undefined;
    release();
  }
}

/**
 * A hold on borrowed memory under a received value (a shared-memory slot). The message takes
 * one hold; every step it is presented to and every adapter that keeps it (`hold`, `window`)
 * take their own; the memory goes back to its producer when the last is dropped.
 */
export class Lease {
  #holds = 1;
  readonly #release: () => void;
  constructor(release: () => void) {
    this.#release = release;
  }
  hold(): void {
    this.#holds++;
  }
  drop(): void {
    if (--this.#holds === 0) this.#release();
  }
}
