import { bigBinaryParts, decodeValue, encodeValue, isBigBinary, viewBigBinary } from "./codec.js";

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
  static ofBytes(bytes: Uint8Array, exclusive = false): Payload {
    return new Payload(undefined, bytes, false, 1, exclusive);
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
  /** The encoding in pieces that concatenate to `encoded()`, without copying a big binary value. */
  encodedParts(): readonly Uint8Array[] {
    if (this.#bytes === undefined && isBigBinary(this.#value)) return bigBinaryParts(this.#value);
    return [this.encoded()];
  }
  /** The consumer's own copy of the value. */
  open(): unknown {
    if (this.owned) return this.#value;
    const bytes = this.encoded();
    return (this.#exclusive ? viewBigBinary(bytes) : undefined) ?? decodeValue(bytes);
  }
}
