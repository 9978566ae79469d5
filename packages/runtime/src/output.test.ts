import { chownSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OutputFile } from "./output.js";

const dir = mkdtempSync(join(tmpdir(), "flowc-output-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, text: string): void {
  const out = OutputFile.open(path);
  if (!(out instanceof OutputFile)) throw new Error(out.error);
  out.write(text);
  out.close();
}

describe("OutputFile", () => {
  it("writes a new file through a partial file, in place only at close", () => {
    const path = join(dir, "new.txt");
    const out = OutputFile.open(path);
    if (!(out instanceof OutputFile)) throw new Error(out.error);
    out.write("hello");
    expect(() => statSync(path)).toThrow();
    expect(readFileSync(`${path}.partial`, "utf8")).toBe("hello");
    out.close();
    expect(readFileSync(path, "utf8")).toBe("hello");
  });

  it("keeps a failed write as the reason close() returns, instead of throwing into the writer", () => {
    const out = OutputFile.open("/dev/full");
    if (!(out instanceof OutputFile)) throw new Error(out.error);
    expect(() => out.write("x".repeat(1 << 16))).not.toThrow();
    out.write("more");
    expect(out.close()).toEqual({ error: "no space left on the device" });
    const fine = OutputFile.open(join(dir, "fine.txt"));
    if (!(fine instanceof OutputFile)) throw new Error(fine.error);
    fine.write("ok");
    expect(fine.close()).toBeUndefined();
  });

  it("keeps a link a link, also a dangling one, and writes where it points", () => {
    const target = join(dir, "target.txt");
    const link = join(dir, "link.txt");
    symlinkSync(target, link);
    write(link, "through the dangling link");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("through the dangling link");
    write(link, "again");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("again");
  });

  it("keeps the owner of a file another user owns (copied in, not renamed over)", () => {
    const path = join(dir, "theirs.txt");
    writeFileSync(path, "old");
    chownSync(path, 65534, 65534);
    write(path, "new");
    expect(readFileSync(path, "utf8")).toBe("new");
    expect(statSync(path).uid).toBe(65534);
  });

  it("writes straight through to a device; refuses a directory and a missing directory", () => {
    write("/dev/null", "nothing");
    expect(lstatSync("/dev/null").isCharacterDevice()).toBe(true);
    expect(OutputFile.open(dir)).toEqual({ error: "it is a directory" });
    expect(OutputFile.open(join(dir, "nope", "x.txt"))).toEqual({ error: "its directory does not exist" });
  });

  it("discard leaves the path as it was", () => {
    const path = join(dir, "kept.txt");
    writeFileSync(path, "before");
    const out = OutputFile.open(path);
    if (!(out instanceof OutputFile)) throw new Error(out.error);
    out.write("after");
    out.discard();
    expect(readFileSync(path, "utf8")).toBe("before");
    expect(() => statSync(`${path}.partial`)).toThrow();
  });
});
