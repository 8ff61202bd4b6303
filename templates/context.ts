/**
 * The view model the config templates render from. Every URL, port, path prefix, tenant, bucket,
 * region, storage prefix and retention in a rendered file comes from `Settings` through this module;
 * the templates only arrange keys.
 *
 * Addresses of other services are built by `producerAddress`, which refuses a (consumer, producer,
 * port) pair that settings/components.ts CONSUMERS does not list: a template cannot point at a
 * service or port the catalog does not say it uses (the security-group rules come from the same
 * table). checkRenderedConfigs (./config-checks.ts) parses the URLs back out of the rendered files
 * and compares them with the catalog independently of this code.
 */
import { CONSUMERS, COMPONENTS, DATA_DIRS, RING_SERVICES, joinPath, type ProducerPort, type RingServiceName, type ServiceName } from "../settings/components";
import { resolveCache } from "../settings/cache";
import { CLOUD_MAP_DNS_TTL_SECONDS, serviceHost } from "../settings/catalog";
import { selfScrapeTargets } from "../settings/self-monitoring";
import { SELF_MONITORING_DATASOURCE_UID, alertingProvisioning } from "./grafana-alerting";
import { dashboardJson, dashboardSpecs } from "./grafana-dashboards";
import { ringClusterLabel } from "../settings/names";
import { replicationFactor, zoneAware } from "../settings/quorum";
import { SIGNALS, type LokiLimits, type MimirLimits, type PyroscopeLimits, type Settings, type Signal, type TempoLimits } from "../settings/schema";
import { createHash } from "node:crypto";
import { alloyLabelPart, gatewayRoles, tenants, tenantsOverriding, type GatewayRole } from "../settings/tenants";
import { GATEWAY_ALLOW_LIST, routeHasParameter, routeRegex } from "../settings/gateway-routes";
import { SHUTDOWN_BUDGET, seconds } from "../settings/shutdown";

/** Where every config file is mounted in its container (a task-scoped volume, read-only). */
export const CONFIG_DIR = "/etc/lgtm";

/**
 * Mimir's Prometheus-compatible query API root (`api.prometheus_http_prefix`, upstream default).
 * It is also one of COMPONENTS.mimir.apiRoots, which the ALB rules are checked against.
 */
export const MIMIR_PROMETHEUS_PREFIX = "/prometheus";
/** Mimir's remote-write route. */
export const MIMIR_PUSH_PATH = "/api/v1/push";
/** Loki's push route. */
export const LOKI_PUSH_PATH = "/loki/api/v1/push";

/**
 * Data directories of the components (settings/components.ts): task volumes on the task's ephemeral
 * storage, chowned to the image's user by the config init container.
 */
export { DATA_DIRS } from "../settings/components";

/**
 * The runtime overrides file of Mimir, Loki, Tempo and Pyroscope, beside the main config in
 * CONFIG_DIR: per-tenant limits, delivered by the init container like the main file. A local file
 * always: Mimir fails to start on an s3:// runtime_config (seed 000).
 */
export const RUNTIME_OVERRIDES_FILE = "overrides.yaml";

/**
 * Grafana datasource uids of the default tenant (tenant_id), referenced by the trace/log/metric/
 * profile links between them. Kept from the single-tenant file, so dashboards that name them still work.
 */
export const DATASOURCE_UIDS = { mimir: "mimir", loki: "loki", tempo: "tempo", pyroscope: "pyroscope" } as const;
export type DatasourceComponent = keyof typeof DATASOURCE_UIDS;
/** Grafana's limit on a datasource uid. */
export const GRAFANA_UID_MAX = 40;
/** Display names of the datasources, per component. */
export const DATASOURCE_NAMES = { mimir: "Mimir", loki: "Loki", tempo: "Tempo", pyroscope: "Pyroscope" } as const satisfies Record<DatasourceComponent, string>;

/**
 * The uid of `component`'s datasource for one tenant: the shipped uid for the default tenant;
 * `<component>-t-<tenant>` when that is a valid uid within 40 characters; otherwise a readable
 * part plus a hash of the tenant id, so distinct tenants never share a uid.
 */
export function datasourceUid(component: DatasourceComponent, tenant: string, isDefault: boolean): string {
  if (isDefault) return DATASOURCE_UIDS[component];
  const plain = `${component}-t-${tenant}`;
  if (/^[A-Za-z0-9_-]+$/.test(tenant) && plain.length <= GRAFANA_UID_MAX) return plain;
  const hash = createHash("sha256").update(tenant).digest("hex").slice(0, 8);
  const readable = tenant.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, GRAFANA_UID_MAX - component.length - 3 - 1 - hash.length);
  return `${component}-t-${readable}-${hash}`;
}

/**
 * `auto_forget_unhealthy_periods` of the rings that have the key (Mimir's distributor, store-gateway,
 * compactor and ruler rings): a member that died without leaving (SIGKILL, OOM, AZ loss) is dropped
 * from the ring after this many heartbeat timeouts (2 × 1m), instead of Mimir's default 10. A member
 * that was only slow re-registers itself at its next heartbeat. Rings without the key forget on their
 * own (Tempo's live store and backend worker: 2 periods, built in) or not at all (Mimir's and
 * Pyroscope's ingester rings: see docs/operating.md, "When a task dies").
 */
export const RING_AUTO_FORGET_UNHEALTHY_PERIODS = 2;

/**
 * `memberlist.rejoin_interval`: every member re-resolves its Cloud Map name and joins what it finds.
 * Tasks that start together can each resolve the name before the others register and form separate
 * clusters (rings that each think they own every token); rejoining merges them within a minute.
 */
export const MEMBERLIST_REJOIN_INTERVAL = "1m";

export interface ServerView {
  readonly httpPort: number;
  readonly grpcPort: number;
  /** `server.http_path_prefix`, or null when the component takes its prefix elsewhere or has none. */
  readonly pathPrefix: string | null;
  /** `server.graceful_shutdown_timeout` (settings/shutdown.ts). */
  readonly gracefulShutdownTimeout: string;
  /**
   * `server.grpc_server_max_recv_msg_size` / `_send_`, and the push clients' limits
   * (`grpcMessageBytes`): at least the gateway's body limit.
   */
  readonly grpcMaxMsgBytes: number;
  /**
   * `server.http_server_write_timeout`, or null for the component's default (30 s). Set where a push
   * may legitimately take longer than that inside the component (Loki: LOKI_INGESTER_REMOTE_TIMEOUT_S).
   */
  readonly httpWriteTimeout: string | null;
}

