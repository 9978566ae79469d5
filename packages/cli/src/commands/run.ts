import { mkdirSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createDiagnostic, encodeJson, hasErrors } from "@flowc/ir";
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
import { parseDuration } from "../args.js";
import { printEvent } from "../events.js";
import { displayPath } from "../files.js";
import { type CliIo, ExitCode } from "../io.js";
import { loadEntry, withNodeSettings } from "../load.js";
import { report } from "../report.js";
import { defaultRegistry } from "../runtimes.js";

export interface RunOptions {
  runtime?: string;
  duration?: string;
  config?: string;
  record?: string;
  printIr?: boolean;
  json?: boolean;
  flow?: string;
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
    const problems = runtime.check(ir, rtOptions, io.env);
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
        env: io.env,
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
