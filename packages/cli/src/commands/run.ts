import { rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createDiagnostic, type Diagnostic, encodeJson, hasErrors } from "@flowc/ir";
import {
  applyFlowV8Flags,
  chooseRuntime,
  type Execution,
  isRecordingPath,
  loadConfig,
  openRecordSink,
  type RecordSink,
  type RunResult,
  RuntimeError,
  type RuntimeEvent,
  resolveRuntime,
  runtimeOptions,
} from "@flowc/runtime";
import { parseDuration } from "../args.js";
import { makeDirectory } from "../dirs.js";
import { printEvent } from "../events.js";
import { displayPath } from "../files.js";
import { type CliIo, ExitCode } from "../io.js";
import { type LoadResult, loadEntry, withNodeSettings } from "../load.js";
import { report } from "../report.js";
import { openReport, REPORT_SAMPLE_MS, type ReportTarget, RunReportCollector } from "../run-report/index.js";
import { defaultRegistry } from "../runtimes.js";
import { FLOWC_VERSION } from "../version.js";

/** How `run` gets its flow: `loadEntry` (a flow, IR or descriptor file), or `replay`'s rebuild from a recording. */
export type EntryLoader = (io: CliIo, entry: string, options: RunOptions) => Promise<LoadResult>;

export interface RunOptions {
  runtime?: string;
  duration?: string;
  config?: string;
  record?: string;
  report?: string;
  printIr?: boolean;
  json?: boolean;
  flow?: string;
  typecheck?: boolean;
}

/**
 * `flowc run`: compiles (or reads) a flow, picks the runtime (flag > FLOWC_RUNTIME > config >
 * mp), checks it can run the flow, brings it up, runs it until it completes, fails, reaches
 * `--duration` or is interrupted, and prints the lifecycle on stderr, node output on stdout
 * prefixed by node id, and with `--json` the RunResult as the last stdout line.
 */
export async function runCommand(io: CliIo, entry: string, options: RunOptions, load: EntryLoader = loadEntry): Promise<number> {
  // Ctrl-C is handled from the first moment: before the run exists it ends flowc cleanly at the
  // next point it can (compiling is synchronous, so after it); once the run exists it stops it.
  const signals: { count: number; first: string | undefined; handler: ((signal: string) => void) | undefined } = {
    count: 0,
    first: undefined,
    handler: undefined,
  };
  const unsubscribe = io.onSignal?.((signal) => {
    signals.count++;
    signals.first ??= signal;
    signals.handler?.(signal);
  });
  try {
    return await run(io, entry, options, signals, load);
  } finally {
    unsubscribe?.();
  }
}

