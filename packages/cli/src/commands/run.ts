import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { emit } from "@flowc/frontend";
import { createDiagnostic, type Diagnostic, encodeJson, hasErrors, type Ir } from "@flowc/ir";
import {
  chooseRuntime,
  type Execution,
  loadConfig,
  RecordWriter,
  type RunResult,
  RuntimeError,
  type RuntimeEvent,
  resolveRuntime,
  runtimeOptions,
} from "@flowc/runtime";
import { type Descriptor, descriptorToIr, type NodeSettings, parseDescriptor } from "@flowc/runtime-dataflow";
import { displayPath, irFormatOf, readInputFile, readIrFile } from "../files.js";
import { type CliIo, ExitCode } from "../io.js";
import { report } from "../report.js";
import { defaultRegistry } from "../runtimes.js";
import { compileEntry } from "./build.js";

export interface RunOptions {
  runtime?: string;
  duration?: string;
  config?: string;
  record?: string;
  printIr?: boolean;
  json?: boolean;
  flow?: string;
}

const FLOW_FILE = /\.(m|c)?tsx?$/;
const DESCRIPTOR_FILE = /\.ya?ml$/i;

/**
 * A Dora-dialect descriptor: parsed (FLC31xx with lines), turned into IR, and its hand-written
 * nodes — JS/TS modules using @flowc/dsl — bundled with esbuild into a temporary directory, as
 * `flowc build` bundles a flow's nodes. Nodes flowc wrote keep pointing at their bundles.
 */
async function loadDescriptor(
  io: CliIo,
  entry: string,
): Promise<Loaded | { diagnostics: readonly Diagnostic[]; sources?: ReadonlyMap<string, string> }> {
  const read = readInputFile(io.cwd, entry, "dataflow descriptor");
  if ("diagnostics" in read) return read;
  const text = read.bytes.toString("utf8");
  const sources = new Map([[read.file, text]]);
  const parsed = parseDescriptor(text, read.file);
  if (!parsed.descriptor) return { diagnostics: parsed.diagnostics, sources };
  const name =
    basename(entry)
      .replace(/(\.dataflow)?\.ya?ml$/i, "")
      .replace(/[^A-Za-z0-9_.-]/g, "_") || "dataflow";
  const converted = descriptorToIr(parsed.descriptor, parsed.descriptor._flowc?.name ?? name);
  if (!converted.ir) return { diagnostics: converted.diagnostics.map((d) => ({ ...d, file: read.file })), sources };
  const yamlDir = dirname(resolve(io.cwd, entry));
  const temp = mkdtempSync(join(tmpdir(), "flowc-run-"));
  const modules = new Map<string, { file: string; exports: Set<string>; output: string }>();
  const nodes = converted.ir.nodes.map((node) => {
    const file = resolve(yamlDir, node.impl.module);
    if (!FLOW_FILE.test(file) && !/\.(m|c)?jsx?$/.test(file)) return node;
    const hand = parsed.descriptor?.nodes.find((n) => n.id === node.id);
    if (hand?._flowc) return { ...node, impl: { ...node.impl, module: relative(temp, file).split("\\").join("/") } };
    let plan = modules.get(file);
    if (!plan) {
      plan = { file, exports: new Set(), output: `nodes/${modules.size}-${basename(file).replace(/\.[^.]+$/, "")}.mjs` };
      modules.set(file, plan);
    }
    plan.exports.add(node.impl.export);
    return { ...node, impl: { module: plan.output, export: node.impl.export } };
  });
  const ir = { ...converted.ir, nodes };
  const emitted = await emit({
    ir,
    modules: [...modules.values()].map((m) => ({ file: m.file, resolveDir: dirname(m.file), output: m.output, exports: [...m.exports] })),
    outDir: temp,
    format: "json",
    projectRoot: yamlDir,
    displayRoot: io.cwd,
  });
  if (hasErrors(emitted.diagnostics)) {
    rmSync(temp, { recursive: true, force: true });
    return { diagnostics: emitted.diagnostics };
  }
  report(io, converted.diagnostics);
  return { ir, baseDir: temp, temp, nodeSettings: descriptorNodeSettings(parsed.descriptor, yamlDir) };
}

