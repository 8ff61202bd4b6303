/**
 * Issue 26's audit trail and KMS: the log bucket versioned with optional Object Lock (turned on in
 * place, never by replacing the bucket), audit retention per environment (the gateway's access log,
 * the log bucket) with prod at 365 days, optional customer managed keys for the data bucket, the log
 * bucket and the log groups; and the policy rules for them and for the supply chain, each on a
 * broken copy of the prod stacks (mutation tests).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { evaluatePolicy, type SynthesizedStack } from "../policy";
import { SERVICE_NAMES, type Settings } from "../settings";
import { overrideError, settingsWith, shipped } from "./support/settings";
import { synthesizedStacks } from "./support/policy";
import { resourcesOf, synthLayer } from "./support/synth";

const DIGEST = `sha256:${"1f".repeat(32)}`;
/** Prod with every image pinned, every KMS key on and Object Lock: what the new rules must pass. */
const HARDENED = {
  services: Object.fromEntries(SERVICE_NAMES.map((n) => [n, { digest: DIGEST }])),
  ecs: { config_init_image: `public.ecr.aws/docker/library/busybox:1.37.0@${DIGEST}` },
  cache: { image: `public.ecr.aws/docker/library/memcached:1.6.38@${DIGEST}` },
  kms: { data_bucket: true, log_groups: true },
  audit_logs: { object_lock: { mode: "GOVERNANCE", days: 90 } },
};

describe("GIVEN the shipped prod settings", () => {
  let s: Settings;
  beforeAll(async () => {
    s = await shipped("prod");
  });

  it("WHEN 00-bootstrap is synthesized THEN the log bucket is versioned, keeps a deleted log 30 days and has no Object Lock", () => {
    const boot = synthLayer(s, "00-bootstrap");
    expect(resourcesOf(boot, "aws_s3_bucket_versioning").audit_logs_versioning).toMatchObject({ bucket: "${aws_s3_bucket.audit_logs_bucket.id}", versioning_configuration: { status: "Enabled" } });
    const rules = resourcesOf(boot, "aws_s3_bucket_lifecycle_configuration").audit_logs_lifecycle.rule;
    expect(rules[0]).toMatchObject({ expiration: [{ days: 365 }], noncurrent_version_expiration: [{ noncurrent_days: 30 }] });
    expect(rules[1]).toMatchObject({ id: "remove-orphaned-delete-markers", expiration: [{ expired_object_delete_marker: true }] });
    expect(resourcesOf(boot, "aws_s3_bucket_object_lock_configuration")).toEqual({});
  });

  it("WHEN the policy pack runs on every prod stack THEN S3.14 (versioning), CloudWatch.16, KMS.4 and KMS.100 find nothing, and no waiver of them exists", () => {
    const report = evaluatePolicy(synthesizedStacks(s), [s]);
    const mine = ["S3.14", "CloudWatch.16", "KMS.4", "KMS.100"];
    expect([...report.violations, ...report.waived].filter((f) => mine.includes(f.rule.id)).map((f) => `${f.rule.id} ${f.address}`)).toEqual([]);
    expect(Object.keys(s.accept_risks.waivers).filter((c) => mine.includes(c))).toEqual([]);
    // Image.1 is waived, every container named, until the digests are written (npm run pin-images).
    expect(report.waived.filter((w) => w.rule.id === "Image.1").length).toBeGreaterThan(SERVICE_NAMES.length);
  });

  it("WHEN 60-ecs is synthesized THEN only the gateway's log group is an audit log, kept logs.audit_retention_days", () => {
    const groups = resourcesOf(synthLayer(s, "60-ecs"), "aws_cloudwatch_log_group");
    const audit = Object.entries(groups).filter(([, g]) => g.tags?.AuditTrail === "true");
    expect(audit.map(([, g]) => [g.name, g.retention_in_days])).toEqual([["/ecs/lgtm-gateway", 365]]);
    for (const [, g] of Object.entries(groups)) expect(g.kms_key_id).toBeUndefined();
  });
});

