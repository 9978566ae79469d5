import { createHash } from "node:crypto";
import type { RecordEntry } from "./contract.js";
import { OutputFile } from "./output.js";
import { setOwn } from "./own.js";

/**
 * A value as the record shows it: JSON as it is; binary (ArrayBuffer, typed arrays, Buffer) as
 * `{"$binary": byteLength, "sha256": hex}` so a 4 MB frame is one short line and still proves
 * it arrived intact; bigint as a string; Map/Set as arrays.
 */
export function toRecordValue(value: unknown): unknown {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return { $binary: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") };
  }
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) return [...value].map(([k, v]) => [toRecordValue(k), toRecordValue(v)]);
  if (value instanceof Set) return [...value].map(toRecordValue);
  if (Array.isArray(value)) return value.map(toRecordValue);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, toRecordValue(v));
    return out;
  }
  return value;
}

/** One JSON line per delivered message: {channel, seq, t, value}. */
export function recordLine(entry: RecordEntry): string {
  return `${JSON.stringify({ channel: entry.channel, seq: entry.seq, t: Math.round(entry.t * 1000) / 1000, value: entry.value })}\n`;
}

/**
 * Writes `--record` files through an `OutputFile`: to `<file>.partial`, put in place on
 * `close()`, so a crashed run never leaves a half-written record under the final name (the
 * partial file stays for inspection); devices and FIFOs are written straight through, links
 * stay links.
 */
export class RecordWriter {
  readonly path: string;
  readonly #out: OutputFile;
  #buffer: string[] = [];
  #size = 0;
  count = 0;

  private constructor(out: OutputFile) {
    this.#out = out;
    this.path = out.path;
  }

  /** A writer for `path`, or why it cannot be written (checked before anything runs). */
  static open(path: string): RecordWriter | { readonly error: string } {
    const out = OutputFile.open(path);
    return out instanceof OutputFile ? new RecordWriter(out) : out;
  }

  /** JSON lines carry no header: nothing to write before the messages. */
  begin(_run: unknown): void {}

  write(entries: readonly RecordEntry[]): void {
    for (const e of entries) {
      const line = recordLine(e);
      this.#buffer.push(line);
      this.#size += line.length;
      this.count++;
    }
    if (this.#size > 1 << 20) this.#flush();
  }

  #flush(): void {
    if (this.#buffer.length === 0) return;
    this.#out.write(this.#buffer.join(""));
    this.#buffer = [];
    this.#size = 0;
  }

  /** Puts the record in place; returns why it could not (a write failed, the disk is full). */
  close(): { readonly error: string } | undefined {
    this.#flush();
    return this.#out.close();
  }

  /** Discards what was recorded (nothing was run). */
  discard(): void {
    this.#buffer = [];
    this.#out.discard();
  }
}
