import { describe, expect, it } from "vitest";
import { encodeMsgpack } from "../codec.js";
import { catalogue, type DiagnosticName, formatCode } from "../diagnostics/catalogue.js";
import { loadIr } from "../load.js";
import type { Ir, IrInput } from "../schema.js";
import { chainIr, testChannel, testIr, testNode, testSource } from "../testing/builders.js";

/** Loads and returns [code, path] pairs of all diagnostics. */
function problems(input: unknown): [string, string | undefined][] {
  const result = loadIr(input);
  return result.diagnostics.map((d) => [d.code, d.path]);
}

function code(name: DiagnosticName): string {
  return formatCode(catalogue[name].code);
}

function mutate(f: (ir: any) => void): IrInput {
  const ir = structuredClone(chainIr());
  f(ir);
  return ir;
}

describe("IR validation rules", () => {
  it("accepts the chain and fills in defaults", () => {
    const result = loadIr(chainIr());
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
    const ir = (result as { ir: Ir }).ir;
    expect(ir.channels[0]).toMatchObject({ capacity: 10, onFull: "block" });
    expect(ir.nodes[1]).toMatchObject({ parallelism: 1, placement: null, onError: "stop", params: {}, stateful: false, source: null });
    expect(ir.nodes[1]?.inputs.value?.adapter).toEqual({ kind: "latest" });
  });

  it("FLC1001 invalid JSON text, with line and column", () => {
    const result = loadIr('{\n  "irVersion": 1,\n  "name": }');
    expect(result.ok).toBe(false);
    expect(result.diagnostics[0]).toMatchObject({ code: code("IrJsonSyntax"), line: 3, column: 11 });
  });

  it("FLC1002 invalid MessagePack bytes", () => {
    const bytes = encodeMsgpack((loadIr(chainIr()) as { ir: Ir }).ir);
    expect(problems(bytes.subarray(0, bytes.length - 3))).toEqual([[code("IrMsgpackSyntax"), undefined]]);
    expect(problems(new Uint8Array([0xc1]))).toEqual([[code("IrMsgpackSyntax"), undefined]]);
  });

  it("FLC1003 unsupported or missing irVersion lists the supported versions", () => {
    const result = loadIr({ ...chainIr(), irVersion: 2 });
    expect(problems({ ...chainIr(), irVersion: 2 })).toEqual([[code("IrVersionUnsupported"), "/irVersion"]]);
    expect(result.diagnostics[0]?.message).toContain("this flowc reads irVersion 1");
    const { irVersion: _, ...noVersion } = chainIr();
    expect(problems(noVersion)).toEqual([[code("IrVersionUnsupported"), ""]]);
  });

  it("FLC1004 missing property", () => {
    expect(problems(mutate((ir) => delete ir.nodes[1].type))).toEqual([[code("IrMissingProperty"), "/nodes/1/type"]]);
    expect(problems(mutate((ir) => delete ir.nodes[1].clock.kind))).toEqual([[code("IrMissingProperty"), "/nodes/1/clock/kind"]]);
  });

  it("FLC1005 wrong type or empty value", () => {
    expect(problems(mutate((ir) => (ir.name = 42)))).toEqual([[code("IrInvalidValue"), "/name"]]);
    expect(problems(mutate((ir) => (ir.name = "")))).toEqual([[code("IrInvalidValue"), "/name"]]);
    expect(problems(mutate((ir) => (ir.nodes = {})))).toEqual([[code("IrInvalidValue"), "/nodes"]]);
    expect(problems([1, 2])).toEqual([[code("IrInvalidValue"), ""]]);
    expect(problems(mutate((ir) => (ir.nodes[0].params = { x: Number.NaN })))).toEqual([[code("IrInvalidValue"), "/nodes/0/params/x"]]);
  });

  it("FLC1006 unknown properties anywhere", () => {
    expect(problems(mutate((ir) => (ir.extra = 1)))).toEqual([[code("IrUnknownProperty"), "/extra"]]);
    expect(problems(mutate((ir) => (ir.nodes[2].parallelsm = 2)))).toEqual([[code("IrUnknownProperty"), "/nodes/2/parallelsm"]]);
    expect(problems(mutate((ir) => (ir.channels[0].to.prot = "x")))).toEqual([[code("IrUnknownProperty"), "/channels/0/to/prot"]]);
  });

  it("FLC1007 documents nested beyond reason are refused, not crashed on", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const result = loadIr(mutate((ir) => (ir.nodes[0].params = { deep })));
    expect(result.ok).toBe(false);
    expect(result.diagnostics[0]?.code).toMatch(/^FLC100[57]$/);
  });

  it("FLC1007 a cyclic object (only possible from code) is refused, not crashed on", () => {
    const ir = structuredClone(chainIr()) as any;
    ir.nodes[0].params = { self: {} };
    ir.nodes[0].params.self.loop = ir.nodes[0].params;
    const result = loadIr(ir);
    expect(result.ok).toBe(false);
    expect(result.diagnostics[0]?.code).toMatch(/^FLC100[57]$/);
  });

  it("FLC1010 duplicate node id", () => {
    expect(problems(mutate((ir) => (ir.nodes[2].id = "double")))).toContainEqual([code("DuplicateNodeId"), "/nodes/2/id"]);
  });

  it("FLC1011 duplicate channel id", () => {
    expect(problems(mutate((ir) => ir.channels.push(structuredClone(ir.channels[0]))))).toEqual([
      [code("DuplicateChannelId"), "/channels/3/id"],
    ]);
  });

  it("FLC1012 channel endpoint names an unknown node", () => {
    expect(problems(mutate((ir) => (ir.channels[1].to.node = "nowhere")))).toEqual([
      [code("UnknownNode"), "/channels/1/to/node"],
      [code("TriggerUnconnectedPort"), "/nodes/2/clock/on/0"],
    ]);
  });

  it("FLC1013 channel endpoint names an unknown port, listing the ports", () => {
    const result = loadIr(mutate((ir) => (ir.channels[0].from.port = "valu")));
    expect(result.diagnostics.map((d) => [d.code, d.path])).toEqual([[code("UnknownPort"), "/channels/0/from/port"]]);
    expect(result.diagnostics[0]?.message).toContain("its output ports are: value");
  });

  it("FLC1014 output to output and input to input", () => {
    const ir = testIr(
      [testSource("a"), testNode("b", { inputs: { x: { schema: {} } }, clock: { kind: "rate", hz: 1 } })],
      [testChannel("a.value", "b.value"), testChannel("b.x", "a.value", { id: "back" })],
    );
    expect(problems(ir)).toEqual([
      [code("ChannelDirection"), "/channels/0/to/port"],
      [code("ChannelDirection"), "/channels/1/from/port"],
      [code("ChannelDirection"), "/channels/1/to/port"],
    ]);
  });

  it("FLC1015 incompatible port schemas across a channel", () => {
    const result = loadIr(mutate((ir) => (ir.nodes[3].inputs.value.schema = { type: "string" })));
    expect(result.diagnostics.map((d) => [d.code, d.path])).toEqual([[code("PortSchemaMismatch"), "/channels/2"]]);
    expect(result.diagnostics[0]?.message).toContain(
      "plus10.value produces values that sink.value does not accept: number is not assignable to string.",
    );
  });

  it("FLC1016 a channel into a narrower schema is a warning, not an error", () => {
    const intOnly = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
    const result = loadIr(mutate((ir) => (ir.nodes[3].inputs.value.schema = intOnly)));
    expect(result.ok).toBe(true);
    expect(result.diagnostics.map((d) => [d.code, d.severity, d.path])).toEqual([[code("ChannelNarrowsSchema"), "warning", "/channels/2"]]);
    expect(result.diagnostics[0]?.message).toBe(
      "Channel 'plus10.value->sink.value': sink.value accepts only integer ≥ 0, but plus10.value produces number; values outside it reach the node unchecked.",
    );
    const wider = loadIr(mutate((ir) => (ir.nodes[2].outputs.value.schema = intOnly)));
    expect(wider.diagnostics).toEqual([]);
  });

  it("FLC1020 rate must be finite and positive", () => {
    expect(problems(mutate((ir) => (ir.nodes[0].clock.hz = 0)))).toEqual([[code("ClockRateInvalid"), "/nodes/0/clock/hz"]]);
    expect(problems(mutate((ir) => (ir.nodes[0].clock.hz = -5)))).toEqual([[code("ClockRateInvalid"), "/nodes/0/clock/hz"]]);
    expect(problems(mutate((ir) => (ir.nodes[0].clock.hz = Number.POSITIVE_INFINITY)))).toEqual([
      [code("ClockRateInvalid"), "/nodes/0/clock/hz"],
    ]);
    expect(problems(mutate((ir) => (ir.nodes[0].clock.hz = Number.NaN)))).toEqual([[code("ClockRateInvalid"), "/nodes/0/clock/hz"]]);
  });

  it("FLC1021 trigger on an unknown port", () => {
    expect(problems(mutate((ir) => (ir.nodes[1].clock.on = ["value", "other"])))).toEqual([
      [code("TriggerUnknownPort"), "/nodes/1/clock/on/1"],
    ]);
  });

  it("FLC1022 trigger on an unconnected port", () => {
    const ir = mutate((ir) => {
      ir.nodes[1].inputs.extra = { schema: {} };
      ir.nodes[1].clock.on = ["value", "extra"];
    });
    expect(problems(ir)).toEqual([[code("TriggerUnconnectedPort"), "/nodes/1/clock/on/1"]]);
  });

  it("FLC1023 unknown clock kind", () => {
    expect(problems(mutate((ir) => (ir.nodes[0].clock = { kind: "tick", hz: 1 })))).toEqual([
      [code("ClockKindUnknown"), "/nodes/0/clock/kind"],
    ]);
  });

  it("FLC1024 unknown lag policy", () => {
    expect(problems(mutate((ir) => (ir.nodes[0].clock.onLag = "panic")))).toEqual([[code("LagPolicyUnknown"), "/nodes/0/clock/onLag"]]);
  });

  it("FLC1025 free clock on a node with inputs", () => {
    expect(problems(mutate((ir) => (ir.nodes[1].clock = { kind: "free" })))).toEqual([[code("FreeClockWithInputs"), "/nodes/1/clock"]]);
  });

  it("FLC1026 a cycle that no tick and no message from outside can start", () => {
    const cyclic = testIr([testNode("a"), testNode("b")], [testChannel("a.value", "b.value"), testChannel("b.value", "a.value")]);
    expect(problems(cyclic)).toEqual([[code("CycleWithoutClock"), "/nodes/0"]]);
    expect(loadIr(cyclic).diagnostics[0]?.message).toBe(
      "The cycle a -> b -> a can never start: none of its nodes has a rate or hybrid clock, and no channel from outside the cycle feeds a port one of them triggers on.",
    );
    const started = testIr([testNode("a", { clock: { kind: "hybrid", hz: 5, on: ["value"] } }), testNode("b")], cyclic.channels);
    expect(problems(started)).toEqual([]);
    const selfLoop = testIr([testNode("a")], [testChannel("a.value", "a.value")]);
    expect(problems(selfLoop)).toEqual([[code("CycleWithoutClock"), "/nodes/0"]]);
  });

  it("FLC1026 does not refuse a cycle fed from outside on a port it triggers on", () => {
    // s (rate) → p.a; p → q; q → p.b: every message from s lets p run first.
    const p = testNode("p", {
      inputs: { a: { schema: { type: "number" } }, b: { schema: { type: "number" } } },
      clock: { kind: "trigger", on: ["a", "b"] },
    });
    const channels = [testChannel("s.value", "p.a"), testChannel("p.value", "q.value"), testChannel("q.value", "p.b")];
    expect(problems(testIr([testSource("s"), p, testNode("q")], channels))).toEqual([]);
    // Fed from outside, but only on a port that does not trigger: no message can start it.
    const deaf = { ...p, clock: { kind: "trigger" as const, on: ["b"] } };
    expect(problems(testIr([testSource("s"), deaf, testNode("q")], channels))).toEqual([[code("CycleWithoutClock"), "/nodes/1"]]);
    // Channels between nodes of the cycle do not count, whichever ports they feed.
    const inner = testIr(
      [p, testNode("q"), testNode("r")],
      [testChannel("p.value", "q.value"), testChannel("q.value", "r.value"), testChannel("r.value", "p.a"), testChannel("q.value", "p.b")],
    );
    expect(problems(inner)).toEqual([[code("CycleWithoutClock"), "/nodes/0"]]);
  });

  it("FLC1030 capacity must be an integer >= 1", () => {
    for (const bad of [0, -1, 1.5, "8"]) {
      expect(problems(mutate((ir) => (ir.channels[0].capacity = bad)))).toEqual([[code("CapacityInvalid"), "/channels/0/capacity"]]);
    }
  });

  it("FLC1031 unknown onFull policy", () => {
    expect(problems(mutate((ir) => (ir.channels[0].onFull = "drop")))).toEqual([[code("OnFullUnknown"), "/channels/0/onFull"]]);
  });

  it("FLC1032 unknown adapter kind", () => {
    expect(problems(mutate((ir) => (ir.nodes[1].inputs.value.adapter = { kind: "newest" })))).toEqual([
      [code("AdapterKindUnknown"), "/nodes/1/inputs/value/adapter/kind"],
    ]);
  });

  it("FLC1033 window adapter needs exactly one of size or ms", () => {
    const at = "/nodes/1/inputs/value/adapter";
    expect(problems(mutate((ir) => (ir.nodes[1].inputs.value.adapter = { kind: "window" })))).toEqual([[code("WindowAdapterInvalid"), at]]);
    expect(problems(mutate((ir) => (ir.nodes[1].inputs.value.adapter = { kind: "window", size: 2, ms: 5 })))).toEqual([
      [code("WindowAdapterInvalid"), at],
    ]);
    expect(problems(mutate((ir) => (ir.nodes[1].inputs.value.adapter = { kind: "window", size: 0 })))).toEqual([
      [code("WindowAdapterInvalid"), `${at}/size`],
    ]);
    expect(problems(mutate((ir) => (ir.nodes[1].inputs.value.adapter = { kind: "window", ms: -1 })))).toEqual([
      [code("WindowAdapterInvalid"), `${at}/ms`],
    ]);
    expect(problems(mutate((ir) => (ir.nodes[1].inputs.value.adapter = { kind: "window", size: 4 })))).toEqual([]);
  });

  it("FLC1040 parallelism must be an integer >= 1", () => {
    for (const bad of [0, 2.5, -3]) {
      expect(problems(mutate((ir) => (ir.nodes[1].parallelism = bad)))).toEqual([[code("ParallelismInvalid"), "/nodes/1/parallelism"]]);
    }
  });

  it("FLC1041 parallelism > 1 on a stateful node", () => {
    expect(problems(mutate((ir) => (ir.nodes[0].parallelism = 4)))).toEqual([[code("ParallelismOnStatefulNode"), "/nodes/0/parallelism"]]);
    expect(problems(mutate((ir) => (ir.nodes[1].parallelism = 4)))).toEqual([]);
  });

  it("FLC1042 invalid node ids and port names", () => {
    expect(problems(mutate((ir) => (ir.nodes[3].id = "my.sink")))).toContainEqual([code("InvalidIdentifier"), "/nodes/3/id"]);
    expect(problems(mutate((ir) => (ir.nodes[3].inputs["bad port"] = { schema: {} })))).toContainEqual([
      code("InvalidIdentifier"),
      "/nodes/3/inputs/bad port",
    ]);
    expect(problems(mutate((ir) => (ir.nodes[3].inputs["speech.1"] = { schema: {} })))).toContainEqual([
      code("InvalidIdentifier"),
      "/nodes/3/inputs/speech.1",
    ]);
    expect(problems(mutate((ir) => (ir.nodes[3].inputs["-speech"] = { schema: {} })))).toContainEqual([
      code("InvalidIdentifier"),
      "/nodes/3/inputs/-speech",
    ]);
  });

  it("port names may hold '-' as Dora's ids do (speech-1), in ports, triggers and channels", () => {
    const ir = mutate((ir) => {
      const sink = ir.nodes[3];
      const port = Object.keys(sink.inputs)[0] as string;
      sink.inputs["speech-1"] = sink.inputs[port];
      delete sink.inputs[port];
      if (sink.clock.on) sink.clock.on = sink.clock.on.map((p: string) => (p === port ? "speech-1" : p));
      for (const c of ir.channels) if (c.to.node === sink.id && c.to.port === port) c.to.port = "speech-1";
    });
    expect(problems(ir)).toEqual([]);
  });

  it("FLC1043 absolute or Windows paths are refused", () => {
    expect(problems(mutate((ir) => (ir.nodes[0].impl.module = "/home/me/nodes.mjs")))).toEqual([
      [code("AbsolutePath"), "/nodes/0/impl/module"],
    ]);
    expect(problems(mutate((ir) => (ir.nodes[0].source = { file: "C:\\src\\demo.flow.ts", line: 1, column: 1 })))).toEqual([
      [code("AbsolutePath"), "/nodes/0/source/file"],
    ]);
  });

  it("reports every problem at once, not only the first", () => {
    const result = loadIr(
      mutate((ir) => {
        ir.nodes[2].id = "double";
        ir.channels[0].capacity = 0;
        ir.channels[1].onFull = "drop";
      }),
    );
    expect(result.diagnostics.map((d) => d.code)).toEqual([code("CapacityInvalid"), code("OnFullUnknown")]);
  });
});
