import { type Diagnostic, diagnosticsToJson } from "@flowc/ir";
import { type CliIo, ExitCode, plural } from "../io.js";
import { readFlow } from "../load.js";
import { exitCodeFor, report } from "../report.js";

/**
 * Checks IR files and Dora-dialect descriptors, each on its own: every problem of every file
 * is reported, and the exit code is the worst of them (2 for a file that cannot be read or is
 * of an unknown kind, 1 for an invalid one, 0 when all are valid).
 */
export function validateCommand(io: CliIo, files: readonly string[], options: { json?: boolean }): ExitCode {
  const results: { file: string; ok: boolean; name?: string; diagnostics: readonly Diagnostic[] }[] = [];
  let worst: ExitCode = ExitCode.Ok;
  for (const file of files) {
    const read = readFlow(io, file, ["ir", "descriptor"], { typecheck: false });
    const diagnostics = read.ok ? read.warnings : read.diagnostics;
    const code = exitCodeFor(diagnostics);
    worst = Math.max(worst, code) as ExitCode;
    results.push({ file: read.ok ? read.file : file, ok: read.ok, ...(read.ok && { name: read.ir.name }), diagnostics });
    if (options.json) continue;
    report(io, diagnostics, { sources: read.sources });
    if (read.ok) {
      const what = read.kind === "descriptor" ? "valid dataflow" : "valid IR";
      io.stdout(
        `${read.file}: ${what} '${read.ir.name}' (${plural(read.ir.nodes.length, "node")}, ${plural(read.ir.channels.length, "channel")})\n`,
      );
    }
  }
  if (!options.json) return worst;
  // One file: the shape `validate` always printed; several: one entry per file besides.
  const all = results.flatMap((r) => r.diagnostics);
  const document =
    files.length === 1
      ? { ok: worst === ExitCode.Ok, diagnostics: diagnosticsToJson(all) }
      : {
          ok: worst === ExitCode.Ok,
          diagnostics: diagnosticsToJson(all),
          files: results.map((r) => ({
            file: r.file,
            ok: r.ok,
            ...(r.name !== undefined && { name: r.name }),
            diagnostics: diagnosticsToJson(r.diagnostics),
          })),
        };
  io.stdout(`${JSON.stringify(document, null, 2)}\n`);
  return worst;
}
