import { describe, expect, it } from "vitest";
import { chainIr, loadValid, testChannel, testIr, testNode, testSource } from "../testing/builders.js";
import { analyze } from "./analyze.js";
import { fuse, fusedId, isFusedNode } from "./fuse.js";

const load = loadValid;

describe("analyze", () => {
  it("orders a chain, finds sources and sinks, and fuses it into one partition", () => {
    const a = analyze(load(chainIr()));
    expect(a.order).toEqual(["counter", "double", "plus10", "sink"]);
    expect(a.sources).toEqual(["counter"]);
    expect(a.sinks).toEqual(["sink"]);
    expect(a.cycles).toEqual([]);
    expect(a.partitions).toEqual([["counter", "double", "plus10", "sink"]]);
    expect(a.nodes.map((n) => n.effectiveRateHz)).toEqual([1, 1, 1, 1]);
  });

  it("breaks ties by declaration order, even when nodes are declared after their consumers", () => {
    const ir = load(
      testIr(
        [
          testNode("sink", { inputs: { a: { schema: {} }, b: { schema: {} } }, clock: { kind: "trigger", on: ["a", "b"] }, outputs: {} }),
          testSource("right"),
          testSource("left"),
        ],
        [testChannel("right.value", "sink.a"), testChannel("left.value", "sink.b")],
      ),
    );
    expect(analyze(ir).order).toEqual(["right", "left", "sink"]);
  });

  it("finds cycles, orders them as a unit, and leaves their rates unknown", () => {
    const ir = load(
      testIr(
        [
          testSource("src"),
          testNode("a", { inputs: { value: { schema: {} }, back: { schema: {} } }, clock: { kind: "hybrid", hz: 10, on: ["value"] } }),
          testNode("b"),
          testNode("out", { outputs: {} }),
        ],
        [
          testChannel("src.value", "a.value"),
          testChannel("a.value", "b.value"),
          testChannel("b.value", "a.back"),
          testChannel("b.value", "out.value"),
        ],
      ),
    );
    const a = analyze(ir);
    expect(a.cycles).toEqual([["a", "b"]]);
    expect(a.order).toEqual(["src", "a", "b", "out"]);
    expect(a.nodes.map((n) => [n.id, n.inCycle, n.effectiveRateHz])).toEqual([
      ["src", false, 1],
      ["a", true, null],
      ["b", true, null],
      ["out", false, null],
    ]);
    // Nothing in a cycle is fused.
    expect(a.partitions).toEqual([["src"], ["a"], ["b"], ["out"]]);
  });

  it("sums the rates feeding trigger ports; hybrid adds its own rate; fan-in/out degrees", () => {
    const ir = load(
      testIr(
        [
          testSource("fast", { clock: { kind: "rate", hz: 30 } }),
          testSource("slow", { clock: { kind: "rate", hz: 2 } }),
          testNode("merge", { clock: { kind: "trigger", on: ["value"] } }),
          testNode("h", { clock: { kind: "hybrid", hz: 5, on: ["value"] } }),
          testNode("gen", { clock: { kind: "free" }, inputs: {} }),
          testNode("after", { outputs: {} }),
        ],
        [
          testChannel("fast.value", "merge.value"),
          testChannel("slow.value", "merge.value"),
          testChannel("merge.value", "h.value"),
          testChannel("gen.value", "after.value"),
        ],
      ),
    );
    const a = analyze(ir);
    const by = Object.fromEntries(a.nodes.map((n) => [n.id, n]));
    expect(by.merge?.effectiveRateHz).toBe(32);
    expect(by.h?.effectiveRateHz).toBe(37);
    expect(by.gen?.effectiveRateHz).toBeNull();
    expect(by.after?.effectiveRateHz).toBeNull();
    expect([by.merge?.fanIn, by.merge?.fanOut, by.fast?.fanOut]).toEqual([2, 1, 1]);
  });

  it("does not fuse across fan-out, fan-in, rate clocks, time windows, parallelism or placement", () => {
    const base = () => structuredClone(chainIr()) as any;
    const cases: [string, (ir: any) => void, string[][]][] = [
      ["fan-out", (ir) => ir.channels.push(testChannel("double.value", "sink.value")), [["counter", "double"], ["plus10"], ["sink"]]],
      [
        "rate clock",
        (ir) => (ir.nodes[2].clock = { kind: "rate", hz: 5 }),
        [
          ["counter", "double"],
          ["plus10", "sink"],
        ],
      ],
      [
        "time window",
        (ir) => (ir.nodes[2].inputs.value.adapter = { kind: "window", ms: 100 }),
        [
          ["counter", "double"],
          ["plus10", "sink"],
        ],
      ],
      ["parallelism", (ir) => (ir.nodes[2].parallelism = 2), [["counter", "double"], ["plus10"], ["sink"]]],
      ["placement", (ir) => (ir.nodes[3].placement = "gpu-box"), [["counter", "double", "plus10"], ["sink"]]],
    ];
    for (const [name, change, expected] of cases) {
      const ir = base();
      change(ir);
      expect(analyze(load(ir)).partitions, name).toEqual(expected);
    }
  });

  it("handles 100,000-node chains without recursion limits", () => {
    const n = 100_000;
    const nodes = [testSource("n0")];
    const channels = [];
    for (let i = 1; i < n; i++) {
      nodes.push(testNode(`n${i}`, { clock: { kind: "hybrid", hz: 1, on: ["value"] } }));
      channels.push(testChannel(`n${i - 1}.value`, `n${i}.value`));
    }
    channels.push(testChannel(`n${n - 1}.value`, "n0.value"));
    nodes[0] = testNode("n0", { clock: { kind: "rate", hz: 1 } });
    const a = analyze(load(testIr(nodes, channels)));
    expect(a.cycles).toHaveLength(1);
    expect(a.cycles[0]).toHaveLength(n);
    expect(a.order[0]).toBe("n0");
  });
});