async function run(
  io: CliIo,
  entry: string,
  options: RunOptions,
  signals: { count: number; first: string | undefined; handler: ((signal: string) => void) | undefined },
  load: EntryLoader,
): Promise<number> {
  const json = options.json === true;
  const log = (text: string) => io.stderr(`flowc: ${text}\n`);
  // With --json, errors before the run are a JSON document on stdout too (as `check --json`).
  const fail = (diagnostics: readonly Diagnostic[], sources?: ReadonlyMap<string, string>, code?: ExitCode): number => {
    const implied = report(io, diagnostics, { json, ...(sources ? { sources } : {}) });
    return code ?? implied;
  };
  const interrupted = (): boolean => {
    if (signals.count === 0) return false;
    log(`${signals.first}: stopped before the run started`);
    return true;
  };
  const durationMs = parseDuration(options.duration);
  if (typeof durationMs === "object") return fail([durationMs]);
  const configResult = loadConfig(io.cwd, options.config);
  if (!configResult.ok) return fail(configResult.diagnostics);
  const { config, path: configPath } = configResult;

  const choice = chooseRuntime(options.runtime, io.env.FLOWC_RUNTIME, config);
  const registry = defaultRegistry();
  const resolved = await resolveRuntime(registry, choice.name, config, configPath, io.cwd);
  if (!resolved.ok) return fail(resolved.diagnostics, undefined, ExitCode.Usage);
  const runtime = resolved.runtime;

  // The record first: a path that cannot be written is an error before anything is compiled or run.
  let recorder: RecordSink | undefined;
  if (options.record !== undefined) {
    const opened = openRecord(io, options.record);
    if ("diagnostic" in opened) return fail([opened.diagnostic]);
    recorder = opened;
  }
  let reportTarget: ReportTarget | undefined;
  if (options.report !== undefined) {
    const opened = openReport(io.cwd, options.report);
    if ("diagnostic" in opened) {
      recorder?.discard();
      return fail([opened.diagnostic]);
    }
    reportTarget = opened;
  }
  // Until the run has a result, every way out leaves the record and report paths as they were.
  const discardOutputs = () => {
    recorder?.discard();
    reportTarget?.discard();
  };
  if (interrupted()) {
    discardOutputs();
    return ExitCode.Interrupted;
  }

  const loaded = await load(io, entry, options);
  if ("diagnostics" in loaded) {
    discardOutputs();
    return fail(loaded.diagnostics, loaded.sources);
  }
  const cleanup = () => {
    if (loaded.temp) rmSync(loaded.temp, { recursive: true, force: true });
  };
  report(io, loaded.warnings, loaded.sources ? { sources: loaded.sources } : {});
  try {
    if (interrupted()) {
      discardOutputs();
      return ExitCode.Interrupted;
    }
    const { ir } = loaded;
    if (options.printIr) io.stdout(encodeJson(ir));
    const rtOptions = withNodeSettings(runtimeOptions(config, runtime.name), runtime.name, loaded.nodeSettings);
    const problems = runtime.check(ir, rtOptions, io.env);
    if (hasErrors(problems)) {
      discardOutputs();
      return fail(problems, undefined, ExitCode.Usage);
    }
    report(io, problems);

    log(`running '${ir.name}' on ${runtime.name}${choice.source === "default" ? "" : ` (runtime from ${choice.source})`}`);
    // Thread executors run in this process: the V8 flags of flowc's executor processes apply here too.
    applyFlowV8Flags();
    recorder?.begin({ ir, writer: `flowc ${FLOWC_VERSION}`, runtime: runtimeLabel(runtime.name, rtOptions), baseDir: loaded.baseDir });
    let execution: Execution;
    try {
      execution = await runtime.build(ir, {
        baseDir: loaded.baseDir,
        env: io.env,
        durationMs,
        options: rtOptions,
        onRecord: recorder ? (entries) => recorder?.write(entries) : undefined,
        recordValues: options.record !== undefined && isRecordingPath(options.record),
        sampleMs: reportTarget ? REPORT_SAMPLE_MS : undefined,
      });
    } catch (error) {
      discardOutputs();
      if (error instanceof RuntimeError) return fail([error.diagnostic]);
      throw error;
    }

    const show = (event: RuntimeEvent) => printEvent(io, event, log);
    for (const event of execution.events.history()) show(event);
    execution.events.subscribe(show);
    const collector = reportTarget ? new RunReportCollector() : undefined;
    if (collector) execution.events.subscribe((event) => collector.observe(event));

    const onSignal = (signal: string, count: number) => {
      if (count === 1) {
        log(`${signal}: stopping (again to kill)`);
        void execution.stop({ reason: "signal" });
      } else {
        log(`${signal}: killing`);
        execution.kill();
      }
    };
    let result: RunResult | undefined;
    try {
      // Interrupted during bring-up: the run exists, so it ends as a stopped run with its result.
      if (signals.count > 0) onSignal(signals.first ?? "SIGINT", 1);
      let seen = signals.count > 0 ? 1 : 0;
      signals.handler = (signal) => onSignal(signal, ++seen);
      await execution.start();
      result = await execution.wait();
    } catch (error) {
      // The engine lost its executors' supervisor (a daemon that died): coded, not a crash.
      if (!(error instanceof RuntimeError)) throw error;
      discardOutputs();
      return fail([error.diagnostic], undefined, ExitCode.Usage);
    } finally {
      signals.handler = undefined;
    }
    if (!result) throw new Error("the run ended without a result");
    const closed = recorder?.close();
    const reported =
      reportTarget && collector ? await reportTarget.write(collector.finish(ir, runtimeLabel(runtime.name, rtOptions), result)) : undefined;
    // The run's result still counts; a record or report that could not be written is an error of its own.
    if (closed || reported) {
      if (json) io.stdout(`${JSON.stringify(result)}\n`);
      const problems = [
        ...(closed ? [createDiagnostic("FileUnwritable", { path: options.record ?? "", detail: closed.error })] : []),
        ...(reported ? [createDiagnostic("FileUnwritable", { path: options.report ?? "", detail: reported.error })] : []),
      ];
      report(io, problems);
      return ExitCode.Usage;
    }
    if (recorder) log(`recorded ${recorder.count} messages to ${displayPath(io.cwd, recorder.path)}`);
    if (reportTarget) log(`wrote the run report to ${displayPath(io.cwd, reportTarget.path)}`);
    if (json) io.stdout(`${JSON.stringify(result)}\n`);
    if (result.status === "failed") return ExitCode.Invalid;
    if (result.reason === "signal") return ExitCode.Interrupted;
    return ExitCode.Ok;
  } finally {
    cleanup();
  }
}

/** `mp/inline`: the runtime and its isolation, for a recording's header. */
export function runtimeLabel(name: string, options: Readonly<Record<string, unknown>> | undefined): string {
  return typeof options?.isolation === "string" ? `${name}/${options.isolation}` : name;
}

/** Opens the `--record` file (its directory is made), or the coded reason it cannot be written. */
function openRecord(io: CliIo, record: string): RecordSink | { diagnostic: Diagnostic } {
  const path = resolve(io.cwd, record);
  let error: string;
  try {
    makeDirectory(dirname(path));
    const opened = openRecordSink(path);
    if (!("error" in opened)) return opened;
    error = opened.error;
  } catch (e) {
    error =
      (e as NodeJS.ErrnoException).code === "EEXIST" || (e as NodeJS.ErrnoException).code === "ENOTDIR"
        ? "a part of its directory is a file"
        : (e as Error).message;
  }
  return { diagnostic: createDiagnostic("FileUnwritable", { path: record, detail: error }) };
}
