/**
 * LogBucket: the one bucket of an environment's audit trail.
 *
 * A SecureBucket (private, SSE-S3, TLS-only; SSE-S3 because ALB access logs refuse KMS-encrypted
 * buckets) whose policy lets exactly three AWS delivery services write, each under its own prefix
 * and only for the environment's own accounts:
 * - ALB access logs: the region's Elastic Load Balancing account (`aws_elb_service_account`), at
 *   `<alb>/AWSLogs/<account>/*`;
 * - VPC flow logs: `delivery.logs.amazonaws.com`, at `<vpc-flow-logs>/AWSLogs/<account>/*`, plus the
 *   bucket ACL read it performs first;
 * - S3 server access logs: `logging.s3.amazonaws.com`, at `<s3>/*`.
 * Versioned (Security Hub S3.14): a deleted or overwritten log stays recoverable
 * `NONCURRENT_LOG_DAYS` days. With `objectLock` every log version is write-once for its days
 * (aws_s3_bucket_object_lock_configuration, which turns Object Lock on for the existing versioned
 * bucket in place; `object_lock_enabled` on the bucket itself would replace the bucket and lose every
 * log, so it is never set). One lifecycle rule expires every log after `retentionDays`, removes
 * noncurrent versions and orphaned delete markers, and aborts stale multipart uploads.
 * It does not log its own access (that would log its own log deliveries without end; a code waiver
 * of S3.9 in policy/code-waivers.ts says so). Modelled on terraform-aws-modules/s3-bucket's
 * `attach_elb_log_delivery_policy` / `attach_lb_log_delivery_policy` / `attach_access_log_delivery_policy`.
 */
import type { Construct } from "constructs";
import { DataAwsElbServiceAccount } from "@cdktf/provider-aws/lib/data-aws-elb-service-account";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketObjectLockConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-object-lock-configuration";
import { SecureBucket } from "../secure-bucket";

export interface LogBucketPrefixes {
  /** Prefix of ALB access logs (the ALB's `access_logs.prefix`). */
  readonly alb: string;
  /** Prefix of VPC flow logs (the flow log's destination path). */
  readonly vpcFlowLogs: string;
  /** Prefix under which S3 server access logs arrive (`<s3>/<source bucket>/`). */
  readonly s3: string;
}

export interface LogBucketProps {
  /** Globally unique bucket name. */
  readonly bucketName: string;
  /** Accounts whose resources deliver logs here (the environment's allowed accounts). */
  readonly accountIds: readonly string[];
  /** Key prefix of each feed. */
  readonly prefixes: LogBucketPrefixes;
  /** Days after which a log object expires. */
  readonly retentionDays: number;
  /** Allow `terraform destroy` to empty and delete the bucket. @default false */
  readonly forceDestroy?: boolean;
  /** Write-once retention of every log version. @default none */
  readonly objectLock?: { readonly mode: "GOVERNANCE" | "COMPLIANCE"; readonly days: number };
  /**
   * Customer managed KMS key of the bucket's default encryption; VPC flow log delivery is allowed
   * to use it in its key policy (the caller's). @default none: SSE-S3, which ALB and S3 server access
   * log delivery require
   */
  readonly kmsKeyArn?: string;
}

/** Days a deleted or overwritten log version stays recoverable. */
export const NONCURRENT_LOG_DAYS = 30;

export class LogBucket extends SecureBucket {
  readonly lifecycle: S3BucketLifecycleConfiguration;
  readonly objectLock?: S3BucketObjectLockConfigurationA;

  constructor(scope: Construct, id: string, props: LogBucketProps) {
    const accounts = [...props.accountIds];
    const p = props.prefixes;
    const sourceAccount = { StringEquals: { "aws:SourceAccount": accounts } };
    super(scope, id, {
      bucketName: props.bucketName,
      forceDestroy: props.forceDestroy,
      versioned: true,
      kmsKeyArn: props.kmsKeyArn,
      policyStatements: (arn, self) => [
        {
          Sid: "AlbAccessLogs",
          Effect: "Allow",
          // The region's ELB log-delivery account (e.g. 600734575887 in ap-northeast-2).
          Principal: { AWS: new DataAwsElbServiceAccount(self, "elb_account").arn },
          Action: "s3:PutObject",
          Resource: accounts.map((a) => `${arn}/${p.alb}/AWSLogs/${a}/*`),
        },
        {
          Sid: "VpcFlowLogsWrite",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: accounts.map((a) => `${arn}/${p.vpcFlowLogs}/AWSLogs/${a}/*`),
          Condition: { ...sourceAccount, StringEqualsIfExists: { "s3:x-amz-acl": "bucket-owner-full-control" } },
        },
        {
          Sid: "VpcFlowLogsAclCheck",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: ["s3:GetBucketAcl", "s3:ListBucket"],
          Resource: arn,
          Condition: sourceAccount,
        },
        {
          Sid: "S3ServerAccessLogs",
          Effect: "Allow",
          Principal: { Service: "logging.s3.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: `${arn}/${p.s3}/*`,
          Condition: sourceAccount,
        },
      ],
    });
    this.lifecycle = new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.bucket.id,
      rule: [
        {
          id: "expire-logs",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ days: props.retentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: NONCURRENT_LOG_DAYS }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
        {
          id: "remove-orphaned-delete-markers",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ expiredObjectDeleteMarker: true }],
        },
      ],
      // A lifecycle configuration on a versioned bucket is put after versioning is on.
      dependsOn: this.versioning ? [this.versioning] : undefined,
    });
    if (props.objectLock) {
      this.objectLock = new S3BucketObjectLockConfigurationA(this, "object_lock", {
        bucket: this.bucket.id,
        objectLockEnabled: "Enabled",
        rule: { defaultRetention: { mode: props.objectLock.mode, days: props.objectLock.days } },
        // Object Lock is turned on only for a bucket whose versioning is already on.
        dependsOn: this.versioning ? [this.versioning] : undefined,
      });
    }
  }
}
