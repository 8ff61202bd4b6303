/**
 * The settings side of sizing from load (settings/sizing.ts): sizes derived for the keys a file leaves
 * out, and the checks of explicit sizes and limits against the declared load.
 */
import { replicationFactor } from "./quorum";
import type { LoadSettings, Settings } from "./schema";
import { tenantOverrides, tenants } from "./tenants";
import {
  deriveSizing,
  fargateSize,
  MIMIR_HEADROOM,
  round,
  SIZED_SERVICES,
  type Sizing,
  type SizedService,
} from "./sizing";

export interface SizingFinding {
  readonly key: string;
  readonly message: string;
}

/** The load key each sized service is derived from. */
const LOAD_KEY: Record<SizedService, string> = { mimir: "active_series", loki: "logs_gb_per_day", tempo: "spans_per_second" };

/** The size keys a load block can derive. */
export const DERIVED_KEYS = ["cpu", "memory", "desired_count", "ephemeral_storage_gib"] as const;

/**
 * Sizes for the keys `services.<mimir|loki|tempo>` leave out, from the load block: the values to merge
 * in before validation, and the problems of the services whose load no Fargate task can hold. Only
 * well-formed numbers of the raw settings are read; anything else is left to the schema's errors.
 */
export function deriveMissingSizes(
  load: LoadSettings,
  rawServices: Readonly<Record<string, unknown>> | undefined,
): { values: Record<string, Record<string, number>>; problems: SizingFinding[] } {
  const values: Record<string, Record<string, number>> = {};
  const problems: SizingFinding[] = [];
  for (const service of SIZED_SERVICES) {
    const raw = (rawServices?.[service] ?? {}) as Record<string, unknown>;
    const num = (k: string) => (typeof raw[k] === "number" && Number.isInteger(raw[k]) ? (raw[k] as number) : undefined);
    const missing = DERIVED_KEYS.filter((k) => raw[k] === undefined);
    if (missing.length === 0) continue;
    const sizing = deriveSizing(service, load, { desired_count: num("desired_count"), replication_factor: num("replication_factor") });
    if (!sizing) {
      problems.push({ key: `services.${service}.${missing[0]}`, message: `is set in neither file, and the load block says nothing about ${service} to derive it from: set it, or add load.${LOAD_KEY[service]}` });
      continue;
    }
    if (!sizing.fargate) {
      problems.push({ key: `services.${service}.${missing[0]}`, message: `cannot be derived from the load block: ${sizing.problem}` });
      continue;
    }
    const derived: Record<(typeof DERIVED_KEYS)[number], number> = {
      cpu: sizing.fargate.cpu,
      memory: sizing.fargate.memory,
      desired_count: sizing.tasks,
      ephemeral_storage_gib: sizing.fargate.ephemeralGiB,
    };
    values[service] = Object.fromEntries(missing.map((k) => [k, derived[k]]));
  }
  return { values, problems };
}

/** The load's sizing of each service for the task count and replication factor the settings run. */
export function sizingOf(s: Settings): Partial<Record<SizedService, Sizing>> {
  const out: Partial<Record<SizedService, Sizing>> = {};
  if (!s.load) return out;
  for (const service of SIZED_SERVICES) {
    const svc = s.services[service];
    const sizing = deriveSizing(service, s.load, { desired_count: svc.desired_count, replication_factor: service === "tempo" ? undefined : replicationFactor(s, service) });
    if (sizing) out[service] = sizing;
  }
  return out;
}

/**
 * Explicit sizes below what the load needs, and Mimir's series limit against the ingesters' memory
 * and the load. `errors` fail synth (`load.undersized = "fail"`); `warnings` are printed.
 */
export function checkSizing(s: Settings): { errors: SizingFinding[]; warnings: SizingFinding[] } {
  const findings: SizingFinding[] = [];
  for (const [service, sizing] of Object.entries(sizingOf(s)) as [SizedService, Sizing][]) {
    const svc = s.services[service];
    if (!sizing.fargate) {
      findings.push({ key: `services.${service}.desired_count`, message: `the declared load does not fit: ${sizing.problem}` });
      continue;
    }
    const per = sizing.perTask;
    const basis = `the load block needs ${round(per.cores)} vCPU, ${round(per.memoryGiB)} GiB and ${round(per.diskGiB)} GiB of disk per task on ${sizing.tasks} task${sizing.tasks === 1 ? "" : "s"} (settings/sizing.ts)`;
    if (svc.cpu < sizing.fargate.cpu) {
      findings.push({ key: `services.${service}.cpu`, message: `${svc.cpu} CPU units is below what ${basis}; expected at least ${sizing.fargate.cpu}, or raise desired_count` });
    }
    if (svc.memory < sizing.fargate.memory) {
      findings.push({ key: `services.${service}.memory`, message: `${svc.memory} MiB is below what ${basis}; expected at least ${sizing.fargate.memory}, or raise desired_count` });
    }
    if (svc.ephemeral_storage_gib < sizing.fargate.ephemeralGiB) {
      findings.push({ key: `services.${service}.ephemeral_storage_gib`, message: `${svc.ephemeral_storage_gib} GiB is below what ${basis}; expected at least ${sizing.fargate.ephemeralGiB}, or raise desired_count` });
    }
  }
  findings.push(...checkSeriesLimit(s));
  const fail = s.load?.undersized === "fail";
  return fail ? { errors: findings, warnings: [] } : { errors: [], warnings: findings };
}

