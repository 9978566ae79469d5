// Node definitions of the runtime benchmark (bench/runtime.bench.ts).
import { many, node } from "@flowc/dsl";
import { z } from "zod";

const machineNow = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC: shared by every process on the machine

/** Emits `count` frames of `size` bytes, the send time (epoch ms, f64) in the first 8 bytes. */
export const Pinger = node("Pinger", {
  params: { size: z.number().int(), count: z.number().int(), allocate: z.boolean().default(false) },
  outputs: { frame: z.instanceof(Uint8Array) },
  state: () => ({ n: 0 }),
  step: (_inputs, { params, state, allocate }) => {
    if (state.n >= params.count) return undefined;
    state.n++;
    // With `allocate` the frame is written where it travels (a shared-memory slot on process engines).
    const frame = params.allocate ? allocate(Math.max(8, params.size)) : new Uint8Array(Math.max(8, params.size));
    new DataView(frame.buffer, frame.byteOffset).setFloat64(0, machineNow(), true);
    return { frame };
  },
});

/** Measures each frame's one-way latency (µs); logs them all as JSON after `count` (the first `skip` are warm-up). */
export const LatencySink = node("LatencySink", {
  params: { count: z.number().int(), skip: z.number().int().default(0) },
  inputs: { frame: z.instanceof(Uint8Array) },
  state: () => ({ latencies: [] as number[] }),
  step: ({ frame }, { params, state, log }) => {
    if (!frame) return;
    const sent = new DataView(frame.buffer, frame.byteOffset, 8).getFloat64(0, true);
    state.latencies.push((machineNow() - sent) * 1000);
    if (state.latencies.length === params.count) log.info(JSON.stringify({ latencies: state.latencies.slice(params.skip) }));
  },
});

/** Emits `count` small numbers, `batch` per step. */
export const Flood = node("Flood", {
  params: { count: z.number().int(), batch: z.number().int() },
  outputs: { value: z.number() },
  source: function* ({ params, emit }) {
    let sent = 0;
    while (sent < params.count) {
      const n = Math.min(params.batch, params.count - sent);
      for (let i = 0; i < n; i++) emit("value", sent++);
      yield {};
    }
  },
});

/** Counts arrivals; logs {count, firstMs, lastMs} (epoch) when `count` arrived. */
export const CountSink = node("CountSink", {
  params: { count: z.number().int() },
  inputs: { values: many(z.number()) },
  state: () => ({ n: 0, first: 0 }),
  step: ({ values }, { params, state, log }) => {
    if (!values) return;
    if (state.n === 0) state.first = machineNow();
    state.n += values.length;
    if (state.n >= params.count) log.info(JSON.stringify({ count: state.n, firstMs: state.first, lastMs: machineNow() }));
  },
});

/** Emits its send time (epoch ms). */
export const Clock = node("Clock", {
  params: { count: z.number().int() },
  outputs: { sent: z.number() },
  state: () => ({ n: 0 }),
  step: (_inputs, { params, state, log }) => {
    if (state.n === 0) log.info(JSON.stringify({ firstStep: machineNow() }));
    if (state.n >= params.count) return undefined;
    state.n++;
    return { sent: machineNow() };
  },
});

/** Busy for `ms` milliseconds, then passes the value on. */
export const Busy = node("Busy", {
  params: { ms: z.number() },
  inputs: { sent: z.number() },
  outputs: { sent: z.number() },
  step: ({ sent }, { params }) => {
    if (sent === undefined) return undefined;
    const until = performance.now() + params.ms;
    while (performance.now() < until) {}
    return { sent };
  },
});

/** End-to-end latency (µs) from the Clock's send time; logs them after `count`. */
export const EndToEnd = node("EndToEnd", {
  params: { count: z.number().int(), skip: z.number().int().default(0) },
  inputs: { sent: z.number() },
  state: () => ({ latencies: [] as number[] }),
  step: ({ sent }, { params, state, log }) => {
    if (sent === undefined) return;
    state.latencies.push((machineNow() - sent) * 1000);
    if (state.latencies.length === params.count) log.info(JSON.stringify({ latencies: state.latencies.slice(params.skip) }));
  },
});

/** Emits `count` frames of `size` bytes back to back (a source that ends), the send time in the first 8 bytes. */
export const Blaster = node("Blaster", {
  params: { size: z.number().int(), count: z.number().int(), allocate: z.boolean().default(false) },
  outputs: { frame: z.instanceof(Uint8Array) },
  source: function* ({ params, emit, allocate }) {
    const size = Math.max(8, params.size);
    for (let i = 0; i < params.count; i++) {
      // Written where it travels (`allocate`), or in memory of its own — uninitialised, as the
      // bare-socket baseline's Buffer.allocUnsafe: zeroing 4 MB costs ~350 µs of the node's own
      // time per frame, which is not the transport's.
      const frame = params.allocate ? allocate(size) : new Uint8Array(Buffer.allocUnsafeSlow(size).buffer);
      new DataView(frame.buffer, frame.byteOffset).setFloat64(0, machineNow(), true);
      emit("frame", frame);
      yield {};
    }
  },
});

/** Counts frames; logs {count, firstMs, lastMs} (epoch) when `count` arrived. */
export const FrameCounter = node("FrameCounter", {
  params: { count: z.number().int() },
  inputs: { frames: many(z.instanceof(Uint8Array)) },
  state: () => ({ n: 0, first: 0 }),
  step: ({ frames }, { params, state, log }) => {
    if (!frames) return;
    if (state.n === 0) state.first = machineNow();
    state.n += frames.length;
    if (state.n >= params.count) log.info(JSON.stringify({ count: state.n, firstMs: state.first, lastMs: machineNow() }));
  },
});
