// `pnpm bench:runtime`: the mp runtime against raw baselines measured in the same run — a bare
// MessagePort between two worker threads and a bare SharedArrayBuffer ring with Atomics.
// Writes bench/results/runtime.json and bench/results/runtime.md.
//
// Measured:
// - per-hop latency (one way, from the send timestamp) p50/p99 at 8 B, 1 KB, 64 KB, 1 MB, 4 MB,
//   100 messages 5 ms apart, thread mode (and small messages in process mode);
// - small-message throughput between two nodes (batched emits and one message per step);
// - a 4-stage chain of 1 ms steps: end-to-end time per message vs calling the four functions;
// - time from start() to the first step of a 10-node flow (and the bring-up before it);
// - the cost of live statistics (`flowc run --report` samples every 100 ms): one-message-per-step
//   throughput with sampling on and off, alternated, on inline and threads; and the cost of the
//   step-duration histogram every step pays whether sampled or not.
// Targets, thread mode: small p50 ≤ 20 µs and ≤ 2× bare MessagePort;
// ≥ 1,000,000 msgs/s; 4 MB p50 ≤ 100 µs; chain overhead ≤ 2 %; first step ≤ 150 ms.
// Process mode: small p50 ≤ 60 µs.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Json } from "@flowc/ir";
import { applyFlowV8Flags, StepHistogram } from "@flowc/runtime";
import { mpRuntime } from "@flowc/runtime-mp";
import { flowCompiler, inRounds, machineFacts, round, runBench, runUntilLogged, type Stats, stats, withParams } from "./common.js";

// Thread executors run in this process, as they do in `flowc run`'s: the same V8 flags (the
// baselines' worker threads share them).
applyFlowV8Flags();
const here = fileURLToPath(new URL(".", import.meta.url));
const ALL_SIZES: [string, number][] = [
  ["8 B", 8],
  ["1 KB", 1024],
  ["64 KB", 64 * 1024],
  ["1 MB", 1024 * 1024],
  ["4 MB", 4 * 1024 * 1024],
];
// BENCH_SIZES="8 B,4 MB" measures some sizes only (for investigating; the report is then partial).
const SIZES = process.env.BENCH_SIZES ? ALL_SIZES.filter(([label]) => process.env.BENCH_SIZES?.split(",").includes(label)) : ALL_SIZES;
const HOPS = 100;
/** Messages sent before the measured ones, so the JIT has compiled both sides (as any JIT benchmark must). */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1000);
/**
 * Hops are measured in rounds, flowc and the baselines alternating, and the percentiles are
 * taken over all rounds' messages: the machine's load drifts, and a baseline measured minutes
 * apart from what it is compared with says little.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// ---- flows --------------------------------------------------------------------------------
const out = mkdtempSync(join(tmpdir(), "flowc-bench-runtime-"));
const flowNamed = flowCompiler(join(here, "runtime/flows.flow.ts"), out);

/** Runs a flow on mp until a node logs the JSON line with `key`; returns the parsed line. */
async function runFlow(
  name: string,
  params: Record<string, Record<string, Json>>,
  isolation: string,
  key: string,
  timeoutMs = 120_000,
  sampleMs?: number,
) {
  const { ir, baseDir } = await flowNamed(name);
  return runUntilLogged(mpRuntime, withParams(ir, params), { baseDir, env: process.env, options: { isolation }, sampleMs }, key, timeoutMs);
}

