import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Diagnostic, JsonSchema } from "@flowc/ir";
import { Node, ts } from "ts-morph";
import { createProject, nodeDefinitionEvaluator } from "./compile.js";
import { describeValue, NodeDefValue } from "./evaluate.js";
import { Abort, type Where } from "./located.js";
import { findProjectRoot } from "./project-root.js";
import { typeDiagnostics } from "./typecheck.js";

/** What a `node()` definition declares, as a descriptor's node needs it in the IR. */
export interface NodeDefinitionFacts {
  /** The type name (`node("Type", …)`). */
  readonly type: string;
  /** Input ports in declaration order: schema, and whether it receives lists (`many(…)`). */
  readonly inputs: ReadonlyMap<string, { readonly schema: JsonSchema; readonly list: boolean }>;
  readonly outputs: ReadonlyMap<string, { readonly schema: JsonSchema }>;
  /** Has `state`: keeps state between steps. */
  readonly stateful: boolean;
  /** Has a `source` generator. */
  readonly generator: boolean;
}

/** A definition, or why the export is none (a sentence fragment: "it exports no 'X'"). */
export type NodeDefinitionLookup = { readonly facts: NodeDefinitionFacts } | { readonly problem: string };

export interface DescribeNodesResult {
  /** By the module's absolute path, then by export name. Modules that are not TypeScript are absent. */
  readonly definitions: ReadonlyMap<string, ReadonlyMap<string, NodeDefinitionLookup>>;
  /**
   * Warnings about the definitions (schemas read from types: FLC2023, FLC2014), at their
   * TypeScript lines; with `typecheck`, also TypeScript's errors (TypeScriptError, `TS2322`, …).
   */
  readonly diagnostics: readonly Diagnostic[];
}

/** Modules whose definitions can be read statically: TypeScript (JavaScript carries no port types). */
const TYPESCRIPT_MODULE = /\.(m|c)?tsx?$/;

/**
 * Reads the node definitions that modules export, without running them: the same static reading
 * `compile` does for a flow's nodes (one ts-morph program for all modules, the partial
 * evaluator, zod expressions to JSON Schema). For the node modules a hand-written Dora
 * descriptor names: their ports, schemas and state reach the IR, and ports the descriptor
 * names but the definition lacks can be refused at the descriptor's lines.
 */
export function describeNodeModules(options: {
  readonly modules: readonly { readonly file: string; readonly exports: readonly string[] }[];
  /** Diagnostics show paths relative to this directory (default: the process cwd). */
  readonly displayRoot?: string;
  /**
   * Also TypeScript's own errors (TS2322, …) in these modules and the user's modules they import,
   * as `compile` reports them for a flow file (errors in `diagnostics`). Default false.
   */
  readonly typecheck?: boolean;
}): DescribeNodesResult {
  const definitions = new Map<string, Map<string, NodeDefinitionLookup>>();
  const diagnostics: Diagnostic[] = [];
  const everyExport = (file: string, exports: readonly string[], problem: string) =>
    definitions.set(file, new Map(exports.map((name) => [name, { problem }])));
  const readable = options.modules.filter(({ file, exports }) => {
    if (!TYPESCRIPT_MODULE.test(file)) return false;
    if (!existsSync(file)) everyExport(file, exports, "the file does not exist");
    else if (!statSync(file).isFile()) everyExport(file, exports, "it is not a regular file");
    else return true;
    return false;
  });
  const first = readable[0];
  if (!first) return { definitions, diagnostics };
  const where: Where = { displayRoot: options.displayRoot ?? process.cwd() };
  try {
    const { project } = createProject(resolve(first.file), findProjectRoot(resolve(first.file)));
    for (const { file } of readable.slice(1)) project.addSourceFileAtPathIfExists(resolve(file));
    project.resolveSourceFileDependencies();
    const evaluator = nodeDefinitionEvaluator(project, resolve(first.file), where, (d) => diagnostics.push(d));
    const program = project.getProgram().compilerObject;
    let unreadable = false;
    for (const { file, exports } of readable) {
      const source = project.getSourceFile(resolve(file));
      if (!source) {
        everyExport(file, exports, "it cannot be read as TypeScript");
        continue;
      }
      const syntax = program.getSyntacticDiagnostics(source.compilerNode)[0];
      if (syntax) {
        unreadable = true;
        const line = syntax.start === undefined ? undefined : source.compilerNode.getLineAndCharacterOfPosition(syntax.start).line + 1;
        everyExport(
          file,
          exports,
          `it has a syntax error${line ? ` on line ${line}` : ""}: ${ts.flattenDiagnosticMessageText(syntax.messageText, " ")}`,
        );
        continue;
      }
      // As for a flow file (FLC2021): an import that does not resolve leaves its names unknown.
      const missing = [...source.getImportDeclarations(), ...source.getExportDeclarations()].find((declaration) => {
        const specifier = declaration.getModuleSpecifierValue();
        return specifier !== undefined && !specifier.startsWith("node:") && !declaration.getModuleSpecifierSourceFile();
      });
      if (missing) {
        unreadable = true;
        everyExport(
          file,
          exports,
          `its import '${missing.getModuleSpecifierValue()}' cannot be found (install the package, or fix the path)`,
        );
        continue;
      }
      const exported = source.getExportedDeclarations();
      const found = new Map<string, NodeDefinitionLookup>();
      for (const name of exports) {
        const declaration = exported.get(name)?.find((d) => Node.isVariableDeclaration(d));
        if (!declaration || !Node.isVariableDeclaration(declaration)) {
          const names = [...exported.keys()];
          const shown = names.length > 10 ? `${names.slice(0, 10).join(", ")}, … (${names.length} in all)` : names.join(", ") || "none";
          found.set(name, {
            problem: exported.has(name) ? "it is not a const" : `it exports no '${name}' (its exports: ${shown})`,
          });
          continue;
        }
        try {
          const value = evaluator.constant(declaration, declaration);
          if (!(value instanceof NodeDefValue)) {
            found.set(name, { problem: `it is ${describeValue(value)}` });
            continue;
          }
          const info = value.info;
          found.set(name, {
            facts: {
              type: info.type,
              inputs: new Map([...info.inputs].map(([port, p]) => [port, { schema: p.schema, list: p.list }])),
              outputs: new Map([...info.outputs].map(([port, p]) => [port, { schema: p.schema }])),
              stateful: info.stateful,
              generator: info.generator,
            },
          });
        } catch (error) {
          if (!(error instanceof Abort)) throw error;
          found.set(name, { problem: `it cannot be read statically (${error.diagnostic.message.replace(/\.$/, "")})` });
        }
      }
      definitions.set(file, found);
    }
    // A syntax error or a missing import is already the export's problem: type errors would repeat it.
    if (options.typecheck === true && !unreadable) diagnostics.push(...typeDiagnostics(project, where));
  } catch (error) {
    // Bad input never crashes the reader: what could not be read is reported per export.
    const detail = error instanceof Error ? (error.message.split("\n")[0] ?? String(error)) : String(error);
    for (const { file, exports } of readable) if (!definitions.has(file)) everyExport(file, exports, `it could not be read (${detail})`);
  }
  return { definitions, diagnostics };
}
