import type { IrChannel, IrNode } from "@flowc/ir";
import type { NodeError, NodeStatus } from "./contract.js";
import { toNodeError } from "./errors.js";
import { type HostEnv, NodeHost, type ParallelSteps } from "./host.js";
import { type LoadedNode, loadNode } from "./loader.js";
import { type Inbound, MemoryQueue, type Outbound } from "./queue.js";

/**
 * Schedules the node hosts of one executor (all nodes on inline, one node or one fused chain
 * on a thread or process). One `runOne` is one unit of work: flush blocked outboxes, then run
 * the first node that can act, preferring nodes later in topological order — a message is
 * carried as far downstream as it can go before a producer makes the next one. That makes
 * inline runs deterministic and keeps `dropOldest` channels from overflowing needlessly.
 */
export class LocalScheduler {
  readonly hosts: readonly NodeHost[];
  readonly #reverse: readonly NodeHost[];
  /** No step starts at or after this time (ms). */
  deadline: number | undefined;
  /** Units of work done so far: a deadlock probe compares it between rounds. */
  work = 0;
  /** The host whose step is in progress, if any. */
  running: NodeHost | undefined;
  #stopped = false;
  #idle = false;

  constructor(hosts: readonly NodeHost[], deadline?: number) {
    this.hosts = hosts;
    this.#reverse = [...hosts].reverse();
    this.deadline = deadline;
  }

  /** Stops scheduling: no new step starts. */
  halt(): void {
    this.#stopped = true;
  }

  get halted(): boolean {
    return this.#stopped;
  }

  /** Does one unit of work at `now`; false when nothing could be done. */
  async runOne(now: number): Promise<boolean> {
    const worked = await this.#runOne(now);
    this.#idle = !worked;
    if (worked) this.work++;
    return worked;
  }

  async #runOne(now: number): Promise<boolean> {
    if (this.#stopped) return false;
    let progressed = false;
    for (const host of this.#reverse) {
      if (host.ended) {
        if (host.discardInputs()) progressed = true;
        continue;
      }
      if (host.hasInFlight() && (await host.settle())) progressed = true;
      if (host.hasOutbox() && host.flush()) progressed = true;
    }
    if (this.deadline !== undefined && now >= this.deadline) return progressed;
    for (const host of this.#reverse) {
      const action = host.poll(now);
      if (action) {
        this.running = host;
        await host.run(action, now);
        this.running = undefined;
        return true;
      }
    }
    return progressed;
  }

