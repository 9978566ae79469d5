import type { IrAdapter, IrChannel } from "@flowc/ir";
import { describe, expect, it } from "vitest";
import { InputPort } from "./adapters.js";
import { type Lease, Payload } from "./payload.js";
import { type Envelope, MemoryQueue } from "./queue.js";

const queue = (id: string) =>
  new MemoryQueue({
    id,
    from: { node: id, port: "out" },
    to: { node: "n", port: "in" },
    capacity: 100,
    onFull: "block",
  } satisfies IrChannel);
const send = (q: MemoryQueue, t: number, value: unknown, seq = t) => q.offer({ seq, t, payload: Payload.ofValue(value) });
const open = (e: Envelope) => e.payload.open();

function port(adapter: IrAdapter, ...queues: MemoryQueue[]) {
  return new InputPort("in", adapter, queues);
}

describe("adapters", () => {
  it("latest: the newest message of this step, absent when none came", () => {
    const q = queue("a");
    const p = port({ kind: "latest" }, q);
    send(q, 1, "x");
    send(q, 2, "y");
    p.drain(open);
    expect(p.sample(2)).toBe("y");
    p.drain(open);
    expect(p.sample(3)).toBeUndefined();
  });

  it("hold: the newest message ever, kept across steps", () => {
    const q = queue("a");
    const p = port({ kind: "hold" }, q);
    p.drain(open);
    expect(p.sample(0)).toBeUndefined();
    send(q, 1, "x");
    p.drain(open);
    expect(p.sample(1)).toBe("x");
    p.drain(open);
    expect(p.sample(2)).toBe("x");
  });

  it("window {size}: the last n messages, across steps", () => {
    const q = queue("a");
    const p = port({ kind: "window", size: 3 }, q);
    for (const v of [1, 2]) send(q, v, v);
    p.drain(open);
    expect(p.sample(2)).toEqual([1, 2]);
    for (const v of [3, 4, 5]) send(q, v, v);
    p.drain(open);
    expect(p.sample(5)).toEqual([3, 4, 5]);
  });

  it("window {ms}: the messages sent in the last ms", () => {
    const q = queue("a");
    const p = port({ kind: "window", ms: 100 }, q);
    for (const t of [0, 50, 120]) send(q, t, t);
    p.drain(open);
    expect(p.sample(130)).toEqual([50, 120]);
    p.drain(open);
    expect(p.sample(300)).toBeUndefined();
  });

  it("events: everything since the last step, merged across channels by send time", () => {
    const a = queue("a");
    const b = queue("b");
    const p = port({ kind: "events" }, a, b);
    send(a, 1, "a1");
    send(a, 5, "a5");
    send(b, 3, "b3");
    send(b, 5, "b5");
    const taken = p.drain(open);
    expect(taken.map((m) => m.channel)).toEqual(["a", "b", "a", "b"]);
    expect(p.sample(5)).toEqual(["a1", "b3", "a5", "b5"]);
    p.drain(open);
    expect(p.sample(6)).toBeUndefined();
  });

  it("one at a time (a latest trigger port): the oldest message across channels", () => {
    const a = queue("a");
    const b = queue("b");
    const p = port({ kind: "latest" }, a, b);
    send(a, 4, "a4");
    send(b, 2, "b2");
    expect(p.drain(open, true).map((m) => m.value)).toEqual(["b2"]);
    expect(p.sample(4)).toBe("b2");
    expect(p.pending()).toBe(true);
    expect(p.drain(open, true).map((m) => m.value)).toEqual(["a4"]);
    expect(p.pending()).toBe(false);
  });

  it("every consumer decodes its own copy", () => {
    const payload = Payload.ofValue({ list: [1, 2] });
    const first = payload.open() as { list: number[] };
    first.list.push(3);
    expect(payload.open()).toEqual({ list: [1, 2] });
  });
});

describe("borrowed values (views of shared memory)", () => {
  /** Sends a big binary value whose bytes are borrowed: `released` lists the values given back. */
  const lend = (q: MemoryQueue, t: number, released: number[]) => {
    const bytes = Payload.ofValue(new Uint8Array(70_000).fill(t)).encoded();
    return q.offer({ seq: t, t, payload: Payload.ofBytes(new Uint8Array(bytes), true, () => released.push(t)) });
  };
  /** One step as the host runs it: drain, sample, hold for the step, run, drop. */
  const step = (p: InputPort, now: number) => {
    p.drain(open);
    const value = p.sample(now);
    const leases: Lease[] = [];
    p.leaseForStep(leases);
    return {
      value,
      done: () => {
        for (const l of leases) l.drop();
      },
    };
  };

  it("latest and events: every message taken goes back once the step is done", () => {
    for (const kind of ["latest", "events"] as const) {
      const released: number[] = [];
      const q = queue("a");
      const p = port({ kind }, q);
      lend(q, 1, released);
      lend(q, 2, released);
      const s = step(p, 2);
      // latest shows only the newest: the older one goes back when the drain is done.
      expect(released).toEqual(kind === "latest" ? [1] : []);
      s.done();
      expect(released.sort()).toEqual([1, 2]);
    }
  });

  it("hold keeps the newest until a newer one replaces it; window keeps its last messages", () => {
    const released: number[] = [];
    const q = queue("a");
    const hold = port({ kind: "hold" }, q);
    lend(q, 1, released);
    step(hold, 1).done();
    expect(released).toEqual([]);
    const s = step(hold, 2);
    expect((s.value as Uint8Array)[0]).toBe(1);
    s.done();
    expect(released).toEqual([]);
    lend(q, 2, released);
    step(hold, 3).done();
    expect(released).toEqual([1]);
    hold.releaseAll();
    expect(released).toEqual([1, 2]);

    const wq = queue("w");
    const win = port({ kind: "window", size: 2 }, wq);
    const back: number[] = [];
    for (let t = 1; t <= 4; t++) {
      lend(wq, t, back);
      const s = step(win, t);
      expect((s.value as Uint8Array[]).map((v) => v[0])).toEqual(t === 1 ? [1] : [t - 1, t]);
      s.done();
      expect(back).toEqual(t <= 2 ? [] : Array.from({ length: t - 2 }, (_, i) => i + 1));
    }
    win.releaseAll();
    expect(back).toEqual([1, 2, 3, 4]);
  });

  it("a message a full queue drops gives its memory back", () => {
    const released: number[] = [];
    const q = new MemoryQueue({
      id: "d",
      from: { node: "d", port: "out" },
      to: { node: "n", port: "in" },
      capacity: 1,
      onFull: "dropOldest",
    });
    lend(q, 1, released);
    lend(q, 2, released);
    expect(released).toEqual([1]);
    const n = new MemoryQueue({
      id: "n",
      from: { node: "d", port: "out" },
      to: { node: "n", port: "in" },
      capacity: 1,
      onFull: "dropNewest",
    });
    lend(n, 3, released);
    lend(n, 4, released);
    expect(released).toEqual([1, 4]);
  });
});