describe("GIVEN audit_logs.object_lock", () => {
  it("WHEN switched on THEN the lock is its own resource after versioning, and the bucket's own block is byte-identical (no replacement, the logs stay)", async () => {
    const without = synthLayer(await shipped("prod"), "00-bootstrap");
    const withLock = synthLayer(await settingsWith({ audit_logs: { object_lock: { mode: "COMPLIANCE", days: 365 } } }), "00-bootstrap");
    expect(resourcesOf(withLock, "aws_s3_bucket").audit_logs_bucket).toEqual(resourcesOf(without, "aws_s3_bucket").audit_logs_bucket);
    expect(resourcesOf(withLock, "aws_s3_bucket").audit_logs_bucket.object_lock_enabled).toBeUndefined();
    expect(resourcesOf(withLock, "aws_s3_bucket_object_lock_configuration").audit_logs_object_lock).toEqual({
      bucket: "${aws_s3_bucket.audit_logs_bucket.id}",
      object_lock_enabled: "Enabled",
      rule: { default_retention: { mode: "COMPLIANCE", days: 365 } },
      depends_on: ["aws_s3_bucket_versioning.audit_logs_versioning"],
    });
  });

  it.each([
    [{ audit_logs: { object_lock: { mode: "GOVERNANCE", days: 400 } } }, "environments/prod.tfvars: audit_logs.object_lock.days: 400 days is longer than audit_logs.retention_days (365)"],
    [{ audit_logs: { object_lock: { mode: "FOREVER", days: 1 } } }, 'environments/prod.tfvars: audit_logs.object_lock.mode: expected "GOVERNANCE" or "COMPLIANCE"'],
    [{ storage: { force_destroy: true }, audit_logs: { object_lock: { mode: "COMPLIANCE", days: 30 } } }, "audit_logs.object_lock.mode: COMPLIANCE locks cannot be lifted by anyone, so storage.force_destroy could never empty the log bucket"],
  ])("WHEN it is %j THEN loading fails naming the key", async (override, expected) => {
    expect(await overrideError(override as never)).toContain(expected);
  });
});

describe("GIVEN audit retention below 365 days", () => {
  it.each([
    [{ audit_logs: { retention_days: 90 } }, "environments/prod.tfvars: audit_logs.retention_days: 90 days is less than the 365 days an incident investigation may need to reach back"],
    [{ logs: { audit_retention_days: 30 } }, "environments/prod.tfvars: logs.audit_retention_days: 30 days is less than the 365 days"],
    [{ logs: { audit_retention_days: 100 } }, "environments/prod.tfvars: logs.audit_retention_days: expected a CloudWatch retention: one of 1, 3, 5"],
  ])("WHEN prod sets %j THEN loading refuses it", async (override, expected) => {
    expect(await overrideError(override as never)).toContain(expected);
  });

  it("WHEN the environment accepts the risk THEN it loads, and the gateway's group follows the setting", async () => {
    const s = await settingsWith({ logs: { audit_retention_days: 30 }, audit_logs: { retention_days: 90 }, accept_risks: { short_audit_retention: true } });
    expect(resourcesOf(synthLayer(s, "60-ecs"), "aws_cloudwatch_log_group").gateway_log_group.retention_in_days).toBe(30);
    expect(resourcesOf(synthLayer(s, "00-bootstrap"), "aws_s3_bucket_lifecycle_configuration").audit_logs_lifecycle.rule[0].expiration).toEqual([{ days: 90 }]);
  });
});

