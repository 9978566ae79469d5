import { closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Payload } from "../payload.js";
import type { LargePayloads } from "./socket.js";

/** The directory for a dataflow's shared-memory payloads: tmpfs `/dev/shm` where there is one. */
export function shmDirFor(dataflow: string, fallback: string): string {
  return existsSync("/dev/shm") ? join("/dev/shm", `flowc-${dataflow}`) : join(fallback, "shm");
}

/**
 * Large payloads through tmpfs files, where shared-memory slots cannot be mapped (slots.ts):
 * the producer writes the encoded payload once into a tmpfs file (`/dev/shm`, the memory POSIX `shm_open` uses) and sends only its name over the
 * socket. Lifetime is tracked by the kernel's link count: every channel that carries the
 * payload gets its own hard link, the producer drops its own name as soon as the emit is done
 * (the same turn of its event loop), and each consumer unlinks its link once it has read the
 * bytes — the memory is freed when the last reader is done. Links a crashed consumer never
 * read are removed with the dataflow's directory when the dataflow ends.
 *
 * Node.js cannot map memory, so a payload is copied once into tmpfs and once out of it; the
 * socket path copies as much but in 64 KB pieces with one event-loop turn each, which is
 * what the threshold trades against (bench/results/dataflow.md).
 */
export class ShmPayloads implements LargePayloads {
  readonly threshold: number;
  readonly #dir: string;
  readonly #prefix: string;
  #counter = 0;
  readonly #written = new WeakMap<Payload, { base: string; links: number; removed: boolean }>();

  constructor(dir: string, threshold: number, owner: string) {
    this.#dir = dir;
    this.threshold = threshold;
    this.#prefix = `${owner.replace(/[^A-Za-z0-9_-]/g, "_")}-${process.pid}-`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  put(payload: Payload, parts: readonly Uint8Array[]): { kind: "file"; body: Uint8Array } {
    let entry = this.#written.get(payload);
    // A channel that was full offers the payload in a later turn, when its file is gone: write it again.
    if (!entry || entry.removed) {
      const base = join(this.#dir, `${this.#prefix}${this.#counter++}`);
      const fd = openSync(base, "w", 0o600);
      try {
        writeAll(fd, parts);
      } finally {
        closeSync(fd);
      }
      const written = { base, links: 0, removed: false };
      entry = written;
      this.#written.set(payload, written);
      setImmediate(() => {
        written.removed = true;
        rmSync(base, { force: true });
      });
    }
    const name = `${entry.base}.${entry.links++}`;
    linkSync(entry.base, name);
    return { kind: "file", body: utf8Encoder.encode(name) };
  }

  take(name: string): Uint8Array {
    if (!name.startsWith(this.#dir)) throw new Error(`shared-memory payload '${name}' is outside this dataflow's directory`);
    const bytes = readFileSync(name);
    unlinkSync(name);
    return bytes;
  }
}

const utf8Encoder = new TextEncoder();

/** Writes every part in order, however the kernel splits the writes. */
function writeAll(fd: number, parts: readonly Uint8Array[]): void {
  for (const part of parts) {
    let done = 0;
    while (done < part.byteLength) done += writeSync(fd, part, done, part.byteLength - done);
  }
}
