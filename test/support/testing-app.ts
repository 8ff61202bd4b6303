/**
 * cdktf's `Testing.app()` for in-memory synths (`Testing.synth`), with one output folder per test
 * process, in the run's scratch folder (LGTM_TEST_SCRATCH, removed after `npm test` by
 * test/support/global-setup.ts; outside vitest, removed when the process exits). Without `outdir`,
 * every `Testing.app()` makes its own `cdktf.outdir.*` folder under the temp directory and leaves it
 * there (about 70 per `npm test`).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Testing, type App } from "cdktf";

let outdir: string | undefined;

export function testingApp(): App {
  if (!outdir) {
    const scratch = process.env.LGTM_TEST_SCRATCH;
    const dir = fs.mkdtempSync(path.join(scratch && fs.existsSync(scratch) ? scratch : os.tmpdir(), "lgtm-testing-app-"));
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    outdir = dir;
  }
  return Testing.app({ outdir });
}
