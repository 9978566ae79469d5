import { describeSchema, type Json, valueMatchesSchema } from "@flowc/ir";

type Schema = Parameters<typeof valueMatchesSchema>[0];

/**
 * Why `value` does not match a port's JSON Schema: the deepest JSON pointer that still fails
 * and what was expected there; undefined when it matches. Uses the IR package's schema checker,
 * so messages and channels are judged by the same rules.
 */
export function explainMismatch(schema: Schema, value: unknown): { path: string; detail: string } | undefined {
  const json = toJson(value);
  if (valueMatchesSchema(schema, json)) return undefined;
  return deepest(schema, json, "");
}

function deepest(schema: Schema, value: Json, path: string): { path: string; detail: string } {
  if (typeof schema === "object" && schema !== null && value !== null && typeof value === "object") {
    if (Array.isArray(value)) {
      const items = (schema as { items?: Schema }).items;
      if (items !== undefined && typeof items === "object") {
        for (let i = 0; i < value.length; i++) {
          const item = value[i] as Json;
          if (!valueMatchesSchema(items, item)) return deepest(items, item, `${path}/${i}`);
        }
      }
    } else {
      const props = (schema as { properties?: Record<string, Schema> }).properties ?? {};
      for (const name of (schema as { required?: string[] }).required ?? []) {
        if (!(name in value)) return { path, detail: `missing required property '${name}'` };
      }
      for (const [name, sub] of Object.entries(props)) {
        const v = value[name];
        if (v !== undefined && !valueMatchesSchema(sub, v)) return deepest(sub, v, `${path}/${name}`);
      }
    }
  }
  return { path, detail: `expected ${describeSchema(schema)}, got ${preview(value)}` };
}

function preview(value: Json): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
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
