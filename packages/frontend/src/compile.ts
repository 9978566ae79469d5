import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { events, free, hold, hybrid, latest, rate, trigger, window } from "@flowc/dsl";
import {
  buildGraph,
  compareSchemas,
  createDiagnostic,
  cyclesThatCannotStart,
  type Diagnostic,
  type DiagnosticName,
  describeSchema,
  hasErrors,
  type Ir,
  type IrInput,
  type Json,
  loadIr,
  parseJsonPointer,
  setOwn,
  stronglyConnectedComponents,
  valueMatchesSchema,
} from "@flowc/ir";
import { type CallExpression, Node, Project, type SourceFile, ts } from "ts-morph";
import { DslModule } from "./dsl-module.js";
import {
  BuiltinValue,
  ClosureValue,
  describeValue,
  Env,
  Evaluator,
  FlowValue,
  HandleValue,
  isPlainObject,
  isStackOverflow,
  Misuse,
  NodeDefValue,
  PortValue,
  type Value,
  toJson as valueToJson,
} from "./evaluate.js";
import { flowFileStem } from "./file-names.js";
import { Abort, diagnosticAt, lineColumn, relativePath, type Where } from "./located.js";
import { type NodeDefInfo, readNodeDef, type SchemaOf } from "./nodedefs.js";
import { findProjectRoot } from "./project-root.js";
import { constInitializer, unwrap } from "./syntax.js";
import { typeDiagnostics } from "./typecheck.js";
import { typeToSchema } from "./types.js";
import { FRONTEND_VERSION } from "./version.js";
import { readZodSchema, type ZodReading } from "./zod-schema.js";

export interface CompileOptions {
  /** The flow file (`*.flow.ts`). */
  readonly entry: string;
  /** Which flow to build when the file has several: its name or export name. Default: the default export. */
  readonly flow?: string;
  /** Diagnostics show paths relative to this directory (default: the process cwd). */
  readonly displayRoot?: string;
  /** Report TypeScript's own type errors for the flow file and the modules it imports (default true). */
  readonly typecheck?: boolean;
}

/** A module that defines node definitions used by the flow, to be bundled for runtimes. */
export interface ModulePlan {
  /** What the bundle imports: the module's absolute path, or a package specifier. */
  readonly file: string;
  /** Directory the import is resolved from. */
  readonly resolveDir: string;
  /** Output path relative to the IR file, e.g. `nodes/demo/demo.flow.mjs` (`nodes/<flow>/<module>.mjs`). */
  readonly output: string;
  /** Export names the IR references. */
  readonly exports: readonly string[];
}

export interface CompileResult {
  /** The validated IR when there are no errors. */
  readonly ir?: Ir;
  readonly diagnostics: readonly Diagnostic[];
  readonly modules: readonly ModulePlan[];
  /** Directory that IR paths (`source.file`) are relative to: the nearest package.json above the entry. */
  readonly projectRoot: string;
}

interface AddedNode {
  readonly id: string;
  readonly def: NodeDefInfo;
  readonly options: { [key: string]: Value };
  readonly call: CallExpression;
}

interface Connection {
  readonly from: PortValue;
  readonly to: PortValue;
  readonly capacity: number | undefined;
  readonly onFull: string | undefined;
  readonly call: CallExpression;
}

const ADD_OPTIONS = new Set(["params", "clock", "inputs", "parallelism", "placement", "onError"]);
const CONNECT_OPTIONS = new Set(["capacity", "onFull"]);

function findTsconfig(from: string, root: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = join(dir, "tsconfig.json");
    if (existsSync(candidate)) return candidate;
    if (dir === root) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Compiler options for a flow without a tsconfig.json: strict ESM, bundler resolution. */
export const DEFAULT_COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  skipLibCheck: true,
  noEmit: true,
};

/** One ts-morph project per build, analysis only: the entry file and what it imports. */
export function createProject(entry: string, projectRoot: string): { project: Project; file: SourceFile } {
  const tsconfig = findTsconfig(dirname(entry), projectRoot);
  const project = tsconfig
    ? new Project({ tsConfigFilePath: tsconfig, skipAddingFilesFromTsConfig: true, compilerOptions: { noEmit: true, skipLibCheck: true } })
    : new Project({ compilerOptions: DEFAULT_COMPILER_OPTIONS });
  const file = project.addSourceFileAtPath(entry);
  project.resolveSourceFileDependencies();
  return { project, file };
}

/**
 * Compiles a flow file to IR v1 without running any of its code: loads it with ts-morph,
 * evaluates the flow builder statically, reads port types from the checker, checks the
 * flow, lowers it, and validates the result with `@flowc/ir`.
 */
