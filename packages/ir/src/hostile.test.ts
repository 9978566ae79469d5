import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { encodeJson, encodeMsgpack, sortJson } from "./codec.js";
import { catalogue, type DiagnosticName, formatCode } from "./diagnostics/catalogue.js";
import { quote } from "./diagnostics/diagnostic.js";
import { JsonLocator } from "./diagnostics/locate.js";
import { loadIr, validateIr } from "./load.js";
import { type Ir, type IrInput, MAX_NESTING, MAX_PARALLELISM } from "./schema.js";
import { chainIr, testIr, testNode, testSource } from "./testing/builders.js";

// Inputs a careless or hostile author can write. Each must end in coded diagnostics — never a
// crash, a silently dropped value, or a module imported from outside the IR's directory.

const code = (name: DiagnosticName) => formatCode(catalogue[name].code);
const problems = (input: unknown, options = {}) => loadIr(input, options).diagnostics.map((d) => [d.code, d.path]);
const mutate = (f: (ir: any) => void): IrInput => {
  const ir = structuredClone(chainIr());
  f(ir);
  return ir;
};
const packr = new Packr({ useRecords: false, variableMapSize: true });

describe("deeply nested documents", () => {
  const nested = (depth: number, inner = "1") => `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;
  const withParams = (params: string) =>
    `{"irVersion":1,"name":"deep","nodes":[{"id":"a","type":"T","impl":{"module":"a.mjs","export":"A"},"clock":{"kind":"rate","hz":1},"params":{"p":${params}}}],"meta":{"compiler":"x","sourceHash":null}}`;

  for (const depth of [5_000, 100_000]) {
    it(`a document nested ${depth} levels deep is FLC1007 at the first bracket too deep, before it is parsed`, () => {
      const text = nested(depth);
      const loaded = loadIr(text);
      expect(loaded.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([[code("IrTooComplex"), 1, MAX_NESTING + 1]]);
      expect(loaded.diagnostics[0]?.message).toContain(`deeper than ${MAX_NESTING} levels`);
      // Locating keeps the position it has, and indexes a text this deep without recursion.
      const [located] = new JsonLocator(text).locateAll(loaded.diagnostics, "deep.ir.json");
      expect(located).toMatchObject({ line: 1, column: MAX_NESTING + 1 });
      expect(new JsonLocator(text).locate(`/${"0/".repeat(depth - 2)}0`)).toMatchObject({ line: 1 });
    });

    it(`params nested ${depth} levels deep are FLC1007 at the first level too deep, located`, () => {
      const text = withParams(nested(depth));
      const loaded = loadIr(text);
      expect(loaded.diagnostics.map((d) => d.code)).toEqual([code("IrTooComplex")]);
      // params is level 4, its value 5: the container at level MAX_NESTING + 1 is reported.
      expect(loaded.diagnostics[0]?.column).toBe(text.indexOf('"p":[') + 4 + 1 + (MAX_NESTING - 4));
    });

    it(`unclosed arrays ${depth} levels deep are refused as too deep`, () => {
      const text = `${"[".repeat(depth)}}`;
      expect(loadIr(text).diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([[code("IrTooComplex"), 1, MAX_NESTING + 1]]);
    });

    it(`MessagePack nested ${depth} levels deep is refused before it is unpacked`, () => {
      const bytes = new Uint8Array(depth + 1).fill(0x91);
      bytes[depth] = 0x01;
      // {irVersion: 1, p: [[[…]]]}: the deep value inside an otherwise plausible document.
      const wrapped = Uint8Array.from([0x82, ...packr.pack("irVersion"), 0x01, 0xa1, 0x70, ...bytes]);
      for (const input of [bytes, wrapped]) {
        const diagnostics = loadIr(input, { format: "msgpack" }).diagnostics;
        expect(diagnostics.map((d) => d.code)).toEqual([code("IrTooComplex")]);
      }
    });
  }

  it("a syntax error inside the nesting limit is FLC1001 with its position", () => {
    const text = `${"[".repeat(200)}}`;
    expect(loadIr(text).diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([[code("IrJsonSyntax"), 1, 201]]);
  });

  it("brackets inside strings do not count as nesting", () => {
    const text = withParams(JSON.stringify("[".repeat(10_000)));
    expect(loadIr(text).diagnostics.map((d) => d.code)).not.toContain(code("IrTooComplex"));
  });

  it("params exactly at the limit load", () => {
    // params (level 4) holding 252 nested arrays reaches level 256.
    expect(loadIr(withParams(nested(MAX_NESTING - 4))).ok).toBe(true);
    expect(loadIr(withParams(nested(MAX_NESTING - 3))).ok).toBe(false);
  });
});

describe("__proto__ and constructor", () => {
  const text = (node: string) => `{"irVersion":1,"name":"p","nodes":[${node}],"channels":[],"meta":{"compiler":"x","sourceHash":null}}`;
  const base = `"type":"T","impl":{"module":"nodes/t.mjs","export":"T"},"clock":{"kind":"rate","hz":1}`;

  it("node and channel ids __proto__ and constructor are ordinary ids", () => {
    const ir = testIr(
      [testSource("__proto__"), testNode("constructor")],
      [{ id: "__proto__", from: { node: "__proto__", port: "value" }, to: { node: "constructor", port: "value" } }],
    );
    const loaded = loadIr(ir);
    expect(loaded.diagnostics).toEqual([]);
    const back = loadIr(encodeJson((loaded as { ir: Ir }).ir));
    expect((back as { ir: Ir }).ir.nodes.map((n) => n.id)).toEqual(["__proto__", "constructor"]);
    const packed = loadIr(encodeMsgpack((loaded as { ir: Ir }).ir));
    expect((packed as { ir: Ir }).ir.channels[0]?.id).toBe("__proto__");
  });

  it("a __proto__ key in params, a port record or a port schema is reported, not dropped (JSON)", () => {
    const cases: [string, string, DiagnosticName][] = [
      [`{"id":"a",${base},"params":{"__proto__":{"x":1},"b":2}}`, "/nodes/0/params/__proto__", "IrInvalidValue"],
      [`{"id":"a",${base},"params":{"b":{"__proto__":1}}}`, "/nodes/0/params/b/__proto__", "IrInvalidValue"],
      [`{"id":"a",${base},"outputs":{"__proto__":{}}}`, "/nodes/0/outputs/__proto__", "InvalidIdentifier"],
      [`{"id":"a",${base},"outputs":{"v":{"schema":{"__proto__":{}}}}}`, "/nodes/0/outputs/v/schema/__proto__", "IrInvalidValue"],
      [
        `{"id":"a",${base},"outputs":{"v":{"schema":{"properties":{"__proto__":{}}}}}}`,
        "/nodes/0/outputs/v/schema/properties/__proto__",
        "IrInvalidValue",
      ],
    ];
    for (const [node, path, name] of cases) expect(problems(text(node)), node).toEqual([[code(name), path]]);
    // With other problems beside it, the __proto__ key is still among them.
    expect(problems(text(`{"id":"a",${base},"params":{"__proto__":1},"stateful":3}`))).toEqual([
      [code("IrInvalidValue"), "/nodes/0/params/__proto__"],
      [code("IrInvalidValue"), "/nodes/0/stateful"],
    ]);
  });

  it("the same in MessagePack, which msgpackr would otherwise decode as '__proto_'", () => {
    const value = JSON.parse(text(`{"id":"a",${base},"params":{"__proto__":{"x":1}}}`));
    expect(problems(packr.pack(value))).toEqual([[code("IrInvalidValue"), "/nodes/0/params/__proto__"]]);
    const schema = JSON.parse(text(`{"id":"a",${base},"outputs":{"v":{"schema":{"__proto__":1}}}}`));
    expect(problems(packr.pack(schema))).toEqual([[code("IrInvalidValue"), "/nodes/0/outputs/v/schema/__proto__"]]);
  });

  it("canonical encoding keeps a __proto__ key as a key through JSON and MessagePack", () => {
    const value = JSON.parse('{"b":1,"__proto__":{"y":[{"__proto__":2}]},"constructor":3}');
    const sorted = sortJson(value) as Record<string, unknown>;
    expect(Object.keys(sorted)).toEqual(["__proto__", "b", "constructor"]);
    expect(Object.getPrototypeOf(sorted)).toBe(Object.prototype);
    const text = JSON.stringify(sorted);
    expect(text).toBe('{"__proto__":{"y":[{"__proto__":2}]},"b":1,"constructor":3}');
    expect(JSON.stringify(sortJson(JSON.parse(text)))).toBe(text);
  });
});

describe("values that are missing, too long or out of range", () => {
  it("a property holding undefined is missing, not 'undefined nothing'", () => {
    const loaded = loadIr(mutate((ir) => (ir.nodes[1].type = undefined)));
    expect(loaded.diagnostics.map((d) => [d.code, d.path, d.message])).toEqual([
      [code("IrMissingProperty"), "/nodes/1/type", "Required property 'type' is missing."],
    ]);
    expect(loaded.diagnostics[0]?.message).not.toContain("undefined");
  });

  it(`parallelism is at most ${MAX_PARALLELISM} (FLC1040)`, () => {
    for (const bad of [MAX_PARALLELISM + 1, 2 ** 31, 1e300]) {
      const loaded = loadIr(mutate((ir) => (ir.nodes[1].parallelism = bad)));
      expect(loaded.diagnostics.map((d) => [d.code, d.path])).toEqual([[code("ParallelismInvalid"), "/nodes/1/parallelism"]]);
      expect(loaded.diagnostics[0]?.message).toContain(`from 1 to ${MAX_PARALLELISM}`);
    }
    expect(problems(mutate((ir) => (ir.nodes[1].parallelism = MAX_PARALLELISM)))).toEqual([]);
  });

  it("messages quote at most a hundred characters of a user's string, and lists of names are cut short", () => {
    expect(quote("x".repeat(1_000_000))).toBe(`'${"x".repeat(97)}... (1000000 characters)'`);
    const inputs = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`in${i}`, { schema: {} }]));
    const loaded = loadIr(mutate((ir) => Object.assign(ir.nodes[1], { inputs, clock: { kind: "trigger", on: ["nope"] } })));
    const unknown = loaded.diagnostics.find((d) => d.name === "TriggerUnknownPort");
    expect(unknown?.message).toContain("(5000 in all)");
    expect(unknown?.message.length).toBeLessThan(400);
    const long = loadIr(mutate((ir) => (ir.channels[0].from.node = "n".repeat(100_000))));
    expect(long.diagnostics.map((d) => d.code)).toEqual([code("UnknownNode")]);
    expect(long.diagnostics[0]?.message.length).toBeLessThan(400);
  });

  it("thousands of duplicate channel ids each name the first", () => {
    const channels = Array.from({ length: 20_000 }, () => ({
      id: "same",
      from: { node: "a", port: "value" },
      to: { node: "b", port: "value" },
    }));
    const loaded = loadIr(testIr([testSource("a"), testNode("b")], channels));
    const duplicates = loaded.diagnostics.filter((d) => d.name === "DuplicateChannelId");
    expect(duplicates).toHaveLength(19_999);
    expect(duplicates.every((d) => d.message.endsWith("is at /channels/0."))).toBe(true);
  });
});

describe("schemas too large to compare", () => {
  it("unions of thousands of branches against each other end in FLC1017 warnings, compared once per pair of ports", () => {
    const n = 3_000;
    const from = { anyOf: Array.from({ length: n }, (_, i) => ({ const: i })) };
    const to = { anyOf: Array.from({ length: n }, (_, i) => ({ const: n - 1 - i })) };
    // Two thousand channels between the same two ports: without a budget and a memo, n² steps each.
    const channels = Array.from({ length: 2_000 }, (_, i) => ({
      id: `c${i}`,
      from: { node: "a", port: "value" },
      to: { node: "b", port: "value" },
    }));
    const loaded = loadIr(
      testIr([testSource("a", { outputs: { value: { schema: from } } }), testNode("b", { inputs: { value: { schema: to } } })], channels),
    );
    expect(loaded.ok).toBe(true);
    expect(loaded.diagnostics.map((d) => d.code)).toEqual(Array(2_000).fill(code("SchemaComparisonGaveUp")));
    expect(loaded.diagnostics[0]?.message).toContain("more than 100000 steps");
  });

  it("unions of a few hundred branches are still compared in full", () => {
    const n = 300;
    const to = { anyOf: Array.from({ length: n }, (_, i) => ({ const: i })) };
    const from = { anyOf: Array.from({ length: n }, (_, i) => ({ const: i + 1 })) };
    const loaded = loadIr(
      testIr(
        [testSource("a", { outputs: { value: { schema: from } } }), testNode("b", { inputs: { value: { schema: to } } })],
        [{ id: "c", from: { node: "a", port: "value" }, to: { node: "b", port: "value" } }],
      ),
    );
    expect(loaded.diagnostics.map((d) => d.code)).toEqual([code("PortSchemaMismatch")]);
  });
});

describe("impl.module stays inside the IR's directory", () => {
  const withModule = (module: string) => mutate((ir) => (ir.nodes[1].impl.module = module));

  it("FLC1044 for a module path that climbs out of the directory, however it is spelled", () => {
    for (const module of ["../../../../dev/zero", "../x.mjs", "nodes/../../x.mjs", "./a/../../x.js", "..", "a/b/../../../c.cjs"]) {
      expect(problems(withModule(module)), module).toEqual([[code("ModuleOutsideIr"), "/nodes/1/impl/module"]]);
    }
  });

  it("FLC1045 for a module that is not a .js, .mjs or .cjs file", () => {
    for (const module of ["nodes/x.ts", "nodes/x", "nodes/", "x.json", "x.mjs.bak", "nodes/x.MJS"]) {
      expect(problems(withModule(module)), module).toEqual([[code("ModuleNotJavaScript"), "/nodes/1/impl/module"]]);
    }
  });

  it("FLC1043 still refuses absolute paths", () => {
    expect(problems(withModule("/dev/zero"))).toEqual([[code("AbsolutePath"), "/nodes/1/impl/module"]]);
    expect(problems(withModule("/dev/zero"), { allowOutsideModules: true })).toEqual([[code("AbsolutePath"), "/nodes/1/impl/module"]]);
  });

  it("accepts paths that stay inside, and with allowOutsideModules the others", () => {
    for (const module of ["nodes/x.mjs", "./x.js", "a/../b.cjs", "nodes/./deep/er/x.mjs", "..x.mjs", "a..b/c.mjs"]) {
      expect(problems(withModule(module)), module).toEqual([]);
    }
    for (const module of ["../../../../dev/zero", "../lib/x.ts"]) {
      expect(problems(withModule(module), { allowOutsideModules: true }), module).toEqual([]);
      expect(validateIr(withModule(module), { allowOutsideModules: true }).ok).toBe(true);
    }
  });

  it("the IR itself cannot ask for the allowance: meta is closed", () => {
    const ir = mutate((ir) => {
      ir.nodes[1].impl.module = "../x.mjs";
      ir.meta.allowOutsideModules = true;
    });
    expect(problems(ir)).toEqual([[code("IrUnknownProperty"), "/meta/allowOutsideModules"]]);
  });
});
