import { RuntimeRegistry } from "@flowc/runtime";
import { mpRuntime } from "@flowc/runtime-mp";

/** The runtimes this flowc ships; the config may add more by module. */
export function defaultRegistry(): RuntimeRegistry {
  const registry = new RuntimeRegistry();
  registry.register(mpRuntime);
  return registry;
}
