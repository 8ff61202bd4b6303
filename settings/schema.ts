/**
 * The one typed schema of the tfvars-style settings (environments/common.tfvars merged with
 * environments/<env>.tfvars). Keys keep their tfvars spelling so that an error, the docs and the
 * file a user edits all use the same names. Every object is strict: an unknown key is an error.
 *
 * Single-field rules live here; rules that relate several fields live in ./checks.ts.
 */
import { z } from "zod";

// Settings are parsed once or twice per process: zod compiling a fast path for each object schema
// on its first parse costs more than it saves.
z.config({ jitless: true });
import { SERVICE_NAMES, STORAGE_PREFIX_KEYS, type ServiceName } from "./components";
import { AWS_REGIONS, ELB_SSL_POLICIES, MAX_RETENTION_DAYS, TAG_CHARS_RE, TAG_KEY_MAX, TAG_VALUE_MAX, TENANT_ID_RE, UNSAFE_TENANT_IDS } from "./aws-rules";
import { didYouMean, shown } from "./errors";

const port = z
  .number({ error: "expected a port number (1-65535)" })
  .int({ error: "expected a whole port number (1-65535)" })
  .min(1, { error: "expected a port number (1-65535)" })
  .max(65535, { error: "expected a port number (1-65535)" });

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
export const cidr = z.string().refine(
  (v) => {
    const m = CIDR_RE.exec(v);
    return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
  },
  { error: (i) => `expected an IPv4 CIDR such as "10.0.0.0/16", got ${JSON.stringify(i.input)}` },
);

/** Named CIDRs, `{ office = "203.0.113.0/24" }`: the name shows up in rule descriptions. */
const namedCidrs = z.record(
  z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: "expected a CIDR name of letters, digits, '_', '.' or '-'" }),
  cidr,
);

const PATH_PREFIX_RE = /^(|\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)$/;
const pathPrefix = z
  .string()
  .regex(PATH_PREFIX_RE, { error: 'expected "" (no prefix) or a path such as "/pyroscope" with no trailing slash' });
const urlPath = z.string().regex(/^\/[A-Za-z0-9._~\-/]*$/, { error: 'expected an absolute URL path such as "/ready"' });
const albPathPattern = z
  .string()
  .regex(/^\/[A-Za-z0-9._~\-/*?]*$/, { error: 'expected an ALB path pattern such as "/loki/*" or "/api/v1/push"' })
  .max(128, { error: "ALB path patterns are at most 128 characters" });

const awsAccountId = z.string({ error: "expected a 12-digit AWS account id in quotes" }).regex(/^\d{12}$/, { error: "expected a 12-digit AWS account id in quotes" });
const arn = z.string().regex(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$/, { error: "expected an AWS ARN" });
/** A region the pinned provider knows (settings/aws-rules.ts). */
const region = z.string({ error: 'expected an AWS region such as "ap-northeast-2"' }).refine((v) => (AWS_REGIONS as readonly string[]).includes(v), {
  error: (i) => {
    const hint = typeof i.input === "string" ? didYouMean(i.input, AWS_REGIONS) : undefined;
    return `${shown(i.input)} is not an AWS region hashicorp/aws 5.100.0 knows${hint ? `; did you mean "${hint}"?` : ""} (expected a region such as "ap-northeast-2")`;
  },
});

const positiveInt = (what: string) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
const nonNegativeInt = (what: string) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).min(0, { error: `expected ${what}` });
/** Days of retention, bounded by what the components can represent (a Go duration, settings/aws-rules.ts). */
const retentionDays = positiveInt("a number of days").max(MAX_RETENTION_DAYS, {
  error: `expected at most ${MAX_RETENTION_DAYS} days: the components hold retention as a Go duration, which ends at about 292 years`,
});

export const INTERFACE_ENDPOINTS = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts", "monitoring"] as const;
/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
export const STORAGE_CLASSES = ["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] as const;

/** Upper bound of `gateway.max_body_size_mib`. */
export const GATEWAY_MAX_BODY_SIZE_MIB_LIMIT = 1024;

const serviceSchema = z.strictObject({
  /**
   * false switches the component off everywhere it appears (tasks, routes, datasources, scrapes,
   * alarms, security group, task role); refused for the components the stack needs (settings/enabled.ts).
   */
  enabled: z.boolean({ error: "expected true or false" }).default(true),
  /** Image repository, e.g. "grafana/mimir"; with `image_source = "ecr"` the ECR copy is used instead. */
  image: z.string().regex(/^[a-z0-9]+([._/-][a-z0-9]+)*$/, { error: 'expected an image repository such as "grafana/loki"' }),
  /** Image tag (the component's release). */
  version: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { error: 'expected an image tag such as "3.7.6"' }),
  /**
   * Image digest pinning `version` to exact bytes, `sha256:<64 hex>`: the task definition then names
   * `image:version@digest`, so the plan shows it and a re-pushed tag cannot change what runs.
   */
  digest: z
    .string()
    .regex(/^sha256:[a-f0-9]{64}$/, { error: 'expected an image digest: "sha256:" followed by 64 lowercase hex digits (docker buildx imagetools inspect <image>:<version>)' })
    .optional(),
  /** Task CPU units (1024 = 1 vCPU). */
  cpu: positiveInt("task CPU units (1024 = 1 vCPU)"),
  /** Task memory in MiB. */
  memory: positiveInt("task memory in MiB"),
  /** Number of tasks. */
  desired_count: nonNegativeInt("a task count of 0 or more"),
  /** HTTP listen port (server.http_listen_port). */
  http_port: port,
  /** gRPC listen port (server.grpc_listen_port); components with no gRPC server omit it. */
  grpc_port: port.optional(),
  /** Prefix of the HTTP API; see COMPONENTS for how each component applies it. */
  path_prefix: pathPrefix.default(""),
  /** Target-group health-check path; derived from the component and its prefix when omitted. */
  health_check_path: urlPath.optional(),
  /** ALB path patterns routed to this service (at most 8 per service: listener-rule priorities 10 apart). */
  alb_paths: z.array(albPathPattern).max(8, { error: "at most 8 ALB path patterns per service" }).default([]),
  /** FARGATE_SPOT weight in the capacity-provider strategy; 0 runs on FARGATE only. */
  spot_weight: nonNegativeInt("a weight of 0 or more").default(0),
  /** Tasks always placed on FARGATE (on-demand) before weights apply. */
  on_demand_base: nonNegativeInt("a task count of 0 or more").default(0),
  /** Days the component keeps data in S3 (drives the component's retention and the bucket lifecycle). */
  retention_days: retentionDays.optional(),
  /** Task ephemeral storage in GiB (Fargate: 21-200). */
  ephemeral_storage_gib: z
    .number({ error: "expected GiB between 21 and 200" })
    .int({ error: "expected GiB between 21 and 200" })
    .min(21, { error: "Fargate task ephemeral storage is 21-200 GiB" })
    .max(200, { error: "Fargate task ephemeral storage is 21-200 GiB" })
    .default(21),
  /**
   * Copies of each series/stream/profile the component's ring keeps (ring members that replicate
   * only). Omitted: derived by settings/quorum.ts (3 with at least 3 tasks, else 1); the checks then
   * hold it to the task count, the write quorum and the number of availability zones.
   */
  replication_factor: positiveInt("a replication factor of 1 or more").optional(),
  /**
   * Zone-aware replication (ring members that replicate only): each task learns its AZ at start
   * (ECS task metadata, through the config delivery) and the ring keeps each copy in a different
   * AZ. Omitted: on when the replication factor is at least 3, the AZs of
   * `network.availability_zones` are at least as many as the copies and the tasks more (settings/quorum.ts).
   */
  zone_awareness: z.boolean({ error: "expected true or false" }).optional(),
  /** CPU architecture of the tasks (settings/architecture.ts derives it when omitted). */
  cpu_architecture: z.enum(["X86_64", "ARM64"], { error: 'expected "X86_64" or "ARM64"' }).optional(),
});
export type ServiceSettings = z.infer<typeof serviceSchema>;

const servicesShape = Object.fromEntries(SERVICE_NAMES.map((n) => [n, serviceSchema])) as Record<
  ServiceName,
  typeof serviceSchema
>;
const storagePrefixShape = Object.fromEntries(
  STORAGE_PREFIX_KEYS.map((k) => [
    k,
    z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
      error: "expected a single S3 key segment of lowercase letters, digits and '-' (no slashes)",
    }),
  ]),
) as Record<(typeof STORAGE_PREFIX_KEYS)[number], z.ZodString>;

