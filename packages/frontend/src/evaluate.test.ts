import { join } from "node:path";
import type { Diagnostic } from "@flowc/ir";
import { Project, type SourceFile } from "ts-morph";
import { describe, expect, it } from "vitest";
import { DEFAULT_COMPILER_OPTIONS } from "./compile.js";
import { DslModule } from "./dsl-module.js";
import { BuiltinValue, ClosureValue, EVALUATION_BUDGET, Evaluator, MAX_CALL_ARGUMENTS, NodeDefValue, type Value } from "./evaluate.js";
import { Abort } from "./located.js";
import { readNodeDef } from "./nodedefs.js";
import { typeToSchema } from "./types.js";

// One program for every case, since starting the checker is the slow part; each case adds its
// files in a directory of its own. Nothing is written to disk: ts-morph resolves imports between
// these in-memory files, and `@flowc/dsl` and `zod` through the workspace, as for a real flow.
const project = new Project({ compilerOptions: DEFAULT_COMPILER_OPTIONS });
const casesDir = join(import.meta.dirname, "__evaluate-test__");
let cases = 0;

// Stand-ins for the DSL functions the compiler binds, so a test sees when the DSL was recognised.
const DSL: Record<string, BuiltinValue> = {
  rate: new BuiltinValue("rate", (args) => ({ dsl: "rate", hz: args[0] })),
};

interface Outcome {
  readonly value?: Value;
  readonly diagnostic?: Diagnostic;
  /** Milliseconds spent evaluating (the program is already loaded). */
  readonly ms: number;
  /** Names of the declarations the evaluator asked to resolve as node definitions. */
  readonly nodeDefs: readonly string[];
}

function load(files: Record<string, string>): { main: SourceFile; evaluator: Evaluator; nodeDefs: string[]; dir: string } {
  const dir = join(casesDir, `case-${++cases}`);
  const created = Object.entries(files).map(([name, text]) => project.createSourceFile(join(dir, name), text));
  const main = created[0] as SourceFile;
  const dsl = new DslModule(project, main.getFilePath());
  const nodeDefs: string[] = [];
  const evaluator = new Evaluator(
    { displayRoot: dir },
    {
      nodeDef: (declaration, call, typeName) => {
        nodeDefs.push(declaration.getName());
        return readNodeDef(declaration, call, typeName || declaration.getName(), (type, at) => typeToSchema(type, at, () => {}));
      },
      dsl: (name) => DSL[name],
      isDslFile: (file) => dsl.has(file),
    },
  );
  return { main, evaluator, nodeDefs, dir };
}

/**
 * Evaluates `value` in the first file: `export const value = …`, or a function literal
 * `export const value = () => { … }`, which is called with no arguments (statements, loops).
 */
function run(files: Record<string, string> | string): Outcome {
  const { main, evaluator, nodeDefs } = load(typeof files === "string" ? { "main.ts": files } : files);
  const declaration = main.getVariableDeclarationOrThrow("value");
  const started = performance.now();
  try {
    let value = evaluator.constant(declaration, declaration);
    if (value instanceof ClosureValue) value = evaluator.invoke(value, [], declaration);
    return { value, ms: performance.now() - started, nodeDefs };
  } catch (error) {
    if (!(error instanceof Abort)) throw error;
    return { diagnostic: error.diagnostic, ms: performance.now() - started, nodeDefs };
  }
}

function evaluated(files: Record<string, string> | string): Value {
  const outcome = run(files);
  if (outcome.diagnostic) throw new Error(`unexpected ${outcome.diagnostic.code}: ${outcome.diagnostic.message}`);
  return outcome.value;
}

function diagnosticOf(files: Record<string, string> | string): Diagnostic & { ms: number } {
  const outcome = run(files);
  if (!outcome.diagnostic) throw new Error(`expected a diagnostic, got ${JSON.stringify(outcome.value)}`);
  return { ...outcome.diagnostic, ms: outcome.ms };
}

describe("literals, objects and spread", () => {
  it("evaluates primitives, arrays with holes and nested objects", () => {
    expect(evaluated("export const value = [1, -2.5, 'a', `b`, true, false, null, undefined, , 0x10];")).toEqual([
      1,
      -2.5,
      "a",
      "b",
      true,
      false,
      null,
      undefined,
      undefined,
      16,
    ]);
    expect(evaluated("export const value = { a: 1, 'b-c': { d: [2] }, 3: 'three' };")).toEqual({ a: 1, "b-c": { d: [2] }, 3: "three" });
  });

  it("evaluates computed keys, shorthand properties, spreads and type-only wrappers", () => {
    const source = `
      const base = { x: 1, y: 2 };
      const list = [1, 2] as const;
      const y = 5;
      export const value = { ...base, y, [\`k\${1 + 1}\`]: [...list, 3]!, z: (<number>4) satisfies number } as const;`;
    expect(evaluated(source)).toEqual({ x: 1, y: 5, k2: [1, 2, 3], z: 4 });
  });

  it("reads properties, elements and lengths", () => {
    const source = `const o = { a: [10, 20, 30], s: "abc" };
      export const value = [o.a[1], o["a"].length, o.s.length, o.missing];`;
    expect(evaluated(source)).toEqual([20, 3, 3, undefined]);
  });
});

