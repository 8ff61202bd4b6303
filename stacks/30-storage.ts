/**
 * 30-storage: where the components keep their data, and where their images can live.
 *
 * Owns the data bucket (one prefix per component, settings `storage_prefixes`) with its lifecycle,
 * and one ECR repository per service (used when `image_source = "ecr"`; created either way so that
 * switching the setting needs no storage change). Reads no other layer.
 *
 * Lifecycle (settings `storage`):
 * - whole bucket: abort incomplete multipart uploads after `abort_incomplete_upload_days`;
 * - each live data prefix (Mimir blocks, Loki, Tempo, Pyroscope): `transitions`, then expiration at
 *   the owning service's `retention_days` + `lifecycle_margin_days`. This is a backstop behind the
 *   component's own retention (its compactor deletes on time); S3 only removes what it missed, and
 *   never anything a query inside the retention window can still read;
 * - Mimir's ruler and alertmanager prefixes never expire: rule groups and Alertmanager state are
 *   long-lived configuration, not time series.
 * Archive classes (GLACIER, DEEP_ARCHIVE) are rejected by settings/checks.ts: a query over an archived
 * object fails until it is restored.
 */
import type { Construct } from "constructs";
import { COMPONENTS, SERVICE_NAMES, STORAGE_PREFIX_KEYS, ecrRepositoryName, type ServiceName, type StoragePrefixKey } from "../settings";
import { DataBucket, type ExpiringPrefix } from "../modules/data-bucket";
import { EcrRepositories } from "../modules/ecr-repositories";
import { LayerStack, type LayerStackProps } from "./layer-stack";

/**
 * Prefixes holding configuration or state that a component keeps until someone changes it, not data
 * that ages out: an age-based rule would delete a rule group nobody edited for a year.
 */
const LONG_LIVED_PREFIXES: readonly StoragePrefixKey[] = ["mimir_ruler", "mimir_alertmanager"];

export class StorageStack extends LayerStack<"30-storage"> {
  constructor(scope: Construct, props: LayerStackProps) {
    super(scope, "30-storage", props);
    const s = this.settings;

    const data = new DataBucket(this, "data", {
      bucketName: s.storage.data_bucket_name,
      forceDestroy: s.storage.force_destroy,
      // Where the environment does not accept losing its data (force_destroy off), a plan that would
      // destroy or replace the bucket fails instead of being one "yes" away from deleting a year of data.
      preventDestroy: !s.storage.force_destroy,
      abortIncompleteUploadDays: s.storage.abort_incomplete_upload_days,
      expiringPrefixes: STORAGE_PREFIX_KEYS.filter((k) => !LONG_LIVED_PREFIXES.includes(k)).map((k) => expiringPrefix(s, k)),
      keptPrefixes: LONG_LIVED_PREFIXES.map((k) => s.storage_prefixes[k]),
      transitions: s.storage.transitions.map((t) => ({ days: t.days, storageClass: t.storage_class })),
    });

    const ecr = new EcrRepositories(this, "ecr", {
      repositories: Object.fromEntries(SERVICE_NAMES.map((n) => [n, ecrRepositoryName(s, n)])),
      keepLastImages: s.ecr.keep_last_images,
      scanOnPush: s.ecr.scan_on_push,
      imageTagMutability: s.ecr.image_tag_mutability,
      // Same switch as the bucket: an environment that may lose its data may lose its images.
      forceDelete: s.storage.force_destroy,
    });

    this.publish("data_bucket_name", data.bucket.bucket);
    this.publish("data_bucket_arn", data.bucket.arn);
    this.publish("ecr_repository_urls", ecr.urls);
    this.publish("ecr_repository_arns", ecr.arns);
  }
}

/** The service whose data lives under a storage prefix (COMPONENTS[service].storagePrefixes). */
export function prefixOwner(key: StoragePrefixKey): ServiceName {
  const owner = SERVICE_NAMES.find((n) => COMPONENTS[n].storagePrefixes.includes(key));
  if (!owner) throw new Error(`storage_prefixes.${key} belongs to no service (settings/components.ts storagePrefixes)`);
  return owner;
}

function expiringPrefix(s: LayerStackProps["settings"], key: StoragePrefixKey): ExpiringPrefix {
  const owner = prefixOwner(key);
  const retention = s.services[owner].retention_days;
  // settings/checks.ts requires retention_days of every service with storage; this only guards the type.
  if (retention === undefined) throw new Error(`services.${owner}.retention_days is required: ${owner} keeps data under storage_prefixes.${key}`);
  return { name: key, prefix: s.storage_prefixes[key], expireAfterDays: retention + s.storage.lifecycle_margin_days };
}
