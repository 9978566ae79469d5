// Dora-dialect descriptors as first-class input to every command: graph, validate, inspect,
// check and build read them; ports are checked against the TypeScript node definitions; nodes
// flowc cannot run are shown with warnings by the commands that only look and refused before
// anything starts by those that build or run; ports named with '-' run end to end.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Ir, loadIr } from "@flowc/ir";
import { afterAll, describe, expect, it } from "vitest";
import { flowc, flowcProcess } from "../cli/helpers.js";
import { stopEsbuild } from "../helpers/processes.js";

const fixtures = "tests/dora/fixtures";
const speech = `${fixtures}/speech.yml`;
const example = "examples/dataflow/dataflow.yml";
const dir = mkdtempSync(join(tmpdir(), "flowc-dora-test-"));
const inline = join(dir, "inline.json");
writeFileSync(inline, JSON.stringify({ runtimes: { mp: { isolation: "inline" } } }));

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  expect(await stopEsbuild()).toEqual([]);
});

/** Error diagnostics of `validate --json` as [code, line, column]. */
async function errorsOf(file: string): Promise<[string, number | undefined, number | undefined][]> {
  const r = await flowc(["validate", file, "--json"]);
  const doc = JSON.parse(r.stdout) as { diagnostics: { code: string; severity: string; file?: string; line?: number; column?: number }[] };
  for (const d of doc.diagnostics) expect(d.file).toBe(file);
  return doc.diagnostics.filter((d) => d.severity === "error").map((d) => [d.code, d.line, d.column]);
}

