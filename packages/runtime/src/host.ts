import { format } from "node:util";
import type { IrNode } from "@flowc/ir";
import { InputPort } from "./adapters.js";
import { ClockState, type Fired, type TickGate } from "./clock.js";
import { encodeValue } from "./codec.js";
import type { LogLevel, NodeError, NodeStatus, RecordEntry } from "./contract.js";
import { RuntimeError, toNodeError } from "./errors.js";
import type { SlotLender } from "./executor/lender.js";
import { isSlotView } from "./executor/slots.js";
import type { LoadedNode } from "./loader.js";
import { setOwn } from "./own.js";
import { type Lease, Payload } from "./payload.js";
import type { Envelope, Inbound, Outbound } from "./queue.js";
import { toRecordValue } from "./record.js";
import { type ChannelSample, StepHistogram } from "./stats.js";
import { explainMismatch } from "./validate.js";

export interface HostEnv {
  log(node: string, level: LogLevel, message: string): void;
  warn(node: string, code: string | null, message: string): void;
  nodeStarted(node: string): void;
  nodeEnded(node: string, status: NodeStatus, error: NodeError | null): void;
  /** Delivered messages, when recording. */
  readonly record: ((entry: RecordEntry) => void) | undefined;
  /** Records carry whole values (`RecordEntry.packed`). */
  readonly recordValues?: boolean | undefined;
  readonly validate: boolean;
  /** An external timer for a periodic clock (the dataflow daemon's), or undefined to time ticks locally. */
  readonly tickGate?: (node: IrNode) => TickGate | undefined;
  /** Time is logical (mp inline): steps take none, but the lag policy sees their real duration. */
  readonly logicalClock?: boolean;
  /** Shared-memory buffers a step may fill and emit without a copy (process engines with slots). */
  readonly slots?: SlotLender | undefined;
}

export interface HostPorts {
  /** Input channels by port name. */
  readonly inputs: ReadonlyMap<string, readonly Inbound[]>;
  /** Output channels by port name. */
  readonly outputs: ReadonlyMap<string, readonly Outbound[]>;
}

/** What one step produced, when it ran elsewhere (a worker pool): its messages and log lines, in order. */
export interface StepOutcome {
  readonly emitted: readonly (readonly [string, unknown])[];
  readonly logs: readonly (readonly [LogLevel, string])[];
  /** How long the step ran in the pool's thread. */
  readonly cpuMs: number;
}

/**
 * Runs a stateless node's steps on a pool (`parallelism: N`): up to `size` steps in flight.
 * The host keeps the order: outcomes are published in the order the steps were started.
 */
export interface ParallelSteps {
  readonly size: number;
  run(inputs: Record<string, unknown>, now: number, fired: readonly string[]): Promise<StepOutcome>;
  close(): Promise<void>;
}

interface InFlight {
  outcome?: StepOutcome;
  error?: unknown;
  readonly now: number;
  /** Holds on the borrowed memory its inputs show, dropped when it settles. */
  readonly leases: Lease[];
}

export type HostAction = { readonly kind: "step"; readonly fired: Fired } | { readonly kind: "finish" };

export interface HostStats {
  steps: number;
  messagesIn: number;
  messagesOut: number;
  cpuMs: number;
  /** When the node started and ended, in the run's time (logical on a logical clock). */
  startedAt: number | undefined;
  endedAt: number | undefined;
  /** The same on the wall clock (performance.now()), for durations every engine reports alike. */
  wallStartedAt: number | undefined;
  wallEndedAt: number | undefined;
}

type Phase = "loaded" | "ready" | "running" | "ended";

interface PendingSend {
  readonly outbound: Outbound;
  readonly envelope: Envelope;
}

/**
 * Runs one node: params, state, setup, clock, adapters, step, outputs, teardown
 * (docs/semantics.md). Transport-agnostic — it reads `Inbound`s and writes `Outbound`s — and
 * never blocks: a full `block` channel leaves messages in the outbox, and the node does not
 * step again until `flush` has sent them all. Every engine drives its hosts through a
 * `LocalScheduler`.
 */
