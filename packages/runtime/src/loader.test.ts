import type { IrNode } from "@flowc/ir";
import { loadValid, testIr, testSource } from "@flowc/ir/testing";
import { describe, expect, it } from "vitest";
import { loadNode } from "./loader.js";

// A valid node, then pointed elsewhere: the loader must hold even for IR that skipped validation.
const valid = loadValid(testIr([testSource("n")])).nodes[0] as IrNode;
const nodeAt = (module: string): IrNode => ({ ...valid, impl: { module, export: "N" } }) as IrNode;

describe("loadNode", () => {
  it("imports only regular JavaScript files: never a device, a directory or another kind of file", async () => {
    for (const [module, detail] of [
      ["/dev/zero", "a node module is a .js, .mjs or .cjs file"],
      ["/tmp", "a node module is a .js, .mjs or .cjs file"],
      ["nowhere/nothing.mjs", "the file does not exist"],
    ] as const) {
      await expect(loadNode(nodeAt(module), "/tmp")).rejects.toMatchObject({
        diagnostic: { code: "FLC3010", message: expect.stringContaining(detail) },
      });
    }
  });
});
