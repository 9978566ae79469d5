// Shared by the benchmark scripts: percentiles, rounding, and compiling benchmark flows.
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { compile, emit } from "@flowc/frontend";
import type { Ir, Json } from "@flowc/ir";
import { type BuildOptions, FLOW_V8_FLAGS, type Runtime, type RuntimeEvent } from "@flowc/runtime";

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

/**
 * Measures latencies in `rounds` rounds, running every kind once per round in turn (flowc and
 * its baselines alternating, so the machine's drifting load falls on all of them alike).
 * Returns each kind's latencies over all rounds, and each round's own p50.
 */
export async function inRounds(
  rounds: number,
  kinds: Record<string, () => Promise<number[]>>,
): Promise<{ pooled: Record<string, number[]>; roundsP50: Record<string, number[]> }> {
  const pooled: Record<string, number[]> = {};
  const roundsP50: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [kind, measure] of Object.entries(kinds)) {
      const latencies = await measure();
      (pooled[kind] ??= []).push(...latencies);
      (roundsP50[kind] ??= []).push(stats(latencies).p50);
    }
  }
  return { pooled, roundsP50 };
}

/**
 * Milliseconds of CLOCK_MONOTONIC: one clock for every thread and process on the machine, so
 * one-way latencies between processes hold. The wall clock behind `performance.timeOrigin`
 * can step between two processes' starts (one round once measured negative latencies).
 */
export const machineNow = () => Number(process.hrtime.bigint()) / 1e6;

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
  onEvent?: (event: RuntimeEvent) => void,
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
    onEvent?.(e);
    if (e.type === "log" && e.message.includes(`"${key}"`)) {
      const parsed = JSON.parse(e.message) as Record<string, unknown>;
      if (key in parsed) {
        data = parsed;
        resolveDone();
      }
    }
  });
  const startedAt = machineNow();
  const t1 = performance.now();
  // On a loaded machine every limit can be widened at once.
  const limitMs = timeoutMs * (Number(process.env.BENCH_TIMEOUT_SCALE) || 1);
  await execution.start();
  const driving = execution.wait({ timeoutMs: limitMs });
  const ended = await Promise.race([done.then(() => undefined), driving]);
  const result = await execution.stop({ graceMs: 2000 });
  if (!data) {
    // Say which step gave up and why: the time limit, or a run that ended first (and how).
    const seconds = ((performance.now() - t1) / 1000).toFixed(1);
    const failed = result.nodes.find((n) => n.error)?.error;
    const why = ended
      ? `the run ended ${ended.status} (${ended.reason})${failed ? `: node '${failed.nodeId}' failed: ${failed.message}` : ""}`
      : `it did not come within the step's limit of ${limitMs / 1000} s (on a loaded machine, BENCH_TIMEOUT_SCALE=2 doubles every limit)`;
    throw new Error(`${ir.name} on ${runtime.name}: no '${key}' line after ${seconds} s: ${why}`);
  }
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
  // A section that fails does not lose the others: the report is written with what was
  // measured and the failures named, and the process exits non-zero.
  const failures: { section: string; error: string }[] = [];
  // Interrupted (Ctrl-C, a timeout's SIGTERM): no temporary flows left behind; children with an
  // IPC channel end when it closes.
  const interrupted = (signal: NodeJS.Signals) => {
    console.error(`${name} bench: interrupted by ${signal}; no report written`);
    rmSync(tempDir, { recursive: true, force: true });
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    for (const [section, measure] of Object.entries(sections)) {
      if (only && !only.includes(section)) continue;
      try {
        await measure(report);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        console.error(`${name} bench: section '${section}' failed: ${message}`);
        failures.push({ section, error: message });
      }
    }
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    rmSync(tempDir, { recursive: true, force: true });
    const { stop } = await import("esbuild");
    await stop();
  }
  if (failures.length > 0) process.exitCode = 1;
  if (only) {
    console.log(JSON.stringify({ ...report, failures }, null, 2));
    return;
  }
  const results = join(import.meta.dirname, "results");
  mkdirSync(results, { recursive: true });
  const failed = failures.length
    ? `\n## Failed sections\n\nTheir figures above are missing or partial.\n\n${failures.map((f) => `- \`${f.section}\`: ${f.error}`).join("\n")}\n`
    : "";
  writeFileSync(join(results, `${name}.json`), `${JSON.stringify({ ...report, failures }, null, 2)}\n`);
  writeFileSync(join(results, `${name}.md`), markdown(report) + failed);
  console.log(markdown(report) + failed);
}

/** What a baseline receiver prints when its last message arrived. */
export interface BaselineResult {
  latencies: number[];
  firstMs: number;
  lastMs: number;
}

/**
 * Runs a baseline pair of plain Node processes: the receiver (started first; it prints "ready"
 * once it listens, then its JSON result when the last message arrived) and the sender. Both are
 * killed at the end; a limit of 180 s (× BENCH_TIMEOUT_SCALE) names what did not finish.
 */
export async function runBaselinePair(
  what: string,
  receiver: readonly string[],
  sender: readonly string[],
  cwd?: string,
): Promise<BaselineResult> {
  // The V8 flags flowc's own processes run with: a baseline is measured under the same JIT policy.
  const recv = spawn(process.execPath, [...FLOW_V8_FLAGS, ...receiver], { cwd, stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  recv.stdout.setEncoding("utf8");
  await new Promise<void>((resolve, reject) => {
    recv.once("exit", (code) => reject(new Error(`${what}: its receiver exited (${code}) before it was ready`)));
    recv.stdout.on("data", (d: string) => {
      text += d;
      if (text.startsWith("ready\n")) resolve();
    });
  });
  const send = spawn(process.execPath, [...FLOW_V8_FLAGS, ...sender], { cwd, stdio: ["ignore", "ignore", "inherit"] });
  const limitMs = 180_000 * (Number(process.env.BENCH_TIMEOUT_SCALE) || 1);
  const finished = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), limitMs);
    recv.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  send.kill("SIGKILL");
  recv.kill("SIGKILL");
  if (!finished)
    throw new Error(`${what} did not finish within ${limitMs / 1000} s (on a loaded machine, BENCH_TIMEOUT_SCALE=2 doubles every limit)`);
  try {
    return JSON.parse(text.slice("ready\n".length)) as BaselineResult;
  } catch {
    throw new Error(`${what} ended without its result (its output: ${JSON.stringify(text.slice(0, 200))})`);
  }
}

/** The machine a report was measured on. */
export function machineFacts() {
  return { cpus: cpus().length, model: cpus()[0]?.model ?? "?", node: process.version, v8Flags: [...FLOW_V8_FLAGS] };
}
