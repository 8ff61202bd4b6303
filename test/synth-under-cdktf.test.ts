/**
 * The app as the cdktf CLI runs it (cdktf.json: `node bin/lgtm.cjs synth` with CDKTF_OUTDIR, and
 * LGTM_ENV when the user sets it), in a fresh process, without the CLI itself: what the app writes
 * into the CLI's output folder and on which stream. The same through the real cdktf CLI and
 * terraform: test/cdktf-deploy.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAYERS, stackId } from "../stacks/contract";
import { runCli } from "./support/cli";
import { shippedFile, tempEnvironments } from "./support/settings";

/** What cdktf-cli 0.21 adds to the app's environment (its synth step). */
const underCdktf = (out: string, extra: NodeJS.ProcessEnv = {}) => ({ CDKTF_OUTDIR: out, CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: "true", ...extra });
const manifestStacks = (out: string) => Object.keys((JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")) as { stacks: object }).stacks).sort();
const every = (...envs: string[]) => envs.flatMap((e) => LAYERS.map((l) => stackId(e, l))).sort();

describe("GIVEN an output folder synthesized for every environment (npm run synth), each stack initialized", () => {
  let work: string;
  let out: string;
  const devFile = () => path.join(out, "stacks", stackId("dev", "30-storage"), "cdk.tf.json");
  let devBefore: string;
  let prodOnly: ReturnType<typeof runCli>;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-under-cdktf-"));
    out = path.join(work, "cdktf.out");
    const full = runCli(["synth", "--out", out]);
    if (full.status !== 0) throw new Error(full.stderr);
    // What `terraform init` leaves (the real init: test/cdktf-deploy.test.ts).
    for (const stack of every("dev", "prod")) {
      fs.mkdirSync(path.join(out, "stacks", stack, ".terraform"));
      fs.writeFileSync(path.join(out, "stacks", stack, ".terraform.lock.hcl"), `# ${stack}\n`);
    }
    devBefore = fs.readFileSync(devFile(), "utf8");
    prodOnly = runCli(["synth"], { env: underCdktf(out, { LGTM_ENV: "prod" }) });
  });

  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("WHEN the app synthesizes prod alone (LGTM_ENV=prod) THEN the policy judges prod's stacks only and passes, with nothing on stderr (the CLI's [ERROR] stream)", () => {
    expect(prodOnly.status, prodOnly.stderr).toBe(0);
    expect(prodOnly.stderr).toBe("");
    const policy = prodOnly.stdout.split("\n").filter((l) => /policy|waived|violation/.test(l));
    expect(policy.some((l) => /\b0 violations\b/.test(l)), prodOnly.stdout).toBe(true);
    expect(policy.join("\n")).not.toMatch(/\bdev\b/);
  });

  it("WHEN the app synthesizes prod alone THEN dev's stacks stay in the folder and in the manifest (the CLI deletes folders the manifest does not list), and every stack keeps its init state", () => {
    expect(manifestStacks(out)).toEqual(every("dev", "prod"));
    expect(fs.readFileSync(devFile(), "utf8")).toBe(devBefore);
    for (const stack of every("dev", "prod")) {
      expect(fs.existsSync(path.join(out, "stacks", stack, ".terraform")), stack).toBe(true);
      expect(fs.readFileSync(path.join(out, "stacks", stack, ".terraform.lock.hcl"), "utf8")).toBe(`# ${stack}\n`);
    }
  });

  it("WHEN the app synthesizes every environment there is and dev is gone THEN the manifest lists prod's stacks only, so the CLI drops dev's", () => {
    const t = tempEnvironments({ "common.tfvars": shippedFile("common.tfvars"), "prod.tfvars": shippedFile("prod.tfvars") });
    try {
      const r = runCli(["synth", "--environments", t.dir], { env: underCdktf(out) });
      expect(r.status, r.stderr).toBe(0);
      expect(manifestStacks(out)).toEqual(every("prod"));
    } finally {
      t.cleanup();
    }
  });
});
