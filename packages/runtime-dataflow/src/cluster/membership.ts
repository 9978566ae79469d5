import { hostname } from "node:os";
import { RuntimeError } from "@flowc/runtime";
import { type KV, type KvEntry, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";

/** What a daemon publishes about itself under its machine id, refreshed on every heartbeat. */
export interface MachineRecord {
  readonly machine: string;
  /** This daemon's own random id: tells a live owner of the machine id from a successor. */
  readonly daemon: string;
  readonly pid: number;
  readonly host: string;
  readonly version: string;
  readonly protocol: number;
  readonly startedAt: string;
  readonly heartbeatAt: string;
}

/** One machine as this daemon sees it. */
export interface MachineView extends MachineRecord {
  readonly up: boolean;
  /** Milliseconds since this daemon last saw its heartbeat. */
  readonly lastSeenMs: number;
  readonly self: boolean;
}

export interface MembershipTimings {
  /** How often a daemon refreshes its record. */
  readonly heartbeatMs: number;
  /** A machine whose record was not refreshed for this long (while we were connected) is lost. */
  readonly lostAfterMs: number;
}

export const DEFAULT_TIMINGS: MembershipTimings = { heartbeatMs: 500, lostAfterMs: 2_500 };

type Listener = (machine: string, detail: string) => void;

/**
 * The cluster's machines, without a coordinator. A daemon claims its machine id in a JetStream
 * KV bucket with compare-and-swap (one key per machine: two live daemons cannot share an id)
 * and then publishes its record as a heartbeat on plain NATS (`flowc.<cluster>.hb.<machine>`),
 * which every daemon subscribes to. Liveness does not depend on JetStream (a stream leader
 * re-elected after a server died would stall KV writes for seconds) and is judged on this
 * daemon's own clock — when it last *saw* a heartbeat — so clocks of other machines do not
 * matter; nor does a NATS outage make every machine look dead: the silence must last
 * `lostAfterMs` while this daemon is connected.
 */
export class Membership {
  readonly #kv: KV;
  readonly #nc: NatsConnection;
  readonly #subject: string;
  readonly #timings: MembershipTimings;
  #record: MachineRecord;
  readonly #records = new Map<string, MachineRecord>();
  readonly #seenAt = new Map<string, number>();
  readonly #lost = new Set<string>();
  #connectedAt = performance.now();
  /** When the last judgement ran: a long gap means this daemon itself was stalled. */
  #judgedAt = performance.now();
  #connected = true;
  readonly #lostListeners = new Set<Listener>();
  readonly #evicted = new Set<(detail: string) => void>();
  readonly #timers: NodeJS.Timeout[] = [];
  #closed = false;
  #unsubscribe: (() => void) | undefined;

  private constructor(nc: NatsConnection, kv: KV, cluster: string, record: MachineRecord, timings: MembershipTimings) {
    this.#nc = nc;
    this.#kv = kv;
    this.#subject = `flowc.${cluster}.hb`;
    this.#record = record;
    this.#timings = timings;
  }

  /** Registers `machine` (FLC3213 when a live daemon holds it) and starts heartbeats and listening to the others'. */
  static async join(
    nc: NatsConnection,
    cluster: string,
    self: Omit<MachineRecord, "heartbeatAt" | "host" | "pid">,
    timings: MembershipTimings = DEFAULT_TIMINGS,
    replicas = 1,
  ): Promise<Membership> {
    const kv = await new Kvm(nc).create(`flowc-${cluster}-machines`, { history: 1, replicas });
    const record: MachineRecord = { ...self, pid: process.pid, host: hostname(), heartbeatAt: new Date().toISOString() };
    const membership = new Membership(nc, kv, cluster, record, timings);
    membership.#listen();
    await nc.flush();
    await membership.#claim();
    // Machines that registered earlier are judged from now on: silent ones are lost after lostAfterMs.
    for await (const key of await kv.keys()) {
      if (key === record.machine || membership.#records.has(key)) continue;
      const entry = await kv.get(key).catch(() => null);
      const known = entry?.operation === "PUT" ? safeJson(entry) : undefined;
      if (known && !membership.#records.has(key)) {
        membership.#records.set(key, known);
        membership.#seenAt.set(key, performance.now());
      }
    }
    membership.#beat();
    membership.#timers.push(setInterval(() => membership.#beat(), timings.heartbeatMs));
    membership.#timers.push(setInterval(() => membership.#judge(), Math.max(50, timings.heartbeatMs / 2)));
    void membership.#followStatus();
    return membership;
  }

  get self(): string {
    return this.#record.machine;
  }

  /** Machine ids whose daemon is up (this one included). */
  up(): Set<string> {
    const up = new Set<string>([this.self]);
    for (const m of this.#records.keys()) if (!this.#lost.has(m)) up.add(m);
    return up;
  }

  isUp(machine: string): boolean {
    return machine === this.self || (this.#records.has(machine) && !this.#lost.has(machine));
  }

  machines(): MachineView[] {
    const now = performance.now();
    const self: MachineView = { ...this.#record, up: true, lastSeenMs: 0, self: true };
    const others = [...this.#records.values()]
      .filter((r) => r.machine !== this.self)
      .map((r) => ({
        ...r,
        up: !this.#lost.has(r.machine),
        lastSeenMs: Math.round(now - (this.#seenAt.get(r.machine) ?? now)),
        self: false,
      }));
    return [self, ...others].sort((a, b) => a.machine.localeCompare(b.machine));
  }

  /** Called once per loss of a machine (it may come back and be lost again). */
  onLost(listener: Listener): () => void {
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  /** Another daemon took this machine id over (this one was presumed dead). */
  onEvicted(listener: (detail: string) => void): void {
    this.#evicted.add(listener);
  }

  /** Heartbeats of every machine (and of a rival for our own id, while claiming or after). */
  #listen(): void {
    const sub = this.#nc.subscribe(`${this.#subject}.*`, {
      callback: (error, msg) => {
        if (error) return;
        let record: (MachineRecord & { leaving?: boolean }) | undefined;
        try {
          record = msg.json<MachineRecord & { leaving?: boolean }>();
        } catch {
          return;
        }
        this.#saw(record);
      },
    });
    this.#unsubscribe = () => sub.unsubscribe();
  }

  /** A rival heard while claiming: a live daemon with our machine id. */
  #rival: MachineRecord | undefined;

  #saw(record: MachineRecord & { leaving?: boolean }): void {
    if (record.machine === this.self) {
      if (record.daemon === this.#record.daemon) return;
      this.#rival = record;
      if (this.#timers.length > 0 && !this.#closed) {
        // Someone claimed our id while we could not be heard: it presumed us dead.
        this.#closed = true;
        for (const t of this.#timers) clearInterval(t);
        for (const listener of this.#evicted) listener(`machine id '${this.self}' was taken over by pid ${record.pid} on ${record.host}`);
      }
      return;
    }
    if (record.leaving) {
      // A daemon that left on purpose: gone, not lost.
      this.#records.delete(record.machine);
      this.#seenAt.delete(record.machine);
      this.#lost.delete(record.machine);
      return;
    }
    this.#records.set(record.machine, record);
    this.#seenAt.set(record.machine, performance.now());
    this.#lost.delete(record.machine);
  }

  /**
   * Creates the machine's key, or takes it over from a dead daemon: one not heard for
   * `lostAfterMs`. A daemon heard meanwhile is alive: FLC3213.
   */
  async #claim(): Promise<void> {
    const record = this.#record;
    const value = JSON.stringify(record);
    try {
      await this.#kv.create(record.machine, value);
      return;
    } catch {
      // The key exists: listen whether its owner is alive.
    }
    const limit = performance.now() + this.#timings.lostAfterMs;
    while (performance.now() < limit && !this.#rival) await new Promise((r) => setTimeout(r, 50));
    const entry = await this.#kv.get(record.machine);
    const rival = this.#rival ?? undefined;
    if (!rival) {
      try {
        if (entry?.operation !== "PUT") await this.#kv.create(record.machine, value);
        else await this.#kv.update(record.machine, value, entry.revision);
        return;
      } catch {
        // Another daemon claimed it in the meantime.
      }
    }
    const owner = rival ?? (entry ? safeJson(entry) : undefined);
    throw RuntimeError.of("MachineIdTaken", { machine: record.machine, pid: String(owner?.pid ?? "?"), host: owner?.host ?? "?" });
  }

  #judge(): void {
    if (!this.#connected || this.#closed) return;
    const now = performance.now();
    // This daemon's own event loop stalled (a long synchronous task, a loaded machine): it
    // could not hear anyone meanwhile, so the others get a fresh grace period from now.
    if (now - this.#judgedAt > Math.max(1_000, this.#timings.lostAfterMs / 2)) this.#connectedAt = now;
    this.#judgedAt = now;
    for (const machine of this.#records.keys()) {
      if (this.#lost.has(machine)) continue;
      const seen = this.#seenAt.get(machine) ?? now;
      if (now - Math.max(seen, this.#connectedAt) <= this.#timings.lostAfterMs) continue;
      this.#lost.add(machine);
      const detail = `its daemon sent no heartbeat for ${((now - seen) / 1000).toFixed(1)} s`;
      for (const listener of this.#lostListeners) listener(machine, detail);
    }
  }

  #beat(): void {
    if (this.#closed) return;
    this.#record = { ...this.#record, heartbeatAt: new Date().toISOString() };
    try {
      this.#nc.publish(`${this.#subject}.${this.self}`, JSON.stringify(this.#record));
    } catch {
      // Disconnected: the client buffers nothing for a closed connection; the next beat retries.
    }
  }

  async #followStatus(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (s.type === "disconnect") this.#connected = false;
      else if (s.type === "reconnect") {
        this.#connected = true;
        this.#connectedAt = performance.now();
      }
    }
  }

  /** Stops heartbeats; `leave` also removes the machine's key and tells the others (it is gone, not lost). */
  async close(leave: boolean): Promise<void> {
    const wasClosed = this.#closed;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#unsubscribe?.();
    if (!leave || wasClosed) return;
    try {
      this.#nc.publish(`${this.#subject}.${this.self}`, JSON.stringify({ ...this.#record, leaving: true }));
    } catch {
      // Disconnected: the others will see the silence instead.
    }
    const entry = await this.#kv.get(this.self).catch(() => null);
    const mine = entry?.operation === "PUT" && safeJson(entry)?.daemon === this.#record.daemon;
    if (entry && mine) await this.#kv.delete(this.self, { previousSeq: entry.revision }).catch(() => {});
  }
}

function safeJson(entry: KvEntry): MachineRecord | undefined {
  try {
    return entry.json<MachineRecord>();
  } catch {
    return undefined;
  }
}
