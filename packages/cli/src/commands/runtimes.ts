import { loadConfig, type RuntimeDescription, resolveRuntime, sharedMemoryInfo } from "@flowc/runtime";
import { type CliIo, ExitCode } from "../io.js";
import { report } from "../report.js";
import { defaultRegistry } from "../runtimes.js";

/** `flowc runtimes`: the built-in runtimes and those the config loads from modules. */
export async function runtimesCommand(io: CliIo, options: { json?: boolean; config?: string }): Promise<number> {
  const configResult = loadConfig(io.cwd, options.config);
  if (!configResult.ok) return report(io, configResult.diagnostics, { json: options.json === true });
  const { config, path } = configResult;
  const registry = defaultRegistry();
  const problems = [];
  for (const [name, entry] of Object.entries(config.runtimes)) {
    if (typeof (entry as { module?: unknown }).module !== "string" || registry.get(name)) continue;
    const resolved = await resolveRuntime(registry, name, config, path, io.cwd);
    if (!resolved.ok) problems.push(...resolved.diagnostics);
  }
  const runtimes: RuntimeDescription[] = registry.list().map((r) => r.describe());
  const selected = io.env.FLOWC_RUNTIME || config.runtime || "mp";
  // Large payloads between processes (mp process, dataflow): mapped slots, or tmpfs files.
  const sharedMemory = sharedMemoryInfo();
  if (options.json) {
    const diagnostics = problems.map((d) => ({ code: d.code, message: d.message }));
    io.stdout(`${JSON.stringify({ default: selected, runtimes, sharedMemory, diagnostics }, null, 2)}\n`);
    return problems.length > 0 ? ExitCode.Usage : ExitCode.Ok;
  }
  report(io, problems);
  for (const r of runtimes) {
    io.stdout(`${r.name === selected ? "*" : " "} ${r.name.padEnd(10)} ${r.description}\n`);
    if (r.modes.length > 0) io.stdout(`  ${"".padEnd(10)} modes: ${r.modes.join(", ")}\n`);
  }
  io.stdout(`\nlarge payloads between processes: ${sharedMemory.detail}\n`);
  io.stdout(`\n* = used by \`flowc run\` here (flag > FLOWC_RUNTIME > flowc.config.json > mp)\n`);
  return problems.length > 0 ? ExitCode.Usage : ExitCode.Ok;
}
