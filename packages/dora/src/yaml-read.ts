import { setOwn } from "@flowc/ir";
import {
  type Alias,
  Composer,
  CST,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Pair,
  Parser,
  type Node as YamlNode,
} from "yaml";

/** Deepest nesting of mappings and sequences a descriptor may have, aliases expanded (an IR's limit too). */
export const MAX_DESCRIPTOR_NESTING = 256;
/**
 * Most values aliases may add to a descriptor, counted after expansion: enough to share env
 * blocks among thousands of nodes, far too few for a billion-laughs document.
 */
export const MAX_ALIAS_EXPANSION = 100_000;

export interface YamlProblem {
  readonly kind: "syntax" | "tooComplex" | "invalid";
  readonly detail: string;
  readonly offset: number;
}

export type YamlRead =
  | { readonly ok: true; readonly value: unknown; readonly doc: Document.Parsed; readonly lines: LineCounter }
  | { readonly ok: false; readonly problems: readonly YamlProblem[]; readonly doc?: Document.Parsed; readonly lines: LineCounter };

/**
 * Reads one YAML document into plain values without trusting its shape. Unlike `toJS()`,
 * which recurses once per level, resolves each alias by scanning the whole document and throws
 * on unresolved aliases, this: refuses nesting deeper than MAX_DESCRIPTOR_NESTING before the
 * composer (which recurses) sees it; resolves every alias once, in document order; refuses
 * unresolved and self-containing aliases, and aliases that expand the document by more than
 * MAX_ALIAS_EXPANSION values; and keeps `__proto__` keys as keys. Every refusal is a problem
 * with the offset it is about; nothing throws.
 */
export function readYaml(text: string): YamlRead {
  const lines = new LineCounter();
  try {
    const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
    const deepest = deepestNesting(tokens);
    if (deepest.depth > MAX_DESCRIPTOR_NESTING) {
      const detail = `it nests mappings and sequences deeper than ${MAX_DESCRIPTOR_NESTING} levels`;
      return { ok: false, problems: [{ kind: "tooComplex", detail, offset: deepest.offset }], lines };
    }
    const docs = Array.from(new Composer({ uniqueKeys: true }).compose(tokens, true, text.length));
    const doc = docs[0] as Document.Parsed;
    const problems: YamlProblem[] = doc.errors.map((e) => ({
      kind: "syntax" as const,
      detail: e.message.split("\n")[0] ?? e.message,
      offset: e.pos[0],
    }));
    const second = docs[1];
    if (second) {
      problems.push({
        kind: "syntax",
        detail: "the file holds more than one YAML document (`---`); a descriptor is one document",
        offset: second.range[0],
      });
    }
    if (problems.length > 0) return { ok: false, problems, doc, lines };
    const aliases = checkAliases(doc);
    if (aliases.length > 0) return { ok: false, problems: aliases, doc, lines };
    const converted: YamlProblem[] = [];
    const value = toValue(doc.contents, new Map(), converted);
    if (converted.length > 0) return { ok: false, problems: converted, doc, lines };
    return { ok: true, value, doc, lines };
  } catch (error) {
    // The YAML library failing on input it accepted is still a diagnostic, not a crash.
    const detail = `the YAML reader failed (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`;
    return { ok: false, problems: [{ kind: "syntax", detail, offset: 0 }], lines };
  }
}

/** The deepest collection of the syntax tree and where it starts, found without recursion. */
function deepestNesting(tokens: readonly CST.Token[]): { depth: number; offset: number } {
  let deepest = { depth: 0, offset: 0 };
  const stack: [CST.Token, number][] = [];
  for (const token of tokens) if (token.type === "document" && token.value) stack.push([token.value, 1]);
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [token, depth] = top;
    if (!CST.isCollection(token)) continue;
    if (depth > deepest.depth) {
      deepest = { depth, offset: token.offset };
      if (depth > MAX_DESCRIPTOR_NESTING) break;
    }
    for (const item of token.items) {
      if (item.key) stack.push([item.key, depth + 1]);
      if (item.value) stack.push([item.value, depth + 1]);
    }
  }
  return deepest;
}

interface Expansion {
  /** Values the node stands for, aliases expanded. */
  readonly size: number;
  /** Levels of collections, aliases expanded. */
  readonly depth: number;
  /** The outermost alias on the node's deepest path, if any. */
  readonly via: Alias | undefined;
}

type Walked = YamlNode | Pair;

function childrenOf(node: Walked): YamlNode[] {
  const out: YamlNode[] = [];
  const add = (child: unknown) => {
    if (child !== null && typeof child === "object") out.push(child as YamlNode);
  };
  if (isPair(node)) {
    add(node.key);
    add(node.value);
  } else if (isMap(node) || isSeq(node)) {
    for (const item of node.items as unknown[]) {
      if (isPair(item)) {
        add(item.key);
        add(item.value);
      } else add(item);
    }
  }
  return out;
}

/**
 * Resolves every alias to the last node with its anchor before it (YAML's rule), in one pass
 * in document order, and measures what the aliases expand to: size and depth with memoised
 * sub-results, so a billion-laughs document is measured in a few steps, never expanded.
 */
