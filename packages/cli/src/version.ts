import { createRequire } from "node:module";

// Read at run time so src (tests) and dist (the built CLI) both find the package's own manifest.
const pkg = createRequire(import.meta.url)("../package.json") as { version: string };

export const FLOWC_VERSION: string = pkg.version;
