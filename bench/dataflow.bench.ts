// `pnpm bench:dataflow`: the dataflow runtime in the shape of Dora's own latency benchmark
// (one-way latency by payload size, then throughput), against a bare Unix-socket ping between
// two plain Node processes measured in the same run. Writes bench/results/dataflow.json and dataflow.md.
//
// Measured:
// - one-way latency from the send timestamp at 0 B … 4 MB, 100 messages per size 5 ms apart
//   (p50/p95/p99), after warm-up messages at the same spacing; the baseline sends the same frames.
//   From the shared-memory threshold on, the node writes its frame where it travels
//   (`ctx.allocate`, a slot), as Dora's benchmark writes into its sample (`send_output_raw`);
// - the same for large sizes with the node's own `new Uint8Array` copied into a slot by the
//   runtime, and with shared memory off (every payload over the socket: the same node, its
//   `ctx.allocate` frames then reused socket buffers; and its own arrays), which is how the
//   shared-memory threshold was chosen;
// - back-to-back throughput: small messages (1,000 emits per step) and 4 MB frames, written in
//   place, copied into a slot, and over the socket alone;
// - resident memory of producer and consumer over a steady 4 MB stream (the pool is bounded).
// Targets, 2 cores: 8 B p50 ≤ 2× the bare socket; ≥ 250,000 small msgs/s; 4 MB p50 ≤ 0.5 ms and
// ≤ 0.25× the bare socket; 400 KB p50 below the bare socket; 4 MB back to back ≥ 2,100 msgs/s
// and ≥ 4× the bare socket; RSS flat over a steady stream.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Json } from "@flowc/ir";
import { DEFAULT_SHM_THRESHOLD_BYTES, type RuntimeEvent } from "@flowc/runtime";
import { dataflowRuntime } from "@flowc/runtime-dataflow";
import {
  flowCompiler,
  inRounds,
  machineFacts,
  round,
  runBaselinePair,
  runBench,
  runUntilLogged,
  type Stats,
  stats,
  withParams,
} from "./common.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const ALL_SIZES: [string, number][] = [
  ["0 B", 0],
  ["8 B", 8],
  ["64 B", 64],
  ["512 B", 512],
  ["2 KB", 2048],
  ["4 KB", 4096],
  ["16 KB", 16 * 1024],
  ["40 KB", 40 * 1024],
  ["400 KB", 400 * 1024],
  ["4 MB", 4 * 1024 * 1024],
];
// BENCH_SIZES="8 B,4 MB" measures some sizes only (for investigating; the report is then partial).
const SIZES = process.env.BENCH_SIZES ? ALL_SIZES.filter(([label]) => process.env.BENCH_SIZES?.split(",").includes(label)) : ALL_SIZES;
const HOPS = 100;
const WARMUP = Number(process.env.BENCH_WARMUP ?? 500);
/**
 * Each size is measured in rounds, the flowc runs and the baseline alternating, and the
 * percentiles are taken over the rounds' messages together: the machine's load drifts over a
 * run, and a baseline measured minutes apart from what it is compared with says little.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SMALL_COUNT = 1_000_000;
const LARGE_COUNT = 500;

const out = mkdtempSync(join(tmpdir(), "flowc-bench-dataflow-"));
// Logs and result records of the embedded daemon go here, not to the user's home.
const env = { ...process.env, FLOWC_HOME: join(out, "home") };
const flowNamed = flowCompiler(join(here, "runtime/flows.flow.ts"), out);

async function runDataflow(
  name: string,
  params: Record<string, Record<string, Json>>,
  key: string,
  extra: Record<string, unknown> = {},
  sampling?: { sampleMs: number; onEvent: (event: RuntimeEvent) => void },
) {
  const { ir, baseDir } = await flowNamed(name);
  const options = { baseDir, env, options: { daemon: "embedded", ...extra }, ...(sampling ? { sampleMs: sampling.sampleMs } : {}) };
  return runUntilLogged(dataflowRuntime, withParams(ir, params), options, key, 180_000, sampling?.onEvent);
}

// ---- the baseline: two plain Node processes and a Unix socket ------------------------------
// The sender writes u32-length-prefixed frames whose first 8 bytes are the send time; the
// receiver reassembles them and measures. No msgpack, no node host, no daemon.
const BASELINE = `
const net = require("node:net");
const [role, path, size, count, spacing, skip] = process.argv.slice(1).map((v, i) => (i < 2 ? v : Number(v)));
const machineNow = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC: shared by every process on the machine
if (role === "recv") {
  const lat = []; let n = 0; let first = 0;
  const server = net.createServer((s) => {
    // Chunks are kept until a whole frame is in (one concatenation per frame, like flowc's FrameReader).
    let parts = []; let have = 0; let need = -1;
    s.on("data", (chunk) => {
      parts.push(chunk); have += chunk.length;
      for (;;) {
        if (need < 0) {
          if (have < 4) break;
          const head = parts.length === 1 ? parts[0] : Buffer.concat(parts);
          parts = [head]; need = 4 + head.readUInt32LE(0);
        }
        if (have < need) break;
        const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts);
        const now = machineNow();
        if (n === 0) first = now;
        if (spacing > 0 && n >= skip) lat.push((now - buf.readDoubleLE(4)) * 1000);
        n++;
        const rest = buf.subarray(need);
        parts = rest.length ? [rest] : []; have = rest.length; need = -1;
      }
      if (n === count) { process.stdout.write(JSON.stringify({ latencies: lat, firstMs: first, lastMs: machineNow() })); process.exit(0); }
    });
  });
  server.listen(path, () => process.stdout.write("ready\\n"));
} else {
  const s = net.createConnection(path, async () => {
    s.setNoDelay(true);
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    for (let i = 0; i < count; i++) {
      const frame = Buffer.allocUnsafe(4 + Math.max(8, size));
      frame.writeUInt32LE(Math.max(8, size), 0);
      frame.writeDoubleLE(machineNow(), 4);
      if (!s.write(frame) && spacing === 0) await new Promise((r) => s.once("drain", r));
      if (spacing > 0) await sleep(spacing);
    }
  });
}
`;

let bareRuns = 0;

function bareSocket(size: number, count: number, spacing: number, skip: number) {
  // A path of its own per run: a receiver killed at the end leaves its socket file behind.
  const path = join(out, `bare-${size}-${count}-${++bareRuns}.sock`);
  const args = (role: string, skipped: number) => [
    "-e",
    BASELINE,
    role,
    path,
    String(size),
    String(count),
    String(spacing),
    String(skipped),
  ];
  return runBaselinePair(`the bare-socket baseline (${size} B × ${count})`, args("recv", skip), args("send", 0));
}

// ---- measurements -------------------------------------------------------------------------
interface Report {
  machine: { cpus: number; model: string; node: string; v8Flags: string[] };
  warmup: number;
  shmThresholdBytes: number;
  rounds: number;
  /** Percentiles over every round's messages; `roundsP50`: each round's own p50, in order. */
  latency: Record<
    string,
    {
      dataflow: Stats;
      socketOnly?: Stats;
      /** Socket only, the node's own `new Uint8Array` per frame instead of `ctx.allocate`. */
      socketOnlyOwn?: Stats;
      copied?: Stats;
      bare: Stats;
      roundsP50: Record<string, number[]>;
      ratioP50: number;
    }
  >;
  throughput: {
    smallDataflow: number;
    smallBare: number;
    /** 4 MB frames written by the node where they travel (`ctx.allocate`: a shared-memory slot). */
    largeDataflow: number;
    /** 4 MB frames in the node's own memory, copied once into a slot by the runtime. */
    largeDataflowCopied: number;
    /** 4 MB frames from `ctx.allocate` with shared memory off: every byte through the socket. */
    largeSocketOnly: number;
    largeBare: number;
  };
  /** Resident memory of the producer and consumer processes over a steady 4 MB stream. */
  memory: { sampleMs: number; runs: Record<string, { frames: number; seconds: number; producerMb: number[]; consumerMb: number[] }> };
  bringUpMs: number;
}

