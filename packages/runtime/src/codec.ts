import { Packr } from "msgpackr";

/**
 * The message codec of every engine: MessagePack through msgpackr, with typed arrays, Date and
 * bigint kept (`moreTypes`), no records extension (any MessagePack reader can decode a frame).
 */
const packr = new Packr({ useRecords: false, moreTypes: true });

export function encodeValue(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function decodeValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
