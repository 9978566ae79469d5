import { epochNow, tickTime } from "@flowc/runtime";

interface Timer {
  readonly hz: number;
  readonly intervalMs: number;
  readonly nodes: string[];
  /** Scheduled time (ms after the start) of the last tick sent. */
  last: number | undefined;
  handle: NodeJS.Timeout | undefined;
}

/**
 * The daemon's timers: one per distinct interval, shared by every node with that
 * rate — never one per node or per input, which is how Dora users got duplicated ticks. Ticks
 * are phase-locked to the dataflow's start (k · interval); a timer that fires late by whole
 * intervals sends only the latest tick (skip on overrun), and the node's `onLag` policy sees
 * the gap. Timers start with the dataflow, after the start barrier, and stop at its duration.
 *
 * A tick is released a little ahead of its time (`leadMs`): the node still steps no earlier
 * than the tick's scheduled time (its clock waits for both the release and the time), but the
 * daemon's own work — waking, serializing, writing to the node's IPC channel — is done before
 * the node's step rather than during it, where it competes with the node and its consumers
 * for the CPU (bench/results/dataflow.md).
 */
export class DaemonTimers {
  readonly #byRate = new Map<number, Timer>();
  readonly #send: (nodes: readonly string[], at: number) => void;
  #epoch = 0;
  #until = Number.POSITIVE_INFINITY;
  #running = false;

  constructor(send: (nodes: readonly string[], at: number) => void) {
    this.#send = send;
  }

  /** Adds `node` to the timer of rate `hz` (one timer per distinct rate). */
  add(hz: number, node: string): void {
    let timer = this.#byRate.get(hz);
    if (!timer) {
      timer = { hz, intervalMs: 1000 / hz, nodes: [], last: undefined, handle: undefined };
      this.#byRate.set(hz, timer);
    }
    timer.nodes.push(node);
  }

  /** How many timers run (one per distinct interval). */
  get count(): number {
    return this.#byRate.size;
  }

  /** The scheduled time of the last tick sent to `node`'s timer. */
  lastTickOf(node: string): number | undefined {
    for (const t of this.#byRate.values()) if (t.nodes.includes(node)) return t.last;
    return undefined;
  }

  start(epoch: number, durationMs: number | undefined): void {
    this.#epoch = epoch;
    this.#until = durationMs ?? Number.POSITIVE_INFINITY;
    this.#running = true;
    for (const t of this.#byRate.values()) this.#fire(t);
  }

  #fire(timer: Timer): void {
    timer.handle = undefined;
    if (!this.#running) return;
    const lead = leadMs(timer.intervalMs);
    const elapsed = epochNow() - this.#epoch;
    const k = Math.max(0, Math.floor((elapsed + lead) / timer.intervalMs + 1e-9));
    // The same tick times as every clock computes them (ClockState): k · 1000 / hz, exactly.
    const at = tickTime(k, timer.hz);
    if (at >= this.#until) return;
    if (timer.last === undefined || at > timer.last) {
      timer.last = at;
      this.#send(timer.nodes, at);
    }
    const next = tickTime(k + 1, timer.hz);
    if (next >= this.#until) return;
    timer.handle = setTimeout(() => this.#fire(timer), Math.max(0, next - lead - (epochNow() - this.#epoch)));
  }

  stop(): void {
    this.#running = false;
    for (const t of this.#byRate.values()) clearTimeout(t.handle);
  }
}

/** How far ahead of its scheduled time a tick is released: 2 ms, or a quarter interval at high rates. */
export function leadMs(intervalMs: number): number {
  return Math.min(2, intervalMs / 4);
}
