#!/usr/bin/env node
// `pnpm test:all` — the one test command (README, .ci/run): build, lint, type check, and the
// whole vitest suite with a JSON report. Every step runs even when an earlier one fails, so one
// run shows every problem. The last line is `N passed, N failed[, N skipped]`, computed from
// vitest's JSON report; the exit code is non-zero when any step or test failed.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => join(root, "node_modules", ".bin", name);
const report = join(root, ".reports", "vitest.json");

const steps = [
  ["build", process.execPath, [join(root, "scripts", "build.mjs"), "--quiet"]],
  ["lint", bin("biome"), ["ci", "--colors=off", "."]],
  ["typecheck", bin("tsc"), ["-p", "tsconfig.json", "--noEmit"]],
  ["test", bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`]],
];

rmSync(report, { force: true });
const failedSteps = [];
for (const [name, command, args] of steps) {
  console.error(`\n── ${name} ─────────────────────────────────────────────`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  const ok = result.status === 0;
  console.error(
    `── ${name}: ${ok ? "ok" : `FAILED (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (!ok) failedSteps.push(name);
}

if (!existsSync(report)) {
  console.error("vitest wrote no JSON report");
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const json = JSON.parse(readFileSync(report, "utf8"));
const passed = json.numPassedTests ?? 0;
// A test file that fails to load has no failed tests of its own: count it as one failure.
const brokenFiles = (json.testResults ?? []).filter((r) => r.status === "failed" && (r.assertionResults ?? []).length === 0).length;
const failed = (json.numFailedTests ?? 0) + brokenFiles;
const skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
if (failedSteps.length > 0) console.error(`failed steps: ${failedSteps.join(", ")}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failedSteps.length > 0 || failed > 0 || passed === 0 ? 1 : 0);
