/**
 * Cross-field rules: what AWS would reject late (at apply, or worse, at runtime) and what the seeds
 * show can break a running stack. Each rule returns the key to change and why.
 */
import {
  COMPONENTS,
  RING_SERVICES,
  SERVICE_NAMES,
  STORAGE_PREFIX_KEYS,
  patternReachesRoute,
  servedApiRoots,
  servedHealthPaths,
  type ServiceName,
} from "./components";
import { GRAFANA_DATABASE_DEFAULT_PORTS, grafanaStateOnEfs, pullThroughReference } from "./catalog";
import { didYouMean } from "./errors";
import { checkReplication } from "./quorum";
import { checkTenants } from "./tenants";
import { albName, NAME_LIMITS, namePrefix, targetGroupName, TARGET_GROUP_SUFFIX_LENGTH, taskRoleName } from "./names";
import { GRAFANA_DATABASE_SSL_MODES, type Settings } from "./schema";
import { FARGATE_SIZES } from "./fargate";
import { checkSizing } from "./sizing-checks";
import { checkArchitectures } from "./architecture";
import { checkCache } from "./cache";
import { checkEnabled } from "./enabled";
import { checkImageVersions } from "./image-versions";
import { checkSso } from "./sso";

export { FARGATE_SIZES };
import { AUDIT_RETENTION_DAYS, RULE_IDS } from "../policy/rules";

export interface Finding {
  readonly key: string;
  readonly message: string;
}

/** Most CIDRs per ALB listener rule, leaving one condition value for the path pattern. */
export const CIDRS_PER_RULE = 4;
/** Cap on ingest CIDRs so the public listener stays well under its 100-rule quota. */
export const MAX_INGEST_CIDRS = 16;

export function checkSettings(s: Settings): Finding[] {
  return [
    ...checkTaskSizes(s),
    ...checkNetwork(s),
    ...checkPorts(s),
    ...checkRouting(s),
    ...checkStorage(s),
    ...checkCapacity(s),
    ...checkReplication(s),
    ...checkGrafanaState(s),
    ...checkNames(s),
    ...checkSizing(s).errors,
    ...checkArchitectures(s),
    ...checkSelfMonitoring(s),
    ...checkAdoption(s),
    ...checkWaivers(s),
    ...checkAuditLogs(s),
    ...checkPullThrough(s),
    ...checkTenants(s),
    ...checkGatewayRoutes(s),
    ...checkCache(s),
    ...checkLokiSchemaPeriods(s),
    ...checkEnabled(s),
    ...checkImageVersions(s),
    ...checkSso(s),
  ];
}

/**
 * Loki picks a chunk's schema by the period its date falls in, so the adopted periods must be in
 * order and all start before the period this stack writes (loki.schema_from).
 */
function checkLokiSchemaPeriods(s: Settings): Finding[] {
  const out: Finding[] = [];
  const periods = s.loki.previous_schema_periods;
  periods.forEach((p, i) => {
    const key = `loki.previous_schema_periods[${i}].from`;
    if (i > 0 && p.from <= periods[i - 1].from) {
      out.push({ key, message: `"${p.from}" is not after the previous period's "${periods[i - 1].from}"; expected the periods oldest first, each starting after the one before` });
    } else if (p.from >= s.loki.schema_from) {
      out.push({ key, message: `"${p.from}" is not before loki.schema_from "${s.loki.schema_from}"; expected every previous period to start before the TSDB v13 period this stack writes (set loki.schema_from to a day after the old Loki's last period starts, and before this stack's first log line)` });
    }
  });
  return out;
}

/**
 * The gateway serves each backend's routes at the backend's own paths; Pyroscope's only distinct root
 * is its path prefix, so without one its routes would be "/" and swallow every other path.
 */
function checkGatewayRoutes(s: Settings): Finding[] {
  if (s.services.pyroscope.path_prefix !== "") return [];
  return [
    {
      key: "services.pyroscope.path_prefix",
      message: 'the gateway routes profiles by Pyroscope\'s path prefix; without one Pyroscope serves at "/", which the gateway cannot tell from other routes; expected a prefix such as "/pyroscope"',
    },
  ];
}

// ---------------------------------------------------------------- self-monitoring

