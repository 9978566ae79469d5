// The daemon's metrics endpoint from the command line: `flowc daemon start --metrics`, scraped
// with plain HTTP while a dataflow runs, in Prometheus text and in OpenMetrics.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { flowcProcess, type Run } from "./helpers.js";

const home = mkdtempSync(join(tmpdir(), "flowc-metrics-cli-"));

/** The built flowc with this file's own FLOWC_HOME. */
function flowcIn(args: string[], timeout = 60_000): Run {
  return flowcProcess(args, { env: { FLOWC_HOME: home }, timeout });
}

/** `name{labels} value` lines of one metric, as label text → value. */
function samples(text: string, metric: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = new RegExp(`^${metric}\\{(.*)\\} (\\S+)$`).exec(line);
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

afterAll(() => {
  try {
    flowcIn(["daemon", "stop", "--force"]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

describe("flowc daemon start --metrics", () => {
  it("bad addresses are FLC4015 before anything starts", () => {
    for (const address of ["9464", "300.1.1.1:9464", "127.0.0.1:70000", "example.com:9464", "[127.0.0.1]:9464"]) {
      const r = flowcIn(["daemon", "start", "--metrics", address]);
      expect(r.code, address).toBe(2);
      expect(r.stderr).toContain("FLC4015");
    }
    expect(flowcIn(["daemon", "status"]).code).toBe(2);
  });

  it("a port in use: the daemon does not start, and says why", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = flowcIn(["daemon", "start", "--metrics", `127.0.0.1:${port}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("FLC3");
      expect(r.stderr).toContain("it is in use");
      expect(flowcIn(["daemon", "status"]).code).toBe(2);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it("serves per-node and per-channel counters of running dataflows, Prometheus text and OpenMetrics", async () => {
    const started = flowcIn(["daemon", "start", "--metrics", "127.0.0.1:0", "--json"]);
    expect(started.code, started.stderr).toBe(0);
    const address = JSON.parse(started.stdout).metrics as string;
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(flowcIn(["daemon", "status"]).stdout).toContain(`metrics: http://${address}/metrics`);
    const df = flowcIn(["start", "examples/demo.flow.ts", "--name", "metered", "--no-typecheck"]);
    expect(df.code, df.stderr).toBe(0);
    // Scrape until the sink stepped twice (the daemon samples every 500 ms; generous under load).
    let text = "";
    const limit = Date.now() + 60_000;
    for (;;) {
      const response = await fetch(`http://${address}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
      text = await response.text();
      const sink = [...samples(text, "flowc_node_steps_total")].find(([labels]) => labels.includes('node="sink"'));
      if (sink && sink[1] >= 2) break;
      if (Date.now() > limit) throw new Error(`the sink never stepped twice:\n${text}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(text).toMatch(/^flowc_dataflows_running\{machine="[^"]+"\} 1$/m);
    const steps = samples(text, "flowc_node_steps_total");
    expect([...steps.keys()].map((l) => /node="([^"]+)"/.exec(l)?.[1]).sort()).toEqual(["counter", "double", "plus10", "sink"]);
    for (const labels of steps.keys()) expect(labels).toMatch(/dataflow="[0-9a-f-]{36}",name="metered",flow="demo"/);
    for (const metric of [
      "flowc_node_messages_in_total",
      "flowc_node_messages_out_total",
      "flowc_node_dropped_total",
      "flowc_node_restarts_total",
      "flowc_node_code_seconds_total",
      "flowc_node_memory_bytes",
      "flowc_node_running",
    ])
      expect(samples(text, metric).size, metric).toBe(4);
    expect([...samples(text, "flowc_node_memory_bytes").values()].every((b) => b > 1e6)).toBe(true);
    const taken = samples(text, "flowc_channel_messages_total");
    expect(taken.size).toBe(3);
    expect([...taken.keys()].some((l) => l.includes('channel="plus10.value->sink.value",from="plus10",to="sink"'))).toBe(true);
    expect(samples(text, "flowc_channel_capacity").size).toBe(3);
    expect(samples(text, "flowc_channel_queue_depth").size).toBe(3);
    expect(text).toMatch(/^flowc_node_step_duration_seconds\{.*node="sink".*quantile="0\.99".*\} \d/m);
    expect(text).toContain("flowc_daemon_process_resident_memory_bytes");

    const open = await fetch(`http://${address}/metrics`, { headers: { accept: "application/openmetrics-text; version=1.0.0" } });
    expect(open.headers.get("content-type")).toContain("application/openmetrics-text");
    expect((await open.text()).trimEnd().endsWith("# EOF")).toBe(true);
    expect((await fetch(`http://${address}/`)).status).toBe(404);
    expect((await fetch(`http://${address}/metrics`, { method: "POST" })).status).toBe(405);

    // A stopped dataflow leaves the exposition; the daemon's own metrics stay.
    expect(flowcIn(["stop", "metered"]).code).toBe(0);
    const after = await (await fetch(`http://${address}/metrics`)).text();
    expect(after).toMatch(/^flowc_dataflows_running\{machine="[^"]+"\} 0$/m);
    expect(samples(after, "flowc_node_steps_total").size).toBe(0);
    expect(flowcIn(["daemon", "stop"]).code).toBe(0);
    await expect(fetch(`http://${address}/metrics`)).rejects.toThrow();
  }, 120_000);
});
