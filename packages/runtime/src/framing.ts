import { copyOf, POOLED_COPY_MAX, pooledCopy, uninitialized } from "./bytes.js";

/**
 * Length-prefixed frames for stream transports (Unix sockets): `u32 length (LE)` then
 * `length` bytes. `FrameReader` reassembles frames from arbitrary chunks without copying a
 * frame that arrived in one chunk, and copies one that did not exactly once.
 */
export function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.byteLength);
  new DataView(out.buffer).setUint32(0, body.byteLength, true);
  out.set(body, 4);
  return out;
}

/** Where a reader puts frames of `minBytes` or more that it must copy: reused buffers, given back once the frame is done with. */
export interface FrameBuffers {
  readonly minBytes: number;
  take(bytes: number): ArrayBuffer | undefined;
  give(buffer: ArrayBuffer): void;
}

/** A frame handed over: its body, whether nothing else shares its memory, and, for a pooled buffer, how to give it back. */
export type OnFrame = (body: Uint8Array, owned: boolean, release?: () => void) => void;

export class FrameReader {
  /** A length prefix split across chunks: its bytes so far. */
  readonly #head = new Uint8Array(4);
  #headHave = 0;
  /** The body of a frame that spans chunks, filled as they arrive (one copy), and how much is in. */
  #body: Uint8Array | undefined;
  #bodyHave = 0;
  /** The pooled buffer under `#body`, if it is one. */
  #bodyBuffer: ArrayBuffer | undefined;
  readonly #maxFrame: number;
  readonly #buffers: FrameBuffers | undefined;

  /** With `buffers`, a frame that must be copied is copied into one of them (`release` gives it back). */
  constructor(maxFrameBytes = 1 << 30, buffers?: FrameBuffers) {
    this.#maxFrame = maxFrameBytes;
    this.#buffers = buffers;
  }

  /**
   * Feeds a chunk; calls `onFrame` for every complete frame, in order. A frame that arrived in
   * one chunk is a view of it; a frame spread over chunks is copied once, piece by piece as
   * they arrive, into a buffer of its own, and `owned` says so (nothing else shares its memory:
   * a consumer may keep a view of it). A `transient` chunk is memory the caller reuses once
   * `push` returns (a socket's read buffer): every frame is then handed over as a copy — a
   * small one in Node's Buffer pool (not owned), a larger one in memory of its own — and
   * nothing keeps a view of the chunk. A copy into one of the reader's pooled buffers comes
   * with `release`. Throws on an oversized length.
   */
  push(chunk: Uint8Array, onFrame: OnFrame, transient = false): void {
    const n = chunk.byteLength;
    let offset = 0;
    if (this.#headHave > 0 || this.#body !== undefined) {
      offset = this.#continue(chunk, onFrame);
      if (offset < 0) return;
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, n);
    while (n - offset >= 4) {
      const length = this.#checked(view.getUint32(offset, true));
      const start = offset + 4;
      if (n - start < length) break;
      const end = start + length;
      if (!transient) onFrame(chunk.subarray(start, end), false);
      else if (length <= POOLED_COPY_MAX) onFrame(pooledCopy(chunk, start, end), false);
      else {
        const buffer = this.#pooled(length);
        if (!buffer) onFrame(copyOf(chunk.subarray(start, end)), true);
        else {
          const body = new Uint8Array(buffer, 0, length);
          body.set(chunk.subarray(start, end));
          onFrame(body, true, this.#giveBack(buffer));
        }
      }
      offset = start + length;
    }
    if (offset === n) return;
    // The start of a frame that ends in a later chunk.
    const rest = chunk.subarray(offset);
    if (rest.byteLength < 4) {
      this.#head.set(rest);
      this.#headHave = rest.byteLength;
      return;
    }
    this.#begin(view.getUint32(offset, true));
    this.#fill(rest.subarray(4));
  }

  /** Carries on the frame begun in earlier chunks; returns where the rest of `chunk` starts, or -1 when all of it went in. */
  #continue(chunk: Uint8Array, onFrame: OnFrame): number {
    let offset = 0;
    if (this.#body === undefined) {
      offset = Math.min(4 - this.#headHave, chunk.byteLength);
      this.#head.set(chunk.subarray(0, offset), this.#headHave);
      this.#headHave += offset;
      if (this.#headHave < 4) return -1;
      this.#headHave = 0;
      this.#begin(new DataView(this.#head.buffer).getUint32(0, true));
    }
    const body = this.#body as Uint8Array;
    offset += this.#fill(chunk.subarray(offset));
    if (this.#bodyHave < body.byteLength) return -1;
    const buffer = this.#bodyBuffer;
    this.#body = undefined;
    this.#bodyBuffer = undefined;
    onFrame(body, true, buffer ? this.#giveBack(buffer) : undefined);
    return offset;
  }

  #begin(length: number): void {
    // Filled whole before it is handed over.
    const buffer = this.#pooled(this.#checked(length));
    this.#bodyBuffer = buffer;
    this.#body = buffer ? new Uint8Array(buffer, 0, length) : uninitialized(length);
    this.#bodyHave = 0;
  }

  /** The stream ended: a frame it left unfinished gives its pooled buffer back. */
  close(): void {
    if (this.#bodyBuffer) this.#buffers?.give(this.#bodyBuffer);
    this.#body = undefined;
    this.#bodyBuffer = undefined;
    this.#headHave = 0;
  }

  #pooled(length: number): ArrayBuffer | undefined {
    const buffers = this.#buffers;
    return buffers && length >= buffers.minBytes ? buffers.take(length) : undefined;
  }

  #giveBack(buffer: ArrayBuffer): () => void {
    const buffers = this.#buffers as FrameBuffers;
    return () => buffers.give(buffer);
  }

  /** Copies what of `bytes` the pending body still needs; returns how many bytes it took. */
  #fill(bytes: Uint8Array): number {
    const body = this.#body as Uint8Array;
    const take = Math.min(body.byteLength - this.#bodyHave, bytes.byteLength);
    body.set(take === bytes.byteLength ? bytes : bytes.subarray(0, take), this.#bodyHave);
    this.#bodyHave += take;
    return take;
  }

  #checked(length: number): number {
    if (length > this.#maxFrame) throw new Error(`frame of ${length} bytes exceeds the limit of ${this.#maxFrame}`);
    return length;
  }
}
