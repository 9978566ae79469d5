import { readFileSync } from "node:fs";
import { type Diagnostic, type DiagnosticName, diagnosticsToJson, formatDiagnostics } from "@flowc/ir";
import { type CliIo, ExitCode, useColor } from "./io.js";

export interface ReportOptions {
  readonly json?: boolean;
  /** Source texts already in memory, by the file name used in the diagnostics. */
  readonly sources?: ReadonlyMap<string, string> | undefined;
}

/**
 * Prints diagnostics: tsc-shaped text with code frames on stderr, or with `json` a JSON
 * document `{ diagnostics: [...] }` on stdout. Returns the exit code they imply.
 */
export function report(io: CliIo, diagnostics: readonly Diagnostic[], options: ReportOptions = {}): ExitCode {
  const code = exitCodeFor(diagnostics);
  if (options.json) {
    io.stdout(`${JSON.stringify({ ok: code === ExitCode.Ok, diagnostics: diagnosticsToJson(diagnostics) }, null, 2)}\n`);
    return code;
  }
  if (diagnostics.length === 0) return code;
  const sourceText = (file: string) => {
    const known = options.sources?.get(file);
    if (known !== undefined) return known;
    try {
      return readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
  };
  io.stderr(formatDiagnostics(diagnostics, { color: useColor(io), sourceText }));
  return code;
}

/**
 * Errors about how flowc was called or where it runs, not about the flow: exit 2 (docs/cli.md)
 * from every command alike — usage, configuration and files (FLC4xxx), choosing and
 * configuring a runtime, and reaching the daemon.
 */
const ENVIRONMENT: ReadonlySet<DiagnosticName> = new Set<DiagnosticName>([
  "UnknownRuntime",
  "RuntimeLoadFailed",
  "RuntimeOptionsInvalid",
  "RuntimeUnsupported",
  "DaemonNotRunning",
  "DaemonSocketForeign",
  "DaemonRefused",
  "UnknownDataflow",
  "DaemonUnreachable",
  "PlacementUnavailable",
  "DataflowNameTaken",
  "DaemonStartFailed",
  "DataflowNameInvalid",
]);

/** Environment errors (FLC4xxx and the list above) → 2; any other error → 1; warnings only → 0. */
export function exitCodeFor(diagnostics: readonly Diagnostic[]): ExitCode {
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.some((d) => d.code.startsWith("FLC4") || ENVIRONMENT.has(d.name))) return ExitCode.Usage;
  return errors.length > 0 ? ExitCode.Invalid : ExitCode.Ok;
}
