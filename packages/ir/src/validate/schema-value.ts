import { jsonPointer } from "../diagnostics/diagnostic.js";
import type { Json, JsonSchema } from "../schema.js";
import {
  asRecord,
  asStrings,
  branches,
  constraintsOf,
  deepEqual,
  describeWithArticle,
  isMultipleOf,
  isSchema,
  literals,
  merge,
  type Schema,
  typeOfValue,
  typesOf,
} from "./json-schema.js";

/**
 * How a value fits a schema: it matches (`FIT`), only breaks a constraint — a bound, a
 * length, a pattern, a format, a divisor (`CONSTRAINT`) — or has the wrong shape: a type,
 * a literal, a required or forbidden property (`SHAPE`). Channel compatibility tells the two
 * failures apart (a wrong shape is an error, a constraint a narrowing); a message must fit.
 */
export const FIT = 0;
export const CONSTRAINT = 1;
export const SHAPE = 2;
export type Fit = typeof FIT | typeof CONSTRAINT | typeof SHAPE;

/** Whether a single JSON value satisfies a schema: every keyword `fit` models, constraints included. */
export function valueMatchesSchema(schema: Schema, value: Json): boolean {
  return fit(schema, value) === FIT;
}

export function fit(schema: Schema, value: Json): Fit {
  if (schema === true) return FIT;
  if (schema === false) return SHAPE;
  const options = branches(schema);
  if (options) return unionFit(schema, options, value);
  let worst: Fit = FIT;
  const values = literals(schema);
  if (values && !values.some((v) => deepEqual(v, value))) return SHAPE;
  const types = typesOf(schema);
  const type = typeOfValue(value);
  if (types && !types.has(type) && !(type === "integer" && types.has("number"))) return SHAPE;
  if (isSchema(schema.not) && fit(schema.not, value) === FIT) return SHAPE;
  if (Array.isArray(schema.allOf)) for (const member of schema.allOf) if (isSchema(member)) worst = max(worst, fit(member, value));
  if (typeof value === "number" || typeof value === "string") {
    if (breaksConstraint(schema, value)) worst = max(worst, CONSTRAINT);
  } else if (Array.isArray(value)) {
    worst = max(worst, arrayFit(schema, value));
  } else if (value !== null && typeof value === "object") {
    worst = max(worst, objectFit(schema, value));
  }
  return worst;
}

function unionFit(schema: JsonSchema, options: readonly Schema[], value: Json): Fit {
  let best: Fit = SHAPE;
  let matches = 0;
  for (const branch of options) {
    const f = fit(merge(schema, branch), value);
    if (f === FIT) matches++;
    best = Math.min(best, f) as Fit;
  }
  // oneOf wants exactly one branch; two matching branches are a constraint (the value is ambiguous).
  if (schema.anyOf === undefined && matches > 1) return CONSTRAINT;
  return best;
}

function arrayFit(schema: JsonSchema, value: Json[]): Fit {
  let worst: Fit = FIT;
  const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as Schema[]) : [];
  const items = isSchema(schema.items) ? schema.items : undefined;
  for (let i = 0; i < value.length && worst !== SHAPE; i++) {
    const s = prefix[i] ?? items;
    if (s !== undefined) worst = max(worst, fit(s, value[i] as Json));
  }
  if (lengthFailure(schema, value) !== undefined) worst = max(worst, CONSTRAINT);
  return worst;
}

function objectFit(schema: JsonSchema, value: { [key: string]: Json }): Fit {
  let worst: Fit = FIT;
  for (const name of asStrings(schema.required)) if (!Object.hasOwn(value, name)) return SHAPE;
  const props = asRecord(schema.properties);
  const extra = schema.additionalProperties;
  const names = isSchema(schema.propertyNames) ? schema.propertyNames : undefined;
  for (const name in value) {
    const s = props !== null && Object.hasOwn(props, name) ? (props[name] as Schema) : isSchema(extra) ? extra : undefined;
    if (s !== undefined) worst = max(worst, fit(s, value[name] as Json));
    if (names !== undefined) worst = max(worst, fit(names, name));
    if (worst === SHAPE) return SHAPE;
  }
  return worst;
}

function max(a: Fit, b: Fit): Fit {
  return a > b ? a : b;
}

/**
 * Why `value` does not match `schema`: the JSON pointer of the deepest part that fails and
 * what was expected there ("expected an integer ≥ 0, got 1.5"); undefined when it matches.
 */
export function explainSchemaMismatch(schema: Schema, value: Json): { path: string; detail: string } | undefined {
  if (fit(schema, value) === FIT) return undefined;
  return explain(schema, value, []);
}

