/**
 * The one catalogue of flowc diagnostics. Codes are stable: never renumber or reuse one.
 * Bands: FLC1xxx IR, FLC2xxx frontend, FLC3xxx runtime, FLC4xxx CLI and configuration.
 *
 * `message` is a template: `{name}` placeholders are filled from the arguments, and the
 * argument names are checked by the type system (see `DiagnosticArgs`).
 */
export type Severity = "error" | "warning";

export interface CatalogueEntry {
  readonly code: number;
  readonly severity: Severity;
  readonly message: string;
  /** One line for the reference table in docs/diagnostics.md. */
  readonly doc: string;
  /** Optional advice printed under the message. */
  readonly hint?: string;
}

export const catalogue = {
  // ---- FLC1xxx: IR documents -------------------------------------------------------------
  IrJsonSyntax: {
    code: 1001,
    severity: "error",
    message: "The IR is not valid JSON: {detail}.",
    doc: "The IR text could not be parsed as JSON.",
  },
  IrMsgpackSyntax: {
    code: 1002,
    severity: "error",
    message: "The IR is not valid MessagePack: {detail}.",
    doc: "The IR bytes could not be decoded as one MessagePack value.",
  },
  IrVersionUnsupported: {
    code: 1003,
    severity: "error",
    message: "irVersion {found} is not supported; this flowc reads irVersion {supported}.",
    doc: "The document declares an IR version this flowc cannot read (or none at all).",
    hint: "Rebuild the flow with this flowc, or use the flowc that wrote the file.",
  },
  IrMissingProperty: {
    code: 1004,
    severity: "error",
    message: "Required property '{property}' is missing.",
    doc: "An IR object lacks a property the schema requires.",
  },
  IrInvalidValue: {
    code: 1005,
    severity: "error",
    message: "{detail}",
    doc: "A value has the wrong type or is out of range for the IR schema.",
  },
  IrUnknownProperty: {
    code: 1006,
    severity: "error",
    message: "Unknown property '{property}'.",
    doc: "IR objects are closed: a property the schema does not define is rejected, not ignored.",
    hint: "Check the spelling against `flowc schema ir`, or remove the property.",
  },
  IrTooComplex: {
    code: 1007,
    severity: "error",
    message: "The document cannot be read as an IR: {detail}.",
    doc: "The input is too deeply nested or otherwise beyond what the loader accepts.",
  },
  DuplicateNodeId: {
    code: 1010,
    severity: "error",
    message: "Duplicate node id '{id}'; the first node with this id is at {first}.",
    doc: "Two nodes share an id.",
  },
  DuplicateChannelId: {
    code: 1011,
    severity: "error",
    message: "Duplicate channel id '{id}'; the first channel with this id is at {first}.",
    doc: "Two channels share an id (for example the same output connected twice to the same input).",
  },
  UnknownNode: {
    code: 1012,
    severity: "error",
    message: "Channel '{channel}' refers to unknown node '{node}'.",
    doc: "A channel endpoint names a node that is not in the IR.",
  },
  UnknownPort: {
    code: 1013,
    severity: "error",
    message: "Node '{node}' has no {direction} port '{port}'; its {direction} ports are: {available}.",
    doc: "A channel endpoint names a port the node does not declare.",
  },
  ChannelDirection: {
    code: 1014,
    severity: "error",
    message: "Channel '{channel}' {detail}; a channel must go from an output port to an input port.",
    doc: "A channel connects output to output or input to input.",
  },
  PortSchemaMismatch: {
    code: 1015,
    severity: "error",
    message:
      "Channel '{channel}': {fromPort} produces values that {toPort} does not accept{where}: {fromType} is not assignable to {toType}.",
    doc: "The producing port's JSON Schema is provably not accepted by the consuming port's schema.",
  },
  ChannelNarrowsSchema: {
    code: 1016,
    severity: "warning",
    message:
      "Channel '{channel}': {toPort} accepts only {toType}, but {fromPort} produces {fromType}{where}; values outside it reach the node unchecked.",
    doc: "The shapes fit, but the consuming port's schema accepts fewer values than the producing port's: a number into an integer, a wider range into a smaller one, a string into one with a pattern or format, a list into one with fewer lengths.",
    hint: "Give the output the same constraints (runtimes check messages against the output's schema with `validate: true`), or widen the input's.",
  },
  SchemaComparisonGaveUp: {
    code: 1017,
    severity: "warning",
    message:
      "Channel '{channel}': the schemas of {fromPort} and {toPort} are too large to compare ({detail}); the channel's types are not checked.",
    doc: "Comparing a channel's port schemas would take too long (unions of thousands of branches against each other), so it was skipped: nothing is proven either way.",
    hint: "Simplify the port schemas (fewer anyOf/enum branches), or check messages at run time with `validate: true`.",
  },
  ClockRateInvalid: {
    code: 1020,
    severity: "error",
    message: "Clock rate of node '{node}' must be a finite number of Hz greater than 0 (got {value}).",
    doc: "A rate or hybrid clock has hz <= 0 or a non-finite hz.",
  },
  TriggerUnknownPort: {
    code: 1021,
    severity: "error",
    message: "Node '{node}' triggers on '{port}', which is not one of its input ports ({available}).",
    doc: "A trigger or hybrid clock names a port the node does not have.",
  },
  TriggerUnconnectedPort: {
    code: 1022,
    severity: "error",
    message: "Node '{node}' triggers on input '{port}', but no channel feeds that port, so it can never fire on it.",
    doc: "A trigger or hybrid clock names an input port that no channel connects.",
  },
  ClockKindUnknown: {
    code: 1023,
    severity: "error",
    message: "Unknown clock kind {found}; expected one of: {expected}.",
    doc: "A clock's kind is not rate, trigger, hybrid or free.",
  },
  LagPolicyUnknown: {
    code: 1024,
    severity: "error",
    message: "Unknown lag policy {found}; expected one of: {expected}.",
    doc: "A rate or hybrid clock's onLag is not warn, drop, catchUp or error.",
  },
  FreeClockWithInputs: {
    code: 1025,
    severity: "error",
    message: "Node '{node}' has a free clock but declares input ports ({inputs}); a free clock is only for sources.",
    doc: "The free clock (run as fast as outputs accept) applies only to nodes without inputs.",
    hint: "Use trigger(...) to run on arriving messages, or rate(hz) to run periodically.",
  },
  CycleWithoutClock: {
    code: 1026,
    severity: "error",
    message:
      "The cycle {members} can never start: none of its nodes has a rate or hybrid clock, and no channel from outside the cycle feeds a port one of them triggers on.",
    doc: "A cycle of trigger-clocked nodes that only trigger on each other: no tick and no message from outside can ever make one of them run first.",
    hint: "Give one node of the cycle a rate(hz) or hybrid(hz, ...) clock, or let one trigger on an input fed from outside the cycle.",
  },
  CapacityInvalid: {
    code: 1030,
    severity: "error",
    message: "Channel capacity must be an integer of at least 1 (got {value}).",
    doc: "A channel's capacity is below 1 or not an integer.",
  },
  OnFullUnknown: {
    code: 1031,
    severity: "error",
    message: "Unknown onFull policy {found}; expected one of: {expected}.",
    doc: "A channel's onFull is not dropOldest, dropNewest or block.",
  },
  AdapterKindUnknown: {
    code: 1032,
    severity: "error",
    message: "Unknown adapter kind {found}; expected one of: {expected}.",
    doc: "An input's adapter kind is not latest, hold, window or events.",
  },
  WindowAdapterInvalid: {
    code: 1033,
    severity: "error",
    message: "A window adapter needs exactly one of size (an integer >= 1) or ms (a number > 0): {detail}.",
    doc: "A window adapter has neither, both, or out-of-range size/ms.",
  },
  ParallelismInvalid: {
    code: 1040,
    severity: "error",
    message: "Parallelism must be an integer from 1 to {max} (got {value}).",
    doc: "A node's parallelism is not an integer, below 1, or above 64 (more copies than any machine has cores to run).",
  },
  ParallelismOnStatefulNode: {
    code: 1041,
    severity: "error",
    message: "Node '{node}' is stateful, so it cannot run with parallelism {value}; parallel copies would each hold their own state.",
    doc: "parallelism > 1 is only allowed on stateless nodes.",
  },
  InvalidIdentifier: {
    code: 1042,
    severity: "error",
    message: "{what} {value} is not a valid identifier: {rule}.",
    doc: "A node id or port name contains characters the IR does not allow.",
  },
  AbsolutePath: {
    code: 1043,
    severity: "error",
    message: "Path {value} must be relative with forward slashes, so that builds are portable and byte-identical.",
    doc: "impl.module or source.file is absolute or uses backslashes.",
  },
  ModuleOutsideIr: {
    code: 1044,
    severity: "error",
    message:
      "impl.module {value} of node '{node}' leaves the directory it is relative to: a runtime imports only the bundles shipped beside the IR.",
    doc: "A node's module path climbs out of the IR file's directory (`../…`), so running the IR would import a file it does not ship with.",
    hint: "Rebuild with `flowc build`, which writes the bundles next to the IR; for an IR you wrote yourself and trust, allow modules outside its directory (flowc's --allow-outside-modules).",
  },
  ModuleNotJavaScript: {
    code: 1045,
    severity: "error",
    message: "impl.module {value} of node '{node}' is not a JavaScript module: its name must end in .js, .mjs or .cjs.",
    doc: "A node's module path names something a runtime cannot import as a bundle (a TypeScript source, a device, a directory).",
    hint: "Point impl.module at the bundle `flowc build` wrote (nodes/<…>.mjs).",
  },

  // ---- FLC2xxx: the compiler (frontend) ------------------------------------------------
  NotStaticallyEvaluable: {
    code: 2001,
    severity: "error",
    message: "Cannot evaluate {what} statically: {why}.",
    doc: "The flow builder uses an expression the compiler cannot prove (it never runs user code).",
    hint: "Use literals, const bindings, arithmetic, template strings, for…of over constant arrays, counted for loops or .map over constant arrays.",
  },
  FlowNotFound: {
    code: 2002,
    severity: "error",
    message: "{detail}",
    doc: "The entry file has no flow to build (no default-exported flow(...), or --flow names none).",
  },
  ConnectTypeMismatch: {
    code: 2003,
    severity: "error",
    message: "Type '{from}' of {fromPort} is not assignable to type '{to}' of {toPort}.",
    doc: "connect() joins an output and an input whose TypeScript types are incompatible.",
  },
  UnknownNodePort: {
    code: 2004,
    severity: "error",
    message: "Node '{node}' ({type}) has no {direction} port '{port}'; its {direction} ports are: {available}.",
    doc: "A port reference names a port the node definition does not declare.",
  },
  DuplicateAddId: {
    code: 2005,
    severity: "error",
    message: "A node with id '{id}' was already added (at {first}).",
    doc: "Two add() calls use the same node id.",
  },
  ConnectDirection: {
    code: 2006,
    severity: "error",
    message: "{detail}",
    doc: "connect() got an input where it needs an output, or an output where it needs an input.",
    hint: "Write connect(producer.out.port, consumer.in.port).",
  },
  TriggerOnUnknownInput: {
    code: 2007,
    severity: "error",
    message: "Node '{node}' ({type}) cannot trigger on '{port}': its input ports are: {available}.",
    doc: "A trigger or hybrid clock names a port the node does not have.",
  },
  InputNeverConnected: {
    code: 2008,
    severity: "warning",
    message: "Input '{port}' of node '{node}' is never connected; its step will not receive it.",
    doc: "A declared input port has no channel.",
  },
  ParamsMissing: {
    code: 2009,
    severity: "error",
    message: "Node '{node}' ({type}) needs params: {missing}.",
    doc: "add() does not give a required param of the node definition.",
  },
  ParamsInvalid: {
    code: 2010,
    severity: "error",
    message: "Param '{param}' of node '{node}' must be {expected}, but the flow gives {given}.",
    doc: "A param value does not match the node definition's params schema (or is not declared).",
  },
  CycleNeverStarts: {
    code: 2011,
    severity: "error",
    message:
      "The cycle {members} can never start: none of its nodes has a rate or hybrid clock, and no channel from outside the cycle feeds a port one of them triggers on.",
    doc: "Connections form a cycle of trigger-clocked nodes that only trigger on each other, so none of them can ever run first.",
    hint: "Give one node of the cycle a rate(hz) or hybrid(hz, ...) clock, or let one trigger on an input fed from outside the cycle.",
  },
  NotANodeDefinition: {
    code: 2012,
    severity: "error",
    message: "The second argument of add('{id}', …) must be a node definition made with node(...), found {found}.",
    doc: "add() got something that is not a node definition the compiler can resolve.",
  },
  NodeDefinitionNotExported: {
    code: 2013,
    severity: "error",
    message: "Node definition '{name}' must be exported from {file} so that runtimes can load it.",
    doc: "Runtimes import node definitions from the bundled module by export name.",
    hint: "Add `export` to its declaration.",
  },
  UnrepresentablePortType: {
    code: 2014,
    severity: "warning",
    message: "Type '{type}' of {where} has no JSON Schema; the IR records it as an empty schema (any value).",
    doc: "A port or param type (functions, classes, bigint, recursive types) cannot be written as JSON Schema.",
  },
  AdapterMismatch: {
    code: 2015,
    severity: "error",
    message: "Input '{port}' of node '{node}' {detail}.",
    doc: "A list adapter (window, events) on a single-value input, a single-value adapter on a many() input, or an unknown input.",
  },
  SourceNeedsClock: {
    code: 2016,
    severity: "error",
    message: "Node '{node}' ({type}) has no inputs and no source generator, so it needs a clock such as rate(hz).",
    doc: "A step-based node without inputs never runs unless it has a rate clock.",
  },
  EvaluationLimit: {
    code: 2017,
    severity: "error",
    message:
      "Evaluation stopped: the flow builder went past its budget of {limit} evaluation steps; the flow is too large or a loop does not terminate.",
    doc: "The flow builder needs more evaluation steps (loop iterations, callbacks, calls; building values costs one step per 10 elements) than the compiler allows, or builds a value too large to evaluate.",
  },
  TypeScriptSyntax: {
    code: 2018,
    severity: "error",
    message: "{message} (TS{tsCode}).",
    doc: "The flow file has a TypeScript syntax error.",
  },
  TypeScriptError: {
    code: 2026,
    severity: "error",
    message: "{detail}",
    doc: "TypeScript reports a type error in the flow file or a module it imports — what `tsc --noEmit` reports with the project's tsconfig.json. It is shown with TypeScript's own code (`error TS2322: …`) in place of FLC2026.",
  },
  BundleFailed: {
    code: 2020,
    severity: "error",
    message: "Bundling the node module {file} failed: {detail}.",
    doc: "esbuild could not bundle a module that defines node definitions (a missing import, a syntax error).",
  },
  ModuleNotFound: {
    code: 2021,
    severity: "error",
    message: "Cannot find module '{specifier}' imported by {file}.",
    doc: "An import of the flow file does not resolve (a missing file, or a package that is not installed).",
    hint: "Check the path, or install the package (flows need @flowc/dsl and zod).",
  },
  InternalCompilerError: {
    code: 2022,
    severity: "error",
    message: "The compiler failed unexpectedly while building {file}: {detail}.",
    doc: "A bug in flowc: please report it with the flow file.",
  },
  ZodSchemaNotStatic: {
    code: 2023,
    severity: "warning",
    message:
      "Cannot read the zod schema of {where} statically: {why}. The IR records the schema of its TypeScript type instead, without constraints such as .int() or .min().",
    doc: "A port or param schema uses something the compiler does not read without running code — .refine(), .transform(), a method it does not know, a reference to a non-const value, a schema built by a function — so the IR gets the schema of its TypeScript type.",
    hint: "Write the schema as a chain of the zod calls listed in docs/dsl.md, or accept the wider schema.",
  },
  ConnectNarrowsSchema: {
    code: 2024,
    severity: "warning",
    message: "{toPort} accepts only {toType}, but {fromPort} produces {fromType}{where}; values outside it reach the node unchecked.",
    doc: "connect() joins ports whose TypeScript types fit, but the input's zod schema accepts fewer values than the output's (number into .int(), a wider range into a smaller one, a string into one with .regex() or .email()).",
    hint: "Give the output the same constraints (runtimes check messages against the output's schema with `validate: true`), or widen the input's.",
  },
  FiniteSourceLossyChannel: {
    code: 2025,
    severity: "warning",
    message:
      "Node '{node}' is a finite source, and channel '{channel}' drops messages when it is full (onFull: '{onFull}'): whatever the source sends while '{consumer}' is behind is lost.",
    doc: "A source that ends on its own (a generator source) feeds a channel whose onFull policy drops messages, so a slow consumer misses part of a finite stream.",
    hint: 'Leave onFull out or write onFull: "block" (the default): the source then waits for room and nothing is lost. A larger capacity only makes losses rarer.',
  },
  BadAddOption: {
    code: 2019,
    severity: "error",
    message: "{detail}",
    doc: "An add() or connect() option has the wrong shape or value.",
  },

  // ---- FLC4xxx: CLI and configuration ---------------------------------------------------
  // ---- FLC3xxx: runtimes ----------------------------------------------------------------
  UnknownRuntime: {
    code: 3001,
    severity: "error",
    message: "Unknown runtime '{name}'; available: {available}.",
    doc: "The runtime named by --runtime, FLOWC_RUNTIME or the config is not registered.",
    hint: 'Run `flowc runtimes` to list them, or name a module in flowc.config.json: { "runtimes": { "name": { "module": "./my-runtime.js" } } }.',
  },
  RuntimeLoadFailed: {
    code: 3002,
    severity: "error",
    message: "Cannot load runtime '{name}' from '{module}': {detail}.",
    doc: "A third-party runtime module named in the config could not be imported or does not export a runtime.",
    hint: "The module must export `runtime` (or a default export) with name, describe, check and build.",
  },
  RuntimeOptionsInvalid: {
    code: 3003,
    severity: "error",
    message: "Invalid options for runtime '{runtime}': {detail}.",
    doc: "The runtime's options (`runtimes.<name>` in flowc.config.json) do not match its schema.",
    hint: "`flowc runtimes --json` shows each runtime's options schema.",
  },
  RuntimeUnsupported: {
    code: 3004,
    severity: "error",
    message: "Runtime '{runtime}' cannot run this flow: {detail}.",
    doc: "The flow uses an IR feature the chosen runtime does not implement; nothing was started.",
  },
  NodeModuleLoadFailed: {
    code: 3010,
    severity: "error",
    message: "Cannot load node '{node}' from '{module}': {detail}.",
    doc: "The bundled module a node's `impl` names could not be imported.",
    hint: "Rebuild the flow with `flowc build`; `impl.module` resolves against the IR file's directory.",
  },
  NodeExportMissing: {
    code: 3011,
    severity: "error",
    message: "Module '{module}' has no node definition '{export}' (node '{node}').",
    doc: "The module a node's `impl` names does not export a `node()` definition under that name.",
  },
  NodeParamsInvalid: {
    code: 3012,
    severity: "error",
    message: "Node '{node}': param {path} {detail}.",
    doc: "A node's params in the IR do not match the params schema of its definition.",
  },
  MessageInvalid: {
    code: 3020,
    severity: "error",
    message: "Node '{node}' sent a message on channel '{channel}' that does not match the port schema at {path}: {detail}.",
    doc: "With `validate: true`, a message failed its output port's JSON Schema.",
  },
  MessageNotSendable: {
    code: 3021,
    severity: "error",
    message: "Node '{node}' sent a value on port '{port}' that cannot be encoded: {detail}.",
    doc: "A message could not be encoded as MessagePack (functions, symbols, class instances with cycles).",
  },
  UnknownOutputPort: {
    code: 3022,
    severity: "error",
    message: "Node '{node}' sent a message on '{port}', which is not one of its output ports ({ports}).",
    doc: "A step returned or emitted a port its definition does not declare.",
  },
  StepResultInvalid: {
    code: 3023,
    severity: "error",
    message: "Node '{node}' returned {value} from a step; a step returns nothing or an object whose keys are output ports ({ports}).",
    doc: "A step (or a generator's yield) produced something other than undefined, null or an object of output ports, e.g. a number or a boolean.",
    hint: "Return `{ port: value }`, or call `ctx.emit(port, value)` and return nothing.",
  },
  RateLagError: {
    code: 3030,
    severity: "error",
    message: "Node '{node}' (rate {hz} Hz) is {lag} ms behind its schedule ({missed} ticks missed) and its onLag policy is 'error'.",
    doc: 'A rate clock with `onLag: "error"` fell a whole period or more behind.',
  },
  RateLagging: {
    code: 3031,
    severity: "warning",
    message: "Node '{node}' (rate {hz} Hz) is {lag} ms behind its schedule; {missed} ticks skipped.",
    doc: 'A rate clock with `onLag: "warn"` fell behind and skipped ticks (printed at most once per second).',
  },
  ExecutorDied: {
    code: 3040,
    severity: "error",
    message: "The executor of node '{node}' ended unexpectedly: {detail}.",
    doc: "A worker thread or child process exited or was killed while its node was running.",
  },
  StopTimeout: {
    code: 3041,
    severity: "warning",
    message: "Node '{node}' was killed while it was still running: {when}.",
    doc: "A node was still in `step` or `teardown` when the grace period ended, or when a second interrupt (or `--force`) killed it.",
  },
  Deadlock: {
    code: 3042,
    severity: "error",
    message: "No node can make progress: {detail}.",
    doc: "Every unfinished node waits on a full `block` channel or on input that can never come.",
  },
  BringUpFailed: {
    code: 3043,
    severity: "error",
    message: "Runtime '{runtime}' could not bring up node '{node}': {detail}.",
    doc: "An executor failed while starting (spawn, module load, setup); nothing ran.",
  },

  DescriptorYamlSyntax: {
    code: 3101,
    severity: "error",
    message: "The dataflow descriptor is not valid YAML: {detail}.",
    doc: "A Dora-dialect descriptor could not be parsed as YAML.",
  },
  DescriptorUnknownKey: {
    code: 3102,
    severity: "error",
    message: "Unknown key '{key}' in {where}.",
    doc: "Descriptors are closed, as in Dora: a key the dialect does not define is an error, not ignored.",
    hint: "Check the spelling; 0.x descriptors spell `deploy` as `_unstable_deploy` (both are accepted).",
  },
  DescriptorInvalid: {
    code: 3103,
    severity: "error",
    message: "{detail}",
    doc: "A descriptor value has the wrong type or is out of range (a node without id or path, a negative queue size).",
  },
  DescriptorBadInput: {
    code: 3104,
    severity: "error",
    message: "Input '{input}' of node '{node}' is '{value}': {detail}.",
    doc: "An input string is neither `node/output` nor a timer (`dora/timer/millis/N`, `dora/timer/hz/F`, …).",
  },
  DescriptorUnsupported: {
    code: 3105,
    severity: "error",
    message: "'{key}' in {where} is Dora syntax flowc does not run: {detail}.",
    doc: "The descriptor uses a Dora feature flowc's dataflow runtime does not implement (operators, ROS 2 bridges, build steps).",
  },
  DescriptorUnknownSource: {
    code: 3106,
    severity: "error",
    message: "Input '{input}' of node '{node}' reads '{source}', {detail}.",
    doc: "An input names a node or output that the descriptor does not declare.",
  },
  DescriptorTooComplex: {
    code: 3107,
    severity: "error",
    message: "The dataflow descriptor is too complex to read: {detail}.",
    doc: "A descriptor nests deeper than 256 levels, or its YAML aliases refer to themselves or expand it by more than 100,000 values (a billion-laughs document).",
    hint: "Write the repeated parts out, or use fewer levels of aliases.",
  },
  DescriptorNodeNotRunnable: {
    code: 3108,
    severity: "error",
    message: "Node '{node}' runs {value}, which flowc cannot run: {detail}.",
    doc: "A node's `path` is not a JavaScript/TypeScript module: a program or script in another language (`sender.py`, `../../target/debug/node`), a shared library, or Dora's `dynamic` (a node started by hand). flowc runs only nodes written with @flowc/dsl, so this is refused before anything starts.",
    hint: "Write the node as a .ts/.js module exporting a @flowc/dsl node() and name it in `path` (the export in `args`), or run this descriptor with Dora.",
  },
  DescriptorNodeRemote: {
    code: 3109,
    severity: "error",
    message: "Node '{node}' has its code at {value}: flowc does not download nodes.",
    doc: "A node's `path` is a URL (Dora downloads it before the run); flowc runs only modules on this machine.",
    hint: "Download the module yourself and name its local path in `path`.",
  },
  DescriptorUnknownPort: {
    code: 3110,
    severity: "error",
    message: "{side} '{port}' of node '{node}' is not {kind} of {type} ({module}); its {plural} are: {available}.",
    doc: "A hand-written descriptor names an input or output its node's @flowc/dsl definition does not declare: the port would never receive or send anything.",
    hint: "Use the port names of the node() definition (or add the port to the definition).",
  },
  DescriptorNodeDefinitionMissing: {
    code: 3111,
    severity: "error",
    message: "Node '{node}' names '{export}' of {module}, which is not a @flowc/dsl node definition: {detail}.",
    doc: "A hand-written descriptor's node module (its `path`) does not export a `node()` definition under the name in `args` (default `default`), or the module cannot be read.",
    hint: 'Export the node with `export const Name = node("Name", {…})` and put `Name` in `args`.',
  },
  DescriptorNodeShownNotRun: {
    code: 3112,
    severity: "warning",
    message:
      "Node '{node}' runs {value}, which flowc cannot run: {detail}; its inputs and outputs are checked and shown, but `run`, `start` and `build` refuse it.",
    doc: "In `validate`, `inspect`, `graph` and `check`, which only look at a descriptor: a node flowc cannot run — a `path` that is not a JS/TS module or is a URL, a Dora operator — is still part of the graph. `run`, `start` and `build` refuse it (FLC3108, FLC3109, FLC3105).",
  },
  DescriptorUnsupportedIgnored: {
    code: 3113,
    severity: "warning",
    message:
      "'{key}' in {where} is Dora syntax flowc does not run: {detail}; it does not change the graph, so it is left out here, but `run`, `start` and `build` refuse it.",
    doc: "In `validate`, `inspect`, `graph` and `check`: a Dora feature that does not change the graph's structure (a build step, `git`, type URNs, health checks, log routing, …). `run`, `start` and `build` refuse it (FLC3105).",
  },

  DaemonNotRunning: {
    code: 3201,
    severity: "error",
    message: "No flowc daemon is running at {socket}.",
    doc: "A daemon command (start, list, logs, stop, daemon stop) found no daemon to talk to.",
    hint: "Start one with `flowc daemon start`; `flowc run --runtime dataflow` needs none (it runs its own).",
  },
  DaemonSocketForeign: {
    code: 3202,
    severity: "error",
    message: "The daemon socket {socket} belongs to uid {owner}, not to you (uid {uid}); flowc does not talk to another user's daemon.",
    doc: "The control socket found in the runtime directory is owned by another user.",
    hint: "Point FLOWC_HOME (or XDG_RUNTIME_DIR) at a directory of your own, or ask its owner to stop that daemon.",
  },
  DaemonRefused: {
    code: 3203,
    severity: "error",
    message: "The daemon at {socket} refused the request: {detail}.",
    doc: "The daemon rejected a client: a wrong owner token (the peer is not the user who owns the daemon) or an incompatible protocol version.",
    hint: "Only the user who started the daemon can control it; restart it with `flowc daemon stop` and `flowc daemon start` after an upgrade.",
  },
  UnknownDataflow: {
    code: 3204,
    severity: "error",
    message: "The daemon has no dataflow '{name}'; known: {known}.",
    doc: "A dataflow named by id, id prefix or name is not known to the running daemon.",
    hint: "`flowc list` shows the dataflows and their names.",
  },
  DaemonUnreachable: {
    code: 3205,
    severity: "error",
    message: "The daemon at {socket} did not answer: {detail}.",
    doc: "The control socket exists but the connection failed, timed out or closed mid-request (a stale socket of a daemon that died, or a daemon that hangs).",
    hint: "`flowc daemon status` tells whether it runs; `flowc daemon start` replaces a stale socket.",
  },
  NodeRestarting: {
    code: 3206,
    severity: "warning",
    message: "Node '{node}' {detail}; restarting it in {delay} ms (restart {count} of {max}, policy {policy}).",
    doc: "A dataflow node exited or failed and its restart policy brings it back after the backoff delay.",
  },
  StartBarrierBroken: {
    code: 3207,
    severity: "error",
    message: "The executor of node '{node}' exited during bring-up, before the start barrier ({detail}); nothing ran.",
    doc: "No message and no timer tick flows until every executor is up (the start barrier); an executor (thread or process) that dies first fails the start, named with its exit status and the end of its stderr.",
  },
  PlacementUnavailable: {
    code: 3208,
    severity: "error",
    message: "Node '{node}' is placed on machine '{machine}', but no daemon for '{machine}' is up (this daemon is '{self}'; up: {up}).",
    doc: "The dataflow runtime spawns each node on the daemon of its placement's machine: its own, or another daemon of its NATS cluster (docs/cluster.md). A placement no daemon serves is refused before anything starts.",
    hint: "Start a daemon for that machine (`flowc daemon start --machine-id <id> --nats <url>`), or change the placement.",
  },
  DataflowNameTaken: {
    code: 3209,
    severity: "error",
    message: "A running dataflow is already named '{name}' ({id}).",
    doc: "Dataflow names are unique among running dataflows on a daemon.",
    hint: "Pick another --name, or stop the running one with `flowc stop <name>`.",
  },
  DaemonStartFailed: {
    code: 3210,
    severity: "error",
    message: "The flowc daemon did not start: {detail}.",
    doc: "`flowc daemon start` launched the daemon process but it did not come up.",
    hint: "Its own log is daemon.log in the runtime directory (`flowc daemon status` prints the paths).",
  },
  DataflowNameInvalid: {
    code: 3211,
    severity: "error",
    message: "'{name}' is not a dataflow name: {detail}.",
    doc: "Dataflow names are 1–64 characters: letters, digits, `_`, `.` and `-`, starting with a letter or digit (like Dora's ids), so they print safely and never look like an option.",
  },
  ClusterUnreachable: {
    code: 3212,
    severity: "error",
    message: "Cannot join the NATS cluster at {url}: {detail}.",
    doc: "A daemon started with `--nats` (or `runtimes.dataflow.nats`, FLOWC_NATS_URL) could not connect to the NATS server or open its JetStream buckets; it did not start.",
    hint: "Check that nats-server runs with JetStream (`nats-server -js`), the URL, and the credentials (docs/cluster.md).",
  },
  MachineIdTaken: {
    code: 3213,
    severity: "error",
    message: "Machine id '{machine}' is already served by a live daemon (pid {pid} on host {host}); one machine id has one daemon.",
    doc: "Daemons of one NATS cluster register their machine id; a second daemon claiming a live daemon's id is refused (a dead daemon's id is taken over once its heartbeat stopped).",
    hint: "Give this daemon its own id with `--machine-id`, or stop the other one.",
  },
  MachineLost: {
    code: 3214,
    severity: "error",
    message: "Machine '{machine}' was lost: {detail}.",
    doc: "The daemon of another machine stopped answering (no heartbeat, or its connection was reset): the nodes it ran are failed with this cause, and the run follows onError and the restart policies.",
    hint: "`flowc daemon status` shows which machines are up; restart the daemon there.",
  },

  UsageError: {
    code: 4001,
    severity: "error",
    message: "{detail}",
    doc: "The command line is not valid (unknown command or option, missing argument).",
    hint: "Run `flowc --help` or `flowc <command> --help`.",
  },
  FileNotFound: {
    code: 4002,
    severity: "error",
    message: "Cannot find {what} '{path}'.",
    doc: "A file named on the command line does not exist.",
  },
  FileUnreadable: {
    code: 4003,
    severity: "error",
    message: "Cannot read '{path}': {detail}.",
    doc: "A file exists but cannot be read (a directory, no permission).",
  },
  FileUnwritable: {
    code: 4006,
    severity: "error",
    message: "Cannot write '{path}': {detail}.",
    doc: "An output file or directory (`-o`, `--record`, the daemon's state directory) cannot be written; nothing was run or changed.",
    hint: "Choose a path in a directory you can write to.",
  },
  InitWouldOverwrite: {
    code: 4007,
    severity: "error",
    message: "flowc init would overwrite {files} in '{dir}'; nothing was written.",
    doc: "`flowc init` creates a project's files and never replaces one: it stops before writing anything when a file it would create exists (it extends an existing package.json, but never changes a script that is already there).",
    hint: "Run it in an empty or new directory (`flowc init my-flows`), or move those files away.",
  },
  PackageJsonInvalid: {
    code: 4008,
    severity: "error",
    message: "Cannot extend '{path}': {detail}.",
    doc: "`flowc init` adds scripts and dependencies to an existing package.json, which must be a JSON object.",
    hint: "Fix the file (or remove it to let flowc init write a new one).",
  },
  RecordingInvalid: {
    code: 4011,
    severity: "error",
    message: "'{path}' is not a flowc recording: {detail}.",
    doc: "`flowc replay` and `flowc inspect` read `.flowrec` files that `flowc run --record <file>.flowrec` wrote; this one is not one, or is damaged where it matters (a recording whose writer died still reads up to its last whole frame).",
    hint: "Record one with `flowc run <flow> --record run.flowrec`.",
  },
  ReplayNodeUnknown: {
    code: 4012,
    severity: "error",
    message: "Cannot replay node '{node}': {detail}; the recorded flow's nodes: {nodes}.",
    doc: "`flowc replay --replace <node>` names a node that the recorded flow (or the `--flow` build) does not have, or one whose outputs were never recorded.",
  },
  ReplayPortsMismatch: {
    code: 4013,
    severity: "error",
    message: "Node '{node}' of '{entry}' no longer matches the recording: {detail}.",
    doc: "`flowc replay --flow <entry>` replays a recording against a newer build: the nodes it replaces must still have the output ports (names and schemas) the recording has messages for.",
    hint: "Replay without --flow (the recorded flow), or replace only nodes whose outputs are unchanged.",
  },
  ReportKindUnknown: {
    code: 4014,
    severity: "error",
    message: "Cannot write a run report to '{path}': expected a name ending in .html or .json.",
    doc: "`flowc run --report <file>` writes a page to open in a browser (`.html`) or the same data for your own tools (`.json`); the file's extension says which. Nothing was run.",
    hint: "Name it report.html or report.json.",
  },
  MetricsAddressInvalid: {
    code: 4015,
    severity: "error",
    message: "Cannot serve metrics on '{address}': {detail}.",
    doc: "`flowc daemon start --metrics <host:port>` serves Prometheus/OpenMetrics text on that address; it must be an IP address (IPv6 in brackets) or localhost, and a port (0 picks a free one). Nothing was started.",
    hint: "Use a local address such as 127.0.0.1:9464.",
  },
  UnknownFileKind: {
    code: 4004,
    severity: "error",
    message: "'{path}' is not a file this command reads: expected a name ending in {expected}.",
    doc: "The command was given a file whose name ends in an extension it does not read (each command's inputs: docs/cli.md).",
  },
  UnknownSchemaName: {
    code: 4005,
    severity: "error",
    message: "Unknown schema '{name}'; available: {available}.",
    doc: "`flowc schema` was given a name it does not know.",
  },
  GraphLayoutFailed: {
    code: 4020,
    severity: "error",
    message: "Cannot lay out the graph of '{flow}': {detail}.",
    doc: "`flowc graph --format html` lays the flow out with elkjs (in the flowc process) before drawing it; elkjs gave up on this flow. Nothing was written.",
    hint: "Draw it with `--format mermaid` or `--format dot` instead, and report the flow to flowc's maintainers.",
  },
  ConfigInvalid: {
    code: 4010,
    severity: "error",
    message: "Invalid flowc configuration: {detail}.",
    doc: "flowc.config.json does not match the configuration schema (`flowc schema config`).",
  },
} as const satisfies Record<string, CatalogueEntry>;

export type DiagnosticName = keyof typeof catalogue;

type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;

/** The arguments a diagnostic's message template needs, derived from the template itself. */
export type DiagnosticArgs<N extends DiagnosticName> = {
  readonly [P in Placeholders<(typeof catalogue)[N]["message"]>]: string | number;
};

export function formatCode(code: number): string {
  return `FLC${String(code).padStart(4, "0")}`;
}
