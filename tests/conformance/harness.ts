import { join } from "node:path";
import { compile, emit } from "@flowc/frontend";
import type { Ir } from "@flowc/ir";
import {
  type BuildOptions,
  loadConfig,
  type RecordEntry,
  type RunResult,
  type Runtime,
  type RuntimeEvent,
  RuntimeRegistry,
  resolveRuntime,
  runtimeOptions,
} from "@flowc/runtime";
import { Daemon, daemonPaths, dataflowRuntime, NatsSettings } from "@flowc/runtime-dataflow";
import { mpRuntime } from "@flowc/runtime-mp";
import { skipNatsTests, startNatsServer } from "../helpers/nats-server.js";
import { Scratch } from "../helpers/scratch.js";

/** A runtime and its options, as the suite runs each scenario on it. */
export interface Mode {
  readonly label: string;
  readonly runtime: Runtime;
  readonly options: Readonly<Record<string, unknown>>;
  /** Logical clock: counts are exact; otherwise within tolerance. */
  readonly exact: boolean;
  /**
   * Where nodes run: on the caller's thread (an exiting node ends the program), in worker
   * threads, or in processes (which take Node.js flags from FLOWC_NODE_EXEC_ARGV). The
   * supervision scenarios run on isolated modes only.
   */
  readonly isolation: "none" | "thread" | "process";
  /** Chains run fused in one executor (they die together). */
  readonly fused?: boolean;
  /** Runs go to a running daemon (started for the mode's tests, in this process). */
  readonly daemon?: boolean;
  /**
   * Daemons of these machines, joined through a NATS server the mode starts; the nodes are
   * placed on them alternately (IR order), so every channel between neighbours crosses machines.
   */
  readonly machines?: readonly string[];
}

const BUILTIN: readonly Mode[] = [
  { label: "mp/inline", runtime: mpRuntime, options: { isolation: "inline" }, exact: true, isolation: "none" },
  { label: "mp/thread", runtime: mpRuntime, options: { isolation: "thread" }, exact: false, isolation: "thread" },
  { label: "mp/process", runtime: mpRuntime, options: { isolation: "process" }, exact: false, isolation: "process" },
  {
    label: "mp/thread+fuse",
    runtime: mpRuntime,
    options: { isolation: "thread", fuse: true },
    exact: false,
    isolation: "thread",
    fused: true,
  },
  { label: "dataflow", runtime: dataflowRuntime, options: { daemon: "embedded" }, exact: false, isolation: "process" },
  {
    label: "dataflow/attached",
    runtime: dataflowRuntime,
    options: { daemon: "running" },
    exact: false,
    isolation: "process",
    daemon: true,
  },
  {
    label: "dataflow/2 machines",
    runtime: dataflowRuntime,
    options: { daemon: "running" },
    exact: false,
    isolation: "process",
    daemon: true,
    machines: ["alpha", "beta"],
  },
];

/**
 * The runtime a third party wants to check (`pnpm test:conformance` with FLOWC_CONFORMANCE_RUNTIME
 * naming a runtime of the flowc.config.json in FLOWC_CONFORMANCE_CONFIG, or found from the
 * working directory), run beside mp inline as the reference; see docs/semantics.md.
 */
