import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { emptyReport, type RunResult } from "@flowc/runtime";
import { shmDirFor } from "../node/shm.js";
import type { DataflowStatus, ProcessInfo } from "./dataflow.js";

/** `<state>/<id>/dataflow.json`: what was started, written when it starts. */
export interface DataflowInfo {
  readonly id: string;
  readonly name: string | null;
  readonly flow: string;
  readonly machine: string;
  readonly nodes: readonly string[];
  readonly baseDir: string;
  readonly createdAt: string;
  /** The process that owns it (a daemon, or `flowc run` with an embedded one). */
  readonly ownerPid: number;
}

/** `<state>/<id>/result.json`: how it ended — it outlives the dataflow and the daemon. */
export interface ResultRecord extends DataflowInfo {
  readonly status: DataflowStatus;
  readonly endedAt: string;
  readonly result: RunResult;
  readonly processes: Readonly<Record<string, ProcessInfo>>;
}

/** Writes JSON so a reader never sees half of it: a temporary file, then a rename. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const temp = `${path}.partial`;
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Dataflows recorded in the state directory (newest first: UUIDv7 ids sort by time). */
export function recordedDataflows(stateDir: string): { info: DataflowInfo; record: ResultRecord | undefined }[] {
  if (!existsSync(stateDir)) return [];
  const out: { info: DataflowInfo; record: ResultRecord | undefined }[] = [];
  for (const entry of readdirSync(stateDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const info = readJson<DataflowInfo>(join(stateDir, entry.name, "dataflow.json"));
    if (info) out.push({ info, record: readJson<ResultRecord>(join(stateDir, entry.name, "result.json")) });
  }
  return out.sort((a, b) => (a.info.id < b.info.id ? 1 : -1));
}

/** Whether `pid` runs. A zombie (exited, not yet reaped by whoever adopted it) does not. */
function alive(pid: number): boolean {
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

/**
 * Dataflows whose owner died before they ended (a dataflow.json without a result.json, and no
 * live owner process): their node processes died with it (orphan protection), so record them
 * as failed and free the shared memory they may have left in /dev/shm. Run when a daemon or an
 * embedded run starts. Returns their ids.
 */
export function recoverLostDataflows(stateDir: string): string[] {
  const lost: string[] = [];
  for (const { info, record } of recordedDataflows(stateDir)) {
    if (record) continue;
    // Records from before owners were written have no pid: their owner is gone by now.
    if (info.ownerPid === process.pid || (info.ownerPid !== undefined && alive(info.ownerPid))) continue;
    rmSync(shmDirFor(info.id, join(stateDir, info.id)), { recursive: true, force: true });
    const cause = `the process that ran it (pid ${info.ownerPid ?? "?"}) died before it ended`;
    const lostRecord: ResultRecord = {
      ...info,
      status: "failed",
      endedAt: new Date().toISOString(),
      result: {
        flow: info.flow,
        runtime: "dataflow",
        status: "failed",
        reason: "failure",
        nodes: info.nodes.map((id) => ({ ...emptyReport(id, "STOPPED", null), cause })),
        durationMs: 0,
        peakMemoryBytes: 0,
      },
      processes: {},
    };
    writeJsonAtomic(join(stateDir, info.id, "result.json"), lostRecord);
    lost.push(info.id);
  }
  return lost;
}