/**
 * Loki's `ingester_client.remote_timeout`: a distributor's push of a body as large as the gateway
 * admits to each ingester replica (upstream's 5 s cut a 62 MiB push off with 500 DeadlineExceeded).
 */
export const LOKI_INGESTER_REMOTE_TIMEOUT_S = 60;
/**
 * Loki's HTTP write timeout: the remote timeout plus a margin for the distributor's own work. Left at
 * upstream's 30 s, Loki closed the push request while the distributor still waited for the ingesters
 * (the system tier's 62 MiB push got 502 from the gateway after 34 s).
 */
export const LOKI_HTTP_WRITE_TIMEOUT_S = LOKI_INGESTER_REMOTE_TIMEOUT_S + 30;

const MIB = 1024 * 1024;
/**
 * The smallest gRPC message limit rendered: 100 MiB, the largest push the distributors of Mimir, Loki
 * and Pyroscope accept once decompressed (`distributor.max_recv_msg_size`, upstream default, left as
 * it is) and their gRPC clients' default. A body the gateway admits compressed can be this large
 * once decompressed and is then forwarded to one ingester whole (Loki 3.7.6 measured: a 45 MB
 * message against its 4 MiB server default answered 500).
 */
export const GRPC_MESSAGE_FLOOR_BYTES = 100 * MIB;

/** The gateway's body limit in bytes (`gateway.max_body_size_mib`). */
export const gatewayBodyLimitBytes = (s: Settings): number => s.gateway.max_body_size_mib * MIB;

/**
 * The gRPC message limit of every backend behind the gateway, server and push clients alike: the
 * gateway's body limit, at least GRPC_MESSAGE_FLOOR_BYTES. A request the gateway admits is then
 * never refused with a 500 inside a backend (checked by config-checks.ts on the rendered files).
 */
export const grpcMessageBytes = (s: Settings): number => Math.max(gatewayBodyLimitBytes(s), GRPC_MESSAGE_FLOOR_BYTES);

/**
 * What a zone-aware ring member renders as its availability zone. One task definition serves every
 * task of a service, so the AZ cannot be rendered in: the config init container replaces this token
 * with the task's own AZ, read from the ECS task metadata endpoint (v4, `AvailabilityZone`) when
 * the task starts (modules/config-delivery). Letters, digits and `_` only: nothing in YAML or sed
 * needs quoting, and no component would expand it.
 */
export const AVAILABILITY_ZONE_PLACEHOLDER = "__LGTM_TASK_AVAILABILITY_ZONE__";

export interface RingView {
  readonly interfaceNames: readonly string[];
  /**
   * Zone-aware replication on this ring (settings/quorum.ts zoneAware, on rings that have the keys):
   * `instance_availability_zone` is AVAILABILITY_ZONE_PLACEHOLDER and `zone_awareness_enabled` true;
   * null elsewhere.
   */
  readonly zone: string | null;
  /** Rendered only on rings that replicate (ingesters, store-gateways); null elsewhere. */
  readonly replicationFactor: number | null;
  /** `auto_forget_unhealthy_periods`, on rings that have the key; null elsewhere. */
  readonly autoForgetUnhealthyPeriods: number | null;
  /** `unregister_on_shutdown`, on rings that have the key (leave the ring on a graceful stop); null elsewhere. */
  readonly unregisterOnShutdown: boolean | null;
}

export interface MemberlistView {
  readonly bindPort: number;
  /** Only the component's own Cloud Map name, `dns+<service>.<namespace>:<port>`: each product gossips in its own ring. */
  readonly joinMembers: readonly string[];
  /** `memberlist.cluster_label`: gossip with another label is refused (settings/names.ts ringClusterLabel). */
  readonly clusterLabel: string;
  readonly rejoinInterval: string;
  /** `memberlist.leave_timeout` (settings/shutdown.ts). */
  readonly leaveTimeout: string;
  /** `memberlist.broadcast_timeout_for_local_updates_on_shutdown` (settings/shutdown.ts). */
  readonly broadcastTimeout: string;
}

/** What a component does between SIGTERM and SIGKILL (settings/shutdown.ts). */
export interface ShutdownView {
  /** Top-level `shutdown_delay`. */
  readonly delay: string;
}

export interface ObjectStoreView {
  readonly bucket: string;
  readonly region: string;
  /** Regional S3 endpoint, so no request depends on the global endpoint's redirects. */
  readonly endpoint: string;
}

/** One tenant's section of a runtime overrides file: upstream key → value, only what the tenant overrides. */
export interface TenantOverridesView {
  readonly tenant: string;
  readonly limits: readonly { readonly key: string; readonly value: unknown }[];
}

/** Tempo's per-tenant section: its limits are grouped (global.*, ingestion.*). */
export interface TempoTenantOverridesView {
  readonly tenant: string;
  readonly global: readonly { readonly key: string; readonly value: unknown }[];
  readonly ingestion: readonly { readonly key: string; readonly value: unknown }[];
}

export interface DatasourceSetView {
  /** Suffix of the datasource names: "" for the default tenant, " (<tenant>)". */
  readonly nameSuffix: string;
  /** The tenant: the basic-auth user at the gateway, which sets X-Scope-OrgID from it. */
  readonly tenant: string;
  /** `$VAR` of the container secret holding the tenant's read password (Grafana expands it at provisioning). */
  readonly password: string;
  /** Grafana organization of the set (`tenants.<id>.grafana_org_id`). */
  readonly orgId: number;
  /** Mimir of the first set of each organization is that organization's default datasource. */
  readonly isDefault: boolean;
  /** Uids of the set's datasources; pyroscope is null without Pyroscope. */
  readonly uids: { readonly mimir: string; readonly loki: string; readonly tempo: string; readonly pyroscope: string | null };
}

/** Grafana's environment variable holding the read password of the tenant at `index` in tenants(). */
export const grafanaReadPasswordEnv = (index: number): string => `LGTM_GRAFANA_READ_PASSWORD_${index}`;
/** Grafana's environment variable holding the self-monitoring tenant's read password. */
export const GRAFANA_META_PASSWORD_ENV = "LGTM_GRAFANA_READ_PASSWORD_META";
/** The gateway's environment variable holding the self-monitoring tenant's read password (its only credential). */
export const GATEWAY_META_PASSWORD_ENV = "LGTM_SELF_MONITORING_READ_PASSWORD";
/**
 * `$VAR`: how a provisioning file names an environment variable (Grafana expands `$VAR` and `${VAR}`
 * in values when it reads the file; ../shared/upstream/grafana/provisioning.keys.json). Not `${VAR}`:
 * the file travels in the task definition, where Terraform would read `${` as its own interpolation.
 */
