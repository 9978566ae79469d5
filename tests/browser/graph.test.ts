// The page of `flowc graph --format html` in a real browser (headless Chromium): it draws every
// node, fetches nothing but itself, logs no error (a CSP violation would be one), shows a
// node's details on click, zooms on the wheel and pans on drag — and a hostile param cannot
// run script. Skipped only when Chromium is not installed and not under CI (.ci/run installs it).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { renderFlowPage } from "@flowc/cli";
import { loadValid, testChannel, testIr, testNode, testSource } from "@flowc/ir/testing";
import type { Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flowc, root } from "../cli/helpers.js";
import { Scratch } from "../helpers/scratch.js";
import { findChromium, leftovers, openPage as open, withBrowser } from "./browser.js";

const chromium = findChromium();
const skip = chromium === undefined && !process.env.CI;
if (skip)
  console.warn(
    "tests/browser: Chromium is not installed (/usr/bin/chromium): browser tests skipped; `apt-get install -y chromium` runs them.",
  );

const scratch = new Scratch("flowc-browser-");
afterAll(() => scratch.remove());

const transformOf = (page: Page) => page.$eval(".fg-viewport", (el) => el.getAttribute("transform") ?? "");

/** The viewport's transform once `ok` holds for it (events reach the page asynchronously); fails after 5 s. */
async function transformWhen(page: Page, ok: (transform: string) => boolean): Promise<string> {
  let transform = "";
  for (const started = Date.now(); Date.now() - started < 5000; await new Promise((r) => setTimeout(r, 25))) {
    transform = await transformOf(page);
    if (ok(transform)) return transform;
  }
  throw new Error(`the viewport's transform stayed ${transform}`);
}

describe.skipIf(skip)("the graph page in Chromium", () => {
  const demoPage = join(scratch.path, "demo.html");
  const demoLine =
    readFileSync(join(root, "examples/demo.flow.ts"), "utf8")
      .split("\n")
      .findIndex((l) => l.includes('add("double"')) + 1;

  beforeAll(async () => {
    scratch.make();
    const run = await flowc(["graph", "examples/demo.flow.ts", "--format", "html", "-o", demoPage]);
    expect(run.code, run.stderr).toBe(0);
  });

  it("draws the demo flow, loads nothing else, shows details on click and zooms on the wheel", async () => {
    const run = await withBrowser(async (browser) => {
      const page = await browser.newPage();
      const visit = await open(page, demoPage);

      // Every node of the flow is drawn, inside the visible canvas (the page fits the graph).
      const nodes = await page.$$eval("svg.fg-svg .fg-node", (els) =>
        els.map((el) => {
          const r = el.getBoundingClientRect();
          return { id: el.getAttribute("data-node"), x: r.x, y: r.y, width: r.width, height: r.height };
        }),
      );
      expect(nodes.map((n) => n.id).sort()).toEqual(["counter", "double", "plus10", "sink"]);
      for (const n of nodes) {
        expect(n.width).toBeGreaterThan(20);
        expect(n.x).toBeGreaterThanOrEqual(0);
        expect(n.x + n.width).toBeLessThanOrEqual(1200);
      }
      expect(await page.$$eval("svg.fg-svg .fg-port", (els) => els.length)).toBe(6);

      const fitted = await transformOf(page);
      expect(fitted).toMatch(/^translate\(.+\) scale\(.+\)$/);

      // Click a node: the panel shows its id, type, clock, params and source file:line.
      expect(await page.$eval(".fg-details", (el) => (el as unknown as { hidden: boolean }).hidden)).toBe(true);
      await page.click('.fg-node[data-node="double"]');
      expect(await page.$eval(".fg-details", (el) => (el as unknown as { hidden: boolean }).hidden)).toBe(false);
      const details = await page.$eval(".fg-details", (el) => el.textContent ?? "");
      expect(details).toContain("double");
      expect(details).toContain("Scale");
      expect(details).toContain("trigger: value");
      expect(details).toContain(`examples/demo.flow.ts:${demoLine}`);
      expect(details).toMatch(/"factor": 2/);
      expect(await page.$eval('.fg-node[data-node="double"]', (el) => el.classList.contains("fg-selected"))).toBe(true);
      await page.click(".fg-close");
      expect(await page.$eval(".fg-details", (el) => (el as unknown as { hidden: boolean }).hidden)).toBe(true);

      // The wheel zooms (around the pointer), a drag pans, Fit goes back.
      await transformWhen(page, (t) => t === fitted);
      await page.mouse.move(600, 400);
      await page.mouse.wheel({ deltaY: -400 });
      const zoomed = await transformWhen(page, (t) => t !== fitted);
      const scale = (t: string) => Number(/scale\(([^)]+)\)/.exec(t)?.[1]);
      expect(scale(zoomed)).toBeGreaterThan(scale(fitted));
      await page.mouse.move(300, 300);
      await page.mouse.down();
      await page.mouse.move(360, 340, { steps: 5 });
      await page.mouse.up();
      const panned = await transformOf(page);
      expect(panned).not.toBe(zoomed);
      expect(scale(panned)).toBe(scale(zoomed));
      await page.click('[data-action="zoom-out"]');
      expect(scale(await transformOf(page))).toBeLessThan(scale(zoomed));
      await page.click('[data-action="fit"]');
      expect(await transformOf(page)).toBe(fitted);
      await page.close();
      return visit;
    });
    expect(run.value.requests).toEqual([pathToFileURL(demoPage).href]);
    expect(run.value.errors).toEqual([]);
    // Nothing of the Chromium it started is left running.
    expect(run.pgid).toBeGreaterThan(0);
    expect(leftovers(run)).toEqual([]);
  });

  it("hostile names and params stay text; dark mode switches the colours", async () => {
    const ir = loadValid(
      testIr(
        [
          testSource("src", {
            type: "</text><script>window.__pwned = 1</script>",
            params: { x: "</script><script>window.__pwned = 2</script>" },
          }),
          testNode("sink", { outputs: {}, params: { y: "<img src=x onerror='window.__pwned=3'>" } }),
        ],
        [testChannel("src.value", "sink.value")],
        "<img src=x onerror='window.__pwned=4'>",
      ),
    );
    const file = join(scratch.path, "hostile.html");
    writeFileSync(file, await renderFlowPage(ir));
    const run = await withBrowser(async (browser) => {
      const page = await browser.newPage();
      const visit = await open(page, file);
      await page.click('.fg-node[data-node="src"]');
      const details = await page.$eval(".fg-details", (el) => el.textContent ?? "");
      const pwned = await page.evaluate("window.__pwned ?? null");
      const images = await page.$$eval("img", (els) => els.length);
      const background = 'getComputedStyle(document.querySelector(".fg-view")).backgroundColor';
      const light = await page.evaluate(background);
      await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
      const dark = await page.evaluate(background);
      return { visit, details, pwned, images, light, dark };
    });
    expect(run.value.pwned).toBeNull();
    expect(run.value.images).toBe(0);
    expect(run.value.details).toContain("</text><script>window.__pwned = 1</script>");
    expect(run.value.details).toContain("</script><script>window.__pwned = 2</script>");
    expect(run.value.visit.errors).toEqual([]);
    expect(run.value.visit.requests).toHaveLength(1);
    expect(run.value.light).not.toBe(run.value.dark);
    expect(leftovers(run)).toEqual([]);
  });
});
