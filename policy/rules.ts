/**
 * The rules of the policy pack, one per Security Hub control (FSBP), or per project control
 * (`LGTM.<n>`) where FSBP has none, each checked on the synthesized Terraform JSON, the contract
 * this project ships. A finding is reported in the stack that owns the resource at fault; a rule
 * that needs another layer to judge it (which service a security group serves, which target group
 * a service registers into, which repository a task pulls from) reads that layer through `env`,
 * following remote-state references (./references.ts). Policies are read statement by statement
 * (./iam.ts, ./s3-policy.ts), never matched as text.
 */
import { parse as parseYaml } from "yaml";
import { filterMatches, pulledRepositories } from "./ecr";
import { gatewayRouteViolations } from "./gateway-routes";
import { actionMatches, allowsEverything, everyRole, grants, iamPolicies, readPolicy, statementName, wildcardReason, type Statement } from "./iam";
import { GATEWAY_SERVICE, judgeIngress } from "./reachability";
import { keyOf } from "./references";
import { DEFAULT_BACKEND_PATHS, DEFAULT_UI_SERVICE, forwards, namesBackendPath } from "./routing";
import { deniesInsecureTransport, publicGrants } from "./s3-policy";
import { secretContent } from "./secret-content";
import type { Finding, PolicyEnvironment, PolicyRule, SynthesizedStack, TfBlock } from "./types";

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

/** Whether a policy (JSON or jsonencode()) has an Allow statement of every action ("*" or "*:*"). */
export function allowsEveryAction(policy: unknown): boolean {
  const read = readPolicy(policy);
  return !!read && "statements" in read && read.statements.some((st) => st.effect === "Allow" && st.actions.some(allowsEverything));
}

/** Every readable IAM policy of a stack with its statements; unreadable ones with the reason. */
function policiesOf(stack: SynthesizedStack): { address: string; statements: readonly Statement[]; unreadable?: string }[] {
  return iamPolicies(stack).flatMap(([address, value]) => {
    const read = readPolicy(value, stack);
    if (!read) return [];
    return "statements" in read ? [{ address, statements: read.statements }] : [{ address, statements: [], unreadable: read.unreadable }];
  });
}

/** The bucket a companion resource (`bucket = ${aws_s3_bucket.x.id}`) belongs to, by address. */
const bucketOf = (b: TfBlock) => referenced(b.bucket);

/** The stack's aws_ecr_repository resources tasks pull from (all of them when no task is in view). */
function usedRepositories(stack: SynthesizedStack, pulled: ReturnType<typeof pulledRepositories>): [string, TfBlock][] {
  return resources(stack, "aws_ecr_repository").filter(([address]) => !pulled.tasksInView || pulled.repositories.has(keyOf({ stack: stack.id, address })));
}

/** The stack's pull-through cache rules tasks pull through: [address, prefix, repositories]. */
function usedPullThroughRules(stack: SynthesizedStack, pulled: ReturnType<typeof pulledRepositories>): [string, string, readonly string[]][] {
  return resources(stack, "aws_ecr_pull_through_cache_rule").flatMap(([address, r]) => {
    const repositories = pulled.pullThrough.get(keyOf({ stack: stack.id, address }));
    if (pulled.tasksInView && !repositories) return [];
    return [[address, String(r.ecr_repository_prefix), repositories ?? [`${r.ecr_repository_prefix}/*`]] as [string, string, readonly string[]]];
  });
}

/** The repository creation template ECR applies to pull-through repositories under `prefix` (its own, else ROOT's). */
function creationTemplate(env: PolicyEnvironment, prefix: string): TfBlock | undefined {
  const templates = env.stacks.flatMap((s) => Object.values(s.json.resource?.aws_ecr_repository_creation_template ?? {}));
  const forPullThrough = templates.filter((t) => [t.applied_for ?? []].flat().includes("PULL_THROUGH_CACHE"));
  return forPullThrough.find((t) => t.prefix === prefix) ?? forPullThrough.find((t) => t.prefix === "ROOT");
}

