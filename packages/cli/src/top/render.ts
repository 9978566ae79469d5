// `flowc top`'s pure half: rates from two cumulative samples, and the text they are shown as —
// plain `key=value` lines (not a terminal, --once, -n) or a screen of fixed-width lines with
// optional ANSI colour (a terminal). Nothing here touches a stream, a clock or the daemon.
import { histogramQuantile, type StatsSample } from "@flowc/runtime";
import type { DataflowStats } from "@flowc/runtime-dataflow";

/** One node's figures: rates over the last two samples (null without two), totals, gauges. */
export interface NodeRow {
  readonly node: string;
  readonly status: string;
  readonly stepsPerSec: number | null;
  readonly inPerSec: number | null;
  readonly outPerSec: number | null;
  /** Messages waiting on its input channels now; null for a node without inputs. */
  readonly queue: number | null;
  /** The summed capacity of its input channels; null for a node without inputs. */
  readonly capacity: number | null;
  readonly drops: number | null;
  readonly restarts: number;
  /** Time in the node's code over the last interval, in % of one core. */
  readonly cpuPercent: number | null;
  readonly memoryBytes: number | null;
  /** Step durations since the node started (histogram bucket bounds), ms. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** One dataflow as `flowc top` shows it. */
export interface DataflowView {
  readonly id: string;
  readonly name: string | null;
  /** The name, or the id when it has none. */
  readonly label: string;
  readonly flow: string;
  readonly status: string;
  readonly uptimeMs: number;
  /** succeeded, failed or stopped: the figures are final. */
  readonly ended: boolean;
  readonly nodes: readonly NodeRow[];
}

const ENDED = new Set(["succeeded", "failed", "stopped"]);

export function isEnded(status: string): boolean {
  return ENDED.has(status);
}

/**
 * The view of one dataflow from its latest stats and the previous sample that differs from it
 * (an earlier `t`): counters are cumulative, so rates are their differences over the time
 * between the two samples. Without a previous sample, or once the dataflow ended, rates are null.
 */
export function dataflowView(stats: DataflowStats, previous: StatsSample | undefined, nowMs: number): DataflowView {
  const { dataflow, sample, channels } = stats;
  const ended = isEnded(dataflow.status);
  const created = Date.parse(dataflow.createdAt);
  const until = ended && dataflow.endedAt !== null ? Date.parse(dataflow.endedAt) : nowMs;
  const uptimeMs = Number.isFinite(created) && Number.isFinite(until) ? Math.max(0, until - created) : 0;
  const dtMs = previous !== undefined && !ended ? sample.t - previous.t : 0;
  const ids = [...Object.keys(dataflow.processes)];
  for (const id of Object.keys(sample.nodes)) if (!ids.includes(id)) ids.push(id);
  const nodes = ids.map((id): NodeRow => {
    const now = sample.nodes[id];
    const before = dtMs > 0 ? previous?.nodes[id] : undefined;
    const rate = (pick: (n: NonNullable<typeof now>) => number): number | null =>
      now && before ? Math.max(0, pick(now) - pick(before)) / (dtMs / 1000) : null;
    const inputs = channels.filter((c) => c.to === id);
    const queue = inputs.length === 0 ? null : inputs.reduce((sum, c) => sum + (sample.channels[c.id]?.depth ?? 0), 0);
    const capacity = inputs.length === 0 ? null : inputs.reduce((sum, c) => sum + c.capacity, 0);
    const cpu = rate((n) => n.cpuMs);
    return {
      node: id,
      status: (now?.status ?? "-").toLowerCase(),
      stepsPerSec: rate((n) => n.steps),
      inPerSec: rate((n) => n.messagesIn),
      outPerSec: rate((n) => n.messagesOut),
      queue,
      capacity,
      drops: now ? now.dropped : null,
      restarts: Math.max(now?.restarts ?? 0, dataflow.processes[id]?.restarts ?? 0),
      // cpuMs per second of run time is a thousandth of a core: per cent is a tenth of it.
      cpuPercent: cpu === null ? null : cpu / 10,
      memoryBytes: now?.memoryBytes ?? null,
      p50Ms: now ? histogramQuantile(now.stepMs, 0.5) : null,
      p99Ms: now ? histogramQuantile(now.stepMs, 0.99) : null,
    };
  });
  return {
    id: dataflow.id,
    name: dataflow.name,
    label: printable(dataflow.name ?? dataflow.id),
    flow: printable(dataflow.flow),
    status: dataflow.status,
    uptimeMs,
    ended,
    nodes,
  };
}

/** Control characters (which would move the cursor or colour the screen) shown as `?`. */
export function printable(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += code < 0x20 || (code >= 0x7f && code < 0xa0) ? "?" : ch;
  }
  return out;
}

