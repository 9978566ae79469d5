import type { Json, JsonSchema } from "../schema.js";

/**
 * Reading the JSON Schema keywords flowc models (draft 2020-12, the subset zod's
 * `z.toJSONSchema` writes): types, literals, unions, and the constraints on numbers, strings
 * and arrays. Shared by value checking (`schema-value.ts`) and channel compatibility
 * (`schema-compat.ts`), so messages and channels are judged by the same reading.
 */
export type Schema = JsonSchema | boolean;

export const TYPES = ["null", "boolean", "integer", "number", "string", "array", "object"] as const;
export type TypeName = (typeof TYPES)[number];

/** zod's `.int()` bounds: an integer schema carries them, and descriptions leave them out. */
const SAFE = Number.MAX_SAFE_INTEGER;

/** Formats whose values are checked (the others are annotations, as JSON Schema's default says). */
export const CHECKED_FORMATS = ["email", "uri", "uuid"] as const;

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

export function isEmpty(schema: JsonSchema): boolean {
  for (const key in schema) if (!ANNOTATIONS.has(key)) return false;
  return true;
}

export function isSchema(value: unknown): value is Schema {
  return typeof value === "boolean" || (value !== null && typeof value === "object" && !Array.isArray(value));
}

/** The branches of `anyOf` or `oneOf`, or null when the schema is not a union. */
export function branches(schema: JsonSchema): Schema[] | null {
  const list = schema.anyOf ?? schema.oneOf;
  return Array.isArray(list) && list.length > 0 && list.every(isSchema) ? (list as Schema[]) : null;
}

/** A union branch inherits the sibling keywords of anyOf/oneOf. */
export function merge(parent: JsonSchema, branch: Schema): Schema {
  if (typeof branch === "boolean") return branch;
  const { anyOf: _a, oneOf: _o, ...rest } = parent;
  return { ...rest, ...branch };
}

export function literals(schema: JsonSchema): Json[] | null {
  if ("const" in schema) return [schema.const as Json];
  if (Array.isArray(schema.enum)) return schema.enum as Json[];
  return null;
}

export function typesOf(schema: JsonSchema): Set<TypeName> | null {
  const t = schema.type;
  const list = typeof t === "string" ? [t] : Array.isArray(t) ? t : null;
  if (!list) return null;
  const set = new Set<TypeName>();
  for (const name of list) if ((TYPES as readonly unknown[]).includes(name)) set.add(name as TypeName);
  return set.size > 0 ? set : null;
}

export function typeOfValue(value: Json): TypeName {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value as "boolean" | "string" | "object";
}

export function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** One end of a numeric range; `at` is ±Infinity when unbounded. */
export interface Bound {
  readonly at: number;
  readonly exclusive: boolean;
}

/**
 * The constraints of a schema on numbers, strings and arrays, gathered from its own keywords
 * and its `allOf` members (zod writes a second pattern or divisor there). Absent keywords give
 * the widest value: bounds at ±Infinity, no patterns, no format.
 */
export interface Constraints {
  readonly lower: Bound;
  readonly upper: Bound;
  readonly multipleOf: readonly number[];
  readonly minLength: number;
  readonly maxLength: number;
  readonly patterns: readonly string[];
  readonly format: string | undefined;
  readonly minItems: number;
  readonly maxItems: number;
}

export function constraintsOf(schema: JsonSchema): Constraints {
  let lower: Bound = { at: Number.NEGATIVE_INFINITY, exclusive: false };
  let upper: Bound = { at: Number.POSITIVE_INFINITY, exclusive: false };
  const multipleOf: number[] = [];
  const patterns: string[] = [];
  let minLength = 0;
  let maxLength = Number.POSITIVE_INFINITY;
  let minItems = 0;
  let maxItems = Number.POSITIVE_INFINITY;
  let format: string | undefined;
  const gather = (s: JsonSchema) => {
    const num = (key: string) => (typeof s[key] === "number" ? (s[key] as number) : undefined);
    const raise = (at: number | undefined, exclusive: boolean) => {
      if (at !== undefined && (at > lower.at || (at === lower.at && exclusive))) lower = { at, exclusive };
    };
    const cap = (at: number | undefined, exclusive: boolean) => {
      if (at !== undefined && (at < upper.at || (at === upper.at && exclusive))) upper = { at, exclusive };
    };
    raise(num("minimum"), false);
    raise(num("exclusiveMinimum"), true);
    cap(num("maximum"), false);
    cap(num("exclusiveMaximum"), true);
    const divisor = num("multipleOf");
    if (divisor !== undefined && divisor > 0) multipleOf.push(divisor);
    minLength = Math.max(minLength, num("minLength") ?? 0);
    maxLength = Math.min(maxLength, num("maxLength") ?? Number.POSITIVE_INFINITY);
    minItems = Math.max(minItems, num("minItems") ?? 0);
    maxItems = Math.min(maxItems, num("maxItems") ?? Number.POSITIVE_INFINITY);
    if (typeof s.pattern === "string") patterns.push(s.pattern);
    if (typeof s.format === "string") format ??= s.format;
    if (Array.isArray(s.allOf)) for (const member of s.allOf) if (asRecord(member)) gather(member as JsonSchema);
  };
  gather(schema);
  return { lower, upper, multipleOf, minLength, maxLength, patterns, format, minItems, maxItems };
}

