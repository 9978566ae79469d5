import { Node, Project } from "ts-morph";
import { describe, expect, it } from "vitest";
import * as zod from "zod";
import { email, z, number as zNumber } from "zod";
import { DEFAULT_COMPILER_OPTIONS } from "./compile.js";
import { Env, Evaluator } from "./evaluate.js";
import { readZodSchema } from "./zod-schema.js";

// The schemas below are evaluated by zod here (real values) and read statically from this
// file's source by the compiler's reader: for every case the two JSON Schemas must be equal.

const LIMIT = 10;
const LEVELS = ["low", "high"] as const;
const Point = z.object({ x: z.number(), y: z.number() });
const shapes = { small: z.number().max(LIMIT) };
const WORD = /^[a-z]+$/;
/** A schema held by an object made by a class: not a const the compiler reads. */
class Holder {
  readonly schema = z.string();
}
const holder = new Holder();

/** Every zod call the compiler reads, alone and combined. */
const supported = {
  intMin0: z.number().int().min(0),
  int: z.number().int(),
  zInt: z.int(),
  int32: z.int32(),
  uint32: z.uint32(),
  safe: z.number().safe(),
  minMax: z.number().min(1).max(5),
  gtLt: z.number().gt(1).lt(5),
  gteLte: z
    .number()
    .gte(1)
    .lte(LIMIT * 2),
  positive: z.number().positive(),
  negative: z.number().negative(),
  nonnegative: z.number().nonnegative(),
  nonpositive: z.number().nonpositive(),
  intPositive: z.number().int().positive(),
  tighterWins: z.number().min(1).min(3).gt(2).max(9).lt(9),
  exclusiveVsInclusive: z.number().gte(5).gt(5).lte(7),
  intGtFraction: z.number().int().gt(0.5),
  multipleOf: z.number().multipleOf(0.5),
  step: z.number().step(2),
  twoDivisors: z.number().multipleOf(2).multipleOf(-3).multipleOf(2),
  finite: z.number().finite(),
  withMessages: z.number({ error: "a number" }).int("whole").min(0, { message: "not negative" }),
  stringLength: z.string().length(3),
  stringMinMax: z.string().min(1).max(5),
  stringNonempty: z.string().nonempty(),
  lengthThenMin: z.string().length(5).min(2),
  regex: z.string().regex(/^a+$/),
  regexConst: z.string().regex(WORD),
  twoRegexes: z.string().regex(/a/).regex(/b/),
  email: z.string().email(),
  url: z.string().url(),
  uuid: z.string().uuid(),
  zEmail: z.email(),
  zUrl: z.url(),
  zUuid: z.uuid(),
  startsWith: z.string().startsWith("a.b"),
  endsWith: z.string().endsWith("$x"),
  includes: z.string().includes("(c)"),
  startsAndEnds: z.string().startsWith("ab").endsWith("cd"),
  emailThenRegex: z.string().email().regex(/a/),
  regexThenEmail: z.string().regex(/a/).email(),
  emailMin: z.string().email().min(3),
  arrayMinMax: z.array(z.number()).min(1).max(3),
  arrayLength: z.array(z.number()).length(2),
  arrayNonempty: z.array(z.number()).nonempty(),
  elementArray: z.string().min(1).array().min(1),
  enum: z.enum(["a", "b"]),
  enumConst: z.enum(LEVELS),
  enumObject: z.enum({ A: "a", B: "b" }),
  enumNumbers: z.enum({ one: 1, two: 2 }),
  literal: z.literal("x"),
  literalNumber: z.literal(3),
  literalTrue: z.literal(true),
  literalNull: z.literal(null),
  literals: z.literal(["a", 1]),
  literalBooleans: z.literal([true, false]),
  optional: z.number().optional(),
  nullable: z.number().nullable(),
  nullish: z.number().nullish(),
  intNullable: z.number().int().nullable(),
  default: z.number().default(3),
  defaultObject: z.object({ a: z.number() }).default({ a: 1 }),
  nullableDefault: z.number().nullable().default(null),
  defaultNullable: z.number().default(1).nullable(),
  zOptional: z.optional(z.string()),
  zNullable: z.nullable(z.string()),
  object: z.object({
    a: z.number(),
    b: z.string().optional(),
    c: z.number().default(1),
    d: z.number().nullable(),
    e: z.number().optional().nullable(),
    f: z.union([z.number(), z.string().optional()]),
    g: z.number().optional().readonly(),
    h: z.number().optional().array(),
    i: z.any(),
    j: z.unknown(),
  }),
  nested: z.object({ point: Point, tags: z.array(z.string()), small: shapes.small }),
  shorthand: z.object({ Point }),
  quotedKeys: z.object({ "a-b": z.number(), 2: z.string() }),
  emptyObject: z.object({}),
  strictObject: z.strictObject({ a: z.number() }),
  looseObject: z.looseObject({ a: z.number() }),
  strict: z.object({ a: z.number() }).strict(),
  passthrough: z.object({ a: z.number() }).passthrough(),
  strip: z.object({ a: z.number() }).passthrough().strip(),
  catchall: z.object({ a: z.number() }).catchall(z.string()),
  extend: z.object({ a: z.number(), b: z.number() }).strict().extend({ c: z.boolean(), a: z.string() }),
  partial: z.object({ a: z.number(), b: z.string().default("x") }).partial(),
  array: z.array(z.string()),
  arrayOfNullable: z.array(z.string().nullable()),
  tuple: z.tuple([z.number(), z.string()]),
  tupleRest: z.tuple([z.number()], z.string()),
  tupleOptional: z.tuple([z.number(), z.string().optional(), z.string().default("x")]),
  record: z.record(z.string(), z.number()),
  recordKeyMin: z.record(z.string().min(2), z.number()),
  recordEnum: z.record(z.enum(["a", "b"]), z.number()),
  recordEnumOptional: z.record(z.enum(["a", "b"]), z.number().optional()),
  recordLiteral: z.record(z.literal("a"), z.boolean()),
  union: z.union([z.string(), z.number()]),
  or: z.string().or(z.number()),
  unionOfOne: z.union([z.string()]),
  unionSameTypes: z.union([z.string(), z.string().optional()]),
  unionOfLiterals: z.union([z.literal(1), z.literal(2)]),
  unionNested: z.union([z.string().min(1), z.number()]).nullable(),
  unionFlattened: z.union([z.string(), z.number()]).nullable(),
  enumNullable: z.enum(["a"]).nullable(),
  discriminated: z.discriminatedUnion("k", [z.object({ k: z.literal("a"), n: z.number() }), z.object({ k: z.literal("b") })]),
  boolean: z.boolean(),
  string: z.string(),
  number: z.number(),
  null: z.null(),
  any: z.any(),
  unknown: z.unknown(),
  never: z.never(),
  emptyEnum: z.enum([]),
  describe: z.number().describe("a count"),
  describeThenCheck: z.string().describe("a").min(1).describe("b").max(3),
  describeInside: z.number().describe("d").nullable().describe("e"),
  describeUnion: z.union([z.string(), z.number()]).describe("either"),
  describeLostByStrict: z.object({ a: z.number() }).describe("x").strict(),
  readonly: z.object({ a: z.string().readonly() }).readonly(),
  brand: z.number().brand<"Meters">().min(1),
  parenthesized: (z.number() as z.ZodNumber).int(),
  namespaceImport: zod.number().int(),
  namedImports: email().or(zNumber()),
};

