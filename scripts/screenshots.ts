// `pnpm screenshots`: the pictures of docs/images, taken from the real pages in headless
// Chromium (tests/browser/browser.ts). Each shot makes its page with the built CLI, opens it
// with nothing else allowed to load, and writes a PNG. Add a shot to SHOTS for a new page.
// `pnpm screenshots graph-demo` takes only the shots named.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser } from "puppeteer-core";
import { withBrowser } from "../tests/browser/browser.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const flowc = join(root, "packages/cli/bin/flowc.mjs");

export interface Shot {
  /** docs/images/<name>.png */
  readonly name: string;
  /** flowc's arguments that write the page; `{out}` stands for the page file. */
  readonly flowc: readonly string[];
  readonly viewport: { readonly width: number; readonly height: number };
  readonly colorScheme?: "light" | "dark";
  /** Run in the page before the picture (click a node, …). */
  readonly prepare?: (page: import("puppeteer-core").Page) => Promise<void>;
}

export const SHOTS: readonly Shot[] = [
  {
    name: "graph-demo",
    flowc: ["graph", "examples/demo.flow.ts", "--format", "html", "-o", "{out}"],
    viewport: { width: 1280, height: 500 },
    colorScheme: "light",
    prepare: async (page) => {
      await page.click('.fg-node[data-node="double"]');
    },
  },
  {
    name: "run-report",
    flowc: ["run", "examples/demo.flow.ts", "--duration", "3", "--report", "{out}", "--no-typecheck"],
    viewport: { width: 1280, height: 1500 },
    colorScheme: "light",
  },
];

async function take(browser: Browser, shot: Shot, dir: string): Promise<string> {
  const out = join(dir, `${shot.name}.html`);
  const made = spawnSync(process.execPath, [flowc, ...shot.flowc.map((a) => (a === "{out}" ? out : a))], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (made.status !== 0) throw new Error(`flowc ${shot.flowc.join(" ")} failed:\n${made.stderr}`);
  const page = await browser.newPage();
  const url = pathToFileURL(out).href;
  await page.setRequestInterception(true);
  page.on("request", (request) => void (request.url() === url ? request.continue() : request.abort()));
  await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: shot.colorScheme ?? "light" }]);
  await page.setViewport({ ...shot.viewport, deviceScaleFactor: 2 });
  await page.goto(url, { waitUntil: "load" });
  await shot.prepare?.(page);
  const png = join(root, "docs/images", `${shot.name}.png`);
  mkdirSync(dirname(png), { recursive: true });
  await page.screenshot({ path: png as `${string}.png` });
  await page.close();
  return png;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const shots = SHOTS.filter((s) => only.length === 0 || only.includes(s.name));
  const dir = mkdtempSync(join(tmpdir(), "flowc-screenshots-"));
  try {
    await withBrowser(async (browser) => {
      for (const shot of shots) console.log(`wrote ${(await take(browser, shot, dir)).slice(root.length)}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
