// Large payloads on the paths the conformance modes do not take: mp process with fused chains
// (a buffer lent from a slot that also feeds a consumer in its own process is copied), the
// tmpfs-file fallback where slots cannot be mapped (FLOWC_SHM=files), and the socket alone
// (shared memory off: frames lent from and received into reused buffers).
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { dataflowRuntime } from "@flowc/runtime-dataflow";
import { mpRuntime } from "@flowc/runtime-mp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childProcesses, stopEsbuild } from "../helpers/processes.js";
import { type Compiled, compileScenario, ENV, type Mode, NODE_PROCESS, removeCompiled, run, valuesOn } from "./harness.js";

let kept: Compiled;
let allocated: Compiled;
let chain: Compiled;
const shmBefore = new Set(readdirSync("/dev/shm"));

beforeAll(async () => {
  kept = await compileScenario("keptFrames");
  allocated = await compileScenario("allocatedFrames");
  chain = await compileScenario("allocatedChain");
  expect(await stopEsbuild()).toEqual([]);
}, 120_000);

afterAll(() => {
  removeCompiled();
  expect(childProcesses(NODE_PROCESS)).toEqual([]);
  // Nothing of these runs is left in /dev/shm: slots never appear there, tmpfs files go with their run.
  expect(readdirSync("/dev/shm").filter((name) => !shmBefore.has(name) && name.startsWith("flowc-"))).toEqual([]);
});

const fused: Mode = {
  label: "mp/process+fuse",
  runtime: mpRuntime,
  options: { isolation: "process", fuse: true },
  exact: false,
  isolation: "process",
  fused: true,
};
const dataflow: Mode = { label: "dataflow", runtime: dataflowRuntime, options: { daemon: "embedded" }, exact: false, isolation: "process" };
/** No payload reaches the shared-memory threshold: every byte crosses the socket. */
const socketOnly = (mode: Mode): Mode => ({
  ...mode,
  label: `${mode.label} socket only`,
  options: { ...mode.options, shmThresholdBytes: 1 << 30 },
});

describe.each([
  { mode: fused, env: {} },
  { mode: dataflow, env: { FLOWC_SHM: "files" } },
  { mode: fused, env: { FLOWC_SHM: "files" } },
  { mode: socketOnly(dataflow), env: {} },
  { mode: socketOnly(fused), env: {} },
])("$mode.label $env", ({ mode, env }) => {
  it("frames kept in a window or forwarded stay whole", async () => {
    const out = await run(mode, kept, { env });
    expect(out.result.status).toBe("succeeded");
    const seen = valuesOn(out.records, "win.seen->winsink.value") as number[];
    expect(seen).not.toContain(-1);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(40);
    expect(valuesOn(out.records, "check.index->checksink.value")).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it("frames written in place arrive whole, also where a consumer shares the producer's process", async () => {
    const indices = Array.from({ length: 10 }, (_, i) => i);
    const out = await run(mode, allocated, { env });
    expect(out.result.status).toBe("succeeded");
    expect(valuesOn(out.records, "direct.index->directsink.value")).toEqual(indices);
    expect(valuesOn(out.records, "relayed.index->relayedsink.value")).toEqual(indices);
    const fusedChain = await run(mode, chain, { env });
    expect(fusedChain.result.status).toBe("succeeded");
    expect(valuesOn(fusedChain.records, "check.index->sink.value")).toEqual(indices);
  });
});

it("the tmpfs fallback keeps its files in the dataflow's directory and removes it with the run", async () => {
  const stateDir = join(ENV.FLOWC_HOME as string, "state");
  const ids = existsSync(stateDir) ? readdirSync(stateDir) : [];
  expect(ids.length).toBeGreaterThan(0);
  expect(ids.filter((id) => existsSync(`/dev/shm/flowc-${id}`))).toEqual([]);
});