const envReference = (variable: string): string => `$${variable}`;

/**
 * Where the gateway keeps its run-time files (pid, temp files, the password files its start script
 * writes from the task's secrets). A path inside the container, never in the config volume (that one
 * is read-only and holds no secret).
 */
export const GATEWAY_RUN_DIR = "/tmp/gateway";
/**
 * The gateway's environment variable holding the `role` password of the tenant at `index` in
 * tenants() (ECS injects it from the secret `gatewaySecretName(s, id, role)`).
 */
export const gatewayPasswordEnv = (index: number, role: GatewayRole): string => `LGTM_TENANT_${role.toUpperCase()}_PASSWORD_${index}`;
/** The password file (in the gateway's run directory) of a signal's credentials of one role: `htpasswd-<signal>-<role>`. */
export const gatewayPasswordFile = (signal: Signal, role: GatewayRole): string => `htpasswd-${signal}-${role}`;
/** OTLP over HTTP: one base URL for every signal, `<gateway>/otlp`, as OTLP exporters append /v1/<signal>. */
export const GATEWAY_OTLP_BASE = "/otlp";

/** One route of the gateway (one entry of settings/gateway-routes.ts GATEWAY_ALLOW_LIST, rendered). */
export interface GatewayRouteView {
  /**
   * nginx location: "= /path" (exact) for a fixed route, "~ ^/path/[^/]+/values$" (anchored regex,
   * each `{name}` one path segment) for a route with a parameter. Never a prefix location.
   */
  readonly location: string;
  /** The route as the gateway serves it, `{name}` for a parameter: "/loki/api/v1/label/{name}/values". */
  readonly path: string;
  readonly signal: Signal;
  /** Whose credential the route takes: write (ingest), read (query) or admin (deletion, rule writes). */
  readonly role: GatewayRole;
  /** The password file the route checks: `gatewayPasswordFile(signal, role)`. */
  readonly passwordFile: string;
  /** The methods it accepts, as nginx's regex alternation: "GET|HEAD|POST"; others get 405. */
  readonly methods: string;
  readonly producer: ServiceName;
  /**
   * The backend: `http://host:port` (the request's path passes unchanged) or with a path (replaces
   * the path of an exact location; the query string is kept). nginx.conf puts it in a variable, so
   * the Cloud Map name is resolved at request time (see `GatewayView.resolver`).
   */
  readonly upstream: string;
  /** True when `upstream` has a path of its own (then nginx.conf appends only the query string). */
  readonly replacesPath: boolean;
  /**
   * True on the one route that is a websocket (Loki's live tail): the client's Upgrade header is
   * passed with `Connection: upgrade`. Every other route sends `Connection: ""` (keepalive) and no
   * Upgrade header.
   */
  readonly websocket: boolean;
}

/** Loki's live tail: a websocket (`GET .../loki/api/v1/tail`, then frames). */
export const LOKI_TAIL_PATH = "/loki/api/v1/tail";

/**
 * File the gateway's start.sh writes the `resolver` directive into, from the task's own
 * /etc/resolv.conf (the VPC's resolver on Fargate), and nginx.conf includes: the address exists only
 * in the running task.
 */
export const GATEWAY_RESOLVER_FILE = "resolver.conf";
/** Where the gateway's start.sh reads the task's name servers. */
export const GATEWAY_RESOLV_CONF = "/etc/resolv.conf";

export interface GatewayTenantView {
  readonly id: string;
  /** The id quoted for a POSIX shell. */
  readonly shellId: string;
  readonly signals: readonly Signal[];
  /** One credential per role (gatewayRoles): the variable its password arrives in, the password files it goes into. */
  readonly credentials: readonly { readonly role: GatewayRole; readonly passwordEnv: string; readonly files: readonly string[] }[];
}

/** The memcached query cache as the Mimir and Loki configs name it (settings/cache.ts). */
export interface CacheView {
  readonly enabled: boolean;
  /** `dns+memcached.<namespace>:<cache.port>`: resolved by the clients to every cache task. */
  readonly address: string;
  /** The clients' max_item_size in bytes: memcached's --max-item-size minus key and header, so no set is refused. */
  readonly maxItemBytes: number;
}

