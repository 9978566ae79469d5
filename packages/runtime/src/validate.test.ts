import { describe, expect, it } from "vitest";
import { explainMismatch } from "./validate.js";

// The port schema zod writes for z.number().int().min(0).
const COUNT = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

describe("explainMismatch: why a message does not fit its port's schema", () => {
  it("enforces zod's refinements: integers, bounds, formats", () => {
    expect(explainMismatch(COUNT, 1.5)).toEqual({ path: "", detail: "expected an integer ≥ 0, got 1.5" });
    expect(explainMismatch(COUNT, -1)).toEqual({ path: "", detail: "expected an integer ≥ 0, got -1" });
    expect(explainMismatch(COUNT, 3)).toBeUndefined();
    expect(explainMismatch({ type: "string", format: "uuid" }, "nope")?.detail).toBe('expected a string in format uuid, got "nope"');
  });

  it("points at the deepest failing property", () => {
    const schema = { type: "object", properties: { level: COUNT, name: { type: "string", minLength: 1 } }, required: ["level"] };
    expect(explainMismatch(schema, { level: 1.5, name: "a" })).toEqual({ path: "/level", detail: "expected an integer ≥ 0, got 1.5" });
    expect(explainMismatch(schema, { level: 1, name: "" })).toEqual({
      path: "/name",
      detail: 'expected a string of at least 1 character, got ""',
    });
    expect(explainMismatch(schema, { name: "a" })).toEqual({ path: "", detail: "missing required property 'level'" });
  });

  it("checks values that are not JSON by their closest JSON shape", () => {
    expect(explainMismatch(COUNT, 5n)).toBeUndefined();
    expect(explainMismatch({ type: "string", minLength: 24 }, new Date(0))).toBeUndefined();
    expect(explainMismatch({ type: "object", properties: { x: COUNT }, required: ["x"] }, { x: 1, skipped: undefined })).toBeUndefined();
    expect(explainMismatch({ type: "number" }, new Uint8Array(2))?.detail).toBe("expected a number, got {}");
  });
});