describe("fuse", () => {
  it("lowers a chain into one fused node that keeps the head's clock and inputs and the tail's outputs", () => {
    const ir = load(
      testIr(
        [testSource("src"), testNode("a"), testNode("b"), testNode("c"), testNode("out", { outputs: {} })],
        [
          testChannel("src.value", "a.value"),
          testChannel("a.value", "b.value"),
          testChannel("b.value", "c.value"),
          testChannel("c.value", "out.value"),
          testChannel("src.value", "out.value", { id: "direct" }),
        ],
      ),
    );
    const parts = analyze(ir).partitions;
    expect(parts).toEqual([["src"], ["a", "b", "c"], ["out"]]);
    const fused = fuse(ir);
    expect(fused.nodes.map((n) => n.id)).toEqual(["src", fusedId(["a", "b", "c"]), "out"]);
    const node = fused.nodes[1];
    if (!node || !isFusedNode(node)) throw new Error("expected a fused node");
    expect(node.impl.members.map((m) => m.id)).toEqual(["a", "b", "c"]);
    expect(node.impl.channels.map((c) => c.id)).toEqual(["a.value->b.value", "b.value->c.value"]);
    expect(node.clock).toEqual(ir.nodes[1]?.clock);
    expect(Object.keys(node.inputs)).toEqual(["value"]);
    expect(fused.channels.map((c) => [c.id, c.from.node, c.to.node])).toEqual([
      ["src.value->a.value", "src", "a+b+c"],
      ["c.value->out.value", "a+b+c", "out"],
      ["direct", "src", "out"],
    ]);
  });

  it("refuses partitions that are not chains", () => {
    const ir = load(chainIr());
    expect(() => fuse(ir, [["counter", "plus10"], ["double"], ["sink"]])).toThrow(/middle/);
  });
});
