import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { POOLED_COPY_MAX } from "./bytes.js";
import { FrameReader, frame } from "./framing.js";

describe("frames", () => {
  it("reassemble from any chunking", () => {
    fc.assert(
      fc.property(
        // Bodies on both sides of POOLED_COPY_MAX (a transient chunk's small frames go to the Buffer pool).
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 1000, maxLength: 1500 })), { maxLength: 20 }),
        fc.array(fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 500, max: 4000 })), { minLength: 1 }),
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
                // An owned body is a buffer of its own; any other is a view of the chunk, or of a
                // transient chunk a copy in Node's Buffer pool (small frames only).
                if (owned) {
                  expect([body.byteOffset, body.buffer.byteLength]).toEqual([0, body.byteLength]);
                  expect(body.constructor).toBe(Uint8Array);
                } else if (transient) {
                  // (A Buffer chunk may come from the same pool: the memory must not overlap.)
                  const apart =
                    body.buffer !== chunk.buffer ||
                    body.byteOffset + body.byteLength <= chunk.byteOffset ||
                    chunk.byteOffset + chunk.byteLength <= body.byteOffset;
                  expect(apart).toBe(true);
                  expect(body.byteLength).toBeLessThanOrEqual(POOLED_COPY_MAX);
                } else expect(body.buffer).toBe(chunk.buffer);
                if (transient && body.byteLength > POOLED_COPY_MAX) expect(owned).toBe(true);
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
