import { createDiagnostic, type Diagnostic } from "@flowc/ir";

/** `--duration <seconds>` in ms: a positive number. */
export function parseDuration(text: string | undefined): number | undefined | Diagnostic {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || text.trim() === "") {
    return createDiagnostic("UsageError", { detail: `--duration takes a positive number of seconds, got '${text}'.` });
  }
  return seconds * 1000;
}

/** `--grace <seconds>` in ms: zero or more. */
export function parseGrace(text: string | undefined): number | undefined | Diagnostic {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0 || text.trim() === "")
    return createDiagnostic("UsageError", { detail: `--grace takes a number of seconds (0 or more), got '${text}'.` });
  return seconds * 1000;
}
