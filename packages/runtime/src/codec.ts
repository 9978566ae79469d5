import { Packr } from "msgpackr";

/**
 * The message codec of every engine: MessagePack through msgpackr, with typed arrays, Date and
 * bigint kept (`moreTypes`), no records extension (any MessagePack reader can decode a frame).
 */
const packr = new Packr({ useRecords: false, moreTypes: true });

export function encodeValue(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function decodeValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/**
 * A plain Uint8Array of 64 KB or more, the shape of large payloads (frames, images). msgpackr
 * writes it as ext 32 with type 116 (typed array) and kind 1 (Uint8Array): a 7-byte header,
 * then the bytes. Knowing that, a transport can write header and bytes without first copying
 * them into one buffer, and a consumer that owns its bytes can take a view instead of a copy.
 * A test pins the header against msgpackr's own output.
 */
export const BIG_BINARY_MIN = 65_536;
const EXT32 = 0xc9;
const TYPED_ARRAY_EXT = 116;
const UINT8_KIND = 1;
const HEADER = 7;

export function isBigBinary(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.constructor === Uint8Array && value.byteLength >= BIG_BINARY_MIN;
}

/** The encoding of a big binary value as [header, the value's own bytes]: no copy. */
export function bigBinaryParts(value: Uint8Array): [Uint8Array, Uint8Array] {
  const header = new Uint8Array(HEADER);
  const view = new DataView(header.buffer);
  header[0] = EXT32;
  view.setUint32(1, value.byteLength + 1, false);
  header[5] = TYPED_ARRAY_EXT;
  header[6] = UINT8_KIND;
  return [header, value];
}

/** If `bytes` encode a big binary value, a view of its bytes (no copy); otherwise undefined. */
export function viewBigBinary(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.byteLength < HEADER + BIG_BINARY_MIN || bytes[0] !== EXT32 || bytes[5] !== TYPED_ARRAY_EXT || bytes[6] !== UINT8_KIND)
    return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset, HEADER).getUint32(1, false) - 1;
  if (length !== bytes.byteLength - HEADER) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset + HEADER, length);
}
