// The generative property, in two phases:
// 1. search — fast-check samples `runs` genomes from the seed; their flows run in batches
//    (disjoint subgraphs of one IR, so each mode pays its start-up once per batch; a flow whose
//    failure stops the run runs alone) on every mode, and each flow is compared;
// 2. shrink — the first flow that disagreed is replayed alone by its fast-check path (seed +
//    index), and fast-check shrinks it to a minimal flow, printed as a runnable `.flow.ts`.
import fc from "fast-check";
import type { Mode } from "../harness.js";
import { type BatchEntry, type Category, compareBatch, describeFindings, expectation, type Finding } from "./compare.js";
import { coverage, type Decoded, decode, type Family, type Genome, genomeArbitrary } from "./generate.js";
import { buildIr, flowPrefix, type Library } from "./ir.js";
import { printFlow } from "./print.js";
import { type ModeOutcome, runLimitMs, runOn } from "./run.js";

export interface FuzzOptions {
  readonly family: Family;
  readonly library: Library;
  readonly modes: readonly Mode[];
  readonly seed: number;
  /** How many flows to generate. */
  readonly runs: number;
  /** Flows per run (batch). */
  readonly batchSize: number;
  /** Replay this fast-check path (phase 2 only), e.g. "17:3:0". */
  readonly path?: string | undefined;
  /** Shrinking stops trying new candidates after this long. */
  readonly shrinkBudgetMs: number;
  readonly log: (line: string) => void;
}

export interface FuzzReport {
  readonly flows: number;
  readonly runs: number;
  readonly nodes: number;
  readonly ms: number;
  /** Per mode, the time its runs took. */
  readonly modeMs: Readonly<Record<string, number>>;
  /** Undefined when every mode agreed on every flow. */
  readonly failure: string | undefined;
}

/** The fast-check property whose values phase 1 samples and phase 2 replays and shrinks. */
function property(family: Family, predicate: (genome: Genome) => Promise<boolean>) {
  return fc.asyncProperty(genomeArbitrary(family), predicate);
}

/** Runs of a shrinking candidate before it counts as agreeing (disagreements may depend on timing). */
const SHRINK_ATTEMPTS = 3;

/** A mode that hung this many times is not run again in the search (it would only hang again). */
const HANGS_BEFORE_SKIPPING = 1;

async function runBatch(
  options: FuzzOptions,
  decoded: readonly { index: number; d: Decoded }[],
  modes: readonly Mode[],
  stopEarly: (findings: readonly Finding[]) => boolean,
  modeMs?: Record<string, number>,
  hangs?: Map<string, number>,
): Promise<{ findings: Finding[]; outcomes: ModeOutcome[] }> {
  // A mode that hung is skipped for later runs of flows expected to end the same way.
  const hangKey = (mode: Mode) => `${mode.label} (${[...new Set(decoded.map((x) => expectation(x.d.model)))].join("+")} runs)`;
  const ir = buildIr(
    options.library,
    decoded.map((x) => x.d.flow),
    `generative-${options.family}`,
  );
  const entries: BatchEntry[] = decoded.map((x, i) => ({ index: x.index, prefix: flowPrefix(i), flow: x.d.flow, model: x.d.model }));
  const outcomes: ModeOutcome[] = [];
  let findings: Finding[] = [];
  for (const mode of modes) {
    if ((hangs?.get(hangKey(mode)) ?? 0) >= HANGS_BEFORE_SKIPPING) continue;
    let outcome = await runOn(mode, ir, options.library.baseDir, runLimitMs(ir.nodes.length));
    // A run that could not even start (an executor that died in bring-up) is tried once more:
    // a flow that really cannot start fails the same way again.
    if (outcome.error !== undefined && outcome.result === undefined)
      outcome = await runOn(mode, ir, options.library.baseDir, runLimitMs(ir.nodes.length));
    if (modeMs) modeMs[mode.label] = (modeMs[mode.label] ?? 0) + outcome.ms;
    if (outcome.timedOut) hangs?.set(hangKey(mode), (hangs.get(hangKey(mode)) ?? 0) + 1);
    outcomes.push(outcome);
    findings = compareBatch(entries, outcomes);
    if (stopEarly(findings)) break;
  }
  return { findings, outcomes };
}

