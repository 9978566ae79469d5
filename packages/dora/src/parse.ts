import { clipText, createDiagnostic, type Diagnostic, type DiagnosticLocation, hasErrors, jsonPointer, parseJsonPointer } from "@flowc/ir";
import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Pair, type YAMLMap } from "yaml";
import { type Descriptor, FLOWC_NODE_RUNNER } from "./descriptor.js";
import { parseInputSource } from "./inputs.js";
import { readYaml } from "./yaml-read.js";

type Path = readonly (string | number)[];

const ROOT_KEYS = new Set(["nodes", "env", "deploy", "_unstable_deploy", "_flowc"]);
/** Dora root keys flowc knows but does not run. */
const ROOT_UNSUPPORTED: Readonly<Record<string, string>> = {
  communication: "flowc chooses its own transports (Unix sockets, shared memory)",
  _unstable_debug: "debug mirroring of messages is not implemented",
  debug: "debug mirroring of messages is not implemented",
  strict_types: "type URNs are not checked; flowc checks port schemas at build time",
  type_rules: "type URNs are not checked; flowc checks port schemas at build time",
  exit_when_nodes_finish: "a flowc run ends when every node has finished, a node fails (onError: stop), or its duration passes",
  health_check_interval: "flowc's supervisor watches node processes itself (exits, deadlocks); it has no health-check messages",
  module: "this is a Dora sub-graph module, which Dora expands into the dataflow that uses it; flowc does not expand modules",
};
const NODE_KEYS = new Set([
  "id",
  "name",
  "description",
  "path",
  "args",
  "env",
  "inputs",
  "outputs",
  "deploy",
  "_unstable_deploy",
  "restart_policy",
  "max_restarts",
  "restart_delay",
  "_flowc",
]);
const NODE_UNSUPPORTED: Readonly<Record<string, string>> = {
  operator: "operators need Dora's runtime; write the node as a JS/TS module with @flowc/dsl",
  operators: "operators need Dora's runtime; write the node as a JS/TS module with @flowc/dsl",
  custom: "the 0.x `custom` form is gone in Dora 1.0 too; use path/args/inputs/outputs",
  module: "sub-graph modules are not expanded",
  ros2: "ROS 2 bridges are not available",
  hub: "hub nodes are not available",
  git: "flowc does not clone or build nodes; point `path` at a module",
  branch: "flowc does not clone or build nodes",
  tag: "flowc does not clone or build nodes",
  rev: "flowc does not clone or build nodes",
  build: "flowc does not run build commands; bundle with `flowc build`",
  send_stdout_as: "node output is logged per node (`flowc logs`)",
  output_types: "type URNs are not checked; flowc checks port schemas at build time",
  input_types: "type URNs are not checked; flowc checks port schemas at build time",
  output_metadata: "type URNs are not checked; flowc checks port schemas at build time",
  pattern: "Dora's node patterns (service, action, streaming) are not implemented; connect ports with inputs/outputs",
  params: "Dora passes params to its own node APIs; a @flowc/dsl node's params come from a flow file",
  path_sha256: "flowc does not download nodes, so there is nothing to verify",
  output_framing: "flowc frames messages itself (msgpack frames, shared memory for large payloads)",
  shared_memory_pool_size: "flowc sizes shared memory per message (64 KB and above)",
  cpu_affinity: "flowc does not pin node processes to CPUs",
  health_check_timeout: "flowc's supervisor watches node processes itself (exits, deadlocks); it has no health-check messages",
  finish_grace_secs: "the grace period is runtime-wide in flowc (`runtimes.dataflow.graceMs`, `flowc stop --grace`)",
  restart_window: "flowc counts restarts over the whole run (`max_restarts`)",
  max_restart_delay: "flowc waits `restart_delay` between restarts, without back-off",
  send_logs_as: "node logs go to per-node log files (`flowc logs`), not to outputs",
  min_log_level: "node logs are filtered by level in flowc's own output, not per node",
  max_log_size: "flowc rotates node log files itself",
  max_rotated_files: "flowc rotates node log files itself",
};
/** Dora node kinds that replace `path`. */
const PATHLESS_KINDS = ["operator", "operators", "custom", "module", "ros2", "hub"] as const;
/**
 * Dora features whose nodes and ports flowc cannot draw: sub-graph modules expand into nodes
 * flowc does not read, a runtime node's operators have outputs `<node>/<operator>/<output>` (no
 * IR port or node id holds a `/`), and ROS 2 bridges and hubs get their ports from outside the
 * descriptor. They stay errors even where the rest of Dora's syntax only warns.
 */
