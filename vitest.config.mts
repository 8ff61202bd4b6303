import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Synth imports the provider's generated classes; the terraform tier runs terraform itself.
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: "forks",
    maxWorkers: 2,
    globalSetup: ["test/support/global-setup.ts"],
    reporters: ["default", "./test/support/duration-reporter.ts"],
  },
});
