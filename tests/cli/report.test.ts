// `flowc run --report`: the run report as JSON and as a self-contained page, on several
// engines, for runs that end every way; and the paths it refuses before anything runs.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { flowc } from "./helpers.js";

const scratch = mkdtempSync(join(tmpdir(), "flowc-report-"));
const home = join(scratch, "home");
const env = { NO_COLOR: "1", FLOWC_HOME: home };
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const inline = join(scratch, "inline.config.json");
writeFileSync(inline, JSON.stringify({ runtimes: { mp: { isolation: "inline" } } }));

interface Report {
  format: string;
  version: number;
  flow: string;
  runtime: string;
  logicalTime: boolean;
  intervalMs: number;
  result: { status: string; nodes: { id: string; steps: number; messagesIn: number }[] };
  nodes: { id: string; status: string; steps: number; error: string | null; stepP50Ms: number | null }[];
  t: number[];
  nodeSeries: Record<string, { steps: (number | null)[]; stepP99: (number | null)[]; cpuPercent: (number | null)[] }>;
  channelSeries: Record<string, { taken: (number | null)[]; perSecond: (number | null)[]; depth: (number | null)[] }>;
  ir: { channels: { id: string; to: { node: string } }[] };
}

const read = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Report;
const last = (xs: (number | null)[] | undefined) => [...(xs ?? [])].reverse().find((v) => v !== null) ?? 0;

describe("flowc run --report", () => {
  it.each([
    ["mp inline", ["--runtime", "mp", "--config", inline], "mp/inline"],
    ["mp threads", ["--runtime", "mp"], "mp"],
    ["dataflow", ["--runtime", "dataflow"], "dataflow"],
  ] as const)(
    "%s: the JSON report has every node and channel over time, and agrees with the result",
    async (label, flags, runtime) => {
      const file = join(scratch, `${label.replace(/ /g, "-")}.json`);
      const r = await flowc(["run", "examples/demo.flow.ts", ...flags, "--duration", "3", "--report", file, "--no-typecheck"], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("flowc: wrote the run report to");
      const report = read(file);
      expect(report).toMatchObject({ format: "flowc-run-report", version: 1, flow: "demo", intervalMs: 100 });
      expect(report.runtime).toBe(runtime);
      expect(report.logicalTime).toBe(runtime === "mp/inline");
      // Three seconds at 100 ms: a point per interval (a loaded machine may skip a few). Logical
      // time jumps from tick to tick of the 1 Hz source: a point where it lands.
      expect(report.t.length).toBeGreaterThanOrEqual(runtime === "mp/inline" ? 3 : 10);
      expect(report.t).toEqual([...report.t].sort((a, b) => a - b));
      expect(report.nodes.map((n) => n.id).sort()).toEqual(["counter", "double", "plus10", "sink"]);
      for (const n of report.result.nodes) {
        const series = report.nodeSeries[n.id];
        expect(series?.steps.length).toBe(report.t.length);
        expect(last(series?.steps)).toBe(n.steps);
        const into = report.ir.channels.filter((c) => c.to.node === n.id);
        expect(into.reduce((sum, c) => sum + last(report.channelSeries[c.id]?.taken), 0)).toBe(n.messagesIn);
      }
      expect(Object.keys(report.channelSeries).sort()).toEqual(report.ir.channels.map((c) => c.id).sort());
      expect(report.nodes.find((n) => n.id === "sink")?.stepP50Ms).toBeGreaterThan(0);
    },
    120_000,
  );

  it("a failed run still gets its report, with the failure", async () => {
    const file = join(scratch, "failed.html");
    const r = await flowc(
      ["run", "tests/conformance/flows/scenarios.flow.ts", "--flow", "failStop", "--report", file, "--no-typecheck", "--config", inline],
      { env },
    );
    expect(r.code, r.stderr).toBe(1);
    const html = readFileSync(file, "utf8");
    expect(html).toContain("boom at message");
    expect(html).toMatch(/<span class="status FAILED">FAILED<\/span>/);
    // Everything inline: no script, stylesheet, image or font from anywhere else.
    expect(html).not.toMatch(/<(script|img|iframe)[^>]+src=|<link[^>]+href=|@import|url\(\s*['"]?https?:/i);
    expect(html).toContain("Content-Security-Policy");
  }, 120_000);

  it("refuses names that are neither .html nor .json, and paths it cannot write, before anything runs", async () => {
    const txt = join(scratch, "r.txt");
    const bad = await flowc(["run", "examples/demo.flow.ts", "--report", txt], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("FLC4014");
    expect(bad.stderr).not.toContain("running");
    expect(existsSync(txt)).toBe(false);
    const dir = await flowc(["run", "examples/demo.flow.ts", "--report", scratch + "/"], { env });
    expect(dir.code).toBe(2);
    const blocked = await flowc(["run", "examples/demo.flow.ts", "--report", "/proc/flowc/r.json"], { env });
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toContain("FLC4006");
  });

  it("a flow that does not compile leaves no report and no partial file", async () => {
    const file = join(scratch, "never.json");
    const r = await flowc(["run", "examples/missing.flow.ts", "--report", file], { env });
    expect(r.code).toBe(2);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.partial`)).toBe(false);
  });
});