const STRUCTURAL_UNSUPPORTED = new Set(["module", "operators", "ros2", "hub"]);
/**
 * Node kinds that carry their own `inputs`/`outputs` (a single operator, 0.x `custom`) and the
 * key of their code: with `describeOnly` they are drawn as a node with those ports.
 */
const PORTED_KINDS: Readonly<Record<string, readonly string[]>> = {
  operator: ["python", "shared-library", "wasm"],
  custom: ["source"],
};
const DEPLOY_KEYS = new Set(["machine", "working_dir", "labels"]);
/** What flowc writes under a node's `_flowc`; the IR checks the values (FLC1xxx at these lines). */
const FLOWC_NODE_KEYS = new Set([
  "type",
  "impl",
  "params",
  "clock",
  "inputs",
  "outputs",
  "stateful",
  "parallelism",
  "onError",
  "source",
  "timer",
  "channels",
]);
const MAX_RESTART_DELAY = 2_147_483;
const FLOWC_CHANNEL_KEYS = new Set(["id", "port", "capacity", "onFull"]);
const FLOWC_ROOT_KEYS = new Set(["irVersion", "name", "meta"]);
const LONG_INPUT_KEYS = new Set(["source", "queue_size", "queue_policy", "input_timeout"]);

/** What flowc runs: a JavaScript or TypeScript module whose export is a @flowc/dsl node. */
export const NODE_MODULE = /\.(m|c)?[jt]sx?$/;
/** A node Dora downloads before the run (`path: https://…/node.zip`). */
const URL_PATH = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** File kinds of Dora nodes, named in the refusal so the reader sees why at once. */
const FOREIGN_KINDS: readonly [RegExp, string][] = [
  [/\.pyw?$/i, "a Python script"],
  [/\.(so|dylib|dll)$/i, "a shared library (a Dora operator or a native node)"],
  [/\.(sh|bash|zsh)$/i, "a shell script"],
  [/\.(exe|bin)$/i, "a native program"],
  [/\.(rs|c|cc|cpp|cxx|h|hpp|go|java|rb)$/i, "a source file of another language"],
];

/** Why a `path` that is not a JS/TS module cannot run on flowc. */
function notRunnableBecause(value: string): string {
  if (value === "dynamic") return "Dora's dynamic nodes are started by hand and join a running dataflow; flowc starts every node itself";
  for (const [pattern, kind] of FOREIGN_KINDS) if (pattern.test(value)) return `it is ${kind}, not a JavaScript/TypeScript module`;
  if (/\.[A-Za-z0-9]+$/.test(value.split("/").pop() ?? "")) return "it is not a JavaScript/TypeScript module (.ts, .mts, .js, .mjs, …)";
  return "it is a program or a command (no .ts/.js extension), not a JavaScript/TypeScript module";
}

export interface ParseOptions {
  /**
   * For commands that only look at a dataflow (`validate`, `inspect`, `graph`, `check`): nodes
   * flowc cannot run (a Python or native `path`, a URL, a single operator, 0.x `custom`) and Dora
   * features that leave the graph as it is (`build`, `git`, type URNs, health checks, …) are
   * warnings (FLC3112, FLC3113) and the descriptor's structure is still read. Without it they
   * are errors (FLC3108, FLC3109, FLC3105): nothing that cannot run is run.
   */
  readonly describeOnly?: boolean;
}

export interface ParseResult {
  /** Defined when there are no errors; `diagnostics` may still hold warnings. */
  readonly descriptor: Descriptor | undefined;
  readonly diagnostics: Diagnostic[];
  /**
   * File, line and column of a JSON pointer into the descriptor (of the key itself with `key`),
   * for diagnostics found later — converting to IR, bundling — to point at the YAML too.
   */
  readonly locate: (pointer: string, key?: boolean) => DiagnosticLocation;
}

/**
 * Reads a Dora-dialect descriptor (0.x and 1.0 spellings) and checks it: unknown keys, wrong
 * types, bad input strings and Dora features flowc does not run are coded diagnostics with the
 * file, line and column. `_unstable_deploy` is read as `deploy`. Hostile YAML — aliases that
 * expand without bound or refer to themselves, nesting past 256 levels — is refused the same
 * way (FLC3101, FLC3107); nothing throws.
 */
