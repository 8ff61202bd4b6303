/**
 * The one typed schema of the tfvars-style settings (environments/common.tfvars merged with
 * environments/<env>.tfvars). Keys keep their tfvars spelling so that an error, the README and the
 * file a user edits all use the same names. Every object is strict: an unknown key is an error.
 *
 * Single-field rules live here; rules that relate several fields live in ./checks.ts.
 */
import { z } from "zod";
import { SERVICE_NAMES, STORAGE_PREFIX_KEYS, type ServiceName } from "./components";

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
const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: 'expected an AWS region such as "ap-northeast-2"' });
const positiveInt = (what: string) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
const nonNegativeInt = (what: string) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).min(0, { error: `expected ${what}` });

export const INTERFACE_ENDPOINTS = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts", "monitoring"] as const;
/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
export const STORAGE_CLASSES = ["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] as const;

const serviceSchema = z.strictObject({
  /** Image repository, e.g. "grafana/mimir"; with `image_source = "ecr"` the ECR copy is used instead. */
  image: z.string().regex(/^[a-z0-9]+([._/-][a-z0-9]+)*$/, { error: 'expected an image repository such as "grafana/loki"' }),
  /** Image tag (the component's release). */
  version: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { error: 'expected an image tag such as "3.7.6"' }),
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
  retention_days: positiveInt("a number of days").optional(),
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

// Sources of the defaults: README "Limits". "team": the values the team's hand-written stack ran
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
        days: positiveInt("a number of days"),
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
   * Those receivers take unauthenticated in-VPC senders (README "Who can reach what"): keep this a
   * tenant that may receive such data.
   */
  otlp_tenant: z.string().optional(),
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

const grafanaSchema = z.strictObject({
  /** Admin login (GF_SECURITY_ADMIN_USER). The password comes from Secrets Manager, never from settings. */
  admin_user: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, { error: "expected a user name of letters, digits and ._@-" }).default("admin"),
  /**
   * Where Grafana keeps users, API keys and dashboards saved in the UI. Omitted: its SQLite database on
   * an encrypted EFS file system (one task). An external PostgreSQL/MySQL lets Grafana run several tasks.
   */
  database: grafanaDatabaseSchema.optional(),
});

/**
 * A tenant id every backend accepts (dskit's tenant rules, shared by Mimir, Loki, Tempo and
 * Pyroscope): 1-150 characters of letters, digits and !-_.*'(), and not "." or "..". '|' would be
 * read as a list of tenants (federation), '/' would escape the tenant's storage prefix.
 */
export const TENANT_ID_RE = /^[A-Za-z0-9!_.*'()-]{1,150}$/;
export const tenantId = z
  .string()
  .regex(TENANT_ID_RE, { error: "expected a tenant id of 1-150 letters, digits and !_.*'()- (Mimir, Loki, Tempo and Pyroscope refuse others; no '/' or '|')" })
  .refine((v) => v !== "." && v !== "..", { error: 'a tenant id may not be "." or ".." (Mimir, Loki, Tempo and Pyroscope refuse them: they would name a parent directory)' });

/** What a tenant's gateway credentials may push and query. */
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
  tags: z.record(z.string(), z.string()).default({}),
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
  image_source: z.enum(["upstream", "ecr"], { error: 'expected "upstream" or "ecr"' }).default("upstream"),
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
    ssl_policy: z.string().default("ELBSecurityPolicy-TLS13-1-2-2021-06"),
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
  }),
  storage_prefixes: z.strictObject(storagePrefixShape),
  ecr: z
    .strictObject({
      scan_on_push: z.boolean().default(true),
      keep_last_images: positiveInt("a number of images").default(30),
      image_tag_mutability: z.enum(["IMMUTABLE", "MUTABLE"]).default("IMMUTABLE"),
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
    })
    .prefault({}),
  ecs: z
    .strictObject({
      container_insights: z.enum(["enabled", "enhanced", "disabled"]).default("enabled"),
      /** Seconds the service ignores failing ALB health checks after a task starts. */
      health_check_grace_period_seconds: nonNegativeInt("seconds").default(120),
      /**
       * Image of the init container that writes each task's rendered config files (any image with a
       * POSIX shell and sha256sum). ECR Public's copy of Docker's busybox: no Docker Hub rate limits.
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
  /** Grafana settings passed as environment variables. */
  grafana: grafanaSchema.prefault({}),
  services: z.strictObject(servicesShape),
});

/** Settings as written in the files, after defaults. */
export type SettingsInput = z.infer<typeof settingsSchema>;

/** The validated settings of one environment. Stacks and templates read only this. */
export interface Settings extends SettingsInput {
  /** Environment name, from the file name `environments/<env>.tfvars`. */
  readonly env: string;
}
