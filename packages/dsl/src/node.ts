import type { z } from "zod";

/** A record of zod schemas: a node's params, inputs or outputs. */
export type Shape = Record<string, z.ZodType>;

/**
 * An input that receives a list per step (it needs a `window` or `events` adapter): the port
 * carries single values of `schema`, the step sees `z.output<schema>[]`.
 */
export interface Many<S extends z.ZodType = z.ZodType> {
  readonly kind: "flowc.many";
  readonly schema: S;
}

/** Marks an input as receiving a list per step (window or events adapter). */
export function many<S extends z.ZodType>(schema: S): Many<S> {
  return { kind: "flowc.many", schema };
}

export function isMany(value: unknown): value is Many {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "flowc.many";
}

export type InputShape = Record<string, z.ZodType | Many>;

/** The value type a port schema describes. */
export type ValueOf<S> = S extends Many<infer E> ? z.output<E> : S extends z.ZodType ? z.output<S> : never;
/** What `step` receives for an input: one value, or a list for `many` inputs. */
export type SampleOf<S> = S extends Many<infer E> ? z.output<E>[] : S extends z.ZodType ? z.output<S> : never;

export type Params<P extends Shape> = { readonly [K in keyof P]: z.output<P[K]> };
export type Outputs<O extends Shape> = { [K in keyof O]: z.output<O[K]> };
/** The inputs `step` receives: each present when its adapter has something to give. */
export type Inputs<I extends InputShape> = { readonly [K in keyof I]?: SampleOf<I[K]> };

export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface SetupContext<P extends Shape, S> {
  readonly params: Params<P>;
  readonly state: S;
  readonly log: Logger;
}

export interface StepContext<P extends Shape, I extends InputShape, O extends Shape, S> extends SetupContext<P, S> {
  /** Milliseconds since the run started (logical time in deterministic mode). */
  readonly now: number;
  /** What made this step run: input ports that received messages, and/or "tick" for a rate clock. */
  readonly fired: readonly (Extract<keyof I, string> | "tick")[];
  /** Sends one message now; call it several times for several messages on a port. */
  emit<K extends Extract<keyof O, string>>(port: K, value: z.output<O[K]>): void;
  /**
   * A buffer of `bytes` to fill and emit. Where large payloads travel through shared memory
   * (mp process, dataflow; 64 KB and more) it lies in a shared-memory slot and emitting it
   * sends no copy; elsewhere it is ordinary memory. Its contents are unspecified (write every
   * byte you send), and it may start inside a larger buffer (use its `byteOffset`). Emit it during the step that allocated it, and do not touch it afterwards;
   * one not emitted is taken back when the step ends.
   */
  allocate(bytes: number): Uint8Array<ArrayBuffer>;
}

// biome-ignore lint/suspicious/noConfusingVoidType: a step written as a block without `return` has type void
export type StepResult<O extends Shape> = Partial<Outputs<O>> | undefined | void;

export interface NodeSpec<P extends Shape, I extends InputShape, O extends Shape, S> {
  readonly params?: P;
  readonly inputs?: I;
  readonly outputs?: O;
  /** Creates the node's state once per node instance; a node with state is stateful (no parallelism). */
  readonly state?: (params: Params<P>) => S;
  readonly setup?: (ctx: SetupContext<P, S>) => void | Promise<void>;
  /** One step: returns messages by output port (or nothing), may be async, may call `ctx.emit`. */
  readonly step?: (inputs: Inputs<I>, ctx: StepContext<P, I, O, S>) => StepResult<O> | Promise<StepResult<O>>;
  /** A source's stream: each yielded record is one step's output; the stream ends when the generator returns. */
  readonly source?: (ctx: StepContext<P, I, O, S>) => AsyncIterable<Partial<Outputs<O>>> | Iterable<Partial<Outputs<O>>>;
  readonly teardown?: (ctx: SetupContext<P, S>) => void | Promise<void>;
}

/**
 * A node definition: what `add` takes and what a runtime loads from the bundled module. The
 * type name is kept as a literal type (`T`), so declaration files of published node packages
 * still tell the compiler which node type a definition is.
 */
export interface NodeDef<
  P extends Shape = Shape,
  I extends InputShape = InputShape,
  O extends Shape = Shape,
  S = unknown,
  T extends string = string,
> {
  readonly kind: "flowc.node";
  readonly type: T;
  readonly params: P;
  readonly inputs: I;
  readonly outputs: O;
  readonly spec: NodeSpec<P, I, O, S>;
}

export type AnyNodeDef = NodeDef<Shape, InputShape, Shape, unknown, string>;

/**
 * Defines a node type. Ports and params are zod schemas; the compiler reads their TypeScript
 * types to write each port's JSON Schema into the IR, and runtimes may validate messages
 * against them.
 */
// biome-ignore lint/complexity/noBannedTypes: `{}` is the empty shape for absent params/inputs/outputs
export function node<const T extends string, P extends Shape = {}, I extends InputShape = {}, O extends Shape = {}, S = undefined>(
  type: T,
  spec: NodeSpec<P, I, O, S>,
): NodeDef<P, I, O, S, T> {
  if (typeof type !== "string" || type.length === 0) throw new TypeError("node(type, spec): type must be a non-empty string");
  if (spec.step && spec.source) throw new TypeError(`node '${type}': give either step or source, not both`);
  if (!spec.step && !spec.source) throw new TypeError(`node '${type}': a node needs a step or a source`);
  if (spec.source && spec.inputs && Object.keys(spec.inputs).length > 0) throw new TypeError(`node '${type}': a source has no inputs`);
  return {
    kind: "flowc.node",
    type,
    params: (spec.params ?? {}) as P,
    inputs: (spec.inputs ?? {}) as I,
    outputs: (spec.outputs ?? {}) as O,
    spec,
  };
}

export function isNodeDef(value: unknown): value is AnyNodeDef {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "flowc.node";
}