export interface TemplateContext {
  /** First line of every rendered file. */
  readonly header: string;
  readonly cache: CacheView;
  readonly env: string;
  readonly project: string;
  readonly tenant: string;
  readonly region: string;
  readonly objectStore: ObjectStoreView;
  readonly mimir: {
    readonly server: ServerView;
    readonly memberlist: MemberlistView;
    readonly shutdown: ShutdownView;
    /** Rings with `auto_forget_unhealthy_periods` (distributor, compactor, ruler). */
    readonly ring: RingView;
    /** The ingester ring: replicated, leaves on shutdown, no auto-forget key in Mimir 3.0. */
    readonly ingesterRing: RingView;
    /** The store-gateway ring: replicated, leaves on shutdown, auto-forget. */
    readonly storeGatewayRing: RingView;
    /** The Alertmanager ring (not running in target all): replicated. */
    readonly alertmanagerRing: RingView;
    readonly prometheusPrefix: string;
    readonly prefixes: { readonly blocks: string; readonly ruler: string; readonly alertmanager: string };
    readonly retention: string;
    readonly dataDir: string;
    /** mimir.limits. */
    readonly limits: MimirLimits;
    /** `runtime_config.file`: the overrides file's container path. */
    readonly runtimeConfigFile: string;
    readonly tenantOverrides: readonly TenantOverridesView[];
  };
  readonly loki: {
    readonly server: ServerView;
    readonly memberlist: MemberlistView;
    readonly shutdown: ShutdownView;
    readonly ring: RingView;
    readonly replicationFactor: number;
    /** `ingester.flush_op_timeout` and `frontend.graceful_shutdown_timeout`, within the shutdown budget. */
    readonly flushOpTimeout: string;
    /** `ingester_client.remote_timeout` (LOKI_INGESTER_REMOTE_TIMEOUT_S). */
    readonly ingesterRemoteTimeout: string;
    readonly frontendShutdownTimeout: string;
    readonly prefix: string;
    readonly retention: string;
    readonly dataDir: string;
    readonly schemaFrom: string;
    /** `schema_config.configs`: loki.previous_schema_periods, oldest first, then the TSDB v13 period from schemaFrom. */
    readonly schemaPeriods: readonly { readonly from: string; readonly store: string; readonly schema: string; readonly indexPrefix: string }[];
    /** loki.limits with max_query_lookback derived from the retention when omitted. */
    readonly limits: LokiLimits & { readonly max_query_lookback: string };
    readonly patternIngester: boolean;
    readonly runtimeConfigFile: string;
    readonly tenantOverrides: readonly TenantOverridesView[];
    readonly retentionStreams: readonly { readonly selector: string; readonly period: string; readonly priority: number }[];
  };
  readonly tempo: {
    readonly server: ServerView;
    readonly memberlist: MemberlistView;
    /** Longer than the others': Tempo flushes while running, during the delay (settings/shutdown.ts). */
    readonly shutdown: ShutdownView;
    readonly ring: RingView;
    /** `metrics_generator.storage.remote_write_flush_deadline` and `backend_worker.finish_on_shutdown_timeout`. */
    readonly moduleStopTimeout: string;
    /** `http_api_prefix` (Tempo applies the service's path_prefix to its /api routes only), or null. */
    readonly apiPrefix: string | null;
    readonly otlpGrpcListen: string;
    readonly otlpHttpListen: string;
    readonly prefix: string;
    readonly retention: string;
    readonly dataDir: string;
    /** Metrics-generator remote write to Mimir. */
    readonly remoteWriteUrl: string;
    readonly limits: TempoLimits;
    /** `overrides.per_tenant_override_config`: the overrides file's container path. */
    readonly runtimeConfigFile: string;
    readonly tenantOverrides: readonly TempoTenantOverridesView[];
  };
  readonly pyroscope: {
    readonly server: ServerView;
    readonly memberlist: MemberlistView;
    readonly shutdown: ShutdownView;
    readonly ring: RingView;
    /** Ingester and store-gateway replication factor. */
    readonly replicationFactor: number;
    /** The ingester lifecycler's availability zone (zone-aware), else null: its keys are the lifecycler's own. */
    readonly ingesterZone: string | null;
    /** The store-gateway ring: replicated, leaves on shutdown (auto-forget is built in). */
    readonly storeGatewayRing: RingView;
    /** `api.base-url`: the UI's links when served under a prefix, or null. */
    readonly baseUrl: string | null;
    readonly prefix: string;
    readonly retention: string;
    readonly dataDir: string;
    /** pyroscope.limits with max_query_lookback derived from the retention when omitted. */
    readonly limits: PyroscopeLimits & { readonly max_query_lookback: string };
    readonly runtimeConfigFile: string;
    readonly tenantOverrides: readonly TenantOverridesView[];
  };
  readonly alloy: {
    readonly otlpGrpcListen: string;
    readonly otlpHttpListen: string;
    readonly mimirPushUrl: string;
    readonly lokiPushUrl: string;
    readonly tempoOtlpEndpoint: string;
    /** Every task's own /metrics, remote-written to Mimir under the self-monitoring tenant. */
    readonly selfMonitoring: {
      readonly tenant: string;
      readonly scrapeInterval: string;
      readonly targets: readonly {
        readonly service: string;
        /** prometheus.scrape job_name: `self/<service>`. */
        readonly jobName: string;
        readonly dnsNames: readonly string[];
        readonly scrapeInterval: string;
        readonly port: number;
        readonly metricsPath: string;
        readonly azRules: readonly { readonly az: string; readonly regex: string }[];
      }[];
    };
    /** One remote_write to Mimir per tenant a pipeline writes under (the default tenant's is "mimir"). */
    readonly remoteWrites: readonly { readonly label: string; readonly tenant: string }[];
    /** alloy.otlp_tenant (or tenant_id) and its remote_write's label. */
    readonly otlpTenant: string;
    readonly otlpRemoteWrite: string;
    readonly cloudwatch: {
      readonly scrapeInterval: string;
      /** The namespaces grouped by tenant: one exporter and scrape per group. */
      readonly groups: readonly {
        readonly exporter: string;
        readonly scrape: string;
        readonly tenant: string;
        readonly remoteWrite: string;
        readonly namespaces: readonly {
          readonly type: string;
          readonly regions: readonly string[];
          readonly metrics: readonly { readonly name: string; readonly statistics: readonly string[]; readonly period: string }[];
        }[];
      }[];
    };
  };
  readonly gateway: {
    readonly httpPort: number;
    readonly runDir: string;
    readonly configFile: string;
    readonly routes: readonly GatewayRouteView[];
    /** `client_max_body_size` (gateway.max_body_size_mib), as nginx writes a size: "64m". */
    readonly maxBodySize: string;
    /**
     * nginx's `resolver`: start.sh writes it into `file` from the `nameserver` lines of `resolvConf`;
     * names are re-resolved every `validSeconds` (the Cloud Map TTL).
     */
    readonly resolver: { readonly file: string; readonly resolvConf: string; readonly validSeconds: number };
    readonly tenants: readonly GatewayTenantView[];
    /** Every password file a route checks (start.sh creates each, empty, before filling them). */
    readonly passwordFiles: readonly string[];
    /** Per tenant (nginx limit_req keyed by the authenticated user): requests per second and burst (gateway.rate_limit). */
    readonly rateLimit: { readonly requestsPerSecond: number; readonly burst: number };
    /** Who may read the status page (nginx stub_status): the VPC. */
    readonly statusAllowCidr: string;
  };
  readonly grafana: {
    readonly uids: typeof DATASOURCE_UIDS;
    /** The self-monitoring tenant's datasource (Mimir with X-Scope-OrgID = self_monitoring.tenant). */
    readonly metaUid: string;
    readonly metaTenant: string;
    /** Basic-auth password of the self-monitoring tenant's read credential: `$VAR`, expanded by Grafana. */
    readonly metaPassword: string;
    /** Dashboard models by uid (templates/grafana-dashboards.ts), and where their files are mounted. */
    readonly dashboards: Readonly<Record<string, ReturnType<typeof dashboardJson>>>;
    readonly dashboardsDir: string;
    /** provisioning/alerting/lgtm.yaml (templates/grafana-alerting.ts). */
    readonly alerting: ReturnType<typeof alertingProvisioning>;
    /**
     * One set of datasources per tenant (the default tenant first, its datasources named plainly),
     * each in its tenant's Grafana organization (`tenants.<id>.grafana_org_id`), its Mimir the
     * organization's default. Links (exemplars, derived fields, traces to logs/metrics/profiles)
     * stay within a set. No "all tenants" set: through the gateway a credential reads one tenant.
     */
    readonly datasourceSets: readonly DatasourceSetView[];
    /** The organizations the sets live in, ascending (1, the Main Org., always: self-monitoring, dashboards, alerting). */
    readonly orgIds: readonly number[];
    readonly mimirUrl: string;
    readonly lokiUrl: string;
    readonly tempoUrl: string;
    readonly pyroscopeUrl: string;
  };
}