function checkAdoption(s: Settings): Finding[] {
  const out: Finding[] = [];
  if (s.adopt.ecr_repositories.length > 0 && s.image_source !== "ecr") {
    out.push({
      key: "adopt.ecr_repositories",
      message: `image_source = "${s.image_source}" creates no ${s.project}-<service> repositories to adopt (the tasks pull from ${s.image_source === "pull_through" ? "the pull-through cache" : "the upstream registries"}); remove it, and the existing repositories stay in the account untouched (docs/migration.md), or set image_source = "ecr"`,
    });
  }
  s.adopt.ecr_repositories.forEach((name, i) => {
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) {
      const hint = didYouMean(name, SERVICE_NAMES);
      out.push({ key: `adopt.ecr_repositories[${i}]`, message: `unknown service "${name}"${hint ? `; did you mean "${hint}"?` : ""} (expected one of ${SERVICE_NAMES.join(", ")})` });
    }
  });
  return out;
}

function checkSelfMonitoring(s: Settings): Finding[] {
  const out: Finding[] = [];
  if (s.self_monitoring.tenant === s.tenant_id) {
    out.push({
      key: "self_monitoring.tenant",
      message: `"${s.self_monitoring.tenant}" is also tenant_id; the stack's own series would count against the users' tenant limits (expected a tenant of its own, e.g. "meta")`,
    });
  }
  if (s.ecs.container_insights === "disabled") {
    out.push({
      key: "ecs.container_insights",
      message: `"disabled" leaves the tasks-below-desired alarms without data (they read Container Insights' RunningTaskCount and alarm on missing data); expected "enabled" or "enhanced"`,
    });
  }
  if (s.services.alloy.desired_count > 1) {
    out.push({
      key: "services.alloy.desired_count",
      message: `${s.services.alloy.desired_count} Alloy tasks would each scrape every component for self-monitoring (Alloy clustering is not configured), writing every series twice or more; expected 1`,
    });
  }
  return out;
}

function checkTaskSizes(s: Settings): Finding[] {
  const out: Finding[] = [];
  for (const name of SERVICE_NAMES) {
    const { cpu, memory } = s.services[name];
    const allowed = FARGATE_SIZES[cpu];
    if (!allowed) {
      out.push({ key: `services.${name}.cpu`, message: `Fargate does not offer ${cpu} CPU units; expected one of ${Object.keys(FARGATE_SIZES).join(", ")} (1024 = 1 vCPU)` });
    } else if (!allowed.includes(memory)) {
      out.push({
        key: `services.${name}.memory`,
        message: `Fargate does not offer ${memory} MiB with ${cpu} CPU units; expected ${describeMemory(allowed)}`,
      });
    }
  }
  return out;
}

function describeMemory(allowed: readonly number[]): string {
  if (allowed.length <= 3) return allowed.join(", ");
  return `${allowed[0]} to ${allowed[allowed.length - 1]} in steps of ${allowed[1] - allowed[0]}`;
}

// ---------------------------------------------------------------- network

export function parseCidr(cidr: string): { start: number; end: number; bits: number } {
  const [ip, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  const start = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - bits);
  const aligned = start - (start % size);
  return { start: aligned, end: aligned + size - 1, bits };
}

function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.start <= y.end && y.start <= x.end;
}

function within(inner: string, outer: string): boolean {
  const i = parseCidr(inner);
  const o = parseCidr(outer);
  return i.start >= o.start && i.end <= o.end;
}

function isNetworkAddress(cidr: string): boolean {
  const [ip] = cidr.split("/");
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0) === parseCidr(cidr).start;
}

