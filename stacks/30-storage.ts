/**
 * 30-storage: where the components keep their data, and where their images can live.
 *
 * Owns the data bucket (one prefix per component, settings `storage_prefixes`) with its lifecycle,
 * with `image_source = "ecr"` one ECR repository per service (the tasks' images; no other source
 * creates them: an immutable, scanned repository no task pulls from only made the ECR controls pass
 * on something unused), with `image_source = "pull_through"` the ECR pull-through cache rules of
 * Docker Hub and ECR Public with the creation templates and scanning that make every repository the
 * cache creates immutable, scanned and lifecycled (modules/ecr-pull-through), and, unless `grafana.database` names an external
 * database, the encrypted EFS file system holding Grafana's SQLite database (users, API keys,
 * dashboards saved in the UI), so that it survives every task replacement.
 *
 * Reads 10-network (private subnets) and 20-security (the EFS mount targets' group) for that file
 * system only; with an external database it reads nothing and publishes empty EFS outputs.
 *
 * Grafana's file system: encrypted, TLS-only, elastic throughput, daily AWS Backup backups and
 * `prevent_destroy` unless `storage.force_destroy`; one access point, `/grafana`, where every file
 * operation runs as Grafana's uid/gid 472 (the image's user) and the directory is created 0750; one
 * mount target per private subnet, so Grafana mounts it in whichever AZ its task lands.
 *
 * Encrypted with SSE-S3, or with its own KMS key (`kms.data_bucket`). Versioned (`storage.noncurrent_version_days`): a delete by a component, or by a compromised task
 * role (which has no s3:DeleteObjectVersion), only hides an object for that many days. With
 * `audit_logs.s3_access_logs` its server access logs go to the log bucket.
 *
 * Lifecycle (settings `storage`):
 * - whole bucket: abort incomplete multipart uploads after `abort_incomplete_upload_days`; noncurrent
 *   versions expire `noncurrent_version_days` after they stop being current, and delete markers with
 *   no version left behind them are removed;
 * - each live data prefix (Mimir blocks, Loki, Tempo, Pyroscope): `transitions`, then expiration at
 *   the owning service's `retention_days` + `lifecycle_margin_days` (on a versioned bucket this makes
 *   the object noncurrent; it is gone `noncurrent_version_days` later). This is a backstop behind the
 *   component's own retention (its compactor deletes on time); S3 only removes what it missed, and
 *   never anything a query inside the retention window can still read;
 * - Mimir's ruler and alertmanager prefixes never expire: rule groups and Alertmanager state are
 *   long-lived configuration, not time series.
 * Archive classes (GLACIER, DEEP_ARCHIVE) are rejected by settings/checks.ts: a query over an archived
 * object fails until it is restored.
 */
import type { Construct } from "constructs";
import {
  AUDIT_LOG_PREFIXES,
  PULL_THROUGH_PREFIXES,
  auditLogBucket,
  COMPONENTS,
  SERVICE_NAMES,
  enabledServices,
  STORAGE_PREFIX_KEYS,
  ecrRepositoryName,
  grafanaFileSystemName,
  grafanaStateOnEfs,
  type ServiceName,
  type StoragePrefixKey,
} from "../settings";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { EfsFileSystem } from "../modules/efs-file-system";
import { CustomerKey } from "../modules/kms-key";
import { DataBucket, type ExpiringPrefix } from "../modules/data-bucket";
import { EcrRepositories } from "../modules/ecr-repositories";
import { EcrPullThroughCache } from "../modules/ecr-pull-through";
import { LayerStack, type LayerStackProps } from "./layer-stack";

/**
 * Prefixes holding configuration or state that a component keeps until someone changes it, not data
 * that ages out: an age-based rule would delete a rule group nobody edited for a year.
 */
const LONG_LIVED_PREFIXES: readonly StoragePrefixKey[] = ["mimir_ruler", "mimir_alertmanager"];

/** The user and group the grafana/grafana image runs as: they own every file on the access point. */
export const GRAFANA_UID = 472;
export const GRAFANA_GID = 472;
/** Grafana's directory on its file system (the access point's root). */
export const GRAFANA_EFS_PATH = "/grafana";

