import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameReader, frame } from "./framing.js";

describe("frames", () => {
  it("reassemble from any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }),
        (bodies, cuts) => {
          const stream = Buffer.concat(bodies.map((b) => frame(b)));
          const reader = new FrameReader();
          const got: number[][] = [];
          let at = 0;
          let i = 0;
          while (at < stream.length) {
            const n = cuts[i++ % cuts.length] as number;
            // Each chunk in a buffer of its own, as a socket delivers them.
            const chunk = Uint8Array.from(stream.subarray(at, at + n));
            reader.push(chunk, (body, owned) => {
              got.push([...body]);
              // An owned body is a buffer of its own; any other is a view of the chunk.
              if (owned) expect([body.byteOffset, body.buffer.byteLength]).toEqual([0, body.byteLength]);
              else expect(body.buffer).toBe(chunk.buffer);
            });
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
