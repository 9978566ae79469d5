#!/usr/bin/env node
// `pnpm release:pack`: writes the installable tarballs users see once flowc is published, into
// dist-packages/ (git-ignored):
//
//   flowc-<version>.tgz       the CLI and the programmatic API (`flowc`, `flowc/ir`, `flowc/runtime`):
//                             every @flowc/* package bundled by esbuild into one flat dist/ with
//                             the entries that run on their own (worker threads, child processes,
//                             the daemon); npm libraries stay dependencies.
//   flowc-dsl-<version>.tgz   @flowc/dsl, the one package node code imports (zod is its peer).
//
// Declarations come from `tsc` (declaration-only emit); JavaScript is never shipped as types
// and no test, fixture or source file is packed. Each tarball is packed by `npm pack` from a
// staging folder outside the repository and moved into dist-packages/ only when every step
// succeeded, so a failed run leaves the previous tarballs in place.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
// `--out <dir>`: somewhere else than dist-packages/ (the end-to-end test packs into a temporary directory).
const outFlag = process.argv.indexOf("--out");
const outDir = outFlag > 0 && process.argv[outFlag + 1] ? resolve(process.argv[outFlag + 1]) : join(root, "dist-packages");
const quiet = process.argv.includes("--quiet");
const say = (line) => {
  if (!quiet) process.stderr.write(`${line}\n`);
};

/** Where the repository is published; package.json `repository` and README links point there. */
const REPOSITORY = "https://github.com/flowc-dev/flowc";
const KEYWORDS = ["dataflow", "flow", "compiler", "ir", "typescript", "dsl", "stream-processing", "worker-threads", "dora"];

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const workspace = readJson(join(root, "package.json"));
const pkg = (name) => readJson(join(root, "packages", name, "package.json"));

/** Every package bundled into `flowc` (all but the DSL, which stays its own package). */
const BUNDLED = ["cli", "dora", "frontend", "ir", "runtime", "runtime-dataflow", "runtime-mp"];

/** The npm dependencies of the bundled packages, with the workspace's ranges. */
function libraryDependencies() {
  const out = {};
  for (const name of [...BUNDLED, "dsl"]) {
    for (const [dep, range] of Object.entries(pkg(name).dependencies ?? {})) {
      if (dep.startsWith("@flowc/")) continue;
      if (out[dep] !== undefined && out[dep] !== range) throw new Error(`${dep}: packages disagree on its range (${out[dep]} vs ${range})`);
      out[dep] = range;
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", ...options });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${result.status ?? result.signal}):\n${result.stdout ?? ""}${result.stderr ?? ""}`,
    );
  }
  return result.stdout;
}

function walk(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** TypeScript sources of a package that ship as code (no tests, no declaration files). */
const codeFiles = (dir) => walk(dir).filter((f) => /\.ts$/.test(f) && !/\.(test|spec)\.ts$/.test(f) && !f.endsWith(".d.ts"));

/** `tsc` declaration-only emit of every package's sources into `into/<package>/…`. */
function emitDeclarations(stage, into) {
  const config = join(stage, "tsconfig.declarations.json");
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(root, "tsconfig.base.json"),
      compilerOptions: {
        declaration: true,
        emitDeclarationOnly: true,
        noEmit: false,
        rootDir: join(root, "packages"),
        outDir: into,
        typeRoots: [join(root, "node_modules/@types")],
      },
      include: [join(root, "packages/*/src")],
      // Tests, and the test builders and feeder nodes that no public declaration names.
      exclude: [join(root, "packages/*/src/**/*.test.ts"), join(root, "packages/*/src/**/*.spec.ts"), join(root, "packages/*/src/testing")],
    }),
  );
  run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", config], { cwd: root });
  // <into>/<package>/src/… → <into>/<package>/…
  for (const name of readdirSync(into)) {
    const src = join(into, name, "src");
    if (!existsSync(src)) continue;
    const moved = join(into, `${name}.tmp`);
    renameSync(src, moved);
    rmSync(join(into, name), { recursive: true, force: true });
    renameSync(moved, join(into, name));
  }
}

