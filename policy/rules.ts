/**
 * The rules of the policy pack, one per Security Hub control (FSBP unless noted), each checked on
 * the synthesized Terraform JSON, the contract this project ships. A rule reads only literal values
 * and references inside one stack; what a stack reads from another layer is checked in the layer
 * that owns it.
 */
import type { Finding, PolicyRule, SynthesizedStack, TfBlock } from "./types";

/** Every resource of a type in a stack, as [address, block]. */
export function resources(stack: SynthesizedStack, type: string): [string, TfBlock][] {
  return Object.entries(stack.json.resource?.[type] ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, block]) => [`${type}.${name}`, block]);
}

/** The containers of a task definition (its `container_definitions` JSON string). */
export function containers(task: TfBlock): TfBlock[] {
  const text = task.container_definitions;
  if (typeof text !== "string") return [];
  try {
    const parsed = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

/** A nested block as cdktf writes it: an object, or a list of one. */
const one = (v: unknown): TfBlock | undefined => (Array.isArray(v) ? v[0] : v && typeof v === "object" ? (v as TfBlock) : undefined);
/** `${aws_s3_bucket.state_bucket.id}` → "aws_s3_bucket.state_bucket". */
const referenced = (v: unknown): string | undefined => (typeof v === "string" ? /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)\.[a-z_]+\}$/.exec(v)?.[1] : undefined);

/** Buckets of a stack and, per bucket, the address of each sub-resource type pointing at it. */
function bucketChildren(stack: SynthesizedStack, type: string): Set<string> {
  return new Set(resources(stack, type).map(([, b]) => referenced(b.bucket)).filter((x): x is string => !!x));
}

/** Statements allowing every action ("*"), in a JSON policy or a jsonencode() expression. */
export function allowsEveryAction(policy: unknown): boolean {
  if (typeof policy !== "string") return false;
  try {
    const doc = JSON.parse(policy);
    const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    return statements.some((st: TfBlock) => st?.Effect === "Allow" && [st.Action].flat().some((a: unknown) => a === "*" || a === "*:*"));
  } catch {
    // jsonencode({...}) as cdktf writes it: `"Action" = "*"` or `"Action" = [..., "*", ...]`.
    const statements = policy.split(/\{"Sid"|\{"Effect"/);
    return statements.some(
      (st) => /"Effect" = "Allow"|^ = "Allow"/.test(st) && /"Action" = ("\*(:\*)?"|\[[^\]]*"\*(:\*)?"[^\]]*\])/.test(st),
    );
  }
}

/** The creation template ECR applies to the repositories a pull-through cache creates under `prefix`. */
function creationTemplate(stack: SynthesizedStack, prefix: string): [string, TfBlock] | undefined {
  return resources(stack, "aws_ecr_repository_creation_template").find(([, t]) => t.prefix === prefix && [t.applied_for ?? []].flat().includes("PULL_THROUGH_CACHE"));
}

