// Runs one IR on one mode and keeps what the comparison needs. Every run ends: a run that
// does not end in time is stopped (its executors go through the stop ladder), so no engine
// process outlives the test.
import type { Ir } from "@flowc/ir";
import type { RecordEntry, RunResult, RuntimeEvent } from "@flowc/runtime";
import { ENV, type Mode, placedFor } from "../harness.js";

export interface ModeOutcome {
  readonly mode: string;
  /** The run's result, or undefined when the build threw. */
  readonly result: RunResult | undefined;
  readonly records: readonly RecordEntry[];
  readonly warnings: readonly { readonly node: string | null; readonly code: string | null; readonly message: string }[];
  /** The run did not end within the time limit and was stopped. */
  readonly timedOut: boolean;
  /** What `build` or the run threw. */
  readonly error: string | undefined;
  readonly ms: number;
}

/**
 * How long a run of `nodes` nodes may take before it counts as hanging: a node's executor
 * starts in well under 0.5 s even on a loaded two-core machine, and the random flows' own work
 * takes milliseconds; a multi-executor engine needs about a second to prove a deadlock.
 */
export function runLimitMs(nodes: number): number {
  return 20_000 + 500 * nodes;
}

export async function runOn(mode: Mode, ir: Ir, baseDir: string, limitMs: number): Promise<ModeOutcome> {
  const started = performance.now();
  const records: RecordEntry[] = [];
  const warnings: { node: string | null; code: string | null; message: string }[] = [];
  const onEvent = (e: RuntimeEvent) => {
    if (e.type === "warning") warnings.push({ node: e.node, code: e.code, message: e.message });
  };
  let execution: Awaited<ReturnType<Mode["runtime"]["build"]>>;
  try {
    execution = await mode.runtime.build(placedFor(mode, ir), {
      baseDir,
      env: ENV,
      onRecord: (entries) => records.push(...entries),
      options: mode.options,
    });
  } catch (error) {
    return {
      mode: mode.label,
      result: undefined,
      records,
      warnings,
      timedOut: false,
      error: String(error),
      ms: performance.now() - started,
    };
  }
  for (const e of execution.events.history()) onEvent(e);
  execution.events.subscribe(onEvent);
  let timedOut = false;
  let result: RunResult | undefined;
  try {
    await execution.start();
    result = await execution.wait({ timeoutMs: limitMs });
    if (!result) {
      timedOut = true;
      result = await execution.stop({ graceMs: 2000 });
    }
  } catch (error) {
    // The run broke: make sure it ends before reporting it.
    result = execution.result ?? (await execution.stop({ graceMs: 1000 }).catch(() => undefined));
    return { mode: mode.label, result, records, warnings, timedOut, error: String(error), ms: performance.now() - started };
  }
  return { mode: mode.label, result, records, warnings, timedOut, error: undefined, ms: performance.now() - started };
}
