/**
 * 00-bootstrap: the S3 bucket that holds every other layer's Terraform state.
 *
 * Applied once per environment, with local state (it cannot live in the bucket it creates).
 * Versioned, so any earlier state can be recovered; protected by `prevent_destroy`.
 *
 * With `audit_logs.enabled` it also owns the environment's log bucket (modules/log-bucket): it must
 * exist before anything logs into it, and this is the first layer applied. Later layers name it by
 * `audit_logs.bucket_name` (settings), not through remote state: this layer's state is local.
 * The state bucket's own S3 server access logs go there (`audit_logs.s3_access_logs`). The log
 * bucket is versioned, optionally under Object Lock (`audit_logs.object_lock`, turned on in place:
 * the bucket is never replaced) and optionally encrypted with its own KMS key (`kms.audit_bucket`).
 */
import type { Construct } from "constructs";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { CustomerKey } from "../modules/kms-key";
import { LogBucket } from "../modules/log-bucket";
import { SecureBucket } from "../modules/secure-bucket";
import { AUDIT_LOG_PREFIXES, auditLogBucket } from "../settings";
import { LayerStack, type LayerStackProps } from "./layer-stack";

/** Old state versions are kept this long, then expire. */
const STATE_HISTORY_DAYS = 90;

export class BootstrapStack extends LayerStack<"00-bootstrap"> {
  constructor(scope: Construct, props: LayerStackProps) {
    super(scope, "00-bootstrap", props);
    const s = this.settings;
    const logBucket = auditLogBucket(s);
    const key =
      logBucket && s.kms.audit_bucket
        ? new CustomerKey(this, "audit_logs_key", {
            name: `${s.project}-${s.env}-audit-logs`,
            description: `${s.project} ${s.env}: the log bucket ${logBucket}`,
            accountIds: s.aws.allowed_account_ids,
            partition: new DataAwsPartition(this, "partition").partition,
            serviceStatements: [
              {
                // VPC flow logs are the only feed a KMS-encrypted log bucket takes (settings/checks.ts).
                Sid: "VpcFlowLogDelivery",
                Effect: "Allow",
                Principal: { Service: "delivery.logs.amazonaws.com" },
                Action: ["kms:GenerateDataKey*", "kms:Encrypt", "kms:Decrypt"],
                Resource: "*",
                Condition: { StringEquals: { "aws:SourceAccount": [...s.aws.allowed_account_ids] } },
              },
            ],
          })
        : undefined;
    const logs = logBucket
      ? new LogBucket(this, "audit_logs", {
          bucketName: logBucket,
          accountIds: s.aws.allowed_account_ids,
          prefixes: AUDIT_LOG_PREFIXES,
          retentionDays: s.audit_logs.retention_days,
          forceDestroy: s.storage.force_destroy,
          objectLock: s.audit_logs.object_lock,
          kmsKeyArn: key?.arn,
        })
      : undefined;
    const stateLogs = auditLogBucket(s, "s3_access_logs");
    const state = new SecureBucket(this, "state", {
      bucketName: s.state_backend.bucket,
      versioned: true,
      preventDestroy: true,
      // The log bucket's policy (its grant to logging.s3.amazonaws.com) before logging is switched on:
      // both are in this layer, and S3 checks the grant when logging is put.
      accessLogs:
        stateLogs && logs
          ? { targetBucket: logs.bucket.id, targetPrefix: `${AUDIT_LOG_PREFIXES.s3}/${s.state_backend.bucket}/`, dependsOn: [logs.policy] }
          : undefined,
    });
    new S3BucketLifecycleConfiguration(this, "state_history", {
      bucket: state.bucket.id,
      rule: [
        {
          id: "expire-old-state-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: STATE_HISTORY_DAYS }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });
    this.publish("state_bucket_name", state.bucket.bucket);
    this.publish("state_bucket_arn", state.bucket.arn);
  }
}