/**
 * Series Mimir's ingesters can hold in memory: each task's memory, less the 50% headroom, at 2.5 GB
 * per 300,000 in-memory series (Mimir, "Planning capacity"), over the replication factor. An upper
 * bound: it gives the whole task to the ingester.
 */
export function mimirSeriesCapacity(s: Settings): number {
  const svc = s.services.mimir;
  const perTaskSeries = ((svc.memory / 1024 / MIMIR_HEADROOM.memory) / 2.5) * 300_000;
  return Math.floor((perTaskSeries * svc.desired_count) / replicationFactor(s, "mimir"));
}

/** 1234567 → "1,234,567" (toLocaleString would load ICU's number formatting: 30 ms of every synth). */
function thousands(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * Each tenant's `max_global_series_per_user` as Mimir applies it: the tenant's own override
 * (tenants.<id>.limits.mimir, the runtime overrides file) or mimir.limits (mimir.yaml), the values
 * the templates render. 0 is no limit. `key` is where it is set.
 */
export function mimirSeriesLimits(s: Settings): { tenant: string; limit: number; key: string }[] {
  return tenants(s).map(({ id }) => {
    const own = tenantOverrides(s, "mimir", id).max_global_series_per_user;
    return own === undefined
      ? { tenant: id, limit: s.mimir.limits.max_global_series_per_user, key: "mimir.limits.max_global_series_per_user" }
      : { tenant: id, limit: own, key: `tenants.${id}.limits.mimir.max_global_series_per_user` };
  });
}

function checkSeriesLimit(s: Settings): SizingFinding[] {
  const out: SizingFinding[] = [];
  const mimir = s.services.mimir;
  const rf = replicationFactor(s, "mimir");
  const capacity = mimirSeriesCapacity(s);
  const perTaskSeries = capacity === 0 ? 0 : (capacity * rf) / mimir.desired_count;
  const tasksOf = `${mimir.desired_count} task${mimir.desired_count === 1 ? "" : "s"} of ${mimir.memory} MiB`;
  // One warning per place the limit is set, naming the tenants it applies to.
  const byKey = new Map<string, { limit: number; tenants: string[] }>();
  for (const { tenant, limit, key } of mimirSeriesLimits(s)) {
    const seen = byKey.get(key);
    if (seen) seen.tenants.push(tenant);
    else byKey.set(key, { limit, tenants: [tenant] });
  }
  for (const [key, { limit, tenants: ids }] of byKey) {
    if (limit !== 0 && limit <= capacity) continue;
    const who = `tenant${ids.length === 1 ? "" : "s"} ${ids.join(", ")}`;
    const what = limit === 0 ? "0 (no limit)" : `${thousands(limit)} series`;
    let fix = "lower the limit";
    if (limit !== 0) {
      // Memory per task that holds `limit` series of one tenant, replicated, with the headroom; else the task count.
      const size = fargateSize(mimir.cpu / 1024, ((limit * rf) / mimir.desired_count / 300_000) * 2.5 * MIMIR_HEADROOM.memory);
      const tasks = Math.ceil((limit * rf) / perTaskSeries);
      fix =
        `lower it to at most ${thousands(capacity)}, ` +
        (size ? `raise services.mimir.memory to ${size.memory} MiB${size.cpu > mimir.cpu ? ` (and cpu to ${size.cpu}, the smallest Fargate offers it with)` : ""}, ` : "") +
        `or raise services.mimir.desired_count to ${tasks}`;
    }
    out.push({
      key,
      message: `${what} per tenant (${who}) is more than Mimir's ingesters hold: ${tasksOf} ${mimir.desired_count === 1 ? "keeps" : "keep"} about ${thousands(capacity)} series at RF ${rf} (settings/sizing-checks.ts); an ingester out of memory loses its head. To keep them within memory, ${fix}`,
    });
  }
  const series = s.load?.active_series;
  const limits = mimirSeriesLimits(s);
  const widest = limits.some((l) => l.limit === 0) ? undefined : limits.reduce((a, b) => (b.limit > a.limit ? b : a));
  if (series !== undefined && widest !== undefined && series > widest.limit) {
    out.push({
      key: "load.active_series",
      message: `${thousands(series)} active series exceed every tenant's max_global_series_per_user (the largest: ${thousands(widest.limit)}, ${widest.key}${widest.key.startsWith("tenants.") ? "" : ` for ${limits.filter((l) => l.key === widest.key).map((l) => l.tenant).join(", ")}`}): Mimir refuses each tenant's series past its limit. Raise the limit or lower the load`,
    });
  }
  const gbPerDay = s.load?.logs_gb_per_day;
  if (gbPerDay !== undefined) {
    const mbPerSecond = (gbPerDay * 1000) / 86_400;
    if (mbPerSecond > s.loki.limits.ingestion_rate_mb) {
      out.push({
        key: "loki.limits.ingestion_rate_mb",
        message: `${gbPerDay} GB/day of logs is ${round(mbPerSecond)} MB/s on average, above the tenant's ingestion_rate_mb ${s.loki.limits.ingestion_rate_mb}: Loki refuses the excess. Raise ingestion_rate_mb`,
      });
    }
  }
  return out;
}