describe("const bindings across imports", () => {
  it("follows named, renamed, default and re-exported constants", () => {
    const value = evaluated({
      "main.ts": `import LABEL, { N, LIST } from "./config.js";
        import { TWICE as T } from "./again.js";
        export const value = [N * 2, LIST.length, LABEL, T];`,
      "config.ts": `export const N = 21; export const LIST = [1, 2, 3]; const label = "dflt"; export default label;`,
      "again.ts": `import { N } from "./config.js"; export const TWICE = N + N; export { N as M } from "./config.js";`,
    });
    expect(value).toEqual([42, 3, "dflt", 42]);
  });

  it("reports constants that refer to each other", () => {
    const cycle = diagnosticOf("const a: number = b; const b: number = a; export const value = a;");
    expect(cycle.code).toBe("FLC2001");
    expect(cycle.message).toContain("it refers to itself");
  });
});

describe("arithmetic and template strings", () => {
  it("evaluates operators as JavaScript does", () => {
    expect(
      evaluated(`export const value = [1 + 2 * 3, 7 % 4, 2 ** 10, 10 / 4, -(3), 1 < 2, "a" === "a", "a" !== "b",
        1 == 1, null ?? 5, 0 || "d", 1 && 2, !0, "n" + 1];`),
    ).toEqual([7, 3, 1024, 2.5, -3, true, true, true, true, 5, "d", 2, true, "n1"]);
  });

  it("fills template strings with numbers, strings and booleans", () => {
    expect(evaluated(`const n = 3; export const value = \`node-\${n}-\${n * 2}-\${'x'}-\${true}\`;`)).toBe("node-3-6-x-true");
  });

  it("refuses what would not be a finite number or a primitive", () => {
    expect(diagnosticOf("export const value = 1 / 0;").message).toContain("the result is not a finite number");
    expect(diagnosticOf("export const value = Infinity;").message).toContain("IR values must be finite numbers");
    expect(diagnosticOf(`export const value = \`\${[1]}\`;`).message).toContain("a template can only hold numbers, strings and booleans");
    expect(diagnosticOf("export const value = [1] + 1;").message).toContain("operators apply to numbers, strings and booleans only");
  });
});

describe("?: and if on constants", () => {
  it("takes the branch the constant selects", () => {
    const source = `const MODE: string = "fast";
      export const value = () => {
        let x = 0;
        if (MODE === "fast") { x = 1; } else { x = 2; }
        if (MODE === "slow") x = 3;
        return [x, MODE === "slow" ? -1 : x * 10];
      };`;
    expect(evaluated(source)).toEqual([1, 10]);
  });

  it("needs a constant condition", () => {
    const d = diagnosticOf("export const value = () => { if ({ a: 1 }) { return 1; } return 0; };");
    expect(d.code).toBe("FLC2001");
    expect(d.message).toContain("a condition must be a constant boolean, number or string");
  });
});

describe("loops are unrolled", () => {
  it("for…of over a constant array, with destructuring and an early return", () => {
    const source = `export const value = () => {
        let sum = 0;
        for (const [i, x] of [[1, 5], [2, 6], [3, 7]]) {
          if (i === 3) return sum;
          sum += i * x;
        }
        return -1;
      };`;
    expect(evaluated(source)).toBe(17);
  });

  it("counted for loops", () => {
    expect(evaluated('export const value = () => { let s = ""; for (let i = 0; i < 4; i++) { s += i; } return s; };')).toBe("0123");
    expect(evaluated("export const value = () => { let n = 0; for (let i = 10; i > 0; i -= 3) n++; return n; };")).toBe(4);
  });

  it("other loops are not evaluated", () => {
    const d = diagnosticOf("export const value = () => { let i = 0; while (i < 3) { i++; } return i; };");
    expect(d.message).toBe(
      "Cannot evaluate 'while (i < 3) { i++; }' statically: WhileStatement is not part of the statically evaluated subset (use for…of or a counted for loop).",
    );
  });
});

