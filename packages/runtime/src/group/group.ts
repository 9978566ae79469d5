import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Ir } from "@flowc/ir";
import type { DriveState, RecordEntry, RunResult, StopReason } from "../contract.js";
import { DrivenExecution } from "../driven.js";
import { bringUpError, RuntimeError, warningEvent } from "../errors.js";
import { type ChannelCounts, epochNow, type FromExecutor, type ProbeReply, type ToExecutor } from "../executor/protocol.js";
import { Inbox } from "../inbox.js";
import { StatsBoard } from "../stats.js";
import { type NodeReport, RunSupervisor } from "../supervisor.js";
import { emptyReport, peakRssBytes, processAlive } from "../usage.js";
import { describeExit, type ExitInfo, type KillAction, type LaunchedExecutor, type LaunchHandlers } from "./launch.js";

/**
 * One stage of the stop ladder: what is done to the executors still running, and how long
 * they get to end before the next stage. "stop" is the Stop message (no new step; running
 * steps and teardown may finish).
 */
export interface LadderStage {
  readonly action: "stop" | KillAction;
  readonly waitMs: number;
}

/** Processes: Stop → grace → SIGTERM → grace/2 → SIGKILL → 5 s for the kernel to report the exit. */
export function processLadder(graceMs: number): LadderStage[] {
  return [
    { action: "stop", waitMs: graceMs },
    { action: "SIGTERM", waitMs: graceMs / 2 },
    { action: "SIGKILL", waitMs: 5000 },
  ];
}

/** Worker threads: Stop → grace → terminate → 5 s for the worker to report its exit. */
export function threadLadder(graceMs: number): LadderStage[] {
  return [
    { action: "stop", waitMs: graceMs },
    { action: "terminate", waitMs: 5000 },
  ];
}

/** One executor of the group (one node, or a fused chain), across its incarnations. */
export interface Member {
  /** Its executor index: its socket, its hello frame, its doorbell. */
  readonly index: number;
  /** Its nodes, in topological order. */
  readonly nodes: readonly string[];
  /** The current incarnation, while it runs. */
  readonly executor: LaunchedExecutor | undefined;
  readonly phase: MemberPhase;
  /** How many times it was relaunched. */
  readonly restarts: number;
  /** The OS process id of its current (or last) process. */
  readonly pid: number | null;
  /** How its last incarnation ended. */
  readonly exit: ExitInfo | undefined;
}

export type MemberPhase = "launching" | "listening" | "ready" | "running" | "waiting" | "gone";

