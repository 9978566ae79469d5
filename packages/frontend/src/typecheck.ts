import { createDiagnostic, type Diagnostic } from "@flowc/ir";
import { type Project, ts } from "ts-morph";
import { relativePath, type Where } from "./located.js";

/**
 * TypeScript's own errors for the flow file and every module it reaches that is the user's
 * (not a declaration file, not under node_modules): what `tsc --noEmit` with the project's
 * tsconfig.json reports for them, from the program the compiler already built. Each keeps
 * TypeScript's code (`TS2322`) under the catalogue's TypeScriptError.
 */
export function typeDiagnostics(project: Project, where: Where): Diagnostic[] {
  const program = project.getProgram().compilerObject;
  const out: Diagnostic[] = [];
  const add = (d: ts.Diagnostic) => {
    if (d.category !== ts.DiagnosticCategory.Error) return;
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n  ");
    let location = {};
    if (d.file && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      location = {
        file: relativePath(where.displayRoot, d.file.fileName),
        line: line + 1,
        column: character + 1,
        ...(d.length !== undefined ? { length: d.length } : {}),
      };
    }
    out.push({ ...createDiagnostic("TypeScriptError", { detail: message }, location), code: `TS${d.code}` });
  };
  for (const d of program.getOptionsDiagnostics()) add(d);
  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile || file.fileName.includes("/node_modules/")) continue;
    for (const d of program.getSemanticDiagnostics(file)) add(d);
  }
  return out;
}
