import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunResult } from "@flowc/runtime";
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
