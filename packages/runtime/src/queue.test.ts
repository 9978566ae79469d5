import type { IrChannel } from "@flowc/ir";
import { describe, expect, it } from "vitest";
import { Payload } from "./payload.js";
import { MemoryQueue, onFullAction } from "./queue.js";

const channel = (onFull: IrChannel["onFull"], capacity = 3): IrChannel => ({
  id: "a.out->b.in",
  from: { node: "a", port: "out" },
  to: { node: "b", port: "in" },
  capacity,
  onFull,
});
const env = (seq: number) => ({ seq, t: seq, payload: Payload.ofValue(seq) });
const drain = (q: MemoryQueue) => {
  const out: number[] = [];
  for (let e = q.take(); e; e = q.take()) out.push(e.seq);
  return out;
};

describe("MemoryQueue and the onFull policies", () => {
  it("dropOldest evicts the oldest waiting message and counts it", () => {
    const q = new MemoryQueue(channel("dropOldest"));
    for (let i = 0; i < 7; i++) expect(q.offer(env(i))).toBe("accepted");
    expect(drain(q)).toEqual([4, 5, 6]);
    expect(q.dropped()).toBe(4);
  });

  it("dropNewest discards the arriving message and counts it", () => {
    const q = new MemoryQueue(channel("dropNewest"));
    for (let i = 0; i < 7; i++) expect(q.offer(env(i))).toBe("accepted");
    expect(drain(q)).toEqual([0, 1, 2]);
    expect(q.dropped()).toBe(4);
  });

  it("block refuses when full, loses nothing, and accepts again after a take", () => {
    const q = new MemoryQueue(channel("block"));
    expect([0, 1, 2, 3].map((i) => q.offer(env(i)))).toEqual(["accepted", "accepted", "accepted", "full"]);
    expect(q.take()?.seq).toBe(0);
    expect(q.offer(env(3))).toBe("accepted");
    expect(drain(q)).toEqual([1, 2, 3]);
    expect(q.dropped()).toBe(0);
  });

  it("is drained only once closed and empty; wraps around many times", () => {
    const q = new MemoryQueue(channel("block", 4));
    const seen: number[] = [];
    for (let i = 0; i < 1000; i++) {
      q.offer(env(i));
      if (i % 3 === 2) seen.push(...drain(q));
    }
    seen.push(...drain(q));
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(q.drained()).toBe(false);
    q.offer(env(1000));
    q.close();
    expect(q.drained()).toBe(false);
    q.take();
    expect(q.drained()).toBe(true);
  });

  it("maps each policy to one action", () => {
    expect(["dropOldest", "dropNewest", "block"].map((p) => onFullAction(p as IrChannel["onFull"]))).toEqual([
      "evictOldest",
      "discardNew",
      "refuse",
    ]);
  });
});
