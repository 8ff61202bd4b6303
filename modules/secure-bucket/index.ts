/**
 * SecureBucket: an S3 bucket that is private, encrypted and TLS-only by construction.
 *
 * Owns the bucket, its ownership controls (ACLs disabled), default encryption, public access block,
 * optional versioning, a bucket policy that denies any request not made over TLS (plus any statements
 * the caller adds), and optionally its S3 server access logging into a log bucket. Used for the
 * Terraform state bucket, the data bucket and the log bucket.
 */
import { Construct } from "constructs";
import { Fn, type ITerraformDependable, type TerraformResourceLifecycle } from "cdktf";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { CUSTOMER_KEY, ENCRYPTION_TAG } from "../../policy/rules";

export interface SecureBucketProps {
  /** Globally unique bucket name. */
  readonly bucketName: string;
  /** Keep every version of every object (state history). @default false */
  readonly versioned?: boolean;
  /**
   * Default encryption with this customer managed KMS key (SSE-KMS, with an S3 bucket key so S3
   * calls KMS once per bucket key, not per object). @default none: SSE-S3 (AES256)
   */
  readonly kmsKeyArn?: string;
  /** Allow `terraform destroy` to empty and delete the bucket. @default false */
  readonly forceDestroy?: boolean;
  /** Refuse any plan that would destroy the bucket (Terraform `prevent_destroy`). @default false */
  readonly preventDestroy?: boolean;
  /**
   * Statements added to the bucket policy after the TLS-only deny, given the bucket's ARN (e.g. the
   * log-delivery services of a log bucket). @default none
   */
  readonly policyStatements?: (bucketArn: string, bucket: Construct) => Record<string, unknown>[];
  /**
   * Send this bucket's S3 server access logs to `targetBucket` under `targetPrefix`. `dependsOn`: what
   * must exist before logging is switched on, e.g. the target's policy letting S3 write there (S3
   * checks that grant when logging is put; a target in the same stack is otherwise not ordered before
   * it). @default none
   */
  readonly accessLogs?: { readonly targetBucket: string; readonly targetPrefix: string; readonly dependsOn?: ITerraformDependable[] };
}

export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  /** The bucket policy (TLS-only deny plus the caller's statements). */
  readonly policy: S3BucketPolicy;
  /** Resources that must exist before objects are written (encryption, public access block). */
  readonly ready: Construct[];
  /** The versioning configuration, when `versioned`. */
  readonly versioning?: S3BucketVersioningA;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const lifecycle: TerraformResourceLifecycle | undefined = props.preventDestroy ? { preventDestroy: true } : undefined;
    this.bucket = new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      forceDestroy: props.forceDestroy ?? false,
      lifecycle,
      // Says the settings asked for a customer managed key; the policy pack holds the encryption to it.
      tags: props.kmsKeyArn ? { [ENCRYPTION_TAG]: CUSTOMER_KEY } : undefined,
    });
    const ownership = new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    const encryption = new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: props.kmsKeyArn ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn } : { sseAlgorithm: "AES256" },
          bucketKeyEnabled: true,
        },
      ],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, "public_access", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    if (props.versioned) {
      this.versioning = new S3BucketVersioningA(this, "versioning", {
        bucket: this.bucket.id,
        versioningConfiguration: { status: "Enabled" },
      });
    }
    const statements = [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      ...(props.policyStatements?.(this.bucket.arn, this) ?? []),
    ];
    this.policy = new S3BucketPolicy(this, "policy", {
      bucket: this.bucket.id,
      policy: Fn.jsonencode({ Version: "2012-10-17", Statement: statements }),
      // A policy put before the public access block exists can be rejected as public.
      dependsOn: [publicAccess],
    });
    if (props.accessLogs) {
      new S3BucketLoggingA(this, "access_logs", {
        bucket: this.bucket.id,
        targetBucket: props.accessLogs.targetBucket,
        targetPrefix: props.accessLogs.targetPrefix,
        dependsOn: props.accessLogs.dependsOn,
      });
    }
    this.ready = [ownership, encryption, publicAccess];
  }
}