// ---- number formats ------------------------------------------------------------------------

export function formatRate(value: number | null): string {
  return value === null ? "-" : value.toFixed(1);
}

export function formatMB(bytes: number | null): string {
  return bytes === null ? "-" : (bytes / 1048576).toFixed(1);
}

/** Milliseconds with about two significant digits: 0.0025, 0.02, 1.3, 12.5, 130. */
export function formatMs(ms: number | null): string {
  if (ms === null) return "-";
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  return String(Number(ms.toPrecision(2)));
}

export function formatQueue(row: NodeRow): string {
  return row.queue === null ? "-" : `${row.queue}/${row.capacity}`;
}

/** 0:00:07, 1:02:03; days as 2d 3:04:05. */
export function formatUptime(ms: number): string {
  const total = Math.floor(ms / 1000);
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600) % 24;
  const d = Math.floor(total / 86400);
  const clock = `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  return d > 0 ? `${d}d ${clock}` : clock;
}

// ---- plain lines ---------------------------------------------------------------------------

/** A node as one plain line: `<dataflow> <node> status=… steps/s=… …`. */
export function plainNodeLine(view: DataflowView, row: NodeRow): string {
  return [
    view.label,
    row.node,
    `status=${row.status}`,
    `steps/s=${formatRate(row.stepsPerSec)}`,
    `in/s=${formatRate(row.inPerSec)}`,
    `out/s=${formatRate(row.outPerSec)}`,
    `queue=${formatQueue(row)}`,
    `drops=${row.drops ?? "-"}`,
    `restarts=${row.restarts}`,
    `cpu%=${formatRate(row.cpuPercent)}`,
    `mem=${row.memoryBytes === null ? "-" : `${formatMB(row.memoryBytes)}MB`}`,
    `p50=${row.p50Ms === null ? "-" : `${formatMs(row.p50Ms)}ms`}`,
    `p99=${row.p99Ms === null ? "-" : `${formatMs(row.p99Ms)}ms`}`,
  ].join(" ");
}

/**
 * One refresh as plain text: per dataflow a `# <dataflow> …` line, then a line per node;
 * `# <dataflow> ended: <status>` after a dataflow the user named that ended. Ends with a blank line.
 */
export function plainBlock(views: readonly DataflowView[], endedNote = false): string {
  if (views.length === 0) return `${NONE_RUNNING}\n`;
  const lines: string[] = [];
  for (const v of views) {
    lines.push(`# ${v.label} id=${v.id} flow=${v.flow} status=${v.status} uptime=${formatUptime(v.uptimeMs)} nodes=${v.nodes.length}`);
    for (const row of v.nodes) lines.push(plainNodeLine(v, row));
    if (endedNote && v.ended) lines.push(`# ${v.label} ended: ${v.status}`);
  }
  return `${lines.join("\n")}\n\n`;
}

export const NONE_RUNNING = "no running dataflows (start one with `flowc start <flow>`)";

/** The JSON of one refresh (`--json`). */
export function jsonBlock(views: readonly DataflowView[]): string {
  return `${JSON.stringify({ dataflows: views })}\n`;
}

// ---- the screen ----------------------------------------------------------------------------

type Style = "bold" | "green" | "red" | "yellow" | "dim";
const SGR: Record<Style, string> = { bold: "1", green: "32", red: "31", yellow: "33", dim: "2" };

/** A piece of a screen line and how it is painted. */
interface Segment {
  readonly text: string;
  readonly style?: Style | undefined;
}
type Line = readonly Segment[];

