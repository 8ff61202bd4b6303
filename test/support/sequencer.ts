/**
 * The order test files start in: the long terraform tiers first, whatever vitest's cache says, then
 * vitest's own order (failed first, then longest by the cached durations, or largest file when there
 * is no cache, as in CI's fresh checkout). Started late, one of these tiers would run alone on one
 * worker at the end while the other worker idles: in CI without a cache, vitest would start
 * mock-apply (a small file, about 80-100 s) among the last. The two longest start first, one on
 * each of the two workers, so that they overlap: the emulator apply (test/emulator/apply, mostly the
 * AWS provider's own waiters and terraform runs) and the system tier (test/system/, real components,
 * CPU-bound); the emulator's `cdktf deploy` follows on whichever worker frees first.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Slowest first, by the durations the reporter prints (test/support/duration-reporter.ts). */
export const LONG_TIERS = ["emulator/apply", "system/system", "system/zones", "emulator/cdktf-deploy", "mock-apply", "cdktf-deploy", "terraform-validate", "remote-state", "plan-apply", "launcher-settings", "drift"];

export default class LongTiersFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONG_TIERS.findIndex((name) => f.moduleId.endsWith(`/test/${name}.test.ts`));
      return i < 0 ? LONG_TIERS.length : i;
    };
    // Array sort is stable: the rest keep vitest's order.
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
