import type { Ir } from "@flowc/ir";
import { chainIr, loadValid, testChannel, testIr, testNode, testSource } from "@flowc/ir/testing";
import { describe, expect, it } from "vitest";
import type { RuntimeEvent } from "../contract.js";
import type { FromExecutor, ToExecutor } from "../executor/protocol.js";
import { emptyReport } from "../usage.js";
import { ExecutorGroup, type GroupEngine, type LadderStage, type Member, processLadder, threadLadder } from "./group.js";
import type { ExitInfo, KillAction, LaunchedExecutor, LaunchHandlers } from "./launch.js";

/** An executor the test plays: it records what the group sends it and says what the test tells it to. */
class FakeExecutor implements LaunchedExecutor {
  readonly kind = "process";
  readonly ownMemory = true;
  readonly posted: (ToExecutor | object)[] = [];
  readonly kills: KillAction[] = [];
  stderr = "";
  gone = false;
  /** Ends when it receives stop (by reporting), like a well-behaved executor; false: it hangs. */
  obeysStop = true;
  /** Dies on SIGTERM (the default action); false: it ignores SIGTERM. */
  diesOnTerm = true;

  constructor(
    readonly member: Member,
    readonly pid: number,
    private readonly handlers: LaunchHandlers,
  ) {}

  post(message: ToExecutor | object): void {
    this.posted.push(message);
    if ((message as ToExecutor).type === "connect") setImmediate(() => this.send({ type: "ready" }));
    if ((message as ToExecutor).type === "stop" && this.obeysStop) {
      setImmediate(() => {
        this.send({
          type: "done",
          reports: this.member.nodes.map((id) => ({ ...emptyReport(id, "STOPPED", null), peakMemoryBytes: 1000 })),
          channels: {},
        });
        this.exit({ code: 0, signal: null, error: null });
      });
    }
  }

  kill(action: KillAction): boolean {
    if (this.gone) return false;
    this.kills.push(action);
    if (action !== "SIGTERM" || this.diesOnTerm)
      setImmediate(() => this.exit({ code: null, signal: action === "terminate" ? "SIGKILL" : action, error: null }));
    return true;
  }

  retire(): void {}

  stderrTail(lines = 5): string {
    return this.stderr.trim().split("\n").slice(-lines).join("\n");
  }

  send(message: FromExecutor): void {
    if (!this.gone) this.handlers.onMessage(message);
  }

  exit(info: ExitInfo): void {
    if (this.gone) return;
    this.gone = true;
    this.handlers.onExit(info);
  }

  /** Listens at once; reports ready once told to connect. */
  comeUp(): this {
    setImmediate(() => this.send({ type: "listening" }));
    return this;
  }
}

interface Harness {
  group: ExecutorGroup;
  launched: FakeExecutor[];
  events: RuntimeEvent[];
}

async function harness(
  ir: Ir,
  options: { ladder?: (graceMs: number) => readonly LadderStage[]; graceMs?: number; durationMs?: number } = {},
  engine: Partial<GroupEngine> = {},
  configure: (executor: FakeExecutor) => void = () => {},
): Promise<Harness> {
  const launched: FakeExecutor[] = [];
  let pid = 1000;
  const group = new ExecutorGroup(
    {
      runtime: "test",
      mode: "fake",
      ir,
      members: ir.nodes.map((n, index) => ({ index, nodes: [n.id] })),
      handshake: true,
      durationMs: options.durationMs,
      graceMs: options.graceMs ?? 50,
      ladder: options.ladder ?? processLadder,
    },
    {
      launch: (member: Member, _restart: boolean, handlers: LaunchHandlers) => {
        const executor = new FakeExecutor(member, pid++, handlers);
        configure(executor);
        launched.push(executor.comeUp());
        return executor;
      },
      ...engine,
    },
  );
  const events: RuntimeEvent[] = [];
  group.events.subscribe((e) => events.push(e));
  await group.bringUp();
  return { group, launched, events };
}

const chain = () => loadValid(chainIr());

