import { createRequire } from "node:module";

/**
 * libc through koffi (a maintained FFI with prebuilt binaries: no compiler at install time),
 * for what Node.js itself cannot do: map shared memory, duplicate a descriptor. Loaded once;
 * where it cannot be (not Linux, koffi missing for this platform) the reason is kept, and
 * every user has a path without it.
 */
export interface Koffi {
  load(path: string): { func(signature: string): unknown };
  view(pointer: unknown, length: number): ArrayBuffer;
  address(pointer: unknown): bigint;
  errno(): number;
  readonly version: string;
}

export interface Libc {
  readonly koffi: Koffi;
  /** A libc function by its C signature. */
  func<F>(signature: string): F;
}

let libc: Libc | null | undefined;
let unavailable = "";

export function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  try {
    if (process.platform !== "linux") throw new Error(`flowc calls libc only on Linux (this is ${process.platform})`);
    const koffi = createRequire(import.meta.url)("koffi") as Koffi;
    const lib = koffi.load("libc.so.6");
    libc = { koffi, func: <F>(signature: string) => lib.func(signature) as F };
  } catch (error) {
    unavailable = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
  }
  return libc;
}

/** Why libc could not be loaded ("" when it was). */
export function libcUnavailable(): string {
  loadLibc();
  return unavailable;
}