/** A registry scanning rule scans `<prefix>/...` repositories on push (or continuously). */
function registryScans(stack: SynthesizedStack, prefix: string): boolean {
  return resources(stack, "aws_ecr_registry_scanning_configuration").some(([, c]) =>
    [c.rule ?? []].flat().some(
      (r: TfBlock) =>
        ["SCAN_ON_PUSH", "CONTINUOUS_SCAN"].includes(r.scan_frequency) &&
        [r.repository_filter ?? []].flat().some((f: TfBlock) => f.filter_type === "WILDCARD" && new RegExp(`^${String(f.filter).split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(`${prefix}/x`)),
    ),
  );
}

/** Minimum days of an audit log group (Security Hub CloudWatch.16's default; settings/checks.ts AUDIT_MIN_RETENTION_DAYS). */
export const AUDIT_RETENTION_DAYS = 365;
/** Tag a bucket or log group carries when the settings encrypt it with a customer managed key (modules/kms-key). */
export const ENCRYPTION_TAG = "Encryption";
export const CUSTOMER_KEY = "customer-managed-kms";

const TLS_POLICIES = /^ELBSecurityPolicy-TLS13-1-[23]-/;
const SECRET_NAME = /PASSWORD|SECRET|ACCESS_KEY|TOKEN|ECS_ENGINE_AUTH_DATA/i;

export const RULES: readonly PolicyRule[] = [
  {
    id: "ELB.1",
    title: "Application Load Balancer should be configured to redirect all HTTP requests to HTTPS",
    reason: "Grafana's login and session cookies, and every pushed sample, would cross the internet in clear text",
    fix: "load_balancer.domain (name + Route 53 zone id) or load_balancer.certificate_arn",
    check: (stack) =>
      resources(stack, "aws_lb_listener")
        .filter(([, l]) => l.protocol === "HTTP")
        .filter(([, l]) => {
          const action = one(l.default_action);
          return !(action?.type === "redirect" && one(action.redirect)?.protocol === "HTTPS");
        })
        .map(([address, l]) => ({ address, detail: `HTTP listener on port ${l.port} serves instead of redirecting to HTTPS` })),
  },
  {
    id: "ELB.4",
    title: "Application Load Balancer should be configured to drop invalid HTTP headers",
    reason: "a lenient backend can be reached with smuggled requests",
    fix: "modules/load-balancer (always on)",
    check: (stack) =>
      resources(stack, "aws_lb")
        .filter(([, lb]) => (lb.load_balancer_type ?? "application") === "application" && lb.drop_invalid_header_fields !== true)
        .map(([address]) => ({ address, detail: "drop_invalid_header_fields is not true" })),
  },
  {
    id: "ELB.5",
    title: "Application and Classic Load Balancers logging should be enabled",
    reason: "without access logs nobody can tell who reached Grafana or the ingestion paths",
    fix: "audit_logs.enabled and audit_logs.alb_access_logs",
    check: (stack) =>
      resources(stack, "aws_lb")
        .filter(([, lb]) => one(lb.access_logs)?.enabled !== true)
        .map(([address]) => ({ address, detail: "access_logs are not enabled" })),
  },
  {
    id: "ELB.6",
    title: "Application, Gateway, and Network Load Balancers should have deletion protection enabled",
    reason: "a stray destroy would change the public DNS name every client uses",
    fix: "load_balancer.deletion_protection",
    check: (stack) =>
      resources(stack, "aws_lb")
        .filter(([, lb]) => lb.enable_deletion_protection !== true)
        .map(([address]) => ({ address, detail: "enable_deletion_protection is not true" })),
  },
  {
    id: "ELB.17",
    title: "Application and Network Load Balancers with listeners should use recommended security policies",
    reason: "TLS below 1.2 and weak ciphers can be downgraded to",
    fix: "load_balancer.ssl_policy (an ELBSecurityPolicy-TLS13-1-2-* or -1-3-* policy)",
    check: (stack) =>
      resources(stack, "aws_lb_listener")
        .filter(([, l]) => l.protocol === "HTTPS" && !(typeof l.ssl_policy === "string" && TLS_POLICIES.test(l.ssl_policy)))
        .map(([address, l]) => ({ address, detail: `ssl_policy ${JSON.stringify(l.ssl_policy)} is not a TLS 1.2+/1.3 policy` })),
  },
  {
    id: "EC2.2",
    title: "VPC default security groups should not allow inbound or outbound traffic",
    reason: "anything placed in the default group by mistake would be reachable",
    fix: "modules/network (always locked)",
    check: (stack) => {
      const vpcs = resources(stack, "aws_vpc").map(([a]) => a);
      const locked = new Set(
        resources(stack, "aws_default_security_group")
          .filter(([, g]) => (g.ingress ?? []).length === 0 && (g.egress ?? []).length === 0)
          .map(([, g]) => referenced(g.vpc_id)),
      );
      return vpcs.filter((v) => !locked.has(v)).map((address) => ({ address, detail: "its default security group is not managed with no rules" }));
    },
  },
  {
    id: "EC2.6",
    title: "VPC flow logging should be enabled in all VPCs",
    reason: "without flow logs a connection from or to a task cannot be traced afterwards",
    fix: "audit_logs.enabled and audit_logs.vpc_flow_logs",
    check: (stack) => {
      const logged = new Set(resources(stack, "aws_flow_log").map(([, f]) => referenced(f.vpc_id)));
      return resources(stack, "aws_vpc")
        .filter(([a]) => !logged.has(a))
        .map(([address]) => ({ address, detail: "no aws_flow_log records its traffic" }));
    },
  },
  {
    id: "S3.5",
    title: "S3 general purpose buckets should require requests to use SSL",
    reason: "a client could read or write data and state over plain HTTP",
    fix: "modules/secure-bucket (always on)",
    check: (stack) => {
      const tls = new Set(
        resources(stack, "aws_s3_bucket_policy")
          .filter(([, p]) => typeof p.policy === "string" && /"aws:SecureTransport"\s*(=|:)\s*"false"/.test(p.policy) && /"Deny"/.test(p.policy))
          .map(([, p]) => referenced(p.bucket)),
      );
      return resources(stack, "aws_s3_bucket")
        .filter(([a]) => !tls.has(a))
        .map(([address]) => ({ address, detail: "no bucket policy denies aws:SecureTransport = false" }));
    },
  },
  {
    id: "S3.8",
    title: "S3 general purpose buckets should block public access",
    reason: "a bucket policy or ACL mistake would publish the data",
    fix: "modules/secure-bucket (always on)",
    check: (stack) => {
      const blocked = new Set(
        resources(stack, "aws_s3_bucket_public_access_block")
          .filter(([, b]) => b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets)
          .map(([, b]) => referenced(b.bucket)),
      );
      return resources(stack, "aws_s3_bucket")
        .filter(([a]) => !blocked.has(a))
        .map(([address]) => ({ address, detail: "no public access block with all four settings true" }));
    },
  },
  {
    id: "S3.9",
    title: "S3 general purpose buckets should have server access logging enabled",
    reason: "without access logs nobody can tell who read or deleted data or state",
    fix: "audit_logs.enabled and audit_logs.s3_access_logs",
    check: (stack) => {
      const logged = bucketChildren(stack, "aws_s3_bucket_logging");
      return resources(stack, "aws_s3_bucket")
        .filter(([a]) => !logged.has(a))
        .map(([address]) => ({ address, detail: "no aws_s3_bucket_logging sends its access logs to the log bucket" }));
    },
  },
  {
    id: "EFS.1",
    title: "Elastic File System should be configured to encrypt file data at-rest",
    reason: "Grafana's database holds users, API keys and sessions",
    fix: "modules/efs-file-system (always on)",
    check: (stack) =>
      resources(stack, "aws_efs_file_system")
        .filter(([, f]) => f.encrypted !== true)
        .map(([address]) => ({ address, detail: "encrypted is not true" })),
  },
  {
    id: "IAM.1",
    title: "IAM policies should not allow full \"*\" administrative privileges",
    reason: "a compromised task would own the account",
    fix: "modules/task-roles (least-privilege policies)",
    check: (stack) =>
      ["aws_iam_role_policy", "aws_iam_policy"].flatMap((type) =>
        resources(stack, type)
          .filter(([, p]) => allowsEveryAction(p.policy))
          .map(([address]) => ({ address, detail: 'a statement allows Action "*"' })),
      ),
  },
  {
    id: "ECR.1",
    title: "ECR private repositories should have image scanning configured",
    reason: "a known-vulnerable image would run unnoticed",
    fix: "ecr.scan_on_push",
    check: (stack) => [
      ...resources(stack, "aws_ecr_repository")
        .filter(([, r]) => one(r.image_scanning_configuration)?.scan_on_push !== true)
        .map(([address]) => ({ address, detail: "scan_on_push is not true" })),
      // The repositories a pull-through cache creates are scanned only by a registry scanning rule covering its prefix.
      ...resources(stack, "aws_ecr_pull_through_cache_rule")
        .filter(([, r]) => !registryScans(stack, String(r.ecr_repository_prefix)))
        .map(([address, r]) => ({ address, detail: `no registry scanning rule scans the repositories it creates under ${r.ecr_repository_prefix}/ on push` })),
    ],
  },
  {
    id: "ECR.2",
    title: "ECR private repositories should have tag immutability configured",
    reason: "a pushed tag could be replaced by a different image under the same name",
    fix: 'ecr.image_tag_mutability = "IMMUTABLE"',
    check: (stack) => [
      ...resources(stack, "aws_ecr_repository")
        .filter(([, r]) => r.image_tag_mutability !== "IMMUTABLE")
        .map(([address, r]) => ({ address, detail: `image_tag_mutability is ${JSON.stringify(r.image_tag_mutability ?? "MUTABLE")}` })),
      ...resources(stack, "aws_ecr_pull_through_cache_rule").flatMap(([address, r]) => {
        const template = creationTemplate(stack, String(r.ecr_repository_prefix));
        if (!template) return [{ address, detail: `no repository creation template for ${r.ecr_repository_prefix}/: ECR creates its repositories MUTABLE` }];
        return template[1].image_tag_mutability === "IMMUTABLE" ? [] : [{ address: template[0], detail: `image_tag_mutability is ${JSON.stringify(template[1].image_tag_mutability ?? "MUTABLE")}` }];
      }),
    ],
  },
  {
    id: "ECR.3",
    title: "ECR repositories should have at least one lifecycle policy configured",
    reason: "old images accumulate and are billed forever",
    fix: "ecr.keep_last_images",
    check: (stack) => {
      const covered = new Set(resources(stack, "aws_ecr_lifecycle_policy").map(([, p]) => referenced(p.repository)));
      return [
        ...resources(stack, "aws_ecr_repository")
          .filter(([a]) => !covered.has(a))
          .map(([address]) => ({ address, detail: "no aws_ecr_lifecycle_policy" })),
        ...resources(stack, "aws_ecr_pull_through_cache_rule").flatMap(([address, r]) => {
          const template = creationTemplate(stack, String(r.ecr_repository_prefix));
          if (!template) return [{ address, detail: `no repository creation template for ${r.ecr_repository_prefix}/: ECR creates its repositories with no lifecycle policy` }];
          return typeof template[1].lifecycle_policy === "string" && template[1].lifecycle_policy.length > 0 ? [] : [{ address: template[0], detail: "no lifecycle_policy" }];
        }),
      ];
    },
  },
  {
    id: "ECS.2",
    title: "ECS services should not have public IP addresses assigned to them automatically",
    reason: "a task with a public address is reachable from the internet past the ALB",
    fix: "modules/fargate-service (private subnets, never a public IP)",
    check: (stack) =>
      resources(stack, "aws_ecs_service")
        .filter(([, s]) => one(s.network_configuration)?.assign_public_ip === true)
        .map(([address]) => ({ address, detail: "assign_public_ip is true" })),
  },
  {
    id: "ECS.4",
    title: "ECS containers should run as non-privileged",
    reason: "a privileged container has the host's devices",
    fix: "modules/fargate-service (never privileged)",
    check: (stack) =>
      resources(stack, "aws_ecs_task_definition").flatMap(([address, t]) =>
        containers(t)
          .filter((c) => c.privileged === true)
          .map((c) => ({ address, part: c.name, detail: `container "${c.name}" is privileged` })),
      ),
  },
  {
    id: "ECS.5",
    title: "ECS containers should be limited to read-only access to root filesystems",
    reason: "an attacker in a container could change its binaries and configuration",
    fix: "modules/fargate-service (readonlyRootFilesystem; writable paths are task volumes)",
    check: (stack) =>
      resources(stack, "aws_ecs_task_definition").flatMap(([address, t]) =>
        containers(t)
          .filter((c) => c.readonlyRootFilesystem !== true)
          .map((c) => ({ address, part: c.name, detail: `container "${c.name}" has a writable root filesystem` })),
      ),
  },
  {
    id: "ECS.8",
    title: "Secrets should not be passed as container environment variables",
    reason: "plain environment variables are readable by anyone who can describe the task definition",
    fix: "grafana.database.password_secret_arn (Secrets Manager through `secrets`)",
    check: (stack) =>
      resources(stack, "aws_ecs_task_definition").flatMap(([address, t]) =>
        containers(t).flatMap((c) =>
          (c.environment ?? [])
            .filter((e: TfBlock) => SECRET_NAME.test(e.name))
            .map((e: TfBlock) => ({ address, part: c.name, detail: `container "${c.name}" sets ${e.name} as a plain environment variable` })),
        ),
      ),
  },
  {
    id: "ECS.9",
    title: "ECS task definitions should have a logging configuration",
    reason: "a container's output would be lost when its task stops",
    fix: "modules/fargate-service (awslogs on every container)",
    check: (stack) =>
      resources(stack, "aws_ecs_task_definition").flatMap(([address, t]) =>
        containers(t)
          .filter((c) => !c.logConfiguration?.logDriver)
          .map((c) => ({ address, part: c.name, detail: `container "${c.name}" has no logConfiguration` })),
      ),
  },
  {
    id: "ECS.12",
    title: "ECS clusters should use Container Insights",
    reason: "task-level CPU, memory and restarts would be invisible",
    fix: 'ecs.container_insights ("enabled" or "enhanced")',
    check: (stack) =>
      resources(stack, "aws_ecs_cluster")
        .filter(([, c]) => ![c.setting ?? []].flat().some((s: TfBlock) => s.name === "containerInsights" && s.value !== "disabled"))
        .map(([address]) => ({ address, detail: "containerInsights is not enabled" })),
  },
  {
    id: "ECS.20",
    title: "ECS task definitions should configure non-root users in Linux container definitions",
    reason: "root in a container is root on every file it can reach, and a step from a container escape",
    fix: "modules/fargate-service (each image's own non-root uid)",
    check: (stack) =>
      resources(stack, "aws_ecs_task_definition").flatMap(([address, t]) =>
        containers(t)
          .filter((c) => typeof c.user !== "string" || /^(0|root)(:|$)/.test(c.user))
          .map((c) => ({ address, part: c.name, detail: `container "${c.name}" runs as ${c.user === undefined ? "the image's user (root unless the image says otherwise)" : `"${c.user}"`}` })),
      ),
  },
  {
    id: "SecretsManager.1",
    title: "Secrets Manager secrets should have automatic rotation enabled",
    reason: "a leaked secret stays valid until someone rotates it by hand",
    fix: "a rotation (docs/operating.md, \"Rotating the Grafana admin password\")",
    check: (stack) => {
      const rotated = new Set(resources(stack, "aws_secretsmanager_secret_rotation").map(([, r]) => referenced(r.secret_id)));
      return resources(stack, "aws_secretsmanager_secret")
        .filter(([a]) => !rotated.has(a))
        .map(([address]) => ({ address, detail: "no aws_secretsmanager_secret_rotation" }));
    },
  },
  // ---------------------------------------------------------------- supply chain, audit trail, KMS (issue 26)
  {
    id: "S3.14",
    title: "S3 general purpose buckets should have versioning enabled",
    reason: "a deleted or overwritten object (state, data, an audit log) could not be recovered",
    fix: "modules/secure-bucket `versioned` (the state, data and log buckets are always versioned)",
    check: (stack) => {
      const versioned = new Set(
        resources(stack, "aws_s3_bucket_versioning")
          .filter(([, v]) => one(v.versioning_configuration)?.status === "Enabled")
          .map(([, v]) => referenced(v.bucket)),
      );
      return resources(stack, "aws_s3_bucket")
        .filter(([a]) => !versioned.has(a))
        .map(([address]) => ({ address, detail: "no aws_s3_bucket_versioning with status Enabled" }));
    },
  },
  {
    id: "CloudWatch.16",
    title: "CloudWatch log groups should be retained for a specified time period",
    reason: `the gateway's access log is the only record of which tenant credential pushed, read or deleted what; an investigation may need to reach back ${AUDIT_RETENTION_DAYS} days`,
    fix: `logs.audit_retention_days (at least ${AUDIT_RETENTION_DAYS})`,
    check: (stack) =>
      resources(stack, "aws_cloudwatch_log_group")
        .filter(([, g]) => g.tags?.AuditTrail === "true")
        // 0 or absent: never expire.
        .filter(([, g]) => typeof g.retention_in_days === "number" && g.retention_in_days > 0 && g.retention_in_days < AUDIT_RETENTION_DAYS)
        .map(([address, g]) => ({ address, detail: `an audit log group kept ${g.retention_in_days} days, less than ${AUDIT_RETENTION_DAYS}` })),
  },
  {
    id: "KMS.4",
    title: "AWS KMS key rotation should be enabled",
    reason: "a key material that never changes widens what one leaked or broken key exposes",
    fix: "modules/kms-key (rotation always on)",
    check: (stack) =>
      resources(stack, "aws_kms_key")
        .filter(([, k]) => k.enable_key_rotation !== true)
        .map(([address]) => ({ address, detail: "enable_key_rotation is not true" })),
  },
  {
    id: "KMS.100",
    title: "Resources the settings encrypt with a customer managed key should be encrypted with it",
    reason: "kms.* asked for a key of the environment's own (rotation, a key policy, CloudTrail of every use); SSE-S3 or CloudWatch's own encryption would silently take its place",
    fix: "kms.data_bucket, kms.audit_bucket, kms.log_groups (modules/secure-bucket, modules/fargate-service)",
    check: (stack) => {
      const kmsBuckets = new Set(
        resources(stack, "aws_s3_bucket_server_side_encryption_configuration")
          .filter(([, e]) => [e.rule ?? []].flat().some((r: TfBlock) => one(r.apply_server_side_encryption_by_default)?.sse_algorithm === "aws:kms" && !!one(r.apply_server_side_encryption_by_default)?.kms_master_key_id))
          .map(([, e]) => referenced(e.bucket)),
      );
      return [
        ...resources(stack, "aws_s3_bucket")
          .filter(([a, b]) => b.tags?.[ENCRYPTION_TAG] === CUSTOMER_KEY && !kmsBuckets.has(a))
          .map(([address]) => ({ address, detail: "tagged for a customer managed key, but its default encryption is not aws:kms with a key" })),
        ...resources(stack, "aws_cloudwatch_log_group")
          .filter(([, g]) => g.tags?.[ENCRYPTION_TAG] === CUSTOMER_KEY && !g.kms_key_id)
          .map(([address]) => ({ address, detail: "tagged for a customer managed key, but it has no kms_key_id" })),
      ];
    },
  },
  {
    id: "Image.1",
    title: "ECS containers should run images pinned by digest",
    reason: "a tag can be re-pushed: the same task definition would then run different code, unreviewed",
    fix: "services.<name>.digest, ecs.config_init_image and cache.image (npm run pin-images -- --env <env>)",
    check: (stack) =>
      resources(stack, "aws_ecs_task_definition").flatMap(([address, t]) =>
        containers(t)
          .filter((c) => typeof c.image !== "string" || !/@sha256:[a-f0-9]{64}$/.test(c.image))
          .map((c) => ({ address, part: c.name, detail: `container "${c.name}" runs ${JSON.stringify(c.image)}, pinned by tag only` })),
      ),
  },
];

/** Control ids of the pack, in order (the settings schema names them in waivers). */
export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);

export type { Finding };
