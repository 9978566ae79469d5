// Node definitions of the conformance scenarios. Written once, run on every runtime and mode.
import { many, node } from "@flowc/dsl";
import { z } from "zod";

/** Yields 1..count, then the stream ends. */
export const Numbers = node("Numbers", {
  params: { count: z.number().int() },
  outputs: { value: z.number() },
  source: function* ({ params }) {
    for (let i = 1; i <= params.count; i++) yield { value: i };
  },
});

/** Counts its ticks: 1, 2, 3, … */
export const Ticks = node("Ticks", {
  outputs: { value: z.number() },
  state: () => ({ n: 0 }),
  step: (_inputs, { state }) => ({ value: ++state.n }),
});

export const Affine = node("Affine", {
  params: { mul: z.number().default(1), add: z.number().default(0) },
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }, { params }) => (value === undefined ? undefined : { value: value * params.mul + params.add }),
});

export const Square = node("Square", {
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }) => (value === undefined ? undefined : { value: value * value }),
});

/** Sums what a window shows, and says how many values it saw. */
export const WindowSum = node("WindowSum", {
  inputs: { values: many(z.number()) },
  outputs: { sum: z.number(), size: z.number() },
  step: ({ values }) => (values ? { sum: values.reduce((a, b) => a + b, 0), size: values.length } : undefined),
});

/** Takes everything; records do the checking. */
export const Sink = node("Sink", {
  inputs: { value: z.unknown() },
  step: () => undefined,
});

/** Takes lists; slow now and then (a 2 ms busy wait every 5,000 messages). */
export const SlowSink = node("SlowSink", {
  inputs: { values: many(z.number()) },
  state: () => ({ seen: 0 }),
  step: ({ values }, { state }) => {
    for (const _ of values ?? []) {
      if (++state.seen % 5000 === 0) {
        const until = performance.now() + 2;
        while (performance.now() < until) {}
      }
    }
  },
});

/** Yields `count` numbers as fast as the channel takes them. */
export const Flood = node("Flood", {
  params: { count: z.number().int() },
  outputs: { value: z.number() },
  source: function* ({ params }) {
    for (let i = 0; i < params.count; i++) yield { value: i };
  },
});

/** One step: a burst of `count` data messages, then one "go". */
export const Burst = node("Burst", {
  params: { count: z.number().int() },
  outputs: { data: z.number(), go: z.boolean() },
  source: function* ({ params, emit }) {
    for (let i = 0; i < params.count; i++) emit("data", i);
    yield { go: true };
  },
});

/** Runs when "go" arrives and reports what the data queue kept. */
export const Gate = node("Gate", {
  inputs: { data: many(z.number()), go: z.boolean() },
  outputs: { kept: z.array(z.number()) },
  step: ({ data, go }) => (go ? { kept: data ?? [] } : undefined),
});

/** Counts its steps, by cause. */
export const Counter = node("Counter", {
  inputs: { value: z.number() },
  outputs: { cause: z.string() },
  step: (_inputs, { fired }) => ({ cause: fired.join("+") }),
});

/** Throws on its `at`-th message. */
export const Boom = node("Boom", {
  params: { at: z.number().int() },
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  state: () => ({ n: 0 }),
  step: ({ value }, { params, state }) => {
    if (value === undefined) return undefined;
    if (++state.n === params.at) throw new Error(`boom at message ${state.n}`);
    return undefined;
  },
});

/** Shows its params. */
export const Describe = node("Describe", {
  params: {
    label: z.string(),
    factor: z.number().int().min(1),
    tags: z.array(z.string()),
    limits: z.object({ lo: z.number(), hi: z.number() }),
  },
  outputs: { text: z.string() },
  source: function* ({ params }) {
    yield { text: `${params.label}:${params.factor}:${params.tags.join(",")}:${params.limits.lo}-${params.limits.hi}` };
  },
});

/** One 4 MB frame with a known pattern. */
export const Frame = node("Frame", {
  outputs: { frame: z.instanceof(Uint8Array) },
  source: function* () {
    const frame = new Uint8Array(4 * 1024 * 1024);
    for (let i = 0; i < frame.length; i++) frame[i] = (i * 31 + 7) & 0xff;
    yield { frame };
  },
});