/**
 * Grafana.1's view of a stack: the Cloud Map name and container ports of every service whose task
 * delivers an nginx config that proxies (the gateway), and every Grafana datasource a task delivers
 * (a YAML file with a `datasources:` list in any container's environment).
 */
function gatewaysAndDatasources(stack: SynthesizedStack): { gateways: { name: string; ports: number[] }[]; datasources: { address: string; part: string; ds: TfBlock }[] } {
  const discoveryNames = new Map(resources(stack, "aws_service_discovery_service").map(([a, d]) => [a, String(d.name ?? "")]));
  const tasks = new Map(resources(stack, "aws_ecs_task_definition"));
  const gateways: { name: string; ports: number[] }[] = [];
  for (const [, svc] of resources(stack, "aws_ecs_service")) {
    const task = tasks.get(referenced(svc.task_definition) ?? "");
    const name = discoveryNames.get(referenced(one(svc.service_registries)?.registry_arn) ?? "");
    if (!task || name === undefined) continue;
    const cs = containers(task);
    const proxies = cs.some((c) => (c.environment ?? []).some((e: TfBlock) => typeof e.value === "string" && /\bproxy_pass\s/.test(e.value) && /\blocation\s/.test(e.value)));
    if (proxies) gateways.push({ name, ports: cs.flatMap((c) => (c.portMappings ?? []).map((m: TfBlock) => Number(m.containerPort))) });
  }
  const datasources: { address: string; part: string; ds: TfBlock }[] = [];
  for (const [address, task] of tasks) {
    for (const c of containers(task)) {
      for (const e of c.environment ?? []) {
        if (typeof e.value !== "string" || !/^datasources:/m.test(e.value)) continue;
        let doc: unknown;
        try {
          doc = parseYaml(e.value);
        } catch {
          continue;
        }
        const list = (doc as TfBlock | null)?.datasources;
        if (Array.isArray(list)) for (const ds of list) if (ds && typeof ds === "object") datasources.push({ address, part: c.name, ds });
      }
    }
  }
  return { gateways, datasources };
}

/** Minimum days of an audit log group (Security Hub CloudWatch.16's default; settings/checks.ts AUDIT_MIN_RETENTION_DAYS). */
export const AUDIT_RETENTION_DAYS = 365;
/** Tag a bucket or log group carries when the settings encrypt it with a customer managed key (modules/kms-key). */
export const ENCRYPTION_TAG = "Encryption";
export const CUSTOMER_KEY = "customer-managed-kms";

const TLS_POLICIES = /^ELBSecurityPolicy-TLS13-1-[23]-/;
const SECRET_NAME = /PASSWORD|SECRET|ACCESS_KEY|TOKEN|ECS_ENGINE_AUTH_DATA/i;
/**
 * An endpoint, not a secret, whatever its name says (`GF_AUTH_GENERIC_OAUTH_TOKEN_URL`, an IdP's
 * token endpoint): a `_URL` variable holding an https URL with no user, password, query or fragment.
 */
