import { createServer, type Server } from "node:http";
import { isIP } from "node:net";
import { histogramQuantile } from "@flowc/runtime";
import { Counter, collectDefaultMetrics, Gauge, Registry, type RegistryContentType } from "prom-client";
import type { DataflowStats } from "./protocol.js";

/**
 * `host:port` for `--metrics`: an IPv4 address, `[IPv6]` or `localhost`, and a port (0: any
 * free one). Returns the parts, or what is wrong with it.
 */
export function parseMetricsAddress(text: string): { readonly host: string; readonly port: number } | { readonly problem: string } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return { problem: "expected host:port, e.g. 127.0.0.1:9464 or [::1]:9464" };
  const host = (m[1] ?? m[2]) as string;
  const port = Number(m[3]);
  if (port > 65535) return { problem: `port ${port} is above 65535` };
  if (host !== "localhost" && isIP(host) === 0) return { problem: `'${host}' is not an IP address (or localhost)` };
  if (m[1] !== undefined && isIP(host) !== 6) return { problem: `'[${host}]' is not an IPv6 address` };
  return { host, port };
}

const STEP_QUANTILES = [0.5, 0.9, 0.99] as const;

/**
 * The daemon's metrics endpoint: Prometheus text (or OpenMetrics when the scraper asks for it)
 * at `/metrics`, built with prom-client from the live statistics of the running dataflows at
 * each scrape. Counters mirror the dataflows' own cumulative counts; a dataflow that ended
 * leaves the exposition (its final numbers are in its result record).
 */
export class MetricsServer {
  readonly #server: Server;
  /** Where it listens, as `host:port` (the port chosen when 0 was asked for). */
  readonly address: string;

  private constructor(server: Server, address: string) {
    this.#server = server;
    this.address = address;
  }

