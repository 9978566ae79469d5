import { type OnReadOpts, Socket, type SocketConstructorOpts } from "node:net";
import { loadLibc } from "./libc.js";

/** Linux `fcntl` command: duplicate a descriptor with close-on-exec set (a node's own child processes must not inherit it). */
const F_DUPFD_CLOEXEC = 1030;
/** One read takes at most this much (a Unix socket's queue is ~200 KB by default). */
export const READ_BUFFER_BYTES = 256 * 1024;

let duplicate: ((fd: number) => number) | null | undefined;

function loadDuplicate(): ((fd: number) => number) | null {
  if (duplicate !== undefined) return duplicate;
  const libc = loadLibc();
  const fcntl = libc?.func<(fd: number, cmd: number, type: string, arg: number) => number>("int fcntl(int fd, int cmd, ...)");
  duplicate = fcntl ? (fd) => fcntl(fd, F_DUPFD_CLOEXEC, "int", 0) : null;
  return duplicate;
}

/**
 * Takes over a connection a server accepted (paused: `pauseOnConnect`) so that it is read into
 * one buffer reused for every read — Node's `onread` — and each chunk is handed to `onChunk`
 * as it is read, valid only until `onChunk` returns. A stream socket instead allocates a
 * buffer per read and runs the stream machinery around every 'data' event, after the handler
 * too, before the executor loop can resume: measured at 25–40 µs of a small message's hop on
 * this kind of machine (docs/architecture.md, "The message path, per engine").
 *
 * Node offers `onread` only on sockets it creates, not on those a server accepts, so the
 * accepted descriptor is duplicated (libc through koffi), the duplicate wrapped in a socket
 * created with `onread`, and the accepted socket closed; the connection lives on in the
 * duplicate. Returns that socket — or undefined, leaving `accepted` as it was, where this
 * cannot be done (no koffi, not Linux, a connection that is not a descriptor).
 */
export function readInPlace(accepted: Socket, onChunk: (chunk: Uint8Array) => void): Socket | undefined {
  // `_handle.fd` is not a documented property; without it the stream path remains.
  const fd = (accepted as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) return undefined;
  const dup = loadDuplicate();
  const copy = dup ? dup(fd) : -1;
  if (copy < 0) return undefined;
  accepted.destroy();
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  // The constructor takes `onread` as `connect` does; Node's type declarations list it only there.
  const options: SocketConstructorOpts & { onread: OnReadOpts } = {
    fd: copy,
    readable: true,
    writable: true,
    onread: {
      buffer,
      callback: (bytes: number, into: Uint8Array) => {
        onChunk(new Uint8Array(into.buffer, into.byteOffset, bytes));
        return true;
      },
    },
  };
  return new Socket(options);
}