/** Whether `value` is a multiple of `divisor`, allowing for binary fractions (0.3 is a multiple of 0.1). */
export function isMultipleOf(value: number, divisor: number): boolean {
  const quotient = value / divisor;
  return Math.abs(quotient - Math.round(quotient)) <= 1e-9 * Math.max(1, Math.abs(quotient));
}

/** A short, TypeScript-like description of a schema for messages, constraints included: `integer ≥ 0`, `string[] of at least 1 item`. */
export function describe(schema: Schema, depth = 0): string {
  if (schema === false) return "no value";
  if (schema === true || isEmpty(schema)) return "any value";
  const values = literals(schema);
  if (values) return values.map((v) => JSON.stringify(v)).join(" | ");
  const options = branches(schema);
  if (options) return options.map((b) => describe(merge(schema, b), depth + 1)).join(" | ");
  const types = typesOf(schema);
  if (!types) return "a constrained value";
  const c = constraintsOf(schema);
  return [...types]
    .map((t) => {
      if (t === "number" || t === "integer") return withParts(t, numberParts(c, t === "integer"), " and ");
      if (t === "string") return withParts(t, stringParts(c), ", ");
      if (t === "array" && depth < 2) {
        const length = lengthPart(c.minItems, c.maxItems, "item");
        if (Array.isArray(schema.prefixItems)) return `[${(schema.prefixItems as Schema[]).map((s) => describe(s, depth + 1)).join(", ")}]`;
        if (isSchema(schema.items)) {
          const item = describe(schema.items, depth + 1);
          return withParts(`${item.includes(" ") ? `(${item})` : item}[]`, length ? [length] : [], "");
        }
        return withParts("array", length ? [length] : [], "");
      }
      if (t === "object" && depth < 2) {
        const props = asRecord(schema.properties);
        if (props && Object.keys(props).length > 0) {
          const required = new Set(asStrings(schema.required));
          const fields = Object.entries(props).map(([k, s]) => `${k}${required.has(k) ? "" : "?"}: ${describe(s as Schema, depth + 1)}`);
          return `{ ${fields.join("; ")} }`;
        }
        if (isSchema(schema.additionalProperties) && schema.additionalProperties !== false)
          return `Record<string, ${describe(schema.additionalProperties, depth + 1)}>`;
      }
      return t;
    })
    .join(" | ");
}

/** `describe` with an article where it reads as a noun phrase: "an integer ≥ 0", "a string of 3 characters". */
export function describeWithArticle(schema: Schema): string {
  const text = describe(schema);
  if (text.includes(" | ")) return text;
  const first = /^(integer|object|array)\b/.test(text) ? "an " : /^(number|string|boolean)\b/.test(text) ? "a " : "";
  return `${first}${text}`;
}

function withParts(base: string, parts: readonly string[], separator: string): string {
  return parts.length === 0 ? base : `${base} ${parts.join(separator)}`;
}

function numberParts(c: Constraints, integer: boolean): string[] {
  const parts: string[] = [];
  if (Number.isFinite(c.lower.at) && !(integer && c.lower.at === -SAFE && !c.lower.exclusive))
    parts.push(`${c.lower.exclusive ? ">" : "≥"} ${c.lower.at}`);
  if (Number.isFinite(c.upper.at) && !(integer && c.upper.at === SAFE && !c.upper.exclusive))
    parts.push(`${c.upper.exclusive ? "<" : "≤"} ${c.upper.at}`);
  for (const m of c.multipleOf) parts.push(`a multiple of ${m}`);
  return parts;
}

function stringParts(c: Constraints): string[] {
  const parts: string[] = [];
  const length = lengthPart(c.minLength, c.maxLength, "character");
  if (length) parts.push(length);
  // A format says it better than the pattern zod writes beside it.
  if (c.format !== undefined) parts.push(`in format ${c.format}`);
  else for (const p of c.patterns) parts.push(`matching /${p.length > 40 ? `${p.slice(0, 37)}...` : p}/`);
  return parts;
}

function lengthPart(min: number, max: number, unit: string): string | undefined {
  const units = (n: number) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (max === Number.POSITIVE_INFINITY) return min === 0 ? undefined : `of at least ${units(min)}`;
  if (min === max) return `of ${units(min)}`;
  return min === 0 ? `of at most ${units(max)}` : `of ${min} to ${units(max)}`;
}

export function deepEqual(a: unknown, b: unknown): boolean {
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
