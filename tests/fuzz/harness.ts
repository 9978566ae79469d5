import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";

export const REPO = join(import.meta.dirname, "../..");
const FLOWC = join(REPO, "packages/cli/bin/flowc.mjs");
const PRELOAD = join(import.meta.dirname, "rss-preload.mjs");

/** What every invocation must respect, whatever its input. */
export const LIMITS = {
  /** A command that takes longer is killed and counts as hung (generous: the box is shared and slow). */
  timeoutMs: 20_000,
  /** Compiling (ts-morph, esbuild) and running take longer; still bounded. */
  slowTimeoutMs: 40_000,
  /** Peak resident memory of the flowc process. */
  maxRssKb: 1_500_000,
  /** Diagnostics are capped, so stderr stays small whatever the input. */
  maxStderrBytes: 2_000_000,
} as const;

export type FileSpec =
  | string
  | Uint8Array
  | { readonly fifo: true }
  | { readonly dir: true }
  | { readonly symlink: string }
  | { readonly copyFrom: string };

export interface FuzzCase {
  /** `<class>-<n>`: replay it alone with FLOWC_FUZZ_CASE. */
  readonly id: string;
  readonly kind: string;
  /** What was done to the input, for the failure message. */
  readonly what: string;
  /** Files written into the case's sandbox (the working directory), by relative path. */
  readonly files: Readonly<Record<string, FileSpec>>;
  readonly args: readonly string[];
  /** Sandbox paths (prefixes) the command may create or change: its named outputs. */
  readonly outputs?: readonly string[];
  /** Makes the sandbox a project whose flow files resolve @flowc/dsl and zod. */
  readonly project?: boolean;
  /** Sandbox paths to make read-only before the command runs. */
  readonly readOnly?: readonly string[];
  readonly slow?: boolean;
}

export interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly ms: number;
  readonly peakRssKb: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stderrBytes: number;
  readonly timedOut: boolean;
  readonly killedForMemory: boolean;
  /** Files changed outside the named outputs, and temporary files left behind. */
  readonly strayFiles: readonly string[];
}

/** At most `n` flowc processes at a time: the machine has two cores. */
export class Gate {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await f();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

function writeSpec(path: string, spec: FileSpec): void {
  mkdirSync(join(path, ".."), { recursive: true });
  if (typeof spec === "string" || spec instanceof Uint8Array) writeFileSync(path, spec);
  else if ("dir" in spec) mkdirSync(path, { recursive: true });
  else if ("symlink" in spec) symlinkSync(spec.symlink, path);
  else if ("copyFrom" in spec) cpSync(spec.copyFrom, path, { recursive: true });
  else {
    // mkfifo has no Node API; the coreutils one is everywhere flowc runs.
    if (spawnSync("mkfifo", [path], { stdio: "ignore" }).status !== 0) throw new Error(`mkfifo ${path} failed`);
  }
}

/** Every entry under `dir` (not following links) with what identifies its content. */
function snapshot(dir: string, skip: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      const rel = relative(dir, path);
      if (skip.has(rel)) continue;
      const stat = lstatSync(path);
      out.set(rel, `${stat.mode}:${stat.size}:${stat.mtimeMs}:${stat.isSymbolicLink() ? "link" : ""}`);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return out;
}

/** Runs one case in a fresh sandbox under `root`; the sandbox is removed unless the case fails (the caller decides). */
export async function runCase(c: FuzzCase, root: string): Promise<{ outcome: Outcome; sandbox: string }> {
  const sandbox = join(root, c.id);
  rmSync(sandbox, { recursive: true, force: true });
  mkdirSync(sandbox, { recursive: true });
  const tmp = join(sandbox, ".tmp");
  const home = join(sandbox, ".home");
  mkdirSync(tmp);
  mkdirSync(home);
  if (c.project) {
    writeFileSync(join(sandbox, "package.json"), '{ "name": "fuzz", "private": true, "type": "module" }\n');
    symlinkSync(join(REPO, "node_modules"), join(sandbox, "node_modules"));
  }
  for (const [path, spec] of Object.entries(c.files)) writeSpec(join(sandbox, path), spec);
  for (const path of c.readOnly ?? []) chmodSync(join(sandbox, path), 0o555);
  const skip = new Set([".tmp", ".home", "node_modules"]);
  const before = snapshot(sandbox, skip);
  const rssFile = join(root, `${c.id}.rss.json`);
  rmSync(rssFile, { force: true });

  const started = Date.now();
  const child = spawn(process.execPath, ["--import", PRELOAD, FLOWC, ...c.args], {
    cwd: sandbox,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      TMPDIR: tmp,
      FLOWC_HOME: join(home, "flowc"),
      XDG_RUNTIME_DIR: join(home, "run"),
      XDG_STATE_HOME: join(home, "state"),
      NO_COLOR: "1",
      FLOWC_FUZZ_RSS_OUT: rssFile,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const cap = 4_000_000;
  let stdout = "";
  let stderr = "";
  let stderrBytes = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    if (stdout.length < cap) stdout += chunk.toString("utf8");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderrBytes += chunk.length;
    if (stderr.length < cap) stderr += chunk.toString("utf8");
  });
  let peakRssKb = 0;
  let timedOut = false;
  let killedForMemory = false;
  const sample = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peakRssKb = Math.max(peakRssKb, rss);
      if (rss > LIMITS.maxRssKb) {
        killedForMemory = true;
        child.kill("SIGKILL");
      }
    } catch {
      // Not on Linux, or the process is gone: the preload's figure still counts.
    }
  }, 200);
  const timer = setTimeout(
    () => {
      timedOut = true;
      child.kill("SIGKILL");
    },
    c.slow ? LIMITS.slowTimeoutMs : LIMITS.timeoutMs,
  );
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.on("close", (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  });
  clearInterval(sample);
  clearTimeout(timer);
  const ms = Date.now() - started;
  if (existsSync(rssFile)) {
    try {
      peakRssKb = Math.max(peakRssKb, (JSON.parse(readFileSync(rssFile, "utf8")) as { maxRssKb: number }).maxRssKb);
    } catch {
      // A half-written figure: the sampled one stands.
    }
    rmSync(rssFile, { force: true });
  }
  for (const path of c.readOnly ?? []) chmodSync(join(sandbox, path), 0o755);

  const after = snapshot(sandbox, skip);
  const allowed = (rel: string) => (c.outputs ?? []).some((o) => rel === o || rel.startsWith(`${o}/`));
  const strayFiles: string[] = [];
  for (const [rel, id] of after) if (before.get(rel) !== id && !allowed(rel)) strayFiles.push(`changed or created: ${rel}`);
  for (const rel of before.keys()) if (!after.has(rel) && !allowed(rel)) strayFiles.push(`removed: ${rel}`);
  for (const left of readdirSync(tmp)) strayFiles.push(`left in TMPDIR: ${left}`);
  return {
    sandbox,
    outcome: { code, signal, ms, peakRssKb, stdout, stderr, stderrBytes, timedOut, killedForMemory, strayFiles },
  };
}

