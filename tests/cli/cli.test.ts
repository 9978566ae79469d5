import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeMsgpack, irJsonSchema, loadIr } from "@flowc/ir";
import { testChannel, testIr, testNode, testSource } from "@flowc/ir/testing";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, describe, expect, it } from "vitest";
import { bin, flowc, flowcProcess, root } from "./helpers.js";

const demo = "tests/fixtures/ir/valid/demo.ir.json";
const scratch = mkdtempSync(join(tmpdir(), "flowc-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("flowc (built executable)", () => {
  it("a reader that closes the pipe early (flowc … | head) ends flowc quietly", async () => {
    // A graph far larger than a pipe's buffer, so flowc is still writing when the reader goes.
    const nodes = Array.from({ length: 3000 }, (_, i) => (i === 0 ? testSource("n0") : testNode(`n${i}`)));
    const channels = nodes.slice(1).map((_, i) => testChannel(`n${i}.value`, `n${i + 1}.value`));
    const big = join(scratch, "big.ir.json");
    writeFileSync(big, JSON.stringify(testIr(nodes, channels, "big")));
    const child = spawn(process.execPath, [bin, "graph", big], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  it("--version and --help exit 0", () => {
    const version = flowcProcess(["--version"]);
    expect(version).toMatchObject({ code: 0, stdout: "0.1.0\n" });
    const help = flowcProcess(["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["inspect", "validate", "graph", "schema"]) expect(help.stdout).toContain(command);
  });

  it("inspect --json prints exactly the summary on stdout", () => {
    const run = flowcProcess(["inspect", demo, "--json"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const summary = JSON.parse(run.stdout);
    expect(Object.keys(summary)).toEqual([
      "name",
      "irVersion",
      "hash",
      "nodes",
      "channels",
      "sources",
      "sinks",
      "order",
      "cycles",
      "partitions",
    ]);
    expect(summary).toMatchObject({ name: "demo", irVersion: 1, nodes: 4, channels: 3, sources: ["counter"], sinks: ["sink"], cycles: [] });
    expect(summary.order).toEqual(["counter", "double", "plus10", "sink"]);
    expect(summary.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("an invalid IR exits 1 with coded tsc-style diagnostics on stderr and nothing on stdout", () => {
    const run = flowcProcess(["validate", "tests/fixtures/ir/invalid/duplicate-ids.ir.json"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^tests\/fixtures\/ir\/invalid\/duplicate-ids\.ir\.json\(\d+,\d+\): error FLC1010: Duplicate node id 'double'/m,
    );
    expect(run.stderr).toContain("error FLC1011");
  });

  it("usage errors, missing and unreadable files exit 2", () => {
    expect(flowcProcess(["frobnicate"]).code).toBe(2);
    expect(flowcProcess(["inspect"]).code).toBe(2);
    const missing = flowcProcess(["inspect", "nope.ir.json"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error FLC4002: Cannot find IR file 'nope.ir.json'.");
    expect(flowcProcess(["inspect", "README.md"]).code).toBe(2);
    expect(flowcProcess(["inspect", "tests/fixtures/ir/valid"]).stderr).toContain("FLC4004");
  });
});

describe("flowc inspect", () => {
  it("prints a readable summary with clocks and rates", async () => {
    const run = await flowc(["inspect", demo]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("order       counter → double → plus10 → sink");
    expect(run.stdout).toMatch(/counter\s+Counter\s+rate 1 Hz\s+0\s+1\s+1 Hz/);
  });

  it("reads MessagePack IR and gives the same summary as JSON", async () => {
    const fromJson = JSON.parse((await flowc(["inspect", demo, "--json"])).stdout);
    const fromMsgpack = JSON.parse((await flowc(["inspect", "tests/fixtures/ir/valid/demo.ir.msgpack", "--json"])).stdout);
    expect(fromMsgpack).toEqual(fromJson);
  });

  it("--json on an invalid IR prints {ok: false, diagnostics} with JSON pointers and positions", async () => {
    const run = await flowc(["inspect", "tests/fixtures/ir/invalid/bad-channels.ir.json", "--json"]);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout);
    expect(out.ok).toBe(false);
    expect(out.diagnostics.map((d: { code: string; path: string }) => [d.code, d.path])).toEqual([
      ["FLC1032", "/nodes/2/inputs/value/adapter/kind"],
      ["FLC1030", "/channels/0/capacity"],
      ["FLC1031", "/channels/1/onFull"],
    ]);
    expect(out.diagnostics[0]).toMatchObject({
      file: "tests/fixtures/ir/invalid/bad-channels.ir.json",
      line: expect.any(Number),
      column: expect.any(Number),
    });
  });

  it("reports corrupt MessagePack with a code and exit 1", async () => {
    const file = join(scratch, "broken.ir.msgpack");
    const ir = loadIr(await import("node:fs").then((fs) => fs.readFileSync(join(root, demo), "utf8")));
    if (!ir.ok) throw new Error("demo fixture invalid");
    writeFileSync(file, encodeMsgpack(ir.ir).subarray(0, 40));
    const run = await flowc(["inspect", file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error FLC1002");
  });

  it("an unreadable file is an environment error (exit 2)", async () => {
    if (process.getuid?.() === 0) return; // root can read anything; covered by the directory case
    const file = join(scratch, "secret.ir.json");
    writeFileSync(file, "{}");
    chmodSync(file, 0o000);
    const run = await flowc(["inspect", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("FLC4003");
  });

  it("a directory is an environment error (exit 2)", async () => {
    const dir = join(scratch, "dir.ir.json");
    await import("node:fs").then((fs) => fs.mkdirSync(dir, { recursive: true }));
    const run = await flowc(["inspect", dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error FLC4003: Cannot read");
  });
});

describe("flowc validate", () => {
  it("accepts a valid IR", async () => {
    const run = await flowc(["validate", demo]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toContain("valid IR 'demo' (4 nodes, 3 channels)");
    expect(JSON.parse((await flowc(["validate", demo, "--json"])).stdout)).toEqual({ ok: true, diagnostics: [] });
  });

  it("names the unsupported version and lists supported ones", async () => {
    const run = await flowc(["validate", "tests/fixtures/ir/invalid/version-2.ir.json"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error FLC1003: irVersion 2 is not supported; this flowc reads irVersion 1.");
  });
});

describe("flowc graph", () => {
  it("prints Mermaid by default with clocks and port labels", async () => {
    const run = await flowc(["graph", demo]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("flowchart LR");
    expect(run.stdout).toContain('n0["counter: Counter<br/>rate 1 Hz"]');
    // Labels name what differs from the defaults (capacity 10, block).
    expect(run.stdout).toContain('n0 -->|"value → value (dropOldest)"| n1');
    expect(run.stdout).toContain('n1 -->|"value → value (cap 8)"| n2');
  });

  it("prints Graphviz DOT", async () => {
    const run = await flowc(["graph", demo, "--format", "dot"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^digraph "demo" \{/);
    expect(run.stdout).toContain('"counter" -> "double" [label="value → value (dropOldest)"];');
    expect(run.stdout).toContain('"double" [label="double\\nScale\\ntrigger(value)"];');
  });

  it("rejects an unknown format with exit 2", async () => {
    const run = await flowc(["graph", demo, "--format", "svg"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("FLC4001: Unknown graph format 'svg'; use one of: mermaid, dot, html.");
  });
});

describe("flowc schema", () => {
  it("prints the IR JSON Schema by default and the config schema on request", async () => {
    const ir = await flowc(["schema"]);
    expect(JSON.parse(ir.stdout)).toEqual(irJsonSchema());
    expect(JSON.parse((await flowc(["schema", "ir"])).stdout).title).toBe("flowc IR v1");
    const config = JSON.parse((await flowc(["schema", "config"])).stdout);
    expect(config.properties.runtime.type).toBe("string");
    // The built-in runtimes' options are part of it, so editors check them.
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(config);
    expect(
      validate({ runtime: "mp", runtimes: { mp: { isolation: "process", graceMs: 100 }, custom: { module: "./x.mjs", anything: 1 } } }),
    ).toBe(true);
    expect(validate({ runtimes: { mp: { isolation: "fiber" } } })).toBe(false);
    expect(validate({ runtimes: { mp: { isolaton: "thread" } } })).toBe(false);
  });

  it("rejects unknown schema names with exit 2", async () => {
    const run = await flowc(["schema", "dag"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("FLC4005: Unknown schema 'dag'; available: ir, config.");
  });
});

describe("usage errors", () => {
  it("suggests the closest command", async () => {
    const run = await flowc(["inspekt", demo]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error FLC4001: Unknown command 'inspekt'");
    expect(run.stderr).toContain("inspect");
  });

  it("no arguments prints help and exits 0", async () => {
    const run = await flowc([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: flowc");
  });
});
