import type { z } from "zod";
import { type AnyNodeDef, type InputShape, isMany, isNodeDef, type Many, type NodeDef, type Shape, type ValueOf } from "./node.js";
import type { Clock, ListAdapter, SingleAdapter } from "./timing.js";

// Phantom members give port references variance: an output produces T (covariant), an input
// accepts T (contravariant), so `connect(out, in)` type-checks exactly when the output's type
// is assignable to the input's. They never exist at run time.
declare const PRODUCES: unique symbol;
declare const ACCEPTS: unique symbol;

export interface OutPort<T> {
  readonly kind: "flowc.out";
  readonly node: string;
  readonly port: string;
  readonly [PRODUCES]?: () => T;
}

export interface InPort<T> {
  readonly kind: "flowc.in";
  readonly node: string;
  readonly port: string;
  /** True for `many(...)` inputs, which need a window or events adapter. */
  readonly list: boolean;
  readonly [ACCEPTS]?: (value: T) => void;
}

export type OnFull = "dropOldest" | "dropNewest" | "block";

/** Most copies `parallelism` may ask for (IR v1's limit too). */
export const MAX_PARALLELISM = 64;
export type OnError = "stop" | "isolate";

export interface ConnectOptions {
  /** Messages the channel holds before `onFull` applies (default 10). */
  readonly capacity?: number;
  /**
   * What a full channel does with a new message: block (default) — the producer waits, nothing
   * is lost; dropOldest — evict the oldest waiting message; dropNewest — discard the new one.
   */
  readonly onFull?: OnFull;
}

export interface NodeHandle<I extends InputShape = InputShape, O extends Shape = Shape> {
  readonly kind: "flowc.handle";
  readonly id: string;
  readonly type: string;
  readonly in: { readonly [K in keyof I & string]-?: InPort<ValueOf<I[K]>> };
  readonly out: { readonly [K in keyof O & string]-?: OutPort<z.output<O[K]>> };
}

/** Any node handle (inputs are contravariant, so "any" inputs accept nothing: `never`). */
export interface AnyHandle {
  readonly kind: "flowc.handle";
  readonly id: string;
  readonly type: string;
  readonly in: { readonly [port: string]: InPort<never> };
  readonly out: { readonly [port: string]: OutPort<unknown> };
}

type AdapterFor<S> = S extends Many ? ListAdapter : SingleAdapter;
type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];
/** What `add` takes for params: each schema's input type, so params with a `.default()` are optional. */
type ParamsIn<P extends Shape> = { readonly [K in keyof P]: z.input<P[K]> };
type RequiredParams<P extends Shape> = Exclude<keyof ParamsIn<P>, OptionalKeys<ParamsIn<P>>>;
type ParamsInput<P extends Shape> = { readonly [K in RequiredParams<P>]: ParamsIn<P>[K] } & {
  readonly [K in OptionalKeys<ParamsIn<P>>]?: ParamsIn<P>[K];
};

interface AddOptionsBase<I extends InputShape> {
  /** Default: trigger on every input for nodes with inputs; sources need a clock (rate or free). */
  readonly clock?: Clock<Extract<keyof I, string>>;
  /** How each input samples its channel(s): latest (default) or hold; window or events for `many` inputs. */
  readonly inputs?: { readonly [K in keyof I]?: AdapterFor<I[K]> };
  /** Copies of a stateless node that run in parallel, order preserved: an integer from 1 to 64 (`MAX_PARALLELISM`). */
  readonly parallelism?: number;
  /** Machine name the node must run on. */
  readonly placement?: string;
  /** stop (default): a failure stops the run; isolate: the rest keeps running. */
  readonly onError?: OnError;
}

export type AddOptions<P extends Shape, I extends InputShape> = AddOptionsBase<I> &
  (RequiredParams<P> extends never ? { readonly params?: ParamsInput<P> } : { readonly params: ParamsInput<P> });

type OptionsArgs<P extends Shape, I extends InputShape> =
  RequiredParams<P> extends never ? [options?: AddOptions<P, I>] : [options: AddOptions<P, I>];

export interface FlowApi {
  /** Adds a node instance; the id must be unique in the flow. */
  add<P extends Shape, I extends InputShape, O extends Shape, S, T extends string>(
    id: string,
    def: NodeDef<P, I, O, S, T>,
    ...options: OptionsArgs<P, I>
  ): NodeHandle<I, O>;
  /** Connects an output to an input; their types must be compatible. */
  connect<T>(from: OutPort<T>, to: InPort<T>, options?: ConnectOptions): void;
  /** Connects each handle to the next through every output/input pair with the same name. */
  chain(...handles: readonly AnyHandle[]): void;
}

