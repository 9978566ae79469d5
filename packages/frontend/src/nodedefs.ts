import type { JsonSchema } from "@flowc/ir";
import { type CallExpression, Node, type SourceFile, type Type, type VariableDeclaration } from "ts-morph";
import { objectLiteral, propertyNamed } from "./syntax.js";

export interface PortInfo {
  readonly name: string;
  /** The value type on the port (for `many` inputs, the element type). */
  readonly type: Type;
  readonly schema: JsonSchema;
  /** A `many(...)` input: the step receives a list (window or events adapter). */
  readonly list: boolean;
}

export interface ParamInfo {
  readonly name: string;
  readonly type: Type;
  readonly schema: JsonSchema;
  readonly optional: boolean;
}

/** What the compiler knows about a node definition, without running it. */
export interface NodeDefInfo {
  /** The node type name (first argument of node()). */
  readonly type: string;
  /** Local name of the definition. */
  readonly name: string;
  /** The name it is exported under from its module, or undefined when not exported. */
  readonly exportName: string | undefined;
  readonly file: SourceFile;
  readonly declaration: VariableDeclaration;
  readonly inputs: ReadonlyMap<string, PortInfo>;
  readonly outputs: ReadonlyMap<string, PortInfo>;
  readonly params: ReadonlyMap<string, ParamInfo>;
  readonly stateful: boolean;
  /** Has a `source` generator (a finite or infinite stream source). */
  readonly generator: boolean;
  /**
   * For definitions imported from a package (declaration files, node_modules): the import
   * specifier the flow used and the directory it was resolved from, so bundling imports the
   * package's JavaScript rather than its declarations.
   */
  importedFrom?: { readonly specifier: string; readonly resolveDir: string; readonly name: string };
}

/**
 * Where a port's or param's zod schema is written: the expression, or why it cannot be found
 * (with the node to point at); undefined for definitions read from declaration files, which
 * carry types only.
 */
export type SchemaSource = { readonly expression: Node } | { readonly missing: Node; readonly why: string } | undefined;

/** The JSON Schema of a port or param: from its zod expression when there is one, else from its type. */
export type SchemaOf = (type: Type, at: Node, where: string, source: SchemaSource, list: boolean) => JsonSchema;

/** Finds each port's or param's schema expression in `node("T", { inputs: { … }, … })`, following consts. */
function schemaSources(call: CallExpression | undefined, section: "inputs" | "outputs" | "params"): (name: string) => SchemaSource {
  if (!call) return () => undefined;
  const spec = objectLiteral(call.getArguments()[1]);
  if (!spec) return () => ({ missing: call.getArguments()[1] ?? call, why: "the node's spec is not written as an object literal" });
  const property = propertyNamed(spec, section);
  const ports = objectLiteral(
    property && Node.isShorthandPropertyAssignment(property)
      ? property.getNameNode()
      : property && Node.isPropertyAssignment(property)
        ? property.getInitializer()
        : undefined,
  );
  if (!ports) return () => ({ missing: property ?? spec, why: `the node's ${section} are not written as an object literal` });
  return (name) => {
    const port = propertyNamed(ports, name);
    if (port && Node.isPropertyAssignment(port)) {
      const expression = port.getInitializer();
      if (expression) return { expression };
    }
    if (port && Node.isShorthandPropertyAssignment(port)) return { expression: port.getNameNode() };
    return { missing: ports, why: `'${name}' is not a plain property of the node's ${section}` };
  };
}

/** Spec keys of node(): only their presence matters to the compiler. */
function specKeys(call: CallExpression): Set<string> {
  const spec = call.getArguments()[1];
  const keys = new Set<string>();
  if (spec && Node.isObjectLiteralExpression(spec)) {
    for (const property of spec.getProperties()) {
      if (Node.isPropertyAssignment(property) || Node.isMethodDeclaration(property) || Node.isShorthandPropertyAssignment(property)) {
        keys.add(property.getName());
      }
    }
  }
  return keys;
}

