import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { encodeJson, type Ir } from "@flowc/ir";
import { loadValid, testChannel, testIr, testNode, testSource } from "@flowc/ir/testing";
import { afterAll, describe, expect, it } from "vitest";
import { loadDescriptor } from "./load.js";
import { descriptorToYaml, lowerToDescriptor } from "./lower.js";
import { parseDescriptor } from "./parse.js";
import { descriptorToIr } from "./to-ir.js";
import { MAX_ALIAS_EXPANSION, MAX_DESCRIPTOR_NESTING } from "./yaml-read.js";

// Descriptors a careless or hostile author can write: each is coded diagnostics at its YAML
// line (FLC31xx, or the IR's FLC1xxx for `_flowc` facts), never an exception.

const codes = (text: string) => parseDescriptor(text, "x.yml").diagnostics.map((d) => [d.code, d.line, d.column]);
const scratch = mkdtempSync(join(tmpdir(), "flowc-dora-hostile-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("YAML aliases", () => {
  it("a billion-laughs document is FLC3107 at the alias that expands it, measured without expanding it", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    lines.push("nodes: *j");
    const found = parseDescriptor(`${lines.join("\n")}\n`, "x.yml").diagnostics;
    expect(found.map((d) => [d.code, d.line, d.column])).toEqual([["FLC3107", 11, 8]]);
    expect(found[0]?.message).toContain("more than the 100000 allowed");
  });

  it("aliases within the cap are expanded (more than the YAML library's own limit of 100)", () => {
    const node = (i: number) => `  - id: n${i}\n    path: flowc-node\n    args: m.mjs N\n    env: *env`;
    const text = `env: &env {A: "1", B: "2"}\nnodes:\n${Array.from({ length: 300 }, (_, i) => node(i)).join("\n")}\n`;
    const parsed = parseDescriptor(text);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.descriptor?.nodes[299]?.env).toEqual({ A: "1", B: "2" });
    expect(MAX_ALIAS_EXPANSION).toBeGreaterThan(300 * 3);
  });

  it("an unresolved alias is FLC3101 at the alias", () => {
    expect(codes("nodes:\n  - id: a\n    path: *nope\n")).toEqual([["FLC3101", 3, 11]]);
    // An alias before its anchor is unresolved too.
    expect(codes("nodes:\n  - id: *x\n    path: &x p\n")).toEqual([["FLC3101", 2, 9]]);
  });

  it("an alias inside the value it names is FLC3107, not an endless structure", () => {
    expect(codes("nodes: &n\n  - id: a\n    path: x\n    env: *n\n")).toEqual([["FLC3107", 4, 10]]);
    const inline = "  - &m {id: a, path: x, _flowc: {params: {self: *m}}}";
    expect(codes(`nodes:\n${inline}\n`)).toEqual([["FLC3107", 2, inline.indexOf("*m") + 1]]);
  });

  it("aliases that nest the document past the limit when expanded are FLC3107", () => {
    const lines = ["a0: &a0 [1]"];
    for (let i = 1; i <= 40; i++) lines.push(`a${i}: &a${i} [[[[[[[[*a${i - 1}]]]]]]]]`);
    lines.push("nodes: *a40");
    const found = parseDescriptor(`${lines.join("\n")}\n`).diagnostics;
    expect(found.map((d) => d.code)).toEqual(["FLC3107"]);
    expect(found[0]?.message).toContain(`deeper than ${MAX_DESCRIPTOR_NESTING} levels`);
  });
});

