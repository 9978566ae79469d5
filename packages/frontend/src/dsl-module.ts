import { type Project, type SourceFile, ts } from "ts-morph";
import { findProjectRoot } from "./project-root.js";

/** The import specifier flows and node modules use for the authoring API. */
export const DSL_SPECIFIER = "@flowc/dsl";

/**
 * The source files that make up `@flowc/dsl` in one program, known by module identity rather
 * than by where they sit on disk: the modules that the specifier `@flowc/dsl` resolves to —
 * from every file in the program that imports or re-exports it, and from the entry itself —
 * plus the files those modules reach through relative imports and re-exports inside their
 * package. That covers the workspace sources (`packages/dsl/src/*.ts`, through the `types` or
 * `flowc-source` condition) and an installed package's declaration files alike, while a user
 * folder that happens to be called `packages/dsl` (or anything else) is user code.
 */
export class DslModule {
  readonly #files = new Set<string>();

  /** `entry` is the flow file; the DSL is also resolved from there, as the flow would import it. */
  constructor(project: Project, entry?: string) {
    const program = project.getProgram().compilerObject;
    for (const compiled of program.getSourceFiles()) {
      // A file can only import the specifier if its text contains it; the rest are skipped unread.
      if (!compiled.text.includes(DSL_SPECIFIER)) continue;
      const file = project.getSourceFile(compiled.fileName);
      if (!file) continue;
      for (const declaration of [...file.getImportDeclarations(), ...file.getExportDeclarations()]) {
        const specifier = declaration.getModuleSpecifierValue();
        if (specifier !== DSL_SPECIFIER && !specifier?.startsWith(`${DSL_SPECIFIER}/`)) continue;
        const target = declaration.getModuleSpecifierSourceFile();
        if (target) this.#addModule(target);
      }
    }
    if (entry !== undefined) {
      const resolved = ts.resolveModuleName(
        DSL_SPECIFIER,
        entry,
        project.getCompilerOptions(),
        project.getModuleResolutionHost(),
        undefined,
        undefined,
        ts.ModuleKind.ESNext,
      ).resolvedModule;
      const target = resolved ? project.getSourceFile(resolved.resolvedFileName) : undefined;
      if (target) this.#addModule(target);
    }
  }

  /** Whether `file` is part of @flowc/dsl. */
  has(file: SourceFile): boolean {
    return this.#files.has(file.getFilePath());
  }

  /** The entry module and every file it reaches by relative imports without leaving its package. */
  #addModule(entry: SourceFile): void {
    if (this.#files.has(entry.getFilePath())) return;
    const root = findProjectRoot(entry.getFilePath());
    const inside = root.endsWith("/") ? root : `${root}/`;
    const pending = [entry];
    while (pending.length > 0) {
      const file = pending.pop() as SourceFile;
      const path = file.getFilePath();
      if (this.#files.has(path) || !path.startsWith(inside)) continue;
      this.#files.add(path);
      for (const declaration of [...file.getImportDeclarations(), ...file.getExportDeclarations()]) {
        if (!declaration.getModuleSpecifierValue()?.startsWith(".")) continue;
        const target = declaration.getModuleSpecifierSourceFile();
        if (target) pending.push(target);
      }
    }
  }
}