const DEFAULT_SHM = DEFAULT_SHM_THRESHOLD_BYTES;

async function measureLatency(report: Report): Promise<void> {
  for (const [label, size] of SIZES) {
    const params = { ping: { size, count: WARMUP + HOPS }, sink: { count: WARMUP + HOPS, skip: WARMUP } };
    // From the threshold on, the frame is written into a slot by the node (`ctx.allocate`);
    // below it, `allocate` is ordinary memory, the same as `new Uint8Array`.
    const inPlace = size >= DEFAULT_SHM;
    const kinds: Record<string, () => Promise<number[]>> = {
      dataflow: async () => {
        const run = await runDataflow("hop", { ...params, ping: { ...params.ping, allocate: inPlace } }, "latencies");
        if (label === "8 B" && report.bringUpMs === 0) report.bringUpMs = round(run.builtMs);
        return run.data.latencies as number[];
      },
      bare: async () => (await bareSocket(size, WARMUP + HOPS, 5, WARMUP)).latencies,
    };
    // Large payloads also as the node's own array copied into a slot by the runtime, and with
    // shared memory off (the socket alone): the same node, and the node with its own arrays.
    const shmOff = { shmThresholdBytes: 1 << 30 };
    if (inPlace) kinds.copied = async () => (await runDataflow("hop", params, "latencies")).data.latencies as number[];
    if (size >= 16 * 1024)
      kinds.socketOnly = async () =>
        (await runDataflow("hop", { ...params, ping: { ...params.ping, allocate: inPlace } }, "latencies", shmOff)).data
          .latencies as number[];
    if (inPlace) kinds.socketOnlyOwn = async () => (await runDataflow("hop", params, "latencies", shmOff)).data.latencies as number[];
    const { pooled, roundsP50 } = await inRounds(ROUNDS, kinds);
    const of = (kind: string) => (pooled[kind] ? stats(pooled[kind]) : undefined);
    const entry: Report["latency"][string] = {
      dataflow: of("dataflow") as Stats,
      bare: of("bare") as Stats,
      roundsP50,
      ratioP50: 0,
    };
    entry.ratioP50 = round(entry.dataflow.p50 / entry.bare.p50, 2);
    const socketOnly = of("socketOnly");
    if (socketOnly) entry.socketOnly = socketOnly;
    const socketOnlyOwn = of("socketOnlyOwn");
    if (socketOnlyOwn) entry.socketOnlyOwn = socketOnlyOwn;
    const copied = of("copied");
    if (copied) entry.copied = copied;
    report.latency[label] = entry;
    console.error(
      `${label}: dataflow p50 ${entry.dataflow.p50} µs (${entry.ratioP50}× bare; copied ${entry.copied?.p50 ?? "-"}, socket only ${entry.socketOnly?.p50 ?? "-"}, own arrays ${entry.socketOnlyOwn?.p50 ?? "-"}), bare ${entry.bare.p50} µs; rounds ${JSON.stringify(roundsP50)}`,
    );
  }
}

