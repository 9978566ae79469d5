import type { Json, JsonSchema } from "@flowc/ir";
import { type CallExpression, Node } from "ts-morph";
import { isPlainObject, toJson, type Value } from "./evaluate.js";
import { Abort } from "./located.js";
import { arrayLiteral, constInitializer, objectLiteral, propertyName, unwrap } from "./syntax.js";
import { type Check, type Pattern, toJsonSchema, type Z } from "./zod-json.js";

/**
 * Reads a zod schema expression — `z.number().int().min(0)`, `z.object({ … })`, a `const`
 * holding one, also imported — without running it, and writes the JSON Schema zod 4's
 * `z.toJSONSchema(schema, { io: "input", target: "draft-2020-12" })` gives for it, minus
 * `$schema`. It walks the call chain in the syntax tree; constant arguments (bounds, enum
 * values, defaults) go through the flow evaluator, which runs no user code either.
 *
 * - `schema`: the JSON Schema;
 * - `unrepresentable`: zod itself has no JSON Schema for it (`z.bigint()`, `z.date()`, …), so
 *   the compiler's TypeScript-type path reports it as it always has;
 * - `unproven`: something the compiler cannot read statically (`.refine()`, `.transform()`, a
 *   method it does not know, a non-const reference, a schema built by a function), with the
 *   node to point at and why.
 */
export type ZodReading =
  | { readonly kind: "schema"; readonly schema: JsonSchema }
  | { readonly kind: "unrepresentable" }
  | { readonly kind: "unproven"; readonly at: Node; readonly why: string };

export interface ZodReader {
  /** Evaluates a constant argument statically; throws `Abort` when it cannot. */
  readonly constant: (expression: Node) => Value;
}

export function readZodSchema(expression: Node, reader: ZodReader): ZodReading {
  try {
    return { kind: "schema", schema: toJsonSchema(new Walker(reader).schema(expression)) };
  } catch (error) {
    if (error instanceof Unproven) return { kind: "unproven", at: error.at, why: error.why };
    if (error instanceof Unrepresentable) return { kind: "unrepresentable" };
    throw error;
  }
}

class Unproven extends Error {
  constructor(
    readonly at: Node,
    readonly why: string,
  ) {
    super(why);
  }
}
class Unrepresentable extends Error {}

/** The patterns zod 4 writes beside `format: "email"` and `format: "uuid"` (a unit test compares them with zod's). */
const EMAIL_PATTERN = "^(?:[A-Za-z0-9_'+\\-]+\\.)*[A-Za-z0-9_'+\\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\\-]*\\.)+[A-Za-z]{2,}$";
const UUID_PATTERN =
  "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$";

/** Zod functions whose schemas have no JSON Schema (z.toJSONSchema throws on them). */
const UNREPRESENTABLE = new Set([
  "bigint",
  "date",
  "undefined",
  "void",
  "symbol",
  "nan",
  "map",
  "set",
  "function",
  "instanceof",
  "promise",
]);

const WHY_REFINE = "a refinement is code, which the compiler does not run";
const WHY_TRANSFORM = "a transform changes values in code, which the compiler does not run";
const NOT_READ: Readonly<Record<string, string>> = {
  refine: WHY_REFINE,
  superRefine: WHY_REFINE,
  check: WHY_REFINE,
  transform: WHY_TRANSFORM,
  pipe: WHY_TRANSFORM,
  overwrite: WHY_TRANSFORM,
  preprocess: WHY_TRANSFORM,
};

// ---- reading the syntax ----------------------------------------------------------------

class Walker {
  readonly #following = new Set<Node>();

  constructor(readonly reader: ZodReader) {}

