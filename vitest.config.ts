import { defineConfig } from "vitest/config";

// One configuration for the whole workspace. Workspace packages resolve to their TypeScript
// sources through the `flowc-source` export condition, so tests never need a build; the CLI
// end-to-end tests run the built CLI, which tests/global-setup.ts brings up to date.
export default defineConfig({
  resolve: { conditions: ["flowc-source"] },
  ssr: { resolve: { conditions: ["flowc-source"], externalConditions: ["flowc-source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "tests/**/*.test.ts"],
    // Scratch projects tests write (a scaffold carries its own test, run by its own vitest).
    exclude: ["**/node_modules/**", "**/.scratch-*/**"],
    globalSetup: ["tests/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
