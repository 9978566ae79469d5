export { InputPort, type Taken } from "./adapters.js";
export { ClockState, type Fired, type TickGate } from "./clock.js";
export { decodeValue, encodeValue } from "./codec.js";
export {
  CONFIG_FILE_NAME,
  type ConfigResult,
  configJsonSchema,
  FlowcConfig,
  findConfig,
  loadConfig,
  parseRuntimeOptions,
} from "./config.js";
export type {
  BuildOptions,
  DriveState,
  Execution,
  LogLevel,
  NodeError,
  NodeResult,
  NodeStatus,
  RecordEntry,
  RunResult,
  RunStatus,
  Runtime,
  RuntimeDescription,
  RuntimeEvent,
  StopReason,
} from "./contract.js";
export { bringUpError, RuntimeError, RuntimeSetupError, toNodeError, warningEvent } from "./errors.js";
export { EventBus } from "./events.js";
export { exitChild, openParentChannel, type ParentChannel } from "./executor/child.js";
export { type ExecutorTransport, runExecutor } from "./executor/executor.js";
export { epochNow, type FromExecutor, type InitMessage, type ToExecutor } from "./executor/protocol.js";
export { type LargePayloads, SocketInbound, SocketOutbound } from "./executor/socket.js";
export { SocketTransport, type SocketTransportOptions } from "./executor/socket-transport.js";
export { FrameReader, frame } from "./framing.js";
export {
  type HostAction,
  type HostEnv,
  type HostPorts,
  type HostStats,
  isTransferable,
  NodeHost,
  type ParallelSteps,
  type StepOutcome,
} from "./host.js";
export { driveUntilEnded, Inbox } from "./inbox.js";
export { type LoadedNode, loadNode } from "./loader.js";
export { Payload } from "./payload.js";
export { type Envelope, type Inbound, MemoryQueue, type OfferResult, type Outbound, onFullAction } from "./queue.js";
export { RecordWriter, recordLine, toRecordValue } from "./record.js";
export {
  chooseRuntime,
  DEFAULT_RUNTIME,
  type ResolveResult,
  type RuntimeChoiceSource,
  RuntimeRegistry,
  resolveRuntime,
  runtimeOptions,
} from "./registry.js";
export { buildHosts, type ExecutorPlan, LocalScheduler, type LoopOptions, runExecutorLoop, type Waiter } from "./scheduler.js";
export { type NodeReport, RunSupervisor } from "./supervisor.js";
export { emptyReport, nodeReport, peakRssBytes } from "./usage.js";
export { explainMismatch } from "./validate.js";
