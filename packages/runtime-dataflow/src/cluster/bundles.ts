import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { RuntimeError } from "@flowc/runtime";
import type { ObjectStore } from "@nats-io/obj";

/** One file of a dataflow's base directory, by content. */
export interface BundleFile {
  readonly path: string;
  readonly hash: string;
  readonly mode: number;
}

/** What the base directory of a dataflow holds, as a list of files addressed by their SHA-256. */
export type Manifest = readonly BundleFile[];

/** A base directory larger than this is refused rather than copied to every machine. */
export const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;
const SKIP = new Set(["node_modules", ".git"]);

/**
 * Puts the files of `dir` into the cluster's object store, each under its content hash (a file
 * another dataflow already sent is not sent again), and returns the manifest a remote daemon
 * rebuilds the directory from. Nothing travels through shared paths.
 */
export async function publishTree(store: ObjectStore, dir: string): Promise<Manifest> {
  const files: BundleFile[] = [];
  let total = 0;
  const walk = async (at: string): Promise<void> => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (SKIP.has(entry.name)) continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const bytes = readFileSync(path);
        total += bytes.byteLength;
        if (total > MAX_BUNDLE_BYTES)
          throw RuntimeError.of("BringUpFailed", {
            runtime: "dataflow",
            node: "*",
            detail: `its base directory ${dir} holds more than ${MAX_BUNDLE_BYTES / 1024 / 1024} MB to send to other machines; build the flow (flowc build --target dataflow) so only its bundles travel`,
          });
        const hash = createHash("sha256").update(bytes).digest("hex");
        if (!(await store.info(hash))) await store.putBlob({ name: hash }, bytes);
        files.push({ path: relative(dir, path).split(sep).join("/"), hash, mode: statSync(path).mode & 0o777 });
      }
    }
  };
  await walk(dir);
  return files;
}

/**
 * Rebuilds a published directory in `target`, fetching each file once into `cache` (by hash;
 * checked against it, so a corrupted object never runs).
 */
export async function materialize(store: ObjectStore, manifest: Manifest, cache: string, target: string): Promise<void> {
  mkdirSync(cache, { recursive: true, mode: 0o700 });
  for (const file of manifest) {
    if (file.path.split("/").includes("..")) throw new Error(`bundle path '${file.path}' leaves its directory`);
    const cached = join(cache, file.hash);
    if (!existsSync(cached)) {
      const bytes = await store.getBlob(file.hash);
      if (!bytes) throw new Error(`bundle file ${file.path} (${file.hash.slice(0, 12)}) is not in the object store`);
      const hash = createHash("sha256").update(bytes).digest("hex");
      if (hash !== file.hash) throw new Error(`bundle file ${file.path} arrived corrupted (hash ${hash.slice(0, 12)})`);
      const tmp = `${cached}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes, { mode: 0o600 });
      renameSync(tmp, cached);
    }
    const out = join(target, file.path);
    mkdirSync(dirname(out), { recursive: true });
    copyFileSync(cached, out);
    chmodSync(out, file.mode);
  }
}
