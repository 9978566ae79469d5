import { type LoadOptions, loadIr } from "../load.js";
import type { Ir, IrInput } from "../schema.js";

type NodeInput = IrInput["nodes"][number];
type ChannelInput = NonNullable<IrInput["channels"]>[number];

const NUMBER = { type: "number" } as const;

/** A node input with sensible defaults: one number input `value` and one number output `value`, triggered by it. */
export function testNode(id: string, overrides: Partial<NodeInput> = {}): NodeInput {
  return {
    id,
    type: "T",
    impl: { module: "nodes/t.mjs", export: "T" },
    clock: { kind: "trigger", on: ["value"] },
    inputs: { value: { schema: NUMBER } },
    outputs: { value: { schema: NUMBER } },
    ...overrides,
  };
}

/** A rate-clocked source with one number output `value`. */
export function testSource(id: string, overrides: Partial<NodeInput> = {}): NodeInput {
  return testNode(id, { clock: { kind: "rate", hz: 1 }, inputs: {}, ...overrides });
}

/** A channel from `"a.port"` to `"b.port"`, id in the compiler's `a.port->b.port` form. */
export function testChannel(from: string, to: string, overrides: Partial<ChannelInput> = {}): ChannelInput {
  const [fromNode = "", fromPort = ""] = from.split(".");
  const [toNode = "", toPort = ""] = to.split(".");
  return { id: `${from}->${to}`, from: { node: fromNode, port: fromPort }, to: { node: toNode, port: toPort }, ...overrides };
}

export function testIr(nodes: NodeInput[], channels: ChannelInput[] = [], name = "test"): IrInput {
  return { irVersion: 1, name, nodes, channels, meta: { compiler: "flowc-test", sourceHash: null } };
}

/** counter (rate 1 Hz) → double → plus10 → sink: the demo flow's shape. */
export function chainIr(): IrInput {
  return testIr(
    [testSource("counter", { stateful: true }), testNode("double"), testNode("plus10"), testNode("sink", { outputs: {} })],
    [testChannel("counter.value", "double.value"), testChannel("double.value", "plus10.value"), testChannel("plus10.value", "sink.value")],
    "chain",
  );
}

/** Loads input that a test expects to be valid; throws with the diagnostics otherwise. */
export function loadValid(input: unknown, options: LoadOptions = {}): Ir {
  const result = loadIr(input, options);
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics, null, 2));
  return result.ir;
}
