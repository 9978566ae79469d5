import { createDiagnostic, type Diagnostic, type DiagnosticArgs, type DiagnosticName } from "@flowc/ir";
import type { Node } from "ts-morph";

/** Where diagnostics print file names from: paths are shown relative to this directory. */
export interface Where {
  readonly displayRoot: string;
}

/** A diagnostic at a syntax node: file relative to the display root, 1-based line and column, underline length. */
export function diagnosticAt<N extends DiagnosticName>(where: Where, node: Node, name: N, args: DiagnosticArgs<N>): Diagnostic {
  const file = node.getSourceFile();
  const start = node.getStart();
  const { line, column } = file.getLineAndColumnAtPos(start);
  const text = file.getFullText();
  const lineEnd = text.indexOf("\n", start);
  const length = Math.max(1, Math.min(node.getWidth(), (lineEnd === -1 ? text.length : lineEnd) - start));
  return createDiagnostic(name, args, { file: relativePath(where.displayRoot, file.getFilePath()), line, column, length });
}

export function relativePath(root: string, path: string): string {
  const r = root.endsWith("/") ? root : `${root}/`;
  return path.startsWith(r) ? path.slice(r.length) : path;
}

/** Internal control flow of the evaluator: a diagnostic that aborts the current evaluation. */
export class Abort extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}
