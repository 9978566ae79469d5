// Flows of the runtime benchmark; params are set per measurement by editing the IR.
import { events, flow, free, rate } from "@flowc/dsl";
import { Blaster, Busy, Clock, CountSink, EndToEnd, Flood, FrameCounter, LatencySink, Pinger } from "./nodes.js";

/** One hop: a 200 Hz pinger (5 ms spacing, like Dora's benchmark) into a latency sink. */
export const hop = flow("hop", ({ add, connect }) => {
  const ping = add("ping", Pinger, { params: { size: 8, count: 100 }, clock: rate(200) });
  const sink = add("sink", LatencySink, { params: { count: 100 } });
  connect(ping.out.frame, sink.in.frame, { capacity: 16 });
});

/** Back-to-back small messages between two nodes. */
export const throughput = flow("throughput", ({ add, connect }) => {
  const flood = add("flood", Flood, { params: { count: 1_000_000, batch: 1000 }, clock: free() });
  const sink = add("sink", CountSink, { params: { count: 1_000_000 }, inputs: { values: events() } });
  connect(flood.out.value, sink.in.values, { capacity: 4096, onFull: "block" });
});

/** Four 1 ms stages, 10 ms apart. */
export const chain = flow("chain", ({ add, connect }) => {
  const clock = add("clock", Clock, { params: { count: 200 }, clock: rate(100) });
  const s1 = add("s1", Busy, { params: { ms: 1 } });
  const s2 = add("s2", Busy, { params: { ms: 1 } });
  const s3 = add("s3", Busy, { params: { ms: 1 } });
  const s4 = add("s4", Busy, { params: { ms: 1 } });
  const end = add("end", EndToEnd, { params: { count: 200 } });
  connect(clock.out.sent, s1.in.sent);
  connect(s1.out.sent, s2.in.sent);
  connect(s2.out.sent, s3.in.sent);
  connect(s3.out.sent, s4.in.sent);
  connect(s4.out.sent, end.in.sent);
});

/** Ten nodes: a source and nine stages (for the time to the first step). */
export const ten = flow("ten", ({ add, connect }) => {
  const clock = add("clock", Clock, { params: { count: 1 }, clock: rate(1) });
  let prev = add("s1", Busy, { params: { ms: 0 } });
  connect(clock.out.sent, prev.in.sent);
  for (const id of ["s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"]) {
    const next = add(id, Busy, { params: { ms: 0 } });
    connect(prev.out.sent, next.in.sent);
    prev = next;
  }
});

/** Back-to-back frames of one size (large-message throughput). */
export const burst = flow("burst", ({ add, connect }) => {
  const blast = add("blast", Blaster, { params: { size: 4 * 1024 * 1024, count: 500 }, clock: free() });
  const sink = add("sink", FrameCounter, { params: { count: 500 }, inputs: { frames: events() } });
  connect(blast.out.frame, sink.in.frames, { capacity: 16, onFull: "block" });
});
