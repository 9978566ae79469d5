// Entry of a worker thread executor (isolation "thread"): one node or one fused chain.
import { getHeapStatistics } from "node:v8";
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import type { FromExecutor, InitMessage, ToExecutor } from "@flowc/runtime";
import { type ExecutorTransport, ProbeDesk, runExecutor } from "@flowc/runtime";
import { Doorbells, RingInbound, RingOutbound, type RingSpec } from "./ring.js";

export interface ThreadInit extends InitMessage {
  readonly bells: SharedArrayBuffer;
  readonly spinUs: number;
  readonly rings: Readonly<Record<string, { readonly spec: RingSpec; readonly port: MessagePort }>>;
}

const port = parentPort;
if (!port) throw new Error("thread-worker.js runs inside a worker thread");
const init = workerData as ThreadInit;
const bells = new Doorbells(init.bells);
bells.spinMs = init.spinUs / 1000;
let peak = getHeapStatistics().used_heap_size;
const sampler = setInterval(() => {
  peak = Math.max(peak, getHeapStatistics().used_heap_size);
}, 100);
sampler.unref();

let resolveStart: (epoch: number) => void = () => {};
const started = new Promise<number>((resolve) => {
  resolveStart = resolve;
});
const probes = new ProbeDesk();
port.on("message", (message: ToExecutor) => {
  if (message.type === "start") resolveStart(message.epoch);
  else if (message.type === "stop") bells.requestStop(init.index);
  else if (message.type === "probe") probes.request(message.round);
  else if (message.type === "quiesce") probes.quiesce();
});

const ring = (id: string) => {
  const r = Object.hasOwn(init.rings, id) ? init.rings[id] : undefined;
  if (!r) throw new Error(`no ring for channel '${id}'`);
  return r;
};
const transport: ExecutorTransport = {
  inbound: (c) => new RingInbound(c, ring(c.id).spec, bells, ring(c.id).port),
  outbound: (c) => new RingOutbound(c, ring(c.id).spec, bells, ring(c.id).port),
  waiter: {
    token: () => bells.token(init.index),
    wait: (token, timeoutMs) => bells.wait(init.index, token, timeoutMs),
    waitAsync: (token, timeoutMs) => bells.waitAsync(init.index, token, timeoutMs),
  },
  stopRequested: () => bells.stopRequested(init.index),
  peakMemory: () => Math.max(peak, getHeapStatistics().used_heap_size),
  memoryNow: () => getHeapStatistics().used_heap_size,
};

const send = (message: FromExecutor) => port.postMessage(message);
await runExecutor(init, transport, send, started, probes);
clearInterval(sampler);
for (const r of Object.values(init.rings)) r.port.close();
port.close();