export function compile(options: CompileOptions): CompileResult {
  try {
    return compileUnguarded(options);
  } catch (error) {
    // Bad input never crashes the compiler: an unexpected failure is still a coded diagnostic.
    const entry = resolve(options.entry);
    const detail = error instanceof Error ? (error.message.split("\n")[0] ?? String(error)) : String(error);
    const file = relativePath(options.displayRoot ?? process.cwd(), entry);
    return {
      diagnostics: [createDiagnostic("InternalCompilerError", { file, detail }, { file })],
      modules: [],
      projectRoot: findProjectRoot(entry),
    };
  }
}

function compileUnguarded(options: CompileOptions): CompileResult {
  const entry = resolve(options.entry);
  const projectRoot = findProjectRoot(entry);
  const where: Where = { displayRoot: options.displayRoot ?? process.cwd() };
  const { project, file } = createProject(entry, projectRoot);
  const result = compileFlow(project, file, options, where, entry, projectRoot);
  if (options.typecheck === false) return result;
  // A syntax error or a missing module: TypeScript's semantic errors would only repeat it.
  if (result.diagnostics.some((d) => d.name === "TypeScriptSyntax" || d.name === "ModuleNotFound")) return result;
  const typeErrors = typeDiagnostics(project, where);
  if (typeErrors.length === 0) return result;
  return { diagnostics: [...typeErrors, ...result.diagnostics], modules: [], projectRoot };
}

