import { jsonPointer } from "../diagnostics/diagnostic.js";
import type { JsonSchema } from "../schema.js";
import {
  asRecord,
  asStrings,
  branches,
  CHECKED_FORMATS,
  type Constraints,
  constraintsOf,
  deepEqual,
  describe,
  isEmpty,
  isMultipleOf,
  isSchema,
  literals,
  merge,
  type Schema,
  typesOf,
} from "./json-schema.js";
import { CONSTRAINT, fit } from "./schema-value.js";

/**
 * Decides whether the values a producer's JSON Schema allows are accepted by a consumer's
 * JSON Schema, for the common cases: `type` (with integer ⊂ number), `const`/`enum`, objects
 * (`properties`, `required`, `additionalProperties: false`), arrays (`items`, `prefixItems`,
 * tuple lengths) and unions (`anyOf`/`oneOf`). It reports an incompatibility only when it can
 * prove one; keywords it does not model count as compatible.
 *
 * Beside incompatibilities it finds **narrowings**: the shapes fit, but the consumer accepts
 * fewer values than the producer may send — a number into an integer, a wider range into a
 * smaller one, a string into one with a pattern or a checked format, an array into one with
 * fewer allowed lengths. Those are warnings, not errors: some values pass.
 */
export interface Incompatibility {
  /** JSON pointer inside the producer's values where the mismatch is (e.g. `/properties/x`). */
  readonly at: string;
  readonly produced: string;
  readonly accepted: string;
}

export interface SchemaComparison {
  /** A value the producer may send has a shape the consumer never accepts. */
  readonly incompatible: Incompatibility | null;
  /** The first place where the consumer accepts fewer values than the producer sends (only when compatible). */
  readonly narrowing: Incompatibility | null;
  /** The comparison ran out of steps before it could prove anything (unions against unions of thousands of branches). */
  readonly gaveUp?: true;
}

/**
 * Steps (comparisons of one schema with another) one `compareSchemas` may take. Unions are
 * compared branch against branch, so two unions of n literals cost n² steps; past this the
 * comparison proves nothing and says so (`gaveUp`), instead of taking minutes.
 */
export const MAX_COMPARISON_STEPS = 100_000;

const SAME: SchemaComparison = { incompatible: null, narrowing: null };
const GAVE_UP: SchemaComparison = { incompatible: null, narrowing: null, gaveUp: true };

export function checkSchemaCompatible(from: Schema, to: Schema): Incompatibility | null {
  return compareSchemas(from, to).incompatible;
}

/**
 * Compares a producer's schema with a consumer's: an incompatibility, or else the first
 * narrowing. `budget.steps` (default MAX_COMPARISON_STEPS) bounds the work and is decreased by
 * what the comparison used, so several comparisons can share one budget.
 */
export function compareSchemas(from: Schema, to: Schema, budget: { steps: number } = { steps: MAX_COMPARISON_STEPS }): SchemaComparison {
  // Most channels join ports of the same type: equal schemas need no analysis.
  if (deepEqual(from, to)) return SAME;
  const found: Found = { steps: Math.min(budget.steps, MAX_COMPARISON_STEPS) };
  const before = found.steps;
  try {
    const incompatible = compat(from, to, [], found);
    return { incompatible, narrowing: incompatible ? null : (found.narrowing ?? null) };
  } catch (error) {
    if (error !== OUT_OF_STEPS) throw error;
    found.steps = 0;
    return GAVE_UP;
  } finally {
    budget.steps -= before - Math.max(0, found.steps);
  }
}

const OUT_OF_STEPS = new Error("out of comparison steps");

interface Found {
  narrowing?: Incompatibility;
  steps: number;
}

function compat(from: Schema, to: Schema, at: string[], found: Found): Incompatibility | null {
  if (--found.steps < 0) throw OUT_OF_STEPS;
  if (to === true || from === false) return null;
  if (to === false) return mismatch(from, to, at);
  if (isEmpty(to)) return null;
  if (from === true || isEmpty(from)) return null; // unknown producer: cannot prove anything
  // A union on the producer side: every branch must be accepted.
  const fromBranches = branches(from);
  if (fromBranches) {
    for (const branch of fromBranches) {
      const problem = compat(merge(from, branch), to, at, found);
      if (problem) return problem;
    }
    return null;
  }
  const toBranches = branches(to);
  // Several types on the producer side meet a union one at a time (`number | null` into `integer | null`).
  const fromTypes = typesOf(from);
  if (toBranches && fromTypes && fromTypes.size > 1) {
    for (const type of fromTypes) {
      const problem = compat({ ...from, type }, to, at, found);
      if (problem) return problem;
    }
    return null;
  }
  // A union on the consumer side: some branch must accept the producer, ideally without narrowing it.
  if (toBranches) {
    let first: Incompatibility | null = null;
    let narrowed: Incompatibility | undefined;
    for (const branch of toBranches) {
      const local: Found = { steps: found.steps };
      const problem = compat(from, merge(to, branch), at, local);
      found.steps = local.steps;
      if (!problem && !local.narrowing) return null;
      if (!problem) narrowed ??= local.narrowing;
      else first ??= problem;
    }
    if (narrowed) {
      found.narrowing ??= narrowed;
      return null;
    }
    return first && first.at === jsonPointer(at) ? mismatch(from, to, at) : first;
  }
  // Literal values on the producer side: check each value.
  const values = literals(from);
  if (values) {
    for (const value of values) {
      if (--found.steps < 0) throw OUT_OF_STEPS;
      const f = fit(to, value);
      if (f > CONSTRAINT) return mismatch(from, to, at);
      if (f === CONSTRAINT) found.narrowing ??= mismatch(from, to, at);
    }
    return null;
  }
  // The consumer only takes literals but the producer is a wider type.
  if (literals(to)) return mismatch(from, to, at);
  const produced = typesOf(from);
  const accepted = typesOf(to);
  if (produced && accepted) {
    for (const t of produced) {
      if (accepted.has(t) || (t === "integer" && accepted.has("number"))) continue;
      if (t === "number" && accepted.has("integer")) found.narrowing ??= mismatch(from, to, at);
      else return mismatch(from, to, at);
    }
  }
  const kinds = produced ?? accepted;
  if (!found.narrowing && narrows(constraintsOf(from), constraintsOf(to), kinds)) found.narrowing = mismatch(from, to, at);
  if (!kinds || kinds.has("object")) {
    const problem = compatObjects(from, to, at, found);
    if (problem) return problem;
  }
  if (!kinds || kinds.has("array")) {
    const problem = compatArrays(from, to, at, found);
    if (problem) return problem;
  }
  return null;
}

