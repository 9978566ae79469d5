import { jsonPointer } from "../diagnostics/diagnostic.js";
import type { Json, JsonSchema } from "../schema.js";

/**
 * Decides whether every value a producer's JSON Schema allows is accepted by a consumer's
 * JSON Schema, for the common cases: `type` (with integer ⊂ number), `const`/`enum`, objects
 * (`properties`, `required`, `additionalProperties: false`), arrays (`items`, `prefixItems`,
 * `minItems`/`maxItems` from tuples) and unions (`anyOf`/`oneOf`). It reports an
 * incompatibility only when it can prove one; keywords it does not model count as compatible.
 */
export interface Incompatibility {
  /** JSON pointer inside the producer's values where the mismatch is (e.g. `/properties/x`). */
  readonly at: string;
  readonly produced: string;
  readonly accepted: string;
}

type Schema = JsonSchema | boolean;
const TYPES = ["null", "boolean", "integer", "number", "string", "array", "object"] as const;
type TypeName = (typeof TYPES)[number];

export function checkSchemaCompatible(from: Schema, to: Schema): Incompatibility | null {
  // Most channels join ports of the same type: equal schemas need no analysis.
  if (deepEqual(from, to)) return null;
  return compat(from, to, []);
}

function compat(from: Schema, to: Schema, at: string[]): Incompatibility | null {
  if (to === true || from === false) return null;
  if (to === false) return mismatch(from, to, at);
  if (isEmpty(to)) return null;
  if (from === true || isEmpty(from)) return null; // unknown producer: cannot prove anything
  // A union on the producer side: every branch must be accepted.
  const fromBranches = branches(from);
  if (fromBranches) {
    for (const branch of fromBranches) {
      const found = compat(merge(from, branch), to, at);
      if (found) return found;
    }
    return null;
  }
  // A union on the consumer side: some branch must accept the producer.
  const toBranches = branches(to);
  if (toBranches) {
    let first: Incompatibility | null = null;
    for (const branch of toBranches) {
      const found = compat(from, merge(to, branch), at);
      if (!found) return null;
      first ??= found;
    }
    return first && first.at === jsonPointer(at) ? mismatch(from, to, at) : first;
  }
  // Literal values on the producer side: check each value.
  const values = literals(from);
  if (values) {
    for (const value of values) if (!accepts(to, value)) return mismatch(from, to, at);
    return null;
  }
  // The consumer only takes literals but the producer is a wider type.
  if (literals(to)) return mismatch(from, to, at);
  const produced = typesOf(from);
  const accepted = typesOf(to);
  if (produced && accepted) {
    for (const t of produced) if (!accepted.has(t) && !(t === "integer" && accepted.has("number"))) return mismatch(from, to, at);
  }
  const kinds = produced ?? accepted;
  if (!kinds || kinds.has("object")) {
    const found = compatObjects(from, to, at);
    if (found) return found;
  }
  if (!kinds || kinds.has("array")) {
    const found = compatArrays(from, to, at);
    if (found) return found;
  }
  return null;
}

function compatObjects(from: JsonSchema, to: JsonSchema, at: string[]): Incompatibility | null {
  const fromProps = asRecord(from.properties);
  const toProps = asRecord(to.properties);
  const fromRequired = new Set(asStrings(from.required));
  for (const name of asStrings(to.required)) {
    if (!fromRequired.has(name)) {
      return {
        at: jsonPointer([...at, name]),
        produced: fromProps && name in fromProps ? "an optional property" : "no such property",
        accepted: "a required property",
      };
    }
  }
  if (fromProps) {
    for (const [name, schema] of Object.entries(fromProps)) {
      const target = toProps?.[name];
      if (target !== undefined) {
        const found = compat(schema as Schema, target as Schema, [...at, name]);
        if (found) return found;
      } else if (to.additionalProperties === false) {
        return { at: jsonPointer([...at, name]), produced: "this property", accepted: "no such property" };
      } else if (isSchema(to.additionalProperties)) {
        const found = compat(schema as Schema, to.additionalProperties as Schema, [...at, name]);
        if (found) return found;
      }
    }
  }
  return null;
}

function compatArrays(from: JsonSchema, to: JsonSchema, at: string[]): Incompatibility | null {
  const fromPrefix = Array.isArray(from.prefixItems) ? (from.prefixItems as Schema[]) : null;
  const toPrefix = Array.isArray(to.prefixItems) ? (to.prefixItems as Schema[]) : null;
  const fromItems = isSchema(from.items) ? (from.items as Schema) : undefined;
  const toItems = isSchema(to.items) ? (to.items as Schema) : undefined;
  const count = Math.max(fromPrefix?.length ?? 0, toPrefix?.length ?? 0);
  for (let i = 0; i < count; i++) {
    const f = fromPrefix?.[i] ?? fromItems;
    const t = toPrefix?.[i] ?? toItems;
    if (f !== undefined && t !== undefined) {
      const found = compat(f, t, [...at, String(i)]);
      if (found) return found;
    }
  }
  if (fromItems !== undefined && toItems !== undefined) {
    const found = compat(fromItems, toItems, [...at, String(count)]);
    if (found) return found;
  }
  const fromMin = typeof from.minItems === "number" ? from.minItems : 0;
  const fromMax = typeof from.maxItems === "number" ? from.maxItems : Number.POSITIVE_INFINITY;
  const toMin = typeof to.minItems === "number" ? to.minItems : 0;
  const toMax = typeof to.maxItems === "number" ? to.maxItems : Number.POSITIVE_INFINITY;
  if (fromMin < toMin || fromMax > toMax) {
    return { at: jsonPointer(at), produced: describeLength(fromMin, fromMax), accepted: describeLength(toMin, toMax) };
  }
  return null;
}

