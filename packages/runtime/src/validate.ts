import { explainSchemaMismatch, type Json, type JsonSchema } from "@flowc/ir";

/**
 * Why `value` does not match a port's JSON Schema: the deepest JSON pointer that still fails
 * and what was expected there ("expected an integer ≥ 0, got 1.5"); undefined when it
 * matches. The IR package's checker decides, so messages and channels are judged by the same
 * rules: types, bounds, divisors, string lengths, patterns and the checked formats (email,
 * uri, uuid), enums and consts, array lengths and tuples, records, unions.
 */
export function explainMismatch(schema: JsonSchema | boolean, value: unknown): { path: string; detail: string } | undefined {
  return explainSchemaMismatch(schema, toJson(value));
}

/** Binary and other non-JSON values become their closest JSON shape for checking. */
function toJson(value: unknown): Json {
  if (value === undefined) return null;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return {} as Json;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === "object") {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return value as Json;
}