async function externalMode(name: string): Promise<Mode> {
  const loaded = loadConfig(process.cwd(), process.env.FLOWC_CONFORMANCE_CONFIG);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  const registry = new RuntimeRegistry();
  registry.register(mpRuntime);
  registry.register(dataflowRuntime);
  const resolved = await resolveRuntime(registry, name, loaded.config, loaded.path, process.cwd());
  if (!resolved.ok) throw new Error(resolved.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  const isolation = process.env.FLOWC_CONFORMANCE_ISOLATION ?? "none";
  if (isolation !== "none" && isolation !== "thread" && isolation !== "process")
    throw new Error(`FLOWC_CONFORMANCE_ISOLATION is none, thread or process, not '${isolation}'`);
  return {
    label: name,
    runtime: resolved.runtime,
    options: runtimeOptions(loaded.config, name),
    exact: process.env.FLOWC_CONFORMANCE_LOGICAL_CLOCK === "1",
    isolation,
  };
}

const external = process.env.FLOWC_CONFORMANCE_RUNTIME;
/** Every mode the suite runs each scenario on: the built-in runtimes, or mp inline and the runtime under test. */
// The mode of several machines needs nats-server (skipped where it is not installed; `.ci/run` installs it).
export const MODES: readonly Mode[] = external
  ? [BUILTIN[0] as Mode, await externalMode(external)]
  : BUILTIN.filter((m) => !m.machines || !skipNatsTests);

/** Node processes of every engine that spawns them (checked after each run: none may outlive it). */
export const NODE_PROCESS = /executor\/child-main\.js/;

export interface Compiled {
  readonly ir: Ir;
  readonly baseDir: string;
}

const FLOWS = join(import.meta.dirname, "flows/scenarios.flow.ts");
const scratch = new Scratch("flowc-conformance-");
const outRoot = scratch.path;
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

/**
 * Starts the daemon the attached modes' runs go to (FLOWC_HOME of ENV); for a mode with
 * machines it is the first machine's, joined through a fresh NATS server by the daemons of
 * the others (a mode without placement runs on it as on a lone daemon). Returns the shutdown
 * of it all.
 */
export async function startDaemon(mode: Mode): Promise<() => Promise<void>> {
  scratch.make();
  const machines = mode.machines;
  if (!machines) {
    const daemon = await Daemon.start(daemonPaths(ENV), { machine: "conformance", env: ENV });
    return () => daemon.shutdown({ force: true });
  }
  const nats = await startNatsServer();
  const daemons: Daemon[] = [];
  try {
    for (const [i, machine] of machines.entries()) {
      const env = i === 0 ? ENV : { ...ENV, FLOWC_HOME: join(outRoot, `flowc-home-${machine}`) };
      daemons.push(
        await Daemon.start(daemonPaths(env), { machine, env, nats: NatsSettings.parse({ url: nats.url, cluster: "conformance" }) }),
      );
    }
    // Runs start once the first daemon has heard every other one (placement is judged on that).
    const first = daemons[0] as Daemon;
    for (let i = 0; (first.status().cluster?.machines.filter((m) => m.up).length ?? 0) < machines.length; i++) {
      if (i > 400) throw new Error(`the daemons of ${machines.join(", ")} did not see each other within 20 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (error) {
    for (const d of daemons) await d.shutdown({ force: true });
    await nats.cleanup();
    throw error;
  }
  return async () => {
    for (const d of daemons) await d.shutdown({ force: true });
    await nats.cleanup();
  };
}

/** The IR a mode runs: with machines, the nodes are placed on them alternately. */
export function placedFor(mode: Mode, ir: Ir): Ir {
  const machines = mode.machines;
  if (!machines) return ir;
  return { ...ir, nodes: ir.nodes.map((n, i) => ({ ...n, placement: machines[i % machines.length] as string })) };
}

/** Compiles one scenario flow and writes its IR and bundles to a temporary directory. */
export async function compileScenario(name: string): Promise<Compiled> {
  const result = compile({ entry: FLOWS, flow: name });
  if (!result.ir) throw new Error(`scenario '${name}' does not compile: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  const outDir = join(scratch.make(), name);
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
  scratch.remove();
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
    sampleMs?: number;
    /** Added to the run's environment. */
    env?: Record<string, string>;
  } = {},
): Promise<Outcome> {
  const records: RecordEntry[] = [];
  const build: BuildOptions = {
    baseDir: scenario.baseDir,
    env: { ...ENV, ...options.env },
    durationMs: options.durationMs,
    graceMs: options.graceMs,
    onRecord: (entries) => records.push(...entries),
    options: { ...mode.options, ...options.extra },
    sampleMs: options.sampleMs,
  };
  const execution = await mode.runtime.build(placedFor(mode, scenario.ir), build);
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
