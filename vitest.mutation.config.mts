/**
 * The vitest run Stryker mutates against (`npm run mutation`, stryker.config.json): only the fast,
 * in-process suites that exercise the code that judges (policy/, the settings checks,
 * templates/config-checks.ts, the plan/drift/apply judgements in commands/, cost/). Every mutant
 * re-runs the tests that cover it, so a suite here costs its run time once per covering mutant.
 *
 * Left out on purpose: the terraform tiers (terraform-validate, mock-apply, remote-state,
 * plan-apply, drift.test.ts with its real S3 backend: 1-2 minutes each, per mutant), the nginx,
 * memcached and upstream-binary tiers, and the whole-stack synth suites (ecs, iam, network...),
 * which do not reach the judging code in a test body. Tests that run a command as a fresh process
 * cannot see a mutant (Stryker switches mutants inside this process), so they add nothing here.
 * No globalSetup: nothing below needs the shared synth or the command bundle.
 */
import { defineConfig } from "vitest/config";

export const MUTATION_SUITES = [
  "test/policy.test.ts",
  "test/policy-report.test.ts",
  "test/policy-structure.test.ts",
  "test/drift-summary.test.ts",
  "test/plan-verdicts.test.ts",
  "test/plan.test.ts",
  "test/cost.test.ts",
  "test/config-checks.test.ts",
  "test/reference.test.ts",
  "test/gateway.test.ts",
  "test/self-monitoring.test.ts",
  "test/cache.test.ts",
  "test/durability.test.ts",
  "test/settings.test.ts",
  "test/settings-bad-input.test.ts",
  "test/sizing.test.ts",
  "test/tenants.test.ts",
  "test/enabled.test.ts",
  "test/images.test.ts",
];

/** LGTM_MUTATION_SUITES=<file>,<file>: only these suites, for a quick run on one folder (docs/mutation-testing.md). */
const only = process.env.LGTM_MUTATION_SUITES?.split(",").filter(Boolean);

export default defineConfig({
  test: {
    include: only && only.length > 0 ? only : MUTATION_SUITES,
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: "forks",
    isolate: false,
    maxWorkers: 1,
    // The few tests that synthesize whole environments skip (test/support/mutation.ts).
    env: { LGTM_MUTATION_RUN: "1" },
  },
});