function plainUrl(e: TfBlock): boolean {
  if (!/_URL$/i.test(String(e?.name)) || typeof e?.value !== "string") return false;
  try {
    const u = new URL(e.value);
    return u.protocol === "https:" && u.username === "" && u.password === "" && u.search === "" && u.hash === "";
  } catch {
    return false;
  }
}

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
    id: "ELB.16",
    title: "Application Load Balancers should be associated with an AWS WAF web ACL",
    reason: "Grafana's login faces the internet: without a web ACL nothing limits password guessing per address or drops requests from known-bad sources and exploit payloads before Grafana parses them",
    fix: "load_balancer.waf.enabled",
    check: (stack) => {
      // An association naming the ALB (by reference) and a web ACL of the stack.
      const acls = new Set(resources(stack, "aws_wafv2_web_acl").map(([a]) => a));
      const associated = new Set(
        resources(stack, "aws_wafv2_web_acl_association")
          .filter(([, a]) => acls.has(referenced(a.web_acl_arn) ?? ""))
          .map(([, a]) => referenced(a.resource_arn)),
      );
      return resources(stack, "aws_lb")
        .filter(([address, lb]) => (lb.load_balancer_type ?? "application") === "application" && lb.internal !== true && !associated.has(address))
        .map(([address]) => ({ address, detail: "no aws_wafv2_web_acl_association associates a web ACL with it" }));
    },
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
          .filter(([, p]) => {
            const address = bucketOf(p);
            const bucket = address ? stack.json.resource?.aws_s3_bucket?.[address.split(".")[1]] : undefined;
            const read = readPolicy(p.policy, stack);
            if (!address || !read || !("statements" in read)) return false;
            const name = typeof bucket?.bucket === "string" ? bucket.bucket : undefined;
            const literalArns = name ? [`arn:aws:s3:::${name}`, `arn:\${data.aws_partition.current.partition}:s3:::${name}`] : [];
            return read.statements.some((st) => deniesInsecureTransport(st, { arnRef: `\${${address}.arn}`, literalArns }));
          })
          .map(([, p]) => bucketOf(p)),
      );
      return resources(stack, "aws_s3_bucket")
        .filter(([a]) => !tls.has(a))
        .map(([address]) => ({ address, detail: "no bucket policy statement denies every request to the bucket and its objects with aws:SecureTransport = false" }));
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
      policiesOf(stack).flatMap(({ address, statements, unreadable }) =>
        unreadable !== undefined
          ? [{ address, detail: `the policy is neither JSON nor jsonencode() of a literal document, so no rule can read it: ${unreadable}` }]
          : statements
              .filter((st) => st.effect === "Allow" && st.actions.some(allowsEverything))
              .map((st) => ({ address, detail: `${statementName(st)} allows Action "${st.actions.find(allowsEverything)}"` })),
      ),
  },
  {
    id: "ECR.1",
    title: "ECR private repositories should have image scanning configured",
    reason: "a known-vulnerable image would run unnoticed",
    fix: "ecr.scan_on_push",
    check: (stack, env) => {
      const pulled = pulledRepositories(env);
      const scanned = (repository: string) =>
        env.stacks.some((s) =>
          Object.values(s.json.resource?.aws_ecr_registry_scanning_configuration ?? {}).some((c) =>
            ([c.rule ?? []].flat() as TfBlock[]).some(
              (r) => ["SCAN_ON_PUSH", "CONTINUOUS_SCAN"].includes(r.scan_frequency) && ([r.repository_filter ?? []].flat() as TfBlock[]).some((f) => filterMatches(String(f.filter), repository)),
            ),
          ),
        );
      return [
        ...usedRepositories(stack, pulled)
          .filter(([, r]) => one(r.image_scanning_configuration)?.scan_on_push !== true)
          .map(([address]) => ({ address, detail: "scan_on_push is not true" })),
        ...usedPullThroughRules(stack, pulled).flatMap(([address, , repositories]) => {
          const unscanned = repositories.filter((r) => !scanned(r));
          return unscanned.length > 0 ? [{ address, detail: `no registry scanning rule scans ${unscanned.join(", ")} on push, which tasks pull through it` }] : [];
        }),
      ];
    },
  },
  {
    id: "ECR.2",
    title: "ECR private repositories should have tag immutability configured",
    reason: "a pushed tag could be replaced by a different image under the same name",
    fix: 'ecr.image_tag_mutability = "IMMUTABLE" (an ECR repository creation template for pull-through repositories)',
    check: (stack, env) => {
      const pulled = pulledRepositories(env);
      return [
        ...usedRepositories(stack, pulled)
          .filter(([, r]) => r.image_tag_mutability !== "IMMUTABLE")
          .map(([address, r]) => ({ address, detail: `image_tag_mutability is ${JSON.stringify(r.image_tag_mutability ?? "MUTABLE")}` })),
        ...usedPullThroughRules(stack, pulled)
          .filter(([, prefix]) => creationTemplate(env, prefix)?.image_tag_mutability !== "IMMUTABLE")
          .map(([address, prefix, repositories]) => ({
            address,
            detail: `tasks pull ${repositories.join(", ")} through it, and no aws_ecr_repository_creation_template for "${prefix}" makes the repositories ECR creates IMMUTABLE`,
          })),
      ];
    },
  },
  {
    id: "ECR.3",
    title: "ECR repositories should have at least one lifecycle policy configured",
    reason: "old images accumulate and are billed forever",
    fix: "ecr.keep_last_images (an ECR repository creation template for pull-through repositories)",
    check: (stack, env) => {
      const pulled = pulledRepositories(env);
      const covered = new Set(resources(stack, "aws_ecr_lifecycle_policy").map(([, p]) => referenced(p.repository)));
      return [
        ...usedRepositories(stack, pulled)
          .filter(([a]) => !covered.has(a))
          .map(([address]) => ({ address, detail: "no aws_ecr_lifecycle_policy" })),
        ...usedPullThroughRules(stack, pulled)
          .filter(([, prefix]) => typeof creationTemplate(env, prefix)?.lifecycle_policy !== "string")
          .map(([address, prefix, repositories]) => ({
            address,
            detail: `tasks pull ${repositories.join(", ")} through it, and no aws_ecr_repository_creation_template for "${prefix}" gives the repositories ECR creates a lifecycle policy`,
          })),
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
    fix: "grafana.database.password_secret_arn (Secrets Manager through `secrets`); a rendered config names its secrets by file or environment reference, never by value",
    check: (stack) =>
      resources(stack, "aws_ecs_task_definition").flatMap(([address, t]) =>
        containers(t).flatMap((c) =>
          [c.environment ?? []].flat().flatMap((e: TfBlock) => {
            if (SECRET_NAME.test(e?.name) && !plainUrl(e)) return [{ address, part: c.name, detail: `container "${c.name}" sets ${e.name} as a plain environment variable` }];
            const content = typeof e?.value === "string" ? secretContent(e.value) : [];
            return content.length > 0 ? [{ address, part: c.name, detail: `container "${c.name}" has ${content.join(" and ")} in the plain value of ${e.name}` }] : [];
          }),
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
    id: "Gateway.1",
    title: "The gateway forwards only the ingest and query routes of its allow-list, each with its role's credential",
    reason: "a backend's other routes (rings, config, debug, admin, ops, deletion, rules) check no tenant: any tenant's credential would reach every tenant's data and the cluster's controls",
    fix: "settings/gateway-routes.ts (the allow-list) and templates/gateway/nginx.conf.hbs",
    check: (stack) => gatewayRouteViolations(stack, containers),
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
  // Rules that read structure across statements, layers and settings (issue 26). Their order is part
  // of the summary line; rules added after these go below them.
  {
    id: "IAM.21",
    title: "IAM customer managed policies that you create should not allow wildcard actions for services",
    reason: "a task role with service:* (or a verb family like s3:Get* on a service holding data, secrets or keys) can do far more than its component needs, and a compromised task all of it",
    fix: "modules/task-roles (name each action the component calls)",
    check: (stack) =>
      policiesOf(stack).flatMap(({ address, statements }) =>
        statements
          .filter((st) => st.effect === "Allow")
          .flatMap((st) => {
            const reasons = st.notActions.length > 0 ? [`NotAction in an Allow grants every action but ${st.notActions.join(", ")}`] : st.actions.map(wildcardReason).filter((r): r is string => !!r);
            return reasons.length > 0 ? [{ address, detail: `${statementName(st)}: ${reasons.join("; ")}` }] : [];
          }),
      ),
  },
  {
    id: "LGTM.1",
    title: "IAM policies should not allow iam:PassRole on every role",
    reason: "passing any role of the account to a new task or function is a step to every permission the account has",
    fix: "modules/task-roles (pass only the named roles a deployment needs, or none)",
    check: (stack) =>
      policiesOf(stack).flatMap(({ address, statements }) =>
        statements
          .filter((st) => st.effect === "Allow" && !st.actions.some(allowsEverything) && grants(st, "iam:PassRole"))
          .filter((st) => st.notResources.length > 0 || st.resources.some(everyRole))
          .map((st) => {
            const via = st.actions.filter((a) => actionMatches(a, "iam:PassRole"));
            return { address, detail: `${statementName(st)} allows iam:PassRole${via.length > 0 && via[0] !== "iam:PassRole" ? ` (through "${via[0]}")` : ""} on ${st.notResources.length > 0 ? `everything but ${st.notResources.join(", ")}` : st.resources.filter(everyRole).join(", ")}` };
          }),
      ),
  },
  {
    id: "S3.2",
    title: "S3 general purpose buckets should block public read access",
    reason: "anyone on the internet could read the metrics, logs, traces, profiles or state in it",
    fix: "the bucket's policy (modules/secure-bucket): no Allow to Principal \"*\" without a condition naming an account, organization, VPC or source",
    check: (stack) => publicAccess(stack, "read"),
  },
  {
    id: "S3.3",
    title: "S3 general purpose buckets should block public write access",
    reason: "anyone on the internet could overwrite or delete the data or the Terraform state in it",
    fix: "the bucket's policy (modules/secure-bucket): no Allow to Principal \"*\" without a condition naming an account, organization, VPC or source",
    check: (stack) => publicAccess(stack, "write"),
  },
  {
    id: "S3.14",
    title: "S3 general purpose buckets should have versioning enabled",
    reason: "an overwritten or deleted object (a block, a state file, an audit log) could not be recovered, and a role that may DeleteObject could destroy data instead of hiding it",
    fix: "modules/secure-bucket `versioned` (data and state buckets are versioned; waive a bucket only with the reason its content may be lost)",
    check: (stack) => {
      const versioned = new Set(
        resources(stack, "aws_s3_bucket_versioning")
          .filter(([, v]) => one(v.versioning_configuration)?.status === "Enabled")
          .map(([, v]) => bucketOf(v)),
      );
      return resources(stack, "aws_s3_bucket")
        .filter(([a, b]) => !versioned.has(a) && one(b.versioning)?.enabled !== true)
        .map(([address]) => ({ address, detail: "no aws_s3_bucket_versioning enables versioning" }));
    },
  },
  {
    id: "EC2.18",
    title: "Security groups should only allow unrestricted incoming traffic for authorized ports",
    reason: "a task port open to the internet is reachable without the ALB's TLS, listener rules and the gateway's authentication",
    fix: "stacks/20-security.ts (only the ALB's listener ports admit 0.0.0.0/0 or ::/0)",
    check: (stack, env) =>
      judgeIngress(env, stack)
        .filter((v) => v.world && !v.listenerPorts)
        .map((v) => ({ address: v.ingress.address, detail: v.problem ?? `${v.ingress.cidr} reaches ports ${v.ingress.fromPort}-${v.ingress.toPort}` })),
  },
  {
    id: "LGTM.2",
    title: "Address ranges should reach only the ALB's listeners and the gateway's port",
    reason: "a backend port reachable from an address range takes requests that never passed the gateway's authentication and tenant checks",
    fix: "load_balancer.ui_allowed_cidrs / .ingest_allowed_cidrs (ALB) and load_balancer.internal_client_cidrs (gateway); backends admit only their consumers' security groups",
    check: (stack, env) =>
      judgeIngress(env, stack)
        .filter((v) => v.problem !== undefined && !(v.world && !v.listenerPorts))
        .map((v) => ({ address: v.ingress.address, detail: v.problem! })),
  },
  {
    id: "LGTM.3",
    title: "ALB rules should send backend paths only to the gateway",
    reason: "a backend behind the ALB without the gateway takes any X-Scope-OrgID: every tenant's data, and its admin and delete routes, for whoever reaches the path",
    fix: "services.<name>.alb_paths only on the gateway; load_balancer.default_service for Grafana's UI",
    check: (stack, env) => {
      const backendPaths = env.settings?.services?.[GATEWAY_SERVICE]?.alb_paths ?? DEFAULT_BACKEND_PATHS;
      const ui = env.settings?.load_balancer.default_service ?? DEFAULT_UI_SERVICE;
      return forwards(env, stack)
        .filter((f) => f.service !== GATEWAY_SERVICE)
        .filter((f) => f.service !== ui || f.paths.some((p) => namesBackendPath(p, backendPaths)))
        .map((f) => ({
          address: f.address,
          detail: `forwards ${f.paths.length > 0 ? f.paths.join(", ") : "every request"} to ${f.targetGroup} (${f.service === undefined ? "no service the pack can name" : `service ${f.service}`}), not to the gateway's target group`,
        }));
    },
  },
  {
    id: "Grafana.1",
    title: "Grafana datasources should query through the authenticating gateway",
    reason:
      "Grafana's datasource proxy forwards any path and method to a datasource's URL, so a datasource naming a backend lets every Grafana user call its admin, ring and delete routes, for every tenant",
    fix: "templates/context.ts grafanaDatasourceUrl (the gateway's Cloud Map name and port, basic auth with the tenant's read credential)",
    check: (stack) => {
      const { gateways, datasources } = gatewaysAndDatasources(stack);
      return datasources.flatMap(({ address, part, ds }): Finding[] => {
        const name = String(ds.name ?? ds.uid ?? "?");
        let url: URL;
        try {
          url = new URL(String(ds.url ?? ""));
        } catch {
          return [{ address, part, detail: `datasource "${name}" has no URL the gateway check can read (${String(ds.url)})` }];
        }
        const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
        const host = url.hostname.split(".")[0];
        const viaGateway = gateways.some((g) => g.name === host && g.ports.includes(port));
        if (!viaGateway) {
          const expected = gateways.length === 0 ? "no task of this stack is a gateway" : `the gateway is ${gateways.map((g) => `${g.name}:${g.ports.join("/")}`).join(", ")}`;
          return [{ address, part, detail: `datasource "${name}" url ${url.origin} bypasses the gateway (${expected})` }];
        }
        if (ds.basicAuth !== true || typeof ds.basicAuthUser !== "string") {
          return [{ address, part, detail: `datasource "${name}" reaches the gateway without basic auth (basicAuth, basicAuthUser): the gateway answers 401` }];
        }
        return [];
      });
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

/** Bucket policies' public Allow statements of one kind, per bucket (S3.2, S3.3). */
function publicAccess(stack: SynthesizedStack, kind: "read" | "write"): Finding[] {
  const policies = resources(stack, "aws_s3_bucket_policy").flatMap(([address, p]) => {
    const read = readPolicy(p.policy, stack);
    return read && "statements" in read ? publicGrants(read.statements, kind).map((g) => ({ address, bucket: bucketOf(p), ...g })) : [];
  });
  const acls = resources(stack, "aws_s3_bucket_acl").filter(([, a]) =>
    (kind === "read" ? ["public-read", "public-read-write", "authenticated-read"] : ["public-read-write"]).includes(a.acl),
  );
  return [
    ...policies.map((g) => ({
      address: g.address,
      detail: `${statementName(g.statement)} (Effect "Allow") lets everyone ${g.actions.join(", ")}${g.bucket ? ` on ${g.bucket}` : ""} with no condition naming an account, organization, network or source`,
    })),
    ...acls.map(([address, a]) => ({ address, detail: `the canned ACL "${a.acl}" lets everyone ${kind}` })),
  ];
}

/** Control ids of the pack, in order (the settings schema names them in waivers). */
export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);

export type { Finding };
