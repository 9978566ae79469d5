import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bases, flagCases, flowCase, irJsonCase, irMsgpackCase, irRunCase, irSpecialCases, yamlCase } from "./generate.js";
import { type FuzzCase, Gate, keepForReplay, type Outcome, REPO, runCase, violations } from "./harness.js";
import { fuzzSeed, Rng } from "./rng.js";

// A hostile-user campaign that keeps running: generated and fixed inputs drive the built CLI as
// a child process, and every invocation must end with exit 0, 1 or 2 (never 70, 134 or a
// signal), say why with a coded diagnostic when it fails, finish in bounded time and memory,
// and touch no file but its named outputs. CI runs ~150 inputs; `pnpm test:fuzz` runs
// FLOWC_FUZZ_RUNS of them. FLOWC_FUZZ_SEED replays a run, FLOWC_FUZZ_CASE one case of it.

const seed = fuzzSeed(process.env);
const runs = Number(process.env.FLOWC_FUZZ_RUNS ?? "0");
/** Generated inputs per class in a CI run (~150 with the fixed ones); a long run scales them to FLOWC_FUZZ_RUNS in all. */
const CI_COUNTS = { "ir-json": 40, "ir-msgpack": 18, yaml: 20, flow: 20, "ir-run": 6 } as const;
const GENERATORS = { "ir-json": irJsonCase, "ir-msgpack": irMsgpackCase, yaml: yamlCase, flow: flowCase, "ir-run": irRunCase } as const;
const placeholder: Bases = { irText: "{}", builtDir: "", builtIr: "", builtYaml: "", handYaml: "", handNodes: "", flowText: "" };
const FIXED = { flags: flagCases(placeholder).length, "ir-special": irSpecialCases(placeholder).length };
const ciTotal = Object.values(CI_COUNTS).reduce((a, b) => a + b, 0) + FIXED.flags + FIXED["ir-special"];
const scale = runs > 0 ? Math.max(0, runs - FIXED.flags - FIXED["ir-special"]) / (ciTotal - FIXED.flags - FIXED["ir-special"]) : 1;
const counts = Object.fromEntries(Object.entries(CI_COUNTS).map(([kind, n]) => [kind, Math.max(1, Math.round(n * scale))])) as Record<
  keyof typeof CI_COUNTS,
  number
>;
const only = process.env.FLOWC_FUZZ_CASE;

const ids: { id: string; kind: string; index: number }[] = [];
for (const [kind, n] of Object.entries(FIXED)) for (let i = 0; i < n; i++) ids.push({ id: `${kind}-${i}`, kind, index: i });
for (const [kind, n] of Object.entries(counts)) for (let i = 0; i < n; i++) ids.push({ id: `${kind}-${i}`, kind, index: i });
const selected = only ? ids.filter((c) => c.id === only) : ids;

const root = mkdtempSync(join(tmpdir(), "flowc-fuzz-"));
const gate = new Gate(2);
const random = new Rng(seed);
let bases: Bases;
let examplesBefore: string;
const failed = new Set<string>();
const stats = new Map<string, { cases: number; exits: Record<string, number>; slowestMs: number; peakRssKb: number }>();

/** The repository's examples, byte for byte: no input may make flowc change them. */
function fingerprint(dir: string): string {
  const hash = createHash("sha256");
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true }).sort((a, b) =>
    join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)),
  )) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    hash.update(relative(dir, path)).update(readFileSync(path));
  }
  return hash.digest("hex");
}

function generate(kind: string, index: number, id: string): FuzzCase {
  if (kind === "flags") return { ...(flagCases(bases)[index] as () => Omit<FuzzCase, "id">)(), id };
  if (kind === "ir-special") return { ...(irSpecialCases(bases)[index] as () => Omit<FuzzCase, "id">)(), id };
  const offset = Object.keys(CI_COUNTS).indexOf(kind) * 1_000_000;
  return GENERATORS[kind as keyof typeof GENERATORS](random.fork(offset + index), id, bases);
}

