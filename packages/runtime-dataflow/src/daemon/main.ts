// Entry of the flowc daemon process (`flowc daemon start` runs it detached). Arguments:
// `--machine-id <id>`, `--metrics <host:port>` (checked by the CLI before it launches us); the
// NATS cluster to join comes in FLOWC_NATS_SETTINGS or FLOWC_NATS_URL (never on the command line). Paths come from FLOWC_HOME / XDG_RUNTIME_DIR / XDG_STATE_HOME. This is a
// process entry like the CLI's: the one place the daemon reads its environment.
import { RuntimeError } from "@flowc/runtime";
import { clusterTimings, settingsFromEnv } from "../cluster/settings.js";
import { Daemon } from "./daemon.js";
import { parseMetricsAddress } from "./metrics.js";
import { daemonPaths, machineId } from "./paths.js";

const args = process.argv.slice(2);
const at = args.indexOf("--machine-id");
const env = process.env;
const machine = machineId(at >= 0 ? args[at + 1] : undefined, env);
const logMaxBytes = env.FLOWC_LOG_MAX_BYTES ? Number(env.FLOWC_LOG_MAX_BYTES) : undefined;
const metricsAt = args.indexOf("--metrics");
const metricsAddress = metricsAt >= 0 ? parseMetricsAddress(args[metricsAt + 1] ?? "") : undefined;
if (metricsAddress && "problem" in metricsAddress) {
  process.stderr.write(`--metrics: ${metricsAddress.problem}\n`);
  process.exit(2);
}

try {
  // Node processes get the daemon's environment without its NATS credentials.
  const nodeEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith("FLOWC_NATS_")));
  const daemon = await Daemon.start(daemonPaths(env), {
    machine,
    env: nodeEnv,
    secrets: env,
    logMaxBytes,
    metrics: metricsAddress,
    nats: settingsFromEnv(env),
    version: env.FLOWC_DAEMON_VERSION,
    clusterTimings: clusterTimings(env),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const shutdown = (signal: string) => {
    process.stdout.write(`${new Date().toISOString()} ${signal}: shutting down\n`);
    void daemon.shutdown();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  // A client's disconnect must never take the daemon down.
  process.on("SIGPIPE", () => {});
  await daemon.closed;
  process.exit(0);
} catch (error) {
  const message = error instanceof RuntimeError ? `${error.diagnostic.code} ${error.message}` : String(error);
  process.stderr.write(`${message}\n`);
  process.exit(2);
}