// ---- baselines: two plain worker threads --------------------------------------------------
const BASELINE = `
const { parentPort, workerData } = require("node:worker_threads");
const machineNow = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC: shared by every process on the machine
const { role, kind, size, count, spacing, port, sab } = workerData;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
if (kind === "port") {
  if (role === "send") {
    (async () => {
      for (let i = 0; i < count; i++) {
        const frame = new Uint8Array(Math.max(8, size));
        new DataView(frame.buffer).setFloat64(0, machineNow(), true);
        if (frame.byteLength >= 65536) port.postMessage(frame, [frame.buffer]); else port.postMessage(frame);
        if (spacing) await sleep(spacing);
      }
    })();
  } else {
    const lat = []; let first = 0;
    port.on("message", (frame) => {
      if (lat.length === 0) first = machineNow();
      lat.push((machineNow() - new DataView(frame.buffer, frame.byteOffset, 8).getFloat64(0, true)) * 1000);
      if (lat.length === count) { parentPort.postMessage({ latencies: lat, firstMs: first, lastMs: machineNow() }); port.close(); }
    });
  }
} else {
  // A bare single-producer single-consumer ring of f64 slots: [head, tail, bell] + slots.
  const ctl = new Int32Array(sab, 0, 4);
  const slots = new Float64Array(sab, 16);
  const cap = slots.length;
  if (role === "send") {
    (async () => {
      for (let i = 0; i < count; i++) {
        while (Atomics.load(ctl, 0) - Atomics.load(ctl, 1) >= cap) Atomics.wait(ctl, 1, Atomics.load(ctl, 1), 1);
        const h = Atomics.load(ctl, 0);
        slots[h % cap] = machineNow();
        Atomics.store(ctl, 0, h + 1);
        Atomics.add(ctl, 2, 1); Atomics.notify(ctl, 2);
        if (spacing) await sleep(spacing);
      }
    })();
  } else {
    const lat = []; let first = 0; let t = 0;
    while (t < count) {
      const bell = Atomics.load(ctl, 2);
      const h = Atomics.load(ctl, 0);
      if (h === t) { Atomics.wait(ctl, 2, bell, 100); continue; }
      if (t === 0) first = machineNow();
      for (; t < h; t++) { const now = machineNow(); lat.push((now - slots[t % cap]) * 1000); }
      Atomics.store(ctl, 1, t); Atomics.notify(ctl, 1);
    }
    parentPort.postMessage({ latencies: spacing ? lat : [], firstMs: first, lastMs: machineNow() });
  }
}
`;

async function baseline(
  kind: "port" | "sab",
  size: number,
  count: number,
  spacing: number,
): Promise<{ latencies: number[]; firstMs: number; lastMs: number }> {
  const { port1, port2 } = new MessageChannel();
  const sab = new SharedArrayBuffer(16 + 8 * 4096);
  const common = { kind, size, count, spacing, sab };
  const receiver = new Worker(BASELINE, {
    eval: true,
    workerData: { ...common, role: "recv", port: port2 },
    transferList: [port2 as never],
  });
  await new Promise((r) => setTimeout(r, 100));
  const sender = new Worker(BASELINE, { eval: true, workerData: { ...common, role: "send", port: port1 }, transferList: [port1 as never] });
  // A baseline that dies or stalls ends the step with the reason, not a benchmark that never finishes.
  const limitMs = (60_000 + count * spacing * 4) * (Number(process.env.BENCH_TIMEOUT_SCALE) || 1);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<{ latencies: number[]; firstMs: number; lastMs: number }>((resolve, reject) => {
      receiver.once("message", resolve);
      for (const [role, worker] of [
        ["receiver", receiver],
        ["sender", sender],
      ] as const)
        worker.once("error", (error) => reject(new Error(`bare ${kind} baseline (${size} B): the ${role} failed: ${error.message}`)));
      receiver.once("exit", (code) =>
        reject(new Error(`bare ${kind} baseline (${size} B): the receiver exited (code ${code}) before reporting`)),
      );
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `bare ${kind} baseline (${size} B): no result within ${limitMs / 1000} s (on a loaded machine, BENCH_TIMEOUT_SCALE=2 doubles every limit)`,
            ),
          ),
        limitMs,
      );
    });
  } finally {
    clearTimeout(timer);
    await Promise.all([sender.terminate(), receiver.terminate()]);
  }
}

// ---- measurements -------------------------------------------------------------------------
interface Report {
  machine: { cpus: number; model: string; node: string; v8Flags: string[] };
  warmup: number;
  rounds: number;
  /** Percentiles over every round's messages; `roundsP50`: each round's own p50, in order. */
  hop: Record<
    string,
    { thread: Stats; threadCold: Stats; process?: Stats; port: Stats; sab?: Stats; ratioP50: number; roundsP50: Record<string, number[]> }
  >;
  throughput: { threadBatched: number; threadPerStep: number; processBatched: number; port: number; sab: number };
  chain: {
    directMsPerMessage: number;
    inlineMsPerMessage: number;
    inlineOverheadPct: number;
    threadEndToEndMs: Stats;
    threadOverheadPct: number;
  };
  firstStep: { threadMs: number; processMs: number; threadBringUpMs: number; processBringUpMs: number };
  sampling: {
    /** Rounds of (off, on) pairs; the medians are reported. */
    rounds: number;
    inlineOff: number;
    inlineOn: number;
    inlineOverheadPct: number;
    threadOff: number;
    threadOn: number;
    threadOverheadPct: number;
    /** Recording one step's duration in the histogram (every step, sampled or not). */
    histogramNsPerStep: number;
    /** The same against the thread one-message-per-step cost (1e9 / threadOff ns). */
    histogramPctOfStep: number;
  };
}