/**
 * Points the declarations' `@flowc/<package>` imports at the copies inside `flowc`'s own
 * dist/types (bundled packages are not installed on their own); `@flowc/dsl` stays a package
 * import, answered by the peer the user installs.
 */
function relinkDeclarations(typesDir) {
  for (const file of walk(typesDir).filter((f) => f.endsWith(".d.ts"))) {
    const text = readFileSync(file, "utf8");
    const next = text.replace(/(["'])@flowc\/([a-z-]+)\1/g, (whole, quote, name) => {
      if (name === "dsl" || !BUNDLED.includes(name)) return whole;
      let target = relative(dirname(file), join(typesDir, name, "index.js"));
      if (!target.startsWith(".")) target = `./${target}`;
      return `${quote}${target}${quote}`;
    });
    if (next !== text) writeFileSync(file, next);
  }
}

/** The package README with its repository-relative links made absolute (the tarball has no docs/). */
function packageReadme(from, packageDir) {
  const text = readFileSync(from, "utf8");
  return text.replace(/\]\((\.\.?\/[^)\s]+)\)/g, (whole, link) => {
    const target = relative(root, join(packageDir, link));
    if (target.startsWith("..")) return whole;
    return `](${REPOSITORY}/blob/main/${target})`;
  });
}

function commonFields(name, directory) {
  return {
    license: "MIT",
    author: "flowc contributors",
    homepage: `${REPOSITORY}#readme`,
    repository: { type: "git", url: `git+${REPOSITORY}.git`, directory },
    bugs: { url: `${REPOSITORY}/issues` },
    keywords: KEYWORDS,
    engines: workspace.engines,
    name,
  };
}

