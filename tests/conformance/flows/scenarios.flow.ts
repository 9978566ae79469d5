// Conformance scenarios: each flow is run on every runtime and mode (tests/conformance).
import { events, flow, free, hybrid, rate, trigger, window } from "@flowc/dsl";
import {
  Affine,
  AllocFrames,
  Boom,
  Burst,
  Busy,
  Counter,
  Counts,
  Describe,
  Exit,
  Flood,
  Frame,
  FrameCheck,
  FrameIndex,
  FrameSample,
  Frames,
  Gate,
  Hang,
  Liar,
  LogOnly,
  LoopBody,
  LoopHead,
  Numbers,
  Pair,
  Probe,
  Relay,
  Silent,
  Sink,
  SlowSink,
  SlowTeardown,
  Square,
  Ticks,
  WindowCheck,
  WindowSum,
  Work,
} from "./nodes.js";

/** counter → ×2 → +10 → sink: 12, 14, 16, … */
export const chain = flow("chain", ({ add, connect }) => {
  const counter = add("counter", Ticks, { clock: rate(10) });
  const double = add("double", Affine, { params: { mul: 2 } });
  const plus10 = add("plus10", Affine, { params: { add: 10 } });
  const sink = add("sink", Sink);
  connect(counter.out.value, double.in.value);
  connect(double.out.value, plus10.in.value, { capacity: 8, onFull: "block" });
  connect(plus10.out.value, sink.in.value);
});

/** One finite source feeding two branches. */
export const fanout = flow("fanout", ({ add, connect }) => {
  const numbers = add("numbers", Numbers, { params: { count: 50 }, clock: free() });
  const double = add("double", Affine, { params: { mul: 2 } });
  const square = add("square", Square);
  const a = add("a", Sink);
  const b = add("b", Sink);
  connect(numbers.out.value, double.in.value, { onFull: "block" });
  connect(numbers.out.value, square.in.value, { onFull: "block" });
  connect(double.out.value, a.in.value, { onFull: "block" });
  connect(square.out.value, b.in.value, { onFull: "block" });
});

/** Two finite sources merged into one windowed input. */
export const fanin = flow("fanin", ({ add, connect }) => {
  const left = add("left", Numbers, { params: { count: 40 }, clock: free() });
  const right = add("right", Numbers, { params: { count: 40 }, clock: free() });
  const shift = add("shift", Affine, { params: { add: 1000 } });
  const win = add("win", WindowSum, { inputs: { values: window({ size: 4 }) } });
  const sums = add("sums", Sink);
  const sizes = add("sizes", Sink);
  connect(left.out.value, win.in.values, { onFull: "block" });
  connect(right.out.value, shift.in.value, { onFull: "block" });
  connect(shift.out.value, win.in.values, { onFull: "block" });
  connect(win.out.sum, sums.in.value, { onFull: "block", capacity: 100 });
  connect(win.out.size, sizes.in.value, { onFull: "block", capacity: 100 });
});

/** rate(20) source; a trigger node, and a hybrid(10 Hz) node fed by a rate(5) source. */
export const clocks = flow("clocks", ({ add, connect }) => {
  const fast = add("fast", Ticks, { clock: rate(20) });
  const slow = add("slow", Ticks, { clock: rate(5) });
  const triggered = add("triggered", Counter, { clock: trigger("value") });
  const mixed = add("mixed", Counter, { clock: hybrid(10, "value") });
  const t = add("t", Sink);
  const m = add("m", Sink);
  connect(fast.out.value, triggered.in.value, { capacity: 100 });
  connect(slow.out.value, mixed.in.value, { capacity: 100 });
  connect(triggered.out.cause, t.in.value, { capacity: 100 });
  connect(mixed.out.cause, m.in.value, { capacity: 100 });
});

/** A finite DAG: every node finishes, the run succeeds. */
export const batch = flow("batch", ({ add, connect }) => {
  const numbers = add("numbers", Numbers, { params: { count: 200 }, clock: free() });
  const double = add("double", Affine, { params: { mul: 2 } });
  const plus = add("plus", Affine, { params: { add: 1 } });
  const total = add("total", WindowSum, { inputs: { values: events() } });
  const sink = add("sink", Sink);
  connect(numbers.out.value, double.in.value, { onFull: "block", capacity: 16 });
  connect(double.out.value, plus.in.value, { onFull: "block", capacity: 16 });
  connect(plus.out.value, total.in.values, { onFull: "block", capacity: 16 });
  connect(total.out.sum, sink.in.value, { onFull: "block" });
});

