import { createDiagnostic, type Diagnostic } from "@flowc/ir";
import type { StatsSample } from "@flowc/runtime";
import type { DataflowStats } from "@flowc/runtime-dataflow";
import { type CliIo, ExitCode, useColor } from "../io.js";
import { report } from "../report.js";
import { Ansi, type DataflowView, dataflowView, frame, jsonBlock, plainBlock, screenLines } from "../top/render.js";
import { withClient } from "./dataflow.js";

export interface TopOptions {
  interval?: string;
  once?: boolean;
  iterations?: string;
  json?: boolean;
}

/** What `flowc top` needs of a terminal; `processTerminal()` is the real one. */
export interface TopTerminal {
  /** Whether stdout is a terminal: the full-screen view, else plain lines. */
  readonly isTTY: boolean;
  size(): { columns: number; rows: number };
  write(text: string): void;
  /** Raw key presses (stdin in raw mode) until the returned function restores stdin; a no-op without a terminal on stdin. */
  keys(handler: (data: string) => void): () => void;
  onResize(handler: () => void): () => void;
  /** Runs `handler` if the process exits while the screen is up (the last resort to restore the terminal). */
  onExit(handler: () => void): () => void;
}

export const MIN_INTERVAL_MS = 100;
const QUIT_KEYS = ["q", "Q", "\u0003", "\u0004"];
const DEFAULT_INTERVAL_MS = 1000;
/** How long the first plain block waits, past one interval, for a second sample (the daemon samples every 500 ms). */
const RATES_WAIT_MS = 2000;
/** Rates span at least this long, however often the view refreshes: the daemon samples every 500 ms. */
const RATE_WINDOW_MS = 1000;

/** The process' own terminal (stdout, stdin, SIGWINCH). */
export function processTerminal(): TopTerminal {
  const stdout = process.stdout;
  const stdin = process.stdin;
  return {
    isTTY: stdout.isTTY === true,
    size: () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 }),
    write: (text) => {
      stdout.write(text);
    },
    keys: (handler) => {
      if (!stdin.isTTY) return () => {};
      const listener = (data: Buffer | string) => handler(data.toString());
      stdin.setRawMode(true);
      stdin.on("data", listener);
      stdin.resume();
      return () => {
        stdin.off("data", listener);
        stdin.setRawMode(false);
        stdin.pause();
      };
    },
    onResize: (handler) => {
      stdout.on("resize", handler);
      return () => stdout.off("resize", handler);
    },
    onExit: (handler) => {
      process.on("exit", handler);
      return () => process.off("exit", handler);
    },
  };
}

/** For an io that is not the process' own (in-process runs): plain lines into io.stdout. */
function ioTerminal(io: CliIo): TopTerminal {
  return {
    isTTY: false,
    size: () => ({ columns: 80, rows: 24 }),
    write: (text) => io.stdout(text),
    keys: () => () => {},
    onResize: () => () => {},
    onExit: () => () => {},
  };
}

function parseInterval(text: string | undefined): number | Diagnostic {
  if (text === undefined) return DEFAULT_INTERVAL_MS;
  const ms = Number(text);
  if (text.trim() === "" || !Number.isFinite(ms) || ms < MIN_INTERVAL_MS)
    return createDiagnostic("UsageError", {
      detail: `--interval takes a number of milliseconds (${MIN_INTERVAL_MS} or more), got '${text}'.`,
    });
  return ms;
}

function parseIterations(text: string | undefined): number | undefined | Diagnostic {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 1)
    return createDiagnostic("UsageError", { detail: `--iterations takes a whole number (1 or more), got '${text}'.` });
  return n;
}

/**
 * Recent distinct samples of each dataflow. The daemon samples on its own clock, so a poll
 * between two of its samples sees the same `t` again; rates are taken over at least one
 * interval (the newest sample at least that old), so a 1 Hz node reads 1/s rather than
 * alternating 0 and 2 between the daemon's samples.
 */