// ---------------------------------------------------------------- rendered service configs (templates/)
// Values that exist only inside the components' own config files. Ports, prefixes, tenant, bucket and
// region are not repeated here: the templates read them from the keys above.

/** Prometheus/Loki-style duration: "30m", "168h", "1w" (model.Duration). */
const modelDuration = z.string({ error: 'expected a duration in quotes, such as "30m", "168h" or "1w"' }).regex(/^(\d+(ms|s|m|h|d|w|y))+$/, { error: 'expected a duration such as "30m", "168h" or "1w"' });
/** Go duration as Alloy reads it: "30s", "5m", "1h" (no days). */
const goDuration = z.string().regex(/^(\d+(ms|s|m|h))+$/, { error: 'expected a duration such as "30s", "5m" or "1h" (no days)' });
const positiveNumber = (what: string) => z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
export const CLOUDWATCH_STATISTICS = ["Sum", "Average", "Maximum", "Minimum", "SampleCount"] as const;

/**
 * A size in bytes: a whole number of bytes, or a number with a unit, "5MB" (10^6) or "5MiB" (2^20).
 * Rendered as whole bytes, which every component parses.
 */
const BYTE_UNITS: Readonly<Record<string, number>> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const BYTE_SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)$/;
const BYTE_SIZE_ERROR = 'expected a size: whole bytes, or a number with a unit such as "5MB", "20MiB" (B, KB, MB, GB, KiB, MiB, GiB)';
export const byteSize = z
  .union([z.number({ error: BYTE_SIZE_ERROR }).int({ error: BYTE_SIZE_ERROR }).positive({ error: BYTE_SIZE_ERROR }), z.string({ error: BYTE_SIZE_ERROR }).regex(BYTE_SIZE_RE, { error: BYTE_SIZE_ERROR })], { error: BYTE_SIZE_ERROR })
  .transform((v, ctx) => {
    if (typeof v === "number") return v;
    const m = BYTE_SIZE_RE.exec(v)!;
    const bytes = Number(m[1]) * BYTE_UNITS[m[2]];
    if (!Number.isInteger(bytes) || bytes < 1) {
      ctx.issues.push({ code: "custom", message: `${BYTE_SIZE_ERROR}; ${JSON.stringify(v)} is not a whole number of bytes`, input: v });
      return z.NEVER;
    }
    return bytes;
  });

type Fields = Record<string, z.ZodType>;
type FieldsOutput<F extends Fields> = { [K in keyof F]: z.output<F[K]> };
type FieldsInput<F extends Fields> = { [K in keyof F]?: z.input<F[K]> };

/**
 * A component's limits: every field with its production default (undefined: derived elsewhere, e.g.
 * from the retention). The same fields, all optional and without defaults, are a tenant's overrides
 * (`limitOverrides`), so a tenant can change any limit the component section has and nothing else.
 */
function limitsWithDefaults<F extends Fields>(fields: F, defaults: FieldsOutput<F>) {
  const shape = Object.fromEntries(
    Object.entries(fields).map(([k, f]) => [k, defaults[k] === undefined ? f.optional() : f.default(defaults[k] as never)]),
  );
  return z.strictObject(shape).prefault({}) as unknown as z.ZodPrefault<z.ZodType<FieldsOutput<F>, FieldsInput<F>>>;
}
function limitOverrides<F extends Fields>(fields: F) {
  const shape = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.optional()]));
  return z.strictObject(shape).optional() as unknown as z.ZodOptional<z.ZodType<Partial<FieldsOutput<F>>, FieldsInput<F>>>;
}

// Sources of the defaults: docs/settings.md, "Tenants and limits". "team": the values the team's hand-written stack ran
// with (issue 18); "seed 004": the team's Loki limits; "upstream": the pinned release's own default,
// written down so that it shows in the rendered file and a tenant can override it.

/** Mimir `limits` (and `overrides.<tenant>` in its runtime file). */
const MIMIR_LIMIT_FIELDS = {
  /** Samples per second per tenant, across the distributors. */
  ingestion_rate: positiveNumber("samples per second"),
  /** Samples a tenant may send in a burst above ingestion_rate. */
  ingestion_burst_size: positiveInt("a number of samples"),
  /** In-memory series per tenant across the ingesters (before replication). 0: no limit. */
  max_global_series_per_user: nonNegativeInt("a number of series (0: no limit)"),
  /** In-memory series per metric name per tenant. 0: no limit. */
  max_global_series_per_metric: nonNegativeInt("a number of series (0: no limit)"),
  /** How far behind the newest sample a sample may arrive and still be accepted ("0s": in order only). */
  out_of_order_time_window: modelDuration,
  /** Label names per series. */
  max_label_names_per_series: positiveInt("a number of label names"),
};
const MIMIR_LIMIT_DEFAULTS: FieldsOutput<typeof MIMIR_LIMIT_FIELDS> = {
  ingestion_rate: 100_000, // team (upstream 10,000)
  ingestion_burst_size: 500_000, // team (upstream 200,000)
  max_global_series_per_user: 2_000_000, // team (upstream 150,000)
  max_global_series_per_metric: 300_000, // team (upstream: no limit)
  out_of_order_time_window: "10m", // team (upstream: 0s, in order only)
  max_label_names_per_series: 30, // upstream
};

/** Loki `limits_config` (and `overrides.<tenant>` in its runtime file). */
const LOKI_LIMIT_FIELDS = {
  ingestion_rate_mb: positiveNumber("MB per second"),
  ingestion_burst_size_mb: positiveNumber("MB"),
  max_query_parallelism: positiveInt("a number of queries"),
  max_global_streams_per_user: positiveInt("a number of streams"),
  /** Tail (live) queries at once per tenant; Loki's default 10 was too low for the canary (seed 004). */
  max_concurrent_tail_requests: positiveInt("a number of requests"),
  split_queries_by_interval: modelDuration,
  max_query_length: modelDuration,
  /** A query running longer is cancelled. */
  query_timeout: modelDuration,
  /** How far back a query may reach. Omitted: services.loki.retention_days (nothing older exists). */
  max_query_lookback: modelDuration.optional(),
  /** Refuse lines older than reject_old_samples_max_age. */
  reject_old_samples: z.boolean({ error: "expected true or false" }),
  reject_old_samples_max_age: modelDuration,
  /** Accept OpenTelemetry attributes as structured metadata (Loki's OTLP endpoint needs it). */
  allow_structured_metadata: z.boolean({ error: "expected true or false" }),
};
const LOKI_LIMIT_DEFAULTS: FieldsOutput<typeof LOKI_LIMIT_FIELDS> = {
  ingestion_rate_mb: 4, // upstream; the shipped files set seed 004's 50
  ingestion_burst_size_mb: 6, // upstream; seed 004: 100
  max_query_parallelism: 32, // upstream; seed 004: 256
  max_global_streams_per_user: 5000, // upstream; seed 004: 100,000
  max_concurrent_tail_requests: 10, // upstream; seed 004: 20
  split_queries_by_interval: "1h", // upstream; seed 004: 30m
  max_query_length: "721h", // upstream; seed 004: 168h
  query_timeout: "10m", // team (upstream 1m)
  max_query_lookback: undefined, // derived: the retention
  reject_old_samples: true, // upstream
  reject_old_samples_max_age: "1y", // team (upstream 1w)
  allow_structured_metadata: true, // upstream 3.x
};

/** Tempo `overrides.defaults` (and `overrides.<tenant>` in its per-tenant file). */
const TEMPO_LIMIT_FIELDS = {
  /** Largest trace; spans past it are refused (global.max_bytes_per_trace). */
  max_bytes_per_trace: byteSize,
  /** Bytes per second per tenant (ingestion.rate_limit_bytes). */
  ingestion_rate_limit_bytes: byteSize,
  /** Burst above the rate (ingestion.burst_size_bytes). */
  ingestion_burst_size_bytes: byteSize,
  /** Live traces per tenant in the live store (ingestion.max_traces_per_user). */
  max_traces_per_user: positiveInt("a number of traces"),
};
const TEMPO_LIMIT_DEFAULTS: FieldsOutput<typeof TEMPO_LIMIT_FIELDS> = {
  max_bytes_per_trace: 5_000_000, // upstream (the team had no Tempo limits)
  ingestion_rate_limit_bytes: 30_000_000, // upstream
  ingestion_burst_size_bytes: 30_000_000, // upstream
  max_traces_per_user: 10_000, // upstream
};

