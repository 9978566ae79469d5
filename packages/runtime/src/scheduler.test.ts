import { describe, expect, it } from "vitest";
import { type LocalScheduler, runExecutorLoop, type Waiter } from "./scheduler.js";

/**
 * An executor loop over a scripted scheduler and a blocking waiter (as on threads), logging the
 * order of steps, sleeps and event-loop turns. `arrivals[i]` says whether the i-th sleep is
 * ended by a message (the doorbell moves) rather than by its timeout.
 */
async function script(steps: number, arrivals: readonly boolean[]): Promise<string[]> {
  const log: string[] = [];
  let bell = 0;
  let sleeps = 0;
  let work = 1; // the first step runs at once, then one per message
  let stop = false;
  const scheduler = {
    deadline: undefined,
    hosts: [],
    async runOne(): Promise<boolean> {
      if (work === 0 || steps === 0) return false;
      work--;
      steps--;
      log.push("step");
      // Long enough that a turn would be due by the 1 ms rule.
      const until = performance.now() + 2;
      while (performance.now() < until) {}
      return true;
    },
    settled: () => false,
    allEnded: () => false,
    nextWakeAt: () => undefined,
    awaitingPool: () => false,
  } as unknown as LocalScheduler;
  const waiter: Waiter = {
    token: () => bell,
    wait: (_token, _timeoutMs) => {
      const message = arrivals[sleeps++] === true;
      log.push(message ? "sleep, woken by a message" : "sleep, timed out");
      if (message) {
        bell++;
        work++;
      }
      if (sleeps >= arrivals.length) stop = true;
    },
  };
  // A turn of the event loop shows as "turn" wherever the loop yields to it.
  let watching = true;
  const watch = () => {
    if (!watching) return;
    log.push("turn");
    setImmediate(watch);
  };
  setImmediate(watch);
  const outcome = await runExecutorLoop(scheduler, { now: () => 0, waiter, stopRequested: () => stop, turnEveryMs: 60_000 });
  watching = false;
  expect(outcome).toBe("stopped");
  return log;
}

describe("the executor loop", () => {
  it("sleeps right after a step, and gives the event loop its turn after a sleep that timed out", async () => {
    expect(await script(1, [false])).toEqual(["step", "sleep, timed out", "turn"]);
  });

  it("goes on to the next step without a turn when a message ended the sleep", async () => {
    expect(await script(3, [true, true, false])).toEqual([
      "step",
      "sleep, woken by a message",
      "step",
      "sleep, woken by a message",
      "step",
      "sleep, timed out",
      "turn",
    ]);
  });
});