async function measureHops(report: Report): Promise<void> {
  for (const [label, size] of SIZES) {
    // Cold: the first HOPS messages of a fresh run (mostly interpreted JavaScript on both sides).
    const cold = await runFlow("hop", { ping: { size, count: HOPS }, sink: { count: HOPS } }, "thread", "latencies");
    // Warm: HOPS messages after WARMUP, same 5 ms spacing.
    const params = { ping: { size, count: WARMUP + HOPS }, sink: { count: WARMUP + HOPS, skip: WARMUP } };
    const kinds: Record<string, () => Promise<number[]>> = {
      thread: async () => (await runFlow("hop", params, "thread", "latencies", 120_000)).data.latencies as number[],
      port: async () => (await baseline("port", size, WARMUP + HOPS, 5)).latencies.slice(WARMUP),
    };
    // Process mode: small messages on the socket, 4 MB through shared-memory slots.
    if (size <= 1024 || size === 4 * 1024 * 1024)
      kinds.process = async () => (await runFlow("hop", params, "process", "latencies", 120_000)).data.latencies as number[];
    if (size === 8) kinds.sab = async () => (await baseline("sab", 8, WARMUP + HOPS, 5)).latencies.slice(WARMUP);
    const { pooled, roundsP50 } = await inRounds(ROUNDS, kinds);
    const thread = stats(pooled.thread ?? []);
    const port = stats(pooled.port ?? []);
    const entry: Report["hop"][string] = {
      thread,
      threadCold: stats(cold.data.latencies as number[]),
      port,
      ratioP50: round(thread.p50 / port.p50, 2),
      roundsP50,
    };
    if (pooled.process) entry.process = stats(pooled.process);
    if (pooled.sab) entry.sab = stats(pooled.sab);
    report.hop[label] = entry;
    console.error(
      `hop ${label}: thread p50 ${entry.thread.p50} µs (${entry.ratioP50}× port; cold ${entry.threadCold.p50}), port p50 ${entry.port.p50} µs${entry.process ? `, process p50 ${entry.process.p50} µs` : ""}; rounds ${JSON.stringify(roundsP50)}`,
    );
  }
}

async function measureThroughput(report: Report): Promise<void> {
  const N = 2_000_000;
  const rate = (d: Record<string, unknown>) => Math.round((d.count as number) / (((d.lastMs as number) - (d.firstMs as number)) / 1000));
  report.throughput.threadBatched = rate(
    (await runFlow("throughput", { flood: { count: N, batch: 1000 }, sink: { count: N } }, "thread", "count")).data,
  );
  report.throughput.threadPerStep = rate(
    (await runFlow("throughput", { flood: { count: N / 4, batch: 1 }, sink: { count: N / 4 } }, "thread", "count")).data,
  );
  report.throughput.processBatched = rate(
    (await runFlow("throughput", { flood: { count: N / 2, batch: 1000 }, sink: { count: N / 2 } }, "process", "count")).data,
  );
  const port = await baseline("port", 8, N / 2, 0);
  report.throughput.port = Math.round(N / 2 / ((port.lastMs - port.firstMs) / 1000));
  const sab = await baseline("sab", 8, N, 0);
  report.throughput.sab = Math.round(N / ((sab.lastMs - sab.firstMs) / 1000));
  console.error(`throughput: ${JSON.stringify(report.throughput)}`);
}

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

async function measureChain(report: Report): Promise<void> {
  const N = 200;
  const WARM = 300;
  for (let i = 0; i < WARM; i++) for (let s = 0; s < 4; s++) busy(1);
  const t = performance.now();
  for (let i = 0; i < N; i++) for (let s = 0; s < 4; s++) busy(1);
  const direct = (performance.now() - t) / N;
  // Inline: every stage on this thread, logical clock: the wall time is the steps plus flowc's
  // overhead. The first run warms the JIT (the node module stays loaded); the second is measured.
  const { ir, baseDir } = await flowNamed("chain");
  let inline = 0;
  for (const pass of ["warm-up", "measured"]) {
    // 200 ticks 10 ms apart: a logical duration of 2 s covers them all.
    const execution = await mpRuntime.build(ir, { baseDir, env: process.env, durationMs: N * 10, options: { isolation: "inline" } });
    await execution.start();
    const ti = performance.now();
    const result = await execution.wait();
    if (pass === "measured") inline = (performance.now() - ti) / N;
    if (result?.status !== "stopped" && result?.status !== "succeeded") throw new Error("chain inline did not run");
  }
  const thread = await runFlow("chain", { clock: { count: WARM + N }, end: { count: WARM + N, skip: WARM } }, "thread", "latencies");
  const e2e = stats((thread.data.latencies as number[]).map((us) => us / 1000));
  report.chain = {
    directMsPerMessage: round(direct, 3),
    inlineMsPerMessage: round(inline, 3),
    inlineOverheadPct: round(((inline - direct) / direct) * 100, 2),
    threadEndToEndMs: { ...e2e, p50: round(e2e.p50, 3), p95: round(e2e.p95, 3), p99: round(e2e.p99, 3) },
    threadOverheadPct: round(((e2e.p50 - direct) / direct) * 100, 2),
  };
  console.error(`chain: ${JSON.stringify(report.chain)}`);
}