/** Pyroscope `limits` (and `overrides.<tenant>` in its runtime file). */
const PYROSCOPE_LIMIT_FIELDS = {
  ingestion_rate_mb: positiveNumber("MB per second"),
  ingestion_burst_size_mb: positiveNumber("MB"),
  /** Active profile series per tenant. */
  max_global_series_per_tenant: positiveInt("a number of series"),
  /** Largest profile accepted. */
  max_profile_size_bytes: byteSize,
  /** Longest time range of one query. */
  max_query_length: modelDuration,
  /** How far back a query may reach. Omitted: services.pyroscope.retention_days (upstream 1w would hide most of it). */
  max_query_lookback: modelDuration.optional(),
};
const PYROSCOPE_LIMIT_DEFAULTS: FieldsOutput<typeof PYROSCOPE_LIMIT_FIELDS> = {
  ingestion_rate_mb: 4, // upstream
  ingestion_burst_size_mb: 2, // upstream
  max_global_series_per_tenant: 5000, // upstream
  max_profile_size_bytes: 4 * 1024 * 1024, // upstream
  max_query_length: "7d", // one week, like Loki's team value (upstream 1d)
  max_query_lookback: undefined, // derived: the retention
};

export type MimirLimits = FieldsOutput<typeof MIMIR_LIMIT_FIELDS>;
export type LokiLimits = FieldsOutput<typeof LOKI_LIMIT_FIELDS>;
export type TempoLimits = FieldsOutput<typeof TEMPO_LIMIT_FIELDS>;
export type PyroscopeLimits = FieldsOutput<typeof PYROSCOPE_LIMIT_FIELDS>;
/** The components that keep per-tenant limits. */
export const LIMITED_COMPONENTS = ["mimir", "loki", "tempo", "pyroscope"] as const;
export type LimitedComponent = (typeof LIMITED_COMPONENTS)[number];

const mimirSchema = z.strictObject({
  /** Rendered into `limits` (every tenant) and overridable per tenant (tenants.<name>.limits.mimir). */
  limits: limitsWithDefaults(MIMIR_LIMIT_FIELDS, MIMIR_LIMIT_DEFAULTS),
});

const tempoSchema = z.strictObject({
  /** Rendered into `overrides.defaults` and overridable per tenant (tenants.<name>.limits.tempo). */
  limits: limitsWithDefaults(TEMPO_LIMIT_FIELDS, TEMPO_LIMIT_DEFAULTS),
});

const pyroscopeSchema = z.strictObject({
  /** Rendered into `limits` and overridable per tenant (tenants.<name>.limits.pyroscope). */
  limits: limitsWithDefaults(PYROSCOPE_LIMIT_FIELDS, PYROSCOPE_LIMIT_DEFAULTS),
});

const lokiSchema = z.strictObject({
  /** First day of the TSDB v13 schema period (YYYY-MM-DD, before the first log line). Never change it once logs exist. */
  schema_from: z.iso.date({ error: 'expected a date such as "2025-01-01"' }).default("2025-01-01"),
  /**
   * The schema periods of logs an adopted Loki wrote before schema_from (its own
   * `schema_config.configs`), oldest first: rendered ahead of the TSDB v13 period so that those logs
   * stay readable (docs/migration.md). Loki reads a chunk through the period its date falls in.
   */
  previous_schema_periods: z
    .array(
      z.strictObject({
        /** First day of the period, as the old config has it. */
        from: z.iso.date({ error: 'expected a date such as "2024-01-01"' }),
        /** Index store of the period: "tsdb" or "boltdb-shipper". */
        store: z.enum(["tsdb", "boltdb-shipper"], { error: 'expected "tsdb" or "boltdb-shipper" (the index stores Loki 3 still reads)' }),
        /** Schema version of the period. */
        schema: z.enum(["v11", "v12", "v13"], { error: 'expected "v11", "v12" or "v13" (the schemas Loki 3 still reads)' }),
        /** `index.prefix` of the period, as the old config has it. */
        index_prefix: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected an index prefix such as "index_" (letters, digits, _ and -)' }).default("index_"),
      }),
    )
    .default([]),
  /** `limits_config` values (seed 004 and the team's). Overridable per tenant (tenants.<name>.limits.loki). */
  limits: limitsWithDefaults(LOKI_LIMIT_FIELDS, LOKI_LIMIT_DEFAULTS),
  /** The pattern ingester (log patterns in Grafana's Logs Drilldown). */
  pattern_ingester: z.boolean({ error: "expected true or false" }).default(true),
  /** Streams kept for a different time than services.loki.retention_days (seed 003: info logs 30 days). */
  retention_streams: z
    .array(
      z.strictObject({
        /** LogQL stream selector, e.g. `{level="info"}`. */
        selector: z.string().regex(/^\{\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*".*"\s*(,\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*".*"\s*)*\}$/, {
          error: 'expected a LogQL stream selector such as {level="info"}',
        }),
        days: retentionDays,
        /** The highest priority wins when several selectors match a stream. */
        priority: nonNegativeInt("a priority of 0 or more").default(0),
      }),
    )
    .default([]),
});

const cloudwatchNamespaceSchema = z.strictObject({
  /** CloudWatch namespace discovered through resource tags, e.g. "AWS/ApplicationELB". */
  type: z.string().regex(/^[A-Za-z0-9]+\/[A-Za-z0-9_./-]+$/, { error: 'expected a CloudWatch namespace such as "AWS/ApplicationELB"' }),
  metrics: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_.:-]+$/, { error: 'expected a CloudWatch metric name such as "RequestCount"' }),
        statistics: z
          .array(z.enum(CLOUDWATCH_STATISTICS, { error: `expected one of ${CLOUDWATCH_STATISTICS.join(", ")}` }))
          .min(1, { error: "expected at least one statistic" }),
        period: goDuration.default("5m"),
      }),
    )
    .min(1, { error: "expected at least one metric" }),
  /** Tenant the namespace's metrics are written under; omitted: tenant_id. Must be a tenant of the settings. */
  tenant: z.string().optional(),
});

const alloySchema = z.strictObject({
  /** CloudWatch metrics Alloy collects and remote-writes to Mimir (seed 001/003: ALB, NLB, ECS, RDS, ElastiCache). */
  cloudwatch: z
    .strictObject({
      scrape_interval: goDuration.default("5m"),
      namespaces: z.array(cloudwatchNamespaceSchema).default([]),
    })
    .prefault({}),
  /**
   * Tenant of everything Alloy's OTLP receivers get (metrics, logs, traces); omitted: tenant_id.
   * Those receivers take no credentials, only the senders listed in `otlp_senders` (docs/security.md,
   * "Who can reach what"): keep this a tenant those senders may write.
   */
  otlp_tenant: z.string().optional(),
  /**
   * Who may reach Alloy's OTLP receivers (otlp.grpc_port, otlp.http_port): named CIDRs and named
   * security groups of senders. Empty (the default): nobody, Alloy's OTLP ports admit no one, and
   * senders use the gateway's authenticated OTLP HTTP route instead.
   */
  otlp_senders: z
    .strictObject({
      /** Named sender networks, `{ app_subnets = "10.40.8.0/22" }` (never 0.0.0.0/0). */
      cidrs: z
        .record(
          z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: "expected a sender name of letters, digits, '_', '.' or '-'" }),
          cidr.refine((v) => !/\/0$/.test(v), { error: (i) => `${JSON.stringify(i.input)} admits every address; expected the senders' own network, such as "10.40.8.0/22"` }),
        )
        .default({}),
      /** Named security groups of senders in the same VPC, `{ orders_api = "sg-0123456789abcdef0" }`. */
      security_groups: z
        .record(
          z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: "expected a sender name of letters, digits, '_', '.' or '-'" }),
          z.string().regex(/^sg-[0-9a-f]{8}([0-9a-f]{9})?$/, { error: 'expected a security group id such as "sg-0123456789abcdef0"' }),
        )
        .default({}),
    })
    .prefault({}),
});

/** A tenant id (X-Scope-OrgID) every backend accepts: Mimir's, Loki's, Tempo's and Pyroscope's rules. */
const tenantId = z
  .string({ error: "expected a tenant id in quotes" })
  .regex(TENANT_ID_RE, { error: "expected a tenant id of 1-150 letters, digits and !_.*'()- (Mimir, Loki, Tempo and Pyroscope refuse others; no '/' or '|')" })
  .refine((v) => !(UNSAFE_TENANT_IDS as readonly string[]).includes(v), {
    error: (i) => `tenant id ${shown(i.input)} is refused by Mimir, Loki, Tempo and Pyroscope (it would be a path segment in the bucket); expected a name such as "lgtm"`,
  });

