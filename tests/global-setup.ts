import { execFileSync } from "node:child_process";
import { join } from "node:path";

/** End-to-end tests run the built CLI; make sure dist is current (a no-op when it is). */
export default function setup(): void {
  execFileSync(process.execPath, [join(import.meta.dirname, "../scripts/build.mjs"), "--quiet"], { stdio: "inherit" });
}