export class NodeHost {
  readonly node: IrNode;
  readonly stats: HostStats = {
    steps: 0,
    messagesIn: 0,
    messagesOut: 0,
    cpuMs: 0,
    startedAt: undefined,
    endedAt: undefined,
    wallStartedAt: undefined,
    wallEndedAt: undefined,
  };
  /** How long each step took in the node's own code (live statistics). */
  readonly stepTimes = new StepHistogram();
  readonly #loaded: LoadedNode;
  readonly #env: HostEnv;
  readonly #clock: ClockState;
  readonly #inputs: InputPort[];
  #discarded = 0;
  readonly #outputs: ReadonlyMap<string, readonly Outbound[]>;
  /** The next sequence number of each output channel, in the order of `#outputs`' lists. */
  readonly #seq = new Map<string, number[]>();
  readonly #outbox: PendingSend[] = [];
  #outboxHead = 0;
  #phase: Phase = "loaded";
  #status: NodeStatus | undefined;
  #error: NodeError | null = null;
  #now = 0;
  #fired: readonly string[] = [];
  #iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  readonly #ctx: Record<string, unknown>;
  readonly #parallel: ParallelSteps | undefined;
  readonly #inflight: InFlight[] = [];
  /** Called when a pooled step settles (the executor loop may be asleep). */
  onSettle: (() => void) | undefined;
  /** Trigger ports with a single-value adapter: each message is its own step. */
  readonly #oneAtATime: readonly boolean[];