function compileFlow(
  project: Project,
  file: SourceFile,
  options: CompileOptions,
  where: Where,
  entry: string,
  projectRoot: string,
): CompileResult {
  const diagnostics: Diagnostic[] = [];

  const syntax = project.getProgram().compilerObject.getSyntacticDiagnostics(file.compilerNode);
  for (const d of syntax) {
    const at = d.start !== undefined ? file.getDescendantAtPos(d.start) : undefined;
    diagnostics.push(
      diagnosticAt(where, at ?? file, "TypeScriptSyntax", { message: ts.flattenDiagnosticMessageText(d.messageText, " "), tsCode: d.code }),
    );
  }
  if (diagnostics.length > 0) return { diagnostics, modules: [], projectRoot };
  for (const declaration of [...file.getImportDeclarations(), ...file.getExportDeclarations()]) {
    const specifier = declaration.getModuleSpecifierValue();
    if (specifier === undefined || specifier.startsWith("node:") || declaration.getModuleSpecifierSourceFile()) continue;
    const at = declaration.getModuleSpecifier() ?? declaration;
    diagnostics.push(diagnosticAt(where, at, "ModuleNotFound", { specifier, file: relativePath(where.displayRoot, entry) }));
  }
  if (diagnostics.length > 0) return { diagnostics, modules: [], projectRoot };

  const checker = project.getTypeChecker();
  const evaluator = nodeDefinitionEvaluator(project, entry, where, (d) => diagnostics.push(d));

  const nodes: AddedNode[] = [];
  const byId = new Map<string, AddedNode>();
  const connections: Connection[] = [];
  let building = false;

  const report = (diagnostic: Diagnostic) => diagnostics.push(diagnostic);

  const add = new BuiltinValue("add", (args, call) => {
    if (!building) throw new Misuse("add() can only be called while the flow builder runs");
    const [idArg, defArg, optionsArg] = call.getArguments();
    const [id, def, options] = args;
    if (typeof id !== "string" || id === "") {
      report(
        diagnosticAt(where, idArg ?? call, "BadAddOption", { detail: "add()'s first argument must be a constant, non-empty node id." }),
      );
      return undefined;
    }
    if (!(def instanceof NodeDefValue)) {
      report(diagnosticAt(where, defArg ?? call, "NotANodeDefinition", { id, found: describeValue(def) }));
      return undefined;
    }
    if (options !== undefined && !isPlainObject(options)) {
      report(diagnosticAt(where, optionsArg ?? call, "BadAddOption", { detail: `add('${id}', …)'s options must be an object.` }));
      return undefined;
    }
    const previous = byId.get(id);
    if (previous) {
      report(diagnosticAt(where, idArg ?? call, "DuplicateAddId", { id, first: locationText(where, previous.call) }));
      return new HandleValue(id, def.info, -1);
    }
    for (const key of Object.keys(options ?? {})) {
      if (!ADD_OPTIONS.has(key))
        report(
          diagnosticAt(where, optionNode(call, 2, key) ?? call, "BadAddOption", {
            detail: `Unknown add() option '${key}'; the options are: ${[...ADD_OPTIONS].join(", ")}.`,
          }),
        );
    }
    const entry: AddedNode = { id, def: def.info, options: options ?? {}, call };
    byId.set(id, entry);
    nodes.push(entry);
    return new HandleValue(id, def.info, nodes.length - 1);
  });

  const connectPorts = (from: Value, to: Value, options: Value, call: CallExpression, fromNode: Node, toNode: Node) => {
    const wrong = (value: Value, wanted: "in" | "out", position: string, at: Node): boolean => {
      if (value instanceof PortValue && value.direction === wanted) return false;
      const kind = wanted === "out" ? "an output" : "an input";
      const detail =
        value instanceof PortValue
          ? `connect()'s ${position} argument must be ${kind} port, but ${value.handle.id}.${value.direction}.${value.port} is ${value.direction === "in" ? "an input" : "an output"}.`
          : `connect()'s ${position} argument must be ${kind} port (handle.${wanted}.<port>), found ${describeValue(value)}.`;
      report(diagnosticAt(where, at, "ConnectDirection", { detail }));
      return true;
    };
    if (wrong(from, "out", "first", fromNode) || wrong(to, "in", "second", toNode)) return;
    if (!(from instanceof PortValue) || !(to instanceof PortValue)) return;
    const produced = from.handle.def.outputs.get(from.port);
    const accepted = to.handle.def.inputs.get(to.port);
    const fromPort = `${from.handle.id}.out.${from.port}`;
    const toPort = `${to.handle.id}.in.${to.port}`;
    if (produced && accepted && !checker.compilerObject.isTypeAssignableTo(produced.type.compilerType, accepted.type.compilerType)) {
      report(
        diagnosticAt(where, call, "ConnectTypeMismatch", {
          from: produced.type.getText(call),
          fromPort,
          to: accepted.type.getText(call),
          toPort,
        }),
      );
    } else if (produced && accepted) {
      // The types fit; the schemas may still let fewer values in (z.number() into .int()).
      const { narrowing } = compareSchemas(produced.schema, accepted.schema);
      if (narrowing)
        report(
          diagnosticAt(where, call, "ConnectNarrowsSchema", {
            fromPort,
            toPort,
            fromType: narrowing.produced,
            toType: narrowing.accepted,
            where: narrowing.at ? ` (at ${narrowing.at})` : "",
          }),
        );
    }
    let capacity: number | undefined;
    let onFull: string | undefined;
    if (options !== undefined) {
      if (!isPlainObject(options)) {
        report(diagnosticAt(where, call, "BadAddOption", { detail: "connect()'s options must be an object { capacity?, onFull? }." }));
        return;
      }
      for (const key of Object.keys(options))
        if (!CONNECT_OPTIONS.has(key))
          report(
            diagnosticAt(where, call, "BadAddOption", { detail: `Unknown connect() option '${key}'; the options are: capacity, onFull.` }),
          );
      if (options.capacity !== undefined) capacity = options.capacity as number;
      if (options.onFull !== undefined) onFull = options.onFull as string;
    }
    connections.push({ from, to, capacity, onFull, call });
  };

  const connect = new BuiltinValue("connect", (args, call) => {
    const [fromNode, toNode] = call.getArguments();
    connectPorts(args[0], args[1], args[2], call, fromNode ?? call, toNode ?? call);
    return undefined;
  });

  const chain = new BuiltinValue("chain", (args, call) => {
    for (let i = 0; i + 1 < args.length; i++) {
      const a = args[i];
      const b = args[i + 1];
      const at = call.getArguments()[i] ?? call;
      if (!(a instanceof HandleValue) || !(b instanceof HandleValue)) {
        report(diagnosticAt(where, at, "BadAddOption", { detail: "chain() takes node handles returned by add()." }));
        return undefined;
      }
      const common = [...a.def.outputs.keys()].filter((port) => b.def.inputs.has(port));
      if (common.length === 0) {
        report(diagnosticAt(where, at, "BadAddOption", { detail: `chain(): '${a.id}' has no output named like an input of '${b.id}'.` }));
        continue;
      }
      for (const port of common) connectPorts(new PortValue(a, "out", port), new PortValue(b, "in", port), undefined, call, at, at);
    }
    return undefined;
  });

  // Find the flow and run its builder through the evaluator.
  let flowValue: FlowValue | undefined;
  try {
    flowValue = findFlow(file, options.flow, evaluator, where);
    const api: Value = Object.assign(Object.create(null), { add, connect, chain });
    const env = new Env();
    building = true;
    evaluator.invoke(new ClosureValue(flowValue.builder, env), [api], flowValue.call);
  } catch (error) {
    if (!(error instanceof Abort)) throw error;
    diagnostics.push(error.diagnostic);
  } finally {
    building = false;
  }
  if (!flowValue || hasErrors(diagnostics)) return { diagnostics, modules: [], projectRoot };

  // Checks that need the whole flow, then lowering.
  const modules = planModules(flowValue.name, nodes, projectRoot);
  let lowered: Mutable<IrInput>;
  try {
    lowered = lower(flowValue.name, nodes, connections, modules, projectRoot, where, report, evaluator);
  } catch (error) {
    if (!(error instanceof Abort)) throw error;
    diagnostics.push(error.diagnostic);
    return { diagnostics, modules: [], projectRoot };
  }
  checkCycles(lowered, nodes, connections, where, report);
  checkLossySources(lowered, nodes, connections, where, report);
  for (const node of nodes) {
    for (const port of node.def.inputs.keys()) {
      if (!connections.some((c) => c.to.handle.id === node.id && c.to.port === port))
        report(diagnosticAt(where, node.call, "InputNeverConnected", { port, node: node.id }));
    }
  }
  if (hasErrors(diagnostics)) return { diagnostics, modules: [], projectRoot };

  lowered.meta = { compiler: `flowc ${FRONTEND_VERSION}`, sourceHash: sourceHash(file, projectRoot) };
  const result = loadIr(lowered);
  if (!result.ok) {
    // Rules the IR validator owns (rates, capacities, parallelism on state, …), located at the call.
    for (const d of result.diagnostics) if (!REPORTED_BY_THE_COMPILER.has(d.name)) diagnostics.push(relocate(d, nodes, connections, where));
    return { diagnostics, modules: [], projectRoot };
  }
  return { ir: result.ir, diagnostics, modules: [...modules.values()], projectRoot };
}