async function measureFirstStep(report: Report): Promise<void> {
  const samples: Record<string, number[]> = { thread: [], process: [], threadUp: [], processUp: [] };
  for (let i = 0; i < 3; i++) {
    for (const isolation of ["thread", "process"] as const) {
      const r = await runFlow("ten", {}, isolation, "firstStep");
      samples[isolation]?.push((r.data.firstStep as number) - r.startedAt);
      samples[`${isolation}Up`]?.push(r.builtMs);
    }
  }
  const med = (xs: number[] = []) => round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number, 2);
  report.firstStep = {
    threadMs: med(samples.thread),
    processMs: med(samples.process),
    threadBringUpMs: med(samples.threadUp),
    processBringUpMs: med(samples.processUp),
  };
  console.error(`first step: ${JSON.stringify(report.firstStep)}`);
}

async function measureSampling(report: Report): Promise<void> {
  const ROUNDS = 3;
  const rate = (d: Record<string, unknown>) => (d.count as number) / (((d.lastMs as number) - (d.firstMs as number)) / 1000);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const runs: Record<string, number[]> = { inlineOff: [], inlineOn: [], threadOff: [], threadOn: [] };
  const per = (n: number) => ({ flood: { count: n, batch: 1 }, sink: { count: n } });
  for (let round = 0; round < ROUNDS; round++) {
    // Alternated, so a change in the machine's load hits both sides alike.
    for (const [key, isolation, n, sampleMs] of [
      ["inlineOff", "inline", 200_000, undefined],
      ["inlineOn", "inline", 200_000, 100],
      ["threadOff", "thread", 500_000, undefined],
      ["threadOn", "thread", 500_000, 100],
    ] as const) {
      const data = (await runFlow("throughput", per(n), isolation, "count", 120_000, sampleMs)).data;
      runs[key]?.push(rate(data));
    }
  }
  const h = new StepHistogram();
  const N = 5_000_000;
  for (let i = 0; i < N; i++) h.record((i % 977) / 100);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) h.record((i % 977) / 100);
  const histogramNs = ((performance.now() - t0) * 1e6) / N;
  const inlineOff = median(runs.inlineOff ?? []);
  const inlineOn = median(runs.inlineOn ?? []);
  const threadOff = median(runs.threadOff ?? []);
  const threadOn = median(runs.threadOn ?? []);
  report.sampling = {
    rounds: ROUNDS,
    inlineOff: Math.round(inlineOff),
    inlineOn: Math.round(inlineOn),
    inlineOverheadPct: round(((inlineOff - inlineOn) / inlineOff) * 100, 2),
    threadOff: Math.round(threadOff),
    threadOn: Math.round(threadOn),
    threadOverheadPct: round(((threadOff - threadOn) / threadOff) * 100, 2),
    histogramNsPerStep: round(histogramNs, 1),
    histogramPctOfStep: round((histogramNs / (1e9 / threadOff)) * 100, 2),
  };
  console.error(`sampling: ${JSON.stringify(report.sampling)} (runs: ${JSON.stringify(runs)})`);
}

