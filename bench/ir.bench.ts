// `pnpm bench:ir`: decode + validate + analyze cost of IR documents of 1k, 10k and 100k nodes
// (≈2 channels per node), JSON vs MessagePack, with raw baselines (JSON.parse, bare msgpackr
// unpack) measured in the same run. Each size runs in a fresh child process so that peak RSS
// is that size's own. Writes bench/results/ir.json and bench/results/ir.md.
//
// Targets: 100k nodes validate + analyze ≤ 1 s; time(100k) / time(10k) ≤ 12.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyze, decodeMsgpackBytes, encodeJson, encodeMsgpack, type IrInput, loadIr, validateIr } from "@flowc/ir";
import { Unpackr } from "msgpackr";

const SIZES = [1_000, 10_000, 100_000];
const TARGET_MS = 1000;
const TARGET_RATIO = 12;

/** A deterministic DAG: node i takes `a` from a recent node and `b` from an older one. */
export function generateIr(n: number): IrInput {
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const num = { schema: { type: "number" } };
  const nodes: IrInput["nodes"] = [];
  const channels: NonNullable<IrInput["channels"]> = [];
  for (let i = 0; i < n; i++) {
    const id = `n${i}`;
    if (i < 2) {
      nodes.push({
        id,
        type: "Source",
        impl: { module: "nodes/gen.mjs", export: "Source" },
        clock: { kind: "rate", hz: 10 + i },
        outputs: { v: num },
        stateful: true,
      });
      continue;
    }
    nodes.push({
      id,
      type: i % 3 === 0 ? "Scale" : "Mix",
      impl: { module: "nodes/gen.mjs", export: i % 3 === 0 ? "Scale" : "Mix" },
      params: { factor: i % 7, label: `stage ${i}` },
      clock: { kind: "trigger", on: ["a"] },
      inputs: {
        a: num,
        b: { schema: { type: "number" }, adapter: { kind: i % 5 === 0 ? "window" : "hold", ...(i % 5 === 0 ? { size: 4 } : {}) } as never },
      },
      outputs: { v: num },
      source: { file: "flows/gen.flow.ts", line: 10 + i, column: 3 },
    });
    const a = i - 1 - Math.floor(rand() * Math.min(i, 8));
    const b = Math.floor(rand() * i);
    channels.push({
      id: `n${a}.v->${id}.a`,
      from: { node: `n${a}`, port: "v" },
      to: { node: id, port: "a" },
      capacity: 16,
      onFull: "dropOldest",
    });
    channels.push({ id: `n${b}.v->${id}.b`, from: { node: `n${b}`, port: "v" }, to: { node: id, port: "b" } });
  }
  return { irVersion: 1, name: `generated-${n}`, nodes, channels, meta: { compiler: "flowc-bench", sourceHash: null } };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function time<T>(f: () => T): [T, number] {
  const t = performance.now();
  const value = f();
  return [value, performance.now() - t];
}

interface SizeResult {
  nodes: number;
  channels: number;
  jsonBytes: number;
  msgpackBytes: number;
  baselineJsonParseMs: number;
  baselineMsgpackUnpackMs: number;
  decodeJsonMs: number;
  decodeMsgpackMs: number;
  validateMs: number;
  analyzeMs: number;
  validateAnalyzeMs: number;
  loadJsonEndToEndMs: number;
  peakRssMB: number;
  heapUsedMB: number;
}

function measure(n: number): SizeResult {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const reps = n >= 100_000 ? 5 : n >= 10_000 ? 9 : 21;
  const samples: Record<string, number[]> = {};
  const add = (key: string, ms: number) => {
    samples[key] ??= [];
    samples[key].push(ms);
  };
  const m = (key: string) => Number(median(samples[key] ?? [0]).toFixed(2));

  let jsonBuffer: Buffer | undefined;
  let bytes: Uint8Array | undefined;
  let channels = 0;
  {
    const loaded = loadIr(generateIr(n));
    if (!loaded.ok) throw new Error(`generated IR is invalid: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
    channels = loaded.ir.channels.length;
    jsonBuffer = Buffer.from(encodeJson(loaded.ir));
    bytes = encodeMsgpack(loaded.ir);
  }
  const rawUnpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

  // Phase 1: decoding, with the raw baselines (bare JSON.parse of the text, bare msgpackr unpack).
  for (let r = 0; r <= reps; r++) {
    const text = jsonBuffer.toString("utf8");
    gc();
    const [, parseMs] = time(() => JSON.parse(text));
    gc();
    const [, unpackMs] = time(() => rawUnpackr.unpack(bytes as Uint8Array));
    gc();
    const [, decodeJsonMs] = time(() => JSON.parse((jsonBuffer as Buffer).toString("utf8")));
    gc();
    const [, decodeMsgpackMs] = time(() => decodeMsgpackBytes(bytes as Uint8Array));
    if (r === 0) continue; // warm-up
    add("parse", parseMs);
    add("unpack", unpackMs);
    add("decodeJson", decodeJsonMs);
    add("decodeMsgpack", decodeMsgpackMs);
  }

  // Phase 2: validate + analyze a decoded document, as `flowc inspect` does after reading the file.
  for (let r = 0; r <= reps; r++) {
    let decoded: unknown = JSON.parse(jsonBuffer.toString("utf8"));
    gc();
    const [validated, validateMs] = time(() => validateIr(decoded));
    if (!validated.ok) throw new Error("validation failed in the benchmark");
    const [, analyzeMs] = time(() => analyze(validated.ir));
    decoded = undefined;
    if (r === 0) continue;
    add("validate", validateMs);
    add("analyze", analyzeMs);
    add("validateAnalyze", validateMs + analyzeMs);
  }

  // Phase 3: end to end from bytes (decode + validate + analyze).
  for (let r = 0; r <= reps; r++) {
    gc();
    const [, endToEndMs] = time(() => {
      const result = loadIr(jsonBuffer as Buffer, { format: "json" });
      if (result.ok) analyze(result.ir);
    });
    if (r > 0) add("endToEnd", endToEndMs);
  }

  return {
    nodes: n,
    channels,
    jsonBytes: jsonBuffer.length,
    msgpackBytes: bytes.length,
    baselineJsonParseMs: m("parse"),
    baselineMsgpackUnpackMs: m("unpack"),
    decodeJsonMs: m("decodeJson"),
    decodeMsgpackMs: m("decodeMsgpack"),
    validateMs: m("validate"),
    analyzeMs: m("analyze"),
    validateAnalyzeMs: m("validateAnalyze"),
    loadJsonEndToEndMs: m("endToEnd"),
    peakRssMB: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
    heapUsedMB: Number((process.memoryUsage().heapUsed / 1e6).toFixed(1)),
  };
}

function main(): void {
  const child = process.argv.indexOf("--child");
  if (child !== -1) {
    process.stdout.write(JSON.stringify(measure(Number(process.argv[child + 1]))));
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const results: SizeResult[] = [];
  for (const n of SIZES) {
    console.error(`measuring ${n} nodes ...`);
    const out = execFileSync(process.execPath, [...process.execArgv, self, "--child", String(n)], { encoding: "utf8", maxBuffer: 1 << 24 });
    results.push(JSON.parse(out) as SizeResult);
  }
  const largest = results[results.length - 1] as SizeResult;
  const tenK = results.find((r) => r.nodes === 10_000) as SizeResult;
  const ratio = Number((largest.validateAnalyzeMs / tenK.validateAnalyzeMs).toFixed(2));
  const report = {
    benchmark: "ir",
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", node: process.version, platform: process.platform },
    date: new Date().toISOString(),
    targets: { validateAnalyze100kMs: TARGET_MS, ratio100kOver10k: TARGET_RATIO },
    results,
    verdict: {
      validateAnalyze100kMs: largest.validateAnalyzeMs,
      meetsTime: largest.validateAnalyzeMs <= TARGET_MS,
      ratio100kOver10k: ratio,
      meetsRatio: ratio <= TARGET_RATIO,
    },
  };
  const dir = join(fileURLToPath(new URL(".", import.meta.url)), "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "ir.json"), `${JSON.stringify(report, null, 2)}\n`);
  const rows = results.map(
    (r) =>
      `| ${r.nodes.toLocaleString("en")} | ${r.channels.toLocaleString("en")} | ${(r.jsonBytes / 1e6).toFixed(1)} / ${(r.msgpackBytes / 1e6).toFixed(1)} | ${r.baselineJsonParseMs} | ${r.decodeJsonMs} | ${r.baselineMsgpackUnpackMs} | ${r.decodeMsgpackMs} | ${r.validateMs} | ${r.analyzeMs} | **${r.validateAnalyzeMs}** | ${r.loadJsonEndToEndMs} | ${r.peakRssMB} |`,
  );
  const md = [
    "# IR benchmark",
    "",
    `${report.date} · ${report.machine.cpus} × ${report.machine.cpuModel} · Node ${report.machine.node}. Medians; each size in its own process.`,
    "",
    "| nodes | channels | JSON / msgpack MB | JSON.parse (raw) ms | decode JSON ms | msgpackr unpack (raw) ms | decode msgpack (scan + unpack) ms | validate ms | analyze ms | validate + analyze ms | load JSON bytes + analyze ms | peak RSS MB |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    `Target: 100k validate + analyze ≤ ${TARGET_MS} ms → ${largest.validateAnalyzeMs} ms (${report.verdict.meetsTime ? "met" : "NOT met"}); time(100k)/time(10k) ≤ ${TARGET_RATIO} → ${ratio} (${report.verdict.meetsRatio ? "met" : "NOT met"}).`,
    "",
  ].join("\n");
  writeFileSync(join(dir, "ir.md"), md);
  console.log(md);
}

if (process.argv[1]?.endsWith("ir.bench.ts")) main();
