import { rmSync } from "node:fs";
import { createDiagnostic, type Diagnostic, hasErrors } from "@flowc/ir";
import { loadConfig, processAlive, type RunResult, RuntimeError, runtimeOptions } from "@flowc/runtime";
import {
  DaemonClient,
  type DaemonStatus,
  type DataflowSummary,
  daemonPaths,
  daemonTimeout,
  dataflowNameProblem,
  dataflowRuntime,
  launchDaemon,
  NatsOption,
  type NatsSettings,
  natsSettings,
  parseMetricsAddress,
  StateStore,
  type StreamEvent,
} from "@flowc/runtime-dataflow";
import { parseDuration, parseGrace } from "../args.js";
import { printEvent } from "../events.js";
import { type CliIo, ExitCode } from "../io.js";
import { loadEntry, withNodeSettings } from "../load.js";
import { report } from "../report.js";
import { FLOWC_VERSION } from "../version.js";

/** Runs `body` with a daemon connection; coded errors (no daemon, foreign socket, refused) become diagnostics. */
export async function withClient(io: CliIo, body: (client: DaemonClient) => Promise<number>): Promise<number> {
  let client: DaemonClient | undefined;
  try {
    client = await DaemonClient.connect(daemonPaths(io.env), daemonTimeout(io.env));
    return await body(client);
  } catch (error) {
    if (error instanceof RuntimeError) {
      report(io, [error.diagnostic]);
      // No daemon, a foreign socket, an unknown dataflow: the environment, like a missing file.
      return ExitCode.Usage;
    }
    throw error;
  } finally {
    client?.close();
  }
}

/** `flowc daemon start|stop|status`. */
export async function daemonCommand(
  io: CliIo,
  action: string,
  options: { machineId?: string; metrics?: string; nats?: string; config?: string; grace?: string; force?: boolean; json?: boolean },
): Promise<number> {
  const paths = daemonPaths(io.env);
  if (action === "start") {
    if (options.metrics !== undefined) {
      const parsed = parseMetricsAddress(options.metrics);
      if ("problem" in parsed)
        return report(io, [createDiagnostic("MetricsAddressInvalid", { address: options.metrics, detail: parsed.problem })]);
    }
    const nats = clusterSettings(io, options);
    if ("diagnostics" in nats) return report(io, nats.diagnostics);
    try {
      const { status, already } = await launchDaemon(paths, {
        machine: options.machineId,
        metrics: options.metrics,
        nats: nats.settings,
        version: FLOWC_VERSION,
        env: io.env,
      });
      if (options.json) io.stdout(`${JSON.stringify({ ...status, already })}\n`);
      else io.stdout(`${already ? "flowc daemon already running" : "flowc daemon started"}: ${describeDaemon(status)}\n`);
      return ExitCode.Ok;
    } catch (error) {
      if (error instanceof RuntimeError) {
        report(io, [error.diagnostic]);
        return ExitCode.Usage;
      }
      throw error;
    }
  }
  if (action === "status") {
    return withClient(io, async (client) => {
      const status = await client.request<DaemonStatus>({ op: "status" });
      if (options.json) io.stdout(`${JSON.stringify(status)}\n`);
      else io.stdout(`flowc daemon running: ${describeDaemon(status)}\n`);
      return ExitCode.Ok;
    });
  }
  if (action === "stop") {
    const grace = parseGrace(options.grace);
    if (typeof grace === "object") return report(io, [grace]);
    return withClient(io, async (client) => {
      const status = await client.request<DaemonStatus>({ op: "status" });
      const answer = await client.request<{ dataflows: number }>({ op: "shutdown", graceMs: grace, force: options.force === true });
      // Wait for the daemon process to be gone (it stops its dataflows first).
      const limit = performance.now() + (grace ?? 10_000) * 1.5 + 10_000;
      while (performance.now() < limit && processAlive(status.pid)) await new Promise((r) => setTimeout(r, 50));
      if (processAlive(status.pid)) {
        report(io, [createDiagnostic("DaemonUnreachable", { socket: paths.socket, detail: `pid ${status.pid} did not exit` })]);
        return ExitCode.Usage;
      }
      io.stdout(
        `flowc daemon stopped (pid ${status.pid}; ${answer.dataflows} running dataflow${answer.dataflows === 1 ? "" : "s"} stopped)\n`,
      );
      return ExitCode.Ok;
    });
  }
  return report(io, [createDiagnostic("UsageError", { detail: `Unknown daemon action '${action}'; use start, stop or status.` })]);
}