describe("YAML shapes", () => {
  for (const depth of [5_000, 100_000]) {
    it(`nesting ${depth} levels deep (flow and block) is FLC3107 before the YAML composer recurses`, () => {
      expect(codes(`nodes: ${"[".repeat(depth)}${"]".repeat(depth)}\n`)).toEqual([["FLC3107", 1, 8 + MAX_DESCRIPTOR_NESTING - 1]]);
      expect(codes(`nodes:\n${"- ".repeat(depth)}x\n`).map(([c]) => c)).toEqual(["FLC3107"]);
    });
  }

  it("several documents, merge keys and complex keys are coded, not guessed", () => {
    expect(codes("nodes: []\n---\nnodes: []\n")).toEqual([["FLC3101", 2, 1]]);
    expect(codes("base: &b {path: x}\nnodes:\n  - id: a\n    <<: *b\n")).toEqual([["FLC3103", 4, 5]]);
    expect(codes("? [a, b]\n: c\nnodes: []\n")).toEqual([["FLC3103", 1, 3]]);
  });

  it("keys named like Object.prototype members are unknown keys like any other", () => {
    const found = parseDescriptor(
      "nodes:\n  - id: a\n    path: x.ts\n    constructor: 1\n    __proto__: {y: 1}\n    toString: 2\n",
      "x.yml",
    ).diagnostics;
    expect(found.map((d) => [d.code, d.line])).toEqual([
      ["FLC3102", 4],
      ["FLC3102", 5],
      ["FLC3102", 6],
    ]);
    expect(found[0]?.message).toBe("Unknown key 'constructor' in node 'a'.");
  });

  it("a node id __proto__ keeps its own settings", async () => {
    const text =
      "nodes:\n  - id: __proto__\n    path: flowc-node\n    args: nodes/x.mjs X\n    restart_policy: always\n    _flowc:\n      type: X\n      impl: {module: nodes/x.mjs, export: X}\n      clock: {kind: free}\n";
    const dir = mkdtempSync(join(scratch, "proto-"));
    mkdirSync(join(dir, "nodes"));
    writeFileSync(join(dir, "nodes/x.mjs"), "export const X = 1;\n");
    writeFileSync(join(dir, "flow.yml"), text);
    const out = mkdtempSync(join(scratch, "out-"));
    const loaded = await loadDescriptor({ text, file: "flow.yml", path: join(dir, "flow.yml"), outDir: out, displayRoot: dir });
    const settings = loaded.ok ? Object.getOwnPropertyDescriptor(loaded.nodeSettings, "__proto__")?.value : undefined;
    expect(settings).toEqual({ restart: "always" });
  });
});

describe("_flowc sections", () => {
  const ir = loadValid(testIr([testSource("a"), testNode("b", { parallelism: 2 })], [testChannel("a.value", "b.value")], "flow"));
  const yaml = descriptorToYaml(lowerToDescriptor(ir));

  it("a missing fact is FLC1004 at the `_flowc` key, with no 'undefined' in the message", () => {
    const text = yaml.replace(/\n {6}type: T\n/, "\n");
    const parsed = parseDescriptor(text, "x.yml");
    const converted = descriptorToIr(parsed.descriptor as never);
    const found = converted.diagnostics.map((d) => ({ ...d, ...parsed.locate(d.path ?? "") }));
    expect(found.map((d) => [d.code, d.path, d.message])).toEqual([
      ["FLC1004", "/nodes/0/_flowc/type", "Required property 'type' is missing."],
    ]);
    expect(found[0]?.line).toBe(text.split("\n").indexOf("    _flowc:") + 1);
  });

  it("unknown keys and wrong shapes in `_flowc` are FLC3102/FLC3103 at their lines", () => {
    const typo = yaml.replace("      type: T\n", "      typo: T\n");
    expect(codes(typo)).toEqual([["FLC3102", typo.split("\n").indexOf("      typo: T") + 1, 7]]);
    const noChannels = yaml.replace(/ {6}channels:\n( {8}.*\n)+/, "      channels: 3\n");
    expect(codes(noChannels).map(([c]) => c)).toContain("FLC3103");
    expect(codes("_flowc: [1]\nnodes:\n  - id: a\n    path: x.ts\n").map(([c]) => c)).toEqual(["FLC3103"]);
  });

  it("IR findings in `_flowc` facts point at their YAML lines", () => {
    const bad = yaml.replace("      parallelism: 2\n", "      parallelism: 100000\n");
    const parsed = parseDescriptor(bad, "x.yml");
    const converted = descriptorToIr(parsed.descriptor as never);
    const [d] = converted.diagnostics.map((x) => ({ ...x, ...parsed.locate(x.path ?? "") }));
    expect([d?.code, d?.line]).toEqual(["FLC1040", bad.split("\n").indexOf("      parallelism: 100000") + 1]);
  });
});

