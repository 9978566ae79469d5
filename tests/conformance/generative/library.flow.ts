// One instance of every generative kind, compiled once per test run: the test takes each
// node's IR (type, module, ports, adapters, statefulness) as the template for random flows
// and uses the bundle this build writes for all of them.
import { flow, free, window } from "@flowc/dsl";
import {
  Affine,
  AffineEach,
  Boom,
  Bursts,
  Collect,
  Count,
  Hop,
  Keep,
  Loop,
  Merge,
  Objects,
  Pack,
  Pair,
  Running,
  RunningEach,
  Sink,
  Split,
  Spread,
  Twin,
  Unpack,
  WindowSum,
} from "./kinds.js";

export const library = flow("library", ({ add, connect }) => {
  const count = add("Count", Count, { params: { count: 1, start: 0, stride: 1 }, clock: free() });
  const bursts = add("Bursts", Bursts, { params: { steps: 1, per: 1, base: 0 }, clock: free() });
  const twin = add("Twin", Twin, { params: { count: 1 }, clock: free() });
  const objects = add("Objects", Objects, { params: { count: 1, start: 0 }, clock: free() });
  const affine = add("Affine", Affine, { params: { mul: 1, add: 0, mod: 7, async: false } });
  const keep = add("Keep", Keep, { params: { mod: 2, rem: 0 } });
  const spread = add("Spread", Spread, { params: { copies: 2 } });
  const split = add("Split", Split);
  const running = add("Running", Running, { params: { mod: 7 } });
  const pack = add("Pack", Pack);
  const unpack = add("Unpack", Unpack);
  const boom = add("Boom", Boom, { params: { at: 9, how: "throw", forward: true } });
  const sink = add("Sink", Sink);
  const pair = add("Pair", Pair, { params: { held: false } });
  const merge = add("Merge", Merge, { params: { held: false } });
  const affineEach = add("AffineEach", AffineEach, { params: { mul: 1, add: 0, mod: 7 } });
  const runningEach = add("RunningEach", RunningEach, { params: { mod: 7 } });
  const collect = add("Collect", Collect);
  const windowSum = add("WindowSum", WindowSum, { inputs: { values: window({ size: 2 }) } });
  const loop = add("Loop", Loop, { params: { rounds: 1, held: false } });
  const hop = add("Hop", Hop);
  for (const input of [affine.in.value, keep.in.value, spread.in.value, split.in.value, running.in.value, pack.in.value, boom.in.value])
    connect(count.out.value, input);
  for (const input of [pair.in.a, merge.in.a, affineEach.in.values, runningEach.in.values, windowSum.in.values, loop.in.a, hop.in.value])
    connect(bursts.out.value, input);
  connect(twin.out.a, pair.in.b);
  connect(twin.out.b, merge.in.b);
  connect(objects.out.value, unpack.in.value);
  connect(hop.out.value, loop.in.b);
  connect(pack.out.value, sink.in.value);
  connect(unpack.out.value, collect.in.values);
});