/**
 * The evaluator of a program, reading node definitions as the compiler does: each port's and
 * param's schema from its zod expression, else (declaration files, what the reader cannot
 * prove, what zod cannot write) from its TypeScript type. Flows and the node modules of a
 * hand-written descriptor (`describeNodeModules`) read definitions through this one place.
 */
export function nodeDefinitionEvaluator(project: Project, entry: string, where: Where, report: (d: Diagnostic) => void): Evaluator {
  const dslModule = new DslModule(project, entry);
  const nodeDefs = new Map<Node, NodeDefInfo>();
  const schemaOf: SchemaOf = (type, at, what, source, list) => {
    if (source) {
      const reading: ZodReading =
        "missing" in source
          ? { kind: "unproven", at: source.missing, why: source.why }
          : readZodSchema(list ? manyElement(source.expression, evaluator) : source.expression, {
              constant: (node) => evaluator.evaluate(node, new Env()),
            });
      if (reading.kind === "schema") return reading.schema;
      if (reading.kind === "unproven") report(diagnosticAt(where, reading.at, "ZodSchemaNotStatic", { where: what, why: reading.why }));
    }
    return typeToSchema(type, at, (bad) =>
      report(diagnosticAt(where, at, "UnrepresentablePortType", { type: bad.getText(at), where: what })),
    );
  };
  const evaluator: Evaluator = new Evaluator(where, {
    nodeDef: (declaration, call, typeName) => {
      const known = nodeDefs.get(declaration);
      if (known) return known;
      let type: Value = typeName;
      if (call) {
        const typeArg = call.getArguments()[0];
        type = typeArg ? evaluator.evaluate(typeArg, new Env()) : undefined;
        if (typeof type !== "string" || type === "")
          evaluator.fail(typeArg ?? call, (typeArg ?? call).getText(), "node()'s first argument must be a constant, non-empty type name");
      }
      const info = readNodeDef(declaration, call, type as string, schemaOf);
      nodeDefs.set(declaration, info);
      return info;
    },
    dsl: (name) => DSL_BUILTINS[name] ?? (name === "flow" ? FLOW_BUILTIN : undefined),
    isDslFile: (file) => dslModule.has(file),
  });
  return evaluator;
}

/** IR findings the compiler has already reported in its own words, at the call (FLC2024 for FLC1016). */
const REPORTED_BY_THE_COMPILER = new Set<DiagnosticName>(["ChannelNarrowsSchema"]);

/** The element schema of a `many(schema)` input, following a const that holds the many() call. */
function manyElement(expression: Node, evaluator: Evaluator): Node {
  let target = unwrap(expression);
  if (Node.isIdentifier(target)) target = unwrap(constInitializer(target) ?? target);
  return Node.isCallExpression(target) && evaluator.isDslCall(target, "many") ? (target.getArguments()[0] ?? target) : expression;
}

