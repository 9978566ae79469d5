// `pnpm bench:cluster`: a hop between two machines — daemons `alpha` and `beta`, each in its own
// process, joined through a local nats-server — against bare NATS pub/sub between two plain
// Node processes with the same client, measured in the same run. Writes
// bench/results/cluster.json and cluster.md.
//
// Measured:
// - one-way latency from the send timestamp at 8 B, 4 KB and 1 MB (100 messages per size 5 ms
//   apart, after warm-up messages at the same spacing; p50/p95/p99): the producer node on alpha,
//   the consumer on beta; the baseline publishes the same frames on one subject;
// - back-to-back throughput of small messages (1,000 emits per step into a block channel) and
//   of 1 MB frames; the baseline publishes as fast as the client takes them and counts arrivals.
// Targets, 2 cores: small-message p50 ≤ 1.5× bare NATS one-way; small throughput ≥ 70 % of
// bare NATS pub/sub.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Ir, Json } from "@flowc/ir";
import { processAlive } from "@flowc/runtime";
import { DaemonClient, type DaemonStatus, daemonPaths, dataflowRuntime, launchDaemon, NatsSettings } from "@flowc/runtime-dataflow";
import { type NatsServerHandle, startNatsServer } from "../tests/helpers/nats-server.js";
import { flowCompiler, machineFacts, round, runBaselinePair, runBench, runUntilLogged, type Stats, stats, withParams } from "./common.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..");
const SIZES: [string, number][] = [
  ["8 B", 8],
  ["4 KB", 4096],
  ["1 MB", 1_000_000],
];
const HOPS = 100;
const WARMUP = Number(process.env.BENCH_WARMUP ?? 500);
const SMALL_COUNT = 500_000;
const LARGE_COUNT = 300;
const LARGE = 1_000_000;

const out = mkdtempSync(join(tmpdir(), "flowc-bench-cluster-"));
const flowNamed = flowCompiler(join(here, "runtime/flows.flow.ts"), out);
const envOf = (machine: string) => ({ ...process.env, FLOWC_HOME: join(out, machine) });

/** The producer (first node) on alpha, the consumer on beta: the hop crosses machines. */
function acrossMachines(ir: Ir): Ir {
  return { ...ir, nodes: ir.nodes.map((n, i) => ({ ...n, placement: i === 0 ? "alpha" : "beta" })) };
}

async function runCluster(name: string, params: Record<string, Record<string, Json>>, key: string) {
  const { ir, baseDir } = await flowNamed(name);
  const options = { baseDir, env: envOf("alpha"), options: { daemon: "running" } };
  return runUntilLogged(dataflowRuntime, acrossMachines(withParams(ir, params)), options, key, 180_000);
}

// ---- the baseline: two plain Node processes and NATS pub/sub ------------------------------
// The publisher sends frames whose first 8 bytes are the send time on one subject; the
// subscriber measures on arrival. Same client library, same server, no flowc.
const BASELINE = `
const { connect } = await import("@nats-io/transport-node");
const [role, url, size, count, spacing, skip] = process.argv.slice(1).map((v, i) => (i < 2 ? v : Number(v)));
const machineNow = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC: shared by every process on the machine
const nc = await connect({ servers: url });
const subject = "bench.bare";
if (role === "recv") {
  const lat = []; let n = 0; let first = 0;
  nc.subscribe(subject, { callback: (_e, msg) => {
    const now = machineNow();
    if (n === 0) first = now;
    if (spacing > 0 && n >= skip) lat.push((now - new DataView(msg.data.buffer, msg.data.byteOffset, 8).getFloat64(0, true)) * 1000);
    n++;
    if (n === count) { process.stdout.write(JSON.stringify({ latencies: lat, firstMs: first, lastMs: machineNow() })); process.exit(0); }
  } });
  await nc.flush();
  process.stdout.write("ready\\n");
} else {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  for (let i = 0; i < count; i++) {
    const frame = new Uint8Array(Math.max(8, size));
    new DataView(frame.buffer).setFloat64(0, machineNow(), true);
    nc.publish(subject, frame);
    if (spacing > 0) await sleep(spacing);
    // Back to back: let the client's buffer drain now and then, as a well-behaved publisher must
    // (core NATS has no backpressure; a subscriber that falls too far behind is cut off).
    else if (i % 1000 === 999 || size > 65536) await nc.flush();
  }
  await nc.flush();
  await sleep(60_000);
}
`;

function bareNats(url: string, size: number, count: number, spacing: number, skip: number) {
  const args = (role: string) => [
    "--input-type=module",
    "-e",
    BASELINE,
    role,
    url,
    String(size),
    String(count),
    String(spacing),
    String(skip),
  ];
  return runBaselinePair(`the bare-NATS baseline (${size} B × ${count})`, args("recv"), args("send"), root);
}

// ---- measurements -------------------------------------------------------------------------
interface Report {
  machine: { cpus: number; model: string; node: string; v8Flags: string[] };
  nats: string;
  warmup: number;
  latency: Record<string, { cluster: Stats; bareNats: Stats }>;
  throughput: { smallCluster: number; smallBareNats: number; largeCluster: number; largeBareNats: number };
  bringUpMs: number;
}

let nats: NatsServerHandle | undefined;

async function measureLatency(report: Report): Promise<void> {
  for (const [label, size] of SIZES) {
    const params = { ping: { size, count: WARMUP + HOPS }, sink: { count: WARMUP + HOPS, skip: WARMUP } };
    const run = await runCluster("hop", params, "latencies");
    if (label === "8 B") report.bringUpMs = round(run.builtMs);
    const bare = await bareNats((nats as NatsServerHandle).url, size, WARMUP + HOPS, 5, WARMUP);
    report.latency[label] = { cluster: stats(run.data.latencies as number[]), bareNats: stats(bare.latencies) };
    console.error(`${label}: cluster p50 ${report.latency[label].cluster.p50} µs, bare NATS ${report.latency[label].bareNats.p50} µs`);
  }
}

