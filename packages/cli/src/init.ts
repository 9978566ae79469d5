import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { createDiagnostic, type Diagnostic } from "@flowc/ir";
import { FLOWC_VERSION } from "./version.js";

/**
 * Dependency ranges a new project starts with. `typescript` is 6.x because flowc type-checks
 * with TypeScript 6 (through ts-morph): the project's own `tsc` then reports what `flowc
 * check` reports.
 */
export const INIT_DEPENDENCIES = {
  dependencies: { "@flowc/dsl": `^${FLOWC_VERSION}`, flowc: `^${FLOWC_VERSION}`, zod: "^4.6.7" },
  devDependencies: { "@types/node": "^20.19.0", typescript: "^6.0.3", vitest: "^4.1.12" },
} as const;

export const INIT_SCRIPTS = {
  build: "flowc build src/main.flow.ts -o dist",
  run: "flowc run src/main.flow.ts",
  check: "flowc check src/main.flow.ts",
  test: "vitest run",
} as const;

/** npm's placeholder `test` script (`npm init -y`): replacing it loses nothing. */
const NPM_PLACEHOLDER_TEST = 'echo "Error: no test specified" && exit 1';

export interface InitOptions {
  /** The package name when a package.json is written; default: the directory's name. */
  readonly name?: string;
  /** `dir` is relative to this directory, and so are the paths in messages; default: the process' own. */
  readonly cwd?: string;
}

