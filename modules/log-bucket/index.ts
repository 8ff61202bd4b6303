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
 * One lifecycle rule expires every log after `retentionDays` and aborts stale multipart uploads.
 * It does not log its own access (that would log its own log deliveries without end; a code waiver
 * of S3.9 in policy/code-waivers.ts says so). Modelled on terraform-aws-modules/s3-bucket's
 * `attach_elb_log_delivery_policy` / `attach_lb_log_delivery_policy` / `attach_access_log_delivery_policy`.
 */
import type { Construct } from "constructs";
import { DataAwsElbServiceAccount } from "@cdktf/provider-aws/lib/data-aws-elb-service-account";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
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
}

export class LogBucket extends SecureBucket {
  readonly lifecycle: S3BucketLifecycleConfiguration;

  constructor(scope: Construct, id: string, props: LogBucketProps) {
    const accounts = [...props.accountIds];
    const p = props.prefixes;
    const sourceAccount = { StringEquals: { "aws:SourceAccount": accounts } };
    super(scope, id, {
      bucketName: props.bucketName,
      forceDestroy: props.forceDestroy,
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
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });
  }
}