interface MemberState extends Member {
  executor: LaunchedExecutor | undefined;
  phase: MemberPhase;
  restarts: number;
  pid: number | null;
  exit: ExitInfo | undefined;
  /** The final reports of the current incarnation ("done"). */
  reports: readonly NodeReport[] | undefined;
  /** Totals of earlier incarnations, by node. */
  carried: Map<string, NodeReport>;
  /** Ended by the stop ladder or a kill, not by itself. */
  killed: boolean;
  /** Peak resident memory of its largest incarnation (separate processes only). */
  peakMemory: number;
  /** The channel counts of its final report, once it reported. */
  finalCounts: Readonly<Record<string, ChannelCounts>> | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

/** What an engine decides and does on top of the group (its own wiring, policies, timers, logs). */
export interface GroupEngine {
  /** Starts an executor for `member` (again, after an exit, when `restart`). */
  launch(member: Member, restart: boolean, handlers: LaunchHandlers): LaunchedExecutor;
  /** Sees every message an executor sends, before the group handles it. */
  observe?(member: Member, message: FromExecutor): void;
  /**
   * Whether `member` is ever relaunched (a restart policy other than never): its nodes' endings
   * are then decided when its process exits, not when it reports them, and the group — not the
   * executor — closes its outputs once it is gone for good.
   */
  restartable?(member: Member): boolean;
  /** An executor ended while the run goes on: milliseconds until it is relaunched, or undefined to let its nodes end. */
  restartDelay?(member: Member, ended: EndedExecutor): number | undefined;
  /** A relaunched executor joined the running flow. */
  rejoined?(member: Member): void;
  /** An executor ended: how (for logs). */
  exited?(member: Member, how: string): void;
  /** The start barrier was released at `epoch` (ms since the Unix epoch). */
  started?(epoch: number): void;
  /** The run began to stop: the executors told to stop (one only discarding for an isolated failure is not). */
  stopping?(executors: readonly number[]): void;
  /** The result exists; called before the `stopped` event. */
  finished?(result: RunResult): void;
  /** Removes what the engine made; also after a failed bring-up. */
  cleanup?(): void;
}

/** How an executor ended, for a restart policy. */
export interface EndedExecutor {
  /** A node of it failed, or it died. */
  readonly failed: boolean;
  /** It exited without its final report. */
  readonly died: boolean;
  /** "exit code 1", "killed by SIGKILL", … */
  readonly how: string;
  /** The first failed node's error message. */
  readonly error: string | null;
}

export interface GroupOptions {
  readonly runtime: string;
  /** The mode named in the `built` event. */
  readonly mode: string;
  readonly ir: Ir;
  /** The executors: index and nodes of each. */
  readonly members: readonly { readonly index: number; readonly nodes: readonly string[] }[];
  /** Executors listen first and connect when all listen (socket transports). */
  readonly handshake: boolean;
  /** Make a private directory for the executors' sockets, with this name prefix. */
  readonly socketDirPrefix?: string | undefined;
  readonly durationMs: number | undefined;
  readonly graceMs: number;
  readonly ladder: (graceMs: number) => readonly LadderStage[];
  readonly onRecord?: ((entries: readonly RecordEntry[]) => void) | undefined;
  /** How long bring-up may take. */
  readonly bringUpTimeoutMs?: number | undefined;
  /** How often executors are asked whether they are stuck (deadlock detection). */
  readonly probeIntervalMs?: number | undefined;
}

type Item =
  | { readonly member: MemberState; readonly executor: LaunchedExecutor; readonly message: FromExecutor }
  | { readonly member: MemberState; readonly executor: LaunchedExecutor; readonly exit: ExitInfo }
  | { readonly member: MemberState; readonly restartDue: true };

/**
 * The supervising side of every out-of-process engine, written once: it launches the
 * executors (worker threads or processes), holds them at the start barrier, routes their
 * reports into the RunSupervisor, turns an executor's death into FLC3040 naming its node
 * (exit status or signal, and the end of its stderr), stops through a configurable ladder,
 * relaunches executors an engine's restart policy asks for, and finishes with one RunResult.
 * `drive()` takes one report, or handles one deadline (the duration, a ladder stage).
 */
export class ExecutorGroup extends DrivenExecution {
  readonly #options: GroupOptions;
  readonly #engine: GroupEngine;
  readonly supervisor: RunSupervisor;
  /** The latest live statistics of every node and channel (executors sample when asked to). */
  readonly stats = new StatsBoard();
  readonly #members: MemberState[];
  readonly #memberOf = new Map<string, MemberState>();
  readonly #inbox = new Inbox<Item>();
  readonly socketDir: string | undefined;
  #phase: "building" | "built" | "running" | "stopping" | "ended" = "building";
  #epoch = 0;
  #startedAt = 0;
  #graceMs: number;
  #ladder: { stage: number; deadline: number } | undefined;
  #result: RunResult | undefined;
  #forced = false;
  readonly #deadlock: DeadlockWatch;

  constructor(options: GroupOptions, engine: GroupEngine) {
    super();
    this.#options = options;
    this.#engine = engine;
    this.#graceMs = options.graceMs;
    this.supervisor = new RunSupervisor(options.ir, options.runtime, this.events, (reason, detail) => this.#stopDecided(reason, detail));
    this.#members = options.members.map((m) => ({
      index: m.index,
      nodes: m.nodes,
      executor: undefined,
      phase: "launching",
      restarts: 0,
      pid: null,
      exit: undefined,
      reports: undefined,
      carried: new Map(),
      killed: false,
      peakMemory: 0,
      finalCounts: undefined,
      restartTimer: undefined,
    }));
    for (const m of this.#members) for (const id of m.nodes) this.#memberOf.set(id, m);
    this.socketDir = options.socketDirPrefix ? makeSocketDir(options.socketDirPrefix) : undefined;
    this.#deadlock = new DeadlockWatch(options.ir, options.probeIntervalMs ?? 250);
  }

