/**
 * Clocks and adapters as plain data, shaped exactly like their IR v1 counterparts, so the
 * compiler copies them into the IR as they are.
 */

export type LagPolicy = "warn" | "drop" | "catchUp" | "error";

export interface RateClock {
  readonly kind: "rate";
  readonly hz: number;
  readonly onLag: LagPolicy;
}
export interface TriggerClock<P extends string = string> {
  readonly kind: "trigger";
  readonly on: readonly P[];
}
export interface HybridClock<P extends string = string> {
  readonly kind: "hybrid";
  readonly hz: number;
  readonly onLag: LagPolicy;
  readonly on: readonly P[];
}
export interface FreeClock {
  readonly kind: "free";
}
export type Clock<P extends string = string> = RateClock | TriggerClock<P> | HybridClock<P> | FreeClock;

/** Run `step` `hz` times per second. `onLag`: what to do when a step overruns its period (default warn). */
export function rate(hz: number, options: { onLag?: LagPolicy } = {}): RateClock {
  return { kind: "rate", hz, onLag: options.onLag ?? "warn" };
}

/** Run `step` when a message arrives on one of `ports` (default for nodes with inputs: all of them). */
export function trigger<P extends string>(...ports: [P, ...P[]]): TriggerClock<P> {
  return { kind: "trigger", on: ports };
}

/** Run `step` periodically and also when a message arrives on one of `ports`. */
export function hybrid<P extends string>(hz: number, ...ports: [P, ...P[]]): HybridClock<P> {
  return { kind: "hybrid", hz, onLag: "warn", on: ports };
}

/** Run as fast as the outputs accept: for sources (nodes without inputs), e.g. generators. */
export function free(): FreeClock {
  return { kind: "free" };
}

export interface LatestAdapter {
  readonly kind: "latest";
}
export interface HoldAdapter {
  readonly kind: "hold";
}
export interface WindowAdapter {
  readonly kind: "window";
  readonly size?: number;
  readonly ms?: number;
}
export interface EventsAdapter {
  readonly kind: "events";
}
/** Adapters that hand `step` one value. */
export type SingleAdapter = LatestAdapter | HoldAdapter;
/** Adapters that hand `step` a list of values. */
export type ListAdapter = WindowAdapter | EventsAdapter;
export type Adapter = SingleAdapter | ListAdapter;

/** The newest message; absent when nothing new arrived since the previous step. */
export function latest(): LatestAdapter {
  return { kind: "latest" };
}
/** The last message ever received, kept across steps. */
export function hold(): HoldAdapter {
  return { kind: "hold" };
}
/** The last `size` messages, or the messages of the last `ms` milliseconds, as a list. */
export function window(options: { size: number } | { ms: number }): WindowAdapter {
  return "size" in options ? { kind: "window", size: options.size } : { kind: "window", ms: options.ms };
}
/** Every message received since the previous step, as a list. */
export function events(): EventsAdapter {
  return { kind: "events" };
}
