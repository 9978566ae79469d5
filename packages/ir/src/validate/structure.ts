import { z } from "zod";
import { createDiagnostic, type Diagnostic, jsonPointer, quote } from "../diagnostics/diagnostic.js";
import { ADAPTER_KINDS, CLOCK_KINDS, Ir, LAG_POLICIES, NODE_ID_PATTERN, ON_FULL_POLICIES, PORT_NAME_PATTERN } from "../schema.js";

type Issue = z.core.$ZodIssue;
type Segment = string | number;

let compiled: typeof Ir | undefined;
const SIDES = ["inputs", "outputs"] as const;

/**
 * Parses with the zod schema (AOT-compiled by `z.compile` on first use; it falls back to the
 * runtime parser on failure, so issues are the same); every issue becomes a coded diagnostic
 * with a JSON pointer. On success, one pass over the free-form values (params, port schemas),
 * which zod passes through unchecked, reports anything that is not JSON.
 */
export function parseStructure(input: unknown): { ir: Ir } | { diagnostics: Diagnostic[] } {
  compiled ??= z.compile(Ir);
  const result = compiled.safeParse(input);
  if (!result.success) return { diagnostics: result.error.issues.flatMap((issue) => issueToDiagnostics(issue, input)) };
  const diagnostics: Diagnostic[] = [];
  const ir = result.data;
  for (let i = 0; i < ir.nodes.length; i++) {
    const node = ir.nodes[i] as Ir["nodes"][number];
    if (!isJson(node.params)) report(node.params, ["nodes", i, "params"], diagnostics);
    for (const side of SIDES) {
      const ports = node[side];
      for (const name in ports) {
        const schema = (ports[name] as { schema: unknown }).schema;
        if (!isJson(schema)) report(schema, ["nodes", i, side, name, "schema"], diagnostics);
      }
    }
  }
  return diagnostics.length > 0 ? { diagnostics } : { ir };
}

function issueToDiagnostics(issue: Issue, input: unknown): Diagnostic[] {
  if (issue.code === "unrecognized_keys") {
    const at = issue.path.map((s) => (typeof s === "symbol" ? String(s) : s));
    return issue.keys.map((key) => createDiagnostic("IrUnknownProperty", { property: key }, { path: jsonPointer([...at, key]) }));
  }
  return [issueToDiagnostic(issue, input)];
}

function issueToDiagnostic(issue: Issue, input: unknown): Diagnostic {
  const path = issue.path.map((s) => (typeof s === "symbol" ? String(s) : s));
  const location = { path: jsonPointer(path) };
  const key = path[path.length - 1];
  const parentKey = path[path.length - 2];
  const { found: present, value } = lookup(input, path);

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

/** The value at a path of the raw input, and whether the path exists at all. */
function lookup(root: unknown, path: readonly Segment[]): { found: boolean; value: unknown } {
  let value = root;
  for (const s of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, s)) return { found: false, value: undefined };
    value = (value as Record<PropertyKey, unknown>)[s];
  }
  return { found: true, value };
}

function nodeIdAt(root: unknown, path: readonly Segment[]): string {
  if (path[0] !== "nodes") return "?";
  const id = lookup(root, [path[0], path[1] as Segment, "id"]).value;
  return typeof id === "string" ? id : `#${String(path[1])}`;
}

/** Whether a value is plain JSON (finite numbers, plain objects, no `__proto__` keys). No allocation. */
function isJson(value: unknown): boolean {
  if (typeof value !== "object" || value === null) {
    return typeof value === "number"
      ? Number.isFinite(value)
      : typeof value !== "function" && typeof value !== "symbol" && typeof value !== "bigint";
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isJson(value[i])) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value) if (key === "__proto__" || !isJson((value as Record<string, unknown>)[key])) return false;
  return true;
}

/** Only for values `isJson` refused: reports each offending value with its JSON pointer. */
function report(value: unknown, path: Segment[], out: Diagnostic[]): void {
  if (typeof value !== "object" || value === null) {
    if (
      typeof value === "number"
        ? !Number.isFinite(value)
        : typeof value === "function" || typeof value === "symbol" || typeof value === "bigint"
    ) {
      out.push(createDiagnostic("IrInvalidValue", { detail: `${quote(value)} is not a JSON value.` }, { path: jsonPointer(path) }));
    }
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      report(value[i], path, out);
      path.pop();
    }
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const kind = (value as object).constructor?.name ?? "object";
    out.push(createDiagnostic("IrInvalidValue", { detail: `A ${kind} is not a JSON value.` }, { path: jsonPointer(path) }));
    return;
  }
  for (const key in value) {
    path.push(key);
    if (key === "__proto__") {
      out.push(
        createDiagnostic(
          "IrInvalidValue",
          { detail: "The key '__proto__' is not allowed in an IR document." },
          { path: jsonPointer(path) },
        ),
      );
    } else {
      report((value as Record<string, unknown>)[key], path, out);
    }
    path.pop();
  }
}