/** The NATS cluster `daemon start` joins: --nats, FLOWC_NATS_URL, or the config's runtimes.dataflow.nats (none: on its own). */
function clusterSettings(
  io: CliIo,
  options: { nats?: string; config?: string },
): { settings: NatsSettings | undefined } | { diagnostics: Diagnostic[] } {
  const loaded = loadConfig(io.cwd, options.config);
  if (!loaded.ok) return { diagnostics: loaded.diagnostics };
  const configured = runtimeOptions(loaded.config, "dataflow").nats;
  const parsed = NatsOption.optional().safeParse(configured);
  if (!parsed.success)
    return {
      diagnostics: [
        createDiagnostic("RuntimeOptionsInvalid", {
          runtime: "dataflow",
          detail: `nats: ${parsed.error.issues[0]?.message ?? "invalid"}`,
        }),
      ],
    };
  try {
    return { settings: natsSettings(parsed.data, io.env, options.nats) };
  } catch (error) {
    return {
      diagnostics: [createDiagnostic("RuntimeOptionsInvalid", { runtime: "dataflow", detail: `nats: ${(error as Error).message}` })],
    };
  }
}

function describeDaemon(s: DaemonStatus): string {
  const metrics = s.metrics ? `\n  metrics: http://${s.metrics}/metrics` : "";
  const head = `pid ${s.pid}, machine '${s.machine}', ${s.dataflows} running dataflow${s.dataflows === 1 ? "" : "s"}\n  socket: ${s.socket}\n  state:  ${s.stateDir}${metrics}`;
  if (!s.cluster) return head;
  const machines = s.cluster.machines.map(
    (m) =>
      `\n    ${m.machine.padEnd(16)} ${(m.up ? "up" : "LOST").padEnd(5)} pid ${String(m.pid).padEnd(8)} host ${m.host.padEnd(16)} ${m.version}${
        m.self ? "  (this daemon)" : `  heartbeat ${(m.lastSeenMs / 1000).toFixed(1)} s ago`
      }`,
  );
  return `${head}\n  cluster '${s.cluster.name}' at ${s.cluster.url}:${machines.join("")}`;
}

/** `flowc start <entry|ir|yaml> [--name N] [--attach]`: hands a dataflow to the running daemon. */
export async function startCommand(
  io: CliIo,
  entry: string,
  options: { name?: string; attach?: boolean; duration?: string; config?: string; flow?: string; typecheck?: boolean; json?: boolean },
): Promise<number> {
  const durationMs = parseDuration(options.duration);
  if (typeof durationMs === "object") return report(io, [durationMs]);
  const nameProblem = options.name === undefined ? undefined : dataflowNameProblem(options.name);
  if (nameProblem !== undefined)
    return report(io, [createDiagnostic("DataflowNameInvalid", { name: printable(options.name ?? ""), detail: nameProblem })]);
  const configResult = loadConfig(io.cwd, options.config);
  if (!configResult.ok) return report(io, configResult.diagnostics);
  return withClient(io, async (client) => {
    const loaded = await loadEntry(io, entry, options);
    if ("diagnostics" in loaded) return report(io, loaded.diagnostics, loaded.sources ? { sources: loaded.sources } : {});
    report(io, loaded.warnings, loaded.sources ? { sources: loaded.sources } : {});
    try {
      const rtOptions = withNodeSettings(runtimeOptions(configResult.config, "dataflow"), "dataflow", loaded.nodeSettings);
      const problems = dataflowRuntime.check(loaded.ir, rtOptions, io.env);
      report(io, problems);
      if (hasErrors(problems)) return ExitCode.Usage;
      const log = (text: string) => io.stderr(`flowc: ${text}\n`);
      const stream = client.stream<DataflowSummary>(
        {
          op: "start",
          ir: loaded.ir,
          baseDir: loaded.baseDir,
          copyBaseDir: loaded.temp !== undefined,
          name: options.name,
          durationMs,
          options: rtOptions,
          attach: options.attach === true,
          record: false,
          hold: false,
        },
        (event) => showStreamEvent(io, event, log),
      );
      const summary = await stream.response;
      if (options.json) io.stdout(`${JSON.stringify(summary)}\n`);
      else {
        io.stdout(`${summary.id}\n`);
        log(
          `started '${summary.flow}' as ${summary.id}${summary.name ? ` (${summary.name})` : ""}; \`flowc logs ${summary.name ?? summary.id}\` shows its logs`,
        );
      }
      if (!options.attach) return ExitCode.Ok;
      return attachUntilEnd(io, client, summary.id, stream.ended, log);
    } finally {
      if (loaded.temp) rmSync(loaded.temp, { recursive: true, force: true });
    }
  });
}

function showStreamEvent(io: CliIo, event: StreamEvent, log: (text: string) => void): void {
  if (event.kind === "runtime") printEvent(io, event.event, log);
  else if (event.kind === "log") io.stdout(event.line);
}

/** Follows an attached dataflow to its end; Ctrl-C stops it (twice: kills it). */
async function attachUntilEnd(
  io: CliIo,
  client: DaemonClient,
  id: string,
  ended: Promise<unknown>,
  log: (text: string) => void,
): Promise<number> {
  let interrupts = 0;
  const unsubscribe = io.onSignal?.((signal) => {
    interrupts++;
    log(`${signal}: stopping ${id}${interrupts > 1 ? " (force)" : " (again to kill)"}`);
    void client.request({ op: "stop", dataflow: id, force: interrupts > 1 }).catch(() => {});
  });
  try {
    const result = (await ended) as RunResult | undefined;
    if (!result) {
      report(io, [
        createDiagnostic("DaemonUnreachable", { socket: client.paths.socket, detail: "the connection closed before the dataflow ended" }),
      ]);
      return ExitCode.Usage;
    }
    if (result.status === "failed") return ExitCode.Invalid;
    return interrupts > 0 ? ExitCode.Interrupted : ExitCode.Ok;
  } finally {
    unsubscribe?.();
  }
}

