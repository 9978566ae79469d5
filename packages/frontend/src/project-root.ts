import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** The directory of the nearest package.json above `entry` (its own directory when there is none). */
export function findProjectRoot(entry: string): string {
  let dir = dirname(entry);
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return dirname(entry);
    dir = parent;
  }
}
