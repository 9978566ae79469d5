import { closeSync, fstatSync, ftruncateSync, openSync, readSync } from "node:fs";
import { bigBinaryParts } from "../codec.js";
import type { Payload } from "../payload.js";
import { libcUnavailable, loadLibc } from "./libc.js";
import type { LargePayloads } from "./socket.js";

/**
 * Zero-copy large payloads between processes: shared-memory slots mapped with `mmap`.
 *
 * Node.js cannot map memory; koffi (`libc.ts`) calls libc's `memfd_create` and `mmap` and
 * exposes a mapping as an ArrayBuffer.
 *
 * - A producer process owns a pool of slots. A slot is an anonymous memory file
 *   (`memfd_create`: it never appears in /dev/shm, and the kernel frees it when the last
 *   process that has it open or mapped exits — a SIGKILL leaks nothing), sized to a size class,
 *   mapped once with its pages populated, and reused for message after message.
 * - A large payload is written once into a free slot; each channel that carries it sends only a
 *   descriptor (producer pid, the slot's fd, its serial, the length). Fan-out shares one slot.
 * - A consumer opens the slot once through `/proc/<pid>/fd/<fd>`, maps it, and caches the
 *   mapping; a message's value is a `Uint8Array` over the mapping (docs/semantics.md, "Large
 *   payloads", says how long it stays valid).
 * - The producer counts the readers of each slot; a consumer sends a release when it is done
 *   with a message, and a consumer whose connection closes releases everything it held. A slot
 *   returns to the pool at zero. When the pool is exhausted (readers hold every slot and the
 *   pool is at its size bound) a payload travels on the socket instead: slower, never lost.
 */

const PROT_READ_WRITE = 0x1 | 0x2;
const MAP_SHARED = 0x01;
const MAP_POPULATE = 0x8000;
const MFD_CLOEXEC = 0x1;
/** A pool never maps more than this per producer process; beyond it payloads take the socket. */
export const SLOT_POOL_BYTES = 256 * 1024 * 1024;
/** Descriptor: u32 pid, u32 fd, u32 serial, u32 offset, u32 length. */
export const SLOT_DESCRIPTOR_BYTES = 20;
/**
 * Where a payload's encoding starts in its slot: a big binary value's 7-byte header ends at
 * byte 64, so the value itself — what a consumer's view shows — is 64-byte aligned (a
 * Float64Array over it works).
 */
const ENCODED_AT = 64 - 7;
const VALUE_AT = 64;

interface Mapper {
  readonly version: string;
  /** A new anonymous memory file of `size` bytes; its fd. */
  create(size: number): number;
  /** Maps `size` bytes of `fd` shared, read-write, pages populated. */
  map(fd: number, size: number): { buffer: ArrayBuffer; unmap: () => void };
}

let mapper: Mapper | null | undefined;
let unavailable = "";

/** How this process moves large payloads between processes. */
export interface SharedMemoryInfo {
  /** "mmap": shared-memory slots mapped through koffi; "files": tmpfs files copied in and out. */
  readonly path: "mmap" | "files";
  /** What is used, or why mapping is not available. */
  readonly detail: string;
}

