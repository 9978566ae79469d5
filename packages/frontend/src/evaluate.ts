import { type Json, setOwn } from "@flowc/ir";
import {
  type ArrayLiteralExpression,
  type ArrowFunction,
  type BinaryExpression,
  type CallExpression,
  type Expression,
  type ForOfStatement,
  type ForStatement,
  type FunctionExpression,
  type IfStatement,
  type ParameterDeclaration,
  type SourceFile,
  type Statement,
  type TemplateExpression,
  Node as TsNode,
  SyntaxKind as TsSyntaxKind,
  VariableDeclarationKind as TsVariableDeclarationKind,
  type ts,
  type VariableDeclaration,
  type VariableStatement,
} from "ts-morph";
import { Abort, diagnosticAt, type Where } from "./located.js";
import { type NodeDefInfo, nodeTypeName } from "./nodedefs.js";

// ts-morph's Node and enums held in plain module constants: the evaluator reads them for every
// expression of every unrolled loop, and test runners reach a CommonJS module's exports through
// a proxy that costs about a microsecond per read.
const Node = TsNode;
type Node<T extends ts.Node = ts.Node> = TsNode<T>;
const SyntaxKind = TsSyntaxKind;
type SyntaxKind = TsSyntaxKind;
const VariableDeclarationKind = TsVariableDeclarationKind;

// ---- values ---------------------------------------------------------------------------------

export class NodeDefValue {
  constructor(readonly info: NodeDefInfo) {}
}
export class HandleValue {
  constructor(
    readonly id: string,
    readonly def: NodeDefInfo,
    readonly index: number,
  ) {}
}
export class PortMapValue {
  constructor(
    readonly handle: HandleValue,
    readonly direction: "in" | "out",
  ) {}
}
export class PortValue {
  constructor(
    readonly handle: HandleValue,
    readonly direction: "in" | "out",
    readonly port: string,
  ) {}
}
export class BuiltinValue {
  constructor(
    readonly name: string,
    readonly apply: (args: Value[], call: CallExpression, evaluator: Evaluator) => Value,
  ) {}
}
export class ClosureValue {
  constructor(
    readonly fn: ArrowFunction | FunctionExpression,
    readonly env: Env,
  ) {}
}
export class FlowValue {
  constructor(
    readonly name: string,
    readonly builder: ArrowFunction | FunctionExpression,
    readonly call: CallExpression,
  ) {}
}

export type Value =
  | undefined
  | null
  | boolean
  | number
  | string
  | Value[]
  | { [key: string]: Value }
  | NodeDefValue
  | HandleValue
  | PortMapValue
  | PortValue
  | BuiltinValue
  | ClosureValue
  | FlowValue;

const SPECIAL = [NodeDefValue, HandleValue, PortMapValue, PortValue, BuiltinValue, ClosureValue, FlowValue];
export function isSpecial(value: Value): boolean {
  return SPECIAL.some((kind) => value instanceof kind);
}

export function isPlainObject(value: Value): value is { [key: string]: Value } {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !isSpecial(value);
}

/**
 * A JSON value, or undefined when the value holds anything else (handles, functions, undefined).
 * `spend` is told the size of every array, object and string on the way, before it is copied:
 * values can share parts, so the JSON can be far larger than what the evaluator built.
 */
export function toJson(value: Value, spend?: (items: number) => void): Json | undefined {
  if (typeof value === "string") {
    spend?.(value.length);
    return value;
  }
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    spend?.(value.length);
    const items: Json[] = [];
    for (const item of value) {
      const json = toJson(item, spend);
      if (json === undefined) return undefined;
      items.push(json);
    }
    return items;
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value);
    spend?.(entries.length);
    const out: Record<string, Json> = {};
    for (const [key, item] of entries) {
      if (item === undefined) continue;
      const json = toJson(item, spend);
      if (json === undefined) return undefined;
      setOwn(out, key, json);
    }
    return out;
  }
  return undefined;
}

export function describeValue(value: Value): string {
  if (value === undefined) return "undefined";
  if (value instanceof NodeDefValue) return `node definition ${value.info.type}`;
  if (value instanceof HandleValue) return `node handle '${value.id}'`;
  if (value instanceof PortMapValue) return `${value.handle.id}.${value.direction}`;
  if (value instanceof PortValue)
    return `${value.direction === "in" ? "input" : "output"} port ${value.handle.id}.${value.direction}.${value.port}`;
  if (value instanceof BuiltinValue) return `function ${value.name}`;
  if (value instanceof ClosureValue) return "a function";
  if (value instanceof FlowValue) return `flow '${value.name}'`;
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  return JSON.stringify(value);
}

// ---- environments ---------------------------------------------------------------------------

interface Binding {
  value: Value;
  readonly mutable: boolean;
}

export class Env {
  readonly #vars = new Map<string, Binding>();
  constructor(readonly parent?: Env) {}
  define(name: string, value: Value, mutable: boolean): void {
    this.#vars.set(name, { value, mutable });
  }
  lookup(name: string): Binding | undefined {
    return this.#vars.get(name) ?? this.parent?.lookup(name);
  }
}

// ---- the evaluation budget ------------------------------------------------------------------

/**
 * How much work a flow builder may make the compiler do, so that no flow can hang it or
 * exhaust its memory. It is one budget of `steps`: a step is one iteration of a `for` or
 * `for…of` loop, one callback of `.map`, `.forEach`, `.filter` or `Array.from`, or one call of
 * a function literal; building or scanning arrays, strings and objects (and writing the
 * values into the IR) costs one step per `itemsPerStep` elements, characters or properties,
 * charged before the value is built, so a request for a huge value stops at once instead of
 * allocating it. Function literals may call each other at most `callDepth` deep. Going past
 * any of it is FLC2017.
 */
export const EVALUATION_BUDGET = { steps: 100_000, itemsPerStep: 10, callDepth: 100 } as const;

/** Builtins spread their arguments into JavaScript calls, and the engine's stack bounds those. */
export const MAX_CALL_ARGUMENTS = 10_000;

// ---- the evaluator --------------------------------------------------------------------------

