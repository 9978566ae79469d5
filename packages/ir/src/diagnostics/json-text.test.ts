import fc from "fast-check";
import { type ParseError, parse, printParseErrorCode } from "jsonc-parser";
import { describe, expect, it } from "vitest";
import { createDiagnostic } from "./diagnostic.js";
import { CODE_FRAME_WIDTH, formatDiagnostics, MAX_PRINTED_DIAGNOSTICS } from "./format.js";
import { scanJsonText } from "./json-text.js";
import { JsonLocator } from "./locate.js";

/** jsonc-parser's first strict error, in the words the loader prints. */
function jsoncFirstError(text: string): { message: string; offset: number } | undefined {
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return undefined;
  const message = printParseErrorCode(first.error)
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .replace(/^./, (c) => c.toUpperCase());
  return { message, offset: first.offset };
}

describe("the iterative JSON scan", () => {
  it("finds the same first syntax error as jsonc-parser's recursive parser", () => {
    const pieces = [
      "{",
      "}",
      "[",
      "]",
      ",",
      ":",
      '"a"',
      '"b\\q"',
      "1",
      "-",
      "1e",
      "true",
      "nul",
      "null",
      " ",
      "\n",
      "/",
      "//x\n",
      "x",
      '"\\u12"',
      '"',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), (parts) => {
        const text = parts.join("");
        const mine = scanJsonText(text);
        const theirs = jsoncFirstError(text);
        expect(mine && { message: mine.message, offset: mine.offset }, JSON.stringify(text)).toEqual(theirs);
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees with jsonc-parser on corruptions of a real IR", () => {
    const text = JSON.stringify(
      { irVersion: 1, name: "x", nodes: [{ id: "a", params: { list: [1, 2, { deep: [null, true] }] } }] },
      null,
      2,
    );
    fc.assert(
      fc.property(fc.nat(text.length - 1), fc.constantFrom("", "{", "}", "]", ",", ":", '"', "x"), (at, put) => {
        const bad = text.slice(0, at) + put + text.slice(at + 1);
        const mine = scanJsonText(bad);
        const theirs = jsoncFirstError(bad);
        expect(mine && { message: mine.message, offset: mine.offset }).toEqual(theirs);
      }),
      { numRuns: 2000 },
    );
  });

  it("locates pointers like jsonc-parser did: keys of containers, values of scalars, a missing member at its parent", () => {
    const text = '{\n  "a": {"b": [10, {"c": 1}]},\n  "a": {"b": 2},\n  "0": 5\n}\n';
    const locator = new JsonLocator(text);
    // The last of two equal keys is the one JSON.parse keeps.
    expect(locator.locate("/a")).toMatchObject({ line: 3, column: 3, length: 3 });
    expect(locator.locate("/a/b")).toMatchObject({ line: 3, column: 14, length: 1 });
    expect(locator.locate("/a/nope")).toMatchObject({ line: 3, column: 8 });
    expect(locator.locate("/0")).toMatchObject({ line: 4, column: 8 });
    expect(locator.locate("/0", true)).toMatchObject({ line: 4, column: 3, length: 3 });
    expect(locator.locate("")).toMatchObject({ line: 1, column: 1, length: 1 });
  });
});

describe("printing many diagnostics", () => {
  const text = `${Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join("\n")}\n`;
  const many = Array.from({ length: 20_000 }, (_, i) =>
    createDiagnostic("IrUnknownProperty", { property: `p${i}` }, { file: "big.json", line: i + 1, column: 1, length: 4 }),
  );

  it("reads each source once, prints the first hundred in full and counts the rest", () => {
    let reads = 0;
    const out = formatDiagnostics(many, {
      sourceText: () => {
        reads++;
        return text;
      },
    });
    expect(reads).toBe(1);
    expect(out.match(/error FLC1006/g)).toHaveLength(MAX_PRINTED_DIAGNOSTICS);
    expect(out).toContain("line 99\n");
    expect(out).not.toContain("line 100\n");
    expect(out).toContain(`… and ${20_000 - MAX_PRINTED_DIAGNOSTICS} more diagnostics not shown (19900 errors).`);
    expect(out.endsWith("Found 20000 errors.\n")).toBe(true);
    expect(formatDiagnostics(many.slice(0, 3), { limit: 1 })).toContain("… and 2 more diagnostics not shown (2 errors).");
  });

  it("shows a window of a long line around the column, not the whole line", () => {
    const line = `${"a".repeat(500_000)}BAD${"z".repeat(500_000)}`;
    const d = createDiagnostic("IrUnknownProperty", { property: "BAD" }, { file: "one.json", line: 1, column: 500_001, length: 3 });
    const out = formatDiagnostics([d], { sourceText: () => line });
    expect(out.length).toBeLessThan(1000);
    const [frame, marker] = out.split("\n").slice(2, 4) as [string, string];
    expect(frame.length).toBeLessThanOrEqual(CODE_FRAME_WIDTH + 6);
    expect(frame.startsWith("1 …a")).toBe(true);
    expect(frame.endsWith("z…")).toBe(true);
    expect(frame.slice(marker.indexOf("~"), marker.indexOf("~") + 3)).toBe("BAD");
    expect(marker.trim()).toBe("~~~");
  });

  it("a message longer than the cap is cut in text (JSON keeps it whole)", () => {
    const d = createDiagnostic("IrInvalidValue", { detail: "x".repeat(10_000) });
    const out = formatDiagnostics([d]);
    expect(out.length).toBeLessThan(2_200);
    expect(out).toContain("(8000 more characters)");
  });
});