  static async listen(host: string, port: number, source: () => readonly DataflowStats[], machine: string): Promise<MetricsServer> {
    const registry = new Registry<RegistryContentType>();
    registry.setDefaultLabels({ machine });
    collectDefaultMetrics({ register: registry, prefix: "flowc_daemon_" });
    const refresh = defineMetrics(registry, source);
    const server = createServer((request, response) => {
      const path = (request.url ?? "/").split("?")[0];
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      if (path !== "/metrics") {
        response.writeHead(404, { "content-type": "text/plain" }).end("flowc daemon: metrics are at /metrics\n");
        return;
      }
      const openMetrics = (request.headers.accept ?? "").includes("application/openmetrics-text");
      registry.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
      refresh();
      registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": registry.contentType }).end(request.method === "HEAD" ? undefined : text),
        (error: unknown) => response.writeHead(500, { "content-type": "text/plain" }).end(`${String(error)}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const bound = server.address();
    const actual = typeof bound === "object" && bound ? bound.port : port;
    const shown = isIP(host) === 6 ? `[${host}]:${actual}` : `${host}:${actual}`;
    return new MetricsServer(server, shown);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

type NodeLabels = "dataflow" | "name" | "flow" | "node";
type ChannelLabels = "dataflow" | "name" | "flow" | "channel" | "from" | "to";

/** Defines the metrics; every one reads the same snapshot of the dataflows, which the returned function takes once per scrape. */
function defineMetrics(registry: Registry<RegistryContentType>, source: () => readonly DataflowStats[]): () => void {
  let snapshot: readonly DataflowStats[] = [];
  const nodeLabels = ["dataflow", "name", "flow", "node"] as const;
  const channelLabels = ["dataflow", "name", "flow", "channel", "from", "to"] as const;
  new Gauge({
    name: "flowc_dataflows_running",
    help: "Dataflows running on this daemon.",
    registers: [registry],
    collect() {
      this.set(snapshot.length);
    },
  });
  const forNodes = (each: (labels: Record<NodeLabels, string>, node: DataflowStats["sample"]["nodes"][string]) => void) => {
    for (const df of snapshot) {
      for (const [node, n] of Object.entries(df.sample.nodes))
        each({ dataflow: df.dataflow.id, name: df.dataflow.name ?? "", flow: df.dataflow.flow, node }, n);
    }
  };
  const forChannels = (
    each: (labels: Record<ChannelLabels, string>, channel: DataflowStats["sample"]["channels"][string], capacity: number) => void,
  ) => {
    for (const df of snapshot) {
      for (const c of df.channels) {
        const sample = df.sample.channels[c.id];
        if (!sample) continue;
        each(
          { dataflow: df.dataflow.id, name: df.dataflow.name ?? "", flow: df.dataflow.flow, channel: c.id, from: c.from, to: c.to },
          sample,
          c.capacity,
        );
      }
    }
  };
  const nodeCounter = (name: string, help: string, value: (n: DataflowStats["sample"]["nodes"][string]) => number) =>
    new Counter({
      name,
      help,
      labelNames: nodeLabels,
      registers: [registry],
      collect() {
        this.reset();
        forNodes((labels, n) => this.inc(labels, value(n)));
      },
    });
  nodeCounter("flowc_node_steps_total", "Completed steps of the node (a source: records it produced).", (n) => n.steps);
  nodeCounter("flowc_node_messages_in_total", "Messages the node took off its input channels.", (n) => n.messagesIn);
  nodeCounter("flowc_node_messages_out_total", "Messages the node emitted (once per port emission).", (n) => n.messagesOut);
  nodeCounter("flowc_node_dropped_total", "Messages lost on the node's input channels by their onFull policy.", (n) => n.dropped);
  nodeCounter("flowc_node_restarts_total", "Times the node's process was restarted by its restart policy.", (n) => n.restarts);
  nodeCounter("flowc_node_code_seconds_total", "Time spent in the node's own code (setup, steps, teardown).", (n) => n.cpuMs / 1000);
  new Gauge({
    name: "flowc_node_memory_bytes",
    help: "Resident memory of the node's process.",
    labelNames: nodeLabels,
    registers: [registry],
    collect() {
      this.reset();
      forNodes((labels, n) => {
        if (n.memoryBytes !== null) this.set(labels, n.memoryBytes);
      });
    },
  });
  new Gauge({
    name: "flowc_node_running",
    help: "1 while the node runs, 0 once it ended or before it started.",
    labelNames: nodeLabels,
    registers: [registry],
    collect() {
      this.reset();
      forNodes((labels, n) => this.set(labels, n.status === "running" ? 1 : 0));
    },
  });
  new Gauge({
    name: "flowc_node_step_duration_seconds",
    help: "Step duration quantiles since the node started (log-linear buckets, within 25 %).",
    labelNames: [...nodeLabels, "quantile"],
    registers: [registry],
    collect() {
      this.reset();
      forNodes((labels, n) => {
        for (const q of STEP_QUANTILES) {
          const ms = histogramQuantile(n.stepMs, q);
          if (ms !== null) this.set({ ...labels, quantile: String(q) }, ms / 1000);
        }
      });
    },
  });
  new Counter({
    name: "flowc_channel_messages_total",
    help: "Messages the channel's consumer took off it.",
    labelNames: channelLabels,
    registers: [registry],
    collect() {
      this.reset();
      forChannels((labels, c) => this.inc(labels, c.taken));
    },
  });
  new Counter({
    name: "flowc_channel_dropped_total",
    help: "Messages the channel lost to its onFull policy.",
    labelNames: channelLabels,
    registers: [registry],
    collect() {
      this.reset();
      forChannels((labels, c) => this.inc(labels, c.dropped));
    },
  });
  new Gauge({
    name: "flowc_channel_queue_depth",
    help: "Messages waiting at the channel's consumer.",
    labelNames: channelLabels,
    registers: [registry],
    collect() {
      this.reset();
      forChannels((labels, c) => this.set(labels, c.depth));
    },
  });
  new Gauge({
    name: "flowc_channel_capacity",
    help: "Messages the channel holds before its onFull policy applies.",
    labelNames: channelLabels,
    registers: [registry],
    collect() {
      this.reset();
      forChannels((labels, _c, capacity) => this.set(labels, capacity));
    },
  });
  return () => {
    snapshot = source();
  };
}