function loadMapper(): Mapper | null {
  if (mapper !== undefined) return mapper;
  mapper = null;
  try {
    if (process.env.FLOWC_SHM === "files") throw new Error("FLOWC_SHM=files asks for tmpfs files");
    const libc = loadLibc();
    if (!libc) throw new Error(libcUnavailable());
    const { koffi } = libc;
    const memfdCreate = libc.func<(name: string, flags: number) => number>("int memfd_create(const char *name, unsigned int flags)");
    const mmap = libc.func<(addr: null, length: number, prot: number, flags: number, fd: number, offset: number) => unknown>(
      "void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)",
    );
    const munmap = libc.func<(addr: unknown, length: number) => number>("int munmap(void *addr, size_t length)");
    const version = koffi.version;
    mapper = {
      version,
      create(size) {
        const fd = memfdCreate("flowc-slot", MFD_CLOEXEC);
        if (fd < 0) throw new Error(`memfd_create failed (errno ${koffi.errno()})`);
        try {
          ftruncateSync(fd, size);
        } catch (error) {
          closeSync(fd);
          throw error;
        }
        return fd;
      },
      map(fd, size) {
        const address = mmap(null, size, PROT_READ_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
        // MAP_FAILED is (void *) -1.
        if (address === null || koffi.address(address) === 0xffffffffffffffffn) throw new Error(`mmap failed (errno ${koffi.errno()})`);
        return { buffer: koffi.view(address, size), unmap: () => munmap(address, size) };
      },
    };
  } catch (error) {
    unavailable = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
  }
  return mapper;
}

/** Which large-payload path this process uses (`flowc runtimes` shows it). */
export function sharedMemoryInfo(): SharedMemoryInfo {
  const m = loadMapper();
  return m
    ? { path: "mmap", detail: `shared-memory slots (memfd_create + mmap through koffi ${m.version}), read in place` }
    : { path: "files", detail: `tmpfs files, copied in and out (mapping unavailable: ${unavailable})` };
}

/** Whether this process can map shared-memory slots. */
export function canMapSlots(): boolean {
  return loadMapper() !== null;
}

/** The ArrayBuffers of slots this process mapped (received or its own): a value over one of them is not the node's to keep. */
const slotBuffers = new WeakSet<ArrayBuffer>();
/**
 * Whether this process ever mapped a slot: until then nothing is a slot view, and asking a small
 * typed array for its `buffer` would move it out of V8's heap on every message.
 */
let anySlotMapped = false;

function addSlotBuffer(buffer: ArrayBuffer): void {
  slotBuffers.add(buffer);
  anySlotMapped = true;
}

/** `buffer` is memory the runtime lends to steps (`ctx.allocate`) and takes back: a value over it is not the node's to keep. */
export function markLent(buffer: ArrayBuffer): void {
  addSlotBuffer(buffer);
}

/** Whether `value` lies in a shared-memory slot (a view received from another process, or a buffer this process lent) or in another buffer the runtime lent (`markLent`). */
export function isSlotView(value: unknown): value is ArrayBufferView | ArrayBuffer {
  if (!anySlotMapped) return false;
  if (value instanceof ArrayBuffer) return slotBuffers.has(value);
  return ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer && slotBuffers.has(value.buffer);
}

/** Slot sizes: four per octave, whole pages, so a slot is at most 25 % larger than its payload. */
export function slotClass(bytes: number): number {
  const page = 4096;
  const n = Math.max(bytes, page);
  const octave = 2 ** Math.floor(Math.log2(n));
  const step = octave / 4;
  const size = Math.ceil(n / step) * step;
  return Math.ceil(size / page) * page;
}

interface Slot {
  readonly serial: number;
  readonly fd: number;
  readonly size: number;
  readonly bytes: Uint8Array;
  /** Lent to a step and not emitted yet: the bytes of the buffer lent. */
  lent: number | undefined;
  /** Bytes of the payload it holds. */
  length: number;
  /** Descriptors sent and not yet released. */
  refs: number;
  /** The payload it holds while refs > 0. */
  holder: Payload | undefined;
}

/**
 * The producer's pool. `put` writes a payload into a free slot once (however many channels
 * carry it) and returns a descriptor per reader; `released`/`readerGone` give slots back.
 */
export class SlotPool implements LargePayloads {
  readonly threshold: number;
  readonly bySlot = true;
  readonly #lent = new Set<Slot>();
  readonly #byBuffer = new WeakMap<ArrayBuffer, Slot>();
  readonly #limit: number;
  readonly #mapper: Mapper;
  #mappedBytes = 0;
  #serial = 0;
  readonly #slots = new Map<number, Slot>();
  readonly #freeBySize = new Map<number, Slot[]>();
  readonly #written = new WeakMap<Payload, Slot>();
  /** Per reader (a connection), the slots it was sent and has not released, with counts. */
  readonly #holds = new Map<object, Map<number, number>>();
  /** Payloads that found no free slot (they took the socket). */
  overflows = 0;

  constructor(threshold: number, limitBytes = SLOT_POOL_BYTES) {
    const m = loadMapper();
    if (!m) throw new Error(`shared-memory slots are not available: ${unavailable}`);
    this.#mapper = m;
    this.threshold = threshold;
    this.#limit = limitBytes;
  }

  /** Bytes mapped by the pool (its whole footprint: slots are reused, never unmapped). */
  get mappedBytes(): number {
    return this.#mappedBytes;
  }

  /** Slots held by readers right now. */
  get busy(): number {
    let n = 0;
    for (const s of this.#slots.values()) if (s.refs > 0) n++;
    return n;
  }

  put(payload: Payload, parts: readonly Uint8Array[], reader: object): { kind: "slot"; body: Uint8Array } | undefined {
    let slot = this.#written.get(payload);
    if (!slot || slot.holder !== payload) {
      let length = 0;
      for (const p of parts) length += p.byteLength;
      const found = this.#acquire(ENCODED_AT + length);
      if (!found) {
        this.overflows++;
        return undefined;
      }
      slot = found;
      let at = ENCODED_AT;
      for (const p of parts) {
        slot.bytes.set(p, at);
        at += p.byteLength;
      }
      slot.holder = payload;
      slot.length = length;
      this.#written.set(payload, slot);
    }
    slot.refs++;
    let holds = this.#holds.get(reader);
    if (!holds) this.#holds.set(reader, (holds = new Map()));
    holds.set(slot.serial, (holds.get(slot.serial) ?? 0) + 1);
    const body = new Uint8Array(SLOT_DESCRIPTOR_BYTES);
    const view = new DataView(body.buffer);
    view.setUint32(0, process.pid, true);
    view.setUint32(4, slot.fd, true);
    view.setUint32(8, slot.serial, true);
    view.setUint32(12, ENCODED_AT, true);
    view.setUint32(16, slot.length, true);
    return { kind: "slot", body };
  }

  lend(bytes: number): Uint8Array<ArrayBuffer> | undefined {
    if (bytes + 7 < this.threshold) return undefined;
    const slot = this.#acquire(VALUE_AT + bytes);
    if (!slot) return undefined;
    slot.lent = bytes;
    this.#lent.add(slot);
    return new Uint8Array(slot.bytes.buffer as ArrayBuffer, VALUE_AT, bytes);
  }

  claim(value: unknown, payload: Payload): boolean {
    if (!(value instanceof Uint8Array) || !(value.buffer instanceof ArrayBuffer)) return false;
    const slot = this.#byBuffer.get(value.buffer);
    if (!slot || slot.lent === undefined || value.byteOffset !== VALUE_AT || value.byteLength !== slot.lent) return false;
    this.#lent.delete(slot);
    slot.lent = undefined;
    slot.bytes.set((bigBinaryParts(value) as [Uint8Array, Uint8Array])[0], ENCODED_AT);
    slot.length = VALUE_AT - ENCODED_AT + value.byteLength;
    slot.holder = payload;
    slot.refs = 1; // the emit's own hold, until the payload was offered everywhere
    this.#written.set(payload, slot);
    return true;
  }

  sent(payload: Payload): void {
    const slot = this.#written.get(payload);
    if (slot && slot.holder === payload) this.#drop(slot.serial, 1);
  }

  reclaim(): void {
    if (this.#lent.size === 0) return;
    for (const slot of this.#lent) {
      slot.lent = undefined;
      this.#free(slot);
    }
    this.#lent.clear();
  }

  /** `reader` is done with one message in slot `serial`. A release it does not owe is ignored. */
  released(reader: object, serial: number): void {
    const holds = this.#holds.get(reader);
    const n = holds?.get(serial);
    if (!holds || n === undefined) return;
    if (n === 1) holds.delete(serial);
    else holds.set(serial, n - 1);
    this.#drop(serial, 1);
  }

  /** `reader`'s connection closed: whatever it held is free. */
  readerGone(reader: object): void {
    const holds = this.#holds.get(reader);
    if (!holds) return;
    this.#holds.delete(reader);
    for (const [serial, n] of holds) this.#drop(serial, n);
  }

  #drop(serial: number, n: number): void {
    const slot = this.#slots.get(serial);
    if (!slot) return;
    slot.refs -= n;
    if (slot.refs > 0) return;
    slot.refs = 0;
    slot.holder = undefined;
    this.#free(slot);
  }

  #free(slot: Slot): void {
    const free = this.#freeBySize.get(slot.size);
    if (free) free.push(slot);
    else this.#freeBySize.set(slot.size, [slot]);
  }

  #acquire(length: number): Slot | undefined {
    const size = slotClass(length);
    const reused = this.#freeBySize.get(size)?.pop();
    if (reused) return reused;
    if (this.#mappedBytes + size > this.#limit) return undefined;
    const fd = this.#mapper.create(size);
    let mapped: { buffer: ArrayBuffer };
    try {
      mapped = this.#mapper.map(fd, size);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.#mappedBytes += size;
    const slot: Slot = {
      serial: this.#serial++,
      fd,
      size,
      bytes: new Uint8Array(mapped.buffer),
      lent: undefined,
      length: 0,
      refs: 0,
      holder: undefined,
    };
    this.#slots.set(slot.serial, slot);
    this.#byBuffer.set(mapped.buffer, slot);
    addSlotBuffer(mapped.buffer);
    return slot;
  }
}

/** A message read out of a slot: its bytes, and whether they are the slot's memory (release when done). */
export interface SlotRead {
  readonly bytes: Uint8Array;
  readonly serial: number;
  /** The bytes are a view of the producer's slot (release it when done); false: a copy, released already. */
  readonly borrowed: boolean;
}

/** The consumer side: slots mapped once per producer slot, by producer pid and serial. */
export class SlotReader {
  readonly #mapped = new Map<string, { buffer: ArrayBuffer; unmap: () => void }>();
  readonly #byProducer = new Map<number, Set<string>>();
  readonly #unmapWhenUnused = new FinalizationRegistry<() => void>((unmap) => unmap());

  /** The message a descriptor names. Throws when the producer or its slot is gone. */
  read(descriptor: Uint8Array): SlotRead {
    if (descriptor.byteLength < SLOT_DESCRIPTOR_BYTES) throw new Error("truncated shared-memory descriptor");
    const view = new DataView(descriptor.buffer, descriptor.byteOffset, SLOT_DESCRIPTOR_BYTES);
    const pid = view.getUint32(0, true);
    const fd = view.getUint32(4, true);
    const serial = view.getUint32(8, true);
    const offset = view.getUint32(12, true);
    const length = view.getUint32(16, true);
    const key = `${pid}:${serial}`;
    let mapping = this.#mapped.get(key);
    const m = loadMapper();
    if (!mapping) {
      const file = openSync(`/proc/${pid}/fd/${fd}`, "r+");
      try {
        const size = fstatSync(file).size;
        if (offset + length > size) throw new Error(`shared-memory slot ${key} holds ${size} bytes, not ${offset + length}`);
        if (!m) {
          // No mapping here: read the bytes out (a copy), as the tmpfs path does.
          const bytes = new Uint8Array(length);
          let done = 0;
          while (done < length) {
            const n = readSync(file, bytes, done, length - done, offset + done);
            if (n === 0) throw new Error(`shared-memory slot ${key} ended early`);
            done += n;
          }
          return { bytes, serial, borrowed: false };
        }
        mapping = m.map(file, size);
      } finally {
        closeSync(file);
      }
      addSlotBuffer(mapping.buffer);
      this.#mapped.set(key, mapping);
      let keys = this.#byProducer.get(pid);
      if (!keys) this.#byProducer.set(pid, (keys = new Set()));
      keys.add(key);
    }
    if (offset + length > mapping.buffer.byteLength) throw new Error(`shared-memory slot ${key} is smaller than ${offset + length} bytes`);
    return { bytes: new Uint8Array(mapping.buffer, offset, length), serial, borrowed: true };
  }

  /**
   * The producer `pid` is gone: its slots will not be named again. Each mapping is unmapped once
   * nothing can reach its memory any more (no received view of it is left).
   */
  forget(pid: number): void {
    const keys = this.#byProducer.get(pid);
    if (!keys) return;
    this.#byProducer.delete(pid);
    for (const key of keys) {
      const mapping = this.#mapped.get(key);
      this.#mapped.delete(key);
      if (mapping) this.#unmapWhenUnused.register(mapping.buffer, mapping.unmap);
    }
  }

  /** Producer slots mapped here now. */
  get size(): number {
    return this.#mapped.size;
  }
}