export function parseDescriptor(text: string, file?: string, options: ParseOptions = {}): ParseResult {
  const describeOnly = options.describeOnly === true;
  const read = readYaml(text);
  const lines = read.lines;
  const locator = new YamlLocator(read.doc, lines, file);
  const at = (path: Path, key = false) => locator.at(path, key);
  // Nodes whose ports were read from their operator (`describeOnly`): by index, the kind's key.
  const portsUnder = new Map<number, string>();
  const locate = (pointer: string, key = false) => {
    const segments = parseJsonPointer(pointer);
    const [head, index, field] = segments;
    const kind = head === "nodes" ? portsUnder.get(Number(index)) : undefined;
    // A later finding about such a node's input or output points into its operator, where the port is written.
    if (kind !== undefined && (field === "inputs" || field === "outputs"))
      return locator.at(["nodes", Number(index), kind, ...segments.slice(2)], key);
    return locator.at(segments, key);
  };
  if (!read.ok) {
    return {
      descriptor: undefined,
      locate,
      diagnostics: read.problems.map((p) => {
        const pos = lines.linePos(p.offset);
        const where = { line: pos.line, column: pos.col, ...(file !== undefined && { file }) };
        const detail = clipText(p.detail, 300);
        if (p.kind === "tooComplex") return createDiagnostic("DescriptorTooComplex", { detail }, where);
        if (p.kind === "invalid") return createDiagnostic("DescriptorInvalid", { detail: `${detail}.` }, where);
        return createDiagnostic("DescriptorYamlSyntax", { detail }, where);
      }),
    };
  }
  const diagnostics: Diagnostic[] = [];
  const invalid = (path: Path, detail: string): void => {
    diagnostics.push(createDiagnostic("DescriptorInvalid", { detail }, at(path)));
  };
  const keys = (
    value: Record<string, unknown>,
    path: Path,
    where: string,
    allowed: ReadonlySet<string>,
    unsupported: Readonly<Record<string, string>> = {},
  ) => {
    for (const key of Object.keys(value)) {
      if (allowed.has(key)) continue;
      const shown = clipText(key, 60);
      if (Object.hasOwn(unsupported, key)) {
        const detail = unsupported[key] as string;
        // Drawn from its own ports below.
        if (describeOnly && path.length === 2 && value.path === undefined && Object.hasOwn(PORTED_KINDS, key) && isRecord(value[key]))
          continue;
        const name = describeOnly && !STRUCTURAL_UNSUPPORTED.has(key) ? "DescriptorUnsupportedIgnored" : "DescriptorUnsupported";
        diagnostics.push(createDiagnostic(name, { key: shown, where, detail }, at([...path, key], true)));
      } else diagnostics.push(createDiagnostic("DescriptorUnknownKey", { key: shown, where }, at([...path, key], true)));
    }
  };
  const root = read.value;
  if (!isRecord(root)) {
    invalid([], "A dataflow descriptor is a mapping with a `nodes` list.");
    return { descriptor: undefined, diagnostics, locate };
  }
  keys(root, [], "the descriptor", ROOT_KEYS, ROOT_UNSUPPORTED);
  checkDeploy(root, [], "the descriptor");
  if (root._flowc !== undefined) checkRootFacts(root._flowc);
  if (root.env !== undefined) checkEnv(root.env, ["env"]);
  if (!Array.isArray(root.nodes) || root.nodes.length === 0) {
    invalid(root.nodes === undefined ? [] : ["nodes"], "`nodes` must be a non-empty list of nodes.");
    return { descriptor: undefined, diagnostics, locate };
  }
  const ids = new Set<string>();
  root.nodes.forEach((node: unknown, i: number) => {
    const path = ["nodes", i];
    if (!isRecord(node)) {
      invalid(path, `nodes[${i}] must be a mapping.`);
      return;
    }
    // Dora reads an empty `inputs:` or `outputs:` (YAML null) as none.
    for (const key of ["inputs", "outputs"] as const) if (node[key] === null) delete node[key];
    const id = node.id;
    const where = typeof id === "string" ? `node '${clipText(id, 60)}'` : `nodes[${i}]`;
    keys(node, path, where, NODE_KEYS, NODE_UNSUPPORTED);
    if (typeof id !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(id) || id === "dora") {
      invalid(
        id === undefined ? path : [...path, "id"],
        `${where} needs an \`id\` of letters, digits, '_', '.', '-' (not 'dora', no '/').`,
      );
    } else if (ids.has(id)) invalid([...path, "id"], `Node id '${id}' is used twice.`);
    else ids.add(id);
    // A single operator (or 0.x `custom`) is drawn as a node with the operator's ports, its code as the node's `path`.
    const ported = describeOnly && node.path === undefined ? Object.keys(PORTED_KINDS).find((k) => isRecord(node[k])) : undefined;
    let portsAt: Path = path;
    if (ported !== undefined) {
      const spec = node[ported] as Record<string, unknown>;
      const code = (PORTED_KINDS[ported] ?? []).find((k) => typeof spec[k] === "string" && spec[k] !== "");
      const value = code !== undefined ? String(spec[code]) : ported;
      for (const key of ["inputs", "outputs"] as const) {
        if (spec[key] === null) delete spec[key];
        if (spec[key] !== undefined && node[key] === undefined) node[key] = spec[key];
      }
      if (node.inputs === spec.inputs && node.outputs === spec.outputs) {
        portsAt = [...path, ported];
        portsUnder.set(i, ported);
      }
      const detail =
        ported === "operator"
          ? "it is a Dora operator, which needs Dora's runtime"
          : "it is a 0.x `custom` node, which Dora 1.0 dropped too";
      diagnostics.push(
        createDiagnostic(
          "DescriptorNodeShownNotRun",
          { node: clipText(String(id), 60), value: `'${clipText(value)}'`, detail },
          at([...path, ported, ...(code !== undefined ? [code] : [])]),
        ),
      );
      node.path = value;
    }
    // An operator, module or bridge has no `path` of its own; FLC3105 has said why it cannot run.
    const pathless = PATHLESS_KINDS.some((key) => node[key] !== undefined);
    if (ported !== undefined) {
      // Reported above.
    } else if ((typeof node.path !== "string" || node.path === "") && !(pathless && node.path === undefined))
      invalid(
        node.path === undefined ? path : [...path, "path"],
        `${where} needs a \`path\`: flowc-node, or a .js/.ts module defining the node.`,
      );
    else if (typeof node.path === "string") checkRunnable(node.path, [...path, "path"], typeof id === "string" ? id : `nodes[${i}]`);
    if (node.args !== undefined && typeof node.args !== "string") invalid([...path, "args"], `\`args\` of ${where} must be a string.`);
    if (node.env !== undefined) checkEnv(node.env, [...path, "env"]);
    checkDeploy(node, path, where);
    if (node._flowc !== undefined) checkNodeFacts(node._flowc, [...path, "_flowc"], where);
    if (
      node.outputs !== undefined &&
      (!Array.isArray(node.outputs) || !node.outputs.every((o) => typeof o === "string" && /^[A-Za-z0-9_./-]+$/.test(o)))
    ) {
      invalid([...portsAt, "outputs"], `\`outputs\` of ${where} must be a list of output ids.`);
    }
    if (node.restart_policy !== undefined && !["never", "on-failure", "always"].includes(node.restart_policy as string)) {
      invalid([...path, "restart_policy"], `\`restart_policy\` of ${where} must be never, on-failure or always.`);
    }
    if (node.max_restarts !== undefined && !(Number.isSafeInteger(node.max_restarts) && (node.max_restarts as number) >= 0))
      invalid([...path, "max_restarts"], `\`max_restarts\` of ${where} must be a whole number ≥ 0.`);
    // Seconds a timer can wait: Node's timers hold at most 2^31 - 1 ms and fire at once past that.
    if (
      node.restart_delay !== undefined &&
      !(typeof node.restart_delay === "number" && node.restart_delay >= 0 && node.restart_delay <= MAX_RESTART_DELAY)
    )
      invalid([...path, "restart_delay"], `\`restart_delay\` of ${where} must be a number of seconds from 0 to ${MAX_RESTART_DELAY}.`);
    if (node.inputs !== undefined) {
      if (!isRecord(node.inputs)) invalid([...portsAt, "inputs"], `\`inputs\` of ${where} must map input ids to sources.`);
      else {
        for (const [input, spec] of Object.entries(node.inputs)) {
          const ip = [...portsAt, "inputs", input];
          const shown = clipText(input, 60);
          let source: unknown = spec;
          if (isRecord(spec)) {
            keys(spec, ip, `input '${shown}' of ${where}`, LONG_INPUT_KEYS);
            source = spec.source;
            if (spec.queue_size !== undefined && !(Number.isInteger(spec.queue_size) && (spec.queue_size as number) >= 1)) {
              invalid([...ip, "queue_size"], `\`queue_size\` of input '${shown}' must be an integer ≥ 1.`);
            }
            if (spec.queue_policy !== undefined && !["drop_oldest", "backpressure"].includes(spec.queue_policy as string)) {
              invalid([...ip, "queue_policy"], `\`queue_policy\` of input '${shown}' must be drop_oldest or backpressure.`);
            }
          }
          if (typeof source !== "string") {
            invalid(ip, `Input '${shown}' of ${where} needs a source string ('node/output' or a timer).`);
            continue;
          }
          const parsed = parseInputSource(source);
          if (typeof parsed === "string") {
            const sp = isRecord(spec) ? [...ip, "source"] : ip;
            diagnostics.push(
              createDiagnostic(
                "DescriptorBadInput",
                { input: shown, node: clipText(String(id), 60), value: clipText(source), detail: parsed },
                at(sp),
              ),
            );
          }
        }
      }
    }
  });
  if (hasErrors(diagnostics)) return { descriptor: undefined, diagnostics, locate };
  return { descriptor: normalize(root), diagnostics, locate };

  /** A node flowc can run is flowc's runner or a JS/TS module; anything else is refused here, before a run. */
  function checkRunnable(value: string, path: Path, node: string): void {
    if (value === FLOWC_NODE_RUNNER || NODE_MODULE.test(value)) return;
    const args = { node: clipText(node, 60), value: `'${clipText(value)}'` };
    if (describeOnly) {
      const detail = URL_PATH.test(value) ? "flowc does not download nodes" : notRunnableBecause(value);
      diagnostics.push(createDiagnostic("DescriptorNodeShownNotRun", { ...args, detail }, at(path)));
      return;
    }
    if (URL_PATH.test(value)) {
      diagnostics.push(createDiagnostic("DescriptorNodeRemote", args, at(path)));
      return;
    }
    diagnostics.push(createDiagnostic("DescriptorNodeNotRunnable", { ...args, detail: notRunnableBecause(value) }, at(path)));
  }

  function checkDeploy(value: Record<string, unknown>, path: Path, where: string): void {
    for (const key of ["deploy", "_unstable_deploy"]) {
      const deploy = value[key];
      if (deploy === undefined) continue;
      if (!isRecord(deploy)) invalid([...path, key], `\`${key}\` of ${where} must be a mapping {machine, working_dir, labels}.`);
      else {
        keys(deploy, [...path, key], `\`${key}\` of ${where}`, DEPLOY_KEYS);
        if (deploy.machine !== undefined && typeof deploy.machine !== "string")
          invalid([...path, key, "machine"], "`machine` must be a string.");
      }
    }
    if (value.deploy !== undefined && value._unstable_deploy !== undefined)
      invalid([...path, "_unstable_deploy"], `${where} has both \`deploy\` and \`_unstable_deploy\`; keep one.`);
  }

  /** The shape of a node's `_flowc` section; its values are the IR's to check. */
  function checkNodeFacts(facts: unknown, path: Path, where: string): void {
    const section = `\`_flowc\` of ${where}`;
    if (!isRecord(facts)) {
      invalid(path, `${section} must be a mapping: the IR facts flowc wrote for the node.`);
      return;
    }
    keys(facts, path, section, FLOWC_NODE_KEYS);
    if (facts.timer !== undefined && typeof facts.timer !== "string")
      invalid([...path, "timer"], `\`timer\` in ${section} must name the timer input.`);
    if (facts.channels === undefined) return;
    if (!isRecord(facts.channels)) {
      invalid([...path, "channels"], `\`channels\` in ${section} must map input ids to channels.`);
      return;
    }
    for (const [input, channel] of Object.entries(facts.channels)) {
      const cp = [...path, "channels", input];
      const what = `channel of input '${clipText(input, 60)}' in ${section}`;
      if (!isRecord(channel)) {
        invalid(cp, `The ${what} must be a mapping {id, port, capacity, onFull}.`);
        continue;
      }
      keys(channel, cp, `the ${what}`, FLOWC_CHANNEL_KEYS);
      for (const key of ["id", "port", "onFull"] as const) {
        if (typeof channel[key] !== "string" || channel[key] === "")
          invalid(channel[key] === undefined ? cp : [...cp, key], `\`${key}\` of the ${what} must be a non-empty string.`);
      }
      if (typeof channel.capacity !== "number")
        invalid(channel.capacity === undefined ? cp : [...cp, "capacity"], `\`capacity\` of the ${what} must be a number.`);
    }
  }

  function checkRootFacts(facts: unknown): void {
    const path = ["_flowc"];
    if (!isRecord(facts)) {
      invalid(path, "`_flowc` of the descriptor must be a mapping {irVersion, name, meta}.");
      return;
    }
    keys(facts, path, "`_flowc` of the descriptor", FLOWC_ROOT_KEYS);
    if (facts.irVersion !== undefined && facts.irVersion !== 1)
      invalid([...path, "irVersion"], "This descriptor was written for another IR version; this flowc reads irVersion 1.");
    if (facts.name !== undefined && (typeof facts.name !== "string" || facts.name === ""))
      invalid([...path, "name"], "`name` in `_flowc` must be a non-empty string.");
  }

  function checkEnv(env: unknown, path: Path): void {
    if (!isRecord(env)) {
      invalid(path, "`env` must map names to strings, numbers or booleans.");
      return;
    }
    for (const [k, v] of Object.entries(env)) {
      if (!["string", "number", "boolean"].includes(typeof v))
        invalid([...path, k], `Environment variable '${k}' must be a string, number or boolean.`);
    }
  }
}

