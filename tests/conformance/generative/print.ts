// Prints a flow as a runnable `.flow.ts` written with @flowc/dsl, next to kinds.ts: what a
// disagreement shrinks to, so it can be run, recorded and debugged like any flow.
import { type FlowSpec, type Json, KINDS, type NodeSpec } from "./flow.js";

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function literal(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${IDENTIFIER.test(k) ? k : JSON.stringify(k)}: ${literal(v)}`);
    return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
  }
  return JSON.stringify(value);
}

function variable(id: string): string {
  return IDENTIFIER.test(id) ? `n_${id}` : `n_${id.replace(/[^A-Za-z0-9_$]/g, "_")}`;
}

function addOptions(node: NodeSpec, dsl: Set<string>): string {
  const info = KINDS[node.kind];
  const options: string[] = [];
  if (Object.keys(node.params).length > 0) options.push(`params: ${literal(node.params as Json)}`);
  if (info.cls === "source") {
    options.push("clock: free()");
    dsl.add("free");
  }
  const adapters: string[] = [];
  for (const [port, adapter] of Object.entries(node.adapters)) {
    // The DSL's defaults: latest for single-value inputs, events for `many` inputs.
    if (adapter.kind === "latest" || adapter.kind === "events") continue;
    dsl.add(adapter.kind);
    adapters.push(adapter.kind === "window" ? `${port}: window({ size: ${adapter.size} })` : `${port}: ${adapter.kind}()`);
  }
  if (adapters.length > 0) options.push(`inputs: { ${adapters.join(", ")} }`);
  if (node.parallelism !== 1) options.push(`parallelism: ${node.parallelism}`);
  if (node.onError !== "stop") options.push(`onError: ${JSON.stringify(node.onError)}`);
  return options.length === 0 ? "" : `, { ${options.join(", ")} }`;
}

/**
 * The flow as the text of a `.flow.ts` module exporting it as default (`header` lines become
 * comments), importing the kinds from `kinds` (the module next to it by default).
 */
export function printFlow(flow: FlowSpec, name: string, header: readonly string[] = [], kinds = "./kinds.js"): string {
  const dsl = new Set<string>(["flow"]);
  const body: string[] = [];
  for (const node of flow.nodes)
    body.push(`  const ${variable(node.id)} = add(${JSON.stringify(node.id)}, ${node.kind}${addOptions(node, dsl)});`);
  for (const c of flow.channels) {
    body.push(
      `  connect(${variable(c.from.node)}.out.${c.from.port}, ${variable(c.to.node)}.in.${c.to.port}, { capacity: ${c.capacity}, onFull: "block" });`,
    );
  }
  const used = [...new Set(flow.nodes.map((n) => n.kind))].sort();
  return [
    ...header.map((line) => `// ${line}`.trimEnd()),
    `import { ${[...dsl].sort().join(", ")} } from "@flowc/dsl";`,
    `import { ${used.join(", ")} } from ${JSON.stringify(kinds)};`,
    "",
    `export default flow(${JSON.stringify(name)}, ({ add, connect }) => {`,
    ...body,
    "});",
    "",
  ].join("\n");
}
