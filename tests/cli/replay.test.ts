// `--record <file>.flowrec`, `flowc inspect` of a recording and `flowc replay`: deterministic
// replay on inline, playback on threads and on the dataflow runtime, binary payloads byte for
// byte, a newer build of the flow, and coded errors.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopEsbuild } from "../helpers/processes.js";
import { flowc, root } from "./helpers.js";

const out = mkdtempSync(join(tmpdir(), "flowc-replay-test-"));
// Flows of this test live inside the repository, so `@flowc/dsl` and `zod` resolve.
const scratch = join(root, "tests/cli", `.scratch-replay-${process.pid}`);
const inline = join(out, "inline.json");
const demo = "examples/demo.flow.ts";
const replayTemps = () => readdirSync(tmpdir()).filter((f) => f.startsWith("flowc-replay-") && !out.endsWith(f));

const FRAMES = `import { createHash } from "node:crypto";
import { flow, node } from "@flowc/dsl";
import { z } from "zod";

export const Frames = node("Frames", {
  params: { count: z.number().int() },
  outputs: { frame: z.instanceof(Uint8Array), index: z.number() },
  source: function* ({ params }) {
    for (let i = 0; i < params.count; i++) {
      const frame = new Uint8Array(200_000).map((_, j) => (j * 31 + i) & 0xff);
      yield { frame, index: i };
    }
  },
});

export const Digest = node("Digest", {
  inputs: { frame: z.instanceof(Uint8Array) },
  step: ({ frame }, { log }) => {
    if (frame) log.info(\`\${frame.byteLength} \${createHash("sha256").update(frame).digest("hex")}\`);
  },
});

export default flow("frames", ({ add, connect }) => {
  const frames = add("frames", Frames, { params: { count: 3 } });
  const digest = add("digest", Digest);
  connect(frames.out.frame, digest.in.frame);
});
`;

let before: string[] = [];
beforeAll(() => {
  before = replayTemps();
  writeFileSync(inline, JSON.stringify({ runtimes: { mp: { isolation: "inline" } } }));
  mkdirSync(scratch, { recursive: true });
  writeFileSync(join(scratch, "frames.flow.ts"), FRAMES);
  // The demo with its counter's output renamed: a newer build the recording no longer fits.
  const renamed = readFileSync(join(root, demo), "utf8")
    .replace("outputs: { value: z.number() },\n  state", "outputs: { count: z.number() },\n  state")
    .replace("({ value: ++state.n })", "({ count: ++state.n })")
    .replace("counter.out.value", "counter.out.count");
  writeFileSync(join(scratch, "renamed.flow.ts"), renamed);
});
afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
  expect(await stopEsbuild()).toEqual([]);
});

const finals = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("[sink]"));

