import { checkSchemaCompatible, type IrInput, type Json, type JsonSchema } from "@flowc/ir";
import fc from "fast-check";

type NodeInput = IrInput["nodes"][number];
type ChannelInput = NonNullable<IrInput["channels"]>[number];

const SCHEMAS: JsonSchema[] = [
  {},
  { type: "number" },
  { type: "integer" },
  { type: "string" },
  { type: ["string", "null"] },
  { enum: ["a", "b"] },
  { type: "array", items: { type: "number" } },
  { type: "object", properties: { x: { type: "number" }, label: { type: "string" } }, required: ["x"] },
  { anyOf: [{ type: "string" }, { type: "number" }] },
];

const ident = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
const portName = fc.constantFrom("a", "b", "c", "value", "frame", "$meta");
/** JSON values that survive JSON text (no -0) and plain objects (no __proto__ keys). */
export const jsonValue = fc
  .jsonValue({ maxDepth: 3 })
  .filter((v) => !JSON.stringify(v).includes('"__proto__"') && !hasNegativeZero(v)) as fc.Arbitrary<Json>;

/** Canonical JSON writes -0 as 0 (JSON and MessagePack must agree), so a model holding -0 reloads as 0. */
function hasNegativeZero(value: unknown): boolean {
  if (Object.is(value, -0)) return true;
  if (value !== null && typeof value === "object") return Object.values(value).some(hasNegativeZero);
  return false;
}

const adapter = fc.oneof(
  fc.constant({ kind: "latest" as const }),
  fc.constant({ kind: "hold" as const }),
  fc.constant({ kind: "events" as const }),
  fc.integer({ min: 1, max: 100 }).map((size) => ({ kind: "window" as const, size })),
  fc.double({ min: 0.5, max: 5000, noNaN: true }).map((ms) => ({ kind: "window" as const, ms })),
);