async function measureThroughput(report: Report): Promise<void> {
  const small = await runDataflow("throughput", { flood: { count: SMALL_COUNT, batch: 1000 }, sink: { count: SMALL_COUNT } }, "count");
  report.throughput.smallDataflow = Math.round(SMALL_COUNT / (((small.data.lastMs as number) - small.startedAt) / 1000));
  const bareSmall = await bareSocket(8, SMALL_COUNT, 0, 0);
  report.throughput.smallBare = Math.round(SMALL_COUNT / ((bareSmall.lastMs - bareSmall.firstMs) / 1000));
  const size = 4 * 1024 * 1024;
  const rate = (data: Record<string, unknown>) => Math.round(LARGE_COUNT / (((data.lastMs as number) - (data.firstMs as number)) / 1000));
  const burst = (allocate: boolean, extra: Record<string, unknown> = {}) =>
    runDataflow("burst", { blast: { size, count: LARGE_COUNT, allocate }, sink: { count: LARGE_COUNT } }, "count", extra);
  report.throughput.largeDataflow = rate((await burst(true)).data);
  report.throughput.largeDataflowCopied = rate((await burst(false)).data);
  report.throughput.largeSocketOnly = rate((await burst(true, { shmThresholdBytes: 1 << 30 })).data);
  const bareLarge = await bareSocket(size, LARGE_COUNT, 0, 0);
  report.throughput.largeBare = Math.round(LARGE_COUNT / ((bareLarge.lastMs - bareLarge.firstMs) / 1000));
  console.error(
    `throughput: small ${report.throughput.smallDataflow}/s (bare ${report.throughput.smallBare}), 4 MB ${report.throughput.largeDataflow}/s, copied ${report.throughput.largeDataflowCopied}/s, socket only ${report.throughput.largeSocketOnly}/s (bare ${report.throughput.largeBare})`,
  );
}