describe("loading a descriptor flowc wrote", () => {
  /** A build directory as `flowc build --target dataflow` writes it: IR, descriptor, bundle. */
  function built(module = "nodes/flow/n.mjs"): { dir: string; text: string; ir: Ir } {
    const dir = mkdtempSync(join(scratch, "built-"));
    const ir = loadValid(
      testIr(
        [testSource("a", { impl: { module, export: "Src" } }), testNode("b", { impl: { module, export: "Sink" } })],
        [testChannel("a.value", "b.value")],
        "flow",
      ),
      { allowOutsideModules: true },
    );
    const text = descriptorToYaml(lowerToDescriptor(ir));
    writeFileSync(join(dir, "flow.dataflow.yml"), text);
    return { dir, text, ir };
  }
  const bundle = 'export const Src = { kind: "flowc.node", spec: {} };\nexport const Sink = { kind: "flowc.node", spec: {} };\n';

  it("copies the bundles into the output directory, so the IR and its modules move together", async () => {
    const { dir, text } = built();
    mkdirSync(join(dir, "nodes/flow"), { recursive: true });
    writeFileSync(join(dir, "nodes/flow/n.mjs"), bundle);
    const out = mkdtempSync(join(scratch, "out-"));
    const loaded = await loadDescriptor({
      text,
      file: "flow.dataflow.yml",
      path: join(dir, "flow.dataflow.yml"),
      outDir: out,
      displayRoot: dir,
    });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    expect(loaded.ir.nodes.map((n) => n.impl.module)).toEqual(["nodes/flow/n.mjs", "nodes/flow/n.mjs"]);
    // What the daemon does with a build directory: copy it elsewhere; the source is gone.
    const moved = mkdtempSync(join(scratch, "state-"));
    cpSync(out, moved, { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
    for (const node of loaded.ir.nodes) {
      const module = await import(pathToFileURL(join(moved, node.impl.module)).href);
      expect(module[node.impl.export]?.kind).toBe("flowc.node");
    }
    expect(encodeJson(loaded.ir)).not.toContain("..");
  });

  it("refuses bundles outside the descriptor's directory (FLC1044), devices and missing files, at the module's line", async () => {
    for (const [module, code] of [
      ["../../../../dev/zero", "FLC1044"],
      ["nodes/x.ts", "FLC1045"],
      ["nodes/missing.mjs", "FLC3103"],
    ] as const) {
      const { dir, text } = built(module);
      const out = mkdtempSync(join(scratch, "out-"));
      const loaded = await loadDescriptor({
        text,
        file: "flow.dataflow.yml",
        path: join(dir, "flow.dataflow.yml"),
        outDir: out,
        displayRoot: dir,
      });
      expect(loaded.ok).toBe(false);
      if (loaded.ok) continue;
      const line = text.split("\n").findIndex((l) => l.includes(`module: ${module}`)) + 1;
      expect(
        loaded.diagnostics.map((d) => [d.code, d.line]),
        module,
      ).toEqual([
        [code, line],
        [code, text.split("\n").findIndex((l, i) => i >= line && l.includes(`module: ${module}`)) + 1],
      ]);
      expect(readFileSync(join(dir, "flow.dataflow.yml"), "utf8")).toBe(text);
    }
  });

  it("with allowOutsideModules a bundle outside is copied in as well", async () => {
    const { dir, text } = built("../sibling/n.mjs");
    mkdirSync(join(dir, "../sibling"), { recursive: true });
    writeFileSync(join(dir, "../sibling/n.mjs"), bundle);
    const out = mkdtempSync(join(scratch, "out-"));
    const loaded = await loadDescriptor({
      text,
      file: "flow.dataflow.yml",
      path: join(dir, "flow.dataflow.yml"),
      outDir: out,
      displayRoot: dir,
      allowOutsideModules: true,
    });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    expect(loaded.ir.nodes.map((n) => n.impl.module)).toEqual(["nodes/outside/n.mjs", "nodes/outside/n.mjs"]);
    expect(existsSync(join(out, "nodes/outside/n.mjs"))).toBe(true);
  });
});
