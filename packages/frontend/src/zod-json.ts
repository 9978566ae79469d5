import type { Json, JsonSchema } from "@flowc/ir";

// A zod schema as far as its JSON Schema goes (what the reader in zod-schema.ts builds from the
// syntax), and the JSON Schema zod 4's z.toJSONSchema writes for it: its processors' rules —
// checks folded to the tightest bounds, the last format winning, unions of bare types
// compacted to type lists — redone on this model.

export type Check =
  | { readonly kind: "min" | "max" | "exclusiveMin" | "exclusiveMax" | "multipleOf"; readonly value: number }
  | { readonly kind: "format"; readonly format: string; readonly pattern?: Pattern };
export interface Pattern {
  /** Identity: zod keeps one copy of the same regular expression object. */
  readonly key: string;
  readonly source: string;
}

export type Z = (
  | { readonly t: "string" | "number"; readonly checks: readonly Check[] }
  | { readonly t: "array"; readonly checks: readonly Check[]; readonly element: Z }
  | { readonly t: "boolean" | "null" | "any" | "never" }
  | { readonly t: "enum" | "literal"; readonly values: readonly Json[] }
  | { readonly t: "object"; readonly shape: readonly (readonly [string, Z])[]; readonly extra: "strip" | "strict" | "loose" | Z }
  | { readonly t: "tuple"; readonly items: readonly Z[]; readonly rest: Z | undefined }
  | { readonly t: "record"; readonly key: Z; readonly value: Z }
  | { readonly t: "union"; readonly options: readonly Z[]; readonly exclusive: boolean }
  | { readonly t: "optional" | "nullable" | "readonly"; readonly inner: Z }
  | { readonly t: "default"; readonly inner: Z; readonly value: Json }
) & { readonly description?: string };

/** The JSON Schema of a schema, as `z.toJSONSchema(schema, { io: "input", target: "draft-2020-12" })` writes it, minus `$schema`. */
export function toJsonSchema(z: Z): JsonSchema {
  return compact(emit(z));
}

/** zod's number formats and their ranges (`z.int()`, `.int()`, `z.int32()`, `z.uint32()`). */
const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

/** Zod spellings of formats in JSON Schema; `regex` has none (its pattern says it). */
const FORMAT_NAMES: Readonly<Record<string, string>> = { url: "uri", regex: "" };

function emit(z: Z): JsonSchema {
  const json = emitOwn(z);
  if (z.description !== undefined) json.description = z.description;
  return json;
}

function emitOwn(z: Z): JsonSchema {
  switch (z.t) {
    case "string":
      return emitString(z.checks);
    case "number":
      return emitNumber(z.checks);
    case "array": {
      const { min, max } = lengths(z.checks);
      return {
        ...(min !== undefined && { minItems: min }),
        ...(max !== undefined && { maxItems: max }),
        type: "array",
        items: emit(z.element),
      };
    }
    case "boolean":
    case "null":
      return { type: z.t };
    case "any":
      return {};
    case "never":
      return { not: {} };
    case "enum":
    case "literal":
      return emitLiterals(z.values, z.t === "literal");
    case "object": {
      const json: JsonSchema = { type: "object", properties: Object.fromEntries(z.shape.map(([key, value]) => [key, emit(value)])) };
      const required = z.shape.filter(([, value]) => !optionalInInput(value)).map(([key]) => key);
      if (required.length > 0) json.required = required;
      if (z.extra === "strict") json.additionalProperties = false;
      else if (z.extra === "loose") json.additionalProperties = {};
      else if (z.extra !== "strip") json.additionalProperties = emit(z.extra);
      return json;
    }
    case "tuple": {
      const json: JsonSchema = { type: "array", prefixItems: z.items.map(emit) };
      json.items = z.rest ? emit(z.rest) : false;
      let min = z.items.length;
      while (min > 0 && optionalInInput(z.items[min - 1] as Z)) min--;
      if (min > 0) json.minItems = min;
      if (!z.rest) json.maxItems = z.items.length;
      return json;
    }
    case "record": {
      const json: JsonSchema = { type: "object", propertyNames: emit(z.key), additionalProperties: emit(z.value) };
      if ((z.key.t === "enum" || z.key.t === "literal") && !optionalInInput(z.value) && z.key.values.length > 0)
        json.required = z.key.values.map(String);
      return json;
    }
    case "union":
      return { [z.exclusive ? "oneOf" : "anyOf"]: z.options.map(emit) };
    case "optional":
      return { ...emit(z.inner) };
    case "nullable":
      return { anyOf: [emit(z.inner), { type: "null" }] };
    case "readonly":
      return { ...emit(z.inner), readOnly: true };
    case "default":
      return { ...emit(z.inner), default: z.value };
  }
}

/** zod's `optin`: whether an object property (or trailing tuple item) may be left out of the input. */
function optionalInInput(z: Z): boolean {
  switch (z.t) {
    case "optional":
    case "default":
      return true;
    case "nullable":
    case "readonly":
      return optionalInInput(z.inner);
    case "union":
      return z.options.some(optionalInInput);
    default:
      return false;
  }
}

