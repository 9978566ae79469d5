import type { Ir, IrChannel, IrNode } from "@flowc/ir";

/**
 * A dataflow descriptor in Dora's YAML dialect (the `nodes:` list of dora-rs dataflow files, 0.x
 * and 1.0 spellings), as flowc reads and writes it. flowc-only facts — adapters, onFull, params, port schemas, the exact
 * clock — live under the namespaced `_flowc` keys, so IR → YAML → IR loses nothing, while the
 * rest stays a descriptor a Dora user can read.
 */
export interface Descriptor {
  readonly nodes: readonly DescriptorNode[];
  readonly env?: Readonly<Record<string, EnvValue>>;
  /** Dataflow-wide default placement (`deploy`, 0.x `_unstable_deploy`). */
  readonly deploy?: Deploy;
  readonly _flowc?: FlowcRootFacts;
}

export type EnvValue = string | number | boolean;

export interface Deploy {
  readonly machine?: string;
  readonly working_dir?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export type RestartPolicy = "never" | "on-failure" | "always";

export interface DescriptorNode {
  readonly id: string;
  readonly name?: string;
  readonly description?: string;
  /** The executable: `flowc-node` (the flowc node runner) or a JS/TS module defining the node. */
  readonly path: string;
  /** For `flowc-node`: `<module> <export>`; for a module path: the export name (default `default`). */
  readonly args?: string;
  readonly env?: Readonly<Record<string, EnvValue>>;
  readonly inputs?: Readonly<Record<string, InputSpec>>;
  readonly outputs?: readonly string[];
  readonly deploy?: Deploy;
  readonly restart_policy?: RestartPolicy;
  readonly max_restarts?: number;
  readonly restart_delay?: number;
  readonly _flowc?: FlowcNodeFacts;
}

/** An input: `node/output` or a timer string, or the long form. */
export type InputSpec = string | LongInput;

export interface LongInput {
  readonly source: string;
  readonly queue_size?: number;
  readonly queue_policy?: "drop_oldest" | "backpressure";
  readonly input_timeout?: number;
}

/** An input string, parsed. */
export type InputSource =
  | { readonly kind: "node"; readonly node: string; readonly output: string }
  | { readonly kind: "timer"; readonly periodMs: number; readonly text: string };

export interface FlowcRootFacts {
  readonly irVersion: 1;
  readonly name: string;
  readonly meta: Ir["meta"];
}

/** Everything of an IR node the Dora fields cannot say. */
export interface FlowcNodeFacts {
  readonly type: string;
  readonly impl: IrNode["impl"];
  readonly params: IrNode["params"];
  readonly clock: IrNode["clock"];
  readonly inputs: IrNode["inputs"];
  readonly outputs: IrNode["outputs"];
  readonly stateful: boolean;
  readonly parallelism: number;
  readonly onError: IrNode["onError"];
  readonly source: IrNode["source"];
  /** The timer input that carries the node's rate clock, if any. */
  readonly timer?: string;
  /** Per input id: the IR channel behind it. */
  readonly channels: Readonly<
    Record<string, { readonly id: string; readonly port: string; readonly capacity: number; readonly onFull: IrChannel["onFull"] }>
  >;
}

/** The program that runs flowc nodes (`path` of every node flowc writes). */
export const FLOWC_NODE_RUNNER = "flowc-node";
/**
 * Dora's default queue size (1.0: `DEFAULT_QUEUE_SIZE`), also flowc's default capacity. Dora's
 * default policy is drop oldest, flowc's is block: descriptors keep Dora's, IR keeps flowc's.
 */
export const DEFAULT_QUEUE_SIZE = 10;
