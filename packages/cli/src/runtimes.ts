import { configJsonSchema, RuntimeRegistry } from "@flowc/runtime";
import { dataflowRuntime } from "@flowc/runtime-dataflow";
import { mpRuntime } from "@flowc/runtime-mp";

/** The runtimes this flowc ships; the config may add more by module. */
export function defaultRegistry(): RuntimeRegistry {
  const registry = new RuntimeRegistry();
  registry.register(mpRuntime);
  registry.register(dataflowRuntime);
  return registry;
}

/** `flowc schema config`: the config schema with the options schema of every built-in runtime. */
export function builtinConfigJsonSchema(): Record<string, unknown> {
  const runtimes = Object.fromEntries(
    defaultRegistry()
      .list()
      .map((r) => [r.name, r.describe().optionsSchema]),
  );
  return configJsonSchema(runtimes);
}