const DSL_BUILTINS: Record<string, BuiltinValue> = {
  rate: new BuiltinValue("rate", (args) => {
    if (typeof args[0] !== "number") throw new Misuse("rate(hz) needs a constant number of Hz");
    return rate(args[0], isPlainObject(args[1]) ? (args[1] as { onLag?: never }) : {}) as unknown as Value;
  }),
  trigger: new BuiltinValue("trigger", (args) => {
    if (args.length === 0 || !args.every((a) => typeof a === "string")) throw new Misuse("trigger(...ports) needs constant port names");
    return trigger(...(args as [string, ...string[]])) as unknown as Value;
  }),
  hybrid: new BuiltinValue("hybrid", (args) => {
    const [hz, ...ports] = args;
    if (typeof hz !== "number" || ports.length === 0 || !ports.every((a) => typeof a === "string"))
      throw new Misuse("hybrid(hz, ...ports) needs a constant rate and port names");
    return hybrid(hz, ...(ports as [string, ...string[]])) as unknown as Value;
  }),
  free: new BuiltinValue("free", () => free() as unknown as Value),
  latest: new BuiltinValue("latest", () => latest() as unknown as Value),
  hold: new BuiltinValue("hold", () => hold() as unknown as Value),
  events: new BuiltinValue("events", () => events() as unknown as Value),
  window: new BuiltinValue("window", (args) => {
    const options = args[0];
    if (!isPlainObject(options)) throw new Misuse("window({ size } | { ms }) needs a constant object");
    return window(options as { size: number }) as unknown as Value;
  }),
};

const FLOW_BUILTIN = new BuiltinValue("flow", (args, call) => {
  const [name] = args;
  const builder = call.getArguments()[1];
  if (typeof name !== "string" || name === "") throw new Misuse("flow(name, builder) needs a constant, non-empty name");
  if (!builder || !(Node.isArrowFunction(builder) || Node.isFunctionExpression(builder)))
    throw new Misuse("flow(name, builder)'s builder must be written inline as a function");
  return new FlowValue(name, builder, call);
});

/** The default-exported flow, or the one named by `wanted` (flow name or export name). */
function findFlow(file: SourceFile, wanted: string | undefined, evaluator: Evaluator, where: Where): FlowValue {
  const found: { exportName: string; value: FlowValue }[] = [];
  for (const [exportName, declarations] of file.getExportedDeclarations()) {
    for (const declaration of declarations) {
      let expression: Node | undefined;
      if (Node.isVariableDeclaration(declaration)) expression = declaration.getInitializer();
      else if (Node.isExportAssignment(declaration)) expression = declaration.getExpression();
      else if (Node.isExpression(declaration)) expression = declaration;
      if (!expression) continue;
      const call = Node.isCallExpression(expression) ? expression : undefined;
      if (!call || !evaluator.isDslCall(call, "flow")) continue;
      const value = evaluator.evaluate(call, new Env());
      if (value instanceof FlowValue) found.push({ exportName, value });
    }
  }
  const names = found.map((f) =>
    f.exportName === "default" ? `${f.value.name} (default export)` : `${f.value.name} (export ${f.exportName})`,
  );
  if (wanted !== undefined) {
    const match = found.find((f) => f.value.name === wanted || f.exportName === wanted);
    if (match) return match.value;
    throw new Abort(
      diagnosticAt(where, file, "FlowNotFound", {
        detail: `No flow named '${wanted}' in ${relativePath(where.displayRoot, file.getFilePath())}; it exports: ${names.join(", ") || "no flows"}.`,
      }),
    );
  }
  const preferred = found.find((f) => f.exportName === "default") ?? (found.length === 1 ? found[0] : undefined);
  if (preferred) return preferred.value;
  const detail =
    found.length === 0
      ? `${relativePath(where.displayRoot, file.getFilePath())} exports no flow; export one with \`export default flow("name", ({ add, connect }) => { … })\`.`
      : `${relativePath(where.displayRoot, file.getFilePath())} exports several flows and no default; choose one with --flow: ${names.join(", ")}.`;
  throw new Abort(diagnosticAt(where, file, "FlowNotFound", { detail }));
}