/** Whether a single JSON value satisfies a schema, for the keywords modelled here. */
export function valueMatchesSchema(schema: Schema, value: Json): boolean {
  return accepts(schema, value);
}

function accepts(schema: Schema, value: Json): boolean {
  if (schema === true || schema === false) return schema;
  const options = branches(schema);
  if (options) return options.some((branch) => accepts(merge(schema, branch), value));
  const values = literals(schema);
  if (values) return values.some((v) => deepEqual(v, value));
  const types = typesOf(schema);
  if (types && !types.has(typeOfValue(value)) && !(types.has("number") && typeOfValue(value) === "integer")) return false;
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const props = asRecord(schema.properties);
    for (const name of asStrings(schema.required)) if (!(name in value)) return false;
    for (const [name, v] of Object.entries(value)) {
      const s = props?.[name];
      if (s !== undefined && !accepts(s as Schema, v as Json)) return false;
      if (s === undefined && schema.additionalProperties === false) return false;
    }
  }
  if (Array.isArray(value)) {
    const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as Schema[]) : [];
    const items = isSchema(schema.items) ? (schema.items as Schema) : undefined;
    for (let i = 0; i < value.length; i++) {
      const s = prefix[i] ?? items;
      if (s !== undefined && !accepts(s, value[i] as Json)) return false;
    }
    if (typeof schema.minItems === "number" && value.length < schema.minItems) return false;
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) return false;
  }
  return true;
}

function mismatch(from: Schema, to: Schema, at: string[]): Incompatibility {
  return { at: jsonPointer(at), produced: describe(from), accepted: describe(to) };
}

/** A short, TypeScript-like description of a schema for messages. */
export function describe(schema: Schema, depth = 0): string {
  if (schema === false) return "no value";
  if (schema === true || isEmpty(schema)) return "any value";
  const values = literals(schema);
  if (values) return values.map((v) => JSON.stringify(v)).join(" | ");
  const options = branches(schema);
  if (options) return options.map((b) => describe(merge(schema, b), depth + 1)).join(" | ");
  const types = typesOf(schema);
  if (!types) return "a constrained value";
  return [...types]
    .map((t) => {
      if (t === "array" && depth < 2) {
        if (Array.isArray(schema.prefixItems)) return `[${(schema.prefixItems as Schema[]).map((s) => describe(s, depth + 1)).join(", ")}]`;
        if (isSchema(schema.items)) return `${describe(schema.items as Schema, depth + 1)}[]`;
      }
      if (t === "object" && depth < 2) {
        const props = asRecord(schema.properties);
        if (props) {
          const required = new Set(asStrings(schema.required));
          const fields = Object.entries(props).map(([k, s]) => `${k}${required.has(k) ? "" : "?"}: ${describe(s as Schema, depth + 1)}`);
          return `{ ${fields.join("; ")} }`;
        }
      }
      return t;
    })
    .join(" | ");
}

function describeLength(min: number, max: number): string {
  if (max === Number.POSITIVE_INFINITY) return min === 0 ? "arrays of any length" : `arrays of at least ${min} items`;
  return min === max ? `arrays of exactly ${min} items` : `arrays of ${min} to ${max} items`;
}

function isEmpty(schema: JsonSchema): boolean {
  for (const key in schema) if (!ANNOTATIONS.has(key)) return false;
  return true;
}

const ANNOTATIONS = new Set([
  "$schema",
  "$id",
  "title",
  "description",
  "default",
  "examples",
  "$comment",
  "deprecated",
  "readOnly",
  "writeOnly",
]);

function isSchema(value: unknown): boolean {
  return typeof value === "boolean" || (value !== null && typeof value === "object" && !Array.isArray(value));
}

function branches(schema: JsonSchema): Schema[] | null {
  const list = schema.anyOf ?? schema.oneOf;
  return Array.isArray(list) && list.length > 0 && list.every(isSchema) ? (list as Schema[]) : null;
}

/** A union branch inherits the sibling keywords of anyOf/oneOf. */
function merge(parent: JsonSchema, branch: Schema): Schema {
  if (typeof branch === "boolean") return branch;
  const { anyOf: _a, oneOf: _o, ...rest } = parent;
  return { ...rest, ...branch };
}

function literals(schema: JsonSchema): Json[] | null {
  if ("const" in schema) return [schema.const as Json];
  if (Array.isArray(schema.enum)) return schema.enum as Json[];
  return null;
}

function typesOf(schema: JsonSchema): Set<TypeName> | null {
  const t = schema.type;
  const list = typeof t === "string" ? [t] : Array.isArray(t) ? t : null;
  if (!list) return null;
  const set = new Set<TypeName>();
  for (const name of list) if ((TYPES as readonly unknown[]).includes(name)) set.add(name as TypeName);
  return set.size > 0 ? set : null;
}

function typeOfValue(value: Json): TypeName {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value as "boolean" | "string" | "object";
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  let count = 0;
  for (const k in a) {
    if (!Object.hasOwn(b, k) || !deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
    count++;
  }
  for (const _ in b) count--;
  return count === 0;
}
