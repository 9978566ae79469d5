// Shared by the benchmark scripts: percentiles, rounding, and compiling benchmark flows.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { compile, emit } from "@flowc/frontend";
import type { Ir, Json } from "@flowc/ir";
import type { BuildOptions, Runtime, RuntimeEvent } from "@flowc/runtime";

export interface Stats {
  p50: number;
  p95: number;
  p99: number;
  n: number;
}

export const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
  return { p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), n: s.length };
}

/** Milliseconds since the Unix epoch, sub-millisecond, comparable across threads and processes. */
export const epochNow = () => performance.timeOrigin + performance.now();

/** Compiles flows of one flow file once each, bundling into `outDir/<flow>`. */
export function flowCompiler(entry: string, outDir: string) {
  const compiled = new Map<string, { ir: Ir; baseDir: string }>();
  return async (name: string) => {
    const known = compiled.get(name);
    if (known) return known;
    const r = compile({ entry, flow: name });
    if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
    const baseDir = join(outDir, name);
    await emit({ ir: r.ir, modules: r.modules, outDir: baseDir, format: "json", projectRoot: r.projectRoot, displayRoot: baseDir });
    const entryOut = { ir: r.ir, baseDir };
    compiled.set(name, entryOut);
    return entryOut;
  };
}

export function withParams(ir: Ir, params: Record<string, Record<string, Json>>): Ir {
  return { ...ir, nodes: ir.nodes.map((n) => (params[n.id] ? { ...n, params: { ...n.params, ...params[n.id] } } : n)) };
}

/**
 * Runs a flow until a node logs a JSON line containing `key` (the measuring node's report),
 * then stops it; returns the parsed line, when the run started (epoch ms) and the bring-up time.
 */
export async function runUntilLogged(
  runtime: Runtime,
  ir: Ir,
  options: BuildOptions,
  key: string,
  timeoutMs = 120_000,
): Promise<{ data: Record<string, unknown>; startedAt: number; builtMs: number }> {
  const t0 = performance.now();
  const execution = await runtime.build(ir, { graceMs: 2000, ...options });
  const builtMs = performance.now() - t0;
  let data: Record<string, unknown> | undefined;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  execution.events.subscribe((e: RuntimeEvent) => {
    if (e.type === "log" && e.message.includes(`"${key}"`)) {
      const parsed = JSON.parse(e.message) as Record<string, unknown>;
      if (key in parsed) {
        data = parsed;
        resolveDone();
      }
    }
  });
  const startedAt = epochNow();
  await execution.start();
  const driving = execution.wait({ timeoutMs });
  await Promise.race([done, driving]);
  await execution.stop({ graceMs: 2000 });
  if (!data) throw new Error(`${ir.name} on ${runtime.name}: no '${key}' line`);
  return { data, startedAt, builtMs };
}

/**
 * Runs a benchmark's sections in order — `BENCH_ONLY=a,b` runs some of them and prints the
 * partial report instead of writing it — then cleans up (temporary flows, esbuild's service)
 * and writes `bench/results/<name>.json` and `.md`.
 */
export async function runBench<R>(
  name: string,
  report: R,
  sections: Record<string, (report: R) => Promise<void>>,
  markdown: (report: R) => string,
  tempDir: string,
): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(",");
  try {
    for (const [section, measure] of Object.entries(sections)) if (!only || only.includes(section)) await measure(report);
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
    const { stop } = await import("esbuild");
    await stop();
  }
  if (only) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const results = join(import.meta.dirname, "results");
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(results, `${name}.md`), markdown(report));
  console.log(markdown(report));
}

/** The machine a report was measured on. */
export function machineFacts() {
  return { cpus: cpus().length, model: cpus()[0]?.model ?? "?", node: process.version };
}
