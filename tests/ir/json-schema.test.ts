import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";

// The committed JSON Schema is for users' own tools: check it with an independent validator.
const root = join(import.meta.dirname, "../..");
const schema = JSON.parse(readFileSync(join(root, "packages/ir/schema/ir.v1.schema.json"), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
const dir = join(root, "tests/fixtures/ir");

describe("packages/ir/schema/ir.v1.schema.json with Ajv", () => {
  for (const name of readdirSync(join(dir, "valid")).filter((f) => f.endsWith(".ir.json"))) {
    it(`accepts valid/${name}`, () => {
      const ok = validate(JSON.parse(readFileSync(join(dir, "valid", name), "utf8")));
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    });
  }

  // Structural faults are the schema's to catch; semantic ones (duplicates, references, types
  // across channels, cycles) need flowc's loader.
  for (const name of ["bad-channels", "bad-clocks", "unknown-keys", "version-2", "not-an-object"]) {
    it(`rejects invalid/${name}.ir.json`, () => {
      expect(validate(JSON.parse(readFileSync(join(dir, "invalid", `${name}.ir.json`), "utf8")))).toBe(false);
    });
  }
});
