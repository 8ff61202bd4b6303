/**
 * Monthly cost estimate of one environment, from its settings and the region's price file
 * (cost/prices/<region>.json, overridable in settings `cost.prices`). Pure: `estimateCost(settings,
 * prices)` reads nothing else, so `npm run cost` and the plan review (a before/after delta per layer)
 * call the same function.
 *
 * What it prices, each line tagged with the layer stack that creates the resource:
 * - 60-ecs: per service (and the memcached query cache when `cache.enabled`), Fargate vCPU-hours and GB-hours by CPU architecture and capacity provider
 *   (FARGATE / FARGATE_SPOT split as the service's strategy places tasks), ephemeral storage beyond
 *   the 20 GB Fargate includes, and the service's CloudWatch log group;
 * - 50-loadbalancer: ALB hours and LCU-hours;
 * - 10-network: NAT gateway hours and GB, interface endpoints per AZ;
 * - 30-storage: S3 storage from retention × daily ingest (with a load block), S3 requests, Grafana's EFS;
 * - 40-iam: Secrets Manager (Grafana's admin password).
 * Not priced: data transfer out to the internet, Container Insights metrics, CloudWatch API calls,
 * ECR storage, KMS (AWS-managed keys).
 */
import { tenants } from "../settings/tenants";
import { MANAGED_RULE_GROUPS, WAF_RULE_COUNT } from "../modules/web-acl/rules";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CACHE_NAME,
  grafanaStateOnEfs,
  resolveCache,
  PRICE_KEYS,
  SERVICE_NAMES,
  samplesPerSecond,
  traceMegabytesPerSecond,
  UserError,
  type PriceKey,
  type ServiceName,
  type Settings,
} from "../settings";
import { cpuArchitecture, type CpuArchitecture } from "../settings/architecture";

/** One price of the price file. */
export interface Price {
  readonly usd: number;
  readonly unit: string;
  /** Key of `sources` the figure comes from. */
  readonly source: string;
  /** True where the figure is not a confirmed list price (Spot, figures not checked against a dated page). */
  readonly estimate?: boolean;
  /** How an estimate was made. */
  readonly basis?: string;
  /** Set when settings replaced the file's figure. */
  readonly overridden?: boolean;
}

/** A region's price file. */
export interface PriceList {
  readonly region: string;
  readonly currency: "USD";
  /** Date the figures were taken from the sources. */
  readonly as_of: string;
  readonly note: string;
  readonly sources: Readonly<Record<string, string>>;
  readonly hours_per_month: number;
  readonly prices: Readonly<Record<PriceKey, Price>>;
}

export const PRICES_DIR = path.join(__dirname, "prices");

/** The settings' region has no price file. */
export class MissingPricesError extends UserError {}

/** The price file of `region`, with the settings' `cost.prices` overrides applied. */
export function loadPrices(region: string, overrides: Partial<Record<PriceKey, number>> = {}, dir = PRICES_DIR): PriceList {
  const file = path.join(dir, `${region}.json`);
  if (!fs.existsSync(file)) {
    const known = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)) : [];
    throw new MissingPricesError(
      `no price file for region ${region} (${path.relative(process.cwd(), file)}); regions with prices: ${known.join(", ") || "none"}. Add one with the same keys, or set every price in cost.prices`,
    );
  }
  const list = JSON.parse(fs.readFileSync(file, "utf8")) as PriceList;
  const missing = PRICE_KEYS.filter((k) => list.prices[k] === undefined && overrides[k] === undefined);
  if (missing.length > 0) throw new MissingPricesError(`${path.relative(process.cwd(), file)} lacks ${missing.join(", ")}`);
  return withOverrides(list, overrides);
}

/** `list` with some prices replaced (marked `overridden`, no longer estimates). */
export function withOverrides(list: PriceList, overrides: Partial<Record<PriceKey, number>>): PriceList {
  const prices = { ...list.prices } as Record<PriceKey, Price>;
  for (const [k, usd] of Object.entries(overrides) as [PriceKey, number][]) {
    const base = prices[k] ?? { unit: k, source: "settings" };
    prices[k] = { usd, unit: base.unit, source: "settings (cost.prices)", overridden: true };
  }
  return { ...list, prices };
}

/** One line of the estimate. */
export interface CostLine {
  /** Layer stack that creates the resource ("60-ecs"). */
  readonly layer: string;
  /** Service or infrastructure piece ("mimir", "alb", "nat"). */
  readonly item: string;
  /** What is counted ("FARGATE ARM64 vCPU-hours"). */
  readonly what: string;
  readonly quantity: number;
  readonly unit: string;
  readonly priceKey: PriceKey;
  readonly unitPrice: number;
  /** quantity × unitPrice, unrounded. */
  readonly monthly: number;
  /** The price or the quantity is an estimate. */
  readonly estimate: boolean;
}

