/**
 * What each Grafana component does with HTTP paths, readiness and state.
 *
 * This is knowledge about the upstream software, not a setting: it says how a component applies the
 * `path_prefix` a service entry sets, which paths it then serves, and where it answers readiness.
 * Validation uses it to reject a health check or an ALB path rule that can never reach a served route
 * (seed 000: `/tempo/ready` never turned healthy, `/pyroscope/ready` 404'd while the old image ran).
 *
 * Sources: ../shared/upstream/README.md (facts table, note T1), read at the pinned releases.
 */

export const SERVICE_NAMES = ["mimir", "loki", "tempo", "pyroscope", "grafana", "alloy", "gateway"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** The components that keep a memberlist hash ring (gossip on the memberlist port, TCP and UDP). */
export const RING_SERVICES = ["mimir", "loki", "tempo", "pyroscope"] as const satisfies readonly ServiceName[];
export type RingServiceName = (typeof RING_SERVICES)[number];

/** Keys of `storage_prefixes`: one per S3 location a component writes. */
export const STORAGE_PREFIX_KEYS = [
  "mimir_blocks",
  "mimir_ruler",
  "mimir_alertmanager",
  "loki",
  "tempo",
  "pyroscope",
] as const;
export type StoragePrefixKey = (typeof STORAGE_PREFIX_KEYS)[number];

/**
 * Each component's local data directory, named in its rendered config (templates/) and its command
 * line: the image's own default where it has one, so a task volume there matches the image's layout.
 */
export const DATA_DIRS = {
  mimir: "/data",
  loki: "/loki",
  tempo: "/var/tempo",
  pyroscope: "/data",
  alloy: "/var/lib/alloy/data",
  grafana: "/var/lib/grafana",
  // nginx's compiled-in temp paths (fastcgi/uwsgi/scgi temp dirs are created at start even unused).
  gateway: "/var/cache/nginx",
} as const satisfies Record<ServiceName, string>;

/** Go's os.TempDir() and Grafana's temp files: every main container gets a writable /tmp. */
export const TMP_DIR = "/tmp";

/**
 * How `path_prefix` reaches the component's routes.
 * - `server`: `server.http_path_prefix`; dskit mounts every route, `/ready` included, under it.
 * - `api`: Tempo's `http_api_prefix`; only `/api/...` moves under it. Tempo registers its own routes
 *   (`/ready`, `/metrics`) on the root mux, and with `server.http_path_prefix` set even `/ready` 404s
 *   (upstream README note T1, grafana/tempo#2275), so a prefix can only ever apply to the API.
 * - `none`: the component is served from the root (Grafana behind the default action, Alloy).
 */
export type PrefixMode = "server" | "api" | "none";

export interface ComponentProfile {
  /** How the `path_prefix` setting is applied. */
  readonly prefixMode: PrefixMode;
  /** Readiness path the component serves with no prefix. */
  readonly readinessPath: string;
  /** Other paths a health check may use (with no prefix). */
  readonly alternativeHealthPaths: readonly string[];
  /**
   * Path roots of the HTTP API with no prefix. For `server` mode every route moves under the prefix;
   * for `api` mode only these move.
   */
  readonly apiRoots: readonly string[];
  /** Keeps data on local disk or in memory that must reach S3 (a ring member with an ingester). */
  readonly stateful: boolean;
  /**
   * Its ring keeps `replication_factor` copies of each series, stream or profile (settings/quorum.ts).
   * False: one copy per item, whatever the task count (Tempo 3 monolithic has no replication).
   */
  readonly replicates: boolean;
  /**
   * Must never run two tasks at once, not even for a moment during a deploy (Tempo 3 monolithic: its
   * backend scheduler is a singleton that owns the compaction plan in the bucket).
   */
  readonly singleton: boolean;
  /** `storage_prefixes` entries this component writes under. */
  readonly storagePrefixes: readonly StoragePrefixKey[];
  /** Receives OTLP from applications (gRPC and HTTP ports). */
  readonly receivesOtlp: boolean;
  /** The component's default HTTP port upstream, for reference in docs and messages. */
  readonly upstreamHttpPort: number;
  /**
   * Where the component serves its own Prometheus metrics with no prefix. A `server`-mode prefix moves
   * it (Mimir, Loki, Pyroscope: `<prefix>/metrics`); Tempo registers it on its root mux (note T1).
   * Undefined: no Prometheus endpoint (the gateway's nginx has only the text stub_status), so Alloy
   * does not scrape it; its CloudWatch alarms (running tasks, target health, 5xx) watch it instead.
   */
  readonly metricsPath?: string;
  /**
   * The image's own non-root user (`uid:gid`), set on the container (Security Hub ECS.20); undefined
   * where it is not verified for the pinned image, which then keeps its image default and a waiver.
   */
  readonly imageUser?: string;
  /**
   * Every path the main container writes, each a task volume (its root filesystem is read-only,
   * Security Hub ECS.5). The config init container chowns each volume to `imageUser` before the
   * component starts (modules/config-delivery). A path another volume already covers (Grafana's data
   * path on EFS) is not mounted twice. Adding a service's writable paths is one entry here.
   */
  readonly writablePaths: readonly string[];
}

export const COMPONENTS: Readonly<Record<ServiceName, ComponentProfile>> = {
  mimir: {
    prefixMode: "server",
    readinessPath: "/ready",
    alternativeHealthPaths: [],
    // /api/v1/push (remote write), /otlp/v1/metrics, /prometheus (api.prometheus_http_prefix),
    // /alertmanager (api.alertmanager_http_prefix), /ruler and /api/v1/rules for the ruler API.
    apiRoots: ["/api/v1/push", "/otlp/v1/metrics", "/prometheus", "/alertmanager", "/api/v1/rules", "/ruler"],
    stateful: true,
    replicates: true,
    singleton: false,
    storagePrefixes: ["mimir_blocks", "mimir_ruler", "mimir_alertmanager"],
    receivesOtlp: false,
    upstreamHttpPort: 8080,
    metricsPath: "/metrics",
    // cmd/mimir/Dockerfile (grafana/mimir, read at a stored commit 9707274 of its default branch, not
    // at the 3.0.4 tag): `FROM gcr.io/distroless/static-debian12`, no USER line, so the image runs as root; it
    // has no user of its own. 65532:65532 is the base image's `nonroot` user (distroless
    // /etc/passwd). Mimir needs nothing of a user but a uid: it reads its config (0644) and CA bundle,
    // and writes only the task volumes below, which the init container chowns to this uid, so the
    // choice holds even if the tag's base image differs.
    imageUser: "65532:65532",
    // Every local path of the rendered config is under the data dir (tsdb, tsdb-sync, compactor,
    // ruler, alertmanager, and activity_tracker.filepath, whose default `./metrics-activity.log`
    // would land in the read-only working directory `/`).
    writablePaths: [DATA_DIRS.mimir, TMP_DIR],
  },
  loki: {
    prefixMode: "server",
    readinessPath: "/ready",
    alternativeHealthPaths: [],
    apiRoots: ["/loki/api", "/otlp/v1/logs", "/api/prom"],
    stateful: true,
    replicates: true,
    singleton: false,
    storagePrefixes: ["loki"],
    receivesOtlp: false,
    upstreamHttpPort: 3100,
    metricsPath: "/metrics",
    // cmd/loki/Dockerfile: `adduser -u 10001 loki`, `USER 10001`; /loki is chowned to it.
    imageUser: "10001",
    // common.path_prefix and every local path of the rendered config (WAL, tsdb index and cache,
    // compactor, rules) are under /loki.
    writablePaths: [DATA_DIRS.loki, TMP_DIR],
  },
  tempo: {
    prefixMode: "api",
    readinessPath: "/ready",
    alternativeHealthPaths: [],
    apiRoots: ["/api"],
    stateful: true,
    replicates: false,
    singleton: true,
    storagePrefixes: ["tempo"],
    receivesOtlp: true,
    upstreamHttpPort: 3200,
    metricsPath: "/metrics",
    // cmd/tempo/Dockerfile: `adduser -u 10001 tempo`, `USER 10001:10001`; /var/tempo is chowned to it.
    imageUser: "10001:10001",
    // WAL, live-store traces and metrics-generator WAL of the rendered config are under /var/tempo.
    writablePaths: [DATA_DIRS.tempo, TMP_DIR],
  },
  pyroscope: {
    prefixMode: "server",
    readinessPath: "/ready",
    alternativeHealthPaths: [],
    // Ingest (/ingest, Connect push), query and settings APIs, and the UI, all under the prefix.
    apiRoots: ["/ingest", "/push.v1.PusherService", "/querier.v1.QuerierService", "/settings.v1.SettingsService", "/api", "/ui", "/ready"],
    stateful: true,
    replicates: true,
    singleton: false,
    storagePrefixes: ["pyroscope"],
    receivesOtlp: false,
    upstreamHttpPort: 4040,
    metricsPath: "/metrics",
    // cmd/pyroscope/Dockerfile: `adduser -u 10001 pyroscope`, `USER pyroscope`; /data is chowned to it.
    imageUser: "10001:10001",
    // pyroscopedb.data_path, the bucket-store sync dir and the compactor dir are under /data.
    writablePaths: [DATA_DIRS.pyroscope, TMP_DIR],
  },
  grafana: {
    prefixMode: "none",
    readinessPath: "/api/health",
    alternativeHealthPaths: [],
    apiRoots: ["/"],
    stateful: false,
    replicates: false,
    singleton: false,
    storagePrefixes: [],
    receivesOtlp: false,
    upstreamHttpPort: 3000,
    metricsPath: "/metrics",
    // Grafana's image: `USER "$GF_UID"` with GF_UID 472 (group from /etc/passwd, GF_GID 0); the EFS
    // access point writes as 472 too. Only the uid is given, exactly as the image's USER line.
    imageUser: "472",
    // packaging/docker/run.sh (grafana/grafana): needs GF_PATHS_DATA writable, `mkdir`s
    // GF_PATHS_PLUGINS (/var/lib/grafana/plugins, under the data path, where Grafana 12 also installs
    // its preinstalled plugins) and starts `grafana server cfg:default.log.mode="console"`, so nothing
    // goes to GF_PATHS_LOGS. SQLite, sessions and csv/png/pdf renders live under the data path;
    // temp files under /tmp. The data path is on EFS without grafana.database, a task volume with it.
    writablePaths: [DATA_DIRS.grafana, TMP_DIR],
  },
  alloy: {
    prefixMode: "none",
    readinessPath: "/-/ready",
    alternativeHealthPaths: ["/-/healthy"],
    apiRoots: ["/"],
    stateful: false,
    replicates: false,
    singleton: false,
    storagePrefixes: [],
    receivesOtlp: true,
    upstreamHttpPort: 12345,
    metricsPath: "/metrics",
    // Dockerfile: user `alloy` uid/gid 473 owns /var/lib/alloy (the storage path) and /bin/alloy, but the
    // image does not switch to it (it runs as root by default); this project does.
    imageUser: "473:473",
    // --storage.path (WAL of prometheus.remote_write, loki.source.* positions) is the only state.
    writablePaths: [DATA_DIRS.alloy, TMP_DIR],
  },
  // This project's authenticating gateway (nginx, templates/gateway/): the backends' ingestion and
  // query routes at their own paths, plus /otlp/v1/{metrics,logs,traces}; /healthz answers unauthenticated.
  gateway: {
    prefixMode: "none",
    readinessPath: "/healthz",
    alternativeHealthPaths: [],
    apiRoots: ["/api/v1/push", "/otlp", "/prometheus", "/loki", "/tempo", "/pyroscope"],
    stateful: false,
    replicates: false,
    singleton: false,
    storagePrefixes: [],
    receivesOtlp: false,
    upstreamHttpPort: 80,
    // The official image's unprivileged user (`nginx`, uid/gid 101). nginx.conf sets no `user`,
    // listens above 1024 and sets every temp path under /tmp/gateway, next to its pid and the
    // tenants' password files (start.sh); `-e stderr` keeps it from opening its compiled-in error
    // log; access log to /dev/stdout. Nothing else is written: /tmp is its only writable path.
    imageUser: "101:101",
    writablePaths: [TMP_DIR],
  },
};

/** Health-check paths the component answers given its `path_prefix`. */
export function servedHealthPaths(service: ServiceName, pathPrefix: string): string[] {
  const profile = COMPONENTS[service];
  const base = [profile.readinessPath, ...profile.alternativeHealthPaths];
  return profile.prefixMode === "server" ? base.map((p) => joinPath(pathPrefix, p)) : base;
}

/** Where the component serves its own /metrics given its `path_prefix` (only `server` mode moves it). */
export function servedMetricsPath(service: ServiceName, pathPrefix: string): string {
  const profile = COMPONENTS[service];
  if (profile.metricsPath === undefined) throw new Error(`${service} serves no Prometheus metrics (settings/components.ts)`);
  return profile.prefixMode === "server" ? joinPath(pathPrefix, profile.metricsPath) : profile.metricsPath;
}

/** The services whose own /metrics Alloy scrapes: every one that serves Prometheus metrics. */
export const SCRAPED_SERVICES: readonly ServiceName[] = SERVICE_NAMES.filter((n) => COMPONENTS[n].metricsPath !== undefined);

/** The HTTP API roots the component serves given its `path_prefix`. */
export function servedApiRoots(service: ServiceName, pathPrefix: string): string[] {
  const profile = COMPONENTS[service];
  return profile.prefixMode === "none" ? [...profile.apiRoots] : profile.apiRoots.map((r) => joinPath(pathPrefix, r));
}

/** Joins a prefix ("" or "/x") and a path ("/y"), never producing "//". */
export function joinPath(prefix: string, path: string): string {
  const p = prefix.replace(/\/+$/, "");
  if (path === "/") return p === "" ? "/" : `${p}/`;
  return `${p}${path}`;
}

/** True when an ALB path pattern (`/tempo/*`, `/api/v1/push`) can reach at least one served route. */
export function patternReachesRoute(pattern: string, routes: readonly string[]): boolean {
  // ALB patterns are case-sensitive globs; `*` matches any run of characters, `?` one character.
  const base = pattern.split(/[*?]/)[0];
  return routes.some((route) => route.startsWith(base) || isUnder(base, route));
}

/** `/prometheus/api` is under `/prometheus`; `/prometheusx` is not. */
function isUnder(path: string, root: string): boolean {
  if (root.endsWith("/")) return path.startsWith(root);
  return path === root || path.startsWith(`${root}/`);
}

/** Which port of a producer a consumer connects to. */
export type ProducerPort = "http" | "grpc" | "otlp_grpc" | "otlp_http";

export interface Consumption {
  /** The service being called. */
  readonly producer: ServiceName;
  /** Which of its ports. */
  readonly port: ProducerPort;
  /** What for, shown in security-group rule descriptions. */
  readonly purpose: string;
  /** A self-monitoring scrape of the producer's /metrics (not an API call): the checks count only scrapes for it. */
  readonly scrape?: true;
}

/**
 * Who calls whom inside the VPC (beyond a ring member talking to its own ring). Security-group
 * rules are generated from this table, and the rendered configs' addresses are checked against it,
 * so a consumer can never point at a port its producer does not listen on (seed 004: Alloy pushed to
 * 4100 while Loki listened on 4101).
 */
export const CONSUMERS: Readonly<Record<ServiceName, readonly Consumption[]>> = {
  // Grafana's datasources query through the authenticating gateway with each tenant's read
  // credential, never a backend directly: Grafana's datasource proxy would otherwise let any user who
  // can query call a backend's admin, ring and delete routes (issue 26).
  grafana: [{ producer: "gateway", port: "http", purpose: "datasources: every tenant queries with its read credential" }],
  alloy: [
    { producer: "mimir", port: "http", purpose: "remote_write of CloudWatch and OTLP metrics" },
    { producer: "loki", port: "http", purpose: "log push" },
    { producer: "tempo", port: "otlp_grpc", purpose: "OTLP trace export" },
    // Self-monitoring: Alloy scrapes every task's own /metrics (Mimir's and Loki's HTTP ports are
    // already open to it for the pushes above).
    { producer: "tempo", port: "http", purpose: "self-monitoring scrape of /metrics", scrape: true },
    { producer: "pyroscope", port: "http", purpose: "self-monitoring scrape of /metrics", scrape: true },
    { producer: "grafana", port: "http", purpose: "self-monitoring scrape of /metrics", scrape: true },
    { producer: "alloy", port: "http", purpose: "self-monitoring scrape of /metrics", scrape: true },
  ],
  tempo: [{ producer: "mimir", port: "http", purpose: "metrics-generator remote_write" }],
  gateway: [
    { producer: "mimir", port: "http", purpose: "authenticated metrics push and queries" },
    { producer: "loki", port: "http", purpose: "authenticated log push and queries" },
    { producer: "tempo", port: "http", purpose: "authenticated trace queries" },
    { producer: "tempo", port: "otlp_http", purpose: "authenticated OTLP trace push" },
    { producer: "pyroscope", port: "http", purpose: "authenticated profile push and queries" },
  ],
  mimir: [],
  loki: [],
  pyroscope: [],
};
