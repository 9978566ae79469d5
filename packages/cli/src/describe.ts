import type { IrChannel, IrClock } from "@flowc/ir";
import { DEFAULT_CAPACITY, DEFAULT_ON_FULL } from "@flowc/ir";

/** `rate 1 Hz`, `trigger(value)`, `hybrid 10 Hz + trigger(a, b)`, `free`. */
export function describeClock(clock: IrClock): string {
  switch (clock.kind) {
    case "rate":
      return `rate ${formatHz(clock.hz)}${clock.onLag === "warn" ? "" : ` (onLag ${clock.onLag})`}`;
    case "trigger":
      return `trigger(${clock.on.join(", ")})`;
    case "hybrid":
      return `hybrid ${formatHz(clock.hz)} + trigger(${clock.on.join(", ")})`;
    case "free":
      return "free";
  }
}

export function formatHz(hz: number | null): string {
  if (hz === null) return "-";
  return `${Number(hz.toPrecision(6))} Hz`;
}

/** `value → value`, plus capacity and policy when they differ from the defaults. */
export function describeChannel(channel: IrChannel): string {
  const label = `${channel.from.port} → ${channel.to.port}`;
  const extra = [
    channel.capacity !== DEFAULT_CAPACITY ? `cap ${channel.capacity}` : "",
    channel.onFull !== DEFAULT_ON_FULL ? channel.onFull : "",
  ]
    .filter(Boolean)
    .join(", ");
  return extra ? `${label} (${extra})` : label;
}
