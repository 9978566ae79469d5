#!/usr/bin/env node
// Transpiles every workspace package's src/**/*.ts to dist/**/*.js with esbuild (no bundling,
// no type checking: `pnpm typecheck` does that). Runs after `pnpm install` and before every
// `pnpm flowc`, so the CLI never runs stale code. With no flag it skips a package whose dist
// is newer than all of its sources; `--force` rebuilds everything; `--quiet` prints only errors.
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const force = process.argv.includes("--force");
const quiet = process.argv.includes("--quiet");

function walk(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (/\.(ts|mts)$/.test(entry.name) && !/\.(test|spec)\.ts$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

function newestMtime(files) {
  let newest = 0;
  for (const f of files) newest = Math.max(newest, statSync(f).mtimeMs);
  return newest;
}

const packagesDir = join(root, "packages");
const plans = [];
for (const name of readdirSync(packagesDir)) {
  const src = join(packagesDir, name, "src");
  if (!existsSync(src)) continue;
  const files = walk(src);
  if (files.length === 0) continue;
  const stamp = join(packagesDir, name, "dist", ".stamp");
  const stale = force || !existsSync(stamp) || statSync(stamp).mtimeMs < newestMtime([...files, join(packagesDir, name, "package.json")]);
  if (stale) plans.push({ name, dir: join(packagesDir, name), files });
}

if (plans.length > 0) {
  const { build } = await import("esbuild");
  const { mkdirSync, writeFileSync } = await import("node:fs");
  for (const plan of plans) {
    const dist = join(plan.dir, "dist");
    rmSync(dist, { recursive: true, force: true });
    mkdirSync(dist, { recursive: true });
    try {
      await build({
        entryPoints: plan.files,
        outdir: dist,
        outbase: join(plan.dir, "src"),
        format: "esm",
        platform: "node",
        target: "node20",
        sourcemap: "linked",
        logLevel: "error",
      });
    } catch {
      process.exitCode = 1;
      continue;
    }
    writeFileSync(join(dist, ".stamp"), "");
    if (!quiet) console.error(`built ${relative(root, plan.dir)} (${plan.files.length} files)`);
  }
}
