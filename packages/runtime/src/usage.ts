import type { NodeHost } from "./host.js";
import type { NodeReport } from "./supervisor.js";

/** Peak resident set of this process and (on Linux) its waited-for children, in bytes. */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** A host's final numbers. `status` overrides the host's own (for nodes ended by a stop). */
export function nodeReport(host: NodeHost, peakMemoryBytes: number | null, status = host.status ?? "STOPPED"): NodeReport {
  const s = host.stats;
  const durationMs = s.startedAt === undefined ? 0 : (s.endedAt ?? s.startedAt) - s.startedAt;
  return {
    id: host.id,
    status,
    steps: s.steps,
    messagesIn: s.messagesIn,
    messagesOut: s.messagesOut,
    dropped: host.dropped(),
    durationMs,
    cpuMs: s.cpuMs,
    peakMemoryBytes,
    error: host.error,
  };
}

/** The report of a node that never reported itself (its executor died, or never ran it). */
export function emptyReport(id: string, status: NodeReport["status"], error: NodeReport["error"]): NodeReport {
  return { id, status, steps: 0, messagesIn: 0, messagesOut: 0, dropped: 0, durationMs: 0, cpuMs: 0, peakMemoryBytes: null, error };
}