/** The port number behind a catalog port kind. */
export function producerPort(settings: Settings, producer: ServiceName, kind: ProducerPort): number {
  const svc = settings.services[producer];
  switch (kind) {
    case "http":
      return svc.http_port;
    case "grpc":
      if (svc.grpc_port === undefined) throw new Error(`services.${producer}.grpc_port is not set, but a consumer needs ${producer}'s gRPC port`);
      return svc.grpc_port;
    case "otlp_grpc":
    case "otlp_http":
      if (!COMPONENTS[producer].receivesOtlp) throw new Error(`${producer} does not receive OTLP`);
      return kind === "otlp_grpc" ? settings.otlp.grpc_port : settings.otlp.http_port;
  }
}

/**
 * `host:port` of a producer as `consumer` reaches it. Throws when CONSUMERS does not list the pair:
 * the template would otherwise use a port no security-group rule opens.
 */
export function producerAddress(settings: Settings, consumer: ServiceName, producer: ServiceName, kind: ProducerPort): string {
  const listed = CONSUMERS[consumer].some((c) => c.producer === producer && c.port === kind);
  if (!listed) {
    throw new Error(`templates: ${consumer} would call ${producer}'s ${kind} port, which settings/components.ts CONSUMERS does not list; add it there first`);
  }
  return `${serviceHost(settings, producer)}:${producerPort(settings, producer, kind)}`;
}

/** `http://host:port<path>` of a producer's HTTP port. */
export function producerHttpUrl(settings: Settings, consumer: ServiceName, producer: ServiceName, path: string): string {
  return `http://${producerAddress(settings, consumer, producer, "http")}${path}`;
}

/** Where a producer serves a route given its prefix mode: under path_prefix unless the mode says otherwise. */
export function producerPath(settings: Settings, producer: ServiceName, route: string): string {
  const prefix = settings.services[producer].path_prefix;
  const mode = COMPONENTS[producer].prefixMode;
  if (mode === "none" || prefix === "") return route;
  // "server" mounts every route under the prefix; "api" (Tempo) only the /api routes.
  if (mode === "api" && !(route === "/api" || route.startsWith("/api/") || route === "")) return route;
  return route === "" ? prefix : joinPath(prefix, route);
}

/** Days as the hours every component parses ("365" → "8760h"). */
export function daysToDuration(days: number): string {
  return `${days * 24}h`;
}

function retentionOf(settings: Settings, service: ServiceName): string {
  const days = settings.services[service].retention_days;
  if (days === undefined) throw new Error(`services.${service}.retention_days is not set`);
  return daysToDuration(days);
}

function grpcPortOf(settings: Settings, service: ServiceName): number {
  const port = settings.services[service].grpc_port;
  if (port === undefined) throw new Error(`services.${service}.grpc_port is not set; ${service} needs a gRPC port`);
  return port;
}

/**
 * The memberlist block of a ring member. `dns+` makes dskit resolve the Cloud Map name itself (every
 * A record: one per healthy task) at join and at each rejoin. The advertised gossip address cannot be
 * rendered (a task learns its IP only when it starts), so it is left to dskit, which takes the private
 * address holding the default route: the task ENI (on Fargate 1.4 the other interface, 169.254.172.x,
 * has no default route). The rings' own addresses come from `ring_interface_names`.
 */
function memberlistOf(settings: Settings, service: RingServiceName): MemberlistView {
  return {
    bindPort: settings.memberlist_port,
    joinMembers: [`dns+${serviceHost(settings, service)}:${settings.memberlist_port}`],
    clusterLabel: ringClusterLabel(settings, service),
    rejoinInterval: MEMBERLIST_REJOIN_INTERVAL,
    leaveTimeout: seconds(SHUTDOWN_BUDGET.memberlistLeave),
    broadcastTimeout: seconds(SHUTDOWN_BUDGET.memberlistBroadcast),
  };
}

// One source for the rings' replication factor: settings/quorum.ts, which the checks also use.
export { replicationFactor };

/** Container path of the runtime overrides file. */
export function runtimeOverridesPath(): string {
  return `${CONFIG_DIR}/${RUNTIME_OVERRIDES_FILE}`;
}

/**
 * Per-tenant sections of Mimir's, Loki's and Pyroscope's runtime file, whose `overrides.<tenant>`
 * keys are the component's limit keys, which the settings spell the same way.
 */
function flatOverrides(s: Settings, component: "mimir" | "loki" | "pyroscope"): TenantOverridesView[] {
  return tenantsOverriding(s, component).map((t) => ({
    tenant: t.tenant,
    limits: Object.keys(t.limits)
      .sort()
      .map((key) => ({ key, value: t.limits[key] })),
  }));
}

/** Where each tempo.limits field lives under `overrides.defaults` / `overrides.<tenant>`. */
export const TEMPO_LIMIT_KEYS = {
  max_bytes_per_trace: ["global", "max_bytes_per_trace"],
  ingestion_rate_limit_bytes: ["ingestion", "rate_limit_bytes"],
  ingestion_burst_size_bytes: ["ingestion", "burst_size_bytes"],
  max_traces_per_user: ["ingestion", "max_traces_per_user"],
} as const satisfies Record<keyof TempoLimits, readonly ["global" | "ingestion", string]>;

function tempoOverrides(s: Settings): TempoTenantOverridesView[] {
  return tenantsOverriding(s, "tempo").map((t) => {
    const group = (g: "global" | "ingestion") =>
      (Object.keys(t.limits) as (keyof TempoLimits)[])
        .filter((k) => TEMPO_LIMIT_KEYS[k][0] === g)
        .map((k) => ({ key: TEMPO_LIMIT_KEYS[k][1] as string, value: t.limits[k] }))
        .sort((a, b) => a.key.localeCompare(b.key));
    return { tenant: t.tenant, global: group("global"), ingestion: group("ingestion") };
  });
}