/** What is wrong with an outcome: the invariants every input must keep. Empty when it kept them. */
export function violations(c: FuzzCase, o: Outcome): string[] {
  const out: string[] = [];
  if (o.timedOut) out.push(`did not finish within ${(c.slow ? LIMITS.slowTimeoutMs : LIMITS.timeoutMs) / 1000} s`);
  else if (o.killedForMemory) out.push(`used more than ${LIMITS.maxRssKb} kB of memory`);
  else if (o.signal !== null) out.push(`ended by signal ${o.signal}`);
  else if (o.code !== 0 && o.code !== 1 && o.code !== 2) out.push(`exit code ${o.code} (only 0, 1 or 2 are allowed)`);
  if (o.peakRssKb > LIMITS.maxRssKb && !o.killedForMemory) out.push(`peak memory ${o.peakRssKb} kB > ${LIMITS.maxRssKb} kB`);
  // Coded: a catalogue code, or TypeScript's own for a type error in the user's code
  // (printed as tsc does, `file(line,col): error TS2304: …`; docs/cli.md).
  const coded = /FLC\d{4}|error TS\d{4,5}: /;
  if (o.code !== 0 && !o.timedOut && !coded.test(o.stderr) && !coded.test(o.stdout))
    out.push("failed without a coded diagnostic (FLCdddd, or TypeScript's TSdddd)");
  if (/internal error|\n\s+at .+:\d+:\d+\)?\n/.test(o.stderr)) out.push("printed an internal error or a stack trace");
  if (o.stderrBytes > LIMITS.maxStderrBytes) out.push(`printed ${o.stderrBytes} bytes on stderr (> ${LIMITS.maxStderrBytes})`);
  out.push(...o.strayFiles);
  return out;
}

/** Writes a script beside a failing case's sandbox (which is kept) that replays its command; returns the script's path. */
export function keepForReplay(c: FuzzCase, sandbox: string, seed: number): string {
  const quoted = c.args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const script = `${sandbox}.replay.sh`;
  writeFileSync(
    script,
    `# flowc fuzz case ${c.id} (seed ${seed}): ${c.what}\n# or regenerate it: FLOWC_FUZZ_SEED=${seed} FLOWC_FUZZ_CASE=${c.id} npx vitest run tests/fuzz/cli.test.ts\ncd '${sandbox}' && node '${FLOWC}' ${quoted}\n`,
  );
  return script;
}
