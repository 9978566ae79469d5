import type { NodeHost } from "@flowc/runtime";

/** What each unfinished node waits for, for the deadlock report. */
export function describeStuck(hosts: readonly NodeHost[]): string {
  const waiting = hosts
    .filter((h) => !h.ended)
    .map((h) => `'${h.id}' ${h.hasOutbox() ? "waits for room on a full block channel" : "waits for input"}`);
  return waiting.join(", ");
}
