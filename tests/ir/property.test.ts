import { catalogue, encodeJson, encodeMsgpack, formatCode, type Ir, type LoadResult, loadIr } from "@flowc/ir";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allPaths, hostileValue, validIr } from "./arbitraries.js";

const KNOWN_CODES = new Set(Object.values(catalogue).map((e) => formatCode(e.code)));

function mustLoad(input: unknown): Ir {
  const result = loadIr(input);
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics, null, 2));
  return result.ir;
}

/** The loader's contract on hostile input: a result, never a throw; failures are coded. */
function assertCoded(result: LoadResult): void {
  expect(typeof result.ok).toBe("boolean");
  if (!result.ok) expect(result.diagnostics.length).toBeGreaterThan(0);
  for (const d of result.diagnostics) {
    expect(KNOWN_CODES.has(d.code), `unknown code ${d.code}`).toBe(true);
    expect(typeof d.message).toBe("string");
    expect(d.path !== undefined || d.line !== undefined || d.code === "FLC1002", `no location: ${JSON.stringify(d)}`).toBe(true);
    if (d.path !== undefined) expect(d.path === "" || d.path.startsWith("/")).toBe(true);
  }
}

describe("IR round trips (fast-check)", () => {
  it("random valid IRs load, and model → JSON → msgpack → model is the identity", () => {
    fc.assert(
      fc.property(validIr, (input) => {
        const ir = mustLoad(input);
        const json = encodeJson(ir);
        const fromJson = mustLoad(json);
        expect(fromJson).toEqual(ir);
        const fromMsgpack = mustLoad(encodeMsgpack(fromJson));
        expect(fromMsgpack).toEqual(ir);
        expect(encodeJson(fromMsgpack)).toBe(json);
      }),
      { numRuns: 400 },
    );
  });
});

// 6,000 + 2,000 + 2,000 = 10,000 corruptions per run.
describe("corrupted IRs produce only coded diagnostics (fast-check)", () => {
  it("structural corruptions: delete, replace, duplicate, add, swap", () => {
    const corruption = fc.record({
      op: fc.constantFrom("delete", "replace", "duplicate", "add", "swap"),
      pick: fc.nat(),
      other: fc.nat(),
      value: hostileValue,
      key: fc.constantFrom("extra", "kind", "id", "__proto__", "constructor", "0", ""),
    });
    fc.assert(
      fc.property(validIr, fc.array(corruption, { minLength: 1, maxLength: 3 }), (input, corruptions) => {
        const doc = JSON.parse(JSON.stringify(input)) as unknown;
        for (const c of corruptions) corrupt(doc, c);
        assertCoded(loadIr(doc));
      }),
      { numRuns: 6000 },
    );
  });

  it("byte corruptions of JSON text: flip, truncate, insert", () => {
    fc.assert(
      fc.property(
        validIr,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom("flip", "truncate", "insert"),
        (input, at, byte, op) => {
          const bytes = Buffer.from(encodeJson(mustLoad(input)));
          assertCoded(loadIr(mangle(bytes, at, byte, op), { format: "json" }));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("byte corruptions of MessagePack: flip, truncate, insert", () => {
    fc.assert(
      fc.property(
        validIr,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom("flip", "truncate", "insert"),
        (input, at, byte, op) => {
          const bytes = encodeMsgpack(mustLoad(input));
          assertCoded(loadIr(mangle(bytes, at, byte, op), { format: "msgpack" }));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

function mangle(bytes: Uint8Array, at: number, byte: number, op: string): Uint8Array {
  const i = at % Math.max(1, bytes.length);
  if (op === "truncate") return bytes.subarray(0, i);
  if (op === "insert") return Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
  const copy = Uint8Array.from(bytes);
  copy[i] = (copy[i] ?? 0) ^ (byte || 1);
  return copy;
}

type Corruption = { op: string; pick: number; other: number; value: unknown; key: string };

function corrupt(doc: unknown, c: Corruption): void {
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
