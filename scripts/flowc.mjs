#!/usr/bin/env node
// `pnpm flowc …` in this repository: pnpm runs scripts from the workspace root, so the CLI
// starts in the directory the user ran pnpm from (INIT_CWD), where their relative paths point.
if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
await import("../packages/cli/bin/flowc.mjs");
