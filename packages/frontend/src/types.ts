import { type JsonSchema, setOwn } from "@flowc/ir";
import type { Node, Type } from "ts-morph";

/**
 * Converts a TypeScript type (a port's or param's value type, read through the checker) to
 * JSON Schema: primitives, literals, unions (literal unions become `enum`), arrays, tuples,
 * objects with optional properties, records. Anything else — functions, class instances,
 * bigint, symbols, recursive types — becomes `{}` and is reported through `unrepresentable`.
 */
export function typeToSchema(type: Type, at: Node, unrepresentable: (type: Type) => void): JsonSchema {
  return convert(type, at, unrepresentable, new Set());
}

const OPAQUE = new Set([
  "Date",
  "RegExp",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "Promise",
  "Error",
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
]);

function convert(type: Type, at: Node, bad: (type: Type) => void, seen: Set<Type>): JsonSchema {
  if (type.isAny() || type.isUnknown()) return {};
  if (type.isString()) return { type: "string" };
  if (type.isNumber()) return { type: "number" };
  if (type.isBoolean()) return { type: "boolean" };
  if (type.isNull()) return { type: "null" };
  if (type.isStringLiteral() || type.isNumberLiteral()) return { const: type.getLiteralValue() as string | number };
  if (type.isBooleanLiteral()) return { const: type.getText() === "true" };
  if (type.isUnion()) {
    const members = type.getUnionTypes().filter((t) => !t.isUndefined());
    const literals = members.every((t) => t.isStringLiteral() || t.isNumberLiteral() || t.isBooleanLiteral() || t.isNull());
    if (literals && members.length > 0) {
      const values = members.map((t) =>
        t.isNull() ? null : t.isBooleanLiteral() ? t.getText() === "true" : (t.getLiteralValue() as string | number),
      );
      if (values.length === 2 && values.includes(true) && values.includes(false)) return { type: "boolean" };
      return { enum: values };
    }
    const schemas = mergeBooleans(members).map((t) => (t === "boolean" ? { type: "boolean" } : convert(t, at, bad, seen)));
    return schemas.length === 1 ? (schemas[0] as JsonSchema) : { anyOf: schemas };
  }
  if (seen.has(type)) {
    bad(type);
    return {};
  }
  seen.add(type);
  try {
    if (type.isArray() || type.isReadonlyArray?.()) {
      const element = type.getArrayElementType() ?? type.getTypeArguments()[0];
      return element ? { type: "array", items: convert(element, at, bad, seen) } : { type: "array" };
    }
    if (type.isTuple()) {
      const elements = type.getTupleElements();
      return {
        type: "array",
        prefixItems: elements.map((t) => convert(t, at, bad, seen)),
        minItems: elements.length,
        maxItems: elements.length,
      };
    }
    if (type.isObject() || type.isIntersection()) {
      const name = type.getSymbol()?.getName();
      if (type.getCallSignatures().length > 0 || (name !== undefined && (OPAQUE.has(name) || /Array$/.test(name)))) {
        bad(type);
        return {};
      }
      const out: JsonSchema = { type: "object" };
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const property of type.getProperties()) {
        const propertyType = property.getTypeAtLocation(at);
        setOwn(properties, property.getName(), convert(propertyType, at, bad, seen));
        if (!property.isOptional()) required.push(property.getName());
      }
      if (Object.keys(properties).length > 0) out.properties = properties;
      if (required.length > 0) out.required = required;
      const index = type.getStringIndexType();
      if (index) out.additionalProperties = convert(index, at, bad, seen);
      return out;
    }
  } finally {
    seen.delete(type);
  }
  bad(type);
  return {};
}

/** TypeScript splits `boolean` in a union into `true | false`; put it back together. */
function mergeBooleans(members: Type[]): (Type | "boolean")[] {
  const hasTrue = members.some((t) => t.isBooleanLiteral() && t.getText() === "true");
  const hasFalse = members.some((t) => t.isBooleanLiteral() && t.getText() === "false");
  if (!hasTrue || !hasFalse) return members;
  const rest: (Type | "boolean")[] = members.filter((t) => !t.isBooleanLiteral());
  rest.push("boolean");
  return rest;
}
