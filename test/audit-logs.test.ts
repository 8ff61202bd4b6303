/**
 * The audit trail (issue 17): one log bucket in 00-bootstrap receiving the ALB's access logs, the
 * VPC's flow logs and the S3 server access logs of the state and data buckets; the data bucket's
 * versioning with its noncurrent-version expiry; the settings that switch them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Settings } from "../settings";
import { overrideError, settingsWith, shipped } from "./support/settings";
import { resourcesOf, synthLayer, type StackJson } from "./support/synth";

const statements = (policy: string) => {
  // `${jsonencode({...})}` as cdktf writes it: HCL object syntax with "=" between key and value.
  const body = policy.replace(/^\$\{jsonencode\(/, "").replace(/\)\}$/, "");
  return body;
};

describe("GIVEN prod settings (audit_logs on)", () => {
  let s: Settings;
  let boot: StackJson;
  beforeAll(async () => {
    s = await shipped("prod");
    boot = synthLayer(s, "00-bootstrap");
  });

  it("WHEN 00-bootstrap is synthesized THEN the log bucket is private, TLS-only, SSE-S3 and expires logs after audit_logs.retention_days", () => {
    const bucket = resourcesOf(boot, "aws_s3_bucket").audit_logs_bucket;
    expect(bucket.bucket).toBe(s.audit_logs.bucket_name);
    expect(bucket.bucket).toBe("jsj-lgtm-prod-logs");
    expect(resourcesOf(boot, "aws_s3_bucket_public_access_block").audit_logs_public_access).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(resourcesOf(boot, "aws_s3_bucket_server_side_encryption_configuration").audit_logs_encryption.rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe("AES256");
    const rule = resourcesOf(boot, "aws_s3_bucket_lifecycle_configuration").audit_logs_lifecycle.rule[0];
    expect(rule).toMatchObject({ status: "Enabled", filter: [{ prefix: "" }], expiration: [{ days: 365 }] });
  });

  it("WHEN its policy is read THEN the region's ELB account writes alb/, log delivery writes vpc-flow-logs/, S3 logging writes s3/, each for this account only", () => {
    expect(boot.data?.aws_elb_service_account?.audit_logs_elb_account).toBeDefined();
    const policy = statements(resourcesOf(boot, "aws_s3_bucket_policy").audit_logs_policy.policy);
    expect(policy).toContain('"Sid" = "DenyInsecureTransport"');
    expect(policy).toMatch(/"Sid" = "AlbAccessLogs".*"Principal" = \{"AWS" = data\.aws_elb_service_account\.audit_logs_elb_account\.arn\}.*"Resource" = \["\$\{aws_s3_bucket\.audit_logs_bucket\.arn\}\/alb\/AWSLogs\/111111111111\/\*"\]/);
    expect(policy).toMatch(/"Sid" = "VpcFlowLogsWrite".*"Service" = "delivery\.logs\.amazonaws\.com".*vpc-flow-logs\/AWSLogs\/111111111111\/\*.*"aws:SourceAccount" = \["111111111111"\]/);
    expect(policy).toMatch(/"Sid" = "S3ServerAccessLogs".*"Service" = "logging\.s3\.amazonaws\.com".*\/s3\/\*.*"aws:SourceAccount" = \["111111111111"\]/);
  });

  it("WHEN 00-bootstrap is synthesized THEN the state bucket's access logs go to the log bucket under s3/<state bucket>/", () => {
    expect(resourcesOf(boot, "aws_s3_bucket_logging").state_access_logs).toMatchObject({
      bucket: "${aws_s3_bucket.state_bucket.id}",
      target_bucket: "${aws_s3_bucket.audit_logs_bucket.id}",
      target_prefix: "s3/jsj-lgtm-prod-tfstate/",
    });
  });

  it("WHEN 00-bootstrap is synthesized THEN the state bucket's logging waits for the log bucket's policy that lets S3 write there (one-pass apply)", () => {
    // Without it terraform puts both at once and S3 refuses the logging (no grant on the target yet);
    // the emulator tier (test/emulator/) applies the layer in one pass.
    expect(resourcesOf(boot, "aws_s3_bucket_logging").state_access_logs.depends_on).toEqual(["aws_s3_bucket_policy.audit_logs_policy"]);
  });

  it("WHEN 10-network is synthesized THEN the VPC's flow log records all traffic into the log bucket", () => {
    const net = synthLayer(s, "10-network");
    expect(resourcesOf(net, "aws_flow_log").network_flow_log).toMatchObject({
      vpc_id: "${aws_vpc.network_vpc.id}",
      traffic_type: "ALL",
      log_destination_type: "s3",
      log_destination: "arn:${data.aws_partition.network_partition.partition}:s3:::jsj-lgtm-prod-logs/vpc-flow-logs/",
    });
  });

  it("WHEN 30-storage is synthesized THEN the data bucket is versioned, logs into the log bucket and expires noncurrent versions after storage.noncurrent_version_days", () => {
    const storage = synthLayer(s, "30-storage");
    expect(resourcesOf(storage, "aws_s3_bucket_versioning").data_versioning.versioning_configuration).toEqual({ status: "Enabled" });
    expect(resourcesOf(storage, "aws_s3_bucket_logging").data_access_logs).toMatchObject({ target_bucket: "jsj-lgtm-prod-logs", target_prefix: "s3/jsj-lgtm-data-s3/" });
    const rules = resourcesOf(storage, "aws_s3_bucket_lifecycle_configuration").data_lifecycle.rule as Record<string, any>[];
    const noncurrent = rules.find((r) => r.id === "expire-noncurrent-versions");
    expect(noncurrent).toMatchObject({
      status: "Enabled",
      filter: [{ prefix: "" }],
      noncurrent_version_expiration: [{ noncurrent_days: 7 }],
      expiration: [{ expired_object_delete_marker: true }],
    });
    // The per-prefix expirations the retention settings derive are unchanged: on a versioned bucket
    // they make an object noncurrent, and the rule above removes it 7 days later.
    expect(rules.find((r) => r.id === "loki-expire")?.expiration).toEqual([{ days: 365 + 30 }]);
  });

  it("WHEN 50-loadbalancer is synthesized THEN the ALB writes access logs to the log bucket under alb/", () => {
    const lb = synthLayer(s, "50-loadbalancer");
    expect(resourcesOf(lb, "aws_lb").public_alb.access_logs).toEqual({ bucket: "jsj-lgtm-prod-logs", prefix: "alb", enabled: true });
  });
});

describe("GIVEN one feed switched off", () => {
  it("WHEN audit_logs.vpc_flow_logs = false THEN there is no flow log, and the ALB and S3 logs stay", async () => {
    const s = await settingsWith({ audit_logs: { vpc_flow_logs: false } });
    expect(resourcesOf(synthLayer(s, "10-network"), "aws_flow_log")).toEqual({});
    expect(resourcesOf(synthLayer(s, "50-loadbalancer"), "aws_lb").public_alb.access_logs).toMatchObject({ enabled: true });
    expect(Object.keys(resourcesOf(synthLayer(s, "30-storage"), "aws_s3_bucket_logging"))).toEqual(["data_access_logs"]);
  });

  it("WHEN storage.noncurrent_version_days changes THEN the data bucket's rule follows", async () => {
    const s = await settingsWith({ storage: { noncurrent_version_days: 3 } });
    const rules = resourcesOf(synthLayer(s, "30-storage"), "aws_s3_bucket_lifecycle_configuration").data_lifecycle.rule as Record<string, any>[];
    expect(rules.find((r) => r.id === "expire-noncurrent-versions")?.noncurrent_version_expiration).toEqual([{ noncurrent_days: 3 }]);
  });
});

describe("GIVEN dev settings (audit_logs.enabled = false)", () => {
  it("WHEN synthesized THEN there is no log bucket, flow log, access logging or ALB log", async () => {
    const s = await shipped("dev");
    expect(resourcesOf(synthLayer(s, "00-bootstrap"), "aws_s3_bucket").audit_logs_bucket).toBeUndefined();
    expect(resourcesOf(synthLayer(s, "00-bootstrap"), "aws_s3_bucket_logging")).toEqual({});
    expect(resourcesOf(synthLayer(s, "10-network"), "aws_flow_log")).toEqual({});
    expect(resourcesOf(synthLayer(s, "30-storage"), "aws_s3_bucket_logging")).toEqual({});
    expect(resourcesOf(synthLayer(s, "50-loadbalancer"), "aws_lb").public_alb.access_logs).toBeUndefined();
    // The data bucket is versioned in every environment.
    expect(resourcesOf(synthLayer(s, "30-storage"), "aws_s3_bucket_versioning").data_versioning).toBeDefined();
  });
});

describe("GIVEN bad audit-log settings", () => {
  it("WHEN audit logs are on without a bucket name THEN loading fails naming the key", async () => {
    expect(await overrideError({ audit_logs: { bucket_name: undefined } })).toContain(
      "environments/prod.tfvars: audit_logs.bucket_name: audit logs are enabled: name the log bucket 00-bootstrap creates",
    );
  });

  it("WHEN the log bucket is the data bucket THEN loading fails", async () => {
    expect(await overrideError({ audit_logs: { bucket_name: "jsj-lgtm-data-s3" } })).toContain(
      'audit_logs.bucket_name: "jsj-lgtm-data-s3" is also storage.data_bucket_name; the log bucket must be a bucket of its own',
    );
  });

  it("WHEN noncurrent_version_days is 0 THEN loading fails naming the key", async () => {
    expect(await overrideError({ storage: { noncurrent_version_days: 0 } })).toContain("environments/prod.tfvars: storage.noncurrent_version_days: expected a number of days");
  });
});