const sourceLocation = fc.record({
  file: fc.constant("flows/main.flow.ts"),
  line: fc.integer({ min: 1, max: 999 }),
  column: fc.integer({ min: 1, max: 80 }),
});
const sourceHash = fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`);

// fc.gen() caches the arbitrary each factory builds, keyed by the factory: factories must be
// stable module-level functions, or every call adds a cache entry (unbounded memory).
const nodeIds = () => fc.uniqueArray(ident, { minLength: 1, maxLength: 12 });
const portNames = () => fc.uniqueArray(portName, { maxLength: 3 });
const params = () => fc.dictionary(ident, jsonValue, { maxKeys: 3 });
const placement = () => fc.option(ident, { nil: null });
const source = () => fc.option(sourceLocation, { nil: null });
const hash = () => fc.option(sourceHash, { nil: null });
const adapterArb = () => adapter;

/** Random valid IR documents: a DAG of 1–12 nodes with compatible, correctly directed channels. */
export const validIr: fc.Arbitrary<IrInput> = fc.gen().map((g) => {
  const ids = g(nodeIds);
  const nodes: NodeInput[] = [];
  const channels: ChannelInput[] = [];
  const connected = new Map<string, Set<string>>();
  for (const id of ids) {
    const inNames = g(portNames);
    const outNames = g(portNames);
    const stateful = g(fc.boolean);
    nodes.push({
      id,
      type: g(fc.constantFrom, "Counter", "Scale", "Sink", "Window"),
      impl: {
        module: g(fc.constantFrom, "nodes/a.mjs", "nodes/b.mjs", "./lib/x.js", "nodes/../c.cjs"),
        export: g(fc.constantFrom, "A", "B", "default"),
      },
      params: g(params),
      clock: { kind: "free" },
      inputs: Object.fromEntries(inNames.map((p) => [p, { schema: g(fc.constantFrom, ...SCHEMAS), adapter: g(adapterArb) }])),
      outputs: Object.fromEntries(outNames.map((p) => [p, { schema: g(fc.constantFrom, ...SCHEMAS) }])),
      stateful,
      parallelism: stateful ? 1 : g(fc.integer, { min: 1, max: 4 }),
      placement: g(placement),
      onError: g(fc.constantFrom, "stop" as const, "isolate" as const),
      source: g(source),
    });
    connected.set(id, new Set());
  }
  // Forward channels only (a DAG), between compatible ports, at most one per port pair.
  const attempts = g(fc.integer, { min: 0, max: nodes.length * 3 });
  const seen = new Set<string>();
  for (let k = 0; k < attempts && nodes.length > 1; k++) {
    const i = g(fc.integer, { min: 0, max: nodes.length - 2 });
    const j = g(fc.integer, { min: i + 1, max: nodes.length - 1 });
    const from = nodes[i] as NodeInput;
    const to = nodes[j] as NodeInput;
    const outs = Object.keys(from.outputs ?? {});
    const ins = Object.keys(to.inputs ?? {});
    if (outs.length === 0 || ins.length === 0) continue;
    const p = g(fc.constantFrom, ...outs);
    const q = g(fc.constantFrom, ...ins);
    const id = `${from.id}.${p}->${to.id}.${q}`;
    if (seen.has(id)) continue;
    if (checkSchemaCompatible((from.outputs?.[p]?.schema ?? {}) as JsonSchema, (to.inputs?.[q]?.schema ?? {}) as JsonSchema)) continue;
    seen.add(id);
    connected.get(to.id)?.add(q);
    channels.push({
      id,
      from: { node: from.id, port: p },
      to: { node: to.id, port: q },
      capacity: g(fc.integer, { min: 1, max: 1000 }),
      onFull: g(fc.constantFrom, "dropOldest" as const, "dropNewest" as const, "block" as const),
    });
  }
  for (const node of nodes) {
    const live = [...(connected.get(node.id) ?? [])];
    const hasInputs = Object.keys(node.inputs ?? {}).length > 0;
    const hz = g(fc.double, { min: 0.01, max: 1000, noNaN: true });
    const onLag = g(fc.constantFrom, "warn" as const, "drop" as const, "catchUp" as const, "error" as const);
    const choice = g(fc.integer, { min: 0, max: 2 });
    if (live.length > 0 && choice === 0) node.clock = { kind: "trigger", on: g(fc.subarray, live, { minLength: 1 }) };
    else if (live.length > 0 && choice === 1) node.clock = { kind: "hybrid", hz, onLag, on: g(fc.subarray, live, { minLength: 1 }) };
    else if (!hasInputs && choice === 1) node.clock = { kind: "free" };
    else node.clock = { kind: "rate", hz, onLag };
  }
  return {
    irVersion: 1,
    name: g(fc.constantFrom, "demo", "flow", "batch-1", "ünïcode ✓"),
    nodes,
    channels,
    meta: { compiler: "flowc 0.1.0", sourceHash: g(hash) },
  };
});

/** Every JSON path (as segment lists) in a value, the root included. */
export function allPaths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) allPaths(value[i], [...prefix, i], out);
  } else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) allPaths(v, [...prefix, k], out);
  return out;
}

/** Hostile values a corrupted document may hold. */
export const hostileValue = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 53 + 2,
    "",
    "x",
    "/abs/path.mjs",
    "a.b",
    [],
    {},
    [[]],
    { kind: "nope" },
  ),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant(undefined),
);

/** Byte-level corruption: flip a byte, truncate, or insert a byte. */
export function mangle(bytes: Uint8Array, at: number, byte: number, op: string): Uint8Array {
  const i = at % Math.max(1, bytes.length);
  if (op === "truncate") return bytes.subarray(0, i);
  if (op === "insert") return Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
  const copy = Uint8Array.from(bytes);
  copy[i] = (copy[i] ?? 0) ^ (byte || 1);
  return copy;
}

export type Corruption = { op: string; pick: number; other: number; value: unknown; key: string };

/** Structural corruption of a parsed document, in place. */
export function corrupt(doc: unknown, c: Corruption): void {
  const paths = allPaths(doc).filter((p) => p.length > 0);
  if (paths.length === 0) return;
  const path = paths[c.pick % paths.length] as (string | number)[];
  const parent = path.slice(0, -1).reduce<any>((v, s) => v?.[s], doc);
  const key = path[path.length - 1] as string | number;
  if (parent === null || typeof parent !== "object") return;
  switch (c.op) {
    case "delete":
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case "replace":
      parent[key] = c.value;
      break;
    case "duplicate":
      if (Array.isArray(parent)) parent.push(structuredClone(parent[Number(key)]));
      else parent[`${String(key)}2`] = parent[key];
      break;
    case "add": {
      const target = parent[key];
      if (target !== null && typeof target === "object" && !Array.isArray(target)) {
        Object.defineProperty(target, c.key, { value: c.value, enumerable: true, writable: true, configurable: true });
      } else if (Array.isArray(target)) {
        target.push(c.value);
      }
      break;
    }
    case "swap": {
      const otherPath = paths[c.other % paths.length] as (string | number)[];
      const otherParent = otherPath.slice(0, -1).reduce<any>((v, s) => v?.[s], doc);
      const otherKey = otherPath[otherPath.length - 1] as string | number;
      const nested = (a: (string | number)[], b: (string | number)[]) => a.length <= b.length && a.every((s, i) => s === b[i]);
      // Swapping a value with one inside it would make the document cyclic, which JSON cannot express.
      if (otherParent && typeof otherParent === "object" && !nested(path, otherPath) && !nested(otherPath, path)) {
        const tmp = parent[key];
        parent[key] = otherParent[otherKey];
        otherParent[otherKey] = tmp;
      }
      break;
    }
  }
}