export interface CostEstimate {
  readonly env: string;
  readonly region: string;
  readonly currency: "USD";
  readonly pricesAsOf: string;
  readonly hoursPerMonth: number;
  readonly lines: readonly CostLine[];
  /** Sum per item (service or piece), in line order. */
  readonly byItem: Readonly<Record<string, number>>;
  /** Sum per layer stack. */
  readonly byLayer: Readonly<Record<string, number>>;
  readonly total: number;
  /** What the estimate assumed that the settings do not say. */
  readonly assumptions: readonly string[];
}

/** Expected tasks on FARGATE and FARGATE_SPOT: `on_demand_base` first, the rest split 1 : spot_weight. */
export function capacitySplit(tasks: number, spotWeight: number, onDemandBase: number): { onDemand: number; spot: number } {
  if (spotWeight === 0) return { onDemand: tasks, spot: 0 };
  const base = Math.min(tasks, onDemandBase);
  const spot = ((tasks - base) * spotWeight) / (1 + spotWeight);
  return { onDemand: tasks - spot, spot };
}

const ARCH_KEY: Record<CpuArchitecture, "x86_64" | "arm64"> = { X86_64: "x86_64", ARM64: "arm64" };
/** Fargate includes 20 GB of ephemeral storage in every task. */
export const FARGATE_INCLUDED_EPHEMERAL_GB = 20;