/**
 * Alloy's per-tenant pipelines: the CloudWatch namespaces grouped by their tenant (an exporter and a
 * scrape each), the OTLP receivers' tenant, and one Mimir remote_write per tenant used. The default
 * tenant keeps the single-tenant labels ("mimir", "aws", "cloudwatch").
 */
function alloyTenantViews(s: Settings): Pick<TemplateContext["alloy"], "remoteWrites" | "otlpTenant" | "otlpRemoteWrite" | "cloudwatch"> {
  const label = (base: string, tenant: string) => (tenant === s.tenant_id ? base : `${base}_${alloyLabelPart(tenant)}`);
  const order = tenants(s).map((t) => t.id);
  const otlpTenant = s.alloy.otlp_tenant ?? s.tenant_id;
  const byTenant = new Map<string, (typeof s.alloy.cloudwatch.namespaces)[number][]>();
  for (const n of s.alloy.cloudwatch.namespaces) {
    const t = n.tenant ?? s.tenant_id;
    byTenant.set(t, [...(byTenant.get(t) ?? []), n]);
  }
  const used = order.filter((t) => t === otlpTenant || byTenant.has(t));
  return {
    remoteWrites: used.map((t) => ({ label: label("mimir", t), tenant: t })),
    otlpTenant,
    otlpRemoteWrite: label("mimir", otlpTenant),
    cloudwatch: {
      scrapeInterval: s.alloy.cloudwatch.scrape_interval,
      groups: order
        .filter((t) => byTenant.has(t))
        .map((t) => ({
          exporter: label("aws", t),
          scrape: label("cloudwatch", t),
          tenant: t,
          remoteWrite: label("mimir", t),
          namespaces: byTenant.get(t)!.map((n) => ({
            type: n.type,
            regions: [s.aws.region],
            metrics: n.metrics.map((m) => ({ name: m.name, statistics: [...m.statistics], period: m.period })),
          })),
        })),
    },
  };
}

/** A string as a single-quoted POSIX shell word. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The gateway's routes: the allow-list (settings/gateway-routes.ts) at the paths each backend itself
 * serves (so the gateway is transparent and the ALB paths stay the same), plus OTLP over HTTP for
 * every signal under /otlp (traces go to Tempo's OTLP HTTP port, which serves /v1/traces). Admin
 * routes only while `gateway.admin_routes` opens them; a backend switched off has none.
 */
export function gatewayRoutes(s: Settings): GatewayRouteView[] {
  const http = (producer: ServiceName) => `http://${producerAddress(s, "gateway", producer, "http")}`;
  // Pyroscope's routes are bare names (/ingest, /querier.v1...): only its prefix sets them apart.
  const checkedPrefix = (producer: ServiceName): void => {
    const p = producerPath(s, producer, "");
    if (producer === "pyroscope" && (p === "" || p === "/")) {
      throw new Error(`templates: the gateway cannot route ${producer} at "/" (services.${producer}.path_prefix is empty); give ${producer} a path prefix`);
    }
  };
  return GATEWAY_ALLOW_LIST.filter((r) => s.services[r.producer].enabled && (r.adminSetting === undefined || s.gateway.admin_routes[r.adminSetting])).map((r) => {
    checkedPrefix(r.producer);
    const path =
      r.base === "otlp"
        ? `${GATEWAY_OTLP_BASE}${r.route}`
        : producerPath(s, r.producer, r.base === "prometheus" ? `${MIMIR_PROMETHEUS_PREFIX}${r.route}` : r.route);
    const upstream = r.base === "otlp" ? `http://${producerAddress(s, "gateway", "tempo", "otlp_http")}${r.route}` : http(r.producer);
    return {
      location: routeHasParameter(path) ? `~ ^${routeRegex(path)}$` : `= ${path}`,
      path,
      signal: r.signal,
      role: r.role,
      passwordFile: gatewayPasswordFile(r.signal, r.role),
      methods: r.methods.join("|"),
      producer: r.producer,
      upstream,
      replacesPath: new URL(upstream).pathname !== "/",
      websocket: r.websocket === true,
    };
  });
}

/**
 * Where a backend's query API starts at the gateway (what a client such as Grafana takes as its
 * datasource URL and appends the API to): Mimir's Prometheus prefix, Loki's and Pyroscope's path
 * prefix (Loki's is "", its API being /loki/api/...), Tempo's http_api_prefix.
 */
export function gatewayQueryBase(s: Settings, producer: "mimir" | "loki" | "tempo" | "pyroscope"): string {
  return producer === "mimir" ? producerPath(s, "mimir", MIMIR_PROMETHEUS_PREFIX) : producerPath(s, producer, "");
}

/** The signals the gateway serves: those whose backend is enabled (services.pyroscope.enabled = false: no profiles). */
export function gatewaySignals(s: Settings): Signal[] {
  const routes = gatewayRoutes(s);
  return SIGNALS.filter((signal) => routes.some((r) => r.signal === signal));
}

/** Every password file a route of the gateway checks, in route order, once each. */
export function gatewayPasswordFiles(s: Settings): { readonly signal: Signal; readonly role: GatewayRole; readonly file: string }[] {
  const seen = new Map<string, { signal: Signal; role: GatewayRole; file: string }>();
  for (const r of gatewayRoutes(s)) if (!seen.has(r.passwordFile)) seen.set(r.passwordFile, { signal: r.signal, role: r.role, file: r.passwordFile });
  return [...seen.values()];
}

/** Grafana's datasource sets: one per tenant, in its organization; the first set of each organization is its default. */
export function datasourceSets(s: Settings): DatasourceSetView[] {
  const seenOrgs = new Set<number>();
  return tenants(s).map((t, i) => {
    const orgId = s.tenants[t.id]?.grafana_org_id ?? 1;
    const isDefault = !seenOrgs.has(orgId);
    seenOrgs.add(orgId);
    return {
      nameSuffix: t.isDefault ? "" : ` (${t.id})`,
      tenant: t.id,
      password: envReference(grafanaReadPasswordEnv(i)),
      orgId,
      isDefault,
      uids: {
        mimir: datasourceUid("mimir", t.id, t.isDefault),
        loki: datasourceUid("loki", t.id, t.isDefault),
        tempo: datasourceUid("tempo", t.id, t.isDefault),
        // services.pyroscope.enabled = false: no Pyroscope datasource, and no trace-to-profiles link.
        pyroscope: s.services.pyroscope.enabled ? datasourceUid("pyroscope", t.id, t.isDefault) : null,
      },
    };
  });
}

