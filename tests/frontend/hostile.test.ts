import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compile } from "@flowc/frontend";
import { MAX_PARALLELISM } from "@flowc/ir";
import { afterAll, describe, expect, it } from "vitest";

// Flows a careless or hostile author can write: the compiler reports what the IR would refuse,
// at the call, instead of dropping it.

const root = join(import.meta.dirname, "../..");
// Inside the repository, so that @flowc/dsl and zod resolve as for users.
const scratch = mkdtempSync(join(root, "tests/frontend/.scratch-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function compileFlow(body: string, nodes = ""): ReturnType<typeof compile> {
  const dir = mkdtempSync(join(scratch, "p-"));
  const files = {
    "package.json": '{ "name": "scratch", "private": true, "type": "module" }\n',
    "main.flow.ts": `import { flow, node, rate } from "@flowc/dsl";
import { z } from "zod";
export const Src = node("Src", { params: { cfg: z.record(z.string(), z.number()).optional() }, outputs: { v: z.number() }, step: () => ({ v: 1 }) });
export const Sink = node("Sink", { inputs: { v: z.number() }, step: () => undefined });
${nodes}
export default flow("f", ({ add, connect }) => {
${body}
});
`,
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return compile({ entry: join(dir, "main.flow.ts"), displayRoot: dir });
}

const errors = (result: ReturnType<typeof compile>) =>
  result.diagnostics.filter((d) => d.severity === "error").map((d) => [d.code, d.line, d.message]);

describe("__proto__ and constructor in a flow", () => {
  it("node ids __proto__ and constructor compile like any other id", () => {
    const result = compileFlow(`  connect(add("__proto__", Src, { clock: rate(1) }).out.v, add("constructor", Sink).in.v);`);
    expect(errors(result)).toEqual([]);
    expect(result.ir?.nodes.map((n) => n.id)).toEqual(["__proto__", "constructor"]);
    expect(result.ir?.channels[0]?.id).toBe("__proto__.v->constructor.v");
  });

  it("a __proto__ key in params is reported at add(), not dropped", () => {
    for (const cfg of [`{ ["__proto__"]: 1, a: 2 }`, `{ "__proto__": 1 }`, `{ ...{ ["__proto__"]: 1 } }`]) {
      const result = compileFlow(`  connect(add("s", Src, { clock: rate(1), params: { cfg: ${cfg} } }).out.v, add("k", Sink).in.v);`);
      expect(result.ir, cfg).toBeUndefined();
      expect(errors(result), cfg).toEqual([["FLC1005", 7, "The key '__proto__' is not allowed in an IR document."]]);
    }
  });

  it("ports named __proto__, and port types with a __proto__ property, are reported, not dropped", () => {
    const outputPort = compileFlow(
      `  add("o", Odd, { clock: rate(1) });`,
      `export const Odd = node("Odd", { outputs: { ["__proto__"]: z.number() }, step: () => undefined });`,
    );
    expect(errors(outputPort).map(([c]) => c)).toEqual(["FLC1042"]);
    const property = compileFlow(
      `  add("o", Odd, { clock: rate(1) });`,
      `type Odd = { ["__proto__"]: number };\nexport const Odd = node("Odd", { outputs: { v: z.custom<Odd>() }, step: () => undefined });`,
    );
    expect(errors(property).map(([c]) => c)).toEqual(["FLC1005"]);
  });
});

describe("parallelism", () => {
  it(`more than ${MAX_PARALLELISM} copies is FLC1040 at add()`, () => {
    for (const [bad, value] of [
      ["65", 65],
      ["2 ** 31", 2 ** 31],
    ] as const) {
      const result = compileFlow(`  connect(add("s", Src, { clock: rate(1) }).out.v, add("k", Sink, { parallelism: ${bad} }).in.v);`);
      expect(errors(result), bad).toEqual([["FLC1040", 7, `Parallelism must be an integer from 1 to 64 (got ${value}).`]]);
    }
    const ok = compileFlow(`  connect(add("s", Src, { clock: rate(1) }).out.v, add("k", Sink, { parallelism: ${MAX_PARALLELISM} }).in.v);`);
    expect(errors(ok)).toEqual([]);
  });
});
