import { readdirSync } from "node:fs";
import { join } from "node:path";
import { compile } from "@flowc/frontend";
import { formatDiagnostics } from "@flowc/ir";
import { describe, expect, it } from "vitest";

const examples = join(import.meta.dirname, "../../examples");

describe("every example flow builds without diagnostics", () => {
  for (const name of readdirSync(examples).filter((f) => f.endsWith(".flow.ts"))) {
    it(name, () => {
      const result = compile({ entry: join(examples, name) });
      expect(formatDiagnostics(result.diagnostics)).toBe("");
      expect(result.ir?.nodes.length).toBeGreaterThan(0);
    });
  }

  it("the loop-generated worker set is unrolled", () => {
    const ir = compile({ entry: join(examples, "workers.flow.ts") }).ir;
    expect(ir?.nodes.map((n) => n.id)).toEqual(["source", "log", "worker0", "worker1", "worker2", "worker3"]);
    expect(ir?.nodes.slice(2).map((n) => n.params.gain)).toEqual([1, 10, 100, 1000]);
  });
});
