/**
 * `cdktf deploy <env>-<layer>`, `cdktf diff` and `cdktf synth` through the REAL cdktf CLI
 * (node_modules/.bin/cdktf, which runs cdktf.json's app command) and the real terraform, offline, as
 * a user runs them after the Quick start's full `npm run synth` (test/support/cdktf-project.ts):
 * prod's 10-network against its S3 state on s3rver (127.0.0.1) and an STS stand-in. A test-only
 * override file in the stack folder (never in the generated JSON; synth leaves it there) points the
 * provider's EC2 endpoint at a closed local port with no retries: the deploy inits, plans and
 * applies until the first EC2 call, where it fails (no layer of this project can be created offline).
 *
 * One project, one full synth, four cdktf CLI commands shared by the tests.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAYERS, stackId, stateKey } from "../stacks/contract";
import { startCdktfProject, type CdktfProject, type CdktfRun } from "./support/cdktf-project";
import { skipWithoutTerraform } from "./support/terraform";

const skip = skipWithoutTerraform("cdktf deploy/diff/synth through the cdktf CLI");

const NETWORK = stackId("prod", "10-network");
const DEV_NETWORK = stackId("dev", "10-network");
const PROD = { LGTM_ENV: "prod" };

/** Lines the cdktf CLI prints at its ERROR level (what it does with everything on the app's stderr). */
const errorLines = (r: CdktfRun) => `${r.text.stdout}\n${r.text.stderr}`.split("\n").filter((l) => /\[ERROR\]/.test(l));

describe.skipIf(skip)("GIVEN a project synthesized for every environment (npm run synth) with prod's state in an S3 server on 127.0.0.1, offline with the mirror CLI config", () => {
  let project: CdktfProject;
  let fullSynth: CdktfRun;
  let deploy: CdktfRun;
  let diff: CdktfRun;
  let synth: CdktfRun;
  let manifest: { stacks: Record<string, { dependencies: string[] }> };

  beforeAll(async () => {
    project = await startCdktfProject({ env: "prod", prefix: "lgtm-cdktf-deploy" });
    fullSynth = await project.synth();
    if (fullSynth.status !== 0) throw new Error(`npm run synth failed:\n${fullSynth.stderr}`);
    // Another environment's stack, initialized by hand (plain terraform, README's second path).
    project.terraform.ok(project.stackDir(DEV_NETWORK), ["init", "-backend=false"]);
    fs.writeFileSync(
      path.join(project.stackDir(NETWORK), "zz_test_override.tf.json"),
      JSON.stringify({ provider: { aws: [{ max_retries: 1, endpoints: [{ ec2: "http://127.0.0.1:9", sts: project.sts!.endpoint }] }] } }),
    );
    deploy = await project.cdktf(["deploy", NETWORK, "--auto-approve"], PROD);
    diff = await project.cdktf(["diff", NETWORK], PROD);
    synth = await project.cdktf(["synth"], PROD);
    manifest = JSON.parse(fs.readFileSync(path.join(project.out, "manifest.json"), "utf8"));
    console.info(`cdktf CLI wall times: npm run synth ${fullSynth.ms} ms, deploy ${deploy.ms} ms, diff ${diff.ms} ms, synth ${synth.ms} ms`);
  });

  afterAll(async () => {
    await project?.stop();
  });

  it("WHEN `cdktf deploy prod-10-network` is given only the layer's name THEN no dependency flag is asked for, the policy passes, and terraform inits from the mirror, plans, and applies until the first EC2 call", async () => {
    const all = `${deploy.text.stdout}\n${deploy.text.stderr}`;
    expect(all).not.toContain("dependencies are not included");
    expect(all).not.toContain("policy check failed");
    expect(all).toContain("Terraform has been successfully initialized");
    // The stack had no lock file, so the cdktf CLI ran `terraform providers lock` after init: from the
    // mirror (TF_CLI_ARGS_providers_lock), not the registry.
    expect(all).toContain("Terraform has validated the lock file");
    expect(all).not.toMatch(/could not connect to\s+registry\.terraform\.io|Failed to query available provider packages/);
    expect(fs.readFileSync(path.join(project.stackDir(NETWORK), ".terraform.lock.hcl"), "utf8")).toMatch(/version\s+=\s+"5\.100\.0"/);
    expect(all).toMatch(/Error: creating EC2 (VPC|Subnet|Internet Gateway|EIP)/);
    expect(deploy.status).not.toBe(0);
    // Synth's warnings and policy summary are plain output, neither [ERROR] nor stack annotations.
    expect(errorLines(deploy)).toEqual([]);
    expect(all).not.toMatch(/WARN \[prod-/);
    // The apply ran against the S3 state: it took and released the lock and wrote the state.
    expect((await fetch(project.objectUrl(`${stateKey("prod", "10-network")}.tflock`))).status).toBe(404);
    expect((await fetch(project.objectUrl(stateKey("prod", "10-network")))).status).toBe(200);
  });

  it("WHEN `cdktf diff prod-10-network` THEN the real plan shows the network to create and exits 0", () => {
    expect(diff.status, `${diff.stdout}\n${diff.stderr}`).toBe(0);
    expect(diff.text.stdout).toMatch(/aws_vpc\.network_vpc \(network\/vpc\) will be created/);
    expect(diff.text.stdout).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy/);
  });

  it("WHEN `LGTM_ENV=prod cdktf synth` runs after the synth of every environment THEN the policy judges prod's stacks alone and passes, its summary and warnings are not printed as errors", () => {
    expect(synth.status, `${synth.stdout}\n${synth.stderr}`).toBe(0);
    // The summary's wording is synth's own (commands/synth.ts); what matters here: it is on stdout,
    // it judged prod's stacks with no violation, and no line of it speaks of dev.
    const policy = synth.text.stdout.split("\n").filter((l) => /policy|waived|violation/.test(l));
    expect(policy.some((l) => /\b0 violations\b/.test(l)), policy.join("\n")).toBe(true);
    expect(policy.join("\n")).not.toMatch(/\bdev\b/);
    expect(errorLines(synth)).toEqual([]);
    expect(synth.text.stdout).not.toMatch(/WARN \[prod-/);
    expect(errorLines(diff)).toEqual([]);
  });

  it("WHEN cdktf synthesizes one environment THEN the other environment's stacks stay, and every stack keeps its .terraform/ and lock file", async () => {
    expect(Object.keys(manifest.stacks).filter((s) => s.startsWith("dev-"))).toHaveLength(LAYERS.length);
    for (const stack of [NETWORK, DEV_NETWORK]) {
      expect(fs.existsSync(path.join(project.stackDir(stack), ".terraform")), stack).toBe(true);
      expect(fs.existsSync(path.join(project.stackDir(stack), ".terraform.lock.hcl")), stack).toBe(true);
    }
    // Plain terraform after cdktf's synth: no "Backend initialization required".
    const r = await project.terraformAsync(project.stackDir(NETWORK), ["output", "-json"]);
    expect(r.status, r.stderr).toBe(0);
  });

  it("WHEN the manifest is read THEN no stack depends on another (layers read each other's state from S3) and the layers are listed in layer order, the order `cdktf deploy 'prod-*' --parallelism 1` runs them", () => {
    for (const [name, entry] of Object.entries(manifest.stacks)) expect(entry.dependencies, name).toEqual([]);
    const prod = Object.keys(manifest.stacks).filter((s) => s.startsWith("prod-"));
    expect(prod).toEqual(LAYERS.map((l) => stackId("prod", l)));
  });
});
