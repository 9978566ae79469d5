import type { z } from "zod";
import { createDiagnostic, type Diagnostic, jsonPointer, quote } from "../diagnostics/diagnostic.js";
import { ADAPTER_KINDS, CLOCK_KINDS, Ir, LAG_POLICIES, NODE_ID_PATTERN, ON_FULL_POLICIES, PORT_NAME_PATTERN } from "../schema.js";

type Issue = z.core.$ZodIssue;
type Segment = string | number;

/** Parses with the zod schema; every issue becomes a coded diagnostic with a JSON pointer. */
export function parseStructure(input: unknown): { ir: Ir } | { diagnostics: Diagnostic[] } {
  const result = Ir.safeParse(input);
  const diagnostics: Diagnostic[] = [];
  if (!result.success) for (const issue of result.error.issues) diagnostics.push(issueToDiagnostic(issue, input));
  // zod drops properties its objects do not define; report them (closed objects) and
  // reject `__proto__` keys, which would not survive a round trip through plain objects.
  findDroppedKeys(input, result.success ? result.data : undefined, [], diagnostics);
  if (diagnostics.length > 0) return { diagnostics };
  return { ir: (result as { data: Ir }).data };
}

function issueToDiagnostic(issue: Issue, input: unknown): Diagnostic {
  const path = issue.path.map((s) => (typeof s === "symbol" ? String(s) : s));
  const location = { path: jsonPointer(path) };
  const key = path[path.length - 1];
  const parentKey = path[path.length - 2];
  const value = valueAt(input, path);
  const present = hasPath(input, path);

  if (issue.code === "invalid_union" && key === "kind") {
    if (!present) return createDiagnostic("IrMissingProperty", { property: "kind" }, location);
    if (parentKey === "clock")
      return createDiagnostic("ClockKindUnknown", { found: quote(value), expected: CLOCK_KINDS.join(", ") }, location);
    return createDiagnostic("AdapterKindUnknown", { found: quote(value), expected: ADAPTER_KINDS.join(", ") }, location);
  }
  if (!present && issue.code === "invalid_type") return createDiagnostic("IrMissingProperty", { property: String(key) }, location);
  const shown = quote(value);
  switch (key) {
    case "capacity":
      return createDiagnostic("CapacityInvalid", { value: shown }, location);
    case "parallelism":
      return createDiagnostic("ParallelismInvalid", { value: shown }, location);
    case "hz":
      return createDiagnostic("ClockRateInvalid", { node: nodeIdAt(input, path), value: shown }, location);
    case "onFull":
      return createDiagnostic("OnFullUnknown", { found: shown, expected: ON_FULL_POLICIES.join(", ") }, location);
    case "onLag":
      return createDiagnostic("LagPolicyUnknown", { found: shown, expected: LAG_POLICIES.join(", ") }, location);
    case "size":
    case "ms":
      if (path[path.length - 2] === "adapter")
        return createDiagnostic("WindowAdapterInvalid", { detail: `${String(key)} is ${shown}` }, location);
  }
  if (issue.code === "invalid_format" && issue.format === "regex") {
    if (key === "id" && path[0] === "nodes" && path.length === 3)
      return createDiagnostic(
        "InvalidIdentifier",
        { what: "Node id", value: shown, rule: `it must match ${NODE_ID_PATTERN.source}` },
        location,
      );
    if (parentKey === "on")
      return createDiagnostic(
        "InvalidIdentifier",
        { what: "Port name", value: shown, rule: `it must match ${PORT_NAME_PATTERN.source}` },
        location,
      );
  }
  if (issue.code === "invalid_key" && (parentKey === "inputs" || parentKey === "outputs"))
    return createDiagnostic(
      "InvalidIdentifier",
      { what: "Port name", value: quote(key), rule: `it must match ${PORT_NAME_PATTERN.source}` },
      location,
    );
  return createDiagnostic("IrInvalidValue", { detail: describeIssue(issue, key, value) }, location);
}

function describeIssue(issue: Issue, key: Segment | undefined, value: unknown): string {
  const name = key === undefined ? "The document" : typeof key === "number" ? `Item ${key}` : `'${String(key)}'`;
  switch (issue.code) {
    case "invalid_type":
      return `${name} must be ${article(issue.expected)}, not ${kindOf(value)}.`;
    case "too_small":
      if (issue.origin === "string") return `${name} must not be empty.`;
      if (issue.origin === "array") return `${name} must have at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}.`;
      return `${name} must be ${issue.inclusive ? "at least" : "greater than"} ${issue.minimum} (got ${quote(value)}).`;
    case "too_big":
      return `${name} must be at most ${issue.maximum} (got ${quote(value)}).`;
    case "invalid_value":
      return `${name} must be one of ${issue.values.map((v) => quote(v)).join(", ")} (got ${quote(value)}).`;
    case "invalid_format":
      return `${name} has an invalid format (got ${quote(value)}${issue.format === "regex" && "pattern" in issue ? `; expected a match for ${String(issue.pattern)}` : ""}).`;
    default:
      return `${name}: ${issue.message} (got ${quote(value)}).`;
  }
}

function article(expected: string): string {
  if (expected === "int") return "an integer";
  if (expected === "object" || expected === "array") return `an ${expected}`;
  return `a ${expected}`;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${quote(value)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function valueAt(root: unknown, path: readonly Segment[]): unknown {
  let v = root;
  for (const s of path) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, s)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[s];
  }
  return v;
}

function hasPath(root: unknown, path: readonly Segment[]): boolean {
  let v = root;
  for (const s of path) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, s)) return false;
    v = (v as Record<PropertyKey, unknown>)[s];
  }
  return true;
}

function nodeIdAt(root: unknown, path: readonly Segment[]): string {
  if (path[0] !== "nodes") return "?";
  const id = valueAt(root, [path[0], path[1] as Segment, "id"]);
  return typeof id === "string" ? id : `#${String(path[1])}`;
}

/**
 * Walks the input beside zod's output. A key of an input object that is missing from the
 * corresponding output object was dropped by a closed zod object: it is unknown. Where the
 * parse failed there is no output; the walk then still finds `__proto__` keys.
 */
function findDroppedKeys(input: unknown, output: unknown, path: Segment[], out: Diagnostic[]): void {
  if (Array.isArray(input)) {
    const items = Array.isArray(output) ? output : undefined;
    for (let i = 0; i < input.length; i++) {
      path.push(i);
      findDroppedKeys(input[i], items?.[i], path, out);
      path.pop();
    }
    return;
  }
  if (!isRecord(input)) return;
  const target = isRecord(output) ? output : undefined;
  for (const key of Object.keys(input)) {
    path.push(key);
    if (key === "__proto__") {
      out.push(
        createDiagnostic(
          "IrInvalidValue",
          { detail: "The key '__proto__' is not allowed in an IR document." },
          { path: jsonPointer(path) },
        ),
      );
    } else if (target && !Object.hasOwn(target, key)) {
      out.push(createDiagnostic("IrUnknownProperty", { property: key }, { path: jsonPointer(path) }));
    } else {
      findDroppedKeys(input[key], target?.[key], path, out);
    }
    path.pop();
  }
}
