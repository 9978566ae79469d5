import { createScanner, type JSONScanner } from "jsonc-parser";

// jsonc-parser's SyntaxKind, ScanError and ParseErrorCode are const enums in its declarations,
// which isolated-module builds cannot inline; these are the same numbers.
const T = {
  OpenBrace: 1,
  CloseBrace: 2,
  OpenBracket: 3,
  CloseBracket: 4,
  Comma: 5,
  Colon: 6,
  Null: 7,
  True: 8,
  False: 9,
  String: 10,
  Number: 11,
  LineComment: 12,
  BlockComment: 13,
  LineBreak: 14,
  Trivia: 15,
  Unknown: 16,
  EOF: 17,
} as const;

const SCAN_ERRORS: Readonly<Record<number, string>> = {
  1: "Unexpected end of comment",
  2: "Unexpected end of string",
  3: "Unexpected end of number",
  4: "Invalid unicode",
  5: "Invalid escape character",
  6: "Invalid character",
};

export interface JsonSyntaxError {
  /** What went wrong, in the words of jsonc-parser's error codes ("Property name expected"). */
  readonly message: string;
  readonly offset: number;
  readonly length: number;
}

const OBJECT = 0;
const ARRAY = 1;
const SCALAR = 2;

/**
 * How deep the index goes: values nested deeper are read but not indexed, and a pointer into
 * them locates at their deepest indexed ancestor. Past MAX_NESTING (256), so everything the
 * validator can point at inside the limit is found; a hostile document of millions of nested
 * arrays then costs an index of its first 300 levels only.
 */
export const MAX_INDEXED_DEPTH = 300;

/**
 * The values of a JSON text and where they are, in flat typed arrays: value `i` spans
 * `start[i]..end[i]`, lives in `parent[i]` (-1 for the root) and, inside an object, has the
 * property name `key[i]` spelled at `keyStart[i]..keyEnd[i]`. Built without recursion and
 * only `MAX_INDEXED_DEPTH` levels deep, so a document nested 100,000 levels deep is indexed
 * like a flat one.
 */
export class JsonIndex {
  count = 0;
  kind = new Uint8Array(64);
  start = new Int32Array(64);
  end = new Int32Array(64);
  parent = new Int32Array(64);
  keyStart = new Int32Array(64);
  keyEnd = new Int32Array(64);
  readonly key: (string | undefined)[] = [];
  /** Children of each container in document order: those of `i` are `#list[#offsets[i]..#offsets[i + 1]]`. Built on the first lookup. */
  #offsets: Int32Array | undefined;
  #list: Int32Array | undefined;
  #members = new Map<number, Map<string, number>>();

  add(kind: number, start: number, parent: number, key: string | undefined, keyStart: number, keyEnd: number): number {
    if (this.count === this.kind.length) this.#grow();
    const i = this.count++;
    this.kind[i] = kind;
    this.start[i] = start;
    this.end[i] = start;
    this.parent[i] = parent;
    this.keyStart[i] = keyStart;
    this.keyEnd[i] = keyEnd;
    if (key !== undefined) this.key[i] = key;
    return i;
  }

  isContainer(i: number): boolean {
    return this.kind[i] !== SCALAR;
  }

  /** The child of `i` at a JSON pointer segment, or -1. In an object the last duplicate key wins, as in JSON.parse. */
  child(i: number, segment: string): number {
    if (this.kind[i] === OBJECT) {
      let members = this.#members.get(i);
      if (!members) {
        members = new Map();
        for (const c of this.#childrenOf(i)) members.set(this.key[c] as string, c);
        this.#members.set(i, members);
      }
      return members.get(segment) ?? -1;
    }
    if (this.kind[i] === ARRAY && /^(0|[1-9]\d*)$/.test(segment)) return this.#childrenOf(i)[Number(segment)] ?? -1;
    return -1;
  }

  #childrenOf(i: number): Int32Array {
    if (!this.#offsets || !this.#list) {
      // Compressed rows in typed arrays: values are added in document order, so each
      // container's children come out in order; no array per container.
      const n = this.count;
      const offsets = new Int32Array(n + 1);
      for (let c = 1; c < n; c++) (offsets[(this.parent[c] as number) + 1] as number)++;
      for (let k = 0; k < n; k++) offsets[k + 1] = (offsets[k + 1] as number) + (offsets[k] as number);
      const list = new Int32Array(Math.max(0, n - 1));
      const fill = offsets.slice(0, n);
      for (let c = 1; c < n; c++) {
        const p = this.parent[c] as number;
        list[fill[p] as number] = c;
        fill[p] = (fill[p] as number) + 1;
      }
      this.#offsets = offsets;
      this.#list = list;
    }
    return this.#list.subarray(this.#offsets[i] as number, this.#offsets[i + 1] as number);
  }

