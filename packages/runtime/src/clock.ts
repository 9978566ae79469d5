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
  #nextTick = 0;
  #lastWarn = Number.NEGATIVE_INFINITY;

  readonly #gate: TickGate | undefined;

  constructor(clock: IrClock, gate?: TickGate) {
    this.clock = clock;
    this.#gate = gate;
    this.#triggers = new Set(clock.kind === "trigger" || clock.kind === "hybrid" ? clock.on : []);
    this.#intervalMs = clock.kind === "rate" || clock.kind === "hybrid" ? 1000 / clock.hz : 0;
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
    const lagMs = now - this.#nextTick;
    if (lagMs < interval) {
      this.#nextTick += interval;
      return undefined;
    }
    const missed = Math.floor(lagMs / interval);
    switch (this.clock.onLag) {
      case "catchUp":
        this.#nextTick += interval;
        return undefined;
      case "error":
        throw RuntimeError.of("RateLagError", { node: nodeId, hz: String(this.clock.hz), lag: lagMs.toFixed(1), missed: String(missed) });
      case "drop":
        this.#nextTick += (missed + 1) * interval;
        return undefined;
      case "warn": {
        this.#nextTick += (missed + 1) * interval;
        if (now - this.#lastWarn < 1000) return undefined;
        this.#lastWarn = now;
        return { missed, lagMs };
      }
    }
  }
}