describe("GIVEN the KMS settings", () => {
  let s: Settings;
  beforeAll(async () => {
    s = await settingsWith({ kms: { data_bucket: true, log_groups: true } });
  });

  it("WHEN kms.data_bucket is on THEN 30-storage has a rotating key whose policy names only the account, the bucket uses it, and each task role may use that key only through S3", () => {
    const storage = synthLayer(s, "30-storage");
    const key = resourcesOf(storage, "aws_kms_key").data_key_key;
    expect(key.enable_key_rotation).toBe(true);
    expect(JSON.parse(key.policy).Statement).toEqual([
      { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: ["arn:${data.aws_partition.partition.partition}:iam::111111111111:root"] }, Action: "kms:*", Resource: "*" },
    ]);
    expect(resourcesOf(storage, "aws_s3_bucket_server_side_encryption_configuration").data_encryption.rule[0].apply_server_side_encryption_by_default).toEqual({
      sse_algorithm: "aws:kms",
      kms_master_key_id: "${aws_kms_key.data_key_key.arn}",
    });
    expect(storage.output?.data_bucket_kms_key_arn.value).toBe("${aws_kms_key.data_key_key.arn}");
    const roles = resourcesOf(synthLayer(s, "40-iam"), "aws_iam_role_policy");
    for (const n of ["mimir", "loki", "tempo", "pyroscope"]) {
      const statements = JSON.parse(roles[`${n}_task_s3`].policy).Statement;
      expect(statements.find((st: { Sid: string }) => st.Sid === "UseDataBucketKeyThroughS3"), n).toEqual({
        Sid: "UseDataBucketKeyThroughS3",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "${data.terraform_remote_state.storage.outputs.data_bucket_kms_key_arn}",
        Condition: { StringEquals: { "kms:ViaService": "s3.ap-northeast-2.amazonaws.com" } },
      });
    }
    // Roles without S3 access get no key.
    expect(Object.keys(roles).filter((k) => roles[k].policy.includes("kms:Decrypt") && !k.endsWith("_s3")).filter((k) => !k.startsWith("grafana"))).toEqual([]);
  });

  it("WHEN kms is off (shipped) THEN the data bucket stays SSE-S3 and no role mentions the data key", async () => {
    const prod = await shipped("prod");
    expect(resourcesOf(synthLayer(prod, "30-storage"), "aws_kms_key")).toEqual({});
    expect(resourcesOf(synthLayer(prod, "30-storage"), "aws_s3_bucket_server_side_encryption_configuration").data_encryption.rule[0].apply_server_side_encryption_by_default).toEqual({ sse_algorithm: "AES256" });
    expect(JSON.stringify(resourcesOf(synthLayer(prod, "40-iam"), "aws_iam_role_policy"))).not.toContain("UseDataBucketKeyThroughS3");
  });

  it("WHEN kms.log_groups is on THEN every log group uses the 60-ecs key, which CloudWatch Logs may use for exactly these log groups", () => {
    const ecs = synthLayer(s, "60-ecs");
    const groups = resourcesOf(ecs, "aws_cloudwatch_log_group");
    for (const g of Object.values(groups)) expect(g.kms_key_id, g.name).toBe("${aws_kms_key.log_key_key.arn}");
    const key = resourcesOf(ecs, "aws_kms_key").log_key_key;
    expect(key.enable_key_rotation).toBe(true);
    const logs = JSON.parse(key.policy).Statement[1];
    expect(logs.Principal).toEqual({ Service: "logs.ap-northeast-2.amazonaws.com" });
    expect([...logs.Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"]].sort()).toEqual(
      Object.values(groups).map((g) => `arn:\${data.aws_partition.log_key_partition.partition}:logs:ap-northeast-2:111111111111:log-group:${g.name}`).sort(),
    );
  });

  it("WHEN kms.audit_bucket is asked while ALB or S3 access logs go to the bucket THEN loading refuses it; with only flow logs the bucket uses its key, which flow log delivery may use", async () => {
    expect(await overrideError({ kms: { audit_bucket: true } })).toContain(
      "environments/prod.tfvars: kms.audit_bucket: AWS delivers ALB access logs only to a bucket encrypted with SSE-S3, and audit_logs.alb_access_logs is on",
    );
    const flowOnly = await settingsWith({ kms: { audit_bucket: true }, audit_logs: { alb_access_logs: false, s3_access_logs: false }, accept_risks: { waivers: { "ELB.5": { reason: "a test of a flow-log-only audit bucket" }, "S3.9": { reason: "a test of a flow-log-only audit bucket" } } } });
    const boot = synthLayer(flowOnly, "00-bootstrap");
    expect(resourcesOf(boot, "aws_s3_bucket_server_side_encryption_configuration").audit_logs_encryption.rule[0].apply_server_side_encryption_by_default.kms_master_key_id).toBe("${aws_kms_key.audit_logs_key_key.arn}");
    expect(JSON.parse(resourcesOf(boot, "aws_kms_key").audit_logs_key_key.policy).Statement[1]).toMatchObject({ Sid: "VpcFlowLogDelivery", Principal: { Service: "delivery.logs.amazonaws.com" } });
  });
});

/** A deep copy of `stacks` with `mutate` applied to the stack whose id ends with `layer`. */
function broken(stacks: readonly SynthesizedStack[], layer: string, mutate: (resource: Record<string, Record<string, Record<string, any>>>) => void): SynthesizedStack[] {
  return stacks.map((st) => {
    const copy = JSON.parse(JSON.stringify(st)) as SynthesizedStack;
    if (st.id.endsWith(layer)) mutate(copy.json.resource as never);
    return copy;
  });
}

