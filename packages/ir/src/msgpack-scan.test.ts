import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { loadIr } from "./load.js";
import { scanMsgpack } from "./msgpack-scan.js";

const pack = (value: unknown) => new Packr({ useRecords: false, variableMapSize: true }).pack(value);

describe("MessagePack pre-scan", () => {
  it("accepts well-formed values of every JSON kind", () => {
    for (const value of [
      null,
      true,
      0,
      -1,
      300,
      -70000,
      2 ** 40,
      1.5,
      "",
      "x".repeat(40),
      "y".repeat(70000),
      [],
      [1, [2, [3]]],
      {},
      { a: { b: [null] } },
    ]) {
      expect(scanMsgpack(pack(value)).problem, JSON.stringify(value).slice(0, 20)).toBeNull();
    }
    const big = Object.fromEntries(Array.from({ length: 70000 }, (_, i) => [`k${i}`, i]));
    expect(scanMsgpack(pack(big)).problem).toBeNull();
  });

  it("refuses a container whose declared size cannot fit (instead of allocating for it)", () => {
    // array32 claiming 2^31 - 1 items, followed by three bytes.
    const hostile = new Uint8Array([0xdd, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
    expect(scanMsgpack(hostile).problem).toMatch(/declares more items/);
    expect(loadIr(hostile, { format: "msgpack" }).diagnostics[0]?.code).toBe("FLC1002");
    expect(scanMsgpack(new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61])).problem).toMatch(/declares 4294967295 bytes/);
  });

  it("refuses truncation, trailing bytes, 0xc1, binary and extension types", () => {
    const ok = pack({ a: [1, 2] });
    expect(scanMsgpack(ok.subarray(0, ok.length - 1)).problem).toMatch(/ends early|declares more items/);
    expect(scanMsgpack(new Uint8Array([0x92, 0x01])).problem).toMatch(/declares more items/);
    expect(scanMsgpack(new Uint8Array([0xcb, 0x00])).problem).toMatch(/declares 8 bytes/);
    expect(scanMsgpack(new Uint8Array([...ok, 0x01])).problem).toMatch(/unexpected bytes/);
    expect(scanMsgpack(new Uint8Array([0xc1])).problem).toMatch(/never used/);
    expect(scanMsgpack(new Uint8Array([0xc4, 0x01, 0x00])).problem).toMatch(/binary data/);
    expect(scanMsgpack(new Uint8Array([0xd4, 0x01, 0x00])).problem).toMatch(/extension types/);
    expect(scanMsgpack(new Uint8Array([])).problem).toMatch(/ends early/);
  });
});