function checkNetwork(s: Settings): Finding[] {
  const out: Finding[] = [];
  const n = s.network;
  const vpc = parseCidr(n.vpc_cidr);
  if (vpc.bits < 16 || vpc.bits > 28) {
    out.push({ key: "network.vpc_cidr", message: `a VPC CIDR must be between /16 and /28, got ${n.vpc_cidr}` });
  }
  if (!isNetworkAddress(n.vpc_cidr)) {
    out.push({ key: "network.vpc_cidr", message: `${n.vpc_cidr} has host bits set; write the network address (${formatIp(vpc.start)}/${vpc.bits})` });
  }
  const azs = n.availability_zones;
  if (azs.length < 2) {
    out.push({
      key: "network.availability_zones",
      message: `expected at least 2 availability zones (an ALB needs subnets in two AZs, and prod must survive an AZ loss), got ${azs.length}`,
    });
  }
  azs.forEach((az, i) => {
    if (!az.startsWith(s.aws.region)) {
      out.push({ key: `network.availability_zones[${i}]`, message: `"${az}" is not in aws.region "${s.aws.region}"` });
    }
    if (azs.indexOf(az) !== i) out.push({ key: `network.availability_zones[${i}]`, message: `"${az}" is listed twice` });
  });
  const subnets: [string, string][] = [];
  for (const kind of ["public_subnet_cidrs", "private_subnet_cidrs"] as const) {
    const list = n[kind];
    if (list.length !== azs.length) {
      out.push({ key: `network.${kind}`, message: `expected one subnet per availability zone (${azs.length}), got ${list.length}` });
    }
    list.forEach((c, i) => {
      const key = `network.${kind}[${i}]`;
      if (!within(c, n.vpc_cidr)) out.push({ key, message: `${c} does not fit in network.vpc_cidr ${n.vpc_cidr}` });
      else if (parseCidr(c).bits > 28) out.push({ key, message: `${c} is smaller than /28, the smallest subnet AWS allows` });
      if (!isNetworkAddress(c)) out.push({ key, message: `${c} has host bits set; write the network address` });
      subnets.push([key, c]);
    });
  }
  for (let i = 0; i < subnets.length; i++) {
    for (let j = i + 1; j < subnets.length; j++) {
      if (overlaps(subnets[i][1], subnets[j][1])) {
        out.push({ key: subnets[j][0], message: `${subnets[j][1]} overlaps ${subnets[i][0]} (${subnets[i][1]})` });
      }
    }
  }
  for (const [name, c] of Object.entries(s.load_balancer.internal_client_cidrs)) {
    if (overlaps(c, n.vpc_cidr) && !within(n.vpc_cidr, c)) {
      out.push({ key: `load_balancer.internal_client_cidrs.${name}`, message: `${c} overlaps the VPC (${n.vpc_cidr}), which is always allowed; list only peered networks` });
    }
  }
  return out;
}

function formatIp(v: number): string {
  return [24, 16, 8, 0].map((sh) => (v >>> sh) & 255).join(".");
}

// ---------------------------------------------------------------- ports

/** Every port a service's task listens on, with the setting that defines it. */
export function taskPorts(s: Settings, name: ServiceName): { key: string; port: number; protocols: ("tcp" | "udp")[] }[] {
  const svc = s.services[name];
  const ports: { key: string; port: number; protocols: ("tcp" | "udp")[] }[] = [{ key: `services.${name}.http_port`, port: svc.http_port, protocols: ["tcp"] }];
  if (svc.grpc_port !== undefined) ports.push({ key: `services.${name}.grpc_port`, port: svc.grpc_port, protocols: ["tcp"] });
  if ((RING_SERVICES as readonly string[]).includes(name)) ports.push({ key: "memberlist_port", port: s.memberlist_port, protocols: ["tcp", "udp"] });
  if (COMPONENTS[name].receivesOtlp) {
    ports.push({ key: "otlp.grpc_port", port: s.otlp.grpc_port, protocols: ["tcp"] });
    ports.push({ key: "otlp.http_port", port: s.otlp.http_port, protocols: ["tcp"] });
  }
  return ports;
}

function checkPorts(s: Settings): Finding[] {
  const out: Finding[] = [];
  for (const name of SERVICE_NAMES) {
    const seen = new Map<number, string>();
    for (const p of taskPorts(s, name)) {
      const first = seen.get(p.port);
      if (first) out.push({ key: p.key, message: `port ${p.port} is already used by ${first} in the ${name} task; each port in a task must be distinct` });
      else seen.set(p.port, p.key);
    }
  }
  return out;
}

// ---------------------------------------------------------------- routing