/** What a descriptor says about node processes, as dataflow runtime options (`nodes`). */
function descriptorNodeSettings(descriptor: Descriptor, yamlDir: string): Record<string, NodeSettings> {
  const out: Record<string, NodeSettings> = {};
  const policies = { never: "never", "on-failure": "onFailure", always: "always" } as const;
  for (const n of descriptor.nodes) {
    const env = { ...descriptor.env, ...n.env };
    const workingDir = n.deploy?.working_dir ?? descriptor.deploy?.working_dir;
    const settings: NodeSettings = {
      ...(n.restart_policy ? { restart: policies[n.restart_policy] } : {}),
      ...(n.max_restarts !== undefined ? { maxRestarts: n.max_restarts } : {}),
      ...(n.restart_delay !== undefined ? { restartDelayMs: Math.round(n.restart_delay * 1000) } : {}),
      ...(Object.keys(env).length > 0 ? { env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) } : {}),
      ...(workingDir !== undefined ? { workingDir: resolve(yamlDir, workingDir) } : {}),
    };
    if (Object.keys(settings).length > 0) out[n.id] = settings;
  }
  return out;
}

/** A flow to run: its IR and the directory its node modules resolve against. */
export interface Loaded {
  readonly ir: Ir;
  readonly baseDir: string;
  /** A temporary build directory to delete after the run. */
  readonly temp?: string;
  /** Per-node process settings a descriptor gave (restart policy, env, working dir): dataflow runtime options. */
  readonly nodeSettings?: Readonly<Record<string, NodeSettings>>;
}

export async function loadEntry(
  io: CliIo,
  entry: string,
  flow: string | undefined,
): Promise<Loaded | { diagnostics: readonly Diagnostic[]; sources?: ReadonlyMap<string, string> }> {
  if (FLOW_FILE.test(entry)) {
    const compiled = compileEntry(io, entry, flow);
    if ("diagnostics" in compiled) return compiled;
    const { result } = compiled;
    if (!result.ir || hasErrors(result.diagnostics)) return { diagnostics: result.diagnostics };
    const temp = mkdtempSync(join(tmpdir(), "flowc-run-"));
    const emitted = await emit({
      ir: result.ir,
      modules: result.modules,
      outDir: temp,
      format: "json",
      projectRoot: result.projectRoot,
      displayRoot: io.cwd,
    });
    if (hasErrors(emitted.diagnostics)) {
      rmSync(temp, { recursive: true, force: true });
      return { diagnostics: [...result.diagnostics, ...emitted.diagnostics] };
    }
    if (result.diagnostics.length > 0) report(io, result.diagnostics);
    return { ir: result.ir, baseDir: temp, temp };
  }
  if (DESCRIPTOR_FILE.test(entry)) return loadDescriptor(io, entry);
  if (!irFormatOf(entry)) {
    return {
      diagnostics: [
        createDiagnostic("UnknownFileKind", {
          path: entry,
          expected: ".ts (a flow file), .ir.json, .ir.msgpack or .yml (a Dora-dialect dataflow)",
        }),
      ],
    };
  }
  const read = readIrFile(io.cwd, entry);
  if (!read.ok) return { diagnostics: read.diagnostics, sources: read.sources };
  report(io, read.warnings);
  return { ir: read.ir, baseDir: dirname(resolve(io.cwd, entry)) };
}

/** Descriptor node settings under the config's own (`runtimes.dataflow.nodes` wins). */
export function withNodeSettings(
  options: Readonly<Record<string, unknown>> | undefined,
  runtime: string,
  settings: Readonly<Record<string, NodeSettings>> | undefined,
): Readonly<Record<string, unknown>> | undefined {
  if (runtime !== "dataflow" || !settings || Object.keys(settings).length === 0) return options;
  const own = (options?.nodes ?? {}) as Record<string, NodeSettings>;
  const nodes: Record<string, NodeSettings> = { ...settings };
  for (const [id, s] of Object.entries(own)) nodes[id] = { ...nodes[id], ...s };
  return { ...options, nodes };
}

export function parseDuration(text: string | undefined): number | undefined | Diagnostic {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || text.trim() === "") {
    return createDiagnostic("UsageError", { detail: `--duration takes a positive number of seconds, got '${text}'.` });
  }
  return seconds * 1000;
}

/**
 * `flowc run`: compiles (or reads) a flow, picks the runtime (flag > FLOWC_RUNTIME > config >
 * mp), checks it can run the flow, brings it up, runs it until it completes, fails, reaches
 * `--duration` or is interrupted, and prints the lifecycle on stderr, node output on stdout
 * prefixed by node id, and with `--json` the RunResult as the last stdout line.
 */
