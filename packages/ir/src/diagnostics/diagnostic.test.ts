import { describe, expect, it } from "vitest";
import { createDiagnostic } from "./diagnostic.js";

describe("createDiagnostic", () => {
  it("a value that ends its own sentence does not get a second period; an ellipsis stays", () => {
    expect(createDiagnostic("BringUpFailed", { runtime: "mp", node: "d", detail: "FLC3012 param /factor must be positive." }).message).toBe(
      "Runtime 'mp' could not bring up node 'd': FLC3012 param /factor must be positive.",
    );
    expect(createDiagnostic("BringUpFailed", { runtime: "mp", node: "d", detail: "it said ..." }).message).toBe(
      "Runtime 'mp' could not bring up node 'd': it said ....",
    );
    expect(createDiagnostic("BringUpFailed", { runtime: "mp", node: "d", detail: "no period" }).message).toBe(
      "Runtime 'mp' could not bring up node 'd': no period.",
    );
  });
});
