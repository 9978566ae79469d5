export { InlineExecution } from "./inline.js";
export { type Isolation, MpOptions } from "./options.js";
export { mpRuntime } from "./runtime.js";
