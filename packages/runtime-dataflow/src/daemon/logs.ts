import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";

/**
 * A node's log file with size-based rotation: `<node>.log` is written until it passes
 * `maxBytes`, then becomes `<node>.log.1` (the older ones shift to `.2` … up to `keep`).
 * Every line is `<ISO time> <stream> <text>`; the last lines of stderr are kept in memory for
 * error messages.
 */
export class LogFile {
  readonly path: string;
  readonly #maxBytes: number;
  readonly #keep: number;
  #fd: number;
  #size: number;
  readonly #tail: string[] = [];
  readonly #partial = new Map<string, string>();
  /** Called with every complete line (for `flowc logs --follow`). */
  readonly listeners = new Set<(line: string) => void>();

  constructor(path: string, maxBytes = 4 * 1024 * 1024, keep = 3) {
    this.path = path;
    this.#maxBytes = maxBytes;
    this.#keep = keep;
    this.#fd = openSync(path, "a", 0o600);
    this.#size = statSync(path).size;
  }

  /** Raw output of a stream: split into lines (a partial line waits for its end). */
  chunk(stream: "stdout" | "stderr", data: Buffer | string): void {
    const text = (this.#partial.get(stream) ?? "") + data.toString();
    const lines = text.split("\n");
    this.#partial.set(stream, lines.pop() ?? "");
    for (const line of lines) this.line(stream, line);
  }

  line(stream: string, text: string): void {
    if (this.#fd < 0) return;
    const line = `${new Date().toISOString()} ${stream} ${text}\n`;
    if (stream === "stderr") {
      this.#tail.push(text);
      if (this.#tail.length > 20) this.#tail.shift();
    }
    if (this.#size + line.length > this.#maxBytes && this.#size > 0) this.#rotate();
    this.#size += writeSync(this.#fd, line);
    for (const listener of this.listeners) listener(line);
  }

  /** The last stderr lines, for an error message. */
  stderrTail(lines = 5): string {
    return this.#tail.slice(-lines).join("\n");
  }

  #rotate(): void {
    closeSync(this.#fd);
    rmSync(`${this.path}.${this.#keep}`, { force: true });
    for (let i = this.#keep - 1; i >= 1; i--) if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    renameSync(this.path, `${this.path}.1`);
    this.#fd = openSync(this.path, "a", 0o600);
    this.#size = 0;
  }

  close(): void {
    for (const [stream, rest] of this.#partial) if (rest) this.line(stream, rest);
    this.#partial.clear();
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }
}

/** The whole log of a node, oldest rotation first. */
export function readLog(path: string, keep = 3): string {
  let text = "";
  for (let i = keep; i >= 1; i--) if (existsSync(`${path}.${i}`)) text += readFileSync(`${path}.${i}`, "utf8");
  if (existsSync(path)) text += readFileSync(path, "utf8");
  return text;
}
