import type { IrChannel, IrNode } from "@flowc/ir";
import type { TickGate } from "../clock.js";
import type { RecordEntry } from "../contract.js";
import type { HostEnv } from "../host.js";
import type { Inbound, Outbound } from "../queue.js";
import { bringUpHosts, LocalScheduler, runExecutorLoop, type Waiter } from "../scheduler.js";
import { sampleHosts } from "../stats.js";
import { nodeReport } from "../usage.js";
import type { SlotLender } from "./lender.js";
import { createPool } from "./pool.js";
import { type ChannelCounts, epochNow, type FromExecutor, type InitMessage } from "./protocol.js";

/** What a thread or process provides to run an executor: channel ends, sleeping, stop, memory. */
export interface ExecutorTransport {
  inbound(channel: IrChannel): Inbound;
  outbound(channel: IrChannel): Outbound;
  readonly waiter: Waiter;
  stopRequested(): boolean;
  /** Peak memory of this executor (its heap or process), or null. */
  peakMemory(): number | null;
  /** Memory of this executor now (its heap or resident set), for live statistics. */
  memoryNow?(): number | null;
  /** Called between bring-up and "ready" (the process transport connects its sockets here). */
  connect?(): Promise<void>;
  /** Its executor may be relaunched: it ends once its nodes ended (`LoopOptions.exitWhenEnded`). */
  readonly relaunched?: boolean;
  /** External timers for periodic clocks (the dataflow daemon's), by node. */
  tickGate?(node: IrNode): TickGate | undefined;
  /** Buffers its nodes may fill and emit without a copy (shared-memory slots, reused socket buffers). */
  readonly slots?: SlotLender | undefined;
  /** What crossed each channel this executor is an end of (transports where messages can be in flight). */
  counters?(): Record<string, ChannelCounts>;
  /** Holds writes while the loop runs (`flushWrites` sends them when it goes idle), or stops holding them. */
  holdWrites?(on: boolean): void;
  flushWrites?(): void;
}

/**
 * Deadlock probes and quiescence from the supervisor: the message handler hands them in as
 * they arrive, and the executor answers from its scheduler's state once it runs (earlier
 * requests wait).
 */
export class ProbeDesk {
  #answer: ((round: number) => void) | undefined;
  #quiesce: (() => void) | undefined;
  readonly #early: number[] = [];
  #quiesceEarly = false;

  request(round: number): void {
    if (this.#answer) this.#answer(round);
    else this.#early.push(round);
  }

  /** The run is quiescent: end the inputs of every unfinished node. */
  quiesce(): void {
    if (this.#quiesce) this.#quiesce();
    else this.#quiesceEarly = true;
  }

  serve(answer: (round: number) => void, quiesce: () => void): void {
    this.#answer = answer;
    this.#quiesce = quiesce;
    for (const round of this.#early.splice(0)) answer(round);
    if (this.#quiesceEarly) quiesce();
  }
}

/**
 * The body of every thread and process executor: load and set up its nodes, report ready,
 * wait for the start signal, run the scheduler loop, end the nodes (STOPPED when asked to
 * stop) and report their numbers. Node code failures never escape: they end nodes FAILED.
 */
export async function runExecutor(
  init: InitMessage,
  transport: ExecutorTransport,
  send: (message: FromExecutor) => void | Promise<void>,
  started: Promise<number>,
  probes?: ProbeDesk,
): Promise<void> {
  const byId = new Map(init.ir.nodes.map((n) => [n.id, n]));
  let records: RecordEntry[] = [];
  let lastFlush = performance.now();
  const flushRecords = () => {
    if (records.length === 0) return;
    send({ type: "records", entries: records });
    records = [];
    lastFlush = performance.now();
  };
  const env: HostEnv = {
    log: (node, level, message) => send({ type: "event", event: { type: "log", node, level, message } }),
    warn: (node, code, message) => send({ type: "event", event: { type: "warning", node, code, message } }),
    nodeStarted: (node) => send({ type: "event", event: { type: "nodeStarted", node } }),
    nodeEnded: (node, status, error) => {
      flushRecords();
      send({ type: "ended", node, status, error });
    },
    record: init.record
      ? (entry) => {
          records.push(entry);
          if (records.length >= 2048 || performance.now() - lastFlush > 100) flushRecords();
        }
      : undefined,
    recordValues: init.recordValues === true,
    validate: init.validate,
    tickGate: (node) => transport.tickGate?.(node),
    slots: transport.slots,
  };
  const brought = await bringUpHosts(
    {
      nodes: init.nodes.map((id) => byId.get(id)).filter((n) => n !== undefined),
      channels: init.ir.channels,
      baseDir: init.baseDir,
      inbound: (c) => transport.inbound(c),
      outbound: (c) => transport.outbound(c),
      parallel: (node) => createPool(node, init.baseDir),
    },
    env,
    async () => {
      await transport.connect?.();
    },
  );
  if (!brought.ok) {
    await send({ type: "bringUpFailed", failure: brought.failure });
    return;
  }
  const hosts = brought.hosts;
  send({ type: "ready" });
  const epoch = await started;
  const now = () => epochNow() - epoch;
  const scheduler = new LocalScheduler(hosts, init.durationMs);
  probes?.serve(
    (round) => {
      const stuck = scheduler.stuck();
      send({
        type: "probe",
        round,
        stuck,
        work: scheduler.work,
        channels: transport.counters?.() ?? {},
        waiting: stuck ? scheduler.describeStuck() : "",
        writeBlocked: scheduler.writeBlocked(),
      });
    },
    () => {
      scheduler.quiesce();
    },
  );
  // Sampled on a timer: the loop yields to the event loop at least every 50 ms, also when busy.
  const sample = () => send({ type: "stats", sample: sampleHosts(hosts, now(), transport.memoryNow?.() ?? null) });
  const sampler = init.statsMs ? setInterval(sample, init.statsMs) : undefined;
  transport.holdWrites?.(true);
  const outcome = await runExecutorLoop(scheduler, {
    now,
    waiter: transport.waiter,
    stopRequested: () => transport.stopRequested(),
    exitWhenEnded: transport.relaunched,
    flush: transport.flushWrites ? () => transport.flushWrites?.() : undefined,
  });
  transport.holdWrites?.(false);
  if (outcome === "stopped") await scheduler.endAll(now(), () => "STOPPED");
  if (sampler) {
    clearInterval(sampler);
    sample();
  }
  flushRecords();
  const peak = transport.peakMemory();
  await send({ type: "done", reports: hosts.map((h) => nodeReport(h, peak)), channels: transport.counters?.() ?? {} });
}
