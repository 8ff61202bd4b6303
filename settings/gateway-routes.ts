/**
 * The gateway's allow-list: per backend, the only routes a tenant's credential can reach through
 * the gateway, each with the role whose credential it takes (write: ingest, read: query, admin:
 * deletion and rule writes, off unless `gateway.admin_routes` opens it) and the methods it accepts.
 * Everything else answers 404 at the gateway: rings, config and runtime config pages, memberlist,
 * /debug/pprof and fgprof, admin and ops pages, flush and shutdown, compactor and store-gateway
 * tenant pages, /ingester/*, /services, rules, ruler and alertmanager APIs, deletion.
 *
 * Routes are named after each component's own API registration of the pinned release:
 * - Mimir 3.0 `pkg/api/api.go` (RegisterDistributor: /api/v1/push, /otlp/v1/metrics; RegisterQueryAPI
 *   under the Prometheus prefix; RegisterRulerAPI: the ruler config API /config/v1/rules);
 * - Loki 3.7.6 `pkg/util/constants/api_paths.go` and `pkg/loki/loki.go` (push, OTLP, the query API,
 *   tail, format_query, buildinfo, drilldown-limits; the deletion API /loki/api/v1/delete);
 * - Tempo 3.0.3 `pkg/api/http.go` (the query frontend's /api routes under http_api_prefix; OTLP
 *   HTTP /v1/traces on the receiver's port; /api/overrides, the user-configurable overrides, is a
 *   write and is not listed);
 * - Pyroscope 2.2 `pkg/api/api.go` (the distributor's /ingest and push.v1.PusherService/Push; the
 *   querier.v1.QuerierService procedures Grafana's Pyroscope datasource calls, `pkg/tsdb/grafana-
 *   pyroscope-datasource`, plus the other read procedures of that service).
 *
 * The template (templates/context.ts gatewayRoutes) renders exactly these, at each component's
 * path prefix; the policy pack (policy/gateway-routes.ts) reads the rendered nginx.conf back and
 * reports any forwarding location that is not one of them.
 */
import type { Signal } from "./schema";
import type { GatewayRole } from "./tenants";

export type GatewayProducer = "mimir" | "loki" | "tempo" | "pyroscope";
export type HttpMethod = "GET" | "HEAD" | "POST" | "DELETE";
/** A setting of `gateway.admin_routes` that opens an admin route. */
export type GatewayAdminSetting = "loki_delete" | "mimir_rules";

export interface GatewayRouteSpec {
  readonly producer: GatewayProducer;
  readonly signal: Signal;
  readonly role: GatewayRole;
  /**
   * The route as the component documents it, `{name}` standing for one path segment. Mounted at the
   * component's own path: under `services.<name>.path_prefix` as the component mounts it, Mimir's
   * query API under its Prometheus prefix as well (`base: "prometheus"`); `base: "otlp"` is the
   * gateway's own /otlp/v1/traces, forwarded to Tempo's OTLP HTTP receiver at `route`.
   */
  readonly route: string;
  readonly base: "component" | "prometheus" | "otlp";
  readonly methods: readonly HttpMethod[];
  /** Loki's live tail: the client's Upgrade header passes. */
  readonly websocket?: boolean;
  /** Admin routes only: the setting that opens it (off: the route is not rendered, 404). */
  readonly adminSetting?: GatewayAdminSetting;
}

const READ: readonly HttpMethod[] = ["GET", "HEAD", "POST"];
const GET: readonly HttpMethod[] = ["GET", "HEAD"];
const PUSH: readonly HttpMethod[] = ["POST"];
const ADMIN: readonly HttpMethod[] = ["GET", "POST", "DELETE"];

const mimir = (role: GatewayRole, base: GatewayRouteSpec["base"], methods: readonly HttpMethod[], routes: string[], adminSetting?: GatewayAdminSetting): GatewayRouteSpec[] =>
  routes.map((route) => ({ producer: "mimir", signal: "metrics", role, route, base, methods, ...(adminSetting ? { adminSetting } : {}) }));
const loki = (role: GatewayRole, methods: readonly HttpMethod[], routes: string[], extra: Partial<GatewayRouteSpec> = {}): GatewayRouteSpec[] =>
  routes.map((route) => ({ producer: "loki", signal: "logs", role, route, base: "component", methods, ...extra }));
const tempo = (role: GatewayRole, methods: readonly HttpMethod[], routes: string[]): GatewayRouteSpec[] =>
  routes.map((route) => ({ producer: "tempo", signal: "traces", role, route, base: "component", methods }));
const pyroscope = (role: GatewayRole, methods: readonly HttpMethod[], routes: string[]): GatewayRouteSpec[] =>
  routes.map((route) => ({ producer: "pyroscope", signal: "profiles", role, route, base: "component", methods }));

