/**
 * Length-prefixed frames for stream transports (Unix sockets): `u32 length (LE)` then
 * `length` bytes. `FrameReader` reassembles frames from arbitrary chunks without copying a
 * frame that arrived in one chunk.
 */
export function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.byteLength);
  new DataView(out.buffer).setUint32(0, body.byteLength, true);
  out.set(body, 4);
  return out;
}

export class FrameReader {
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  readonly #maxFrame: number;

  constructor(maxFrameBytes = 1 << 30) {
    this.#maxFrame = maxFrameBytes;
  }

  /** Feeds a chunk; calls `onFrame` for every complete frame, in order. Throws on an oversized length. */
  push(chunk: Uint8Array, onFrame: (body: Uint8Array) => void): void {
    let data = chunk;
    if (this.#pendingBytes > 0) {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.byteLength;
      if (this.#pendingBytes < 4) return;
      const need = 4 + this.#peekLength();
      if (this.#pendingBytes < need) return;
      data = concat(this.#pending, this.#pendingBytes);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    let offset = 0;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    while (data.byteLength - offset >= 4) {
      const length = view.getUint32(offset, true);
      if (length > this.#maxFrame) throw new Error(`frame of ${length} bytes exceeds the limit of ${this.#maxFrame}`);
      if (data.byteLength - offset - 4 < length) break;
      onFrame(data.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    if (offset < data.byteLength) {
      const rest = data.subarray(offset);
      this.#pending = [rest];
      this.#pendingBytes = rest.byteLength;
    }
  }

  #peekLength(): number {
    const head = concat(this.#pending, Math.min(4, this.#pendingBytes));
    return new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
  }
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    if (at >= total) break;
    const n = Math.min(p.byteLength, total - at);
    out.set(n === p.byteLength ? p : p.subarray(0, n), at);
    at += n;
  }
  return out;
}
