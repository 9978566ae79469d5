import type { RuntimeEvent } from "@flowc/runtime";
import type { CliIo } from "./io.js";

/** Prints a lifecycle event: `flowc: …` lines on stderr, node log lines on stdout (warnings and errors on stderr). */
export function printEvent(io: CliIo, event: RuntimeEvent, log: (text: string) => void): void {
  switch (event.type) {
    case "built":
      log(
        `built: ${event.executors} executor${event.executors === 1 ? "" : "s"} (${event.mode}), ${event.channels} channel${event.channels === 1 ? "" : "s"}`,
      );
      break;
    case "started":
      log("started");
      break;
    case "log":
      if (event.level === "warn" || event.level === "error") io.stderr(`[${event.node}] ${event.level}: ${event.message}\n`);
      else io.stdout(`[${event.node}] ${event.message}\n`);
      break;
    case "warning":
      log(`warning${event.code ? ` ${event.code}` : ""}: ${event.message}`);
      break;
    case "nodeFailed": {
      const stack = event.error.stack ? `\n${indent(event.error.stack)}` : "";
      log(`node '${event.node}' failed${event.error.code ? ` (${event.error.code})` : ""}: ${event.error.message}${stack}`);
      break;
    }
    case "stopping":
      log(`stopping: ${event.detail}`);
      break;
    case "stopped": {
      const r = event.result;
      const counts = new Map<string, number>();
      for (const n of r.nodes) counts.set(n.status, (counts.get(n.status) ?? 0) + 1);
      const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(", ");
      log(
        `stopped: ${r.status} after ${(r.durationMs / 1000).toFixed(2)} s (${r.reason}); nodes: ${summary}; ${event.clean ? "every executor ended cleanly" : "some executors had to be killed"}`,
      );
      break;
    }
    default:
      break;
  }
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}
