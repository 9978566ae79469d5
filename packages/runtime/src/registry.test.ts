import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FlowcConfig } from "./config.js";
import type { Runtime } from "./contract.js";
import { chooseRuntime, RuntimeRegistry, resolveRuntime, runtimeOptions } from "./registry.js";

const dir = mkdtempSync(join(tmpdir(), "flowc-registry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fake = (name: string): Runtime => ({
  name,
  describe: () => ({ name, description: "test", modes: [], optionsSchema: {} }),
  check: () => [],
  build: () => Promise.reject(new Error("not for running")),
});

describe("runtime selection", () => {
  it("precedence: flag > FLOWC_RUNTIME > config > mp", () => {
    const config = FlowcConfig.parse({ runtime: "fromConfig" });
    expect(chooseRuntime("flag", "env", config)).toEqual({ name: "flag", source: "flag" });
    expect(chooseRuntime(undefined, "env", config)).toEqual({ name: "env", source: "env" });
    expect(chooseRuntime(undefined, "", config)).toEqual({ name: "fromConfig", source: "config" });
    expect(chooseRuntime(undefined, undefined, FlowcConfig.parse({}))).toEqual({ name: "mp", source: "default" });
  });

  it("an unknown runtime is FLC3001 and lists what is available", async () => {
    const registry = new RuntimeRegistry();
    registry.register(fake("mp"));
    const r = await resolveRuntime(registry, "nosuch", FlowcConfig.parse({}), undefined, dir);
    expect(r).toMatchObject({ ok: false, diagnostics: [{ code: "FLC3001", message: "Unknown runtime 'nosuch'; available: mp." }] });
    expect(() => registry.register(fake("mp"))).toThrow(/already registered/);
  });

  it("loads a third-party runtime from the module the config names, relative to the config", async () => {
    mkdirSync(join(dir, "rt"), { recursive: true });
    writeFileSync(
      join(dir, "rt/custom.mjs"),
      `export const runtime = { name: "custom", describe: () => ({ name: "custom", description: "x", modes: [], optionsSchema: {} }), check: () => [], build: async () => { throw new Error("x"); } };`,
    );
    writeFileSync(join(dir, "rt/wrong.mjs"), "export const nothing = 1;");
    const config = FlowcConfig.parse({
      runtimes: { custom: { module: "./rt/custom.mjs", level: 3 }, wrong: { module: "./rt/wrong.mjs" }, gone: { module: "./rt/gone.mjs" } },
    });
    const registry = new RuntimeRegistry();
    const loaded = await resolveRuntime(registry, "custom", config, join(dir, "flowc.config.json"), "/");
    expect(loaded.ok && loaded.runtime.name).toBe("custom");
    expect(registry.get("custom")).toBeDefined();
    expect(runtimeOptions(config, "custom")).toEqual({ level: 3 });
    const wrong = await resolveRuntime(registry, "wrong", config, join(dir, "flowc.config.json"), "/");
    expect(wrong).toMatchObject({ ok: false, diagnostics: [{ code: "FLC3002" }] });
    const gone = await resolveRuntime(registry, "gone", config, join(dir, "flowc.config.json"), "/");
    expect(gone).toMatchObject({ ok: false, diagnostics: [{ code: "FLC3002", message: expect.stringContaining("gone.mjs") }] });
  });
});
