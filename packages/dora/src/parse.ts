import { createDiagnostic, type Diagnostic, jsonPointer } from "@flowc/ir";
import { type Document, isMap, isPair, isScalar, LineCounter, parseDocument } from "yaml";
import type { Descriptor } from "./descriptor.js";
import { parseInputSource } from "./inputs.js";

type Path = readonly (string | number)[];

const ROOT_KEYS = new Set(["nodes", "env", "deploy", "_unstable_deploy", "_flowc"]);
/** Dora root keys flowc knows but does not run. */
const ROOT_UNSUPPORTED: Readonly<Record<string, string>> = {
  communication: "flowc chooses its own transports (Unix sockets, shared memory)",
  _unstable_debug: "debug mirroring of messages is not implemented",
  debug: "debug mirroring of messages is not implemented",
  strict_types: "type URNs are not checked; flowc checks port schemas at build time",
  type_rules: "type URNs are not checked; flowc checks port schemas at build time",
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
};
const DEPLOY_KEYS = new Set(["machine", "working_dir", "labels"]);
const LONG_INPUT_KEYS = new Set(["source", "queue_size", "queue_policy", "input_timeout"]);

export interface ParseResult {
  readonly descriptor: Descriptor | undefined;
  readonly diagnostics: Diagnostic[];
}

/**
 * Reads a Dora-dialect descriptor (0.x and 1.0 spellings) and checks it: unknown keys, wrong
 * types, bad input strings and Dora features flowc does not run are coded diagnostics with the
 * file, line and column. `_unstable_deploy` is read as `deploy`.
 */
export function parseDescriptor(text: string, file?: string): ParseResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (path: Path, key = false) => locate(doc, lines, path, key, file);
  if (doc.errors.length > 0) {
    return {
      descriptor: undefined,
      diagnostics: doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return createDiagnostic(
          "DescriptorYamlSyntax",
          { detail: e.message.split("\n")[0] ?? e.message },
          { line: pos.line, column: pos.col, ...(file !== undefined && { file }) },
        );
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
      const reason = unsupported[key];
      if (reason !== undefined)
        diagnostics.push(createDiagnostic("DescriptorUnsupported", { key, where, detail: reason }, at([...path, key], true)));
      else diagnostics.push(createDiagnostic("DescriptorUnknownKey", { key, where }, at([...path, key], true)));
    }
  };
  const root = doc.toJS() as unknown;
  if (!isRecord(root)) {
    invalid([], "A dataflow descriptor is a mapping with a `nodes` list.");
    return { descriptor: undefined, diagnostics };
  }
  keys(root, [], "the descriptor", ROOT_KEYS, ROOT_UNSUPPORTED);
  checkDeploy(root, [], "the descriptor");
  if (root.env !== undefined) checkEnv(root.env, ["env"]);
  if (!Array.isArray(root.nodes) || root.nodes.length === 0) {
    invalid(root.nodes === undefined ? [] : ["nodes"], "`nodes` must be a non-empty list of nodes.");
    return { descriptor: undefined, diagnostics };
  }
  const ids = new Set<string>();
  root.nodes.forEach((node: unknown, i: number) => {
    const path = ["nodes", i];
    if (!isRecord(node)) {
      invalid(path, `nodes[${i}] must be a mapping.`);
      return;
    }
    const id = node.id;
    const where = typeof id === "string" ? `node '${id}'` : `nodes[${i}]`;
    keys(node, path, where, NODE_KEYS, NODE_UNSUPPORTED);
    if (typeof id !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(id) || id === "dora") {
      invalid(
        id === undefined ? path : [...path, "id"],
        `${where} needs an \`id\` of letters, digits, '_', '.', '-' (not 'dora', no '/').`,
      );
    } else if (ids.has(id)) invalid([...path, "id"], `Node id '${id}' is used twice.`);
    else ids.add(id);
    if (typeof node.path !== "string" || node.path === "")
      invalid(
        node.path === undefined ? path : [...path, "path"],
        `${where} needs a \`path\`: flowc-node, or a .js/.ts module defining the node.`,
      );
    if (node.args !== undefined && typeof node.args !== "string") invalid([...path, "args"], `\`args\` of ${where} must be a string.`);
    if (node.env !== undefined) checkEnv(node.env, [...path, "env"]);
    checkDeploy(node, path, where);
    if (
      node.outputs !== undefined &&
      (!Array.isArray(node.outputs) || !node.outputs.every((o) => typeof o === "string" && /^[A-Za-z0-9_./-]+$/.test(o)))
    ) {
      invalid([...path, "outputs"], `\`outputs\` of ${where} must be a list of output ids.`);
    }
    if (node.restart_policy !== undefined && !["never", "on-failure", "always"].includes(node.restart_policy as string)) {
      invalid([...path, "restart_policy"], `\`restart_policy\` of ${where} must be never, on-failure or always.`);
    }
    for (const k of ["max_restarts", "restart_delay"] as const) {
      if (node[k] !== undefined && !(typeof node[k] === "number" && (node[k] as number) >= 0))
        invalid([...path, k], `\`${k}\` of ${where} must be a number ≥ 0.`);
    }
    if (node.inputs !== undefined) {
      if (!isRecord(node.inputs)) invalid([...path, "inputs"], `\`inputs\` of ${where} must map input ids to sources.`);
      else {
        for (const [input, spec] of Object.entries(node.inputs)) {
          const ip = [...path, "inputs", input];
          let source: unknown = spec;
          if (isRecord(spec)) {
            keys(spec, ip, `input '${input}' of ${where}`, LONG_INPUT_KEYS);
            source = spec.source;
            if (spec.queue_size !== undefined && !(Number.isInteger(spec.queue_size) && (spec.queue_size as number) >= 1)) {
              invalid([...ip, "queue_size"], `\`queue_size\` of input '${input}' must be an integer ≥ 1.`);
            }
            if (spec.queue_policy !== undefined && !["drop_oldest", "backpressure"].includes(spec.queue_policy as string)) {
              invalid([...ip, "queue_policy"], `\`queue_policy\` of input '${input}' must be drop_oldest or backpressure.`);
            }
          }
          if (typeof source !== "string") {
            invalid(ip, `Input '${input}' of ${where} needs a source string ('node/output' or a timer).`);
            continue;
          }
          const parsed = parseInputSource(source);
          if (typeof parsed === "string") {
            const sp = isRecord(spec) ? [...ip, "source"] : ip;
            diagnostics.push(createDiagnostic("DescriptorBadInput", { input, node: String(id), value: source, detail: parsed }, at(sp)));
          }
        }
      }
    }
  });
  if (diagnostics.length > 0) return { descriptor: undefined, diagnostics };
  return { descriptor: normalize(root), diagnostics };

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

/** File, line and column of a path in the document (of the key itself with `key`). */
function locate(doc: Document, lines: LineCounter, path: Path, key: boolean, file: string | undefined) {
  let node: unknown = doc.contents;
  let offset = 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string | number;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const last = i === path.length - 1;
      const target = last && key ? pair.key : pair.value;
      const range =
        (target as { range?: [number, number, number] } | null)?.range ?? (pair.key as { range?: [number, number, number] }).range;
      if (range) offset = range[0];
      node = pair.value;
    } else if (node && typeof node === "object" && "items" in node) {
      const item = (node as { items: unknown[] }).items[Number(seg)];
      const range = (item as { range?: [number, number, number] } | undefined)?.range;
      if (range) offset = range[0];
      node = item;
    } else break;
  }
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col, path: jsonPointer(path), ...(file !== undefined && { file }) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
