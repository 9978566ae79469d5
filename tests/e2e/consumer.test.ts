// flowc as a user meets it: the release tarballs installed into fresh npm and pnpm projects
// outside the repository (nothing of the workspace on their resolution path), a flow written in
// two files, then check (with TypeScript's own error), build, run on mp threads and on the
// dataflow runtime, a source-mapped stack, Ctrl-C while compiling, and `flowc init` with its test.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root } from "../cli/helpers.js";

const base = mkdtempSync(join(tmpdir(), "flowc-consumer-"));
const packed = join(base, "tarballs");
const npmProject = join(base, "npm-project");
const pnpmProject = join(base, "pnpm-project");
const initProject = join(base, "init-project");
// Every temporary directory flowc makes during these runs lands here, to be checked empty.
const flowcTmp = join(base, "tmp");

/** The environment for package managers and flowc: quiet npm, no colour, a private TMPDIR. */
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NO_COLOR: "1",
  TMPDIR: flowcTmp,
  npm_config_update_notifier: "false",
  npm_config_fund: "false",
  npm_config_audit: "false",
  npm_config_loglevel: "error",
};
// The workspace's own settings must not reach the user's projects.
delete env.INIT_CWD;
delete env.FLOWC_RUNTIME;
for (const key of Object.keys(env)) if (key.startsWith("npm_package_") || key.startsWith("npm_lifecycle_")) delete env[key];

interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sh(command: string, args: string[], cwd: string, timeoutMs = 240_000): Done {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL" });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The installed flowc's executable, run by node directly (so signals reach flowc itself). */
const flowc = (project: string, args: string[]) =>
  sh(process.execPath, [join(project, "node_modules/flowc/bin/flowc.mjs"), ...args], project, 120_000);

const tarballs = () => readdirSync(packed).map((f) => join(packed, f));

/** Processes whose command line names a directory of this test (none may outlive a run). */
function leftovers(): string[] {
  const out = spawnSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" }).stdout;
  return out.split("\n").filter((line) => line.includes(base) && !line.includes("ps -eo"));
}

const NODES = `import { node } from "@flowc/dsl";
import { z } from "zod";

export const Count = node("Count", {
  params: { upTo: z.number().int() },
  outputs: { n: z.number() },
  source: async function* ({ params }) {
    for (let n = 1; n <= params.upTo; n++) yield { n };
  },
});

export const Square = node("Square", {
  inputs: { n: z.number() },
  outputs: { n: z.number() },
  step: ({ n }) => (n === undefined ? undefined : { n: n * n }),
});

export const Show = node("Show", {
  inputs: { n: z.number() },
  step: ({ n }, { log }) => {
    if (n !== undefined) log.info(\`square \${n}\`);
  },
});

export const Explode = node("Explode", {
  inputs: { n: z.number() },
  step: ({ n }) => {
    if (n === 3) throw new Error("exploded at 3");
  },
});
`;

const FLOW = `import { flow } from "@flowc/dsl";
import { Count, Show, Square } from "./nodes.js";

export default flow("squares", ({ add, connect }) => {
  const count = add("count", Count, { params: { upTo: 4 } });
  const square = add("square", Square);
  const show = add("show", Show);
  connect(count.out.n, square.in.n);
  connect(square.out.n, show.in.n);
});
`;

const THROWING_FLOW = `import { flow } from "@flowc/dsl";
import { Count, Explode } from "./nodes.js";

export default flow("explodes", ({ add, connect }) => {
  const count = add("count", Count, { params: { upTo: 5 } });
  const explode = add("explode", Explode);
  connect(count.out.n, explode.in.n);
});
`;

const TS_ERROR_NODES = `import { node } from "@flowc/dsl";
import { z } from "zod";

export const Wrong = node("Wrong", {
  inputs: { n: z.number() },
  outputs: { n: z.number() },
  step: () => ({ n: "not a number" }),
});
`;

const TS_ERROR_FLOW = `import { flow } from "@flowc/dsl";
import { Count } from "./nodes.js";
import { Wrong } from "./wrong.js";

export default flow("wrong", ({ add, connect }) => {
  const count = add("count", Count, { params: { upTo: 2 } });
  const wrong = add("wrong", Wrong);
  connect(count.out.n, wrong.in.n);
});
`;

const TSCONFIG = JSON.stringify({
  compilerOptions: { target: "ES2023", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: true, noEmit: true },
  include: ["src"],
});

/** A user's project: the flow in two files plus the error cases. */
function writeProject(dir: string): void {
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "tsconfig.json"), TSCONFIG);
  writeFileSync(join(dir, "src/nodes.ts"), NODES);
  writeFileSync(join(dir, "src/squares.flow.ts"), FLOW);
  writeFileSync(join(dir, "src/explodes.flow.ts"), THROWING_FLOW);
  writeFileSync(join(dir, "src/wrong.ts"), TS_ERROR_NODES);
  writeFileSync(join(dir, "src/wrong.flow.ts"), TS_ERROR_FLOW);
}