/** Mimir's ruler configuration API (the admin route `gateway.admin_routes.mimir_rules` opens). */
export const MIMIR_RULER_CONFIG_ROUTES = ["/config/v1/rules", "/config/v1/rules/{namespace}", "/config/v1/rules/{namespace}/{groupName}"];
/** Loki's deletion API: create (POST), list (GET), cancel (DELETE) (`gateway.admin_routes.loki_delete`). */
export const LOKI_DELETE_ROUTE = "/loki/api/v1/delete";

/** The allow-list, in rendering order (ingest first, then query, then admin, per backend). */
export const GATEWAY_ALLOW_LIST: readonly GatewayRouteSpec[] = [
  ...mimir("write", "component", PUSH, ["/api/v1/push", "/otlp/v1/metrics"]),
  ...mimir("read", "prometheus", READ, [
    "/api/v1/query",
    "/api/v1/query_range",
    "/api/v1/query_exemplars",
    "/api/v1/series",
    "/api/v1/labels",
    "/api/v1/format_query",
  ]),
  ...mimir("read", "prometheus", GET, ["/api/v1/label/{name}/values", "/api/v1/metadata", "/api/v1/status/buildinfo"]),
  ...mimir("admin", "prometheus", ADMIN, MIMIR_RULER_CONFIG_ROUTES, "mimir_rules"),

  ...loki("write", PUSH, ["/loki/api/v1/push", "/otlp/v1/logs"]),
  ...loki("read", READ, [
    "/loki/api/v1/query",
    "/loki/api/v1/query_range",
    "/loki/api/v1/series",
    "/loki/api/v1/labels",
    "/loki/api/v1/format_query",
  ]),
  ...loki("read", GET, [
    "/loki/api/v1/label/{name}/values",
    "/loki/api/v1/index/stats",
    "/loki/api/v1/index/volume",
    "/loki/api/v1/index/volume_range",
    "/loki/api/v1/patterns",
    "/loki/api/v1/detected_labels",
    "/loki/api/v1/detected_fields",
    "/loki/api/v1/detected_field/{name}/values",
    "/loki/api/v1/drilldown-limits",
    "/loki/api/v1/status/buildinfo",
  ]),
  ...loki("read", ["GET"], ["/loki/api/v1/tail"], { websocket: true }),
  ...loki("admin", ADMIN, [LOKI_DELETE_ROUTE], { adminSetting: "loki_delete" }),

  { producer: "tempo", signal: "traces", role: "write", route: "/v1/traces", base: "otlp", methods: PUSH },
  ...tempo("read", GET, [
    "/api/traces/{traceID}",
    "/api/v2/traces/{traceID}",
    "/api/search",
    "/api/search/tags",
    "/api/search/tag/{tagName}/values",
    "/api/v2/search/tags",
    "/api/v2/search/tag/{tagName}/values",
    "/api/metrics/query",
    "/api/metrics/query_range",
    "/api/echo",
    "/api/status/buildinfo",
  ]),

  ...pyroscope("write", PUSH, ["/ingest", "/push.v1.PusherService/Push"]),
  ...pyroscope(
    "read",
    READ,
    ["ProfileTypes", "LabelNames", "LabelValues", "Series", "SelectMergeStacktraces", "SelectMergeSpanProfile", "SelectMergeProfile", "SelectSeries", "Diff", "GetProfileStats"].map(
      (p) => `/querier.v1.QuerierService/${p}`,
    ),
  ),
];

/** A route's `{name}` segments as nginx regex (one path segment each), the rest escaped. */
export function routeRegex(route: string): string {
  return route
    .split(/(\{[A-Za-z]+\})/)
    .map((part) => (/^\{[A-Za-z]+\}$/.test(part) ? "[^/]+" : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&")))
    .join("");
}

/** True when the route has a `{name}` segment (rendered as an anchored regex location, not an exact one). */
export const routeHasParameter = (route: string): boolean => /\{[A-Za-z]+\}/.test(route);

/** Every `location` block of an nginx config (comments removed): its match ("= /x", "~ ^/x$", "@name", "/x/") and its body, nested blocks included. */
export function nginxLocations(config: string): { readonly match: string; readonly body: string }[] {
  const text = config.replace(/#[^\n]*/g, "");
  const out: { match: string; body: string }[] = [];
  for (const m of text.matchAll(/(?:^|[\s;{}])location\s+([^{;]+?)\s*\{/g)) {
    let depth = 1;
    let i = m.index! + m[0].length;
    const start = i;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === "{") depth++;
      else if (text[i] === "}") depth--;
    }
    out.push({ match: m[1].trim().replace(/\s+/g, " "), body: text.slice(start, i - 1) });
  }
  return out;
}