/** A node that throws on its 3rd message (onError: stop). */
export const failStop = flow("failStop", ({ add, connect }) => {
  const src = add("src", Ticks, { clock: rate(20) });
  const boom = add("boom", Boom, { params: { at: 3 } });
  const after = add("after", Sink);
  const ok = add("ok", Sink);
  connect(src.out.value, boom.in.value);
  connect(boom.out.value, after.in.value);
  connect(src.out.value, ok.in.value);
});

/** The same, with onError: isolate. */
export const failIsolate = flow("failIsolate", ({ add, connect }) => {
  const src = add("src", Ticks, { clock: rate(20) });
  const boom = add("boom", Boom, { params: { at: 3 }, onError: "isolate" });
  const after = add("after", Sink);
  const ok = add("ok", Sink);
  connect(src.out.value, boom.in.value);
  connect(boom.out.value, after.in.value);
  connect(src.out.value, ok.in.value);
});

/** 100,000 messages through a block channel into a slow consumer. */
export const block = flow("block", ({ add, connect }) => {
  const flood = add("flood", Flood, { params: { count: 100_000 }, clock: free() });
  const sink = add("sink", SlowSink, { inputs: { values: events() } });
  connect(flood.out.value, sink.in.values, { capacity: 16, onFull: "block" });
});

/** A burst of 20 into a capacity-5 channel, read only after the burst. */
export const dropOldest = flow("dropOldest", ({ add, connect }) => {
  const burst = add("burst", Burst, { params: { count: 20 }, clock: free() });
  const gate = add("gate", Gate, { clock: trigger("go"), inputs: { data: events() } });
  const sink = add("sink", Sink);
  connect(burst.out.data, gate.in.data, { capacity: 5, onFull: "dropOldest" });
  connect(burst.out.go, gate.in.go);
  connect(gate.out.kept, sink.in.value);
});

export const dropNewest = flow("dropNewest", ({ add, connect }) => {
  const burst = add("burst", Burst, { params: { count: 20 }, clock: free() });
  const gate = add("gate", Gate, { clock: trigger("go"), inputs: { data: events() } });
  const sink = add("sink", Sink);
  connect(burst.out.data, gate.in.data, { capacity: 5, onFull: "dropNewest" });
  connect(burst.out.go, gate.in.go);
  connect(gate.out.kept, sink.in.value);
});

export const params = flow("params", ({ add, connect }) => {
  const d = add("d", Describe, { params: { label: "cam", factor: 3, tags: ["a", "b"], limits: { lo: -1, hi: 2.5 } }, clock: free() });
  const sink = add("sink", Sink);
  connect(d.out.text, sink.in.value);
});

export const binary = flow("binary", ({ add, connect }) => {
  const frame = add("frame", Frame, { clock: free() });
  const check = add("check", FrameCheck);
  const sink = add("sink", Sink);
  const raw = add("raw", Sink);
  connect(frame.out.frame, check.in.frame);
  connect(check.out.ok, sink.in.value);
  connect(frame.out.frame, raw.in.value);
});

/** 60 frames of 256 KB back to back into a block channel of capacity 2: every one arrives, then the end. */
export const largeBlock = flow("largeBlock", ({ add, connect }) => {
  const frames = add("frames", Frames, { params: { count: 60, size: 256 * 1024 }, clock: free() });
  const index = add("index", FrameIndex, { params: { size: 256 * 1024 } });
  const sink = add("sink", Sink);
  connect(frames.out.frame, index.in.frame, { capacity: 2, onFull: "block" });
  connect(index.out.index, sink.in.value, { capacity: 64, onFull: "block" });
});

export const hangSync = flow("hangSync", ({ add, connect }) => {
  const src = add("src", Ticks, { clock: rate(20) });
  const hang = add("hang", Hang, { params: { mode: "sync" } });
  connect(src.out.value, hang.in.value);
});

export const hangAsync = flow("hangAsync", ({ add, connect }) => {
  const src = add("src", Ticks, { clock: rate(20) });
  const hang = add("hang", Hang, { params: { mode: "async" } });
  connect(src.out.value, hang.in.value);
});

/** A stateless node on a pool of 4: every message once, in order. */
export const parallel = flow("parallel", ({ add, connect }) => {
  const numbers = add("numbers", Numbers, { params: { count: 300 }, clock: free() });
  const work = add("work", Work, { parallelism: 4 });
  const sink = add("sink", Sink);
  connect(numbers.out.value, work.in.value, { onFull: "block", capacity: 16 });
  connect(work.out.value, sink.in.value, { onFull: "block", capacity: 16 });
});

/** A message that breaks its port schema: caught with validate: true. */
export const invalid = flow("invalid", ({ add, connect }) => {
  const liar = add("liar", Liar, { clock: free() });
  const sink = add("sink", Sink);
  connect(liar.out.reading, sink.in.value);
});