export interface FlowDef {
  readonly kind: "flowc.flow";
  readonly name: string;
  readonly build: (api: FlowApi) => void;
}

/**
 * Declares a flow. The compiler evaluates `build` statically (it never runs it); the body
 * may use constants, loops over constant arrays and counted loops, conditionals on constants
 * and `.map` over constant arrays.
 */
export function flow(name: string, build: (api: FlowApi) => void): FlowDef {
  if (typeof name !== "string" || name.length === 0) throw new TypeError("flow(name, build): name must be a non-empty string");
  return { kind: "flowc.flow", name, build };
}

export function isFlowDef(value: unknown): value is FlowDef {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "flowc.flow";
}

export interface CollectedNode {
  readonly id: string;
  readonly def: AnyNodeDef;
  readonly options: AddOptions<Shape, InputShape>;
}

export interface CollectedConnection {
  readonly from: { readonly node: string; readonly port: string };
  readonly to: { readonly node: string; readonly port: string };
  readonly options: ConnectOptions;
}

export interface CollectedFlow {
  readonly name: string;
  readonly nodes: readonly CollectedNode[];
  readonly connections: readonly CollectedConnection[];
}

/** A mistake found while running a flow's builder (`collectFlow`). */
export class FlowDefinitionError extends Error {
  override readonly name = "FlowDefinitionError";
}

/**
 * Runs a flow's builder and records what it adds and connects. This is the dynamic
 * interpretation of the DSL: tests and tools use it to build flows without the compiler, and
 * the compiler's static result must agree with it.
 */
export function collectFlow(def: FlowDef): CollectedFlow {
  const nodes: CollectedNode[] = [];
  const connections: CollectedConnection[] = [];
  const byId = new Map<string, CollectedNode>();
  const fail = (message: string): never => {
    throw new FlowDefinitionError(`flow '${def.name}': ${message}`);
  };
  const api: FlowApi = {
    add(id: string, nodeDef: AnyNodeDef, options: AddOptions<Shape, InputShape> = {}) {
      if (!isNodeDef(nodeDef)) fail(`add('${id}', …): the second argument is not a node definition`);
      if (byId.has(id)) fail(`duplicate node id '${id}'`);
      const parallelism: unknown = options.parallelism;
      if (
        parallelism !== undefined &&
        !(Number.isInteger(parallelism) && (parallelism as number) >= 1 && (parallelism as number) <= MAX_PARALLELISM)
      )
        fail(`add('${id}', …): parallelism must be an integer from 1 to ${MAX_PARALLELISM}, not ${String(parallelism)}`);
      const entry: CollectedNode = { id, def: nodeDef, options };
      byId.set(id, entry);
      nodes.push(entry);
      return makeHandle(id, nodeDef);
    },
    connect(from: OutPort<unknown>, to: InPort<unknown>, options: ConnectOptions = {}) {
      if (from?.kind !== "flowc.out") fail("connect(from, to): from must be an output port (handle.out.<port>)");
      if (to?.kind !== "flowc.in") fail("connect(from, to): to must be an input port (handle.in.<port>)");
      connections.push({ from: { node: from.node, port: from.port }, to: { node: to.node, port: to.port }, options });
    },
    chain(...handles: readonly AnyHandle[]) {
      for (let i = 0; i + 1 < handles.length; i++) {
        const a = handles[i] as AnyHandle;
        const b = handles[i + 1] as AnyHandle;
        const common = Object.keys(a.out).filter((port) => Object.hasOwn(b.in, port));
        if (common.length === 0) fail(`chain: '${a.id}' has no output named like an input of '${b.id}'`);
        for (const port of common) api.connect(a.out[port] as OutPort<unknown>, b.in[port] as InPort<unknown>);
      }
    },
  } as FlowApi;
  def.build(api);
  return { name: def.name, nodes, connections };
}

function makeHandle(id: string, def: AnyNodeDef): NodeHandle<InputShape, Shape> {
  const inputs: Record<string, InPort<unknown>> = {};
  for (const [port, schema] of Object.entries(def.inputs)) own(inputs, port, { kind: "flowc.in", node: id, port, list: isMany(schema) });
  const outputs: Record<string, OutPort<unknown>> = {};
  for (const port of Object.keys(def.outputs)) own(outputs, port, { kind: "flowc.out", node: id, port });
  return { kind: "flowc.handle", id, type: def.type, in: inputs, out: outputs } as NodeHandle<InputShape, Shape>;
}

/** Port names come from users; `__proto__` must stay a port, not become the handle's prototype. */
function own<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