  schema(node: Node): Z {
    const expression = unwrap(node);
    if (Node.isIdentifier(expression) || Node.isPropertyAccessExpression(expression)) return this.follow(expression);
    if (!Node.isCallExpression(expression))
      throw new Unproven(expression, `${quote(expression)} is not a zod schema written as z.…() calls`);
    const callee = unwrap(expression.getExpression());
    if (Node.isPropertyAccessExpression(callee)) {
      const name = callee.getName();
      const target = callee.getExpression();
      if (isFromZod(target)) return this.factory(name, expression, callee.getNameNode());
      return this.method(this.schema(target), name, expression, callee.getNameNode());
    }
    if (isFromZod(callee)) return this.factory(importedName(callee), expression, callee);
    throw new Unproven(callee, `${quote(callee)}(…) builds the schema in a function the compiler does not run`);
  }

  /** A schema held by a `const`, possibly imported, or a property of a `const` object literal. */
  follow(reference: Node): Z {
    const target = constInitializer(reference);
    if (!target) throw new Unproven(reference, `${quote(reference)} is not a const whose value the compiler can read`);
    if (this.#following.has(target)) throw new Unproven(reference, `${quote(reference)} refers to itself`);
    this.#following.add(target);
    try {
      return this.schema(target);
    } finally {
      this.#following.delete(target);
    }
  }

  factory(name: string, call: CallExpression, at: Node): Z {
    const args = call.getArguments();
    const schemaArg = (i: number) => {
      const arg = args[i];
      if (!arg) throw new Unproven(call, `z.${name}() needs a schema argument`);
      return this.schema(arg);
    };
    const plain = (z: Z, used: number) => {
      this.options(args, used, name);
      return z;
    };
    switch (name) {
      case "string":
        return plain({ t: "string", checks: [] }, 0);
      case "number":
        return plain({ t: "number", checks: [] }, 0);
      case "int":
        return plain({ t: "number", checks: [intFormat("safeint")] }, 0);
      case "int32":
      case "uint32":
        return plain({ t: "number", checks: [intFormat(name)] }, 0);
      case "email":
      case "url":
      case "uuid":
        return plain({ t: "string", checks: [stringFormat(name)] }, 0);
      case "boolean":
      case "null":
      case "any":
      case "never":
        return plain({ t: name }, 0);
      case "unknown":
        return plain({ t: "any" }, 0);
      case "enum":
        return plain({ t: "enum", values: this.enumValues(args[0] ?? call) }, 1);
      case "literal":
        return plain({ t: "literal", values: this.literalValues(args[0] ?? call) }, 1);
      case "array":
        return plain({ t: "array", checks: [], element: schemaArg(0) }, 1);
      case "object":
        return plain({ t: "object", shape: this.shape(args[0] ?? call), extra: "strip" }, 1);
      case "strictObject":
        return plain({ t: "object", shape: this.shape(args[0] ?? call), extra: "strict" }, 1);
      case "looseObject":
        return plain({ t: "object", shape: this.shape(args[0] ?? call), extra: "loose" }, 1);
      case "tuple": {
        const items = this.list(args[0] ?? call, "z.tuple()");
        const rest = args[1] && !Node.isObjectLiteralExpression(unwrap(args[1])) ? this.schema(args[1]) : undefined;
        return plain({ t: "tuple", items, rest }, rest ? 2 : 1);
      }
      case "record":
        return plain({ t: "record", key: this.recordKey(schemaArg(0), args[0] ?? call), value: schemaArg(1) }, 2);
      case "union":
        return plain({ t: "union", options: this.list(args[0] ?? call, "z.union()"), exclusive: false }, 1);
      case "discriminatedUnion":
        return plain({ t: "union", options: this.list(args[1] ?? call, "z.discriminatedUnion()"), exclusive: true }, 2);
      case "optional":
      case "nullable":
        return plain({ t: name, inner: schemaArg(0) }, 1);
      case "nullish":
        return plain({ t: "optional", inner: { t: "nullable", inner: schemaArg(0) } }, 1);
      default:
        if (UNREPRESENTABLE.has(name)) throw new Unrepresentable();
        throw new Unproven(at, NOT_READ[name] ?? `z.${name}() is not one of the zod calls the compiler reads`);
    }
  }

  method(z: Z, name: string, call: CallExpression, at: Node): Z {
    const args = call.getArguments();
    const used = (n: number) => this.options(args, n, `.${name}`);
    const number = (i: number) => this.number(args[i] ?? call, name);
    // Checks keep the schema (and its description); zod adds them to a copy of it.
    const same = (checks: readonly Check[]) => ({ ...z, checks }) as Z;
    // Methods every schema has: they wrap it (a new schema, without the description).
    switch (name) {
      case "optional":
      case "nullable":
      case "readonly":
        used(0);
        return { t: name, inner: z };
      case "nullish":
        used(0);
        return { t: "optional", inner: { t: "nullable", inner: z } };
      case "array":
        used(0);
        return { t: "array", checks: [], element: z };
      case "or":
        used(1);
        return { t: "union", options: [z, this.schema(args[0] ?? call)], exclusive: false };
      case "default": {
        used(1);
        const value = this.json(args[0] ?? call, "a default");
        return { t: "default", inner: z, value };
      }
      case "describe": {
        used(1);
        const text = this.constant(args[0] ?? call);
        if (typeof text !== "string") throw new Unproven(args[0] ?? call, ".describe() needs a constant string");
        return { ...z, description: text };
      }
      case "brand":
        used(0);
        return z;
    }
    if (z.t === "number") {
      const bound = (kind: "min" | "max" | "exclusiveMin" | "exclusiveMax", value: number) => same([...z.checks, { kind, value }]);
      switch (name) {
        case "int":
        case "safe":
          used(0);
          return same([...z.checks, intFormat("safeint")]);
        case "finite":
          used(0);
          return z;
        case "min":
        case "gte":
          used(1);
          return bound("min", number(0));
        case "max":
        case "lte":
          used(1);
          return bound("max", number(0));
        case "gt":
          used(1);
          return bound("exclusiveMin", number(0));
        case "lt":
          used(1);
          return bound("exclusiveMax", number(0));
        case "positive":
          used(0);
          return bound("exclusiveMin", 0);
        case "nonnegative":
          used(0);
          return bound("min", 0);
        case "negative":
          used(0);
          return bound("exclusiveMax", 0);
        case "nonpositive":
          used(0);
          return bound("max", 0);
        case "multipleOf":
        case "step": {
          used(1);
          const divisor = number(0);
          if (divisor === 0) throw new Unproven(args[0] ?? call, "a divisor of 0 has no JSON Schema");
          return same([...z.checks, { kind: "multipleOf", value: divisor }]);
        }
      }
    }
    if (z.t === "string" || z.t === "array") {
      const length = (kind: "min" | "max", value: number) => same([...z.checks, { kind, value }]);
      switch (name) {
        case "min":
          used(1);
          return length("min", number(0));
        case "max":
          used(1);
          return length("max", number(0));
        case "length":
          used(1);
          return same([...z.checks, { kind: "min", value: number(0) }, { kind: "max", value: number(0) }]);
        case "nonempty":
          used(0);
          return length("min", 1);
      }
    }
    if (z.t === "string") {
      switch (name) {
        case "email":
        case "url":
        case "uuid":
          used(0);
          return same([...z.checks, stringFormat(name)]);
        case "regex": {
          used(1);
          return same([...z.checks, { kind: "format", format: "regex", pattern: this.regex(args[0] ?? call) }]);
        }
        case "startsWith":
        case "endsWith":
        case "includes": {
          used(1);
          const text = this.constant(args[0] ?? call);
          if (typeof text !== "string") throw new Unproven(args[0] ?? call, `.${name}() needs a constant string`);
          const escaped = escapeRegex(text);
          const source = name === "startsWith" ? `^${escaped}.*` : name === "endsWith" ? `.*${escaped}$` : escaped;
          const format = name === "startsWith" ? "starts_with" : name === "endsWith" ? "ends_with" : "includes";
          return same([...z.checks, { kind: "format", format, pattern: { key: nodeKey(at), source } }]);
        }
      }
    }
    if (z.t === "object") {
      switch (name) {
        case "strict":
        case "passthrough":
        case "loose":
        case "strip":
          used(0);
          return { t: "object", shape: z.shape, extra: name === "strict" ? "strict" : name === "strip" ? "strip" : "loose" };
        case "catchall":
          used(1);
          return { t: "object", shape: z.shape, extra: this.schema(args[0] ?? call) };
        case "extend": {
          used(1);
          const added = this.shape(args[0] ?? call);
          const shape = [...z.shape] as [string, Z][];
          for (const [key, value] of added) assign(shape, key, value);
          return { t: "object", shape: inObjectOrder(shape), extra: z.extra };
        }
        case "partial":
          used(0);
          return {
            t: "object",
            shape: z.shape.map(([key, value]) => [key, value.t === "optional" ? value : { t: "optional", inner: value }] as const),
            extra: z.extra,
          };
      }
    }
    throw new Unproven(at, NOT_READ[name] ?? `.${name}() is not one of the zod methods the compiler reads`);
  }

  /** Arguments past the meaningful ones may only be error messages: they do not change the JSON Schema. */
  options(args: readonly Node[], from: number, name: string): void {
    for (const arg of args.slice(from)) {
      const value = unwrap(arg);
      if (Node.isStringLiteral(value) || Node.isNoSubstitutionTemplateLiteral(value)) continue;
      if (Node.isObjectLiteralExpression(value) && value.getProperties().every((p) => MESSAGE_KEYS.has(propertyName(p) ?? ""))) continue;
      throw new Unproven(arg, `the options of ${name}() may change its JSON Schema (only messages are read)`);
    }
  }

  shape(arg: Node): [string, Z][] {
    const literal = objectLiteral(arg);
    if (!literal) throw new Unproven(arg, "the object's shape is not written as an object literal");
    const shape: [string, Z][] = [];
    for (const property of literal.getProperties()) {
      const key = propertyName(property);
      const initializer = Node.isPropertyAssignment(property) ? property.getInitializer() : undefined;
      if (key === undefined || !(initializer || Node.isShorthandPropertyAssignment(property)))
        throw new Unproven(property, "spread, computed and method properties of a shape are not read");
      const value = initializer ? this.schema(initializer) : this.follow((property as Node & { getNameNode(): Node }).getNameNode());
      assign(shape, key, value);
    }
    return inObjectOrder(shape);
  }

  list(arg: Node, what: string): Z[] {
    const list = arrayLiteral(arg);
    if (!list) throw new Unproven(arg, `${what} needs its schemas written as an array literal`);
    return list.getElements().map((element) => {
      if (Node.isSpreadElement(element)) throw new Unproven(element, `spread elements in ${what} are not read`);
      return this.schema(element);
    });
  }

  recordKey(key: Z, at: Node): Z {
    const plain = key.t === "string" || ((key.t === "enum" || key.t === "literal") && key.values.every((v) => typeof v === "string"));
    if (!plain) throw new Unproven(at, "record keys other than strings, string enums and string literals are not read");
    return key;
  }

  enumValues(arg: Node): Json[] {
    const value = this.constant(arg);
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
    if (isPlainObject(value)) {
      // zod's enum values of an object: a numeric enum's reverse-mapping keys are left out.
      const numbers = Object.values(value).filter((v) => typeof v === "number");
      const values = Object.entries(value)
        .filter(([key]) => !numbers.includes(Number(key)))
        .map(([, v]) => v);
      if (values.every((v) => typeof v === "string" || typeof v === "number")) return values as Json[];
    }
    throw new Unproven(arg, "z.enum() needs a constant array of strings or a constant object");
  }

  literalValues(arg: Node): Json[] {
    const value = this.constant(arg);
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => v === undefined)) throw new Unrepresentable();
    if (!values.every((v) => v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean"))
      throw new Unproven(arg, "z.literal() needs a constant string, number, boolean or null");
    return values as Json[];
  }

  regex(arg: Node): Pattern {
    let expression = unwrap(arg);
    if (Node.isIdentifier(expression)) expression = constInitializer(expression) ?? expression;
    if (!Node.isRegularExpressionLiteral(expression)) throw new Unproven(arg, ".regex() needs a regular expression literal");
    const text = expression.getText();
    const slash = text.lastIndexOf("/");
    const flags = text.slice(slash + 1);
    // JSON Schema patterns have no flags: /x/i would check case where zod does not.
    if (flags.replace(/[ug]/g, "") !== "")
      throw new Unproven(arg, `a regular expression with the flags '${flags}' has no JSON Schema pattern`);
    return { key: nodeKey(expression), source: text.slice(1, slash) };
  }

  number(arg: Node, method: string): number {
    const value = this.constant(arg);
    if (typeof value !== "number") throw new Unproven(arg, `.${method}() needs a constant number`);
    return value;
  }

  json(arg: Node, what: string): Json {
    const json = toJson(this.constant(arg));
    if (json === undefined) throw new Unproven(arg, `${what} that is not a constant JSON value is not read`);
    return json;
  }

  constant(arg: Node): Value {
    try {
      return this.reader.constant(arg);
    } catch (error) {
      if (error instanceof Abort) throw new Unproven(arg, `${quote(arg)} is not a constant the compiler can evaluate`);
      throw error;
    }
  }
}

const MESSAGE_KEYS = new Set(["message", "error", "abort"]);

function intFormat(format: string): Check {
  return { kind: "format", format };
}

function stringFormat(name: "email" | "url" | "uuid"): Check {
  if (name === "email") return { kind: "format", format: "email", pattern: { key: "email", source: EMAIL_PATTERN } };
  if (name === "uuid") return { kind: "format", format: "uuid", pattern: { key: "uuid", source: UUID_PATTERN } };
  return { kind: "format", format: "url" };
}

/** Sets a key as a JavaScript object does: a key already there keeps its place. */
function assign<T>(entries: [string, T][], key: string, value: T): void {
  const at = entries.findIndex(([k]) => k === key);
  if (at >= 0) entries[at] = [key, value];
  else entries.push([key, value]);
}

/** Keys in the order a JavaScript object keeps them (zod reads the shape's keys): array indices first, ascending. */
function inObjectOrder<T>(entries: [string, T][]): [string, T][] {
  const index = (key: string) => (/^(?:0|[1-9]\d*)$/.test(key) && Number(key) < 2 ** 32 - 1 ? Number(key) : undefined);
  const indices = entries.filter(([key]) => index(key) !== undefined).sort((a, b) => (index(a[0]) as number) - (index(b[0]) as number));
  return [...indices, ...entries.filter(([key]) => index(key) === undefined)];
}

/** A key unique to one place in the sources: each zod call there makes its own RegExp. */
function nodeKey(node: Node): string {
  return `${node.getSourceFile().getFilePath()}:${node.getPos()}`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---- syntax helpers ---------------------------------------------------------------------

/**
 * Whether a name is one zod exports — `z` (or `import * as z`), or a function imported by
 * name (`import { number } from "zod"`) — known by where its declaration lives, a `zod`
 * package, however it was imported or re-exported.
 */
function isFromZod(node: Node): boolean {
  if (!Node.isIdentifier(node)) return false;
  let symbol = node.getSymbol();
  if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol() ?? symbol;
  const declaration = symbol?.getDeclarations()[0];
  return declaration !== undefined && /[\\/]node_modules[\\/]zod[\\/]/.test(declaration.getSourceFile().getFilePath());
}

function importedName(identifier: Node): string {
  const symbol = identifier.getSymbol();
  return (symbol?.isAlias() ? symbol.getAliasedSymbol() : symbol)?.getName() ?? identifier.getText();
}

function quote(node: Node): string {
  const text = node.getText().split("\n")[0] ?? "";
  return `'${text.length > 50 ? `${text.slice(0, 47)}...` : text}'`;
}
