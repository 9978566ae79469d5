import { describe, expect, it } from "vitest";
import { ClockState, tickTime } from "./clock.js";
import { RuntimeError } from "./errors.js";

describe("ClockState", () => {
  it("rate: ticks at 0, 1/hz, 2/hz, … phase-locked", () => {
    const c = new ClockState({ kind: "rate", hz: 10, onLag: "warn" });
    expect(c.poll(0, [])).toEqual({ tick: true, ports: [] });
    c.consumeTick(0, "n");
    expect(c.nextTickAt()).toBe(100);
    expect(c.poll(99.9, [])).toBeUndefined();
    expect(c.poll(100, ["x"])).toEqual({ tick: true, ports: ["x"] });
    c.consumeTick(130, "n"); // late, but less than a period: the next tick stays at 200
    expect(c.nextTickAt()).toBe(200);
  });

  it("rate lag policies: warn and drop skip missed ticks, catchUp runs them, error fails", () => {
    const warn = new ClockState({ kind: "rate", hz: 10, onLag: "warn" });
    warn.consumeTick(0, "n");
    expect(warn.consumeTick(450, "n")).toEqual({ missed: 3, lagMs: 350 });
    expect(warn.nextTickAt()).toBe(500);
    expect(warn.consumeTick(900, "n")).toBeUndefined(); // warns at most once per second
    const drop = new ClockState({ kind: "rate", hz: 10, onLag: "drop" });
    drop.consumeTick(0, "n");
    expect(drop.consumeTick(450, "n")).toBeUndefined();
    expect(drop.nextTickAt()).toBe(500);
    const catchUp = new ClockState({ kind: "rate", hz: 10, onLag: "catchUp" });
    catchUp.consumeTick(0, "n");
    catchUp.consumeTick(450, "n");
    expect(catchUp.nextTickAt()).toBe(200);
    const error = new ClockState({ kind: "rate", hz: 10, onLag: "error" });
    error.consumeTick(0, "n");
    expect(() => error.consumeTick(450, "n")).toThrow(RuntimeError);
    try {
      error.consumeTick(900, "n");
    } catch (e) {
      expect((e as RuntimeError).diagnostic.code).toBe("FLC3030");
    }
  });

  it("trigger fires only for its ports; hybrid for ticks or ports; free always", () => {
    const t = new ClockState({ kind: "trigger", on: ["a"] });
    expect(t.poll(5, ["b"])).toBeUndefined();
    expect(t.poll(5, ["a", "b"])).toEqual({ tick: false, ports: ["a", "b"] });
    expect(t.nextTickAt()).toBeUndefined();
    const h = new ClockState({ kind: "hybrid", hz: 2, onLag: "warn", on: ["a"] });
    expect(h.poll(0, [])).toEqual({ tick: true, ports: [] });
    h.consumeTick(0, "n");
    expect(h.poll(10, [])).toBeUndefined();
    expect(h.poll(10, ["a"])).toEqual({ tick: false, ports: ["a"] });
    expect(new ClockState({ kind: "free" }).poll(0, [])).toEqual({ tick: false, ports: [] });
  });

  it("tick times are k · 1000 / hz, never a sum of intervals: rate(3) reaches 2000 exactly", () => {
    expect(tickTime(6, 3)).toBe(2000);
    let summed = 0;
    for (let k = 0; k < 6; k++) summed += 1000 / 3;
    expect(summed).toBeLessThan(2000); // what adding intervals gives: a seventh step before 2 s

    const c = new ClockState({ kind: "rate", hz: 3, onLag: "warn" });
    const steps: number[] = [];
    for (let now = c.nextTickAt() as number; now < 2000; now = c.nextTickAt() as number) {
      steps.push(now);
      c.consumeTick(now, "n");
    }
    // Six steps in 2 s, the last at 1666.67: no step at or after the duration.
    expect(steps).toHaveLength(6);
    expect(c.nextTickAt()).toBe(2000);
  });

  it("on a logical clock, a step that really ran longer than its period makes the node late", () => {
    const error = new ClockState({ kind: "rate", hz: 10, onLag: "error" });
    error.consumeTick(0, "n");
    error.ranUntil(250); // the step at 0 took 250 ms of real time
    expect(() => error.consumeTick(100, "n")).toThrow(/FLC3030|behind its schedule/);
    const warn = new ClockState({ kind: "rate", hz: 10, onLag: "warn" });
    warn.consumeTick(0, "n");
    warn.ranUntil(250);
    expect(warn.consumeTick(100, "n")).toEqual({ missed: 1, lagMs: 150 });
    expect(warn.nextTickAt()).toBe(300);
    const quick = new ClockState({ kind: "rate", hz: 10, onLag: "error" });
    quick.consumeTick(0, "n");
    quick.ranUntil(0.2);
    expect(quick.consumeTick(100, "n")).toBeUndefined();
  });
});
