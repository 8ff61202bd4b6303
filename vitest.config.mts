import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Timeouts from measured durations (test/support/duration-reporter.ts prints them after each
    // run), with a wide margin. Measured on 2 cores at load average 20-24 (about ten times
    // oversubscribed, far worse than "the other core busy"): slowest test 66.8 s (drift's real plan
    // against s3rver), slowest hooks 800 s (mock-apply's 14 terraform test runs) and 442 s
    // (terraform-validate's init + validate of 14 stacks). The limits are about 2.5x and 2x those.
    testTimeout: 180_000,
    hookTimeout: 1_800_000,
    pool: "forks",
    // One module graph per worker, not per file: every file imports the app (cdktf, the provider
    // classes, settings, templates), which cost 3-4 s per file. Measured on ten synth-only files:
    // 39.5 s wall isolated (imports 25.5 s), 17.4 s not (imports 5.6 s). Tests that change
    // process-wide state (process.env, console spies) restore it in finally/afterAll.
    isolate: false,
    maxWorkers: 2,
    globalSetup: ["test/support/global-setup.ts"],
    // LGTM_TEST_JSON=<file> adds vitest's JSON report (.ci/run): CLI --reporter flags would replace
    // this list and lose the per-tier durations.
    reporters: ["default", "./test/support/duration-reporter.ts", ...(process.env.LGTM_TEST_JSON ? [["json", { outputFile: process.env.LGTM_TEST_JSON }] as const] : [])],
  },
});