/** A steady 4 MB stream: the producer's and consumer's resident memory, sampled as it runs. */
async function measureMemory(report: Report): Promise<void> {
  const size = 4 * 1024 * 1024;
  const { sampleMs } = report.memory;
  // A few seconds of stream each: frames written in place need no copy and go far faster.
  for (const [allocate, frames] of [
    [true, 150_000],
    [false, 5_000],
  ] as const) {
    const producerMb: number[] = [];
    const consumerMb: number[] = [];
    const mb = (bytes: number | null | undefined) => (bytes == null ? undefined : round(bytes / 2 ** 20));
    const onEvent = (e: RuntimeEvent) => {
      if (e.type !== "stats") return;
      const p = mb(e.sample.nodes.blast?.memoryBytes);
      const c = mb(e.sample.nodes.sink?.memoryBytes);
      if (p !== undefined) producerMb.push(p);
      if (c !== undefined) consumerMb.push(c);
    };
    const run = await runDataflow(
      "burst",
      { blast: { size, count: frames, allocate }, sink: { count: frames } },
      "count",
      {},
      { sampleMs, onEvent },
    );
    const seconds = ((run.data.lastMs as number) - (run.data.firstMs as number)) / 1000;
    report.memory.runs[allocate ? "allocated" : "copied"] = { frames, seconds: round(seconds), producerMb, consumerMb };
    const range = (xs: number[]) => `${Math.min(...xs)}–${Math.max(...xs)} MB`;
    console.error(`memory (${allocate ? "allocated" : "copied"}): producer ${range(producerMb)}, consumer ${range(consumerMb)}`);
  }
}