function checkRouting(s: Settings): Finding[] {
  const out: Finding[] = [];
  const lb = s.load_balancer;
  if (!(SERVICE_NAMES as readonly string[]).includes(lb.default_service)) {
    const hint = didYouMean(lb.default_service, SERVICE_NAMES);
    out.push({ key: "load_balancer.default_service", message: `unknown service "${lb.default_service}"${hint ? `; did you mean "${hint}"?` : ""} (expected one of ${SERVICE_NAMES.join(", ")})` });
  }
  if (Object.keys(lb.ingest_allowed_cidrs).length > MAX_INGEST_CIDRS) {
    out.push({ key: "load_balancer.ingest_allowed_cidrs", message: `at most ${MAX_INGEST_CIDRS} named CIDRs (each path needs one listener rule per ${CIDRS_PER_RULE} CIDRs); summarise them into wider ranges` });
  }
  const claimed = new Map<string, ServiceName>();
  for (const name of SERVICE_NAMES) {
    const svc = s.services[name];
    const profile = COMPONENTS[name];
    const prefixKey = `services.${name}.path_prefix`;
    if (profile.prefixMode === "none" && svc.path_prefix !== "") {
      out.push({ key: prefixKey, message: `${name} is served from the root and does not take a path prefix; set it to ""` });
    }
    const healthy = servedHealthPaths(name, svc.path_prefix);
    if (svc.health_check_path !== undefined && !healthy.includes(svc.health_check_path)) {
      out.push({ key: `services.${name}.health_check_path`, message: healthMessage(name, svc.path_prefix, svc.health_check_path, healthy) });
    }
    const routes = servedApiRoots(name, svc.path_prefix);
    svc.alb_paths.forEach((pattern, i) => {
      const key = `services.${name}.alb_paths[${i}]`;
      if (!patternReachesRoute(pattern, routes)) {
        out.push({
          key,
          message: `"${pattern}" reaches no route ${name} serves with path_prefix "${svc.path_prefix}" (it serves ${routes.join(", ")}); the ALB forwards the path unchanged, so change the pattern or ${prefixKey}`,
        });
      }
      const owner = claimed.get(pattern);
      if (owner) out.push({ key, message: `"${pattern}" is already routed to ${owner}` });
      else claimed.set(pattern, name);
    });
  }
  return out;
}

function healthMessage(name: ServiceName, prefix: string, path: string, healthy: string[]): string {
  const mode = COMPONENTS[name].prefixMode;
  const why =
    mode === "api"
      ? `Tempo applies path_prefix only to its /api routes (http_api_prefix) and serves /ready at the root, so "${path}" never turns healthy`
      : mode === "server"
        ? `${name} mounts every route under path_prefix "${prefix}", so "${path}" is not served`
        : `${name} is served from the root`;
  return `${why}; expected ${healthy.map((p) => `"${p}"`).join(" or ")} (or omit health_check_path to derive it)`;
}

// ---------------------------------------------------------------- storage

/** Storage classes a service cannot read without a restore: a query on such an object fails. */
const ARCHIVE_CLASSES = ["GLACIER", "DEEP_ARCHIVE"];
/** S3's minimum age for a transition into the IA classes. */
const IA_MINIMUM_DAYS = 30;

/** When each service's objects expire (its retention plus the margin), the earliest first. */
function expiries(s: Settings): { service: ServiceName; days: number }[] {
  return SERVICE_NAMES.flatMap((service) => {
    const retention = s.services[service].retention_days;
    return COMPONENTS[service].storagePrefixes.length > 0 && retention !== undefined ? [{ service, days: retention + s.storage.lifecycle_margin_days }] : [];
  }).sort((a, b) => a.days - b.days);
}

function checkStorage(s: Settings): Finding[] {
  const out: Finding[] = [];
  const prefixes = STORAGE_PREFIX_KEYS.map((k) => [k, s.storage_prefixes[k]] as const);
  prefixes.forEach(([k, v], i) => {
    const other = prefixes.slice(0, i).find(([, w]) => w === v);
    if (other) out.push({ key: `storage_prefixes.${k}`, message: `"${v}" is also storage_prefixes.${other[0]}; each component needs its own prefix or they read each other's objects` });
    if (k.startsWith("mimir_") && !/^[A-Za-z0-9]+$/.test(v)) {
      out.push({ key: `storage_prefixes.${k}`, message: `Mimir accepts only letters and digits in a storage prefix, got "${v}"` });
    }
  });
  for (const name of SERVICE_NAMES) {
    const hasStorage = COMPONENTS[name].storagePrefixes.length > 0;
    const days = s.services[name].retention_days;
    if (hasStorage && days === undefined) {
      out.push({ key: `services.${name}.retention_days`, message: `${name} keeps data in S3; set how many days it is kept` });
    }
    if (!hasStorage && days !== undefined) {
      out.push({ key: `services.${name}.retention_days`, message: `${name} keeps no data in S3; remove retention_days` });
    }
  }
  s.storage.transitions.forEach((t, i) => {
    const key = `storage.transitions[${i}].storage_class`;
    if (ARCHIVE_CLASSES.includes(t.storage_class)) {
      out.push({
        key,
        message: `${t.storage_class} objects must be restored before they can be read, so Mimir, Loki, Tempo and Pyroscope queries over that range would fail (seed 003's Glacier-after-90-days breaks 1-year queries); use GLACIER_IR, STANDARD_IA or INTELLIGENT_TIERING`,
      });
    }
    if (["STANDARD_IA", "ONEZONE_IA"].includes(t.storage_class) && t.days < IA_MINIMUM_DAYS) {
      out.push({ key: `storage.transitions[${i}].days`, message: `S3 moves objects to ${t.storage_class} only after at least ${IA_MINIMUM_DAYS} days, got ${t.days}` });
    }
    // Every live prefix expires at its service's retention plus the margin (stacks/30-storage.ts) and
    // takes every transition: S3 refuses a rule whose transition is not before its expiration.
    const first = expiries(s).find((e) => t.days >= e.days);
    if (first) {
      out.push({
        key: `storage.transitions[${i}].days`,
        message: `${first.service} objects expire after ${first.days} days (services.${first.service}.retention_days ${first.days - s.storage.lifecycle_margin_days} + storage.lifecycle_margin_days ${s.storage.lifecycle_margin_days}), so S3 cannot move them to ${t.storage_class} at day ${t.days}; expected fewer than ${first.days} days, or a longer services.${first.service}.retention_days`,
      });
    }
  });
  return out;
}

