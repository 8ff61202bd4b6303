import { defineConfig } from "vitest/config";
import LongTiersFirst from "./test/support/sequencer";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Timeouts from measured durations (test/support/duration-reporter.ts prints them after each
    // run), with a wide margin. Measured on 2 cores shared with other work (load average 5-7, the
    // machine about three times oversubscribed), issue #15: slowest test 12.7 s (remote-state's
    // push and read through S3), slowest hooks 129 s (mock-apply's 16 `terraform test` runs) and
    // 101 s (terraform-validate's 14 init + validate). With the other core busy (a `while :; do :;
    // done` beside the suite): see the report of issue #15. The limits are about 5x and 4.5x those.
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: "forks",
    // One module graph per worker, not per file: every file imports the app (cdktf, the provider
    // classes, settings, templates), which cost 3-4 s per file. Measured on ten synth-only files:
    // 39.5 s wall isolated (imports 25.5 s), 17.4 s not (imports 5.6 s). Tests that change
    // process-wide state (process.env, console spies) restore it in finally/afterAll.
    isolate: false,
    maxWorkers: 2,
    // The long terraform tiers start first, with or without vitest's duration cache.
    sequence: { sequencer: LongTiersFirst },
    globalSetup: ["test/support/global-setup.ts"],
    // LGTM_TEST_JSON=<file> adds vitest's JSON report (.ci/run): CLI --reporter flags would replace
    // this list and lose the per-tier durations.
    reporters: ["default", "./test/support/duration-reporter.ts", ...(process.env.LGTM_TEST_JSON ? [["json", { outputFile: process.env.LGTM_TEST_JSON }] as const] : [])],
  },
});
