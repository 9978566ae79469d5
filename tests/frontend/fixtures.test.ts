import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compile } from "@flowc/frontend";
import { encodeJson, formatDiagnostics } from "@flowc/ir";
import { describe, expect, it } from "vitest";

// Golden baselines for the compiler: each fixtures/*.flow.ts has an expected .ir.json (when it
// builds) and .diagnostics.txt (when it reports anything). `pnpm test:accept` rewrites them.
const root = join(import.meta.dirname, "../..");
const dir = join(import.meta.dirname, "fixtures");
const fixtures = readdirSync(dir).filter((f) => f.endsWith(".flow.ts"));

describe("compiler golden fixtures", () => {
  it("has at least 30 fixtures", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
  });

  for (const name of fixtures) {
    const stem = name.replace(/\.flow\.ts$/, "");
    it(name, async () => {
      const result = compile({ entry: join(dir, name), displayRoot: root });
      const irFile = join(dir, `${stem}.ir.json`);
      const diagnosticsFile = join(dir, `${stem}.diagnostics.txt`);
      if (result.ir) await expect(encodeJson(result.ir)).toMatchFileSnapshot(irFile);
      else expect(existsSync(irFile), `${stem}.ir.json should not exist: the fixture does not build`).toBe(false);
      if (result.diagnostics.length > 0) {
        const text = formatDiagnostics(result.diagnostics, { sourceText: (file) => readFileSync(join(root, file), "utf8") });
        await expect(text).toMatchFileSnapshot(diagnosticsFile);
      } else {
        expect(existsSync(diagnosticsFile), `${stem}.diagnostics.txt should not exist: the fixture reports nothing`).toBe(false);
      }
      if (stem.startsWith("err-")) expect(result.ir).toBeUndefined();
      else expect(result.ir).toBeDefined();
    });
  }
});