export interface EvaluatorHooks {
  /** Resolves node definitions: `const X = node(...)`, or a typed declaration (call undefined). */
  readonly nodeDef: (declaration: VariableDeclaration, call: CallExpression | undefined, typeName: string) => NodeDefInfo;
  /** The DSL's exported functions by name, bound to the flow being built where needed. */
  readonly dsl: (name: string) => BuiltinValue | undefined;
  /** Whether a file is part of the module `@flowc/dsl` resolves to (see `DslModule`). */
  readonly isDslFile: (file: SourceFile) => boolean;
}

const RETURN = Symbol("return");
interface Returned {
  readonly [RETURN]: true;
  readonly value: Value;
}

const ITEMS_PER_STEP = EVALUATION_BUDGET.itemsPerStep;

/**
 * A partial evaluator for the declarative subset of TypeScript flows. Everything it cannot
 * prove aborts with FLC2001 naming the expression; it never runs user code.
 */
export class Evaluator {
  readonly #constants = new Map<VariableDeclaration, Value>();
  readonly #evaluating = new Set<VariableDeclaration>();
  /** What is left of the budget, in items (a step costs ITEMS_PER_STEP of them). */
  #left = EVALUATION_BUDGET.steps * ITEMS_PER_STEP;
  #steps = 0;
  #items = 0;
  #depth = 0;

  constructor(
    readonly where: Where,
    readonly hooks: EvaluatorHooks,
  ) {}

  fail(node: Node, what: string, why: string): never {
    throw new Abort(diagnosticAt(this.where, node, "NotStaticallyEvaluable", { what: quoteCode(what), why }));
  }

