import { describe, expect, it } from "vitest";
import type { DriveState, RunResult } from "./contract.js";
import { DrivenExecution } from "./driven.js";

/** An execution whose units of work the test controls. */
class Scripted extends DrivenExecution {
  #result: RunResult | undefined;
  calls = 0;
  concurrent = 0;
  maxConcurrent = 0;
  constructor(private readonly unit: (n: number) => Promise<DriveState>) {
    super();
  }
  get result(): RunResult | undefined {
    return this.#result;
  }
  async start(): Promise<void> {}
  async stop(): Promise<RunResult> {
    return this.#result as RunResult;
  }
  kill(): void {}
  end(status: RunResult["status"]): void {
    this.#result = {
      flow: "f",
      runtime: "t",
      status,
      reason: "completed",
      nodes: [],
      durationMs: 0,
      logicalDurationMs: null,
      peakMemoryBytes: 0,
    };
  }
  protected async work(): Promise<DriveState> {
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      return await this.unit(++this.calls);
    } finally {
      this.concurrent--;
    }
  }
}

describe("DrivenExecution", () => {
  it("wait drives until the result, one unit of work at a time", async () => {
    const e: Scripted = new Scripted(async (n) => {
      await new Promise((r) => setTimeout(r, 1));
      if (n === 5) e.end("succeeded");
      return n === 5 ? "shutdown" : "continue";
    });
    const [a, b] = await Promise.all([e.wait(), e.wait()]);
    expect(a?.status).toBe("succeeded");
    expect(b).toBe(a);
    expect(e.calls).toBe(5);
    expect(e.maxConcurrent).toBe(1);
  });

  it("a second drive while one runs gets the same promise", async () => {
    const e = new Scripted(() => new Promise((r) => setTimeout(() => r("continue"), 5)));
    expect(e.drive()).toBe(e.drive());
  });

  it("wait returns at its timeout even when a unit of work never ends", async () => {
    const e = new Scripted(() => new Promise<DriveState>(() => {}));
    const started = performance.now();
    expect(await e.wait({ timeoutMs: 50 })).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("a unit of work that throws rejects wait", async () => {
    const e = new Scripted(async () => {
      throw new Error("the connection closed");
    });
    await expect(e.wait({ timeoutMs: 1000 })).rejects.toThrow("the connection closed");
  });
});
