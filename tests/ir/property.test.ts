import { catalogue, encodeJson, encodeMsgpack, formatCode, type Ir, type LoadResult, loadIr } from "@flowc/ir";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadValid } from "../../packages/ir/src/testing/builders.js";
import { corrupt, hostileValue, mangle, validIr } from "./arbitraries.js";

const KNOWN_CODES = new Set(Object.values(catalogue).map((e) => formatCode(e.code)));

const mustLoad = loadValid;

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

  const encoders = { json: (ir: Ir) => Buffer.from(encodeJson(ir)), msgpack: encodeMsgpack } as const;
  for (const format of ["json", "msgpack"] as const) {
    it(`byte corruptions of ${format}: flip, truncate, insert`, () => {
      fc.assert(
        fc.property(
          validIr,
          fc.nat(),
          fc.integer({ min: 0, max: 255 }),
          fc.constantFrom("flip", "truncate", "insert"),
          (input, at, byte, op) => {
            const bytes = encoders[format](mustLoad(input));
            assertCoded(loadIr(mangle(bytes, at, byte, op), { format }));
          },
        ),
        { numRuns: 2000 },
      );
    });
  }
});
