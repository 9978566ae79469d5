import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameReader, frame } from "./framing.js";

describe("frames", () => {
  it("reassemble from any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }),
        fc.boolean(),
        (bodies, cuts, transient) => {
          const stream = Buffer.concat(bodies.map((b) => frame(b)));
          const reader = new FrameReader();
          const got: number[][] = [];
          let at = 0;
          let i = 0;
          while (at < stream.length) {
            const n = cuts[i++ % cuts.length] as number;
            // Each chunk in a buffer of its own, as a socket delivers them (a Buffer, or a plain Uint8Array).
            const chunk = i % 2 === 0 ? Buffer.from(stream.subarray(at, at + n)) : Uint8Array.from(stream.subarray(at, at + n));
            const bodiesOfChunk: Uint8Array[] = [];
            reader.push(
              chunk,
              (body, owned) => {
                bodiesOfChunk.push(body);
                // An owned body is a buffer of its own; any other is a view of the chunk.
                if (owned) {
                  expect([body.byteOffset, body.buffer.byteLength]).toEqual([0, body.byteLength]);
                  expect(body.constructor).toBe(Uint8Array);
                } else expect(body.buffer).toBe(chunk.buffer);
                if (transient) expect(owned).toBe(true);
              },
              transient,
            );
            // A transient chunk is reused by its reader once push returns: nothing may depend on it.
            if (transient) chunk.fill(0xee);
            for (const body of bodiesOfChunk) got.push([...body]);
            at += n;
          }
          expect(got).toEqual(bodies.map((b) => [...b]));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses an oversized length instead of allocating it", () => {
    const reader = new FrameReader(1024);
    const bad = new Uint8Array(8);
    new DataView(bad.buffer).setUint32(0, 1 << 30, true);
    expect(() => reader.push(bad, () => {})).toThrow(/exceeds the limit/);
  });
});
