/**
 * DataBucket: the one bucket the components keep their data in, each under its own key prefix, with
 * a lifecycle that can never delete data a component still reads.
 *
 * A SecureBucket (private, SSE, TLS-only; see ../secure-bucket) plus one lifecycle configuration:
 * - whole bucket: abort multipart uploads left incomplete (a crashed upload's parts are billed but
 *   never read by anyone);
 * - each expiring prefix (`<prefix>/`): optional storage-class transitions, then expiration a number
 *   of days after the object was written. The expiration is a backstop, not the retention: each
 *   component deletes its own data at its retention (its compactor), and the caller sets the
 *   expiration to that retention plus a margin, so the bucket only removes what a component missed.
 *   An object is never younger than the data inside it (compaction writes new objects), so expiring
 *   by object age never removes data inside the component's retention window;
 * - kept prefixes: no rule at all. They hold long-lived configuration or state, not time series
 *   (Mimir's rule groups and Alertmanager state): an age-based rule would delete a rule group that
 *   nobody edited for a year.
 *
 * Versioned, with a short undo window: components delete and rewrite objects all the time
 * (compaction, bucket indexes), so a deleted or overwritten object (a noncurrent version) is kept
 * only `noncurrentVersionDays`, then expires, and a delete marker with nothing left behind it is
 * removed. A task role that may DeleteObject but not DeleteObjectVersion can then hide data for that
 * many days, never destroy it. An expiring prefix's age-based expiration makes the object
 * noncurrent, so it is really gone `noncurrentVersionDays` after the prefix's expiration.
 *
 * Modelled on terraform-aws-modules/s3-bucket (`lifecycle_rule`) and aws-cdk's `s3.Bucket`
 * (`lifecycleRules`).
 */
import type { Construct } from "constructs";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { SecureBucket, type SecureBucketProps } from "../secure-bucket";

/** One key prefix whose objects expire. */
export interface ExpiringPrefix {
  /** Readable name of the data, used in the rule id: "loki" gives the rule "loki-expire". */
  readonly name: string;
  /** S3 key segment without slashes; the rule covers `<prefix>/`. */
  readonly prefix: string;
  /** Days after an object is written when S3 deletes it. */
  readonly expireAfterDays: number;
}

/** A move to a cheaper storage class some days after an object is written. */
export interface StorageTransition {
  /** Days after the object is written. */
  readonly days: number;
  /** Target class; only classes readable without a restore make sense for live data. */
  readonly storageClass: string;
}

export interface DataBucketProps extends Omit<SecureBucketProps, "versioned"> {
  /** Days a noncurrent (deleted or overwritten) version is kept; the bucket is versioned. */
  readonly noncurrentVersionDays: number;
  /** Days after which an incomplete multipart upload is aborted (whole bucket). */
  readonly abortIncompleteUploadDays: number;
  /** Prefixes of time series data, expired after the given age. */
  readonly expiringPrefixes: readonly ExpiringPrefix[];
  /**
   * Prefixes that must never expire (configuration and state). No rule is written for them; listing
   * them makes synth fail if an expiring prefix ever names one of them. @default []
   */
  readonly keptPrefixes?: readonly string[];
  /** Storage-class transitions applied to every expiring prefix. @default [] (stay in STANDARD) */
  readonly transitions?: readonly StorageTransition[];
}

/** Rule id of the whole-bucket multipart clean-up. */
export const ABORT_UPLOADS_RULE_ID = "abort-incomplete-uploads";
/** Rule id of the whole-bucket expiry of noncurrent versions and orphaned delete markers. */
export const NONCURRENT_RULE_ID = "expire-noncurrent-versions";
/** Rule id of an expiring prefix. */
export const expireRuleId = (name: string) => `${name.replace(/_/g, "-")}-expire`;

export class DataBucket extends SecureBucket {
  readonly lifecycle: S3BucketLifecycleConfiguration;

  constructor(scope: Construct, id: string, props: DataBucketProps) {
    super(scope, id, { ...props, versioned: true });
    const kept = props.keptPrefixes ?? [];
    const transitions = props.transitions ?? [];
    for (const p of props.expiringPrefixes) {
      if (kept.includes(p.prefix)) {
        throw new Error(`data bucket prefix "${p.prefix}" (${p.name}) is listed as kept and as expiring; kept prefixes must never expire`);
      }
      for (const t of transitions) {
        // S3 rejects a rule whose transition is not before its expiration; say which setting causes it.
        if (t.days >= p.expireAfterDays) {
          throw new Error(`${p.name} objects expire after ${p.expireAfterDays} days, so they cannot move to ${t.storageClass} at day ${t.days}`);
        }
      }
    }

    this.lifecycle = new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.bucket.id,
      rule: [
        {
          id: ABORT_UPLOADS_RULE_ID,
          status: "Enabled",
          filter: [{ prefix: "" }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: props.abortIncompleteUploadDays }],
        },
        {
          id: NONCURRENT_RULE_ID,
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays }],
          expiration: [{ expiredObjectDeleteMarker: true }],
        },
        ...props.expiringPrefixes.map((p) => ({
          id: expireRuleId(p.name),
          status: "Enabled",
          // The trailing slash keeps "loki/" from also matching a sibling such as "loki-old/".
          filter: [{ prefix: `${p.prefix}/` }],
          transition: transitions.length > 0 ? transitions.map((t) => ({ days: t.days, storageClass: t.storageClass })) : undefined,
          expiration: [{ days: p.expireAfterDays }],
        })),
      ],
    });
  }
}