/** The monthly estimate of `s` at `prices`. */
export function estimateCost(s: Settings, prices: PriceList): CostEstimate {
  const hours = prices.hours_per_month;
  const u = s.cost.usage;
  const lines: CostLine[] = [];
  const assumptions: string[] = [];
  const add = (layer: string, item: string, what: string, quantity: number, priceKey: PriceKey, estimatedQuantity = false) => {
    const price = prices.prices[priceKey];
    lines.push({
      layer,
      item,
      what,
      quantity,
      unit: price.unit,
      priceKey,
      unitPrice: price.usd,
      monthly: quantity * price.usd,
      estimate: estimatedQuantity || price.estimate === true,
    });
  };

  // 60-ecs: Fargate per service.
  let tasksTotal = 0;
  for (const name of SERVICE_NAMES) {
    const svc = s.services[name];
    // A service switched off (services.<name>.enabled = false) runs no task.
    if (!svc.enabled) continue;
    const arch = cpuArchitecture(s, name);
    const a = ARCH_KEY[arch];
    const { onDemand, spot } = capacitySplit(svc.desired_count, svc.spot_weight, svc.on_demand_base);
    tasksTotal += svc.desired_count;
    const vcpu = svc.cpu / 1024;
    const gb = svc.memory / 1024;
    if (onDemand > 0) {
      add("60-ecs", name, `FARGATE ${arch}: ${fmtTasks(onDemand)} × ${vcpu} vCPU × ${hours} h`, onDemand * vcpu * hours, `fargate_vcpu_hour_${a}`);
      add("60-ecs", name, `FARGATE ${arch}: ${fmtTasks(onDemand)} × ${gb} GB × ${hours} h`, onDemand * gb * hours, `fargate_gb_hour_${a}`);
    }
    // Fargate Spot runs X86_64 only (the checks refuse ARM64 with Spot).
    if (spot > 0) {
      add("60-ecs", name, `FARGATE_SPOT ${arch}: ${fmtTasks(spot)} × ${vcpu} vCPU × ${hours} h`, spot * vcpu * hours, "fargate_spot_vcpu_hour_x86_64");
      add("60-ecs", name, `FARGATE_SPOT ${arch}: ${fmtTasks(spot)} × ${gb} GB × ${hours} h`, spot * gb * hours, "fargate_spot_gb_hour_x86_64");
    }
    const extra = svc.ephemeral_storage_gib - FARGATE_INCLUDED_EPHEMERAL_GB;
    if (extra > 0 && svc.desired_count > 0) {
      add("60-ecs", name, `ephemeral storage beyond 20 GB: ${svc.desired_count} × ${extra} GB × ${hours} h`, svc.desired_count * extra * hours, "fargate_ephemeral_gb_hour");
    }
    const logGb = svc.desired_count * u.container_log_gb_per_task_month;
    if (logGb > 0) {
      add("60-ecs", name, `CloudWatch Logs ingest: ${svc.desired_count} × ${u.container_log_gb_per_task_month} GB`, logGb, "cloudwatch_logs_ingest_gb", true);
      // Steady state: retention_days of a month's logs stay stored.
      const stored = (logGb * s.logs.retention_days) / 30;
      add("60-ecs", name, `CloudWatch Logs storage: ${s.logs.retention_days} days of ${round(logGb)} GB/month`, stored, "cloudwatch_logs_storage_gb_month", true);
    }
  }
  // 60-ecs: the memcached query cache's tasks (settings/cache.ts), on demand, no extra disk.
  const cache = resolveCache(s);
  if (cache.enabled) {
    const arch = cache.cpuArchitecture;
    const a = ARCH_KEY[arch];
    const vcpu = cache.cpu / 1024;
    const gb = cache.memory / 1024;
    tasksTotal += cache.tasks;
    add("60-ecs", CACHE_NAME, `FARGATE ${arch}: ${cache.tasks} × ${vcpu} vCPU × ${hours} h`, cache.tasks * vcpu * hours, `fargate_vcpu_hour_${a}`);
    add("60-ecs", CACHE_NAME, `FARGATE ${arch}: ${cache.tasks} × ${gb} GB × ${hours} h`, cache.tasks * gb * hours, `fargate_gb_hour_${a}`);
    const logGb = cache.tasks * u.container_log_gb_per_task_month;
    if (logGb > 0) {
      add("60-ecs", CACHE_NAME, `CloudWatch Logs ingest: ${cache.tasks} × ${u.container_log_gb_per_task_month} GB`, logGb, "cloudwatch_logs_ingest_gb", true);
      add("60-ecs", CACHE_NAME, `CloudWatch Logs storage: ${s.logs.retention_days} days of ${round(logGb)} GB/month`, (logGb * s.logs.retention_days) / 30, "cloudwatch_logs_storage_gb_month", true);
    }
  }
  assumptions.push(`every task writes ${u.container_log_gb_per_task_month} GB of its own logs to CloudWatch a month (cost.usage.container_log_gb_per_task_month; ${tasksTotal} tasks)`);

  // 50-loadbalancer: ALB hours and LCUs. Ingest goes through the ALB only for ingest_allowed_cidrs.
  add("50-loadbalancer", "alb", `ALB: 1 × ${hours} h`, hours, "alb_hour");
  const albIngestGbPerHour = Object.keys(s.load_balancer.ingest_allowed_cidrs).length > 0 ? ingestGbPerHour(s) : 0;
  const lcu = Math.max(u.alb_base_lcu, albIngestGbPerHour);
  add("50-loadbalancer", "alb", `LCU: ${round(lcu, 3)} LCU × ${hours} h (max of ${u.alb_base_lcu} base and ${round(albIngestGbPerHour, 3)} GB/h processed)`, lcu * hours, "alb_lcu_hour", true);
  assumptions.push(
    albIngestGbPerHour > 0
      ? `the ALB's LCUs are its processed bytes (1 GB/h = 1 LCU): the load block's ingest, which ingest_allowed_cidrs sends through it`
      : `the ALB carries Grafana's UI only (ingest_allowed_cidrs is empty, producers use Cloud Map): ${u.alb_base_lcu} LCU (cost.usage.alb_base_lcu)`,
  );

  // 50-loadbalancer: the web ACL (load_balancer.waf): per web ACL, per rule (a managed rule group is
  // one rule) and per million requests inspected.
  if (s.load_balancer.waf.enabled) {
    add("50-loadbalancer", "waf", "WAF web ACL: 1", 1, "waf_web_acl_month");
    add("50-loadbalancer", "waf", `WAF rules: ${WAF_RULE_COUNT} (2 rate-based, ${MANAGED_RULE_GROUPS.length} AWS managed groups)`, WAF_RULE_COUNT, "waf_rule_month");
    add("50-loadbalancer", "waf", `WAF requests: ${u.alb_requests_per_month / 1e6} million`, u.alb_requests_per_month / 1e6, "waf_requests_per_million", true);
    assumptions.push(`${u.alb_requests_per_month / 1e6} million requests a month through the ALB and its web ACL (cost.usage.alb_requests_per_month)`);
  }

  // 10-network: NAT gateways and interface endpoints.
  const azs = s.network.availability_zones.length;
  const nats = s.network.nat_gateways === "per_az" ? azs : 1;
  add("10-network", "nat", `NAT gateways: ${nats} × ${hours} h`, nats * hours, "nat_gateway_hour");
  add("10-network", "nat", `NAT processed: ${u.nat_gb_per_month} GB`, u.nat_gb_per_month, "nat_gateway_gb", true);
  assumptions.push(`${u.nat_gb_per_month} GB/month through NAT (cost.usage.nat_gb_per_month): S3 goes through the gateway endpoint (free)`);
  const endpoints = s.network.interface_endpoints.length;
  if (endpoints > 0) {
    add("10-network", "endpoints", `interface endpoints: ${endpoints} × ${azs} AZs × ${hours} h`, endpoints * azs * hours, "interface_endpoint_hour");
  }

  // 30-storage: S3 from retention × ingest, requests, EFS.
  for (const stored of s3Storage(s)) {
    add("30-storage", "s3", stored.what, stored.gb, "s3_standard_gb_month", true);
  }
  if (!s.load) assumptions.push("no load block: S3 storage is not estimated (add `load` to settings)");
  add("30-storage", "s3", `PUT requests: ${u.s3_put_requests_per_month / 1000} thousand`, u.s3_put_requests_per_month / 1000, "s3_put_per_1000", true);
  add("30-storage", "s3", `GET requests: ${u.s3_get_requests_per_month / 1000} thousand`, u.s3_get_requests_per_month / 1000, "s3_get_per_1000", true);
  if (grafanaStateOnEfs(s)) add("30-storage", "efs", `Grafana's EFS: ${u.efs_gb} GB`, u.efs_gb, "efs_standard_gb_month", true);

  // 40-iam: the generated Grafana admin password.
  const secrets = 1 + tenants(s).length;
  add("40-iam", "secrets", `Secrets Manager: ${secrets} secrets (Grafana admin password, each tenant's gateway password)`, secrets, "secretsmanager_secret_month");

  const byItem: Record<string, number> = {};
  const byLayer: Record<string, number> = {};
  let total = 0;
  for (const l of lines) {
    byItem[l.item] = (byItem[l.item] ?? 0) + l.monthly;
    byLayer[l.layer] = (byLayer[l.layer] ?? 0) + l.monthly;
    total += l.monthly;
  }
  return { env: s.env, region: prices.region, currency: "USD", pricesAsOf: prices.as_of, hoursPerMonth: hours, lines, byItem, byLayer, total, assumptions };
}

