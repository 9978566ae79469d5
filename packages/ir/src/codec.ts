import { createHash } from "node:crypto";
import { Packr, Unpackr } from "msgpackr";
import type { Ir, IrAdapter, IrChannel, IrClock, IrNode, Json } from "./schema.js";

/**
 * Canonical form: IR structures in schema order (irVersion, name, nodes, channels, meta; a
 * node's id first), maps (ports, params) and free-form JSON (params values, port schemas)
 * with keys sorted by UTF-16 code unit, -0 written as 0. Canonical JSON is that object
 * printed with 2-space indentation and a trailing newline; equal IRs give equal bytes.
 */
export function canonicalize(ir: Ir): Ir {
  return {
    irVersion: ir.irVersion,
    name: ir.name,
    nodes: ir.nodes.map(canonicalNode),
    channels: ir.channels.map(canonicalChannel),
    meta: { compiler: ir.meta.compiler, sourceHash: ir.meta.sourceHash },
  };
}

function canonicalNode(node: IrNode): IrNode {
  return {
    id: node.id,
    type: node.type,
    impl: { module: node.impl.module, export: node.impl.export },
    params: sortJson(node.params) as IrNode["params"],
    clock: canonicalClock(node.clock),
    inputs: mapSorted(node.inputs, (port) => ({
      schema: sortJson(port.schema) as typeof port.schema,
      adapter: canonicalAdapter(port.adapter),
    })),
    outputs: mapSorted(node.outputs, (port) => ({ schema: sortJson(port.schema) as typeof port.schema })),
    stateful: node.stateful,
    parallelism: node.parallelism,
    placement: node.placement,
    onError: node.onError,
    source: node.source ? { file: node.source.file, line: node.source.line, column: node.source.column } : null,
  };
}

function canonicalClock(clock: IrClock): IrClock {
  switch (clock.kind) {
    case "rate":
      return { kind: "rate", hz: zero(clock.hz), onLag: clock.onLag };
    case "trigger":
      return { kind: "trigger", on: [...clock.on] };
    case "hybrid":
      return { kind: "hybrid", hz: zero(clock.hz), onLag: clock.onLag, on: [...clock.on] };
    case "free":
      return { kind: "free" };
  }
}

function canonicalAdapter(adapter: IrAdapter): IrAdapter {
  if (adapter.kind !== "window") return { kind: adapter.kind };
  const out: { kind: "window"; size?: number; ms?: number } = { kind: "window" };
  if (adapter.ms !== undefined) out.ms = zero(adapter.ms);
  if (adapter.size !== undefined) out.size = adapter.size;
  return out;
}

function canonicalChannel(c: IrChannel): IrChannel {
  return {
    id: c.id,
    from: { node: c.from.node, port: c.from.port },
    to: { node: c.to.node, port: c.to.port },
    capacity: c.capacity,
    onFull: c.onFull,
  };
}

function zero(n: number): number {
  return n === 0 ? 0 : n;
}

function mapSorted<T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> {
  const out: Record<string, U> = {};
  for (const key of Object.keys(record).sort()) setOwn(out, key, f(record[key] as T));
  return out;
}

/** Deep copy of a JSON value with object keys sorted and -0 as 0. */
export function sortJson(value: Json): Json {
  if (typeof value === "number") return zero(value);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(sortJson);
  const out: Record<string, Json> = {};
  for (const key of Object.keys(value).sort()) setOwn(out, key, sortJson(value[key] as Json));
  return out;
}

/** Assignment that keeps a `__proto__` key an own data property instead of setting the prototype. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Canonical JSON text of an IR (see `canonicalize`). */
export function encodeJson(ir: Ir): string {
  return `${JSON.stringify(canonicalize(ir), null, 2)}\n`;
}

/** MessagePack of the canonical IR: plain maps (no msgpackr records), so any MessagePack reader can load it. */
const packr = new Packr({ useRecords: false, variableMapSize: true });
export const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
/** The same decoder giving Maps, for the rare input whose keys objects cannot hold as they are (`__proto__`). */
export const mapUnpackr = new Unpackr({ useRecords: false, mapsAsObjects: false });

export function encodeMsgpack(ir: Ir): Uint8Array {
  return packr.pack(canonicalize(ir));
}

/** `sha256:<hex>` of the canonical JSON text. */
export function hashIr(ir: Ir): string {
  return `sha256:${createHash("sha256").update(encodeJson(ir)).digest("hex")}`;
}
