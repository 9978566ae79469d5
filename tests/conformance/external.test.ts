// The documented entry for third-party runtimes: `pnpm test:conformance` with
// FLOWC_CONFORMANCE_RUNTIME runs the suite on the runtime a flowc.config.json names by module,
// beside mp inline as the reference. Checked here on a runtime module outside the workspace.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "flowc-external-runtime-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("runs the conformance suite on a runtime named in a flowc.config.json", () => {
  writeFileSync(
    join(dir, "echo-runtime.mjs"),
    `import { mpRuntime } from ${JSON.stringify(join(root, "packages/runtime-mp/dist/index.js"))};
export const runtime = { ...mpRuntime, name: "echo", describe: () => ({ ...mpRuntime.describe(), name: "echo" }) };`,
  );
  writeFileSync(
    join(dir, "flowc.config.json"),
    JSON.stringify({ runtimes: { echo: { module: "./echo-runtime.mjs", isolation: "process" } } }),
  );
  const result = spawnSync(
    process.execPath,
    [
      join(root, "node_modules/vitest/vitest.mjs"),
      "run",
      "tests/conformance/conformance.test.ts",
      "-t",
      "fan-out|executor that dies is",
      "--reporter=json",
      `--outputFile.json=${join(dir, "report.json")}`,
    ],
    {
      cwd: root,
      encoding: "utf8",
      timeout: 240_000,
      env: {
        ...process.env,
        FLOWC_CONFORMANCE_RUNTIME: "echo",
        FLOWC_CONFORMANCE_CONFIG: join(dir, "flowc.config.json"),
        FLOWC_CONFORMANCE_ISOLATION: "process",
        NO_COLOR: "1",
      },
    },
  );
  expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as {
    testResults: { assertionResults: { fullName: string; status: string }[] }[];
  };
  const ran = report.testResults.flatMap((r) => r.assertionResults).filter((a) => a.status !== "skipped" && a.status !== "pending");
  // The reference and the runtime under test, and the supervision checks for an isolated runtime.
  expect(ran.map((a) => [a.fullName, a.status]).sort()).toEqual([
    ["'echo' fan-out: both branches get every message, in order", "passed"],
    [
      "'echo': supervision of isolated executors an executor that dies is FLC3040 naming its node, with the exit status and the end of its stderr",
      "passed",
    ],
    ["'mp/inline' fan-out: both branches get every message, in order", "passed"],
  ]);
}, 300_000);
