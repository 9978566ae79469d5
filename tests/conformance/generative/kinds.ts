// The node kinds random flows are made of (tests/conformance/generative.test.ts). Every kind is
// deterministic, and what it sends depends only on what every engine guarantees to deliver
// identically: the sequence of messages on each channel. A kind that reads a port which takes
// one message per step (trigger + latest/hold) maps each message to its outputs; a kind on an
// `events` port does the same per element, so how many elements one step takes never shows;
// a kind with several input ports maps each port to its own outputs, or mixes them only where
// the comparison expects an interleaving (Merge, Loop). WindowSum is the one kind whose output
// depends on timing (one sum per step): the comparison treats what it sends as unguaranteed.
//
// The arithmetic lives in plain functions below the definitions so the test's reference model
// computes exactly what the nodes compute.
import { many, node } from "@flowc/dsl";
import { z } from "zod";

/** The object payload: strings (one non-ASCII), a float, a boolean, an array, null. */
const Obj = z.object({
  id: z.number(),
  name: z.string(),
  tags: z.array(z.string()),
  x: z.number(),
  flag: z.boolean(),
  note: z.string().nullable(),
});
export type Obj = z.output<typeof Obj>;

const int = z.number().int();

// ── sources (free clock, generators) ──────────────────────────────────────────────────────

/** Yields `count` values start, start + stride, …, then ends. */
export const Count = node("Count", {
  params: { count: int.min(0), start: int, stride: int },
  outputs: { value: z.number() },
  source: function* ({ params }) {
    for (let i = 0; i < params.count; i++) yield { value: countValue(params, i) };
  },
});

/** `steps` steps, each sending `per` messages with ctx.emit (one step, many messages). */
export const Bursts = node("Bursts", {
  params: { steps: int.min(0), per: int.min(1), base: int },
  outputs: { value: z.number() },
  source: function* ({ params, emit }) {
    for (let s = 0; s < params.steps; s++) {
      for (let j = 0; j < params.per; j++) emit("value", burstValue(params, s, j));
      yield {};
    }
  },
});

/** Two outputs from one generator: some records carry `a`, some `b`, some both. */
export const Twin = node("Twin", {
  params: { count: int.min(0) },
  outputs: { a: z.number(), b: z.number() },
  source: function* ({ params }) {
    for (let i = 0; i < params.count; i++) yield twinRecord(i);
  },
});

/** Yields `count` objects. */
export const Objects = node("Objects", {
  params: { count: int.min(0), start: int },
  outputs: { value: Obj },
  source: function* ({ params }) {
    for (let i = 0; i < params.count; i++) yield { value: pack(params.start + i) };
  },
});

// ── one message per step (trigger port with latest or hold) ─────────────────────────────────

/** v → (v·mul + add) mod m; with `async`, the step returns a promise. */
export const Affine = node("Affine", {
  params: { mul: int, add: int, mod: int.min(1), async: z.boolean() },
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }, { params }) => {
    if (value === undefined) return undefined;
    const out = { value: affine(params, value) };
    return params.async ? Promise.resolve(out) : out;
  },
});

/** Passes v when v mod m = rem. */
export const Keep = node("Keep", {
  params: { mod: int.min(1), rem: int.min(0) },
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }, { params }) => (value !== undefined && keeps(params, value) ? { value } : undefined),
});

/** Sends 1 + (v mod copies) messages per message, with ctx.emit. */
export const Spread = node("Spread", {
  params: { copies: int.min(1) },
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }, { params, emit }) => {
    if (value === undefined) return;
    for (const v of spread(params, value)) emit("value", v);
  },
});

/** Even values to `even`, odd ones to `odd`. */
export const Split = node("Split", {
  inputs: { value: z.number() },
  outputs: { even: z.number(), odd: z.number() },
  step: ({ value }) => (value === undefined ? undefined : mod(value, 2) === 0 ? { even: value } : { odd: value }),
});

