import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findConfig, loadConfig } from "./config.js";

const dir = mkdtempSync(join(tmpdir(), "flowc-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("flowc.config.json", () => {
  it("is found by walking up from the working directory", () => {
    const project = join(dir, "project");
    const nested = join(project, "a", "b");
    mkdirSync(nested, { recursive: true });
    writeFileSync(join(project, "flowc.config.json"), JSON.stringify({ runtime: "dataflow", runtimes: { mp: { isolation: "inline" } } }));
    expect(findConfig(nested)).toBe(join(project, "flowc.config.json"));
    const loaded = loadConfig(nested);
    expect(loaded).toMatchObject({ ok: true, config: { runtime: "dataflow", runtimes: { mp: { isolation: "inline" } } } });
  });

  it("no file is the empty configuration", () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    const loaded = loadConfig(empty);
    // A config higher up (e.g. in the user's home) could exist; only assert when none was found.
    if (loaded.ok && loaded.path === undefined) expect(loaded.config).toEqual({ runtimes: {} });
  });

  it("rejects unknown keys, wrong types and bad JSON with FLC4010; a missing --config file with FLC4002", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ runtime: 3, runtimez: {} }));
    const result = loadConfig(dir, bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.diagnostics.map((d) => d.code)).toEqual(["FLC4010", "FLC4010"]);
    writeFileSync(bad, "{ runtime: mp }");
    const syntax = loadConfig(dir, bad);
    expect(!syntax.ok && syntax.diagnostics[0]?.code).toBe("FLC4010");
    const missing = loadConfig(dir, "nope.json");
    expect(!missing.ok && missing.diagnostics[0]?.code).toBe("FLC4002");
  });
});
