import { RuntimeError } from "@flowc/runtime";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killAllNatsServers, type NatsServerHandle, skipNatsTests, startNatsServer } from "../../../../tests/helpers/nats-server.js";
import { Membership } from "./membership.js";

const TIMINGS = { heartbeatMs: 100, lostAfterMs: 600 };
let server: NatsServerHandle;
const connections: NatsConnection[] = [];
let n = 0;

beforeAll(async () => {
  if (skipNatsTests) return;
  server = await startNatsServer();
}, 30_000);

afterAll(async () => {
  await Promise.all(connections.map((c) => c.close().catch(() => {})));
  await killAllNatsServers();
});

async function member(cluster: string, machine: string): Promise<Membership> {
  const nc = await connect({ servers: server.url });
  connections.push(nc);
  return Membership.join(
    nc,
    cluster,
    { machine, daemon: `d${++n}`, version: "test", protocol: 1, startedAt: new Date().toISOString() },
    TIMINGS,
  );
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const limit = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > limit) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(skipNatsTests)("Membership", () => {
  it("machines see each other; a silent one is lost once, a leaving one is gone, not lost", async () => {
    const a = await member("m1", "a");
    const b = await member("m1", "b");
    const c = await member("m1", "c");
    await until(() => a.up().size === 3);
    const lost: string[] = [];
    a.onLost((machine, detail) => lost.push(`${machine}: ${detail}`));
    await b.close(false);
    await until(() => lost.length === 1);
    expect(lost[0]).toMatch(/^b: its daemon sent no heartbeat for 0\.[6-9]|^b: its daemon sent no heartbeat for [1-9]/);
    expect(a.isUp("b")).toBe(false);
    expect(a.machines().find((m) => m.machine === "b")?.up).toBe(false);
    await c.close(true);
    await until(() => !a.machines().some((m) => m.machine === "c"));
    await new Promise((r) => setTimeout(r, TIMINGS.lostAfterMs * 2));
    expect(lost).toHaveLength(1);
    await a.close(true);
  });

  it("a daemon whose own event loop stalls does not take the others for lost", async () => {
    const a = await member("m2", "a");
    const b = await member("m2", "b");
    await until(() => a.up().size === 2);
    const lost: string[] = [];
    a.onLost((machine) => lost.push(machine));
    // Both live in this process: a synchronous stall silences b and blinds a alike.
    const end = performance.now() + 3 * TIMINGS.lostAfterMs;
    while (performance.now() < end) {
      // busy: nothing else runs
    }
    await new Promise((r) => setTimeout(r, TIMINGS.lostAfterMs * 2));
    expect(lost).toEqual([]);
    await a.close(true);
    await b.close(true);
  });

  it("refuses a live machine id (FLC3213) and takes over a dead one's", async () => {
    const first = await member("m3", "x");
    const error = await member("m3", "x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).diagnostic.code).toBe("FLC3213");
    // Dead without leaving: its key stays, its heartbeats stop; a successor takes the id over.
    await first.close(false);
    const successor = await member("m3", "x");
    expect(successor.self).toBe("x");
    await successor.close(true);
  });
});
