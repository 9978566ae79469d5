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
export { canonicalize, encodeJson, encodeMsgpack, hashIr, sortJson } from "./codec.js";
export {
  type CatalogueEntry,
  catalogue,
  type DiagnosticArgs,
  type DiagnosticName,
  formatCode,
  type Severity,
} from "./diagnostics/catalogue.js";
export {
  createDiagnostic,
  type Diagnostic,
  type DiagnosticLocation,
  hasErrors,
  jsonPointer,
  parseJsonPointer,
  quote,
} from "./diagnostics/diagnostic.js";
export { diagnosticsToJson, type FormatOptions, formatDiagnostic, formatDiagnostics } from "./diagnostics/format.js";
export { JsonLocator, offsetToPosition, type TextPosition } from "./diagnostics/locate.js";
export { decodeJsonText, decodeMsgpackBytes, type IrFormat, type LoadOptions, type LoadResult, loadIr, validateIr } from "./load.js";
export * from "./schema.js";
export { checkSchemaCompatible, describe as describeSchema, type Incompatibility, valueMatchesSchema } from "./validate/schema-compat.js";
export { checkSemantics, isPortablePath } from "./validate/semantics.js";