export interface InitResult {
  readonly ok: boolean;
  /** The project directory (absolute). */
  readonly dir: string;
  /** Files written, relative to `dir`. */
  readonly created: readonly string[];
  /** Existing files extended (package.json), relative to `dir`. */
  readonly updated: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Scaffolds a flowc project in `dir` (created when missing): package.json with the scripts
 * build / run / check / test, a strict tsconfig.json, flowc.config.json, src/nodes.ts,
 * src/main.flow.ts, a vitest test of the flow and .gitignore. Never overwrites: when any file
 * it would create exists, nothing is written (FLC4007). An existing package.json is extended
 * with what it lacks; a script of the same name that is already there is a conflict.
 */
export function initProject(dir: string, options: InitOptions = {}): InitResult {
  const cwd = options.cwd ?? process.cwd();
  const root = resolve(cwd, dir);
  const shown = (path: string) => {
    const near = relative(cwd, path);
    return near === "" ? "." : near.startsWith("..") ? path : near;
  };
  const fail = (diagnostics: Diagnostic[]): InitResult => ({ ok: false, dir: root, created: [], updated: [], diagnostics });
  if (existsSync(root) && !statSync(root).isDirectory()) {
    return fail([createDiagnostic("FileUnwritable", { path: shown(root), detail: "it exists and is not a directory" })]);
  }
  const name = packageName(options.name ?? basename(root));
  const files = new Map<string, string>(Object.entries(templates()));
  const conflicts = [...files.keys()].filter((file) => existsSync(join(root, file)));

  const packagePath = join(root, "package.json");
  let packageJson: string;
  let extending = false;
  if (existsSync(packagePath)) {
    const merged = extendPackageJson(packagePath, shown(packagePath));
    if ("diagnostic" in merged) return fail([merged.diagnostic]);
    conflicts.push(...merged.conflicts.map((script) => `package.json (script '${script}')`));
    packageJson = merged.text;
    extending = true;
  } else {
    packageJson = json({
      name,
      version: "0.1.0",
      private: true,
      type: "module",
      scripts: INIT_SCRIPTS,
      ...INIT_DEPENDENCIES,
    });
  }
  if (conflicts.length > 0) {
    return fail([createDiagnostic("InitWouldOverwrite", { files: conflicts.join(", "), dir: shown(root) })]);
  }

  const created: string[] = [];
  const madeDirs = [root, join(root, "src")].filter((d) => !existsSync(d));
  try {
    mkdirSync(join(root, "src"), { recursive: true });
    for (const [file, text] of files) {
      writeNew(join(root, file), text);
      created.push(file);
    }
    if (extending) {
      const temporary = `${packagePath}.tmp-${process.pid}`;
      try {
        writeNew(temporary, packageJson);
        renameSync(temporary, packagePath);
      } finally {
        rmSync(temporary, { force: true });
      }
    } else {
      writeNew(packagePath, packageJson);
      created.push("package.json");
    }
  } catch (error) {
    // All or nothing: remove what this call wrote.
    for (const file of created) rmSync(join(root, file), { force: true });
    for (const made of madeDirs.reverse()) rmSync(made, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    const detail =
      code === "EEXIST"
        ? "a file appeared while flowc init was writing"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : code === "ENOSPC"
            ? "no space left"
            : String((error as Error).message);
    return fail([createDiagnostic("FileUnwritable", { path: shown(root), detail })]);
  }
  return { ok: true, dir: root, created: created.sort(), updated: extending ? ["package.json"] : [], diagnostics: [] };
}

/** Creates a file that must not exist yet (O_EXCL: one that appeared since the checks is never replaced). */
function writeNew(path: string, text: string): void {
  const fd = openSync(path, "wx");
  try {
    writeSync(fd, text);
  } catch (error) {
    rmSync(path, { force: true });
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** A valid npm package name from a directory name. */
function packageName(raw: string): string {
  const cleaned = raw
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, "-")
    .replace(/^[._-]+|-+$/g, "");
  return cleaned === "" ? "flows" : cleaned.slice(0, 214);
}

/** The existing package.json with the scripts, dependencies and `type` it lacks. */
function extendPackageJson(path: string, shown: string): { text: string; conflicts: string[] } | { diagnostic: Diagnostic } {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    return { diagnostic: createDiagnostic("PackageJsonInvalid", { path: shown, detail: `not valid JSON (${(error as Error).message})` }) };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { diagnostic: createDiagnostic("PackageJsonInvalid", { path: shown, detail: "it is not a JSON object" }) };
  }
  const pkg = value as Record<string, unknown>;
  for (const key of ["scripts", "dependencies", "devDependencies"] as const) {
    const field = pkg[key];
    if (field !== undefined && (typeof field !== "object" || field === null || Array.isArray(field))) {
      return { diagnostic: createDiagnostic("PackageJsonInvalid", { path: shown, detail: `'${key}' is not an object` }) };
    }
  }
  const scripts = { ...((pkg.scripts as Record<string, unknown> | undefined) ?? {}) };
  const conflicts: string[] = [];
  for (const [script, command] of Object.entries(INIT_SCRIPTS)) {
    const existing = scripts[script];
    if (existing === undefined || existing === command || (script === "test" && existing === NPM_PLACEHOLDER_TEST))
      scripts[script] = command;
    else conflicts.push(script);
  }
  const has = (dep: string) =>
    Object.hasOwn((pkg.dependencies as object | undefined) ?? {}, dep) ||
    Object.hasOwn((pkg.devDependencies as object | undefined) ?? {}, dep);
  const add = (key: "dependencies" | "devDependencies") => {
    const current = { ...((pkg[key] as Record<string, unknown> | undefined) ?? {}) };
    for (const [dep, range] of Object.entries(INIT_DEPENDENCIES[key])) if (!has(dep)) current[dep] = range;
    return current;
  };
  const next: Record<string, unknown> = {
    ...pkg,
    type: pkg.type ?? "module",
    scripts,
    dependencies: add("dependencies"),
    devDependencies: add("devDependencies"),
  };
  return { text: json(next), conflicts };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** The files of a new project, by path relative to its directory (package.json apart). */
function templates(): Record<string, string> {
  return {
    "tsconfig.json": json({
      compilerOptions: {
        target: "ES2023",
        lib: ["ES2023"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noUncheckedIndexedAccess: true,
        noImplicitOverride: true,
        noFallthroughCasesInSwitch: true,
        verbatimModuleSyntax: true,
        isolatedModules: true,
        skipLibCheck: true,
        noEmit: true,
        types: ["node"],
      },
      include: ["src"],
    }),
    "flowc.config.json": json({
      $schema: "./node_modules/flowc/schema/config.schema.json",
      runtime: "mp",
      runtimes: { mp: { isolation: "thread" } },
    }),
    ".gitignore": ["node_modules/", "dist/", ".flowc-out/", "*.log", ""].join("\n"),
    "src/nodes.ts": NODES_TS,
    "src/main.flow.ts": MAIN_FLOW_TS,
    "src/main.test.ts": MAIN_TEST_TS,
  };
}

const NODES_TS = `// Node definitions: typed ports (zod schemas), parameters, and the code that runs per message.
import { node } from "@flowc/dsl";
import { z } from "zod";

/** A finite source: the numbers 1 … count, then its stream ends. */
export const Numbers = node("Numbers", {
  params: { count: z.number().int().nonnegative() },
  outputs: { value: z.number() },
  source: async function* ({ params }) {
    for (let n = 1; n <= params.count; n++) yield { value: n };
  },
});

/** Multiplies every value by a factor. */
export const Scale = node("Scale", {
  params: { factor: z.number() },
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }, { params }) => (value === undefined ? undefined : { value: value * params.factor }),
});

/** Keeps a running total, logs it and sends it on. */
export const Sum = node("Sum", {
  inputs: { value: z.number() },
  outputs: { total: z.number() },
  state: () => ({ total: 0 }),
  step: ({ value }, { state, log }) => {
    if (value === undefined) return undefined;
    state.total += value;
    log.info(\`total \${state.total}\`);
    return { total: state.total };
  },
});
`;

const MAIN_FLOW_TS = `// The flow: numbers 1 … 5, doubled, summed. \`npm run run\` prints "total 2" … "total 30".
import { flow } from "@flowc/dsl";
import { Numbers, Scale, Sum } from "./nodes.js";

export default flow("main", ({ add, connect }) => {
  const numbers = add("numbers", Numbers, { params: { count: 5 } });
  const double = add("double", Scale, { params: { factor: 2 } });
  const sum = add("sum", Sum);
  connect(numbers.out.value, double.in.value);
  connect(double.out.value, sum.in.value);
});
`;

const MAIN_TEST_TS = `// Deterministic tests of the flow: testFlow runs it on the inline engine (logical clock).
import { fileURLToPath } from "node:url";
import { testFlow } from "flowc";
import { expect, test } from "vitest";

const flowFile = fileURLToPath(new URL("./main.flow.ts", import.meta.url));

test("sums the doubled numbers", async () => {
  const { result, outputs } = await testFlow(flowFile);
  expect(result.status).toBe("succeeded");
  expect(outputs("sum.total")).toEqual([2, 6, 12, 20, 30]);
}, 60_000);

test("doubles whatever it is fed", async () => {
  const { outputs } = await testFlow(flowFile, { feed: { "double.value": [10, -1] } });
  expect(outputs("double.value")).toEqual([20, -2]);
  expect(outputs("sum.total")).toEqual([20, 18]);
}, 60_000);
`;
