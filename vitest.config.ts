import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/globalSetup.ts"],
    // Each file gets its own process; Azurite is shared, isolated per file by a table prefix and queue names.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only queue up behind Azurite.
    maxWorkers: 2,
    // The production bundle is imported by Node itself, as the Azure worker imports it, not through Vite.
    server: { deps: { external: [/[\\/]dist[\\/]bundle[\\/]/] } },
  },
});
