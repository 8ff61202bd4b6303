/**
 * The upstream configuration references (../shared/upstream, or LGTM_UPSTREAM_DIR) that the key
 * checks need. Tests that need them skip with a loud banner where they are absent, and fail
 * instead when LGTM_REQUIRE_UPSTREAM=1 (set in .ci/run): they never pass without checking.
 */
import * as fs from "node:fs";
import { defaultReferenceDir } from "../../templates";

export const REFERENCE_DIR = defaultReferenceDir();

/** True when tests needing the references should skip (after saying so loudly). */
export function skipWithoutUpstream(tier: string): boolean {
  if (fs.existsSync(REFERENCE_DIR)) return false;
  if (process.env.LGTM_REQUIRE_UPSTREAM === "1") {
    throw new Error(`LGTM_REQUIRE_UPSTREAM=1 but the upstream references are not at ${REFERENCE_DIR} (set LGTM_UPSTREAM_DIR)`);
  }
  console.warn(
    [
      "",
      "#".repeat(100),
      `#  SKIPPING ${tier}: UPSTREAM REFERENCES NOT FOUND at ${REFERENCE_DIR}`,
      "#  The key checks against the pinned Mimir/Loki/Tempo/Pyroscope/Alloy/Grafana references are SKIPPED.",
      "#  Check out ../shared next to the project or set LGTM_UPSTREAM_DIR, then run the tests again.",
      "#".repeat(100),
      "",
    ].join("\n"),
  );
  return true;
}
