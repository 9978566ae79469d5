import { dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createDiagnostic, type Diagnostic } from "@flowc/ir";
import type { FlowcConfig } from "./config.js";
import type { Runtime } from "./contract.js";

/** The runtime used when neither --runtime, FLOWC_RUNTIME nor the config names one. */
export const DEFAULT_RUNTIME = "mp";

/** Runtimes by name. The CLI registers the built-in engines; the config may add modules. */
export class RuntimeRegistry {
  readonly #runtimes = new Map<string, Runtime>();

  register(runtime: Runtime): void {
    if (this.#runtimes.has(runtime.name)) throw new Error(`a runtime named '${runtime.name}' is already registered`);
    this.#runtimes.set(runtime.name, runtime);
  }

  get(name: string): Runtime | undefined {
    return this.#runtimes.get(name);
  }

  list(): Runtime[] {
    return [...this.#runtimes.values()];
  }
}

export type RuntimeChoiceSource = "flag" | "env" | "config" | "default";

/** Which runtime a run uses: flag > FLOWC_RUNTIME > config `runtime` > mp. */
export function chooseRuntime(
  flag: string | undefined,
  env: string | undefined,
  config: FlowcConfig,
): { name: string; source: RuntimeChoiceSource } {
  if (flag !== undefined && flag !== "") return { name: flag, source: "flag" };
  if (env !== undefined && env !== "") return { name: env, source: "env" };
  if (config.runtime !== undefined) return { name: config.runtime, source: "config" };
  return { name: DEFAULT_RUNTIME, source: "default" };
}

/** A runtime's options from the config: `runtimes.<name>` without the `module` key. */
export function runtimeOptions(config: FlowcConfig, name: string): Record<string, unknown> {
  const { module: _module, ...options } = (config.runtimes[name] ?? {}) as Record<string, unknown>;
  return options;
}

export type ResolveResult = { ok: true; runtime: Runtime } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Finds runtime `name`: registered, or loaded from the module `runtimes.<name>.module` names
 * (relative to the config file). Unknown names are FLC3001 listing what is available.
 */
export async function resolveRuntime(
  registry: RuntimeRegistry,
  name: string,
  config: FlowcConfig,
  configPath: string | undefined,
  cwd: string,
): Promise<ResolveResult> {
  const known = registry.get(name);
  if (known) return { ok: true, runtime: known };
  const specifier = (config.runtimes[name] as { module?: unknown } | undefined)?.module;
  if (typeof specifier !== "string") {
    const fromConfig = Object.entries(config.runtimes)
      .filter(([, o]) => typeof (o as { module?: unknown }).module === "string")
      .map(([n]) => n);
    const available = [...registry.list().map((r) => r.name), ...fromConfig];
    return { ok: false, diagnostics: [createDiagnostic("UnknownRuntime", { name, available: available.join(", ") || "none" })] };
  }
  const base = configPath ? dirname(configPath) : cwd;
  const target = specifier.startsWith(".") || isAbsolute(specifier) ? pathToFileURL(resolve(base, specifier)).href : specifier;
  const fail = (detail: string) => ({
    ok: false as const,
    diagnostics: [createDiagnostic("RuntimeLoadFailed", { name, module: specifier, detail })],
  });
  let mod: Record<string, unknown>;
  try {
    mod = (await import(target)) as Record<string, unknown>;
  } catch (error) {
    return fail((error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "import failed");
  }
  const candidate = (mod.runtime ?? mod.default) as Partial<Runtime> | undefined;
  if (!isRuntime(candidate)) return fail("it exports no object with name, describe(), check() and build()");
  if (candidate.name !== name) return fail(`it exports runtime '${candidate.name}', not '${name}'`);
  registry.register(candidate);
  return { ok: true, runtime: candidate };
}

function isRuntime(value: unknown): value is Runtime {
  const r = value as Partial<Runtime> | undefined;
  return (
    typeof r === "object" &&
    r !== null &&
    typeof r.name === "string" &&
    typeof r.describe === "function" &&
    typeof r.check === "function" &&
    typeof r.build === "function"
  );
}