  /** One step: a loop iteration, a callback, a call of a function literal. */
  tick(at: Node): void {
    this.#left -= ITEMS_PER_STEP;
    if (this.#left < 0)
      throw this.overBudget(
        at,
        this.#items === 0
          ? undefined
          : `${this.#steps} steps went to loop iterations and calls, the rest to building and scanning ${this.#items} elements, characters and properties (one step per ${ITEMS_PER_STEP}).`,
      );
    this.#steps++;
  }

  /**
   * Charges building or scanning `items` elements, characters or properties, before the work
   * is done. `what` says what it would have been, e.g. "building a string of 10 characters".
   */
  spend(at: Node, items: number, what: string): void {
    if (items <= 0) return;
    if (items <= this.#left) {
      this.#left -= items;
      this.#items += items;
      return;
    }
    throw this.overBudget(
      at,
      `${what[0]?.toUpperCase()}${what.slice(1)} is more than is left of the evaluation budget: a flow gets ${EVALUATION_BUDGET.steps} steps, and building or scanning values costs one step per ${ITEMS_PER_STEP} elements, characters or properties.`,
    );
  }

  /** FLC2017 at `at`; `hint` says which part of the budget ran out when it is not the loop steps. */
  overBudget(at: Node, hint: string | undefined): Abort {
    const diagnostic = diagnosticAt(this.where, at, "EvaluationLimit", { limit: EVALUATION_BUDGET.steps });
    return new Abort(hint === undefined ? diagnostic : { ...diagnostic, hint });
  }

  // ---- expressions ----

  evaluate(expr: Expression | Node, env: Env): Value {
    // One dispatch on the syntax kind: unrolled loops come through here for every expression.
    switch (expr.getKind()) {
      case SyntaxKind.ParenthesizedExpression:
      case SyntaxKind.AsExpression:
      case SyntaxKind.NonNullExpression:
      case SyntaxKind.SatisfiesExpression:
      case SyntaxKind.TypeAssertionExpression:
        return this.evaluate(unwrap(expr), env);
      case SyntaxKind.NumericLiteral:
        return expr.asKindOrThrow(SyntaxKind.NumericLiteral).getLiteralValue();
      case SyntaxKind.StringLiteral:
        return expr.asKindOrThrow(SyntaxKind.StringLiteral).getLiteralValue();
      case SyntaxKind.NoSubstitutionTemplateLiteral:
        return expr.asKindOrThrow(SyntaxKind.NoSubstitutionTemplateLiteral).getLiteralValue();
      case SyntaxKind.TrueKeyword:
        return true;
      case SyntaxKind.FalseKeyword:
        return false;
      case SyntaxKind.NullKeyword:
        return null;
      case SyntaxKind.TemplateExpression:
        return this.template(expr.asKindOrThrow(SyntaxKind.TemplateExpression), env);
      case SyntaxKind.Identifier:
        return this.identifier(expr, env);
      case SyntaxKind.ArrayLiteralExpression:
        return this.arrayLiteral(expr.asKindOrThrow(SyntaxKind.ArrayLiteralExpression), env);
      case SyntaxKind.ObjectLiteralExpression:
        return this.objectLiteral(expr.asKindOrThrow(SyntaxKind.ObjectLiteralExpression), env);
      case SyntaxKind.PropertyAccessExpression: {
        const access = expr.asKindOrThrow(SyntaxKind.PropertyAccessExpression);
        const target = this.evaluate(access.getExpression(), env);
        return this.member(target, access.getName(), access);
      }
      case SyntaxKind.ElementAccessExpression: {
        const access = expr.asKindOrThrow(SyntaxKind.ElementAccessExpression);
        const target = this.evaluate(access.getExpression(), env);
        const argument = access.getArgumentExpression();
        if (!argument) this.fail(access, access.getText(), "an element access needs an index");
        const key = this.evaluate(argument, env);
        if (typeof key !== "string" && typeof key !== "number")
          this.fail(argument, argument.getText(), "an index must be a constant string or number");
        return this.member(target, String(key), access);
      }
      case SyntaxKind.PrefixUnaryExpression: {
        const unary = expr.asKindOrThrow(SyntaxKind.PrefixUnaryExpression);
        const operator = unary.getOperatorToken();
        if (operator === SyntaxKind.PlusPlusToken || operator === SyntaxKind.MinusMinusToken)
          return this.update(unary.getOperand(), operator === SyntaxKind.PlusPlusToken ? 1 : -1, false, env);
        return this.prefix(operator, this.evaluate(unary.getOperand(), env), unary);
      }
      case SyntaxKind.PostfixUnaryExpression: {
        const unary = expr.asKindOrThrow(SyntaxKind.PostfixUnaryExpression);
        return this.update(unary.getOperand(), unary.getOperatorToken() === SyntaxKind.PlusPlusToken ? 1 : -1, true, env);
      }
      case SyntaxKind.BinaryExpression:
        return this.binary(expr.asKindOrThrow(SyntaxKind.BinaryExpression), env);
      case SyntaxKind.ConditionalExpression: {
        const conditional = expr.asKindOrThrow(SyntaxKind.ConditionalExpression);
        const condition = this.evaluate(conditional.getCondition(), env);
        this.requireConstant(condition, conditional.getCondition());
        return this.evaluate(condition ? conditional.getWhenTrue() : conditional.getWhenFalse(), env);
      }
      case SyntaxKind.CallExpression:
        return this.call(expr.asKindOrThrow(SyntaxKind.CallExpression), env);
      case SyntaxKind.ArrowFunction:
        return new ClosureValue(expr.asKindOrThrow(SyntaxKind.ArrowFunction), env);
      case SyntaxKind.FunctionExpression:
        return new ClosureValue(expr.asKindOrThrow(SyntaxKind.FunctionExpression), env);
      default:
        return this.fail(expr, expr.getText(), `${expr.getKindName()} is not part of the statically evaluated subset`);
    }
  }

  template(expr: TemplateExpression, env: Env): string {
    const parts = [expr.getHead().getLiteralText()];
    let length = parts[0]?.length ?? 0;
    for (const span of expr.getTemplateSpans()) {
      const value = this.evaluate(span.getExpression(), env);
      if (isSpecial(value) || (typeof value === "object" && value !== null))
        this.fail(
          span.getExpression(),
          span.getExpression().getText(),
          `a template can only hold numbers, strings and booleans, not ${describeValue(value)}`,
        );
      const text = String(value);
      const literal = span.getLiteral().getLiteralText();
      parts.push(text, literal);
      length += text.length + literal.length;
    }
    this.spend(expr, length, `building a string of ${length} characters`);
    return parts.join("");
  }

  arrayLiteral(expr: ArrayLiteralExpression, env: Env): Value[] {
    const out: Value[] = [];
    for (const element of expr.getElements()) {
      if (Node.isSpreadElement(element)) {
        const spread = this.evaluate(element.getExpression(), env);
        if (!Array.isArray(spread)) this.fail(element, element.getText(), "only arrays can be spread into an array");
        this.spend(element, spread.length, `spreading an array of ${spread.length} elements`);
        // A loop, not push(...spread): spreading a long array into a call overflows the stack.
        for (const item of spread) out.push(item);
      } else {
        this.spend(element, 1, "building an array element");
        out.push(Node.isOmittedExpression(element) ? undefined : this.evaluate(element, env));
      }
    }
    return out;
  }

  requireConstant(value: Value, node: Node): void {
    if (value !== null && typeof value === "object")
      this.fail(node, node.getText(), "a condition must be a constant boolean, number or string");
    if (typeof value === "function") this.fail(node, node.getText(), "a condition must be constant");
  }

  objectLiteral(expr: Node & { getProperties(): Node[] }, env: Env): Value {
    const out: { [key: string]: Value } = Object.create(null);
    for (const property of expr.getProperties()) {
      if (Node.isPropertyAssignment(property)) {
        const nameNode = property.getNameNode();
        let key: string;
        if (Node.isComputedPropertyName(nameNode)) {
          const computed = this.evaluate(nameNode.getExpression(), env);
          if (typeof computed !== "string" && typeof computed !== "number")
            this.fail(nameNode, nameNode.getText(), "a computed key must be a constant string or number");
          key = String(computed);
        } else {
          key = Node.isStringLiteral(nameNode) || Node.isNumericLiteral(nameNode) ? String(nameNode.getLiteralValue()) : nameNode.getText();
        }
        const initializer = property.getInitializer();
        if (!initializer) this.fail(property, property.getText(), "a property needs a value");
        this.spend(property, 1, "building an object property");
        setKey(out, key, this.evaluate(initializer, env));
      } else if (Node.isShorthandPropertyAssignment(property)) {
        this.spend(property, 1, "building an object property");
        setKey(out, property.getName(), this.identifier(property.getNameNode(), env));
      } else if (Node.isSpreadAssignment(property)) {
        const spread = this.evaluate(property.getExpression(), env);
        if (!isPlainObject(spread)) this.fail(property, property.getText(), "only plain objects can be spread into an object");
        const entries = Object.entries(spread);
        this.spend(property, entries.length, `spreading an object of ${entries.length} properties`);
        for (const [key, value] of entries) setKey(out, key, value);
      } else {
        this.fail(property, property.getText(), "methods and accessors in flow objects are not evaluated");
      }
    }
    return out;
  }

  identifier(id: Node, env: Env): Value {
    const name = id.getText();
    const bound = env.lookup(name);
    if (bound) return bound.value;
    if (name === "undefined") return undefined;
    if (name === "Infinity" || name === "NaN") this.fail(id, name, "IR values must be finite numbers");
    if (name === "Math") return MATH;
    if (name === "String" || name === "Number" || name === "Boolean") return CONVERSIONS[name];
    if (name === "Array") return ARRAY;
    if (name === "Object") return OBJECT;
    const parent = id.getParent();
    // In `{ x }` the name's own symbol is the property; the value is the binding it names.
    let symbol = parent && Node.isShorthandPropertyAssignment(parent) ? parent.getValueSymbol() : id.getSymbol();
    if (!symbol) this.fail(id, name, "it is not declared");
    const importSite = symbol.isAlias() ? importOf(symbol.getDeclarations()[0]) : undefined;
    if (symbol.isAlias()) symbol = symbol.getAliasedSymbol() ?? symbol;
    const declaration = symbol.getDeclarations()[0];
    if (!declaration) this.fail(id, name, "its declaration cannot be found");
    if (Node.isSourceFile(declaration) || Node.isNamespaceImport(declaration))
      this.fail(id, name, "a module namespace cannot be used in a flow builder; import what you need by name");
    // Local destructuring is bound in the environment; one reached through the checker is a module's.
    if (Node.isBindingElement(declaration)) this.fail(id, name, "destructured module constants are not evaluated");
    const file = declaration.getSourceFile();
    const fromDsl = this.hooks.isDslFile(file);
    if (file.isDeclarationFile() && !fromDsl && !Node.isVariableDeclaration(declaration))
      this.fail(id, name, "it is a run-time value (a global or a declared API); its value is not known when the flow is built");
    if (fromDsl) {
      const builtin = this.hooks.dsl(symbol.getName());
      if (builtin) return builtin;
      this.fail(id, name, `'${symbol.getName()}' from @flowc/dsl is not usable in a flow builder`);
    }
    if (Node.isVariableDeclaration(declaration)) {
      const value = this.constant(declaration, id);
      // A definition from a package is bundled through the specifier the flow imported it with.
      if (value instanceof NodeDefValue && importSite && !importSite.specifier.startsWith(".") && !importSite.specifier.startsWith("/"))
        value.info.importedFrom ??= importSite;
      return value;
    }
    if (Node.isFunctionDeclaration(declaration))
      this.fail(
        id,
        name,
        "calls to user functions are not evaluated (the compiler never runs flow code); inline the values or use a const",
      );
    if (Node.isParameterDeclaration(declaration)) this.fail(id, name, "it is a function parameter whose value is not known here");
    return this.fail(id, name, `a ${declaration.getKindName()} cannot be evaluated statically`);
  }

  constant(declaration: VariableDeclaration, usedAt: Node): Value {
    if (this.#constants.has(declaration)) return this.#constants.get(declaration);
    const list = declaration.getVariableStatement();
    if (!list || list.getDeclarationKind() !== VariableDeclarationKind.Const)
      this.fail(usedAt, usedAt.getText(), "only const bindings can be evaluated (let and var may change)");
    const initializer = declaration.getInitializer();
    if (!initializer) {
      // A declaration without a value (a package's .d.ts): only node definitions are known from their type.
      const typeName = nodeTypeName(declaration);
      if (typeName === undefined)
        this.fail(usedAt, usedAt.getText(), "it is declared without a value (only node definitions can come from declaration files)");
      const value = new NodeDefValue(this.hooks.nodeDef(declaration, undefined, typeName));
      this.#constants.set(declaration, value);
      return value;
    }
    if (!Node.isIdentifier(declaration.getNameNode()))
      this.fail(usedAt, usedAt.getText(), "destructured module constants are not evaluated");
    if (this.#evaluating.has(declaration)) this.fail(usedAt, usedAt.getText(), "it refers to itself");
    this.#evaluating.add(declaration);
    try {
      let value: Value;
      const call = unwrap(initializer);
      if (Node.isCallExpression(call) && this.isDslCall(call, "node")) value = new NodeDefValue(this.hooks.nodeDef(declaration, call, ""));
      else value = this.evaluate(initializer, new Env());
      this.#constants.set(declaration, value);
      return value;
    } finally {
      this.#evaluating.delete(declaration);
    }
  }

  /** Whether a call's callee is the DSL function `name` (however it was imported). */
  isDslCall(call: CallExpression, name: string): boolean {
    const callee = unwrap(call.getExpression());
    let symbol = callee.getSymbol();
    if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol() ?? symbol;
    const declaration = symbol?.getDeclarations()[0];
    return symbol?.getName() === name && declaration !== undefined && this.hooks.isDslFile(declaration.getSourceFile());
  }

  member(target: Value, name: string, at: Node): Value {
    if (target instanceof HandleValue) {
      if (name === "in" || name === "out") return new PortMapValue(target, name);
      if (name === "id") return target.id;
      if (name === "type") return target.def.type;
      this.fail(at, at.getText(), `a node handle has .in, .out, .id and .type, not .${name}`);
    }
    if (target instanceof PortMapValue) {
      const ports = target.direction === "in" ? target.handle.def.inputs : target.handle.def.outputs;
      if (!ports.has(name)) {
        throw new Abort(
          diagnosticAt(this.where, at, "UnknownNodePort", {
            node: target.handle.id,
            type: target.handle.def.type,
            direction: target.direction === "in" ? "input" : "output",
            port: name,
            available: [...ports.keys()].join(", ") || "none",
          }),
        );
      }
      return new PortValue(target.handle, target.direction, name);
    }
    if (Array.isArray(target)) {
      if (name === "length") return target.length;
      if (/^\d+$/.test(name)) return target[Number(name)];
      const method = arrayMethod(this, target, name);
      if (method) return method;
      this.fail(at, at.getText(), `the array method .${name} is not evaluated`);
    }
    if (typeof target === "string") {
      if (name === "length") return target.length;
      const method = stringMethod(this, target, name);
      if (method) return method;
      this.fail(at, at.getText(), `the string method .${name} is not evaluated`);
    }
    if (target === MATH || target === OBJECT || target === ARRAY) {
      const fn = (target as Record<string, Value>)[name];
      if (fn !== undefined) return fn;
      this.fail(at, at.getText(), "this standard function is not evaluated");
    }
    if (isPlainObject(target)) return Object.hasOwn(target, name) ? target[name] : undefined;
    return this.fail(at, at.getText(), `${describeValue(target)} has no property '${name}'`);
  }

  prefix(operator: SyntaxKind, value: Value, at: Node): Value {
    switch (operator) {
      case SyntaxKind.MinusToken:
        if (typeof value === "number") return -value;
        break;
      case SyntaxKind.PlusToken:
        if (typeof value === "number") return value;
        break;
      case SyntaxKind.ExclamationToken:
        if (!isSpecial(value) && (value === null || typeof value !== "object")) return !value;
        break;
    }
    return this.fail(at, at.getText(), `this operator does not apply to ${describeValue(value)}`);
  }

  update(operand: Expression, delta: number, postfix: boolean, env: Env): Value {
    if (!Node.isIdentifier(operand)) this.fail(operand, operand.getText(), "only local let variables can be updated");
    const binding = env.lookup(operand.getText());
    if (!binding?.mutable) this.fail(operand, operand.getText(), "only local let variables can be updated");
    if (typeof binding.value !== "number") this.fail(operand, operand.getText(), "++ and -- need a number");
    const old = binding.value;
    binding.value = old + delta;
    return postfix ? old : binding.value;
  }

  binary(expr: BinaryExpression, env: Env): Value {
    // The token's kind straight from the syntax tree: wrapping the token costs more than the operation.
    const operator = expr.compilerNode.operatorToken.kind;
    const left = expr.getLeft();
    if (operator === SyntaxKind.EqualsToken || isCompoundAssignment(operator)) {
      if (!Node.isIdentifier(left)) this.fail(left, left.getText(), "only local let variables can be assigned");
      const binding = env.lookup(left.getText());
      if (!binding?.mutable) this.fail(left, left.getText(), "only local let variables can be assigned");
      const right = this.evaluate(expr.getRight(), env);
      binding.value =
        operator === SyntaxKind.EqualsToken ? right : this.arithmetic(COMPOUND[operator] as SyntaxKind, binding.value, right, expr);
      return binding.value;
    }
    if (
      operator === SyntaxKind.AmpersandAmpersandToken ||
      operator === SyntaxKind.BarBarToken ||
      operator === SyntaxKind.QuestionQuestionToken
    ) {
      const a = this.evaluate(left, env);
      this.requireConstant(a, left);
      if (operator === SyntaxKind.AmpersandAmpersandToken) return a ? this.evaluate(expr.getRight(), env) : a;
      if (operator === SyntaxKind.BarBarToken) return a ? a : this.evaluate(expr.getRight(), env);
      return a ?? this.evaluate(expr.getRight(), env);
    }
    return this.arithmetic(operator, this.evaluate(left, env), this.evaluate(expr.getRight(), env), expr);
  }

  arithmetic(operator: SyntaxKind, a: Value, b: Value, at: Node): Value {
    if (!isPrimitive(a) || !isPrimitive(b)) this.fail(at, at.getText(), "operators apply to numbers, strings and booleans only");
    if (typeof a === "string" || typeof b === "string") {
      // Joining or comparing strings takes time and memory in their length.
      const length = String(a).length + String(b).length;
      this.spend(
        at,
        length,
        operator === SyntaxKind.PlusToken ? `building a string of ${length} characters` : `comparing strings of ${length} characters`,
      );
    }
    const x = a as number;
    const y = b as number;
    let result: Value;
    switch (operator) {
      case SyntaxKind.PlusToken:
        result = (a as string) + (b as string);
        break;
      case SyntaxKind.MinusToken:
        result = x - y;
        break;
      case SyntaxKind.AsteriskToken:
        result = x * y;
        break;
      case SyntaxKind.SlashToken:
        result = x / y;
        break;
      case SyntaxKind.PercentToken:
        result = x % y;
        break;
      case SyntaxKind.AsteriskAsteriskToken:
        result = x ** y;
        break;
      case SyntaxKind.EqualsEqualsEqualsToken:
        return a === b;
      case SyntaxKind.ExclamationEqualsEqualsToken:
        return a !== b;
      case SyntaxKind.EqualsEqualsToken:
        // biome-ignore lint/suspicious/noDoubleEquals: evaluating the user's == as written
        return a == b;
      case SyntaxKind.ExclamationEqualsToken:
        // biome-ignore lint/suspicious/noDoubleEquals: evaluating the user's != as written
        return a != b;
      case SyntaxKind.LessThanToken:
        return x < y;
      case SyntaxKind.LessThanEqualsToken:
        return x <= y;
      case SyntaxKind.GreaterThanToken:
        return x > y;
      case SyntaxKind.GreaterThanEqualsToken:
        return x >= y;
      default:
        return this.fail(at, at.getText(), "this operator is not evaluated");
    }
    if (typeof result === "number" && !Number.isFinite(result)) this.fail(at, at.getText(), "the result is not a finite number");
    return result;
  }

  call(expr: CallExpression, env: Env): Value {
    const callee = this.evaluate(expr.getExpression(), env);
    const args: Value[] = [];
    for (const argument of expr.getArguments()) {
      if (Node.isSpreadElement(argument)) {
        const spread = this.evaluate(argument.getExpression(), env);
        if (!Array.isArray(spread)) this.fail(argument, argument.getText(), "only arrays can be spread into arguments");
        if (args.length + spread.length > MAX_CALL_ARGUMENTS)
          this.fail(
            argument,
            argument.getText(),
            `a call takes at most ${MAX_CALL_ARGUMENTS} arguments, and this spreads ${spread.length}`,
          );
        this.spend(argument, spread.length, `spreading an array of ${spread.length} elements`);
        for (const item of spread) args.push(item);
      } else {
        args.push(this.evaluate(argument, env));
      }
    }
    if (callee instanceof BuiltinValue) {
      try {
        return callee.apply(args, expr, this);
      } catch (error) {
        if (error instanceof Misuse) this.fail(expr, expr.getText(), error.message);
        throw error;
      }
    }
    if (callee instanceof ClosureValue) {
      this.tick(expr);
      return this.invoke(callee, args, expr);
    }
    return this.fail(expr.getExpression(), expr.getExpression().getText(), `${describeValue(callee)} cannot be called statically`);
  }

  /** Calls a function literal from the flow (a .map callback, the builder itself). */
  invoke(closure: ClosureValue, args: Value[], at: Node): Value {
    // Each nested call takes native stack in the evaluator; a runaway recursion must end as a diagnostic.
    if (this.#depth >= EVALUATION_BUDGET.callDepth)
      throw this.overBudget(at, `Function literals call each other more than ${EVALUATION_BUDGET.callDepth} deep.`);
    this.#depth++;
    try {
      const env = new Env(closure.env);
      const parameters = closure.fn.getParameters();
      for (let i = 0; i < parameters.length; i++) this.bindParameter(parameters[i] as ParameterDeclaration, args[i], env, at);
      const body = closure.fn.getBody();
      if (!body) this.fail(at, at.getText(), "the function has no body");
      if (!Node.isBlock(body)) return this.evaluate(body as Expression, env);
      const result = this.block(body.getStatements(), env);
      return result ? result.value : undefined;
    } catch (error) {
      // Deeply nested expressions in each call can use up the stack before the depth limit; an
      // outer call, with room left, turns that into the same diagnostic.
      if (isStackOverflow(error)) throw this.overBudget(at, "Calls or values nest too deeply to evaluate.");
      throw error;
    } finally {
      this.#depth--;
    }
  }

  bindParameter(parameter: ParameterDeclaration, value: Value, env: Env, at: Node): void {
    const nameNode = parameter.getNameNode();
    let bound = value;
    const initializer = parameter.getInitializer();
    if (bound === undefined && initializer) bound = this.evaluate(initializer, env);
    this.bindName(nameNode, bound, env, false, at);
  }

  bindName(nameNode: Node, value: Value, env: Env, mutable: boolean, at: Node): void {
    if (Node.isIdentifier(nameNode)) {
      env.define(nameNode.getText(), value, mutable);
      return;
    }
    if (Node.isArrayBindingPattern(nameNode)) {
      if (!Array.isArray(value)) this.fail(at, nameNode.getText(), "array destructuring needs an array");
      nameNode.getElements().forEach((element, i) => {
        if (Node.isBindingElement(element)) this.bindName(element.getNameNode(), value[i], env, mutable, at);
      });
      return;
    }
    if (Node.isObjectBindingPattern(nameNode)) {
      for (const element of nameNode.getElements()) {
        const key = element.getPropertyNameNode()?.getText() ?? element.getName();
        const item =
          value instanceof HandleValue || value instanceof PortMapValue
            ? this.member(value, key, element)
            : isPlainObject(value)
              ? value[key]
              : undefined;
        if (!isPlainObject(value) && !(value instanceof HandleValue) && !(value instanceof PortMapValue))
          this.fail(at, nameNode.getText(), "object destructuring needs an object");
        this.bindName(element.getNameNode(), item, env, mutable, at);
      }
      return;
    }
    this.fail(at, nameNode.getText(), "this binding form is not evaluated");
  }

  // ---- statements ----

  block(statements: readonly Statement[], env: Env): Returned | undefined {
    for (const statement of statements) {
      const result = this.statement(statement, env);
      if (result) return result;
    }
    return undefined;
  }

  statement(statement: Statement, env: Env): Returned | undefined {
    switch (statement.getKind()) {
      case SyntaxKind.VariableStatement:
        this.variables(statement as VariableStatement, env);
        return undefined;
      case SyntaxKind.ExpressionStatement:
        this.evaluate(statement.asKindOrThrow(SyntaxKind.ExpressionStatement).getExpression(), env);
        return undefined;
      case SyntaxKind.ForOfStatement:
        return this.forOf(statement as ForOfStatement, env);
      case SyntaxKind.ForStatement:
        return this.forLoop(statement as ForStatement, env);
      case SyntaxKind.IfStatement: {
        const conditional = statement as IfStatement;
        const condition = this.evaluate(conditional.getExpression(), env);
        this.requireConstant(condition, conditional.getExpression());
        const branch = condition ? conditional.getThenStatement() : conditional.getElseStatement();
        return branch ? this.statement(branch, new Env(env)) : undefined;
      }
      case SyntaxKind.Block:
        return this.block(statement.asKindOrThrow(SyntaxKind.Block).getStatements(), new Env(env));
      case SyntaxKind.ReturnStatement: {
        const expression = statement.asKindOrThrow(SyntaxKind.ReturnStatement).getExpression();
        return { [RETURN]: true, value: expression ? this.evaluate(expression, env) : undefined };
      }
      case SyntaxKind.EmptyStatement:
        return undefined;
      default:
        return this.fail(
          statement,
          firstLine(statement.getText()),
          `${statement.getKindName()} is not part of the statically evaluated subset (use for…of or a counted for loop)`,
        );
    }
  }

  variables(statement: VariableStatement, env: Env): void {
    const mutable = statement.getDeclarationKind() !== VariableDeclarationKind.Const;
    for (const declaration of statement.getDeclarations()) {
      const initializer = declaration.getInitializer();
      const value = initializer ? this.evaluate(initializer, env) : undefined;
      this.bindName(declaration.getNameNode(), value, env, mutable, declaration);
    }
  }

  forOf(statement: ForOfStatement, env: Env): Returned | undefined {
    const iterable = this.evaluate(statement.getExpression(), env);
    if (!Array.isArray(iterable))
      this.fail(statement.getExpression(), statement.getExpression().getText(), "for…of needs a constant array");
    const initializer = statement.getInitializer();
    for (const item of iterable) {
      this.tick(statement);
      const scope = new Env(env);
      if (Node.isVariableDeclarationList(initializer)) {
        const declaration = initializer.getDeclarations()[0];
        if (!declaration) this.fail(statement, statement.getText(), "for…of needs a binding");
        this.bindName(declaration.getNameNode(), item, scope, false, statement);
      } else {
        this.fail(initializer, initializer.getText(), "for…of must declare its variable (for (const x of …))");
      }
      const result = this.statement(statement.getStatement(), scope);
      if (result) return result;
    }
    return undefined;
  }

  forLoop(statement: ForStatement, env: Env): Returned | undefined {
    const scope = new Env(env);
    const initializer = statement.getInitializer();
    if (initializer) {
      if (Node.isVariableDeclarationList(initializer)) {
        for (const declaration of initializer.getDeclarations()) {
          const init = declaration.getInitializer();
          this.bindName(declaration.getNameNode(), init ? this.evaluate(init, scope) : undefined, scope, true, declaration);
        }
      } else {
        this.evaluate(initializer, scope);
      }
    }
    const condition = statement.getCondition();
    const incrementor = statement.getIncrementor();
    const body = statement.getStatement();
    for (;;) {
      if (condition) {
        const ok = this.evaluate(condition, scope);
        this.requireConstant(ok, condition);
        if (!ok) break;
      }
      this.tick(statement);
      const result = this.statement(body, new Env(scope));
      if (result) return result;
      if (incrementor) this.evaluate(incrementor, scope);
    }
    return undefined;
  }
}

/** A builtin called with arguments it cannot take; reported as FLC2001 at the call. */
export class Misuse extends Error {}

/** The module specifier and name of the import that declared an alias symbol. */
function importOf(declaration: Node | undefined): { specifier: string; resolveDir: string; name: string } | undefined {
  if (!declaration) return undefined;
  const importDeclaration = declaration.getFirstAncestorByKind(SyntaxKind.ImportDeclaration);
  if (!importDeclaration) return undefined;
  const name = Node.isImportSpecifier(declaration) ? declaration.getName() : "default";
  return { specifier: importDeclaration.getModuleSpecifierValue(), resolveDir: importDeclaration.getSourceFile().getDirectoryPath(), name };
}

function unwrap(node: Node): Node {
  let current = node;
  while (
    Node.isParenthesizedExpression(current) ||
    Node.isAsExpression(current) ||
    Node.isSatisfiesExpression(current) ||
    Node.isNonNullExpression(current) ||
    Node.isTypeAssertion(current)
  )
    current = current.getExpression();
  return current;
}

export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

function isPrimitive(value: Value): value is null | undefined | number | string | boolean {
  return value === null || value === undefined || typeof value === "number" || typeof value === "string" || typeof value === "boolean";
}

function setKey(target: { [key: string]: Value }, key: string, value: Value): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function quoteCode(text: string): string {
  const one = firstLine(text);
  return `'${one.length > 60 ? `${one.slice(0, 57)}...` : one}'`;
}

function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line === text ? line : `${line} …`;
}

const COMPOUND: Partial<Record<SyntaxKind, SyntaxKind>> = {
  [SyntaxKind.PlusEqualsToken]: SyntaxKind.PlusToken,
  [SyntaxKind.MinusEqualsToken]: SyntaxKind.MinusToken,
  [SyntaxKind.AsteriskEqualsToken]: SyntaxKind.AsteriskToken,
  [SyntaxKind.SlashEqualsToken]: SyntaxKind.SlashToken,
};
function isCompoundAssignment(kind: SyntaxKind): boolean {
  return COMPOUND[kind] !== undefined;
}

// ---- sizes, measured before anything is built -----------------------------------------------

/**
 * The length of `String(value)` for a primitive, or of `items.join(separator)` for an array of
 * primitives and arrays, scanning (and charging) every element without building the text;
 * undefined for objects and other values that have no text of their own.
 */
function textLength(value: Value, evaluator: Evaluator, at: Node): number | undefined {
  if (isPrimitive(value)) return String(value).length;
  if (Array.isArray(value)) return joinedLength(value, ",", evaluator, at);
  return undefined;
}

function joinedLength(items: readonly Value[], separator: string, evaluator: Evaluator, at: Node): number | undefined {
  evaluator.spend(at, items.length, `scanning an array of ${items.length} elements`);
  let length = Math.max(0, items.length - 1) * separator.length;
  for (const item of items) {
    if (item === null || item === undefined) continue;
    const part = textLength(item, evaluator, at);
    if (part === undefined) return undefined;
    length += part;
  }
  return length;
}

/** Where `slice(start, end)` starts or ends on a sequence of `length`, as JavaScript computes it. */
function sliceIndex(index: number, length: number): number {
  const whole = Number.isNaN(index) ? 0 : Math.trunc(index);
  return whole < 0 ? Math.max(length + whole, 0) : Math.min(whole, length);
}

function sliceArguments(args: Value[], length: number, name: string): [number, number] {
  const [start, end] = args;
  if ((start !== undefined && typeof start !== "number") || (end !== undefined && typeof end !== "number"))
    throw new Misuse(`.${name}'s arguments must be numbers`);
  return [sliceIndex(start ?? 0, length), sliceIndex(end ?? length, length)];
}

// ---- the small standard library the evaluator knows ----------------------------------------

const numeric = (name: string, f: (...xs: number[]) => number) =>
  new BuiltinValue(`Math.${name}`, (args) => {
    if (!args.every((a) => typeof a === "number")) throw new Misuse(`Math.${name} needs numbers`);
    return f(...(args as number[]));
  });

const MATH: Record<string, Value> = {
  PI: Math.PI,
  E: Math.E,
  floor: numeric("floor", Math.floor),
  ceil: numeric("ceil", Math.ceil),
  round: numeric("round", Math.round),
  trunc: numeric("trunc", Math.trunc),
  abs: numeric("abs", Math.abs),
  sign: numeric("sign", Math.sign),
  sqrt: numeric("sqrt", Math.sqrt),
  pow: numeric("pow", Math.pow),
  min: numeric("min", Math.min),
  max: numeric("max", Math.max),
  log2: numeric("log2", Math.log2),
  log10: numeric("log10", Math.log10),
};

const CONVERSIONS: Record<string, BuiltinValue> = {
  String: new BuiltinValue("String", (args, call, evaluator) => {
    const [value] = args;
    if (!Array.isArray(value)) {
      if (!isPrimitive(value))
        throw new Misuse(`String() takes numbers, strings, booleans and arrays of them, not ${describeValue(value)}`);
      return String(value);
    }
    const length = textLength(value, evaluator, call);
    if (length === undefined) throw new Misuse("String() takes numbers, strings, booleans and arrays of them");
    evaluator.spend(call, length, `building a string of ${length} characters`);
    return String(value);
  }),
  Number: new BuiltinValue("Number", (args, call, evaluator) => {
    const [value] = args;
    const length = textLength(value, evaluator, call);
    if (length === undefined) throw new Misuse(`Number() takes numbers, strings, booleans and arrays of them, not ${describeValue(value)}`);
    if (typeof value === "string" || Array.isArray(value)) evaluator.spend(call, length, `reading a number from ${length} characters`);
    return Number(value);
  }),
  Boolean: new BuiltinValue("Boolean", (args) => Boolean(args[0])),
};

const ARRAY: Record<string, Value> = {
  /** Array.from(array) or Array.from({ length: n }, (_, i) => …). */
  from: new BuiltinValue("Array.from", (args, call, evaluator) => {
    const [source, fn] = args;
    let length: number;
    if (Array.isArray(source)) length = source.length;
    else if (isPlainObject(source) && typeof source.length === "number" && Number.isInteger(source.length) && source.length >= 0)
      length = source.length;
    else throw new Misuse("Array.from needs an array or { length: n }");
    if (fn !== undefined && !(fn instanceof ClosureValue)) throw new Misuse("Array.from's second argument must be a function literal");
    evaluator.spend(call, length, `building an array of ${length} elements`);
    const items: Value[] = [];
    for (let i = 0; i < length; i++) {
      const item = Array.isArray(source) ? source[i] : undefined;
      if (fn === undefined) {
        items.push(item);
      } else {
        evaluator.tick(call);
        items.push(evaluator.invoke(fn, [item, i], call));
      }
    }
    return items;
  }),
};

const OBJECT: Record<string, Value> = {
  keys: new BuiltinValue("Object.keys", (args, call, evaluator) => {
    if (!isPlainObject(args[0])) return [];
    const keys = Object.keys(args[0]);
    evaluator.spend(call, keys.length, `building an array of ${keys.length} elements`);
    return keys;
  }),
  values: new BuiltinValue("Object.values", (args, call, evaluator) => {
    if (!isPlainObject(args[0])) return [];
    const values = Object.values(args[0]);
    evaluator.spend(call, values.length, `building an array of ${values.length} elements`);
    return values;
  }),
  entries: new BuiltinValue("Object.entries", (args, call, evaluator) => {
    if (!isPlainObject(args[0])) return [];
    const entries = Object.entries(args[0]);
    // Each entry is an array of two of its own.
    evaluator.spend(call, 3 * entries.length, `building an array of ${entries.length} entries`);
    return entries;
  }),
};

function stringMethod(evaluator: Evaluator, target: string, name: string): BuiltinValue | undefined {
  const building = (length: number) => `building a string of ${length} characters`;
  switch (name) {
    case "toUpperCase":
      return new BuiltinValue(name, (_, call) => {
        evaluator.spend(call, target.length, building(target.length));
        return target.toUpperCase();
      });
    case "toLowerCase":
      return new BuiltinValue(name, (_, call) => {
        evaluator.spend(call, target.length, building(target.length));
        return target.toLowerCase();
      });
    case "padStart":
    case "padEnd":
      return new BuiltinValue(name, (args, call) => {
        const [width, filler = " "] = args;
        if (typeof width !== "number" || typeof filler !== "string") throw new Misuse(`.${name} needs a number and a string`);
        const length = filler === "" || !(width > target.length) ? target.length : Math.trunc(width);
        evaluator.spend(call, length, building(length));
        return name === "padStart" ? target.padStart(length, filler) : target.padEnd(length, filler);
      });
    case "repeat":
      return new BuiltinValue(name, (args, call) => {
        const [count] = args;
        if (typeof count !== "number" || !(count >= 0) || count === Number.POSITIVE_INFINITY)
          throw new Misuse(".repeat needs a count of 0 or more");
        const length = target.length * Math.trunc(count);
        evaluator.spend(call, length, building(length));
        return target.repeat(count);
      });
    case "slice":
      return new BuiltinValue(name, (args, call) => {
        const [start, end] = sliceArguments(args, target.length, name);
        evaluator.spend(call, end - start, building(end - start));
        return target.slice(start, end);
      });
    default:
      return undefined;
  }
}

function arrayMethod(evaluator: Evaluator, target: Value[], name: string): BuiltinValue | undefined {
  const callback = (args: Value[]): ClosureValue => {
    const fn = args[0];
    if (!(fn instanceof ClosureValue)) throw new Misuse(`.${name} needs a function literal`);
    return fn;
  };
  const building = (length: number) => `building an array of ${length} elements`;
  const scanning = () => `scanning an array of ${target.length} elements`;
  switch (name) {
    case "map":
      return new BuiltinValue(name, (args, call) => {
        const fn = callback(args);
        evaluator.spend(call, target.length, building(target.length));
        return target.map((item, i) => {
          evaluator.tick(call);
          return evaluator.invoke(fn, [item, i, target], call);
        });
      });
    case "forEach":
      return new BuiltinValue(name, (args, call) => {
        const fn = callback(args);
        target.forEach((item, i) => {
          evaluator.tick(call);
          evaluator.invoke(fn, [item, i, target], call);
        });
        return undefined;
      });
    case "filter":
      return new BuiltinValue(name, (args, call) => {
        const fn = callback(args);
        const kept: Value[] = [];
        target.forEach((item, i) => {
          evaluator.tick(call);
          if (evaluator.invoke(fn, [item, i, target], call)) kept.push(item);
        });
        evaluator.spend(call, kept.length, building(kept.length));
        return kept;
      });
    case "slice":
      return new BuiltinValue(name, (args, call) => {
        const [start, end] = sliceArguments(args, target.length, name);
        evaluator.spend(call, end - start, building(end - start));
        return target.slice(start, end);
      });
    case "concat":
      return new BuiltinValue(name, (args, call) => {
        let length = target.length;
        for (const arg of args) length += Array.isArray(arg) ? arg.length : 1;
        evaluator.spend(call, length, building(length));
        const out = target.slice();
        for (const arg of args) {
          if (Array.isArray(arg)) for (const item of arg) out.push(item);
          else out.push(arg);
        }
        return out;
      });
    case "join":
      return new BuiltinValue(name, (args, call) => {
        const separator = typeof args[0] === "string" ? args[0] : ",";
        const length = joinedLength(target, separator, evaluator, call);
        if (length === undefined) throw new Misuse(".join takes arrays of numbers, strings, booleans and arrays of them");
        evaluator.spend(call, length, `building a string of ${length} characters`);
        return target.join(separator);
      });
    case "includes":
      return new BuiltinValue(name, (args, call) => {
        evaluator.spend(call, target.length, scanning());
        return target.includes(args[0]);
      });
    case "entries":
      return new BuiltinValue(name, (_, call) => {
        evaluator.spend(call, 3 * target.length, building(target.length));
        return target.map((item, i) => [i, item]);
      });
    case "keys":
      return new BuiltinValue(name, (_, call) => {
        evaluator.spend(call, target.length, building(target.length));
        return target.map((_, i) => i);
      });
    case "indexOf":
      return new BuiltinValue(name, (args, call) => {
        evaluator.spend(call, target.length, scanning());
        return target.indexOf(args[0]);
      });
    default:
      return undefined;
  }
}
