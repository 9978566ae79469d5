import { z } from "zod";

/**
 * IR v1: the contract between the compiler and every runtime. This file is the single source
 * of truth: the TypeScript types are inferred from it and `schema/ir.v1.schema.json` is
 * generated from it (`pnpm gen`). Objects are closed (strict): the loader reports unknown
 * properties (FLC1006) instead of ignoring them. Defaults exist only where a hand-written IR benefits;
 * the canonical encoding always writes every property out.
 */

export const IR_VERSION = 1;

/** Most copies of a node `parallelism` asks for: more than any machine flowc runs on has cores to run them. */
export const MAX_PARALLELISM = 64;
/**
 * How deep arrays and objects nest in an IR, counted from the document (the root object is
 * level 1, a node's params level 4): deeper params or port schemas are FLC1007, and MessagePack
 * input is refused past it anywhere. Every pass over values can then recurse safely.
 */
export const MAX_NESTING = 256;
export const SUPPORTED_IR_VERSIONS: readonly number[] = [IR_VERSION];

/** Node ids: also used in channel ids (`a.out->b.in`) and file names, so no dots or slashes. */
export const NODE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/**
 * Port names are the keys of a node's input/output records: a JavaScript identifier's first
 * character, then letters, digits, `_`, `$` or `-`. The `-` is Dora's id grammar (`speech-1`):
 * a descriptor's ports keep their names in the IR, and node code reads them by string key
 * (`inputs["speech-1"]`). No `.` (channel ids are `node.port->node.port`, and Dora's fan-in
 * inputs are `port.1`) and no `/` (Dora's `node/output`).
 */
export const PORT_NAME_PATTERN = /^(?!__proto__$)[A-Za-z_$][A-Za-z0-9_$-]*$/;
/** Keys of free-form maps (params, port schemas): anything but `__proto__`, which plain objects cannot hold as data. */
const MapKey = z.string().regex(/^(?!__proto__$)/);

export const NodeId = z.string().regex(NODE_ID_PATTERN).describe("Node id: a letter or _, then letters, digits, _ or -.");
export const PortName = z.string().regex(PORT_NAME_PATTERN).describe("Port name: a letter, _ or $, then letters, digits, _, $ or -.");

/**
 * Any JSON value (no NaN, no Infinity, no undefined, only plain objects). The loader checks
 * JSON-ness in its own pass over the free-form values (validate/structure.ts): zod's recursive
 * `z.json()` cost 4x the whole rest of the schema on large IRs and defeats `z.compile`.
 */
export const JsonValue = z.unknown().describe("Any JSON value.") as unknown as z.ZodType<Json>;
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A JSON Schema (draft 2020-12) describing the values of a port. `{}` accepts anything. */
export const PortSchema = z
  .record(MapKey, JsonValue)
  .describe("JSON Schema (draft 2020-12) of the values on this port; {} accepts any value.");

export const LAG_POLICIES = ["warn", "drop", "catchUp", "error"] as const;
export const LagPolicy = z
  .enum(LAG_POLICIES)
  .describe(
    "What a rate clock does when a step overruns its period: warn and skip missed ticks, drop them silently, catch up back-to-back, or fail the node.",
  );

const Hz = z.number().positive().describe("Frequency in Hz: a finite number > 0.");
const TriggerPorts = z.array(PortName).min(1).describe("Input ports whose arriving messages fire the node.");

export const RateClock = z.strictObject({ kind: z.literal("rate"), hz: Hz, onLag: LagPolicy.default("warn") });
export const TriggerClock = z.strictObject({ kind: z.literal("trigger"), on: TriggerPorts });
export const HybridClock = z.strictObject({ kind: z.literal("hybrid"), hz: Hz, onLag: LagPolicy.default("warn"), on: TriggerPorts });
export const FreeClock = z
  .strictObject({ kind: z.literal("free") })
  .describe("Runs whenever its outputs have room; only for nodes without inputs (finite or infinite sources).");

export const CLOCK_KINDS = ["rate", "trigger", "hybrid", "free"] as const;
export const Clock = z
  .discriminatedUnion("kind", [RateClock, TriggerClock, HybridClock, FreeClock])
  .describe("When the node runs its step.");

export const ADAPTER_KINDS = ["latest", "hold", "window", "events"] as const;
export const Adapter = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("latest") }).describe("The newest message; none if nothing new arrived."),
    z.strictObject({ kind: z.literal("hold") }).describe("The last message ever received, kept across steps."),
    z
      .strictObject({
        kind: z.literal("window"),
        size: z.number().int().min(1).optional(),
        ms: z.number().positive().optional(),
      })
      .describe("A list: the last `size` messages, or the messages of the last `ms` milliseconds (exactly one of the two)."),
    z.strictObject({ kind: z.literal("events") }).describe("Every message received since the previous step, as a list."),
  ])
  .describe("How an input samples its channel(s) when the node steps.");

