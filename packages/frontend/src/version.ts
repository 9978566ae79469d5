import { createRequire } from "node:module";

const pkg = createRequire(import.meta.url)("../package.json") as { version: string };

export const FRONTEND_VERSION: string = pkg.version;
