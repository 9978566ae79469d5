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

export class FrameReader {
  /** Chunks of an incomplete frame (its length prefix may itself be split). */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** The pending frame's body length, once its prefix is in. */
  #length: number | undefined;
  readonly #maxFrame: number;

  constructor(maxFrameBytes = 1 << 30) {
    this.#maxFrame = maxFrameBytes;
  }

  /**
   * Feeds a chunk; calls `onFrame` for every complete frame, in order. A frame that arrived in
   * one chunk is a view of it; a frame spread over chunks is copied once into a buffer of its
   * own, and `owned` says so (nothing else shares its memory: a consumer may keep a view of it).
   * Throws on an oversized length.
   */
  push(chunk: Uint8Array, onFrame: (body: Uint8Array, owned: boolean) => void): void {
    let offset = 0;
    if (this.#pendingBytes > 0) {
      const have = this.#pendingBytes + chunk.byteLength;
      if (have < 4) {
        this.#keep(chunk);
        return;
      }
      this.#length ??= this.#checked(this.#lengthWith(chunk));
      const length = this.#length;
      if (have < 4 + length) {
        this.#keep(chunk);
        return;
      }
      // The frame completes in this chunk: its body alone, copied once.
      const body = new Uint8Array(length);
      let at = 0;
      let skip = 4;
      for (const part of this.#pending) {
        const from = Math.min(skip, part.byteLength);
        skip -= from;
        body.set(from === 0 ? part : part.subarray(from), at);
        at += part.byteLength - from;
      }
      offset = skip + (length - at);
      body.set(chunk.subarray(skip, offset), at);
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#length = undefined;
      onFrame(body, true);
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (chunk.byteLength - offset >= 4) {
      const length = this.#checked(view.getUint32(offset, true));
      if (chunk.byteLength - offset - 4 < length) break;
      onFrame(chunk.subarray(offset + 4, offset + 4 + length), false);
      offset += 4 + length;
    }
    if (offset < chunk.byteLength) this.#keep(chunk.subarray(offset));
  }

  #keep(part: Uint8Array): void {
    this.#pending.push(part);
    this.#pendingBytes += part.byteLength;
  }

  #checked(length: number): number {
    if (length > this.#maxFrame) throw new Error(`frame of ${length} bytes exceeds the limit of ${this.#maxFrame}`);
    return length;
  }

  /** The length prefix, read from the pending parts and, if it is split, the start of `chunk`. */
  #lengthWith(chunk: Uint8Array): number {
    const head = new Uint8Array(4);
    let at = 0;
    for (const part of [...this.#pending, chunk]) {
      for (let i = 0; i < part.byteLength && at < 4; i++) head[at++] = part[i] as number;
      if (at === 4) break;
    }
    return new DataView(head.buffer).getUint32(0, true);
  }
}
