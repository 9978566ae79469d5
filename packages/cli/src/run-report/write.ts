import { createDiagnostic, type Diagnostic } from "@flowc/ir";
import { openOutputFile } from "../files.js";
import type { RunReport } from "./collect.js";
import { renderRunReportHtml } from "./html.js";

/** An opened `--report` file: written once the run ended, whatever its outcome. */
export interface ReportTarget {
  readonly path: string;
  readonly kind: "html" | "json";
  /** Writes the report and puts the file in place; the reason when it could not. */
  write(report: RunReport): Promise<{ readonly error: string } | undefined>;
  /** Nothing ran: the path is left as it was. */
  discard(): void;
}

/**
 * Opens the `--report` file before anything runs, so a path that cannot be written, or a name
 * that is neither .html nor .json, is an error before the flow is compiled (FLC4014, FLC4006).
 */
export function openReport(cwd: string, path: string): ReportTarget | { readonly diagnostic: Diagnostic } {
  const lower = path.toLowerCase();
  const kind = lower.endsWith(".html") || lower.endsWith(".htm") ? "html" : lower.endsWith(".json") ? "json" : undefined;
  if (!kind) return { diagnostic: createDiagnostic("ReportKindUnknown", { path }) };
  const file = openOutputFile(cwd, path);
  if ("diagnostic" in file) return file;
  return {
    path,
    kind,
    async write(report) {
      try {
        file.write(kind === "json" ? `${JSON.stringify(report, null, 1)}\n` : await renderRunReportHtml(report));
      } catch (error) {
        file.discard();
        return { error: (error as Error).message };
      }
      return file.close();
    },
    discard: () => file.discard(),
  };
}