function markdown(r: Report): string {
  const lines = [
    "# Dataflow runtime benchmark (`pnpm bench:dataflow`)",
    "",
    `Machine: ${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node}, V8 flags \`${r.machine.v8Flags.join(" ")}\` (flowc's processes and the baselines alike). One run, in the shape of Dora's benchmark: one-way latency from the send timestamp, ${HOPS} messages per size 5 ms apart (a rate clock released by the daemon's timer), measured after ${r.warmup} warm-up messages at the same spacing; the baseline sends the same frames between two plain Node processes over a Unix socket. Each size is measured in ${r.rounds} rounds, flowc and the baseline alternating, and the percentiles are over all rounds' messages (${r.rounds * HOPS} per figure); the per-round p50s are in the JSON report (\`roundsP50\`). Every size carries the 8-byte send time, so "0 B" is an 8-byte frame. Shared-memory threshold: ${r.shmThresholdBytes.toLocaleString("en")} bytes.`,
    "",
    "## One-way latency (µs)",
    "",
    "| size | dataflow p50 | p95 | p99 | ÷ bare p50 | copied p50 | p99 | socket only p50 | p99 | ÷ bare p50 | socket only, own arrays p50 | ÷ bare p50 | bare socket p50 | p95 | p99 |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const [label, l] of Object.entries(r.latency)) {
    const ratio = (s?: Stats) => (s ? `${round(s.p50 / l.bare.p50, 2)}×` : "—");
    lines.push(
      `| ${label} | ${l.dataflow.p50} | ${l.dataflow.p95} | ${l.dataflow.p99} | ${l.ratioP50}× | ${l.copied?.p50 ?? "—"} | ${l.copied?.p99 ?? "—"} | ${l.socketOnly?.p50 ?? "—"} | ${l.socketOnly?.p99 ?? "—"} | ${ratio(l.socketOnly)} | ${l.socketOnlyOwn?.p50 ?? "—"} | ${ratio(l.socketOnlyOwn)} | ${l.bare.p50} | ${l.bare.p95} | ${l.bare.p99} |`,
    );
  }
  lines.push(
    "",
    `dataflow: from ${r.shmThresholdBytes.toLocaleString("en")} bytes on, the node writes each frame into a shared-memory slot itself (\`ctx.allocate\`, as Dora's benchmark writes into its sample) and nothing is copied; below, it allocates an ordinary array. copied: the node allocates each frame (\`new Uint8Array\`) and the runtime copies it once into a slot. socket only: shared memory off, every byte through the socket — the same node as the dataflow column (its \`ctx.allocate\` frames are then reused socket buffers, and received frames land in reused buffers too), and, in the "own arrays" column, the node allocating each frame itself.`,
  );
  const t = r.throughput;
  lines.push(
    "",
    "## Back-to-back throughput (messages/s)",
    "",
    "| | dataflow | bare socket |",
    "| --- | ---: | ---: |",
    `| small (8 B numbers; 1,000 emits per step) | ${t.smallDataflow.toLocaleString("en")} | ${t.smallBare.toLocaleString("en")} |`,
    `| 4 MB frames written in place (\`ctx.allocate\`) | ${t.largeDataflow.toLocaleString("en")} | ${t.largeBare.toLocaleString("en")} |`,
    `| 4 MB frames copied into a slot | ${t.largeDataflowCopied.toLocaleString("en")} | |`,
    `| 4 MB frames, socket only (\`ctx.allocate\`: reused socket buffers) | ${t.largeSocketOnly.toLocaleString("en")} | |`,
    "",
    `## Memory over a steady 4 MB stream (back to back, RSS sampled every ${r.memory.sampleMs} ms)`,
    "",
    "Resident memory counts the shared-memory slots a process has touched (each slot in both processes); the pool is bounded at 256 MB per producer.",
    "",
    "| frames | count | seconds | producer RSS (MB): first, median, last, max | consumer RSS (MB): first, median, last, max |",
    "| --- | ---: | ---: | --- | --- |",
    ...Object.entries(r.memory.runs).map(
      ([name, m]) => `| ${name} | ${m.frames.toLocaleString("en")} | ${m.seconds} | ${summary(m.producerMb)} | ${summary(m.consumerMb)} |`,
    ),
    "",
    `Bring-up of the two-node hop dataflow (spawn, load, start barrier): ${r.bringUpMs} ms.`,
    "",
  );
  return lines.join("\n");
}

function summary(xs: readonly number[]): string {
  if (xs.length === 0) return "—";
  const sorted = [...xs].sort((a, b) => a - b);
  return [xs[0], sorted[Math.floor(sorted.length / 2)], xs[xs.length - 1], sorted[sorted.length - 1]].join(", ");
}

async function main(): Promise<void> {
  const report: Report = {
    machine: machineFacts(),
    warmup: WARMUP,
    rounds: ROUNDS,
    shmThresholdBytes: DEFAULT_SHM,
    latency: {},
    throughput: { smallDataflow: 0, smallBare: 0, largeDataflow: 0, largeDataflowCopied: 0, largeSocketOnly: 0, largeBare: 0 },
    memory: { sampleMs: 100, runs: {} },
    bringUpMs: 0,
  };
  // BENCH_ONLY=latency runs some sections (for investigating; the report is then partial).
  await runBench("dataflow", report, { latency: measureLatency, throughput: measureThroughput, memory: measureMemory }, markdown, out);
}

await main();