/** `flowc list [--json]`. */
export async function listCommand(io: CliIo, options: { json?: boolean }): Promise<number> {
  return withClient(io, async (client) => {
    const list = await client.request<DataflowSummary[]>({ op: "list" });
    if (options.json) {
      io.stdout(`${JSON.stringify(list)}\n`);
      return ExitCode.Ok;
    }
    if (list.length === 0) {
      io.stdout("no dataflows (start one with `flowc start <flow>`)\n");
      return ExitCode.Ok;
    }
    // Dataflows spread over machines show where each node runs (pids are those machines' own).
    const spread = list.some((d) => Object.values(d.processes).some((p) => p.machine !== undefined && p.machine !== d.machine));
    const rows = [
      ["ID", "NAME", "STATUS", "NODES", "PIDS", "CREATED", ...(spread ? ["MACHINE", "PLACEMENT"] : [])],
      ...list.map((d) => [
        d.id,
        d.name ?? "-",
        d.status,
        String(d.nodes),
        Object.values(d.processes)
          .map((p) => p.pid)
          .filter((p) => p !== null)
          .join(",") || "-",
        d.createdAt.replace("T", " ").replace(/\.\d+Z$/, "Z"),
        ...(spread
          ? [
              d.machine,
              Object.entries(d.processes)
                .map(([node, p]) => `${node}@${p.machine ?? d.machine}`)
                .join(" "),
            ]
          : []),
      ]),
    ];
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
    for (const r of rows)
      io.stdout(
        `${r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd()}\n`,
      );
    return ExitCode.Ok;
  });
}

/**
 * Logs straight from the state directory, for when no daemon runs (dataflows of an embedded
 * daemon, or of a daemon that is gone). Undefined when the dataflow is not recorded there.
 */
function logsFromState(io: CliIo, dataflow: string, node: string | undefined): number | undefined {
  const store = new StateStore(daemonPaths(io.env).stateDir);
  const found = store.find(dataflow);
  if (!found) return undefined;
  if (node !== undefined && !found.info.nodes.includes(node)) {
    report(io, [
      createDiagnostic("UnknownDataflow", {
        name: `${dataflow}/${node}`,
        known: found.info.nodes.map((n) => `${dataflow}/${n}`).join(", "),
      }),
    ]);
    return ExitCode.Usage;
  }
  io.stdout(store.readLogs(found.info, node));
  return ExitCode.Ok;
}

/** Whether a daemon answers (a foreign or broken socket counts as one: the client reports it). */
async function daemonAnswers(io: CliIo): Promise<boolean> {
  try {
    const client = await DaemonClient.connectIfRunning(daemonPaths(io.env), daemonTimeout(io.env));
    client?.close();
    return client !== undefined;
  } catch {
    return true;
  }
}

/** `flowc logs <dataflow> [node] [--follow]` (without a daemon: from the state directory). */
export async function logsCommand(io: CliIo, dataflow: string, node: string | undefined, options: { follow?: boolean }): Promise<number> {
  if (!options.follow && !(await daemonAnswers(io))) {
    const local = logsFromState(io, dataflow, node);
    if (local !== undefined) return local;
  }
  return withClient(io, async (client) => {
    const stream = client.stream<{ text: string; following: boolean }>(
      { op: "logs", dataflow, node, follow: options.follow === true },
      (event) => {
        if (event.kind === "log") io.stdout(event.line);
      },
    );
    const first = await stream.response;
    io.stdout(first.text);
    if (first.following) {
      const unsubscribe = io.onSignal?.(() => client.close());
      await stream.ended;
      unsubscribe?.();
    }
    return ExitCode.Ok;
  });
}

/** `flowc stop <dataflow> [--grace <s>] [--force]`. */
export async function stopCommand(
  io: CliIo,
  dataflow: string,
  options: { grace?: string; force?: boolean; json?: boolean },
): Promise<number> {
  const grace = parseGrace(options.grace);
  if (typeof grace === "object") return report(io, [grace]);
  return withClient(io, async (client) => {
    const summary = await client.request<DataflowSummary>({ op: "stop", dataflow, graceMs: grace, force: options.force === true });
    if (options.json) io.stdout(`${JSON.stringify(summary)}\n`);
    else io.stdout(`${summary.name ?? summary.id}: ${summary.status}\n`);
    return ExitCode.Ok;
  });
}

/** A name as an error message may show it: escapes instead of control characters, at most 80 characters. */
function printable(text: string): string {
  const escaped = JSON.stringify(text).slice(1, -1);
  return escaped.length > 80 ? `${escaped.slice(0, 77)}...` : escaped;
}
