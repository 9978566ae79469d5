import type { IrClock } from "@flowc/ir";
import { RuntimeError } from "./errors.js";

/** Why a step runs: the input ports with new messages, and "tick" when a periodic tick was due. */
export interface Fired {
  readonly tick: boolean;
  readonly ports: readonly string[];
}

export interface LagReport {
  readonly missed: number;
  readonly lagMs: number;
}

/**
 * An external timer that releases a periodic clock's ticks (the dataflow daemon's timers).
 * `released()` is the scheduled time (ms since the start) of the latest tick that arrived; a
 * tick becomes due only once it is released, and the executor sleeps until a tick arrives
 * instead of timing the tick itself.
 */
export interface TickGate {
  released(): number;
}

/**
 * A node's clock (docs/semantics.md, "Clocks"): decides whether a step is due at `now` and
 * keeps the rate schedule. Ticks are at 0, 1/hz, 2/hz, … ms after the start (phase-locked:
 * a late step does not shift later ticks).
 */
export class ClockState {
  readonly clock: IrClock;
  readonly #triggers: ReadonlySet<string>;
  readonly #intervalMs: number;
  readonly #hz: number;
  /** The index k of the next tick, at k · 1000 / hz ms. */
  #k = 0;
  #nextTick = 0;
  /** On a logical clock: when the node's last step would have ended on a wall clock. */
  #busyUntil = Number.NEGATIVE_INFINITY;
  #lastWarn = Number.NEGATIVE_INFINITY;

  readonly #gate: TickGate | undefined;

  constructor(clock: IrClock, gate?: TickGate) {
    this.clock = clock;
    this.#gate = gate;
    this.#triggers = new Set(clock.kind === "trigger" || clock.kind === "hybrid" ? clock.on : []);
    this.#hz = clock.kind === "rate" || clock.kind === "hybrid" ? clock.hz : 0;
    this.#intervalMs = this.#hz > 0 ? 1000 / this.#hz : 0;
  }

  /**
   * Moves to tick k, at k · 1000 / hz: computed from k every time, never by adding intervals, so
   * a tick that falls on a whole millisecond is exactly there (rate(3): the 7th tick is at 2000,
   * not 1999.9999999999998) and a tick index means the same time on every engine.
   */
  #advanceTo(k: number): void {
    this.#k = k;
    this.#nextTick = tickTime(k, this.#hz);
  }

  /** On a logical clock: the node's last step ended at `at` (its start plus its real duration). */
  ranUntil(at: number): void {
    if (this.periodic) this.#busyUntil = at;
  }

  get periodic(): boolean {
    return this.#intervalMs > 0;
  }

  /** The next tick time (ms), or undefined for clocks without ticks. */
  nextTickAt(): number | undefined {
    if (!this.periodic) return undefined;
    // Gated: the tick's arrival wakes the executor; until then there is nothing to time.
    if (this.#gate && this.#gate.released() < this.#nextTick) return undefined;
    return this.#nextTick;
  }

  /** Whether the clock fires at `now`, given which input ports have messages waiting. */
  poll(now: number, pendingPorts: readonly string[]): Fired | undefined {
    const tick = this.periodic && now >= this.#nextTick && (this.#gate === undefined || this.#gate.released() >= this.#nextTick);
    if (this.clock.kind === "free") return { tick: false, ports: pendingPorts };
    const triggered = pendingPorts.some((p) => this.#triggers.has(p));
    if (tick || triggered) return { tick, ports: pendingPorts };
    return undefined;
  }

  /**
   * Consumes the due tick before a step at `now` and applies the lag policy when the step is a
   * whole period or more late. Returns the lag (for a warning) or undefined; throws FLC3030 for
   * `onLag: "error"`.
   */
  consumeTick(now: number, nodeId: string): LagReport | undefined {
    if (!this.periodic || (this.clock.kind !== "rate" && this.clock.kind !== "hybrid")) return undefined;
    const interval = this.#intervalMs;
    const lagMs = Math.max(now, this.#busyUntil) - this.#nextTick;
    if (lagMs < interval) {
      this.#advanceTo(this.#k + 1);
      return undefined;
    }
    const missed = Math.floor(lagMs / interval);
    switch (this.clock.onLag) {
      case "catchUp":
        this.#advanceTo(this.#k + 1);
        return undefined;
      case "error":
        throw RuntimeError.of("RateLagError", { node: nodeId, hz: String(this.clock.hz), lag: lagMs.toFixed(1), missed: String(missed) });
      case "drop":
        this.#advanceTo(this.#k + missed + 1);
        return undefined;
      case "warn": {
        this.#advanceTo(this.#k + missed + 1);
        if (now - this.#lastWarn < 1000) return undefined;
        this.#lastWarn = now;
        return { missed, lagMs };
      }
    }
  }
}

/** The time of tick k of a `hz` clock: k · 1000 / hz ms after the start, rounded once. */
export function tickTime(k: number, hz: number): number {
  return (k * 1000) / hz;
}