export class Samples {
  readonly #history = new Map<string, StatsSample[]>();
  readonly #windowMs: number;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Takes one poll's answer and returns the views of it at `nowMs`. */
  update(stats: readonly DataflowStats[], nowMs: number): DataflowView[] {
    const seen = new Set<string>();
    const views = stats.map((s) => {
      const id = s.dataflow.id;
      seen.add(id);
      let history = this.#history.get(id) ?? [];
      const last = history.at(-1);
      if (last !== undefined && s.sample.t < last.t) history = []; // not the same run's clock: start again
      if (last === undefined || s.sample.t !== last.t) history.push(s.sample);
      else history[history.length - 1] = s.sample;
      const t = s.sample.t;
      // The newest earlier sample at least a window old (some slack for timer jitter), else the oldest.
      let previous: StatsSample | undefined;
      for (const h of history) if (h.t < t && (previous === undefined || h.t <= t - this.#windowMs * 0.9)) previous = h;
      // Keep what a later poll may still need: from the sample before the window on.
      const from = Math.max(
        0,
        history.findLastIndex((h) => h.t <= t - this.#windowMs * 0.9),
      );
      history = history.slice(from);
      this.#history.set(id, history);
      return dataflowView(s, previous, nowMs);
    });
    for (const id of [...this.#history.keys()]) if (!seen.has(id)) this.#history.delete(id);
    return views;
  }
}

/**
 * `flowc top [dataflow]`: polls the daemon's `stats` every interval and shows rates per node —
 * a full-screen view on a terminal, plain lines (or JSON) otherwise.
 */
export async function topCommand(
  io: CliIo,
  dataflow: string | undefined,
  options: TopOptions,
  terminal: TopTerminal = io.onSignal ? processTerminal() : ioTerminal(io),
): Promise<number> {
  const intervalMs = parseInterval(options.interval);
  if (typeof intervalMs === "object") return report(io, [intervalMs]);
  const iterations = parseIterations(options.iterations);
  if (typeof iterations === "object") return report(io, [iterations]);
  const limit = options.once ? 1 : iterations;
  const screen = terminal.isTTY && !options.once && !options.json;

  // No daemon, a daemon that stopped answering, an unknown dataflow: coded, exit 2 (as `flowc list`).
  return withClient(io, async (client) => {
    const poll = () => client.request<DataflowStats[]>({ op: "stats", dataflow });
    // The first answer before anything is drawn: an unknown dataflow is reported on a normal screen.
    const first = await poll();
    if (screen) return await watchScreen(io, terminal, poll, first, { intervalMs, limit, dataflow });
    return await watchPlain(io, terminal, poll, first, { intervalMs, limit, dataflow, json: options.json === true });
  });
}

interface Watch {
  readonly intervalMs: number;
  /** Refreshes to show before exiting; undefined: until stopped. */
  readonly limit: number | undefined;
  readonly dataflow: string | undefined;
}

/** Sleeps and requests that `stop()` ends early (q must not wait for a daemon that is slow to answer). */
function stopper() {
  let wake = () => {};
  let stopped = false;
  let resolveStopped = () => {};
  const stopping = new Promise<undefined>((resolve) => {
    resolveStopped = () => resolve(undefined);
  });
  return {
    get stopped() {
      return stopped;
    },
    stop: () => {
      stopped = true;
      wake();
      resolveStopped();
    },
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        if (stopped) return resolve();
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    /** The answer, or undefined once stopped (an abandoned request's failure is nobody's concern). */
    poll: (request: () => Promise<DataflowStats[]>): Promise<DataflowStats[] | undefined> => {
      const answer = request();
      answer.catch(() => {});
      return Promise.race([answer, stopping]);
    },
  };
}

/** Not a terminal (or --once, -n with --json): a block of plain lines or a JSON line per refresh. */
async function watchPlain(
  io: CliIo,
  terminal: TopTerminal,
  poll: () => Promise<DataflowStats[]>,
  first: DataflowStats[],
  watch: Watch & { json: boolean },
): Promise<number> {
  const samples = new Samples(Math.max(watch.intervalMs, RATE_WINDOW_MS));
  const control = stopper();
  const unsubscribe = io.onSignal?.(control.stop);
  const print = (views: readonly DataflowView[]) =>
    terminal.write(watch.json ? jsonBlock(views) : plainBlock(views, watch.dataflow !== undefined));
  try {
    let views = samples.update(first, Date.now());
    let shown = 0;
    let firstBlock = true;
    while (!control.stopped) {
      const allEnded = views.length > 0 && views.every((v) => v.ended);
      if (views.length === 0 || allEnded) {
        // Nothing (more) to watch: say so once and end.
        print(views);
        return ExitCode.Ok;
      }
      await control.sleep(watch.intervalMs);
      let answer = await control.poll(poll);
      if (answer === undefined) break;
      views = samples.update(answer, Date.now());
      // The first block waits (a little) for a second sample of each running dataflow, so it has rates.
      if (firstBlock) {
        const until = Date.now() + RATES_WAIT_MS;
        while (Date.now() < until && views.some((v) => !v.ended && v.nodes.some((n) => n.stepsPerSec === null))) {
          await control.sleep(Math.min(MIN_INTERVAL_MS, watch.intervalMs));
          answer = await control.poll(poll);
          if (answer === undefined) return ExitCode.Ok;
          views = samples.update(answer, Date.now());
        }
        firstBlock = false;
      }
      if (views.length === 0 || views.every((v) => v.ended)) continue;
      print(views);
      shown++;
      if (watch.limit !== undefined && shown >= watch.limit) return ExitCode.Ok;
    }
    return ExitCode.Ok;
  } finally {
    unsubscribe?.();
  }
}

/** A terminal: the alternate screen, redrawn in place every interval until q, Ctrl-C or a signal. */
async function watchScreen(
  io: CliIo,
  terminal: TopTerminal,
  poll: () => Promise<DataflowStats[]>,
  first: DataflowStats[],
  watch: Watch,
): Promise<number> {
  const color = useColor({ ...io, stderrIsTTY: true });
  const samples = new Samples(Math.max(watch.intervalMs, RATE_WINDOW_MS));
  const control = stopper();
  let views = samples.update(first, Date.now());
  const draw = () => {
    const { columns, rows } = terminal.size();
    terminal.write(frame(screenLines(views, { columns, rows, color, intervalMs: watch.intervalMs, target: watch.dataflow })));
  };

  let restored = false;
  const cleanups: (() => void)[] = [];
  const restore = () => {
    if (restored) return;
    restored = true;
    for (const cleanup of cleanups.reverse()) cleanup();
    terminal.write(Ansi.leave);
  };
  terminal.write(Ansi.enter);
  cleanups.push(terminal.onExit(restore));
  cleanups.push(
    terminal.keys((data) => {
      // q, Q, Ctrl-C (raw mode: a byte, not a signal), Ctrl-D.
      if (QUIT_KEYS.some((key) => data.includes(key))) control.stop();
    }),
  );
  cleanups.push(terminal.onResize(draw));
  const unsubscribe = io.onSignal?.(control.stop);
  if (unsubscribe) cleanups.push(unsubscribe);
  try {
    draw();
    let shown = 1;
    const target = watch.dataflow !== undefined;
    while (!control.stopped && (watch.limit === undefined || shown < watch.limit)) {
      // The named dataflow ended: its final figures stay up until q (with -n: top ends too).
      if (target && views.every((v) => v.ended)) {
        if (watch.limit !== undefined) break;
        await control.sleep(2 ** 31 - 1);
        continue;
      }
      await control.sleep(watch.intervalMs);
      const answer = await control.poll(poll);
      if (answer === undefined) break;
      views = samples.update(answer, Date.now());
      draw();
      shown++;
    }
    return ExitCode.Ok;
  } finally {
    restore();
  }
}