/**
 * The self-monitoring tenant at the gateway: a read credential for metrics, nothing else (no write,
 * no other signal), for Grafana's self-monitoring datasource and alert rules.
 */
function selfMonitoringReader(s: Settings): { id: string; shellId: string; signals: Signal[]; credentials: { role: GatewayRole; passwordEnv: string; files: string[] }[] }[] {
  const files = gatewayPasswordFiles(s).filter((f) => f.role === "read" && f.signal === "metrics").map((f) => f.file);
  const id = s.self_monitoring.tenant;
  return [{ id, shellId: shellQuote(id), signals: ["metrics"], credentials: [{ role: "read", passwordEnv: GATEWAY_META_PASSWORD_ENV, files }] }];
}

/**
 * Where Grafana's datasource of `component` points: the gateway's Cloud Map address, at the path the
 * gateway serves that backend's query routes under (the backend's own path: the gateway is
 * transparent). Grafana appends the API paths (`/api/v1/query`, `/loki/api/v1/query_range`, ...).
 */
export function grafanaDatasourceUrl(s: Settings, component: DatasourceComponent): string {
  const path = component === "mimir" ? producerPath(s, "mimir", MIMIR_PROMETHEUS_PREFIX) : producerPath(s, component, "");
  return producerHttpUrl(s, "grafana", "gateway", path);
}

