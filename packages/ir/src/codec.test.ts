import { describe, expect, it } from "vitest";
import { canonicalize, encodeJson, encodeMsgpack, hashIr } from "./codec.js";
import { loadIr } from "./load.js";
import type { Ir, IrInput } from "./schema.js";
import { chainIr, loadValid, testChannel, testIr, testNode, testSource } from "./testing/builders.js";

const load = loadValid;

describe("canonical JSON", () => {
  it("is 2-space indented, ends with a newline, and lists IR keys in schema order", () => {
    const text = encodeJson(load(chainIr()));
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.split("\n")[1]).toBe('  "irVersion": 1,');
    expect(Object.keys(JSON.parse(text))).toEqual(["irVersion", "name", "nodes", "channels", "meta"]);
    expect(Object.keys(JSON.parse(text).nodes[0])).toEqual([
      "id",
      "type",
      "impl",
      "params",
      "clock",
      "inputs",
      "outputs",
      "stateful",
      "parallelism",
      "placement",
      "onError",
      "source",
    ]);
  });

  it("does not depend on the key order of the input: maps and free-form JSON are sorted", () => {
    const a = testIr([
      testSource("s", { params: { b: 1, a: { d: 2, c: [1, { z: 0, y: 1 }] } }, outputs: { y: { schema: {} }, x: { schema: {} } } }),
    ]);
    const b = testIr([
      testSource("s", { outputs: { x: { schema: {} }, y: { schema: {} } }, params: { a: { c: [1, { y: 1, z: 0 }], d: 2 }, b: 1 } }),
    ]);
    expect(encodeJson(load(a))).toBe(encodeJson(load(b)));
    expect(hashIr(load(a))).toBe(hashIr(load(b)));
  });

  it("writes -0 as 0 so that JSON and MessagePack agree", () => {
    const ir = load(testIr([testSource("s", { params: { x: -0 } })]));
    expect(Object.is(canonicalize(ir).nodes[0]?.params.x, 0)).toBe(true);
  });

  it("hash is sha256 of the canonical JSON", () => {
    expect(hashIr(load(chainIr()))).toMatch(/^sha256:[0-9a-f]{64}$/);
    const other = load({ ...chainIr(), name: "other" });
    expect(hashIr(other)).not.toBe(hashIr(load(chainIr())));
  });

  it("keeps a __proto__ key an own property when canonicalizing programmatic IR", () => {
    const ir = load(chainIr());
    const params = JSON.parse('{"__proto__": {"polluted": true}}');
    const withProto = { ...ir, nodes: [{ ...(ir.nodes[0] as Ir["nodes"][number]), params }, ...ir.nodes.slice(1)] };
    const out = canonicalize(withProto);
    expect(Object.keys(out.nodes[0]?.params ?? {})).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("MessagePack", () => {
  it("round-trips exactly and uses plain maps (no msgpackr records extension)", () => {
    const ir = load(chainIr());
    const bytes = encodeMsgpack(ir);
    // 0xd4/0xd5/0xc7 with type 0x72 ('r') would be msgpackr's record extension.
    expect(bytes[0]).toBe(0x85); // fixmap with 5 entries: irVersion, name, nodes, channels, meta
    const back = loadIr(bytes);
    expect(back.ok).toBe(true);
    expect(encodeJson((back as { ir: Ir }).ir)).toBe(encodeJson(ir));
  });

  it("is smaller than the JSON text", () => {
    const ir = load(chainIr());
    expect(encodeMsgpack(ir).length).toBeLessThan(Buffer.byteLength(encodeJson(ir)));
  });
});

// Faults known from the retriever framework's IR format, as regressions.
describe("regressions from retriever's IR", () => {
  const twoLinks: IrInput = testIr(
    [
      testSource("cam", { outputs: { image: { schema: { type: "string" } }, stamp: { schema: { type: "number" } } } }),
      testNode("fuse", {
        clock: { kind: "trigger", on: ["image"] },
        inputs: { image: { schema: { type: "string" } }, stamp: { schema: { type: "number" } } },
        outputs: {},
      }),
    ],
    [testChannel("cam.image", "fuse.image"), testChannel("cam.stamp", "fuse.stamp")],
  );

  it("an IR with two channels between the same pair of nodes saves and reloads", () => {
    const ir = load(twoLinks);
    const reloaded = loadIr(encodeJson(ir));
    expect(reloaded.ok).toBe(true);
    expect((reloaded as { ir: Ir }).ir.channels).toHaveLength(2);
    expect(loadIr(encodeMsgpack(ir)).ok).toBe(true);
  });

  it("a saved IR reloads to an equal model", () => {
    const ir = load(chainIr());
    const reloaded = load(encodeJson(ir));
    expect(reloaded).toEqual(ir);
  });

  it("re-serialization is byte-identical (no timestamps, no absolute paths)", () => {
    const first = encodeJson(load(twoLinks));
    const second = encodeJson(load(first));
    const third = encodeJson(load(encodeMsgpack(load(second))));
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(first).not.toMatch(/"(created|timestamp|time)"/i);
  });

  it("the version is checked, and unknown keys are not silently accepted", () => {
    expect(loadIr({ ...chainIr(), irVersion: 99 }).diagnostics[0]?.code).toBe("FLC1003");
    expect(loadIr({ ...chainIr(), _cached_analysis: null }).diagnostics[0]?.code).toBe("FLC1006");
  });

  it("clocks, adapters and queue policies are validated at load time", () => {
    const bad = structuredClone(chainIr()) as any;
    bad.nodes[0].clock = { Bogus: {} };
    bad.nodes[1].inputs.value.adapter = "liberal";
    bad.channels[0].capacity = 0;
    bad.channels[1].onFull = "drop";
    const codes = loadIr(bad).diagnostics.map((d) => d.code);
    expect(codes).toEqual(["FLC1004", "FLC1005", "FLC1030", "FLC1031"]);
  });
});
