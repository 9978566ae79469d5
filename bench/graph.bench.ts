// `pnpm bench:graph`: how long `flowc graph --format html` takes to lay out (elkjs, in Node) and
// draw generated flows of 10, 100 and 1,000 nodes: a chain with fan-out, cycles and placement
// groups. Each size runs several times in one process after a warm-up run (elkjs' first layout
// also compiles its code); the medians are reported, with the 1,000-node flow also laid out with
// other ELK settings to show why the defaults are what they are (BENCH_TUNING=0 skips those).
// Writes bench/results/graph.json and bench/results/graph.md.
//
// Target: the 1,000-node flow is laid out in a few seconds (≤ 5 s) on 2 cores.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DEFAULT_ELK_OPTIONS, htmlDocument, layoutFlow, renderGraphView } from "@flowc/cli";
import { type Ir, type IrInput, loadIr } from "@flowc/ir";
import { machineFacts, round } from "./common.js";

const SIZES = [10, 100, 1000];
const RUNS: Record<number, number> = { 10: 9, 100: 7, 1000: 5 };
const TARGET_MS = 5000;

/**
 * A deterministic flow of `n` nodes: a chain in which each node reads a recent node (so nodes
 * fan out to several readers), every 7th node also an older one, a feedback loop every 50
 * nodes (one in small flows), and — with `placement` — the nodes after the first few split
 * over four machines in contiguous runs. `longEdges`: the 7th nodes' second input comes from
 * far back instead (the node at 70 % of its index), the worst case of a layered layout.
 */