function emitString(checks: readonly Check[]): JsonSchema {
  const json: JsonSchema = { type: "string" };
  const { min, max } = lengths(checks);
  if (min !== undefined) json.minLength = min;
  if (max !== undefined) json.maxLength = max;
  let format: string | undefined;
  const patterns = new Map<string, string>();
  for (const check of checks) {
    if (check.kind !== "format") continue;
    format = check.format; // the last format wins, as in zod
    if (check.pattern && !patterns.has(check.pattern.key)) patterns.set(check.pattern.key, check.pattern.source);
  }
  const name = format === undefined ? undefined : (FORMAT_NAMES[format] ?? format);
  if (name) json.format = name;
  const sources = [...patterns.values()];
  if (sources.length === 1) json.pattern = sources[0] as string;
  else if (sources.length > 1) json.allOf = sources.map((pattern) => ({ pattern }));
  return json;
}

function emitNumber(checks: readonly Check[]): JsonSchema {
  let minimum: number | undefined;
  let maximum: number | undefined;
  let exclusiveMinimum: number | undefined;
  let exclusiveMaximum: number | undefined;
  let isInt = false;
  const divisors: number[] = [];
  const raise = (value: number, current: number | undefined) => (current === undefined || value > current ? value : current);
  const lower = (value: number, current: number | undefined) => (current === undefined || value < current ? value : current);
  for (const check of checks) {
    if (check.kind === "min") minimum = raise(check.value, minimum);
    else if (check.kind === "exclusiveMin") exclusiveMinimum = raise(check.value, exclusiveMinimum);
    else if (check.kind === "max") maximum = lower(check.value, maximum);
    else if (check.kind === "exclusiveMax") exclusiveMaximum = lower(check.value, exclusiveMaximum);
    else if (check.kind === "multipleOf") {
      if (!divisors.includes(check.value)) divisors.push(check.value);
    } else if (check.kind === "format") {
      const range = INT_RANGES[check.format] as readonly [number, number];
      isInt = true;
      minimum = raise(range[0], minimum);
      maximum = lower(range[1], maximum);
    }
  }
  const json: JsonSchema = { type: isInt ? "integer" : "number" };
  // Of a bound and an exclusive bound, the tighter one is written.
  if (exclusiveMinimum !== undefined && exclusiveMinimum >= (minimum ?? Number.NEGATIVE_INFINITY)) json.exclusiveMinimum = exclusiveMinimum;
  else if (minimum !== undefined) json.minimum = minimum;
  if (exclusiveMaximum !== undefined && exclusiveMaximum <= (maximum ?? Number.POSITIVE_INFINITY)) json.exclusiveMaximum = exclusiveMaximum;
  else if (maximum !== undefined) json.maximum = maximum;
  const [first, ...rest] = [...new Set(divisors.map(Math.abs))];
  if (first !== undefined) json.multipleOf = first;
  if (rest.length > 0) json.allOf = rest.map((multipleOf) => ({ multipleOf }));
  return json;
}

function lengths(checks: readonly Check[]): { min: number | undefined; max: number | undefined } {
  let min: number | undefined;
  let max: number | undefined;
  for (const check of checks) {
    if (check.kind === "min" && (min === undefined || check.value > min)) min = check.value;
    if (check.kind === "max" && (max === undefined || check.value < max)) max = check.value;
  }
  return { min, max };
}

function emitLiterals(values: readonly Json[], literal: boolean): JsonSchema {
  if (values.length === 0) return { not: {} };
  if (literal && values.length === 1) {
    const value = values[0] as Json;
    return { type: value === null ? "null" : typeof value, const: value };
  }
  const json: JsonSchema = {};
  const all = (type: string) => values.every((v) => (type === "null" ? v === null : typeof v === type));
  for (const type of literal ? ["number", "string", "boolean", "null"] : ["number", "string"]) if (all(type)) json.type = type;
  json.enum = [...values];
  return json;
}

/**
 * zod's last pass: a union whose branches are bare types becomes a type list —
 * `anyOf: [{type: "number"}, {type: "null"}]` is `type: ["number", "null"]` — inner unions first.
 */
function compact(json: JsonSchema): JsonSchema {
  const visit = (value: unknown) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) compact(value as JsonSchema);
  };
  for (const key of ["items", "additionalProperties", "propertyNames", "not"]) visit(json[key]);
  for (const key of ["prefixItems", "anyOf", "oneOf", "allOf"]) if (Array.isArray(json[key])) for (const item of json[key]) visit(item);
  if (json.properties && typeof json.properties === "object") for (const value of Object.values(json.properties)) visit(value);
  const options = json.anyOf;
  if (!Array.isArray(options) || options.length === 0 || json.type !== undefined) return json;
  const types: string[] = [];
  for (const option of options) {
    const keys = option !== null && typeof option === "object" && !Array.isArray(option) ? Object.keys(option) : [];
    if (keys.length !== 1 || keys[0] !== "type") return json;
    const type = (option as JsonSchema).type;
    for (const member of Array.isArray(type) ? type : [type]) {
      if (typeof member !== "string") return json;
      if (!types.includes(member)) types.push(member);
    }
  }
  delete json.anyOf;
  json.type = types.length === 1 ? (types[0] as string) : types;
  return json;
}
