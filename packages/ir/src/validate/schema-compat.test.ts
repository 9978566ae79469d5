import { describe, expect, it } from "vitest";
import { describe as describeSchema } from "./json-schema.js";
import { checkSchemaCompatible, compareSchemas } from "./schema-compat.js";

const ok = (from: object | boolean, to: object | boolean) => expect(compareSchemas(from as never, to as never)).toEqual(SAME);
const bad = (from: object | boolean, to: object | boolean, at = "") =>
  expect(checkSchemaCompatible(from as never, to as never)?.at).toBe(at);
/** Compatible, but the consumer accepts fewer values: a narrowing at `at`. */
const narrow = (from: object, to: object, at = "") => {
  const { incompatible, narrowing } = compareSchemas(from as never, to as never);
  expect(incompatible).toBeNull();
  expect(narrowing?.at).toBe(at);
  return narrowing;
};
const SAME = { incompatible: null, narrowing: null };

const INT = { type: "integer", minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };

describe("JSON Schema compatibility", () => {
  it("types, with integer inside number", () => {
    ok({ type: "number" }, { type: "number" });
    ok({ type: "integer" }, { type: "number" });
    bad({ type: "string" }, { type: "number" });
    ok({ type: ["string", "null"] }, { type: ["null", "string", "number"] });
    bad({ type: ["string", "null"] }, { type: "string" });
  });

  it("unknown schemas on either side are not flagged", () => {
    ok({}, { type: "number" });
    ok({ type: "number" }, {});
    ok(true, { type: "string" });
    ok({ description: "anything" }, { type: "string" });
    ok({ type: "string", format: "date-time" }, { type: "string", format: "date" });
  });

  it("const and enum", () => {
    ok({ const: "a" }, { enum: ["a", "b"] });
    ok({ enum: ["a", "b"] }, { type: "string" });
    bad({ enum: ["a", "c"] }, { enum: ["a", "b"] });
    bad({ type: "string" }, { enum: ["a", "b"] });
    ok({ const: 3 }, { type: "number" });
    bad({ const: 3.5 }, { type: "integer" });
    narrow({ enum: [1, 5] }, { type: "number", minimum: 2 });
  });

  it("unions on either side", () => {
    ok({ anyOf: [{ type: "string" }, { type: "number" }] }, { type: ["string", "number"] });
    bad({ anyOf: [{ type: "string" }, { type: "boolean" }] }, { type: ["string", "number"] });
    ok({ type: "number" }, { anyOf: [{ type: "string" }, { type: "number" }] });
    bad({ type: "boolean" }, { oneOf: [{ type: "string" }, { type: "number" }] });
    // zod's nullable: a type list meets a union one type at a time.
    ok({ type: ["number", "null"] }, { anyOf: [{ type: "number", minimum: -1 / 0 }, { type: "null" }] });
    narrow({ type: ["number", "null"] }, { anyOf: [INT, { type: "null" }] });
    // A branch that takes the producer whole wins over one that narrows it.
    ok({ type: "number" }, { anyOf: [INT, { type: "number" }] });
  });

  it("objects: required, optional, nested, closed, records", () => {
    const point = { type: "object", properties: { x: { type: "number" }, y: { type: "number" } }, required: ["x", "y"] };
    ok(point, point);
    ok(point, { type: "object", properties: { x: { type: "number" } }, required: ["x"] });
    bad({ ...point, required: ["x"] }, point, "/y");
    bad({ type: "object", properties: { x: { type: "string" }, y: { type: "number" } }, required: ["x", "y"] }, point, "/x");
    bad(point, { type: "object", properties: { x: { type: "number" } }, additionalProperties: false }, "/y");
    bad(point, { type: "object", additionalProperties: { type: "string" } }, "/x");
    bad({ type: "object", additionalProperties: { type: "number" } }, { type: "object", additionalProperties: { type: "string" } }, "/*");
    narrow(point, { ...point, properties: { ...point.properties, y: INT } }, "/y");
  });

  it("arrays and tuples", () => {
    ok({ type: "array", items: { type: "integer" } }, { type: "array", items: { type: "number" } });
    bad({ type: "array", items: { type: "string" } }, { type: "array", items: { type: "number" } }, "/0");
    const pair = { type: "array", prefixItems: [{ type: "string" }, { type: "number" }], items: false, minItems: 2, maxItems: 2 };
    ok(pair, pair);
    ok(pair, { type: "array", items: { type: ["string", "number"] } });
    bad(pair, { type: "array", prefixItems: [{ type: "number" }, { type: "number" }], minItems: 2, maxItems: 2 }, "/0");
    bad({ type: "array", items: { type: "string" } }, { ...pair, prefixItems: [{ type: "string" }, { type: "string" }] });
    // A length limit on a list is a narrowing, not a type error.
    narrow({ type: "array", items: { type: "number" } }, { type: "array", items: { type: "number" }, minItems: 1 });
    ok({ type: "array", items: { type: "number" }, minItems: 2, maxItems: 3 }, { type: "array", items: { type: "number" }, minItems: 1 });
  });

  it("narrowings: number into integer, ranges, divisors", () => {
    expect(narrow({ type: "number" }, { ...INT, minimum: 0 })).toEqual({ at: "", produced: "number", accepted: "integer ≥ 0" });
    ok(INT, { type: "number" });
    ok({ ...INT, minimum: 0 }, INT);
    narrow(INT, { ...INT, minimum: 0 });
    ok({ type: "number", minimum: 1, maximum: 5 }, { type: "number", minimum: 0, maximum: 10 });
    narrow({ type: "number", minimum: 0, maximum: 10 }, { type: "number", minimum: 1, maximum: 5 });
    narrow({ type: "number", minimum: 0 }, { type: "number", exclusiveMinimum: 0 });
    ok({ type: "number", exclusiveMinimum: 0 }, { type: "number", minimum: 0 });
    ok({ type: "number", exclusiveMaximum: 0 }, { type: "number", maximum: 0 });
    narrow({ type: "number", multipleOf: 3 }, { type: "number", multipleOf: 2 });
    ok({ type: "number", multipleOf: 4 }, { type: "number", multipleOf: 2 });
    ok({ type: "number", multipleOf: 0.3 }, { type: "number", multipleOf: 0.1 });
  });

  it("narrowings: string lengths, patterns, checked formats", () => {
    narrow({ type: "string" }, { type: "string", minLength: 1 });
    ok({ type: "string", minLength: 2, maxLength: 3 }, { type: "string", minLength: 1, maxLength: 5 });
    narrow({ type: "string" }, { type: "string", pattern: "^a" });
    ok({ type: "string", pattern: "^a" }, { type: "string", pattern: "^a" });
    ok({ type: "string", allOf: [{ pattern: "^a" }, { pattern: "b$" }] }, { type: "string", pattern: "b$" });
    narrow({ type: "string" }, { type: "string", format: "email" });
    ok({ type: "string", format: "email" }, { type: "string", format: "email" });
    // Formats that are not checked stay annotations.
    ok({ type: "string" }, { type: "string", format: "date-time" });
  });

  it("describes schemas like TypeScript types, with their constraints", () => {
    expect(describeSchema({ type: "object", properties: { x: { type: "number" }, tag: { enum: ["a", "b"] } }, required: ["x"] })).toBe(
      '{ x: number; tag?: "a" | "b" }',
    );
    expect(describeSchema({ type: "array", items: { type: "string" } })).toBe("string[]");
    expect(describeSchema({})).toBe("any value");
    expect(describeSchema({ ...INT, minimum: 0 })).toBe("integer ≥ 0");
    expect(describeSchema({ type: "number", exclusiveMinimum: 0, maximum: 5, multipleOf: 0.5 })).toBe(
      "number > 0 and ≤ 5 and a multiple of 0.5",
    );
    expect(describeSchema({ type: "string", minLength: 1, maxLength: 3, pattern: "^a" })).toBe(
      "string of 1 to 3 characters, matching /^a/",
    );
    expect(describeSchema({ type: "string", format: "email", pattern: "^x+@" })).toBe("string in format email");
    expect(describeSchema({ type: "array", items: { type: "number" }, minItems: 1 })).toBe("number[] of at least 1 item");
    expect(describeSchema({ type: "object", additionalProperties: { type: "number" } })).toBe("Record<string, number>");
    expect(describeSchema({ type: ["number", "null"] })).toBe("number | null");
  });
});