function markdown(r: Report): string {
  const lines = [
    "# Runtime benchmark (`pnpm bench:runtime`)",
    "",
    `Machine: ${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node}, V8 flags \`${r.machine.v8Flags.join(" ")}\` (those of every flowc process, baselines included). One run; latencies are one way, from the send timestamp, ${HOPS} messages 5 ms apart, measured after ${r.warmup} warm-up messages at the same spacing (baselines too), in ${r.rounds} rounds with flowc and the baselines alternating, percentiles over all rounds' messages (per-round p50s in the JSON report, \`roundsP50\`); "cold" is the first ${HOPS} messages of a fresh run, before the JIT has compiled the path.`,
    "",
    "## Per-hop latency (µs)",
    "",
    "| size | mp thread p50 | p99 | bare MessagePort p50 | p99 | ratio p50 | mp thread cold p50 | mp process p50 | p99 | bare SAB ring p50 |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const [label, h] of Object.entries(r.hop)) {
    lines.push(
      `| ${label} | ${h.thread.p50} | ${h.thread.p99} | ${h.port.p50} | ${h.port.p99} | ${h.ratioP50}× | ${h.threadCold.p50} | ${h.process?.p50 ?? "—"} | ${h.process?.p99 ?? "—"} | ${h.sab?.p50 ?? "—"} |`,
    );
  }
  const t = r.throughput;
  lines.push(
    "",
    "## Small-message throughput between two nodes (messages/s)",
    "",
    "| mp thread, 1,000 emits per step | mp thread, one message per step | mp process, 1,000 per step | bare MessagePort | bare SAB ring |",
    "| ---: | ---: | ---: | ---: | ---: |",
    `| ${t.threadBatched.toLocaleString("en")} | ${t.threadPerStep.toLocaleString("en")} | ${t.processBatched.toLocaleString("en")} | ${t.port.toLocaleString("en")} | ${t.sab.toLocaleString("en")} |`,
    "",
    "## Four 1 ms stages (ms per message, after warm-up)",
    "",
    "| direct calls | mp inline | inline overhead | mp thread end-to-end p50 | p99 | thread overhead (p50) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    `| ${r.chain.directMsPerMessage} | ${r.chain.inlineMsPerMessage} | ${r.chain.inlineOverheadPct} % | ${r.chain.threadEndToEndMs.p50} | ${r.chain.threadEndToEndMs.p99} | ${r.chain.threadOverheadPct} % |`,
    "",
    "## Ten-node flow: start() to the first step (ms)",
    "",
    "| mp thread | mp process | bring-up (build) thread | bring-up process |",
    "| ---: | ---: | ---: | ---: |",
    `| ${r.firstStep.threadMs} | ${r.firstStep.processMs} | ${r.firstStep.threadBringUpMs} | ${r.firstStep.processBringUpMs} |`,
    "",
    "## Live statistics (`flowc run --report`, sampled every 100 ms): one message per step (messages/s)",
    "",
    `Medians of ${r.sampling.rounds} alternated rounds. A negative overhead is noise: sampling was not measurably slower. The source runs free, so on inline logical time stays at 0 and "on" measures only the check before each unit of work; threads sample on a timer every 100 ms of wall time.`,
    "",
    "| inline off | inline on | inline overhead | thread off | thread on | thread overhead | histogram per step | of a thread step |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    `| ${r.sampling.inlineOff.toLocaleString("en")} | ${r.sampling.inlineOn.toLocaleString("en")} | ${r.sampling.inlineOverheadPct} % | ${r.sampling.threadOff.toLocaleString("en")} | ${r.sampling.threadOn.toLocaleString("en")} | ${r.sampling.threadOverheadPct} % | ${r.sampling.histogramNsPerStep} ns | ${r.sampling.histogramPctOfStep} % |`,
    "",
  );
  return lines.join("\n");
}

async function main(): Promise<void> {
  const report: Report = {
    machine: machineFacts(),
    warmup: WARMUP,
    rounds: ROUNDS,
    hop: {},
    throughput: { threadBatched: 0, threadPerStep: 0, processBatched: 0, port: 0, sab: 0 },
    chain: {
      directMsPerMessage: 0,
      inlineMsPerMessage: 0,
      inlineOverheadPct: 0,
      threadEndToEndMs: { p50: 0, p95: 0, p99: 0, n: 0 },
      threadOverheadPct: 0,
    },
    firstStep: { threadMs: 0, processMs: 0, threadBringUpMs: 0, processBringUpMs: 0 },
    sampling: {
      rounds: 0,
      inlineOff: 0,
      inlineOn: 0,
      inlineOverheadPct: 0,
      threadOff: 0,
      threadOn: 0,
      threadOverheadPct: 0,
      histogramNsPerStep: 0,
      histogramPctOfStep: 0,
    },
  };
  // BENCH_ONLY=hop,throughput runs some sections (for investigating; the report is then partial).
  await runBench(
    "runtime",
    report,
    { first: measureFirstStep, hop: measureHops, throughput: measureThroughput, chain: measureChain, sampling: measureSampling },
    markdown,
    out,
  );
}

await main();
