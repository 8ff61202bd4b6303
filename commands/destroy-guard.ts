/**
 * The destroy guard: the one list of resource types that hold data or identity, with the reason
 * each one is guarded. `npm run plan` shows a delete or replace of any of them first, in its own
 * block, and exits 3 unless every such address is named with `--allow-destroy <address|glob>`.
 *
 * A rename of a construct in the code changes its Terraform address, which Terraform plans as a
 * delete of the old address and a create of the new one: for a bucket that is the data gone. The
 * guard sees the delete like any other. (Renames that keep the resource need a `moved` block.)
 */

/** Resource type -> what is lost when it is deleted or replaced. */
export const GUARDED_TYPES: Readonly<Record<string, string>> = {
  aws_s3_bucket: "holds data (the Terraform state bucket, Mimir/Loki/Tempo/Pyroscope blocks, rendered configs); a bucket must be emptied to delete, and a new one starts empty",
  aws_efs_file_system: "holds Grafana's database and dashboards; a replacement file system starts empty",
  aws_efs_access_point: "is the path and identity the services mount; a new one gets a new id, so running tasks lose their mount",
  aws_ecr_repository: "holds the pushed images; a deleted repository takes every image with it",
  aws_cloudwatch_log_group: "holds the services' logs; a deleted group takes its retained logs with it",
  aws_service_discovery_private_dns_namespace: "is the Cloud Map namespace every service finds the others by; a new one breaks discovery until every service re-registers",
  aws_secretsmanager_secret: "holds a credential; a deleted secret is scheduled for deletion and its name cannot be reused for up to 30 days",
  aws_vpc: "is the network identity of everything else; replacing it replaces every subnet, security group, endpoint and task",
  aws_lb: "is the public entry point; a new load balancer gets a new DNS name every client and DNS record points at",
};

/** Actions that remove the existing object. */
const DESTRUCTIVE = new Set(["delete", "replace"]);

export interface GuardedChange {
  readonly address: string;
  readonly type: string;
  /** delete or replace. */
  readonly action: string;
  /** Why the type is guarded (GUARDED_TYPES). */
  readonly reason: string;
  /** Why Terraform deletes or replaces it (attribute names or Terraform's reason), never values. */
  readonly detail: string;
  /** The layer whose plan holds it. */
  readonly layer: string;
  /** Named by an --allow-destroy pattern. */
  readonly allowed: boolean;
}

export function isGuarded(type: string, action: string): boolean {
  return DESTRUCTIVE.has(action) && Object.hasOwn(GUARDED_TYPES, type);
}

/**
 * `*` matches any run of characters, `?` one; everything else (including the `[` `]` `"` of an
 * address such as `aws_s3_bucket.data["a"]`) matches itself.
 */
export function globMatches(pattern: string, address: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\"]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`).test(address);
}

/** The patterns that matched none of `addresses`. */
export function unmatchedPatterns(patterns: readonly string[], addresses: readonly string[]): string[] {
  return patterns.filter((p) => !addresses.some((a) => globMatches(p, a)));
}
