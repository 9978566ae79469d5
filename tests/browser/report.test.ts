// The page of `flowc run --report r.html` in a real browser (headless Chromium): the graph with
// every node coloured by how it ended, the tables, and the plots drawn by uPlot — nothing
// fetched but the page itself, no error logged. Skipped only when Chromium is not installed
// and not under CI (.ci/run installs it).
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flowc } from "../cli/helpers.js";
import { Scratch } from "../helpers/scratch.js";
import { findChromium, leftovers, openPage, withBrowser } from "./browser.js";

const skip = findChromium() === undefined && !process.env.CI;
const scratch = new Scratch("flowc-browser-report-");
afterAll(() => scratch.remove());

describe.skipIf(skip)("the run report in Chromium", () => {
  const report = join(scratch.path, "demo-report.html");

  beforeAll(async () => {
    scratch.make();
    const run = await flowc(["run", "examples/demo.flow.ts", "--duration", "3", "--report", report, "--no-typecheck"], {
      env: { NO_COLOR: "1" },
    });
    expect(run.code, run.stderr).toBe(0);
  }, 120_000);

  it("shows the graph by status, the tables and the plots, loading nothing else", async () => {
    const run = await withBrowser(async (browser) => {
      const page = await browser.newPage();
      const visit = await openPage(page, report);
      const nodes = await page.$$eval("svg .fg-node", (els) => els.map((el) => [el.getAttribute("data-node"), el.getAttribute("class")]));
      const rows = await page.$$eval("table.nodes tbody tr", (els) => els.map((el) => el.getAttribute("data-node")));
      // uPlot draws each plot on a canvas, with a legend naming its series.
      const plots = await page.$$eval(".plot", (els) =>
        els.map((el) => ({
          id: el.id,
          canvases: el.querySelectorAll("canvas").length,
          legend: [...el.querySelectorAll(".u-legend .u-series th")].map((th) => th.textContent?.trim() ?? ""),
        })),
      );
      await page.click('.fg-node[data-node="sink"]');
      const details = await page.$eval(".fg-details", (el) => el.textContent ?? "");
      await page.close();
      return { visit, nodes, rows, plots, details };
    });
    const { visit, nodes, rows, plots, details } = run.value;
    expect(visit.requests).toEqual([pathToFileURL(report).href]);
    expect(visit.errors).toEqual([]);
    expect(nodes.map(([id]) => id).sort()).toEqual(["counter", "double", "plus10", "sink"]);
    // A run stopped by its duration leaves every node STOPPED.
    for (const [, cls] of nodes) expect(cls).toContain("fg-status-stopped");
    expect([...rows].sort()).toEqual(["counter", "double", "plus10", "sink"]);
    const byId = Object.fromEntries(plots.map((p) => [p.id, p]));
    for (const id of ["plot-rate", "plot-depth", "plot-latency", "plot-cpu", "plot-memory"])
      expect(byId[id]?.canvases, id).toBeGreaterThan(0);
    expect(byId["plot-rate"]?.legend.join(" ")).toContain("plus10.value->sink.value");
    expect(byId["plot-latency"]?.legend.join(" ")).toContain("sink p99");
    expect(details).toContain("steps");
    expect(details).toContain("step p99");
    expect(leftovers(run)).toEqual([]);
  }, 120_000);
});