// ---------------------------------------------------------------- capacity

function checkCapacity(s: Settings): Finding[] {
  const out: Finding[] = [];
  for (const name of SERVICE_NAMES) {
    const svc = s.services[name];
    if (svc.spot_weight > 0 && COMPONENTS[name].stateful && !s.accept_risks.spot_for_stateful) {
      out.push({
        key: `services.${name}.spot_weight`,
        message: `${name} holds recent data in memory and on local disk; a Spot interruption of several tasks at once can lose it. Set spot_weight = 0, or accept_risks.spot_for_stateful = true for an environment that can lose data`,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- Grafana's state

function checkGrafanaState(s: Settings): Finding[] {
  const out: Finding[] = [];
  const tasks = s.services.grafana.desired_count;
  if (grafanaStateOnEfs(s) && tasks > 1) {
    out.push({
      key: "services.grafana.desired_count",
      message: `Grafana keeps its SQLite database on EFS when grafana.database is not set, and SQLite takes one writer: run 1 task, or set grafana.database to an external PostgreSQL/MySQL to run ${tasks}`,
    });
  }
  const db = s.grafana.database;
  if (db) {
    const modes: readonly string[] = GRAFANA_DATABASE_SSL_MODES[db.type];
    if (db.ssl_mode !== undefined && !modes.includes(db.ssl_mode)) {
      out.push({ key: "grafana.database.ssl_mode", message: `Grafana's ${db.type} driver takes ssl_mode ${modes.map((m) => `"${m}"`).join(", ")}, got "${db.ssl_mode}"` });
    }
    if (db.ssl_mode === "disable" || db.ssl_mode === "false") {
      out.push({ key: "grafana.database.ssl_mode", message: `"${db.ssl_mode}" sends Grafana's database password and data unencrypted; omit ssl_mode for an encrypted connection` });
    }
    const port = db.host.includes(":") ? Number(db.host.split(":")[1]) : GRAFANA_DATABASE_DEFAULT_PORTS[db.type];
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      out.push({ key: "grafana.database.host", message: `port ${db.host.split(":")[1]} is not a port number (1-65535)` });
    }
  }
  return out;
}

// ---------------------------------------------------------------- names

function checkNames(s: Settings): Finding[] {
  const out: Finding[] = [];
  const alb = albName(s);
  if (alb.length > NAME_LIMITS.alb) {
    out.push({ key: "project", message: `the ALB name "${alb}" is ${alb.length} characters; AWS allows ${NAME_LIMITS.alb}. Shorten project or the environment name` });
  }
  for (const name of SERVICE_NAMES) {
    const tg = targetGroupName(s, name, "x".repeat(TARGET_GROUP_SUFFIX_LENGTH));
    if (tg.length > NAME_LIMITS.targetGroup) {
      out.push({ key: "project", message: `the target-group name "${tg}" would be ${tg.length} characters; AWS allows ${NAME_LIMITS.targetGroup}. Shorten project or the environment name` });
    }
    const role = taskRoleName(s, name);
    if (role.length > NAME_LIMITS.iamRole) {
      out.push({ key: "project", message: `the IAM role name "${role}" is over ${NAME_LIMITS.iamRole} characters` });
    }
  }
  if (!/^[a-z]/.test(namePrefix(s))) out.push({ key: "project", message: "must start with a letter" });
  return out;
}

// ---------------------------------------------------------------- policy waivers

function checkWaivers(s: Settings): Finding[] {
  const out: Finding[] = [];
  for (const control of Object.keys(s.accept_risks.waivers)) {
    if (!RULE_IDS.includes(control)) {
      const hint = didYouMean(control, RULE_IDS);
      out.push({
        key: `accept_risks.waivers.${control}`,
        message: `the policy pack has no control "${control}"${hint ? `; did you mean "${hint}"?` : ""} (expected one of: ${RULE_IDS.join(", ")})`,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- audit logs

/** The shortest an audit record is kept unless `accept_risks.short_audit_retention`: the policy pack's CloudWatch.16 minimum. */
export const AUDIT_MIN_RETENTION_DAYS = AUDIT_RETENTION_DAYS;

function checkAuditLogs(s: Settings): Finding[] {
  const a = s.audit_logs;
  const out: Finding[] = [];
  if (!s.accept_risks.short_audit_retention) {
    const short: [string, number, boolean][] = [
      ["audit_logs.retention_days", a.retention_days, a.enabled],
      ["logs.audit_retention_days", s.logs.audit_retention_days, true],
    ];
    for (const [key, days, applies] of short) {
      if (applies && days < AUDIT_MIN_RETENTION_DAYS) {
        out.push({ key, message: `${days} days is less than the ${AUDIT_MIN_RETENTION_DAYS} days an incident investigation may need to reach back; expected at least ${AUDIT_MIN_RETENTION_DAYS}, or set accept_risks.short_audit_retention = true to accept the risk` });
      }
    }
  }
  if (s.kms.audit_bucket) {
    if (!a.enabled) out.push({ key: "kms.audit_bucket", message: "audit_logs.enabled is false: there is no log bucket to encrypt" });
    for (const feed of ["alb_access_logs", "s3_access_logs"] as const) {
      if (a.enabled && a[feed]) out.push({ key: "kms.audit_bucket", message: `AWS delivers ${feed === "alb_access_logs" ? "ALB access logs" : "S3 server access logs"} only to a bucket encrypted with SSE-S3, and audit_logs.${feed} is on; expected kms.audit_bucket = false, or audit_logs.${feed} = false` });
    }
  }
  if (a.object_lock) {
    if (a.object_lock.days > a.retention_days) {
      out.push({ key: "audit_logs.object_lock.days", message: `${a.object_lock.days} days is longer than audit_logs.retention_days (${a.retention_days}): the lifecycle could not remove a log that is still locked; expected at most ${a.retention_days}` });
    }
    if (a.object_lock.mode === "COMPLIANCE" && s.storage.force_destroy) {
      out.push({ key: "audit_logs.object_lock.mode", message: "COMPLIANCE locks cannot be lifted by anyone, so storage.force_destroy could never empty the log bucket; expected GOVERNANCE, or storage.force_destroy = false" });
    }
  }
  if (!a.enabled) return out;
  if (a.bucket_name === undefined) {
    return [...out, { key: "audit_logs.bucket_name", message: "audit logs are enabled: name the log bucket 00-bootstrap creates (or set audit_logs.enabled = false and waive ELB.5, EC2.6 and S3.9)" }];
  }
  const others: [string, string][] = [["storage.data_bucket_name", s.storage.data_bucket_name], ["state_backend.bucket", s.state_backend.bucket]];
  return [
    ...out,
    ...others
      .filter(([, name]) => name === a.bucket_name)
      .map(([key]) => ({ key: "audit_logs.bucket_name", message: `"${a.bucket_name}" is also ${key}; the log bucket must be a bucket of its own` })),
  ];
}

// ---------------------------------------------------------------- ECR pull-through cache

function checkPullThrough(s: Settings): Finding[] {
  if (s.image_source !== "pull_through") return [];
  const out: Finding[] = [];
  const images: [string, string][] = [...SERVICE_NAMES.map((n) => [`services.${n}.image`, s.services[n].image] as [string, string]), ["ecs.config_init_image", s.ecs.config_init_image]];
  for (const [key, image] of images) {
    const cached = pullThroughReference(image, "r");
    if (cached === undefined) {
      out.push({ key, message: `"${image}" is on a registry the pull-through cache has no rule for (Docker Hub and ECR Public only); use image_source = "ecr" or "upstream"` });
    } else if (cached.startsWith("r/docker-hub/") && s.ecr.docker_hub_credential_arn === undefined) {
      out.push({
        key: "ecr.docker_hub_credential_arn",
        message: `image_source = "pull_through" pulls ${image} from Docker Hub, whose pull-through cache rule needs credentials: the ARN of a Secrets Manager secret named "ecr-pullthroughcache/<name>"`,
      });
      break;
    }
  }
  return out;
}
