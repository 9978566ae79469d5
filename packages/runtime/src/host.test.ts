import { loadValid, testChannel, testIr, testNode, testSource } from "@flowc/ir/testing";
import { describe, expect, it } from "vitest";
import { NodeHost } from "./host.js";
import { Payload } from "./payload.js";
import { MemoryQueue } from "./queue.js";

const NUMBER = { schema: { type: "number" } } as const;

/** A node `pair` triggered by `a` and `b` (latest), fed by two queues the test fills by hand. */
function pairHost(seen: { fired: readonly string[]; inputs: unknown }[]) {
  const ir = loadValid(
    testIr(
      [
        testSource("src", { outputs: { value: NUMBER } }),
        testNode("pair", { clock: { kind: "trigger", on: ["a", "b"] }, inputs: { a: NUMBER, b: NUMBER }, outputs: {} }),
      ],
      [testChannel("src.value", "pair.a"), testChannel("src.value", "pair.b")],
    ),
  );
  const [toA, toB] = ir.channels.map((c) => new MemoryQueue(c)) as [MemoryQueue, MemoryQueue];
  const spec = {
    step: (inputs: unknown, ctx: { fired: readonly string[] }) => {
      seen.push({ fired: [...ctx.fired], inputs });
      return undefined;
    },
  };
  const env = {
    log: () => {},
    warn: () => {},
    nodeStarted: () => {},
    nodeEnded: () => {},
    record: undefined,
    validate: false,
  };
  const host = new NodeHost(
    ir.nodes[1] as (typeof ir.nodes)[number],
    { spec, params: {}, state: undefined } as never,
    {
      inputs: new Map([
        ["a", [toA]],
        ["b", [toB]],
      ]),
      outputs: new Map(),
    },
    env,
  );
  return { host, toA, toB };
}

describe("NodeHost", () => {
  it("names in `fired` every port the step took a message from, also one that arrived after the clock fired", async () => {
    const seen: { fired: readonly string[]; inputs: unknown }[] = [];
    const { host, toA, toB } = pairHost(seen);
    expect(await host.setup()).toBe(true);
    toA.offer({ seq: 0, t: 0, payload: Payload.ofValue(1) });
    const action = host.poll(0);
    expect(action).toMatchObject({ kind: "step", fired: { ports: ["a"] } });
    // On a thread or a process, b's message lands between the poll and the step.
    toB.offer({ seq: 0, t: 0, payload: Payload.ofValue(2) });
    await host.run(action as NonNullable<typeof action>, 0);
    expect(seen).toEqual([{ fired: ["a", "b"], inputs: { a: 1, b: 2 } }]);
  });

  it("a node that ended discards what still arrives, counted as dropped, until its inputs close", async () => {
    const { host, toA, toB } = pairHost([]);
    expect(await host.setup()).toBe(true);
    await host.end("FAILED", 0, { nodeId: "pair", message: "boom", stack: null, code: null });
    toA.offer({ seq: 0, t: 0, payload: Payload.ofValue(1) });
    toA.offer({ seq: 1, t: 0, payload: Payload.ofValue(2) });
    toB.offer({ seq: 0, t: 0, payload: Payload.ofValue(3) });
    expect(host.discardInputs()).toBe(true);
    expect(host.dropped()).toBe(3);
    expect(host.inputsDrained()).toBe(false);
    toA.close();
    toB.close();
    expect(host.discardInputs()).toBe(false);
    expect(host.inputsDrained()).toBe(true);
  });
});
