import type { IrChannel } from "@flowc/ir";
import { describe, expect, it } from "vitest";
import { FrameReader, frame } from "../framing.js";
import { Payload } from "../payload.js";
import type { Outbound } from "../queue.js";
import { BufferPool } from "./buffer-pool.js";
import { Lender } from "./lender.js";
import { isSlotView } from "./slots.js";

const outbound = (byReference: boolean): Outbound => ({
  channel: { id: "c" } as IrChannel,
  byReference,
  offer: () => "accepted",
  close: () => {},
});

describe("reused frame buffers", () => {
  it("without slots, a large frame is lent from the pool and comes back once every channel sent it", () => {
    const lender = new Lender(undefined, new BufferPool(16 * 1024 * 1024));
    expect(lender.lend(1000)).toBeUndefined(); // small: ordinary memory
    const lent = lender.lend(1_000_000);
    if (!lent) throw new Error("nothing lent");
    expect(lent.byteLength).toBe(1_000_000);
    expect(isSlotView(lent)).toBe(true); // not the node's to keep
    const payload = Payload.ofValue(lent, 2);
    expect(lender.claim(lent.subarray(1), payload, [outbound(true)])).toBe(false);
    expect(lender.claim(lent, payload, [outbound(true), outbound(true)])).toBe(true);
    expect(lender.claim(lent, Payload.ofValue(lent), [outbound(true)])).toBe(false); // emitted already
    payload.whenSent(2, () => lender.sent(payload));
    // One channel offered it and still writes it; the other is done.
    expect(payload.holdSent()).toBe(true);
    payload.sent();
    payload.sent();
    expect(lender.lend(1_000_000)?.buffer).not.toBe(lent.buffer);
    lender.reclaim();
    payload.sent(); // written
    expect(lender.lend(1_000_000)?.buffer).toBe(lent.buffer);
  });

  it("a channel that would hand the memory on as it is (one inside the process) gets a copy; the buffer goes back when the step ends", () => {
    const lender = new Lender(undefined, new BufferPool(16 * 1024 * 1024));
    const lent = lender.lend(200_000);
    if (!lent) throw new Error("nothing lent");
    expect(lender.claim(lent, Payload.ofValue(lent, 2), [outbound(true), outbound(false)])).toBe(false);
    const other = lender.lend(200_000);
    expect(other?.buffer).not.toBe(lent.buffer);
    lender.reclaim();
    const again = [lender.lend(200_000)?.buffer, lender.lend(200_000)?.buffer];
    expect(again.includes(lent.buffer) && again.includes(other?.buffer)).toBe(true);
  });

  it("the pool is bounded: beyond it `allocate` is ordinary memory", () => {
    const pool = new BufferPool(4 * 1024 * 1024);
    const lender = new Lender(undefined, pool);
    expect(lender.lend(3 * 1024 * 1024)).toBeDefined();
    expect(lender.lend(3 * 1024 * 1024)).toBeUndefined();
    expect(pool.bytes).toBe(3 * 1024 * 1024);
  });

  it("a reader copies a frame that spans chunks into a pooled buffer, reused once released", () => {
    const pool = new BufferPool(16 * 1024 * 1024);
    const reader = new FrameReader(undefined, pool);
    const body = Uint8Array.from({ length: 300_000 }, (_, i) => i % 251);
    const stream = frame(body);
    const got: { body: Uint8Array; release?: () => void }[] = [];
    const feed = () => {
      for (let at = 0; at < stream.byteLength; at += 70_000)
        reader.push(stream.subarray(at, at + 70_000), (b, owned, release) => {
          expect(owned).toBe(true);
          got.push({ body: b, ...(release ? { release } : {}) });
        });
    };
    feed();
    const first = got[0];
    expect(first?.body).toEqual(body);
    expect(isSlotView(first?.body)).toBe(true);
    feed();
    expect(got[1]?.body.buffer).not.toBe(first?.body.buffer); // the first is still held
    first?.release?.();
    feed();
    expect(got[2]?.body.buffer).toBe(first?.body.buffer);
    expect(got[2]?.body).toEqual(body);
    // A frame cut off by the end of its stream gives its buffer back.
    got[1]?.release?.();
    got[2]?.release?.();
    reader.push(stream.subarray(0, 100_000), () => {});
    reader.close();
    expect(pool.bytes).toBe(2 * 327_680); // two buffers of the 320 KB class, nothing more
  });
});