function explain(schema: Schema, value: Json, at: (string | number)[]): { path: string; detail: string } {
  const here = (detail: string) => ({ path: jsonPointer(at), detail });
  const expected = () => here(`expected ${describeWithArticle(schema)}, got ${preview(value)}`);
  if (typeof schema === "boolean") return expected();
  const options = branches(schema);
  if (options) {
    // Follow the branch that comes closest when it is the only one that close.
    const fits = options.map((b) => fit(merge(schema, b), value));
    const best = Math.min(...fits);
    const closest = options.filter((_, i) => fits[i] === best);
    return best < SHAPE && closest.length === 1 ? explain(merge(schema, closest[0] as Schema), value, at) : expected();
  }
  if (Array.isArray(schema.allOf)) {
    // Explain the first failing member with the schema's own keywords around it (zod puts a second pattern there).
    for (const member of schema.allOf) {
      const keywords = asRecord(member) as JsonSchema | null;
      if (keywords && fit(keywords, value) !== FIT) return explain({ ...schema, ...keywords, allOf: [] }, value, at);
    }
  }
  if (Array.isArray(value) && fit({ ...schema, minItems: 0, maxItems: Number.POSITIVE_INFINITY }, value) === FIT) {
    const problem = lengthFailure(schema, value);
    if (problem) return here(`expected ${problem}, got ${value.length} item${value.length === 1 ? "" : "s"}`);
  }
  const types = typesOf(schema);
  const typeOk = !types || types.has(typeOfValue(value)) || (types.has("number") && typeOfValue(value) === "integer");
  if (typeOk && Array.isArray(value)) {
    const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as Schema[]) : [];
    const items = isSchema(schema.items) ? schema.items : undefined;
    for (let i = 0; i < value.length; i++) {
      const s = prefix[i] ?? items;
      if (s !== undefined && fit(s, value[i] as Json) !== FIT) return explain(s, value[i] as Json, [...at, i]);
    }
  } else if (typeOk && value !== null && typeof value === "object" && !Array.isArray(value) && !literals(schema)) {
    const object: { [key: string]: Json } = value;
    for (const name of asStrings(schema.required)) if (!Object.hasOwn(object, name)) return here(`missing required property '${name}'`);
    const props = asRecord(schema.properties);
    const extra = schema.additionalProperties;
    for (const name in object) {
      const known = props !== null && Object.hasOwn(props, name);
      if (!known && extra === false) return { path: jsonPointer([...at, name]), detail: `unexpected property '${name}'` };
      const s = known ? (props[name] as Schema) : isSchema(extra) ? extra : undefined;
      if (s !== undefined && fit(s, object[name] as Json) !== FIT) return explain(s, object[name] as Json, [...at, name]);
      if (isSchema(schema.propertyNames) && fit(schema.propertyNames, name) !== FIT)
        return {
          path: jsonPointer([...at, name]),
          detail: `unexpected property name '${name}': expected ${describeWithArticle(schema.propertyNames)}`,
        };
    }
  }
  return expected();
}

// ---- constraints on numbers, strings and arrays ----------------------------------------

const SCALAR_CONSTRAINTS = [
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "allOf",
];

/** Whether a number or string breaks a bound, a divisor, a length, a pattern or a checked format. */
function breaksConstraint(schema: JsonSchema, value: number | string): boolean {
  // Most port schemas have no constraints: messages on them skip the gathering below.
  if (!SCALAR_CONSTRAINTS.some((key) => key in schema)) return false;
  const c = constraintsOf(schema);
  if (typeof value === "number") {
    if (value < c.lower.at || (c.lower.exclusive && value === c.lower.at)) return true;
    if (value > c.upper.at || (c.upper.exclusive && value === c.upper.at)) return true;
    return c.multipleOf.some((m) => !isMultipleOf(value, m));
  }
  if (c.minLength > 0 || c.maxLength !== Number.POSITIVE_INFINITY) {
    const length = codePoints(value);
    if (length < c.minLength || length > c.maxLength) return true;
  }
  if (c.patterns.some((pattern) => regex(pattern)?.test(value) === false)) return true;
  const check = c.format === undefined ? undefined : FORMATS[c.format];
  return check !== undefined && !check(value);
}

function lengthFailure(schema: JsonSchema, value: readonly Json[]): string | undefined {
  const c = constraintsOf(schema);
  if (value.length >= c.minItems && value.length <= c.maxItems) return undefined;
  if (c.maxItems === Number.POSITIVE_INFINITY) return `at least ${c.minItems} item${c.minItems === 1 ? "" : "s"}`;
  if (c.minItems === c.maxItems) return `exactly ${c.minItems} item${c.minItems === 1 ? "" : "s"}`;
  return `${c.minItems} to ${c.maxItems} items`;
}

/** String lengths count Unicode code points, as JSON Schema defines them (an emoji is one). */
function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

const compiled = new Map<string, RegExp | null>();

/**
 * A `pattern` as an ECMA-262 regular expression with Unicode semantics, searched anywhere in
 * the string (JSON Schema does not anchor patterns). Patterns written without the `u` flag in
 * mind fall back to plain semantics; one that does not compile either is not checked.
 */
function regex(pattern: string): RegExp | null {
  let re = compiled.get(pattern);
  if (re === undefined) {
    re = compile(pattern, "u") ?? compile(pattern, "");
    compiled.set(pattern, re);
  }
  return re;
}

function compile(pattern: string, flags: string): RegExp | null {
  try {
    return new RegExp(pattern, flags);
  } catch {
    return null;
  }
}

/** zod's own rule for `z.email()`: a dotted local part, `@`, a domain ending in a label of 2+ letters. */
const EMAIL = /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
/** Any RFC 9562 UUID spelling, whatever the version: 8-4-4-4-12 hexadecimal digits. */
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The formats values are checked against; other formats are annotations. */
const FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  email: (value) => EMAIL.test(value),
  // An absolute URL, as the WHATWG URL parser (and zod's z.url()) accepts it.
  uri: (value) => URL.canParse(value),
  uuid: (value) => UUID.test(value),
};

function preview(value: Json): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