/** GB an hour the load block sends: logs, spans and remote-write samples. */
function ingestGbPerHour(s: Settings): number {
  if (!s.load) return 0;
  const logs = (s.load.logs_gb_per_day ?? 0) / 24;
  const traces = (traceMegabytesPerSecond(s.load) * 3600) / 1000;
  const samples = (samplesPerSecond(s.load) * s.cost.usage.remote_write_bytes_per_sample * 3600) / 1e9;
  return logs + traces + samples;
}

/** Steady-state S3 storage per component: GB stored a day × retention days. */
export function s3Storage(s: Settings): { service: ServiceName; gb: number; what: string }[] {
  const load = s.load;
  if (!load) return [];
  const u = s.cost.usage;
  const out: { service: ServiceName; gb: number; what: string }[] = [];
  const days = (name: ServiceName) => s.services[name].retention_days ?? 0;
  if (load.active_series !== undefined) {
    const perDay = (samplesPerSecond(load) * 86_400 * u.mimir_bytes_per_sample) / 1e9;
    out.push({ service: "mimir", gb: perDay * days("mimir"), what: `Mimir blocks: ${round(perDay)} GB/day (${load.active_series} series / ${load.scrape_interval_seconds} s × ${u.mimir_bytes_per_sample} B) × ${days("mimir")} days` });
  }
  if (load.logs_gb_per_day !== undefined) {
    const perDay = load.logs_gb_per_day / u.log_compression_ratio;
    // Streams kept shorter (loki.retention_streams) are not subtracted: an upper bound.
    out.push({ service: "loki", gb: perDay * days("loki"), what: `Loki chunks: ${round(perDay)} GB/day (${load.logs_gb_per_day} GB ÷ ${u.log_compression_ratio}) × ${days("loki")} days` });
  }
  if (load.spans_per_second !== undefined) {
    const perDay = (traceMegabytesPerSecond(load) * 86_400) / 1000 / u.trace_compression_ratio;
    out.push({ service: "tempo", gb: perDay * days("tempo"), what: `Tempo blocks: ${round(perDay)} GB/day (${round(traceMegabytesPerSecond(load), 3)} MB/s ÷ ${u.trace_compression_ratio}) × ${days("tempo")} days` });
  }
  if (load.profiles_per_second !== undefined && s.services.pyroscope.enabled) {
    const perDay = (load.profiles_per_second * 86_400 * u.stored_bytes_per_profile) / 1e9;
    out.push({ service: "pyroscope", gb: perDay * days("pyroscope"), what: `Pyroscope blocks: ${round(perDay)} GB/day (${load.profiles_per_second}/s × ${u.stored_bytes_per_profile} B) × ${days("pyroscope")} days` });
  }
  return out;
}

function fmtTasks(n: number): string {
  return `${round(n, 2)} task${n === 1 ? "" : "s"}`;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
