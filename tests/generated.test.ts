import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generatedFiles } from "../scripts/generated-files.js";

const root = join(import.meta.dirname, "..");

describe("generated files are up to date (run `pnpm gen` after changing a schema or the catalogue)", () => {
  for (const file of generatedFiles()) {
    it(file.path, () => {
      let committed: string;
      try {
        committed = readFileSync(join(root, file.path), "utf8");
      } catch {
        throw new Error(`${file.path} is missing; run \`pnpm gen\``);
      }
      expect(committed, `${file.path} is stale; run \`pnpm gen\``).toBe(file.content);
    });
  }
});
