// `pnpm bench:frontend`: build time and peak memory of generated flows of 10, 100, 1,000 and
// 5,000 nodes, against `tsc --noEmit` on the same files with the TypeScript 6 API (the compiler
// ts-morph bundles), measured in the same run. Every measurement runs in a fresh process.
// Writes bench/results/frontend.json and bench/results/frontend.md.
//
// Target: the 1,000-node flow builds in ≤ 3 s and ≤ 1.5× the tsc time.
// Knobs for investigating: BENCH_SIZES=10,100 (sizes), BENCH_VERBOSE=1 (every sample),
// BENCH_KEEP=1 (keep bench/.generated).
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SIZES = process.env.BENCH_SIZES ? process.env.BENCH_SIZES.split(",").map(Number) : [10, 100, 1_000, 5_000];
const REPS = 3;
const here = fileURLToPath(new URL(".", import.meta.url));
const work = join(here, ".generated");

const NODES = `import { node } from "@flowc/dsl";
import { z } from "zod";

export const Source = node("Source", {
  outputs: { value: z.number(), label: z.string() },
  state: () => ({ n: 0 }),
  step: (_inputs, { state }) => ({ value: ++state.n, label: "s" }),
});

export const Stage = node("Stage", {
  params: { factor: z.number(), name: z.string() },
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }, { params }) => (value === undefined ? undefined : { value: value * params.factor }),
});

export const Join = node("Join", {
  inputs: { a: z.number(), b: z.number() },
  outputs: { value: z.number() },
  step: ({ a, b }) => (a === undefined ? undefined : { value: a + (b ?? 0) }),
});
`;

/** A flow of n nodes written as straight-line code: sources, stages, and joins every tenth node. */
function flowSource(n: number): string {
  const lines = [
    `import { flow, rate } from "@flowc/dsl";`,
    `import { Join, Source, Stage } from "./nodes.js";`,
    "",
    `export default flow("generated_${n}", ({ add, connect }) => {`,
    `  const n0 = add("n0", Source, { clock: rate(10) });`,
  ];
  for (let i = 1; i < n; i++) {
    if (i % 10 === 0) {
      lines.push(`  const n${i} = add("n${i}", Join);`);
      lines.push(`  connect(n${i - 1}.out.value, n${i}.in.a);`);
      lines.push(`  connect(n${i - 5}.out.value, n${i}.in.b, { capacity: 4 });`);
    } else {
      lines.push(`  const n${i} = add("n${i}", Stage, { params: { factor: ${i % 7}, name: "stage ${i}" } });`);
      lines.push(`  connect(n${i - 1}.out.value, n${i}.in.value);`);
    }
  }
  lines.push("});", "");
  return lines.join("\n");
}

