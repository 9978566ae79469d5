import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { summarize } from "@flowc/cli";
import { encodeJson, formatDiagnostics } from "@flowc/ir";
import { describe, expect, it } from "vitest";
import { readIrFile } from "../../packages/cli/src/files.js";

// Golden baselines: `pnpm test:accept` rewrites the *.summary.json / *.diagnostics.txt files;
// review them as diffs.
const root = join(import.meta.dirname, "../..");
const dir = "tests/fixtures/ir";
const list = (sub: string) => readdirSync(join(root, dir, sub)).filter((f) => /\.ir\.(json|msgpack)$/.test(f));

describe("valid IR fixtures", () => {
  for (const name of list("valid")) {
    it(name, async () => {
      const read = readIrFile(root, `${dir}/valid/${name}`);
      if (!read.ok) throw new Error(formatDiagnostics(read.diagnostics));
      expect(read.warnings).toEqual([]);
      if (name.endsWith(".json") && !name.startsWith("minimal")) {
        expect(encodeJson(read.ir), "fixture is not in canonical form").toBe(readFileSync(join(root, dir, "valid", name), "utf8"));
      }
      await expect(`${JSON.stringify(summarize(read.ir), null, 2)}\n`).toMatchFileSnapshot(
        join(root, dir, "valid", name.replace(/\.ir\.(json|msgpack)$/, ".$1.summary.json")),
      );
    });
  }
});

describe("invalid IR fixtures", () => {
  for (const name of list("invalid")) {
    it(name, async () => {
      const read = readIrFile(root, `${dir}/invalid/${name}`);
      expect(read.ok).toBe(false);
      if (read.ok) return;
      for (const d of read.diagnostics) expect(d.path !== undefined || d.line !== undefined, d.message).toBe(true);
      const text = formatDiagnostics(read.diagnostics, { sourceText: (file) => readFileSync(join(root, file), "utf8") });
      await expect(text).toMatchFileSnapshot(join(root, dir, "invalid", name.replace(/\.ir\.json$/, ".diagnostics.txt")));
    });
  }
});
