import type { InputSource } from "./descriptor.js";

const TIMER_UNITS: Readonly<Record<string, number>> = { secs: 1000, millis: 1, micros: 1e-3, nanos: 1e-6 };

/**
 * Parses an input string: `<node>/<output>`, or a timer `dora/timer/{secs|millis|micros|nanos}/N`
 * (N a positive integer) or `dora/timer/hz/F` (F a positive number). Returns a reason string
 * when it is not one of those.
 */
export function parseInputSource(text: string): InputSource | string {
  if (text.startsWith("dora/")) {
    const timer = /^dora\/timer\/(secs|millis|micros|nanos|hz)\/([^/]+)$/.exec(text);
    if (!timer) return "the only dora/ inputs flowc knows are timers: dora/timer/{secs|millis|micros|nanos}/N and dora/timer/hz/F";
    const [, unit, amount] = timer as unknown as [string, string, string];
    if (unit === "hz") {
      const hz = Number(amount);
      if (!/^\d+(\.\d+)?$/.test(amount) || !(hz > 0)) return `the timer frequency '${amount}' must be a positive number`;
      return { kind: "timer", periodMs: 1000 / hz, text };
    }
    if (!/^\d+$/.test(amount) || Number(amount) === 0) return `the timer period '${amount}' must be a positive integer`;
    return { kind: "timer", periodMs: Number(amount) * (TIMER_UNITS[unit] as number), text };
  }
  const parts = text.split("/");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "")
    return "expected '<node>/<output>' (operator outputs '<node>/<operator>/<output>' are not supported)";
  return { kind: "node", node: parts[0] as string, output: parts[1] as string };
}

/** The timer input for a rate: whole milliseconds when exact, else hz. */
export function timerFor(hz: number): string {
  const ms = 1000 / hz;
  return Number.isInteger(ms) ? `dora/timer/millis/${ms}` : `dora/timer/hz/${hz}`;
}
