import { z } from "zod";
import { createDiagnostic, type Diagnostic, jsonPointer, quote } from "../diagnostics/diagnostic.js";
import {
  ADAPTER_KINDS,
  CLOCK_KINDS,
  Ir,
  LAG_POLICIES,
  MAX_NESTING,
  MAX_PARALLELISM,
  NODE_ID_PATTERN,
  ON_FULL_POLICIES,
  PORT_NAME_PATTERN,
} from "../schema.js";

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
  // zod's records drop a `__proto__` key without a word; the IR reports it, so look first.
  const prototypeKeys = findPrototypeKeys(input);
  const result = compiled.safeParse(input);
  if (!result.success) {
    // zod can raise two issues for one value (1e300: not a safe integer, and too big); say it once.
    const seen = new Set<string>();
    const diagnostics = [...prototypeKeys, ...result.error.issues.flatMap((issue) => issueToDiagnostics(issue, input))].filter((d) => {
      const key = `${d.code}\u0000${d.path}\u0000${d.message}`;
      return seen.size < seen.add(key).size;
    });
    return { diagnostics };
  }
  const diagnostics: Diagnostic[] = prototypeKeys;
  const ir = result.data;
  for (let i = 0; i < ir.nodes.length; i++) {
    const node = ir.nodes[i] as Ir["nodes"][number];
    // Levels as MAX_NESTING counts them: the document 1, nodes 2, a node 3, its params 4, a port 5, its schema 6.
    if (!isJson(node.params, 4)) report(node.params, ["nodes", i, "params"], diagnostics);
    for (const side of SIDES) {
      const ports = node[side];
      for (const name in ports) {
        const schema = (ports[name] as { schema: unknown }).schema;
        if (!isJson(schema, 6)) report(schema, ["nodes", i, side, name, "schema"], diagnostics);
      }
    }
  }
  return diagnostics.length > 0 ? { diagnostics } : { ir };
}

const PROTO = "__proto__";
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

/** `__proto__` keys in the records zod parses (params, ports, port schemas), each reported like the IR schema says. */
function findPrototypeKeys(input: unknown): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!isObject(input) || !Array.isArray(input.nodes)) return out;
  const notAllowed = (path: Segment[]) =>
    out.push(
      createDiagnostic("IrInvalidValue", { detail: "The key '__proto__' is not allowed in an IR document." }, { path: jsonPointer(path) }),
    );
  for (let i = 0; i < input.nodes.length; i++) {
    const node: unknown = input.nodes[i];
    if (!isObject(node)) continue;
    if (isObject(node.params) && Object.hasOwn(node.params, PROTO)) notAllowed(["nodes", i, "params", PROTO]);
    for (const side of SIDES) {
      const ports = node[side];
      if (!isObject(ports)) continue;
      if (Object.hasOwn(ports, PROTO))
        out.push(
          createDiagnostic(
            "InvalidIdentifier",
            { what: "Port name", value: quote(PROTO), rule: `it must match ${PORT_NAME_PATTERN.source}` },
            { path: jsonPointer(["nodes", i, side, PROTO]) },
          ),
        );
      for (const name of Object.keys(ports)) {
        const port = name === PROTO ? undefined : ports[name];
        if (isObject(port) && isObject(port.schema) && Object.hasOwn(port.schema, PROTO))
          notAllowed(["nodes", i, side, name, "schema", PROTO]);
      }
    }
  }
  return out;
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
  // A property that holds `undefined` (a value built in memory, not parsed) is as good as missing.
  if ((!present || value === undefined) && issue.code === "invalid_type")
    return createDiagnostic("IrMissingProperty", { property: String(key) }, location);
  const shown = quote(value);
  switch (key) {
    case "capacity":
      return createDiagnostic("CapacityInvalid", { value: shown }, location);
    case "parallelism":
      return createDiagnostic("ParallelismInvalid", { value: shown, max: MAX_PARALLELISM }, location);
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
  if (value === undefined) return "nothing";
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

/**
 * Whether a value is plain JSON (finite numbers, plain objects, no `__proto__` keys) nesting no
 * deeper than MAX_NESTING, when it sits at `level`. No allocation; recursion bounded by the limit.
 */
function isJson(value: unknown, level: number): boolean {
  if (typeof value !== "object" || value === null) {
    return typeof value === "number"
      ? Number.isFinite(value)
      : typeof value !== "function" && typeof value !== "symbol" && typeof value !== "bigint" && value !== undefined;
  }
  if (level > MAX_NESTING) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isJson(value[i], level + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value) if (key === PROTO || !isJson((value as Record<string, unknown>)[key], level + 1)) return false;
  return true;
}

/** Only for values `isJson` refused: reports each offending value with its JSON pointer. */
function report(value: unknown, path: Segment[], out: Diagnostic[]): void {
  if (typeof value !== "object" || value === null) {
    if (
      typeof value === "number"
        ? !Number.isFinite(value)
        : typeof value === "function" || typeof value === "symbol" || typeof value === "bigint" || value === undefined
    ) {
      const detail = value === undefined ? "undefined is not a JSON value." : `${quote(value)} is not a JSON value.`;
      out.push(createDiagnostic("IrInvalidValue", { detail }, { path: jsonPointer(path) }));
    }
    return;
  }
  // The path has one segment per level below the document, so its length says how deep we are.
  if (path.length + 1 > MAX_NESTING) {
    out.push(
      createDiagnostic(
        "IrTooComplex",
        { detail: `it nests arrays and objects deeper than ${MAX_NESTING} levels` },
        { path: jsonPointer(path) },
      ),
    );
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
    if (key === PROTO) {
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
