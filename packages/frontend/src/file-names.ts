import { createHash } from "node:crypto";

/** Longest file-name stem flowc derives from a flow's name; file systems allow 255 bytes per name. */
const MAX_STEM = 100;

/**
 * A flow's name as a file-name stem: the IR file is `<stem>.ir.json` and the flow's node
 * bundles live in `nodes/<stem>/`. Characters other than letters, digits, `_`, `.` and `-`
 * become `_`, a leading `.` too (so no `..`, no hidden files), and a name longer than 100
 * characters keeps its start and a hash of the whole, so different names never share a stem.
 */
export function flowFileStem(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^\./, "_");
  if (safe.length <= MAX_STEM && safe.length > 0) return safe;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 12);
  return `${safe.slice(0, MAX_STEM - 13)}-${hash}`;
}
