import { existsSync, readFileSync } from "node:fs";
import type { NodeHost } from "./host.js";
import type { NodeReport } from "./supervisor.js";

/** Peak resident set of this process and (on Linux) its waited-for children, in bytes. */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** A host's final numbers. `status` overrides the host's own (for nodes ended by a stop). */
export function nodeReport(host: NodeHost, peakMemoryBytes: number | null, status = host.status ?? "STOPPED"): NodeReport {
  const s = host.stats;
  // Wall time on every engine; a logical clock's time is the run's logicalDurationMs.
  const durationMs = s.wallStartedAt === undefined ? 0 : (s.wallEndedAt ?? s.wallStartedAt) - s.wallStartedAt;
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

/** Whether `pid` runs. A zombie (exited, not yet reaped by whoever adopted it) does not. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.charAt(stat.lastIndexOf(")") + 2) !== "Z";
  } catch {
    // No /proc (not Linux): ask the kernel.
    if (existsSync("/proc/self/stat")) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "EPERM";
    }
  }
}
