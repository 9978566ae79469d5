import { Packr } from "msgpackr";
import { copyRange } from "./bytes.js";

/**
 * The message codec of every engine: MessagePack through msgpackr, with typed arrays, Date and
 * bigint kept (`moreTypes`), no records extension (any MessagePack reader can decode a frame).
 */
const packr = new Packr({ useRecords: false, moreTypes: true });

export function encodeValue(value: unknown): Uint8Array {
  return encodeSmall(value) ?? packr.pack(value);
}

export function decodeValue(bytes: Uint8Array): unknown {
  const small = decodeSmall(bytes);
  return small === NOT_SMALL ? packr.unpack(bytes) : small;
}

/*
 * Fast paths for the small values most messages are — numbers, booleans, null, short ASCII
 * strings, binary values under 64 KB. They write exactly the bytes msgpackr writes (a test
 * compares them over generated values) and read them back as msgpackr does, without its
 * general machinery: a message's hop runs mostly cold, after its thread slept between
 * messages, and there msgpackr's pack and unpack cost ~30 µs each against ~3–5 µs for these
 * (bench/results/runtime.md).
 */
const scratch = new DataView(new ArrayBuffer(8));

/** The fast path's encoding of `value`, or undefined when msgpackr must write it. */
export function encodeSmall(value: unknown): Uint8Array | undefined {
  switch (typeof value) {
    case "number":
      return encodeNumber(value);
    case "boolean":
      return Uint8Array.of(value ? 0xc3 : 0xc2);
    case "string": {
      const n = value.length;
      if (n >= 32) return undefined;
      const out = new Uint8Array(1 + n);
      out[0] = 0xa0 | n;
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) return undefined;
        out[1 + i] = c;
      }
      return out;
    }
    case "object": {
      if (value === null) return Uint8Array.of(0xc0);
      if (!(value instanceof Uint8Array) || value.constructor !== Uint8Array || value.byteLength + 1 > 0xffff) return undefined;
      // ext 8 or ext 16, type 116 (typed array), kind 1 (Uint8Array), then the bytes (msgpackr
      // takes ext 32 from 65,535 bytes on).
      const n = value.byteLength;
      const head = n + 1 <= 0xff ? 4 : 5;
      const out = new Uint8Array(head + n);
      if (head === 4) {
        out[0] = 0xc7;
        out[1] = n + 1;
      } else {
        out[0] = 0xc8;
        out[1] = (n + 1) >>> 8;
        out[2] = (n + 1) & 0xff;
      }
      out[head - 2] = TYPED_ARRAY_EXT;
      out[head - 1] = UINT8_KIND;
      out.set(value, head);
      return out;
    }
    default:
      return undefined;
  }
}

