// Type-level checks: `pnpm typecheck` (part of `pnpm test:all`) fails when a line marked as an
// expected error type-checks, so these are real tests of the DSL's typing. The well-typed flow
// is also collected at run time; the ill-typed one is only type-checked, never run.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { collectFlow, flow } from "./flow.js";
import { many, node } from "./node.js";
import { events, hold, rate, trigger, window } from "./timing.js";

const Text = node("Text", { outputs: { text: z.string(), n: z.number() }, step: () => ({ text: "x", n: 1 }) });
const Num = node("Num", { inputs: { value: z.number() }, outputs: { value: z.number() }, step: () => undefined });
const Scale = node("Scale", {
  params: { factor: z.number(), note: z.string().optional() },
  inputs: { value: z.number() },
  step: () => undefined,
});
const Gain = node("Gain", {
  params: { gain: z.number().default(1), offset: z.number().default(0) },
  inputs: { value: z.number() },
  step: () => undefined,
});
const Lists = node("Lists", { inputs: { values: many(z.number()) }, step: ({ values }) => void values?.length });
const Wide = node("Wide", { inputs: { value: z.union([z.number(), z.string()]) }, step: () => undefined });

export const typed = flow("typed", ({ add, connect }) => {
  const text = add("text", Text, { clock: rate(1) });
  const num = add("num", Num);
  const wide = add("wide", Wide);
  const lists = add("lists", Lists, { inputs: { values: window({ size: 3 }) } });
  add("scale", Scale, { params: { factor: 2 } });
  add("gain", Gain); // every param has a default: no options needed
  add("gain2", Gain, { params: { offset: 3 } });

  connect(text.out.n, num.in.value);
  connect(text.out.text, wide.in.value); // string into number | string: fine
  connect(text.out.n, lists.in.values);
});

/** Never run: each marked line must fail to type-check. */
export const illTyped = flow("ill-typed", ({ add, connect }) => {
  const text = add("text", Text, { clock: rate(1) });
  const num = add("num", Num);
  const wide = add("wide", Wide);
  // @ts-expect-error a string output cannot feed a number input
  connect(text.out.text, num.in.value);
  // @ts-expect-error an input is not an output
  connect(wide.in.value, num.in.value);
  // @ts-expect-error unknown port
  connect(text.out.nope, num.in.value);
  // @ts-expect-error inputs cannot be sources
  connect(num.in.value, num.in.value);
  // @ts-expect-error params are required when the node has required params
  add("scale2", Scale);
  // @ts-expect-error wrong param type
  add("scale3", Scale, { params: { factor: "2" } });
  // @ts-expect-error a defaulted param still has its type
  add("gain3", Gain, { params: { gain: "loud" } });
  // @ts-expect-error trigger on a port the node does not have
  add("num2", Num, { clock: trigger("valu") });
  // @ts-expect-error a list input needs window or events
  add("lists2", Lists, { inputs: { values: hold() } });
  // @ts-expect-error a single-value input cannot take a list adapter
  add("num3", Num, { inputs: { value: events() } });
});

describe("DSL typing", () => {
  it("the typed flow is collected as written (errors above are compile-time only)", () => {
    const collected = collectFlow(typed);
    expect(collected.nodes.map((n) => n.id)).toEqual(["text", "num", "wide", "lists", "scale", "gain", "gain2"]);
    expect(collected.connections.length).toBe(3);
  });
});
