// A real browser for tests and screenshots: headless Chromium through puppeteer-core, launched
// with a deadline and always closed. Chromium runs in its own process group (puppeteer starts
// it detached), so when closing fails or hangs the whole group is killed by its id: no
// Chromium, renderer or zygote process outlives the call, and its profile directory is removed.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** Where Debian's package puts it; FLOWC_CHROMIUM names another. */
export const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/** The Chromium executable, or undefined when none is installed. */
export function findChromium(): string | undefined {
  const named = process.env.FLOWC_CHROMIUM;
  if (named) return existsSync(named) ? named : undefined;
  return CHROMIUM_PATHS.find((path) => existsSync(path));
}

interface ProcessRow {
  readonly pid: number;
  readonly pgid: number;
  readonly args: string;
}

/** Live processes (zombies left out) from ps (Linux). */
function processes(): ProcessRow[] {
  let out: string;
  try {
    out = execFileSync("ps", ["-e", "-o", "pid=,pgid=,stat=,args="], { encoding: "utf8", maxBuffer: 1 << 24 });
  } catch {
    return [];
  }
  const rows: ProcessRow[] = [];
  for (const line of out.split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (match && !match[3]?.startsWith("Z")) rows.push({ pid: Number(match[1]), pgid: Number(match[2]), args: match[4] ?? "" });
  }
  return rows;
}

/** Ids of the live processes of a process group. */
export function processGroup(pgid: number): number[] {
  return processes()
    .filter((p) => p.pgid === pgid)
    .map((p) => p.pid);
}

/**
 * Ids of the live processes a browser run started: its process group, and the processes that
 * left it (Chromium's crash handlers start their own session) but name its private directory.
 */
export function leftovers(run: { readonly pgid: number; readonly dir: string }): number[] {
  return processes()
    .filter((p) => (run.pgid > 0 && p.pgid === run.pgid) || p.args.includes(run.dir))
    .map((p) => p.pid);
}

export interface BrowserRun<T> {
  readonly value: T;
  /** The Chromium process group (its first process' id); empty after the run ended. */
  readonly pgid: number;
  /** The run's private directory (profile, config, cache), removed after the run. */
  readonly dir: string;
}

export interface BrowserOptions {
  /** Deadline for the launch, and for closing before the group is killed (ms). Default 30 s / 5 s. */
  readonly launchTimeoutMs?: number;
  readonly closeTimeoutMs?: number;
}

const timeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });

/**
 * Launches Chromium, runs `use` with it and closes it whatever happens: browser.close() with a
 * deadline, then SIGKILL to the process group and to any process naming the run's directory,
 * until none is left; the directory is removed.
 */
export async function withBrowser<T>(use: (browser: Browser) => Promise<T>, options: BrowserOptions = {}): Promise<BrowserRun<T>> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(`Chromium is not installed (looked for ${CHROMIUM_PATHS.join(", ")}; FLOWC_CHROMIUM names another)`);
  // Profile, config and cache in one directory of the run's own: nothing is written to $HOME,
  // and every process the run starts names it (Chromium's crash handlers too).
  const dir = mkdtempSync(join(tmpdir(), "flowc-chromium-"));
  let browser: Browser | undefined;
  let pgid = 0;
  try {
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      userDataDir: join(dir, "profile"),
      env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_CACHE_HOME: join(dir, "cache") },
      timeout: options.launchTimeoutMs ?? 30_000,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      args: [
        "--no-sandbox",
        "--headless=new",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-zygote",
        "--disable-crash-reporter",
        "--disable-breakpad",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--metrics-recording-only",
      ],
    });
    pgid = browser.process()?.pid ?? 0;
    const value = await use(browser);
    return { value, pgid, dir };
  } finally {
    if (browser) {
      await timeout(browser.close(), options.closeTimeoutMs ?? 5_000, "closing Chromium").catch(() => undefined);
    }
    const run = { pgid, dir };
    if (pgid > 0) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // Already gone: the usual case after a clean close.
      }
    }
    for (let i = 0; i < 100; i++) {
      const left = leftovers(run);
      if (left.length === 0) break;
      for (const pid of left) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

export interface Visit {
  requests: string[];
  errors: string[];
}

/** Opens a file:// page, allowing only that file to load; console errors and page errors are collected. */
export async function openPage(page: Page, file: string): Promise<Visit> {
  const url = pathToFileURL(file).href;
  const visit: Visit = { requests: [], errors: [] };
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    visit.requests.push(request.url());
    if (request.url() === url) void request.continue();
    else void request.abort();
  });
  page.on("console", (message) => {
    if (message.type() === "error") visit.errors.push(message.text());
  });
  page.on("pageerror", (error) => visit.errors.push(String(error)));
  await page.setViewport({ width: 1200, height: 700 });
  await page.goto(url, { waitUntil: "load", timeout: 20_000 });
  return visit;
}
