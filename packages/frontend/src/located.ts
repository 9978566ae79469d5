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
  const { line, column } = lineColumn(node);
  const text = file.getFullText();
  const lineEnd = text.indexOf("\n", start);
  const length = Math.max(1, Math.min(node.getWidth(), (lineEnd === -1 ? text.length : lineEnd) - start));
  return createDiagnostic(name, args, { file: relativePath(where.displayRoot, file.getFilePath()), line, column, length });
}

/**
 * 1-based line and column of a node's start, from TypeScript's line table (a binary search;
 * ts-morph's `getLineAndColumnAtPos` rescans the text from its start on every call, which is
 * quadratic over a flow with thousands of `add()` calls).
 */
export function lineColumn(node: Node): { line: number; column: number } {
  const { line, character } = node.getSourceFile().compilerNode.getLineAndCharacterOfPosition(node.getStart());
  return { line: line + 1, column: character + 1 };
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
