import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { collectFlow, isFlowDef } from "@flowc/dsl";
import { compile, emit } from "@flowc/frontend";
import { encodeJson } from "@flowc/ir";
import { afterAll, describe, expect, it } from "vitest";
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
async function buildInto(entry: string, out: string, format: "json" | "msgpack" = "json") {
  const result = compile({ entry });
  const emitted = result.ir
    ? await emit({ ir: result.ir, modules: result.modules, outDir: out, format, projectRoot: result.projectRoot, displayRoot: scratch })
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
    expect(listFiles(out)).toEqual(["nodes/nodes.mjs", "small.ir.json"]);
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
    const module = await import(join(out, "nodes/nodes.mjs"));
    for (const node of result.ir?.nodes ?? []) expect(module[node.impl.export]?.kind).toBe("flowc.node");
    expect(existsSync(join(out, "small.ir.msgpack"))).toBe(true);
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