const selfMonitoringSchema = z.strictObject({
  /**
   * Mimir tenant the stack's own metrics are written under (X-Scope-OrgID), never `tenant_id`: the
   * stack's own series must not count against a user tenant's limits.
   */
  tenant: tenantId.default("meta"),
  /** How often Alloy scrapes every component's /metrics. */
  scrape_interval: goDuration.default("30s"),
});

const alertsSchema = z.strictObject({
  /** Email addresses subscribed to the alerts topic (each confirms the subscription once). */
  email_addresses: z.array(z.email({ error: 'expected an email address such as "oncall@example.com"' })).default([]),
  /** AWS Chatbot posts the alerts topic to this Slack channel (the workspace must be authorized in the Chatbot console once). */
  slack: z
    .strictObject({
      /** Slack workspace (team) id, e.g. "T0123ABCD". */
      workspace_id: z.string().regex(/^[A-Z0-9]{9,11}$/, { error: 'expected a Slack workspace id such as "T0123ABCD"' }),
      /** Slack channel id, e.g. "C0123ABCDEF". */
      channel_id: z.string().regex(/^[A-Z0-9]{9,11}$/, { error: 'expected a Slack channel id such as "C0123ABCDEF"' }),
    })
    .optional(),
  /** Base URL of docs/runbook.md (e.g. its page in the team's repository); alarm texts link `<url>#<entry>`. */
  runbook_url: z.string().regex(/^(https:\/\/\S+|docs\/runbook\.md)$/, { error: 'expected an https:// URL of docs/runbook.md, or "docs/runbook.md"' }).default("docs/runbook.md"),
  /** Minutes a service may run fewer tasks than desired (deploys, replacements) before it alarms. */
  tasks_below_desired_minutes: positiveInt("a number of minutes").default(10),
  /** 5xx answers from a service's targets in 5 minutes that raise its alarm. */
  target_5xx_per_5m: positiveInt("a number of responses").default(10),
  /** 5xx answers by the load balancer itself (no healthy target, timeouts) in 5 minutes that raise its alarm. */
  alb_5xx_per_5m: positiveInt("a number of responses").default(10),
});

/** Database engines Grafana supports besides its embedded SQLite. */
export const GRAFANA_DATABASE_TYPES = ["postgres", "mysql"] as const;
/** TLS modes Grafana accepts per engine (`[database] ssl_mode`). */
export const GRAFANA_DATABASE_SSL_MODES = {
  postgres: ["disable", "require", "verify-ca", "verify-full"],
  mysql: ["false", "true", "skip-verify"],
} as const satisfies Record<(typeof GRAFANA_DATABASE_TYPES)[number], readonly string[]>;

/**
 * A Secrets Manager secret as ECS `secrets` take it: the full ARN (with the 6-character suffix
 * Secrets Manager adds, so IAM can name exactly that secret), optionally followed by
 * `:<json-key>::` to inject one key of a JSON secret.
 */
export const SECRET_ARN_RE = /^(arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6})(:[A-Za-z0-9_.-]*::)?$/;

const grafanaDatabaseSchema = z.strictObject({
  /** Engine: "postgres" or "mysql" (GF_DATABASE_TYPE). */
  type: z.enum(GRAFANA_DATABASE_TYPES, { error: `expected one of ${GRAFANA_DATABASE_TYPES.join(", ")}` }),
  /** `host:port` of the database (GF_DATABASE_HOST); the port defaults to the engine's. */
  host: z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$/, { error: 'expected a host name with an optional port, such as "grafana.abc123.ap-northeast-2.rds.amazonaws.com:5432"' }),
  /** Database name (GF_DATABASE_NAME). */
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, { error: "expected a database name of letters, digits, _ and $" }),
  /** Database user (GF_DATABASE_USER). */
  user: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.@-]{0,62}$/, { error: "expected a database user name of letters, digits and ._@-" }),
  /** Secrets Manager secret holding the password, injected as GF_DATABASE_PASSWORD (never a plain value). */
  password_secret_arn: z.string().regex(SECRET_ARN_RE, {
    error: 'expected the full ARN of a Secrets Manager secret, as the console shows it (ending in "-" and 6 characters), optionally followed by ":<json-key>::"',
  }),
  /** TLS to the database (GF_DATABASE_SSL_MODE). Default: encrypted ("require" for postgres, "skip-verify" for mysql). */
  ssl_mode: z.string().optional(),
});