/** A node's executor dies at its third message: FLC3040 naming it, with the exit status and its stderr. */
export const exitStep = flow("exitStep", ({ add, connect }) => {
  const src = add("src", Numbers, { params: { count: 10 }, clock: free() });
  const dies = add("dies", Exit, { params: { at: 3, code: 7 } });
  connect(src.out.value, dies.in.value, { onFull: "block", capacity: 1 });
});

/** A node's executor dies during bring-up: FLC3207 naming it; nothing runs. */
export const exitSetup = flow("exitSetup", ({ add, connect }) => {
  const src = add("src", Numbers, { params: { count: 10 }, clock: free() });
  const dies = add("dies", Exit, { params: { at: 0, code: 5 } });
  connect(src.out.value, dies.in.value);
});

/** What an executor sees of the run's environment and Node.js flags. */
export const probe = flow("probe", ({ add, connect }) => {
  const probe = add("probe", Probe, { params: { variable: "FLOWC_CONFORMANCE_MARK" }, clock: free() });
  const sink = add("sink", Sink);
  const flags = add("flags", Sink);
  connect(probe.out.env, sink.in.value);
  connect(probe.out.execArgv, flags.in.value);
});

/** A finite source of 100 messages into a counter over a channel left at its defaults: nothing is lost. */
export const defaults = flow("defaults", ({ add, connect }) => {
  const src = add("src", Numbers, { params: { count: 100 }, clock: free() });
  const count = add("count", Counter);
  const sink = add("sink", Sink);
  connect(src.out.value, count.in.value);
  connect(count.out.cause, sink.in.value, { capacity: 200, onFull: "block" });
});

/** A step written `(_i, { log }) => log.info(…)`: what log.info returns is not an output. */
export const logReturn = flow("logReturn", ({ add, connect }) => {
  const src = add("src", Numbers, { params: { count: 5 }, clock: free() });
  const log = add("log", LogOnly);
  connect(src.out.value, log.in.value, { onFull: "block" });
});

/** rate(3) for 2 s: ticks at 0, 333.3, …, 1666.7 — six steps; the seventh would be at exactly 2000. */
export const rate3 = flow("rate3", ({ add, connect }) => {
  const ticks = add("ticks", Ticks, { clock: rate(3) });
  const sink = add("sink", Sink);
  connect(ticks.out.value, sink.in.value, { onFull: "block", capacity: 100 });
});

/**
 * A deadlock: src sends to pair.a (block, capacity 1, not a trigger port) and to quiet, which
 * never sends on pair.b (the trigger port). pair never steps, src waits for room forever, quiet
 * waits for input that cannot come.
 */
export const deadlock = flow("deadlock", ({ add, connect }) => {
  const src = add("src", Numbers, { params: { count: 10 }, clock: free() });
  const quiet = add("quiet", Silent);
  const pair = add("pair", Pair, { clock: trigger("b") });
  connect(src.out.value, pair.in.a, { onFull: "block", capacity: 1 });
  connect(src.out.value, quiet.in.value, { onFull: "block", capacity: 1 });
  connect(quiet.out.value, pair.in.b, { onFull: "block", capacity: 1 });
});

/** rate(10) with onLag "error" and steps of 250 ms: the second step is late by more than a period. */
export const lagError = flow("lagError", ({ add, connect }) => {
  const busy = add("busy", Busy, { params: { busyMs: 250 }, clock: rate(10, { onLag: "error" }) });
  const sink = add("sink", Sink);
  connect(busy.out.value, sink.in.value, { onFull: "block", capacity: 100 });
});

/** Two 64 MB frames on three block channels of capacity 2: every frame arrives whole, then the end. */
export const bigFrames = flow("bigFrames", ({ add, connect }) => {
  const frames = add("frames", Frames, { params: { count: 2, size: 64 * 1024 * 1024 }, clock: free() });
  for (const id of ["c1", "c2", "c3"] as const) {
    const check = add(id, FrameSample, { params: { size: 64 * 1024 * 1024 } });
    const sink = add(`${id}sink`, Sink);
    connect(frames.out.frame, check.in.frame, { onFull: "block", capacity: 2 });
    connect(check.out.index, sink.in.value, { onFull: "block", capacity: 4 });
  }
});

/**
 * Large frames kept across steps (a window of 3) and forwarded: every frame a step is shown
 * stays whole, though the producer reuses the memory of frames nobody shows any more.
 */
