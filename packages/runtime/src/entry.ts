/**
 * Set to `true` by the release bundler (esbuild `define`) when flowc ships as one package whose
 * code sits in a single flat `dist/` folder; absent in the workspace.
 */
declare const __FLOWC_PACKED__: boolean | undefined;

/** Where a separately started entry (a worker thread, a child process) lives, per layout. */
export interface EntryPaths {
  /** From the package's TypeScript sources (tests): the built file in the package's `dist/`. */
  readonly source: string;
  /** From the package's own `dist/` (the workspace CLI). */
  readonly dist: string;
  /** The file's name in the released package's flat `dist/`. */
  readonly packed: string;
}

/**
 * The URL of a module that runs on its own (worker threads and child processes start from a
 * file, never from the caller's module), resolved against the caller's `import.meta.url` for
 * whichever layout the caller runs from.
 */
export function entryUrl(callerUrl: string, paths: EntryPaths): URL {
  if (typeof __FLOWC_PACKED__ !== "undefined" && __FLOWC_PACKED__) return new URL(`./${paths.packed}`, callerUrl);
  return new URL(callerUrl.endsWith(".ts") ? paths.source : paths.dist, callerUrl);
}