/** Schemas the compiler refuses to guess at: it falls back to the TypeScript type, with a warning. */
const unproven = {
  refine: z.number().refine((n) => n > 1),
  transform: z.string().transform((s) => s.length),
  unknownMethod: z.string().trim(),
  flags: z.string().regex(/^a+$/i),
  customPattern: z.email({ pattern: /@flowc\.dev$/ }),
  built: makeSchema(),
  notConst: holder.schema,
  intersection: z.object({ a: z.number() }).and(z.object({ b: z.number() })),
  numericRecordKey: z.record(z.number(), z.string()),
  spreadShape: z.object({ ...Point.shape }),
  defaultByFunction: z.number().default(() => 1),
};

/** Schemas zod itself cannot write as JSON Schema. */
const unrepresentable = {
  bigint: z.bigint(),
  date: z.object({ at: z.date() }),
  undefined: z.literal(undefined),
};

function makeSchema() {
  return z.number();
}

const cases = { supported, unproven, unrepresentable };
const file = import.meta.filename;
const project = new Project({ compilerOptions: DEFAULT_COMPILER_OPTIONS });
const source = project.addSourceFileAtPath(file);
project.resolveSourceFileDependencies();
const evaluator = new Evaluator(
  { displayRoot: import.meta.dirname },
  {
    nodeDef: () => {
      throw new Error("no node definitions here");
    },
    dsl: () => undefined,
    isDslFile: () => false,
  },
);
const reader = { constant: (node: Node) => evaluator.evaluate(node, new Env()) };