  #grow(): void {
    const size = this.kind.length * 2;
    const grow = <A extends Uint8Array | Int32Array>(a: A, make: (n: number) => A): A => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.kind = grow(this.kind, (n) => new Uint8Array(n));
    this.start = grow(this.start, (n) => new Int32Array(n));
    this.end = grow(this.end, (n) => new Int32Array(n));
    this.parent = grow(this.parent, (n) => new Int32Array(n));
    this.keyStart = grow(this.keyStart, (n) => new Int32Array(n));
    this.keyEnd = grow(this.keyEnd, (n) => new Int32Array(n));
  }
}

/**
 * Reads a JSON text (strict: no comments, no trailing commas) without recursion. Returns its
 * first syntax error — at the same place and in the same words as jsonc-parser's recursive
 * parser, which overflows the stack on deep documents — and, with `index`, the values read up
 * to there.
 */
export function scanJsonText(text: string, index?: JsonIndex): JsonSyntaxError | undefined {
  const scanner: JSONScanner = createScanner(text, false);
  let error: JsonSyntaxError | undefined;
  const fail = (message: string): JsonSyntaxError => {
    error = { message, offset: scanner.getTokenOffset(), length: Math.max(1, scanner.getTokenLength()) };
    return error;
  };
  const next = (): number => {
    for (;;) {
      const token = scanner.scan();
      const scanError = SCAN_ERRORS[scanner.getTokenError()];
      if (scanError) {
        fail(scanError);
        return T.EOF;
      }
      if (token === T.LineComment || token === T.BlockComment) {
        fail("Invalid comment token");
        return T.EOF;
      }
      if (token === T.Unknown) {
        fail("Invalid symbol");
        return T.EOF;
      }
      if (token !== T.Trivia && token !== T.LineBreak) return token;
    }
  };

  // Open containers: their value ids (for the index) and whether a comma must come next.
  const open: number[] = [];
  const isArray: boolean[] = [];
  const needsComma: boolean[] = [];
  let token = next();
  if (error) return error;
  let pendingKey: string | undefined;
  let pendingKeyStart = -1;
  let pendingKeyEnd = -1;
  // The states of jsonc-parser's parseValue / parseArray / parseObject loops, unrolled.
  let state: "value" | "after" | "array" | "object" = "value";
  for (;;) {
    if (state === "value") {
      const parent = open.length > 0 ? (open[open.length - 1] as number) : -1;
      const at = scanner.getTokenOffset();
      // Values below MAX_INDEXED_DEPTH (or below one that was not indexed) are read, not indexed.
      const indexed = index !== undefined && open.length <= MAX_INDEXED_DEPTH && (open.length === 0 || parent >= 0);
      if (token === T.OpenBracket || token === T.OpenBrace) {
        const id = indexed
          ? index.add(token === T.OpenBracket ? ARRAY : OBJECT, at, parent, pendingKey, pendingKeyStart, pendingKeyEnd)
          : -1;
        open.push(id);
        isArray.push(token === T.OpenBracket);
        needsComma.push(false);
        state = token === T.OpenBracket ? "array" : "object";
        token = next();
      } else if (token === T.String || token === T.Number || token === T.Null || token === T.True || token === T.False) {
        if (token === T.Number && Number.isNaN(Number(scanner.getTokenValue()))) return fail("Invalid number format");
        if (indexed) {
          const id = index.add(SCALAR, at, parent, pendingKey, pendingKeyStart, pendingKeyEnd);
          index.end[id] = at + scanner.getTokenLength();
        }
        state = "after";
        token = next();
      } else {
        return error ?? fail("Value expected");
      }
      pendingKey = undefined;
      pendingKeyStart = pendingKeyEnd = -1;
      if (error) return error;
      continue;
    }
    if (state === "after") {
      if (open.length === 0) return token === T.EOF ? undefined : fail("End of file expected");
      needsComma[needsComma.length - 1] = true;
      state = isArray[isArray.length - 1] ? "array" : "object";
      continue;
    }
    // Inside an array or an object: its end, or a comma and the next item.
    const array = state === "array";
    if (token === (array ? T.CloseBracket : T.CloseBrace)) {
      const id = open.pop() as number;
      isArray.pop();
      needsComma.pop();
      if (index && id >= 0) index.end[id] = scanner.getTokenOffset() + 1;
      state = "after";
      token = next();
      if (error) return error;
      continue;
    }
    if (token === T.EOF) return fail(array ? "Close bracket expected" : "Close brace expected");
    if (token === T.Comma) {
      if (!needsComma[needsComma.length - 1]) return fail("Value expected");
      token = next();
      if (error) return error;
    } else if (needsComma[needsComma.length - 1]) {
      return fail("Comma expected");
    }
    if (!array) {
      if (token !== T.String) return fail("Property name expected");
      pendingKey = scanner.getTokenValue();
      pendingKeyStart = scanner.getTokenOffset();
      pendingKeyEnd = pendingKeyStart + scanner.getTokenLength();
      token = next();
      if (error) return error;
      if (token !== T.Colon) return fail("Colon expected");
      token = next();
      if (error) return error;
    }
    state = "value";
  }
}
