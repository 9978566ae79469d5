import { relative } from "node:path";
import { initProject } from "../init.js";
import { type CliIo, ExitCode } from "../io.js";
import { report } from "../report.js";

export function initCommand(io: CliIo, dir: string | undefined, options: { name?: string; json?: boolean }): ExitCode {
  const result = initProject(dir ?? ".", { cwd: io.cwd, ...(options.name !== undefined ? { name: options.name } : {}) });
  if (!result.ok) return report(io, result.diagnostics, { json: options.json === true });
  const near = relative(io.cwd, result.dir);
  const shown = near === "" ? "." : near.startsWith("..") ? result.dir : near;
  if (options.json) {
    io.stdout(
      `${JSON.stringify({ ok: true, dir: result.dir, created: result.created, updated: result.updated, diagnostics: [] }, null, 2)}\n`,
    );
    return ExitCode.Ok;
  }
  const lines = [
    `flowc: created a flow project in ${shown}`,
    ...result.created.map((file) => `  + ${file}`),
    ...result.updated.map((file) => `  ~ ${file} (scripts and dependencies added)`),
    "next:",
    ...(shown === "." ? [] : [`  cd ${shown}`]),
    "  npm install        # or pnpm install",
    "  npm run check      # type-check and validate src/main.flow.ts",
    "  npm run run        # run the flow: total 2 … total 30",
    "  npm test           # the flow's tests (vitest + testFlow)",
  ];
  io.stdout(`${lines.join("\n")}\n`);
  return ExitCode.Ok;
}
