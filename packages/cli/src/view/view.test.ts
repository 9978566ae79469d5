import type { Ir } from "@flowc/ir";
import { loadValid, testChannel, testIr, testNode, testSource } from "@flowc/ir/testing";
import { describe, expect, it } from "vitest";
import {
  clockLabel,
  escapeHtml,
  type FlowLayout,
  GRAPH_SCRIPT,
  graphData,
  htmlDocument,
  jsonForScript,
  layoutFlow,
  PAGE_CSP,
  renderFlowPage,
  renderGraphSvg,
  renderGraphView,
} from "./index.js";

/** Every port kind and clock: a source, a fan-out, a hybrid node in a cycle, a free source, a parallel node. */
function richIr(): Ir {
  return loadValid(
    testIr(
      [
        testSource("camera", { clock: { kind: "rate", hz: 30 }, outputs: { frame: { schema: { type: "number" } } } }),
        testSource("ticks", { clock: { kind: "free" }, outputs: { tick: {} } }),
        testNode("detect", {
          clock: { kind: "trigger", on: ["a", "b"] },
          inputs: { a: {}, b: { adapter: { kind: "window", size: 4 } } },
          outputs: { boxes: {}, stats: {} },
          parallelism: 4,
        }),
        testNode("control", {
          clock: { kind: "hybrid", hz: 10, on: ["a"] },
          inputs: { a: {}, feedback: { adapter: { kind: "hold" } } },
          outputs: { cmd: {} },
        }),
        testNode("plant", { clock: { kind: "trigger", on: ["cmd"] }, inputs: { cmd: {} }, outputs: { state: {} } }),
        testNode("log", { clock: { kind: "trigger", on: ["value"] }, inputs: { value: {} }, outputs: {} }),
      ],
      [
        testChannel("camera.frame", "detect.a", { capacity: 10, onFull: "block" }),
        testChannel("ticks.tick", "detect.b", { capacity: 3, onFull: "dropOldest" }),
        testChannel("detect.boxes", "control.a"),
        testChannel("detect.stats", "log.value", { onFull: "dropNewest" }),
        testChannel("control.cmd", "plant.cmd"),
        testChannel("plant.state", "control.feedback", { capacity: 1 }),
      ],
      "rich",
    ),
  );
}

