// `flowc graph --format html [-o file]`: a self-contained page of the flow, from a flow file, an
// IR file or a Dora descriptor; `-o` writes any format to a file, whole or not at all.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { flowc, flowcProcess } from "./helpers.js";

const demo = "examples/demo.flow.ts";
const dora = "tests/fixtures/dora/examples/rust-dataflow/dataflow.yml";
const scratch = mkdtempSync(join(tmpdir(), "flowc-graph-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("flowc graph --format html", () => {
  it("writes the demo flow's page with -o: every node, nothing external, nothing on stdout", async () => {
    const out = join(scratch, "demo.html");
    const run = await flowc(["graph", demo, "--format", "html", "-o", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`flowc: wrote the html graph of 'demo' (4 nodes, 3 channels) to ${out}`);
    const page = readFileSync(out, "utf8");
    expect(page.startsWith("<!doctype html>")).toBe(true);
    for (const id of ["counter", "double", "plus10", "sink"]) expect(page).toContain(`data-node="${id}"`);
    expect(page).toContain(">rate 1 Hz</text>");
    expect(page).toContain(">cap 8 · block</tspan>");
    expect(page).toContain('"source":"examples/demo.flow.ts:');
    expect(page).toContain("Content-Security-Policy");
    expect(page).not.toMatch(/https?:|\bsrc=|\bhref=/);
    // Written by rename: no temporary file is left beside it.
    expect(readdirSync(scratch).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("prints the page on stdout without -o, the same bytes as the file", async () => {
    const run = await flowc(["graph", demo, "--format", "html"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(readFileSync(join(scratch, "demo.html"), "utf8"));
  });

  it("draws a Dora descriptor (with its warnings) and an IR file", async () => {
    const out = join(scratch, "nested/dir/dora.html");
    const run = await flowc(["graph", dora, "--format", "html", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("warning FLC3112");
    const page = readFileSync(out, "utf8");
    for (const id of ["rust-node", "rust-status-node", "rust-sink"]) expect(page).toContain(`data-node="${id}"`);
    for (const port of ["random", "status", "message"]) expect(page).toContain(`data-port="${port}"`);
    // Dora's timers are clocks, not ports.
    expect(page).toContain(">rate 100 Hz</text>");
    expect(page).toContain(">hybrid 10 Hz + random</text>");
    const ir = await flowc(["graph", "tests/fixtures/ir/valid/feedback.ir.json", "--format", "html"]);
    expect(ir.code, ir.stderr).toBe(0);
    expect(ir.stdout).toContain(`<g class="fg-edge fg-cycle"`);
  });

  it("the built executable writes it too (elkjs loads from the built CLI)", () => {
    const out = join(scratch, "process.html");
    const run = flowcProcess(["graph", "tests/fixtures/ir/valid/demo.ir.msgpack", "--format", "html", "-o", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(out, "utf8")).toContain('data-node="plus10"');
  });

  it("-o writes Mermaid and DOT as well", async () => {
    const mermaid = join(scratch, "demo.mmd");
    expect((await flowc(["graph", demo, "-o", mermaid])).code).toBe(0);
    expect(readFileSync(mermaid, "utf8")).toContain("flowchart LR");
    const dot = join(scratch, "demo.dot");
    const run = await flowc(["graph", demo, "--format", "dot", "-o", dot]);
    expect(run.stdout).toBe("");
    expect(readFileSync(dot, "utf8")).toMatch(/^digraph "demo" \{/);
  });

  it("refuses an unknown format with exit 2, before reading anything", async () => {
    const out = join(scratch, "never.svg");
    const run = await flowc(["graph", demo, "--format", "svg", "-o", out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error FLC4001: Unknown graph format 'svg'; use one of: mermaid, dot, html.");
    expect(existsSync(out)).toBe(false);
  });

  it("reports an output it cannot write with FLC4006 and exit 2, leaving nothing behind", async () => {
    const file = join(scratch, "a-file");
    writeFileSync(file, "keep");
    const under = await flowc(["graph", demo, "--format", "html", "-o", join(file, "graph.html")]);
    expect(under.code).toBe(2);
    expect(under.stderr).toContain(`error FLC4006: Cannot write '${join(file, "graph.html")}': a parent of it is not a directory.`);
    const dir = await flowc(["graph", demo, "--format", "html", "-o", scratch]);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toContain(`error FLC4006: Cannot write '${scratch}': it is a directory.`);
    expect(readFileSync(file, "utf8")).toBe("keep");
    expect(readdirSync(scratch).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("a missing flow file is FLC4002, and no file is written", async () => {
    const out = join(scratch, "missing.html");
    const run = await flowc(["graph", "nope.flow.ts", "--format", "html", "-o", out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("FLC4002");
    expect(existsSync(out)).toBe(false);
  });
});