export async function runCommand(io: CliIo, entry: string, options: RunOptions): Promise<number> {
  const json = options.json === true;
  const durationMs = parseDuration(options.duration);
  if (typeof durationMs === "object") return report(io, [durationMs]);
  const configResult = loadConfig(io.cwd, options.config);
  if (!configResult.ok) return report(io, configResult.diagnostics);
  const { config, path: configPath } = configResult;

  const choice = chooseRuntime(options.runtime, io.env.FLOWC_RUNTIME, config);
  const registry = defaultRegistry();
  const resolved = await resolveRuntime(registry, choice.name, config, configPath, io.cwd);
  if (!resolved.ok) {
    report(io, resolved.diagnostics);
    return ExitCode.Usage;
  }
  const runtime = resolved.runtime;

  const loaded = await loadEntry(io, entry, options.flow);
  if ("diagnostics" in loaded) return report(io, loaded.diagnostics, loaded.sources ? { sources: loaded.sources } : {});
  const cleanup = () => {
    if (loaded.temp) rmSync(loaded.temp, { recursive: true, force: true });
  };
  try {
    const { ir } = loaded;
    if (options.printIr) io.stdout(encodeJson(ir));
    const rtOptions = withNodeSettings(runtimeOptions(config, runtime.name), runtime.name, loaded.nodeSettings);
    const problems = runtime.check(ir, rtOptions);
    if (hasErrors(problems)) {
      report(io, problems);
      return ExitCode.Usage;
    }
    report(io, problems);

    let recorder: RecordWriter | undefined;
    if (options.record !== undefined) {
      const path = resolve(io.cwd, options.record);
      try {
        mkdirSync(dirname(path), { recursive: true });
        recorder = new RecordWriter(path);
      } catch (error) {
        return report(io, [createDiagnostic("FileUnreadable", { path: options.record, detail: (error as Error).message })]);
      }
    }

    const log = (text: string) => io.stderr(`flowc: ${text}\n`);
    log(`running '${ir.name}' on ${runtime.name}${choice.source === "default" ? "" : ` (runtime from ${choice.source})`}`);
    let execution: Execution;
    try {
      execution = await runtime.build(ir, {
        baseDir: loaded.baseDir,
        durationMs,
        options: rtOptions,
        onRecord: recorder ? (entries) => recorder?.write(entries) : undefined,
      });
    } catch (error) {
      recorder?.discard();
      if (error instanceof RuntimeError) return report(io, [error.diagnostic]);
      throw error;
    }

    const show = (event: RuntimeEvent) => printEvent(io, event, log);
    for (const event of execution.events.history()) show(event);
    execution.events.subscribe(show);

    let interrupts = 0;
    const unsubscribe = io.onSignal?.((signal) => {
      interrupts++;
      if (interrupts === 1) {
        log(`${signal}: stopping (again to kill)`);
        void execution.stop({ reason: "signal" });
      } else {
        log(`${signal}: killing`);
        execution.kill();
      }
    });
    let result: RunResult | undefined;
    try {
      await execution.start();
      result = await execution.wait();
    } catch (error) {
      // The engine lost its executors' supervisor (a daemon that died): coded, not a crash.
      if (!(error instanceof RuntimeError)) throw error;
      recorder?.discard();
      report(io, [error.diagnostic]);
      return ExitCode.Usage;
    } finally {
      unsubscribe?.();
      recorder?.close();
    }
    if (!result) throw new Error("the run ended without a result");
    if (recorder) log(`recorded ${recorder.count} messages to ${displayPath(io.cwd, recorder.path)}`);
    if (json) io.stdout(`${JSON.stringify(result)}\n`);
    if (result.status === "failed") return ExitCode.Invalid;
    if (result.reason === "signal") return ExitCode.Interrupted;
    return ExitCode.Ok;
  } finally {
    cleanup();
  }
}

export function printEvent(io: CliIo, event: RuntimeEvent, log: (text: string) => void): void {
  switch (event.type) {
    case "built":
      log(
        `built: ${event.executors} executor${event.executors === 1 ? "" : "s"} (${event.mode}), ${event.channels} channel${event.channels === 1 ? "" : "s"}`,
      );
      break;
    case "started":
      log("started");
      break;
    case "log":
      if (event.level === "warn" || event.level === "error") io.stderr(`[${event.node}] ${event.level}: ${event.message}\n`);
      else io.stdout(`[${event.node}] ${event.message}\n`);
      break;
    case "warning":
      log(`warning${event.code ? ` ${event.code}` : ""}: ${event.message}`);
      break;
    case "nodeFailed": {
      const stack = event.error.stack ? `\n${indent(event.error.stack)}` : "";
      log(`node '${event.node}' failed${event.error.code ? ` (${event.error.code})` : ""}: ${event.error.message}${stack}`);
      break;
    }
    case "stopping":
      log(`stopping: ${event.detail}`);
      break;
    case "stopped": {
      const r = event.result;
      const counts = new Map<string, number>();
      for (const n of r.nodes) counts.set(n.status, (counts.get(n.status) ?? 0) + 1);
      const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(", ");
      log(
        `stopped: ${r.status} after ${(r.durationMs / 1000).toFixed(2)} s (${r.reason}); nodes: ${summary}; ${event.clean ? "every executor ended cleanly" : "some executors had to be killed"}`,
      );
      break;
    }
    default:
      break;
  }
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}
