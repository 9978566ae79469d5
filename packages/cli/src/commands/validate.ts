import { readIrFile } from "../files.js";
import { type CliIo, ExitCode, plural } from "../io.js";
import { report } from "../report.js";

export function validateCommand(io: CliIo, file: string, options: { json?: boolean }): ExitCode {
  const read = readIrFile(io.cwd, file);
  if (!read.ok) return report(io, read.diagnostics, { json: options.json === true, sources: read.sources });
  if (options.json) return report(io, read.warnings, { json: true });
  report(io, read.warnings);
  io.stdout(
    `${read.file}: valid IR '${read.ir.name}' (${plural(read.ir.nodes.length, "node")}, ${plural(read.ir.channels.length, "channel")})\n`,
  );
  return ExitCode.Ok;
}
