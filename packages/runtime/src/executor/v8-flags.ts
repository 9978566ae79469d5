import { setFlagsFromString } from "node:v8";

/**
 * V8 flags every process that runs flowc's executors starts with: executor processes get them
 * on their command line, and `flowc run` sets them in its own process, where thread executors
 * run.
 *
 * `--interrupt-budget`: V8 compiles a function to optimized code once it has run a budget of
 * its bytecode a few times over (66 KB by default, tuned for code in hot loops). A flow's
 * per-message path runs once per message, a few hundred times a second on a sensor-rate flow,
 * so under the default it stays in baseline code for many seconds: an 8-byte hop between two
 * threads 5 ms apart was still 1.5–1.8× slower after 1,000 messages than with a quarter of the
 * budget, and a quarter was enough to reach that. The price is more (concurrent) optimizing
 * compilations early in a run.
 */
export const FLOW_V8_FLAGS: readonly string[] = ["--interrupt-budget=16384"];

/**
 * Applies `FLOW_V8_FLAGS` to this process; a flag its command line already sets (the user's
 * `node --interrupt-budget=…`) is left as it is. V8 reads this one whenever a function's
 * budget starts over, so setting it after start-up takes effect.
 */
export function applyFlowV8Flags(execArgv: readonly string[] = process.execArgv): string[] {
  const applied: string[] = [];
  for (const flag of FLOW_V8_FLAGS) {
    const name = v8Name(flag);
    if (execArgv.some((a) => v8Name(a) === name)) continue;
    setFlagsFromString(flag);
    applied.push(flag);
  }
  return applied;
}

/** A V8 flag's name as V8 compares it (`--interrupt_budget` and `--interrupt-budget` are one flag). */
function v8Name(arg: string): string {
  return (arg.split("=")[0] as string).replaceAll("_", "-");
}
