// `flowc top` against a real daemon, with the built executable: plain lines when stdout is not
// a terminal, and the full-screen view under a real pseudo-terminal (tmux on a private socket).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bin, flowcProcess, type Run, root } from "./helpers.js";

const home = mkdtempSync(join(tmpdir(), "flowc-top-cli-"));
/** A tmux server of this file's own (`-L`): never the user's, killed in afterAll. */
const socket = `flowc-top-${process.pid}`;
const tmuxAvailable = spawnSync("tmux", ["-V"]).status === 0;
// biome-ignore lint/suspicious/noControlCharactersInRegex: colour (SGR) sequences in `capture-pane -e` output
const COLOUR = /\u001b\[[0-9;]*m/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: any escape sequence
const ESCAPE = /\u001b/;

/** The built flowc with this file's own FLOWC_HOME. */
function flowcIn(args: string[], env: Record<string, string> = {}, timeout = 60_000): Run {
  return flowcProcess(args, { env: { FLOWC_HOME: home, ...env }, timeout });
}

function tmux(...args: string[]): string {
  const r = spawnSync("tmux", ["-L", socket, "-f", "/dev/null", ...args], { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Pids of the shells running in our panes, so that none can outlive the file even if tmux misbehaves. */
const panePids = new Set<number>();

/**
 * Starts `flowc top <args>` in a detached 120×40 session under a shell that, when it ends,
 * prints its exit code and whether the terminal's settings are what they were, then waits.
 */
function startTop(session: string, args: string, env: string): void {
  const flowcCmd = `env ${env} FLOWC_HOME='${home}' '${process.execPath}' '${bin}' top ${args}`;
  const script = `before=$(stty -g); ${flowcCmd}; echo EXIT=$?; [ "$(stty -g)" = "$before" ] && echo STTY=same; sleep 120`;
  tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", "-c", root, script);
  panePids.add(Number(tmux("display-message", "-p", "-t", session, "#{pane_pid}").trim()));
}

function screen(session: string, escapes = false): string {
  return tmux("capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", session);
}

function paneFlag(session: string, flag: "alternate_on" | "cursor_flag"): string {
  return tmux("display-message", "-p", "-t", session, `#{${flag}}`).trim();
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 45_000): Promise<void> {
  const limit = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > limit) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The uptime on a `flowc top` screen ("up 0:00:12"). */
function uptime(text: string): string | undefined {
  return /\bup (\d+:\d\d:\d\d)/.exec(text)?.[1];
}

/** Running (a zombie has exited). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Node processes of this FLOWC_HOME's dataflows still alive. */
function nodeProcesses(): number[] {
  const out = spawnSync("pgrep", ["-f", "runtime/dist/executor/child-main.js"], { encoding: "utf8" }).stdout;
  return out
    .split("\n")
    .map((l) => Number(l.trim()))
    .filter((n) => {
      try {
        return n > 0 && readFileSync(`/proc/${n}/environ`, "utf8").includes(`FLOWC_HOME=${home}`);
      } catch {
        return false;
      }
    });
}

/** Processes (other than pgrep itself) whose command line mentions this file's home or tmux socket. */
function leftovers(): number[] {
  const out = spawnSync("pgrep", ["-f", `${home}|${socket}`], { encoding: "utf8" }).stdout;
  return out
    .split("\n")
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0 && alive(n));
}

let daemonPid: number | undefined;

afterAll(() => {
  try {
    if (tmuxAvailable) spawnSync("tmux", ["-L", socket, "kill-server"], { timeout: 30_000 });
    // The server leaves its socket file behind.
    rmSync(join(process.env.TMUX_TMPDIR || "/tmp", `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
    for (const pid of panePids) if (alive(pid)) process.kill(pid, "SIGKILL");
    if (daemonPid !== undefined && alive(daemonPid)) flowcIn(["daemon", "stop", "--force"]);
    if (daemonPid !== undefined && alive(daemonPid)) process.kill(daemonPid, "SIGKILL");
    const t0 = Date.now();
    while ((nodeProcesses().length > 0 || leftovers().length > 0) && Date.now() - t0 < 5000) spawnSync("sleep", ["0.1"]);
    expect(nodeProcesses()).toEqual([]);
    expect(leftovers()).toEqual([]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

describe("flowc top without a daemon", () => {
  it("is FLC3201 with exit 2, as flowc list; bad options are FLC4001", () => {
    const list = flowcIn(["list"]);
    const top = flowcIn(["top"]);
    expect(top.code).toBe(2);
    expect(top.stderr).toContain("error FLC3201: No flowc daemon is running at");
    expect(top.stderr).toBe(list.stderr);
    for (const [args, detail] of [
      [["top", "--interval", "50"], "--interval takes a number of milliseconds (100 or more), got '50'."],
      [["top", "--interval", "soon"], "--interval takes a number of milliseconds (100 or more), got 'soon'."],
      [["top", "-n", "0"], "--iterations takes a whole number (1 or more), got '0'."],
    ] as const) {
      const r = flowcIn([...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`error FLC4001: ${detail}`);
    }
  }, 60_000);
});

describe("flowc top with a running dataflow", () => {
  beforeAll(() => {
    const up = flowcIn(["daemon", "start"]);
    expect(up.code, up.stderr).toBe(0);
    daemonPid = JSON.parse(flowcIn(["daemon", "status", "--json"]).stdout).pid;
    const started = flowcIn(["start", "examples/demo.flow.ts", "--name", "t1"]);
    expect(started.code, started.stderr).toBe(0);
  }, 120_000);

  it("--once, not a terminal: a line per node with numbers, no escape codes; --json; an unknown dataflow is FLC3204", () => {
    const r = flowcIn(["top", "t1", "--once"], { FORCE_COLOR: "1" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(ESCAPE);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^# t1 id=[0-9a-f-]{36} flow=demo status=running uptime=\d+:\d\d:\d\d nodes=4$/);
    const num = String.raw`\d+\.\d`;
    for (const node of ["counter", "double", "plus10", "sink"]) {
      const line = lines.find((l) => l.startsWith(`t1 ${node} `));
      expect(line, r.stdout).toMatch(
        new RegExp(
          `^t1 ${node} status=running steps/s=${num} in/s=${num} out/s=${num} queue=(-|\\d+/\\d+) drops=\\d+ restarts=0 cpu%=${num} mem=${num}MB p50=[\\d.]+ms p99=[\\d.]+ms$`,
        ),
      );
    }
    // Inputs and their capacities (the demo: plus10 reads a channel of 8).
    expect(lines.find((l) => l.startsWith("t1 plus10 "))).toMatch(/ queue=\d+\/8 /);
    expect(lines.find((l) => l.startsWith("t1 counter "))).toContain(" queue=- ");

    const json = flowcIn(["top", "--once", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const view = JSON.parse(json.stdout);
    expect(view.dataflows).toEqual([expect.objectContaining({ name: "t1", flow: "demo", status: "running", ended: false })]);
    expect(view.dataflows[0].nodes.map((n: { node: string }) => n.node)).toEqual(["counter", "double", "plus10", "sink"]);
    for (const n of view.dataflows[0].nodes) expect(typeof n.stepsPerSec).toBe("number");

    const unknown = flowcIn(["top", "nosuch", "--once"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error FLC3204");
    expect(unknown.stderr).toContain("t1");
  }, 120_000);

  it("-n 2: two blocks, then exit 0", () => {
    const r = flowcIn(["top", "t1", "-n", "2", "--interval", "200"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/^# t1 /gm)).toHaveLength(2);
    expect(r.stdout.match(/^t1 sink /gm)).toHaveLength(2);
  }, 60_000);

  it("a terminal: the table on the alternate screen, refreshed, reflowed on resize; q exits 0 and restores the terminal", async (ctx) => {
    if (!tmuxAvailable) ctx.skip();
    startTop("q", "t1 --interval 300", "-u NO_COLOR -u FORCE_COLOR");
    // The first frame comes at once, its rates "-"; a refresh brings numbers.
    await waitFor("the node table with rates", () => /^sink\s+running\s+\d+\.\d\s/m.test(screen("q")));
    const first = screen("q");
    expect(first).toMatch(/^flowc top\b.*dataflow t1/m);
    expect(first).toMatch(/^t1 {2}[0-9a-f-]{36} {2}flow demo {2}running {2}up \d+:\d\d:\d\d {2}4 nodes$/m);
    expect(first).toMatch(/^NODE\s+STATUS\s+STEPS\/S\s+IN\/S\s+OUT\/S\s+QUEUE\s+CPU%\s+MEM MB\s+DROPS\s+RESTART\s+P50\s+P99$/m);
    for (const node of ["counter", "double", "plus10", "sink"])
      expect(first).toMatch(new RegExp(`^${node}\\s+running\\s+\\d+\\.\\d\\s`, "m"));
    expect(paneFlag("q", "alternate_on")).toBe("1");
    expect(paneFlag("q", "cursor_flag")).toBe("0");
    // Colour is allowed here: the status is green, the header bold.
    expect(screen("q", true)).toContain("\u001b[32mrunning");
    expect(screen("q", true)).toMatch(COLOUR);
    // It refreshes: the uptime advances.
    const before = uptime(first);
    expect(before).toBeDefined();
    await waitFor("the uptime to advance", () => {
      const now = uptime(screen("q"));
      return now !== undefined && now !== before;
    });
    // Resized narrower, it redraws to fit: whole columns left out (not lines cut by the terminal), long text cut with ….
    tmux("resize-window", "-t", "q", "-x", "50", "-y", "30");
    await waitFor("the redraw at 50 columns", () => /^NODE.*CPU%$/m.test(screen("q")));
    const narrow = screen("q");
    expect(narrow).toMatch(/^t1 {2}[0-9a-f-]+.*…$/m);
    expect(narrow).toMatch(/^sink\s+running\s+\d+\.\d\s.*\d\.\d$/m);
    expect(narrow).not.toContain("P99");

    tmux("send-keys", "-t", "q", "q");
    await waitFor("flowc top to exit", () => screen("q").includes("EXIT="));
    const after = screen("q");
    expect(after).toContain("EXIT=0");
    // Raw mode is off again (the same stty settings), the alternate screen left, the cursor shown.
    expect(after).toContain("STTY=same");
    expect(after).not.toContain("NODE");
    expect(paneFlag("q", "alternate_on")).toBe("0");
    expect(paneFlag("q", "cursor_flag")).toBe("1");
  }, 180_000);

  it("a terminal: Ctrl-C exits 0 and restores the terminal; NO_COLOR leaves no colour on the screen", async (ctx) => {
    if (!tmuxAvailable) ctx.skip();
    startTop("c", "--interval 300", "-u FORCE_COLOR NO_COLOR=1");
    await waitFor("the node table", () => /^sink\s+running\s/m.test(screen("c")));
    expect(screen("c")).toMatch(/^flowc top\b.*1 running dataflow/m);
    const escaped = screen("c", true);
    expect(escaped).toContain("sink");
    expect(escaped).not.toMatch(COLOUR);
    tmux("send-keys", "-t", "c", "C-c");
    await waitFor("flowc top to exit", () => screen("c").includes("EXIT="));
    expect(screen("c")).toContain("EXIT=0");
    expect(screen("c")).toContain("STTY=same");
    expect(paneFlag("c", "alternate_on")).toBe("0");
    expect(paneFlag("c", "cursor_flag")).toBe("1");
  }, 180_000);

  it("a terminal: SIGTERM exits 0 and restores the terminal", async (ctx) => {
    if (!tmuxAvailable) ctx.skip();
    startTop("t", "t1 --interval 300", "NO_COLOR=1");
    await waitFor("the node table", () => /^sink\s+running\s/m.test(screen("t")));
    const shell = Number(tmux("display-message", "-p", "-t", "t", "#{pane_pid}").trim());
    const children = spawnSync("pgrep", ["-P", String(shell)], { encoding: "utf8" })
      .stdout.trim()
      .split("\n")
      .map(Number);
    const flowcPid = children.find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("flowc.mjs"));
    expect(flowcPid).toBeDefined();
    process.kill(flowcPid as number, "SIGTERM");
    await waitFor("flowc top to exit", () => screen("t").includes("EXIT="));
    expect(screen("t")).toContain("EXIT=0");
    expect(screen("t")).toContain("STTY=same");
    expect(paneFlag("t", "alternate_on")).toBe("0");
    expect(paneFlag("t", "cursor_flag")).toBe("1");
  }, 180_000);

  it("the dataflow ending: the terminal shows its final state until q; plain output ends with it, exit 0", async (ctx) => {
    // Not a terminal: runs until the dataflow ends, prints its final block and exits 0.
    expect(flowcIn(["start", "examples/demo.flow.ts", "--name", "t2", "--duration", "3"]).code).toBe(0);
    const plain = flowcIn(["top", "t2", "--interval", "300"]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/# t2 id=\S+ flow=demo status=stopped [^\n]*\n(t2 [^\n]*\n){4}# t2 ended: stopped\n\n$/);
    expect(plain.stdout).not.toMatch(ESCAPE);

    if (!tmuxAvailable) ctx.skip();
    startTop("e", "t1 --interval 300", "NO_COLOR=1");
    await waitFor("the node table", () => /^sink\s+running\s/m.test(screen("e")));
    const stopped = flowcIn(["stop", "t1", "--force"]);
    expect(stopped.code, stopped.stderr).toBe(0);
    await waitFor("the end on screen", () => screen("e").includes("dataflow t1 ended: stopped"));
    expect(screen("e")).toMatch(/^t1 .* stopped {2}up /m);
    // It stays until q.
    await new Promise((r) => setTimeout(r, 1000));
    expect(screen("e")).not.toContain("EXIT=");
    tmux("send-keys", "-t", "e", "q");
    await waitFor("flowc top to exit", () => screen("e").includes("EXIT="));
    expect(screen("e")).toContain("EXIT=0");
    expect(screen("e")).toContain("STTY=same");
  }, 180_000);

  it("none running: says so and exits 0 when not a terminal; a terminal keeps watching", async (ctx) => {
    // t1 was stopped above (or is stopped here when that test was skipped).
    flowcIn(["stop", "t1", "--force"]);
    const r = flowcIn(["top"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("no running dataflows (start one with `flowc start <flow>`)\n");
    expect(JSON.parse(flowcIn(["top", "--once", "--json"]).stdout)).toEqual({ dataflows: [] });

    if (!tmuxAvailable) ctx.skip();
    startTop("n", "--interval 300", "NO_COLOR=1");
    await waitFor("the empty screen", () => screen("n").includes("no running dataflows"));
    // A dataflow that starts shows up.
    expect(flowcIn(["start", "examples/demo.flow.ts", "--name", "t3"]).code).toBe(0);
    await waitFor("the new dataflow", () => /^t3 {2}/m.test(screen("n")));
    tmux("send-keys", "-t", "n", "q");
    await waitFor("flowc top to exit", () => screen("n").includes("EXIT="));
    expect(screen("n")).toContain("EXIT=0");
    expect(flowcIn(["stop", "t3", "--force"]).code).toBe(0);
  }, 180_000);

  it("leaves nothing behind once the daemon stops", () => {
    expect(flowcIn(["daemon", "stop", "--force"]).code).toBe(0);
    expect(existsSync(join(home, "run", "daemon.sock"))).toBe(false);
  }, 60_000);
});
