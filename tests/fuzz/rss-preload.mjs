// Loaded with `node --import` in front of the flowc binary by the fuzz suite: at exit it writes
// the process's peak resident memory (kB), which a parent cannot read from a finished child.
import { writeFileSync } from "node:fs";

const out = process.env.FLOWC_FUZZ_RSS_OUT;
if (out) {
  process.on("exit", () => {
    try {
      writeFileSync(out, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
    } catch {
      // The measurement is best effort; the parent also samples /proc while the child runs.
    }
  });
}
