// @flowc/frontend — the flowc compiler: a TypeScript flow file → IR v1 (+ bundled node modules).
export {
  type CompileOptions,
  type CompileResult,
  compile,
  createProject,
  DEFAULT_COMPILER_OPTIONS,
  type ModulePlan,
} from "./compile.js";
export {
  type DescribeNodesResult,
  describeNodeModules,
  type NodeDefinitionFacts,
  type NodeDefinitionLookup,
} from "./describe-nodes.js";
export { type EmitOptions, type EmitResult, emit } from "./emit.js";
export { flowFileStem } from "./file-names.js";
export { findProjectRoot } from "./project-root.js";
export { typeToSchema } from "./types.js";
export { FRONTEND_VERSION } from "./version.js";
