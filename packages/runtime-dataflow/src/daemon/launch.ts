import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { entryUrl, RuntimeError } from "@flowc/runtime";
import { DaemonClient } from "../client.js";
import { type NatsSettings, settingsEnv } from "../cluster/settings.js";
import { type DaemonPaths, ensureDirs } from "./paths.js";
import type { DaemonStatus } from "./protocol.js";

const daemonEntry = entryUrl(import.meta.url, { source: "../../dist/daemon/main.js", dist: "./main.js", packed: "daemon.js" });

/**
 * Starts the daemon as a detached background process (its output goes to daemon.log in the
 * runtime directory) and waits until it answers. Returns its status, and whether it was
 * already running.
 */
export async function launchDaemon(
  paths: DaemonPaths,
  options: {
    machine?: string | undefined;
    metrics?: string | undefined;
    /** The NATS cluster to join: handed over in the environment, so no secret shows in `ps`. */
    nats?: NatsSettings | undefined;
    version?: string | undefined;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
  } = {},
): Promise<{ status: DaemonStatus; already: boolean }> {
  const running = await DaemonClient.connectIfRunning(paths);
  if (running) {
    const status = await running.request<DaemonStatus>({ op: "status" });
    running.close();
    return { status, already: true };
  }
  ensureDirs(paths);
  const log = openSync(paths.daemonLog, "a", 0o600);
  const args = [
    daemonEntry.pathname,
    ...(options.machine ? ["--machine-id", options.machine] : []),
    ...(options.metrics ? ["--metrics", options.metrics] : []),
  ];
  const env = {
    ...(options.env ?? process.env),
    ...(options.nats ? settingsEnv(options.nats) : {}),
    ...(options.version ? { FLOWC_DAEMON_VERSION: options.version } : {}),
  };
  const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", log, log], env });
  closeSync(log);
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = signal ? `it was killed by ${signal}` : `it exited with code ${code}`;
  });
  child.unref();
  const limit = performance.now() + (options.timeoutMs ?? 10_000);
  while (performance.now() < limit) {
    if (exited) throw RuntimeError.of("DaemonStartFailed", { detail: `${exited}${lastLine(paths.daemonLog)}; see ${paths.daemonLog}` });
    const client = await DaemonClient.connectIfRunning(paths, 1000).catch(() => undefined);
    if (client) {
      const status = await client.request<DaemonStatus>({ op: "status" });
      client.close();
      return { status, already: false };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw RuntimeError.of("DaemonStartFailed", {
    detail: `it did not answer within ${(options.timeoutMs ?? 10_000) / 1000} s; see ${paths.daemonLog}`,
  });
}

/** The daemon's last words (its log's last line), to say why it did not start. */
function lastLine(log: string): string {
  try {
    const line = readFileSync(log, "utf8").trimEnd().split("\n").at(-1)?.trim();
    return line ? ` (${line.slice(0, 300)})` : "";
  } catch {
    return "";
  }
}
