import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createDiagnostic, type Diagnostic, decodeJsonText, jsonPointer } from "@flowc/ir";
import { z } from "zod";
import { RuntimeError } from "./errors.js";

export const CONFIG_FILE_NAME = "flowc.config.json";

/**
 * `flowc.config.json`: which runtime `flowc run` uses and each runtime's options. Runtime
 * options are validated by the runtime that owns them; here they only need to be objects.
 */
export const FlowcConfig = z
  .object({
    $schema: z.string().optional().describe("Path or URL of this schema, for editors."),
    runtime: z
      .string()
      .min(1)
      .optional()
      .describe("Runtime `flowc run` uses unless --runtime or FLOWC_RUNTIME says otherwise; default mp."),
    runtimes: z
      .record(z.string().min(1), z.record(z.string(), z.json()))
      .default({})
      .describe('Options per runtime name, e.g. { "mp": { "isolation": "thread" } }.'),
  })
  .strict()
  .describe("flowc configuration (flowc.config.json)");
export type FlowcConfig = z.output<typeof FlowcConfig>;

/**
 * The JSON Schema of flowc.config.json (`flowc schema config`). `runtimes` maps runtime names to
 * their options' JSON Schemas (each runtime's `describe().optionsSchema`), so editors check
 * `runtimes.<name>` for the runtimes this flowc knows; other names stay free-form.
 */
export function configJsonSchema(runtimes: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {}): Record<string, unknown> {
  const schema: Record<string, unknown> = {
    $id: "https://flowc.dev/schema/config.schema.json",
    title: "flowc configuration",
    ...(z.toJSONSchema(FlowcConfig, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>),
  };
  const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
  const runtimesProperty = properties?.runtimes;
  if (runtimesProperty && Object.keys(runtimes).length > 0) {
    runtimesProperty.properties = Object.fromEntries(
      Object.entries(runtimes).map(([name, options]) => {
        const { $schema: _drop, ...rest } = options as Record<string, unknown>;
        return [name, rest];
      }),
    );
  }
  return schema;
}

/** The nearest flowc.config.json in `cwd` or a parent directory. */
export function findConfig(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export type ConfigResult = { ok: true; config: FlowcConfig; path: string | undefined } | { ok: false; diagnostics: Diagnostic[] };

/** Loads `explicit` (from --config) or the discovered config; no file at all is the empty config. */
export function loadConfig(cwd: string, explicit?: string): ConfigResult {
  const path = explicit !== undefined ? resolve(cwd, explicit) : findConfig(cwd);
  if (path === undefined) return { ok: true, config: FlowcConfig.parse({}), path: undefined };
  const shown = explicit ?? path;
  let text: string;
  try {
    const stat = statSync(path);
    // A device or FIFO may never end: a configuration is a regular file.
    if (!stat.isFile()) {
      const detail = stat.isDirectory() ? "it is a directory" : "it is not a regular file";
      return { ok: false, diagnostics: [createDiagnostic("FileUnreadable", { path: shown, detail })] };
    }
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      return { ok: false, diagnostics: [createDiagnostic("FileNotFound", { what: "configuration file", path: shown })] };
    }
    const detail = code === "EACCES" ? "permission denied" : String((error as Error).message);
    return { ok: false, diagnostics: [createDiagnostic("FileUnreadable", { path: shown, detail })] };
  }
  const decoded = decodeJsonText(text);
  if ("diagnostics" in decoded) {
    const detail = decoded.diagnostics.map((d) => d.message).join("; ");
    return { ok: false, diagnostics: [createDiagnostic("ConfigInvalid", { detail }, { file: path })] };
  }
  const parsed = FlowcConfig.safeParse(decoded.value);
  if (!parsed.success) {
    return {
      ok: false,
      diagnostics: parsed.error.issues.map((issue) =>
        createDiagnostic("ConfigInvalid", { detail: `${jsonPointer(issue.path.map(String)) || "/"}: ${issue.message}` }, { file: path }),
      ),
    };
  }
  return { ok: true, config: parsed.data, path };
}

/** Checks a runtime's options (`runtimes.<name>`) against its zod schema; one FLC3003 per problem. */
export function parseRuntimeOptions<S extends z.ZodType>(
  runtime: string,
  schema: S,
  raw: Readonly<Record<string, unknown>> | undefined,
): { ok: true; options: z.output<S> } | { ok: false; diagnostics: Diagnostic[] } {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, options: parsed.data };
  return {
    ok: false,
    diagnostics: parsed.error.issues.map((issue) =>
      createDiagnostic("RuntimeOptionsInvalid", { runtime, detail: `${jsonPointer(issue.path.map(String)) || "/"}: ${issue.message}` }),
    ),
  };
}

/** A runtime's options for `build`: parsed, or the same FLC3003 `check` reports, thrown. */
export function runtimeOptionsOrThrow<S extends z.ZodType>(
  runtime: string,
  schema: S,
  raw: Readonly<Record<string, unknown>> | undefined,
): z.output<S> {
  const parsed = parseRuntimeOptions(runtime, schema, raw);
  if (!parsed.ok) throw new RuntimeError(parsed.diagnostics[0] as Diagnostic);
  return parsed.options;
}

/** Payloads of this many bytes or more take shared memory by default on the engines that run nodes as processes. */
export const DEFAULT_SHM_THRESHOLD_BYTES = 65_536;

/** The `shmThresholdBytes` option of every engine whose nodes run as processes (mp's process mode, dataflow). */
export function shmThresholdOption(description: string) {
  return z.number().int().min(0).default(DEFAULT_SHM_THRESHOLD_BYTES).describe(description);
}
