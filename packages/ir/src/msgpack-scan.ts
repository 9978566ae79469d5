/**
 * A linear pre-scan of MessagePack bytes before they are unpacked. msgpackr trusts declared
 * lengths, so one corrupted header (an array32 claiming 2^31 items) makes it allocate without
 * bound. This scan checks that the bytes hold exactly one value, that every declared length fits
 * in what remains (each item needs at least one byte), and that no extension or binary types
 * appear (an IR holds only JSON values). Returns a problem description, or null when well-formed.
 */
export function scanMsgpack(bytes: Uint8Array): string | null {
  const end = bytes.length;
  let pos = 0;
  let pending = 1; // values still to read
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const uint = (size: 1 | 2 | 4): number => {
    if (pos + size > end) return -1;
    const value = size === 1 ? view.getUint8(pos) : size === 2 ? view.getUint16(pos) : view.getUint32(pos);
    pos += size;
    return value;
  };
  while (pending > 0) {
    if (pos >= end) return `the data ends early (offset ${pos})`;
    const at = pos;
    const token = bytes[pos++] as number;
    pending--;
    let items = 0;
    let skip = 0;
    if (token <= 0x7f || token >= 0xe0 || token === 0xc0 || token === 0xc2 || token === 0xc3) skip = 0;
    else if (token <= 0x8f) items = 2 * (token & 0x0f);
    else if (token <= 0x9f) items = token & 0x0f;
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
    } else if (token === 0xc1) return `byte 0xc1 at offset ${at} is never used in MessagePack`;
    else return `offset ${at}: ${token >= 0xc4 && token <= 0xc6 ? "binary data" : "extension types"} cannot appear in an IR`;
    if (skip < 0 || items < 0) return `a length at offset ${at} runs past the end of the data`;
    if (skip > end - pos) return `a value at offset ${at} declares ${skip} bytes but only ${end - pos} remain`;
    pos += skip;
    pending += items;
    if (pending > end - pos) return `a container at offset ${at} declares more items than the remaining ${end - pos} bytes can hold`;
  }
  return pos === end ? null : `${end - pos} unexpected bytes after the end of the value (offset ${pos})`;
}
