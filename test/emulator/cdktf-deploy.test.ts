/**
 * `cdktf deploy <env>-<layer>` through the REAL cdktf CLI, applying for real against the AWS API
 * emulator (moto over TLS, test/support/moto.ts): after the Quick start's `npm run synth` of every
 * environment, `LGTM_ENV=dev cdktf deploy dev-00-bootstrap`, then `cdktf deploy dev-10-network`
 * with only its name, each applied in full. dev, not prod: prod's VPC flow logs go to an S3 prefix,
 * and moto 5.2.1 looks the flow log destination up as a bucket named `<bucket>/<prefix>/`, so it
 * refuses them (the product is right: AWS takes a prefix there). The stacks reach the emulator
 * through the emulator tier's `emulator_override.tf.json` beside the generated JSON
 * (test/support/emulator.ts), which cdktf's synth leaves in place; everything else is the user's
 * path (test/support/cdktf-project.ts: the repository's cdktf.json, the mirror CLI config, offline). The same commands against an S3
 * state server without the emulator, with diff and synth: test/cdktf-deploy.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../../settings";
import { stackId } from "../../stacks/contract";
import { startCdktfProject, type CdktfProject, type CdktfRun } from "../support/cdktf-project";
import { emulatorEnv, writeEmulatorOverrides } from "../support/emulator";
import { makeTestCa, processCpuSeconds, skipWithoutMoto, startMoto, type MotoServer } from "../support/moto";
import { skipWithoutTerraform } from "../support/terraform";

const tier = "cdktf deploy against the AWS API emulator (test/emulator/cdktf-deploy)";
const skip = skipWithoutTerraform(tier) || skipWithoutMoto(tier);

const ENV = "dev";
const BOOTSTRAP = stackId(ENV, "00-bootstrap");
const NETWORK = stackId(ENV, "10-network");
const SELECTED = { LGTM_ENV: ENV };
const all = (r: CdktfRun) => `${r.text.stdout}\n${r.text.stderr}`;

describe.skipIf(skip)("GIVEN every environment synthesized (npm run synth) and dev's first two layers pointed at an AWS API emulator (moto over TLS)", () => {
  let work: string;
  let moto: MotoServer;
  let project: CdktfProject;
  let bootstrap: CdktfRun;
  let network: CdktfRun;
  const started = Date.now();
  const cpuAtStart = processCpuSeconds("self", true);

  beforeAll(async () => {
    const settings = await loadSettings(ENV);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-cdktf-emulator-"));
    const ca = makeTestCa(path.join(work, "ca"));
    moto = await startMoto({ account: settings.aws.allowed_account_ids[0], region: settings.aws.region, ca, work });
    project = await startCdktfProject({ env: ENV, prefix: "lgtm-cdktf-emulator", stateServer: false, extraEnv: emulatorEnv(ca, settings.aws.region) });
    const synth = await project.synth();
    if (synth.status !== 0) throw new Error(`npm run synth failed:\n${synth.stderr}`);
    for (const stack of [BOOTSTRAP, NETWORK]) writeEmulatorOverrides(project.stackDir(stack), moto.endpoint);
    bootstrap = await project.cdktf(["deploy", BOOTSTRAP, "--auto-approve"], SELECTED);
    network = await project.cdktf(["deploy", NETWORK, "--auto-approve"], SELECTED);
    console.info(`cdktf deploy against the emulator, wall: npm run synth ${synth.ms} ms, ${BOOTSTRAP} ${bootstrap.ms} ms, ${NETWORK} ${network.ms} ms`);
  }, 1_200_000);

  afterAll(async () => {
    await project?.stop();
    await moto?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    // Every process it started has exited and been reaped: their CPU is in this worker's children's time.
    console.info(`cdktf deploy against the emulator: wall ${((Date.now() - started) / 1000).toFixed(1)} s, CPU ${(processCpuSeconds("self", true) - cpuAtStart).toFixed(1)} s`);
  });

  it("WHEN `cdktf deploy dev-00-bootstrap` runs THEN it applies in full, into its local state beside the output folder", () => {
    expect(bootstrap.status, all(bootstrap).slice(-4000)).toBe(0);
    expect(all(bootstrap)).toMatch(/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed/);
    const state = JSON.parse(fs.readFileSync(path.join(project.dir, `terraform.${BOOTSTRAP}.tfstate`), "utf8")) as { resources: { type: string }[] };
    expect(state.resources.some((r) => r.type === "aws_s3_bucket")).toBe(true);
  });

  it("WHEN `cdktf deploy dev-10-network` is given only the layer's name THEN it applies in full, its state in the bucket 00-bootstrap made", () => {
    expect(all(network)).not.toContain("dependencies are not included");
    expect(network.status, all(network).slice(-4000)).toBe(0);
    expect(all(network)).toMatch(/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed/);
    expect(all(network)).toContain('Successfully configured the backend "s3"');
  });
});
