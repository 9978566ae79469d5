import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";

/**
 * `mkdir -p`, one level at a time from the nearest existing directory. Node's recursive mkdir
 * loops forever on some paths (under /proc it keeps retrying ENOENT); this fails at once.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  while (!existsSync(at)) {
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) {
    throw Object.assign(new Error(`${at} is not a directory`), { code: "ENOTDIR" });
  }
  for (const path of missing.reverse()) mkdirSync(path);
}