async function measureThroughput(report: Report): Promise<void> {
  const url = (nats as NatsServerHandle).url;
  const small = await runCluster("throughput", { flood: { count: SMALL_COUNT, batch: 1000 }, sink: { count: SMALL_COUNT } }, "count");
  report.throughput.smallCluster = Math.round(SMALL_COUNT / (((small.data.lastMs as number) - small.startedAt) / 1000));
  const bareSmall = await bareNats(url, 8, SMALL_COUNT, 0, 0);
  report.throughput.smallBareNats = Math.round(SMALL_COUNT / ((bareSmall.lastMs - bareSmall.firstMs) / 1000));
  const large = await runCluster("burst", { blast: { size: LARGE, count: LARGE_COUNT }, sink: { count: LARGE_COUNT } }, "count");
  report.throughput.largeCluster = Math.round(LARGE_COUNT / (((large.data.lastMs as number) - (large.data.firstMs as number)) / 1000));
  const bareLarge = await bareNats(url, LARGE, LARGE_COUNT, 0, 0);
  report.throughput.largeBareNats = Math.round(LARGE_COUNT / ((bareLarge.lastMs - bareLarge.firstMs) / 1000));
  const t = report.throughput;
  console.error(
    `throughput: small ${t.smallCluster}/s (bare NATS ${t.smallBareNats}), 1 MB ${t.largeCluster}/s (bare NATS ${t.largeBareNats})`,
  );
}

function markdown(r: Report): string {
  const ratio = (a: number, b: number) => (b > 0 ? `${round(a / b, 2)}×` : "—");
  const lines = [
    "# Cluster benchmark (`pnpm bench:cluster`)",
    "",
    `Machine: ${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node}, V8 flags \`${r.machine.v8Flags.join(" ")}\` (flowc's processes and the baselines alike); ${r.nats}. Two daemons (machines \`alpha\` and \`beta\`, each its own process) joined through one local nats-server; the producer node runs on alpha, the consumer on beta, so every message crosses machines: producer process → NATS → consumer process, over a pipe (ordered, acknowledged, flow-controlled). The baseline is bare NATS pub/sub between two plain Node processes with the same client (@nats-io/transport-node), measured in the same run. One-way latency from the send timestamp, ${HOPS} messages per size 5 ms apart after ${r.warmup} warm-up messages.`,
    "",
    "## One-way latency (µs)",
    "",
    "| size | cluster p50 | p95 | p99 | bare NATS p50 | p95 | p99 | p50 ratio |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...Object.entries(r.latency).map(
      ([label, l]) =>
        `| ${label} | ${l.cluster.p50} | ${l.cluster.p95} | ${l.cluster.p99} | ${l.bareNats.p50} | ${l.bareNats.p95} | ${l.bareNats.p99} | ${ratio(l.cluster.p50, l.bareNats.p50)} |`,
    ),
    "",
    "## Back-to-back throughput (messages/s)",
    "",
    "| | cluster | bare NATS | ratio |",
    "| --- | ---: | ---: | ---: |",
    `| small (8 B numbers; 1,000 emits per step) | ${r.throughput.smallCluster.toLocaleString("en")} | ${r.throughput.smallBareNats.toLocaleString("en")} | ${ratio(r.throughput.smallCluster, r.throughput.smallBareNats)} |`,
    `| 1 MB frames | ${r.throughput.largeCluster.toLocaleString("en")} | ${r.throughput.largeBareNats.toLocaleString("en")} | ${ratio(r.throughput.largeCluster, r.throughput.largeBareNats)} |`,
    "",
    `Bring-up of the two-node hop across machines (bundle through the object store, remote spawn, start barrier): ${r.bringUpMs} ms.`,
    "",
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  nats = await startNatsServer();
  const version = await new Promise<string>((resolve) => {
    const p = spawn(process.env.FLOWC_NATS_SERVER ?? "nats-server", ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
    let text = "";
    p.stdout.on("data", (d: Buffer) => {
      text += d.toString();
    });
    p.on("close", () => resolve(text.trim() || "nats-server"));
  });
  const pids: number[] = [];
  const report: Report = {
    machine: machineFacts(),
    nats: version,
    warmup: WARMUP,
    latency: {},
    throughput: { smallCluster: 0, smallBareNats: 0, largeCluster: 0, largeBareNats: 0 },
    bringUpMs: 0,
  };
  try {
    for (const machine of ["alpha", "beta"]) {
      const { status } = await launchDaemon(daemonPaths(envOf(machine)), {
        machine,
        nats: NatsSettings.parse({ url: nats.url, cluster: "bench" }),
        env: envOf(machine),
      });
      pids.push(status.pid);
    }
    // Both daemons see each other before the first run.
    const client = await DaemonClient.connect(daemonPaths(envOf("alpha")));
    for (let i = 0; i < 100; i++) {
      const status = await client.request<DaemonStatus>({ op: "status" });
      if (status.cluster?.machines.filter((m) => m.up).length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    client.close();
    await runBench("cluster", report, { latency: measureLatency, throughput: measureThroughput }, markdown, out);
  } finally {
    for (const pid of pids) if (processAlive(pid)) process.kill(pid, "SIGTERM");
    for (let i = 0; i < 100 && pids.some((p) => processAlive(p)); i++) await new Promise((r) => setTimeout(r, 100));
    await nats.cleanup();
  }
}

await main();
