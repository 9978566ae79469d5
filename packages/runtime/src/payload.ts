import { decodeValue, encodeValue } from "./codec.js";

/**
 * A message's payload: the value as the step produced it, encoded at most once however many
 * channels carry it. `owned` payloads (moved between threads) are handed over as they are.
 */
export class Payload {
  readonly #value: unknown;
  #bytes: Uint8Array | undefined;
  readonly owned: boolean;
  /** How many channels carry this payload: a thread engine moves a binary buffer only when it is one. */
  readonly carriers: number;

  private constructor(value: unknown, bytes: Uint8Array | undefined, owned: boolean, carriers = 1) {
    this.#value = value;
    this.#bytes = bytes;
    this.owned = owned;
    this.carriers = carriers;
  }
  static ofValue(value: unknown, carriers = 1): Payload {
    return new Payload(value, undefined, false, carriers);
  }
  static ofBytes(bytes: Uint8Array): Payload {
    return new Payload(undefined, bytes, false);
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
  /** The consumer's own copy of the value. */
  open(): unknown {
    return this.owned ? this.#value : decodeValue(this.encoded());
  }
}
