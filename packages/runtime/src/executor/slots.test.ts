import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Payload } from "../payload.js";
import { canMapSlots, isSlotView, SLOT_DESCRIPTOR_BYTES, SlotPool, SlotReader, sharedMemoryInfo, slotClass } from "./slots.js";

const mappable = canMapSlots();

describe("slotClass", () => {
  it("rounds up to four classes per octave in whole pages", () => {
    expect(slotClass(1)).toBe(4096);
    expect(slotClass(65_536)).toBe(65_536);
    expect(slotClass(65_537)).toBe(81_920);
    expect(slotClass(4 * 1024 * 1024 + 7)).toBe(5 * 1024 * 1024);
    for (const n of [5000, 100_000, 3_000_000, 64 * 1024 * 1024 + 7]) {
      const size = slotClass(n);
      expect(size).toBeGreaterThanOrEqual(n);
      expect(size % 4096).toBe(0);
      expect(size).toBeLessThanOrEqual(Math.max(4096, n * 1.25 + 4096));
    }
  });
});

describe("sharedMemoryInfo", () => {
  it("names the active path, and FLOWC_SHM=files selects tmpfs files", () => {
    expect(sharedMemoryInfo().path).toBe(mappable ? "mmap" : "files");
    const script = `import("./slots.ts").then((m) => process.stdout.write(JSON.stringify(m.sharedMemoryInfo())))`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
      cwd: import.meta.dirname,
      env: { ...process.env, FLOWC_SHM: "files" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(JSON.parse(child.stdout)).toMatchObject({ path: "files", detail: expect.stringContaining("FLOWC_SHM=files") });
  });
});

describe.runIf(mappable)("SlotPool and SlotReader", () => {
  const frame = (n: number, fill: number) => new Uint8Array(n).fill(fill);
  const serialOf = (body: Uint8Array) => new DataView(body.buffer, body.byteOffset).getUint32(8, true);

  it("writes a payload once for every reader, hands the slot back when the last reader releases it, then reuses it", () => {
    const pool = new SlotPool(1024);
    const a = {};
    const b = {};
    const first = Payload.ofValue(frame(100_000, 1), 2);
    const toA = pool.put(first, [frame(100_000, 1)], a);
    const toB = pool.put(first, [frame(100_000, 1)], b);
    if (!toA || !toB) throw new Error("no slot");
    expect(toA.kind).toBe("slot");
    expect(toA.body.byteLength).toBe(SLOT_DESCRIPTOR_BYTES);
    expect(serialOf(toA.body)).toBe(serialOf(toB.body));
    const mapped = pool.mappedBytes;
    expect(mapped).toBe(slotClass(100_000 + 57)); // the value starts 64-byte aligned, after its header

    // Still held by b: the next payload gets a slot of its own.
    pool.released(a, serialOf(toA.body));
    const second = pool.put(Payload.ofValue(frame(100_000, 2)), [frame(100_000, 2)], a);
    expect(second && serialOf(second.body)).not.toBe(serialOf(toA.body));
    expect(pool.busy).toBe(2);

    // A release nobody owes changes nothing; b's connection closing frees what it held.
    pool.released(a, serialOf(toA.body));
    expect(pool.busy).toBe(2);
    pool.readerGone(b);
    expect(pool.busy).toBe(1);
    const third = pool.put(Payload.ofValue(frame(99_000, 3)), [frame(99_000, 3)], a);
    expect(third && serialOf(third.body)).toBe(serialOf(toA.body));
    expect(pool.mappedBytes).toBe(2 * mapped);
  });

  it("refuses a payload when readers hold every slot and the pool is at its bound (it takes the socket)", () => {
    const pool = new SlotPool(1024, 2 * slotClass(65_536 + 57));
    const reader = {};
    const puts = [1, 2, 3].map((i) => pool.put(Payload.ofValue(i), [frame(65_536, i)], reader));
    expect(puts.map((p) => p !== undefined)).toEqual([true, true, false]);
    expect(pool.overflows).toBe(1);
    pool.released(reader, serialOf((puts[0] as { body: Uint8Array }).body));
    expect(pool.put(Payload.ofValue(4), [frame(65_536, 4)], reader)).toBeDefined();
  });

  it("a reader maps a slot once and reads each message in place; what it reads is marked as borrowed", () => {
    const pool = new SlotPool(1024);
    const reader = new SlotReader();
    const reading = {};
    const put1 = pool.put(Payload.ofValue(1), [frame(10, 9), frame(200_000, 7)], reading);
    if (!put1) throw new Error("no slot");
    const read1 = reader.read(put1.body);
    expect(read1.borrowed).toBe(true);
    expect(read1.bytes.byteLength).toBe(200_010);
    expect(read1.bytes[0]).toBe(9);
    expect(read1.bytes[200_009]).toBe(7);
    expect(isSlotView(read1.bytes)).toBe(true);
    expect(isSlotView(read1.bytes.buffer)).toBe(true);
    expect(isSlotView(new Uint8Array(8))).toBe(false);
    expect(isSlotView(42)).toBe(false);

    pool.released(reading, read1.serial);
    const put2 = pool.put(Payload.ofValue(2), [frame(199_000, 5)], reading);
    if (!put2) throw new Error("no slot");
    const read2 = reader.read(put2.body);
    expect(read2.serial).toBe(read1.serial);
    expect(read2.bytes.buffer).toBe(read1.bytes.buffer);
    expect(read2.bytes.byteLength).toBe(199_000);
    expect(read2.bytes[198_999]).toBe(5);
    expect(reader.size).toBe(1);
    reader.forget(process.pid);
    expect(reader.size).toBe(0);
  });

  it("lends a buffer a step fills and emits without a copy; one not emitted goes back when the step ends", () => {
    const pool = new SlotPool(65_536);
    expect(pool.lend(1000)).toBeUndefined(); // below the threshold: ordinary memory
    const lent = pool.lend(100_000);
    if (!lent) throw new Error("no slot");
    expect(lent.byteOffset % 64).toBe(0);
    expect(isSlotView(lent)).toBe(true);
    lent.fill(4);
    const payload = Payload.ofValue(lent, 2);
    expect(pool.claim(lent.subarray(1), payload)).toBe(false);
    expect(pool.claim(lent, payload)).toBe(true);
    expect(pool.claim(lent, Payload.ofValue(lent))).toBe(false); // emitted already
    const a = {};
    const put = pool.put(payload, payload.encodedParts(), a);
    if (!put) throw new Error("no descriptor");
    const read = new SlotReader().read(put.body);
    expect(read.bytes.byteOffset % 64).toBe(57);
    const value = Payload.ofBytes(read.bytes, true).open() as Uint8Array;
    expect(value.byteOffset % 64).toBe(0);
    expect(value.byteLength).toBe(100_000);
    expect(value.every((b) => b === 4)).toBe(true);
    // Held by the emit until sent, and by the reader until released.
    pool.sent(payload);
    expect(pool.busy).toBe(1);
    pool.released(a, read.serial);
    expect(pool.busy).toBe(0);

    const unused = pool.lend(100_000);
    const other = pool.lend(100_000);
    expect(unused?.buffer).toBe(lent.buffer); // the freed slot again
    expect(other?.buffer).not.toBe(lent.buffer);
    pool.reclaim();
    expect(pool.lend(100_000)?.buffer).toBe(other?.buffer);
  });

  it("a descriptor of a producer that is gone cannot be read", () => {
    const body = new Uint8Array(SLOT_DESCRIPTOR_BYTES);
    const view = new DataView(body.buffer);
    view.setUint32(0, 2 ** 31 - 2, true);
    view.setUint32(4, 3, true);
    expect(() => new SlotReader().read(body)).toThrow();
    expect(() => new SlotReader().read(body.subarray(0, 8))).toThrow(/truncated/);
  });

  it("slots never appear in /dev/shm, and a SIGKILLed producer leaves nothing behind", () => {
    const before = readdirSync("/dev/shm");
    const script = `import("./slots.ts").then((m) => {
      const pool = new m.SlotPool(1024);
      for (let i = 0; i < 4; i++) pool.put({}, [new Uint8Array(1 << 20).fill(i)], {});
      process.stdout.write(String(pool.mappedBytes));
      process.kill(process.pid, "SIGKILL");
    })`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
      cwd: import.meta.dirname,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.signal).toBe("SIGKILL");
    expect(Number(child.stdout)).toBe(4 * slotClass((1 << 20) + 57));
    expect(readdirSync("/dev/shm")).toEqual(before);
  });
});

describe("Payload leases", () => {
  it("a big binary view of borrowed bytes is leased; the memory goes back when the last hold drops", () => {
    let released = 0;
    const big = new Uint8Array(100_000).fill(3);
    const bytes = new Uint8Array(Payload.ofValue(big).encoded());
    const payload = Payload.ofBytes(bytes, true, () => released++);
    const value = payload.open() as Uint8Array;
    expect(value.buffer).toBe(bytes.buffer);
    const lease = payload.lease;
    if (!lease) throw new Error("no lease");
    lease.hold();
    lease.drop();
    expect(released).toBe(0);
    lease.drop();
    expect(released).toBe(1);
  });

  it("a value decoded into fresh memory gives the borrowed bytes back at once; so does a dropped message", () => {
    let released = 0;
    const payload = Payload.ofBytes(Payload.ofValue({ a: 1 }).encoded(), true, () => released++);
    expect(payload.open()).toEqual({ a: 1 });
    expect(payload.lease).toBeUndefined();
    expect(released).toBe(1);
    const dropped = Payload.ofBytes(new Uint8Array(4), true, () => released++);
    dropped.release();
    dropped.release();
    expect(released).toBe(2);
  });
});
