import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import {
  analyze,
  createDiagnostic,
  type Diagnostic,
  hasErrors,
  type Ir,
  type IrChannel,
  type IrNode,
  type Json,
  sortJson,
  validateIr,
} from "@flowc/ir";
import { entryUrl, RecordingFormatError, RecordingReader } from "@flowc/runtime";
import { displayPath } from "../files.js";
import type { CliIo } from "../io.js";
import { type LoadResult, loadEntry } from "../load.js";
import { report } from "../report.js";
import { type RunOptions, runCommand } from "./run.js";

export interface ReplayOptions extends Omit<RunOptions, "flow" | "printIr"> {
  /** Nodes whose outputs come from the recording (default: every source of the recorded flow). */
  replace?: string[];
  /** Playback speed: 1 as recorded, 2 twice as fast, 0 as fast as the consumers take them. */
  speed?: string;
  /** Replay against this (newer) flow file instead of the recorded flow. */
  flow?: string;
}

/** The module of the Replay node (built JavaScript; from sources, the package's dist). */
const replayNodes = entryUrl(import.meta.url, {
  source: "../../dist/testing/nodes.js",
  dist: "../testing/nodes.js",
  packed: "testing-nodes.js",
});

/**
 * `flowc replay <file.flowrec>`: rebuilds the flow from the recording (its IR and bundles, or a
 * newer build with `--flow`), stands a Replay node in for each replaced node — same id, same
 * output ports, its messages read from the recording at the recorded send times scaled by
 * `--speed` — and runs the rest live, exactly as `flowc run` would (runtime choice, events,
 * `--record`, `--json`, Ctrl-C, exit codes).
 */
export async function replayCommand(io: CliIo, file: string, options: ReplayOptions): Promise<number> {
  const speed = parseSpeed(options.speed);
  if (typeof speed === "object" && speed !== null) return report(io, [speed], { json: options.json === true });
  const { replace, flow, speed: _speed, ...run } = options;
  return runCommand(io, file, run, (io, entry, runOptions) => replayLoad(io, entry, { replace, flow, speed, runOptions }));
}

function parseSpeed(text: string | undefined): number | null | Diagnostic {
  if (text === undefined) return 1;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0) {
    return createDiagnostic("UsageError", { detail: `--speed takes a number ≥ 0 (1 as recorded, 0 as fast as possible), not '${text}'` });
  }
  return value === 0 ? null : value;
}

