import { epochNow } from "@flowc/runtime";

interface Timer {
  readonly intervalMs: number;
  readonly nodes: string[];
  /** Scheduled time (ms after the start) of the last tick sent. */
  last: number | undefined;
  handle: NodeJS.Timeout | undefined;
}

/**
 * The daemon's timers (dora.md §4.3): one per distinct interval, shared by every node with that
 * rate — never one per node or per input, which is how Dora users got duplicated ticks. Ticks
 * are phase-locked to the dataflow's start (k · interval); a timer that fires late by whole
 * intervals sends only the latest tick (skip on overrun), and the node's `onLag` policy sees
 * the gap. Timers start with the dataflow, after the start barrier, and stop at its duration.
 */
export class DaemonTimers {
  readonly #byInterval = new Map<number, Timer>();
  readonly #send: (nodes: readonly string[], at: number) => void;
  #epoch = 0;
  #until = Number.POSITIVE_INFINITY;
  #running = false;

  constructor(send: (nodes: readonly string[], at: number) => void) {
    this.#send = send;
  }

  add(intervalMs: number, node: string): void {
    let timer = this.#byInterval.get(intervalMs);
    if (!timer) {
      timer = { intervalMs, nodes: [], last: undefined, handle: undefined };
      this.#byInterval.set(intervalMs, timer);
    }
    timer.nodes.push(node);
  }

  /** How many timers run (one per distinct interval). */
  get count(): number {
    return this.#byInterval.size;
  }

  /** The scheduled time of the last tick sent to `node`'s timer. */
  lastTickOf(node: string): number | undefined {
    for (const t of this.#byInterval.values()) if (t.nodes.includes(node)) return t.last;
    return undefined;
  }

  start(epoch: number, durationMs: number | undefined): void {
    this.#epoch = epoch;
    this.#until = durationMs ?? Number.POSITIVE_INFINITY;
    this.#running = true;
    for (const t of this.#byInterval.values()) this.#fire(t);
  }

  #fire(timer: Timer): void {
    timer.handle = undefined;
    if (!this.#running) return;
    const elapsed = epochNow() - this.#epoch;
    const k = Math.max(0, Math.floor(elapsed / timer.intervalMs + 1e-9));
    const at = k * timer.intervalMs;
    if (at >= this.#until) return;
    if (timer.last === undefined || at > timer.last) {
      timer.last = at;
      this.#send(timer.nodes, at);
    }
    const next = (k + 1) * timer.intervalMs;
    if (next >= this.#until) return;
    timer.handle = setTimeout(() => this.#fire(timer), Math.max(0, next - (epochNow() - this.#epoch)));
  }

  stop(): void {
    this.#running = false;
    for (const t of this.#byInterval.values()) clearTimeout(t.handle);
  }
}
