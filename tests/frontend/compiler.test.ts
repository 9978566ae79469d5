import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { collectFlow, isFlowDef } from "@flowc/dsl";
import { compile, emit } from "@flowc/frontend";
import { encodeJson, type Ir } from "@flowc/ir";
import { Project, ts } from "ts-morph";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { stopEsbuild } from "../helpers/processes.js";

const root = join(import.meta.dirname, "../..");
// Scratch projects live inside the repository so that @flowc/dsl and zod resolve as for users.
const scratch = mkdtempSync(join(root, "tests/frontend/.scratch-"));
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  // Bundling starts esbuild's service process; none may outlive the tests.
  expect(await stopEsbuild()).toEqual([]);
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(scratch, "p-"));
  const all = { "package.json": '{ "name": "scratch", "private": true, "type": "module" }\n', ...files };
  for (const [name, text] of Object.entries(all)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const NODES = `import { node } from "@flowc/dsl";
import { z } from "zod";
export const Tick = node("Tick", { outputs: { n: z.number() }, step: () => ({ n: 1 }) });
export const Show = node("Show", { inputs: { n: z.number() }, step: () => undefined });
`;
const FLOW = `import { flow, rate } from "@flowc/dsl";
import { Show, Tick } from "./nodes.js";
export default flow("small", ({ add, connect }) => {
  connect(add("tick", Tick, { clock: rate(1) }).out.n, add("show", Show).in.n);
});
`;

/** Compiles `entry` and emits into `out`; returns the compile result and the emit result. */
/** Compiles and emits; TypeScript's type errors are left to the tests about them (these projects have no @types/node). */
async function buildInto(
  entry: string,
  out: string,
  format: "json" | "msgpack" = "json",
  extraFiles: readonly { suffix: string; contents: string }[] = [],
) {
  const result = compile({ entry, typecheck: false });
  const emitted = result.ir
    ? await emit({
        ir: result.ir,
        modules: result.modules,
        outDir: out,
        format,
        projectRoot: result.projectRoot,
        displayRoot: scratch,
        extraFiles,
      })
    : { files: [], diagnostics: result.diagnostics };
  return { result, emitted };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe("the compiler never runs user code", () => {
  it("builds a flow whose node module throws and writes files at its top level, and nothing is written", async () => {
    const marker = join(scratch, "EXECUTED");
    const dir = project({
      "nodes.ts": `${NODES}import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "ran");\nthrow new Error("top level ran");\n`,
      "main.flow.ts": `${FLOW}writeFileSync2();\nfunction writeFileSync2() { throw new Error("flow module ran"); }\n`,
    });
    const out = join(dir, "out");
    const { result, emitted } = await buildInto(join(dir, "main.flow.ts"), out);
    expect(result.diagnostics).toEqual([]);
    expect(result.ir?.nodes.map((n) => n.id)).toEqual(["tick", "show"]);
    expect(emitted.diagnostics).toEqual([]);
    expect(existsSync(marker)).toBe(false);
    expect(listFiles(out)).toEqual(["nodes/small/nodes.mjs", "nodes/small/nodes.mjs.map", "small.ir.json"]);
    expect(result.ir?.nodes[0]?.source?.file).toBe("main.flow.ts");
  });
});

describe("compile() never throws", () => {
  it("returns a coded diagnostic even for an entry that does not exist (the CLI checks that first)", () => {
    const result = compile({ entry: join(scratch, "no-such.flow.ts"), displayRoot: scratch });
    expect(result.ir).toBeUndefined();
    expect(result.diagnostics.map((d) => d.code)).toEqual(["FLC2022"]);
    expect(result.diagnostics[0]?.message).toContain("no-such.flow.ts");
  });
});

describe("reproducible builds", () => {
  // The IR holds only project-relative paths; bundles also name dependency paths relative to the
  // project root (esbuild's module comments), so they match wherever the layout is the same.
  it("the IR is byte-identical wherever the project is; bundles too for the same layout", async () => {
    const a = project({ "nodes.ts": NODES, "main.flow.ts": FLOW });
    const b = mkdtempSync(join(scratch, "p-"));
    cpSync(a, b, { recursive: true });
    const deeper = join(scratch, "elsewhere", "deeper");
    mkdirSync(deeper, { recursive: true });
    cpSync(a, deeper, { recursive: true });
    expect(encodeJson(compile({ entry: join(deeper, "main.flow.ts") }).ir as never)).toBe(
      encodeJson(compile({ entry: join(a, "main.flow.ts") }).ir as never),
    );
    const outputs: Record<string, string>[] = [];
    for (const dir of [a, b]) {
      const out = join(dir, "out");
      await buildInto(join(dir, "main.flow.ts"), out);
      outputs.push(Object.fromEntries(listFiles(out).map((f) => [f, readFileSync(join(out, f), "utf8")])));
    }
    expect(outputs[1]).toEqual(outputs[0]);
    expect(outputs[0]?.["small.ir.json"]).not.toContain(scratch);
  });
});

describe("flow selection", () => {
  const entry = join(root, "tests/frontend/fixtures/named-flows.flow.ts");
  it("builds the default export unless --flow names another, by flow name or export name", () => {
    expect(compile({ entry }).ir?.name).toBe("main");
    expect(compile({ entry, flow: "small" }).ir?.name).toBe("small");
    const missing = compile({ entry, flow: "nope", displayRoot: root });
    expect(missing.diagnostics.map((d) => d.code)).toEqual(["FLC2002"]);
    expect(missing.diagnostics[0]?.message).toContain("it exports: small (export small), main (default export)");
  });

  it("asks for --flow when several flows are exported and none is the default", () => {
    const dir = project({
      "nodes.ts": NODES,
      "two.flow.ts": `${FLOW.replace("export default flow", "export const one = flow")}export const two = one;\n`,
    });
    expect(compile({ entry: join(dir, "two.flow.ts") }).ir?.name).toBe("small");
  });
});

describe("bundling", () => {
  it("reports a module that cannot be bundled with FLC2020 and writes nothing", async () => {
    const dir = project({ "nodes.ts": `${NODES}import "left-pad-that-does-not-exist";\n`, "main.flow.ts": FLOW });
    const out = join(dir, "out");
    const { emitted } = await buildInto(join(dir, "main.flow.ts"), out);
    expect(emitted.diagnostics.map((d) => d.code)).toEqual(["FLC2020"]);
    expect(emitted.diagnostics[0]?.message).toContain("left-pad-that-does-not-exist");
    expect(existsSync(out)).toBe(false);
  });

  it("bundles node modules that runtimes can import, exporting the definitions the IR names", async () => {
    const dir = project({ "nodes.ts": NODES, "main.flow.ts": FLOW });
    const out = join(dir, "out");
    const { result } = await buildInto(join(dir, "main.flow.ts"), out, "msgpack");
    const module = await import(join(out, "nodes/small/nodes.mjs"));
    for (const node of result.ir?.nodes ?? []) expect(module[node.impl.export]?.kind).toBe("flowc.node");
    expect(existsSync(join(out, "small.ir.msgpack"))).toBe(true);
  });
});

describe("several flows built into one directory", () => {
  // Each flow bundles only the definitions it uses; a bundle shared by name would lose the
  // other flow's exports when the second build overwrote it.
  it("keeps each flow's bundles apart, so the first flow still loads after the second is built", async () => {
    const more = `${NODES}export const Double = node("Double", { inputs: { n: z.number() }, outputs: { n: z.number() }, step: ({ n }) => (n === undefined ? undefined : { n: n * 2 }) });\n`;
    const dir = project({
      "nodes.ts": more,
      "first.flow.ts": FLOW.replace('flow("small"', 'flow("first"').replace("{ Show, Tick }", "{ Show, Tick }"),
      "second.flow.ts": `import { flow, rate } from "@flowc/dsl";
import { Double, Tick } from "./nodes.js";
export default flow("second", ({ add, connect }) => {
  connect(add("tick", Tick, { clock: rate(1) }).out.n, add("double", Double).in.n);
});
`,
    });
    const out = join(dir, "out");
    const first = await buildInto(join(dir, "first.flow.ts"), out);
    const firstFiles = Object.fromEntries(listFiles(out).map((f) => [f, readFileSync(join(out, f), "utf8")]));
    await buildInto(join(dir, "second.flow.ts"), out);
    expect(listFiles(out)).toEqual([
      "first.ir.json",
      "nodes/first/nodes.mjs",
      "nodes/first/nodes.mjs.map",
      "nodes/second/nodes.mjs",
      "nodes/second/nodes.mjs.map",
      "second.ir.json",
    ]);
    // The first build's files are untouched, and its IR's modules export what it names.
    for (const [file, text] of Object.entries(firstFiles)) expect(readFileSync(join(out, file), "utf8")).toBe(text);
    for (const node of first.result.ir?.nodes ?? []) {
      const module = await import(join(out, node.impl.module));
      expect(module[node.impl.export]?.kind, `${node.impl.module} exports ${node.impl.export}`).toBe("flowc.node");
    }
  });

  it("names the files of flows with odd names safely: no path separators, no leading dot, a bounded length", async () => {
    const long = "x".repeat(300);
    for (const [name, stem] of [
      ["../up", "_._up"],
      [".hidden", "_hidden"],
      ["a/b c", "a_b_c"],
    ] as const) {
      const dir = project({ "nodes.ts": NODES, "main.flow.ts": FLOW.replace('flow("small"', `flow(${JSON.stringify(name)}`) });
      const out = join(dir, "out");
      const { emitted } = await buildInto(join(dir, "main.flow.ts"), out);
      expect(emitted.diagnostics).toEqual([]);
      expect(listFiles(out)).toEqual([`${stem}.ir.json`, `nodes/${stem}/nodes.mjs`, `nodes/${stem}/nodes.mjs.map`]);
    }
    const dir = project({ "nodes.ts": NODES, "main.flow.ts": FLOW.replace('flow("small"', `flow(${JSON.stringify(long)}`) });
    // A descriptor written beside the IR (build --target dataflow) takes the same bounded stem.
    const { emitted } = await buildInto(join(dir, "main.flow.ts"), join(dir, "out"), "json", [
      { suffix: ".dataflow.yml", contents: "nodes: []\n" },
    ]);
    expect(emitted.diagnostics).toEqual([]);
    const files = listFiles(join(dir, "out"));
    expect(files.filter((f) => f.endsWith(".dataflow.yml"))).toHaveLength(1);
    for (const file of files) for (const part of file.split("/")) expect(part.length).toBeLessThanOrEqual(115);
  });
});

describe("the static reading agrees with running the builder", () => {
  it("compile(demo) and collectFlow(demo) see the same nodes and connections", async () => {
    const entry = join(root, "examples/demo.flow.ts");
    const ir = compile({ entry }).ir;
    const module = await import(entry);
    expect(isFlowDef(module.default)).toBe(true);
    const collected = collectFlow(module.default);
    expect(ir?.nodes.map((n) => [n.id, n.type])).toEqual(collected.nodes.map((n) => [n.id, n.def.type]));
    expect(ir?.channels.map((c) => c.id)).toEqual(
      collected.connections.map((c) => `${c.from.node}.${c.from.port}->${c.to.node}.${c.to.port}`),
    );
    expect(ir?.nodes.map((n) => n.params)).toEqual(collected.nodes.map((n) => n.options.params ?? {}));
  });
});

describe("@flowc/dsl is the module the specifier resolves to, wherever the flow lives", () => {
  const reference = () => compile({ entry: join(project({ "nodes.ts": NODES, "main.flow.ts": FLOW }), "main.flow.ts") }).ir;

  it("a project in a folder called packages/dsl builds the same IR as anywhere else", () => {
    const expected = reference();
    expect(expected).toBeDefined();
    const own = project({
      "packages/dsl/package.json": '{ "name": "my-flows", "private": true, "type": "module" }\n',
      "packages/dsl/nodes.ts": NODES,
      "packages/dsl/main.flow.ts": FLOW,
    });
    const inside = compile({ entry: join(own, "packages/dsl/main.flow.ts") });
    expect(inside.diagnostics).toEqual([]);
    expect(encodeJson(inside.ir as Ir)).toBe(encodeJson(expected as Ir));

    // Without a package.json of its own the project root is one level up: only paths differ.
    const nested = project({ "packages/dsl/nodes.ts": NODES, "packages/dsl/main.flow.ts": FLOW });
    const below = compile({ entry: join(nested, "packages/dsl/main.flow.ts") });
    expect(below.diagnostics).toEqual([]);
    const withoutPaths = (ir: Ir | undefined) => ({
      ...ir,
      nodes: ir?.nodes.map((n) => ({ ...n, source: { ...n.source, file: n.source?.file.replace(/^packages\/dsl\//, "") } })),
      meta: { ...ir?.meta, sourceHash: null },
    });
    expect(below.ir?.nodes.map((n) => n.source?.file)).toEqual(["packages/dsl/main.flow.ts", "packages/dsl/main.flow.ts"]);
    expect(withoutPaths(below.ir)).toEqual(withoutPaths(expected));
  });

  it("functions named like the DSL's in a user folder called packages/dsl are user code", () => {
    const dir = project({
      "packages/dsl/clock.ts":
        "export function rate(hz: number) { return { kind: 'rate' as const, hz: hz * 1000, onLag: 'warn' as const }; }\n",
      "packages/dsl/fake.ts": "export function node(type: string, spec: object) { return { kind: 'flowc.node', type, spec }; }\n",
      "nodes.ts": NODES,
      "fake-nodes.ts": 'import { node } from "./packages/dsl/fake.js";\nexport const Tick = node("Tick", {});\n',
      "clock.flow.ts": FLOW.replace(
        'import { flow, rate } from "@flowc/dsl";',
        'import { flow } from "@flowc/dsl";\nimport { rate } from "./packages/dsl/clock.js";',
      ),
      "node.flow.ts": FLOW.replace(
        'import { Show, Tick } from "./nodes.js";',
        'import { Show } from "./nodes.js";\nimport { Tick } from "./fake-nodes.js";',
      ),
    });
    // The look-alikes do not type as the DSL's functions: only the flow checks are asserted here.
    const clock = compile({ entry: join(dir, "clock.flow.ts"), displayRoot: dir, typecheck: false });
    expect(clock.diagnostics.map((d) => d.code)).toEqual(["FLC2001"]);
    expect(clock.diagnostics[0]?.message).toBe(
      "Cannot evaluate 'rate' statically: calls to user functions are not evaluated (the compiler never runs flow code); inline the values or use a const.",
    );
    expect(clock.diagnostics[0]).toMatchObject({ file: "clock.flow.ts", line: 5 });
    const fake = compile({ entry: join(dir, "node.flow.ts"), displayRoot: dir, typecheck: false });
    expect(fake.diagnostics.map((d) => d.code)).toEqual(["FLC2001"]);
    expect(fake.diagnostics[0]).toMatchObject({ file: "fake-nodes.ts", line: 2 });
    expect(fake.diagnostics[0]?.message).toContain("Cannot evaluate 'node' statically: calls to user functions are not evaluated");
  });

  it("an installed @flowc/dsl that ships declaration files builds the same IR as the workspace sources", () => {
    const dir = project({ "nodes.ts": NODES, "main.flow.ts": FLOW });
    const installed = join(dir, "node_modules/@flowc/dsl");
    const sources = join(root, "packages/dsl/src");
    const declarations = new Project({
      compilerOptions: {
        declaration: true,
        emitDeclarationOnly: true,
        strict: true,
        skipLibCheck: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        rootDir: sources,
        outDir: join(installed, "dist"),
      },
    });
    declarations.addSourceFileAtPath(join(sources, "index.ts"));
    declarations.resolveSourceFileDependencies();
    const emitted = declarations.emitToMemory({ emitOnlyDtsFiles: true }).getFiles();
    expect(emitted.map((f) => relative(installed, f.filePath)).sort()).toEqual([
      "dist/flow.d.ts",
      "dist/index.d.ts",
      "dist/node.d.ts",
      "dist/timing.d.ts",
    ]);
    for (const file of emitted) {
      mkdirSync(dirname(file.filePath), { recursive: true });
      writeFileSync(file.filePath, file.text);
    }
    writeFileSync(
      join(installed, "package.json"),
      JSON.stringify({
        name: "@flowc/dsl",
        version: "0.1.0",
        type: "module",
        exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } },
      }),
    );
    const result = compile({ entry: join(dir, "main.flow.ts") });
    expect(result.diagnostics).toEqual([]);
    expect(encodeJson(result.ir as Ir)).toBe(encodeJson(reference() as Ir));
  });
});

describe("zod schemas reach the IR", () => {
  const SCHEMAS = `import { z } from "zod";
export const Level = z.number().int().min(0);
`;
  const REFINED = `import { node } from "@flowc/dsl";
import { z } from "zod";
import { Level } from "./schemas.js";
export const Tank = node("Tank", {
  params: { max: z.number().int().positive(), unit: z.enum(["l", "m3"]).default("l") },
  outputs: { level: Level },
  step: () => ({ level: 1 }),
});
export const Gauge = node("Gauge", { inputs: { level: z.number().int().min(0) }, step: () => undefined });
`;
  const flowWith = (params: string) => `import { flow, rate } from "@flowc/dsl";
import { Gauge, Tank } from "./nodes.js";
export default flow("tank", ({ add, connect }) => {
  connect(add("tank", Tank, { clock: rate(1), params: ${params} }).out.level, add("gauge", Gauge).in.level);
});
`;

  it("a port typed z.number().int().min(0), through a const in another module, carries zod's JSON Schema", () => {
    const dir = project({ "schemas.ts": SCHEMAS, "nodes.ts": REFINED, "main.flow.ts": flowWith("{ max: 10 }") });
    const result = compile({ entry: join(dir, "main.flow.ts") });
    expect(result.diagnostics).toEqual([]);
    const { $schema: _, ...expected } = z.toJSONSchema(z.number().int().min(0), { io: "input", target: "draft-2020-12" });
    expect(result.ir?.nodes[0]?.outputs.level?.schema).toEqual(expected);
    expect(result.ir?.nodes[1]?.inputs.level?.schema).toEqual({ type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
  });

  it("params are checked against their refinements when the flow is built (FLC2010)", () => {
    const dir = project({ "schemas.ts": SCHEMAS, "nodes.ts": REFINED, "main.flow.ts": flowWith('{ max: 0, unit: "l" }') });
    const result = compile({ entry: join(dir, "main.flow.ts") });
    expect(result.ir).toBeUndefined();
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["FLC2010", "Param 'max' of node 'tank' must be integer > 0, but the flow gives 0."],
    ]);
  });
});

describe("TypeScript's own type errors", () => {
  const BAD_NODES = `import { node } from "@flowc/dsl";
import { z } from "zod";
const label: string = 42;
export const Tick = node("Tick", { outputs: { n: z.number() }, step: () => ({ n: "one" }) });
export const Show = node("Show", { inputs: { n: z.number() }, step: () => undefined });
export { label };
`;

  it("are reported for the modules the flow imports, at their lines, with TypeScript's codes, and no IR is built", () => {
    const dir = project({ "nodes.ts": BAD_NODES, "main.flow.ts": FLOW });
    const result = compile({ entry: join(dir, "main.flow.ts"), displayRoot: dir });
    expect(result.ir).toBeUndefined();
    expect(result.diagnostics.map((d) => [d.code, d.name, d.file, d.line, d.column])).toEqual([
      ["TS2322", "TypeScriptError", "nodes.ts", 3, 7],
      ["TS2322", "TypeScriptError", "nodes.ts", 4, 64],
    ]);
    expect(result.diagnostics[0]?.message).toBe("Type 'number' is not assignable to type 'string'.");
    expect(result.diagnostics[1]?.message).toContain("Type 'string' is not assignable to type 'number'.");
  });

  it("are skipped with typecheck: false (--no-typecheck): the flow checks alone decide", () => {
    const dir = project({ "nodes.ts": BAD_NODES, "main.flow.ts": FLOW });
    const result = compile({ entry: join(dir, "main.flow.ts"), displayRoot: dir, typecheck: false });
    expect(result.diagnostics).toEqual([]);
    expect(result.ir?.name).toBe("small");
  });

  it("are not repeated after a syntax error or a missing module", () => {
    const dir = project({ "main.flow.ts": FLOW.replace("./nodes.js", "./missing.js") });
    const result = compile({ entry: join(dir, "main.flow.ts"), displayRoot: dir });
    expect(result.diagnostics.map((d) => d.code)).toEqual(["FLC2021"]);
  });
});
