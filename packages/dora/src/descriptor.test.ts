import { encodeJson, type Ir } from "@flowc/ir";
import { loadValid, testChannel, testIr, testNode, testSource } from "@flowc/ir/testing";
import { describe, expect, it } from "vitest";
import { parseInputSource, timerFor } from "./inputs.js";
import { descriptorToYaml, lowerToDescriptor } from "./lower.js";
import { parseDescriptor } from "./parse.js";
import { descriptorToIr } from "./to-ir.js";

function roundTrip(ir: Ir): Ir {
  const yaml = descriptorToYaml(lowerToDescriptor(ir));
  const parsed = parseDescriptor(yaml);
  expect(parsed.diagnostics).toEqual([]);
  const back = descriptorToIr(parsed.descriptor as never);
  expect(back.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return back.ir as Ir;
}

describe("IR → Dora-dialect descriptor → IR", () => {
  it("loses nothing: adapters, onFull, params, schemas, clocks, placement, fan-in", () => {
    const ir = loadValid(
      testIr(
        [
          testSource("cam", {
            clock: { kind: "rate", hz: 30, onLag: "drop" },
            params: { device: "/dev/video0", size: [640, 480] },
            placement: "robot",
          }),
          testSource("lidar", { clock: { kind: "rate", hz: 10, onLag: "warn" } }),
          testNode("fuse", {
            inputs: { value: { schema: { type: "number" }, adapter: { kind: "window", size: 4 } } },
            clock: { kind: "hybrid", hz: 2, onLag: "catchUp", on: ["value"] },
            onError: "isolate",
          }),
        ],
        [
          testChannel("cam.value", "fuse.value", { capacity: 3, onFull: "dropNewest" }),
          testChannel("lidar.value", "fuse.value", { capacity: 100, onFull: "block" }),
        ],
      ),
    );
    expect(encodeJson(roundTrip(ir))).toBe(encodeJson(ir));
  });

  it("keeps flowc's lossless default: a channel nobody configured is written as backpressure and reads back as block", () => {
    const ir = loadValid(testIr([testSource("a"), testNode("b")], [testChannel("a.value", "b.value")]));
    expect(ir.channels[0]).toMatchObject({ capacity: 10, onFull: "block" });
    const yaml = descriptorToYaml(lowerToDescriptor(ir));
    expect(yaml).toMatch(/value:\n\s+source: a\/value\n\s+queue_size: 10\n\s+queue_policy: backpressure/);
    expect(encodeJson(roundTrip(ir))).toBe(encodeJson(ir));
    // Without the _flowc facts, Dora's own reading of the long form still gives block.
    const nodes = lowerToDescriptor(ir).nodes.map(({ _flowc, ...node }) => node);
    expect(descriptorToIr({ nodes }).ir?.channels[0]).toMatchObject({ capacity: 10, onFull: "block" });
  });

  it("a hand-written short-form input keeps Dora's defaults: queue_size 10, drop oldest", () => {
    const parsed = parseDescriptor(
      "nodes:\n  - id: a\n    path: ./a.ts\n    outputs: [v]\n  - id: b\n    path: ./b.ts\n    inputs:\n      v: a/v\n",
    );
    expect(descriptorToIr(parsed.descriptor as never).ir?.channels[0]).toMatchObject({ capacity: 10, onFull: "dropOldest" });
  });

  it("writes Dora's fields: runner path and args, short and long inputs, timers, outputs, deploy", () => {
    const ir = loadValid(
      testIr(
        [testSource("a", { clock: { kind: "rate", hz: 1, onLag: "warn" }, placement: "m1" }), testNode("b"), testNode("c")],
        [testChannel("a.value", "b.value", { onFull: "dropOldest" }), testChannel("b.value", "c.value", { capacity: 8, onFull: "block" })],
      ),
    );
    const yaml = descriptorToYaml(lowerToDescriptor(ir));
    expect(yaml).toContain("- id: a\n    path: flowc-node\n    args: ");
    expect(yaml).toContain("tick: dora/timer/millis/1000");
    // Dora's defaults (10, drop oldest) are its short form.
    expect(yaml).toContain("value: a/value\n");
    expect(yaml).toMatch(/value:\n\s+source: b\/value\n\s+queue_size: 8\n\s+queue_policy: backpressure/);
    expect(yaml).toMatch(/deploy:\n\s+machine: m1/);
    expect(yaml).toMatch(/outputs:\n\s+- value/);
  });

  it("timers: millis when whole, hz otherwise; the grammar of input strings", () => {
    expect(timerFor(100)).toBe("dora/timer/millis/10");
    expect(timerFor(3)).toBe("dora/timer/hz/3");
    expect(parseInputSource("dora/timer/secs/2")).toEqual({ kind: "timer", periodMs: 2000, text: "dora/timer/secs/2" });
    expect(parseInputSource("dora/timer/hz/2.5")).toMatchObject({ periodMs: 400 });
    expect(parseInputSource("cam/image")).toEqual({ kind: "node", node: "cam", output: "image" });
    for (const bad of ["dora/timer/millis/0", "dora/timer/millis/1.5", "dora/timer/hz/-1", "dora/logs", "cam", "a/b/c", "/x"]) {
      expect(typeof parseInputSource(bad), bad).toBe("string");
    }
  });
});

describe("parsing the dialect", () => {
  const both = (deploy: string) => `nodes:
  - id: src
    path: ./nodes/src.ts
    ${deploy}:
      machine: A
    inputs:
      tick: dora/timer/millis/100
    outputs:
      - value
  - id: sink
    path: flowc-node
    args: ./nodes/sink.mjs Sink
    inputs:
      value:
        source: src/value
        queue_size: 4
        queue_policy: backpressure
`;

  it("accepts 0.x `_unstable_deploy` and 1.0 `deploy`, and builds IR for hand-written JS/TS nodes", () => {
    for (const spelling of ["_unstable_deploy", "deploy"]) {
      const parsed = parseDescriptor(both(spelling));
      expect(parsed.diagnostics).toEqual([]);
      expect(parsed.descriptor?.nodes[0]?.deploy).toEqual({ machine: "A" });
      const { ir, diagnostics } = descriptorToIr(parsed.descriptor as never, "hand");
      expect(diagnostics).toEqual([]);
      expect(ir?.nodes[0]).toMatchObject({
        id: "src",
        type: "src",
        impl: { module: "./nodes/src.ts", export: "default" },
        clock: { kind: "rate", hz: 10 },
        placement: "A",
      });
      expect(ir?.nodes[1]).toMatchObject({
        id: "sink",
        impl: { module: "./nodes/sink.mjs", export: "Sink" },
        clock: { kind: "trigger", on: ["value"] },
      });
      expect(ir?.channels).toEqual([
        {
          id: "src.value->sink.value",
          from: { node: "src", port: "value" },
          to: { node: "sink", port: "value" },
          capacity: 4,
          onFull: "block",
        },
      ]);
    }
  });

  it("rejects unknown keys, bad input strings and unsupported Dora features with codes and line numbers", () => {
    const text = `nodes:
  - id: a
    path: flowc-node
    outputz: [x]
    inputs:
      tick: dora/timer/millis/0
      other: nowhere
  - id: b
    path: flowc-node
    operators: []
`;
    const { descriptor, diagnostics } = parseDescriptor(text, "flow.yml");
    expect(descriptor).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
      ["FLC3102", 4, 5],
      ["FLC3104", 6, 13],
      ["FLC3104", 7, 14],
      ["FLC3105", 10, 5],
    ]);
    expect(diagnostics[0]?.message).toBe("Unknown key 'outputz' in node 'a'.");
    expect(diagnostics[1]?.message).toContain("the timer period '0' must be a positive integer");
    expect(diagnostics[3]?.message).toContain("'operators' in node 'b' is Dora syntax flowc does not run");
    expect(diagnostics.every((d) => d.file === "flow.yml")).toBe(true);
  });

  it("refuses nodes flowc cannot run at their `path` line: programs, scripts, libraries, dynamic nodes, URLs", () => {
    const text = `nodes:
  - id: sender
    path: sender.py
  - id: native
    path: ../../target/debug/rust-node
  - id: op
    path: libop.so
  - id: dyn
    path: dynamic
  - id: remote
    path: https://example.com/node.zip
  - id: built
    build: cargo build -p node
    path: node.ts
  - id: op2
    operator:
      python: op.py
  - id: ok
    path: ./nodes.mts
    args: Ok
`;
    const { descriptor, diagnostics } = parseDescriptor(text, "flow.yml");
    expect(descriptor).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
      ["FLC3108", 3, 11],
      ["FLC3108", 5, 11],
      ["FLC3108", 7, 11],
      ["FLC3108", 9, 11],
      ["FLC3109", 11, 11],
      ["FLC3105", 13, 5],
      ["FLC3105", 16, 5],
    ]);
    expect(diagnostics[0]?.message).toBe(
      "Node 'sender' runs 'sender.py', which flowc cannot run: it is a Python script, not a JavaScript/TypeScript module.",
    );
    expect(diagnostics[1]?.message).toContain("it is a program or a command (no .ts/.js extension)");
    expect(diagnostics[2]?.message).toContain("a shared library");
    expect(diagnostics[3]?.message).toContain("dynamic nodes are started by hand");
    expect(diagnostics[4]?.message).toBe("Node 'remote' has its code at 'https://example.com/node.zip': flowc does not download nodes.");
    expect(diagnostics[0]?.hint).toContain("@flowc/dsl");
  });

  it("reads Dora's empty `inputs:`/`outputs:` as none, and names Dora 1.0 keys it does not run as such (FLC3105, not FLC3102)", () => {
    const empty = parseDescriptor("nodes:\n  - id: a\n    path: a.ts\n    inputs:\n    outputs:\n");
    expect(empty.diagnostics).toEqual([]);
    expect(descriptorToIr(empty.descriptor as never).ir?.nodes[0]).toMatchObject({ inputs: {}, outputs: {} });
    const keys = parseDescriptor(
      "health_check_interval: 1\nnodes:\n  - id: a\n    path: a.ts\n    send_logs_as: logs\n    restart_window: 10\n",
    ).diagnostics;
    expect(keys.map((d) => [d.code, d.line])).toEqual([
      ["FLC3105", 1],
      ["FLC3105", 5],
      ["FLC3105", 6],
    ]);
  });

  it("reports YAML syntax errors, missing fields, duplicate ids and unknown sources", () => {
    expect(parseDescriptor("nodes:\n  - id: a\n   path: x\n").diagnostics[0]?.code).toBe("FLC3101");
    const missing = parseDescriptor("nodes:\n  - id: a\n  - path: x.ts\n  - id: a\n    path: y.ts\n");
    expect(missing.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ["FLC3103", 2],
      ["FLC3103", 3],
      ["FLC3103", 4],
    ]);
    const parsed = parseDescriptor("nodes:\n  - id: a\n    path: flowc-node\n    inputs:\n      v: b/out\n      w: a/nope\n");
    const { diagnostics } = descriptorToIr(parsed.descriptor as never);
    expect(diagnostics.map((d) => d.code)).toEqual(["FLC3106", "FLC3106"]);
    expect(diagnostics[1]?.message).toContain("declares no output 'nope'");
    // Given the parse's locator, they carry the YAML line and column of the source string.
    const located = descriptorToIr(parsed.descriptor as never, "x", { locate: parsed.locate }).diagnostics;
    expect(located.map((d) => [d.code, d.line, d.column])).toEqual([
      ["FLC3106", 5, 10],
      ["FLC3106", 6, 10],
    ]);
  });
});