/** Running sum mod m (state). */
export const Running = node("Running", {
  params: { mod: int.min(1) },
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  state: () => ({ sum: 0 }),
  step: ({ value }, { params, state }) => {
    if (value === undefined) return undefined;
    state.sum = mod(state.sum + value, params.mod);
    return { value: state.sum };
  },
});

/** A number into an object. */
export const Pack = node("Pack", {
  inputs: { value: z.number() },
  outputs: { value: Obj },
  step: ({ value }) => (value === undefined ? undefined : { value: pack(value) }),
});

/** An object back into a number. */
export const Unpack = node("Unpack", {
  inputs: { value: Obj },
  outputs: { value: z.number() },
  step: ({ value }) => (value === undefined ? undefined : { value: unpack(value) }),
});

/**
 * Fails on its `at`-th message: `throw`s, returns a rejected promise (`reject`), emits on a
 * port it does not declare (`badPort`, FLC3022), or emits a value MessagePack cannot encode
 * (`unsendable`, FLC3021 — only when the port has a channel, else the emission just counts).
 * Before that it forwards each value when `forward` is set, else sends nothing.
 */
export const Boom = node("Boom", {
  params: { at: int.min(1), how: z.enum(["throw", "reject", "badPort", "unsendable"]), forward: z.boolean() },
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  state: () => ({ n: 0 }),
  step: ({ value }, { params, state, emit }) => {
    if (value === undefined) return undefined;
    if (++state.n !== params.at) return params.forward ? { value } : undefined;
    const message = boomMessage(state.n, value);
    switch (params.how) {
      case "throw":
        throw new Error(message);
      case "reject":
        return Promise.reject(new Error(message));
      case "badPort":
        (emit as (port: string, value: unknown) => void)("nope", value);
        return undefined;
      case "unsendable":
        (emit as (port: string, value: unknown) => void)("value", Symbol(message));
        return undefined;
    }
  },
});

/** Takes anything; the records show what arrived. */
export const Sink = node("Sink", {
  inputs: { value: z.unknown() },
  step: () => undefined,
});

// ── several trigger ports, one message per port per step ──────────────────────────────────

// Which ports took a message this step: with `latest`, exactly those whose value is present;
// with `hold` (`held: true`), a port that took nothing still shows its last value, and only
// `fired` ("the input ports that had messages waiting") says which ports are new.
function took(port: string, value: unknown, held: boolean, fired: readonly string[]): boolean {
  return value !== undefined && (!held || fired.includes(port));
}

/** `a` → x = a·3, `b` → y = b + 7: each port to its own output. */
export const Pair = node("Pair", {
  params: { held: z.boolean() },
  inputs: { a: z.number(), b: z.number() },
  outputs: { x: z.number(), y: z.number() },
  step: ({ a, b }, { params, fired }) => {
    const out: { x?: number; y?: number } = {};
    if (a !== undefined && took("a", a, params.held, fired)) out.x = pairX(a);
    if (b !== undefined && took("b", b, params.held, fired)) out.y = pairY(b);
    return out;
  },
});

/** Both ports into one output (a → 2a, b → 2b + 1): the output is an interleaving. */
export const Merge = node("Merge", {
  params: { held: z.boolean() },
  inputs: { a: z.number(), b: z.number() },
  outputs: { value: z.number() },
  step: ({ a, b }, { params, emit, fired }) => {
    if (a !== undefined && took("a", a, params.held, fired)) emit("value", mergeA(a));
    if (b !== undefined && took("b", b, params.held, fired)) emit("value", mergeB(b));
  },
});

// ── events ports: every waiting message per step, one output per element ──────────────────

export const AffineEach = node("AffineEach", {
  params: { mul: int, add: int, mod: int.min(1) },
  inputs: { values: many(z.number()) },
  outputs: { value: z.number() },
  step: ({ values }, { params, emit }) => {
    for (const v of values ?? []) emit("value", affine(params, v));
  },
});

export const RunningEach = node("RunningEach", {
  params: { mod: int.min(1) },
  inputs: { values: many(z.number()) },
  outputs: { value: z.number() },
  state: () => ({ sum: 0 }),
  step: ({ values }, { params, state, emit }) => {
    for (const v of values ?? []) {
      state.sum = mod(state.sum + v, params.mod);
      emit("value", state.sum);
    }
  },
});

