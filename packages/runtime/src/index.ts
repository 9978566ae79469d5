export { InputPort, type Taken } from "./adapters.js";
export { copyRange } from "./bytes.js";
export { ClockState, type Fired, type TickGate, tickTime } from "./clock.js";
export { decodeValue, encodeValue } from "./codec.js";
export {
  CONFIG_FILE_NAME,
  type ConfigResult,
  configJsonSchema,
  DEFAULT_SHM_THRESHOLD_BYTES,
  FlowcConfig,
  findConfig,
  loadConfig,
  parseRuntimeOptions,
  runtimeOptionsOrThrow,
  shmThresholdOption,
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
  RunEnv,
  RunResult,
  RunStatus,
  Runtime,
  RuntimeDescription,
  RuntimeEvent,
  StopReason,
} from "./contract.js";
export { DrivenExecution } from "./driven.js";
export { type EntryPaths, entryUrl } from "./entry.js";
export { bringUpError, RuntimeError, toNodeError, warningEvent } from "./errors.js";
export { EventBus } from "./events.js";
export { executorSocket, runChildExecutor } from "./executor/child.js";
export { type ExecutorTransport, ProbeDesk, runExecutor } from "./executor/executor.js";
export {
  type ChannelCounts,
  type ChildInit,
  epochNow,
  type FromExecutor,
  type InitMessage,
  type ProbeReply,
  type ToExecutor,
} from "./executor/protocol.js";
export { ShmPayloads, shmDirFor } from "./executor/shm.js";
export { type SharedMemoryInfo, sharedMemoryInfo } from "./executor/slots.js";
export { type LargePayloads, SocketInbound, SocketOutbound } from "./executor/socket.js";
export { type RemoteLinks, SocketTransport, type SocketTransportOptions } from "./executor/socket-transport.js";
export { applyFlowV8Flags, FLOW_V8_FLAGS } from "./executor/v8-flags.js";
export { FrameReader, frame } from "./framing.js";
export {
  type EndedExecutor,
  ExecutorGroup,
  type GroupEngine,
  type GroupOptions,
  type LadderStage,
  type Member,
  type MemberPhase,
  processLadder,
  sumReports,
  threadLadder,
} from "./group/group.js";
export {
  describeExit,
  type ExitInfo,
  execArgvFrom,
  type KillAction,
  type LaunchedExecutor,
  type LaunchHandlers,
  type LaunchOptions,
  launchChildExecutor,
  launchProcess,
  launchThread,
  type StdioSink,
} from "./group/launch.js";
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
export { Inbox } from "./inbox.js";
export { type LoadedNode, loadNode } from "./loader.js";
export { OutputFile } from "./output.js";
export { setOwn } from "./own.js";
export { Payload } from "./payload.js";
export { type Envelope, type Inbound, MemoryQueue, type OfferResult, type Outbound, onFullAction } from "./queue.js";
export { RecordWriter, recordLine, toRecordValue } from "./record.js";
export {
  isRecordingPath,
  openRecordSink,
  RECORDING_MAGIC,
  type RecordedMessage,
  type RecordingFooter,
  RecordingFormatError,
  type RecordingHeader,
  RecordingReader,
  type RecordingRun,
  RecordingWriter,
  type RecordSink,
} from "./recording.js";
export {
  chooseRuntime,
  DEFAULT_RUNTIME,
  type ResolveResult,
  type RuntimeChoiceSource,
  RuntimeRegistry,
  resolveRuntime,
  runtimeOptions,
} from "./registry.js";
export {
  type BringUp,
  bringUpHosts,
  type ExecutorPlan,
  LocalScheduler,
  type LoopOptions,
  runExecutorLoop,
  type Waiter,
} from "./scheduler.js";
export {
  bucketUpperMs,
  type ChannelSample,
  type Histogram,
  histogramBucket,
  histogramDelta,
  histogramQuantile,
  type NodeSample,
  SampleClock,
  StatsBoard,
  type StatsSample,
  StepHistogram,
  sampleHosts,
} from "./stats.js";
export { type NodeReport, RunSupervisor } from "./supervisor.js";
export { emptyReport, nodeReport, peakRssBytes, processAlive } from "./usage.js";
export { explainMismatch } from "./validate.js";