function withPlacement(ir: Ir, placements: Record<string, string>): Ir {
  return { ...ir, nodes: ir.nodes.map((n) => ({ ...n, placement: placements[n.id] ?? null })) };
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe("layoutFlow", () => {
  it("places every node, inputs on the west side and outputs on the east", async () => {
    const ir = richIr();
    const layout = await layoutFlow(ir);
    expect(layout.nodes.map((n) => n.id)).toEqual(ir.nodes.map((n) => n.id));
    for (const node of layout.nodes) {
      expect(node.width).toBeGreaterThan(0);
      for (const port of node.inputs) expect(port.x + port.width / 2).toBeCloseTo(node.x, 0);
      for (const port of node.outputs) expect(port.x + port.width / 2).toBeCloseTo(node.x + node.width, 0);
      // Ports lie below the id, type and clock lines.
      for (const port of [...node.inputs, ...node.outputs]) expect(port.y).toBeGreaterThanOrEqual(node.y + 56);
    }
    expect(layout.edges).toHaveLength(ir.channels.length);
    for (const edge of layout.edges) {
      expect(edge.points.length).toBeGreaterThanOrEqual(2);
      // Orthogonal: every segment is horizontal or vertical.
      for (let i = 1; i < edge.points.length; i++) {
        const [a, b] = [edge.points[i - 1], edge.points[i]];
        expect(Math.abs((a?.x ?? 0) - (b?.x ?? 0)) < 0.5 || Math.abs((a?.y ?? 0) - (b?.y ?? 0)) < 0.5).toBe(true);
      }
    }
    expect(layout.groups).toEqual([]);
    // Plain data: it survives JSON.
    expect(JSON.parse(JSON.stringify(layout))).toEqual(layout);
  });

  it("marks the channels of a cycle (a strongly connected component), and only those", async () => {
    const layout = await layoutFlow(richIr());
    const ir = richIr();
    const marked = layout.edges.filter((e) => e.inCycle).map((e) => ir.channels[e.channel]?.id);
    expect(marked.sort()).toEqual(["control.cmd->plant.cmd", "plant.state->control.feedback"]);
  });

  it("groups nodes by placement into boxes that hold them", async () => {
    const ir = withPlacement(richIr(), { camera: "edge-1", detect: "edge-1", control: "gpu", plant: "gpu" });
    const layout = await layoutFlow(ir);
    expect(layout.groups.map((g) => [g.placement, g.nodes])).toEqual([
      ["edge-1", ["camera", "detect"]],
      ["gpu", ["control", "plant"]],
    ]);
    for (const group of layout.groups) {
      for (const id of group.nodes) {
        const node = layout.nodes.find((n) => n.id === id);
        if (!node) throw new Error(id);
        expect(node.x).toBeGreaterThanOrEqual(group.x);
        expect(node.y).toBeGreaterThanOrEqual(group.y);
        expect(node.x + node.width).toBeLessThanOrEqual(group.x + group.width);
        expect(node.y + node.height).toBeLessThanOrEqual(group.y + group.height);
      }
    }
    expect(layout.edges).toHaveLength(ir.channels.length);
  });

  it("lays out an empty flow and skips channels whose ends do not exist", async () => {
    const empty = await layoutFlow(loadValid(testIr([], [], "empty")));
    expect(empty.nodes).toEqual([]);
    const ir = richIr();
    const broken = {
      ...ir,
      channels: [...ir.channels, { ...ir.channels[0], id: "x", to: { node: "nowhere", port: "a" } } as Ir["channels"][number]],
    };
    expect((await layoutFlow(broken)).edges).toHaveLength(ir.channels.length);
  });
});

describe("renderGraphSvg", () => {
  let layout: FlowLayout;
  const ir = richIr();

  it("draws every node with its id, type, clock, ×N and every port by name", async () => {
    layout = await layoutFlow(ir);
    const svg = renderGraphSvg(ir, layout);
    for (const node of ir.nodes) {
      expect(count(svg, `data-node="${node.id}"`)).toBe(1);
      const group = svg.slice(svg.indexOf(`data-node="${node.id}"`)).split("</g></g>")[0] ?? "";
      expect(group).toContain(`>${node.id}</text>`);
      for (const port of [...Object.keys(node.inputs), ...Object.keys(node.outputs)]) {
        expect(group).toContain(`data-port="${port}"`);
        expect(group).toContain(`>${port}</text>`);
      }
    }
    expect(svg).toMatch(/<g class="fg-node"[^>]*data-node="camera"/);
    expect(svg).toContain(">rate 30 Hz</text>");
    expect(svg).toContain(">free</text>");
    expect(svg).toContain(">trigger: a, b</text>");
    expect(svg).toContain(">hybrid 10 Hz + a</text>");
    expect(svg).toContain(">×4</text>");
    expect(count(svg, "×")).toBe(1);
    // Edge labels: ports, capacity and policy.
    expect(svg).toContain(">frame → a</tspan>");
    expect(svg).toContain(">cap 10 · block</tspan>");
    expect(svg).toContain(">cap 3 · dropOldest</tspan>");
  });

  it("draws the cycle's edges apart, with their own arrow", () => {
    const svg = renderGraphSvg(ir, layout);
    expect(count(svg, `<g class="fg-edge fg-cycle"`)).toBe(2);
    expect(count(svg, `<g class="fg-edge"`)).toBe(4);
    expect(svg).toMatch(
      /<g class="fg-edge fg-cycle" data-channel="plant.state-&gt;control.feedback"[^>]*>.*marker-end="url\(#fg-arrow-cycle\)"/,
    );
  });

  it("draws placement groups", async () => {
    const placed = withPlacement(ir, { camera: "edge-1", detect: "edge-1", control: "gpu" });
    const svg = renderGraphSvg(placed, await layoutFlow(placed));
    expect(svg).toContain(`<g class="fg-group" data-placement="edge-1">`);
    expect(svg).toContain(">machine gpu</text>");
    const view = renderGraphView(placed, await layoutFlow(placed));
    expect(view).toContain("machine (placement)");
  });

  it("colours nodes by status and uses the id prefix for its markers", () => {
    const status = new Map([
      ["camera", "SUCCEEDED"],
      ["detect", "FAILED"],
      ["log", "SKIPPED"],
    ] as const);
    const svg = renderGraphSvg(ir, layout, { status, idPrefix: "run 1" });
    expect(svg).toMatch(/<g class="fg-node fg-status-failed" data-node="detect" data-status="FAILED"/);
    expect(svg).toMatch(/class="fg-node fg-status-succeeded" data-node="camera"/);
    expect(svg).toMatch(/class="fg-node fg-status-skipped" data-node="log"/);
    expect(svg).toMatch(/class="fg-node" data-node="plant"/);
    expect(svg).toContain(`<marker id="run_1-arrow"`);
    expect(svg).not.toContain("xmlns");
    expect(renderGraphSvg(ir, layout, { standalone: true })).toMatch(/^<svg class="fg-svg" xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });
});

describe("hostile names and values", () => {
  const evil = `"><img src=x onerror=alert(1)>'&`;
  const hostile = (): Ir => {
    const base = richIr();
    // Past the loader's patterns on purpose: the renderer must not rely on them.
    return {
      ...base,
      name: `</title><script>alert("name")</script>`,
      nodes: base.nodes.map((n, i) =>
        i === 2
          ? {
              ...n,
              id: `det${evil}`,
              type: `</text><script>alert("type")</script>`,
              params: { html: "</script><script>alert('param')</script>", comment: "<!-- x", sep: "\u2028" },
              placement: `m${evil}`,
              source: { file: `a</script>.ts`, line: 3, column: 1 },
              inputs: {
                [`a${evil}`]: { schema: { description: "</script>" }, adapter: { kind: "latest" } },
                b: n.inputs.b ?? { schema: {}, adapter: { kind: "latest" } },
              },
            }
          : n,
      ),
      channels: base.channels.map((c) => ({
        ...c,
        id: c.id.replace("detect", `det${evil}`),
        from: c.from.node === "detect" ? { ...c.from, node: `det${evil}` } : c.from,
        to: c.to.node === "detect" ? { node: `det${evil}`, port: c.to.port === "a" ? `a${evil}` : c.to.port } : c.to,
      })),
    };
  };

  it("escapes every text of the SVG and the page, and the JSON reads back exactly", async () => {
    const ir = hostile();
    const status = new Map([[`det${evil}`, "FAILED"]] as const);
    const details = new Map([[`det${evil}`, { [`k${evil}`]: `v</script>${evil}` }]]);
    const page = htmlDocument({ title: ir.name, body: renderGraphView(ir, await layoutFlow(ir), { status, details }) });
    expect(page).not.toContain("<img");
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("</text><script");
    expect(count(page.toLowerCase(), "<script")).toBe(2); // the JSON data and the view's script
    expect(count(page.toLowerCase(), "</script")).toBe(2);
    expect(page).toContain(`data-node="det&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&amp;"`);
    expect(page).toContain(`data-port="a&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&amp;"`);
    expect(page).toContain(`<title>&lt;/title&gt;&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;</title>`);
    const json = page.match(/<script type="application\/json" class="fg-data">([^<]*)<\/script>/)?.[1];
    expect(json).toBeDefined();
    expect(JSON.parse(json as string)).toEqual(JSON.parse(JSON.stringify(graphData(ir, { status, details }))));
    const detect = (JSON.parse(json as string) as ReturnType<typeof graphData>).nodes[2];
    expect(detect?.params).toEqual(ir.nodes[2]?.params);
    expect(detect?.details).toEqual({ [`k${evil}`]: `v</script>${evil}` });
    expect(detect?.source).toBe("a</script>.ts:3");
  });

  it("replaces characters XML cannot hold", () => {
    expect(escapeHtml("a\u0000b\u001bc\ud800d<")).toBe("a\uFFFDb\uFFFDc\uFFFDd&lt;");
    expect(escapeHtml("😀 ok")).toBe("😀 ok");
    expect(jsonForScript({ s: "</script><!--\u2028&" })).toBe('{"s":"\\u003c/script\\u003e\\u003c!--\\u2028\\u0026"}');
  });
});

describe("the page", () => {
  it("is one self-contained document: no URL, no src, no href, a restrictive CSP", async () => {
    const ir = withPlacement(richIr(), { camera: "edge" });
    const page = await renderFlowPage(ir, { status: new Map([["camera", "STOPPED"]]) });
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">`);
    expect(PAGE_CSP).toContain("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:");
    expect(page).not.toMatch(/https?:/i);
    expect(page).not.toMatch(/\bsrc\s*=/i);
    expect(page).not.toMatch(/\bhref\s*=/i);
    expect(page).not.toMatch(/@import|@font-face/i);
    // url() only for the SVG's own markers.
    for (const url of page.match(/url\([^)]*\)/g) ?? []) expect(url).toMatch(/^url\(#[\w-]+\)$/);
    expect(page).not.toMatch(/<(link|iframe|img|object|embed|base)\b/i);
    expect(page).toContain(GRAPH_SCRIPT.trim().slice(0, 40));
    expect(page).toContain("1 cycle");
    expect(page).toContain("stopped");
  });

  it("builds other pages from the same pieces", () => {
    expect(() => htmlDocument({ title: "x", body: "", script: "</script>" })).toThrow();
    const page = htmlDocument({ title: "Run <1>", head: `<meta name="x" content="y">`, body: "<main>report</main>", css: "main{}" });
    expect(page).toContain("<title>Run &lt;1&gt;</title>");
    expect(page).toContain("<style>main{}</style>");
    expect(page).toContain("<main>report</main>");
  });
});

describe("labels", () => {
  it("clock labels", () => {
    expect(clockLabel({ kind: "rate", hz: 30, onLag: "warn" })).toBe("rate 30 Hz");
    expect(clockLabel({ kind: "trigger", on: ["a", "b"] })).toBe("trigger: a, b");
    expect(clockLabel({ kind: "hybrid", hz: 10, onLag: "drop", on: ["a"] })).toBe("hybrid 10 Hz + a");
    expect(clockLabel({ kind: "free" })).toBe("free");
  });
});
