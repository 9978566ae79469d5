import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { descriptorToIr, parseDescriptor } from "@flowc/dora";
import { afterAll, describe, expect, it } from "vitest";
import { stopEsbuild } from "../helpers/processes.js";
import { flowc, flowcProcess } from "./helpers.js";

const scratch = mkdtempSync(join(tmpdir(), "flowc-build-"));
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  // Bundling starts esbuild's service process; none may outlive the tests.
  expect(await stopEsbuild()).toEqual([]);
});
const demo = "examples/demo.flow.ts";

describe("flowc build", () => {
  it("--print-ir prints canonical IR that flowc validate accepts, byte-identical across builds", () => {
    const first = flowcProcess(["build", demo, "--print-ir"]);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe("");
    const second = flowcProcess(["build", demo, "--print-ir"]);
    expect(second.stdout).toBe(first.stdout);
    const file = join(scratch, "demo.ir.json");
    writeFileSync(file, first.stdout);
    const validated = flowcProcess(["validate", file]);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain("valid IR 'demo' (4 nodes, 3 channels)");
  });

  it("writes the IR and the bundled node modules to -o, as JSON or MessagePack", async () => {
    const out = join(scratch, "out");
    const run = await flowc(["build", demo, "-o", out, "--json"]);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ ok: true, name: "demo", diagnostics: [] });
    expect(summary.files.map((f: string) => f.slice(out.length + 1)).sort()).toEqual([
      "demo.ir.json",
      "nodes/demo/demo.flow.mjs",
      "nodes/demo/demo.flow.mjs.map",
    ]);
    const ir = JSON.parse(readFileSync(join(out, "demo.ir.json"), "utf8"));
    expect(ir.nodes[0].impl).toEqual({ module: "nodes/demo/demo.flow.mjs", export: "Counter" });
    const packed = await flowc(["build", demo, "-o", join(scratch, "mp"), "--format", "msgpack"]);
    expect(packed.code).toBe(0);
    expect((await flowc(["inspect", join(scratch, "mp", "demo.ir.msgpack"), "--json"])).code).toBe(0);
  });

  it("a string output connected to a number input fails with FLC2003 at the connect call", () => {
    const run = flowcProcess(["build", "tests/frontend/fixtures/err-2003-type-mismatch.flow.ts", "-o", join(scratch, "never")]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(
      "tests/frontend/fixtures/err-2003-type-mismatch.flow.ts(8,3): error FLC2003: Type 'string' of words.out.word is not assignable to type 'number' of scale.in.value.",
    );
  });

  it("--target dataflow also writes a Dora-dialect descriptor that reads back to the same IR", async () => {
    const out = join(scratch, "dataflow");
    const r = await flowc(["build", demo, "--target", "dataflow", "-o", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("demo.dataflow.yml");
    const yaml = readFileSync(join(out, "demo.dataflow.yml"), "utf8");
    expect(yaml).toContain("args: nodes/demo/demo.flow.mjs Counter");
    const parsed = parseDescriptor(yaml);
    expect(parsed.diagnostics).toEqual([]);
    const back = descriptorToIr(parsed.descriptor as never);
    expect(`${JSON.stringify(back.ir, null, 2)}\n`).toBe(
      `${JSON.stringify(JSON.parse(readFileSync(join(out, "demo.ir.json"), "utf8")), null, 2)}\n`,
    );
  });

  it("rejects bad arguments with exit 2", async () => {
    expect((await flowc(["build", "missing.flow.ts"])).code).toBe(2);
    expect((await flowc(["build", "README.md"])).stderr).toContain("FLC4004");
    expect((await flowc(["build", demo, "--format", "yaml"])).stderr).toContain("Unknown IR format 'yaml'");
    const target = await flowc(["build", demo, "--target", "wasm"]);
    expect(target.code).toBe(2);
    expect(target.stderr).toContain("FLC4001: Unknown build target 'wasm'; this flowc builds: ir, dataflow.");
    expect((await flowc(["build", demo, "--target", "ir", "--print-ir"])).code).toBe(0);
  });

  it("an output directory that cannot be written is FLC4006 before anything is compiled", async () => {
    const file = join(scratch, "a-file");
    writeFileSync(file, "x");
    for (const [out, detail] of [
      [file, "it exists and is not a directory"],
      ["/dev/null", "it exists and is not a directory"],
      [join(file, "sub"), "a part of the path is a file, not a directory"],
      ["/proc/flowc-nope", "it cannot be created there"],
    ] as const) {
      const r = await flowc(["build", demo, "-o", out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`error FLC4006: Cannot write '${out}': ${detail}.`);
    }
    expect(readFileSync(file, "utf8")).toBe("x");
  });
});

describe("flowc check", () => {
  it("accepts a valid flow and writes nothing", async () => {
    const run = await flowc(["check", demo]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toContain("flow 'demo' is valid (4 nodes, 3 channels)");
  });

  it("--json reports warnings and errors as data", async () => {
    const warned = JSON.parse((await flowc(["check", "tests/frontend/fixtures/warn-unconnected.flow.ts", "--json"])).stdout);
    expect(warned.ok).toBe(true);
    expect(warned.diagnostics.map((d: { code: string }) => d.code)).toEqual(["FLC2008"]);
    const failed = await flowc(["check", "tests/frontend/fixtures/err-2011-cycle.flow.ts", "--json"]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout).diagnostics[0]).toMatchObject({ code: "FLC2011", line: 11, column: 3 });
  });

  it("reports TypeScript's own errors in tsc's format beside the flow's, and --no-typecheck skips them", async () => {
    const fixture = "tests/frontend/fixtures/err-2003-type-mismatch.flow.ts";
    const typed = await flowc(["check", fixture]);
    expect(typed.code).toBe(1);
    expect(typed.stderr).toContain(`${fixture}(8,11): error TS2379: Argument of type 'OutPort<string>' is not assignable`);
    expect(typed.stderr).toContain(`${fixture}(8,3): error FLC2003:`);
    expect(typed.stderr).toContain("Found 2 errors.");
    const untyped = await flowc(["check", fixture, "--no-typecheck", "--json"]);
    expect(untyped.code).toBe(1);
    expect(JSON.parse(untyped.stdout).diagnostics.map((d: { code: string }) => d.code)).toEqual(["FLC2003"]);
  });

  it("warns when a finite source feeds a channel that drops messages, and still passes the flow", async () => {
    const run = await flowc(["check", "tests/frontend/fixtures/warn-lossy-source.flow.ts"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "warning FLC2025: Node 'rows' is a finite source, and channel 'rows.row->oldest.row' drops messages when it is full (onFull: 'dropOldest')",
    );
    expect(run.stderr).toContain("Found 2 warnings.");
    expect(run.stdout).toContain("flow 'warn-lossy-source' is valid (5 nodes, 4 channels)");
  });
});

describe("flowc build --print-ir with zod refinements", () => {
  it("a port typed z.number().int().min(0) carries zod's JSON Schema", () => {
    const run = flowcProcess(["build", "tests/frontend/fixtures/zod-refinements.flow.ts", "--print-ir"]);
    expect(run.code).toBe(0);
    const ir = JSON.parse(run.stdout);
    expect(ir.nodes[0].outputs.level.schema).toEqual({ type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
  });
});

describe("flowc graph on a flow file", () => {
  it("compiles and renders", async () => {
    const run = await flowc(["graph", demo, "--format", "dot"]);
    expect(run.code).toBe(0);
    // Labels name what differs from the defaults (capacity 10, block).
    expect(run.stdout).toContain('"double" -> "plus10" [label="value → value (cap 8)"];');
    expect(run.stdout).toContain('"counter" -> "double" [label="value → value"];');
  });
});
