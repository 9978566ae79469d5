import { MessageChannel } from "node:worker_threads";
import type { IrChannel } from "@flowc/ir";
import { MemoryQueue, Payload } from "@flowc/runtime";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRing, Doorbells, RingInbound, RingOutbound } from "./ring.js";

const channel = (onFull: IrChannel["onFull"], capacity: number): IrChannel => ({
  id: "a.out->b.in",
  from: { node: "a", port: "out" },
  to: { node: "b", port: "in" },
  capacity,
  onFull,
});

describe("shared-memory ring", () => {
  it("behaves exactly like the in-memory queue for every policy, message size and interleaving", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("offer" as const), size: fc.integer({ min: 0, max: 9000 }) }),
      fc.record({ kind: fc.constant("take" as const), size: fc.constant(0) }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom("dropOldest", "dropNewest", "block") as fc.Arbitrary<IrChannel["onFull"]>,
        fc.integer({ min: 1, max: 40 }),
        fc.array(op, { maxLength: 300 }),
        (policy, capacity, ops) => {
          const c = channel(policy, capacity);
          const bells = Doorbells.create(2);
          const spec = createRing(c, 0, 1);
          const { port1, port2 } = new MessageChannel();
          const out = new RingOutbound(c, spec, bells, port1);
          const inp = new RingInbound(c, spec, bells, port2);
          const model = new MemoryQueue(c);
          let seq = 0;
          for (const o of ops) {
            if (o.kind === "offer") {
              const value = "x".repeat(o.size);
              const e = { seq, t: seq, payload: Payload.ofValue(value) };
              seq++;
              expect(out.offer(e)).toBe(model.offer(e));
            } else {
              const a = inp.take();
              const b = model.take();
              expect(a?.seq).toBe(b?.seq);
              if (a) expect(a.payload.open()).toBe(b?.payload.open());
            }
            expect(inp.size()).toBe(model.size());
            expect(inp.dropped()).toBe(model.dropped());
          }
          port1.close();
        },
      ),
      { numRuns: 300 },
    );
  });

  it("stops one executor without stopping the others, and wakes it if it sleeps", async () => {
    const bells = Doorbells.create(3);
    const token = bells.token(1);
    const woken = bells.waitAsync(1, token, 10_000);
    bells.requestStop(1);
    await woken;
    expect([0, 1, 2].map((e) => bells.stopRequested(e))).toEqual([false, true, false]);
    expect(bells.token(1)).not.toBe(token);
    // A second view over the same memory (another thread) sees the same flags.
    expect(new Doorbells(bells.sab).stopRequested(1)).toBe(true);
  });

  it("closes after the last message", () => {
    const c = channel("block", 4);
    const bells = Doorbells.create(2);
    const spec = createRing(c, 0, 1);
    const out = new RingOutbound(c, spec, bells, undefined);
    const inp = new RingInbound(c, spec, bells, undefined);
    out.offer({ seq: 0, t: 1.5, payload: Payload.ofValue({ a: [1, 2] }) });
    out.close();
    expect(inp.drained()).toBe(false);
    expect(inp.headTime()).toBe(1.5);
    expect(inp.take()?.payload.open()).toEqual({ a: [1, 2] });
    expect(inp.drained()).toBe(true);
  });
});
