import { MAX_NESTING } from "./schema.js";

export interface MsgpackScan {
  /** Why the bytes cannot be an IR's MessagePack, or null when they are well-formed. */
  readonly problem: string | null;
  /** The problem is nesting deeper than MAX_NESTING (FLC1007 rather than a syntax error). */
  readonly tooDeep?: boolean;
  /** Some map has the key `__proto__`, which msgpackr renames while decoding into objects. */
  readonly prototypeKey?: boolean;
}

const PROTO = new TextEncoder().encode("__proto__");

/**
 * A linear pre-scan of MessagePack bytes before they are unpacked. msgpackr trusts declared
 * lengths, so one corrupted header (an array32 claiming 2^31 items) makes it allocate without
 * bound, and it recurses once per level. This scan checks that the bytes hold exactly one value,
 * that every declared length fits in what remains (each item needs at least one byte), that
 * containers nest at most MAX_NESTING levels, and that no extension or binary types appear (an
 * IR holds only JSON values). It also notes `__proto__` map keys.
 */
export function scanMsgpack(bytes: Uint8Array): MsgpackScan {
  const end = bytes.length;
  let pos = 0;
  let pending = 1; // values still to read, in all open containers together
  // Open containers: values each still holds (map keys and values count separately), and
  // whether it is a map, to tell keys (even positions) from values.
  const left: number[] = [];
  const isMap: boolean[] = [];
  let prototypeKey = false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const uint = (size: 1 | 2 | 4): number => {
    if (pos + size > end) return -1;
    const value = size === 1 ? view.getUint8(pos) : size === 2 ? view.getUint16(pos) : view.getUint32(pos);
    pos += size;
    return value;
  };
  const fail = (problem: string): MsgpackScan => ({ problem });
  while (pending > 0) {
    if (pos >= end) return fail(`the data ends early (offset ${pos})`);
    const at = pos;
    const token = bytes[pos++] as number;
    pending--;
    // The value just started belongs to the innermost open container; a key when that is a map
    // and an even number of its values are still to come.
    const top = left.length - 1;
    const isKey = top >= 0 && isMap[top] === true && (left[top] as number) % 2 === 0;
    if (top >= 0) left[top] = (left[top] as number) - 1;
    let items = 0;
    let skip = 0;
    let map = false;
    if (token <= 0x7f || token >= 0xe0 || token === 0xc0 || token === 0xc2 || token === 0xc3) skip = 0;
    else if (token <= 0x8f) {
      items = 2 * (token & 0x0f);
      map = true;
    } else if (token <= 0x9f) items = token & 0x0f;
    else if (token <= 0xbf) skip = token & 0x1f;
    else if (token === 0xca) skip = 4;
    else if (token === 0xcb) skip = 8;
    else if (token >= 0xcc && token <= 0xcf) skip = 1 << (token - 0xcc);
    else if (token >= 0xd0 && token <= 0xd3) skip = 1 << (token - 0xd0);
    else if (token >= 0xd9 && token <= 0xdb) skip = uint(token === 0xd9 ? 1 : token === 0xda ? 2 : 4);
    else if (token === 0xdc || token === 0xdd) items = uint(token === 0xdc ? 2 : 4);
    else if (token === 0xde || token === 0xdf) {
      const n = uint(token === 0xde ? 2 : 4);
      items = n < 0 ? -1 : 2 * n;
      map = true;
    } else if (token === 0xc1) return fail(`byte 0xc1 at offset ${at} is never used in MessagePack`);
    else return fail(`offset ${at}: ${token >= 0xc4 && token <= 0xc6 ? "binary data" : "extension types"} cannot appear in an IR`);
    if (skip < 0 || items < 0) return fail(`a length at offset ${at} runs past the end of the data`);
    if (skip > end - pos) return fail(`a value at offset ${at} declares ${skip} bytes but only ${end - pos} remain`);
    if (isKey && skip === PROTO.length && ((token >= 0xa0 && token <= 0xbf) || (token >= 0xd9 && token <= 0xdb)) && isProto(bytes, pos))
      prototypeKey = true;
    pos += skip;
    pending += items;
    if (pending > end - pos) return fail(`a container at offset ${at} declares more items than the remaining ${end - pos} bytes can hold`);
    const isContainer = (token >= 0x80 && token <= 0x9f) || (token >= 0xdc && token <= 0xdf);
    if (isContainer) {
      if (left.length + 1 > MAX_NESTING)
        return { problem: `it nests arrays and maps deeper than ${MAX_NESTING} levels (offset ${at})`, tooDeep: true };
      if (items > 0) {
        left.push(items);
        isMap.push(map);
      }
    }
    while (left.length > 0 && left[left.length - 1] === 0) {
      left.pop();
      isMap.pop();
    }
  }
  if (pos !== end) return fail(`${end - pos} unexpected bytes after the end of the value (offset ${pos})`);
  return prototypeKey ? { problem: null, prototypeKey } : { problem: null };
}

function isProto(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < PROTO.length; i++) if (bytes[at + i] !== PROTO[i]) return false;
  return true;
}
