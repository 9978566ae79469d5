import { type Ir, loadIr } from "@flowc/ir";
import { describe, expect, it } from "vitest";
import { chainIr } from "../../ir/src/testing/builders.js";
import { toDot, toMermaid } from "./graph-render.js";

function hostile(): Ir {
  const input = structuredClone(chainIr());
  input.name = 'flow: "quoted" <b> \\ back';
  const node = input.nodes[1];
  if (node) {
    node.type = 'Sc"ale<T>';
    node.parallelism = 3;
    node.placement = "gpu-1";
  }
  const result = loadIr(input);
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  return result.ir;
}

describe("graph renderers", () => {
  it("Mermaid: safe ids, escaped labels, a YAML-safe title", () => {
    const text = toMermaid(hostile());
    expect(text.split("\n").slice(0, 4)).toEqual(["---", 'title: "flow: \\"quoted\\" <b> \\\\ back"', "---", "flowchart LR"]);
    expect(text).toContain('n1["double: Sc#quot;ale#lt;T#gt; ×3<br/>trigger(value) @gpu-1"]');
    expect(text).toContain('n0 -->|"value → value"| n1');
    expect(text).not.toMatch(/\["[^"\]]*"[^\]]*"\]/); // no raw quote inside a label
  });

  it("DOT: quoted ids and escaped labels", () => {
    const text = toDot(hostile());
    expect(text.startsWith('digraph "flow: \\"quoted\\" <b> \\\\ back" {')).toBe(true);
    expect(text).toContain('"double" [label="double\\nSc\\"ale<T> ×3\\ntrigger(value)\\n@gpu-1"];');
    expect(text.trimEnd().endsWith("}")).toBe(true);
  });
});