describe("flowc replay", () => {
  it("on inline with every source replaced reproduces the record byte for byte", async () => {
    const direct = await flowc(["run", demo, "--duration", "3", "--config", inline, "--record", join(out, "direct.jsonl")]);
    expect(direct.code, direct.stderr).toBe(0);
    const recorded = await flowc(["run", demo, "--duration", "3", "--config", inline, "--record", join(out, "inline.flowrec")]);
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stderr).toContain("recorded 9 messages to");
    const replayed = await flowc(["replay", join(out, "inline.flowrec"), "--config", inline, "--record", join(out, "replayed.jsonl")]);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(finals(replayed.stdout)).toEqual(["[sink] final value 12", "[sink] final value 14", "[sink] final value 16"]);
    expect(readFileSync(join(out, "replayed.jsonl"), "utf8")).toBe(readFileSync(join(out, "direct.jsonl"), "utf8"));
  });

  it("plays a recorded node back on threads, at double speed, and on the dataflow runtime", async () => {
    const recorded = await flowc(["run", demo, "--duration", "3", "--record", join(out, "threads.flowrec")]);
    expect(recorded.code, recorded.stderr).toBe(0);
    const expected = finals(recorded.stdout);
    expect(expected).toEqual(["[sink] final value 12", "[sink] final value 14", "[sink] final value 16"]);
    for (const args of [
      ["--replace", "counter"],
      ["--speed", "2"],
      ["--speed", "0"],
      ["--runtime", "dataflow"],
    ]) {
      const replayed = await flowc(["replay", join(out, "threads.flowrec"), ...args, "--json"]);
      expect(replayed.code, `${args.join(" ")}: ${replayed.stderr}`).toBe(0);
      expect(finals(replayed.stdout)).toEqual(expected);
      expect(JSON.parse(replayed.stdout.trim().split("\n").at(-1) as string)).toMatchObject({ status: "succeeded", reason: "completed" });
    }
    // A node in the middle: what fed it is not run into it; its outputs come from the recording.
    const middle = await flowc(["replay", join(out, "threads.flowrec"), "--replace", "double", "--config", inline, "--duration", "3"]);
    expect(middle.code, middle.stderr).toBe(0);
    expect(finals(middle.stdout)).toEqual(expected);
  });

  it("binary payloads are recorded whole and replayed byte for byte", async () => {
    const recorded = await flowc(["run", join(scratch, "frames.flow.ts"), "--record", join(out, "frames.flowrec")]);
    expect(recorded.code, recorded.stderr).toBe(0);
    const digests = recorded.stdout.split("\n").filter((l) => l.startsWith("[digest]"));
    expect(digests).toHaveLength(3);
    const replayed = await flowc(["replay", join(out, "frames.flowrec"), "--runtime", "dataflow"]);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout.split("\n").filter((l) => l.startsWith("[digest]"))).toEqual(digests);
  });

  it("replays against a newer build when the replaced node's outputs still match, and names the mismatch otherwise", async () => {
    const recording = join(out, "inline.flowrec");
    const same = await flowc(["replay", recording, "--flow", demo, "--config", inline]);
    expect(same.code, same.stderr).toBe(0);
    expect(finals(same.stdout)).toEqual(["[sink] final value 12", "[sink] final value 14", "[sink] final value 16"]);
    const changed = await flowc(["replay", recording, "--flow", join(scratch, "renamed.flow.ts"), "--config", inline]);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain("error FLC4013: Node 'counter'");
    expect(changed.stderr).toContain("output 'value' is gone (outputs now: count)");
  });

  it("refuses bad input with codes and leaves no temporary directory", async () => {
    const recording = join(out, "inline.flowrec");
    const unknown = await flowc(["replay", recording, "--replace", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("FLC4012");
    expect(unknown.stderr).toContain("counter, double, plus10, sink");
    const speed = await flowc(["replay", recording, "--speed", "-1"]);
    expect(speed.code).toBe(2);
    expect(speed.stderr).toContain("FLC4001");
    writeFileSync(join(out, "text.flowrec"), "not a recording\n");
    const bad = await flowc(["replay", join(out, "text.flowrec")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("FLC4011");
    const missing = await flowc(["replay", join(out, "missing.flowrec")]);
    expect(missing.stderr).toContain("FLC4002");
    expect(replayTemps().filter((f) => !before.includes(f))).toEqual([]);
  });
});

describe("flowc inspect <file.flowrec>", () => {
  it("summarizes a recording, also one whose writer died", async () => {
    const path = join(out, "inspect.flowrec");
    const recorded = await flowc(["run", demo, "--duration", "2", "--config", inline, "--record", path]);
    expect(recorded.code, recorded.stderr).toBe(0);
    const text = await flowc(["inspect", path]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("flow        demo  (sha256:");
    expect(text.stdout).toContain("on mp/inline");
    expect(text.stdout).toMatch(/counter\.value->double\.value\s+2\s+0 ms – 1000 ms/);
    expect(text.stdout).toContain("bundles     nodes/demo/demo.flow.mjs");
    const json = await flowc(["inspect", path, "--json"]);
    const summary = JSON.parse(json.stdout);
    expect(summary).toMatchObject({
      format: "flowrec",
      version: 1,
      complete: true,
      flow: "demo",
      messages: 6,
      span: { first: 0, last: 1000 },
    });
    // Without its footer (the writer was killed): still readable, marked incomplete.
    truncateSync(path, summary.bytes - 20);
    const cut = await flowc(["inspect", path, "--json"]);
    expect(cut.code, cut.stderr).toBe(0);
    expect(JSON.parse(cut.stdout)).toMatchObject({ complete: false, messages: 6 });
  });
});
