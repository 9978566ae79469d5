import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Payload } from "../payload.js";
import { ShmPayloads } from "./shm.js";

const dir = mkdtempSync(join(tmpdir(), "flowc-shm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ShmPayloads", () => {
  it("stores a payload once, hands each channel its own link, and frees it when every reader took it", async () => {
    const shm = new ShmPayloads(join(dir, "shm"), 1024, "producer");
    const bytes = new Uint8Array(4096).fill(7);
    const payload = Payload.ofBytes(bytes);
    const name = (put: { body: Uint8Array }) => new TextDecoder().decode(put.body);
    const a = name(shm.put(payload, [bytes.subarray(0, 100), bytes.subarray(100)]));
    const b = name(shm.put(payload, [bytes]));
    expect(a).not.toBe(b);
    await new Promise((r) => setImmediate(r));
    // The producer's own name is gone; the two links hold the memory.
    expect(readdirSync(join(dir, "shm")).sort()).toEqual([a, b].map((p) => p.slice(p.lastIndexOf("/") + 1)).sort());
    expect(Buffer.from(shm.take(a)).equals(Buffer.from(bytes))).toBe(true);
    expect(existsSync(a)).toBe(false);
    expect(shm.take(b).byteLength).toBe(4096);
    expect(readdirSync(join(dir, "shm"))).toEqual([]);
    expect(() => shm.take("/etc/passwd")).toThrow(/outside/);
  });
});
