import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile, emit } from "@flowc/frontend";
import type { Ir } from "@flowc/ir";
import type { BuildOptions, RecordEntry, RunResult, Runtime, RuntimeEvent } from "@flowc/runtime";
import { Daemon, daemonPaths, dataflowRuntime } from "@flowc/runtime-dataflow";
import { mpRuntime } from "@flowc/runtime-mp";

/** Every registered runtime and mode the suite runs each scenario on. */
export interface Mode {
  readonly label: string;
  readonly runtime: Runtime;
  readonly options: Readonly<Record<string, unknown>>;
  /** Logical clock: counts are exact; otherwise within tolerance. */
  readonly exact: boolean;
  /** Runs go to a running daemon (started for the mode's tests, in this process). */
  readonly daemon?: boolean;
}

export const MODES: readonly Mode[] = [
  { label: "mp/inline", runtime: mpRuntime, options: { isolation: "inline" }, exact: true },
  { label: "mp/thread", runtime: mpRuntime, options: { isolation: "thread" }, exact: false },
  { label: "mp/process", runtime: mpRuntime, options: { isolation: "process" }, exact: false },
  { label: "mp/thread+fuse", runtime: mpRuntime, options: { isolation: "thread", fuse: true }, exact: false },
  { label: "dataflow", runtime: dataflowRuntime, options: { daemon: "embedded" }, exact: false },
  { label: "dataflow/attached", runtime: dataflowRuntime, options: { daemon: "running" }, exact: false, daemon: true },
];

/** Node processes of every engine that spawns them (checked after each run: none may outlive it). */
export const NODE_PROCESS = /executor\/child-main\.js/;

export interface Compiled {
  readonly ir: Ir;
  readonly baseDir: string;
}

const FLOWS = join(import.meta.dirname, "flows/scenarios.flow.ts");
const outRoot = mkdtempSync(join(tmpdir(), "flowc-conformance-"));
/**
 * The environment runs (and the attached mode's daemon) see: the dataflow runtime keeps logs and
 * result records under FLOWC_HOME, out of ~; the rest is what the "probe" scenario looks for.
 */
export const ENV: Readonly<Record<string, string | undefined>> = {
  ...process.env,
  FLOWC_HOME: join(outRoot, "flowc-home"),
  FLOWC_CONFORMANCE_MARK: "marked",
  FLOWC_NODE_EXEC_ARGV: "--no-warnings",
};

/** Starts the daemon the attached mode's runs go to (FLOWC_HOME of ENV); returns its shutdown. */
export async function startDaemon(): Promise<() => Promise<void>> {
  const daemon = await Daemon.start(daemonPaths(ENV), { machine: "conformance", env: ENV });
  return () => daemon.shutdown({ force: true });
}

/** Compiles one scenario flow and writes its IR and bundles to a temporary directory. */
export async function compileScenario(name: string): Promise<Compiled> {
  const result = compile({ entry: FLOWS, flow: name });
  if (!result.ir) throw new Error(`scenario '${name}' does not compile: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  const outDir = join(outRoot, name);
  const emitted = await emit({
    ir: result.ir,
    modules: result.modules,
    outDir,
    format: "json",
    projectRoot: result.projectRoot,
    displayRoot: outDir,
  });
  if (emitted.diagnostics.some((d) => d.severity === "error")) throw new Error(emitted.diagnostics.map((d) => d.message).join("; "));
  return { ir: result.ir, baseDir: outDir };
}

export function removeCompiled(): void {
  rmSync(outRoot, { recursive: true, force: true });
}

export interface Outcome {
  readonly result: RunResult;
  readonly records: RecordEntry[];
  readonly events: RuntimeEvent[];
}

/** Runs a compiled scenario on a mode, recording every delivered message. */
export async function run(
  mode: Mode,
  scenario: Compiled,
  options: {
    durationMs?: number;
    graceMs?: number;
    extra?: Record<string, unknown>;
    stopAfterMs?: number;
  } = {},
): Promise<Outcome> {
  const records: RecordEntry[] = [];
  const build: BuildOptions = {
    baseDir: scenario.baseDir,
    env: ENV,
    durationMs: options.durationMs,
    graceMs: options.graceMs,
    onRecord: (entries) => records.push(...entries),
    options: { ...mode.options, ...options.extra },
  };
  const execution = await mode.runtime.build(scenario.ir, build);
  const events: RuntimeEvent[] = [...execution.events.history()];
  execution.events.subscribe((e) => {
    if (e.type !== "stopped") events.push(e);
  });
  await execution.start();
  let result: RunResult | undefined;
  if (options.stopAfterMs !== undefined) {
    result = await execution.wait({ timeoutMs: options.stopAfterMs });
    result ??= await execution.stop();
  } else result = await execution.wait({ timeoutMs: 120_000 });
  if (!result) throw new Error(`${mode.label}: the run did not end`);
  return { result, records, events };
}

/** The record signature of some channels: per channel, the delivered [seq, value] pairs in order. */
export function signature(records: readonly RecordEntry[], channels?: readonly string[]): Record<string, [number, unknown][]> {
  const out: Record<string, [number, unknown][]> = {};
  for (const r of records) {
    if (channels && !channels.includes(r.channel)) continue;
    (out[r.channel] ??= []).push([r.seq, r.value]);
  }
  return out;
}

export function valuesOn(records: readonly RecordEntry[], channel: string): unknown[] {
  return records.filter((r) => r.channel === channel).map((r) => r.value);
}

export function statuses(result: RunResult): Record<string, string> {
  return Object.fromEntries(result.nodes.map((n) => [n.id, n.status]));
}

export function node(result: RunResult, id: string) {
  const n = result.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`no node '${id}' in the result`);
  return n;
}
