import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { createDiagnostic, type Diagnostic, hasErrors, type Ir, type IrChannel, type IrNode, type Json } from "@flowc/ir";
import {
  chooseRuntime,
  type Execution,
  entryUrl,
  isRecordingPath,
  loadConfig,
  openRecordSink,
  type RecordEntry,
  type RecordSink,
  type RunEnv,
  type RunResult,
  RuntimeError,
  type RuntimeEvent,
  resolveRuntime,
  runtimeOptions,
} from "@flowc/runtime";
import { buildFlow } from "./commands/build.js";
import { runtimeLabel } from "./commands/run.js";
import type { CliIo } from "./io.js";
import { compileEntry, loadEntry, withNodeSettings } from "./load.js";
import { defaultRegistry } from "./runtimes.js";
import { FLOWC_VERSION } from "./version.js";

/** Where the programmatic API works: a working directory for relative paths, and the environment runtimes see. */
export interface ApiOptions {
  /** Default: `process.cwd()`. */
  readonly cwd?: string;
  /** Default: `process.env`. */
  readonly env?: RunEnv;
}

function apiIo(options: ApiOptions): CliIo {
  return {
    cwd: resolve(options.cwd ?? process.cwd()),
    env: options.env ?? process.env,
    stdout: () => {},
    stderr: () => {},
    stderrIsTTY: false,
  };
}

/** `flowc check` as a function: the flow's IR when it compiles, and every diagnostic. */
export async function check(
  entry: string,
  options: ApiOptions & { readonly flow?: string; readonly typecheck?: boolean } = {},
): Promise<{ ok: boolean; ir: Ir | undefined; diagnostics: readonly Diagnostic[] }> {
  const compiled = compileEntry(apiIo(options), entry, options);
  if ("diagnostics" in compiled) return { ok: false, ir: undefined, diagnostics: compiled.diagnostics };
  const { result } = compiled;
  return { ok: result.ir !== undefined && !hasErrors(result.diagnostics), ir: result.ir, diagnostics: result.diagnostics };
}

/** `flowc build` as a function: writes the IR and bundles to `outDir` (default `.flowc-out`). */
export async function build(
  entry: string,
  options: ApiOptions & {
    readonly outDir?: string;
    readonly format?: "json" | "msgpack";
    readonly target?: "ir" | "dataflow";
    readonly flow?: string;
    /** False: skip TypeScript's own type errors (as `--no-typecheck`). */
    readonly typecheck?: boolean;
  } = {},
): Promise<{ ok: boolean; ir: Ir | undefined; files: readonly string[]; diagnostics: readonly Diagnostic[] }> {
  return buildFlow(apiIo(options), entry, { ...options, ...(options.outDir !== undefined ? { out: options.outDir } : {}), write: true });
}

export interface RunOptions extends ApiOptions {
  /** A runtime name (default: FLOWC_RUNTIME, then the config's, then mp). */
  readonly runtime?: string;
  /** A flowc.config.json (default: the one found from `cwd`). */
  readonly config?: string;
  /** The runtime's options, over the config's `runtimes.<name>`. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Stop after this many ms (logical ms on a logical clock). */
  readonly durationMs?: number;
  /** Write every delivered message to this JSONL file. */
  readonly record?: string;
  /** Receives every delivered message, in batches. */
  readonly onRecord?: (entries: readonly RecordEntry[]) => void;
  /** Aborting stops the run (as Ctrl-C does). */
  readonly signal?: AbortSignal;
  /** The flow to run when the file exports several. */
  readonly flow?: string;
  /** False: skip TypeScript's own type errors (as `--no-typecheck`). */
  readonly typecheck?: boolean;
  /** With an IR value: the directory its `impl.module` paths are relative to. */
  readonly baseDir?: string;
}

/** A run in progress. */
export interface FlowRun {
  /** Every lifecycle event, ending with `stopped` (the iteration then ends). */
  readonly events: AsyncIterable<RuntimeEvent>;
  /** The RunResult; rejects with a RuntimeError (its `diagnostics`) when the flow cannot run. */
  readonly result: Promise<RunResult>;
  /** Stops the run gracefully. */
  stop(): Promise<RunResult | undefined>;
}

/**
 * `flowc run` as a function: compiles (a flow file), reads (an IR or descriptor file) or takes
 * an IR value, picks the runtime as the CLI does, brings the run up and runs it. Nothing is
 * printed; events and the result come back.
 */
