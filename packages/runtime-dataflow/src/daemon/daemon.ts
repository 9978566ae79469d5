import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, cpSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { createDiagnostic, type Diagnostic, type DiagnosticArgs, type DiagnosticName, type Ir, validateIr } from "@flowc/ir";
import { type RunEnv, type RunResult, RuntimeError, type StopReason } from "@flowc/runtime";
import { DaemonClient, jsonLines } from "../client.js";
import { Cluster } from "../cluster/cluster.js";
import type { MembershipTimings } from "../cluster/membership.js";
import type { NatsSettings } from "../cluster/settings.js";
import { DataflowOptions } from "../options.js";
import { DataflowRun } from "./dataflow.js";
import { uuidv7 } from "./id.js";
import { MetricsServer } from "./metrics.js";
import { type DaemonPaths, ensureDirs } from "./paths.js";
import {
  type DaemonStatus,
  type DataflowStats,
  type DataflowSummary,
  DEFAULT_SAMPLE_MS,
  type Envelope,
  PROTOCOL_VERSION,
  type Request,
  type StreamEvent,
} from "./protocol.js";
import { planPlacement, unreachableNodes } from "./routing.js";
import { type DataflowInfo, type ResultRecord, StateStore } from "./state.js";

export interface DaemonOptions {
  readonly machine: string;
  /** The environment node processes inherit. */
  readonly env: RunEnv;
  /** Rotate node logs past this size. */
  readonly logMaxBytes?: number | undefined;
  /** Called with the daemon's own log lines. */
  readonly log?: ((line: string) => void) | undefined;
  /** How long a client has to authenticate (default 10 s). */
  readonly helloTimeoutMs?: number | undefined;
  /** Serve Prometheus/OpenMetrics text at http://host:port/metrics (port 0: any free port). */
  readonly metrics?: { readonly host: string; readonly port: number } | undefined;
  /** Join the daemons of other machines through this NATS cluster (docs/cluster.md). */
  readonly nats?: NatsSettings | undefined;
  /** Where NATS passwords and tokens are looked up (default: `env`). */
  readonly secrets?: RunEnv | undefined;
  /** The flowc version, shown to the other machines. */
  readonly version?: string | undefined;
  /** Heartbeat and loss detection of the cluster's machines (tests shorten them). */
  readonly clusterTimings?: MembershipTimings | undefined;
}

class RequestError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

function fail<N extends DiagnosticName>(name: N, args: DiagnosticArgs<N>): never {
  throw new RequestError(createDiagnostic(name, args));
}

/** Before authenticating, a client has this long to say hello, in a line of at most this many characters. */
const HELLO_TIMEOUT_MS = 10_000;
const HELLO_MAX_LINE = 64 * 1024;
/** An authenticated client's requests (a start carries the whole IR). */
export const MAX_REQUEST_LINE = 256 * 1024 * 1024;
/** Dataflow names: like Dora's ids, safe to print and never an option. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Why `name` is not a dataflow name, or undefined when it is one. */
export function dataflowNameProblem(name: string): string | undefined {
  if (NAME.test(name)) return undefined;
  if (name.length === 0) return "it is empty";
  if (name.length > 64) return `it has ${name.length} characters, at most 64 are allowed`;
  if (!/^[A-Za-z0-9]/.test(name)) return "it must start with a letter or a digit";
  return "only letters, digits, '_', '.' and '-' are allowed";
}

interface Connection {
  /** A client's Unix socket, or a pipe from another daemon of the cluster forwarding its client's request. */
  readonly socket: Duplex;
  authenticated: boolean;
  /** Dataflows held at the start barrier for this client (stopped if it goes away). */
  readonly held: Set<DataflowRun>;
  readonly cleanups: (() => void)[];
}

/**
 * The flowc daemon: owns any number of dataflows (UUIDv7 id, optional unique name), each a
 * DataflowRun with its node processes, and answers the control protocol on a Unix socket of
 * mode 0600 in a directory of mode 0700. State — per-node logs and result records — lives in
 * the state directory and outlives both the dataflows and the daemon.
 */