function record(c: FuzzCase, o: Outcome): void {
  const s = stats.get(c.kind) ?? { cases: 0, exits: {}, slowestMs: 0, peakRssKb: 0 };
  const exit = o.timedOut ? "timeout" : (o.signal ?? String(o.code));
  s.cases++;
  s.exits[exit] = (s.exits[exit] ?? 0) + 1;
  s.slowestMs = Math.max(s.slowestMs, o.ms);
  s.peakRssKb = Math.max(s.peakRssKb, o.peakRssKb);
  stats.set(c.kind, s);
}

beforeAll(() => {
  console.log(
    `flowc CLI fuzz: seed ${seed} (replay with FLOWC_FUZZ_SEED=${seed}), ${selected.length} inputs: ${Object.entries({
      ...FIXED,
      ...counts,
    })
      .map(([k, n]) => `${k} ${n}`)
      .join(", ")}`,
  );
  examplesBefore = fingerprint(join(REPO, "examples"));
  // One real build to mutate: an IR with its bundles and the descriptor flowc writes beside it.
  const builtDir = join(root, "base");
  const build = spawnSync(
    process.execPath,
    [join(REPO, "packages/cli/bin/flowc.mjs"), "build", join(REPO, "examples/demo.flow.ts"), "-o", builtDir, "--target", "dataflow"],
    { cwd: REPO, encoding: "utf8" },
  );
  if (build.status !== 0) throw new Error(`building the base flow failed: ${build.stderr}`);
  bases = {
    irText: readFileSync(join(REPO, "examples/demo.ir.json"), "utf8"),
    builtDir,
    builtIr: "demo.ir.json",
    builtYaml: readFileSync(join(builtDir, "demo.dataflow.yml"), "utf8"),
    handYaml: readFileSync(join(REPO, "examples/dataflow/dataflow.yml"), "utf8"),
    handNodes: readFileSync(join(REPO, "examples/dataflow/nodes.ts"), "utf8"),
    flowText: readFileSync(join(REPO, "examples/demo.flow.ts"), "utf8"),
  };
}, 120_000);

afterAll(() => {
  const lines = [...stats].map(
    ([kind, s]) =>
      `  ${kind}: ${s.cases} inputs, exits ${Object.entries(s.exits)
        .map(([e, n]) => `${e}×${n}`)
        .join(" ")}, slowest ${(s.slowestMs / 1000).toFixed(1)} s, peak ${(s.peakRssKb / 1024).toFixed(0)} MB`,
  );
  console.log(`flowc CLI fuzz (seed ${seed}):\n${lines.join("\n")}`);
  expect(fingerprint(join(REPO, "examples")), "the repository's examples changed").toBe(examplesBefore);
  if (failed.size === 0) rmSync(root, { recursive: true, force: true });
  else console.log(`flowc CLI fuzz: the sandboxes of failing inputs are kept in ${root}`);
});

describe.concurrent(`flowc CLI fuzz (seed ${seed})`, () => {
  for (const { id, kind, index } of selected) {
    it(id, async () => {
      const c = generate(kind, index, id);
      const { outcome, sandbox } = await gate.run(() => runCase(c, root));
      record(c, outcome);
      const problems = violations(c, outcome);
      if (problems.length === 0) {
        rmSync(sandbox, { recursive: true, force: true });
        return;
      }
      failed.add(id);
      const replay = keepForReplay(c, sandbox, seed);
      const tail = (text: string) => text.slice(-1500);
      expect(
        problems,
        [
          `flowc ${c.args.map((a) => (a.length > 80 ? `${a.slice(0, 77)}...` : a)).join(" ")}`,
          `input: ${c.kind} — ${c.what.slice(0, 300)}`,
          `seed ${seed}, case ${id}: replay with FLOWC_FUZZ_SEED=${seed} FLOWC_FUZZ_CASE=${id}, or ${replay}`,
          `exit ${outcome.code} signal ${outcome.signal} after ${outcome.ms} ms, peak ${outcome.peakRssKb} kB`,
          `stderr: ${tail(outcome.stderr)}`,
        ].join("\n"),
      ).toEqual([]);
    }, 300_000);
  }
});
