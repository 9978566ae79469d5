import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { copyOf, copyRange, uninitialized } from "./bytes.js";

describe("copyRange", () => {
  it("copies any range of any source into a plain Uint8Array with a buffer of its own", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.nat(),
        fc.constantFrom("plain", "buffer", "shared", "offset"),
        (bytes, a, b, kind) => {
          let source: Uint8Array = bytes;
          if (kind === "buffer") source = Buffer.from(bytes);
          if (kind === "shared") {
            source = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
            source.set(bytes);
          }
          if (kind === "offset") {
            const backing = new Uint8Array(bytes.byteLength + 7);
            backing.set(bytes, 7);
            source = backing.subarray(7);
          }
          const start = bytes.byteLength === 0 ? 0 : a % bytes.byteLength;
          const end = start + (bytes.byteLength === 0 ? 0 : b % (bytes.byteLength - start + 1));
          const copy = copyRange(source, start, end);
          expect(copy.constructor).toBe(Uint8Array);
          expect(copy.byteOffset).toBe(0);
          expect(copy.buffer).toBeInstanceOf(ArrayBuffer);
          expect(copy.buffer.byteLength).toBe(end - start);
          expect([...copy]).toEqual([...bytes.subarray(start, end)]);
          // A copy: writing the source later leaves it unchanged.
          if (end > start) {
            const before = copy[0];
            source[start] = ((source[start] as number) + 1) & 0xff;
            expect(copy[0]).toBe(before);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("copyOf and uninitialized", () => {
  it("give plain arrays of exactly the size asked, small and large", () => {
    for (const n of [0, 1, 64, 4095, 4096, 70_000]) {
      const u = uninitialized(n);
      expect(u.byteLength).toBe(n);
      expect(u.buffer.byteLength).toBe(n);
      const source = Buffer.alloc(n, 7);
      const c = copyOf(source);
      expect(c.constructor).toBe(Uint8Array);
      expect(c.every((x) => x === 7)).toBe(true);
    }
  });
});
