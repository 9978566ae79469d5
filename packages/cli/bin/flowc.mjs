#!/usr/bin/env node
// The flowc executable: runs the built CLI (packages/cli/dist, produced by `pnpm install` / `pnpm build`).
// Loading the compiler takes a moment; Ctrl-C meanwhile ends flowc at once, with nothing done yet.
const early = (signal) => {
  process.stderr.write(`flowc: ${signal}: stopped before anything started\n`);
  process.exit(130);
};
process.on("SIGINT", early);
process.on("SIGTERM", early);
// `flowc … | head`: a reader that leaves early is not an error of flowc's.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(process.exitCode ?? 0);
  });
}
const { main, processIo } = await import("../dist/index.js");
process.off("SIGINT", early);
process.off("SIGTERM", early);

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`flowc: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  },
);