function encodeNumber(v: number): Uint8Array {
  if (v >>> 0 === v) {
    if (v < 0x80) return Uint8Array.of(v);
    if (v < 0x100) return Uint8Array.of(0xcc, v);
    if (v < 0x10000) return Uint8Array.of(0xcd, v >>> 8, v & 0xff);
    return Uint8Array.of(0xce, v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  if (v >> 0 === v) {
    if (v >= -0x20) return Uint8Array.of(v & 0xff);
    if (v >= -0x80) return Uint8Array.of(0xd0, v & 0xff);
    if (v >= -0x8000) return Uint8Array.of(0xd1, (v >>> 8) & 0xff, v & 0xff);
    return Uint8Array.of(0xd2, (v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  scratch.setFloat64(0, v);
  const out = new Uint8Array(9);
  out[0] = 0xcb;
  for (let i = 0; i < 8; i++) out[1 + i] = scratch.getUint8(i);
  return out;
}

export const NOT_SMALL: unique symbol = Symbol("not a small value");

/** The fast path's reading of `b`, or NOT_SMALL when msgpackr must read it. */
export function decodeSmall(b: Uint8Array): unknown {
  const n = b.byteLength;
  const b0 = b[0] as number;
  if (n === 1) {
    if (b0 < 0x80) return b0;
    if (b0 >= 0xe0) return b0 - 0x100;
    if (b0 === 0xc0) return null;
    if (b0 === 0xc2) return false;
    if (b0 === 0xc3) return true;
    if (b0 === 0xa0) return "";
    return NOT_SMALL;
  }
  switch (b0) {
    case 0xcb:
      if (n !== 9) return NOT_SMALL;
      for (let i = 0; i < 8; i++) scratch.setUint8(i, b[1 + i] as number);
      return scratch.getFloat64(0);
    case 0xcc:
      return n === 2 ? (b[1] as number) : NOT_SMALL;
    case 0xcd:
      return n === 3 ? ((b[1] as number) << 8) | (b[2] as number) : NOT_SMALL;
    case 0xce:
      return n === 5 ? (((b[1] as number) << 24) | ((b[2] as number) << 16) | ((b[3] as number) << 8) | (b[4] as number)) >>> 0 : NOT_SMALL;
    case 0xd0:
      return n === 2 ? ((b[1] as number) << 24) >> 24 : NOT_SMALL;
    case 0xd1:
      return n === 3 ? ((((b[1] as number) << 8) | (b[2] as number)) << 16) >> 16 : NOT_SMALL;
    case 0xd2:
      return n === 5 ? ((b[1] as number) << 24) | ((b[2] as number) << 16) | ((b[3] as number) << 8) | (b[4] as number) : NOT_SMALL;
    case 0xc7:
      // A copy in memory of its own, as msgpackr gives.
      // ext 8: c7, length, type, then `length` bytes (the kind byte and the value).
      return n >= 4 && (b[1] as number) === n - 3 && (b[2] as number) === TYPED_ARRAY_EXT && (b[3] as number) === UINT8_KIND
        ? copyFrom(b, 4)
        : NOT_SMALL;
    case 0xc8:
      return n >= 5 &&
        (((b[1] as number) << 8) | (b[2] as number)) === n - 4 &&
        (b[3] as number) === TYPED_ARRAY_EXT &&
        (b[4] as number) === UINT8_KIND
        ? copyFrom(b, 5)
        : NOT_SMALL;
  }
  if ((b0 & 0xe0) === 0xa0 && n === 1 + (b0 & 0x1f)) {
    let text = "";
    for (let i = 1; i < n; i++) {
      const c = b[i] as number;
      if (c >= 0x80) return NOT_SMALL;
      text += String.fromCharCode(c);
    }
    return text;
  }
  return NOT_SMALL;
}

/** The bytes of `b` from `start` on, copied into a plain Uint8Array of their own (`b` may be a Buffer, whose `slice` is a view). */
function copyFrom(b: Uint8Array, start: number): Uint8Array {
  return copyRange(b, start, b.byteLength);
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

/** Binary values from this size on are sent as their header and their own bytes (`binaryParts`), not copied into one buffer. */
export const BINARY_PARTS_MIN = 4096;

/**
 * The encoding of a plain Uint8Array of 4 KB or more as [header, the value's own bytes] — ext 16
 * or, from 65,535 bytes on, ext 32, as msgpackr writes it — or undefined for any other value.
 */
export function binaryParts(value: unknown): [Uint8Array, Uint8Array] | undefined {
  if (!(value instanceof Uint8Array) || value.constructor !== Uint8Array || value.byteLength < BINARY_PARTS_MIN) return undefined;
  const n = value.byteLength + 1;
  if (n > 0xffff) return bigBinaryParts(value);
  return [Uint8Array.of(0xc8, n >>> 8, n & 0xff, TYPED_ARRAY_EXT, UINT8_KIND), value];
}

/** If `bytes` encode a big binary value, a view of its bytes (no copy); otherwise undefined. */
export function viewBigBinary(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.byteLength < HEADER + BIG_BINARY_MIN || bytes[0] !== EXT32 || bytes[5] !== TYPED_ARRAY_EXT || bytes[6] !== UINT8_KIND)
    return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset, HEADER).getUint32(1, false) - 1;
  if (length !== bytes.byteLength - HEADER) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset + HEADER, length);
}
