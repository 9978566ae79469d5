import type { Ir } from "@flowc/ir";
import { describeChannel, describeClock } from "./describe.js";

export type GraphFormat = "mermaid" | "dot" | "html";
/** `html` is a self-contained page laid out by elkjs (src/view); the others are text for other tools. */
export const GRAPH_FORMATS: readonly GraphFormat[] = ["mermaid", "dot", "html"];

/** Mermaid flowchart text: paste into any Mermaid viewer. Node ids become n0, n1, … so any id is safe. */
export function toMermaid(ir: Ir): string {
  const key = new Map(ir.nodes.map((node, i) => [node.id, `n${i}`]));
  const esc = (text: string) => text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
  const lines = ["---", `title: ${JSON.stringify(ir.name)}`, "---", "flowchart LR"];
  for (const node of ir.nodes) {
    const extra = node.parallelism > 1 ? ` ×${node.parallelism}` : "";
    const placement = node.placement ? ` @${node.placement}` : "";
    lines.push(
      `  ${key.get(node.id)}["${esc(node.id)}: ${esc(node.type)}${extra}<br/>${esc(describeClock(node.clock))}${esc(placement)}"]`,
    );
  }
  for (const channel of ir.channels) {
    const from = key.get(channel.from.node);
    const to = key.get(channel.to.node);
    if (from && to) lines.push(`  ${from} -->|"${esc(describeChannel(channel))}"| ${to}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Graphviz DOT text: `flowc graph x.ir.json --format dot | dot -Tsvg > x.svg`. */
export function toDot(ir: Ir): string {
  const q = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
  const lines = [
    `digraph ${q(ir.name)} {`,
    "  rankdir=LR;",
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const node of ir.nodes) {
    const extra = node.parallelism > 1 ? ` ×${node.parallelism}` : "";
    const placement = node.placement ? `\n@${node.placement}` : "";
    lines.push(`  ${q(node.id)} [label=${q(`${node.id}\n${node.type}${extra}\n${describeClock(node.clock)}${placement}`)}];`);
  }
  for (const channel of ir.channels) {
    lines.push(`  ${q(channel.from.node)} -> ${q(channel.to.node)} [label=${q(describeChannel(channel))}];`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
