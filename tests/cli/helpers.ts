import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { type CliIo, main } from "@flowc/cli";

export const root = join(import.meta.dirname, "../..");
export const bin = join(root, "packages/cli/bin/flowc.mjs");

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs flowc in-process with captured output. */
export async function flowc(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    cwd: options.cwd ?? root,
    env: { ...options.env },
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** Runs the built flowc executable in a child process (killed after `timeout` ms, 30 s unless given). */
export function flowcProcess(args: string[], options: { cwd?: string; env?: Record<string, string>; timeout?: number } = {}): Run {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? root,
    encoding: "utf8",
    timeout: options.timeout ?? 30_000,
    killSignal: "SIGKILL",
    env: { ...process.env, NO_COLOR: "1", ...options.env },
  });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
