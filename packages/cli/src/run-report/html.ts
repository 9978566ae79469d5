import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  escapeHtml,
  GRAPH_CSS,
  GRAPH_SCRIPT,
  htmlDocument,
  jsonForScript,
  layoutFlow,
  NODE_STATUSES,
  type NodeStatus,
  PAGE_CSS,
  renderGraphView,
} from "../view/index.js";
import type { RunReport } from "./collect.js";

/** Plots show at most this many lines: the busiest nodes and channels; the tables list them all. */
const MAX_LINES = 12;

let uplot: { js: string; css: string } | undefined;
/** uPlot's browser build and stylesheet, inlined so the report works offline. */
function uplotAssets(): { js: string; css: string } {
  if (!uplot) {
    const require = createRequire(import.meta.url);
    uplot = {
      js: readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8"),
      css: readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
    };
  }
  return uplot;
}

/** The flow's graph coloured by how each node ended, with the run's figures in each node's details. */
async function graphOf(report: RunReport): Promise<string> {
  const status = new Map<string, NodeStatus>();
  const details = new Map<string, Record<string, string | number>>();
  for (const n of report.nodes) {
    if ((NODE_STATUSES as readonly string[]).includes(n.status)) status.set(n.id, n.status as NodeStatus);
    details.set(n.id, {
      status: n.status,
      steps: n.steps,
      "messages in": n.messagesIn,
      "messages out": n.messagesOut,
      dropped: n.dropped,
      restarts: n.restarts,
      "time in code": fmtMs(n.cpuMs),
      "step p50": fmtMs(n.stepP50Ms),
      "step p99": fmtMs(n.stepP99Ms),
      "peak memory": fmtBytes(n.peakMemoryBytes),
      ...(n.error ? { error: n.error } : n.cause ? { cause: n.cause } : {}),
    });
  }
  return renderGraphView(report.ir, await layoutFlow(report.ir), { status, details, idPrefix: "report" });
}

/**
 * The run report: one self-contained page (no network resource of any kind) with the flow's
 * graph coloured by node status, a table per node and per channel, and plots over run time.
 */
