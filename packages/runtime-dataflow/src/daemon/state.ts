import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { emptyReport, processAlive, type RunResult, shmDirFor } from "@flowc/runtime";
import type { DataflowStatus, ProcessInfo } from "./dataflow.js";
import { readLog } from "./logs.js";

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

/** A dataflow as the state directory records it. */
export interface Recorded {
  readonly info: DataflowInfo;
  readonly record: ResultRecord | undefined;
}

/** Writes JSON so a reader never sees half of it: a temporary file, then a rename. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const temp = `${path}.partial`;
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/**
 * The daemon's state directory, the one owner of its layout: `<root>/<id>/dataflow.json` (what
 * was started), `<id>/result.json` (how it ended), `<id>/logs/<node>.log` (rotated node
 * logs), and how a dataflow is found by reference (id, unique id prefix, or name). The daemon
 * and the CLI (reading logs without a daemon) both go through it.
 */
export class StateStore {
  constructor(readonly root: string) {}

  dirOf(id: string): string {
    return join(this.root, id);
  }

  /** A node's log file (node ids are sanitized into file names). */
  logFile(id: string, node: string): string {
    return join(this.root, id, "logs", `${node.replace(/[^A-Za-z0-9_.-]/g, "_")}.log`);
  }

  writeInfo(info: DataflowInfo): void {
    writeJsonAtomic(join(this.root, info.id, "dataflow.json"), info);
  }

  writeResult(record: ResultRecord): void {
    writeJsonAtomic(join(this.root, record.id, "result.json"), record);
  }

  /** Every recorded dataflow, newest first (UUIDv7 ids sort by time). */
  list(): Recorded[] {
    if (!existsSync(this.root)) return [];
    const out: Recorded[] = [];
    for (const entry of readdirSync(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const info = readJson<DataflowInfo>(join(this.root, entry.name, "dataflow.json"));
      if (info) out.push({ info, record: readJson<ResultRecord>(join(this.root, entry.name, "result.json")) });
    }
    return out.sort((a, b) => (a.info.id < b.info.id ? 1 : -1));
  }

  /** A recorded dataflow by id, name (the newest with it) or a unique id prefix of 4 characters or more. */
  find(ref: string): Recorded | undefined {
    const all = this.list();
    const exact = all.find((d) => d.info.id === ref) ?? all.find((d) => d.info.name === ref);
    if (exact) return exact;
    const prefixed = ref.length >= 4 ? all.filter((d) => d.info.id.startsWith(ref)) : [];
    return prefixed.length === 1 ? prefixed[0] : undefined;
  }

  /** The logs of one node, or of every node with each line prefixed by `[node] `. */
  readLogs(info: DataflowInfo, node?: string): string {
    if (node !== undefined) return readLog(this.logFile(info.id, node));
    return info.nodes.map((n) => prefixLines(readLog(this.logFile(info.id, n)), n)).join("");
  }

  /**
   * Dataflows whose owner died before they ended (a dataflow.json without a result.json, and no
   * live owner process): their node processes died with it (orphan protection), so record them
   * as failed and free the shared memory they may have left in /dev/shm. Run when a daemon or an
   * embedded run starts. Returns their ids.
   */
  recoverLost(): string[] {
    const lost: string[] = [];
    for (const { info, record } of this.list()) {
      if (record) continue;
      // Records from before owners were written have no pid: their owner is gone by now.
      if (info.ownerPid === process.pid || (info.ownerPid !== undefined && processAlive(info.ownerPid))) continue;
      rmSync(shmDirFor(info.id, this.dirOf(info.id)), { recursive: true, force: true });
      const cause = `the process that ran it (pid ${info.ownerPid ?? "?"}) died before it ended`;
      this.writeResult({
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
          logicalDurationMs: null,
          peakMemoryBytes: 0,
        },
        processes: {},
      });
      lost.push(info.id);
    }
    return lost;
  }
}

function prefixLines(text: string, node: string): string {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => `[${node}] ${l}\n`)
    .join("");
}
