/**
 * Terraform tier for issue 26's optional settings the shipped environments leave off: prod with the
 * three customer managed KMS keys' worth of settings that can go together (data bucket, log groups),
 * Object Lock on the log bucket, every image pinned and image_source = "ecr"; and a flow-log-only
 * log bucket under its own KMS key. Each layer that changes passes `terraform init -backend=false` and
 * `terraform validate` against the offline provider mirror (hashicorp/aws 5.100.0), as
 * test/terraform-validate.test.ts does for the shipped ones.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICE_NAMES } from "../settings";
import { synthesizedStacks } from "./support/policy";
import { settingsWith } from "./support/settings";
import { inPool, offlineTerraform, runAsync, skipWithoutTerraform, startSharedProvider, type SharedProvider } from "./support/terraform";

const skip = skipWithoutTerraform("terraform validate tier (issue 26 options)");
const DIGEST = `sha256:${"2e".repeat(32)}`;
const LAYERS = ["00-bootstrap", "30-storage", "40-iam", "60-ecs"];

describe.skipIf(skip)("GIVEN prod with the KMS keys, Object Lock, pinned images and image_source = ecr, and a flow-log-only KMS log bucket", () => {
  let work: string;
  let provider: SharedProvider | undefined;
  const results = new Map<string, { code: number; out: string }>();

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-validate-26-"));
    const hardened = await settingsWith({
      image_source: "ecr",
      services: Object.fromEntries(SERVICE_NAMES.map((n) => [n, { digest: DIGEST }])),
      kms: { data_bucket: true, log_groups: true },
      audit_logs: { object_lock: { mode: "COMPLIANCE", days: 365 } },
    });
    const flowOnly = await settingsWith(
      {
        kms: { audit_bucket: true },
        audit_logs: { alb_access_logs: false, s3_access_logs: false, object_lock: { mode: "GOVERNANCE", days: 30 } },
        accept_risks: { waivers: { "ELB.5": { reason: "validate a flow-log-only log bucket" }, "S3.9": { reason: "validate a flow-log-only log bucket" } } },
      },
      "prod",
    );
    const stacks = [
      ...synthesizedStacks(hardened).filter((st) => LAYERS.some((l) => st.id.endsWith(l))).map((st) => ({ ...st, id: `hardened-${st.id}` })),
      ...synthesizedStacks(flowOnly).filter((st) => st.id.endsWith("00-bootstrap")).map((st) => ({ ...st, id: `flowonly-${st.id}` })),
    ];
    const dirs = stacks.map((st) => {
      const dir = path.join(work, st.id);
      fs.mkdirSync(dir, { recursive: true });
      // Validation needs no backend: the stack's own S3 backend block is dropped like -backend=false ignores it.
      fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(st.json, null, 2));
      return dir;
    });
    provider = await startSharedProvider();
    const installer = offlineTerraform(work);
    const tf = offlineTerraform(work, provider);
    await inPool(dirs, 2, async (dir) => {
      const init = await runAsync(installer, dir, ["init", "-backend=false", "-input=false"]);
      if (init.code !== 0) return void results.set(path.basename(dir), { code: init.code, out: init.stdout + init.stderr });
      const v = await runAsync(tf, dir, ["validate", "-json"]);
      results.set(path.basename(dir), { code: v.code, out: v.stdout });
    });
  });

  afterAll(() => {
    provider?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it.each([...LAYERS.map((l) => `hardened-prod-${l}`), "flowonly-prod-00-bootstrap"])("WHEN %s is validated THEN terraform reports no error and no warning", (id) => {
    const r = results.get(id);
    expect(r, `no result for ${id}`).toBeDefined();
    expect(r!.code, r!.out).toBe(0);
    const report = JSON.parse(r!.out) as { valid: boolean; diagnostics: { severity: string; summary: string; detail?: string }[] };
    expect(report.diagnostics.map((d) => `${d.severity}: ${d.summary}: ${d.detail ?? ""}`)).toEqual([]);
    expect(report.valid).toBe(true);
  });
});