  constructor(node: IrNode, loaded: LoadedNode, ports: HostPorts, env: HostEnv, parallel?: ParallelSteps) {
    this.node = node;
    this.#parallel = parallel;
    this.#loaded = loaded;
    this.#env = env;
    this.#clock = new ClockState(node.clock, env.tickGate?.(node));
    this.#inputs = Object.entries(node.inputs).map(([name, port]) => new InputPort(name, port.adapter, ports.inputs.get(name) ?? []));
    this.#outputs = ports.outputs;
    const triggers = node.clock.kind === "trigger" || node.clock.kind === "hybrid" ? node.clock.on : [];
    this.#oneAtATime = this.#inputs.map((p) => triggers.includes(p.name) && (p.adapter.kind === "latest" || p.adapter.kind === "hold"));
    for (const [port, list] of ports.outputs)
      this.#seq.set(
        port,
        list.map(() => 0),
      );
    // A log call returns nothing, whatever the engine's log channel returns: a step written
    // `(_i, { log }) => log.info(…)` must produce no output on any engine.
    const log =
      (level: LogLevel) =>
      (...args: unknown[]): void => {
        env.log(node.id, level, format(...args));
      };
    const host = this;
    this.#ctx = {
      params: loaded.params,
      state: loaded.state,
      log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
      get now() {
        return host.#now;
      },
      get fired() {
        return host.#fired;
      },
      emit: (port: string, value: unknown) => this.#emit(port, value),
      allocate: (bytes: number) => allocate(env.slots, bytes),
    };
  }

  get id(): string {
    return this.node.id;
  }
  get status(): NodeStatus | undefined {
    return this.#status;
  }
  get error(): NodeError | null {
    return this.#error;
  }
  get ended(): boolean {
    return this.#phase === "ended";
  }
  get started(): boolean {
    return this.stats.startedAt !== undefined;
  }
  hasOutbox(): boolean {
    return this.#outboxHead < this.#outbox.length;
  }
  /** Messages lost on this node's inputs (also those it discarded after it failed). */
  dropped(): number {
    let n = this.#discarded;
    for (const p of this.#inputs) n += p.dropped();
    return n;
  }

  /** Its input channels as their consumer sees them: taken, waiting, dropped. */
  channelSamples(into: Record<string, ChannelSample>): void {
    for (const p of this.#inputs) {
      p.channels.forEach((c, i) => {
        into[c.channel.id] = { taken: p.taken[i] ?? 0, depth: c.size(), dropped: c.dropped() };
      });
    }
  }

  /**
   * A node that failed while the run goes on (onError "isolate") still takes what arrives on
   * its inputs and discards it, so its producers never wait for room on it (docs/semantics.md
   * §8). True when it took anything.
   */
  discardInputs(): boolean {
    let n = 0;
    for (const p of this.#inputs)
      for (const c of p.channels)
        for (let e = c.take(); e !== undefined; e = c.take()) {
          e.payload.release();
          n++;
        }
    this.#discarded += n;
    return n > 0;
  }

  /** The node has inputs, and every one closed (or ended) and is empty: it can finish. */
  #inputsDrained(): boolean {
    const inputs = this.#inputs;
    if (inputs.length === 0) return false;
    for (let i = 0; i < inputs.length; i++) if (!(inputs[i] as InputPort).drained()) return false;
    return true;
  }

  /** Every input closed (or ended) and empty: nothing more can arrive. */
  inputsDrained(): boolean {
    for (const p of this.#inputs) if (!p.drained()) return false;
    return true;
  }
  nextTickAt(): number | undefined {
    return this.#phase === "ended" ? undefined : this.#clock.nextTickAt();
  }

  /** A periodic clock can still fire: the node is not blocked on a full output (its tick may be timed elsewhere). */
  canTick(): boolean {
    return this.#phase !== "ended" && this.#clock.periodic && !this.hasOutbox();
  }

  /** What an unfinished node that cannot act waits for, for a deadlock report. */
  /** Whether it waits for room on a full `block` channel (the mark of a deadlock, not of quiescence). */
  blockedOnOutput(): boolean {
    return this.#outbox[this.#outboxHead] !== undefined;
  }

  /** Ends every input port (quiescence: nothing can arrive); true when one was still open. */
  endInputs(): boolean {
    let changed = false;
    for (const p of this.#inputs) if (p.end()) changed = true;
    return changed;
  }

  waitingFor(): string {
    const head = this.#outbox[this.#outboxHead];
    if (head) return `'${this.node.id}' waits for room on the full block channel '${head.outbound.channel.id}'`;
    const triggers = this.node.clock.kind === "trigger" || this.node.clock.kind === "hybrid" ? this.node.clock.on : [];
    const open = this.#inputs.filter((p) => triggers.includes(p.name) && !p.drained()).map((p) => p.name);
    return `'${this.node.id}' waits for input${open.length > 0 ? ` on ${open.join(", ")}` : ""}`;
  }

  /** Runs `setup` (bring-up, before the start barrier). A throw fails the node. */
  async setup(): Promise<boolean> {
    const setup = this.#loaded.spec.setup;
    if (setup) {
      const t = performance.now();
      try {
        await setup(this.#ctx);
      } catch (error) {
        this.stats.cpuMs += performance.now() - t;
        await this.#fail(error, 0);
        return false;
      }
      this.stats.cpuMs += performance.now() - t;
    }
    this.#phase = "ready";
    return true;
  }

  /** What this node would do at `now`: step (and why), finish, or nothing. */
  poll(now: number): HostAction | undefined {
    if (this.#phase !== "ready" && this.#phase !== "running") return undefined;
    if (this.hasOutbox()) return undefined;
    const inflight = this.#inflight.length;
    if (inflight === 0 && this.#inputsDrained()) return { kind: "finish" };
    if (this.#parallel && inflight >= this.#parallel.size) return undefined;
    const pending: string[] = [];
    for (const p of this.#inputs) if (p.pending()) pending.push(p.name);
    const fired = this.#clock.poll(now, pending);
    return fired ? { kind: "step", fired } : undefined;
  }

  /**
   * The time spent in the node's own code during the current `run` (ms): the step, the
   * generator's next(), up to when their promise settles — not the decoding, encoding and
   * sending around them. cpuMs adds it up.
   */
  #userMs = 0;

  async #timed<T>(call: () => T | Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      const value = call();
      return isPromise(value) ? await value : value;
    } finally {
      const ms = performance.now() - t0;
      this.#userMs += ms;
      this.stats.cpuMs += ms;
    }
  }

  /** Performs `action` at `now`. Never throws: a failing step ends the node FAILED. */
  async run(action: HostAction, now: number): Promise<void> {
    this.#now = now;
    if (this.#phase === "ready") {
      this.#phase = "running";
      this.stats.startedAt = now;
      this.stats.wallStartedAt = performance.now();
      this.#env.nodeStarted(this.node.id);
    }
    if (action.kind === "finish") {
      await this.end("SUCCEEDED", now);
      return;
    }
    this.#userMs = 0;
    try {
      if (action.fired.tick) {
        const lag = this.#clock.consumeTick(now, this.node.id);
        if (lag) this.#warnLag(lag.lagMs, lag.missed);
      }
      this.#fired = action.fired.tick ? [...action.fired.ports, "tick"] : action.fired.ports;
      const spec = this.#loaded.spec;
      const source = spec.source;
      const step = spec.step;
      if (source) {
        const iterator = (this.#iterator ??= await this.#timed(() => iteratorOf(source(this.#ctx))));
        const r = await this.#timed(() => iterator.next());
        if (r.done) {
          this.flush();
          await this.end("SUCCEEDED", now);
          return;
        }
        this.#publishRecord(r.value);
      } else if (step && this.#parallel) {
        const leases: Lease[] = [];
        const inputs = this.#sampleInputs(now, leases);
        const entry: InFlight = { now, leases };
        this.#inflight.push(entry);
        this.#parallel.run(inputs, now, this.#fired).then(
          (outcome) => {
            entry.outcome = outcome;
            this.onSettle?.();
          },
          (error: unknown) => {
            entry.error = error ?? new Error("the pooled step failed");
            this.onSettle?.();
          },
        );
        return;
      } else if (step) {
        const leases: Lease[] = [];
        const inputs = this.#sampleInputs(now, leases);
        try {
          // Timed inline, not through `#timed`: this is every message's path.
          const t0 = performance.now();
          let result: unknown;
          try {
            result = step(inputs, this.#ctx);
            if (isPromise(result)) result = await result;
          } finally {
            const ms = performance.now() - t0;
            this.#userMs += ms;
            this.stats.cpuMs += ms;
          }
          this.#publishRecord(result);
        } finally {
          // Borrowed inputs (views of shared memory) are valid until the step returns.
          for (const lease of leases) lease.drop();
        }
      }
      this.stats.steps++;
      this.stepTimes.record(this.#userMs);
    } catch (error) {
      await this.#fail(error, now);
      return;
    } finally {
      // On a logical clock a step takes no time, except for the lag policy: a step that really
      // ran longer than its period makes the node late, as it would on a wall clock.
      if (this.#env.logicalClock) this.#clock.ranUntil(now + this.#userMs);
      // Buffers the step allocated and did not emit are valid until it ends.
      this.#env.slots?.reclaim();
    }
    this.flush();
  }

  /** Whether the oldest pooled step has finished and can be published. */
  hasSettled(): boolean {
    const head = this.#inflight[0];
    return head !== undefined && (head.outcome !== undefined || head.error !== undefined);
  }

  /** Whether pooled steps are in flight. */
  hasInFlight(): boolean {
    return this.#inflight.length > 0;
  }

  /**
   * Publishes the outcomes of pooled steps that finished, in the order the steps started (a
   * later step that finished first waits). Returns whether anything settled. A failed step
   * fails the node.
   */
  async settle(): Promise<boolean> {
    let settled = false;
    while (this.#inflight.length > 0 && this.#phase !== "ended") {
      const head = this.#inflight[0] as InFlight;
      if (head.outcome === undefined && head.error === undefined) break;
      this.#inflight.shift();
      for (const lease of head.leases) lease.drop();
      settled = true;
      this.#now = head.now;
      if (head.error !== undefined) {
        await this.#fail(head.error, head.now);
        return true;
      }
      try {
        const outcome = head.outcome as StepOutcome;
        this.stats.cpuMs += outcome.cpuMs;
        this.stepTimes.record(outcome.cpuMs);
        for (const [level, message] of outcome.logs) this.#env.log(this.node.id, level, message);
        for (const [port, value] of outcome.emitted) this.#emit(port, value);
        this.stats.steps++;
      } catch (error) {
        await this.#fail(error, head.now);
        return true;
      }
      this.flush();
    }
    return settled;
  }

  /** Offers outbox messages in order until a `block` channel is full. Returns whether anything was sent. */
  flush(): boolean {
    let sent = false;
    const box = this.#outbox;
    while (this.#outboxHead < box.length) {
      const item = box[this.#outboxHead] as PendingSend;
      if (item.outbound.offer(item.envelope) === "full") break;
      item.envelope.payload.sent();
      this.#outboxHead++;
      sent = true;
    }
    if (this.#outboxHead === box.length && box.length > 0) {
      box.length = 0;
      this.#outboxHead = 0;
    }
    return sent;
  }

  /**
   * Ends the node: teardown, close outputs (end of stream), report. Idempotent. A node that is
   * stopped (`STOPPED`/`SKIPPED`) still gets its teardown.
   */
  async end(status: NodeStatus, now: number, error: NodeError | null = null): Promise<void> {
    if (this.#phase === "ended") return;
    const wasSetUp = this.#phase === "ready" || this.#phase === "running";
    this.#phase = "ended";
    for (const entry of this.#inflight) for (const lease of entry.leases) lease.drop();
    this.#inflight.length = 0;
    for (const p of this.#inputs) p.releaseAll();
    await this.#parallel?.close();
    this.stats.endedAt = now;
    this.stats.wallEndedAt = performance.now();
    const teardown = this.#loaded.spec.teardown;
    if (teardown && wasSetUp) {
      const t = performance.now();
      try {
        await teardown(this.#ctx);
      } catch (teardownError) {
        if (status !== "FAILED") {
          status = "FAILED";
          error = toNodeError(this.node.id, teardownError);
        }
      }
      this.stats.cpuMs += performance.now() - t;
    }
    // End of stream downstream: after finishing, or after failing in isolation. A failure that
    // stops the run closes nothing, so no downstream node finishes "successfully" in the race.
    const closes = status === "SUCCEEDED" || (status === "FAILED" && this.node.onError === "isolate");
    if (closes) for (const list of this.#outputs.values()) for (const o of list) o.close();
    this.#status = status;
    this.#error = error;
    this.#env.nodeEnded(this.node.id, status, error);
  }

  /** Closes the outputs of a node the run gave up on (isolate: downstream may still finish). */
  closeOutputs(): void {
    for (const list of this.#outputs.values()) for (const o of list) o.close();
  }

  async #fail(error: unknown, now: number): Promise<void> {
    const nodeError = toNodeError(this.node.id, error);
    await this.end("FAILED", now, nodeError);
  }

  #warnLag(lagMs: number, missed: number): void {
    const hz = this.node.clock.kind === "rate" || this.node.clock.kind === "hybrid" ? this.node.clock.hz : 0;
    const error = RuntimeError.of("RateLagging", { node: this.node.id, hz, lag: lagMs.toFixed(1), missed });
    this.#env.warn(this.node.id, error.diagnostic.code, error.message);
  }

  /** The step's inputs; `leases` receives the holds on the borrowed values they show. */
  #sampleInputs(now: number, leases: Lease[]): Record<string, unknown> {
    const inputs: Record<string, unknown> = {};
    const record = this.#env.record;
    // `fired` names the ports this step took messages from. Decided here, not when the clock
    // fired: on a thread or a process a message can arrive in between, and the step takes it.
    const fired: string[] = [];
    for (let i = 0; i < this.#inputs.length; i++) {
      const port = this.#inputs[i] as InputPort;
      const taken = port.drain(decodeEnvelope, this.#oneAtATime[i] === true);
      if (taken.length > 0) fired.push(port.name);
      this.stats.messagesIn += taken.length;
      if (record) {
        for (const m of taken) {
          const entry = { channel: m.channel, seq: m.seq, t: m.t, at: now, value: toRecordValue(m.value) };
          record(this.#env.recordValues ? { ...entry, packed: Buffer.from(encodeValue(m.value)).toString("base64") } : entry);
        }
      }
      const value = port.sample(now);
      port.leaseForStep(leases);
      if (value !== undefined) setOwn(inputs, port.name, value);
    }
    this.#fired = this.#fired.includes("tick") ? [...fired, "tick"] : fired;
    return inputs;
  }

  #publishRecord(record: unknown): void {
    if (record === undefined || record === null) return;
    if (typeof record !== "object") stepOutputs(this.node, record); // throws FLC3023
    const outputs = record as Record<string, unknown>;
    for (const port in outputs) {
      if (!Object.hasOwn(outputs, port)) continue;
      const value = outputs[port];
      if (value !== undefined) this.#emit(port, value);
    }
  }

  #portList(): string {
    const ports = Object.keys(this.node.outputs);
    return ports.length > 0 ? ports.join(", ") : "none";
  }

  #emit(port: string, value: unknown): void {
    const schema = this.node.outputs[port];
    if (schema === undefined) throw RuntimeError.of("UnknownOutputPort", { node: this.node.id, port, ports: this.#portList() });
    const outbounds = this.#outputs.get(port) ?? [];
    if (this.#env.validate) {
      const mismatch = explainMismatch(schema.schema, value);
      if (mismatch) {
        const channel = outbounds.map((o) => o.channel.id).join("', '") || `${this.node.id}.${port}`;
        throw RuntimeError.of("MessageInvalid", { node: this.node.id, channel, path: mismatch.path || "/", detail: mismatch.detail });
      }
    }
    this.stats.messagesOut++;
    if (outbounds.length === 0) return;
    // A buffer the step allocated (`ctx.allocate`: a shared-memory slot, or a reused socket
    // buffer) leaves as it is when every channel carries it by reference; any other value in
    // lent memory (a received view, valid only during the step) leaves as a copy.
    let sent = value;
    let payload: Payload | undefined;
    if (isSlotView(value)) {
      const slots = this.#env.slots;
      payload = Payload.ofValue(value, outbounds.length);
      if (slots?.claim(value, payload, outbounds)) {
        const claimed = payload;
        claimed.whenSent(outbounds.length, () => slots.sent(claimed));
      } else {
        sent = value instanceof ArrayBuffer ? value.slice(0) : copyView(value);
        payload = undefined;
      }
    }
    payload ??= Payload.ofValue(sent, outbounds.length);
    if (!isTransferable(sent)) {
      try {
        payload.encoded();
      } catch (error) {
        throw RuntimeError.of("MessageNotSendable", { node: this.node.id, port, detail: (error as Error).message });
      }
    }
    const t = this.#now;
    const seqs = this.#seq.get(port) as number[];
    for (let i = 0; i < outbounds.length; i++) {
      const seq = seqs[i] as number;
      seqs[i] = seq + 1;
      this.#outbox.push({ outbound: outbounds[i] as Outbound, envelope: { seq, t, payload } });
    }
  }
}

function decodeEnvelope(envelope: Envelope): unknown {
  return envelope.payload.open();
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

function iteratorOf(source: unknown): Iterator<unknown> | AsyncIterator<unknown> {
  const s = source as { [Symbol.asyncIterator]?: () => AsyncIterator<unknown>; [Symbol.iterator]?: () => Iterator<unknown> } | null;
  const asyncIt = s?.[Symbol.asyncIterator];
  if (typeof asyncIt === "function") return asyncIt.call(s);
  const it = s?.[Symbol.iterator];
  if (typeof it === "function") return it.call(s);
  throw new TypeError("source() must return an iterable or async iterable (write it as a generator function)");
}

/**
 * The outputs a step's result names, in key order: nothing for undefined or null, the defined
 * properties of an object, and FLC3023 for anything else (a number, a boolean, a string).
 */
export function stepOutputs(node: IrNode, result: unknown): [string, unknown][] {
  if (result === undefined || result === null) return [];
  if (typeof result !== "object") {
    const ports = Object.keys(node.outputs).join(", ") || "none";
    const shown = typeof result === "string" ? JSON.stringify(result.length > 40 ? `${result.slice(0, 37)}...` : result) : String(result);
    throw RuntimeError.of("StepResultInvalid", { node: node.id, value: shown, ports });
  }
  const out: [string, unknown][] = [];
  for (const [port, value] of Object.entries(result)) if (value !== undefined) out.push([port, value]);
  return out;
}

/**
 * `ctx.allocate`: a buffer of `bytes` to fill and emit. Where large payloads travel through
 * shared memory it is a slot (emitting it sends no copy); elsewhere, ordinary memory.
 */
function allocate(slots: SlotLender | undefined, bytes: number): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`allocate(${bytes}): the size must be a whole number of bytes`);
  return slots?.lend(bytes) ?? new Uint8Array(bytes);
}

/** A copy of a typed array or DataView, of the same kind, in memory of its own. */
function copyView(view: ArrayBufferView): ArrayBufferView {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
  if (view instanceof DataView) return new DataView(bytes.buffer);
  const Kind = view.constructor as new (buffer: ArrayBuffer) => ArrayBufferView;
  return new Kind(bytes.buffer);
}

/** Binary payloads that a thread engine may move instead of encoding. */
export function isTransferable(value: unknown): boolean {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}