  get result(): RunResult | undefined {
    return this.#result;
  }

  get members(): readonly Member[] {
    return this.#members;
  }

  /** The executor that runs `node`. */
  memberOf(node: string): Member | undefined {
    return this.#memberOf.get(node);
  }

  /** Process ids of live child-process executors (tests check that none outlives a run). */
  pids(): number[] {
    return this.#members.filter((m) => m.executor?.pid !== undefined).map((m) => m.executor?.pid as number);
  }

  /** Sends `message` to the executor running `member`, if it runs. */
  post(member: Member, message: ToExecutor): void {
    (member as MemberState).executor?.post(message);
  }

  get phase(): "building" | "built" | "running" | "stopping" | "ended" {
    return this.#phase;
  }

  // ---- bring-up ------------------------------------------------------------------------

  /**
   * Launches every executor and holds them at the start barrier: each loads and sets up its
   * nodes (socket transports: every executor listens, then all connect). Throws FLC3043 naming
   * the node that could not be brought up, or FLC3207 naming an executor that died; nothing
   * is left running then.
   */
  async bringUp(): Promise<void> {
    try {
      await this.#bringUp();
    } catch (error) {
      await this.#killAll();
      this.#cleanup();
      throw error instanceof RuntimeError
        ? error
        : RuntimeError.of("BringUpFailed", {
            runtime: this.#options.runtime,
            node: this.#members[0]?.nodes[0] ?? "?",
            detail: error instanceof Error ? error.message : String(error),
          });
    }
  }