describe(".map, .forEach and .filter with function literals", () => {
  it("calls the literal for each element", () => {
    const source = `export const value = () => {
        let total = 0;
        [1, 2, 3].forEach((x) => { total += x; });
        return [[1, 2, 3].map((x, i) => x * 10 + i), [1, 2, 3, 4].filter((x) => x % 2 === 1), total];
      };`;
    expect(evaluated(source)).toEqual([[10, 21, 32], [1, 3], 6]);
  });

  it("needs a function literal", () => {
    expect(diagnosticOf("export const value = [1.5].map(Math.floor);").message).toContain(".map needs a function literal");
  });
});

describe("the standard library the evaluator knows", () => {
  it("Array.from", () => {
    expect(evaluated("export const value = Array.from({ length: 3 });")).toEqual([undefined, undefined, undefined]);
    expect(evaluated("export const value = Array.from({ length: 4 }, (_, i) => i * i);")).toEqual([0, 1, 4, 9]);
    expect(evaluated("export const value = Array.from([1, 2], (x) => x + 1);")).toEqual([2, 3]);
    expect(diagnosticOf('export const value = Array.from("ab");').message).toContain("Array.from needs an array or { length: n }");
  });

  it("Math.*", () => {
    expect(
      evaluated(`export const value = [Math.max(1, 5, 3), Math.min(...[4, 2]), Math.floor(2.7), Math.ceil(2.1), Math.round(2.5),
        Math.trunc(-2.5), Math.abs(-3), Math.sign(-9), Math.sqrt(16), Math.pow(2, 3), Math.log2(8), Math.log10(1000), Math.PI > 3];`),
    ).toEqual([5, 2, 2, 3, 3, -2, 3, -1, 4, 8, 3, 3, true]);
    expect(diagnosticOf("export const value = Math.random();").message).toContain("this standard function is not evaluated");
    expect(diagnosticOf('export const value = Math.floor("2");').message).toContain("Math.floor needs numbers");
  });

  it("Object.keys, Object.values and Object.entries", () => {
    expect(evaluated("const o = { a: 1, b: 'x' }; export const value = [Object.keys(o), Object.values(o), Object.entries(o)];")).toEqual([
      ["a", "b"],
      [1, "x"],
      [
        ["a", 1],
        ["b", "x"],
      ],
    ]);
  });

  it("string and array methods, and conversions", () => {
    expect(
      evaluated(`export const value = ["ab".toUpperCase(), "AB".toLowerCase(), "7".padStart(3, "0"), "7".padEnd(2), "ab".repeat(2),
        "abcd".slice(1, -1), [1, 2, 3].slice(-2), [1].concat([2, 3], 4), [1, [2, 3]].join("-"), [1, 2].includes(2),
        [5, 6].indexOf(6), [5, 6].keys(), ["x"].entries(), String(12), String([1, 2]), Number("4"), Boolean(0)];`),
    ).toEqual(["AB", "ab", "007", "7 ", "abab", "bc", [2, 3], [1, 2, 3, 4], "1-2,3", true, 1, [0, 1], [[0, "x"]], "12", "1,2", 4, false]);
  });
});