async function replayLoad(
  io: CliIo,
  file: string,
  options: { replace: string[] | undefined; flow: string | undefined; speed: number | null; runOptions: RunOptions },
): Promise<LoadResult> {
  const path = resolve(io.cwd, file);
  const shown = displayPath(io.cwd, path);
  let reader: RecordingReader;
  try {
    if (!statSync(path).isFile())
      return { diagnostics: [createDiagnostic("FileUnreadable", { path: shown, detail: "it is not a regular file" })] };
    reader = RecordingReader.open(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { diagnostics: [createDiagnostic("FileNotFound", { what: "recording", path: shown })] };
    const detail = error instanceof RecordingFormatError ? error.message : String((error as Error).message);
    return { diagnostics: [createDiagnostic("RecordingInvalid", { path: shown, detail })] };
  }
  const recorded = reader.header.ir;
  const footer = reader.footer;
  const modules = reader.header.modules;
  reader.close();

  // The flow to run: the recorded one with its bundles, or a newer build of it.
  let base: { ir: Ir; baseDir: string; temp: string | undefined };
  let warnings: readonly Diagnostic[] = [];
  if (options.flow !== undefined) {
    const loaded = await loadEntry(io, options.flow, options.runOptions);
    if ("diagnostics" in loaded) return loaded;
    base = { ir: loaded.ir, baseDir: loaded.baseDir, temp: loaded.temp };
    warnings = loaded.warnings;
  } else {
    const temp = mkdtempSync(join(tmpdir(), "flowc-replay-"));
    for (const [relative, bytes] of Object.entries(modules ?? {})) {
      const target = resolve(temp, relative);
      if (!target.startsWith(`${temp}/`)) continue;
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, gunzipSync(bytes));
    }
    base = { ir: recorded, baseDir: temp, temp };
  }
  const fail = (diagnostics: Diagnostic[]): LoadResult => {
    if (base.temp) rmSync(base.temp, { recursive: true, force: true });
    return { diagnostics };
  };

  const replaced = options.replace?.length ? options.replace : analyze(recorded).sources;
  const nodeList = recorded.nodes.map((n) => n.id).join(", ") || "none";
  const standIns = new Map<string, IrNode>();
  for (const id of replaced) {
    const was = recorded.nodes.find((n) => n.id === id);
    const now = base.ir.nodes.find((n) => n.id === id);
    if (!was) return fail([createDiagnostic("ReplayNodeUnknown", { node: id, detail: "the recording has no such node", nodes: nodeList })]);
    if (!now) {
      return fail([createDiagnostic("ReplayNodeUnknown", { node: id, detail: `'${options.flow}' has no such node`, nodes: nodeList })]);
    }
    if (options.flow !== undefined) {
      const mismatch = portsMismatch(was, now);
      if (mismatch) return fail([createDiagnostic("ReplayPortsMismatch", { node: id, entry: options.flow, detail: mismatch })]);
    }
    const ports: Record<string, string> = {};
    for (const port of Object.keys(was.outputs)) {
      // The recorded channel of this port with the most messages (every channel of a port
      // carries the same sends; one that dropped some under dropOldest/dropNewest has fewer).
      const channels = recorded.channels.filter((c) => c.from.node === id && c.from.port === port);
      const best = channels.sort((a, b) => (footer.channels[b.id]?.count ?? 0) - (footer.channels[a.id]?.count ?? 0))[0];
      if (best) Object.defineProperty(ports, port, { value: best.id, enumerable: true, writable: true, configurable: true });
    }
    if (Object.keys(ports).length === 0) {
      return fail([
        createDiagnostic("ReplayNodeUnknown", {
          node: id,
          detail: "nothing it sent was recorded (its outputs feed no channel)",
          nodes: nodeList,
        }),
      ]);
    }
    const periodic = was.clock.kind === "rate" || was.clock.kind === "hybrid";
    const hz = periodic && "hz" in was.clock ? was.clock.hz : undefined;
    const speed = hz !== undefined ? options.speed : null;
    const moduleFile = replayNodes.href.startsWith("file:") ? new URL(replayNodes).pathname : replayNodes.href;
    standIns.set(id, {
      ...now,
      type: "flowc.Replay",
      // Relative to the build directory, as the IR wants every module path.
      impl: { module: relative(base.baseDir, moduleFile), export: "Replay" },
      params: { recording: resolve(io.cwd, file), ports, hz: hz ?? null, speed } as Record<string, Json>,
      // Missed ticks send what fell due at the next one: a late replay loses nothing.
      clock: hz !== undefined && speed !== null ? { kind: "rate", hz: hz * speed, onLag: "drop" } : { kind: "free" },
      inputs: {},
      stateful: false,
      parallelism: 1,
    } as IrNode);
  }
  const rebuilt: Ir = {
    ...base.ir,
    nodes: base.ir.nodes.map((n) => standIns.get(n.id) ?? n),
    // A replaced node takes no input: what fed it is not run into it.
    channels: base.ir.channels.filter((c: IrChannel) => !standIns.has(c.to.node)),
  };
  // The Replay node's module is flowc's own, outside the build directory by design.
  const checked = validateIr(rebuilt, { allowOutsideModules: true });
  if (!checked.ok || hasErrors(checked.diagnostics)) return fail([...checked.diagnostics]);
  return { ir: checked.ir, baseDir: base.baseDir, ...(base.temp ? { temp: base.temp } : {}), warnings };
}

/** Why `now` cannot stand where `was` was recorded: an output port gone or changed. */
function portsMismatch(was: IrNode, now: IrNode): string | undefined {
  for (const [port, spec] of Object.entries(was.outputs)) {
    const current = Object.hasOwn(now.outputs, port) ? now.outputs[port] : undefined;
    if (!current) return `output '${port}' is gone (outputs now: ${Object.keys(now.outputs).join(", ") || "none"})`;
    const a = JSON.stringify(sortJson(spec.schema as Json));
    const b = JSON.stringify(sortJson(current.schema as Json));
    if (a !== b) return `output '${port}' has schema ${b} where the recording has ${a}`;
  }
  return undefined;
}