  async #bringUp(): Promise<void> {
    for (const m of this.#members) this.#launch(m, false);
    const timeout = this.#options.bringUpTimeoutMs ?? 60_000;
    const limit = performance.now() + timeout;
    while (this.#members.some((m) => m.phase !== "ready")) {
      const item = await this.#inbox.next(limit);
      if (!item) {
        const late = this.#members.find((m) => m.phase !== "ready") as MemberState;
        throw RuntimeError.of(
          "BringUpFailed",
          {
            runtime: this.#options.runtime,
            node: late.nodes[0] ?? "?",
            detail: `its executor did not come up within ${timeout / 1000} s`,
          },
          { nodeId: late.nodes[0] ?? null },
        );
      }
      if ("restartDue" in item) continue;
      const member = item.member;
      if ("exit" in item) {
        const node = member.nodes[0] ?? "?";
        const detail = this.#describeDeath(member, item.exit);
        member.executor = undefined;
        throw RuntimeError.of("StartBarrierBroken", { node, detail }, { nodeId: node });
      }
      const m = item.message;
      this.#engine.observe?.(member, m);
      if (m.type === "listening") {
        member.phase = "listening";
        if (this.#members.every((x) => x.phase === "listening" || x.phase === "ready"))
          for (const x of this.#members) x.executor?.post({ type: "connect" });
      } else if (m.type === "ready") member.phase = "ready";
      else if (m.type === "bringUpFailed") throw bringUpError(this.#options.runtime, m.failure);
      else this.#handleMessage(member, m);
    }
    this.#phase = "built";
    this.events.emit({
      type: "built",
      executors: this.#members.length,
      channels: this.#options.ir.channels.length,
      mode: this.#options.mode,
    });
  }

  #launch(member: MemberState, restart: boolean): void {
    this.#deadlock.reset();
    member.reports = undefined;
    member.killed = false;
    member.phase = "launching";
    let executor: LaunchedExecutor | undefined;
    const handlers: LaunchHandlers = {
      onMessage: (message) => {
        if (executor) this.#inbox.push({ member, executor, message });
      },
      onExit: (exit) => {
        if (executor) this.#inbox.push({ member, executor, exit });
      },
    };
    executor = this.#engine.launch(member, restart, handlers);
    member.executor = executor;
    member.pid = executor.pid ?? null;
    if (!this.#options.handshake) member.phase = "listening";
  }

  /** "exit code 1; stderr: …" (with the restarts it had). */
  #describeDeath(member: MemberState, exit: ExitInfo): string {
    const tail = member.executor?.stderrTail(3) ?? "";
    const restarts = member.restarts > 0 ? ` (after ${member.restarts} restart${member.restarts === 1 ? "" : "s"})` : "";
    const fused = member.nodes.length > 1 ? `; it ran the fused nodes ${member.nodes.join(", ")}` : "";
    return `${describeExit(exit)}${restarts}${fused}${tail ? `; stderr: ${tail}` : ""}`;
  }

  // ---- running -------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.#phase !== "built") return;
    this.#phase = "running";
    this.#startedAt = performance.now();
    this.supervisor.markStarted();
    this.#epoch = epochNow();
    for (const m of this.#members) {
      m.phase = "running";
      m.executor?.post({ type: "start", epoch: this.#epoch });
    }
    this.#engine.started?.(this.#epoch);
  }

  protected async work(): Promise<DriveState> {
    if (this.#phase === "ended") return this.terminal();
    if (this.#phase === "built") await this.start();
    const duration = this.#options.durationMs;
    // Re-read on every wake-up: a stop that begins while we wait brings in the ladder's deadline.
    const until = () => {
      if (this.#phase === "running") {
        const end = duration === undefined ? Number.POSITIVE_INFINITY : this.#startedAt + duration;
        return Math.min(end, this.#deadlock.due());
      }
      if (this.#phase === "stopping" && this.#ladder) return this.#ladder.deadline;
      return Number.POSITIVE_INFINITY;
    };
    const item = await this.#inbox.next(until);
    if (!item) {
      if (this.#phase === "running" && duration !== undefined && performance.now() >= this.#startedAt + duration)
        this.supervisor.requestStop("duration", `the duration of ${duration / 1000} s was reached`);
      else if (this.#phase === "stopping") this.#escalate();
    } else this.#handle(item);
    if (this.#phase === "running" && performance.now() >= this.#deadlock.due()) this.#probe();
    if (this.#members.every((m) => m.phase === "gone")) this.#finish();
    return this.#result ? this.terminal() : "continue";
  }

  #handle(item: Item): void {
    const member = item.member;
    if ("restartDue" in item) {
      member.restartTimer = undefined;
      if (member.phase === "waiting") this.#launch(member, true);
      return;
    }
    if (member.executor !== item.executor) return; // from an earlier incarnation
    if ("exit" in item) {
      this.#exited(member, item.exit);
      return;
    }
    const m = item.message;
    this.#engine.observe?.(member, m);
    if (m.type === "listening" && member.phase === "launching") {
      member.phase = "listening";
      member.executor?.post({ type: "connect" });
    } else if (m.type === "ready" && (member.phase === "listening" || member.phase === "launching")) {
      // A relaunched executor joins the running flow: same epoch; its producers connect to it again.
      member.phase = "running";
      member.executor?.post({ type: "start", epoch: this.#epoch });
      this.#engine.rejoined?.(member);
      for (const producer of this.#producersOf(member)) producer.executor?.post({ type: "reconnect", index: member.index });
      if (this.#phase === "stopping") member.executor?.post({ type: "stop" });
    } else this.#handleMessage(member, m);
  }

  #handleMessage(member: MemberState, m: FromExecutor): void {
    switch (m.type) {
      case "event":
        if (m.event.type === "nodeStarted") this.supervisor.nodeStarted(m.event.node);
        else this.events.emit(m.event);
        break;
      case "records":
        this.#options.onRecord?.(m.entries);
        break;
      case "stats":
        this.events.emit({ type: "stats", sample: this.stats.add(m.sample) });
        break;
      case "ended":
        // A node that may come back is decided when its process exits.
        if (!this.#engine.restartable?.(member)) this.supervisor.nodeEnded(m.node, m.status, m.error);
        break;
      case "probe": {
        const verdict = this.#deadlock.reply(member.index, m, this.#members);
        if (!verdict || this.#phase !== "running") break;
        if (verdict.quiescent) {
          // Nothing can arrive anywhere and nobody waits for room: the waiting nodes finish.
          this.#deadlock.reset();
          for (const x of this.#members) if (x.phase === "running" && x.reports === undefined) x.executor?.post({ type: "quiesce" });
          break;
        }
        this.events.emit(warningEvent(null, "Deadlock", { detail: verdict.detail }));
        this.supervisor.requestStop("deadlock", verdict.detail);
        break;
      }
      case "done":
        this.#deadlock.reset();
        member.reports = m.reports;
        member.finalCounts = m.channels;
        if (member.executor?.ownMemory) member.peakMemory = Math.max(member.peakMemory, m.reports[0]?.peakMemoryBytes ?? 0);
        member.executor?.retire();
        break;
      default:
        break;
    }
  }

  /** An executor is gone: relaunch it (the engine's policy), or settle its nodes. */
  #exited(member: MemberState, exit: ExitInfo): void {
    const how = describeExit(exit);
    const death = this.#describeDeath(member, exit);
    member.exit = exit;
    member.executor = undefined;
    // Its producers let their connections to it go: a socket closed with the process, but a
    // connection to another machine has no kernel to tell it.
    for (const producer of this.#producersOf(member)) producer.executor?.post({ type: "peerGone", index: member.index });
    this.#engine.exited?.(member, how);
    const reports = member.reports;
    const died = reports === undefined;
    const failed = died || reports.some((r) => r.status === "FAILED");
    // An executor that ends during a stop is stopped, unless it ended of something of its own
    // (an uncaught error, its machine lost): that is a failure whatever else was happening.
    const stopping = member.killed || (this.#phase === "stopping" && exit.error === null);
    if (!stopping && this.#phase === "running") {
      const error = reports?.find((r) => r.status === "FAILED")?.error?.message ?? null;
      const delay = this.#engine.restartDelay?.(member, { failed, died, how, error });
      if (delay !== undefined) {
        for (const r of reports ?? []) member.carried.set(r.id, sumReports(member.carried.get(r.id), r));
        const own = new Set(member.nodes);
        this.stats.relaunched(
          member.nodes,
          this.#options.ir.channels.filter((c) => own.has(c.to.node)).map((c) => c.id),
        );
        member.restarts++;
        member.phase = "waiting";
        member.restartTimer = setTimeout(() => this.#inbox.push({ member, restartDue: true }), delay);
        return;
      }
    }
    member.phase = "gone";
    if (died) {
      for (const id of member.nodes) {
        if (stopping) {
          this.#settle(member, emptyReport(id, "STOPPED", null));
          continue;
        }
        const error = RuntimeError.of("ExecutorDied", { node: id, detail: death }, { nodeId: id });
        this.#settle(member, emptyReport(id, "FAILED", { nodeId: id, message: error.message, stack: null, code: error.code }));
      }
    } else for (const r of reports) this.#settle(member, r);
    // Its consumers' inputs end once its data is in: it closed nothing when it died, and
    // nothing when the group owns the closing.
    if (died || this.#engine.restartable?.(member)) this.#closeInputsFrom(member);
  }

  /** Asks every running executor whether it is stuck (a round of the deadlock watch). */
  #probe(): void {
    // An executor being relaunched may still bring messages: no verdict meanwhile.
    if (this.#members.some((m) => m.phase !== "running" && m.phase !== "gone")) {
      this.#deadlock.reset();
      this.#deadlock.postpone();
      return;
    }
    const running = this.#members.filter((m) => m.phase === "running" && m.executor && m.reports === undefined);
    const round = this.#deadlock.begin(running.map((m) => m.index));
    for (const m of running) m.executor?.post({ type: "probe", round });
  }

  #settle(member: MemberState, report: NodeReport): void {
    const carried = member.carried.get(report.id);
    this.stats.settle(report.id, report.status);
    this.supervisor.settle(carried ? { ...sumReports(carried, report), status: report.status, error: report.error } : report);
  }

  #producersOf(member: MemberState): MemberState[] {
    const own = new Set(member.nodes);
    const out = new Set<MemberState>();
    for (const c of this.#options.ir.channels) {
      if (!own.has(c.to.node) || own.has(c.from.node)) continue;
      const producer = this.#memberOf.get(c.from.node);
      if (producer) out.add(producer);
    }
    return [...out];
  }

  #closeInputsFrom(member: MemberState): void {
    this.#deadlock.reset();
    const own = new Set(member.nodes);
    const sent = new Set<string>();
    for (const c of this.#options.ir.channels) {
      if (!own.has(c.from.node) || own.has(c.to.node)) continue;
      const consumer = this.#memberOf.get(c.to.node);
      const key = `${consumer?.index}:${c.from.node}`;
      if (!consumer || sent.has(key)) continue;
      sent.add(key);
      consumer.executor?.post({ type: "inputsClosed", node: c.from.node, index: member.index });
    }
  }

  // ---- stopping ------------------------------------------------------------------------

  /** The supervisor decided that the run stops: executors waiting for a restart end; the ladder begins. */
  #stopDecided(_reason: StopReason, _detail: string): void {
    if (this.#phase === "ended" || this.#phase === "stopping") return;
    this.#phase = "stopping";
    this.#engine.stopping?.(this.#members.filter((m) => !this.#onlyDiscarding(m)).map((m) => m.index));
    for (const m of this.#members) {
      if (m.phase !== "waiting") continue;
      clearTimeout(m.restartTimer);
      m.phase = "gone";
      for (const id of m.nodes) this.#settle(m, emptyReport(id, "STOPPED", null));
    }
    this.#ladder = { stage: -1, deadline: 0 };
    this.#escalate();
  }

  /** The next stage of the ladder for the executors still there; past the last, they are given up. */
  #escalate(): void {
    const ladder = this.#ladder;
    if (!ladder) return;
    const stages = this.#options.ladder(this.#graceMs);
    const next = ladder.stage + 1;
    const stage = stages[next];
    if (!stage) {
      for (const m of this.#members)
        if (m.phase !== "gone" && m.executor) this.#exited(m, { code: null, signal: null, error: "it did not exit after it was killed" });
      return;
    }
    if (stage.action === "stop") {
      for (const m of this.#members) if (!this.#onlyDiscarding(m)) m.executor?.post({ type: "stop" });
    } else {
      const graceOver = stages[next - 1]?.action === "stop";
      for (const m of this.#members) {
        if (!m.executor) continue;
        // Its nodes did not end within the grace period (an executor that reported is only exiting).
        if (graceOver && m.reports === undefined)
          for (const id of m.nodes)
            this.events.emit(
              warningEvent(id, "StopTimeout", { node: id, when: `it did not stop within the grace period (${this.#graceMs} ms)` }),
            );
        this.#killMember(m, stage.action);
      }
    }
    this.#ladder = { stage: next, deadline: performance.now() + stage.waitMs };
    this.#inbox.wake();
  }

  #killMember(member: MemberState, action: KillAction): void {
    member.killed = true;
    if (member.executor?.kill(action) && member.reports === undefined) this.#forced = true;
  }

  /** Ends every executor now, with the ladder's last stage (a second interrupt, `--force`). */
  kill(reason: StopReason = "signal"): void {
    if (this.#phase === "ended") return;
    if (this.#phase === "built") {
      this.#phase = "running";
      this.supervisor.markStarted();
    }
    this.supervisor.requestStop(reason, "killed");
    const stages = this.#options.ladder(this.#graceMs);
    const last = stages.length - 1;
    const stage = stages[last];
    if (!stage || (this.#ladder && this.#ladder.stage >= last)) return;
    if (stage.action !== "stop")
      for (const m of this.#members) {
        if (m.executor && m.reports === undefined)
          for (const id of m.nodes) this.events.emit(warningEvent(id, "StopTimeout", { node: id, when: "the run was killed" }));
        this.#killMember(m, stage.action);
      }
    this.#ladder = { stage: last, deadline: performance.now() + stage.waitMs };
    this.#inbox.wake();
  }

  async stop(options: { graceMs?: number; reason?: StopReason } = {}): Promise<RunResult> {
    if (options.graceMs !== undefined) this.#graceMs = options.graceMs;
    if (this.#phase === "built") await this.start();
    const reason = options.reason ?? "request";
    this.supervisor.requestStop(reason, reason === "signal" ? "interrupted by a signal" : "stop requested");
    return (await this.wait()) as RunResult;
  }

  async #killAll(): Promise<void> {
    for (const m of this.#members) {
      clearTimeout(m.restartTimer);
      m.executor?.kill("SIGKILL");
    }
    const limit = performance.now() + 5000;
    while (this.#members.some((m) => m.executor !== undefined) && performance.now() < limit) {
      const item = await this.#inbox.next(limit);
      if (item && "exit" in item && item.member.executor === item.executor) item.member.executor = undefined;
    }
  }

  /**
   * Every node finished, and this executor's are all ended, one of them failed in isolation:
   * the executor only discards what is still on its way to it (docs/semantics.md §8) and ends
   * once its inputs close, which its finished producers make them do. Stopping it now would
   * lose the count of what was still travelling (another machine is farther away than another
   * thread); the ladder's later stages still bound it.
   */
  #onlyDiscarding(m: MemberState): boolean {
    const s = this.supervisor;
    return s.reason === "completed" && m.nodes.every((id) => s.hasEnded(id)) && m.nodes.some((id) => s.isolatedFailure(id));
  }

  #finish(): void {
    if (this.#phase === "ended") return;
    this.supervisor.requestStop("completed", "every node finished");
    this.#phase = "ended";
    let children = 0;
    for (const m of this.#members) children += m.peakMemory;
    const result = this.supervisor.result(peakRssBytes() + children);
    this.#result = result;
    this.#cleanup();
    this.#engine.finished?.(result);
    this.events.emit({ type: "stopped", result, clean: !this.#forced });
  }

  #cleanup(): void {
    if (this.socketDir) rmSync(this.socketDir, { recursive: true, force: true });
    this.#engine.cleanup?.();
  }
}

/**
 * Deadlock detection across executors: every `intervalMs` the group asks each running executor
 * whether it is stuck (none of its nodes can act: no message waiting on a trigger port, no
 * tick able to fire, outputs blocked on full `block` channels). A deadlock is two consecutive
 * rounds in which every executor is stuck, did no work in between, and nothing is in flight
 * on any channel between executors (the frames and credit each end counted are equal) — so
 * no message, room or end of stream can still arrive. Executors that ended count with their
 * final counts. Anything the group itself sends that can unblock an executor (a relaunch,
 * the end of a dead producer's inputs) starts the watch over. When no node waits for room,
 * the stillness is quiescence (a cycle that emptied), not a deadlock: the nodes finish.
 */
class DeadlockWatch {
  readonly #channels: readonly { readonly id: string; readonly from: string; readonly to: string; readonly block: boolean }[];
  readonly #intervalMs: number;
  #due = 0;
  #round = 0;
  #waiting = new Set<number>();
  #replies = new Map<number, ProbeReply>();
  #previous: Map<number, ProbeReply> | undefined;

  constructor(ir: Ir, intervalMs: number) {
    this.#channels = ir.channels.map((c) => ({ id: c.id, from: c.from.node, to: c.to.node, block: c.onFull === "block" }));
    this.#intervalMs = intervalMs;
    this.#due = performance.now() + intervalMs;
  }

  /** When the next round is due (never while one is out). */
  due(): number {
    return this.#waiting.size > 0 ? Number.POSITIVE_INFINITY : this.#due;
  }

  postpone(): void {
    this.#due = performance.now() + this.#intervalMs;
  }

  /**
   * Forgets what earlier rounds saw and abandons the round that is out: an executor that ends,
   * dies or comes back changes what the next round must ask (one that has ended never answers).
   */
  reset(): void {
    this.#previous = undefined;
    if (this.#waiting.size === 0) return;
    this.#waiting = new Set();
    this.postpone();
  }

  begin(members: readonly number[]): number {
    this.#round++;
    this.#waiting = new Set(members);
    this.#replies = new Map();
    if (members.length === 0) this.postpone();
    return this.#round;
  }

  /**
   * Takes one executor's answer; when this round proves that nothing can ever happen, returns
   * what every node waits for, and whether it is quiescence (nobody waits for room) rather
   * than a deadlock.
   */
  reply(member: number, reply: ProbeReply, members: readonly MemberState[]): { detail: string; quiescent: boolean } | undefined {
    if (reply.round !== this.#round || !this.#waiting.delete(member)) return undefined;
    this.#replies.set(member, reply);
    if (this.#waiting.size > 0) return undefined;
    this.postpone();
    const replies = this.#replies;
    const stuck = [...replies.values()].every((r) => r.stuck) && this.#quiet(replies, members);
    const previous = this.#previous;
    this.#previous = stuck ? replies : undefined;
    if (!stuck || !previous || previous.size !== replies.size) return undefined;
    for (const [index, r] of replies) {
      const before = previous.get(index);
      if (!before || before.work !== r.work || JSON.stringify(before.channels) !== JSON.stringify(r.channels)) return undefined;
    }
    const detail = members
      .map((m) => replies.get(m.index)?.waiting)
      .filter((w): w is string => w !== undefined && w !== "")
      .join("; ");
    return { detail, quiescent: [...replies.values()].every((r) => !r.writeBlocked) };
  }

  /** Nothing in flight between executors: every channel's two ends counted the same. */
  #quiet(replies: ReadonlyMap<number, ProbeReply>, members: readonly MemberState[]): boolean {
    const byNode = new Map<string, MemberState>();
    for (const m of members) for (const id of m.nodes) byNode.set(id, m);
    const countsOf = (node: string, channel: string): ChannelCounts | undefined => {
      const m = byNode.get(node);
      if (!m) return undefined;
      return (replies.get(m.index)?.channels ?? m.finalCounts)?.[channel];
    };
    const answered = (node: string): boolean => {
      const m = byNode.get(node);
      return m !== undefined && replies.has(m.index);
    };
    for (const c of this.#channels) {
      const producer = countsOf(c.from, c.id);
      const consumer = countsOf(c.to, c.id);
      // Channels inside an executor, or on shared memory, have nothing in flight.
      if (producer?.sent === undefined || consumer?.arrived === undefined) continue;
      if (producer.sent !== consumer.arrived) return false;
      // Credit in flight can unblock a producer that still runs; one that ended counted its
      // credit when it reported, and what came after can no longer matter.
      if (c.block && answered(c.from) && (producer.credited ?? 0) !== (consumer.taken ?? 0)) return false;
    }
    return true;
  }
}

/**
 * A private directory for a run's sockets, `<tmp>/<prefix><pid>-XXXXXX`. Directories left by
 * owners that died (SIGKILL leaves no chance to clean up) are removed on the way, so they do
 * not pile up.
 */
function makeSocketDir(prefix: string): string {
  const tmp = tmpdir();
  for (const entry of safeList(tmp)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split("-")[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid))
      rmSync(join(tmp, entry), { recursive: true, force: true });
  }
  return mkdtempSync(join(tmp, `${prefix}${process.pid}-`));
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A node's numbers summed over two incarnations (the later one's status and error). */
export function sumReports(a: NodeReport | undefined, b: NodeReport): NodeReport {
  if (!a) return b;
  return {
    ...b,
    steps: a.steps + b.steps,
    messagesIn: a.messagesIn + b.messagesIn,
    messagesOut: a.messagesOut + b.messagesOut,
    dropped: a.dropped + b.dropped,
    durationMs: a.durationMs + b.durationMs,
    cpuMs: a.cpuMs + b.cpuMs,
    peakMemoryBytes: Math.max(a.peakMemoryBytes ?? 0, b.peakMemoryBytes ?? 0) || null,
  };
}
