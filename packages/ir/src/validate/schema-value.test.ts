import { describe, expect, it } from "vitest";
import type { Json } from "../schema.js";
import { explainSchemaMismatch, valueMatchesSchema } from "./schema-value.js";

const SAFE = Number.MAX_SAFE_INTEGER;
const NON_NEGATIVE_INT = { type: "integer", minimum: 0, maximum: SAFE };

function check(schema: object, good: Json[], bad: Json[]) {
  for (const value of good) expect(valueMatchesSchema(schema as never, value), `${JSON.stringify(value)} should match`).toBe(true);
  for (const value of bad) expect(valueMatchesSchema(schema as never, value), `${JSON.stringify(value)} should not match`).toBe(false);
}

describe("values against port schemas", () => {
  it("integers and numeric bounds", () => {
    check(NON_NEGATIVE_INT, [0, 1, SAFE], [-1, 1.5, SAFE + 2, "1", null]);
    check({ type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 }, [0.5], [0, 1, -0.1]);
    check({ type: "number", minimum: 1, maximum: 1 }, [1], [0.999, 1.001]);
  });

  it("multipleOf, with decimal divisors", () => {
    check({ type: "number", multipleOf: 0.1 }, [0.3, 1.2, -0.7, 0], [0.25]);
    check({ type: "number", multipleOf: 2, allOf: [{ multipleOf: 3 }] }, [6, 12], [4, 9]);
  });

  it("string lengths count code points", () => {
    check({ type: "string", minLength: 1, maxLength: 2 }, ["a", "ab", "😀", "😀😀"], ["", "abc", "😀😀😀"]);
  });

  it("patterns search anywhere, as JSON Schema says; several patterns all apply", () => {
    check({ type: "string", pattern: "b" }, ["abc"], ["xyz"]);
    check({ type: "string", pattern: "^a+$" }, ["aaa"], ["aab"]);
    check({ type: "string", allOf: [{ pattern: "^ab.*" }, { pattern: ".*cd$" }] }, ["abcd", "ab-cd"], ["abc", "bcd"]);
  });

  it("checked formats: email, uri, uuid; other formats are annotations", () => {
    check({ type: "string", format: "email" }, ["a@b.io", "first.last+tag@mail.example.com"], ["a@b", "@b.io", "a b@c.io", "a..b@c.io"]);
    check({ type: "string", format: "uri" }, ["https://flowc.dev/x?y=1", "mailto:a@b.io", "urn:isbn:123"], ["flowc.dev", "/relative", ""]);
    check(
      { type: "string", format: "uuid" },
      ["0190a1c3-7b2e-7c1a-9d4e-1f2a3b4c5d6e", "00000000-0000-0000-0000-000000000000"],
      ["0190a1c3", "g190a1c3-7b2e-7c1a-9d4e-1f2a3b4c5d6e"],
    );
    check({ type: "string", format: "date-time" }, ["not a date"], []);
  });

  it("enum and const", () => {
    check({ type: "string", enum: ["a", "b"] }, ["a"], ["c"]);
    check({ type: "null", const: null }, [null], [0]);
  });

  it("arrays: lengths, tuples (prefixItems, items: false)", () => {
    check({ type: "array", items: { type: "number" }, minItems: 1, maxItems: 2 }, [[1], [1, 2]], [[], [1, 2, 3], ["a"]]);
    const tuple = { type: "array", prefixItems: [{ type: "number" }, { type: "string" }], items: false, minItems: 2, maxItems: 2 };
    check(tuple, [[1, "a"]], [[1], [1, "a", 2], ["a", 1]]);
    check({ type: "array", prefixItems: [{ type: "number" }], items: { type: "string" }, minItems: 1 }, [[1], [1, "a", "b"]], [[1, 2]]);
  });

  it("objects: records (additionalProperties, propertyNames), closed objects", () => {
    const record = { type: "object", propertyNames: { type: "string", minLength: 2 }, additionalProperties: { type: "number" } };
    check(record, [{}, { ab: 1 }], [{ ab: "x" }, { a: 1 }]);
    check(
      { type: "object", properties: { a: { type: "number" } }, required: ["a"], additionalProperties: false },
      [{ a: 1 }],
      [{}, { a: 1, b: 2 }],
    );
    check({ type: "object", properties: { a: { type: "number" } } }, [{}, { a: 1, b: "anything" }], [{ a: "x" }]);
  });

  it("anyOf takes any branch, oneOf exactly one", () => {
    check({ anyOf: [NON_NEGATIVE_INT, { type: "null" }] }, [1, null], [-1, 1.5]);
    check({ type: ["number", "null"] }, [1.5, null], ["x"]);
    check({ oneOf: [{ type: "number" }, { type: "integer" }] }, [1.5], [1]);
    check({ not: {} }, [], [1, null]);
  });
});

describe("explaining a mismatch", () => {
  it("names the deepest failing part and what it expected there", () => {
    const reading = {
      type: "object",
      properties: { level: NON_NEGATIVE_INT, tags: { type: "array", items: { type: "string", format: "email" } } },
    };
    expect(explainSchemaMismatch(reading as never, { level: 1.5 })).toEqual({ path: "/level", detail: "expected an integer ≥ 0, got 1.5" });
    expect(explainSchemaMismatch(reading as never, { level: -3 })).toEqual({ path: "/level", detail: "expected an integer ≥ 0, got -3" });
    expect(explainSchemaMismatch(reading as never, { level: 1, tags: ["a@b.io", "nope"] })).toEqual({
      path: "/tags/1",
      detail: 'expected a string in format email, got "nope"',
    });
    expect(explainSchemaMismatch(reading as never, { level: 1 })).toBeUndefined();
  });

  it("follows the one union branch that comes closest", () => {
    expect(explainSchemaMismatch({ anyOf: [NON_NEGATIVE_INT, { type: "null" }] } as never, -1)).toEqual({
      path: "",
      detail: "expected an integer ≥ 0, got -1",
    });
    expect(explainSchemaMismatch({ anyOf: [NON_NEGATIVE_INT, { type: "null" }] } as never, "x")?.detail).toBe(
      'expected integer ≥ 0 | null, got "x"',
    );
  });

  it("lengths, missing and unexpected properties, record keys", () => {
    expect(explainSchemaMismatch({ type: "array", items: { type: "number" }, minItems: 1 } as never, [])?.detail).toBe(
      "expected at least 1 item, got 0 items",
    );
    const closed = { type: "object", properties: { a: { type: "number" } }, required: ["a"], additionalProperties: false };
    expect(explainSchemaMismatch(closed as never, {})).toEqual({ path: "", detail: "missing required property 'a'" });
    expect(explainSchemaMismatch(closed as never, { a: 1, b: 2 })).toEqual({ path: "/b", detail: "unexpected property 'b'" });
    const record = { type: "object", propertyNames: { type: "string", enum: ["x", "y"] }, additionalProperties: { type: "number" } };
    expect(explainSchemaMismatch(record as never, { x: "1" })).toEqual({ path: "/x", detail: 'expected a number, got "1"' });
    expect(explainSchemaMismatch(record as never, { z: 1 })?.path).toBe("/z");
  });

  it("explains a second pattern held in allOf", () => {
    const schema = { type: "string", allOf: [{ pattern: "^ab" }, { pattern: "cd$" }] };
    expect(explainSchemaMismatch(schema as never, "abx")?.detail).toBe('expected a string matching /cd$/, got "abx"');
  });
});
