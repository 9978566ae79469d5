// @flowc/ir — IR v1: the contract between the flowc compiler and every runtime.
// Pure data and pure functions; the only I/O is encoding and decoding.

export { analyze, type IrAnalysis, type NodeAnalysis } from "./analysis/analyze.js";
export { type ExecNode, type FusedIr, type FusedNode, fuse, fusedId, isFusedNode } from "./analysis/fuse.js";
export {
  buildGraph,
  type Components,
  type Edges,
  type Graph,
  graphFromEdges,
  stronglyConnectedComponents,
  topologicalOrder,
} from "./analysis/graph.js";
export { canonicalize, encodeJson, encodeMsgpack, hashIr, setOwn, sortJson } from "./codec.js";
export {
  type CatalogueEntry,
  catalogue,
  type DiagnosticArgs,
  type DiagnosticName,
  formatCode,
  type Severity,
} from "./diagnostics/catalogue.js";
export {
  clipText,
  createDiagnostic,
  type Diagnostic,
  type DiagnosticLocation,
  hasErrors,
  jsonPointer,
  listNames,
  MAX_QUOTED_LENGTH,
  parseJsonPointer,
  quote,
} from "./diagnostics/diagnostic.js";
export {
  CODE_FRAME_WIDTH,
  diagnosticsToJson,
  type FormatOptions,
  formatDiagnostic,
  formatDiagnostics,
  MAX_MESSAGE_LENGTH,
  MAX_PRINTED_DIAGNOSTICS,
} from "./diagnostics/format.js";
export { JsonLocator, LineIndex, offsetToPosition, type TextPosition } from "./diagnostics/locate.js";
export { decodeJsonText, decodeMsgpackBytes, type IrFormat, type LoadOptions, type LoadResult, loadIr, validateIr } from "./load.js";
export * from "./schema.js";
export { cyclesThatCannotStart } from "./validate/cycles.js";
export { describe as describeSchema } from "./validate/json-schema.js";
export {
  checkSchemaCompatible,
  compareSchemas,
  type Incompatibility,
  MAX_COMPARISON_STEPS,
  type SchemaComparison,
} from "./validate/schema-compat.js";
export { explainSchemaMismatch, valueMatchesSchema } from "./validate/schema-value.js";
export { checkSemantics, isPortablePath, leavesDirectory, MAX_TOTAL_COMPARISON_STEPS, type SemanticOptions } from "./validate/semantics.js";
