import { describe, expect, it } from "vitest";
import { checkSchemaCompatible, describe as describeSchema } from "./schema-compat.js";

const ok = (from: object | boolean, to: object | boolean) => expect(checkSchemaCompatible(from as never, to as never)).toBeNull();
const bad = (from: object | boolean, to: object | boolean, at = "") =>
  expect(checkSchemaCompatible(from as never, to as never)?.at).toBe(at);

describe("JSON Schema compatibility", () => {
  it("types, with integer inside number", () => {
    ok({ type: "number" }, { type: "number" });
    ok({ type: "integer" }, { type: "number" });
    bad({ type: "number" }, { type: "integer" });
    bad({ type: "string" }, { type: "number" });
    ok({ type: ["string", "null"] }, { type: ["null", "string", "number"] });
    bad({ type: ["string", "null"] }, { type: "string" });
  });

  it("unknown schemas on either side are not flagged", () => {
    ok({}, { type: "number" });
    ok({ type: "number" }, {});
    ok(true, { type: "string" });
    ok({ description: "anything" }, { type: "string" });
    ok({ type: "string", format: "uuid" }, { type: "string", pattern: "x" });
  });

  it("const and enum", () => {
    ok({ const: "a" }, { enum: ["a", "b"] });
    ok({ enum: ["a", "b"] }, { type: "string" });
    bad({ enum: ["a", "c"] }, { enum: ["a", "b"] });
    bad({ type: "string" }, { enum: ["a", "b"] });
    ok({ const: 3 }, { type: "number" });
    bad({ const: 3.5 }, { type: "integer" });
  });

  it("unions on either side", () => {
    ok({ anyOf: [{ type: "string" }, { type: "number" }] }, { type: ["string", "number"] });
    bad({ anyOf: [{ type: "string" }, { type: "boolean" }] }, { type: ["string", "number"] });
    ok({ type: "number" }, { anyOf: [{ type: "string" }, { type: "number" }] });
    bad({ type: "boolean" }, { oneOf: [{ type: "string" }, { type: "number" }] });
  });

  it("objects: required, optional, nested, closed", () => {
    const point = { type: "object", properties: { x: { type: "number" }, y: { type: "number" } }, required: ["x", "y"] };
    ok(point, point);
    ok(point, { type: "object", properties: { x: { type: "number" } }, required: ["x"] });
    bad({ ...point, required: ["x"] }, point, "/y");
    bad({ type: "object", properties: { x: { type: "string" }, y: { type: "number" } }, required: ["x", "y"] }, point, "/x");
    bad(point, { type: "object", properties: { x: { type: "number" } }, additionalProperties: false }, "/y");
    bad(point, { type: "object", additionalProperties: { type: "string" } }, "/x");
  });

  it("arrays and tuples", () => {
    ok({ type: "array", items: { type: "integer" } }, { type: "array", items: { type: "number" } });
    bad({ type: "array", items: { type: "string" } }, { type: "array", items: { type: "number" } }, "/0");
    const pair = { type: "array", prefixItems: [{ type: "string" }, { type: "number" }], minItems: 2, maxItems: 2 };
    ok(pair, pair);
    ok(pair, { type: "array", items: { type: ["string", "number"] } });
    bad(pair, { type: "array", prefixItems: [{ type: "number" }, { type: "number" }], minItems: 2, maxItems: 2 }, "/0");
    bad({ type: "array", items: { type: "number" } }, { type: "array", items: { type: "number" }, minItems: 1 });
  });

  it("describes schemas like TypeScript types", () => {
    expect(describeSchema({ type: "object", properties: { x: { type: "number" }, tag: { enum: ["a", "b"] } }, required: ["x"] })).toBe(
      '{ x: number; tag?: "a" | "b" }',
    );
    expect(describeSchema({ type: "array", items: { type: "string" } })).toBe("string[]");
    expect(describeSchema({})).toBe("any value");
  });
});
