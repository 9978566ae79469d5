import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { isAbsolute, normalize, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { hashIr, type Ir } from "@flowc/ir";
import { Packr } from "msgpackr";
import { decodeValue, encodeValue } from "./codec.js";
import type { RecordEntry } from "./contract.js";
import { OutputFile } from "./output.js";
import { RecordWriter } from "./record.js";

/**
 * `.flowrec`: a self-contained recording of a run, for `flowc replay` and `flowc inspect`.
 *
 *   "FLOWREC\x01"                          8-byte magic with the format version
 *   frame*                                 u32 big-endian length, then one MessagePack map
 *   trailer                                u64 big-endian offset of the footer frame, "FLOWEND\x01"
 *
 * The first frame is the header (`RecordingHeader`: the IR, its hash, the start time); then
 * `messages` frames of up to ~1 MB each, every message as
 * `[channel, seq, sendT, deliveredAt, value bytes]` with the value whole (MessagePack, binaries
 * included); last the footer (`RecordingFooter`): counts per channel, the time span and the
 * offset of every messages frame with its first send time, so a reader can seek. A recording
 * whose writer died has no trailer; it still reads, frame by frame, up to its last whole frame.
 */
export const RECORDING_MAGIC = "FLOWREC\x01";
const TRAILER_MAGIC = "FLOWEND\x01";
export const RECORDING_VERSION = 1;
/** A messages frame is written when its encoded values reach this size. */
const FRAME_BYTES = 1 << 20;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

/** What a recording's header says about the run. */
export interface RecordingRun {
  readonly ir: Ir;
  /** The flowc that writes it (`flowc 0.1.0`). */
  readonly writer: string;
  /** The runtime and mode (`mp/inline`), when known. */
  readonly runtime?: string | null;
  readonly startedAt?: Date;
  /** Where the IR's relative `impl.module` paths point: the bundles are stored in the header. */
  readonly baseDir?: string;
}

export interface RecordingHeader {
  readonly kind: "header";
  readonly format: "flowrec";
  readonly version: number;
  /** The flowc that wrote it. */
  readonly writer: string;
  readonly irHash: string;
  readonly ir: Ir;
  /** Wall-clock start of the recording (ISO 8601). Message times are ms after the run's start. */
  readonly startedAt: string;
  /** The runtime and mode that ran the flow, when known (`mp/inline`). */
  readonly runtime: string | null;
  /**
   * The node bundles the IR names by relative path (and their source maps), gzip-compressed:
   * the recording replays without the build directory, which is usually gone.
   */
  readonly modules: Readonly<Record<string, Uint8Array>>;
}

export interface RecordingFooter {
  readonly kind: "footer";
  readonly count: number;
  /** Per channel: messages, first and last send time. */
  readonly channels: Readonly<Record<string, { readonly count: number; readonly first: number; readonly last: number }>>;
  /** Every messages frame: its byte offset, message count and first send time. */
  readonly frames: readonly (readonly [offset: number, count: number, firstT: number])[];
}

/** One recorded message, its value decoded. */
export interface RecordedMessage {
  readonly channel: string;
  readonly seq: number;
  /** Send time (ms after the start). */
  readonly t: number;
  /** Delivery time (ms after the start). */
  readonly at: number;
  readonly value: unknown;
}

type Row = [channel: string, seq: number, t: number, at: number, value: Uint8Array];

/** The relative bundle files of `ir` (with their `.map`), read from `baseDir` and compressed. */
function bundlesOf(ir: Ir, baseDir: string): Record<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const node of ir.nodes) {
    const module = node.impl.module;
    if (isAbsolute(module) || out.has(module)) continue;
    for (const path of [module, `${module}.map`]) {
      const file = resolve(baseDir, path);
      // Only files inside the build directory: an IR's `../` paths are not the run's to copy.
      if (!file.startsWith(`${resolve(baseDir)}/`) || !existsSync(file)) continue;
      out.set(normalize(path), gzipSync(readFileSync(file)));
    }
  }
  return Object.fromEntries(out);
}

function frame(body: unknown): Uint8Array {
  const payload = packr.pack(body);
  const out = new Uint8Array(4 + payload.byteLength);
  new DataView(out.buffer).setUint32(0, payload.byteLength);
  out.set(payload, 4);
  return out;
}

/**
 * Writes a `.flowrec` through an `OutputFile` (to `<file>.partial`, renamed on `close()`), a
 * frame at a time: memory stays at about one frame whatever the length of the run.
 */
