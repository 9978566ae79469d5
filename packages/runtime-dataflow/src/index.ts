export { DaemonClient } from "./client.js";
export { Daemon, type DaemonOptions } from "./daemon/daemon.js";
export { DataflowRun, type DataflowSpec, type DataflowStatus, type ProcessInfo } from "./daemon/dataflow.js";
export { uuidv7 } from "./daemon/id.js";
export { launchDaemon } from "./daemon/launch.js";
export { readLog } from "./daemon/logs.js";
export { type DaemonPaths, daemonPaths, ensureDirs, machineId, readPid } from "./daemon/paths.js";
export { type DaemonStatus, type DataflowSummary, PROTOCOL_VERSION, type StreamEvent } from "./daemon/protocol.js";
export { type Plan, planPlacement, type Route, unreachableNodes } from "./daemon/routing.js";
export { type DataflowInfo, type ResultRecord, recordedDataflows } from "./daemon/state.js";
export {
  DEFAULT_QUEUE_SIZE,
  type Deploy,
  type Descriptor,
  type DescriptorNode,
  type EnvValue,
  FLOWC_NODE_RUNNER,
  type FlowcNodeFacts,
  type FlowcRootFacts,
  type InputSource,
  type InputSpec,
  type LongInput,
  type RestartPolicy,
} from "./descriptor.js";
export { parseInputSource, timerFor } from "./inputs.js";
export { descriptorToYaml, lowerToDescriptor } from "./lower.js";
export { DataflowOptions, type NodeSettings } from "./options.js";
export { type ParseResult, parseDescriptor } from "./parse.js";
export { AttachedExecution } from "./remote-execution.js";
export { dataflowRuntime, runEmbedded } from "./runtime.js";
export { descriptorToIr, type ToIrResult } from "./to-ir.js";