function generate(n: number): string {
  const dir = join(work, `flow-${n}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), '{ "name": "generated", "private": true, "type": "module" }\n');
  writeFileSync(join(dir, "nodes.ts"), NODES);
  writeFileSync(join(dir, "main.flow.ts"), flowSource(n));
  return join(dir, "main.flow.ts");
}

interface Sample {
  ms: number;
  peakRssMB: number;
  detail?: Record<string, number>;
}

async function child(kind: string, entry: string, optionsJson: string): Promise<Sample> {
  const started = performance.now();
  const detail: Record<string, number> = {};
  if (kind === "build") {
    const { compile, emit } = await import("@flowc/frontend");
    const t0 = performance.now();
    const result = compile({ entry });
    detail.compileMs = performance.now() - t0;
    if (!result.ir) throw new Error(`the generated flow does not build: ${JSON.stringify(result.diagnostics.slice(0, 3))}`);
    const t1 = performance.now();
    const emitted = await emit({
      ir: result.ir,
      modules: result.modules,
      outDir: join(entry, "..", "out"),
      format: "json",
      projectRoot: result.projectRoot,
      displayRoot: process.cwd(),
    });
    detail.emitMs = performance.now() - t1;
    if (emitted.diagnostics.length > 0) throw new Error("emit failed");
    detail.nodes = result.ir.nodes.length;
  } else {
    // tsc --noEmit with the TypeScript 6 API (the typescript@6 package, installed as typescript-6 in
    // @flowc/frontend), with the same compiler options the compiler uses for this project.
    // The options come from the parent (DEFAULT_COMPILER_OPTIONS) so this process loads TypeScript only.
    const ts = createRequire(join(here, "../packages/frontend/package.json"))("typescript-6") as typeof import("ts-morph").ts;
    const program = ts.createProgram([entry], JSON.parse(optionsJson) as import("ts-morph").ts.CompilerOptions);
    detail.files = program.getSourceFiles().length;
    const diagnostics = ts.getPreEmitDiagnostics(program);
    detail.diagnostics = diagnostics.length;
  }
  return { ms: performance.now() - started, peakRssMB: process.resourceUsage().maxRSS / 1024, detail };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  const at = process.argv.indexOf("--child");
  if (at !== -1) {
    const [kind, entry, optionsJson] = process.argv.slice(at + 1);
    if (!kind || !entry || !optionsJson) throw new Error("usage: frontend.bench.ts --child <build|tsc> <entry> <compiler options JSON>");
    const sample = await child(kind, entry, optionsJson);
    process.stdout.write(JSON.stringify(sample));
    return;
  }
  rmSync(work, { recursive: true, force: true });
  const self = fileURLToPath(import.meta.url);
  // The tsc baseline uses the compiler's own default options, passed as JSON so that its
  // process loads TypeScript only.
  const { DEFAULT_COMPILER_OPTIONS } = await import("@flowc/frontend");
  const optionsJson = JSON.stringify(DEFAULT_COMPILER_OPTIONS);
  const run = (kind: string, entry: string): Sample =>
    JSON.parse(
      execFileSync(process.execPath, [...process.execArgv, self, "--child", kind, entry, optionsJson], {
        encoding: "utf8",
        maxBuffer: 1 << 24,
      }),
    ) as Sample;
  const results = [];
  for (const n of SIZES) {
    const entry = generate(n);
    const builds: Sample[] = [];
    const tscs: Sample[] = [];
    for (let r = 0; r < REPS; r++) {
      console.error(`${n} nodes: build ${r + 1}/${REPS}, tsc ${r + 1}/${REPS}`);
      builds.push(run("build", entry));
      tscs.push(run("tsc", entry));
      if (process.env.BENCH_VERBOSE) console.error(`  build ${JSON.stringify(builds.at(-1))}\n  tsc ${JSON.stringify(tscs.at(-1))}`);
    }
    if (tscs.some((t) => (t.detail?.diagnostics ?? 0) > 0)) throw new Error(`tsc reports errors in the generated ${n}-node flow`);
    const buildMs = median(builds.map((b) => b.ms));
    const tscMs = median(tscs.map((t) => t.ms));
    results.push({
      nodes: n,
      buildMs: Math.round(buildMs),
      compileMs: Math.round(median(builds.map((b) => b.detail?.compileMs ?? 0))),
      bundleMs: Math.round(median(builds.map((b) => b.detail?.emitMs ?? 0))),
      tscNoEmitMs: Math.round(tscMs),
      ratio: Number((buildMs / tscMs).toFixed(2)),
      buildPeakRssMB: Math.round(Math.max(...builds.map((b) => b.peakRssMB))),
      tscPeakRssMB: Math.round(Math.max(...tscs.map((t) => t.peakRssMB))),
    });
  }
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
  const thousand = results.find((r) => r.nodes === 1_000);
  const report = {
    benchmark: "frontend",
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", node: process.version },
    date: new Date().toISOString(),
    targets: { build1000Ms: 3000, ratio1000: 1.5 },
    results,
    verdict: {
      build1000Ms: thousand?.buildMs,
      meetsTime: (thousand?.buildMs ?? Number.POSITIVE_INFINITY) <= 3000,
      ratio1000: thousand?.ratio,
      meetsRatio: (thousand?.ratio ?? Number.POSITIVE_INFINITY) <= 1.5,
    },
  };
  const dir = join(here, "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "frontend.json"), `${JSON.stringify(report, null, 2)}\n`);
  const md = [
    "# Compiler (frontend) benchmark",
    "",
    `${report.date} · ${report.machine.cpus} × ${report.machine.cpuModel} · Node ${report.machine.node}. Medians of ${REPS} runs, each in a fresh process (start-up included).`,
    "",
    "| nodes | build ms (compile + bundle) | compile ms | bundle ms | tsc --noEmit ms (TS 6 API) | build / tsc | build peak RSS MB | tsc peak RSS MB |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${r.nodes.toLocaleString("en")} | **${r.buildMs}** | ${r.compileMs} | ${r.bundleMs} | ${r.tscNoEmitMs} | ${r.ratio} | ${r.buildPeakRssMB} | ${r.tscPeakRssMB} |`,
    ),
    "",
    `Target: the 1,000-node flow builds in ≤ 3000 ms → ${thousand?.buildMs} ms (${report.verdict.meetsTime ? "met" : "NOT met"}) and ≤ 1.5× tsc → ${thousand?.ratio}× (${report.verdict.meetsRatio ? "met" : "NOT met"}).`,
    "",
  ].join("\n");
  writeFileSync(join(dir, "frontend.md"), md);
  console.log(md);
}

await main();