describe("FLC2001 says why an expression could not be evaluated", () => {
  const cases: [string, Record<string, string> | string, string][] = [
    [
      "a call to a user function",
      "function f() { return 1; }\nexport const value = f();",
      "Cannot evaluate 'f' statically: calls to user functions are not evaluated (the compiler never runs flow code); inline the values or use a const.",
    ],
    [
      "a run-time global",
      'export const value = parseInt("1");',
      "Cannot evaluate 'parseInt' statically: it is a run-time value (a global or a declared API); its value is not known when the flow is built.",
    ],
    [
      "a let binding",
      "export let n = 1;\nexport const value = n;",
      "Cannot evaluate 'n' statically: only const bindings can be evaluated (let and var may change).",
    ],
    ["an undeclared name", "export const value = nope;", "Cannot evaluate 'nope' statically: it is not declared."],
    [
      "a module namespace",
      { "main.ts": 'import * as cfg from "./cfg.js";\nexport const value = cfg.N;', "cfg.ts": "export const N = 1;" },
      "Cannot evaluate 'cfg' statically: a module namespace cannot be used in a flow builder; import what you need by name.",
    ],
    [
      "a destructured module constant",
      "const { a } = { a: 1 };\nexport const value = a;",
      "Cannot evaluate 'a' statically: destructured module constants are not evaluated.",
    ],
    [
      "syntax outside the subset",
      "export const value = new Array(3);",
      "Cannot evaluate 'new Array(3)' statically: NewExpression is not part of the statically evaluated subset.",
    ],
    [
      "Array() as a function",
      "export const value = Array(3);",
      "Cannot evaluate 'Array' statically: an object cannot be called statically.",
    ],
    [
      "an array method it does not know",
      "export const value = [1].fill(0);",
      "Cannot evaluate '[1].fill' statically: the array method .fill is not evaluated.",
    ],
    [
      "a string method it does not know",
      'export const value = "a,b".split(",");',
      `Cannot evaluate '"a,b".split' statically: the string method .split is not evaluated.`,
    ],
    [
      "assigning a const",
      "export const value = () => { const n = 1; n++; return n; };",
      "Cannot evaluate 'n' statically: only local let variables can be updated.",
    ],
    [
      "a DSL export that is not a flow builder function",
      'import { collectFlow } from "@flowc/dsl";\nexport const value = collectFlow;',
      "Cannot evaluate 'collectFlow' statically: 'collectFlow' from @flowc/dsl is not usable in a flow builder.",
    ],
    [
      "a method in an object literal",
      "export const value = { f() { return 1; } };",
      "Cannot evaluate 'f() { return 1; }' statically: methods and accessors in flow objects are not evaluated.",
    ],
    [
      "a call with too many arguments",
      `export const value = Math.max(...Array.from({ length: ${MAX_CALL_ARGUMENTS + 1} }, () => 1));`,
      `Cannot evaluate '...Array.from({ length: ${MAX_CALL_ARGUMENTS + 1} }, () => 1)' statically: a call takes at most ${MAX_CALL_ARGUMENTS} arguments, and this spreads ${MAX_CALL_ARGUMENTS + 1}.`,
    ],
  ];
  for (const [name, files, message] of cases) {
    it(name, () => {
      const d = diagnosticOf(files);
      expect(d.code).toBe("FLC2001");
      expect(d.message).toBe(message);
      expect(d.line).toBeGreaterThan(0);
    });
  }
});

describe("@flowc/dsl is recognised by module identity, not by its path", () => {
  it("binds the DSL's functions however they are imported", () => {
    expect(evaluated('import { rate } from "@flowc/dsl";\nexport const value = rate(5);')).toEqual({ dsl: "rate", hz: 5 });
    const reexported = {
      "main.ts": 'import { every } from "./clock.js";\nexport const value = every(2);',
      "clock.ts": 'export { rate as every } from "@flowc/dsl";',
    };
    expect(evaluated(reexported)).toEqual({ dsl: "rate", hz: 2 });
  });

  it("reads node() definitions from the DSL", () => {
    const outcome = run(`import { node } from "@flowc/dsl";
      import { z } from "zod";
      export const Def = node("Def", { outputs: { x: z.number() }, step: () => ({ x: 1 }) });
      export const value = Def;`);
    expect(outcome.value).toBeInstanceOf(NodeDefValue);
    expect((outcome.value as NodeDefValue).info.outputs.has("x")).toBe(true);
    expect(outcome.nodeDefs).toEqual(["Def"]);
  });

  it("treats a user folder called packages/dsl as user code", () => {
    const d = diagnosticOf({
      "main.ts": 'import { rate } from "./packages/dsl/clock.js";\nexport const value = rate(5);',
      "packages/dsl/clock.ts": "export function rate(hz: number) { return { kind: 'rate', hz }; }",
    });
    expect(d.message).toContain("'rate' statically: calls to user functions are not evaluated");
  });

  it("treats a user folder called @flowc/dsl as user code, even with a function named node", () => {
    const outcome = run({
      "main.ts": 'import { node } from "./@flowc/dsl/index.js";\nexport const value = node("X");',
      "@flowc/dsl/index.ts": "export const node = (type: string) => ({ type });",
    });
    expect(outcome.value).toEqual({ type: "X" });
    expect(outcome.nodeDefs).toEqual([]);
  });

  it("knows the DSL's files: the resolved entry and the modules it re-exports", () => {
    const { main } = load({ "main.ts": 'export { flow } from "@flowc/dsl";', "packages/dsl/src/node.ts": "export const node = 1;" });
    const dsl = new DslModule(project, main.getFilePath());
    const dslSources = join(import.meta.dirname, "../../dsl/src");
    for (const name of ["index.ts", "node.ts", "flow.ts", "timing.ts"]) {
      const file = project.getSourceFileOrThrow(join(dslSources, name));
      expect(dsl.has(file), name).toBe(true);
    }
    expect(dsl.has(main)).toBe(false);
    expect(dsl.has(project.getSourceFileOrThrow(join(main.getDirectoryPath(), "packages/dsl/src/node.ts")))).toBe(false);
  });
});

