import { readFileSync } from "node:fs";
import { type Descriptor, descriptorToYaml, parseDescriptor } from "@flowc/dora";
import { Packr } from "msgpackr";
import type { FileSpec, FuzzCase } from "./harness.js";
import type { Rng } from "./rng.js";

/** The valid inputs every mutation starts from (built once per run). */
export interface Bases {
  /** A canonical IR (examples/demo.ir.json). */
  readonly irText: string;
  /** A build directory: `<name>.ir.json`, `<name>.dataflow.yml` and its `nodes/`. */
  readonly builtDir: string;
  readonly builtIr: string;
  readonly builtYaml: string;
  /** A hand-written descriptor whose nodes are TypeScript (examples/dataflow). */
  readonly handYaml: string;
  readonly handNodes: string;
  /** A flow file (examples/demo.flow.ts). */
  readonly flowText: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An inline-isolation config: `run` cases stay in one process, on a logical clock. */
const INLINE_CONFIG = `${JSON.stringify({ runtime: "mp", runtimes: { mp: { isolation: "inline" } } })}\n`;
const RUN = ["--runtime", "mp", "--config", "inline.json", "--duration", "1"] as const;

const packr = new Packr({ useRecords: false, variableMapSize: true });

// ---- values ---------------------------------------------------------------------------------

/** Text spliced in for a placeholder string after encoding: what JSON.stringify or msgpackr cannot write. */
interface Special {
  readonly json: string;
  readonly msgpack: Uint8Array;
  readonly yaml: string;
}

class Specials {
  readonly items: Special[] = [];
  add(special: Special): string {
    this.items.push(special);
    return `@@FUZZ${this.items.length - 1}@@`;
  }
}

const KEYS = [
  "id",
  "type",
  "nodes",
  "channels",
  "params",
  "clock",
  "kind",
  "hz",
  "on",
  "inputs",
  "outputs",
  "schema",
  "adapter",
  "capacity",
  "onFull",
  "parallelism",
  "meta",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "",
  "x".repeat(5000),
  "ключ",
  "a/b",
  "~0~1",
  "irVersion",
];
const WEIRD_STRINGS = [
  "__proto__",
  "constructor",
  "",
  " ",
  "\u202Eevil",
  "a\u200Bb",
  "\u0000",
  "😀".repeat(50),
  "../../../../dev/zero",
  "/dev/zero",
  "C:\\x",
  "nodes/x.ts",
  "a".repeat(70_000),
  "\n\r\t",
  "\uFEFF",
  "%s%n",
  "$" + "{x}",
];
const WEIRD_NUMBERS = [0, -0, -1, 1.5, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, 5e-324, 1e21, 64, 65];

function randomValue(rng: Rng, specials: Specials, depth = 0): Json {
  switch (rng.int(0, depth > 2 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick(WEIRD_NUMBERS);
    case 3:
    case 4:
      return rng.pick(WEIRD_STRINGS);
    case 5:
      return specialNumber(rng, specials);
    case 6:
      return Array.from({ length: rng.int(0, 4) }, () => randomValue(rng, specials, depth + 1));
    case 7: {
      const out: { [key: string]: Json } = {};
      for (let i = rng.int(0, 4); i > 0; i--) own(out, rng.pick(KEYS), randomValue(rng, specials, depth + 1));
      return out;
    }
    default:
      return deep(rng, specials);
  }
}

function own(target: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Numbers JSON cannot spell the usual way: NaN, Infinity, 1e400, hexadecimal, leading zeros. */
function specialNumber(rng: Rng, specials: Specials): string {
  const [json, value] = rng.pick([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
    ["1e400", Number.POSITIVE_INFINITY],
    ["-1e400", Number.NEGATIVE_INFINITY],
    ["0x10", 16],
    ["01", 1],
    ["1.", 1],
    ["-", 0],
  ] as const);
  return specials.add({ json, msgpack: packr.pack(value), yaml: rng.pick([".nan", ".inf", "-.inf", "1e400", "0x10"]) });
}

/** Arrays or objects nested hundreds to a hundred thousand levels deep. */
function deep(rng: Rng, specials: Specials): string {
  const depth = rng.pick([100, 300, 3_000, 20_000, 100_000]);
  const objects = rng.chance(0.3);
  const json = objects ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}1${"]".repeat(depth)}`;
  const msgpack = new Uint8Array(objects ? depth * 3 + 1 : depth + 1);
  if (objects) for (let i = 0; i < depth; i++) msgpack.set([0x81, 0xa1, 0x61], i * 3);
  else msgpack.fill(0x91, 0, depth);
  msgpack[msgpack.length - 1] = 0x01;
  const yaml = objects ? `${"{a: ".repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}1${"]".repeat(depth)}`;
  return specials.add({ json, msgpack, yaml });
}

interface Slot {
  readonly parent: Json[] | { [key: string]: Json };
  readonly key: string | number;
}

/** A random place in a value (never the root itself). */
function pickSlot(rng: Rng, root: Json): Slot | undefined {
  let slot: Slot | undefined;
  let node = root;
  for (let depth = 0; depth < 12; depth++) {
    if (node === null || typeof node !== "object") break;
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    const key = rng.pick(keys);
    slot = { parent: node, key };
    node = (node as Record<string | number, Json>)[key] as Json;
    if (depth > 0 && rng.chance(0.3)) break;
  }
  return slot;
}

function getSlot(slot: Slot): Json {
  return (slot.parent as Record<string | number, Json>)[slot.key] as Json;
}

function setSlot(slot: Slot, value: Json): void {
  if (Array.isArray(slot.parent)) slot.parent[slot.key as number] = value;
  else own(slot.parent, slot.key as string, value);
}

const VALUE_OPS = [
  "delete",
  "duplicate",
  "typeSwap",
  "deep",
  "hugeString",
  "number",
  "protoKey",
  "renameKey",
  "copies",
  "weirdString",
] as const;

/** One to four structural mutations of a JSON-like value, in place; returns what was done. */
function mutateValue(rng: Rng, root: Json, specials: Specials, ops: readonly string[] = VALUE_OPS): string[] {
  const done: string[] = [];
  for (let n = rng.int(1, 4); n > 0; n--) {
    const slot = pickSlot(rng, root);
    if (!slot) break;
    const op = rng.pick(ops);
    const where = `${op} at ${String(slot.key).slice(0, 20)}`;
    switch (op) {
      case "delete":
        if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
        else delete slot.parent[slot.key as string];
        break;
      case "duplicate":
        if (Array.isArray(slot.parent)) slot.parent.push(structuredClone(getSlot(slot)));
        else own(slot.parent, rng.pick(KEYS), structuredClone(getSlot(slot)));
        break;
      case "typeSwap":
        setSlot(slot, randomValue(rng, specials));
        break;
      case "deep":
        setSlot(slot, deep(rng, specials));
        break;
      case "hugeString":
        setSlot(slot, rng.pick(["x", "é", "\u{1F600}", "\\"]).repeat(rng.pick([100_000, 1_000_000, 3_000_000])));
        break;
      case "number":
        setSlot(slot, rng.chance(0.5) ? rng.pick(WEIRD_NUMBERS) : specialNumber(rng, specials));
        break;
      case "protoKey": {
        const target = getSlot(slot);
        const key = rng.pick(["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"]);
        if (target !== null && typeof target === "object" && !Array.isArray(target)) own(target, key, randomValue(rng, specials, 2));
        else setSlot(slot, key);
        break;
      }
      case "renameKey":
        if (!Array.isArray(slot.parent)) {
          const value = getSlot(slot);
          delete slot.parent[slot.key as string];
          own(slot.parent, rng.pick(KEYS), value);
        }
        break;
      case "copies":
        if (Array.isArray(slot.parent)) {
          const item = getSlot(slot);
          for (let i = rng.pick([10, 1_000, 10_000]); i > 0; i--) slot.parent.push(item);
        }
        break;
      default:
        setSlot(slot, rng.pick(WEIRD_STRINGS));
    }
    done.push(where);
  }
  return done;
}

/** The largest JSON text a generated case may spell (the 63 MB nested-array document fits). */
const MAX_CASE_TEXT = 80_000_000;

/** Whether `value` as compact JSON is longer than `limit` characters, counted without building the text. */
function jsonSizeOver(value: Json, limit: number): boolean {
  let size = 0;
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    if (size > limit) return true;
    const v = todo.pop();
    if (typeof v === "string") size += v.length + 2;
    else if (Array.isArray(v)) {
      size += 2 + v.length;
      for (const item of v) todo.push(item);
    } else if (v !== null && typeof v === "object") {
      for (const [k, item] of Object.entries(v)) {
        size += k.length + 4;
        todo.push(item);
      }
      size += 2;
    } else size += String(v).length;
  }
  return size > limit;
}

function splice(text: string, specials: Specials, pick: (s: Special) => string): string {
  return text.replace(/"?'?@@FUZZ(\d+)@@'?"?/g, (_, i: string) => pick(specials.items[Number(i)] as Special));
}

function spliceBytes(bytes: Uint8Array, specials: Specials): Uint8Array {
  if (specials.items.length === 0) return bytes;
  const parts: Uint8Array[] = [];
  let from = 0;
  for (let i = 0; i < bytes.length; i++) {
    // A placeholder is a fixstr: 0xa0 + length, then "@@FUZZ<n>@@".
    if (bytes[i] === 0x40 && bytes[i + 1] === 0x40 && i > 0 && (bytes[i - 1] as number) >= 0xa0 && (bytes[i - 1] as number) <= 0xbf) {
      const end = bytes.indexOf(0x40, i + 7);
      const text = new TextDecoder().decode(bytes.subarray(i, end + 2));
      const match = /^@@FUZZ(\d+)@@$/.exec(text);
      if (match) {
        parts.push(bytes.subarray(from, i - 1), (specials.items[Number(match[1])] as Special).msgpack);
        from = end + 2;
        i = end + 1;
      }
    }
  }
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
}

/** Byte-level damage: flips, truncation, insertions (invalid UTF-8, NUL, hostile MessagePack headers). */
function corrupt(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const out = Buffer.from(bytes);
  if (out.length === 0) return { bytes: out, what: "empty" };
  const at = rng.int(0, out.length - 1);
  switch (rng.int(0, 4)) {
    case 0:
      out[at] = rng.int(0, 255);
      return { bytes: out, what: `flip byte ${at}` };
    case 1:
      return { bytes: out.subarray(0, at), what: `truncate at ${at}` };
    case 2: {
      const insert = rng.pick([
        [0xff, 0xfe],
        [0x00],
        [0xc0, 0x80],
        [0xed, 0xa0, 0x80],
        [0xdd, 0xff, 0xff, 0xff, 0xff],
        [0xdb, 0x7f, 0xff, 0xff, 0xff],
        [0xc7, 0x01, 0x01, 0x00],
        [0xc4, 0x02],
        [0xc1],
      ]);
      return {
        bytes: Buffer.concat([out.subarray(0, at), Buffer.from(insert), out.subarray(at)]),
        what: `insert ${insert.join(",")} at ${at}`,
      };
    }
    case 3:
      return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), out]), what: "byte-order mark" };
    default:
      return { bytes: Buffer.concat([out, out]), what: "doubled" };
  }
}

// ---- case classes ---------------------------------------------------------------------------

const IR_COMMANDS = [
  ["validate"],
  ["validate", "--json"],
  ["inspect"],
  ["inspect", "--json"],
  ["graph"],
  ["graph", "--format", "dot"],
] as const;

/** Mutated IR as JSON text: structure, values, nesting, numbers, prototype keys, bytes. */
/**
 * The base IR with random value mutations. Copies of a value that shares a huge string can
 * spell gigabytes, which would stall the test process itself: such a draw is made again
 * without copies (deterministically, from the same rng).
 */
function mutatedIr(rng: Rng, bases: Bases): { value: Json; specials: Specials; done: string[] } {
  for (let attempt = 0; ; attempt++) {
    const specials = new Specials();
    const value = JSON.parse(bases.irText) as Json;
    const done = mutateValue(rng, value, specials, attempt === 0 ? VALUE_OPS : VALUE_OPS.filter((op) => op !== "copies"));
    if (!jsonSizeOver(value, MAX_CASE_TEXT)) return { value, specials, done };
  }
}

export function irJsonCase(rng: Rng, id: string, bases: Bases): FuzzCase {
  const { value, specials, done } = mutatedIr(rng, bases);
  const text = splice(JSON.stringify(value, null, rng.chance(0.7) ? 2 : 0), specials, (s) => s.json);
  return irFileCase(rng, id, "ir-json", "x.ir.json", Buffer.from(text), done, 0.2);
}

/** Mutated IR as MessagePack: the same mutations, packed, plus hostile headers. */
export function irMsgpackCase(rng: Rng, id: string, bases: Bases): FuzzCase {
  const { value, specials, done } = mutatedIr(rng, bases);
  return irFileCase(rng, id, "ir-msgpack", "x.ir.msgpack", spliceBytes(packr.pack(value), specials), done, 0.4);
}

/** An IR file case: the bytes, damaged with probability `corruptChance`, given to a random IR command. */
function irFileCase(
  rng: Rng,
  id: string,
  kind: "ir-json" | "ir-msgpack",
  file: string,
  bytes: Uint8Array,
  done: string[],
  corruptChance: number,
): FuzzCase {
  let contents = bytes;
  if (rng.chance(corruptChance)) {
    const damaged = corrupt(rng, contents);
    contents = damaged.bytes;
    done.push(damaged.what);
  }
  const command = rng.pick(IR_COMMANDS);
  return { id, kind, what: done.join("; "), files: { [file]: contents }, args: [command[0], file, ...command.slice(1)] };
}

/** A valid build, lightly mutated, then run on mp inline for a second. */
export function irRunCase(rng: Rng, id: string, bases: Bases): FuzzCase {
  const value = JSON.parse(readText(bases.builtDir, bases.builtIr)) as { nodes: Record<string, Json>[]; channels: Record<string, Json>[] };
  const node = rng.pick(value.nodes);
  const channel = value.channels.length > 0 ? rng.pick(value.channels) : undefined;
  const edits: [string, () => void][] = [
    ["capacity", () => channel && (channel.capacity = rng.pick([1, 2, 1_000_000, 2 ** 31]))],
    ["onFull", () => channel && (channel.onFull = rng.pick(["block", "dropOldest", "dropNewest"]))],
    [
      "hz",
      () =>
        node.clock &&
        (node.clock as Record<string, Json>).kind === "rate" &&
        ((node.clock as Record<string, Json>).hz = rng.pick([1e-9, 0.5, 1_000, 1e6])),
    ],
    ["params", () => (node.params = rng.pick([{}, { factor: "x" }, { factor: 1e308 }, { offset: null }, { label: "😀".repeat(1000) }]))],
    ["parallelism", () => (node.parallelism = rng.pick([1, 2, 64]))],
    ["onError", () => (node.onError = rng.pick(["stop", "isolate"]))],
    ["placement", () => (node.placement = rng.pick([null, "elsewhere"]))],
    ["export", () => ((node.impl as Record<string, Json>).export = rng.pick(["Nope", "default", "__proto__", "constructor"]))],
    [
      "window",
      () => {
        const input = Object.values((node.inputs as Record<string, Record<string, Json>>) ?? {})[0];
        if (input)
          input.adapter = rng.pick([
            { kind: "window", size: 1_000_000 },
            { kind: "window", ms: 1e-3 },
            { kind: "events" },
            { kind: "hold" },
          ]);
      },
    ],
  ];
  const chosen = Array.from({ length: rng.int(1, 3) }, () => rng.pick(edits));
  for (const [, edit] of chosen) edit();
  return {
    id,
    kind: "ir-run",
    what: `${node.id as string}: ${chosen.map(([name]) => name).join(", ")}`,
    files: { build: { copyFrom: bases.builtDir }, "build/run.ir.json": JSON.stringify(value), "inline.json": INLINE_CONFIG },
    args: ["run", "build/run.ir.json", ...RUN, ...(rng.chance(0.3) ? ["--json"] : [])],
    slow: true,
  };
}

function readText(dir: string, file: string): string {
  return readFileSync(`${dir}/${file}`, "utf8");
}

const YAML_TEXT_OPS = [
  "aliasBomb",
  "unresolved",
  "cycle",
  "merge",
  "multiDoc",
  "tabs",
  "crlf",
  "bom",
  "tag",
  "complexKey",
  "directive",
  "deep",
  "timer",
  "manyNodes",
  "bytes",
  "flowcFacts",
] as const;

/** Mutated and hostile Dora descriptors, run on mp inline: aliases, merge keys, documents, keys, types, size. */
export function yamlCase(rng: Rng, id: string, bases: Bases): FuzzCase {
  const specials = new Specials();
  const flowcWritten = rng.chance(0.6);
  const value = structuredClone(parseDescriptor(flowcWritten ? bases.builtYaml : bases.handYaml).descriptor) as unknown as Json;
  const done: string[] = [];
  if (rng.chance(0.6))
    done.push(...mutateValue(rng, value, specials, ["delete", "duplicate", "typeSwap", "protoKey", "renameKey", "weirdString", "number"]));
  let prefix = "";
  let suffix = "";
  const op = rng.pick(YAML_TEXT_OPS);
  done.push(op);
  const slot = pickSlot(rng, value);
  const place = (yaml: string) => {
    if (slot) setSlot(slot, specials.add({ json: "null", msgpack: new Uint8Array([0xc0]), yaml }));
  };
  switch (op) {
    case "aliasBomb": {
      const levels = rng.int(3, 12);
      const lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"];
      for (let i = 1; i < levels; i++)
        lines.push(
          `l${i}: &l${i} [${Array(10)
            .fill(`*l${i - 1}`)
            .join(", ")}]`,
        );
      prefix = `${lines.join("\n")}\n`;
      place(`*l${levels - 1}`);
      break;
    }
    case "unresolved":
      place(rng.pick(["*nowhere", "*l0"]));
      break;
    case "cycle":
      place(rng.pick(["&c0 [*c0]", "&c1 {a: *c1}", "&c2 [[[*c2]]]"]));
      break;
    case "merge":
      prefix = "base: &base {path: flowc-node, args: x.mjs X}\n";
      place("{<<: *base}");
      break;
    case "multiDoc":
      suffix = rng.pick(["\n---\n", "\n...\n---\nnodes: []\n", "\n---\n".repeat(1000)]);
      break;
    case "directive":
      prefix = rng.pick(["%YAML 1.1\n---\n", "%YAML 9.9\n---\n", "%TAG ! tag:x,2000:\n---\n"]);
      break;
    case "tag":
      place(
        rng.pick(["!!binary aGVsbG8=", "!!timestamp 2001-12-14", "!custom x", "!!set {a, b}", "!!omap [a: 1]", "!!int x", "!!float .nan"]),
      );
      break;
    case "complexKey":
      prefix = rng.pick(["? [a, b]\n: c\n", "? {a: 1}\n: d\n"]);
      break;
    case "deep": {
      const depth = rng.pick([300, 5_000, 50_000]);
      place(rng.chance(0.5) ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `\n${"- ".repeat(depth)}x`);
      break;
    }
    case "timer":
      place(
        rng.pick([
          "dora/timer/nanos/1",
          "dora/timer/hz/1e-300",
          "dora/timer/millis/99999999999999999999",
          "dora/timer/hz/NaN",
          "dora/timer/secs/0",
          "dora/x",
          "a/b/c",
          "/",
        ]),
      );
      break;
    case "manyNodes": {
      const nodes = (value as { nodes?: Json }).nodes;
      if (Array.isArray(nodes) && nodes.length > 0)
        for (let i = rng.pick([100, 2_000]); i > 0; i--) nodes.push(structuredClone(nodes[i % nodes.length] as Json));
      break;
    }
    case "flowcFacts": {
      const nodes = (value as { nodes?: Json }).nodes;
      const node = Array.isArray(nodes) && nodes.length > 0 ? (rng.pick(nodes) as { [key: string]: Json }) : undefined;
      if (node && typeof node === "object")
        own(
          node,
          "_flowc",
          rng.pick<Json>([
            {},
            [],
            "x",
            { channels: null },
            { type: 1, impl: { module: "../../../../dev/zero", export: "X" } },
            { clock: { kind: "rate", hz: -1 } },
          ]),
        );
      break;
    }
    default:
      break;
  }
  let text = prefix + splice(descriptorToYaml(value as unknown as Descriptor), specials, (s) => s.yaml) + suffix;
  if (op === "tabs") text = text.replace(/\n {2}/g, () => (rng.chance(0.3) ? "\n\t" : "\n  "));
  if (op === "crlf") text = text.replace(/\n/g, "\r\n");
  if (op === "bom") text = `\uFEFF${text}`;
  let bytes: Uint8Array = Buffer.from(text);
  if (op === "bytes") {
    const damaged = corrupt(rng, bytes);
    bytes = damaged.bytes;
    done.push(damaged.what);
  }
  const files: Record<string, FileSpec> = { "flow.yml": bytes, "inline.json": INLINE_CONFIG };
  if (flowcWritten) files.nodes = { copyFrom: `${bases.builtDir}/nodes` };
  else files["nodes.ts"] = bases.handNodes;
  return {
    id,
    kind: "yaml",
    what: `${flowcWritten ? "flowc-written" : "hand-written"}: ${done.join("; ")}`,
    files,
    args: ["run", "flow.yml", ...RUN],
    project: !flowcWritten,
    slow: true,
  };
}

const FLOW_INSERTS = [
  "for (let i = 0; i < 1e9; i++) {}",
  "while (true) {}",
  "const big = Array.from({ length: 1e9 }, (_, i) => i);",
  'const s = "x".repeat(1e9);',
  "const f = (n: number): number => f(n + 1); f(0);",
  'for (let i = 0; i < 3000; i++) add("n" + i, Print, { params: { label: "x" } });',
  'const o = { ["__proto__"]: 1 };',
  "const deep = DEEP;",
  "const u = `$" + "{'\\u202E'}`;",
  'add("counter", Counter, { clock: rate(1) });',
  "connect(counter.out.value, counter.out.value);",
];
const NUMBERS = ["1e308", "1e400", "-1", "0", "NaN", "Infinity", "2 ** 31", "0.1 + 0.2", "Number.MAX_SAFE_INTEGER + 2", "1_000_000", "-0"];
const STRINGS = [
  '"\\u202Eevil"',
  '"a\\u200Bb"',
  '"\\uD800"',
  '"\\0"',
  '"😀"',
  '"../../etc"',
  '"__proto__"',
  '"constructor"',
  '""',
  '"a.b"',
  '"a/b"',
  '"ü"',
  `"${"x".repeat(100_000)}"`,
];

/** Mutated flow files: syntax errors, loops and allocations past the evaluator's budget, odd names and unicode. */
export function flowCase(rng: Rng, id: string, bases: Bases): FuzzCase {
  let text = bases.flowText;
  const done: string[] = [];
  for (let n = rng.int(1, 3); n > 0; n--) {
    const op = rng.pick([
      "delete",
      "insert",
      "number",
      "string",
      "loop",
      "flowName",
      "parallelism",
      "paramsProto",
      "clock",
      "unicode",
      "bigFile",
    ] as const);
    done.push(op);
    switch (op) {
      case "delete": {
        const at = rng.int(0, text.length - 1);
        text = text.slice(0, at) + text.slice(at + rng.int(1, 20));
        break;
      }
      case "insert": {
        const at = rng.int(0, text.length);
        text =
          text.slice(0, at) +
          rng.pick(["{", "}", "(", ")", ";", '"', "`", "/*", "=>", "@", "#", "\u0000", "\\", "<", "\uFEFF"]) +
          text.slice(at);
        break;
      }
      case "number":
        text = replaceOne(rng, text, /\b\d+\b/g, () => rng.pick(NUMBERS));
        break;
      case "string":
        text = replaceOne(rng, text, /"[a-z ]+"/g, () => rng.pick(STRINGS));
        break;
      case "loop": {
        let insert = rng.pick(FLOW_INSERTS);
        if (insert.includes("DEEP")) {
          const depth = rng.pick([100, 3_000, 20_000]);
          insert = insert.replace("DEEP", `${"[".repeat(depth)}${"]".repeat(depth)}`);
        }
        text = text.replace("  const counter =", `  ${insert}\n  const counter =`);
        break;
      }
      case "flowName":
        text = text.replace(
          'flow("demo"',
          `flow(${rng.pick(['"../../escape"', '""', '"a/b"', '"."', '".."', `"${"n".repeat(1000)}"`, '"\\u0000"', '"__proto__"'])}`,
        );
        break;
      case "parallelism":
        text = text.replace(
          "{ params: { factor: 2 } }",
          `{ params: { factor: 2 }, parallelism: ${rng.pick(["65", "2 ** 31", "-1", "1.5", "64", '"4"', "NaN"])} }`,
        );
        break;
      case "paramsProto":
        text = text.replace(
          "{ factor: 2 }",
          rng.pick(['{ factor: 2, ["__proto__"]: 1 }', "{ ...{ factor: 2 }, constructor: 3 }", '{ "__proto__": { factor: 2 } }']),
        );
        break;
      case "clock":
        text = text.replace("rate(1)", `rate(${rng.pick(["0", "-1", "1e308", "NaN", "1 / 0", '"1"'])})`);
        break;
      case "unicode":
        text = text.replace(/\bdouble\b/, "dоuble");
        break;
      default:
        text += `\n// ${"ж".repeat(rng.pick([100_000, 2_000_000]))}\n`;
    }
  }
  const command = rng.pick([
    ["check", "main.flow.ts"],
    ["check", "main.flow.ts", "--json"],
    ["build", "main.flow.ts", "-o", "out"],
    ["build", "main.flow.ts", "-o", "out", "--format", "msgpack"],
    ["build", "main.flow.ts", "-o", "out", "--target", "dataflow"],
    ["build", "main.flow.ts", "--print-ir"],
    ["graph", "main.flow.ts", "--format", "dot"],
    ["run", "main.flow.ts", ...RUN],
  ] as const);
  return {
    id,
    kind: "flow",
    what: done.join("; "),
    files: { "main.flow.ts": text, "inline.json": INLINE_CONFIG },
    args: [...command],
    outputs: (command as readonly string[]).includes("-o") ? ["out"] : [],
    project: true,
    slow: true,
  };
}

function replaceOne(rng: Rng, text: string, pattern: RegExp, by: () => string): string {
  const matches = [...text.matchAll(pattern)];
  if (matches.length === 0) return text;
  const m = rng.pick(matches);
  return text.slice(0, m.index) + by() + text.slice((m.index ?? 0) + m[0].length);
}

/** Bad flags and odd paths: every one must be a usage error (exit 2) or a coded diagnostic. */
export function flagCases(bases: Bases): (() => Omit<FuzzCase, "id">)[] {
  const ir = { "x.ir.json": bases.irText };
  const build = { build: { copyFrom: bases.builtDir }, "inline.json": INLINE_CONFIG };
  const flow = { "main.flow.ts": bases.flowText };
  const c =
    (what: string, args: string[], files: Record<string, FileSpec> = ir, more: Partial<FuzzCase> = {}) =>
    () => ({
      kind: "flags",
      what,
      files,
      args,
      ...more,
    });
  return [
    c("no command", []),
    c("unknown command", ["frobnicate"]),
    c("unknown option", ["validate", "x.ir.json", "--nope"]),
    c("missing argument", ["validate"]),
    c("two arguments", ["validate", "x.ir.json", "y.ir.json"]),
    c("bad graph format", ["graph", "x.ir.json", "--format", "xml"]),
    c("bad build format", ["build", "main.flow.ts", "--format", "yaml", "-o", "out"], flow, { project: true, outputs: ["out"] }),
    c("bad build target", ["build", "main.flow.ts", "--target", "wasm", "-o", "out"], flow, { project: true, outputs: ["out"] }),
    ...["-1", "abc", "1e308", "NaN", "", "0x10", "Infinity"].map((d) =>
      c(`--duration ${d}`, ["run", "build/demo.ir.json", "--runtime", "mp", "--config", "inline.json", "--duration", d], build, {
        slow: true,
      }),
    ),
    c("unknown runtime", ["run", "build/demo.ir.json", "--runtime", "nope", "--duration", "1"], build),
    c("config missing", ["run", "build/demo.ir.json", "--config", "missing.json", "--duration", "1"], build),
    c("config is a directory", ["run", "build/demo.ir.json", "--config", "build", "--duration", "1"], build),
    c("config is not JSON", ["run", "build/demo.ir.json", "--config", "bad.json", "--duration", "1"], {
      ...build,
      "bad.json": "{ runtime: mp",
    }),
    c("config is /dev/null", ["run", "build/demo.ir.json", "--config", "/dev/null", "--duration", "1"], build),
    c("config with unknown keys and types", ["run", "build/demo.ir.json", "--config", "odd.json", "--duration", "1"], {
      ...build,
      "odd.json": '{"runtime": 3, "runtimes": {"mp": {"isolation": "quantum", "graceMs": -1}}, "__proto__": {}}',
    }),
    c("record into a directory", ["run", "build/demo.ir.json", ...RUN, "--record", "build"], build, { slow: true }),
    c("record to /dev/full", ["run", "build/demo.ir.json", ...RUN, "--record", "/dev/full"], build, { slow: true }),
    // Like `build -o`, a record's missing directories are made.
    c("record under a missing directory", ["run", "build/demo.ir.json", ...RUN, "--record", "no/such/dir/r.jsonl"], build, {
      slow: true,
      outputs: ["no"],
    }),
    c("-o /dev/null", ["build", "main.flow.ts", "-o", "/dev/null"], flow, { project: true, slow: true }),
    c("-o an existing file", ["build", "main.flow.ts", "-o", "main.flow.ts"], flow, { project: true, slow: true }),
    c(
      "-o in a read-only directory",
      ["build", "main.flow.ts", "-o", "ro/out"],
      { ...flow, ro: { dir: true } },
      { project: true, readOnly: ["ro"], outputs: ["ro"], slow: true },
    ),
    c("-o with missing parents", ["build", "main.flow.ts", "-o", "a/b/c/d/e"], flow, { project: true, outputs: ["a"], slow: true }),
    c("input is a directory", ["validate", "dir.ir.json"], { "dir.ir.json": { dir: true } }),
    c("input is /dev/null", ["validate", "/dev/null"]),
    c("input is /dev/zero named .ir.json", ["validate", "zero.ir.json"], { "zero.ir.json": { symlink: "/dev/zero" } }),
    c("input is a FIFO", ["validate", "pipe.ir.json"], { "pipe.ir.json": { fifo: true } }),
    c("input is a dangling link", ["inspect", "gone.ir.json"], { "gone.ir.json": { symlink: "nowhere.ir.json" } }),
    c("input is a link loop", ["inspect", "loop.ir.json"], { "loop.ir.json": { symlink: "loop.ir.json" } }),
    c("input name with a newline", ["validate", "a\nb.ir.json"], { "a\nb.ir.json": bases.irText }),
    c("input name too long", ["validate", `${"n".repeat(300)}.ir.json`]),
    c("input path too long", ["validate", `${"d/".repeat(3000)}x.ir.json`]),
    c("JSON named .ir.msgpack", ["inspect", "x.ir.msgpack"], { "x.ir.msgpack": bases.irText }),
    c("empty file", ["validate", "x.ir.json"], { "x.ir.json": "" }),
    c("unknown file kind", ["run", "x.txt", "--duration", "1"], { "x.txt": "hello" }),
    c("flow file that does not exist", ["check", "missing.flow.ts"]),
    c("descriptor that is a directory", ["run", "d.yml", ...RUN], { "d.yml": { dir: true }, "inline.json": INLINE_CONFIG }),
    c("--flow that does not exist", ["check", "main.flow.ts", "--flow", "nope"], flow, { project: true, slow: true }),
    c("an option twice", ["graph", "x.ir.json", "--format", "dot", "--format", "mermaid"]),
    c("schema of something unknown", ["schema", "nope"]),
  ];
}

/** Fixed hostile IR inputs: each was a crash, a hang or a flood once. */
export function irSpecialCases(bases: Bases): (() => Omit<FuzzCase, "id">)[] {
  const value = () => JSON.parse(bases.irText) as { nodes: Record<string, Json>[]; channels: Json[] };
  const errors = (n: number, oneLine: boolean) => {
    const copy = value();
    copy.nodes = Array.from({ length: n }, (_, i) => ({ ...copy.nodes[1], id: `n${i}`, bogus: i }));
    return JSON.stringify(copy, null, oneLine ? 0 : 2);
  };
  const union = (n: number) => {
    const copy = value() as unknown as { nodes: { outputs: Json; inputs: Json }[]; channels: Json[] };
    const [a, b] = [copy.nodes[1], copy.nodes[2]] as [{ outputs: Json }, { inputs: Json }];
    a.outputs = { value: { schema: { anyOf: Array.from({ length: n }, (_, i) => ({ const: i })) } } };
    b.inputs = { value: { schema: { anyOf: Array.from({ length: n }, (_, i) => ({ const: n - i })) } } };
    copy.channels = [
      ...copy.channels,
      ...Array.from({ length: 500 }, (_, i) => ({
        id: `u${i}`,
        from: { node: "double", port: "value" },
        to: { node: "plus10", port: "value" },
      })),
    ];
    return JSON.stringify(copy);
  };
  const c =
    (what: string, file: string, contents: () => string | Uint8Array, command = "validate") =>
    () => ({
      kind: "ir-special",
      what,
      files: { [file]: contents() },
      args: [command, file],
    });
  return [
    c("arrays nested 100,000 deep", "deep.ir.json", () => `${"[".repeat(100_000)}${"]".repeat(100_000)}`),
    c(
      "params nested 100,000 deep",
      "deep.ir.json",
      () => bases.irText.replace('"factor": 2', `"factor": ${"[".repeat(100_000)}${"]".repeat(100_000)}`),
      "inspect",
    ),
    c("unclosed arrays 100,000 deep", "deep.ir.json", () => "[".repeat(100_000)),
    c("MessagePack nested 100,000 deep", "deep.ir.msgpack", () => new Uint8Array(100_001).fill(0x91)),
    c("10,000 errors", "errors.ir.json", () => errors(10_000, false)),
    c("20,000 errors on one line", "errors.ir.json", () => errors(20_000, true), "graph"),
    c("a 1 MB line", "line.ir.json", () => bases.irText.replace('"double"', `"${"d".repeat(1_000_000)}"`).replace(/\n\s*/g, "")),
    c("unions of 3,000 branches on 500 channels", "union.ir.json", () => union(3_000)),
    c(
      "impl.module /dev/zero through ..",
      "zero.ir.json",
      () => bases.irText.replace(/"module": "[^"]*"/, '"module": "../../../../../../dev/zero"'),
      "inspect",
    ),
    c("parallelism 2^31", "par.ir.json", () => bases.irText.replace('"parallelism": 1', '"parallelism": 2147483648')),
  ];
}
