/**
 * `npm run mutation` (stryker.config.mjs) re-runs, for every planted bug, each test that covers it.
 * A test that synthesizes whole environments costs seconds per run, so it would cost hours over
 * thousands of mutants; vitest.mutation.config.mts sets LGTM_MUTATION_RUN=1 and those few tests
 * skip there (never in `npm test`). Each one is named in docs/mutation-testing.md; the judging
 * code they reach is also covered by the small fixtures of the same suites.
 */
export const MUTATION_RUN = process.env.LGTM_MUTATION_RUN === "1";