export function generateFlow(n: number, placement = true, longEdges = false): Ir {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const num = { schema: { type: "number" } };
  const feedback = new Set<number>();
  for (let c = Math.min(25, Math.floor(n / 3)); c + 3 < n; c += 50) feedback.add(c);
  const nodes: IrInput["nodes"] = [];
  const channels: NonNullable<IrInput["channels"]> = [];
  const connect = (from: number, to: number, port: string, capacity = 10) =>
    channels.push({ id: `n${from}.out->n${to}.${port}`, from: { node: `n${from}`, port: "out" }, to: { node: `n${to}`, port }, capacity });
  for (let i = 0; i < n; i++) {
    const where = placement && i >= 5 ? `machine-${Math.floor((i * 4) / n)}` : null;
    if (i === 0) {
      nodes.push({
        id: "n0",
        type: "Source",
        impl: { module: "nodes/gen.mjs", export: "Source" },
        clock: { kind: "rate", hz: 30 },
        outputs: { out: num },
        placement: where,
      });
      continue;
    }
    const inputs: Record<string, typeof num> = { in: num };
    if (i % 7 === 0 && i >= 4) inputs.aux = num;
    if (feedback.has(i)) inputs.fb = num;
    nodes.push({
      id: `n${i}`,
      type: i % 3 === 0 ? "Scale" : "Mix",
      impl: { module: "nodes/gen.mjs", export: i % 3 === 0 ? "Scale" : "Mix" },
      params: { factor: i % 5, label: `stage ${i}` },
      clock: feedback.has(i) ? { kind: "hybrid", hz: 10, on: ["in"] } : { kind: "trigger", on: ["in"] },
      inputs,
      outputs: { out: num },
      parallelism: i % 11 === 0 ? 2 : 1,
      placement: where,
      source: { file: "flows/gen.flow.ts", line: 10 + i, column: 3 },
    });
    connect(Math.max(0, i - 1 - Math.floor(rand() * 3)), i, "in");
    if (inputs.aux) connect(longEdges ? Math.floor(i * 0.7) : i - 4, i, "aux", 4);
  }
  for (const c of feedback) connect(c + 3, c, "fb", 1);
  const loaded = loadIr({ irVersion: 1, name: `generated-${n}`, nodes, channels, meta: { compiler: "flowc-bench", sourceHash: null } });
  if (!loaded.ok) throw new Error(`generated flow is invalid: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
  return loaded.ir;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function time<T>(f: () => Promise<T> | T): Promise<[T, number]> {
  const t = performance.now();
  const value = await f();
  return [value, performance.now() - t];
}

interface SizeResult {
  nodes: number;
  channels: number;
  groups: number;
  runs: number;
  layoutMs: { median: number; min: number; max: number };
  renderMs: number;
  htmlKB: number;
  width: number;
  height: number;
}

async function measureSize(n: number): Promise<SizeResult> {
  const ir = generateFlow(n);
  await layoutFlow(ir); // warm-up
  const layouts: number[] = [];
  const renders: number[] = [];
  let html = "";
  let layout = await layoutFlow(ir);
  for (let r = 0; r < (RUNS[n] ?? 3); r++) {
    const [laid, ms] = await time(() => layoutFlow(ir));
    layout = laid;
    layouts.push(ms);
    const [page, renderMs] = await time(() => htmlDocument({ title: ir.name, body: renderGraphView(ir, laid) }));
    html = page;
    renders.push(renderMs);
  }
  console.error(`${n} nodes: layout ${layouts.map((x) => x.toFixed(0)).join(", ")} ms`);
  return {
    nodes: n,
    channels: ir.channels.length,
    groups: layout.groups.length,
    runs: layouts.length,
    layoutMs: { median: round(median(layouts)), min: round(Math.min(...layouts)), max: round(Math.max(...layouts)) },
    renderMs: round(median(renders), 2),
    htmlKB: round(Buffer.byteLength(html) / 1024),
    width: Math.round(layout.width),
    height: Math.round(layout.height),
  };
}

/** ELK settings tried on the 1,000-node flow (each over the defaults), and two other flows. */
const VARIANTS: { name: string; options: Record<string, string>; placement?: boolean; longEdges?: boolean; runs?: number }[] = [
  { name: "defaults (flowc)", options: {} },
  { name: "same flow without placement groups", options: {}, placement: false },
  {
    name: "ELK's own defaults (thoroughness 7, no model order)",
    options: { "elk.layered.thoroughness": "7", "elk.layered.considerModelOrder.strategy": "NONE" },
  },
  { name: "thoroughness 1", options: { "elk.layered.thoroughness": "1" } },
  { name: "thoroughness 10", options: { "elk.layered.thoroughness": "10" } },
  { name: "no model order", options: { "elk.layered.considerModelOrder.strategy": "NONE" } },
  { name: "node placement NETWORK_SIMPLEX", options: { "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX" } },
  { name: "node placement LINEAR_SEGMENTS", options: { "elk.layered.nodePlacement.strategy": "LINEAR_SEGMENTS" } },
  { name: "greedy switch OFF", options: { "elk.layered.crossingMinimization.greedySwitch.type": "OFF" } },
  { name: "edge routing SPLINES", options: { "elk.edgeRouting": "SPLINES" } },
  { name: "edge routing POLYLINE", options: { "elk.edgeRouting": "POLYLINE" } },
  {
    name: "layer wrapping MULTI_EDGE, aspect ratio 1.6 (flow without groups: ELK cannot wrap compound graphs)",
    options: { "elk.layered.wrapping.strategy": "MULTI_EDGE", "elk.aspectRatio": "1.6" },
    placement: false,
    runs: 1,
  },
  { name: "worst case: every 7th node also reads the node at 70 % of its index (long-range edges)", options: {}, longEdges: true, runs: 1 },
  {
    name: "worst case, ELK's own defaults (thoroughness 7, no model order)",
    options: { "elk.layered.thoroughness": "7", "elk.layered.considerModelOrder.strategy": "NONE" },
    longEdges: true,
    runs: 1,
  },
  { name: "worst case, thoroughness 1", options: { "elk.layered.thoroughness": "1" }, longEdges: true, runs: 1 },
];

interface VariantResult {
  name: string;
  options: Record<string, string>;
  runs: number;
  layoutMs: number;
  width: number;
  height: number;
}

async function measureVariants(): Promise<VariantResult[]> {
  const out: VariantResult[] = [];
  for (const variant of VARIANTS) {
    const ir = generateFlow(1000, variant.placement ?? true, variant.longEdges ?? false);
    const times: number[] = [];
    let size = { width: 0, height: 0 };
    for (let r = 0; r < (variant.runs ?? 2); r++) {
      const [layout, ms] = await time(() => layoutFlow(ir, { elk: variant.options }));
      times.push(ms);
      size = { width: Math.round(layout.width), height: Math.round(layout.height) };
    }
    console.error(`1000 nodes, ${variant.name}: ${times.map((x) => x.toFixed(0)).join(", ")} ms`);
    out.push({ name: variant.name, options: variant.options, runs: times.length, layoutMs: round(Math.min(...times)), ...size });
  }
  return out;
}

function markdown(report: {
  date: string;
  machine: ReturnType<typeof machineFacts>;
  results: SizeResult[];
  variants: VariantResult[];
}): string {
  const lines = [
    "# Graph view benchmark (`flowc graph --format html`)",
    "",
    `${report.date} · ${report.machine.cpus} × ${report.machine.model} · Node ${report.machine.node}. elkjs ${"layered"} in Node, one process; medians after a warm-up run.`,
    "",
    "Generated flows: a chain where each node reads one of the 3 nodes before it (fan-out), every 7th node also the 4th before it, a feedback loop every 50 nodes, nodes split over 4 placement machines (compound nodes).",
    "",
    "| nodes | channels | machines | runs | layout ms (median) | min–max | SVG + page ms | page KB | drawing px |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...report.results.map(
      (r) =>
        `| ${r.nodes.toLocaleString("en")} | ${r.channels} | ${r.groups} | ${r.runs} | **${r.layoutMs.median}** | ${r.layoutMs.min}–${r.layoutMs.max} | ${r.renderMs} | ${r.htmlKB} | ${r.width} × ${r.height} |`,
    ),
    "",
  ];
  const largest = report.results.find((r) => r.nodes === 1000);
  if (largest) {
    lines.push(
      `Target: the 1,000-node flow lays out in ≤ ${TARGET_MS} ms → ${largest.layoutMs.median} ms (${largest.layoutMs.median <= TARGET_MS ? "met" : "NOT met"}).`,
      "",
    );
  }
  if (report.variants.length > 0) {
    lines.push(
      "## ELK settings on the 1,000-node flow",
      "",
      "Best of 2 runs (1 for the worst case), each setting over flowc's defaults (`DEFAULT_ELK_OPTIONS` in packages/cli/src/view/layout.ts).",
      "",
      "| setting | layout ms | drawing px |",
      "| --- | ---: | ---: |",
      ...report.variants.map((v) => `| ${v.name} | ${v.layoutMs} | ${v.width} × ${v.height} |`),
      "",
    );
    const ms = (prefix: string) => report.variants.find((v) => v.name.startsWith(prefix))?.layoutMs;
    const [worst, worstElk, easy, easyElk] = [
      ms("worst case: "),
      ms("worst case, ELK's own"),
      ms("defaults (flowc)"),
      ms("ELK's own defaults"),
    ];
    if (worst && worstElk && easy && easyElk) {
      lines.push(
        "flowc's defaults differ from ELK's in two settings: `elk.layered.thoroughness` 3 (ELK: 7), and",
        "`elk.layered.considerModelOrder.strategy` NODES_AND_EDGES (ELK: NONE), which keeps nodes in their declaration",
        "order where the layering leaves a choice, so a flow edited a little is drawn much as before. On the chain",
        `they cost the same (${easy} vs ${easyElk} ms): layering, crossing minimisation and node placement are all`,
        "linear-ish on short edges. Long edges are what costs: ELK splits an edge spanning k layers into k dummy nodes,",
        `so the worst case above has about ten thousand of them; there the defaults take ${worst} ms against ELK's ${worstElk} ms.`,
        "Node placement and edge routing strategies change little; layer wrapping makes the drawing less wide but",
        "cannot be used with placement groups (compound nodes), so it is not a default.",
        "",
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const results: SizeResult[] = [];
  for (const n of SIZES) results.push(await measureSize(n));
  const variants = process.env.BENCH_TUNING === "0" ? [] : await measureVariants();
  const report = {
    benchmark: "graph",
    date: new Date().toISOString(),
    machine: machineFacts(),
    targetMs: TARGET_MS,
    defaults: DEFAULT_ELK_OPTIONS,
    results,
    variants,
  };
  const dir = join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "graph.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, "graph.md"), markdown(report));
  console.log(markdown(report));
}

// Run as a script (not when a test or another script imports generateFlow).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
