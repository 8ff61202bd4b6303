/**
 * 00-bootstrap: the S3 bucket that holds every other layer's Terraform state.
 *
 * Applied once per environment, with local state (it cannot live in the bucket it creates).
 * Versioned, so any earlier state can be recovered; protected by `prevent_destroy`.
 */
import type { Construct } from "constructs";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { SecureBucket } from "../modules/secure-bucket";
import { LayerStack, type LayerStackProps } from "./layer-stack";

/** Old state versions are kept this long, then expire. */
const STATE_HISTORY_DAYS = 90;

export class BootstrapStack extends LayerStack<"00-bootstrap"> {
  constructor(scope: Construct, props: LayerStackProps) {
    super(scope, "00-bootstrap", props);
    const state = new SecureBucket(this, "state", {
      bucketName: this.settings.state_backend.bucket,
      versioned: true,
      preventDestroy: true,
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