/** Checks the frame's pattern and reports its size and whether it is intact. */
export const FrameCheck = node("FrameCheck", {
  inputs: { frame: z.instanceof(Uint8Array) },
  outputs: { ok: z.boolean(), size: z.number() },
  step: ({ frame }) => {
    if (!frame) return undefined;
    let ok = true;
    for (let i = 0; i < frame.length; i++) if (frame[i] !== ((i * 31 + 7) & 0xff)) ok = false;
    return { ok, size: frame.length };
  },
});

/** Never returns from its second step: `mode` "sync" spins, "async" awaits forever. */
export const Hang = node("Hang", {
  params: { mode: z.enum(["sync", "async"]) },
  inputs: { value: z.number() },
  state: () => ({ n: 0 }),
  step: async ({ value }, { params, state }) => {
    if (value === undefined || ++state.n < 2) return;
    if (params.mode === "sync") for (;;) {}
    await new Promise(() => {});
  },
});

/** A stateless step that costs about 1 ms: worth running on a pool. */
export const Work = node("Work", {
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }) => {
    if (value === undefined) return undefined;
    const until = performance.now() + 1;
    while (performance.now() < until) {}
    return { value: value * 2 };
  },
});

/** Sends a value its port schema does not allow (the types are bypassed on purpose). */
export const Liar = node("Liar", {
  outputs: { reading: z.object({ id: z.number().int(), level: z.number() }) },
  source: function* () {
    yield { reading: { id: 1, level: 0.5 } };
    yield { reading: { id: 2, level: "high" } as unknown as { id: number; level: number } };
  },
});

/** `count` frames of `size` bytes back to back, frame i filled with the byte i. */
export const Frames = node("Frames", {
  params: { count: z.number().int(), size: z.number().int() },
  outputs: { frame: z.instanceof(Uint8Array) },
  source: function* ({ params }) {
    for (let i = 0; i < params.count; i++) yield { frame: new Uint8Array(params.size).fill(i & 0xff) };
  },
});

/** Checks each frame is whole and uniform; passes on its first byte. */
export const FrameIndex = node("FrameIndex", {
  params: { size: z.number().int() },
  inputs: { frame: z.instanceof(Uint8Array) },
  outputs: { index: z.number() },
  step: ({ frame }, { params }) => {
    if (!frame) return undefined;
    const first = frame[0] ?? -1;
    const whole = frame.length === params.size && frame.every((b) => b === first);
    return { index: whole ? first : -1 };
  },
});

/**
 * Ends its own executor: on the message numbered `at` (or in setup, with `at: 0`) it writes a
 * line to stderr and calls process.exit(code). On an isolated executor (thread, process) that
 * is the executor dying under its node; on mp inline it would end the whole program.
 */
export const Exit = node("Exit", {
  params: { at: z.number().int().min(0), code: z.number().int() },
  inputs: { value: z.number() },
  setup: ({ params }) => {
    if (params.at === 0) {
      process.stderr.write(`exiting in setup with code ${params.code}\n`);
      process.exit(params.code);
    }
  },
  step: ({ value }, { params }) => {
    if (value === params.at) {
      process.stderr.write(`exiting at message ${value} with code ${params.code}\n`);
      process.exit(params.code);
    }
  },
});

/** Reports what its executor runs with: one environment variable, and the Node.js flags. */
export const Probe = node("Probe", {
  params: { variable: z.string() },
  outputs: { env: z.string(), execArgv: z.array(z.string()) },
  source: function* ({ params }) {
    yield { env: process.env[params.variable] ?? "(unset)", execArgv: [...process.execArgv] };
  },
});

/** Logs each message and returns what `log.info` returns: never an output, on any engine. */
export const LogOnly = node("LogOnly", {
  inputs: { value: z.number() },
  step: (_inputs, { log }) => log.info("got a message"),
});

/** Takes its inputs and never sends anything. */
export const Silent = node("Silent", {
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: () => undefined,
});

/** Counts ticks; each step busy-waits `busyMs` (longer than its period: it overruns). */
export const Busy = node("Busy", {
  params: { busyMs: z.number() },
  outputs: { value: z.number() },
  state: () => ({ n: 0 }),
  step: (_inputs, { params, state }) => {
    const until = performance.now() + params.busyMs;
    while (performance.now() < until) {}
    return { value: ++state.n };
  },
});