/** The checked document as a Descriptor: `_unstable_deploy` becomes `deploy`. */
function normalize(root: Record<string, unknown>): Descriptor {
  const fixDeploy = <T extends Record<string, unknown>>(v: T): T => {
    if (v._unstable_deploy === undefined) return v;
    const { _unstable_deploy, ...rest } = v;
    return { ...rest, deploy: _unstable_deploy } as unknown as T;
  };
  const nodes = (root.nodes as Record<string, unknown>[]).map(fixDeploy);
  return fixDeploy({ ...root, nodes }) as unknown as Descriptor;
}

/** File, line and column of paths in the document; each mapping's keys are indexed once, on first use. */
class YamlLocator {
  readonly #keys = new WeakMap<object, Map<string, Pair>>();

  constructor(
    private readonly doc: Document.Parsed | undefined,
    private readonly lines: LineCounter,
    private readonly file: string | undefined,
  ) {}

  /** Of the key itself with `key`; a path that goes where the document does not points at the deepest part that exists. */
  at(path: Path, key = false): { line: number; column: number; path: string; file?: string } {
    let node: unknown = this.doc?.contents;
    let offset = 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i] as string | number;
      if (isMap(node)) {
        const pair = this.#pairs(node).get(String(seg));
        if (!pair) {
          // Missing: the key of the mapping that lacks it says where better than its first entry.
          const owner =
            i > 0 && isMap(this.#parentOf(path, i)) ? this.#pairs(this.#parentOf(path, i) as YAMLMap).get(String(path[i - 1])) : undefined;
          const range = (owner?.key as Ranged | null | undefined)?.range;
          if (range) offset = range[0];
          break;
        }
        const last = i === path.length - 1;
        const target = last && key ? pair.key : pair.value;
        const range = (target as Ranged | null)?.range ?? (pair.key as Ranged | null)?.range;
        if (range) offset = range[0];
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)];
        const range = (item as Ranged | undefined)?.range;
        if (range) offset = range[0];
        node = item;
      } else break;
    }
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col, path: jsonPointer(path), ...(this.file !== undefined && { file: this.file }) };
  }

  /** The node holding `path[i - 1]`: the mapping whose key the missing `path[i]` belongs under. */
  #parentOf(path: Path, i: number): unknown {
    let node: unknown = this.doc?.contents;
    for (let j = 0; j < i - 1; j++) {
      if (isMap(node)) node = this.#pairs(node).get(String(path[j]))?.value;
      else if (isSeq(node)) node = node.items[Number(path[j])];
      else return undefined;
    }
    return node;
  }

  #pairs(map: YAMLMap): Map<string, Pair> {
    let pairs = this.#keys.get(map);
    if (!pairs) {
      pairs = new Map();
      for (const p of map.items) if (isPair(p) && isScalar(p.key)) pairs.set(String(p.key.value), p);
      this.#keys.set(map, pairs);
    }
    return pairs;
  }
}

type Ranged = { range?: [number, number, number] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