async function stageFlowc(stage, typesDir) {
  const { build } = await import("esbuild");
  const cli = pkg("cli");
  const dir = join(stage, "flowc");
  const dependencies = libraryDependencies();
  const external = Object.keys(dependencies).flatMap((d) => [d, `${d}/*`]);
  const src = (name, file) => join(root, "packages", name, "src", file);
  await build({
    entryPoints: {
      index: src("cli", "index.ts"),
      ir: src("ir", "index.ts"),
      runtime: src("runtime", "index.ts"),
      // Entries started on their own, named as `entryUrl`'s `packed` paths expect.
      "thread-worker": src("runtime-mp", "thread-worker.ts"),
      "child-main": src("runtime", "executor/child-main.ts"),
      "pool-worker": src("runtime", "executor/pool-worker.ts"),
      daemon: src("runtime-dataflow", "daemon/main.ts"),
      "cluster-links": src("runtime-dataflow", "cluster/links.ts"),
      "testing-nodes": src("cli", "testing/nodes.ts"),
    },
    outdir: join(dir, "dist"),
    bundle: true,
    splitting: true,
    chunkNames: "chunk-[hash]",
    format: "esm",
    platform: "node",
    target: "node20",
    conditions: ["flowc-source"],
    external,
    define: { __FLOWC_PACKED__: "true" },
    legalComments: "none",
    logLevel: "error",
  });
  cpSync(join(typesDir), join(dir, "dist", "types"), {
    recursive: true,
    filter: (from) => {
      const name = relative(typesDir, from).split("/")[0];
      return name === "" || BUNDLED.includes(name);
    },
  });
  mkdirSync(join(dir, "bin"));
  cpSync(join(root, "packages/cli/bin/flowc.mjs"), join(dir, "bin/flowc.mjs"));
  mkdirSync(join(dir, "schema"));
  cpSync(join(root, "packages/ir/schema/ir.v1.schema.json"), join(dir, "schema/ir.v1.schema.json"));
  cpSync(join(root, "packages/cli/schema/config.schema.json"), join(dir, "schema/config.schema.json"));
  writeFileSync(join(dir, "README.md"), packageReadme(join(root, "packages/cli/README.md"), join(root, "packages/cli")));
  cpSync(join(root, "LICENSE"), join(dir, "LICENSE"));
  const dsl = pkg("dsl");
  const manifest = {
    ...commonFields("flowc", "packages/cli"),
    version: cli.version,
    description:
      "flowc: compile typed dataflow graphs written in TypeScript to a portable IR and run them on threads, processes or a Dora-style daemon",
    type: "module",
    bin: { flowc: "./bin/flowc.mjs" },
    main: "./dist/index.js",
    types: "./dist/types/cli/index.d.ts",
    exports: {
      ".": { types: "./dist/types/cli/index.d.ts", import: "./dist/index.js" },
      "./ir": { types: "./dist/types/ir/index.d.ts", import: "./dist/ir.js" },
      "./runtime": { types: "./dist/types/runtime/index.d.ts", import: "./dist/runtime.js" },
      "./schema/ir.v1.schema.json": "./schema/ir.v1.schema.json",
      "./schema/config.schema.json": "./schema/config.schema.json",
      "./package.json": "./package.json",
    },
    files: ["bin", "dist", "schema"],
    dependencies,
    peerDependencies: { "@flowc/dsl": `^${dsl.version}`, zod: dependencies.zod },
  };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

async function stageDsl(stage, typesDir) {
  const { build } = await import("esbuild");
  const dsl = pkg("dsl");
  const dir = join(stage, "dsl");
  const srcDir = join(root, "packages/dsl/src");
  await build({
    entryPoints: codeFiles(srcDir),
    outdir: join(dir, "dist"),
    outbase: srcDir,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "error",
  });
  cpSync(join(typesDir, "dsl"), join(dir, "dist"), { recursive: true });
  writeFileSync(join(dir, "README.md"), packageReadme(join(root, "packages/dsl/README.md"), join(root, "packages/dsl")));
  cpSync(join(root, "LICENSE"), join(dir, "LICENSE"));
  const manifest = {
    ...commonFields("@flowc/dsl", "packages/dsl"),
    version: dsl.version,
    description: dsl.description,
    type: "module",
    main: "./dist/index.js",
    types: "./dist/index.d.ts",
    exports: { ".": { types: "./dist/index.d.ts", import: "./dist/index.js" }, "./package.json": "./package.json" },
    files: ["dist"],
    sideEffects: false,
    peerDependencies: { zod: dsl.dependencies.zod },
  };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

/** `npm pack` of a staged package; returns the tarball's path inside `into`. */
function pack(dir, into) {
  const out = run("npm", ["pack", "--json", "--pack-destination", into], {
    cwd: dir,
    env: { ...process.env, npm_config_loglevel: "error" },
  });
  const [info] = JSON.parse(out);
  return { file: join(into, info.filename), size: info.size, unpackedSize: info.unpackedSize, entries: info.entryCount };
}

const stage = mkdtempSync(join(tmpdir(), "flowc-release-"));
try {
  const typesDir = join(stage, "types");
  say("flowc release: declarations (tsc)");
  emitDeclarations(stage, typesDir);
  relinkDeclarations(typesDir);
  say("flowc release: bundles (esbuild)");
  const dirs = [await stageFlowc(stage, typesDir), await stageDsl(stage, typesDir)];
  const tarballs = join(stage, "tarballs");
  mkdirSync(tarballs);
  const packed = dirs.map((dir) => pack(dir, tarballs));
  // Replace the previous tarballs only now that every one was written.
  mkdirSync(outDir, { recursive: true });
  for (const old of readdirSync(outDir)) if (old.endsWith(".tgz")) rmSync(join(outDir, old));
  for (const p of packed) {
    const target = join(outDir, p.file.slice(tarballs.length + 1));
    cpSync(p.file, target);
    const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
    process.stdout.write(
      `${relative(process.cwd(), target) || target}  ${kb(statSync(target).size)} packed, ${kb(p.unpackedSize)} unpacked, ${p.entries} files\n`,
    );
  }
} finally {
  rmSync(stage, { recursive: true, force: true });
}