/** The line of the throw in NODES, as a stack must name it. */
const THROW_LINE = NODES.split("\n").findIndex((line) => line.includes('throw new Error("exploded at 3")')) + 1;

const SQUARES = ["[show] square 1", "[show] square 4", "[show] square 9", "[show] square 16"];

beforeAll(() => {
  mkdirSync(flowcTmp);
  const pack = sh(process.execPath, [join(root, "scripts/release-pack.mjs"), "--quiet", "--out", packed], root);
  expect(pack.code, pack.stderr).toBe(0);
}, 300_000);

afterAll(() => {
  const left = leftovers();
  rmSync(base, { recursive: true, force: true });
  expect(left).toEqual([]);
});

describe("the release tarballs", () => {
  it("are one flowc package and @flowc/dsl, with built JavaScript, declarations and no sources or tests", () => {
    const names = readdirSync(packed).sort();
    expect(names).toEqual([expect.stringMatching(/^flowc-\d+\.\d+\.\d+\.tgz$/), expect.stringMatching(/^flowc-dsl-\d+\.\d+\.\d+\.tgz$/)]);
    for (const tarball of tarballs()) {
      const list = sh("tar", ["tzf", tarball], base).stdout.split("\n").filter(Boolean);
      expect(list).toContain("package/package.json");
      expect(list).toContain("package/README.md");
      expect(list).toContain("package/LICENSE");
      expect(list.some((f) => f.endsWith(".d.ts"))).toBe(true);
      // Declarations, never TypeScript sources; no tests or fixtures.
      expect(list.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
      expect(list.filter((f) => /\.(test|spec)\.|fixture|\/testing\//.test(f))).toEqual([]);
      const manifest = JSON.parse(sh("tar", ["xzfO", tarball, "package/package.json"], base).stdout);
      expect(manifest.private).toBeUndefined();
      expect(manifest).toMatchObject({ type: "module", license: "MIT", engines: { node: expect.any(String) } });
      expect(manifest.repository.url).toMatch(/^git\+https:/);
      expect(manifest.keywords.length).toBeGreaterThan(0);
      expect(manifest.exports["."]).toMatchObject({ types: expect.stringMatching(/\.d\.ts$/), import: expect.stringMatching(/\.js$/) });
      for (const deps of [manifest.dependencies ?? {}, manifest.peerDependencies ?? {}]) {
        for (const range of Object.values(deps)) expect(range).not.toMatch(/^workspace:/);
      }
      if (manifest.name === "flowc") {
        expect(manifest.bin).toEqual({ flowc: "./bin/flowc.mjs" });
        expect(Object.keys(manifest.dependencies).filter((d) => d.startsWith("@flowc/"))).toEqual([]);
      }
    }
  });
});

describe("an npm project", () => {
  beforeAll(() => {
    mkdirSync(npmProject);
    writeFileSync(join(npmProject, "package.json"), JSON.stringify({ name: "npm-user", private: true, type: "module" }));
    const installed = sh("npm", ["install", ...tarballs(), "zod"], npmProject);
    expect(installed.code, installed.stderr).toBe(0);
    writeProject(npmProject);
  }, 300_000);

  it("npx flowc answers", () => {
    const version = sh("npx", ["--no-install", "flowc", "--version"], npmProject);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("check accepts the flow and reports a TS2322 inside a node file at its line (exit 1)", () => {
    const good = flowc(npmProject, ["check", "src/squares.flow.ts"]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain("flow 'squares' is valid (3 nodes, 2 channels)");
    const bad = flowc(npmProject, ["check", "src/wrong.flow.ts"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/src\/wrong\.ts\(7,3\): error TS2322: /);
  });

  it("build writes the IR and the node bundles", () => {
    const built = flowc(npmProject, ["build", "src/squares.flow.ts", "-o", "out"]);
    expect(built.code, built.stderr).toBe(0);
    const ir = JSON.parse(readFileSync(join(npmProject, "out/squares.ir.json"), "utf8"));
    expect(ir.nodes.map((n: { id: string }) => n.id)).toEqual(["count", "square", "show"]);
  });

  it("runs on mp worker threads, on mp processes and on the dataflow runtime with the same output", () => {
    for (const args of [
      ["--runtime", "mp"],
      ["--runtime", "mp", "--config", "process.json"],
      ["--runtime", "dataflow"],
    ]) {
      if (args.includes("process.json"))
        writeFileSync(join(npmProject, "process.json"), JSON.stringify({ runtimes: { mp: { isolation: "process" } } }));
      const ran = flowc(npmProject, ["run", "out/squares.ir.json", ...args]);
      expect(ran.code, `${args.join(" ")}\n${ran.stderr}`).toBe(0);
      expect(ran.stdout.trim().split("\n")).toEqual(SQUARES);
    }
  });

  it("a throwing step's stack names the user's .ts line on threads and on dataflow nodes", () => {
    for (const runtime of ["mp", "dataflow"]) {
      const ran = flowc(npmProject, ["run", "src/explodes.flow.ts", "--runtime", runtime]);
      expect(ran.code).toBe(1);
      expect(ran.stderr).toContain("exploded at 3");
      expect(ran.stderr).toMatch(new RegExp(`${npmProject.replaceAll("/", "\\/")}\\/src\\/nodes\\.ts:${THROW_LINE}:\\d+`));
    }
  });

  it("Ctrl-C while compiling exits 130 and leaves no temporary directory and no process", async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [join(npmProject, "node_modules/flowc/bin/flowc.mjs"), "run", "src/squares.flow.ts", "--json"],
      {
        cwd: npmProject,
        env,
      },
    );
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/SIGINT: stopped before (the run|anything) started/);
    expect(readdirSync(flowcTmp).filter((f) => f.startsWith("flowc-"))).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it("flowc init makes a project whose check, run and vitest test pass", () => {
    const made = flowc(npmProject, ["init", initProject]);
    expect(made.code, made.stderr).toBe(0);
    // The scaffold names published ranges; until flowc is on the registry, the tarballs stand in.
    const installed = sh("npm", ["install", ...tarballs()], initProject);
    expect(installed.code, installed.stderr).toBe(0);
    const checked = sh("npm", ["run", "check"], initProject);
    expect(checked.code, checked.stderr).toBe(0);
    const ran = sh("npm", ["run", "run"], initProject);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain("[sum] total 30");
    const tested = sh("npm", ["test"], initProject);
    expect(tested.code, `${tested.stdout}\n${tested.stderr}`).toBe(0);
    expect(tested.stdout).toMatch(/Tests\s+2 passed/);
    // The user's own tsc agrees with flowc check.
    const tsc = sh(process.execPath, [join(initProject, "node_modules/typescript/bin/tsc"), "-p", "."], initProject);
    expect(tsc.code, tsc.stdout).toBe(0);
  });
});

describe("a pnpm project", () => {
  beforeAll(() => {
    mkdirSync(pnpmProject);
    writeFileSync(join(pnpmProject, "package.json"), JSON.stringify({ name: "pnpm-user", private: true, type: "module" }));
    const installed = sh("npx", ["--yes", "pnpm@10", "add", ...tarballs(), "zod"], pnpmProject);
    expect(installed.code, `${installed.stdout}\n${installed.stderr}`).toBe(0);
    writeProject(pnpmProject);
  }, 300_000);

  it("checks, builds and runs on mp threads and dataflow", () => {
    const bad = flowc(pnpmProject, ["check", "src/wrong.flow.ts"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/src\/wrong\.ts\(7,3\): error TS2322: /);
    const built = flowc(pnpmProject, ["build", "src/squares.flow.ts", "-o", "out"]);
    expect(built.code, built.stderr).toBe(0);
    for (const runtime of ["mp", "dataflow"]) {
      const ran = flowc(pnpmProject, ["run", "out/squares.ir.json", "--runtime", runtime]);
      expect(ran.code, ran.stderr).toBe(0);
      expect(ran.stdout.trim().split("\n")).toEqual(SQUARES);
    }
    const thrown = flowc(pnpmProject, ["run", "src/explodes.flow.ts"]);
    expect(thrown.stderr).toContain(`src/nodes.ts:${THROW_LINE}:`);
  });

  it("resolves flowc's libraries from its own dependencies (pnpm's strict layout)", () => {
    expect(existsSync(join(pnpmProject, "node_modules/ts-morph"))).toBe(false);
    expect(statSync(join(pnpmProject, "node_modules/flowc")).isDirectory()).toBe(true);
  });
});