/** A sink for lists. */
export const Collect = node("Collect", {
  inputs: { values: many(z.unknown()) },
  step: () => undefined,
});

/** One sum of the window per step: depends on how messages are batched (not guaranteed). */
export const WindowSum = node("WindowSum", {
  inputs: { values: many(z.number()) },
  outputs: { value: z.number() },
  step: ({ values }) => (values ? { value: values.reduce((a, b) => a + b, 0) } : undefined),
});

// ── cycles fed from outside ────────────────────────────────────────────────────────────────

/**
 * The head of a loop (`held` as for Pair). A value v from outside (`a`) enters the loop as
 * v·16 + r with r = |v| mod (rounds + 1) rounds to go; a value coming back (`b`) leaves through
 * `exit` (as its v) once no rounds are left, else goes round again. Hop takes one round off.
 */
export const Loop = node("Loop", {
  params: { rounds: int.min(0).max(15), held: z.boolean() },
  inputs: { a: z.number(), b: z.number() },
  outputs: { loop: z.number(), exit: z.number() },
  step: ({ a, b }, { params, emit, fired }) => {
    if (a !== undefined && took("a", a, params.held, fired)) emit("loop", loopEnter(params, a));
    if (b !== undefined && took("b", b, params.held, fired)) {
      const [port, v] = loopBack(b);
      emit(port, v);
    }
  },
});

/** Takes one round off a looping value (never below zero). */
export const Hop = node("Hop", {
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }) => (value === undefined ? undefined : { value: hop(value) }),
});

// ── the arithmetic, shared with the reference model ────────────────────────────────────────

export function mod(v: number, m: number): number {
  return ((v % m) + m) % m;
}
export function countValue(p: { start: number; stride: number }, i: number): number {
  return p.start + i * p.stride;
}
export function burstValue(p: { base: number }, step: number, j: number): number {
  return p.base + step * 100 + j;
}
export function twinRecord(i: number): { a?: number; b?: number } {
  const r: { a?: number; b?: number } = {};
  if (i % 3 !== 1) r.a = i;
  if (i % 2 === 0) r.b = 100 - i;
  return r;
}
export function affine(p: { mul: number; add: number; mod: number }, v: number): number {
  return mod(v * p.mul + p.add, p.mod);
}
export function keeps(p: { mod: number; rem: number }, v: number): boolean {
  return mod(v, p.mod) === p.rem;
}
export function spread(p: { copies: number }, v: number): number[] {
  const n = 1 + mod(v, p.copies);
  const out: number[] = [];
  for (let j = 0; j < n; j++) out.push(v * 10 + j);
  return out;
}
export function pack(v: number): Obj {
  return {
    id: v,
    name: `n${v}·é`,
    tags: Array.from({ length: mod(v, 3) }, (_, i) => `t${i}`),
    x: v / 4,
    flag: v % 2 === 0,
    note: v % 5 === 0 ? null : "ok",
  };
}
export function unpack(o: Obj): number {
  return o.id + o.name.length + o.tags.length + Math.round(o.x * 4) + (o.flag ? 1 : 0) + (o.note === null ? 0 : o.note.length);
}
export function boomMessage(n: number, value: number): string {
  return `boom at message ${n} (value ${value})`;
}
export function pairX(a: number): number {
  return a * 3;
}
export function pairY(b: number): number {
  return b + 7;
}
export function mergeA(a: number): number {
  return 2 * a;
}
export function mergeB(b: number): number {
  return 2 * b + 1;
}
export function loopEnter(p: { rounds: number }, v: number): number {
  return v * 16 + mod(Math.abs(v), p.rounds + 1);
}
export function loopBack(x: number): ["loop" | "exit", number] {
  return mod(x, 16) === 0 ? ["exit", (x - mod(x, 16)) / 16] : ["loop", x];
}
export function hop(x: number): number {
  return mod(x, 16) > 0 ? x - 1 : x;
}
