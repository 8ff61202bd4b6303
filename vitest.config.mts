import { defineConfig } from "vitest/config";
import LongTiersFirst from "./test/support/sequencer";

export default defineConfig({
  test: {
    // Every tier, the system tier (test/system/) and the emulator apply (test/emulator/) included:
    // the sequencer starts those two first, one per worker, so that they overlap.
    include: ["test/**/*.test.ts"],
    // Timeouts from measured durations (test/support/duration-reporter.ts prints them after each
    // run), with a wide margin. Measured on 2 cores (issue #15): idle machine, slowest test 7.2 s
    // (alerting's init + validate), slowest hooks 87 s (mock-apply's 16 `terraform test` runs) and
    // 65 s (terraform-validate's 14 init + validate); the other core busy (`while :; do :; done`
    // beside the suite, load average about 5): slowest test 7.9 s, slowest hooks 133 s and 104 s;
    // at load average 6-7 (other engineers' work beside the suite) the slowest test was 12.7 s
    // (remote-state's push and read through S3). The limits are about 5x and 4.5x the worst seen.
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