describe("ExecutorGroup", () => {
  it("holds every executor at the start barrier: connect only when all listen, start with one epoch", async () => {
    const { group, launched } = await harness(chain());
    for (const e of launched) expect(e.posted.map((m) => (m as ToExecutor).type)).toEqual(["connect"]);
    await group.start();
    const epochs = launched.map((e) => (e.posted.at(-1) as { epoch: number }).epoch);
    expect(new Set(epochs).size).toBe(1);
    void group.stop({ graceMs: 10 });
    const result = await group.wait({ timeoutMs: 5000 });
    expect(result?.status).toBe("stopped");
    expect(result?.reason).toBe("request");
  });

  it("turns an executor's death into FLC3040 naming its node, with the exit status and the end of its stderr", async () => {
    const { group, launched, events } = await harness(chain());
    await group.start();
    const dying = launched[1] as FakeExecutor;
    dying.stderr = "first line\nTypeError: x is not a function\n";
    dying.exit({ code: 3, signal: null, error: null });
    const result = await group.wait({ timeoutMs: 5000 });
    expect(result?.status).toBe("failed");
    const double = result?.nodes.find((n) => n.id === "double");
    expect(double?.status).toBe("FAILED");
    expect(double?.error).toMatchObject({ nodeId: "double", code: "FLC3040" });
    expect(double?.error?.message).toContain("exit code 3");
    expect(double?.error?.message).toContain("TypeError: x is not a function");
    // Downstream never stepped: SKIPPED; the rest STOPPED.
    expect(result?.nodes.map((n) => n.status)).toEqual(["STOPPED", "FAILED", "SKIPPED", "SKIPPED"]);
    expect(events.filter((e) => e.type === "stopping")).toHaveLength(1);
  });

  it("names an executor that dies before the start barrier (FLC3207), and leaves nothing running", async () => {
    const launched: FakeExecutor[] = [];
    const group = new ExecutorGroup(
      {
        runtime: "test",
        mode: "fake",
        ir: chain(),
        members: [0, 1, 2, 3].map((i) => ({ index: i, nodes: [chain().nodes[i]?.id as string] })),
        handshake: true,
        durationMs: undefined,
        graceMs: 50,
        ladder: processLadder,
      },
      {
        launch: (member, _restart, handlers) => {
          const e = new FakeExecutor(member, 1, handlers);
          launched.push(e);
          if (member.index === 2) {
            e.stderr = "Error: cannot open /dev/camera\n";
            setImmediate(() => e.exit({ code: 1, signal: null, error: null }));
          } else e.comeUp();
          return e;
        },
      },
    );
    const error = await group.bringUp().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ diagnostic: { code: "FLC3207" }, nodeId: "plus10" });
    expect((error as Error).message).toContain("exit code 1; stderr: Error: cannot open /dev/camera");
    expect(launched.every((e) => e.gone)).toBe(true);
  });

  it("a node that cannot be brought up keeps its own code inside FLC3043", async () => {
    const group = new ExecutorGroup(
      {
        runtime: "test",
        mode: "fake",
        ir: chain(),
        members: [{ index: 0, nodes: ["counter", "double", "plus10", "sink"] }],
        handshake: false,
        durationMs: undefined,
        graceMs: 50,
        ladder: threadLadder,
      },
      {
        launch: (member, _restart, handlers) => {
          const e = new FakeExecutor(member, 1, handlers);
          setImmediate(() =>
            e.send({
              type: "bringUpFailed",
              failure: { nodeId: "double", message: "Node 'double': param /k is required.", stack: null, code: "FLC3012" },
            }),
          );
          return e;
        },
      },
    );
    await expect(group.bringUp()).rejects.toMatchObject({
      nodeId: "double",
      diagnostic: { code: "FLC3043", message: expect.stringContaining("FLC3012 Node 'double'") },
    });
  });

  it("does not stop an executor whose only nodes failed in isolation: it goes on discarding for its producers", async () => {
    const input = chainIr();
    const ir = loadValid({ ...input, nodes: input.nodes.map((n) => (n.id === "double" ? { ...n, onError: "isolate" } : n)) });
    const told: (readonly number[])[] = [];
    const { group, launched } = await harness(ir, { graceMs: 10_000 }, { stopping: (executors) => told.push(executors) });
    await group.start();
    const boom = launched[1] as FakeExecutor;
    boom.send({ type: "ended", node: "double", status: "FAILED", error: { nodeId: "double", message: "boom", stack: null, code: null } });
    for (const [i, id] of [
      [0, "counter"],
      [2, "plus10"],
      [3, "sink"],
    ] as const)
      launched[i]?.send({ type: "ended", node: id, status: "SUCCEEDED", error: null });
    // The others obey their stop; the run waits for the one left.
    expect(await group.wait({ timeoutMs: 300 })).toBeUndefined();
    expect(told).toEqual([[0, 2, 3]]);
    expect(boom.posted.some((m) => (m as ToExecutor).type === "stop")).toBe(false);
    for (const i of [0, 2, 3]) expect(launched[i]?.posted.some((m) => (m as ToExecutor).type === "stop")).toBe(true);
    // It ends once its inputs close, on its own.
    boom.send({ type: "done", reports: [{ ...emptyReport("double", "FAILED", null), peakMemoryBytes: 1000 }], channels: {} });
    boom.exit({ code: 0, signal: null, error: null });
    const result = await group.wait({ timeoutMs: 5000 });
    expect(result?.status).toBe("succeeded");
    expect(result?.nodes.find((n) => n.id === "double")?.status).toBe("FAILED");
  });

  it("climbs the stop ladder: Stop, then after the grace period SIGTERM, then SIGKILL, warning FLC3041 once", async () => {
    const { group, launched, events } = await harness(loadValid(testIr([testSource("a")])), { graceMs: 40 }, {}, (e) => {
      e.obeysStop = false;
      e.diesOnTerm = false;
    });
    await group.start();
    const started = performance.now();
    void group.stop();
    const result = await group.wait({ timeoutMs: 10_000 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(40 + 20 - 5);
    expect(launched[0]?.kills).toEqual(["SIGTERM", "SIGKILL"]);
    expect(result?.nodes[0]?.status).toBe("STOPPED");
    expect(events.filter((e) => e.type === "warning" && e.code === "FLC3041")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: "stopped", clean: false });
  });

  it("a thread ladder terminates after the grace period; kill() skips the grace period", async () => {
    const slow = await harness(loadValid(testIr([testSource("a")])), { ladder: threadLadder, graceMs: 20 }, {}, (e) => {
      e.obeysStop = false;
    });
    await slow.group.start();
    void slow.group.stop();
    await slow.group.wait({ timeoutMs: 5000 });
    expect(slow.launched[0]?.kills).toEqual(["terminate"]);

    const killed = await harness(loadValid(testIr([testSource("a")])), { graceMs: 60_000 }, {}, (e) => {
      e.obeysStop = false;
    });
    await killed.group.start();
    const started = performance.now();
    killed.group.kill();
    const result = await killed.group.wait({ timeoutMs: 10_000 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(killed.launched[0]?.kills).toEqual(["SIGKILL"]);
    expect(result?.reason).toBe("signal");
    expect(killed.events).toContainEqual(
      expect.objectContaining({ type: "warning", code: "FLC3041", message: expect.stringContaining("the run was killed") }),
    );
  });

  it("ends at the duration, and wait() honours its timeout while nothing happens", async () => {
    const { group } = await harness(loadValid(testIr([testSource("a")])), { durationMs: 150 });
    await group.start();
    const started = performance.now();
    expect(await group.wait({ timeoutMs: 30 })).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(2000);
    const result = await group.wait({ timeoutMs: 10_000 });
    expect(result?.reason).toBe("duration");
  });

  it("relaunches an executor the engine's policy asks for, joins it with the same epoch, and sums its incarnations", async () => {
    const ir = loadValid(testIr([testSource("a"), testNode("b", { outputs: {} })], [testChannel("a.value", "b.value")]));
    let restarts = 0;
    const { group, launched } = await harness(
      ir,
      {},
      {
        restartable: (m) => m.nodes[0] === "b",
        restartDelay: (m) => {
          if (m.nodes[0] !== "b" || m.restarts >= 1) return undefined;
          restarts += 1;
          return 5;
        },
      },
    );
    await group.start();
    const first = launched[1] as FakeExecutor;
    const epoch = (first.posted.at(-1) as { epoch: number }).epoch;
    first.send({
      type: "done",
      reports: [{ ...emptyReport("b", "FAILED", { nodeId: "b", message: "x", stack: null, code: null }), steps: 3 }],
      channels: {},
    });
    first.exit({ code: 0, signal: null, error: null });
    while (launched.length < 3) await group.drive();
    // The relaunched executor comes up, starts with the run's epoch, and its producer reconnects.
    while (!launched[2]?.posted.some((m) => (m as ToExecutor).type === "start")) await group.drive();
    const second = launched[2] as FakeExecutor;
    expect((second.posted.find((m) => (m as ToExecutor).type === "start") as { epoch: number }).epoch).toBe(epoch);
    expect(launched[0]?.posted).toContainEqual({ type: "reconnect", index: 1 });
    second.send({
      type: "done",
      reports: [{ ...emptyReport("b", "FAILED", { nodeId: "b", message: "y", stack: null, code: null }), steps: 4 }],
      channels: {},
    });
    second.exit({ code: 0, signal: null, error: null });
    const result = await group.wait({ timeoutMs: 5000 });
    expect(restarts).toBe(1);
    const b = result?.nodes.find((n) => n.id === "b");
    expect(b).toMatchObject({ status: "FAILED", steps: 7, error: { message: "y" } });
    expect(group.members[1]?.restarts).toBe(1);
    // A restartable node's consumers are closed by the group, once it is gone for good.
    expect(result?.status).toBe("failed");
  });

  it("sums the peak memory of executor processes on top of the supervisor's own", async () => {
    const { group } = await harness(chain());
    await group.start();
    const result = await group.stop({ graceMs: 10 });
    expect(result.peakMemoryBytes).toBeGreaterThanOrEqual(process.resourceUsage().maxRSS * 1024 + 4 * 1000 - 1024 * 1024);
  });

  it("makes its socket directory private to the run, and removes those whose owner died", async () => {
    const { spawnSync } = await import("node:child_process");
    const { existsSync, mkdirSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid as number;
    const stale = join(tmpdir(), `flowc-sweeptest-${dead}-abc123`);
    mkdirSync(stale, { recursive: true });
    const group = new ExecutorGroup(
      {
        runtime: "test",
        mode: "fake",
        ir: chain(),
        members: [],
        handshake: false,
        socketDirPrefix: "flowc-sweeptest-",
        durationMs: undefined,
        graceMs: 10,
        ladder: threadLadder,
      },
      { launch: () => ({}) as never },
    );
    expect(existsSync(stale)).toBe(false);
    expect(group.socketDir).toMatch(new RegExp(`flowc-sweeptest-${process.pid}-`));
    await group.bringUp();
    await group.start();
    expect((await group.wait({ timeoutMs: 5000 }))?.status).toBe("succeeded");
    expect(existsSync(group.socketDir as string)).toBe(false);
  });
});