function expressions(group: keyof typeof cases): Map<string, Node> {
  const literal = source.getVariableDeclarationOrThrow(group).getInitializerOrThrow();
  const out = new Map<string, Node>();
  if (!Node.isObjectLiteralExpression(literal)) throw new Error(`${group} is not an object literal`);
  for (const property of literal.getProperties()) {
    if (Node.isPropertyAssignment(property)) out.set(property.getName(), property.getInitializerOrThrow());
  }
  return out;
}

/** What zod writes, minus `$schema` (the IR holds port schemas without it). */
function zodJsonSchema(schema: z.ZodType): unknown {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
  return rest;
}

describe("reading zod schemas statically gives zod's own JSON Schema", () => {
  const read = expressions("supported");
  it("covers every case of the file", () => {
    expect([...read.keys()]).toEqual(Object.keys(cases.supported));
  });
  for (const [name, schema] of Object.entries(cases.supported)) {
    it(name, () => {
      const reading = readZodSchema(read.get(name) as Node, reader);
      if (reading.kind !== "schema") throw new Error(`not read: ${reading.kind === "unproven" ? reading.why : reading.kind}`);
      expect(reading.schema).toEqual(zodJsonSchema(schema as z.ZodType));
    });
  }
});

describe("what the reader does not prove, it says, pointing at the expression", () => {
  const read = expressions("unproven");
  const expected: Record<keyof typeof cases.unproven, [at: string, why: RegExp]> = {
    refine: ["refine", /refinement is code/],
    transform: ["transform", /transform changes values/],
    unknownMethod: ["trim", /\.trim\(\) is not one of the zod methods/],
    flags: ["/^a+$/i", /flags 'i'/],
    customPattern: ["{ pattern: /@flowc\\.dev$/ }", /options of email\(\)/],
    built: ["makeSchema", /builds the schema in a function/],
    notConst: ["holder.schema", /not a const/],
    intersection: ["and", /\.and\(\) is not one of the zod methods/],
    numericRecordKey: ["z.number()", /record keys other than strings/],
    spreadShape: ["...Point.shape", /spread/],
    defaultByFunction: ["() => 1", /not a constant/],
  };
  for (const [name, [at, why]] of Object.entries(expected)) {
    it(name, () => {
      const reading = readZodSchema(read.get(name) as Node, reader);
      if (reading.kind !== "unproven") throw new Error(`expected unproven, got ${JSON.stringify(reading)}`);
      expect(reading.at.getText()).toBe(at);
      expect(reading.why).toMatch(why);
    });
  }
});

describe("schemas zod cannot write are left to the TypeScript type, as zod throws on them", () => {
  const read = expressions("unrepresentable");
  for (const [name, schema] of Object.entries(cases.unrepresentable)) {
    it(name, () => {
      expect(() => z.toJSONSchema(schema as z.ZodType, { io: "input" })).toThrow();
      expect(readZodSchema(read.get(name) as Node, reader)).toEqual({ kind: "unrepresentable" });
    });
  }
});
