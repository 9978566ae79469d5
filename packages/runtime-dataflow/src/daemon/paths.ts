import { chmodSync, mkdirSync, readFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { type RunEnv, RuntimeError } from "@flowc/runtime";

/**
 * Where a daemon lives. `FLOWC_HOME` puts everything under one directory (tests, several
 * daemons side by side); otherwise the control socket is in `$XDG_RUNTIME_DIR/flowc/`
 * (fallback `~/.flowc/`) and the state — per-dataflow logs and result records that outlive
 * the dataflows — in `$XDG_STATE_HOME/flowc/` (fallback `~/.flowc/state/`).
 */
export interface DaemonPaths {
  /** Directory of the socket, token, pid file and the daemon's own log (mode 0700). */
  readonly runtimeDir: string;
  readonly socket: string;
  /** A random secret only the owner can read; clients present it (see client.ts). */
  readonly token: string;
  readonly pidFile: string;
  readonly daemonLog: string;
  /** Per-dataflow directories: `<id>/dataflow.json`, `<id>/result.json`, `<id>/logs/<node>.log`. */
  readonly stateDir: string;
}

export function daemonPaths(env: RunEnv): DaemonPaths {
  let runtimeDir: string;
  let stateDir: string;
  if (env.FLOWC_HOME) {
    runtimeDir = join(env.FLOWC_HOME, "run");
    stateDir = join(env.FLOWC_HOME, "state");
  } else {
    runtimeDir = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "flowc") : join(homedir(), ".flowc");
    stateDir = env.XDG_STATE_HOME ? join(env.XDG_STATE_HOME, "flowc") : join(homedir(), ".flowc", "state");
  }
  return {
    runtimeDir,
    socket: join(runtimeDir, "daemon.sock"),
    token: join(runtimeDir, "daemon.token"),
    pidFile: join(runtimeDir, "daemon.pid"),
    daemonLog: join(runtimeDir, "daemon.log"),
    stateDir,
  };
}

/** Creates the runtime and state directories, private to the user; FLC4006 when that is impossible. */
export function ensureDirs(paths: DaemonPaths): void {
  for (const dir of [paths.runtimeDir, paths.stateDir]) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const detail =
        code === "ENOTDIR" || code === "EEXIST"
          ? "a part of the path is a file, not a directory"
          : code === "EACCES" || code === "EPERM"
            ? "permission denied"
            : (error as Error).message;
      throw RuntimeError.of("FileUnwritable", { path: dir, detail: `${detail} (the daemon's directory; FLOWC_HOME sets where it is)` });
    }
  }
}

/** The daemon's machine id: explicit, FLOWC_MACHINE_ID, or the host name. */
export function machineId(explicit: string | undefined, env: RunEnv): string {
  return explicit ?? env.FLOWC_MACHINE_ID ?? (hostname() || "local");
}

export function readPid(paths: DaemonPaths): number | undefined {
  try {
    const pid = Number(readFileSync(paths.pidFile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
