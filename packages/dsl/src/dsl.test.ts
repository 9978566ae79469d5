import { describe, expect, it } from "vitest";
import { z } from "zod";
import { collectFlow, FlowDefinitionError, flow, MAX_PARALLELISM } from "./flow.js";
import { isNodeDef, many, node } from "./node.js";
import { events, free, hold, hybrid, latest, rate, trigger, window } from "./timing.js";

const Source = node("Source", { outputs: { value: z.number(), label: z.string() }, step: () => ({ value: 1, label: "a" }) });
const Double = node("Double", {
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }) => (value === undefined ? undefined : { value: value * 2 }),
});
const Mean = node("Mean", {
  inputs: { value: many(z.number()) },
  outputs: { mean: z.number() },
  step: ({ value }) => (value?.length ? { mean: value.reduce((a, b) => a + b, 0) / value.length } : undefined),
});

describe("clocks and adapters are IR-shaped data", () => {
  it("clocks", () => {
    expect(rate(10)).toEqual({ kind: "rate", hz: 10, onLag: "warn" });
    expect(rate(2, { onLag: "catchUp" })).toEqual({ kind: "rate", hz: 2, onLag: "catchUp" });
    expect(trigger("a", "b")).toEqual({ kind: "trigger", on: ["a", "b"] });
    expect(hybrid(5, "a")).toEqual({ kind: "hybrid", hz: 5, onLag: "warn", on: ["a"] });
    expect(free()).toEqual({ kind: "free" });
  });

  it("adapters", () => {
    expect([latest(), hold(), events()]).toEqual([{ kind: "latest" }, { kind: "hold" }, { kind: "events" }]);
    expect(window({ size: 4 })).toEqual({ kind: "window", size: 4 });
    expect(window({ ms: 250 })).toEqual({ kind: "window", ms: 250 });
  });
});

describe("node()", () => {
  it("returns a definition carrying its shapes and spec", () => {
    expect(isNodeDef(Double)).toBe(true);
    expect(Double.type).toBe("Double");
    expect(Object.keys(Double.inputs)).toEqual(["value"]);
    expect(Object.keys(Source.params)).toEqual([]);
  });

  it("rejects definitions that cannot run", () => {
    expect(() => node("", { step: () => undefined })).toThrow(/non-empty/);
    expect(() => node("X", {})).toThrow(/needs a step or a source/);
    const gen = async function* () {};
    expect(() => node("X", { step: () => undefined, source: gen })).toThrow(/either step or source/);
    expect(() => node("X", { inputs: { a: z.number() }, source: gen })).toThrow(/a source has no inputs/);
  });

  it("steps are plain functions a runtime can call", async () => {
    const ctx = {
      params: {},
      state: undefined,
      log: console,
      now: 0,
      fired: ["value" as const],
      emit: () => {},
      allocate: (n: number) => new Uint8Array(n),
    };
    expect(await Double.spec.step?.({ value: 21 }, ctx)).toEqual({ value: 42 });
    expect(await Mean.spec.step?.({ value: [1, 2, 3] }, { ...ctx, fired: ["value"] })).toEqual({ mean: 2 });
  });
});

describe("collectFlow()", () => {
  it("records nodes, options and connections in order", () => {
    const f = flow("pipeline", ({ add, connect, chain }) => {
      const src = add("src", Source, { clock: rate(30) });
      const a = add("a", Double);
      const b = add("b", Double, { parallelism: 2, placement: "gpu" });
      const mean = add("mean", Mean, { inputs: { value: window({ size: 4 }) } });
      chain(src, a, b);
      connect(b.out.value, mean.in.value, { capacity: 100, onFull: "block" });
    });
    const collected = collectFlow(f);
    expect(collected.name).toBe("pipeline");
    expect(collected.nodes.map((n) => [n.id, n.def.type])).toEqual([
      ["src", "Source"],
      ["a", "Double"],
      ["b", "Double"],
      ["mean", "Mean"],
    ]);
    expect(collected.nodes[2]?.options).toEqual({ parallelism: 2, placement: "gpu" });
    expect(collected.connections.map((c) => `${c.from.node}.${c.from.port}->${c.to.node}.${c.to.port}`)).toEqual([
      "src.value->a.value",
      "a.value->b.value",
      "b.value->mean.value",
    ]);
    expect(collected.connections[2]?.options).toEqual({ capacity: 100, onFull: "block" });
  });

  it("reports duplicate ids and chains without a common port", () => {
    expect(() =>
      collectFlow(
        flow("dup", ({ add }) => {
          add("x", Double);
          add("x", Double);
        }),
      ),
    ).toThrow(FlowDefinitionError);
    expect(() =>
      collectFlow(
        flow("nochain", ({ add, chain }) => {
          chain(add("m", Mean), add("d", Double));
        }),
      ),
    ).toThrow(/'m' has no output named like an input of 'd'/);
  });

  it("handles expose list inputs", () => {
    collectFlow(
      flow("h", ({ add }) => {
        const m = add("m", Mean);
        expect(m.in.value).toEqual({ kind: "flowc.in", node: "m", port: "value", list: true });
        expect(add("d", Double).in.value.list).toBe(false);
      }),
    );
  });
});

describe("limits and odd names", () => {
  it("parallelism outside 1..64 is a FlowDefinitionError, as the compiler refuses it (FLC1040)", () => {
    expect(MAX_PARALLELISM).toBe(64);
    for (const bad of [0, 65, 2 ** 31, 1.5, Number.NaN]) {
      const def = flow("p", ({ add }) => {
        add("d", Double, { parallelism: bad });
      });
      expect(() => collectFlow(def), String(bad)).toThrow(/parallelism must be an integer from 1 to 64/);
    }
    expect(collectFlow(flow("p", ({ add }) => void add("d", Double, { parallelism: 64 }))).nodes).toHaveLength(1);
  });

  it("a port named __proto__ is a port of the handle, not its prototype", () => {
    const Odd = node("Odd", { inputs: { ["__proto__"]: z.number() }, outputs: { ["__proto__"]: z.number() }, step: () => undefined });
    let seen: string[] = [];
    collectFlow(
      flow("odd", ({ add }) => {
        const handle = add("odd", Odd);
        seen = [...Object.keys(handle.in), ...Object.keys(handle.out)];
        expect(Object.getPrototypeOf(handle.in)).toBe(Object.prototype);
      }),
    );
    expect(seen).toEqual(["__proto__", "__proto__"]);
  });
});