describe("the evaluation budget", () => {
  // Each case must end with FLC2017 long before it could hang or allocate: the measured time is
  // well under a second; the bound only guards against a hang on a slow, loaded machine.
  const BOUND_MS = 5_000;
  const overBudget = (files: Record<string, string> | string) => {
    const d = diagnosticOf(files);
    expect(d.code).toBe("FLC2017");
    expect(d.message).toBe(
      `Evaluation stopped: the flow builder went past its budget of ${EVALUATION_BUDGET.steps} evaluation steps; the flow is too large or a loop does not terminate.`,
    );
    expect(d.ms).toBeLessThan(BOUND_MS);
    return d;
  };

  it("a counted loop of 1e9 iterations", () => {
    const d = overBudget("export const value = () => { for (let i = 0; i < 1e9; i++) {} };");
    expect(d.hint).toBeUndefined();
  });

  it("nested loops whose product is huge", () => {
    overBudget("export const value = () => { let n = 0; for (let i = 0; i < 1e5; i++) { for (let j = 0; j < 1e5; j++) { n += 1; } } };");
  });

  it("Array.from({ length: 1e9 }), without and with a callback, before allocating", () => {
    expect(overBudget("export const value = Array.from({ length: 1e9 });").hint).toContain("Building an array of 1000000000 elements");
    expect(overBudget("export const value = Array.from({ length: 1e9 }, (_, i) => i);").hint).toContain(
      "Building an array of 1000000000 elements",
    );
  });

  it('"x".repeat(1e9), .padStart and .padEnd', () => {
    expect(overBudget('export const value = "x".repeat(1e9);').hint).toBe(
      `Building a string of 1000000000 characters is more than is left of the evaluation budget: a flow gets ${EVALUATION_BUDGET.steps} steps, and building or scanning values costs one step per ${EVALUATION_BUDGET.itemsPerStep} elements, characters or properties.`,
    );
    overBudget('export const value = "x".padStart(1e9);');
    overBudget('export const value = "x".padEnd(1e9, "ab");');
  });

  it(".filter takes a step per element", () => {
    // Building and keeping 95,000 elements costs 19,000 steps; the 95,000 callbacks go past the budget.
    overBudget("export const value = Array.from({ length: 95000 }).filter(() => true);");
    expect(evaluated("export const value = Array.from({ length: 45000 }).filter(() => true).length;")).toBe(45000);
  });

  it(".join of an array that shares one long string", () => {
    const d = overBudget('const big = "x".repeat(100000);\nexport const value = Array.from({ length: 1000 }, () => big).join("");');
    expect(d.hint).toContain("Building a string of 100000000 characters");
  });

  it("spreading huge arrays", () => {
    overBudget("const a = Array.from({ length: 600000 });\nexport const value = [...a, ...a];");
    overBudget("const a = Array.from({ length: 600000 });\nexport const value = a.concat(a);");
  });

  it("strings and objects that grow in a loop", () => {
    overBudget('export const value = () => { let s = "x"; for (let i = 0; i < 64; i++) { s = s + s; } return s.length; };');
    overBudget(`export const value = () => { let o = {}; for (let i = 0; i < 1e5; i++) { o = { ...o, [\`k\${i}\`]: i }; } return o; };`);
  });

  it("runaway recursion through function literals", () => {
    const d = overBudget("export const value = () => { const f = (n: number): number => f(n + 1); return f(0); };");
    expect(d.hint).toBe(`Function literals call each other more than ${EVALUATION_BUDGET.callDepth} deep.`);
  });

  it("says how the steps were spent when building values used part of them", () => {
    const d = overBudget(`export const value = () => { let s = ""; for (let i = 0; i < 1e9; i++) { s = \`\${i}\`; } };`);
    expect(d.hint).toMatch(/^\d+ steps went to loop iterations and calls, the rest to building and scanning \d+ elements/);
  });

  it("Array(n), new Array(n) and .fill are outside the subset, so they never allocate", () => {
    for (const source of [
      "export const value = Array(1e9);",
      "export const value = new Array(1e9);",
      "export const value = [0].fill(1, 0, 1e9);",
    ]) {
      const d = diagnosticOf(source);
      expect(d.code).toBe("FLC2001");
      expect(d.ms).toBeLessThan(BOUND_MS);
    }
  });

  it("leaves room for large flows", () => {
    expect(evaluated("export const value = () => { let n = 0; for (let i = 0; i < 99999; i++) { n += 1; } return n; };")).toBe(99999);
    expect((evaluated(`export const value = Array.from({ length: 50000 }, (_, i) => \`w\${i}\`);`) as string[]).at(-1)).toBe("w49999");
  });
});