export class RecordingWriter {
  readonly path: string;
  readonly #out: OutputFile;
  #offset = 0;
  #rows: Row[] = [];
  #rowBytes = 0;
  #channels = new Map<string, { count: number; first: number; last: number }>();
  #frames: [number, number, number][] = [];
  #begun = false;
  count = 0;

  private constructor(out: OutputFile) {
    this.#out = out;
    this.path = out.path;
  }

  /** A writer for `path`, or why it cannot be written (checked before anything is compiled or run). */
  static open(path: string): RecordingWriter | { readonly error: string } {
    const out = OutputFile.open(path);
    return out instanceof OutputFile ? new RecordingWriter(out) : out;
  }

  /** Writes the header: the run's IR, once it is known, before any message. */
  begin(run: RecordingRun): void {
    if (this.#begun) return;
    this.#begun = true;
    const header: RecordingHeader = {
      kind: "header",
      format: "flowrec",
      version: RECORDING_VERSION,
      writer: run.writer,
      irHash: hashIr(run.ir),
      ir: run.ir,
      startedAt: (run.startedAt ?? new Date()).toISOString(),
      runtime: run.runtime ?? null,
      modules: run.baseDir !== undefined ? bundlesOf(run.ir, run.baseDir) : {},
    };
    this.#put(Buffer.from(RECORDING_MAGIC, "latin1"));
    this.#put(frame(header));
  }

  write(entries: readonly RecordEntry[]): void {
    if (!this.#begun) throw new Error("RecordingWriter.begin() writes the header before any message");
    for (const e of entries) {
      // A runtime that cannot carry whole values (no `recordValues`) still gets its summary recorded.
      const bytes = e.packed !== undefined ? Buffer.from(e.packed, "base64") : encodeValue(e.value);
      this.#rows.push([e.channel, e.seq, e.t, e.at ?? e.t, bytes]);
      this.#rowBytes += bytes.byteLength + e.channel.length + 24;
      const known = this.#channels.get(e.channel);
      if (known) {
        known.count++;
        known.last = e.t;
      } else this.#channels.set(e.channel, { count: 1, first: e.t, last: e.t });
      this.count++;
      if (this.#rowBytes >= FRAME_BYTES) this.#flush();
    }
  }

  #put(bytes: Uint8Array): void {
    this.#out.write(bytes);
    this.#offset += bytes.byteLength;
  }

  #flush(): void {
    if (this.#rows.length === 0) return;
    const first = this.#rows[0] as Row;
    this.#frames.push([this.#offset, this.#rows.length, first[2]]);
    this.#put(frame({ kind: "messages", m: this.#rows }));
    this.#rows = [];
    this.#rowBytes = 0;
  }

  /** Writes the footer and puts the recording in place; returns why it could not. */
  close(): { readonly error: string } | undefined {
    if (!this.#begun) {
      this.#out.discard();
      return { error: "nothing was recorded: the run never began" };
    }
    this.#flush();
    const footer: RecordingFooter = {
      kind: "footer",
      count: this.count,
      channels: Object.fromEntries(this.#channels),
      frames: this.#frames,
    };
    const at = this.#offset;
    this.#put(frame(footer));
    const trailer = Buffer.alloc(16);
    trailer.writeBigUInt64BE(BigInt(at), 0);
    trailer.write(TRAILER_MAGIC, 8, "latin1");
    this.#put(trailer);
    return this.#out.close();
  }

  /** Discards what was recorded (nothing was run). */
  discard(): void {
    this.#rows = [];
    this.#out.discard();
  }
}

/** Where `--record` goes: a `.flowrec` recording, or JSON lines for anything else. */
export type RecordSink = RecordWriter | RecordingWriter;

/** Whether `path` names a `.flowrec` recording (it needs whole values: `recordValues`). */
export function isRecordingPath(path: string): boolean {
  return path.endsWith(".flowrec");
}

/** Opens the `--record` sink `path` names: `.flowrec` → a recording, else JSON lines. */
export function openRecordSink(path: string): RecordSink | { readonly error: string } {
  return isRecordingPath(path) ? RecordingWriter.open(path) : RecordWriter.open(path);
}

export class RecordingFormatError extends Error {}

/**
 * Reads a `.flowrec`: the header at once, the footer from the trailer (or, for a recording
 * whose writer died, by reading every frame), and messages on demand, frame by frame.
 */
export class RecordingReader {
  readonly header: RecordingHeader;
  readonly footer: RecordingFooter;
  /** False when the trailer was missing: the footer was rebuilt from the frames that are whole. */
  readonly complete: boolean;
  readonly size: number;
  readonly #fd: number;

  private constructor(fd: number, size: number, header: RecordingHeader, footer: RecordingFooter, complete: boolean) {
    this.#fd = fd;
    this.size = size;
    this.header = header;
    this.footer = footer;
    this.complete = complete;
  }

  /** Opens a recording; throws `RecordingFormatError` (with what is wrong) for anything else. */
  static open(path: string): RecordingReader {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const magic = readAt(fd, 0, RECORDING_MAGIC.length);
      if (Buffer.from(magic).toString("latin1") !== RECORDING_MAGIC) {
        throw new RecordingFormatError("it does not start with the .flowrec magic (FLOWREC and version 1)");
      }
      const first = readFrame(fd, RECORDING_MAGIC.length, size);
      const header = first?.body as RecordingHeader | undefined;
      if (!first || header?.kind !== "header" || header.format !== "flowrec")
        throw new RecordingFormatError("its header frame is missing or damaged");
      if (header.version !== RECORDING_VERSION) {
        throw new RecordingFormatError(`it is format version ${String(header.version)}; this flowc reads version ${RECORDING_VERSION}`);
      }
      const fromTrailer = size >= 16 ? readTrailer(fd, size) : undefined;
      if (fromTrailer !== undefined) {
        const footerFrame = readFrame(fd, fromTrailer, size - 16);
        const footer = footerFrame?.body as RecordingFooter | undefined;
        if (footer?.kind === "footer") return new RecordingReader(fd, size, header, footer, true);
      }
      return new RecordingReader(fd, size, header, rebuildFooter(fd, first.next, size), false);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Every message in recorded order (per frame), optionally only those of `channels`. */
  *messages(channels?: ReadonlySet<string>): Generator<RecordedMessage> {
    for (const [offset] of this.footer.frames) {
      const read = readFrame(this.#fd, offset, this.size);
      const body = read?.body as { kind?: string; m?: Row[] } | undefined;
      if (body?.kind !== "messages" || !Array.isArray(body.m))
        throw new RecordingFormatError(`the messages frame at byte ${offset} is damaged`);
      for (const [channel, seq, t, at, bytes] of body.m) {
        if (channels && !channels.has(channel)) continue;
        yield { channel, seq, t, at, value: decodeValue(bytes) };
      }
    }
  }

  close(): void {
    closeSync(this.#fd);
  }
}

function readAt(fd: number, position: number, length: number): Uint8Array {
  const out = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}

/** The frame at `offset` and where the next one starts, or undefined when it is not whole before `end`. */
function readFrame(fd: number, offset: number, end: number): { body: unknown; next: number } | undefined {
  if (offset + 4 > end) return undefined;
  const length = Buffer.from(readAt(fd, offset, 4)).readUInt32BE(0);
  if (offset + 4 + length > end) return undefined;
  try {
    return { body: packr.unpack(readAt(fd, offset + 4, length)), next: offset + 4 + length };
  } catch {
    return undefined;
  }
}

function readTrailer(fd: number, size: number): number | undefined {
  const trailer = Buffer.from(readAt(fd, size - 16, 16));
  if (trailer.toString("latin1", 8, 16) !== TRAILER_MAGIC) return undefined;
  const at = Number(trailer.readBigUInt64BE(0));
  return at < size - 16 ? at : undefined;
}

/** The footer of a recording without one: every whole messages frame, counted. */
function rebuildFooter(fd: number, from: number, size: number): RecordingFooter {
  const channels = new Map<string, { count: number; first: number; last: number }>();
  const frames: [number, number, number][] = [];
  let count = 0;
  let offset = from;
  for (;;) {
    const read = readFrame(fd, offset, size);
    const body = read?.body as { kind?: string; m?: Row[] } | undefined;
    if (!read || body?.kind !== "messages" || !Array.isArray(body.m) || body.m.length === 0) break;
    frames.push([offset, body.m.length, body.m[0]?.[2] ?? 0]);
    for (const [channel, , t] of body.m) {
      const known = channels.get(channel);
      if (known) {
        known.count++;
        known.last = t;
      } else channels.set(channel, { count: 1, first: t, last: t });
      count++;
    }
    offset = read.next;
  }
  return { kind: "footer", count, channels: Object.fromEntries(channels), frames };
}