/** Whether the consumer's constraints on numbers and strings let through fewer values than the producer's. */
function narrows(p: Constraints, c: Constraints, kinds: ReadonlySet<string> | null): boolean {
  const numbers = !kinds || kinds.has("number") || kinds.has("integer");
  const strings = !kinds || kinds.has("string");
  if (numbers) {
    if (p.lower.at < c.lower.at || (p.lower.at === c.lower.at && c.lower.exclusive && !p.lower.exclusive)) return true;
    if (p.upper.at > c.upper.at || (p.upper.at === c.upper.at && c.upper.exclusive && !p.upper.exclusive)) return true;
    if (c.multipleOf.some((m) => !p.multipleOf.some((q) => isMultipleOf(q, m)))) return true;
  }
  if (strings) {
    if (p.minLength < c.minLength || p.maxLength > c.maxLength) return true;
    if (c.patterns.some((pattern) => !p.patterns.includes(pattern))) return true;
    if (c.format !== undefined && (CHECKED_FORMATS as readonly string[]).includes(c.format) && p.format !== c.format) return true;
  }
  return false;
}

function compatObjects(from: JsonSchema, to: JsonSchema, at: string[], found: Found): Incompatibility | null {
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
        const problem = compat(schema as Schema, target as Schema, [...at, name], found);
        if (problem) return problem;
      } else if (to.additionalProperties === false) {
        return { at: jsonPointer([...at, name]), produced: "this property", accepted: "no such property" };
      } else if (isSchema(to.additionalProperties)) {
        const problem = compat(schema as Schema, to.additionalProperties, [...at, name], found);
        if (problem) return problem;
      }
    }
  }
  // Records: the producer's values for any key must fit the consumer's.
  if (isSchema(from.additionalProperties) && from.additionalProperties !== false && isSchema(to.additionalProperties)) {
    const problem = compat(from.additionalProperties, to.additionalProperties, [...at, "*"], found);
    if (problem) return problem;
  }
  return null;
}

function compatArrays(from: JsonSchema, to: JsonSchema, at: string[], found: Found): Incompatibility | null {
  const fromPrefix = Array.isArray(from.prefixItems) ? (from.prefixItems as Schema[]) : null;
  const toPrefix = Array.isArray(to.prefixItems) ? (to.prefixItems as Schema[]) : null;
  const fromItems = isSchema(from.items) ? from.items : undefined;
  const toItems = isSchema(to.items) ? to.items : undefined;
  const count = Math.max(fromPrefix?.length ?? 0, toPrefix?.length ?? 0);
  for (let i = 0; i < count; i++) {
    const f = fromPrefix?.[i] ?? fromItems;
    const t = toPrefix?.[i] ?? toItems;
    if (f !== undefined && t !== undefined) {
      const problem = compat(f, t, [...at, String(i)], found);
      if (problem) return problem;
    }
  }
  const p = constraintsOf(from);
  const c = constraintsOf(to);
  if (p.minItems < c.minItems || p.maxItems > c.maxItems) {
    const lengths = {
      at: jsonPointer(at),
      produced: describeLength(p.minItems, p.maxItems),
      accepted: describeLength(c.minItems, c.maxItems),
    };
    // A tuple's length is part of its type; a length limit on a list only narrows it.
    if (fromPrefix || toPrefix) return lengths;
    found.narrowing ??= lengths;
  }
  if (fromItems !== undefined && toItems !== undefined) {
    const problem = compat(fromItems, toItems, [...at, String(count)], found);
    if (problem) return problem;
  }
  return null;
}

function mismatch(from: Schema, to: Schema, at: string[]): Incompatibility {
  return { at: jsonPointer(at), produced: describe(from), accepted: describe(to) };
}

function describeLength(min: number, max: number): string {
  if (max === Number.POSITIVE_INFINITY) return min === 0 ? "arrays of any length" : `arrays of at least ${min} items`;
  return min === max ? `arrays of exactly ${min} items` : `arrays of ${min} to ${max} items`;
}