export function statusStyle(status: string): Style {
  if (status === "running" || status === "succeeded") return "green";
  if (status === "failed") return "red";
  return "yellow";
}

interface Column {
  readonly title: string;
  readonly align: "left" | "right";
  /** Spaces before the column. */
  readonly gap: number;
  readonly cell: (row: NodeRow) => string;
}

/** The table's columns; when the terminal is too narrow, the last ones are left out first. */
const COLUMNS: readonly Column[] = [
  { title: "NODE", align: "left", gap: 0, cell: (r) => r.node },
  { title: "STATUS", align: "left", gap: 2, cell: (r) => r.status },
  { title: "STEPS/S", align: "right", gap: 1, cell: (r) => formatRate(r.stepsPerSec) },
  { title: "IN/S", align: "right", gap: 1, cell: (r) => formatRate(r.inPerSec) },
  { title: "OUT/S", align: "right", gap: 1, cell: (r) => formatRate(r.outPerSec) },
  { title: "QUEUE", align: "right", gap: 1, cell: formatQueue },
  { title: "CPU%", align: "right", gap: 1, cell: (r) => formatRate(r.cpuPercent) },
  { title: "MEM MB", align: "right", gap: 1, cell: (r) => formatMB(r.memoryBytes) },
  { title: "DROPS", align: "right", gap: 1, cell: (r) => (r.drops === null ? "-" : String(r.drops)) },
  { title: "RESTART", align: "right", gap: 1, cell: (r) => String(r.restarts) },
  { title: "P50", align: "right", gap: 1, cell: (r) => formatDuration(r.p50Ms) },
  { title: "P99", align: "right", gap: 1, cell: (r) => formatDuration(r.p99Ms) },
];
/** The node column is cut (with …) down to this before columns are left out. */
const MIN_NODE_WIDTH = 8;

/** A duration in at most 5 characters, with its unit: 3.5µs, 320µs, 1.5ms, 130ms, 2.1s. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1) return `${Number((ms * 1000).toPrecision(2))}µs`;
  if (ms < 1000) return `${Number(ms.toPrecision(2))}ms`;
  return `${Number((ms / 1000).toPrecision(2))}s`;
}

/** Cuts `text` to `width` characters, the last one an ellipsis when something was cut. */
export function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 0) return "";
  return `${chars.slice(0, width - 1).join("")}…`;
}

function length(text: string): number {
  return [...text].length;
}

function pad(text: string, width: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, width - length(text)));
  return align === "left" ? text + fill : fill + text;
}

/** A table of nodes that fits `width`: the node column shortened first, then columns left out from the right. */
function table(rows: readonly NodeRow[], width: number): Line[] {
  const cells = rows.map((r) => COLUMNS.map((c) => printable(c.cell(r))));
  const natural = COLUMNS.map((c, i) => Math.max(length(c.title), ...cells.map((r) => length(r[i] ?? ""))));
  const nodeNatural = natural[0] ?? MIN_NODE_WIDTH;
  const nodeMin = Math.min(nodeNatural, MIN_NODE_WIDTH);
  /** The width of the first `n` columns, the node column `nodeWidth` wide. */
  const total = (n: number, nodeWidth: number) => {
    let sum = nodeWidth;
    for (let i = 1; i < n; i++) sum += (natural[i] ?? 0) + (COLUMNS[i]?.gap ?? 0);
    return sum;
  };
  let count = COLUMNS.length;
  while (count > 2 && total(count, nodeMin) > width) count--;
  const widths = natural.slice(0, count);
  widths[0] = Math.max(nodeMin, Math.min(nodeNatural, width - total(count, 0)));
  const line = (texts: readonly string[], styleOf: (i: number) => Style | undefined): Line => {
    const out: Segment[] = [];
    for (let i = 0; i < count; i++) {
      const column = COLUMNS[i] as Column;
      const w = widths[i] ?? 0;
      if (column.gap > 0) out.push({ text: " ".repeat(column.gap) });
      out.push({ text: pad(truncate(texts[i] ?? "", w), w, column.align), style: styleOf(i) });
    }
    return out;
  };
  return [
    line(
      COLUMNS.map((c) => c.title),
      () => "bold",
    ),
    ...rows.map((r, k) => line(cells[k] ?? [], (i) => (i === 1 ? statusStyle(r.status) : undefined))),
  ];
}

