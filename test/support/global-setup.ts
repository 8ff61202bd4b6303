/**
 * Once per `npm test`, before any suite:
 *  - builds the command bundle (.build/lgtm.cjs) when a source is newer, so suites that run commands
 *    as fresh processes neither race to build it nor pay for it;
 *  - synthesizes the shipped environments once, as `npm run synth` does, into a temporary folder
 *    that `synthToDisk` (test/support/synth.ts) copies from instead of synthesizing again in every
 *    suite (terraform validate, mock apply, drift). Its path reaches the workers as
 *    LGTM_TEST_SHARED_SYNTH; the folder is removed after the run;
 *  - makes one scratch folder for the run (LGTM_TEST_SCRATCH), removed after it: the workers are
 *    killed at the end, so what they make there needs no cleanup of their own (test/support/testing-app.ts).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export default async function setup(): Promise<() => void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { isStale, build } = require("../../bin/build.cjs") as { isStale(): boolean; build(): Promise<void> };
  if (isStale()) await build();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-shared-synth-"));
  const out = path.join(dir, "cdktf.out");
  const started = Date.now();
  const r = spawnSync(process.execPath, [path.resolve(__dirname, "..", "..", "bin", "lgtm.cjs"), "synth", "--out", out], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`shared synth for the tests failed:\n${r.stderr}`);
  console.log(`global setup: bundle ready, shipped environments synthesized once in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.env.LGTM_TEST_SHARED_SYNTH = out;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-test-scratch-"));
  process.env.LGTM_TEST_SCRATCH = scratch;
  return () => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  };
}