export const InputPort = z.strictObject({
  schema: PortSchema.default({}),
  adapter: Adapter.default({ kind: "latest" }),
});
export const OutputPort = z.strictObject({ schema: PortSchema.default({}) });

export const SourceLocation = z
  .strictObject({
    file: z.string().min(1).describe("Path relative to the project root, with forward slashes."),
    line: z.number().int().min(1),
    column: z.number().int().min(1),
  })
  .describe("Where the node was declared in the flow source.");

export const Impl = z
  .strictObject({
    module: z.string().min(1).describe("ES module path relative to the IR file, with forward slashes."),
    export: z.string().min(1).describe("Name of the module's export holding the node definition."),
  })
  .describe("Where a runtime loads the node implementation from.");

export const ON_ERROR_POLICIES = ["stop", "isolate"] as const;

export const Node = z.strictObject({
  id: NodeId,
  type: z.string().min(1).describe("The node definition's type name."),
  impl: Impl,
  params: z.record(MapKey, JsonValue).default({}).describe("Parameters, already evaluated."),
  clock: Clock,
  inputs: z.record(PortName, InputPort).default({}),
  outputs: z.record(PortName, OutputPort).default({}),
  stateful: z.boolean().default(false).describe("True when the node keeps state between steps."),
  parallelism: z
    .number()
    .int()
    .min(1)
    .max(MAX_PARALLELISM)
    .default(1)
    .describe(`Copies of a stateless node run in parallel, order preserved; at most ${MAX_PARALLELISM}.`),
  placement: z.string().min(1).nullable().default(null).describe("Machine name the node must run on; null: anywhere."),
  onError: z.enum(ON_ERROR_POLICIES).default("stop").describe("stop: a failure stops the run; isolate: the rest keeps running."),
  source: SourceLocation.nullable().default(null),
});

export const ON_FULL_POLICIES = ["dropOldest", "dropNewest", "block"] as const;
export const OnFull = z
  .enum(ON_FULL_POLICIES)
  .describe("What a full channel does with a new message: evict the oldest, discard the new one, or make the producer wait.");

export const Endpoint = z.strictObject({ node: z.string(), port: z.string() });

export const DEFAULT_CAPACITY = 10;
/** Lossless by default: a channel nobody configured makes its producer wait rather than lose a message. */
export const DEFAULT_ON_FULL: OnFullPolicy = "block";
export const Channel = z.strictObject({
  id: z.string().min(1).describe("Unique id; the compiler writes `from.node.port->to.node.port`."),
  from: Endpoint.describe("An output port."),
  to: Endpoint.describe("An input port."),
  capacity: z.number().int().min(1).default(DEFAULT_CAPACITY).describe("Messages the channel holds before onFull applies."),
  onFull: OnFull.default(DEFAULT_ON_FULL),
});

export const Meta = z.strictObject({
  compiler: z.string().min(1).describe("Name and version of the tool that wrote the IR."),
  sourceHash: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/)
    .nullable()
    .describe("sha256 of the flow's sources, or null for hand-written IR."),
});

export const Ir = z
  .strictObject({
    irVersion: z.literal(IR_VERSION),
    name: z.string().min(1),
    nodes: z.array(Node),
    channels: z.array(Channel).default([]),
    meta: Meta,
  })
  .describe("flowc IR v1: a flow's nodes and the channels between their ports.");

export type Ir = z.output<typeof Ir>;
export type IrInput = z.input<typeof Ir>;
export type IrNode = z.output<typeof Node>;
export type IrChannel = z.output<typeof Channel>;
export type IrClock = z.output<typeof Clock>;
export type IrAdapter = z.output<typeof Adapter>;
export type IrInputPort = z.output<typeof InputPort>;
export type IrOutputPort = z.output<typeof OutputPort>;
export type IrMeta = z.output<typeof Meta>;
export type JsonSchema = z.output<typeof PortSchema>;
export type LagPolicyName = (typeof LAG_POLICIES)[number];
export type OnFullPolicy = (typeof ON_FULL_POLICIES)[number];

/** The JSON Schema of IR v1, generated from the zod schema (objects are closed). */
export function irJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Ir, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: "https://flowc.dev/schema/ir.v1.schema.json",
    title: "flowc IR v1",
    ...schema,
  };
}