export async function renderRunReportHtml(report: RunReport): Promise<string> {
  const { js, css } = uplotAssets();
  const graph = await graphOf(report);
  const r = report.result;
  const busiestNodes = [...report.nodes]
    .sort((a, b) => b.steps + b.messagesIn - (a.steps + a.messagesIn))
    .slice(0, MAX_LINES)
    .map((n) => n.id);
  const lastOf = (xs: readonly (number | null)[] | undefined): number => {
    for (let i = (xs?.length ?? 0) - 1; i >= 0; i--) if (xs?.[i] != null) return xs[i] as number;
    return 0;
  };
  const channelTotals = report.ir.channels.map((c) => ({ id: c.id, taken: lastOf(report.channelSeries[c.id]?.taken) }));
  const busiestChannels = channelTotals
    .sort((a, b) => b.taken - a.taken)
    .slice(0, MAX_LINES)
    .map((c) => c.id);
  const data = {
    t: report.t,
    logicalTime: report.logicalTime,
    nodes: Object.fromEntries(busiestNodes.map((id) => [id, report.nodeSeries[id]])),
    channels: Object.fromEntries(busiestChannels.map((id) => [id, report.channelSeries[id]])),
    shownNodes: busiestNodes.length,
    allNodes: report.nodes.length,
    shownChannels: busiestChannels.length,
    allChannels: report.ir.channels.length,
  };
  const rows = report.nodes
    .map((n) => {
      const problem = n.error
        ? `<td class="problem error">${escapeHtml(n.error)}</td>`
        : `<td class="problem">${escapeHtml(n.cause ?? "")}</td>`;
      return `<tr data-node="${escapeHtml(n.id)}"><td class="id">${escapeHtml(n.id)}</td><td><span class="status ${escapeHtml(n.status)}">${escapeHtml(n.status)}</span></td><td>${n.steps}</td><td>${n.messagesIn}</td><td>${n.messagesOut}</td><td>${n.dropped}</td><td>${n.restarts}</td><td>${fmtMs(n.cpuMs)}</td><td>${fmtMs(n.stepP50Ms)}</td><td>${fmtMs(n.stepP99Ms)}</td><td>${fmtBytes(n.peakMemoryBytes)}</td>${problem}</tr>`;
    })
    .join("\n");
  const channelRows = report.ir.channels
    .map((c) => {
      const s = report.channelSeries[c.id];
      const maxDepth = (s?.depth ?? []).reduce<number>((max, v) => Math.max(max, v ?? 0), 0);
      return `<tr><td class="id">${escapeHtml(c.id)}</td><td>${lastOf(s?.taken)}</td><td>${c.capacity}</td><td>${escapeHtml(c.onFull)}</td><td>${maxDepth}</td><td>${lastOf(s?.dropped)}</td></tr>`;
    })
    .join("\n");
  const duration = `${(r.durationMs / 1000).toFixed(2)} s${r.logicalDurationMs !== null ? ` (logical ${(r.logicalDurationMs / 1000).toFixed(2)} s)` : ""}`;
  const timeNote = report.logicalTime
    ? "Run time is logical on mp inline: rates are per second of logical time."
    : "Run time is wall-clock time since the start barrier.";
  const body = `<header>
<h1>${escapeHtml(report.flow)} <span class="status ${r.status === "succeeded" ? "SUCCEEDED" : r.status === "failed" ? "FAILED" : "STOPPED"}">${escapeHtml(r.status)}</span></h1>
<p class="meta">on <b>${escapeHtml(report.runtime)}</b> · ${escapeHtml(r.reason)} · ${duration} · ${r.nodes.length} nodes · peak memory ${fmtBytes(r.peakMemoryBytes)} · started ${escapeHtml(report.startedAt)}</p>
</header>
<section id="graph"><h2>Graph</h2>${graph}</section>
<section id="nodes"><h2>Nodes</h2>
<table class="nodes"><thead><tr><th>node</th><th>status</th><th>steps</th><th>in</th><th>out</th><th>dropped</th><th>restarts</th><th>time in code</th><th>step p50</th><th>step p99</th><th>peak memory</th><th>error or cause</th></tr></thead>
<tbody>
${rows}
</tbody></table></section>
<section id="plots"><h2>Over time</h2>
<p class="note">${escapeHtml(timeNote)} One point every ${report.intervalMs} ms.<span id="shown"></span></p>
<div class="plot" id="plot-rate"><h3>Messages per second, per channel</h3></div>
<div class="plot" id="plot-depth"><h3>Queue depth, per channel (most seen per interval)</h3></div>
<div class="plot" id="plot-latency"><h3>Step duration p50 (solid) and p99 (dashed), per node, ms</h3></div>
<div class="plot" id="plot-cpu"><h3>Time in node code, % of one core</h3></div>
<div class="plot" id="plot-memory"><h3>Memory of each node's executor, MB</h3></div>
</section>
<section id="channels"><h2>Channels</h2>
<table class="channels"><thead><tr><th>channel</th><th>messages</th><th>capacity</th><th>onFull</th><th>deepest queue</th><th>dropped</th></tr></thead>
<tbody>
${channelRows}
</tbody></table></section>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>`;
  return htmlDocument({
    title: `${report.flow} — flowc run report`,
    body,
    css: PAGE_CSS + GRAPH_CSS + css + REPORT_CSS,
    // uPlot first: the plots use it; the graph view's script wires up the graph.
    script: `${js}\n${PLOT_SCRIPT}\n${GRAPH_SCRIPT}`,
  });
}

