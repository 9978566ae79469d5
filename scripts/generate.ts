// `pnpm gen`: rewrites every generated file (see generated-files.ts).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generatedFiles } from "./generated-files.js";

const root = fileURLToPath(new URL("..", import.meta.url));
for (const file of generatedFiles()) {
  const target = join(root, file.path);
  let old: string | undefined;
  try {
    old = readFileSync(target, "utf8");
  } catch {}
  if (old === file.content) continue;
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, file.content);
  console.log(`wrote ${file.path}`);
}