/** Where a definition's bundle comes from: its module file, or the package specifier it was imported with. */
function bundleSource(def: NodeDefInfo): { key: string; from: string; resolveDir: string; stem: string; exportName: string | undefined } {
  if (def.importedFrom) {
    const { specifier, resolveDir, name } = def.importedFrom;
    return {
      key: `package:${specifier}`,
      from: specifier,
      resolveDir,
      stem: specifier.replace(/^@/, "").replace(/[^A-Za-z0-9_.-]+/g, "-"),
      exportName: name,
    };
  }
  const file = def.file.getFilePath();
  return {
    key: file,
    from: file,
    resolveDir: dirname(file),
    stem: basename(file).replace(/\.(m|c)?tsx?$/, ""),
    exportName: def.exportName,
  };
}

/**
 * One bundle per module that defines used nodes, in `nodes/<flow>/`: flows built into the same
 * directory share no bundle, so building one never changes what another's IR imports.
 */
function planModules(flowName: string, nodes: readonly AddedNode[], projectRoot: string): Map<string, ModulePlan & { exports: string[] }> {
  const sources = new Map<string, ReturnType<typeof bundleSource> & { exports: string[] }>();
  for (const node of nodes) {
    const source = bundleSource(node.def);
    const entry = sources.get(source.key) ?? { ...source, exports: [] };
    if (source.exportName && !entry.exports.includes(source.exportName)) entry.exports.push(source.exportName);
    sources.set(source.key, entry);
  }
  const plans = new Map<string, ModulePlan & { exports: string[] }>();
  const used = new Set<string>();
  const order = (key: string) => (key.startsWith("package:") ? key : relativePath(projectRoot, key));
  for (const key of [...sources.keys()].sort((a, b) => order(a).localeCompare(order(b)))) {
    const source = sources.get(key) as ReturnType<typeof bundleSource> & { exports: string[] };
    const dir = `nodes/${flowFileStem(flowName)}`;
    let output = `${dir}/${source.stem}.mjs`;
    for (let n = 2; used.has(output); n++) output = `${dir}/${source.stem}-${n}.mjs`;
    used.add(output);
    plans.set(key, { file: source.from, resolveDir: source.resolveDir, output, exports: source.exports.sort() });
  }
  return plans;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function lower(
  name: string,
  nodes: readonly AddedNode[],
  connections: readonly Connection[],
  modules: ReadonlyMap<string, ModulePlan>,
  projectRoot: string,
  where: Where,
  report: (d: Diagnostic) => void,
  evaluator: Evaluator,
): Mutable<IrInput> {
  const irNodes: IrInput["nodes"] = nodes.map((node) => {
    const def = node.def;
    const o = node.options;
    // Values can share parts, so what the IR will hold is charged to the evaluation budget too.
    const toJson = (value: Value) => {
      try {
        return valueToJson(value, (items) => evaluator.spend(node.call, items, "writing this node's params and options into the IR"));
      } catch (error) {
        if (isStackOverflow(error))
          throw evaluator.overBudget(node.call, "This node's params and options nest too deeply to write into the IR.");
        throw error;
      }
    };
    if (!def.exportName)
      report(
        diagnosticAt(where, node.call.getArguments()[1] ?? node.call, "NodeDefinitionNotExported", {
          name: def.name,
          file: relativePath(where.displayRoot, def.file.getFilePath()),
        }),
      );
    // params
    const params: Record<string, Json> = {};
    const given = o.params === undefined ? {} : o.params;
    if (!isPlainObject(given)) {
      report(
        diagnosticAt(where, optionNode(node.call, 2, "params") ?? node.call, "BadAddOption", {
          detail: `params of '${node.id}' must be an object.`,
        }),
      );
    } else {
      const missing = [...def.params.values()].filter((p) => !p.optional && given[p.name] === undefined).map((p) => p.name);
      if (missing.length > 0)
        report(diagnosticAt(where, node.call, "ParamsMissing", { node: node.id, type: def.type, missing: missing.join(", ") }));
      for (const [key, value] of Object.entries(given)) {
        if (value === undefined) continue;
        const param = def.params.get(key);
        const json = toJson(value);
        const at = optionNode(node.call, 2, "params") ?? node.call;
        if (!param) {
          report(
            diagnosticAt(where, at, "ParamsInvalid", {
              param: key,
              node: node.id,
              expected: `one of the declared params (${[...def.params.keys()].join(", ") || "none"})`,
              given: "an undeclared param",
            }),
          );
        } else if (json === undefined) {
          report(
            diagnosticAt(where, at, "ParamsInvalid", {
              param: key,
              node: node.id,
              expected: describeSchema(param.schema),
              given: describeValue(value),
            }),
          );
        } else if (!valueMatchesSchema(param.schema, json)) {
          report(
            diagnosticAt(where, at, "ParamsInvalid", {
              param: key,
              node: node.id,
              expected: describeSchema(param.schema),
              given: JSON.stringify(json),
            }),
          );
        } else {
          setOwn(params, key, json);
        }
      }
    }
    // clock
    const inputNames = [...def.inputs.keys()];
    let clock = toJson(o.clock) as IrInput["nodes"][number]["clock"] | undefined;
    if (o.clock !== undefined && (clock === undefined || clock === null || typeof clock !== "object")) {
      report(
        diagnosticAt(where, optionNode(node.call, 2, "clock") ?? node.call, "BadAddOption", {
          detail: `clock of '${node.id}' must be rate(), trigger(), hybrid() or free().`,
        }),
      );
      clock = undefined;
    }
    if (clock && (clock.kind === "trigger" || clock.kind === "hybrid")) {
      for (const port of clock.on)
        if (!def.inputs.has(port))
          report(
            diagnosticAt(where, optionNode(node.call, 2, "clock") ?? node.call, "TriggerOnUnknownInput", {
              node: node.id,
              type: def.type,
              port,
              available: inputNames.join(", ") || "none",
            }),
          );
    }
    if (!clock) {
      if (inputNames.length > 0) clock = { kind: "trigger", on: inputNames };
      else if (def.generator) clock = { kind: "free" };
      else {
        report(diagnosticAt(where, node.call, "SourceNeedsClock", { node: node.id, type: def.type }));
        clock = { kind: "free" };
      }
    }
    // inputs and adapters
    const adapters = o.inputs === undefined ? {} : o.inputs;
    if (!isPlainObject(adapters))
      report(
        diagnosticAt(where, optionNode(node.call, 2, "inputs") ?? node.call, "BadAddOption", {
          detail: `inputs of '${node.id}' must map input ports to adapters.`,
        }),
      );
    const chosen = isPlainObject(adapters) ? adapters : {};
    for (const port of Object.keys(chosen)) {
      const input = def.inputs.get(port);
      const adapter = toJson(chosen[port]) as { kind?: string } | undefined;
      const at = optionNode(node.call, 2, "inputs") ?? node.call;
      if (!input)
        report(
          diagnosticAt(where, at, "AdapterMismatch", {
            port,
            node: node.id,
            detail: `is not an input of ${def.type} (its inputs are: ${inputNames.join(", ") || "none"})`,
          }),
        );
      else if (!adapter || typeof adapter !== "object")
        report(
          diagnosticAt(where, at, "AdapterMismatch", {
            port,
            node: node.id,
            detail: "needs an adapter such as latest(), hold(), window({…}) or events()",
          }),
        );
      else if (input.list && (adapter.kind === "latest" || adapter.kind === "hold"))
        report(
          diagnosticAt(where, at, "AdapterMismatch", {
            port,
            node: node.id,
            detail: `receives a list (many), so it needs window() or events(), not ${adapter.kind}()`,
          }),
        );
      else if (!input.list && (adapter.kind === "window" || adapter.kind === "events"))
        report(
          diagnosticAt(where, at, "AdapterMismatch", {
            port,
            node: node.id,
            detail: `receives one value, so it needs latest() or hold(), not ${adapter.kind}(); declare it with many(...) to receive lists`,
          }),
        );
    }
    const inputs: Record<string, { schema: Json; adapter: Json }> = {};
    for (const [port, info] of def.inputs) {
      const adapter = toJson(chosen[port]) ?? (info.list ? { kind: "events" } : { kind: "latest" });
      setOwn(inputs, port, { schema: info.schema, adapter });
    }
    const outputs: Record<string, { schema: Json }> = {};
    for (const [port, info] of def.outputs) setOwn(outputs, port, { schema: info.schema });
    const { line, column } = lineColumn(node.call);
    const source = bundleSource(def);
    const module = modules.get(source.key);
    const irNode: Record<string, unknown> = {
      id: node.id,
      type: def.type,
      impl: { module: module?.output ?? "nodes/unknown.mjs", export: source.exportName ?? def.name },
      params,
      clock,
      inputs,
      outputs,
      stateful: def.stateful,
      source: { file: relativePath(projectRoot, node.call.getSourceFile().getFilePath()), line, column },
    };
    for (const key of ["parallelism", "placement", "onError"] as const) if (o[key] !== undefined) irNode[key] = toJson(o[key]);
    return irNode as IrInput["nodes"][number];
  });
  const channels = connections.map((c) => {
    const channel: Record<string, unknown> = {
      id: `${c.from.handle.id}.${c.from.port}->${c.to.handle.id}.${c.to.port}`,
      from: { node: c.from.handle.id, port: c.from.port },
      to: { node: c.to.handle.id, port: c.to.port },
    };
    if (c.capacity !== undefined) channel.capacity = c.capacity;
    if (c.onFull !== undefined) channel.onFull = c.onFull;
    return channel as NonNullable<IrInput["channels"]>[number];
  });
  return { irVersion: 1, name, nodes: irNodes, channels, meta: { compiler: "", sourceHash: null } };
}

/** Cycles that no tick and no message from outside can start (the rule FLC1026 checks on the IR). */
function checkCycles(
  ir: IrInput,
  nodes: readonly AddedNode[],
  connections: readonly Connection[],
  where: Where,
  report: (d: Diagnostic) => void,
): void {
  const channels = ir.channels ?? [];
  const graph = buildGraph({ nodes: ir.nodes, channels });
  const components = stronglyConnectedComponents(graph);
  for (const c of cyclesThatCannotStart(ir.nodes, channels, graph, components)) {
    const members = components.members[c] as readonly number[];
    const inCycle = new Set(members.map((v) => graph.ids[v]));
    const closing = connections.find((k) => inCycle.has(k.from.handle.id) && inCycle.has(k.to.handle.id));
    const names = members.map((v) => graph.ids[v] as string);
    report(
      diagnosticAt(where, closing?.call ?? (nodes[members[0] as number] as AddedNode).call, "CycleNeverStarts", {
        members: [...names, names[0]].join(" -> "),
      }),
    );
  }
}

/**
 * A finite source (a generator, or any node on a free clock) feeding a channel the flow told
 * to drop messages when full: the stream it sends may arrive with holes.
 */
function checkLossySources(
  ir: IrInput,
  nodes: readonly AddedNode[],
  connections: readonly Connection[],
  where: Where,
  report: (d: Diagnostic) => void,
): void {
  const finite = new Set(nodes.filter((node, i) => node.def.generator || ir.nodes[i]?.clock.kind === "free").map((node) => node.id));
  for (const c of connections) {
    if (!finite.has(c.from.handle.id) || c.onFull === undefined || c.onFull === "block") continue;
    report(
      diagnosticAt(where, c.call, "FiniteSourceLossyChannel", {
        node: c.from.handle.id,
        channel: `${c.from.handle.id}.${c.from.port}->${c.to.handle.id}.${c.to.port}`,
        onFull: c.onFull,
        consumer: c.to.handle.id,
      }),
    );
  }
}

/** Moves an IR-level diagnostic (JSON pointer into the lowered IR) to the add() or connect() call it came from. */
function relocate(d: Diagnostic, nodes: readonly AddedNode[], connections: readonly Connection[], where: Where): Diagnostic {
  const [collection, index] = parseJsonPointer(d.path ?? "");
  const call =
    collection === "nodes" ? nodes[Number(index)]?.call : collection === "channels" ? connections[Number(index)]?.call : undefined;
  if (!call) return d;
  const { file, line, column, length } = diagnosticAt(where, call, "IrInvalidValue", { detail: "" });
  return {
    ...d,
    ...(file !== undefined && { file }),
    ...(line !== undefined && { line }),
    ...(column !== undefined && { column }),
    ...(length !== undefined && { length }),
  };
}

/** The property `key` of the object literal passed as argument `index` of a call, if written inline. */
function optionNode(call: CallExpression, index: number, key: string): Node | undefined {
  const argument = call.getArguments()[index];
  if (!argument || !Node.isObjectLiteralExpression(argument)) return argument;
  return argument.getProperty(key) ?? argument;
}

function locationText(where: Where, node: Node): string {
  const { line, column } = lineColumn(node);
  return `${relativePath(where.displayRoot, node.getSourceFile().getFilePath())}:${line}:${column}`;
}

/**
 * sha256 over the flow's own sources: the entry file and every file it reaches through
 * relative imports and re-exports (packages such as @flowc/dsl are dependencies, not sources),
 * ordered by path relative to the project root.
 */
function sourceHash(entry: SourceFile, projectRoot: string): string {
  const seen = new Set<SourceFile>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as SourceFile;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const declaration of [...file.getImportDeclarations(), ...file.getExportDeclarations()]) {
      const specifier = declaration.getModuleSpecifierValue();
      const target = declaration.getModuleSpecifierSourceFile();
      if (specifier && (specifier.startsWith(".") || specifier.startsWith("/")) && target) pending.push(target);
    }
  }
  const files = [...seen]
    .map((f) => [relativePath(projectRoot, f.getFilePath()), f.getFullText()] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const hash = createHash("sha256");
  for (const [path, text] of files) hash.update(path).update("\0").update(text).update("\0");
  return `sha256:${hash.digest("hex")}`;
}
