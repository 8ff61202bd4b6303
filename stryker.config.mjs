// @ts-check
/**
 * Mutation testing of the code that judges (`npm run mutation`; docs/mutation-testing.md): Stryker
 * plants one small bug at a time (a flipped comparison, a dropped condition, an emptied string) in
 * the files below and re-runs the tests that cover it; a mutant no test notices has "survived".
 *
 * Scope: the policy pack, the settings checks (replication quorum, sizing, AWS name rules, the
 * loader's key and type checks, the cross-field checks, switched-off services, image versions),
 * the rendered-config checks, the judgements of the plan, drift and apply commands (plan summary,
 * status, destroy guard, apply's refusals) and the cost estimate.
 * Only the judging functions of commands/drift.ts, plan.ts and apply.ts are mutated (line ranges):
 * the rest runs terraform and is tested as a fresh process, which cannot see a mutant.
 *
 * The tests: vitest.mutation.config.mts (the fast in-process suites; no terraform, nginx or synth
 * tiers). perTest coverage: each mutant re-runs only the tests that executed it. ignoreStatic:
 * mutants only reached while a module loads (module-level constants such as a rule's title) would
 * need every test re-run with a fresh module graph; they are reported as "ignored", not hidden
 * (their count is in the report). Incremental: a re-run only tests mutants in changed code or
 * covered by changed tests (reports/mutation/stryker-incremental.json; delete it for a full run).
 */
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  packageManager: "npm",
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.mts", related: false },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: "perTest",
  ignoreStatic: true,
  mutate: [
    "policy/**/*.ts",
    "settings/quorum.ts",
    "settings/sizing-checks.ts",
    "settings/names.ts",
    "settings/aws-rules.ts",
    "settings/load.ts",
    "settings/checks.ts",
    "settings/enabled.ts",
    "settings/image-versions.ts",
    "settings/sizing.ts",
    "templates/config-checks.ts",
    // detailOf, summarizePlan, statusOf; overall
    "commands/drift.ts:102-132",
    "commands/drift.ts:200-206",
    // reviewPlan, whyOf, guardedChanges, upstreamNotes, overall
    "commands/plan.ts:156-237",
    "commands/destroy-guard.ts",
    // refusals
    "commands/apply.ts:67-89",
    "cost/**/*.ts",
  ],
  incremental: true,
  incrementalFile: "reports/mutation/stryker-incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  clearTextReporter: { reportScoreTable: true, reportMutants: false, reportTests: false },
  thresholds: { high: 90, low: 80, break: null },
  // The machine this was written on has two cores shared with other work; raise it on your own.
  concurrency: Number(process.env.LGTM_MUTATION_CONCURRENCY ?? 1),
  timeoutMS: 30_000,
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  ignorePatterns: ["cdktf.out", "test/.work", "reports", ".build", "plans", "coverage", ".gen", "docs"],
};
