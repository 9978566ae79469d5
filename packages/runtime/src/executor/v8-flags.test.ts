import { describe, expect, it } from "vitest";
import { applyFlowV8Flags, FLOW_V8_FLAGS } from "./v8-flags.js";

describe("flowc's V8 flags", () => {
  it("lower V8's tier-up budget", () => {
    expect(FLOW_V8_FLAGS).toEqual(["--interrupt-budget=16384"]);
  });

  it("leave a flag the process's command line sets, in either spelling", () => {
    expect(applyFlowV8Flags(["--interrupt-budget=67584"])).toEqual([]);
    expect(applyFlowV8Flags(["--no-warnings", "--interrupt_budget=1000"])).toEqual([]);
  });

  it("apply the others", () => {
    expect(applyFlowV8Flags(["--no-warnings", "--interrupt-budget-factor-for-feedback-allocation=8"])).toEqual([...FLOW_V8_FLAGS]);
  });
});
