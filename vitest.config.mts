import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Timeouts from measured durations (test/support/duration-reporter.ts prints them after each
    // run), with a wide margin. Measured on 2 cores at load average 20-24 (about ten times
    // oversubscribed, far worse than "the other core busy"): slowest test 66.8 s (drift's real plan
    // against s3rver), slowest hook 442 s (terraform-validate's init + validate of 14 stacks),
    // synth-cli's slowest test 18.6 s. The limits are about 2.5x and 2x those.
    testTimeout: 180_000,
    hookTimeout: 900_000,
    pool: "forks",
    maxWorkers: 2,
    globalSetup: ["test/support/global-setup.ts"],
    reporters: ["default", "./test/support/duration-reporter.ts"],
  },
});
