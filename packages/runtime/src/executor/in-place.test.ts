import { readdirSync, readFileSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readInPlace } from "./in-place.js";
import { loadLibc } from "./libc.js";

const openFds = () => readdirSync("/proc/self/fd").length;

describe.skipIf(loadLibc() === null)("reading a connection in place", () => {
  it("takes over an accepted connection: chunks in one reused buffer, writes back, no descriptor left", async () => {
    const before = openFds();
    const path = join(tmpdir(), `flowc-in-place-${process.pid}.sock`);
    const chunks: number[][] = [];
    const buffers = new Set<ArrayBufferLike>();
    let taken: Socket | undefined;
    const server = createServer({ pauseOnConnect: true }, (accepted) => {
      taken = readInPlace(accepted, (chunk) => {
        buffers.add(chunk.buffer);
        chunks.push([...chunk]);
      });
      expect(accepted.destroyed).toBe(true);
      // The duplicate is close-on-exec: a process a node starts must not inherit the connection.
      const fd = (taken as unknown as { _handle: { fd: number } })._handle.fd;
      const flags = /flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))?.[1] ?? "0";
      expect(Number.parseInt(flags, 8) & 0o2000000).not.toBe(0);
      taken?.write(Uint8Array.of(42));
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client = createConnection(path);
    const echoed = new Promise<number>((resolve) => client.once("data", (d: Buffer) => resolve(d[0] as number)));
    await new Promise<void>((resolve) => client.once("connect", resolve));
    expect(await echoed).toBe(42);
    for (let i = 0; i < 5; i++) {
      client.write(Uint8Array.of(i, i + 1));
      // One write at a time, so each arrives as its own read.
      await new Promise((r) => setTimeout(r, 20));
    }
    const closed = new Promise<void>((resolve) => taken?.once("close", () => resolve()));
    client.end();
    await closed;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(chunks.flat()).toEqual([0, 1, 1, 2, 2, 3, 3, 4, 4, 5]);
    // Every read went into the same buffer (which is why FrameReader copies transient chunks).
    expect(buffers.size).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(openFds()).toBeLessThanOrEqual(before);
  });
});