describe("GIVEN the prod stacks with every image pinned, the KMS keys and Object Lock on (mutation tests of issue 26's rules)", () => {
  let s: Settings;
  let stacks: SynthesizedStack[];
  // No settings waivers: prod's Image.1 waiver would cover the broken image.
  const found = (st: readonly SynthesizedStack[], id: string) =>
    evaluatePolicy(st, []).violations.filter((v) => v.rule.id === id).map((v) => `${v.address}${v.part ? `#${v.part}` : ""}: ${v.detail}`);
  beforeAll(async () => {
    s = await settingsWith(HARDENED as never);
    stacks = synthesizedStacks(s);
  });

  it("WHEN the pack runs on the intact copy THEN none of these rules finds anything (Image.1's settings waiver is then unused)", () => {
    const report = evaluatePolicy(stacks, [s]);
    const ids = ["ECR.1", "ECR.2", "ECR.3", "S3.14", "CloudWatch.16", "KMS.4", "KMS.100", "Image.1"];
    expect(report.violations.filter((v) => ids.includes(v.rule.id))).toEqual([]);
    expect(report.waived.filter((w) => ids.includes(w.rule.id))).toEqual([]);
    expect(report.unusedWaivers.map((w) => w.control)).toContain("Image.1");
  });

  it.each<[string, string, (r: Record<string, Record<string, Record<string, any>>>) => void, string]>([
    ["ECR.1", "30-storage", (r) => (r.aws_ecr_registry_scanning_configuration.pull_through_scanning.rule[0].repository_filter = [{ filter: "ecr-public/*", filter_type: "WILDCARD" }]), "aws_ecr_pull_through_cache_rule.pull_through_docker_hub: no registry scanning rule scans docker-hub/grafana/alloy, docker-hub/grafana/grafana, docker-hub/grafana/loki, docker-hub/grafana/mimir, docker-hub/grafana/pyroscope, docker-hub/grafana/tempo on push, which tasks pull through it"],
    ["ECR.2", "30-storage", (r) => (r.aws_ecr_repository_creation_template.pull_through_ecr_public_template.image_tag_mutability = "MUTABLE"), 'aws_ecr_pull_through_cache_rule.pull_through_ecr_public: tasks pull ecr-public/docker/library/busybox, ecr-public/docker/library/memcached, ecr-public/nginx/nginx through it, and no aws_ecr_repository_creation_template for "ecr-public" makes the repositories ECR creates IMMUTABLE'],
    ["ECR.3", "30-storage", (r) => delete r.aws_ecr_repository_creation_template.pull_through_docker_hub_template, 'aws_ecr_pull_through_cache_rule.pull_through_docker_hub: tasks pull docker-hub/grafana/alloy, docker-hub/grafana/grafana, docker-hub/grafana/loki, docker-hub/grafana/mimir, docker-hub/grafana/pyroscope, docker-hub/grafana/tempo through it, and no aws_ecr_repository_creation_template for "docker-hub" gives the repositories ECR creates a lifecycle policy'],
    ["S3.14", "00-bootstrap", (r) => delete r.aws_s3_bucket_versioning.audit_logs_versioning, "aws_s3_bucket.audit_logs_bucket: no aws_s3_bucket_versioning enables versioning"],
    ["S3.14", "30-storage", (r) => (r.aws_s3_bucket_versioning.data_versioning.versioning_configuration.status = "Suspended"), "aws_s3_bucket.data_bucket: no aws_s3_bucket_versioning enables versioning"],
    ["CloudWatch.16", "60-ecs", (r) => (r.aws_cloudwatch_log_group.gateway_log_group.retention_in_days = 7), "aws_cloudwatch_log_group.gateway_log_group: an audit log group kept 7 days, less than 365"],
    ["KMS.4", "30-storage", (r) => (r.aws_kms_key.data_key_key.enable_key_rotation = false), "aws_kms_key.data_key_key: enable_key_rotation is not true"],
    ["KMS.100", "30-storage", (r) => (r.aws_s3_bucket_server_side_encryption_configuration.data_encryption.rule[0].apply_server_side_encryption_by_default = { sse_algorithm: "AES256" }), "aws_s3_bucket.data_bucket: tagged for a customer managed key, but its default encryption is not aws:kms with a key"],
    ["KMS.100", "60-ecs", (r) => delete r.aws_cloudwatch_log_group.loki_log_group.kms_key_id, "aws_cloudwatch_log_group.loki_log_group: tagged for a customer managed key, but it has no kms_key_id"],
    [
      "Image.1",
      "60-ecs",
      (r) => {
        const t = r.aws_ecs_task_definition.loki_task_definition;
        t.container_definitions = JSON.stringify(JSON.parse(t.container_definitions).map((c: { name: string; image: string }) => (c.name === "loki" ? { ...c, image: c.image.split("@")[0] } : c)));
      },
      'aws_ecs_task_definition.loki_task_definition#loki: container "loki" runs "${data.aws_caller_identity.account.account_id}.dkr.ecr.ap-northeast-2.amazonaws.com/docker-hub/grafana/loki:3.7.6", pinned by tag only',
    ],
  ])("WHEN %s meets a copy broken in %s THEN it names the resource", (id, layer, mutate, expected) => {
    expect(found(stacks, id)).toEqual([]);
    expect(found(broken(stacks, layer, mutate), id)).toEqual([expected]);
  });
});
