// `flowc init`: what it writes, that the scaffold is a valid flow whose test expectations hold,
// and that it never overwrites a file (all or nothing).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testFlow } from "@flowc/cli";
import { afterAll, describe, expect, it } from "vitest";
import { stopEsbuild } from "../helpers/processes.js";
import { flowc, root } from "./helpers.js";

const outside = mkdtempSync(join(tmpdir(), "flowc-init-test-"));
// Inside the repository, so the scaffold's `@flowc/dsl` and `zod` resolve to the workspace's.
const inside = join(root, "tests/cli", `.scratch-init-${process.pid}`);
afterAll(async () => {
  rmSync(outside, { recursive: true, force: true });
  rmSync(inside, { recursive: true, force: true });
  expect(await stopEsbuild()).toEqual([]);
});

const SCAFFOLD = [
  ".gitignore",
  "flowc.config.json",
  "package.json",
  "src/main.flow.ts",
  "src/main.test.ts",
  "src/nodes.ts",
  "tsconfig.json",
];

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string, prefix: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(at, entry.name), `${prefix}${entry.name}/`);
      else out.push(`${prefix}${entry.name}`);
    }
  };
  walk(dir, "");
  return out.sort();
}

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));

describe("flowc init", () => {
  it("scaffolds a project whose flow checks and whose test expectations hold", async () => {
    const made = await flowc(["init", inside, "--name", "My Flows"]);
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);
    expect(made.stdout).toContain("+ src/main.flow.ts");
    expect(files(inside)).toEqual(SCAFFOLD);
    const pkg = readJson(join(inside, "package.json"));
    expect(pkg).toMatchObject({ name: "my-flows", type: "module", private: true });
    expect(Object.keys(pkg.scripts)).toEqual(["build", "run", "check", "test"]);
    expect(Object.keys(pkg.dependencies).sort()).toEqual(["@flowc/dsl", "flowc", "zod"]);
    // The ranges this workspace builds and tests with.
    const workspace = readJson(join(root, "package.json"));
    expect(pkg.dependencies.zod).toBe(workspace.devDependencies.zod);
    expect(pkg.devDependencies.vitest).toBe(`^${workspace.devDependencies.vitest}`);
    expect(readJson(join(inside, "tsconfig.json")).compilerOptions.strict).toBe(true);
    expect(readJson(join(inside, "flowc.config.json")).$schema).toBe("./node_modules/flowc/schema/config.schema.json");

    const checked = await flowc(["check", "src/main.flow.ts"], { cwd: inside });
    expect(checked.stderr).toBe("");
    expect(checked.stdout).toContain("flow 'main' is valid (3 nodes, 2 channels)");

    // The scaffold's own test asserts these values; here they are computed by the same helper.
    const test = readFileSync(join(inside, "src/main.test.ts"), "utf8");
    const flowFile = join(inside, "src/main.flow.ts");
    const whole = await testFlow(flowFile);
    expect(whole.result.status).toBe("succeeded");
    expect(test).toContain('expect(result.status).toBe("succeeded")');
    expect(whole.outputs("sum.total")).toEqual([2, 6, 12, 20, 30]);
    expect(test).toContain('expect(outputs("sum.total")).toEqual([2, 6, 12, 20, 30])');
    const fed = await testFlow(flowFile, { feed: { "double.value": [10, -1] } });
    expect(fed.outputs("sum.total")).toEqual([20, 18]);
    expect(test).toContain('expect(outputs("sum.total")).toEqual([20, 18])');
  }, 120_000);

  it("refuses to overwrite anything and writes nothing when one file exists", async () => {
    const dir = join(outside, "taken");
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(join(dir, "src/nodes.ts"), "// mine\n");
    const refused = await flowc(["init", dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("FLC4007");
    expect(refused.stderr).toContain("src/nodes.ts");
    expect(files(dir)).toEqual(["src/nodes.ts"]);
    expect(readFileSync(join(dir, "src/nodes.ts"), "utf8")).toBe("// mine\n");
  });

  it("extends an existing package.json, replacing only npm's placeholder test script", async () => {
    const dir = join(outside, "extend");
    mkdirSync(dir);
    const original = {
      name: "mine",
      scripts: { test: 'echo "Error: no test specified" && exit 1', lint: "biome ci ." },
      dependencies: { zod: "4.0.0" },
    };
    writeFileSync(join(dir, "package.json"), JSON.stringify(original));
    const made = await flowc(["init", dir, "--json"]);
    expect(made.code).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ ok: true, updated: ["package.json"] });
    const pkg = readJson(join(dir, "package.json"));
    expect(pkg.name).toBe("mine");
    expect(pkg.scripts).toMatchObject({ lint: "biome ci .", test: "vitest run", check: "flowc check src/main.flow.ts" });
    expect(pkg.dependencies.zod).toBe("4.0.0");
    expect(pkg.dependencies.flowc).toMatch(/^\^\d/);

    const other = join(outside, "conflict");
    mkdirSync(other);
    writeFileSync(join(other, "package.json"), JSON.stringify({ scripts: { build: "tsc" } }));
    const refused = await flowc(["init", other]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("package.json (script 'build')");
    expect(files(other)).toEqual(["package.json"]);
  });

  it("reports a package.json it cannot extend and a path that is a file with codes", async () => {
    const dir = join(outside, "broken");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), "{ not json");
    const broken = await flowc(["init", dir]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain("FLC4008");
    expect(files(dir)).toEqual(["package.json"]);

    writeFileSync(join(outside, "plain-file"), "");
    const notDir = await flowc(["init", join(outside, "plain-file")]);
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toContain("FLC4006");
    expect(existsSync(join(outside, "plain-file", "src"))).toBe(false);
  });
});