/**
 * Groups flows into runs: a flow whose failure stops the run alone; the others `size` at a
 * time with flows expected to end the same way (a cycle is compared with the other modes as a whole).
 */
function pack(decoded: readonly Decoded[], size: number): { index: number; d: Decoded }[][] {
  const groups: { index: number; d: Decoded }[][] = [];
  const open = new Map<string, { index: number; d: Decoded }[]>();
  decoded.forEach((d, index) => {
    const kind = expectation(d.model);
    if (kind === "stop") {
      groups.push([{ index, d }]);
      return;
    }
    const current = open.get(kind) ?? [];
    current.push({ index, d });
    open.set(kind, current);
    if (current.length >= size) {
      groups.push(current);
      open.delete(kind);
    }
  });
  for (const rest of open.values()) groups.push(rest);
  return groups;
}

function flowText(family: Family, d: Decoded, header: string[]): string {
  return printFlow(d.flow, `generative-${family}`, header);
}

export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const { family, seed, log } = options;
  const modeMs: Record<string, number> = {};
  let runs = 0;
  let nodes = 0;
  const offenders: { index: number; findings: Finding[] }[] = [];
  const hangs = new Map<string, number>();
  let flows = 0;
  if (options.path === undefined) {
    // Phase 1: the values fast-check would test, in its order, so index i replays as path "i".
    const values = fc.sample(
      property(family, async () => true),
      { seed, numRuns: options.runs },
    ) as unknown as [Genome][];
    const decoded = values.map(([genome]) => decode(family, genome));
    flows = decoded.length;
    nodes = decoded.reduce((a, d) => a + d.flow.nodes.length, 0);
    for (const group of pack(decoded, options.batchSize)) {
      const { findings } = await runBatch(options, group, options.modes, () => false, modeMs, hangs);
      runs++;
      const bad = [...new Set(findings.map((f) => f.flow))];
      for (const index of bad) offenders.push({ index, findings: findings.filter((f) => f.flow === index) });
    }
    for (const [mode, n] of hangs) if (n >= HANGS_BEFORE_SKIPPING) log(`${family}: ${mode} hung and was not run again for such runs`);
    log(
      `${family}: ${flows} flows (${nodes} nodes; ${coverage(decoded.map((d) => d.flow))}) in ${runs} runs per mode, ${((performance.now() - started) / 1000).toFixed(1)} s; per mode: ${Object.entries(
        modeMs,
      )
        .map(([m, ms]) => `${m} ${(ms / 1000).toFixed(1)} s`)
        .join(", ")}`,
    );
    if (offenders.length === 0) return { flows, runs, nodes, ms: performance.now() - started, modeMs, failure: undefined };
  }

  // Phase 2: replay the first offender alone and shrink it (or replay the given path).
  const lines: string[] = [];
  if (offenders.length > 0) {
    lines.push(`${offenders.length} of ${flows} ${family} flows disagreed in their batches (seed ${seed}):`);
    for (const o of offenders.slice(0, 5)) {
      lines.push(`  flow #${o.index} (path ${o.index}):`);
      for (const l of describeFindings(o.findings, 8)) lines.push(`    ${l}`);
    }
  }
  const suspects = offenders.flatMap((o) => o.findings.map((f) => f.mode));
  // Shrinking keeps to the kind of disagreement it started from, on the modes that showed it,
  // so it does not wander off to another one (or to a broken bring-up) on the way.
  let target: { categories: Set<Category>; modes: Set<string> } | undefined;
  const matches = (findings: readonly Finding[]) =>
    target === undefined ? findings.length > 0 : findings.some((f) => target?.categories.has(f.category) && target.modes.has(f.mode));
  const order = [
    options.modes[0] as Mode,
    ...options.modes.slice(1).sort((a, b) => Number(suspects.includes(b.label)) - Number(suspects.includes(a.label))),
  ];
  const deadline = performance.now() + options.shrinkBudgetMs;
  const shrunk: { last?: { d: Decoded; findings: Finding[] } | undefined } = {};
  let tried = 0;
  const predicate = async (genome: Genome): Promise<boolean> => {
    if (performance.now() > deadline) return true; // out of shrinking time: keep the smallest failure so far
    tried++;
    const d = decode(family, genome);
    // A disagreement that depends on timing may not show on every run: a candidate counts as
    // agreeing only after the modes that disagreed agreed several times (more for the flow
    // that disagreed in its batch, which shrinking must start from).
    const attempts = tried === 1 ? 2 * SHRINK_ATTEMPTS : SHRINK_ATTEMPTS;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const modes = attempt === 0 || !target ? order : order.filter((m, i) => i === 0 || target?.modes.has(m.label));
      const { findings } = await runBatch(options, [{ index: 0, d }], modes, matches);
      if (matches(findings)) {
        shrunk.last = { d, findings };
        return false;
      }
    }
    return true;
  };
  const targets =
    options.path !== undefined
      ? [{ path: options.path, findings: [] as Finding[] }]
      : offenders
          // Real disagreements before runs that could not start.
          .map((o) => ({ path: String(o.index), findings: o.findings, real: o.findings.some((f) => f.category !== "bring-up") }))
          .sort((a, b) => Number(b.real) - Number(a.real))
          .slice(0, 3);
  for (const { path, findings } of targets) {
    const real = findings.filter((f) => f.category !== "bring-up");
    const kept = real.length > 0 ? real : findings;
    target = kept.length > 0 ? { categories: new Set(kept.map((f) => f.category)), modes: new Set(kept.map((f) => f.mode)) } : undefined;
    shrunk.last = undefined;
    tried = 0;
    const details = await fc.check(property(family, predicate), { seed, path, numRuns: 1, endOnFailure: false });
    const last = shrunk.last as { d: Decoded; findings: Finding[] } | undefined;
    if (!details.failed || !last) {
      lines.push(`flow at path ${path} agrees on every mode when it runs alone (it disagreed only in its batch, or not this time)`);
      continue;
    }
    const d: Decoded = last.d;
    const header = [
      `Minimal ${family} flow on which the modes disagree (generative conformance test).`,
      `Replay: FLOWC_FUZZ_SEED=${seed} FLOWC_FUZZ_PATH=${family}:${details.counterexamplePath} npx vitest run tests/conformance/generative.test.ts`,
      `Run it: save as tests/conformance/generative/repro.flow.ts, then`,
      `  pnpm flowc run tests/conformance/generative/repro.flow.ts --record out.jsonl [--runtime dataflow]`,
      `  (mp modes through a config: {"runtimes": {"mp": {"isolation": "inline" | "thread" | "process", "fuse": true}}} and --config)`,
    ];
    // One more run of the minimal flow on every mode, to show how each of them ends.
    const final = await runBatch(options, [{ index: 0, d }], options.modes, () => false);
    const shown = final.findings.length > 0 ? final.findings : last.findings;
    lines.push(
      `shrunk flow #${path} in ${details.numShrinks} steps (${tried} runs alone, seed ${seed}, path ${details.counterexamplePath}); on every mode:`,
      ...final.outcomes.map(
        (o) =>
          `  ${o.mode}: ${o.error ? `error ${o.error}` : o.timedOut ? "did not end in time" : `${o.result?.status}/${o.result?.reason}`}`,
      ),
      ...describeFindings(shown).map((l) => `  ${l}`),
      "",
      flowText(family, d, header),
    );
    break;
  }
  log(lines.join("\n"));
  return { flows, runs, nodes, ms: performance.now() - started, modeMs, failure: lines.join("\n") };
}
