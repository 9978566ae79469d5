import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { chainIr, loadValid } from "@flowc/ir/testing";
import { afterAll, describe, expect, it } from "vitest";
import { encodeValue } from "./codec.js";
import type { RecordEntry } from "./contract.js";
import { RecordingFormatError, RecordingReader, RecordingWriter } from "./recording.js";

const dir = mkdtempSync(join(tmpdir(), "flowc-recording-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ir = loadValid(chainIr());
const packed = (value: unknown) => Buffer.from(encodeValue(value)).toString("base64");
const entry = (channel: string, seq: number, t: number, value: unknown): RecordEntry => ({
  channel,
  seq,
  t,
  at: t + 0.5,
  value: null,
  packed: packed(value),
});

function written(name: string, entries: readonly RecordEntry[], baseDir?: string): string {
  const path = join(dir, name);
  const writer = RecordingWriter.open(path);
  if ("error" in writer) throw new Error(writer.error);
  writer.begin({ ir, writer: "flowc test", runtime: "mp/inline", ...(baseDir ? { baseDir } : {}) });
  writer.write(entries);
  expect(writer.close()).toBeUndefined();
  return path;
}

describe(".flowrec recordings", () => {
  it("keep the IR, every message whole (binaries byte for byte) and a footer to seek by", () => {
    const frame = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const entries = [
      entry("a", 0, 0, { n: 1, s: "x" }),
      entry("a", 1, 10, [1, 2, 3]),
      entry("b", 0, 10, frame),
      ...Array.from({ length: 8 }, (_, i) => entry("b", i + 1, 20 + i, frame)),
    ];
    const path = written("whole.flowrec", entries);
    const reader = RecordingReader.open(path);
    expect(reader.complete).toBe(true);
    expect(reader.header).toMatchObject({ format: "flowrec", version: 1, writer: "flowc test", runtime: "mp/inline" });
    expect(reader.header.ir).toEqual(ir);
    expect(reader.footer.count).toBe(11);
    expect(reader.footer.channels).toEqual({ a: { count: 2, first: 0, last: 10 }, b: { count: 9, first: 10, last: 27 } });
    // 2.7 MB of values: several messages frames, each findable from the footer.
    expect(reader.footer.frames.length).toBeGreaterThan(1);
    const all = [...reader.messages()];
    expect(all.map((m) => [m.channel, m.seq, m.t, m.at])).toEqual(entries.map((e) => [e.channel, e.seq, e.t, e.at]));
    expect(all[0]?.value).toEqual({ n: 1, s: "x" });
    expect(all[2]?.value).toEqual(frame);
    expect([...reader.messages(new Set(["a"]))].map((m) => m.seq)).toEqual([0, 1]);
    reader.close();
  });

  it("store the node bundles the IR names by relative path, and only those inside the build directory", () => {
    const build = join(dir, "build");
    mkdirSync(join(build, "nodes"), { recursive: true });
    writeFileSync(join(build, "nodes/pipeline.mjs"), "export const x = 1;\n");
    writeFileSync(join(build, "nodes/pipeline.mjs.map"), "{}");
    const withModules = {
      ...ir,
      nodes: ir.nodes.map((n, i) => ({ ...n, impl: { ...n.impl, module: i === 0 ? "../outside.mjs" : "nodes/pipeline.mjs" } })),
    };
    const path = join(dir, "bundles.flowrec");
    const writer = RecordingWriter.open(path);
    if ("error" in writer) throw new Error(writer.error);
    writer.begin({ ir: withModules, writer: "flowc test", baseDir: build });
    expect(writer.close()).toBeUndefined();
    const reader = RecordingReader.open(path);
    expect(Object.keys(reader.header.modules).sort()).toEqual(["nodes/pipeline.mjs", "nodes/pipeline.mjs.map"]);
    expect(gunzipSync(reader.header.modules["nodes/pipeline.mjs"] as Uint8Array).toString()).toBe("export const x = 1;\n");
    reader.close();
  });

  it("a recording whose writer died still reads up to its last whole frame", () => {
    const big = new Uint8Array(600_000);
    const path = written(
      "cut.flowrec",
      Array.from({ length: 6 }, (_, i) => entry("c", i, i, big)),
    );
    const whole = RecordingReader.open(path);
    const frames = whole.footer.frames;
    whole.close();
    expect(frames.length).toBe(3);
    // Cut inside the third messages frame: the trailer and footer are gone with it.
    truncateSync(path, (frames[2]?.[0] ?? 0) + 100);
    const cut = RecordingReader.open(path);
    expect(cut.complete).toBe(false);
    expect(cut.footer.count).toBe(4);
    expect([...cut.messages()].map((m) => m.seq)).toEqual([0, 1, 2, 3]);
    cut.close();
  });

  it("refuses what is not a recording, or a version it does not read, with the reason", () => {
    const notOne = join(dir, "text.flowrec");
    writeFileSync(notOne, "hello\n");
    expect(() => RecordingReader.open(notOne)).toThrow(RecordingFormatError);
    expect(() => RecordingReader.open(notOne)).toThrow(/magic/);
    const path = written("v.flowrec", []);
    const bytes = readFileSync(path);
    // The header's `version` value: the byte after the map key "version".
    const at = bytes.indexOf(Buffer.from("version")) + "version".length;
    bytes[at] = 9;
    writeFileSync(path, bytes);
    expect(() => RecordingReader.open(path)).toThrow(/format version 9; this flowc reads version 1/);
  });

  it("a writer that never began leaves nothing behind and says so", () => {
    const path = join(dir, "never.flowrec");
    const writer = RecordingWriter.open(path);
    if ("error" in writer) throw new Error(writer.error);
    expect(() => writer.write([entry("a", 0, 0, 1)])).toThrow(/begin/);
    expect(writer.close()).toEqual({ error: expect.stringContaining("never began") });
    expect(readdirSync(dir).filter((f) => f.startsWith("never"))).toEqual([]);
  });
});