/** Cuts a line of segments to `width` characters (an ellipsis where it was cut). */
function fit(line: Line, width: number): Line {
  const out: Segment[] = [];
  let used = 0;
  const all = line.reduce((sum, s) => sum + length(s.text), 0);
  if (all <= width) return line;
  for (const s of line) {
    const room = width - 1 - used;
    if (room <= 0) break;
    const text = [...s.text].slice(0, room).join("");
    out.push({ text, style: s.style });
    used += length(text);
  }
  if (width > 0) out.push({ text: "…" });
  return out;
}

function paint(line: Line, color: boolean): string {
  return line.map((s) => (color && s.style && s.text !== "" ? `\u001b[${SGR[s.style]}m${s.text}\u001b[0m` : s.text)).join("");
}

export interface ScreenOptions {
  readonly columns: number;
  readonly rows: number;
  readonly color: boolean;
  readonly intervalMs: number;
  /** The dataflow named on the command line, if any. */
  readonly target?: string | undefined;
  /** Set when the connection to the daemon is lost, or similar: shown at the bottom. */
  readonly notice?: string | undefined;
}

/**
 * The screen for a terminal: at most `rows` lines, none wider than `columns` characters
 * (colour escapes aside). Without `color`, the lines have no escape codes at all.
 */
export function screenLines(views: readonly DataflowView[], options: ScreenOptions): string[] {
  const width = Math.max(1, options.columns);
  const every = options.intervalMs % 1000 === 0 ? `${options.intervalMs / 1000} s` : `${options.intervalMs} ms`;
  const what =
    options.target !== undefined
      ? `dataflow ${printable(options.target)}`
      : `${views.length} running dataflow${views.length === 1 ? "" : "s"}`;
  const lines: Line[] = [[{ text: `flowc top — ${what} — every ${every} — q quits`, style: "bold" }]];
  if (views.length === 0) {
    lines.push([]);
    lines.push([{ text: "no running dataflows — waiting for `flowc start <flow>`" }]);
  }
  for (const v of views) {
    lines.push([]);
    const header: Segment[] = [{ text: v.label, style: "bold" }];
    if (v.name !== null) header.push({ text: `  ${v.id}`, style: "dim" });
    header.push({ text: `  flow ${v.flow}  ` }, { text: v.status, style: statusStyle(v.status) });
    header.push({ text: `  up ${formatUptime(v.uptimeMs)}  ${v.nodes.length} node${v.nodes.length === 1 ? "" : "s"}` });
    lines.push(header);
    lines.push(...table(v.nodes, width));
    if (v.ended)
      lines.push([
        { text: `dataflow ${v.label} ended: ` },
        { text: v.status, style: statusStyle(v.status) },
        { text: " — its final figures above; q quits" },
      ]);
  }
  if (options.notice !== undefined) lines.push([], [{ text: printable(options.notice), style: "red" }]);
  const height = Math.max(1, options.rows);
  let shown = lines;
  if (lines.length > height) {
    const hidden = lines.length - (height - 1);
    shown = [
      ...lines.slice(0, height - 1),
      [{ text: `… ${hidden} more line${hidden === 1 ? "" : "s"} (a taller terminal shows them)`, style: "dim" }],
    ];
  }
  return shown.map((l) => paint(fit(l, width), options.color));
}

/** Escape sequences of the full-screen mode. */
export const Ansi = {
  enter: "\u001b[?1049h\u001b[?25l",
  leave: "\u001b[?25h\u001b[?1049l",
  home: "\u001b[H",
  clearLine: "\u001b[K",
  clearBelow: "\u001b[J",
} as const;

/** One redraw: cursor home, every line overwritten and cleared to its end, the rest of the screen cleared. */
export function frame(lines: readonly string[]): string {
  return `${Ansi.home}${lines.map((l) => l + Ansi.clearLine).join("\r\n")}${Ansi.clearBelow}`;
}
