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