/** Checks a large frame by length and a sample of its bytes (every 4096th); passes on its first byte. */
export const FrameSample = node("FrameSample", {
  params: { size: z.number().int() },
  inputs: { frame: z.instanceof(Uint8Array) },
  outputs: { index: z.number() },
  step: ({ frame }, { params }) => {
    if (!frame) return undefined;
    const first = frame[0] ?? -1;
    let whole = frame.length === params.size && frame[frame.length - 1] === first;
    for (let i = 0; whole && i < frame.length; i += 4096) whole = frame[i] === first;
    return { index: whole ? first : -1 };
  },
});

/** Whether `frame` has `size` bytes, all equal to its first (sampled every 4 KB and at the end). */
function uniform(frame: Uint8Array, size: number): boolean {
  const first = frame[0];
  let whole = frame.length === size && frame[frame.length - 1] === first;
  for (let i = 0; whole && i < frame.length; i += 4096) whole = frame[i] === first;
  return whole;
}

/**
 * Keeps the last frames in a window and checks all of them at every step — the older ones too,
 * whose memory the producer must not reuse while they are shown. Emits how many new frames it
 * saw this step, or -1 when any frame in the window is broken or out of sequence.
 */
export const WindowCheck = node("WindowCheck", {
  params: { size: z.number().int() },
  inputs: { frames: many(z.instanceof(Uint8Array)) },
  outputs: { seen: z.number() },
  state: () => ({ last: -1 }),
  step: ({ frames }, { params, state }) => {
    if (!frames) return undefined;
    if (!frames.every((f) => uniform(f, params.size))) return { seen: -1 };
    // Nothing is lost on the way (block channels): the window holds consecutive frames, so an
    // older frame showing a newer index means its memory was reused too early.
    const newest = (frames[frames.length - 1] as Uint8Array)[0] as number;
    if (!frames.every((f, i) => f[0] === ((newest - (frames.length - 1 - i)) & 0xff))) return { seen: -1 };
    const seen = newest - state.last;
    state.last = newest;
    return seen > 0 ? { seen } : undefined;
  },
});

/**
 * Writes `count` frames where they travel (`ctx.allocate`), each filled with its index; it
 * also allocates a buffer it never emits, which is taken back when the step ends.
 */
export const AllocFrames = node("AllocFrames", {
  params: { count: z.number().int(), size: z.number().int() },
  outputs: { frame: z.instanceof(Uint8Array) },
  source: function* ({ params, allocate }) {
    for (let i = 0; i < params.count; i++) {
      allocate(params.size).fill(0xee);
      const frame = allocate(params.size);
      frame.fill(i & 0xff);
      yield { frame };
    }
  },
});

/** Forwards every frame it receives as it is. */
export const Relay = node("Relay", {
  inputs: { frame: z.instanceof(Uint8Array) },
  outputs: { frame: z.instanceof(Uint8Array) },
  step: ({ frame }) => (frame ? { frame } : undefined),
});

/** Takes pairs on two ports (a trigger port and one that does not trigger). */
export const Pair = node("Pair", {
  inputs: { a: z.number(), b: z.number() },
  outputs: { value: z.number() },
  step: ({ a, b }) => (a !== undefined && b !== undefined ? { value: a + b } : undefined),
});

/** Takes its inputs; its teardown takes `ms` (awaited). */
export const SlowTeardown = node("SlowTeardown", {
  params: { ms: z.number() },
  inputs: { value: z.number() },
  step: () => undefined,
  teardown: async ({ params }) => {
    await new Promise((resolve) => setTimeout(resolve, params.ms));
  },
});

/** Sends 3, then 1.5 on a port whose zod schema says non-negative integers. */
export const Counts = node("Counts", {
  outputs: { value: z.number().int().min(0) },
  source: function* () {
    yield { value: 3 };
    yield { value: 1.5 };
  },
});

/**
 * The head of a loop: a number from outside (`fresh`) goes round `rounds` times as
 * `value·10 + rounds left`; what comes back (`back`) goes round again, or leaves on `out`.
 */
export const LoopHead = node("LoopHead", {
  params: { rounds: z.number().int().min(1).max(9) },
  inputs: { fresh: z.number(), back: z.number() },
  outputs: { around: z.number(), out: z.number() },
  step: ({ fresh, back }, { params, emit }) => {
    if (fresh !== undefined) emit("around", fresh * 10 + params.rounds);
    if (back !== undefined) {
      if (back % 10 === 0) emit("out", back / 10);
      else emit("around", back);
    }
  },
});

/** One round of the loop: takes one off the rounds left. */
export const LoopBody = node("LoopBody", {
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }) => (value === undefined ? undefined : { value: value - 1 }),
});
