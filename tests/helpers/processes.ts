import { execFileSync } from "node:child_process";

/** Child processes of this process whose command line matches `pattern` (Linux: reads ps). */
export function childProcesses(pattern: RegExp): string[] {
  const out = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], { encoding: "utf8" }).trim();
  return out.split("\n").filter((line) => line.trim() !== "" && pattern.test(line));
}

/** Stops esbuild's service process (started by bundling) and checks that it is gone. */
export async function stopEsbuild(): Promise<string[]> {
  const { stop } = await import("esbuild");
  await stop();
  for (let i = 0; i < 50 && childProcesses(/esbuild/).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return childProcesses(/esbuild/);
}
