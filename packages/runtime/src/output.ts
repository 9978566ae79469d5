import {
  closeSync,
  constants,
  copyFileSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";

/**
 * A file flowc writes as the result of a command (a record, a report), made so that nothing
 * is lost or broken whatever the path names:
 * - a new file, or a regular file this user owns: written to `<file>.partial` next to it and
 *   renamed into place at the end, so a run that dies never leaves half a file under the name;
 * - a symbolic link: the same, at the file it points to — the link stays a link;
 * - a regular file another user owns: written to a partial file, then copied into the file, so
 *   its owner and mode stay;
 * - a character device or a FIFO (`/dev/null`, `/dev/stdout`, a named pipe): written straight
 *   through, since it cannot be replaced and has nothing to keep half-written;
 * - a directory, a socket, a FIFO nobody reads, or a place this user cannot write: an error
 *   before anything runs, with the reason.
 * A write that fails later (a full disk, `/dev/full`) does not throw into whoever produced the
 * data: the file stops taking writes, `close()` returns the reason, and the partial file is
 * removed so nothing half-written is put in place.
 */
export class OutputFile {
  /** The path as given. */
  readonly path: string;
  readonly #target: string;
  readonly #mode: "replace" | "copy" | "stream";
  readonly #temp: string | undefined;
  #fd: number | undefined;
  #failed: string | undefined;

  private constructor(path: string, target: string, mode: "replace" | "copy" | "stream", fd: number, temp: string | undefined) {
    this.path = path;
    this.#target = target;
    this.#mode = mode;
    this.#fd = fd;
    this.#temp = temp;
  }

  /** Opens `path` for writing, or says why it cannot be written. */
  static open(path: string): OutputFile | { readonly error: string } {
    let target = path;
    let existing: ReturnType<typeof statSync> | undefined;
    try {
      if (lstatSync(path).isSymbolicLink()) target = resolveLink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") return { error: reason(error) };
    }
    try {
      existing = statSync(target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") return { error: reason(error) };
    }
    if (existing?.isDirectory()) return { error: "it is a directory" };
    if (existing?.isSocket()) return { error: "it is a socket" };
    if (existing && (existing.isCharacterDevice() || existing.isFIFO())) {
      try {
        // Non-blocking: a FIFO nobody reads is an error now, not a hang at the end of the run.
        const fd = openSync(target, constants.O_WRONLY | (existing.isFIFO() ? constants.O_NONBLOCK : 0));
        return new OutputFile(path, target, "stream", fd, undefined);
      } catch (error) {
        return { error: (error as NodeJS.ErrnoException).code === "ENXIO" ? "it is a FIFO that nobody reads" : reason(error) };
      }
    }
    if (existing && !existing.isFile()) return { error: "it is not a regular file" };
    const own = existing === undefined || existing.uid === process.getuid?.();
    const temp = join(dirname(target), `${basename(target)}.partial`);
    try {
      if (existing && !own) closeSync(openSync(target, "r+"));
      const fd = openSync(temp, "w", 0o644);
      return new OutputFile(path, target, own ? "replace" : "copy", fd, temp);
    } catch (error) {
      return { error: reason(error) };
    }
  }

  write(data: string | Uint8Array): void {
    if (this.#fd === undefined || this.#failed !== undefined) return;
    try {
      writeAll(this.#fd, typeof data === "string" ? Buffer.from(data) : data);
    } catch (error) {
      this.#failed = reason(error);
    }
  }

  /** Puts the written file in place; returns why it could not, if a write or the move failed. */
  close(): { readonly error: string } | undefined {
    if (this.#fd === undefined) return this.#failed !== undefined ? { error: this.#failed } : undefined;
    try {
      closeSync(this.#fd);
    } catch (error) {
      this.#failed ??= reason(error);
    }
    this.#fd = undefined;
    if (this.#temp === undefined) return this.#failed !== undefined ? { error: this.#failed } : undefined;
    try {
      if (this.#failed !== undefined) return { error: this.#failed };
      if (this.#mode === "replace") renameSync(this.#temp, this.#target);
      else copyFileSync(this.#temp, this.#target);
      return undefined;
    } catch (error) {
      this.#failed = reason(error);
      return { error: this.#failed };
    } finally {
      rmSync(this.#temp, { force: true });
    }
  }

  /** Drops what was written (nothing ran); the path is left as it was. */
  discard(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
    if (this.#temp !== undefined) rmSync(this.#temp, { force: true });
  }
}

/** Where a symbolic link points, also when the file there does not exist yet (a dangling link). */
function resolveLink(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const link = readlinkSync(path);
    return isAbsolute(link) ? link : join(dirname(path), link);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) {
    try {
      done += writeSync(fd, bytes, done, bytes.byteLength - done);
    } catch (error) {
      // A non-blocking FIFO that is full: wait for its reader.
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOENT") return "its directory does not exist";
  if (code === "ENOTDIR") return "a part of the path is not a directory";
  if (code === "EROFS") return "the file system is read-only";
  if (code === "ENOSPC") return "no space left on the device";
  return (error as Error).message;
}