/** The node type name a definition's type carries (`NodeDef<…, "Type">`), if it is a literal. */
export function nodeTypeName(declaration: VariableDeclaration): string | undefined {
  const type = declaration.getType();
  if (type.getProperty("kind")?.getTypeAtLocation(declaration).getLiteralValue() !== "flowc.node") return undefined;
  const name = type.getProperty("type")?.getTypeAtLocation(declaration).getLiteralValue();
  return typeof name === "string" ? name : undefined;
}

/**
 * Reads a node definition: `const X = node("Type", {...})`, or a declaration without
 * initializer typed `NodeDef<P, I, O, S, "Type">` (a published package's .d.ts). Port and
 * param types come from the definition's type: each schema's `_output` (zod's inferred value
 * type), or for `many(schema)` the element schema's. Statefulness and generator sources are
 * read from the spec when there is one; from a declaration, state is `S` other than undefined.
 * Each port's and param's JSON Schema comes from `schemaOf`, given its zod expression in the spec.
 */
export function readNodeDef(
  declaration: VariableDeclaration,
  call: CallExpression | undefined,
  type: string,
  schemaOf: SchemaOf,
): NodeDefInfo {
  const defType = declaration.getType();
  const keys = call ? specKeys(call) : new Set<string>();
  if (!call) {
    const state = defType.getTypeArguments()[3] ?? defType.getAliasTypeArguments()[3];
    if (state && !state.isUndefined() && !state.isUnknown()) keys.add("state");
  }
  const ports = (property: "inputs" | "outputs"): Map<string, PortInfo> => {
    const out = new Map<string, PortInfo>();
    const sourceOf = schemaSources(call, property);
    const shape = defType.getProperty(property)?.getTypeAtLocation(declaration);
    for (const port of shape?.getProperties() ?? []) {
      let schemaType = port.getTypeAtLocation(declaration);
      let list = false;
      const element = schemaType.getProperty("schema");
      if (schemaType.getProperty("kind")?.getTypeAtLocation(declaration).getLiteralValue() === "flowc.many" && element) {
        schemaType = element.getTypeAtLocation(declaration);
        list = true;
      }
      const valueType = schemaType.getProperty("_output")?.getTypeAtLocation(declaration);
      if (!valueType) continue;
      out.set(port.getName(), {
        name: port.getName(),
        type: valueType,
        schema: schemaOf(valueType, declaration, `${property.slice(0, -1)} '${port.getName()}' of ${type}`, sourceOf(port.getName()), list),
        list,
      });
    }
    return out;
  };
  const params = new Map<string, ParamInfo>();
  const paramShape = defType.getProperty("params")?.getTypeAtLocation(declaration);
  const paramSource = schemaSources(call, "params");
  for (const param of paramShape?.getProperties() ?? []) {
    const paramType = param.getTypeAtLocation(declaration);
    const valueType = paramType.getProperty("_output")?.getTypeAtLocation(declaration);
    if (!valueType) continue;
    // Optional when the *input* type admits undefined: `.optional()`, and `.default(x)` too
    // (the runtime fills the default in when it validates the params).
    const inputType = paramType.getProperty("_input")?.getTypeAtLocation(declaration) ?? valueType;
    const optional = inputType.isUndefined() || (inputType.isUnion() && inputType.getUnionTypes().some((t) => t.isUndefined()));
    params.set(param.getName(), {
      name: param.getName(),
      type: valueType,
      schema: schemaOf(valueType, declaration, `param '${param.getName()}' of ${type}`, paramSource(param.getName()), false),
      optional,
    });
  }
  const file = declaration.getSourceFile();
  return {
    type,
    name: declaration.getName(),
    exportName: exportNameOf(declaration),
    file,
    declaration,
    inputs: ports("inputs"),
    outputs: ports("outputs"),
    params,
    stateful: keys.has("state"),
    generator: keys.has("source"),
  };
}

function exportNameOf(declaration: VariableDeclaration): string | undefined {
  for (const [name, declarations] of declaration.getSourceFile().getExportedDeclarations()) {
    if (declarations.includes(declaration)) return name;
  }
  return undefined;
}