export class Daemon {
  readonly paths: DaemonPaths;
  readonly options: DaemonOptions;
  readonly store: StateStore;
  readonly startedAt = new Date();
  readonly #runs = new Map<string, DataflowRun>();
  /** Names of dataflows being started: taken before the first await, so two starts cannot share one. */
  readonly #reserved = new Set<string>();
  /** Dataflows a dead predecessor left without a result, recorded when this daemon started. */
  #recovered: ResultRecord[] = [];
  readonly #connections = new Set<Connection>();
  #server: Server | undefined;
  #metrics: MetricsServer | undefined;
  /** The other machines' daemons, when this one joined a NATS cluster. */
  #cluster: Cluster | undefined;
  #token = "";
  #closing: Promise<void> | undefined;
  #resolveClosed: () => void = () => {};
  /** Resolves once the daemon has shut down. */
  readonly closed = new Promise<void>((resolve) => {
    this.#resolveClosed = resolve;
  });

  private constructor(paths: DaemonPaths, options: DaemonOptions) {
    this.paths = paths;
    this.options = options;
    this.store = new StateStore(paths.stateDir);
  }

  /** Starts listening; fails if a daemon already answers on the socket (a stale socket is replaced). */
  static async start(paths: DaemonPaths, options: DaemonOptions): Promise<Daemon> {
    ensureDirs(paths);
    const existing = await DaemonClient.connectIfRunning(paths).catch((error: unknown) => {
      if (error instanceof RuntimeError && error.is("DaemonSocketForeign")) throw error;
      return undefined;
    });
    if (existing) {
      existing.close();
      throw RuntimeError.of("DaemonStartFailed", { detail: `a daemon already answers on ${paths.socket}` });
    }
    rmSync(paths.socket, { force: true });
    const daemon = new Daemon(paths, options);
    if (options.nats)
      daemon.#cluster = await Cluster.join(options.nats, {
        machine: options.machine,
        version: options.version ?? `protocol ${PROTOCOL_VERSION}`,
        protocol: PROTOCOL_VERSION,
        workDir: paths.runtimeDir,
        env: options.env,
        secrets: options.secrets ?? options.env,
        log: (line) => daemon.#log(line),
        timings: options.clusterTimings,
        control: (pipe) => daemon.#accept(pipe, true),
      });
    daemon.#cluster?.membership.onEvicted((detail) => {
      daemon.#log(`${detail}: shutting down`);
      void daemon.shutdown({ force: true });
    });
    daemon.#token = randomBytes(32).toString("hex");
    writeFileSync(paths.token, `${daemon.#token}\n`, { mode: 0o600 });
    chmodSync(paths.token, 0o600);
    const server = createServer((socket) => daemon.#accept(socket));
    daemon.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      // The socket is created under a umask that leaves it to the owner only.
      const umask = process.umask(0o177);
      server.listen(paths.socket, () => {
        process.umask(umask);
        server.off("error", reject);
        resolve();
      });
    });
    chmodSync(paths.socket, 0o600);
    if (options.metrics) {
      const { host, port } = options.metrics;
      try {
        daemon.#metrics = await MetricsServer.listen(host, port, () => daemon.#stats(undefined), options.machine);
      } catch (error) {
        server.close();
        for (const path of [paths.socket, paths.token]) rmSync(path, { force: true });
        const code = (error as NodeJS.ErrnoException).code;
        const why =
          code === "EADDRINUSE"
            ? "it is in use"
            : code === "EADDRNOTAVAIL"
              ? "it is not an address of this machine"
              : code === "EACCES"
                ? "permission denied"
                : (error as Error).message;
        throw RuntimeError.of("DaemonStartFailed", { detail: `cannot serve metrics on ${host}:${port}: ${why}` });
      }
      daemon.#log(`metrics at http://${daemon.#metrics.address}/metrics`);
    }
    writeFileSync(paths.pidFile, `${process.pid}\n`, { mode: 0o600 });
    daemon.#log(`listening on ${paths.socket} (machine '${options.machine}', pid ${process.pid})`);
    for (const id of daemon.store.recoverLost()) {
      daemon.#log(`dataflow ${id} had no result: its daemon died; recorded as failed`);
      const record = daemon.store.find(id)?.record;
      if (record) daemon.#recovered.push(record);
    }
    return daemon;
  }

  #log(line: string): void {
    this.options.log?.(`${new Date().toISOString()} ${line}`);
  }

  status(): DaemonStatus {
    return {
      pid: process.pid,
      machine: this.options.machine,
      version: PROTOCOL_VERSION,
      socket: this.paths.socket,
      stateDir: this.paths.stateDir,
      startedAt: this.startedAt.toISOString(),
      dataflows: [...this.#runs.values()].filter((r) => r.result === undefined).length,
      metrics: this.#metrics?.address ?? null,
      cluster: this.#cluster?.status() ?? null,
    };
  }

  #accept(socket: Duplex, trusted = false): void {
    const connection: Connection = { socket, authenticated: trusted, held: new Set(), cleanups: [] };
    this.#connections.add(connection);
    socket.on("error", () => {});
    // A peer that does not authenticate in time is dropped: it holds nothing and buffers little.
    const hello = setTimeout(() => {
      if (!connection.authenticated) socket.destroy();
    }, this.options.helloTimeoutMs ?? HELLO_TIMEOUT_MS);
    hello.unref();
    socket.on("close", () => clearTimeout(hello));
    socket.on("close", () => {
      this.#connections.delete(connection);
      for (const cleanup of connection.cleanups) cleanup();
      // A client that built a dataflow and went away before starting it: nothing will start it.
      for (const run of connection.held) void run.stop({ graceMs: 0 });
    });
    jsonLines(
      socket,
      (message) => {
        void this.#dispatch(connection, message as Envelope);
      },
      () => (connection.authenticated ? MAX_REQUEST_LINE : HELLO_MAX_LINE),
    );
  }

  #write(connection: Connection, message: unknown): void {
    if (!connection.socket.destroyed) connection.socket.write(`${JSON.stringify(message)}\n`);
  }

  async #dispatch(connection: Connection, envelope: Envelope): Promise<void> {
    const id = typeof envelope?.id === "number" ? envelope.id : 0;
    try {
      if (!connection.authenticated) {
        if (envelope.op !== "hello") fail("DaemonRefused", { socket: this.paths.socket, detail: "the first request must be hello" });
        const given = Buffer.from(String(envelope.token));
        const expected = Buffer.from(this.#token);
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          this.#log("refused a client with a wrong owner token");
          this.#write(connection, {
            id,
            ok: false,
            error: createDiagnostic("DaemonRefused", {
              socket: this.paths.socket,
              detail: "wrong owner token: the daemon belongs to another user",
            }),
          });
          connection.socket.end();
          return;
        }
        if (envelope.version !== PROTOCOL_VERSION)
          fail("DaemonRefused", {
            socket: this.paths.socket,
            detail: `protocol version ${envelope.version}, the daemon speaks ${PROTOCOL_VERSION}`,
          });
        connection.authenticated = true;
        this.#write(connection, { id, ok: true, result: this.status() });
        return;
      }
      const result = await this.#handle(connection, id, envelope);
      if (result !== undefined) this.#write(connection, { id, ok: true, result });
    } catch (error) {
      const diagnostic =
        error instanceof RequestError || error instanceof RuntimeError
          ? error.diagnostic
          : createDiagnostic("DaemonRefused", {
              socket: this.paths.socket,
              detail: error instanceof Error ? error.message : String(error),
            });
      this.#write(connection, { id, ok: false, error: diagnostic, nodeId: error instanceof RuntimeError ? error.nodeId : null });
    }
  }

  /**
   * The machine of the cluster that supervises the dataflow `request` names, when that is not
   * this daemon and this daemon does not know it: the request is forwarded there.
   */
  #ownerElsewhere(request: Request): string | undefined {
    const cluster = this.#cluster;
    if (!cluster || !("dataflow" in request) || request.dataflow === undefined || request.op === "go") return undefined;
    const { run, record, info } = this.#find(request.dataflow);
    if (run || record || info) return undefined;
    const owner = cluster.registry.find(request.dataflow)?.machine;
    if (owner === undefined || owner === this.options.machine) return undefined;
    if (!cluster.membership.isUp(owner))
      fail("UnknownDataflow", {
        name: request.dataflow,
        known: `it ran under machine '${owner}', which is not up (its record there is kept; \`flowc daemon status\` shows the machines)`,
      });
    return owner;
  }

  /**
   * Forwards one request to the daemon of `machine` over a pipe and relays its answer (and, for
   * streams, its events until the end) to the client, unchanged: same ids, same messages.
   */
  async #forward(connection: Connection, id: number, request: Request, machine: string): Promise<undefined> {
    const pipe = await (this.#cluster as Cluster).dialControl(machine);
    const streams = request.op === "attach" || (request.op === "logs" && request.follow);
    connection.cleanups.push(() => pipe.destroy());
    pipe.on("error", () => {});
    pipe.on("close", () => {
      if (!done)
        this.#write(connection, {
          id,
          ok: false,
          error: createDiagnostic("MachineLost", { machine, detail: "the pipe to its daemon closed" }),
        });
    });
    let done = false;
    jsonLines(pipe, (message) => {
      const m = message as { ok?: boolean; end?: boolean };
      this.#write(connection, message);
      if (m.end || m.ok === false || (m.ok === true && !streams)) {
        done = true;
        pipe.end();
      }
    });
    pipe.write(`${JSON.stringify({ ...request, id })}\n`);
    return undefined;
  }

  /** Answers a request; undefined when the handler answered itself (streams). */
  async #handle(connection: Connection, id: number, request: Request): Promise<unknown> {
    const owner = this.#ownerElsewhere(request);
    if (owner !== undefined) return this.#forward(connection, id, request, owner);
    switch (request.op) {
      case "hello":
        return this.status();
      case "status":
        return this.status();
      case "start":
        return this.#start(connection, id, request);
      case "go": {
        const run = this.#find(request.dataflow).run;
        if (!run) fail("UnknownDataflow", { name: request.dataflow, known: this.#known() });
        connection.held.delete(run);
        await run.start();
        this.#drive(run);
        return { id: run.spec.id };
      }
      case "list":
        return this.list();
      case "stats":
        return this.#stats(request.dataflow);
      case "stop": {
        const { run, record } = this.#find(request.dataflow);
        if (!run) {
          if (record) return summaryOfRecord(record);
          fail("UnknownDataflow", { name: request.dataflow, known: this.#known() });
        }
        connection.held.delete(run);
        this.#log(`stopping ${run.spec.id}${request.force ? " (force)" : ""}`);
        await stopRun(run, request);
        return summary(run);
      }
      case "attach": {
        const { run, record } = this.#find(request.dataflow);
        if (!run) {
          if (record) {
            this.#write(connection, { id, ok: true, result: summaryOfRecord(record) });
            this.#write(connection, { id, end: true, result: record.result });
            return undefined;
          }
          fail("UnknownDataflow", { name: request.dataflow, known: this.#known() });
        }
        this.#write(connection, { id, ok: true, result: summary(run) });
        this.#attach(connection, id, run);
        return undefined;
      }
      case "logs":
        return this.#logs(connection, id, request);
      case "shutdown":
        setImmediate(() => void this.shutdown(request));
        return { dataflows: [...this.#runs.values()].filter((r) => r.result === undefined).length };
    }
  }

  async #start(connection: Connection, id: number, request: Extract<Request, { op: "start" }>): Promise<unknown> {
    // The IR comes from any client that holds the token: check it like an IR file.
    const loaded = validateIr(request.ir);
    if (!loaded.ok) throw new RequestError(loaded.diagnostics.find((d) => d.severity === "error") ?? (loaded.diagnostics[0] as Diagnostic));
    const ir = loaded.ir;
    const parsed = DataflowOptions.safeParse(request.options ?? {});
    if (!parsed.success) fail("RuntimeOptionsInvalid", { runtime: "dataflow", detail: parsed.error.issues[0]?.message ?? "invalid" });
    const name = request.name;
    if (name !== undefined) {
      const problem = dataflowNameProblem(String(name));
      if (problem) fail("DataflowNameInvalid", { name: JSON.stringify(String(name)).slice(1, -1).slice(0, 80), detail: problem });
      const taken = [...this.#runs.values()].find((r) => r.spec.name === name && r.result === undefined);
      if (taken) fail("DataflowNameTaken", { name, id: taken.spec.id });
      if (this.#reserved.has(name)) fail("DataflowNameTaken", { name, id: "being started" });
      this.#reserved.add(name);
    }
    try {
      return await this.#startNamed(connection, id, request, ir, parsed.data);
    } finally {
      if (name !== undefined) this.#reserved.delete(name);
    }
  }

  async #startNamed(
    connection: Connection,
    id: number,
    request: Extract<Request, { op: "start" }>,
    ir: Ir,
    options: DataflowOptions,
  ): Promise<unknown> {
    const plan = planPlacement(ir, this.options.machine);
    const unreachable = unreachableNodes(plan, this.#cluster?.membership.up());
    if (unreachable[0]) throw new RequestError(unreachable[0]);
    const remote = new Map<string, string>();
    for (const [machine, nodes] of plan.machines) if (machine !== plan.machine) for (const n of nodes) remote.set(n, machine);
    const dataflowId = uuidv7();
    let baseDir = request.baseDir;
    if (request.copyBaseDir) {
      baseDir = join(this.store.dirOf(dataflowId), "build");
      cpSync(request.baseDir, baseDir, { recursive: true });
    }
    this.#log(`starting ${dataflowId}${request.name ? ` '${request.name}'` : ""} (${ir.nodes.length} nodes)`);
    let recordSink: ((event: StreamEvent) => void) | undefined;
    const run = await DataflowRun.create({
      id: dataflowId,
      name: request.name ?? null,
      ir,
      baseDir,
      durationMs: request.durationMs,
      options,
      local: plan.local,
      remote,
      cluster: this.#cluster,
      store: this.store,
      env: this.options.env,
      machine: this.options.machine,
      logMaxBytes: this.options.logMaxBytes,
      onRecord: request.record ? (entries) => recordSink?.({ kind: "records", entries }) : undefined,
      recordValues: request.recordValues === true,
      sampleMs: request.sampleMs ?? DEFAULT_SAMPLE_MS,
    }).catch((error: unknown) => {
      if (request.copyBaseDir) rmSync(baseDir, { recursive: true, force: true });
      throw error;
    });
    this.#runs.set(dataflowId, run);
    this.#publish(run);
    const result = summary(run);
    this.#write(connection, { id, ok: true, result });
    if (request.attach) {
      const send = this.#attach(connection, id, run);
      if (request.record) recordSink = send;
    }
    if (request.hold) connection.held.add(run);
    else {
      await run.start();
      this.#drive(run);
    }
    return undefined;
  }

  /** Live statistics of one dataflow (running or ended while the daemon ran), or of every running one. */
  #stats(ref: string | undefined): DataflowStats[] {
    let runs: DataflowRun[];
    if (ref === undefined) runs = [...this.#runs.values()].filter((r) => r.result === undefined);
    else {
      const { run } = this.#find(ref);
      if (!run) fail("UnknownDataflow", { name: ref, known: this.#known() });
      runs = [run];
    }
    return runs.map((run) => ({
      dataflow: summary(run),
      sample: run.stats(),
      channels: run.spec.ir.channels.map((c) => ({
        id: c.id,
        from: c.from.node,
        to: c.to.node,
        capacity: c.capacity,
        onFull: c.onFull,
      })),
    }));
  }

  /** Streams a dataflow's events to a client until it stops; returns the sender. */
  #attach(connection: Connection, id: number, run: DataflowRun): (event: StreamEvent) => void {
    const send = (event: StreamEvent) => this.#write(connection, { id, event });
    for (const event of run.events.history()) send({ kind: "runtime", event });
    const unsubscribe = run.events.subscribe((event) => {
      send({ kind: "runtime", event });
      if (event.type === "stopped") this.#write(connection, { id, end: true, result: event.result });
    });
    connection.cleanups.push(unsubscribe);
    if (run.result) this.#write(connection, { id, end: true, result: run.result });
    return send;
  }

  /** Runs a started dataflow to its end in the background. */
  #drive(run: DataflowRun): void {
    this.#publish(run);
    void run.wait().then((result?: RunResult) => {
      this.#log(`dataflow ${run.spec.id} ended ${result?.status ?? "?"} (${result?.reason ?? "?"})`);
      this.#publish(run);
    });
  }

  /** Tells the cluster's other daemons where this dataflow is and how it is doing. */
  #publish(run: DataflowRun): void {
    void this.#cluster?.registry.put(summary(run));
  }

  #logs(connection: Connection, id: number, request: Extract<Request, { op: "logs" }>): unknown {
    const { run, info } = this.#find(request.dataflow);
    const dataflowInfo = run?.info() ?? info;
    if (!dataflowInfo) fail("UnknownDataflow", { name: request.dataflow, known: this.#known() });
    const nodes = request.node === undefined ? dataflowInfo.nodes : [request.node];
    if (request.node !== undefined && !dataflowInfo.nodes.includes(request.node))
      fail("UnknownDataflow", {
        name: `${request.dataflow}/${request.node}`,
        known: dataflowInfo.nodes.map((n) => `${request.dataflow}/${n}`).join(", "),
      });
    const text = this.store.readLogs(dataflowInfo, request.node);
    const live = run && run.result === undefined && request.follow;
    this.#write(connection, { id, ok: true, result: { text, following: Boolean(live) } });
    if (!live || !run) {
      if (request.follow) this.#write(connection, { id, end: true });
      return undefined;
    }
    for (const n of nodes) {
      const log = run.logOf(n);
      if (!log) continue;
      const listener = (line: string) =>
        this.#write(connection, { id, event: { kind: "log", node: n, line: request.node === undefined ? `[${n}] ${line}` : line } });
      log.listeners.add(listener);
      connection.cleanups.push(() => log.listeners.delete(listener));
    }
    const unsubscribe = run.events.subscribe((event) => {
      if (event.type === "stopped") setImmediate(() => this.#write(connection, { id, end: true }));
    });
    connection.cleanups.push(unsubscribe);
    return undefined;
  }

  /** A dataflow by id, unique id prefix, or name (the newest with that name); running or recorded. */
  #find(ref: string): { run?: DataflowRun; record?: ResultRecord; info?: DataflowInfo } {
    const runs = [...this.#runs.values()];
    const byId = runs.find((r) => r.spec.id === ref);
    if (byId) return { run: byId };
    const byName = runs.filter((r) => r.spec.name === ref).sort((a, b) => b.createdAt - a.createdAt)[0];
    if (byName) return { run: byName };
    const prefix = ref.length >= 4 ? runs.filter((r) => r.spec.id.startsWith(ref)) : [];
    if (prefix.length === 1) return { run: prefix[0] as DataflowRun };
    const recorded = this.store.find(ref);
    if (recorded) return { info: recorded.info, ...(recorded.record ? { record: recorded.record } : {}) };
    return {};
  }

  #known(): string {
    const names = [...this.#runs.values()].map((r) => (r.spec.name ? `${r.spec.name} (${r.spec.id})` : r.spec.id));
    return names.length > 0 ? names.join(", ") : "none (`flowc list` shows them)";
  }

  /**
   * Dataflows of this daemon, newest first: running ones, those that ended while it ran, and
   * those a dead predecessor left without a result (recorded as failed when it started).
   */
  list(): DataflowSummary[] {
    const runs = [...this.#runs.values()].sort((a, b) => b.createdAt - a.createdAt).map(summary);
    const own = [...runs, ...this.#recovered.map(summaryOfRecord)];
    if (!this.#cluster) return own;
    // The other machines' dataflows, as their daemons last recorded them.
    const known = new Set(own.map((d) => d.id));
    const others = this.#cluster.registry
      .list()
      .filter((d) => !known.has(d.id))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return [...own, ...others];
  }

  /** Stops every dataflow (grace, or force), closes the socket and removes it. */
  shutdown(options: { graceMs?: number | undefined; force?: boolean | undefined } = {}): Promise<void> {
    this.#closing ??= (async () => {
      this.#log("shutting down");
      this.#server?.close();
      await this.#metrics?.close();
      await Promise.all([...this.#runs.values()].filter((r) => r.result === undefined).map((r) => stopRun(r, options)));
      for (const c of this.#connections) c.socket.destroy();
      await this.#cluster?.close(true);
      for (const path of [this.paths.socket, this.paths.token, this.paths.pidFile]) if (existsSync(path)) rmSync(path, { force: true });
      this.#log("stopped");
      this.#resolveClosed();
    })();
    return this.#closing;
  }
}

function summary(run: DataflowRun): DataflowSummary {
  const info = run.info();
  return {
    id: info.id,
    name: info.name,
    flow: info.flow,
    status: run.status,
    machine: info.machine,
    nodes: info.nodes.length,
    createdAt: info.createdAt,
    endedAt: run.endedAt === undefined ? null : new Date(run.endedAt).toISOString(),
    processes: run.processes(),
  };
}

function summaryOfRecord(record: ResultRecord): DataflowSummary {
  return {
    id: record.id,
    name: record.name,
    flow: record.flow,
    status: record.status,
    machine: record.machine,
    nodes: record.nodes.length,
    createdAt: record.createdAt,
    endedAt: record.endedAt,
    processes: record.processes,
  };
}

/** Stops a dataflow: the ladder with `graceMs`, or at once with `force`. */
async function stopRun(
  run: DataflowRun,
  options: { graceMs?: number | undefined; force?: boolean | undefined; reason?: StopReason | undefined },
): Promise<void> {
  if (options.force) {
    run.kill(options.reason ?? "request");
    await run.wait();
    return;
  }
  await run.stop({ ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}), reason: options.reason ?? "request" });
}