/** Grafana's basic roles, as role mapping and org mapping name them. */
export const GRAFANA_ROLES = ["Viewer", "Editor", "Admin"] as const;
const httpsUrl = (what: string) =>
  z.string({ error: `expected the ${what} as an https:// URL in quotes` }).regex(/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[^\s"'$`\\]*)?$/, { error: `expected the ${what} as an https:// URL (no spaces, quotes, $ or backslashes)` });

/** A JMESPath expression; `${` and `%{` would be Terraform template sequences in the task definition. */
const jmesPath = z
  .string({ error: "expected a JMESPath expression in quotes" })
  .min(1, { error: "expected a JMESPath expression" })
  .max(1000, { error: "expected a JMESPath expression of at most 1000 characters" })
  .refine((v) => !/[$%]\{/.test(v), { error: "expected a JMESPath expression without ${ or %{ (JMESPath has no such syntax)" });

/**
 * Single sign-on for Grafana (docs/sso.md): OpenID Connect through Grafana OSS's generic OAuth
 * (`GF_AUTH_GENERIC_OAUTH_*`). SAML is Grafana Enterprise only and is refused (settings/sso.ts).
 */
const grafanaSsoSchema = z.strictObject({
  /** "oidc", or "saml" (refused: Enterprise only). */
  type: z.enum(["oidc", "saml"], {
    error: (issue) =>
      issue.input === undefined
        ? 'is required: any grafana.sso key (disable_login_form, auto_login, ...) needs a sign-on provider; expected type = "oidc" with its client and endpoints, or no grafana.sso block at all (Grafana\'s own login form)'
        : 'expected "oidc" ("saml" needs Grafana Enterprise)',
  }),
  /** The login button's label. */
  name: z.string().regex(/^[A-Za-z0-9 ._()-]{1,40}$/, { error: "expected a label of 1-40 letters, digits, spaces and ._()-" }).default("SSO"),
  /** The client (application) id the IdP gave Grafana. */
  client_id: z.string().regex(/^[A-Za-z0-9._:@\/+=-]{1,255}$/, { error: "expected the client id the IdP issued (letters, digits and ._:@/+=-)" }).optional(),
  /** Secrets Manager secret holding the client secret, injected as GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET. */
  client_secret_arn: z
    .string()
    .regex(SECRET_ARN_RE, { error: 'expected the full ARN of a Secrets Manager secret, as the console shows it (ending in "-" and 6 characters), optionally followed by ":<json-key>::"' })
    .optional(),
  /** The IdP's authorization endpoint. */
  auth_url: httpsUrl("IdP's authorization endpoint").optional(),
  /** The IdP's token endpoint. */
  token_url: httpsUrl("IdP's token endpoint").optional(),
  /** The IdP's userinfo endpoint. */
  api_url: httpsUrl("IdP's userinfo endpoint").optional(),
  scopes: z.array(z.string().regex(/^[A-Za-z0-9._:\/-]{1,100}$/, { error: "expected a scope name such as \"openid\"" })).default(["openid", "email", "profile"]),
  /** PKCE on the authorization code flow. */
  use_pkce: z.boolean({ error: "expected true or false" }).default(true),
  /** Create a Grafana user at a first SSO login. */
  allow_sign_up: z.boolean({ error: "expected true or false" }).default(true),
  /** JMESPath over the ID token / userinfo giving Viewer, Editor or Admin. */
  role_attribute_path: jmesPath.optional(),
  /** Refuse a login whose role_attribute_path gives no valid role (instead of Viewer). */
  role_attribute_strict: z.boolean({ error: "expected true or false" }).default(false),
  /** JMESPath giving the user's groups, which org_mapping maps to organizations. */
  org_attribute_path: jmesPath.optional(),
  /** Groups → the Grafana organization of a tenant, with a role there. */
  org_mapping: z
    .array(
      z.strictObject({
        group: z.string().regex(/^[^\s"'$`\\:]{1,200}$/, { error: "expected an IdP group name (no spaces, quotes, colons, $ or backslashes), or \"*\" for every user" }),
        tenant: z.string({ error: "expected a tenant id (tenant_id or a key of tenants)" }),
        role: z.enum(GRAFANA_ROLES, { error: `expected one of ${GRAFANA_ROLES.join(", ")}` }).default("Viewer"),
      }),
    )
    .default([]),
  /** Send every visitor of the login page straight to the IdP. */
  auto_login: z.boolean({ error: "expected true or false" }).default(false),
  /** Hide Grafana's own user/password form once SSO works. */
  disable_login_form: z.boolean({ error: "expected true or false" }).default(false),
});

const grafanaSchema = z.strictObject({
  /** Admin login (GF_SECURITY_ADMIN_USER). The password comes from Secrets Manager, never from settings. */
  admin_user: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, { error: "expected a user name of letters, digits and ._@-" }).default("admin"),
  /**
   * Where Grafana keeps users, API keys and dashboards saved in the UI. Omitted: its SQLite database on
   * an encrypted EFS file system (one task). An external PostgreSQL/MySQL lets Grafana run several tasks.
   */
  database: grafanaDatabaseSchema.optional(),
  /** Single sign-on (OIDC). Omitted: Grafana's own login only. */
  sso: grafanaSsoSchema.optional(),
});

/**
 * The load a team sends and queries (settings/sizing.ts). Optional: with it, services.<name>.cpu,
 * memory, desired_count and ephemeral_storage_gib of Mimir, Loki and Tempo may be omitted and are
 * derived from Grafana's capacity formulas; set ones win and are checked against the load.
 */
export const loadSchema = z.strictObject({
  /** Active series before replication (`sum(prometheus_tsdb_head_series)`). */
  active_series: positiveInt("a number of active series").optional(),
  /** Scrape interval of those series, in seconds. */
  scrape_interval_seconds: positiveInt("a scrape interval in seconds").default(15),
  /** Logs received per day, in GB (before compression). */
  logs_gb_per_day: positiveNumber("GB per day").optional(),
  /** Spans received per second. */
  spans_per_second: positiveNumber("spans per second").optional(),
  /** Average size of one span in bytes as received (an assumption unless measured: `tempo_distributor_bytes_received_total` ÷ spans). */
  average_span_bytes: positiveInt("bytes").default(1000),
  /** Profiles received per second (used for storage and cost; Pyroscope publishes no sizing formula). */
  profiles_per_second: positiveNumber("profiles per second").optional(),
  /** Metric queries per second (dashboards, rules, API), for Mimir's query path. */
  queries_per_second: positiveNumber("queries per second").default(10),
  /** What an explicit size below the load's needs is: a warning at synth, or an error. */
  undersized: z.enum(["warn", "fail"], { error: 'expected "warn" or "fail"' }).default("warn"),
});
export type LoadSettings = z.infer<typeof loadSchema>;

/** Price keys of the cost estimate (cost/prices/<region>.json); any of them can be overridden in settings. */
export const PRICE_KEYS = [
  "fargate_vcpu_hour_x86_64",
  "fargate_gb_hour_x86_64",
  "fargate_vcpu_hour_arm64",
  "fargate_gb_hour_arm64",
  "fargate_spot_vcpu_hour_x86_64",
  "fargate_spot_gb_hour_x86_64",
  "fargate_ephemeral_gb_hour",
  "alb_hour",
  "alb_lcu_hour",
  "nat_gateway_hour",
  "nat_gateway_gb",
  "interface_endpoint_hour",
  "s3_standard_gb_month",
  "s3_put_per_1000",
  "s3_get_per_1000",
  "efs_standard_gb_month",
  "cloudwatch_logs_ingest_gb",
  "cloudwatch_logs_storage_gb_month",
  "secretsmanager_secret_month",
  "waf_web_acl_month",
  "waf_rule_month",
  "waf_requests_per_million",
] as const;
export type PriceKey = (typeof PRICE_KEYS)[number];

const nonNegativeNumber = (what: string) => z.number({ error: `expected ${what}` }).min(0, { error: `expected ${what}` });

/** Usage the cost estimate cannot know from the settings; each has a stated default (cost/index.ts). */
const costUsageSchema = z.strictObject({
  /** GB a month through the NAT gateways (image pulls from Docker Hub, anything not behind an endpoint). */
  nat_gb_per_month: nonNegativeNumber("GB per month").default(20),
  /** LCUs the ALB uses at least, every hour (UI, health checks), before ingest traffic. */
  alb_base_lcu: nonNegativeNumber("LCUs").default(1),
  /** Requests a month through the ALB, all paths (the web ACL's request charge, with load_balancer.waf). */
  alb_requests_per_month: nonNegativeNumber("requests per month").default(5_000_000),
  /** GB of its own logs each task sends to CloudWatch Logs a month. */
  container_log_gb_per_task_month: nonNegativeNumber("GB per task and month").default(1),
  /** GB Grafana's SQLite database and plugins take on EFS. */
  efs_gb: nonNegativeNumber("GB").default(1),
  /** S3 requests a month, all services together (uploads, compaction, queries). */
  s3_put_requests_per_month: nonNegativeNumber("requests per month").default(2_000_000),
  s3_get_requests_per_month: nonNegativeNumber("requests per month").default(20_000_000),
  /** Bytes a sample takes in compacted Mimir blocks (Mimir's capacity guide assumes 2). */
  mimir_bytes_per_sample: positiveNumber("bytes").default(2),
  /** Bytes a sample takes in remote-write requests through the ALB (snappy-compressed protobuf). */
  remote_write_bytes_per_sample: positiveNumber("bytes").default(2),
  /** How much smaller Loki's chunks are than the logs received. */
  log_compression_ratio: positiveNumber("a ratio").default(5),
  /** How much smaller Tempo's Parquet blocks are than the spans received. */
  trace_compression_ratio: positiveNumber("a ratio").default(3),
  /** Bytes Pyroscope stores per profile received. */
  stored_bytes_per_profile: positiveNumber("bytes").default(10_000),
});

const costSchema = z.strictObject({
  /** Prices (USD) that replace the region's price file, e.g. `{ fargate_vcpu_hour_x86_64 = 0.05 }` (a discount, a newer list price). */
  prices: z
    .strictObject(Object.fromEntries(PRICE_KEYS.map((k) => [k, nonNegativeNumber("a price in USD").optional()])) as Record<PriceKey, z.ZodOptional<z.ZodNumber>>)
    .default({}),
  usage: costUsageSchema.prefault({}),
});

/** What a tenant's gateway credentials may push and query. */
/** AWS WAF's bounds of a rate-based rule's limit (requests per evaluation window). */
export const WAF_MIN_RATE_LIMIT = 10;
export const WAF_MAX_RATE_LIMIT = 2_000_000_000;

export const SIGNALS = ["metrics", "logs", "traces", "profiles"] as const;
export type Signal = (typeof SIGNALS)[number];

const tenantSchema = z.strictObject({
  /** Who sends under this tenant; shown in Grafana's datasource names. Required: it declares the tenant. */
  description: z.string({ error: "expected a description in quotes" }).max(200, { error: "expected at most 200 characters" }).optional(),
  /**
   * Who may send: the signals the tenant's gateway credentials may push and query (the gateway
   * answers 401 on the others). Its credentials are generated into Secrets Manager.
   */
  signals: z
    .array(z.enum(SIGNALS, { error: `expected one of ${SIGNALS.join(", ")}` }))
    .min(1, { error: "expected at least one signal" })
    .refine((v) => new Set(v).size === v.length, { error: "expected each signal once" })
    .default([...SIGNALS]),
  /**
   * The Grafana organization (its numeric id) that holds this tenant's datasources: users of other
   * organizations do not see them. 1 is Grafana's "Main Org.", which always exists; any other id must
   * exist before Grafana starts with it (Grafana creates no organization from provisioning files and
   * refuses to start on a datasource of a missing one): create it once with `POST /api/orgs`.
   */
  grafana_org_id: z.number({ error: "expected a Grafana organization id such as 2" }).int({ error: "expected a whole number" }).min(1, { error: "expected a Grafana organization id of at least 1 (1 is the Main Org.)" }).default(1),
  /** This tenant's limits where they differ from the component sections (mimir.limits, loki.limits, ...). */
  limits: z
    .strictObject({
      mimir: limitOverrides(MIMIR_LIMIT_FIELDS),
      loki: limitOverrides(LOKI_LIMIT_FIELDS),
      tempo: limitOverrides(TEMPO_LIMIT_FIELDS),
      pyroscope: limitOverrides(PYROSCOPE_LIMIT_FIELDS),
    })
    .prefault({}),
});
export type TenantSettings = z.infer<typeof tenantSchema>;
/**
 * The optional query cache (settings/cache.ts): memcached tasks on Fargate, registered in Cloud Map as
 * `memcached.<namespace>`, in front of S3 for Mimir's and Loki's queries. Sizes left out are derived
 * from the `load` block (or Grafana's recommended figures without one); set values win and are checked.
 */
export const cacheSchema = z.strictObject({
  /** Run the cache and point Mimir's and Loki's caches at it. */
  enabled: z.boolean().default(false),
  /** memcached image with a pinned tag (ECR Public's copy of Docker's library image: no Docker Hub rate limits). */
  image: z
    .string()
    .regex(/^[a-z0-9]+([._/-][a-z0-9]+)*:[A-Za-z0-9._-]+(@sha256:[a-f0-9]{64})?$/, { error: 'expected an image reference with a pinned tag, such as "public.ecr.aws/docker/library/memcached:1.6.38"' })
    .default("public.ecr.aws/docker/library/memcached:1.6.38"),
  /** memcached's TCP port (`--port`), the port of every client address and of the security-group rules. */
  port: port.default(11211),
  /** Cache tasks; keys are spread over them by consistent hashing, so a replaced task empties only its share. Derived when omitted. */
  desired_count: positiveInt("a number of tasks").optional(),
  /** Task CPU units (a Fargate size). Derived when omitted. */
  cpu: positiveInt("CPU units (1024 = 1 vCPU)").optional(),
  /** Task memory in MiB (a Fargate size with cpu). Derived when omitted: memory_limit_mb plus 20%. */
  memory: positiveInt("MiB").optional(),
  /** memcached's item memory per task (`--memory-limit`, MiB). Derived when omitted. */
  memory_limit_mb: positiveInt("MiB").optional(),
  /** Largest item memcached stores (`--max-item-size`, MiB); the clients' max_item_size is the same value. */
  max_item_size_mb: z.number({ error: "expected MiB (a whole number, 1-128)" }).int({ error: "expected MiB (a whole number, 1-128)" }).min(1, { error: "expected MiB (a whole number, 1-128)" }).max(128, { error: "expected MiB (a whole number, 1-128)" }).default(5),
  /** Simultaneous connections per task (`--conn-limit`). Derived when omitted from the clients' idle-connection pools. */
  connection_limit: positiveInt("a number of connections").optional(),
  /** memcached worker threads (`--threads`). */
  threads: positiveInt("a number of threads").default(4),
  /** Hours of recent chunks the cache is sized to hold, when derived from the load. */
  hot_window_hours: positiveNumber("hours").default(24),
  /** `ARM64` or `X86_64`; default ARM64 (the image is published for linux/arm64). */
  cpu_architecture: z.enum(["X86_64", "ARM64"], { error: 'expected "X86_64" or "ARM64"' }).optional(),
});
export type CacheSettings = z.infer<typeof cacheSchema>;

export const settingsSchema = z.strictObject({
  /** Short project name used in every resource name ("lgtm"). */
  project: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,15}$/, { error: "expected 2-16 lowercase letters, digits or '-', starting with a letter" }),
  aws: z.strictObject({
    region,
    /** The provider refuses any other account: prod can never be applied with dev credentials. */
    allowed_account_ids: z.array(awsAccountId).min(1, { error: "expected at least one account id" }),
    /** Role the provider assumes, when the pipeline's own credentials are not the deploy role. */
    assume_role_arn: arn.optional(),
  }),
  /** Extra tags on every resource, next to Project, Environment, Layer and ManagedBy. */
  tags: z
    .record(
      z.string().superRefine((k, ctx) => {
        const problem =
          k.length === 0 || [...k].length > TAG_KEY_MAX
            ? `is ${[...k].length} characters; AWS tag keys are 1-${TAG_KEY_MAX}`
            : /^aws:/i.test(k)
              ? 'starts with "aws:", which AWS reserves for its own tags'
              : !TAG_CHARS_RE.test(k)
                ? "has characters AWS does not allow in tag keys (letters, digits, spaces and _ . : / = + - @)"
                : undefined;
        if (problem) ctx.addIssue({ code: "custom", input: k, message: `tag key ${shown(k)} ${problem}` });
      }),
      z
        .string({ error: "expected a tag value in quotes" })
        .max(TAG_VALUE_MAX, { error: `expected a tag value of at most ${TAG_VALUE_MAX} characters` })
        .regex(TAG_CHARS_RE, { error: "expected a tag value of letters, digits, spaces and _ . : / = + - @" }),
    )
    .default({}),
  state_backend: z.strictObject({
    /** Bucket created by the 00-bootstrap layer and used by every other layer's S3 backend. */
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "expected an S3 bucket name" }),
    /** Region of the state bucket; defaults to aws.region. */
    region: region.optional(),
    /** S3-compatible endpoint for the state bucket (tests, on-prem stores); AWS's own when omitted. */
    endpoint: z.url({ error: 'expected a URL such as "http://127.0.0.1:4568"' }).optional(),
    /** Path-style addressing, needed by most S3-compatible servers. */
    use_path_style: z.boolean().default(false),
  }),
  /**
   * The default tenant: Alloy's own pipelines and the first datasource of each kind use it. Kept from
   * the single-tenant settings; declare more tenants in `tenants`.
   */
  tenant_id: tenantId,
  /** Tenants beyond (or describing) tenant_id: description and per-tenant limit overrides. */
  tenants: z.record(tenantId, tenantSchema).default({}),
  /** Where tasks pull images from: the upstream registry, or this project's ECR copies. */
  /**
   * "upstream": the registries themselves, through NAT; "ecr": this project's ECR copies;
   * "pull_through": the upstream images through the account's ECR pull-through cache (Docker Hub and
   * ECR Public), scanned on push, pulled through the ECR interface endpoints.
   */
  image_source: z.enum(["upstream", "ecr", "pull_through"], { error: 'expected "upstream", "ecr" or "pull_through"' }).default("upstream"),
  network: z.strictObject({
    vpc_cidr: cidr,
    availability_zones: z.array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, { error: 'expected an AZ name such as "ap-northeast-2a"' })),
    public_subnet_cidrs: z.array(cidr),
    private_subnet_cidrs: z.array(cidr),
    /** "per_az": one NAT gateway per AZ (survives an AZ loss); "single": one, cheaper. */
    nat_gateways: z.enum(["per_az", "single"], { error: 'expected "per_az" or "single"' }),
    /** Interface VPC endpoints, so image pulls, logs and secrets do not cross the NAT gateway. */
    interface_endpoints: z.array(z.enum(INTERFACE_ENDPOINTS, { error: `expected one of ${INTERFACE_ENDPOINTS.join(", ")}` })).default([]),
  }),
  load_balancer: z.strictObject({
    /** ACM certificate for the 443 listener; with it, port 80 redirects to 443. */
    certificate_arn: arn.optional(),
    /**
     * The name users reach Grafana at, in a Route 53 hosted zone of this account: the project creates
     * an ACM certificate validated through DNS (unless certificate_arn is set), the alias record to
     * the ALB, and Grafana's root_url. With it, port 80 only redirects to 443.
     */
    domain: z
      .strictObject({
        /** Fully qualified name, e.g. "grafana.example.com". */
        name: z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { error: 'expected a lowercase DNS name such as "grafana.example.com"' }),
        /** Id of the Route 53 public hosted zone that holds the name (and the certificate's validation record). */
        zone_id: z.string({ error: 'expected the Route 53 hosted zone id holding the name, such as "Z0123456789ABCDEFGHIJ"' }).regex(/^Z[A-Z0-9]{1,32}$/, { error: 'expected a Route 53 hosted zone id such as "Z0123456789ABCDEFGHIJ"' }),
      })
      .optional(),
    /**
     * TLS policy of the 443 listener: one of ELB's predefined policies (settings/aws-rules.ts
     * ELB_SSL_POLICIES) with TLS 1.3 and TLS 1.2 or 1.3 as the minimum (Security Hub ELB.17).
     */
    ssl_policy: z
      .string({ error: 'expected an ELB security policy name such as "ELBSecurityPolicy-TLS13-1-2-2021-06"' })
      .superRefine((v, ctx) => {
        if (!(ELB_SSL_POLICIES as readonly string[]).includes(v)) {
          const hint = didYouMean(v, ELB_SSL_POLICIES);
          ctx.addIssue({ code: "custom", message: `${shown(v)} is not an ELB security policy${hint ? `; did you mean "${hint}"?` : ""} (expected one of ELB's predefined policies, such as "ELBSecurityPolicy-TLS13-1-2-2021-06")` });
        } else if (!/^ELBSecurityPolicy-TLS13-1-[23]-/.test(v)) {
          ctx.addIssue({ code: "custom", message: `${shown(v)} accepts TLS below 1.2 or offers no TLS 1.3 (Security Hub ELB.17); expected a TLS13-1-2 or TLS13-1-3 policy such as "ELBSecurityPolicy-TLS13-1-2-2021-06"` });
        }
      })
      .default("ELBSecurityPolicy-TLS13-1-2-2021-06"),
    /** Who may reach the ALB at all (Grafana's UI). */
    ui_allowed_cidrs: namedCidrs,
    /** Who may use the ingestion and query paths through the public ALB. Empty: nobody. */
    ingest_allowed_cidrs: namedCidrs.default({}),
    /** Peered networks that reach services at their Cloud Map addresses (the VPC itself always can). */
    internal_client_cidrs: namedCidrs.default({}),
    /** Service behind the listener's default action. */
    default_service: z.string().default("grafana"),
    deletion_protection: z.boolean().default(true),
    idle_timeout_seconds: z.number().int().min(1).max(4000).default(60),
    /**
     * An AWS WAF web ACL on the ALB (50-loadbalancer, modules/web-acl): AWS managed rule groups, a
     * rate limit per client address and a stricter one on Grafana's login, logs of what it blocks.
     */
    waf: z
      .strictObject({
        enabled: z.boolean({ error: "expected true or false" }).default(false),
        /** Requests each client address may send in 5 minutes (WAF rate-based rules), beyond which WAF answers 403. */
        rate_limit: z
          .strictObject({
            /** Every request through the ALB, any path. */
            requests_per_5_minutes: z
              .number({ error: "expected a number of requests" })
              .int({ error: "expected a whole number of requests" })
              .min(WAF_MIN_RATE_LIMIT, { error: `expected at least ${WAF_MIN_RATE_LIMIT} requests (AWS WAF's smallest rate limit)` })
              .max(WAF_MAX_RATE_LIMIT, { error: `expected at most ${WAF_MAX_RATE_LIMIT} requests (AWS WAF's largest rate limit)` })
              .default(6000),
            /** Requests to Grafana's login paths (`/login`, `/login/<provider>`): password guessing. */
            login_requests_per_5_minutes: z
              .number({ error: "expected a number of requests" })
              .int({ error: "expected a whole number of requests" })
              .min(WAF_MIN_RATE_LIMIT, { error: `expected at least ${WAF_MIN_RATE_LIMIT} requests (AWS WAF's smallest rate limit)` })
              .max(WAF_MAX_RATE_LIMIT, { error: `expected at most ${WAF_MAX_RATE_LIMIT} requests (AWS WAF's largest rate limit)` })
              .default(100),
          })
          .prefault({}),
      })
      .prefault({}),
  }),
  service_discovery: z.strictObject({
    /** Private DNS namespace; every service is `<name>.<namespace>`. */
    namespace: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, {
      error: 'expected a DNS name such as "lgtm.local"',
    }),
  }),
  /** Memberlist gossip port of every ring member (TCP and UDP). */
  memberlist_port: port.default(7946),
  /** OTLP receiver ports of the services that receive OTLP (Tempo, Alloy). */
  otlp: z.strictObject({ grpc_port: port.default(4317), http_port: port.default(4318) }).prefault({}),
  storage: z.strictObject({
    data_bucket_name: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "expected an S3 bucket name (3-63 lowercase letters, digits, '.', '-')" }),
    /** Objects under a live prefix expire this many days after the service's retention. */
    lifecycle_margin_days: nonNegativeInt("a number of days").default(30),
    abort_incomplete_upload_days: positiveInt("a number of days").default(7),
    /** Storage-class transitions of live prefixes. Only classes the services can read instantly. */
    transitions: z
      .array(
        z.strictObject({
          days: positiveInt("a number of days"),
          storage_class: z.enum(STORAGE_CLASSES, { error: `expected one of ${STORAGE_CLASSES.join(", ")}` }),
        }),
      )
      .default([]),
    force_destroy: z.boolean().default(false),
    /**
     * The data bucket is versioned: a deleted or overwritten object stays recoverable this many days
     * (an undo window against a compromised task role deleting its prefix), then S3 removes it. Short,
     * because the components delete and rewrite blocks all the time (compaction).
     */
    noncurrent_version_days: positiveInt("a number of days").default(7),
  }),
  /**
   * The audit trail: one log bucket (created by 00-bootstrap) receiving the ALB's access logs, the
   * VPC's flow logs and the S3 server access logs of the data and state buckets.
   */
  audit_logs: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Name of the log bucket; required while enabled. */
      bucket_name: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "expected an S3 bucket name (3-63 lowercase letters, digits, '.', '-')" }).optional(),
      /** Days a log object is kept. */
      retention_days: positiveInt("a number of days").default(365),
      /** ALB access logs (Security Hub ELB.5). */
      alb_access_logs: z.boolean().default(true),
      /** VPC flow logs, all traffic (EC2.6). */
      vpc_flow_logs: z.boolean().default(true),
      /** S3 server access logs of the data and state buckets (S3.9). */
      s3_access_logs: z.boolean().default(true),
      /**
       * S3 Object Lock on the (versioned) log bucket: every log object is write-once for `days`.
       * GOVERNANCE: only a principal with s3:BypassGovernanceRetention can delete early; COMPLIANCE:
       * nobody, the root user included. Omitted: no lock. Once on, it cannot be switched off.
       */
      object_lock: z
        .strictObject({
          mode: z.enum(["GOVERNANCE", "COMPLIANCE"], { error: 'expected "GOVERNANCE" or "COMPLIANCE"' }),
          days: positiveInt("a number of days"),
        })
        .optional(),
    })
    .prefault({}),
  /**
   * Customer managed KMS keys (rotation on, key policy naming only the services that use them)
   * instead of the default SSE-S3 / CloudWatch Logs encryption.
   */
  kms: z
    .strictObject({
      /** The data bucket (30-storage): the task roles may use only this key, only through S3. */
      data_bucket: z.boolean().default(false).describe("Encrypt the data bucket with a customer managed KMS key (30-storage; rotation on, usable only through S3 by this account); the task roles get `kms:Decrypt`/`kms:GenerateDataKey` on that key only. Off: SSE-S3 (AES256)."),
      /** The log bucket (00-bootstrap); AWS delivers ALB and S3 server access logs only to SSE-S3 buckets. */
      audit_bucket: z.boolean().default(false).describe("Encrypt the log bucket with a customer managed KMS key (00-bootstrap; VPC flow log delivery may use it). Refused while `audit_logs.alb_access_logs` or `audit_logs.s3_access_logs` is on: AWS delivers those only to SSE-S3 buckets. Off: SSE-S3."),
      /** The services' CloudWatch log groups (60-ecs). */
      log_groups: z.boolean().default(false).describe("Encrypt the services' CloudWatch log groups with a customer managed KMS key (60-ecs; usable by CloudWatch Logs for this environment's log groups only). Off: CloudWatch Logs' own encryption."),
    })
    .prefault({}),
  storage_prefixes: z.strictObject(storagePrefixShape),
  ecr: z
    .strictObject({
      scan_on_push: z.boolean().default(true),
      keep_last_images: positiveInt("a number of images").default(30),
      image_tag_mutability: z.enum(["IMMUTABLE", "MUTABLE"]).default("IMMUTABLE"),
      /**
       * Secrets Manager secret with the Docker Hub credentials (`{"username", "accessToken"}`) of the
       * pull-through cache rule; AWS requires its name to start with "ecr-pullthroughcache/".
       */
      docker_hub_credential_arn: z
        .string()
        .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:secret:ecr-pullthroughcache\/[A-Za-z0-9/_+=.@-]+$/, {
          error: 'expected the ARN of a Secrets Manager secret named "ecr-pullthroughcache/<name>" (AWS requires that prefix for pull-through cache credentials)',
        })
        .optional(),
    })
    .prefault({}),
  logs: z
    .strictObject({
      /** CloudWatch retention of the services' log groups. */
      retention_days: z
        .number()
        .refine((d) => LOG_RETENTION_DAYS.includes(d as (typeof LOG_RETENTION_DAYS)[number]), {
          error: `expected a CloudWatch retention: one of ${LOG_RETENTION_DAYS.join(", ")} days`,
        })
        .default(7),
      /**
       * CloudWatch retention of the log groups that hold audit records: the gateway's access log (who
       * pushed, queried or deleted what, with which tenant's credential). At least 365 days unless
       * `accept_risks.short_audit_retention`.
       */
      audit_retention_days: z
        .number()
        .refine((d) => LOG_RETENTION_DAYS.includes(d as (typeof LOG_RETENTION_DAYS)[number]), {
          error: `expected a CloudWatch retention: one of ${LOG_RETENTION_DAYS.join(", ")} days`,
        })
        .default(365),
    })
    .prefault({}),
  ecs: z
    .strictObject({
      container_insights: z.enum(["enabled", "enhanced", "disabled"]).default("enabled"),
      /** Seconds the service ignores failing ALB health checks after a task starts. */
      health_check_grace_period_seconds: nonNegativeInt("seconds").default(120),
      /**
       * Image of the init container that writes each task's rendered config files (any image with a
       * POSIX shell, sha256sum and chown; zone-aware rings also use wget, sed, head and timeout). ECR Public's copy of Docker's busybox: no Docker Hub rate limits.
       */
      config_init_image: z
        .string()
        .regex(/^[a-z0-9]+([._/:-][a-z0-9]+)*(@sha256:[a-f0-9]{64})?$/, { error: 'expected an image reference such as "public.ecr.aws/docker/library/busybox:1.37.0"' })
        .default("public.ecr.aws/docker/library/busybox:1.37.0"),
    })
    .prefault({}),
  /** Risks an environment accepts knowingly (dev); prod leaves them false. */
  accept_risks: z
    .strictObject({
      /** Run stateful ring members (Mimir, Loki, Tempo, Pyroscope) on Fargate Spot. */
      spot_for_stateful: z.boolean().default(false),
      /**
       * Ring members (mimir, loki, tempo, pyroscope) allowed to run where losing one task or one
       * availability zone stops their writes (settings/quorum.ts): dev's single tasks, Tempo 3 monolithic.
       */
      reduced_redundancy: z.array(z.string({ error: "expected a service name" })).default([]),
      /**
       * Keep audit records (`audit_logs.retention_days`, `logs.audit_retention_days`) less than the
       * 365 days an incident investigation may need to reach back.
       */
      short_audit_retention: z.boolean().default(false),
      /**
       * Findings of the synth-time policy pack (policy/) this environment accepts, by Security Hub
       * control id: `{ "ELB.1" = { reason = "...", resources = ["aws_lb_listener.public_http"] } }`.
       * The reason is mandatory and printed in the synth summary; `resources` (Terraform addresses,
       * `address#container` for one container) narrows the waiver, omitted it covers the control.
       */
      waivers: z
        .record(
          z.string().regex(/^[A-Za-z0-9]+\.[0-9]+$/, { error: 'expected a Security Hub control id such as "ELB.1"' }),
          z.strictObject({
            reason: z
              .string({ error: "expected a reason: why this environment accepts the risk (it is printed in the synth summary)" })
              .trim()
              .min(15, { error: "expected a reason of at least 15 characters: why this environment accepts the risk" }),
            resources: z
              .array(z.string().regex(/^[a-z0-9_]+\.[A-Za-z0-9_-]+(#[A-Za-z0-9_-]+)?$/, { error: 'expected a Terraform address such as "aws_lb_listener.public_http" (optionally "#<container>")' }))
              .optional(),
          }),
        )
        .default({}),
    })
    .prefault({}),
  /**
   * Network interfaces a ring member takes its advertised address from, first usable wins. On Fargate
   * platform 1.4 the task ENI is eth1 (eth0 carries only 169.254.172.x, which dskit skips when another
   * interface has an address); elsewhere in awsvpc mode the ENI is eth0.
   */
  ring_interface_names: z
    .array(z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, { error: 'expected a network interface name such as "eth1"' }))
    .min(1, { error: "expected at least one interface name" })
    .default(["eth1", "eth0"]),
  /** Mimir settings rendered into its config (limits). */
  mimir: mimirSchema.prefault({}),
  /** Loki settings rendered into its config (limits, per-stream retention, schema start). */
  loki: lokiSchema.prefault({}),
  /** Tempo settings rendered into its config (limits). */
  tempo: tempoSchema.prefault({}),
  /** Pyroscope settings rendered into its config (limits). */
  pyroscope: pyroscopeSchema.prefault({}),
  /** Alloy settings rendered into config.alloy. */
  alloy: alloySchema.prefault({}),
  /** Alloy scrapes every task's own /metrics into Mimir under a dedicated tenant (docs/operating.md). */
  self_monitoring: selfMonitoringSchema.prefault({}),
  /**
   * Adopting an existing deployment (docs/migration.md): resources that already exist are imported
   * (Terraform `import` blocks) instead of created, and names the previous stack used are compared
   * with the names this project creates.
   */
  adopt: z
    .strictObject({
      /** Import the existing bucket `storage.data_bucket_name` (its data, prefixes and tenant stay). */
      data_bucket: z.boolean().default(false),
      /** Services whose existing ECR repository (named `<project>-<service>`) is imported. */
      ecr_repositories: z.array(z.string({ error: "expected a service name" })).default([]),
      /** Names of the previous stack's resources (buckets, clusters, ALBs, repositories, log groups, roles, ...). */
      previous_names: z.array(z.string().min(1, { error: "expected a resource name" })).default([]),
    })
    .prefault({}),
  /** Where alerts go and when AWS-side alarms fire (docs/operating.md). */
  alerts: alertsSchema.prefault({}),
  /** Grafana settings passed as environment variables. */
  grafana: grafanaSchema.prefault({}),
  /** Expected load; sizes of Mimir, Loki and Tempo follow from it where not set (settings/sizing.ts). */
  load: loadSchema.optional(),
  /** Cost estimate inputs (npm run cost): price overrides and usage assumptions. */
  cost: costSchema.prefault({}),
  /** The optional memcached query cache for Mimir and Loki (settings/cache.ts). */
  cache: cacheSchema.prefault({}),
  /** The authenticating gateway in front of Mimir, Loki, Tempo and Pyroscope (docs/gateway.md). */
  gateway: z
    .strictObject({
      /**
       * Largest request body the gateway admits (nginx `client_max_body_size`), in MiB: remote-write
       * batches, log pushes, OTLP exports, profiles. Larger requests get 413 at the gateway. Every
       * backend's gRPC message limits are rendered at least this large (templates/context.ts
       * GRPC_MESSAGE_FLOOR_BYTES), so a request the gateway admits is never refused inside a backend.
       */
      max_body_size_mib: positiveInt("a size in MiB")
        .max(GATEWAY_MAX_BODY_SIZE_MIB_LIMIT, {
          error: `expected at most ${GATEWAY_MAX_BODY_SIZE_MIB_LIMIT} MiB: a body is buffered into the backend's memory whole, decompressed, on every replica`,
        })
        .default(64),
      /**
       * Routes that destroy or rewrite a tenant's data, off unless set: each answers 404 while off;
       * when on, only the tenant's admin credential (`<project>/<env>/gateway/<tenant>/admin`,
       * generated only while one is on) reaches it, never its write or read credential.
       */
      admin_routes: z
        .strictObject({
          /** Loki's log deletion API: `/loki/api/v1/delete` (create, list, cancel). */
          loki_delete: z.boolean({ error: "expected true or false" }).default(false),
          /** Mimir's ruler configuration API: `<prometheus prefix>/config/v1/rules` (write and delete rule groups). */
          mimir_rules: z.boolean({ error: "expected true or false" }).default(false),
        })
        .prefault({}),
      /**
       * Requests per second each tenant may send through one gateway task (nginx `limit_req`, keyed
       * by the authenticated tenant, shared by its write, read and admin credentials), and the burst
       * admitted above it without delay; beyond that the gateway answers 429.
       */
      rate_limit: z
        .strictObject({
          requests_per_second: positiveInt("a number of requests per second").default(200),
          burst: nonNegativeInt("a number of requests").default(400),
        })
        .prefault({}),
    })
    .prefault({}),
  services: z.strictObject(servicesShape),
});

/** Settings as written in the files, after defaults. */
export type SettingsInput = z.infer<typeof settingsSchema>;

/** The validated settings of one environment. Stacks and templates read only this. */
export interface Settings extends SettingsInput {
  /** Environment name, from the file name `environments/<env>.tfvars`. */
  readonly env: string;
}