export function run(source: string | Ir, options: RunOptions = {}): FlowRun {
  const io = apiIo(options);
  const events = new EventQueue<RuntimeEvent>();
  let execution: Execution | undefined;
  let stopRequested = false;
  const stop = async (): Promise<RunResult | undefined> => {
    stopRequested = true;
    return execution?.stop({ reason: "request" });
  };
  options.signal?.addEventListener("abort", () => void stop(), { once: true });
  const result = (async (): Promise<RunResult> => {
    const configResult = loadConfig(io.cwd, options.config);
    if (!configResult.ok) throw RuntimeError.from(configResult.diagnostics);
    const { config, path: configPath } = configResult;
    const choice = chooseRuntime(options.runtime, io.env.FLOWC_RUNTIME, config);
    const resolved = await resolveRuntime(defaultRegistry(), choice.name, config, configPath, io.cwd);
    if (!resolved.ok) throw RuntimeError.from(resolved.diagnostics);
    const runtime = resolved.runtime;
    const loaded =
      typeof source === "string"
        ? await loadEntry(io, source, options)
        : { ir: source, baseDir: resolve(io.cwd, options.baseDir ?? "."), warnings: [] as readonly Diagnostic[] };
    if ("diagnostics" in loaded) throw RuntimeError.from(loaded.diagnostics);
    const temp = "temp" in loaded ? loaded.temp : undefined;
    let recorder: RecordSink | undefined;
    try {
      const rtOptions = withNodeSettings(
        { ...runtimeOptions(config, runtime.name), ...options.options },
        runtime.name,
        "nodeSettings" in loaded ? loaded.nodeSettings : undefined,
      );
      const problems = runtime.check(loaded.ir, rtOptions, io.env);
      if (hasErrors(problems)) throw RuntimeError.from(problems);
      if (options.record !== undefined) {
        const opened = openRecordSink(resolve(io.cwd, options.record));
        if ("error" in opened)
          throw RuntimeError.from([createDiagnostic("FileUnwritable", { path: options.record, detail: opened.error })]);
        recorder = opened;
        recorder.begin({
          ir: loaded.ir,
          writer: `flowc ${FLOWC_VERSION}`,
          runtime: runtimeLabel(runtime.name, rtOptions),
          baseDir: loaded.baseDir,
        });
      }
      const onRecord =
        recorder || options.onRecord
          ? (entries: readonly RecordEntry[]) => {
              recorder?.write(entries);
              options.onRecord?.(entries);
            }
          : undefined;
      execution = await runtime.build(loaded.ir, {
        baseDir: loaded.baseDir,
        env: io.env,
        durationMs: options.durationMs,
        options: rtOptions,
        onRecord,
        recordValues: options.record !== undefined && isRecordingPath(options.record),
      });
      for (const event of execution.events.history()) events.push(event);
      execution.events.subscribe((event) => events.push(event));
      await execution.start();
      if (stopRequested || options.signal?.aborted) void execution.stop({ reason: "request" });
      const ended = await execution.wait();
      if (!ended) throw new Error("the run ended without a result");
      const closed = recorder?.close();
      recorder = undefined;
      if (closed) throw RuntimeError.from([createDiagnostic("FileUnwritable", { path: options.record ?? "", detail: closed.error })]);
      return ended;
    } finally {
      recorder?.discard();
      events.end();
      if (temp) rmSync(temp, { recursive: true, force: true });
    }
  })();
  // A caller that only iterates events still hears about a failure through `result`.
  result.catch(() => events.end());
  return { events, result, stop };
}

