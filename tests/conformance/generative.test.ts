// Generative differential conformance: fast-check makes random flows out of deterministic node
// kinds (generative/kinds.ts), every flow runs on every registered runtime and mode, and the
// parts of the outcome docs/semantics.md guarantees identical are compared — with each other
// and with a reference model. A disagreement shrinks to a minimal flow, printed as a runnable
// `.flow.ts` with the seed and path that replay it.
//
// Environment: FLOWC_FUZZ_RUNS (flows per run of this file, default 40 — the CI budget; `pnpm
// test:fuzz` runs 1,000), FLOWC_FUZZ_SEED (the fast-check seed; random by default, printed),
// FLOWC_FUZZ_PATH (`family:path`, replays and shrinks one flow), FLOWC_FUZZ_SHRINK_S (the
// shrinking budget per property, default 120 s).
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "@flowc/frontend";
import { daemonPaths } from "@flowc/runtime-dataflow";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childProcesses, stopEsbuild } from "../helpers/processes.js";
import { fuzz } from "./generative/fuzz.js";
import { decode, type Family, genomeArbitrary } from "./generative/generate.js";
import { buildIr, compileLibrary, cyclesAccepted, type Library } from "./generative/ir.js";
import { printFlow } from "./generative/print.js";
import { MODES as ALL_MODES, ENV, type Mode, NODE_PROCESS, removeCompiled, startDaemon } from "./harness.js";

const RUNS = Number(process.env.FLOWC_FUZZ_RUNS ?? 40);
const SEED = process.env.FLOWC_FUZZ_SEED !== undefined ? Number(process.env.FLOWC_FUZZ_SEED) : (Math.random() * 2 ** 31) >>> 0;
const [REPLAY_FAMILY, ...REPLAY_PATH] = (process.env.FLOWC_FUZZ_PATH ?? "").split(":");
const REPLAY = REPLAY_PATH.length > 0 ? { family: REPLAY_FAMILY as Family, path: REPLAY_PATH.join(":") } : undefined;
const SHRINK_MS = Number(process.env.FLOWC_FUZZ_SHRINK_S ?? 120) * 1000;
/**
 * The modes random flows run on. The mode of several machines costs a NATS server and two
 * daemons per batch: it runs in long fuzz runs (`pnpm test:fuzz`, FLOWC_FUZZ_RUNS), while the
 * suite's fixed scenarios run on it every time (conformance.test.ts).
 */
const MODES: readonly Mode[] = process.env.FLOWC_FUZZ_RUNS ? ALL_MODES : ALL_MODES.filter((m) => !m.machines);

/** Generous: a long fuzz run, or shrinking, on a loaded two-core machine. */
const TIMEOUT_MS = 30 * 60_000 + (RUNS > 100 ? RUNS * 30_000 : 0);

let library: Library;
let cycles = false;
let stopDaemon: (() => Promise<void>) | undefined;

beforeAll(async () => {
  console.log(
    `generative conformance: seed ${SEED} (replay with FLOWC_FUZZ_SEED=${SEED}), ${RUNS} flows on ${MODES.map((m) => m.label).join(", ")}`,
  );
  library = await compileLibrary();
  expect(await stopEsbuild()).toEqual([]);
  cycles = cyclesAccepted(library);
  console.log(
    `cycles fed from outside: ${cycles ? "accepted by the validator, generated" : "refused by the validator (FLC1026), not generated"}`,
  );
  const daemonMode = MODES.find((m) => m.machines) ?? MODES.find((m) => m.daemon);
  if (daemonMode) stopDaemon = await startDaemon(daemonMode);
}, 120_000);

afterAll(async () => {
  await stopDaemon?.();
  library?.remove();
  const stateDir = daemonPaths(ENV).stateDir;
  const ids = existsSync(stateDir) ? readdirSync(stateDir) : [];
  removeCompiled();
  expect(childProcesses(NODE_PROCESS)).toEqual([]);
  expect(ids.filter((id) => existsSync(`/dev/shm/flowc-${id}`))).toEqual([]);
}, 120_000);

/** How many of the file's flows each family gets (cycles only once the validator accepts them). */
function share(family: Family): number {
  const parts: Record<Family, number> = cycles
    ? { dag: 0.56, isolate: 0.22, stop: 0.1, cycle: 0.12 }
    : { dag: 0.68, isolate: 0.22, stop: 0.1, cycle: 0 };
  return Math.ceil(RUNS * parts[family]);
}

/** Flows per run: each mode pays its start-up once per run (a flow whose failure stops the run runs alone). */
const BATCH: Record<Family, number> = { dag: 16, isolate: 16, stop: 16, cycle: 6 };

async function property(family: Family): Promise<void> {
  const report = await fuzz({
    family,
    library,
    modes: MODES,
    seed: SEED,
    runs: share(family),
    batchSize: BATCH[family],
    path: REPLAY?.family === family ? REPLAY.path : undefined,
    shrinkBudgetMs: SHRINK_MS,
    log: (line) => console.log(line),
  });
  if (report.failure) throw new Error(report.failure);
}

const replaying = (family: Family) => REPLAY !== undefined && REPLAY.family !== family;

describe("generative conformance: random flows agree on every mode", () => {
  it.skipIf(replaying("dag"))("DAGs of lossless channels: every record, status and count", () => property("dag"), TIMEOUT_MS);

  it.skipIf(replaying("isolate"))(
    "a node failing under onError isolate: its error, and everything else as without the failure",
    () => property("isolate"),
    TIMEOUT_MS,
  );

  it.skipIf(replaying("stop"))(
    "a node failing under onError stop: the failed node, its error, the SKIPPED set, records up to the stop",
    () => property("stop"),
    TIMEOUT_MS,
  );

  it.skipIf(replaying("cycle"))(
    "cycles fed from outside (when the validator accepts them): how they end, and what they deliver",
    async (ctx) => {
      if (!cycles) ctx.skip();
      await property("cycle");
    },
    TIMEOUT_MS,
  );
});

describe("generative conformance: the printed flows", () => {
  it.skipIf(REPLAY !== undefined)(
    "compile to the IR the test builds for them",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "flowc-generative-print-"));
      try {
        // The printed module imports the kinds by absolute path; @flowc/dsl resolves through the workspace's node_modules.
        symlinkSync(join(import.meta.dirname, "../../node_modules"), join(dir, "node_modules"));
        writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
        const genomes = fc.sample(genomeArbitrary("stop"), { seed: SEED, numRuns: 2 });
        for (const [i, genome] of genomes.entries()) {
          const { flow } = decode("stop", genome);
          const entry = join(dir, `flow${i}.flow.ts`);
          writeFileSync(entry, printFlow(flow, `printed${i}`, [], join(import.meta.dirname, "generative/kinds.js")));
          const compiled = compile({ entry });
          expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
          const built = buildIr(library, [flow]);
          const strip = (id: string) => id.replaceAll("f0_", "");
          const shape = (ir: NonNullable<typeof compiled.ir>) => ({
            nodes: ir.nodes.map((n) => ({ ...n, id: strip(n.id), impl: n.impl.export, source: null })),
            channels: ir.channels.map((c) => ({
              ...c,
              id: strip(c.id),
              from: { ...c.from, node: strip(c.from.node) },
              to: { ...c.to, node: strip(c.to.node) },
            })),
          });
          expect(shape(compiled.ir as NonNullable<typeof compiled.ir>)).toEqual(shape(built));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
