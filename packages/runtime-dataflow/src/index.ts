export { DaemonClient, DEFAULT_TIMEOUT_MS, daemonTimeout } from "./client.js";
export { Cluster, type ClusterStatus } from "./cluster/cluster.js";
export type { MachineView, MembershipTimings } from "./cluster/membership.js";
export { NatsOption, NatsSettings, natsSettings, redactUrl } from "./cluster/settings.js";
export { Daemon, type DaemonOptions, dataflowNameProblem, MAX_REQUEST_LINE } from "./daemon/daemon.js";
export { DataflowRun, type DataflowSpec, type DataflowStatus, type ProcessInfo } from "./daemon/dataflow.js";
export { uuidv7 } from "./daemon/id.js";
export { launchDaemon } from "./daemon/launch.js";
export { MetricsServer, parseMetricsAddress } from "./daemon/metrics.js";
export { type DaemonPaths, daemonPaths, ensureDirs, machineId, readPid } from "./daemon/paths.js";
export {
  type DaemonStatus,
  type DataflowStats,
  type DataflowSummary,
  DEFAULT_SAMPLE_MS,
  PROTOCOL_VERSION,
  type StreamEvent,
} from "./daemon/protocol.js";
export { type Plan, planPlacement, type Route, unreachableNodes } from "./daemon/routing.js";
export { type DataflowInfo, type Recorded, type ResultRecord, StateStore } from "./daemon/state.js";
export { DataflowOptions, type NodeSettings } from "./options.js";
export { AttachedExecution } from "./remote-execution.js";
export { dataflowRuntime, runEmbedded } from "./runtime.js";