function fmtMs(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

function fmtBytes(bytes: number | null): string {
  if (bytes === null || bytes === 0) return "—";
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const REPORT_CSS = `
:root { --bg: #ffffff; --fg: #1d2330; --muted: #5b6577; --line: #d8dde6; --panel: #f5f7fa;
  --ok: #1f8a4c; --fail: #c62828; --stop: #8a6d00; --skip: #6b7280; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #14171c; --fg: #e6e9ef; --muted: #9aa3b2; --line: #2c323c; --panel: #1c2027;
    --ok: #4cc27d; --fail: #ff6b6b; --stop: #e0b341; --skip: #9aa3b2; }
}
body { background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 24px 48px; }
h1 { font-size: 22px; margin: 20px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; } h3 { font-size: 13px; font-weight: 600; margin: 0 0 4px; color: var(--muted); }
.meta, .note { color: var(--muted); margin: 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th:first-child, table.nodes th:last-child, td.id, td.problem { text-align: left; } td.problem { white-space: normal; color: var(--muted); max-width: 420px; } td.problem.error { color: var(--fail); }
td.id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.status { font-size: 12px; font-weight: 600; padding: 1px 6px; border-radius: 4px; border: 1px solid currentColor; }
.status.SUCCEEDED { color: var(--ok); } .status.FAILED { color: var(--fail); } .status.STOPPED { color: var(--stop); } .status.SKIPPED { color: var(--skip); }
#graph .fg-view { --fg-height: clamp(240px, 45vh, 560px); }
.plot { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px; margin: 12px 0; }
.plot.empty::after { content: "no data"; color: var(--muted); }
.uplot, .uplot .u-legend { color: var(--fg); font-family: inherit; }
`;

/**
 * Draws the plots with uPlot from the embedded data. Lines get a colour per series; each plot
 * follows the page's width and the colour scheme's text and grid colours.
 */
const PLOT_SCRIPT = `(() => {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const palette = ["#4e79a7","#f28e2b","#e15759","#76b7b2","#59a14f","#edc948","#b07aa1","#ff9da7","#9c755f","#bab0ac","#1f77b4","#d62728"];
  const style = getComputedStyle(document.documentElement);
  const fg = style.getPropertyValue("--muted").trim() || "#555";
  const grid = style.getPropertyValue("--line").trim() || "#ddd";
  const seconds = data.t.map((ms) => ms / 1000);
  const charts = [];
  if (data.shownNodes < data.allNodes || data.shownChannels < data.allChannels)
    document.getElementById("shown").textContent = " Plots show the busiest " + data.shownNodes + " of " + data.allNodes + " nodes and " + data.shownChannels + " of " + data.allChannels + " channels.";
  function plot(id, lines, unit) {
    const el = document.getElementById(id);
    const present = lines.filter((l) => l.values && l.values.some((v) => v !== null));
    if (present.length === 0) { el.classList.add("empty"); return; }
    const opts = {
      width: Math.max(320, el.clientWidth - 20), height: 220,
      scales: { x: { time: false } },
      axes: [
        { stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid }, label: data.logicalTime ? "logical s" : "s" },
        { stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid }, size: 60, label: unit },
      ],
      series: [{ label: "t (s)" }].concat(present.map((l, i) => ({
        label: l.label, stroke: palette[l.color % palette.length], width: 1.5, dash: l.dash, spanGaps: true,
        points: { show: seconds.length < 60 },
      }))),
    };
    charts.push({ el, chart: new uPlot(opts, [seconds].concat(present.map((l) => l.values)), el) });
  }
  const channels = Object.keys(data.channels);
  const nodes = Object.keys(data.nodes);
  plot("plot-rate", channels.map((id, i) => ({ label: id, color: i, values: data.channels[id].perSecond })), "msg/s");
  plot("plot-depth", channels.map((id, i) => ({ label: id, color: i, values: data.channels[id].depth })), "messages");
  plot("plot-latency", nodes.flatMap((id, i) => [
    { label: id + " p50", color: i, values: data.nodes[id].stepP50 },
    { label: id + " p99", color: i, dash: [4, 3], values: data.nodes[id].stepP99 },
  ]), "ms");
  plot("plot-cpu", nodes.map((id, i) => ({ label: id, color: i, values: data.nodes[id].cpuPercent })), "%");
  plot("plot-memory", nodes.map((id, i) => ({ label: id, color: i, values: data.nodes[id].memoryBytes.map((b) => b === null ? null : b / 1048576) })), "MB");
  addEventListener("resize", () => { for (const c of charts) c.chart.setSize({ width: Math.max(320, c.el.clientWidth - 20), height: 220 }); });
})();`;
