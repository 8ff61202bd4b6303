/**
 * `npm run plan` then `npm run apply` with the REAL terraform, offline, as a user runs them (fresh
 * processes: node bin/lgtm.cjs, the bundle of main.ts): prod's 10-network layer against an S3 state backend on 127.0.0.1
 * (s3rver) and an STS stand-in. A test-only override file, placed in the stack folder at test time
 * (never in the generated JSON), points the provider's EC2 endpoint at a closed local port with no
 * retries, so the apply reaches AWS nowhere: it takes the state lock, applies the saved plan, and
 * fails at the first EC2 call. What is proven: plan's init/plan/show against the real backend, the
 * saved plan file is what apply hands terraform, apply's stop-at-first-failure report, and apply
 * refusing a plan after the stack JSON changed, before any terraform runs. (No layer of this
 * project can be created offline: every one needs EC2, ECS or S3 features s3rver lacks.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest, PlanReport } from "../commands/plan";
import { stackId, stateKey } from "../stacks/contract";
import { runCliProcess, type Exit } from "./support/cli";
import { startS3Backend, type S3Backend } from "./support/s3-backend";
import { skipWithoutTerraform } from "./support/terraform";

const skip = skipWithoutTerraform("plan and apply against a real S3 backend");

describe.skipIf(skip)("GIVEN prod synthesized, its state in an S3 server on 127.0.0.1, and a test-only override that keeps the provider off AWS", () => {
  let backend: S3Backend;
  let out: string;
  let plans: string;
  let env: NodeJS.ProcessEnv;
  let planRun: Exit;
  let report: PlanReport;
  let applyRun: Exit;
  const stackDir = () => backend.stackDir(stackId("prod", "10-network"));
  const object = (key: string) => fetch(backend.objectUrl(key));

  beforeAll(async () => {
    backend = await startS3Backend({ env: "prod", prefix: "lgtm-plan-apply", sts: true });
    out = backend.out;
    plans = path.join(backend.work, "plans");
    // Test-only provider settings: merged into the provider block by terraform, in the plan's
    // config snapshot, never in cdk.tf.json (whose hash apply checks).
    fs.writeFileSync(
      path.join(stackDir(), "zz_test_override.tf.json"),
      JSON.stringify({ provider: { aws: [{ max_retries: 1, endpoints: [{ ec2: "http://127.0.0.1:9", sts: backend.sts!.endpoint }] }] } }),
    );
    env = backend.env;
    planRun = await runCliProcess(["plan", "--env", "prod", "--no-synth", "--out", out, "--layer", "10-network", "--save", plans, "--format", "json"], env);
    report = JSON.parse(planRun.stdout) as PlanReport;
    applyRun = await runCliProcess(["apply", "--env", "prod", "--no-synth", "--out", out, "--plans", plans], env);
  });

  afterAll(async () => {
    await backend?.stop();
  });

  it("WHEN planned with --save THEN the real plan shows every network resource to create, exit 2, with progress on stderr", () => {
    expect(planRun.status, planRun.stderr).toBe(2);
    expect(planRun.stderr).toContain("plan: [1/1] 10-network");
    expect(planRun.stderr).toContain("plan: prod-10-network: terraform plan");
    const network = report.layers[0];
    expect(network.status).toBe("changes");
    expect(network.counts.create).toBeGreaterThan(5);
    expect(network.counts.create).toBe(network.changes.length);
    expect(network.changes.some((c) => c.type === "aws_vpc" && c.action === "create")).toBe(true);
    expect(report.guarded).toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(plans, "manifest.json"), "utf8")) as Manifest;
    expect(manifest.layers).toMatchObject([{ layer: "10-network", status: "changes", plan_file: "10-network.tfplan" }]);
    expect(fs.existsSync(path.join(stackDir(), "review.tfplan"))).toBe(false);
  });

  it("WHEN applied THEN terraform applies the saved plan under the state lock, fails at the first EC2 call, and the report says no layer was applied", async () => {
    expect(applyRun.status, applyRun.stderr).toBe(1);
    expect(applyRun.stderr).toContain("apply: prod-10-network: terraform apply");
    expect(applyRun.stderr).toContain("apply: terraform apply failed in 10-network:");
    expect(applyRun.stderr).toMatch(/Error: creating EC2 (VPC|Subnet|Internet Gateway|EIP)/);
    expect(applyRun.stdout).toContain("Applied before the failure: none. Not applied: 10-network and every later layer.");
    // The apply took and released the lock, and wrote what it did (nothing) to the S3 state.
    expect((await object(`${stateKey("prod", "10-network")}.tflock`)).status).toBe(404);
    expect((await object(stateKey("prod", "10-network"))).status).toBe(200);
  });

  it("WHEN the stack JSON changes after the plan THEN apply refuses with one line and a usage exit code, and runs no terraform", async () => {
    const file = path.join(stackDir(), "cdk.tf.json");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"10-network"', '"10-network-edited"'));
    const r = await runCliProcess(["apply", "--env", "prod", "--no-synth", "--out", out, "--plans", plans], { ...env, LGTM_TERRAFORM: path.join(backend.work, "no-terraform-needed") });
    expect(r.status).toBe(2);
    expect(r.stderr.split("\n")[0]).toMatch(/^refusing to apply .*plans: 10-network: the stack JSON differs from the one that was planned .*Nothing was applied\.$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
