import { type ArrayLiteralExpression, Node, type ObjectLiteralExpression } from "ts-morph";

// Reading constant syntax without evaluating it: node definitions' specs and zod schemas are
// found in the source this way, following `const` bindings across files as the evaluator does.

/** The expression inside parentheses and type assertions (`as`, `satisfies`, `!`). */
export function unwrap(node: Node): Node {
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

/** The initializer of the `const` a name refers to (also imported), or of a property of a `const` object literal. */
export function constInitializer(reference: Node): Node | undefined {
  if (Node.isPropertyAccessExpression(reference)) {
    const object = objectLiteral(reference.getExpression());
    const property = object?.getProperty(reference.getName());
    if (property && Node.isPropertyAssignment(property)) return property.getInitializer();
    if (property && Node.isShorthandPropertyAssignment(property)) return constInitializer(property.getNameNode());
    return undefined;
  }
  if (!Node.isIdentifier(reference)) return undefined;
  const parent = reference.getParent();
  // In `{ x }` the name's own symbol is the property; the value is the binding it names.
  let symbol = parent && Node.isShorthandPropertyAssignment(parent) ? parent.getValueSymbol() : reference.getSymbol();
  if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol() ?? symbol;
  const declaration = symbol?.getDeclarations()[0];
  if (!declaration || !Node.isVariableDeclaration(declaration) || !Node.isIdentifier(declaration.getNameNode())) return undefined;
  if (declaration.getVariableStatement()?.getDeclarationKind() !== "const") return undefined;
  return declaration.getInitializer();
}

/** The object literal an expression is, or a `const` it names holds. */
export function objectLiteral(node: Node | undefined): ObjectLiteralExpression | undefined {
  const expression = node && resolved(node);
  return expression && Node.isObjectLiteralExpression(expression) ? expression : undefined;
}

/** The array literal an expression is, or a `const` it names holds. */
export function arrayLiteral(node: Node): ArrayLiteralExpression | undefined {
  const expression = resolved(node);
  return Node.isArrayLiteralExpression(expression) ? expression : undefined;
}

function resolved(node: Node): Node {
  const expression = unwrap(node);
  const target = Node.isIdentifier(expression) ? constInitializer(expression) : undefined;
  return target ? unwrap(target) : expression;
}

/** The plain name of an object literal's property, or undefined for spreads and computed names. */
export function propertyName(property: Node): string | undefined {
  if (Node.isShorthandPropertyAssignment(property)) return property.getName();
  if (!Node.isPropertyAssignment(property) && !Node.isMethodDeclaration(property)) return undefined;
  const name = property.getNameNode();
  if (Node.isIdentifier(name)) return name.getText();
  if (Node.isStringLiteral(name) || Node.isNumericLiteral(name) || Node.isNoSubstitutionTemplateLiteral(name))
    return String(name.getLiteralValue());
  return undefined;
}

/** The property of an object literal with this plain name (however the key is written). */
export function propertyNamed(object: ObjectLiteralExpression, name: string): Node | undefined {
  return object.getProperties().find((property) => propertyName(property) === name);
}
