import { describe, expect, it } from "vitest";
import { BIG_BINARY_MIN, BINARY_PARTS_MIN, bigBinaryParts, binaryParts, encodeValue, viewBigBinary } from "./codec.js";
import { Payload } from "./payload.js";

const concat = (parts: readonly Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));

describe("big binary payloads", () => {
  const big = new Uint8Array(BIG_BINARY_MIN + 5).map((_, i) => (i * 7) & 0xff);

  it("the header written before a big Uint8Array is msgpackr's own", () => {
    expect(concat(bigBinaryParts(big)).equals(Buffer.from(encodeValue(big)))).toBe(true);
    const slice = big.subarray(3);
    expect(concat(bigBinaryParts(slice)).equals(Buffer.from(encodeValue(slice)))).toBe(true);
  });

  it("binary values of 4 KB and more go out as msgpackr's header and their own bytes", () => {
    for (const n of [BINARY_PARTS_MIN, 40_000, 0xfffe - 1, 0xfffe, 0xffff, 0x10000, BIG_BINARY_MIN + 5]) {
      const value = new Uint8Array(n).map((_, i) => (i * 13) & 0xff);
      const parts = binaryParts(value) as [Uint8Array, Uint8Array];
      expect(parts[1]).toBe(value);
      expect(concat(parts).equals(Buffer.from(encodeValue(value)))).toBe(true);
    }
    expect(binaryParts(new Uint8Array(BINARY_PARTS_MIN - 1))).toBeUndefined();
    expect(binaryParts(Buffer.alloc(BINARY_PARTS_MIN))).toBeUndefined();
  });

  it("encodedParts does not copy a big binary; other values encode as one piece", () => {
    const parts = Payload.ofValue(big).encodedParts();
    expect(parts).toHaveLength(2);
    expect(parts[1]).toBe(big);
    expect(Payload.ofValue({ a: 1 }).encodedParts()).toEqual([encodeValue({ a: 1 })]);
    expect(Payload.ofValue(Buffer.from(big)).encodedParts()).toHaveLength(1); // a Buffer is MessagePack bin, not this
  });

  it("an exclusive payload opens a big binary as a view, a shared one as a copy; both equal", () => {
    const bytes = encodeValue(big);
    const view = Payload.ofBytes(bytes, true).open() as Uint8Array;
    const copy = Payload.ofBytes(bytes).open() as Uint8Array;
    expect(view.constructor).toBe(Uint8Array);
    expect(view.buffer).toBe(bytes.buffer);
    expect(copy.buffer).not.toBe(bytes.buffer);
    expect(Buffer.from(view).equals(Buffer.from(big))).toBe(true);
    expect(Buffer.from(copy).equals(Buffer.from(big))).toBe(true);
    expect(viewBigBinary(encodeValue({ frame: big }))).toBeUndefined();
    expect(viewBigBinary(encodeValue(new Uint8Array(10)))).toBeUndefined();
  });
});
