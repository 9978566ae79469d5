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
export { checkDescriptor, type DescriptorSource, type LoadDescriptorResult, loadDescriptor, type NodeProcessSettings } from "./load.js";
export { descriptorToYaml, lowerToDescriptor } from "./lower.js";
export { NODE_MODULE, type ParseResult, parseDescriptor } from "./parse.js";
export { descriptorToIr, type ToIrOptions, type ToIrResult } from "./to-ir.js";