function checkAliases(doc: Document.Parsed): YamlProblem[] {
  const root = doc.contents;
  if (!root) return [];
  const anchors = new Map<string, YamlNode>();
  const done = new Map<YamlNode, Expansion>();
  const open = new Set<YamlNode>();
  const problems: YamlProblem[] = [];
  let ownNodes = 0;
  let largest: { alias: Alias; size: number } | undefined;
  // Depth-first, each node entered (anchor registered, children pushed) and later left (measured).
  const stack: { node: YamlNode; leave: boolean }[] = [{ node: root as YamlNode, leave: false }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const { node, leave } = frame;
    if (leave) {
      open.delete(node);
      let size = 1;
      let depth = 0;
      let via: Alias | undefined;
      for (const child of childrenOf(node)) {
        const sub = done.get(child);
        if (!sub) continue; // an alias that could not be resolved: reported already
        size += sub.size;
        if (sub.depth > depth) {
          depth = sub.depth;
          via = sub.via;
        }
      }
      done.set(node, { size, depth: depth + 1, via });
      continue;
    }
    ownNodes++;
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, node);
    if (isAlias(node)) {
      const offset = node.range?.[0] ?? 0;
      const target = anchors.get(node.source);
      if (!target) {
        problems.push({ kind: "syntax", detail: `the alias '*${node.source}' names no anchor set before it`, offset });
        continue;
      }
      if (open.has(target)) {
        problems.push({
          kind: "tooComplex",
          detail: `the alias '*${node.source}' refers to a value that contains the alias itself`,
          offset,
        });
        continue;
      }
      const measured = done.get(target) as Expansion;
      done.set(node, { size: measured.size, depth: measured.depth, via: node });
      if (!largest || measured.size > largest.size) largest = { alias: node, size: measured.size };
      continue;
    }
    if (isScalar(node)) {
      done.set(node, { size: 1, depth: 0, via: undefined });
      continue;
    }
    open.add(node);
    stack.push({ node, leave: true });
    const children = childrenOf(node);
    for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i] as YamlNode, leave: false });
  }
  if (problems.length > 0) return problems;
  const total = done.get(root as YamlNode) as Expansion;
  if (total.size - ownNodes > MAX_ALIAS_EXPANSION && largest) {
    problems.push({
      kind: "tooComplex",
      detail: `its aliases expand it by ${total.size - ownNodes > 1e15 ? "more than 10^15" : total.size - ownNodes} values, more than the ${MAX_ALIAS_EXPANSION} allowed`,
      offset: largest.alias.range?.[0] ?? 0,
    });
  } else if (total.depth > MAX_DESCRIPTOR_NESTING) {
    problems.push({
      kind: "tooComplex",
      detail: `with its aliases expanded it nests mappings and sequences deeper than ${MAX_DESCRIPTOR_NESTING} levels`,
      offset: total.via?.range?.[0] ?? 0,
    });
  }
  return problems;
}

/**
 * The plain value of a checked node: mappings as objects (every key an own property, also
 * `__proto__`), sequences as arrays, scalars as their values. An alias gives the value of the
 * last anchor of its name converted so far — conversion runs in document order, so that is the
 * node YAML means — shared, not copied. Recursion is bounded by MAX_DESCRIPTOR_NESTING.
 */
function toValue(node: unknown, anchored: Map<string, unknown>, problems: YamlProblem[]): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return anchored.get(node.source) ?? null;
  let value: unknown;
  if (isScalar(node)) value = node.value;
  else if (isSeq(node)) {
    value = node.items.map((item) => (isPair(item) ? pairObject(item, anchored, problems) : toValue(item, anchored, problems)));
  } else if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = keyOf(pair.key, anchored, problems);
      if (key !== undefined) setOwn(out, key, toValue(pair.value, anchored, problems));
    }
    value = out;
  } else value = null;
  const anchor = (node as { anchor?: string }).anchor;
  if (anchor) anchored.set(anchor, value);
  return value;
}

function pairObject(pair: Pair, anchored: Map<string, unknown>, problems: YamlProblem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const key = keyOf(pair.key, anchored, problems);
  if (key !== undefined) setOwn(out, key, toValue(pair.value, anchored, problems));
  return out;
}

/** A mapping key as a string: scalars only (and aliases of scalars); `<<` merge keys are refused, not merged. */
function keyOf(key: unknown, anchored: Map<string, unknown>, problems: YamlProblem[]): string | undefined {
  const offset = (key as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
  if (key === null || key === undefined) return "";
  if (isScalar(key)) {
    if (key.value === "<<" && key.type === "PLAIN") {
      problems.push({ kind: "invalid", detail: "YAML merge keys (<<) are not expanded; write the keys out", offset });
      return undefined;
    }
    if (key.anchor) anchored.set(key.anchor, key.value);
    return key.value === null || key.value === undefined ? "" : String(key.value);
  }
  if (isAlias(key)) {
    const value = anchored.get(key.source);
    if (value === null || value === undefined) return "";
    if (typeof value !== "object") return String(value);
  }
  problems.push({ kind: "invalid", detail: "mapping keys must be plain strings, not mappings or sequences", offset });
  return undefined;
}
