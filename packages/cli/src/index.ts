// @flowc/cli — the `flowc` command. `main` runs one invocation in-process and returns its exit code.

export { CONFIG_FILE_NAME, type ConfigResult, configJsonSchema, FlowcConfig, findConfig, loadConfig } from "@flowc/runtime";
export {
  type ApiOptions,
  build,
  check,
  type FlowRun,
  type FlowTestResult,
  type RunOptions,
  run,
  type TestFlowOptions,
  testFlow,
} from "./api.js";
export { type InspectSummary, summarize } from "./commands/inspect.js";
export { type GraphFormat, toDot, toMermaid } from "./graph-render.js";
export { type CliIo, ExitCode, processIo } from "./io.js";
export { main } from "./main.js";
export { builtinConfigJsonSchema, defaultRegistry } from "./runtimes.js";
export * from "./view/index.js";
