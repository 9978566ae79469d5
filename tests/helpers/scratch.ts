import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A test file's temporary directory, named up front and made only when a test needs it: vitest
 * runs no hooks of a file whose suites are all skipped (no NATS server, no Chromium), so a
 * directory made at import would outlive the run.
 */
export class Scratch {
  readonly path: string;
  constructor(prefix: string) {
    this.path = join(tmpdir(), `${prefix}${process.pid}-${randomBytes(4).toString("hex")}`);
  }
  /** Makes the directory, private to this user (again is harmless), and returns its path. */
  make(): string {
    mkdirSync(this.path, { recursive: true, mode: 0o700 });
    return this.path;
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