export class StorageStack extends LayerStack<"30-storage"> {
  constructor(scope: Construct, props: LayerStackProps) {
    super(scope, "30-storage", props);
    const s = this.settings;
    // The log bucket 00-bootstrap creates, by its name in settings (00-bootstrap's state is local).
    const logBucket = auditLogBucket(s, "s3_access_logs");

    // kms.data_bucket: the bucket's own key. Its policy names only the account (administration);
    // each task role is granted this key alone, through S3 alone (40-iam, modules/task-roles).
    const key = s.kms.data_bucket
      ? new CustomerKey(this, "data_key", {
          name: `${s.project}-${s.env}-data`,
          description: `${s.project} ${s.env}: the data bucket ${s.storage.data_bucket_name}`,
          accountIds: s.aws.allowed_account_ids,
          partition: new DataAwsPartition(this, "partition").partition,
        })
      : undefined;
    const data = new DataBucket(this, "data", {
      bucketName: s.storage.data_bucket_name,
      kmsKeyArn: key?.arn,
      forceDestroy: s.storage.force_destroy,
      // Where the environment does not accept losing its data (force_destroy off), a plan that would
      // destroy or replace the bucket fails instead of being one "yes" away from deleting a year of data.
      preventDestroy: !s.storage.force_destroy,
      abortIncompleteUploadDays: s.storage.abort_incomplete_upload_days,
      // Every prefix keeps its expiry, a switched-off service's too: what it wrote before still expires.
      expiringPrefixes: STORAGE_PREFIX_KEYS.filter((k) => !LONG_LIVED_PREFIXES.includes(k)).map((k) => expiringPrefix(s, k)),
      keptPrefixes: LONG_LIVED_PREFIXES.map((k) => s.storage_prefixes[k]),
      transitions: s.storage.transitions.map((t) => ({ days: t.days, storageClass: t.storage_class })),
      noncurrentVersionDays: s.storage.noncurrent_version_days,
      accessLogs: logBucket ? { targetBucket: logBucket, targetPrefix: `${AUDIT_LOG_PREFIXES.s3}/${s.storage.data_bucket_name}/` } : undefined,
    });

    // The project's own repositories only where the tasks pull from them (image_source = "ecr").
    const ecr = s.image_source !== "ecr" ? undefined : new EcrRepositories(this, "ecr", {
      // A service switched off (services.<name>.enabled = false) has no repository.
      repositories: Object.fromEntries(enabledServices(s).map((n) => [n, ecrRepositoryName(s, n)])),
      keepLastImages: s.ecr.keep_last_images,
      scanOnPush: s.ecr.scan_on_push,
      imageTagMutability: s.ecr.image_tag_mutability,
      // Same switch as the bucket: an environment that may lose its data may lose its images.
      forceDelete: s.storage.force_destroy,
    });

    // Adoption (docs/migration.md): the existing bucket and repositories are imported into the same
    // addresses a fresh deployment creates, so nothing is recreated and the data stays where it is.
    if (s.adopt.data_bucket) this.adopt(data.bucket, s.storage.data_bucket_name);
    // (settings/checks.ts refuses adopt.ecr_repositories unless image_source = "ecr".)
    if (ecr) for (const n of s.adopt.ecr_repositories as ServiceName[]) this.adopt(ecr.repositories[n], ecrRepositoryName(s, n));
    // image_source = "pull_through": the account's ECR caches Docker Hub and ECR Public.
    if (s.image_source === "pull_through") {
      new EcrPullThroughCache(this, "pull_through", {
        rules: {
          docker_hub: { prefix: PULL_THROUGH_PREFIXES["registry-1.docker.io"], upstreamRegistryUrl: "registry-1.docker.io", credentialArn: s.ecr.docker_hub_credential_arn },
          ecr_public: { prefix: PULL_THROUGH_PREFIXES["public.ecr.aws"], upstreamRegistryUrl: "public.ecr.aws" },
        },
        scanOnPush: s.ecr.scan_on_push,
        keepLastImages: s.ecr.keep_last_images,
        imageTagMutability: s.ecr.image_tag_mutability,
      });
    }

    const grafana = grafanaStateOnEfs(s)
      ? new EfsFileSystem(this, "grafana", {
          name: grafanaFileSystemName(s),
          subnetIdsByAz: Object.fromEntries(
            s.network.availability_zones.map((az, i) => [az, this.remoteListElement("10-network", "private_subnet_ids", i)]),
          ),
          securityGroupIds: [this.remoteString("20-security", "efs_security_group_id")],
          accessPoint: { path: GRAFANA_EFS_PATH, uid: GRAFANA_UID, gid: GRAFANA_GID, permissions: "0750" },
          // Same switch as the bucket: only an environment that may lose its data may lose Grafana's.
          preventDestroy: !s.storage.force_destroy,
          backups: !s.storage.force_destroy,
        })
      : undefined;

    this.publish("data_bucket_name", data.bucket.bucket);
    this.publish("data_bucket_arn", data.bucket.arn);
    this.publish("data_bucket_kms_key_arn", key?.arn ?? "");
    this.publish("ecr_repository_urls", ecr?.urls ?? {});
    this.publish("ecr_repository_arns", ecr?.arns ?? {});
    this.publish("grafana_file_system_id", grafana?.fileSystem.id ?? "");
    this.publish("grafana_file_system_arn", grafana?.fileSystem.arn ?? "");
    this.publish("grafana_access_point_id", grafana?.accessPoint.id ?? "");
    this.publish("grafana_access_point_arn", grafana?.accessPoint.arn ?? "");
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
