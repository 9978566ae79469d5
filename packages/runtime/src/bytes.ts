/** From this size on, a buffer about to be overwritten whole is allocated without zeroing it. */
const UNZEROED_MIN = 4096;

/**
 * A plain Uint8Array of `n` bytes with an ArrayBuffer of its own, its memory not zeroed from
 * 4 KB on: for copies of received bytes, which overwrite all of it — zeroing first would be a
 * second pass over every byte. Callers fill it before anyone else sees it.
 */
export function uninitialized(n: number): Uint8Array<ArrayBuffer> {
  if (n < UNZEROED_MIN) return new Uint8Array(n);
  return new Uint8Array(Buffer.allocUnsafeSlow(n).buffer as ArrayBuffer, 0, n);
}

/** A copy of `bytes` in memory of its own, as a plain Uint8Array (a Buffer's `slice` would be a view). */
export function copyOf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = uninitialized(bytes.byteLength);
  out.set(bytes);
  return out;
}

/**
 * Up to this many bytes a copy goes byte by byte: a typed array this small lives in V8's heap,
 * and a view of it (`subarray`) first moves it into an ArrayBuffer of its own — a malloc and a
 * copy that cost more than the bytes, most of all on a thread that just woke up.
 */
const SMALL_COPY_MAX = 64;

/** A copy of `bytes[start, end)` in memory of its own, as a plain Uint8Array. */
export function copyRange(bytes: Uint8Array, start: number, end: number): Uint8Array<ArrayBuffer> {
  const n = end - start;
  return fill(n > SMALL_COPY_MAX ? uninitialized(n) : new Uint8Array(n), bytes, start, n);
}

/** Copies `bytes[start, start + n)` into `out` (which holds `n` bytes), byte by byte when small. */
function fill<T extends Uint8Array>(out: T, bytes: Uint8Array, start: number, n: number): T {
  if (n > SMALL_COPY_MAX) out.set(bytes.subarray(start, start + n));
  else for (let i = 0; i < n; i++) out[i] = bytes[start + i] as number;
  return out;
}

/** Up to this many bytes `pooledCopy` takes memory from Node's Buffer pool (which serves up to half its 8 KB slabs). */
export const POOLED_COPY_MAX = 1024;

/**
 * A copy of `bytes[start, end)` (at most `POOLED_COPY_MAX` bytes) in Node's Buffer pool: for
 * the many small frames of a read buffer that is reused at once. Cheaper than an array of its
 * own (~160 against ~400 ns per small frame, with the DataView a reader makes over it), but it
 * shares its ArrayBuffer with other small buffers: never hand out a view of the whole buffer.
 */
export function pooledCopy(bytes: Uint8Array, start: number, end: number): Buffer {
  const n = end - start;
  return fill(Buffer.allocUnsafe(n), bytes, start, n);
}
