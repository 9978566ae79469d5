// The programmatic API: build, check, run, and the test helper, as a program embedding flowc uses them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, check, run, testFlow } from "@flowc/cli";
import type { RuntimeEvent } from "@flowc/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { stopEsbuild } from "../helpers/processes.js";
import { root } from "./helpers.js";

const scratch = mkdtempSync(join(tmpdir(), "flowc-api-test-"));
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  expect(await stopEsbuild()).toEqual([]);
});

describe("the programmatic API", () => {
  it("check and build return diagnostics and files as data", async () => {
    const good = await check("examples/demo.flow.ts", { cwd: root });
    expect(good).toMatchObject({ ok: true, diagnostics: [] });
    expect(good.ir?.nodes.map((n) => n.id)).toEqual(["counter", "double", "plus10", "sink"]);
    const bad = await check("tests/frontend/fixtures/err-2003-type-mismatch.flow.ts", { cwd: root });
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics.map((d) => d.code)).toContain("FLC2003");
    const built = await build("examples/demo.flow.ts", { cwd: root, outDir: join(scratch, "demo") });
    expect(built.ok).toBe(true);
    expect(built.files.some((f) => f.endsWith("demo.ir.json"))).toBe(true);
  });

  it("run streams the lifecycle as an async iterable and resolves with the RunResult", async () => {
    const handle = run("examples/demo.flow.ts", { cwd: root, runtime: "mp", options: { isolation: "inline" }, durationMs: 3000 });
    const seen: RuntimeEvent["type"][] = [];
    for await (const event of handle.events) seen.push(event.type);
    const result = await handle.result;
    expect(result).toMatchObject({ flow: "demo", status: "stopped", reason: "duration" });
    expect(seen[0]).toBe("built");
    expect(seen.at(-1)).toBe("stopped");
    expect(seen).toContain("started");
  });

  it("an abort signal stops a run; a flow that cannot run rejects with its coded diagnostics", async () => {
    const controller = new AbortController();
    const handle = run("examples/demo.flow.ts", { cwd: root, options: { isolation: "thread" }, signal: controller.signal });
    setTimeout(() => controller.abort(), 1500);
    expect(await handle.result).toMatchObject({ status: "stopped", reason: "request" });
    // TypeScript's own error first (the port types differ), then the flow's.
    await expect(run("tests/frontend/fixtures/err-2003-type-mismatch.flow.ts", { cwd: root }).result).rejects.toMatchObject({
      diagnostic: { code: "TS2379" },
      diagnostics: [{ code: "TS2379" }, { code: "FLC2003" }],
    });
    await expect(
      run("tests/frontend/fixtures/err-2003-type-mismatch.flow.ts", { cwd: root, typecheck: false }).result,
    ).rejects.toMatchObject({ diagnostic: { code: "FLC2003" } });
  });
});

describe("testFlow", () => {
  it("feeds named inputs, taps outputs nothing reads, and runs deterministically on the logical clock", async () => {
    const t = await testFlow("examples/demo.flow.ts", { cwd: root, feed: { "double.value": [1, 2, 3] }, untilMs: 100 });
    expect(t.delivered("double.value->plus10.value")).toEqual([2, 4, 6]);
    expect(t.outputs("plus10.value")).toEqual([12, 14, 16]);
    // The counter still ticks (once before 100 ms); what fed double is replaced, so its output is tapped.
    expect(t.outputs("counter.value")).toEqual([1]);
    expect(t.result.nodes.map((n) => n.id)).toEqual(["counter", "double", "plus10", "sink"]);
  });

  it("runs a finite flow until it is quiet, and refuses to feed an input that does not exist", async () => {
    const t = await testFlow("tests/conformance/flows/scenarios.flow.ts", { cwd: root, flow: "batch" });
    expect(t.result.status).toBe("succeeded");
    expect(t.delivered("numbers.value->double.value")).toHaveLength(200);
    await expect(testFlow("examples/demo.flow.ts", { cwd: root, feed: { "double.nope": [1] } })).rejects.toMatchObject({
      diagnostic: { code: "FLC4001", message: expect.stringContaining("The flow has no input 'double.nope' to feed") },
    });
  });
});
