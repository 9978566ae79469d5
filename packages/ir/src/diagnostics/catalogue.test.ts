import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogue, formatCode } from "./catalogue.js";
import { createDiagnostic } from "./diagnostic.js";
import { formatDiagnostic, formatDiagnostics } from "./format.js";
import { JsonLocator } from "./locate.js";

const packagesDir = join(import.meta.dirname, "../../..");

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "dist") sourceFiles(p, out);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !p.includes("/testing/")) {
      out.push(p);
    }
  }
  return out;
}

describe("diagnostics catalogue", () => {
  const entries = Object.entries(catalogue);

  it("has no duplicate codes", () => {
    const codes = entries.map(([, e]) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it("keeps every code in its band: 1xxx IR, 2xxx frontend, 3xxx runtime, 4xxx CLI", () => {
    for (const [name, e] of entries) {
      expect(e.code, name).toBeGreaterThanOrEqual(1000);
      expect(e.code, name).toBeLessThan(5000);
    }
  });

  it("has no unused code: every entry is created somewhere in a package's sources", () => {
    const sources = sourceFiles(packagesDir)
      .filter((f) => !f.endsWith("catalogue.ts"))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const unused = entries.map(([name]) => name).filter((name) => !sources.includes(`"${name}"`));
    expect(unused).toEqual([]);
  });

  it("every entry has a message, a doc line, and messages end with punctuation", () => {
    for (const [name, e] of entries) {
      expect(e.doc.length, name).toBeGreaterThan(10);
      expect(e.message === "{detail}" || /[.)]$/.test(e.message), name).toBe(true);
    }
  });

  it("fills templates and formats codes", () => {
    const d = createDiagnostic("DuplicateNodeId", { id: "a", first: "/nodes/0" }, { path: "/nodes/2/id" });
    expect(d).toMatchObject({
      code: "FLC1010",
      name: "DuplicateNodeId",
      severity: "error",
      message: "Duplicate node id 'a'; the first node with this id is at /nodes/0.",
    });
    expect(formatCode(42)).toBe("FLC0042");
  });
});

describe("formatting", () => {
  const text = '{\n  "nodes": [\n    { "id": "a" },\n    { "id": "a" }\n  ]\n}\n';

  it("renders tsc-shaped text with a code frame at the JSON pointer's position", () => {
    const [d] = new JsonLocator(text).locateAll(
      [createDiagnostic("DuplicateNodeId", { id: "a", first: "/nodes/0" }, { path: "/nodes/1/id" })],
      "x.ir.json",
    );
    expect(d).toMatchObject({ file: "x.ir.json", line: 4, column: 13, length: 3 });
    const out = formatDiagnostic(d as never, { sourceText: () => text });
    expect(out).toBe(
      [
        "x.ir.json(4,13): error FLC1010: Duplicate node id 'a'; the first node with this id is at /nodes/0.",
        "",
        `4     { "id": "a" }`,
        "              ~~~",
      ].join("\n"),
    );
  });

  it("points a missing property at its parent and an unknown one at its key", () => {
    const locator = new JsonLocator(text);
    expect(locator.locate("/nodes/0/type")).toMatchObject({ line: 3, column: 5 });
    expect(locator.locate("/nodes")).toMatchObject({ line: 2, column: 3, length: 7 });
  });

  it("prints the pointer when there is no position, and a summary line", () => {
    const out = formatDiagnostics([createDiagnostic("IrUnknownProperty", { property: "x" }, { path: "/x" })]);
    expect(out).toContain("error FLC1006: Unknown property 'x'.\n  at /x\n  hint: ");
    expect(out.endsWith("Found 1 error.\n")).toBe(true);
  });
});