export function buildContext(settings: Settings): TemplateContext {
  const s = settings;
  const ring = (fields: Partial<Omit<RingView, "interfaceNames">> = {}): RingView => ({
    interfaceNames: [...s.ring_interface_names],
    replicationFactor: fields.replicationFactor ?? null,
    autoForgetUnhealthyPeriods: fields.autoForgetUnhealthyPeriods ?? null,
    zone: fields.zone ?? null,
    unregisterOnShutdown: fields.unregisterOnShutdown ?? null,
  });
  const server = (service: RingServiceName, prefixOnServer: boolean, httpWriteTimeout: string | null = null): ServerView => ({
    httpPort: s.services[service].http_port,
    grpcPort: grpcPortOf(s, service),
    pathPrefix: prefixOnServer && s.services[service].path_prefix !== "" ? s.services[service].path_prefix : null,
    gracefulShutdownTimeout: seconds(SHUTDOWN_BUDGET.server),
    grpcMaxMsgBytes: grpcMessageBytes(s),
    httpWriteTimeout,
  });
  const drain: ShutdownView = { delay: seconds(SHUTDOWN_BUDGET.drain) };
  const forget = RING_AUTO_FORGET_UNHEALTHY_PERIODS;
  const mimirRf = replicationFactor(s, "mimir");
  const zoneOf = (service: RingServiceName): string | null => (zoneAware(s, service) ? AVAILABILITY_ZONE_PLACEHOLDER : null);
  for (const name of RING_SERVICES) {
    // The templates assume how each component applies its prefix; a catalog change must come here too.
    const expected = name === "tempo" ? "api" : "server";
    if (COMPONENTS[name].prefixMode !== expected) throw new Error(`templates: ${name} prefix mode changed to ${COMPONENTS[name].prefixMode}; update templates/context.ts`);
  }
  const cache = resolveCache(s);
  const mimirPush = producerHttpUrl(s, "alloy", "mimir", producerPath(s, "mimir", MIMIR_PUSH_PATH));
  const header = `Rendered by lgtm-fargate from environments/common.tfvars and environments/${s.env}.tfvars. Do not edit: change the settings and render again.`;
  return {
    header,
    env: s.env,
    project: s.project,
    tenant: s.tenant_id,
    region: s.aws.region,
    objectStore: { bucket: s.storage.data_bucket_name, region: s.aws.region, endpoint: `s3.${s.aws.region}.amazonaws.com` },
    cache: { enabled: cache.enabled, address: cache.address, maxItemBytes: cache.maxItemBytes },
    mimir: {
      server: server("mimir", true),
      memberlist: memberlistOf(s, "mimir"),
      shutdown: drain,
      ring: ring({ autoForgetUnhealthyPeriods: forget }),
      ingesterRing: ring({ replicationFactor: mimirRf, unregisterOnShutdown: true, zone: zoneOf("mimir") }),
      storeGatewayRing: ring({ replicationFactor: mimirRf, autoForgetUnhealthyPeriods: forget, unregisterOnShutdown: true, zone: zoneOf("mimir") }),
      alertmanagerRing: ring({ replicationFactor: mimirRf, zone: zoneOf("mimir") }),
      prometheusPrefix: MIMIR_PROMETHEUS_PREFIX,
      prefixes: {
        blocks: s.storage_prefixes.mimir_blocks,
        ruler: s.storage_prefixes.mimir_ruler,
        alertmanager: s.storage_prefixes.mimir_alertmanager,
      },
      retention: retentionOf(s, "mimir"),
      dataDir: DATA_DIRS.mimir,
      limits: s.mimir.limits,
      runtimeConfigFile: runtimeOverridesPath(),
      tenantOverrides: flatOverrides(s, "mimir"),
    },
    loki: {
      server: server("loki", true, seconds(LOKI_HTTP_WRITE_TIMEOUT_S)),
      ingesterRemoteTimeout: seconds(LOKI_INGESTER_REMOTE_TIMEOUT_S),
      memberlist: memberlistOf(s, "loki"),
      shutdown: drain,
      // common.ring: Loki applies its zone keys to every ring it runs (checked on the binary).
      ring: ring({ zone: zoneOf("loki") }),
      replicationFactor: replicationFactor(s, "loki"),
      flushOpTimeout: seconds(SHUTDOWN_BUDGET.flush),
      frontendShutdownTimeout: seconds(SHUTDOWN_BUDGET.server),
      prefix: s.storage_prefixes.loki,
      retention: retentionOf(s, "loki"),
      dataDir: DATA_DIRS.loki,
      schemaFrom: s.loki.schema_from,
      schemaPeriods: [
        ...s.loki.previous_schema_periods.map((p) => ({ from: p.from, store: p.store, schema: p.schema, indexPrefix: p.index_prefix })),
        { from: s.loki.schema_from, store: "tsdb", schema: "v13", indexPrefix: "index_" },
      ],
      limits: { ...s.loki.limits, max_query_lookback: s.loki.limits.max_query_lookback ?? retentionOf(s, "loki") },
      patternIngester: s.loki.pattern_ingester,
      runtimeConfigFile: runtimeOverridesPath(),
      tenantOverrides: flatOverrides(s, "loki"),
      retentionStreams: s.loki.retention_streams.map((r) => ({ selector: r.selector, period: daysToDuration(r.days), priority: r.priority })),
    },
    tempo: {
      server: server("tempo", false),
      memberlist: memberlistOf(s, "tempo"),
      shutdown: { delay: seconds(SHUTDOWN_BUDGET.tempoShutdownDelay) },
      ring: ring(),
      moduleStopTimeout: seconds(SHUTDOWN_BUDGET.tempoModuleStop),
      apiPrefix: s.services.tempo.path_prefix === "" ? null : s.services.tempo.path_prefix,
      otlpGrpcListen: `0.0.0.0:${s.otlp.grpc_port}`,
      otlpHttpListen: `0.0.0.0:${s.otlp.http_port}`,
      prefix: s.storage_prefixes.tempo,
      retention: retentionOf(s, "tempo"),
      dataDir: DATA_DIRS.tempo,
      remoteWriteUrl: producerHttpUrl(s, "tempo", "mimir", producerPath(s, "mimir", MIMIR_PUSH_PATH)),
      limits: s.tempo.limits,
      runtimeConfigFile: runtimeOverridesPath(),
      tenantOverrides: tempoOverrides(s),
    },
    pyroscope: {
      server: server("pyroscope", true),
      memberlist: memberlistOf(s, "pyroscope"),
      shutdown: drain,
      ring: ring(),
      replicationFactor: replicationFactor(s, "pyroscope"),
      ingesterZone: zoneOf("pyroscope"),
      storeGatewayRing: ring({ replicationFactor: replicationFactor(s, "pyroscope"), unregisterOnShutdown: true, zone: zoneOf("pyroscope") }),
      baseUrl: s.services.pyroscope.path_prefix === "" ? null : s.services.pyroscope.path_prefix,
      prefix: s.storage_prefixes.pyroscope,
      retention: retentionOf(s, "pyroscope"),
      dataDir: DATA_DIRS.pyroscope,
      limits: { ...s.pyroscope.limits, max_query_lookback: s.pyroscope.limits.max_query_lookback ?? retentionOf(s, "pyroscope") },
      runtimeConfigFile: runtimeOverridesPath(),
      tenantOverrides: flatOverrides(s, "pyroscope"),
    },
    alloy: {
      otlpGrpcListen: `0.0.0.0:${s.otlp.grpc_port}`,
      otlpHttpListen: `0.0.0.0:${s.otlp.http_port}`,
      mimirPushUrl: mimirPush,
      lokiPushUrl: producerHttpUrl(s, "alloy", "loki", producerPath(s, "loki", LOKI_PUSH_PATH)),
      tempoOtlpEndpoint: producerAddress(s, "alloy", "tempo", "otlp_grpc"),
      selfMonitoring: {
        tenant: s.self_monitoring.tenant,
        scrapeInterval: s.self_monitoring.scrape_interval,
        targets: selfScrapeTargets(s).map((t) => {
          // Refuses a target the catalog does not let Alloy reach (no security-group rule would open it).
          const address = producerAddress(s, "alloy", t.service, "http");
          if (address !== `${t.dnsName}:${t.port}`) throw new Error(`templates: self-monitoring target ${address} disagrees with the catalog`);
          return {
            service: t.service,
            jobName: `self/${t.service}`,
            dnsNames: [t.dnsName],
            scrapeInterval: s.self_monitoring.scrape_interval,
            port: t.port,
            metricsPath: t.metricsPath,
            azRules: t.azRules,
          };
        }),
      },
      ...alloyTenantViews(s),
    },
    gateway: {
      httpPort: s.services.gateway.http_port,
      runDir: GATEWAY_RUN_DIR,
      configFile: `${CONFIG_DIR}/nginx.conf`,
      routes: gatewayRoutes(s),
      maxBodySize: `${s.gateway.max_body_size_mib}m`,
      resolver: {
        file: `${GATEWAY_RUN_DIR}/${GATEWAY_RESOLVER_FILE}`,
        resolvConf: GATEWAY_RESOLV_CONF,
        validSeconds: CLOUD_MAP_DNS_TTL_SECONDS,
      },
      tenants: tenants(s).map((t, i) => {
        const signals = (s.tenants[t.id]?.signals ?? SIGNALS).filter((x) => gatewaySignals(s).includes(x));
        return {
          id: t.id,
          shellId: shellQuote(t.id),
          signals,
          credentials: gatewayRoles(s).map((role) => ({
            role,
            passwordEnv: gatewayPasswordEnv(i, role),
            files: gatewayPasswordFiles(s).filter((f) => f.role === role && signals.includes(f.signal)).map((f) => f.file),
          })),
        };
      }).concat(selfMonitoringReader(s)),
      passwordFiles: gatewayPasswordFiles(s).map((f) => f.file),
      rateLimit: { requestsPerSecond: s.gateway.rate_limit.requests_per_second, burst: s.gateway.rate_limit.burst },
      statusAllowCidr: s.network.vpc_cidr,
    },
    grafana: {
      uids: DATASOURCE_UIDS,
      datasourceSets: datasourceSets(s),
      metaUid: SELF_MONITORING_DATASOURCE_UID,
      metaTenant: s.self_monitoring.tenant,
      metaPassword: envReference(GRAFANA_META_PASSWORD_ENV),
      alerting: alertingProvisioning(s),
      dashboards: Object.fromEntries(dashboardSpecs(s).map((d) => [d.uid, dashboardJson(s, d, header)])),
      dashboardsDir: `${CONFIG_DIR}/dashboards`,
      orgIds: [...new Set([1, ...datasourceSets(s).map((d) => d.orgId)])].sort((a, b) => a - b),
      // Every datasource queries through the gateway (CONSUMERS.grafana): the URLs of a backend's set.
      mimirUrl: grafanaDatasourceUrl(s, "mimir"),
      lokiUrl: grafanaDatasourceUrl(s, "loki"),
      tempoUrl: grafanaDatasourceUrl(s, "tempo"),
      pyroscopeUrl: grafanaDatasourceUrl(s, "pyroscope"),
    },
  };
}