export const keptFrames = flow("keptFrames", ({ add, connect }) => {
  const size = 256 * 1024;
  const frames = add("frames", Frames, { params: { count: 40, size }, clock: free() });
  const win = add("win", WindowCheck, { params: { size }, inputs: { frames: window({ size: 3 }) } });
  const relay = add("relay", Relay);
  const check = add("check", FrameSample, { params: { size } });
  connect(frames.out.frame, win.in.frames, { onFull: "block", capacity: 2 });
  connect(frames.out.frame, relay.in.frame, { onFull: "block", capacity: 2 });
  connect(relay.out.frame, check.in.frame, { onFull: "block", capacity: 2 });
  connect(win.out.seen, add("winsink", Sink).in.value, { onFull: "block" });
  connect(check.out.index, add("checksink", Sink).in.value, { onFull: "block" });
});

/**
 * Frames the source writes where they travel (`ctx.allocate`: a shared-memory slot on process
 * engines), fanned out to a checker and through a relay to another.
 */
export const allocatedFrames = flow("allocatedFrames", ({ add, connect }) => {
  const size = 256 * 1024;
  const frames = add("frames", AllocFrames, { params: { count: 10, size }, clock: free() });
  const relay = add("relay", Relay);
  const direct = add("direct", FrameSample, { params: { size } });
  const relayed = add("relayed", FrameSample, { params: { size } });
  connect(frames.out.frame, direct.in.frame, { onFull: "block", capacity: 2 });
  connect(frames.out.frame, relay.in.frame, { onFull: "block", capacity: 2 });
  connect(relay.out.frame, relayed.in.frame, { onFull: "block", capacity: 2 });
  connect(direct.out.index, add("directsink", Sink).in.value, { onFull: "block" });
  connect(relayed.out.index, add("relayedsink", Sink).in.value, { onFull: "block" });
});

/** Frames written in place along a chain (fusable: with mp's fuse, one process runs all three). */
export const allocatedChain = flow("allocatedChain", ({ add, connect }) => {
  const size = 256 * 1024;
  const frames = add("frames", AllocFrames, { params: { count: 10, size }, clock: free() });
  const check = add("check", FrameSample, { params: { size } });
  connect(frames.out.frame, check.in.frame, { onFull: "block", capacity: 2 });
  connect(check.out.index, add("sink", Sink).in.value, { onFull: "block" });
});

/** An endless stream of 1 MB frames written in place, kept in a window: for leak checks. */
export const slotStream = flow("slotStream", ({ add, connect }) => {
  const size = 1024 * 1024;
  const frames = add("frames", AllocFrames, { params: { count: 1_000_000, size }, clock: rate(200) });
  const win = add("win", WindowCheck, { params: { size }, inputs: { frames: window({ size: 3 }) } });
  connect(frames.out.frame, win.in.frames, { onFull: "dropOldest", capacity: 4 });
  connect(win.out.seen, add("sink", Sink).in.value, { onFull: "dropOldest" });
});

/** A node whose teardown outlasts the grace period. */
export const slowTeardown = flow("slowTeardown", ({ add, connect }) => {
  const src = add("src", Ticks, { clock: rate(10) });
  const slow = add("slow", SlowTeardown, { params: { ms: 1500 } });
  connect(src.out.value, slow.in.value, { onFull: "dropOldest" });
});

/** A port typed z.number().int().min(0) sent 3, then 1.5: with validate: true the second fails the node. */
export const refined = flow("refined", ({ add, connect }) => {
  const count = add("count", Counts, { clock: free() });
  const sink = add("sink", Sink);
  connect(count.out.value, sink.in.value);
});

/**
 * A cycle fed from outside: 5 numbers each go round the loop 3 times, then leave. Once the
 * source has ended and the loop is empty the run is quiescent: every node finishes.
 */
export const fedCycle = flow("fedCycle", ({ add, connect }) => {
  const src = add("src", Numbers, { params: { count: 5 }, clock: free() });
  const head = add("head", LoopHead, { params: { rounds: 3 } });
  const body = add("body", LoopBody);
  const sink = add("sink", Sink);
  connect(src.out.value, head.in.fresh);
  connect(head.out.around, body.in.value);
  connect(body.out.value, head.in.back);
  connect(head.out.out, sink.in.value);
});

/**
 * A node that fails in isolation on its 3rd message, fed 50 messages through a block channel
 * of capacity 2: it discards the rest, so its producer never waits on it and the run completes.
 */
export const isolateDiscard = flow("isolateDiscard", ({ add, connect }) => {
  const src = add("src", Numbers, { params: { count: 50 }, clock: free() });
  const boom = add("boom", Boom, { params: { at: 3 }, onError: "isolate" });
  const ok = add("ok", Sink);
  connect(src.out.value, boom.in.value, { onFull: "block", capacity: 2 });
  connect(src.out.value, ok.in.value);
});