/** Events as an async iterable: buffered until read, ended by `end()`. */
class EventQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let at = 0;
    for (;;) {
      if (at < this.#items.length) {
        yield this.#items[at++] as T;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }
}

/** The feeders' and taps' module (built JavaScript; from sources, the package's dist). */
const testingNodes = entryUrl(import.meta.url, {
  source: "../dist/testing/nodes.js",
  dist: "./testing/nodes.js",
  packed: "testing-nodes.js",
});

export interface TestFlowOptions extends ApiOptions {
  /** The flow to test when the file exports several. */
  readonly flow?: string;
  /** False: skip TypeScript's own type errors (as `--no-typecheck`). */
  readonly typecheck?: boolean;
  /**
   * Messages to send into input ports, by `"node.port"`: each list is sent in order on a
   * channel of its own, then closed; whatever fed that port in the flow is replaced.
   */
  readonly feed?: Readonly<Record<string, readonly unknown[]>>;
  /** Stop at this logical time (ms); default: run until every node ended or nothing can happen. */
  readonly untilMs?: number;
  /** Check every message against its port schema (FLC3020). Default true. */
  readonly validate?: boolean;
  /** With an IR value: the directory its `impl.module` paths are relative to. */
  readonly baseDir?: string;
}

export interface FlowTestResult {
  readonly result: RunResult;
  /** Every delivered message, in delivery order. */
  readonly records: readonly RecordEntry[];
  /** The values delivered on a channel (by id), in order. */
  delivered(channel: string): unknown[];
  /** The values a node sent on an output port (`"node.port"`), in order, also when nothing in the flow reads that port. */
  outputs(port: string): unknown[];
}

/**
 * Runs a flow deterministically for a test, on mp inline (logical clock, every node on this
 * thread): feeds named inputs, taps every output, runs until quiet or `untilMs`, and returns
 * what was delivered and the RunResult. Usable from vitest or any test runner.
 */
export async function testFlow(source: string | Ir, options: TestFlowOptions = {}): Promise<FlowTestResult> {
  const io = apiIo(options);
  let ir: Ir;
  let baseDir: string;
  let temp: string | undefined;
  if (typeof source === "string") {
    const loaded = await loadEntry(io, source, options);
    if ("diagnostics" in loaded) throw RuntimeError.from(loaded.diagnostics);
    ir = loaded.ir;
    baseDir = loaded.baseDir;
    temp = loaded.temp;
  } else {
    ir = source;
    baseDir = resolve(io.cwd, options.baseDir ?? ".");
  }
  try {
    const wired = wireForTest(ir, options.feed ?? {});
    if ("diagnostic" in wired) throw RuntimeError.from([wired.diagnostic]);
    const records: RecordEntry[] = [];
    const handle = run(wired.ir, {
      ...options,
      baseDir,
      runtime: "mp",
      options: { isolation: "inline", validate: options.validate ?? true },
      ...(options.untilMs !== undefined ? { durationMs: options.untilMs } : {}),
      onRecord: (entries) => records.push(...entries),
    });
    const result = await handle.result;
    const delivered = (channel: string) => records.filter((r) => r.channel === channel).map((r) => r.value);
    return {
      result: { ...result, nodes: result.nodes.filter((n) => !wired.added.has(n.id)) },
      records,
      delivered,
      outputs: (port) => {
        const channel = wired.taps.get(port) ?? ir.channels.find((c) => `${c.from.node}.${c.from.port}` === port)?.id;
        return channel === undefined ? [] : delivered(channel);
      },
    };
  } finally {
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
}

/** The flow with feeders on the named inputs and a tap on every output port nothing reads. */
function wireForTest(
  ir: Ir,
  feed: Readonly<Record<string, readonly unknown[]>>,
): { ir: Ir; added: ReadonlySet<string>; taps: ReadonlyMap<string, string> } | { diagnostic: Diagnostic } {
  const nodes: IrNode[] = [...ir.nodes];
  let channels: IrChannel[] = [...ir.channels];
  const added = new Set<string>();
  const taps = new Map<string, string>();
  const taken = new Set(ir.nodes.map((n) => n.id));
  const freshId = (base: string) => {
    let id = `_${base.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    while (taken.has(id)) id = `${id}_`;
    taken.add(id);
    added.add(id);
    return id;
  };
  const module = testingNodes.href.startsWith("file:") ? new URL(testingNodes).pathname : testingNodes.href;
  for (const [target, values] of Object.entries(feed)) {
    const [nodeId, port] = splitPort(target);
    const consumer = ir.nodes.find((n) => n.id === nodeId);
    const input = consumer && Object.hasOwn(consumer.inputs, port) ? consumer.inputs[port] : undefined;
    if (!consumer || !input) {
      const known = ir.nodes.flatMap((n) => Object.keys(n.inputs).map((p) => `${n.id}.${p}`)).join(", ") || "none";
      return { diagnostic: createDiagnostic("UsageError", { detail: `The flow has no input '${target}' to feed; its inputs: ${known}.` }) };
    }
    channels = channels.filter((c) => !(c.to.node === nodeId && c.to.port === port));
    const id = freshId(`feed_${nodeId}_${port}`);
    nodes.push({
      id,
      type: "flowc.Feed",
      impl: { module, export: "Feed" },
      params: { values: values as Json[] },
      clock: { kind: "free" },
      inputs: {},
      outputs: { value: { schema: input.schema } },
      stateful: false,
      parallelism: 1,
      onError: "stop",
      placement: null,
      source: null,
    });
    channels.push({
      id: `${id}.value->${nodeId}.${port}`,
      from: { node: id, port: "value" },
      to: { node: nodeId, port },
      capacity: Math.max(10, values.length),
      onFull: "block",
    });
  }
  for (const producer of ir.nodes) {
    for (const [port, output] of Object.entries(producer.outputs)) {
      if (channels.some((c) => c.from.node === producer.id && c.from.port === port)) continue;
      const id = freshId(`tap_${producer.id}_${port}`);
      nodes.push({
        id,
        type: "flowc.Tap",
        impl: { module, export: "Tap" },
        params: {},
        clock: { kind: "trigger", on: ["value"] },
        inputs: { value: { schema: output.schema, adapter: { kind: "latest" } } },
        outputs: {},
        stateful: false,
        parallelism: 1,
        onError: "stop",
        placement: null,
        source: null,
      });
      const channel = `${producer.id}.${port}->${id}.value`;
      channels.push({ id: channel, from: { node: producer.id, port }, to: { node: id, port: "value" }, capacity: 10, onFull: "block" });
      taps.set(`${producer.id}.${port}`, channel);
    }
  }
  return { ir: { ...ir, nodes, channels }, added, taps };
}

function splitPort(target: string): [string, string] {
  const at = target.lastIndexOf(".");
  return at < 0 ? [target, ""] : [target.slice(0, at), target.slice(at + 1)];
}