describe("every command reads a descriptor", () => {
  it("validate, inspect, graph and check describe the hand-written example", async () => {
    const validate = await flowc(["validate", example]);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toBe(`${example}: valid dataflow 'dataflow' (3 nodes, 2 channels)\n`);
    const inspect = await flowc(["inspect", example, "--json"]);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ name: "dataflow", nodes: 3, channels: 2, order: ["counter", "square", "show"] });
    const mermaid = await flowc(["graph", example, "--format", "mermaid"]);
    expect(mermaid.code, mermaid.stderr).toBe(0);
    expect(mermaid.stdout).toContain('n0 -->|"count → value (dropOldest)"| n1');
    const dot = await flowc(["graph", example, "--format", "dot"]);
    expect(dot.stdout).toContain('"counter" -> "square"');
    const check = await flowc(["check", example]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toBe(`${example}: dataflow 'dataflow' is valid (3 nodes, 2 channels)\n`);
  });

  it("build writes the IR and the bundles (and with --target dataflow the descriptor flowc writes), which run", async () => {
    const out = join(dir, "built");
    const built = await flowc(["build", example, "-o", out, "--target", "dataflow"]);
    expect(built.code, built.stderr).toBe(0);
    const ir = JSON.parse(readFileSync(join(out, "dataflow.ir.json"), "utf8")) as Ir;
    expect(loadIr(ir).ok).toBe(true);
    expect(ir.nodes.map((n) => n.impl.module)).toEqual(["nodes/0-nodes.mjs", "nodes/0-nodes.mjs", "nodes/0-nodes.mjs"]);
    expect(readFileSync(join(out, "dataflow.dataflow.yml"), "utf8")).toContain("path: flowc-node");
    const run = await flowc(["run", join(out, "dataflow.ir.json"), "--duration", "3", "--config", inline]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split("\n").slice(0, 3)).toEqual(["[show] squared 1", "[show] squared 4", "[show] squared 9"]);
    const again = await flowc(["run", join(out, "dataflow.dataflow.yml"), "--duration", "3", "--config", inline]);
    expect(again.stdout.split("\n").slice(0, 3)).toEqual(["[show] squared 1", "[show] squared 4", "[show] squared 9"]);
    const printed = await flowc(["build", example, "--print-ir"]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(JSON.parse(printed.stdout)).toMatchObject({ name: "dataflow" });
  });

  it("nodes flowc cannot run: shown with a warning by the commands that look, refused by those that build or run", async () => {
    const file = `${fixtures}/python.yml`;
    for (const command of ["validate", "inspect", "graph", "check"]) {
      const r = await flowc([command, file]);
      expect(r.code, `${command}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toContain(`${file}(4,11): warning FLC3112: Node 'sender' runs 'sender.py', which flowc cannot run`);
      expect(r.stderr).toContain(`${file}(9,11): warning FLC3112`);
      expect(r.stderr).not.toContain("error");
    }
    const mermaid = await flowc(["graph", file, "--format", "mermaid"]);
    expect(mermaid.stdout).toContain('-->|"message → message (dropOldest)"|');
    const inspect = JSON.parse((await flowc(["inspect", file, "--json"])).stdout);
    expect(inspect).toMatchObject({ nodes: 2, channels: 1, sources: ["sender"], sinks: ["receiver"] });
    for (const args of [["build", "-o", join(dir, "nothing")], ["build", "--print-ir"], ["run"]]) {
      const [command, ...rest] = args as [string, ...string[]];
      const r = await flowc([command, file, ...rest]);
      expect(r.code, `${command}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(`${file}(4,11): error FLC3108: Node 'sender' runs 'sender.py', which flowc cannot run`);
      expect(r.stderr).toContain(`${file}(9,11): error FLC3108`);
      // Refused before anything starts: no runtime was chosen, no node brought up.
      expect(r.stderr).not.toContain("flowc: running");
      expect(r.stderr).not.toContain("FLC3043");
      expect(r.stdout).toBe("");
    }
    expect(() => readFileSync(join(dir, "nothing/python.ir.json"))).toThrow();
  });

  it("a cycle through nodes flowc cannot run is drawn and checked: such a node may send first, so the cycle can start", async () => {
    const file = `${fixtures}/python-cycle.yml`;
    const looked = await flowc(["validate", file]);
    expect(looked.code, looked.stderr).toBe(0);
    expect(looked.stderr).toContain("warning FLC3112");
    expect(looked.stderr).not.toContain("FLC1026");
    const graph = await flowc(["graph", file, "--format", "mermaid"]);
    expect(graph.code, graph.stderr).toBe(0);
    expect(graph.stdout).toContain("ping");
    expect(graph.stdout).toContain("pong");
    expect(JSON.parse((await flowc(["inspect", file, "--json"])).stdout)).toMatchObject({
      nodes: 2,
      channels: 2,
      cycles: [["ping", "pong"]],
    });
    const run = await flowc(["run", file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error FLC3108");
  });

  it("TypeScript's own errors in a descriptor's node modules fail check, build and run, at the TypeScript line", async () => {
    const file = "tests/frontend/fixtures/dora-type-error/dataflow.yml";
    const error = "tests/frontend/fixtures/dora-type-error/nodes.ts(14,11): error TS2322: Type 'number | undefined' is not assignable";
    for (const args of [["check"], ["build", "-o", join(dir, "typed")], ["run", "--duration", "1", "--config", inline]]) {
      const [command, ...rest] = args as [string, ...string[]];
      const r = await flowc([command, file, ...rest]);
      expect(r.code, `${command}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(error);
      expect(r.stderr).not.toContain("flowc: started");
      const skipped = await flowc([command, file, ...rest, "--no-typecheck"]);
      expect(skipped.code, `${command} --no-typecheck: ${skipped.stderr}`).toBe(0);
      expect(skipped.stderr).not.toContain("TS2322");
    }
    expect(() => readFileSync(join(dir, "typed/dataflow.ir.json"))).not.toThrow();
    const json = JSON.parse((await flowc(["check", file, "--json"])).stdout);
    expect(json.diagnostics).toContainEqual(expect.objectContaining({ code: "TS2322", name: "TypeScriptError", line: 14, column: 11 }));
  });

  it("build writes copied bundles with the IR, all or nothing", async () => {
    const first = join(dir, "first");
    expect((await flowc(["build", example, "-o", first, "--target", "dataflow"])).code).toBe(0);
    // The descriptor flowc wrote names bundles beside it; building it copies them into `-o`.
    const second = join(dir, "second");
    mkdirSync(join(second, "dataflow.ir.json"), { recursive: true });
    const blocked = await flowc(["build", join(first, "dataflow.dataflow.yml"), "-o", second]);
    expect(blocked.code, blocked.stderr).toBe(2);
    expect(blocked.stderr).toContain("error FLC4006: Cannot write");
    expect(blocked.stderr).toContain("dataflow.ir.json': it is a directory");
    expect(existsSync(join(second, "nodes"))).toBe(false);
    rmSync(join(second, "dataflow.ir.json"), { recursive: true });
    const built = await flowc(["build", join(first, "dataflow.dataflow.yml"), "-o", second]);
    expect(built.code, built.stderr).toBe(0);
    expect(existsSync(join(second, "nodes/0-nodes.mjs"))).toBe(true);
    expect(existsSync(join(second, "nodes/0-nodes.mjs.map"))).toBe(true);
  });

  it("refuses kinds of file a command does not read, naming the ones it does", async () => {
    const r = await flowc(["inspect", "examples/demo.flow.ts"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error FLC4004: 'examples/demo.flow.ts' is not a file this command reads");
    expect(r.stderr).toContain(".yml or .yaml (a Dora-dialect dataflow)");
    const build = await flowc(["build", "examples/demo.ir.json", "-o", join(dir, "x")]);
    expect(build.code).toBe(2);
    expect(build.stderr).toContain("expected a name ending in .ts (a flow file) or .yml or .yaml");
  });
});

describe("validate takes several files", () => {
  it("reports each file and exits with the worst code", async () => {
    const both = await flowc(["validate", "examples/demo.ir.json", example]);
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout).toBe(
      `examples/demo.ir.json: valid IR 'demo' (4 nodes, 3 channels)\n${example}: valid dataflow 'dataflow' (3 nodes, 2 channels)\n`,
    );
    const invalid = await flowc(["validate", "examples/demo.ir.json", `${fixtures}/unknown-ports.yml`, example]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain("examples/demo.ir.json: valid IR");
    expect(invalid.stdout).toContain(`${example}: valid dataflow`);
    expect(invalid.stderr).toContain("FLC3110");
    const missing = await flowc(["validate", `${fixtures}/unknown-ports.yml`, "no/such.ir.json", example]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("FLC4002");
    expect(missing.stderr).toContain("FLC3110");
  });

  it("--json with several files lists each one", async () => {
    const r = await flowc(["validate", "examples/demo.ir.json", `${fixtures}/unknown-ports.yml`, `${fixtures}/python.yml`, "--json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.files.map((f: { file: string; ok: boolean }) => [f.file, f.ok])).toEqual([
      ["examples/demo.ir.json", true],
      [`${fixtures}/unknown-ports.yml`, false],
      [`${fixtures}/python.yml`, true],
    ]);
    expect(doc.files[1].diagnostics.map((d: { code: string }) => d.code)).toEqual(["FLC3110", "FLC3110"]);
    expect(doc.files[2].diagnostics.map((d: { code: string; severity: string }) => [d.code, d.severity])).toEqual([
      ["FLC3112", "warning"],
      ["FLC3112", "warning"],
    ]);
    // One file keeps the shape validate always had.
    expect(Object.keys(JSON.parse((await flowc(["validate", example, "--json"])).stdout))).toEqual(["ok", "diagnostics"]);
  });

  it("the built executable: several files, worst exit code", () => {
    const r = flowcProcess(["validate", "examples/demo.ir.json", `${fixtures}/unknown-ports.yml`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("examples/demo.ir.json: valid IR 'demo'");
    expect(r.stderr).toContain(`${fixtures}/unknown-ports.yml(16,7): error FLC3110`);
  });
});

describe("hand-written nodes against their @flowc/dsl definitions", () => {
  it("an input or output the definition lacks is FLC3110 at its line, instead of a run that hears nothing", async () => {
    expect(await errorsOf(`${fixtures}/unknown-ports.yml`)).toEqual([
      ["FLC3110", 10, 9],
      ["FLC3110", 16, 7],
    ]);
    const r = await flowc(["run", `${fixtures}/unknown-ports.yml`, "--duration", "1", "--config", inline]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Input 'm' of node 'listener' is not an input of Listener ('./nodes.ts'); its inputs are: speech-1.");
    expect(r.stderr).toContain("Output 'shouting' of node 'speaker' is not an output of Speaker");
    expect(r.stderr).not.toContain("flowc: started");
  });

  it("an export that is no node definition is FLC3111 at `args`", async () => {
    expect(await errorsOf(`${fixtures}/not-a-node.yml`)).toEqual([
      ["FLC3111", 5, 11],
      ["FLC3111", 8, 11],
    ]);
    const r = await flowc(["check", `${fixtures}/not-a-node.yml`]);
    expect(r.stderr).toContain("'notANode' of './nodes.ts', which is not a @flowc/dsl node definition: it is 42.");
    expect(r.stderr).toContain("it exports no 'Missing' (its exports: Speaker, Listener, Shout, notANode)");
  });

  it("the definition's type, state and port schemas reach the IR", async () => {
    const r = await flowc(["build", example, "--print-ir"]);
    const ir = JSON.parse(r.stdout) as Ir;
    const [counter, square] = ir.nodes;
    expect(counter).toMatchObject({ type: "Counter", stateful: true, outputs: { count: { schema: { type: "number" } } } });
    expect(square).toMatchObject({
      type: "Square",
      stateful: false,
      inputs: { value: { schema: { type: "number" }, adapter: { kind: "latest" } } },
      outputs: { squared: { schema: { type: "number" } } },
    });
  });

  it("IR rules found after lowering point at the YAML line the channel came from", async () => {
    expect(await errorsOf(`${fixtures}/schema-mismatch.yml`)).toEqual([["FLC1015", 15, 13]]);
    const r = await flowc(["validate", `${fixtures}/schema-mismatch.yml`]);
    expect(r.stderr).toContain("speaker.count produces values that shout.text does not accept: integer is not assignable to string");
    expect(r.stderr).not.toContain("/channels/");
  });

  it("an input id the IR cannot take as a port is FLC1042 at the descriptor's input, not at an IR pointer", async () => {
    // A JavaScript node: no definition is read, so the IR's own id rule is what finds it.
    writeFileSync(join(dir, "plain.mjs"), "export default {};\n");
    const file = join(dir, "bad-port.yml");
    writeFileSync(
      file,
      "nodes:\n  - id: a\n    path: ./plain.mjs\n    outputs:\n      - out\n  - id: b\n    path: ./plain.mjs\n    inputs:\n      1st: a/out\n",
    );
    const r = await flowc(["validate", file, "--json"]);
    const errors = JSON.parse(r.stdout).diagnostics.filter((d: { severity: string }) => d.severity === "error");
    expect(errors.map((d: { code: string; line: number; path: string }) => [d.code, d.line, d.path])).toEqual([
      ["FLC1042", 9, "/nodes/1/inputs/1st"],
    ]);
  });
});

describe("ports named with '-' (Dora's speech-1) end to end", () => {
  it("a descriptor with such ports validates and runs on mp", async () => {
    expect(await errorsOf(speech)).toEqual([]);
    const r = await flowc(["run", speech, "--duration", "0.55", "--config", inline]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n").slice(0, 3)).toEqual(["[listener] heard line 1", "[listener] heard line 2", "[listener] heard line 3"]);
  });

  it("the same descriptor runs on the dataflow runtime (a process per node)", async () => {
    const home = join(dir, "home");
    const r = await flowc(["run", speech, "--runtime", "dataflow", "--duration", "1.5"], { env: { FLOWC_HOME: home } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("[listener] heard line 1\n");
    expect(r.stdout).toContain("[listener] heard line 3\n");
  }, 60_000);

  it("a flow file reads them by string key (node.out['speech-1']) and runs on mp threads and the dataflow runtime", async () => {
    const flow = "tests/frontend/fixtures/dashed-ports.flow.ts";
    const threads = await flowc(["run", flow, "--duration", "1"]);
    expect(threads.code, threads.stderr).toBe(0);
    expect(threads.stdout).toMatch(/\[listener\] heard line (\d+) \(\1\)/);
    const dataflow = await flowc(["run", flow, "--runtime", "dataflow", "--duration", "1.5"], { env: { FLOWC_HOME: join(dir, "home") } });
    expect(dataflow.code, dataflow.stderr).toBe(0);
    expect(dataflow.stdout).toMatch(/\[listener\] heard line (\d+) \(\1\)/);
  }, 60_000);
});
