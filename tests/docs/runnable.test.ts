// Docs that cannot rot: every command in a ```sh runnable``` block of README.md, examples/README.md
// and docs/*.md runs from the repository root, and must exit as its line says (`# exit N`,
// default 0) and print the key text after `# →` (on stdout or stderr). A doc keeps such a
// block to the commands that are quick and write only to git-ignored places (.flowc-out/, out/).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { root } from "../cli/helpers.js";

interface RunnableCommand {
  readonly file: string;
  /** 1-based line in the markdown file. */
  readonly line: number;
  readonly command: string;
  readonly exit: number;
  readonly expect: string;
}

/** The commands of every ```sh runnable``` block in `text`, with their expectations. */
function runnableCommands(file: string, text: string): RunnableCommand[] {
  const out: RunnableCommand[] = [];
  const lines = text.split("\n");
  let inBlock = false;
  lines.forEach((raw, index) => {
    const fence = /^```(.*)$/.exec(raw.trim());
    if (fence) {
      inBlock = !inBlock && /^sh\s+runnable\b/.test(fence[1] ?? "");
      return;
    }
    if (!inBlock || raw.trim() === "" || raw.trim().startsWith("#")) return;
    const at = raw.indexOf("  #");
    const command = (at < 0 ? raw : raw.slice(0, at)).trim();
    const comment = at < 0 ? "" : raw.slice(at + 3);
    const exit = /\bexit (\d+)/.exec(comment);
    const key = /→\s*(.+)$/.exec(comment);
    out.push({ file, line: index + 1, command, exit: exit ? Number(exit[1]) : 0, expect: key?.[1]?.trim() ?? "" });
  });
  return out;
}

const docs = [
  "README.md",
  "examples/README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const commands = docs.flatMap((file) => runnableCommands(file, readFileSync(join(root, file), "utf8")));

// `pnpm` for the commands: the pnpm running this suite when there is one, else pnpm 10 through npx.
const shims = mkdtempSync(join(tmpdir(), "flowc-docs-"));
const pnpmPath = process.env.npm_execpath;
writeFileSync(
  join(shims, "pnpm"),
  pnpmPath && /pnpm/.test(pnpmPath)
    ? `#!/bin/sh\nexec "${process.execPath}" "${pnpmPath}" "$@"\n`
    : `#!/bin/sh\nexec npx --yes pnpm@10 "$@"\n`,
);
chmodSync(join(shims, "pnpm"), 0o755);
afterAll(() => rmSync(shims, { recursive: true, force: true }));

describe("runnable docs", () => {
  it("the markers parse, and every runnable command names its key line", () => {
    const parsed = runnableCommands(
      "x.md",
      ["```sh runnable", "a --b   # exit 2 → FLC4001", "# a comment", "c", "```", "```sh", "d", "```"].join("\n"),
    );
    expect(parsed).toEqual([
      { file: "x.md", line: 2, command: "a --b", exit: 2, expect: "FLC4001" },
      { file: "x.md", line: 4, command: "c", exit: 0, expect: "" },
    ]);
    for (const c of commands) expect(c.expect, `${c.file}:${c.line} has no '# → key line'`).not.toBe("");
    // The blocks must not silently disappear from the docs they guard.
    const per = (file: string) => commands.filter((c) => c.file === file).length;
    expect(per("README.md")).toBeGreaterThanOrEqual(6);
    expect(per("docs/cli.md")).toBeGreaterThanOrEqual(4);
  });

  // The suite's own runtime choice must not reach the commands; INIT_CWD is where pnpm runs them.
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${shims}:${process.env.PATH}`, NO_COLOR: "1", INIT_CWD: root };
  delete env.FLOWC_RUNTIME;
  for (const c of commands) {
    it(`${c.file}:${c.line}: ${c.command}`, () => {
      const result = spawnSync("bash", ["-c", c.command], {
        cwd: root,
        encoding: "utf8",
        timeout: 120_000,
        killSignal: "SIGKILL",
        env,
      });
      const output = `${result.stdout}\n${result.stderr}`;
      expect(result.status, output).toBe(c.exit);
      expect(output).toContain(c.expect);
    });
  }
});
