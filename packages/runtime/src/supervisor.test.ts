import type { Ir } from "@flowc/ir";
import { chainIr, loadValid, testChannel, testIr, testNode, testSource } from "@flowc/ir/testing";
import { describe, expect, it } from "vitest";
import type { NodeError, RuntimeEvent, StopReason } from "./contract.js";
import { EventBus } from "./events.js";
import { RunSupervisor } from "./supervisor.js";
import { emptyReport } from "./usage.js";

function supervise(ir: Ir) {
  const events: RuntimeEvent[] = [];
  const stops: [StopReason, string][] = [];
  const bus = new EventBus<RuntimeEvent>();
  bus.subscribe((e) => events.push(e));
  const supervisor = new RunSupervisor(ir, "test", bus, (reason, detail) => stops.push([reason, detail]));
  supervisor.markStarted();
  return { supervisor, events, stops };
}

const error = (nodeId: string): NodeError => ({ nodeId, message: "boom", stack: null, code: null });

describe("RunSupervisor", () => {
  it("stops the run for the first failure under onError stop, once; downstream never-run nodes are SKIPPED", () => {
    const { supervisor, stops } = supervise(loadValid(chainIr()));
    supervisor.nodeStarted("counter");
    supervisor.nodeStarted("plus10");
    supervisor.nodeEnded("double", "FAILED", error("double"));
    supervisor.nodeEnded("counter", "FAILED", error("counter"));
    expect(stops).toEqual([["failure", "node 'double' failed: boom"]]);
    expect(supervisor.failedNode).toBe("double");
    // counter's own report says FAILED; double is never reported (its executor is gone): its ending stands.
    supervisor.settle(emptyReport("counter", "FAILED", error("counter")));
    for (const id of ["plus10", "sink"]) supervisor.settle(emptyReport(id, "STOPPED", null));
    const result = supervisor.result(1);
    expect(result.status).toBe("failed");
    expect(result.reason).toBe("failure");
    expect(result.nodes.map((n) => [n.id, n.status])).toEqual([
      ["counter", "FAILED"],
      ["double", "FAILED"],
      // plus10 started a step: STOPPED, not SKIPPED.
      ["plus10", "STOPPED"],
      ["sink", "SKIPPED"],
    ]);
    expect(result.nodes[2]?.cause).toBe("the run stopped because node 'double' failed");
    expect(result.nodes[3]?.cause).toBe("upstream node 'double' failed");
  });

  it("an isolated failure does not stop the run; the last node to end completes it", () => {
    const ir = loadValid(
      testIr(
        [testSource("a"), testNode("b", { onError: "isolate" }), testNode("c", { outputs: {} })],
        [testChannel("a.value", "b.value"), testChannel("b.value", "c.value")],
      ),
    );
    const { supervisor, stops } = supervise(ir);
    supervisor.nodeEnded("b", "FAILED", error("b"));
    expect(stops).toEqual([]);
    supervisor.nodeEnded("a", "SUCCEEDED", null);
    supervisor.nodeEnded("c", "SUCCEEDED", null);
    expect(stops).toEqual([["completed", "every node finished"]]);
    for (const id of ["a", "b", "c"])
      supervisor.settle({ ...emptyReport(id, id === "b" ? "FAILED" : "SUCCEEDED", id === "b" ? error("b") : null), steps: 2 });
    const result = supervisor.result(1);
    expect(result.status).toBe("succeeded");
    expect(result.nodes.map((n) => n.status)).toEqual(["SUCCEEDED", "FAILED", "SUCCEEDED"]);
  });

  it("the first stop reason wins; STOPPED and SKIPPED endings wait for the report", () => {
    const { supervisor, stops, events } = supervise(loadValid(chainIr()));
    expect(supervisor.requestStop("duration", "the duration of 1 s was reached")).toBe(true);
    expect(supervisor.requestStop("signal", "interrupted")).toBe(false);
    supervisor.nodeEnded("counter", "STOPPED", null);
    expect(supervisor.hasEnded("counter")).toBe(false);
    supervisor.settle(emptyReport("counter", "STOPPED", null));
    expect(supervisor.hasEnded("counter")).toBe(true);
    const result = supervisor.result(1);
    expect(stops).toEqual([["duration", "the duration of 1 s was reached"]]);
    expect(result.status).toBe("stopped");
    expect(result.nodes.every((n) => n.status === "STOPPED" && n.cause === "the run stopped (duration)")).toBe(true);
    expect(events.filter((e) => e.type === "stopping")).toHaveLength(1);
  });
});
