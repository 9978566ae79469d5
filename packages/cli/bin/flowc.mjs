#!/usr/bin/env node
// The flowc executable: runs the built CLI (packages/cli/dist, produced by `pnpm install` / `pnpm build`).
import { main, processIo } from "../dist/index.js";

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`flowc: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  },
);
