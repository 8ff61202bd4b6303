/**
 * Questions every layer asks of the service catalog, answered in one place so that the security
 * groups, target groups, health checks and rendered configs can never disagree.
 */
import { SERVICE_NAMES, servedHealthPaths, type ServiceName } from "./components";
import { SECRET_ARN_RE, type Settings } from "./schema";

/** Services the ALB forwards to: those with path rules, and the listener's default service. */
export function albFrontedServices(s: Settings): ServiceName[] {
  return SERVICE_NAMES.filter((n) => s.services[n].enabled && (s.services[n].alb_paths.length > 0 || n === s.load_balancer.default_service));
}

/** `<repository>:<version>`, with `@<digest>` when `services.<name>.digest` pins it. */
export function imageReference(s: Settings, name: ServiceName, repository: string = s.services[name].image): string {
  const svc = s.services[name];
  return `${repository}:${svc.version}${svc.digest ? `@${svc.digest}` : ""}`;
}

/** ECR pull-through cache rules: upstream registry host → the repository prefix in the account's ECR. */
export const PULL_THROUGH_PREFIXES = { "public.ecr.aws": "ecr-public", "registry-1.docker.io": "docker-hub" } as const;

/**
 * Where an image reference is pulled from through the pull-through cache: `grafana/loki` (Docker
 * Hub) → `<registry>/docker-hub/grafana/loki`, `busybox` → `<registry>/docker-hub/library/busybox`,
 * `public.ecr.aws/docker/library/busybox:1.37.0` → `<registry>/ecr-public/docker/library/busybox:1.37.0`.
 * A private ECR image stays as it is. Undefined for a registry the cache has no rule for.
 */
export function pullThroughReference(reference: string, registry: string): string | undefined {
  const [first, ...rest] = reference.split("/");
  const hasHost = rest.length > 0 && /[.:]/.test(first);
  if (!hasHost) return `${registry}/${PULL_THROUGH_PREFIXES["registry-1.docker.io"]}/${rest.length === 0 ? `library/${first}` : reference}`;
  if (first === "docker.io" || first === "registry-1.docker.io") return pullThroughReference(rest.join("/"), registry);
  // Already in a private ECR registry: pulled as it is.
  if (/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com$/.test(first)) return reference;
  const prefix = (PULL_THROUGH_PREFIXES as Record<string, string>)[first];
  return prefix ? `${registry}/${prefix}/${rest.join("/")}` : undefined;
}

/** The ALB serves HTTPS on 443 (and 80 only redirects): a certificate, or a domain to create one for. */
export function albHasTls(s: Settings): boolean {
  return s.load_balancer.certificate_arn !== undefined || s.load_balancer.domain !== undefined;
}

/** The URL users open Grafana at, when the settings name one (`load_balancer.domain`). */
export function grafanaRootUrl(s: Settings): string | undefined {
  return s.load_balancer.domain ? `https://${s.load_balancer.domain.name}/` : undefined;
}

/** The log bucket, when the audit trail is on; `kind` narrows to one of its three feeds. */
export function auditLogBucket(s: Settings, kind?: "alb_access_logs" | "vpc_flow_logs" | "s3_access_logs"): string | undefined {
  const a = s.audit_logs;
  if (!a.enabled || a.bucket_name === undefined) return undefined;
  return kind === undefined || a[kind] ? a.bucket_name : undefined;
}

/** Key prefixes of the log bucket, one per feed. */
export const AUDIT_LOG_PREFIXES = { alb: "alb", vpcFlowLogs: "vpc-flow-logs", s3: "s3" } as const;

/** Health-check path: the service's own setting, else the readiness path its prefix mode serves. */
export function healthCheckPath(s: Settings, name: ServiceName): string {
  const svc = s.services[name];
  return svc.health_check_path ?? servedHealthPaths(name, svc.path_prefix)[0];
}

/**
 * TTL of every Cloud Map A record (the service's tasks' addresses): short, since every task
 * replacement brings a new address. The gateway re-resolves its backends at this interval too
 * (templates/gateway: nginx's `resolver ... valid=`), so one number says how long a replaced task's
 * old address can still be used.
 */
export const CLOUD_MAP_DNS_TTL_SECONDS = 10;

/** `<service>.<namespace>`: the Cloud Map name every task of the service registers under. */
export function serviceHost(s: Settings, name: ServiceName): string {
  return `${name}.${s.service_discovery.namespace}`;
}

/** In-VPC base URL of a service: its Cloud Map name and HTTP port. */
export function serviceEndpoint(s: Settings, name: ServiceName): string {
  return `http://${serviceHost(s, name)}:${s.services[name].http_port}`;
}

/**
 * Grafana keeps users, API keys and UI-saved dashboards in SQLite on the EFS file system of
 * 30-storage: true unless `grafana.database` names an external PostgreSQL/MySQL.
 */
export function grafanaStateOnEfs(s: Settings): boolean {
  return s.grafana.database === undefined;
}

/** The engines' own default ports, used when `grafana.database.host` carries none. */
export const GRAFANA_DATABASE_DEFAULT_PORTS = { postgres: 5432, mysql: 3306 } as const;
/**
 * TLS unless settings say otherwise: "require" encrypts without checking the server's certificate
 * (RDS certificates are not in the image's trust store); MySQL's equivalent is "skip-verify".
 */
export const GRAFANA_DATABASE_DEFAULT_SSL_MODES = { postgres: "require", mysql: "skip-verify" } as const;

/** Grafana's external database, resolved: host with port, TLS mode, and the secret as ECS and IAM name it. */
export interface GrafanaDatabase {
  readonly type: "postgres" | "mysql";
  /** `host:port` (GF_DATABASE_HOST). */
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly user: string;
  readonly sslMode: string;
  /** The container secret's `valueFrom` (may select a JSON key). */
  readonly passwordValueFrom: string;
  /** The secret's own ARN, for the execution role's GetSecretValue. */
  readonly passwordSecretArn: string;
}

export function grafanaDatabase(s: Settings): GrafanaDatabase | undefined {
  const db = s.grafana.database;
  if (!db) return undefined;
  const [hostname, portText] = db.host.split(":");
  const port = portText === undefined ? GRAFANA_DATABASE_DEFAULT_PORTS[db.type] : Number(portText);
  const match = SECRET_ARN_RE.exec(db.password_secret_arn);
  return {
    type: db.type,
    host: `${hostname}:${port}`,
    port,
    name: db.name,
    user: db.user,
    sslMode: db.ssl_mode ?? GRAFANA_DATABASE_DEFAULT_SSL_MODES[db.type],
    passwordValueFrom: db.password_secret_arn,
    passwordSecretArn: match ? match[1] : db.password_secret_arn,
  };
}
