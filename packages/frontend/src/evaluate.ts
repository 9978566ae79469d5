import type { Json } from "@flowc/ir";
import {
  type ArrowFunction,
  type CallExpression,
  type Expression,
  type FunctionExpression,
  Node,
  type ParameterDeclaration,
  type Statement,
  SyntaxKind,
  type VariableDeclaration,
  VariableDeclarationKind,
} from "ts-morph";
import { Abort, diagnosticAt, type Where } from "./located.js";
import { type NodeDefInfo, nodeTypeName } from "./nodedefs.js";

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

/** A JSON value, or undefined when the value holds anything else (handles, functions, undefined). */
export function toJson(value: Value): Json | undefined {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const items: Json[] = [];
    for (const item of value) {
      const json = toJson(item);
      if (json === undefined) return undefined;
      items.push(json);
    }
    return items;
  }
  if (isPlainObject(value)) {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      const json = toJson(item);
      if (json === undefined) return undefined;
      out[key] = json;
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

// ---- the evaluator --------------------------------------------------------------------------

export interface EvaluatorHooks {
  /** Resolves node definitions: `const X = node(...)`, or a typed declaration (call undefined). */
  readonly nodeDef: (declaration: VariableDeclaration, call: CallExpression | undefined, typeName: string) => NodeDefInfo;
  /** The DSL's exported functions by name, bound to the flow being built where needed. */
  readonly dsl: (name: string) => BuiltinValue | undefined;
}

const RETURN = Symbol("return");
interface Returned {
  readonly [RETURN]: true;
  readonly value: Value;
}

const DSL_FILE = /[\\/](?:@flowc[\\/]dsl|packages[\\/]dsl)[\\/]/;
export const MAX_ITERATIONS = 100_000;

/**
 * A partial evaluator for the declarative subset of TypeScript flows. Everything it cannot
 * prove aborts with FLC2001 naming the expression; it never runs user code.
 */
export class Evaluator {
  readonly #constants = new Map<VariableDeclaration, Value>();
  readonly #evaluating = new Set<VariableDeclaration>();
  #iterations = 0;

  constructor(
    readonly where: Where,
    readonly hooks: EvaluatorHooks,
  ) {}

  fail(node: Node, what: string, why: string): never {
    throw new Abort(diagnosticAt(this.where, node, "NotStaticallyEvaluable", { what: quoteCode(what), why }));
  }

  tick(node: Node): void {
    if (++this.#iterations > MAX_ITERATIONS) throw new Abort(diagnosticAt(this.where, node, "EvaluationLimit", { limit: MAX_ITERATIONS }));
  }

  // ---- expressions ----

  evaluate(expr: Expression | Node, env: Env): Value {
    if (
      Node.isParenthesizedExpression(expr) ||
      Node.isAsExpression(expr) ||
      Node.isNonNullExpression(expr) ||
      Node.isSatisfiesExpression(expr)
    )
      return this.evaluate(expr.getExpression(), env);
    if (Node.isTypeAssertion(expr)) return this.evaluate(expr.getExpression(), env);
    if (Node.isNumericLiteral(expr)) return expr.getLiteralValue();
    if (Node.isStringLiteral(expr) || Node.isNoSubstitutionTemplateLiteral(expr)) return expr.getLiteralValue();
    if (Node.isTrueLiteral(expr)) return true;
    if (Node.isFalseLiteral(expr)) return false;
    if (Node.isNullLiteral(expr)) return null;
    if (Node.isTemplateExpression(expr)) {
      let text = expr.getHead().getLiteralText();
      for (const span of expr.getTemplateSpans()) {
        const value = this.evaluate(span.getExpression(), env);
        if (isSpecial(value) || (typeof value === "object" && value !== null))
          this.fail(
            span.getExpression(),
            span.getExpression().getText(),
            `a template can only hold numbers, strings and booleans, not ${describeValue(value)}`,
          );
        text += String(value) + span.getLiteral().getLiteralText();
      }
      return text;
    }
    if (Node.isIdentifier(expr)) return this.identifier(expr, env);
    if (Node.isArrayLiteralExpression(expr)) {
      const out: Value[] = [];
      for (const element of expr.getElements()) {
        if (Node.isSpreadElement(element)) {
          const spread = this.evaluate(element.getExpression(), env);
          if (!Array.isArray(spread)) this.fail(element, element.getText(), "only arrays can be spread into an array");
          out.push(...spread);
        } else if (Node.isOmittedExpression(element)) {
          out.push(undefined);
        } else {
          out.push(this.evaluate(element, env));
        }
      }
      return out;
    }
    if (Node.isObjectLiteralExpression(expr)) return this.objectLiteral(expr, env);
    if (Node.isPropertyAccessExpression(expr)) {
      const target = this.evaluate(expr.getExpression(), env);
      return this.member(target, expr.getName(), expr);
    }
    if (Node.isElementAccessExpression(expr)) {
      const target = this.evaluate(expr.getExpression(), env);
      const argument = expr.getArgumentExpression();
      if (!argument) this.fail(expr, expr.getText(), "an element access needs an index");
      const key = this.evaluate(argument, env);
      if (typeof key !== "string" && typeof key !== "number")
        this.fail(argument, argument.getText(), "an index must be a constant string or number");
      return this.member(target, String(key), expr);
    }
    if (Node.isPrefixUnaryExpression(expr)) {
      const operator = expr.getOperatorToken();
      if (operator === SyntaxKind.PlusPlusToken || operator === SyntaxKind.MinusMinusToken)
        return this.update(expr.getOperand(), operator === SyntaxKind.PlusPlusToken ? 1 : -1, false, env);
      return this.prefix(operator, this.evaluate(expr.getOperand(), env), expr);
    }
    if (Node.isBinaryExpression(expr)) return this.binary(expr, env);
    if (Node.isConditionalExpression(expr)) {
      const condition = this.evaluate(expr.getCondition(), env);
      this.requireConstant(condition, expr.getCondition());
      return this.evaluate(condition ? expr.getWhenTrue() : expr.getWhenFalse(), env);
    }
    if (Node.isCallExpression(expr)) return this.call(expr, env);
    if (Node.isArrowFunction(expr) || Node.isFunctionExpression(expr)) return new ClosureValue(expr, env);
    if (Node.isPostfixUnaryExpression(expr))
      return this.update(expr.getOperand(), expr.getOperatorToken() === SyntaxKind.PlusPlusToken ? 1 : -1, true, env);
    return this.fail(expr, expr.getText(), `${expr.getKindName()} is not part of the statically evaluated subset`);
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
        setKey(out, key, this.evaluate(initializer, env));
      } else if (Node.isShorthandPropertyAssignment(property)) {
        setKey(out, property.getName(), this.identifier(property.getNameNode(), env));
      } else if (Node.isSpreadAssignment(property)) {
        const spread = this.evaluate(property.getExpression(), env);
        if (!isPlainObject(spread)) this.fail(property, property.getText(), "only plain objects can be spread into an object");
        for (const [key, value] of Object.entries(spread)) setKey(out, key, value);
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
    let symbol = id.getSymbol();
    if (!symbol) this.fail(id, name, "it is not declared");
    const importSite = symbol.isAlias() ? importOf(symbol.getDeclarations()[0]) : undefined;
    if (symbol.isAlias()) symbol = symbol.getAliasedSymbol() ?? symbol;
    const declaration = symbol.getDeclarations()[0];
    if (!declaration) this.fail(id, name, "its declaration cannot be found");
    if (Node.isSourceFile(declaration) || Node.isNamespaceImport(declaration))
      this.fail(id, name, "a module namespace cannot be used in a flow builder; import what you need by name");
    const file = declaration.getSourceFile().getFilePath();
    if (declaration.getSourceFile().isDeclarationFile() && !DSL_FILE.test(file) && !Node.isVariableDeclaration(declaration))
      this.fail(id, name, "it is a run-time value (a global or a declared API); its value is not known when the flow is built");
    if (DSL_FILE.test(file)) {
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
    return symbol?.getName() === name && declaration !== undefined && DSL_FILE.test(declaration.getSourceFile().getFilePath());
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
      const method = stringMethod(target, name);
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

  binary(expr: Node & { getOperatorToken(): Node; getLeft(): Expression; getRight(): Expression }, env: Env): Value {
    const operator = expr.getOperatorToken().getKind();
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
    const primitive = (v: Value) =>
      v === null || v === undefined || typeof v === "number" || typeof v === "string" || typeof v === "boolean";
    if (!primitive(a) || !primitive(b)) this.fail(at, at.getText(), "operators apply to numbers, strings and booleans only");
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
        args.push(...spread);
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
    if (callee instanceof ClosureValue) return this.invoke(callee, args, expr);
    return this.fail(expr.getExpression(), expr.getExpression().getText(), `${describeValue(callee)} cannot be called statically`);
  }

  /** Calls a function literal from the flow (a .map callback, the builder itself). */
  invoke(closure: ClosureValue, args: Value[], at: Node): Value {
    const env = new Env(closure.env);
    const parameters = closure.fn.getParameters();
    for (let i = 0; i < parameters.length; i++) this.bindParameter(parameters[i] as ParameterDeclaration, args[i], env, at);
    const body = closure.fn.getBody();
    if (!body) this.fail(at, at.getText(), "the function has no body");
    if (!Node.isBlock(body)) return this.evaluate(body as Expression, env);
    const result = this.block(body.getStatements(), env);
    return result ? result.value : undefined;
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
    if (Node.isVariableStatement(statement)) {
      const mutable = statement.getDeclarationKind() !== VariableDeclarationKind.Const;
      for (const declaration of statement.getDeclarations()) {
        const initializer = declaration.getInitializer();
        const value = initializer ? this.evaluate(initializer, env) : undefined;
        this.bindName(declaration.getNameNode(), value, env, mutable, declaration);
      }
      return undefined;
    }
    if (Node.isExpressionStatement(statement)) {
      this.evaluate(statement.getExpression(), env);
      return undefined;
    }
    if (Node.isForOfStatement(statement)) {
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
    if (Node.isForStatement(statement)) {
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
      for (;;) {
        if (condition) {
          const ok = this.evaluate(condition, scope);
          this.requireConstant(ok, condition);
          if (!ok) break;
        }
        this.tick(statement);
        const result = this.statement(statement.getStatement(), new Env(scope));
        if (result) return result;
        if (incrementor) this.evaluate(incrementor, scope);
      }
      return undefined;
    }
    if (Node.isIfStatement(statement)) {
      const condition = this.evaluate(statement.getExpression(), env);
      this.requireConstant(condition, statement.getExpression());
      const branch = condition ? statement.getThenStatement() : statement.getElseStatement();
      return branch ? this.statement(branch, new Env(env)) : undefined;
    }
    if (Node.isBlock(statement)) return this.block(statement.getStatements(), new Env(env));
    if (Node.isReturnStatement(statement)) {
      const expression = statement.getExpression();
      return { [RETURN]: true, value: expression ? this.evaluate(expression, env) : undefined };
    }
    if (Node.isEmptyStatement(statement)) return undefined;
    return this.fail(
      statement,
      firstLine(statement.getText()),
      `${statement.getKindName()} is not part of the statically evaluated subset (use for…of or a counted for loop)`,
    );
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
    Node.isNonNullExpression(current)
  )
    current = current.getExpression();
  return current;
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
  String: new BuiltinValue("String", (args) => String(args[0])),
  Number: new BuiltinValue("Number", (args) => Number(args[0])),
  Boolean: new BuiltinValue("Boolean", (args) => Boolean(args[0])),
};

const ARRAY: Record<string, Value> = {
  /** Array.from(array) or Array.from({ length: n }, (_, i) => …). */
  from: new BuiltinValue("Array.from", (args, call, evaluator) => {
    const [source, fn] = args;
    let items: Value[];
    if (Array.isArray(source)) items = [...source];
    else if (isPlainObject(source) && typeof source.length === "number" && Number.isInteger(source.length) && source.length >= 0)
      items = Array.from({ length: source.length }, () => undefined);
    else throw new Misuse("Array.from needs an array or { length: n }");
    if (fn === undefined) return items;
    if (!(fn instanceof ClosureValue)) throw new Misuse("Array.from's second argument must be a function literal");
    return items.map((item, i) => {
      evaluator.tick(call);
      return evaluator.invoke(fn, [item, i], call);
    });
  }),
};
const OBJECT: Record<string, Value> = {
  keys: new BuiltinValue("Object.keys", (args) => (isPlainObject(args[0]) ? Object.keys(args[0]) : [])),
  values: new BuiltinValue("Object.values", (args) => (isPlainObject(args[0]) ? Object.values(args[0]) : [])),
  entries: new BuiltinValue("Object.entries", (args) => (isPlainObject(args[0]) ? Object.entries(args[0]) : [])),
};

function stringMethod(target: string, name: string): BuiltinValue | undefined {
  switch (name) {
    case "toUpperCase":
      return new BuiltinValue(name, () => target.toUpperCase());
    case "toLowerCase":
      return new BuiltinValue(name, () => target.toLowerCase());
    case "padStart":
      return new BuiltinValue(name, (args) => target.padStart(Number(args[0]), typeof args[1] === "string" ? args[1] : " "));
    case "padEnd":
      return new BuiltinValue(name, (args) => target.padEnd(Number(args[0]), typeof args[1] === "string" ? args[1] : " "));
    case "repeat":
      return new BuiltinValue(name, (args) => target.repeat(Number(args[0])));
    case "slice":
      return new BuiltinValue(name, (args) => target.slice(args[0] as number | undefined, args[1] as number | undefined));
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
  switch (name) {
    case "map":
      return new BuiltinValue(name, (args, call) => {
        const fn = callback(args);
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
        return target.filter((item, i) => Boolean(evaluator.invoke(fn, [item, i, target], call)));
      });
    case "slice":
      return new BuiltinValue(name, (args) => target.slice(args[0] as number | undefined, args[1] as number | undefined));
    case "concat":
      return new BuiltinValue(name, (args) => target.concat(...args.map((a) => (Array.isArray(a) ? a : [a]))));
    case "join":
      return new BuiltinValue(name, (args) => target.join(typeof args[0] === "string" ? args[0] : ","));
    case "includes":
      return new BuiltinValue(name, (args) => target.includes(args[0]));
    case "entries":
      return new BuiltinValue(name, () => target.map((item, i) => [i, item]));
    case "keys":
      return new BuiltinValue(name, () => target.map((_, i) => i));
    case "indexOf":
      return new BuiltinValue(name, (args) => target.indexOf(args[0]));
    default:
      return undefined;
  }
}
