import { join } from "node:path";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { analyze, fuse, type Ir, isFusedNode } from "@flowc/ir";
import {
  type BuildOptions,
  type ChildInit,
  ExecutorGroup,
  entryUrl,
  execArgvFrom,
  type InitMessage,
  launchChildExecutor,
  launchThread,
  processLadder,
  setOwn,
  threadLadder,
} from "@flowc/runtime";
import { createRing, Doorbells, type RingSpec } from "./ring.js";
import type { ThreadInit } from "./thread-worker.js";

/** Worker threads run built JavaScript; from sources (tests) they use the package's dist. */
const threadEntry = entryUrl(import.meta.url, {
  source: "../dist/thread-worker.js",
  dist: "./thread-worker.js",
  packed: "thread-worker.js",
});

export interface RemoteSettings {
  readonly isolation: "thread" | "process";
  readonly fuse: boolean;
  readonly validate: boolean;
  readonly spinUs: number;
  readonly graceMs: number;
  readonly shmThresholdBytes: number;
}

/** Executors: one per node, or one per fused chain, in topological order. */
function executorNodes(ir: Ir, fuseChains: boolean): string[][] {
  if (fuseChains) return fuse(ir).nodes.map((n) => (isFusedNode(n) ? n.impl.members.map((m) => m.id) : [n.id]));
  return analyze(ir).order.map((id) => [id]);
}

/**
 * mp's thread and process executions: an executor group (the shared supervisor) whose
 * executors are worker threads joined by shared-memory rings, or child processes joined by
 * Unix sockets. What is mp's own is here: fusing chains into one executor, and the rings
 * and doorbells between threads.
 */
export async function createRemoteExecution(ir: Ir, options: BuildOptions, mp: RemoteSettings): Promise<ExecutorGroup> {
  const groups = executorNodes(ir, mp.fuse);
  const executorOf = new Map<string, number>();
  groups.forEach((nodes, i) => {
    for (const id of nodes) executorOf.set(id, i);
  });
  const base = (index: number, nodes: readonly string[]): InitMessage => ({
    type: "init",
    ir,
    nodes,
    baseDir: options.baseDir,
    validate: mp.validate,
    record: options.onRecord !== undefined,
    recordValues: options.recordValues === true,
    durationMs: options.durationMs,
    statsMs: options.sampleMs,
    index,
  });
  // Node.js flags apply to executor processes; a worker thread refuses most of them.
  const execArgv = execArgvFrom(options.env);
  const members = groups.map((nodes, index) => ({ index, nodes }));
  const common = {
    runtime: "mp",
    ir,
    members,
    durationMs: options.durationMs,
    graceMs: mp.graceMs,
    onRecord: options.onRecord,
  };

  if (mp.isolation === "process") {
    const group: ExecutorGroup = new ExecutorGroup(
      { ...common, mode: "process", handshake: true, socketDirPrefix: "flowc-mp-", ladder: processLadder },
      {
        launch: (member, restart, handlers) => {
          const init: ChildInit = {
            ...base(member.index, member.nodes),
            socketDir: group.socketDir as string,
            executorOf: [...executorOf],
            // Slots need no directory; tmpfs files (where slots cannot be mapped) go with the sockets.
            shm: { dir: join(group.socketDir as string, "shm"), threshold: mp.shmThresholdBytes },
            restart,
            deferClose: false,
            externalTicks: false,
          };
          return launchChildExecutor(init, { env: options.env, cwd: options.baseDir, execArgv, name: member.nodes.join("+") }, handlers);
        },
      },
    );
    await group.bringUp();
    return group;
  }

  // Threads: a shared-memory ring per channel between two executors, with a MessagePort
  // beside it for payloads too large for the ring; a doorbell per executor to sleep on.
  const bells = Doorbells.create(groups.length);
  const rings: Record<string, { spec: RingSpec; port: MessagePort }>[] = groups.map(() => ({}));
  const transfer: MessagePort[][] = groups.map(() => []);
  for (const c of ir.channels) {
    const from = executorOf.get(c.from.node) as number;
    const to = executorOf.get(c.to.node) as number;
    if (from === to) continue;
    const spec = createRing(c, from, to);
    const { port1, port2 } = new MessageChannel();
    setOwn(rings[from] as Record<string, { spec: RingSpec; port: MessagePort }>, c.id, { spec, port: port1 });
    setOwn(rings[to] as Record<string, { spec: RingSpec; port: MessagePort }>, c.id, { spec, port: port2 });
    transfer[from]?.push(port1);
    transfer[to]?.push(port2);
  }
  const group = new ExecutorGroup(
    { ...common, mode: "thread", handshake: false, ladder: threadLadder },
    {
      launch: (member, _restart, handlers) => {
        const init: ThreadInit = {
          ...base(member.index, member.nodes),
          bells: bells.sab,
          spinUs: mp.spinUs,
          rings: rings[member.index] ?? {},
        };
        return launchThread(
          threadEntry,
          init,
          transfer[member.index] ?? [],
          { env: options.env, name: `flowc ${member.nodes.join("+")}` },
          handlers,
        );
      },
      // Executors asleep on their doorbell wake up to the stop.
      stopping: (executors) => {
        for (const e of executors) bells.requestStop(e);
      },
    },
  );
  await group.bringUp();
  return group;
}
