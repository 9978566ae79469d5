import { type KV, type KvEntry, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { DataflowSummary } from "../daemon/protocol.js";

/**
 * The cluster's dataflows, in a JetStream KV bucket (key: dataflow id): each supervising daemon
 * writes its dataflows' summaries when they start, run and end, and every daemon keeps a
 * watched copy. So any daemon can list every dataflow and find which daemon supervises one, and
 * a restarted daemon has the whole view back at once — no coordinator holds it.
 */
export class Registry {
  readonly #kv: KV;
  readonly #entries = new Map<string, { summary: DataflowSummary; revision: number }>();
  #stop: (() => void) | undefined;

  private constructor(kv: KV) {
    this.#kv = kv;
  }

  static async open(nc: NatsConnection, cluster: string, replicas = 1): Promise<Registry> {
    const registry = new Registry(await new Kvm(nc).create(`flowc-${cluster}-dataflows`, { history: 1, replicas }));
    // The whole view before this daemon answers anything; the watch keeps it current.
    for await (const key of await registry.#kv.keys()) {
      const entry = await registry.#kv.get(key).catch(() => null);
      if (entry) registry.#saw(entry);
    }
    const iter = await registry.#kv.watch();
    registry.#stop = () => iter.stop();
    void (async () => {
      for await (const entry of iter) registry.#saw(entry);
    })().catch(() => {});
    return registry;
  }

  #saw(entry: KvEntry): void {
    if (entry.operation !== "PUT") {
      this.#entries.delete(entry.key);
      return;
    }
    try {
      this.#entries.set(entry.key, { summary: entry.json<DataflowSummary>(), revision: entry.revision });
    } catch {
      // A value no flowc wrote: not a dataflow.
    }
  }

  /** Records (or updates) a dataflow this daemon supervises. */
  async put(summary: DataflowSummary): Promise<void> {
    const revision = await this.#kv.put(summary.id, JSON.stringify(summary)).catch(() => undefined);
    if (revision !== undefined) this.#entries.set(summary.id, { summary, revision });
  }

  list(): DataflowSummary[] {
    return [...this.#entries.values()].map((e) => e.summary);
  }

  /** A dataflow by id, unique id prefix, or name (the newest with it). */
  find(ref: string): DataflowSummary | undefined {
    const all = this.list();
    const byId = all.find((d) => d.id === ref);
    if (byId) return byId;
    const byName = all.filter((d) => d.name === ref).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    if (byName) return byName;
    const prefix = ref.length >= 4 ? all.filter((d) => d.id.startsWith(ref)) : [];
    return prefix.length === 1 ? prefix[0] : undefined;
  }

  /**
   * `machine` was lost: the dataflows it supervised and had not ended are recorded as failed,
   * with compare-and-swap so a record its daemon wrote meanwhile is not overwritten.
   */
  async supervisorLost(machine: string): Promise<void> {
    for (const [id, { summary, revision }] of this.#entries) {
      if (summary.machine !== machine || summary.endedAt !== null) continue;
      const failed: DataflowSummary = { ...summary, status: "failed", endedAt: new Date().toISOString() };
      await this.#kv.update(id, JSON.stringify(failed), revision).catch(() => {});
    }
  }

  close(): void {
    this.#stop?.();
  }
}
