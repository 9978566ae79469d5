import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { decodeSmall, decodeValue, encodeSmall, encodeValue, NOT_SMALL } from "./codec.js";

// msgpackr with the codec's own settings: the fast paths must write exactly its bytes.
const packr = new Packr({ useRecords: false, moreTypes: true });

const small = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
  fc.constantFrom(
    0,
    -0,
    127,
    128,
    255,
    256,
    65_535,
    65_536,
    2 ** 32 - 1,
    2 ** 32,
    -32,
    -33,
    -128,
    -129,
    -32_768,
    -32_769,
    -(2 ** 31),
    -(2 ** 31) - 1,
  ),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 8 }),
  fc.uint8Array({ maxLength: 300 }),
);
// Binary values around the ext 8 / ext 16 / big-binary boundaries, at the top level only (deep
// comparisons of big arrays are slow).
const binary = fc
  .oneof(fc.integer({ min: 250, max: 260 }), fc.integer({ min: 65_530, max: 65_540 }), fc.integer({ min: 261, max: 70_000 }))
  .map((n) => new Uint8Array(n).fill(n & 0xff));
const anything = fc.oneof(
  small,
  binary,
  fc.array(small, { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 5 }), small, { maxKeys: 3 }),
);

describe("codec fast paths", () => {
  it("write exactly msgpackr's bytes", () => {
    fc.assert(
      fc.property(anything, (value) => {
        expect(Buffer.from(encodeValue(value)).equals(Buffer.from(packr.pack(value)))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("read back what msgpackr reads, numbers bit for bit, binary values in memory of their own", () => {
    fc.assert(
      fc.property(anything, (value) => {
        // Received bytes are often a view into a bigger Buffer (a socket's read).
        const bytes = Buffer.concat([Buffer.from([1, 2, 3]), packr.pack(value)]).subarray(3);
        const ours = decodeValue(bytes);
        const theirs = packr.unpack(bytes);
        if (typeof theirs === "number") expect(Object.is(ours, theirs)).toBe(true);
        else if (theirs instanceof Uint8Array) {
          if (!(ours instanceof Uint8Array)) throw new Error("not a Uint8Array");
          expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
          expect(ours.constructor).toBe(Uint8Array);
          expect(ours.buffer).not.toBe(bytes.buffer);
        } else expect(ours).toEqual(theirs);
      }),
      { numRuns: 1000 },
    );
  });

  it("read back everything they write without msgpackr", () => {
    fc.assert(
      fc.property(small, (value) => {
        const bytes = encodeSmall(value);
        if (bytes === undefined) return;
        const back = decodeSmall(bytes);
        expect(back).not.toBe(NOT_SMALL);
        // As msgpackr reads it (-0 is written as 0, by msgpackr too).
        expect(back).toEqual(packr.unpack(bytes));
      }),
      { numRuns: 1000 },
    );
    for (const n of [0, 1, 250, 254, 255, 256, 65_533, 65_534])
      expect(decodeSmall(encodeSmall(new Uint8Array(n)) as Uint8Array)).toEqual(new Uint8Array(n));
  });

  it("leave everything else to msgpackr (truncated or foreign bytes)", () => {
    expect(() => decodeValue(Uint8Array.of(0xcb, 1, 2))).toThrow();
    expect(decodeValue(Uint8Array.of(0xa2, 0xc3, 0xa9))).toBe("é");
    expect(decodeValue(Uint8Array.of(0xd4, 0, 0))).toBeUndefined();
  });
});