  /** The earliest future tick of a node that could step then, if any. */
  nextWakeAt(): number | undefined {
    let next: number | undefined;
    for (const host of this.hosts) {
      if (host.ended || host.hasOutbox()) continue;
      const t = host.nextTickAt();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  /**
   * No node can ever act again by itself: none could act in the last unit of work, no tick can
   * fire (periodic nodes are blocked on full outputs; a tick released by an external timer
   * counts as one that can fire), no pooled step is in flight, and not every node has ended. Only a message, room or a close from elsewhere can change that.
   */
  stuck(): boolean {
    return this.#idle && !this.settled() && !this.hosts.some((h) => h.canTick()) && !this.awaitingPool();
  }

  /** Whether an unfinished node waits for room on a full `block` channel. */
  writeBlocked(): boolean {
    return this.hosts.some((h) => !h.ended && h.blockedOnOutput());
  }

  /**
   * Quiescence: the run proved that no node can act and nothing is in flight, and no node
   * waits for room — every one waits for input only other waiting nodes could send (a cycle
   * whose outside inputs ended). Nothing can ever arrive, so their inputs end and they finish
   * as if closed. Returns false when that changes nothing (a node blocked on output, or every
   * input already ended): then it is a deadlock.
   */
  quiesce(): boolean {
    if (this.writeBlocked()) return false;
    let changed = false;
    for (const h of this.hosts) if (h.endInputs()) changed = true;
    this.#idle = false;
    return changed;
  }

  /** What each unfinished node waits for. */
  describeStuck(): string {
    return this.hosts
      .filter((h) => !h.ended)
      .map((h) => h.waitingFor())
      .join("; ");
  }

  /** Whether a pooled step is in flight: the loop must wait asynchronously for it. */
  awaitingPool(): boolean {
    return this.hosts.some((h) => !h.ended && h.hasInFlight());
  }

  /**
   * Every node ended and nothing more can arrive for any of them: an executor may go only
   * then, since a node that failed in isolation still discards what its producers send.
   */
  settled(): boolean {
    return this.hosts.every((h) => h.ended && h.inputsDrained());
  }

  allEnded(): boolean {
    return this.hosts.every((h) => h.ended);
  }

  /** Ends every unfinished host (teardown runs) with the status `statusOf` gives it. */
  async endAll(now: number, statusOf: (host: NodeHost) => NodeStatus): Promise<void> {
    this.#stopped = true;
    for (const host of this.hosts) if (!host.ended) await host.end(statusOf(host), now);
  }
}

export interface ExecutorPlan {
  /** The executor's nodes, in topological order. */
  readonly nodes: readonly IrNode[];
  /** Every channel of the flow; those touching these nodes are wired. */
  readonly channels: readonly IrChannel[];
  readonly baseDir: string;
  /** Ends of channels whose other end is in another executor. */
  readonly inbound: (channel: IrChannel) => Inbound;
  readonly outbound: (channel: IrChannel) => Outbound;
  /** A pool for the steps of a node with `parallelism` > 1, or undefined to run them in place. */
  readonly parallel?: (node: IrNode) => ParallelSteps | undefined;
}

/** The outcome of bringing an executor's nodes up: every host, set up; or the first node that failed. */
export type BringUp = { readonly ok: true; readonly hosts: NodeHost[] } | { readonly ok: false; readonly failure: NodeError };

/**
 * Loads an executor's nodes, wires their channels — in-memory queues between two local nodes,
 * the engine's transport ends otherwise — and runs their `setup`, in topological order. The
 * first node that cannot be loaded (FLC3010–3012, its state) or set up is returned as a
 * NodeError naming it; its code is kept.
 */
export async function bringUpHosts(plan: ExecutorPlan, env: HostEnv, beforeSetup?: () => Promise<void>): Promise<BringUp> {
  const local = new Set(plan.nodes.map((n) => n.id));
  const inputs = new Map<string, Map<string, Inbound[]>>();
  const outputs = new Map<string, Map<string, Outbound[]>>();
  const push = <T>(map: Map<string, Map<string, T[]>>, node: string, port: string, value: T) => {
    let ports = map.get(node);
    if (!ports) map.set(node, (ports = new Map()));
    const list = ports.get(port);
    if (list) list.push(value);
    else ports.set(port, [value]);
  };
  for (const channel of plan.channels) {
    const fromLocal = local.has(channel.from.node);
    const toLocal = local.has(channel.to.node);
    if (fromLocal && toLocal) {
      const queue = new MemoryQueue(channel);
      push(outputs, channel.from.node, channel.from.port, queue);
      push(inputs, channel.to.node, channel.to.port, queue);
    } else if (toLocal) {
      push(inputs, channel.to.node, channel.to.port, plan.inbound(channel));
    } else if (fromLocal) {
      push(outputs, channel.from.node, channel.from.port, plan.outbound(channel));
    }
  }
  const loaded: LoadedNode[] = [];
  for (const node of plan.nodes) {
    try {
      loaded.push(await loadNode(node, plan.baseDir));
    } catch (error) {
      return { ok: false, failure: toNodeError(node.id, error) };
    }
  }
  const hosts = plan.nodes.map(
    (node, i) =>
      new NodeHost(
        node,
        loaded[i] as LoadedNode,
        { inputs: inputs.get(node.id) ?? new Map(), outputs: outputs.get(node.id) ?? new Map() },
        env,
        node.parallelism > 1 && (loaded[i] as LoadedNode).spec.step ? plan.parallel?.(node) : undefined,
      ),
  );
  try {
    await beforeSetup?.();
  } catch (error) {
    return { ok: false, failure: toNodeError(plan.nodes[0]?.id ?? "?", error) };
  }
  for (const host of hosts) {
    if (!(await host.setup())) {
      const error = host.error ?? { nodeId: host.id, message: "setup failed", stack: null, code: null };
      return { ok: false, failure: { ...error, message: `setup failed: ${error.message}` } };
    }
  }
  return { ok: true, hosts };
}

/** The executor loop sleeps at most this long (ms) between looks at its nodes, even with nothing scheduled. */
export const LONGEST_SLEEP_MS = 50;

/** The executor loop's event loop gets a turn at least this often (ms), busy or woken by messages. */
export const EVENT_LOOP_TURN_MS = 20;

/** How an executor loop sleeps until something changes (a message, room, a stop) or a timeout. */
export interface Waiter {
  /** A token taken before checking for work; `wait` returns early if anything changed since. */
  token(): number;
  wait(token: number, timeoutMs: number): void | Promise<void>;
  /** Like `wait` without blocking the thread (used while pooled steps are in flight). */
  waitAsync?(token: number, timeoutMs: number): Promise<void>;
}

export interface LoopOptions {
  readonly now: () => number;
  readonly waiter: Waiter;
  /** True once the engine asked this executor to stop. */
  readonly stopRequested: () => boolean;
  /**
   * End as soon as every node ended, without discarding what still arrives for a failed one:
   * its executor is relaunched (a restart policy), and its producers wait for the new one.
   */
  readonly exitWhenEnded?: boolean | undefined;
  /**
   * Sends what the transport held back (writes): called when the loop goes idle or yields, and
   * after a unit of work when nothing was sent for a millisecond.
   */
  readonly flush?: (() => void) | undefined;
  /** `EVENT_LOOP_TURN_MS` unless set (tests that check the order of turns set it high). */
  readonly turnEveryMs?: number | undefined;
}

/**
 * Runs an executor until all its nodes ended or a stop is requested. Between bursts of work
 * it sleeps on the waiter until the next tick, and it yields to the event loop regularly so
 * asynchronous node code (timers, I/O) makes progress.
 */
export async function runExecutorLoop(scheduler: LocalScheduler, options: LoopOptions): Promise<"ended" | "stopped"> {
  const { now, waiter, stopRequested, flush } = options;
  const turnEveryMs = options.turnEveryMs ?? EVENT_LOOP_TURN_MS;
  let lastYield = performance.now();
  let lastFlush = lastYield;
  const turn = async () => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    lastYield = performance.now();
  };
  for (;;) {
    if (stopRequested()) return "stopped";
    const token = waiter.token();
    const worked = await scheduler.runOne(now());
    const after = performance.now();
    // What a step sent leaves at once when traffic is sparse (a lone message is not held back
    // until the loop finds nothing else to do); under a stream, at most once a millisecond.
    if (flush && worked && after - lastFlush > 1) {
      flush();
      lastFlush = after;
    }
    if (after - lastYield > turnEveryMs) {
      flush?.();
      await turn();
    }
    if (worked) continue;
    if (options.exitWhenEnded ? scheduler.allEnded() : scheduler.settled()) return "ended";
    if (flush) {
      flush();
      lastFlush = performance.now();
    }
    // Idle: go to sleep at once. The event loop (asynchronous node code, messages from the
    // engine) gets its turn while an asynchronous waiter sleeps, and a blocking one gives it a
    // turn after a sleep nothing ended early (below) — not here, between what this executor
    // just sent and its sleep: on a busy machine the executor it woke often runs on this CPU
    // and waits for this thread to sleep (a 5 ms-spaced thread hop took twice as long).
    const t = now();
    let wake = scheduler.nextWakeAt();
    const deadline = scheduler.deadline;
    if (deadline !== undefined) wake = t >= deadline ? undefined : Math.min(wake ?? deadline, deadline);
    const timeout = wake === undefined ? LONGEST_SLEEP_MS : Math.min(LONGEST_SLEEP_MS, Math.max(0, wake - t));
    if (timeout > 0) {
      if (scheduler.awaitingPool()) {
        // A pooled step settles through this thread's event loop: never block it.
        let settled: () => void = () => {};
        const pooled = new Promise<void>((resolve) => {
          settled = resolve;
        });
        for (const h of scheduler.hosts) h.onSettle = settled;
        if (scheduler.hosts.some((h) => h.hasSettled())) settled();
        const timer = setTimeout(settled, timeout);
        await Promise.race([pooled, waiter.waitAsync ? waiter.waitAsync(token, timeout) : pooled]);
        clearTimeout(timer);
        for (const h of scheduler.hosts) h.onSettle = undefined;
        lastYield = performance.now();
      } else {
        // A blocking waiter (threads) returns nothing to await: going on at once spares the
        // message that woke it a trip through the microtask queue. When it slept until its
        // timeout (a tick is due, nothing arrived), nothing waits on this executor: the event
        // loop gets its turn then.
        const waiting = waiter.wait(token, timeout);
        if (waiting) {
          await waiting;
          lastYield = performance.now();
        } else if (waiter.token() === token && performance.now() - lastYield > 1) await turn();
      }
    } else if (performance.now() - lastYield > 1) {
      // Due now yet nothing could act (a tick whose node cannot step yet): look again after a turn.
      await turn();
    }
  }
}
