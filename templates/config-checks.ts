/**
 * Synth-time checks of the rendered config files. They parse the files back (YAML, Alloy syntax) and
 * compare what the services will actually read with the settings and the catalog
 * (settings/components.ts), independently of how the templates were written:
 *
 * - every consumer address (Alloy → Mimir/Loki/Tempo, Grafana datasources, Tempo → Mimir) uses the
 *   producer's port and path prefix, and the producer listens where the settings say (seed 004:
 *   Alloy pushed to 4100 while Loki listened on 4101); each sends the tenant;
 * - storage prefixes are the settings' own, unique and non-overlapping, in the data bucket, with no
 *   static credentials;
 * - multitenancy is on in all four backends when a tenant is set (seed 000: Pyroscope wrote under
 *   "anonymous/");
 * - retention is the settings' retention, under the key the running version applies;
 * - runtime configuration is never a remote URL (seed 000: Mimir failed on an s3:// runtime_config);
 * - each ring joins only its own Cloud Map name on the memberlist port, under its own cluster label;
 * - Mimir and Loki flush to S3 on SIGTERM, and every ring member's bounded shutdown phases leave time
 *   for that flush within ECS's stop timeout;
 * - every tenant header (Alloy, Grafana, the gateway's) is a tenant of the settings; a federated one
 *   reaches only a backend whose config enables federation; datasource links stay within a tenant;
 * - the gateway's upstreams use the catalog's ports, every route checks credentials and the tenant
 *   header comes from the authenticated user only; each backend is named through a variable
 *   (resolved per request by the resolver start.sh writes), never pinned at start;
 * - every gRPC hop of a push inside a backend behind the gateway accepts a message at least as
 *   large as the gateway's body limit (an admitted push is never a 500);
 * - each backend reads the runtime overrides file delivered with it, whose sections name known tenants;
 * - every key exists in the upstream reference of the pinned version (./reference.ts), the runtime
 *   overrides files' keys in their own references.
 * - with `cache.enabled`, every cache of Mimir (results, index, chunks, metadata) and Loki (results,
 *   chunks) points at the memcached tasks' Cloud Map name on `cache.port` with the item-size limit
 *   memcached runs with; with it off, no config names a memcached address;
 *
 * Each error starts with the setting to change (or the template, when no setting can fix it).
 */
import * as fs from "node:fs";
import { CORE_SCHEMA, load as loadYaml, YAMLException } from "js-yaml";
import { CONSUMERS, RING_SERVICES, SCRAPED_SERVICES, SERVICE_NAMES, STORAGE_PREFIX_KEYS, joinPath, servedMetricsPath, type ProducerPort, type RingServiceName, type ServiceName, type StoragePrefixKey } from "../settings/components";
import { CACHE_NAME, resolveCache, type CacheConsumer } from "../settings/cache";
import { serviceHost } from "../settings/catalog";
import { enabledConsumptions } from "../settings/enabled";
import { ringClusterLabel } from "../settings/names";
import type { Settings } from "../settings/schema";
import { FARGATE_MAX_STOP_TIMEOUT_SECONDS } from "../settings/shutdown";
import { AlloySyntaxError, attribute, childBlocks, parseAlloy, referencesIn, stringMap, type AlloyBlock, type AlloyFile, type AlloyValue } from "./alloy-syntax";
import { tenants } from "../settings/tenants";
import { nginxLocations } from "../settings/gateway-routes";
import { GATEWAY_RESOLVER_FILE, GATEWAY_RUN_DIR, LOKI_PUSH_PATH, MIMIR_PROMETHEUS_PREFIX, MIMIR_PUSH_PATH, RUNTIME_OVERRIDES_FILE } from "./context";
import { SELF_MONITORING_DATASOURCE_UID } from "./grafana-alerting";
import {
  checkAlloy,
  checkGrafanaDatasources,
  defaultReferenceDir,
  isMap,
  loadAlloyReference,
  loadGrafanaReference,
  loadKeyReference,
  loadRuntimeOverridesReference,
  referenceVersion,
  type KeyFinding,
} from "./reference";
import type { RenderedConfig } from "./render";

export interface CheckResult {
  readonly errors: string[];
  readonly warnings: string[];
}

const TENANT_HEADER = "X-Scope-OrgID";

interface ParsedYaml {
  readonly config: RenderedConfig;
  readonly doc: Record<string, unknown>;
}

/** Value at a dotted path of a parsed YAML mapping. */
function get(doc: unknown, dotted: string): unknown {
  let v: unknown = doc;
  for (const k of dotted.split(".")) {
    if (!isMap(v)) return undefined;
    v = v[k];
  }
  return v;
}

const where = (c: RenderedConfig) => `${c.service}/${c.fileName}`;
const templateOf = (c: RenderedConfig) => `templates/${c.service}/${c.fileName}.hbs`;

/** "8760h", "30d", "1h30m" → milliseconds; undefined when not a duration. */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text === "number") return text === 0 ? 0 : undefined;
  if (typeof text !== "string" || !/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) return text === "0" ? 0 : undefined;
  const unit: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, y: 3.1536e10 };
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * unit[m[2]];
  return total;
}

const DAY_MS = 8.64e7;

function normalizePath(p: string): string {
  const trimmed = p.replace(/\/+$/, "");
  return trimmed === "" ? "" : trimmed;
}

interface Address {
  readonly consumer: ServiceName;
  readonly config: RenderedConfig;
  /** Where in the file, e.g. `loki.write "loki" endpoint.url`. */
  readonly what: string;
  readonly raw: string;
  readonly kind: ProducerPort;
  /** The path the address must have, given the producer (undefined: host:port only). */
  readonly route?: (producer: ServiceName) => string | undefined;
  /** Tenant header value sent with it, if the format carries one. */
  readonly tenant?: string | undefined;
  readonly tenantWhere?: string;
  /**
   * The tenant it must send: tenant_id when undefined; `self_monitoring.tenant` for the stack's own
   * metrics; null for a call that carries none (a scrape).
   */
  readonly expectedTenant?: { readonly value: string; readonly key: string } | null;
  /** The sender forwards the tenant of each request it received (Tempo's generator): no fixed tenant to check. */
  readonly tenantOfRequest?: boolean;
  /** The service whose path_prefix decides the route when the producer forwards to it (the gateway to a backend). */
  readonly pathOwner?: ServiceName;
}

/**
 * Where each backend turns on queries across tenants (`X-Scope-OrgID: a|b`), and the upstream
 * default when the key is absent. Pyroscope 2.2.1 has none: a federated header reaches no data.
 */
const FEDERATION_KEYS: Readonly<Record<RingServiceName, { key: string; default: boolean } | undefined>> = {
  mimir: { key: "tenant_federation.enabled", default: false },
  loki: { key: "querier.multi_tenant_queries_enabled", default: false },
  tempo: { key: "query_frontend.multi_tenant_queries_enabled", default: true },
  pyroscope: undefined,
};

export function checkRenderedConfigs(settings: Settings, configs: readonly RenderedConfig[], referenceDir?: string): CheckResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const s = settings;

  // ------------------------------------------------------------ parse
  const yamlBy = new Map<ServiceName, ParsedYaml>();
  const yamlDocs: ParsedYaml[] = [];
  /** Runtime overrides files (per-tenant limits), checked against their own references. */
  const overridesDocs: ParsedYaml[] = [];
  let alloy: { config: RenderedConfig; file: AlloyFile } | undefined;
  for (const config of configs) {
    if (config.fileName.endsWith(".alloy")) {
      try {
        const file = parseAlloy(config.content);
        if (config.service === "alloy" && !alloy) alloy = { config, file };
      } catch (e) {
        if (!(e instanceof AlloySyntaxError)) throw e;
        errors.push(`${templateOf(config)}: the rendered ${where(config)} is not valid Alloy syntax: ${e.message}`);
      }
      continue;
    }
    if (/\.ya?ml$/.test(config.fileName)) {
      // YAML 1.2's core schema, as Go's YAML decoders read these files: no timestamps, no merge keys.
      // A key written twice is an error.
      let value: unknown;
      try {
        value = loadYaml(config.content, { schema: CORE_SCHEMA, filename: where(config) });
      } catch (e) {
        if (!(e instanceof YAMLException)) throw e;
        errors.push(`${templateOf(config)}: the rendered ${where(config)} is not valid YAML: ${e.reason} (line ${e.mark.line + 1})`);
        continue;
      }
      if (!isMap(value)) {
        errors.push(`${templateOf(config)}: the rendered ${where(config)} is not a YAML mapping`);
        continue;
      }
      const parsed = { config, doc: value };
      if (config.fileName === RUNTIME_OVERRIDES_FILE) {
        overridesDocs.push(parsed);
        continue;
      }
      yamlDocs.push(parsed);
      if (!yamlBy.has(config.service)) yamlBy.set(config.service, parsed);
    }
  }
  const grafana = yamlDocs.find((p) => p.config.service === "grafana" && p.config.fileName.startsWith("provisioning/datasources/"));

  for (const service of SERVICE_NAMES) {
    const rendered = configs.some((c) => c.service === service);
    if (s.services[service].enabled && !rendered) errors.push(`templates/${service}/: no rendered config for ${service}; every service needs one`);
    if (!s.services[service].enabled && rendered) errors.push(`services.${service}.enabled: ${service} is switched off, but a config of it was rendered`);
  }

  // ------------------------------------------------------------ files travel in Terraform strings
  // The task definition carries every file: Terraform reads "${" and "%{" there as its own template
  // syntax (an apply-time error, or a silently changed file). "$${" and "%%{" are its escapes.
  for (const config of configs) {
    const m = /(^|[^$])\$\{|(^|[^%])%\{/m.exec(config.content);
    if (m) {
      const line = config.content.slice(0, m.index).split("\n").length;
      errors.push(`${templateOf(config)}: ${where(config)} line ${line} has "\${" or "%{", which Terraform would read as interpolation in the task definition; write it another way (or "$\${" for a literal)`);
    }
  }

  // ------------------------------------------------------------ upstream references
  checkReferences(s, referenceDir ?? defaultReferenceDir(), yamlDocs, overridesDocs, alloy, grafana, errors, warnings);

  // ------------------------------------------------------------ runtime overrides: delivered, per known tenant
  checkRuntimeOverrides(s, configs, yamlBy, overridesDocs, errors);

  // ------------------------------------------------------------ producers listen where the settings say
  const servedPrefix = new Map<ServiceName, string>();
  for (const service of RING_SERVICES) {
    const p = yamlBy.get(service);
    if (!p) continue;
    const svc = s.services[service];
    const http = get(p.doc, "server.http_listen_port");
    if (http !== svc.http_port) {
      errors.push(`services.${service}.http_port: ${where(p.config)} listens on server.http_listen_port ${String(http ?? "(default)")}, but the catalog says ${svc.http_port}; consumers and the ALB use ${svc.http_port}`);
    }
    const grpc = get(p.doc, "server.grpc_listen_port");
    if (svc.grpc_port !== undefined && grpc !== svc.grpc_port) {
      errors.push(`services.${service}.grpc_port: ${where(p.config)} listens on server.grpc_listen_port ${String(grpc ?? "(default)")}, but the catalog says ${svc.grpc_port}`);
    }
    const serverPrefix = normalizePath(String(get(p.doc, "server.http_path_prefix") ?? ""));
    if (service === "tempo") {
      if (serverPrefix !== "") {
        errors.push(
          `services.tempo.path_prefix: ${where(p.config)} sets server.http_path_prefix "${serverPrefix}", which Tempo's own routes ignore (/ready and the API then 404, upstream note T1); Tempo takes the prefix as http_api_prefix only`,
        );
      }
      const apiPrefix = normalizePath(String(get(p.doc, "http_api_prefix") ?? ""));
      if (apiPrefix !== normalizePath(svc.path_prefix)) {
        errors.push(`services.tempo.path_prefix: ${where(p.config)} has http_api_prefix "${apiPrefix}", but the catalog says "${svc.path_prefix}"`);
      }
      servedPrefix.set(service, apiPrefix);
    } else {
      if (serverPrefix !== normalizePath(svc.path_prefix)) {
        errors.push(`services.${service}.path_prefix: ${where(p.config)} serves under server.http_path_prefix "${serverPrefix}", but the catalog says "${svc.path_prefix}"`);
      }
      servedPrefix.set(service, serverPrefix);
    }
  }
  const tempoDoc = yamlBy.get("tempo");
  if (tempoDoc) {
    for (const [proto, key] of [["grpc", "otlp.grpc_port"], ["http", "otlp.http_port"]] as const) {
      const endpoint = get(tempoDoc.doc, `distributor.receivers.otlp.protocols.${proto}.endpoint`);
      const expected = proto === "grpc" ? s.otlp.grpc_port : s.otlp.http_port;
      if (portOf(endpoint) !== expected) {
        errors.push(`${key}: ${where(tempoDoc.config)} receives OTLP ${proto} on ${String(endpoint ?? "(not configured)")}, but the catalog says port ${expected}`);
      }
    }
  }
  if (alloy) {
    const receiver = alloy.file.blocks.find((b) => b.name === "otelcol.receiver.otlp");
    for (const [proto, key] of [["grpc", "otlp.grpc_port"], ["http", "otlp.http_port"]] as const) {
      const block = receiver && childBlocks(receiver, proto)[0];
      const endpoint = block && attribute(block, "endpoint");
      const expected = proto === "grpc" ? s.otlp.grpc_port : s.otlp.http_port;
      if (!receiver || portOf(endpoint) !== expected) {
        errors.push(`${key}: ${where(alloy.config)} receives OTLP ${proto} on ${String(endpoint ?? "(not configured)")}, but the catalog says port ${expected}`);
      }
    }
  }

  // ------------------------------------------------------------ consumers
  const mimirDoc = yamlBy.get("mimir");
  const prometheusPrefix = normalizePath(String(get(mimirDoc?.doc, "api.prometheus_http_prefix") ?? MIMIR_PROMETHEUS_PREFIX));
  const served = (producer: ServiceName, route: string) => {
    const prefix = servedPrefix.get(producer) ?? normalizePath(s.services[producer].path_prefix);
    return normalizePath(route === "" ? prefix : joinPath(prefix, route));
  };
  const addresses: Address[] = [];
  if (alloy) {
    const selfMonitoring = alloySelfScrapes(s, alloy.config, alloy.file, servedPrefix, errors);
    addresses.push(...alloyAddresses(alloy.config, alloy.file, served, selfMonitoring.remoteWrites, s), ...selfMonitoring.addresses);
  }
  if (grafana) addresses.push(...grafanaAddresses(s, grafana, served, prometheusPrefix, errors));
  if (tempoDoc) {
    const rw = get(tempoDoc.doc, "metrics_generator.storage.remote_write");
    (Array.isArray(rw) ? rw : []).forEach((entry, i) => {
      if (!isMap(entry)) return;
      const headers = isMap(entry.headers) ? entry.headers : {};
      // With remote_write_add_org_id_header (default true) Tempo sends each trace's own tenant.
      const ofRequest = get(tempoDoc.doc, "metrics_generator.storage.remote_write_add_org_id_header") !== false;
      addresses.push({
        tenantOfRequest: ofRequest && headers[TENANT_HEADER] === undefined,
        consumer: "tempo",
        config: tempoDoc.config,
        what: `metrics_generator.storage.remote_write[${i}].url`,
        raw: String(entry.url ?? ""),
        kind: "http",
        route: (p) => (p === "mimir" ? served("mimir", MIMIR_PUSH_PATH) : undefined),
        tenant: typeof headers[TENANT_HEADER] === "string" ? (headers[TENANT_HEADER] as string) : undefined,
        tenantWhere: `metrics_generator.storage.remote_write[${i}].headers.${TENANT_HEADER}`,
      });
    });
  }
  const gatewayConf = configs.find((c) => c.service === "gateway" && c.fileName === "nginx.conf");
  if (gatewayConf) {
    addresses.push(...gatewayAddresses(s, gatewayConf, errors));
    checkGrpcMessageLimits(gatewayConf, yamlBy, errors);
  }
  const federates = (producer: ServiceName): boolean => {
    const f = (RING_SERVICES as readonly string[]).includes(producer) ? FEDERATION_KEYS[producer as RingServiceName] : undefined;
    const doc = yamlBy.get(producer)?.doc;
    if (!f || !doc) return false;
    const v = get(doc, f.key);
    return v === undefined ? f.default : v === true;
  };
  checkAddresses(s, addresses, errors, federates);
  if (grafana) checkDatasourceLinks(grafana, errors);

  // ------------------------------------------------------------ storage
  checkStorage(s, yamlBy, errors);
  for (const p of yamlDocs) {
    for (const [key, value] of walkScalars(p.doc)) {
      if (/(^|\.)(access_key_id|secret_access_key|access_key|secret_key|session_token)$/.test(key) && value !== "" && value !== null) {
        errors.push(`${templateOf(p.config)}: ${where(p.config)} sets ${key}; the task role's credentials must be used (no static keys in a config file)`);
      }
    }
  }

  // ------------------------------------------------------------ multitenancy
  const multitenancy: Record<RingServiceName, { on: (d: unknown) => boolean; key: string; fallback: string }> = {
    mimir: { on: (d) => get(d, "multitenancy_enabled") !== false, key: "multitenancy_enabled", fallback: "anonymous" },
    loki: { on: (d) => get(d, "auth_enabled") !== false, key: "auth_enabled", fallback: "fake" },
    tempo: { on: (d) => get(d, "multitenancy_enabled") === true || get(d, "auth_enabled") === true, key: "multitenancy_enabled", fallback: "single-tenant" },
    pyroscope: { on: (d) => get(d, "multitenancy_enabled") === true, key: "multitenancy_enabled", fallback: "anonymous" },
  };
  if (s.tenant_id) {
    for (const service of RING_SERVICES) {
      const p = yamlBy.get(service);
      if (p && !multitenancy[service].on(p.doc)) {
        errors.push(
          `tenant_id: "${s.tenant_id}" is set, but ${where(p.config)} runs without multitenancy (${multitenancy[service].key} is not true), so ${service} ignores X-Scope-OrgID and stores everything as "${multitenancy[service].fallback}" (seed 000: Pyroscope wrote anonymous/); ${templateOf(p.config)} must render ${multitenancy[service].key}: true`,
        );
      }
    }
  }

  // ------------------------------------------------------------ retention
  checkRetention(s, yamlBy, errors);

  // ------------------------------------------------------------ runtime configuration is a local file
  for (const p of yamlDocs) {
    for (const key of ["runtime_config.file", "overrides.per_tenant_override_config"]) {
      const value = get(p.doc, key);
      const files = typeof value === "string" ? value.split(",") : [];
      for (const f of files) {
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(f.trim())) {
          errors.push(
            `${templateOf(p.config)}: ${where(p.config)} sets ${key} to "${f.trim()}", but ${p.config.service} reads runtime configuration only from a local file (seed 000: Mimir failed to start on an s3:// runtime_config); render the file into the config directory and point at its container path`,
          );
        }
      }
    }
  }

  // ------------------------------------------------------------ rings
  for (const service of RING_SERVICES) {
    const p = yamlBy.get(service);
    if (!p) continue;
    const bind = get(p.doc, "memberlist.bind_port") ?? 7946;
    if (bind !== s.memberlist_port) errors.push(`memberlist_port: ${where(p.config)} gossips on memberlist.bind_port ${String(bind)}, but the catalog (and the security groups) say ${s.memberlist_port}`);
    const raw = get(p.doc, "memberlist.join_members");
    const members = (Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : []).map((m) => String(m).trim()).filter(Boolean);
    const own = serviceHost(s, service);
    if (members.length === 0) errors.push(`service_discovery.namespace: ${where(p.config)} has no memberlist.join_members; its tasks would never find each other (expected ${own}:${s.memberlist_port})`);
    for (const member of members) {
      const bare = member.replace(/^(dns|dnssrv|dnssrvnoa)\+/, "");
      const [host, port] = bare.split(":");
      if (host !== own) {
        errors.push(`service_discovery.namespace: ${where(p.config)} joins ${member}, but ${service} must gossip only with its own tasks at ${own}:${s.memberlist_port} (one ring per product)`);
      } else if (Number(port ?? 7946) !== s.memberlist_port) {
        errors.push(`memberlist_port: ${where(p.config)} joins ${member}, but members gossip on ${s.memberlist_port}`);
      }
    }
    for (const [key, value] of walkValues(p.doc)) {
      if (/(^|\.)(instance_interface_names|interface_names)$/.test(key) && JSON.stringify(value) !== JSON.stringify(s.ring_interface_names)) {
        errors.push(`ring_interface_names: ${where(p.config)} sets ${key} to ${JSON.stringify(value)}, not ${JSON.stringify(s.ring_interface_names)}; the ring would advertise another interface's address`);
      }
    }
  }

  checkDurability(s, yamlBy, errors);
  checkCache(s, yamlBy, errors);

  // ------------------------------------------------------------ keys the pinned versions ignore
  for (const p of yamlDocs) {
    const ignored = IGNORED_KEYS[p.config.service] ?? {};
    for (const [key, why] of Object.entries(ignored)) {
      if (get(p.doc, key) !== undefined) errors.push(`${templateOf(p.config)}: ${where(p.config)} sets ${key}, which ${why}; drop it`);
    }
  }

  // ------------------------------------------------------------ Tempo 3 monolithic is one task
  if (tempoDoc && String(get(tempoDoc.doc, "target") ?? "all") === "all" && s.services.tempo.desired_count > 1) {
    errors.push(
      `services.tempo.desired_count: Tempo 3 in monolithic mode (target all, no Kafka) runs as one task: its backend scheduler is a singleton; got ${s.services.tempo.desired_count}. Scaling Tempo 3 needs microservices mode with Kafka`,
    );
  }

  // One message per problem, however many places repeat it.
  return { errors: [...new Set(errors)], warnings: [...new Set(warnings)] };
}

/**
 * Keys the pinned release accepts but ignores (the upstream key reference still lists them), from
 * running the real binaries on the rendered configs (../shared/upstream README).
 */
const IGNORED_KEYS: Readonly<Partial<Record<ServiceName, Readonly<Record<string, string>>>>> = {
  tempo: { "storage.trace.s3.native_aws_auth_enabled": "Tempo 3.0.3 logs as deprecated and ignores (the task role's credentials come through the SDK chain anyway)" },
};

// ---------------------------------------------------------------- query cache

/** Where each consumer keeps each of its caches' memcached client, and the cache's backend key (Mimir). */
export const CACHE_CLIENT_KEYS: Readonly<Record<CacheConsumer, readonly { cache: string; client: string; backend?: string; enable?: string }[]>> = {
  mimir: [
    { cache: "query results", client: "frontend.results_cache.memcached", backend: "frontend.results_cache.backend", enable: "frontend.cache_results" },
    { cache: "index", client: "blocks_storage.bucket_store.index_cache.memcached", backend: "blocks_storage.bucket_store.index_cache.backend" },
    { cache: "chunks", client: "blocks_storage.bucket_store.chunks_cache.memcached", backend: "blocks_storage.bucket_store.chunks_cache.backend" },
    { cache: "metadata", client: "blocks_storage.bucket_store.metadata_cache.memcached", backend: "blocks_storage.bucket_store.metadata_cache.backend" },
  ],
  loki: [
    { cache: "query results", client: "query_range.results_cache.cache.memcached_client", enable: "query_range.cache_results" },
    { cache: "chunks", client: "chunk_store_config.chunk_cache_config.memcached_client" },
  ],
};

/**
 * The cache addresses are consumer → producer addresses like the others: parsed back out of the
 * rendered files and compared with the cache's Cloud Map name, port and item size from settings
 * (the security groups open exactly that port from exactly these consumers).
 */
function checkCache(s: Settings, yamlBy: ReadonlyMap<ServiceName, ParsedYaml>, errors: string[]): void {
  const cache = resolveCache(s);
  for (const consumer of Object.keys(CACHE_CLIENT_KEYS) as CacheConsumer[]) {
    const p = yamlBy.get(consumer);
    if (!p) continue;
    for (const k of CACHE_CLIENT_KEYS[consumer]) {
      const raw = get(p.doc, `${k.client}.addresses`);
      const at = `${where(p.config)}: ${k.client}.addresses`;
      if (!cache.enabled) {
        if (raw !== undefined && raw !== "") {
          errors.push(`cache.enabled: ${at} is "${String(raw)}", but the cache is off, so no memcached task runs and no security group admits ${consumer}; set cache.enabled = true or render no ${k.cache} cache`);
        }
        continue;
      }
      if (typeof raw !== "string" || raw === "") {
        errors.push(`${templateOf(p.config)}: cache.enabled is true, but ${at} is not set: ${consumer}'s ${k.cache} cache would not use the cache (expected "${cache.address}")`);
        continue;
      }
      for (const address of raw.split(",").map((a) => a.trim())) {
        const m = /^(?:(dns|dnssrv|dnssrvnoa)\+)?([^:]+):(\d+)$/.exec(address);
        if (!m) {
          errors.push(`${templateOf(p.config)}: ${at} "${address}" is not a memcached address (expected "${cache.address}")`);
          continue;
        }
        if (m[2] !== cache.host) {
          errors.push(`service_discovery.namespace: ${at} "${address}" calls ${m[2]}, but the cache tasks register as ${cache.host} (${CACHE_NAME}.<namespace>)`);
        } else if (m[1] !== "dns") {
          errors.push(`${templateOf(p.config)}: ${at} "${address}" must start with "dns+": Cloud Map answers A records, one per cache task, which only dns+ resolves to every task`);
        }
        if (Number(m[3]) !== cache.port) {
          errors.push(`cache.port: ${at} "${address}" uses port ${m[3]}, but memcached listens on ${cache.port} (and the security groups open only that)`);
        }
      }
      const itemSize = get(p.doc, `${k.client}.max_item_size`);
      if (itemSize !== cache.maxItemBytes) {
        errors.push(`cache.max_item_size_mb: ${where(p.config)}: ${k.client}.max_item_size is ${String(itemSize ?? "(default)")}, but memcached runs with --max-item-size=${cache.maxItemMiB}m, which leaves ${cache.maxItemBytes} bytes for a value after its key and header; a larger value would be refused, a smaller limit wastes the cache`);
      }
      if (k.backend && get(p.doc, k.backend) !== "memcached") {
        errors.push(`${templateOf(p.config)}: ${where(p.config)}: ${k.backend} is ${String(get(p.doc, k.backend) ?? "(unset)")}, so ${consumer} ignores its memcached addresses; expected "memcached"`);
      }
      if (k.enable && get(p.doc, k.enable) !== true) {
        errors.push(`${templateOf(p.config)}: ${where(p.config)}: ${k.enable} is not true, so ${consumer} never reads its ${k.cache} cache`);
      }
    }
  }
}

// ---------------------------------------------------------------- rings and shutdown

/** Where each component flushes what it holds on local disk when it gets SIGTERM (Pyroscope 2.2.1's v1 ingester always does). */
const FLUSH_ON_SHUTDOWN_KEYS: Readonly<Partial<Record<RingServiceName, string>>> = {
  mimir: "blocks_storage.tsdb.flush_blocks_on_shutdown",
  loki: "ingester.wal.flush_on_shutdown",
};

/** dskit's defaults, for timeouts a file leaves out. */
const DSKIT_SHUTDOWN_DEFAULTS_MS = {
  "server.graceful_shutdown_timeout": 30_000,
  "memberlist.leave_timeout": 20_000,
  "memberlist.broadcast_timeout_for_local_updates_on_shutdown": 10_000,
  shutdown_delay: 0,
} as const;

/** The least time a component must have left for its flush (settings/shutdown.ts keeps more). */
const MIN_FLUSH_MS = 30_000;

/**
 * Tempo 3 monolithic cannot flush to S3 once it stops; it uploads while running, so its flush time is
 * its `shutdown_delay`, and its module stop is bounded by these keys (Tempo's defaults when absent).
 */
const TEMPO_MODULE_STOP_DEFAULTS_MS = {
  "metrics_generator.storage.remote_write_flush_deadline": 60_000,
  "backend_worker.finish_on_shutdown_timeout": 30_000,
} as const;

const REFERENCES_NOT_FOUND = "upstream configuration references not found at";

/**
 * A warning about the upstream references themselves, which no setting changes: the references are
 * missing (a fresh clone without ../shared/upstream) or a key the templates use is undocumented
 * upstream (reference.ts). Synth prints these with --verbose only.
 */
export function isReferenceNote(warning: string): boolean {
  return warning.startsWith(REFERENCES_NOT_FOUND) || / is accepted by .* but undocumented upstream \(hidden in /.test(warning);
}

/**
 * Each ring carries its own cluster label (so no two products, or environments, can merge rings), the
 * components that can flush to S3 on SIGTERM do, and the bounded shutdown phases leave time for that
 * flush before ECS's SIGKILL.
 */
function checkDurability(s: Settings, yamlBy: ReadonlyMap<ServiceName, ParsedYaml>, errors: string[]): void {
  const labels = new Map<string, RingServiceName>();
  for (const service of RING_SERVICES) {
    const p = yamlBy.get(service);
    if (!p) continue;
    const label = get(p.doc, "memberlist.cluster_label");
    const expected = ringClusterLabel(s, service);
    if (label !== expected) {
      errors.push(
        `${templateOf(p.config)}: ${where(p.config)} memberlist.cluster_label is ${JSON.stringify(label ?? null)}, expected "${expected}": without its own label, ${service}'s gossip accepts any member that reaches the memberlist port, another product's ring included`,
      );
    } else {
      const other = labels.get(label);
      if (other) errors.push(`${templateOf(p.config)}: ${where(p.config)} has the same memberlist.cluster_label as ${other} ("${label}"); their rings would merge`);
      labels.set(label, service);
    }
    if (get(p.doc, "memberlist.cluster_label_verification_disabled") === true) {
      errors.push(`${templateOf(p.config)}: ${where(p.config)} disables memberlist.cluster_label_verification, so the cluster label keeps no other ring out`);
    }
    const flushKey = FLUSH_ON_SHUTDOWN_KEYS[service];
    if (flushKey && get(p.doc, flushKey) !== true) {
      errors.push(`${templateOf(p.config)}: ${where(p.config)} does not set ${flushKey}: true; what the ingester holds on its ephemeral disk is lost whenever ECS replaces the task`);
    }
    const ms = (key: string, fallback: number) => parseDuration(get(p.doc, key)) ?? fallback;
    const bounded = Object.entries(DSKIT_SHUTDOWN_DEFAULTS_MS).reduce((sum, [k, d]) => sum + ms(k, d), 0);
    const limit = FARGATE_MAX_STOP_TIMEOUT_SECONDS * 1000;
    const budget = `ECS's ${FARGATE_MAX_STOP_TIMEOUT_SECONDS}s stop timeout (settings/shutdown.ts)`;
    if (service === "tempo") {
      const moduleStop = Math.max(...Object.entries(TEMPO_MODULE_STOP_DEFAULTS_MS).map(([k, d]) => ms(k, d)));
      const delay = ms("shutdown_delay", 0);
      if (bounded + moduleStop > limit) {
        errors.push(`${templateOf(p.config)}: ${where(p.config)} spends ${(bounded + moduleStop) / 1000}s in shutdown_delay, its module stop, the memberlist leave and server.graceful_shutdown_timeout, more than ${budget}: SIGKILL would cut it short`);
      }
      if (delay < MIN_FLUSH_MS) {
        errors.push(`${templateOf(p.config)}: ${where(p.config)} has shutdown_delay ${delay / 1000}s; Tempo 3 uploads its last blocks only while it runs, so it needs at least ${MIN_FLUSH_MS / 1000}s of ${budget} before it stops`);
      }
    } else if (bounded + MIN_FLUSH_MS > limit) {
      errors.push(
        `${templateOf(p.config)}: ${where(p.config)} spends ${bounded / 1000}s in shutdown_delay, server.graceful_shutdown_timeout and the memberlist leave, leaving less than ${MIN_FLUSH_MS / 1000}s of ${budget} to flush before SIGKILL`,
      );
    }
  }
}

// ---------------------------------------------------------------- references

function checkReferences(
  s: Settings,
  dir: string,
  yamlDocs: readonly ParsedYaml[],
  overridesDocs: readonly ParsedYaml[],
  alloy: { config: RenderedConfig; file: AlloyFile } | undefined,
  grafana: ParsedYaml | undefined,
  errors: string[],
  warnings: string[],
): void {
  if (!fs.existsSync(dir)) {
    warnings.push(
      `${REFERENCES_NOT_FOUND} ${dir}. They list every config key each pinned Grafana release accepts; ` +
        `without them the configs are still rendered and synthesized, but their keys were NOT checked, so a misspelt or removed key would only show when the service starts. ` +
        `Point at them with LGTM_UPSTREAM_DIR=<folder holding mimir/, loki/, tempo/, pyroscope/, alloy/, grafana/> (default: ../shared/upstream beside the project)`,
    );
    return;
  }
  const report = (config: RenderedConfig, findings: KeyFinding[], versionKey: string) => {
    for (const f of findings) {
      if (f.severity === "warning") warnings.push(`${where(config)}: ${f.message}`);
      else errors.push(`${templateOf(config)}: ${f.message}${f.unknown ? `; fix the template, or pin ${versionKey} to a release that has it` : ""}`);
    }
  };
  for (const p of yamlDocs) {
    const service = p.config.service;
    if (service === "grafana") continue;
    if (!(RING_SERVICES as readonly string[]).includes(service)) continue;
    const ref = loadKeyReference(dir, service as RingServiceName, s.services[service].version);
    if (!ref.ok) warnings.push(ref.warning);
    else report(p.config, ref.value.check(p.doc), `services.${service}.version`);
  }
  for (const p of overridesDocs) {
    const service = p.config.service;
    if (!(RING_SERVICES as readonly string[]).includes(service)) continue;
    const ref = loadRuntimeOverridesReference(dir, service as RingServiceName, s.services[service].version);
    if (!ref.ok) warnings.push(ref.warning);
    else report(p.config, ref.value.check(p.doc), `services.${service}.version`);
  }
  if (alloy) {
    const ref = loadAlloyReference(dir, s.services.alloy.version);
    if (!ref.ok) warnings.push(ref.warning);
    else report(alloy.config, checkAlloy(ref.value, alloy.file), "services.alloy.version");
  }
  if (grafana) {
    const ref = loadGrafanaReference(dir);
    if (!ref.ok) warnings.push(ref.warning);
    else {
      report(grafana.config, checkGrafanaDatasources(ref.value, grafana.doc), "services.grafana.version");
      const majors = [...ref.value.era.matchAll(/(\d+)\.x/g)].map((m) => m[1]);
      const major = referenceVersion(s.services.grafana.version).split(".")[0];
      if (majors.length > 0 && !majors.includes(major)) {
        warnings.push(`services.grafana.version: Grafana ${s.services.grafana.version} is outside the datasource reference's era (${ref.value.era}); its fields may have changed`);
      }
    }
  }
}

// ---------------------------------------------------------------- runtime overrides

/** Where each ring member's main config names its runtime overrides file. */
const RUNTIME_FILE_KEY: Readonly<Record<RingServiceName, string>> = {
  mimir: "runtime_config.file",
  loki: "runtime_config.file",
  tempo: "overrides.per_tenant_override_config",
  pyroscope: "runtime_config.file",
};

/**
 * Producer/consumer check of the per-tenant files: each backend's main config names exactly the
 * overrides file delivered with it (a file the init container writes into the same task), and every
 * tenant section in it is a tenant of the settings.
 */
function checkRuntimeOverrides(
  s: Settings,
  configs: readonly RenderedConfig[],
  yamlBy: ReadonlyMap<ServiceName, ParsedYaml>,
  overridesDocs: readonly ParsedYaml[],
  errors: string[],
): void {
  const known = new Set(tenants(s).map((t) => t.id));
  for (const service of RING_SERVICES) {
    const main = yamlBy.get(service);
    if (!main) continue;
    const key = RUNTIME_FILE_KEY[service];
    const value = get(main.doc, key);
    const delivered = configs.find((c) => c.service === service && c.fileName === RUNTIME_OVERRIDES_FILE);
    if (!delivered) {
      errors.push(`templates/${service}/${RUNTIME_OVERRIDES_FILE}.hbs: ${service} has no rendered runtime overrides file, so tenants.<name>.limits.${service} reach no task`);
      continue;
    }
    if (value !== delivered.containerPath) {
      errors.push(
        `${templateOf(main.config)}: ${where(main.config)} sets ${key} to ${value === undefined ? "nothing" : JSON.stringify(value)}, but ${service}'s overrides are delivered at ${delivered.containerPath}; per-tenant limits would not apply`,
      );
    }
  }
  for (const p of overridesDocs) {
    const overrides = get(p.doc, "overrides");
    if (!isMap(overrides)) continue;
    for (const tenant of Object.keys(overrides)) {
      if (!known.has(tenant)) {
        errors.push(`${templateOf(p.config)}: ${where(p.config)} has a section for tenant "${tenant}", which is not a tenant of the settings (tenant_id, tenants: ${[...known].join(", ")})`);
      }
    }
  }
}

// ---------------------------------------------------------------- addresses

function portOf(endpoint: unknown): number | undefined {
  if (typeof endpoint !== "string") return undefined;
  const m = /:(\d+)$/.exec(endpoint.replace(/\/.*$/, ""));
  return m ? Number(m[1]) : undefined;
}

/** Alloy's push components: the producer and route each must reach, and where it carries the tenant. */
const ALLOY_PUSH_COMPONENTS: Readonly<Record<string, { producer: ServiceName; route: string; tenantAttribute?: string }>> = {
  "prometheus.remote_write": { producer: "mimir", route: MIMIR_PUSH_PATH },
  "loki.write": { producer: "loki", route: LOKI_PUSH_PATH, tenantAttribute: "tenant_id" },
};

function alloyAddresses(
  config: RenderedConfig,
  file: AlloyFile,
  served: (p: ServiceName, route: string) => string,
  selfRemoteWrites: ReadonlySet<string>,
  s: Settings,
): Address[] {
  const out: Address[] = [];
  for (const block of file.blocks) {
    const id = `${block.name} "${block.label ?? ""}"`;
    const push = ALLOY_PUSH_COMPONENTS[block.name];
    if (push) {
      const isSelf = selfRemoteWrites.has(`${block.name}.${block.label ?? ""}`);
      for (const endpoint of childBlocks(block, "endpoint")) {
        const own = push.tenantAttribute === undefined ? undefined : attribute(endpoint, push.tenantAttribute);
        out.push({
          expectedTenant: isSelf ? { value: s.self_monitoring.tenant, key: "self_monitoring.tenant" } : undefined,
          consumer: "alloy",
          config,
          what: `${id} endpoint.url`,
          raw: String(attribute(endpoint, "url") ?? ""),
          kind: "http",
          route: (p) => (p === push.producer ? served(push.producer, push.route) : undefined),
          tenant: typeof own === "string" ? own : stringMap(attribute(endpoint, "headers"))?.[TENANT_HEADER],
          tenantWhere: push.tenantAttribute === undefined ? `${id} endpoint.headers["${TENANT_HEADER}"]` : `${id} endpoint.${push.tenantAttribute}`,
        });
      }
    } else if (block.name === "otelcol.exporter.otlp" || block.name === "otelcol.exporter.otlphttp") {
      for (const client of childBlocks(block, "client")) {
        out.push({
          consumer: "alloy",
          config,
          what: `${id} client.endpoint`,
          raw: String(attribute(client, "endpoint") ?? ""),
          kind: block.name === "otelcol.exporter.otlp" ? "otlp_grpc" : "otlp_http",
          tenant: stringMap(attribute(client, "headers"))?.[TENANT_HEADER],
          tenantWhere: `${id} client.headers["${TENANT_HEADER}"]`,
        });
      }
    }
  }
  return out;
}

/** Relabeling target labels every self-monitoring target must get. */
export const SELF_MONITORING_LABELS = ["service", "task", "az"] as const;

/**
 * The self-monitoring scrapes of config.alloy: every `prometheus.scrape` whose targets come from
 * `discovery.dns` (through `discovery.relabel`). Each becomes an address checked like any consumer's
 * (Cloud Map name, the producer's HTTP port, the path the producer serves its metrics at), every
 * service must be scraped, each target gets the service/task/az labels, and the scrapes feed only a
 * remote_write that sends `self_monitoring.tenant` and carries nothing else.
 */
function alloySelfScrapes(
  s: Settings,
  config: RenderedConfig,
  file: AlloyFile,
  servedPrefix: ReadonlyMap<ServiceName, string>,
  errors: string[],
): { addresses: Address[]; remoteWrites: Set<string> } {
  const addresses: Address[] = [];
  const remoteWrites = new Set<string>();
  const scraped = new Set<ServiceName>();
  const byRef = (ref: string, suffix: string) => {
    const m = new RegExp(`^(.+)\\.([^.]+)\\.${suffix}$`).exec(ref);
    return m ? file.blocks.find((b) => b.name === m[1] && b.label === m[2]) : undefined;
  };
  const refsOf = (value: AlloyValue | undefined) => referencesIn(value);
  const forwardTargets = (block: AlloyBlock) => refsOf(attribute(block, "forward_to")).map((r) => r.replace(/\.receiver$/, ""));
  const selfScrapes: AlloyBlock[] = [];
  for (const scrape of file.blocks.filter((b) => b.name === "prometheus.scrape")) {
    const id = `prometheus.scrape "${scrape.label ?? ""}"`;
    const relabel = refsOf(attribute(scrape, "targets")).map((r) => byRef(r, "output")).find((b) => b?.name === "discovery.relabel");
    const dns = relabel
      ? refsOf(attribute(relabel, "targets")).map((r) => byRef(r, "targets")).find((b) => b?.name === "discovery.dns")
      : refsOf(attribute(scrape, "targets")).map((r) => byRef(r, "targets")).find((b) => b?.name === "discovery.dns");
    if (!dns) continue;
    selfScrapes.push(scrape);
    for (const rw of forwardTargets(scrape)) remoteWrites.add(rw);
    const type = attribute(dns, "type");
    if (type !== "A") {
      errors.push(`${templateOf(config)}: discovery.dns "${dns.label ?? ""}" resolves ${JSON.stringify(type ?? "SRV (default)")} records; Cloud Map registers one A record per task, so it must be type "A" with the service's port`);
    }
    const port = attribute(dns, "port");
    const path = attribute(scrape, "metrics_path") ?? "/metrics";
    const names = attribute(dns, "names");
    const labels = new Set((relabel?.blocks ?? []).filter((b) => b.name === "rule").map((b) => attribute(b, "target_label")));
    const missing = SELF_MONITORING_LABELS.filter((l) => !labels.has(l));
    if (missing.length > 0) errors.push(`${templateOf(config)}: ${id} gives its targets no ${missing.join(", ")} label (every self-monitoring series carries ${SELF_MONITORING_LABELS.join(", ")})`);
    for (const name of Array.isArray(names) ? names : []) {
      const raw = `http://${String(name)}:${String(port ?? "")}${String(path)}`;
      const host = String(name);
      const namespace = s.service_discovery.namespace;
      const producer = host.endsWith(`.${namespace}`) ? (host.slice(0, -namespace.length - 1) as ServiceName) : undefined;
      if (producer && (SERVICE_NAMES as readonly string[]).includes(producer)) scraped.add(producer);
      addresses.push({
        consumer: "alloy",
        config,
        what: `${id} (discovery.dns "${dns.label ?? ""}" names, port; metrics_path)`,
        raw,
        kind: "http",
        route: (p) => normalizePath(servedMetricsPath(p, servedPrefix.get(p) ?? normalizePath(s.services[p].path_prefix))),
        expectedTenant: null,
      });
    }
  }
  for (const service of SCRAPED_SERVICES) {
    if (!s.services[service].enabled) continue;
    if (!scraped.has(service)) errors.push(`${templateOf(config)}: no self-monitoring scrape of ${service} (discovery.dns of ${serviceHost(s, service)} → prometheus.scrape); every component's own /metrics must reach Mimir under self_monitoring.tenant`);
  }
  // The self-monitoring remote_write carries only the stack's own series, and those go nowhere else.
  for (const block of file.blocks) {
    if (selfScrapes.includes(block)) continue;
    for (const target of forwardTargets(block)) {
      if (remoteWrites.has(target)) {
        errors.push(`${templateOf(config)}: ${block.name} "${block.label ?? ""}" forwards to ${target}, the self-monitoring remote_write; users' data would be written under self_monitoring.tenant`);
      }
    }
  }
  for (const scrape of selfScrapes) {
    for (const target of forwardTargets(scrape)) {
      if (!target.startsWith("prometheus.remote_write.")) errors.push(`${templateOf(config)}: prometheus.scrape "${scrape.label ?? ""}" forwards to ${target}; self-monitoring scrapes go straight to their own prometheus.remote_write`);
    }
  }
  return { addresses, remoteWrites };
}

const DATASOURCE_PRODUCERS: Readonly<Record<string, ServiceName>> = {
  prometheus: "mimir",
  loki: "loki",
  tempo: "tempo",
  "grafana-pyroscope-datasource": "pyroscope",
};

function grafanaAddresses(s: Settings, p: ParsedYaml, served: (p: ServiceName, route: string) => string, prometheusPrefix: string, errors: string[]): Address[] {
  const out: Address[] = [];
  const list = p.doc.datasources;
  (Array.isArray(list) ? list : []).forEach((ds, i) => {
    if (!isMap(ds)) return;
    const type = String(ds.type ?? "");
    const backend = DATASOURCE_PRODUCERS[type];
    if (!backend) return;
    const name = String(ds.name ?? type);
    // Every datasource queries through the gateway with a tenant's credential (basic auth, user =
    // tenant id); the gateway sets X-Scope-OrgID from it. A datasource naming a backend would
    // bypass the gateway's allow-list (Grafana's datasource proxy forwards any path).
    const user = ds.basicAuth === true && typeof ds.basicAuthUser === "string" ? ds.basicAuthUser : undefined;
    const secure = isMap(ds.secureJsonData) ? ds.secureJsonData : {};
    if (user !== undefined && typeof secure.basicAuthPassword !== "string") {
      errors.push(`${templateOf(p.config)}: ${where(p.config)}: datasource "${name}" sends user "${user}" without secureJsonData.basicAuthPassword: the gateway answers 401`);
    }
    out.push({
      expectedTenant: ds.uid === SELF_MONITORING_DATASOURCE_UID ? { value: s.self_monitoring.tenant, key: "self_monitoring.tenant" } : undefined,
      consumer: "grafana",
      config: p.config,
      what: `datasource "${name}" url`,
      raw: String(ds.url ?? ""),
      kind: "http",
      route: (producer) => {
        if (producer !== "gateway") {
          errors.push(`${templateOf(p.config)}: ${where(p.config)}: datasource "${name}" of type ${type} points at ${producer} directly, bypassing the authenticating gateway; it must query gateway.${s.service_discovery.namespace} with its tenant's read credential`);
          return undefined;
        }
        // The gateway serves each backend's query routes at the backend's own paths.
        return backend === "mimir" ? served("mimir", prometheusPrefix) : served(backend, "");
      },
      tenant: user,
      tenantWhere: `datasource "${name}" basicAuthUser`,
      pathOwner: backend,
    });
  });
  return out;
}

const PORT_SETTING: Record<ProducerPort, (p: ServiceName) => string> = {
  http: (p) => `services.${p}.http_port`,
  grpc: (p) => `services.${p}.grpc_port`,
  otlp_grpc: () => "otlp.grpc_port",
  otlp_http: () => "otlp.http_port",
};

function expectedPort(s: Settings, producer: ServiceName, kind: ProducerPort): number | undefined {
  switch (kind) {
    case "http":
      return s.services[producer].http_port;
    case "grpc":
      return s.services[producer].grpc_port;
    case "otlp_grpc":
      return s.otlp.grpc_port;
    case "otlp_http":
      return s.otlp.http_port;
  }
}

function checkAddresses(s: Settings, addresses: readonly Address[], errors: string[], federates: (producer: ServiceName) => boolean): void {
  const namespace = s.service_discovery.namespace;
  const known = tenants(s).map((t) => t.id);
  const reached = new Set<string>();
  for (const a of addresses) {
    const at = `${where(a.config)}: ${a.what}`;
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(a.raw) ? a.raw : `tcp://${a.raw}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      errors.push(`${templateOf(a.config)}: ${at} "${a.raw}" is not an address`);
      continue;
    }
    const host = url.hostname;
    if (!host.endsWith(`.${namespace}`)) {
      errors.push(`service_discovery.namespace: ${at} "${a.raw}" calls ${host}, which is not a Cloud Map name in ${namespace}; services reach each other as <service>.${namespace}`);
      continue;
    }
    const producer = host.slice(0, -namespace.length - 1) as ServiceName;
    if (!(SERVICE_NAMES as readonly string[]).includes(producer)) {
      errors.push(`service_discovery.namespace: ${at} "${a.raw}" calls ${host}, which is no service of this stack (${SERVICE_NAMES.join(", ")})`);
      continue;
    }
    if (!s.services[producer].enabled) {
      errors.push(`services.${producer}.enabled: ${at} "${a.raw}" calls ${producer}, which is switched off (no task answers there)`);
      continue;
    }
    const consumption = CONSUMERS[a.consumer].find((c) => c.producer === producer && c.port === a.kind);
    if (!consumption) {
      errors.push(
        `${templateOf(a.config)}: ${at} "${a.raw}" calls ${producer}'s ${a.kind} port, which settings/components.ts CONSUMERS does not list for ${a.consumer}, so no security-group rule opens it` +
          (a.consumer === "grafana" ? ` (Grafana's datasources query through the authenticating gateway, never a backend directly)` : ""),
      );
      continue;
    }
    reached.add(`${a.consumer}>${producer}>${a.kind}${a.expectedTenant === null ? ">scrape" : ""}`);
    const port = url.port === "" ? undefined : Number(url.port);
    const expected = expectedPort(s, producer, a.kind);
    if (port !== expected) {
      errors.push(
        `${PORT_SETTING[a.kind](producer)}: ${at} "${a.raw}" uses port ${port ?? "(none)"}, but ${producer} listens for ${consumption.purpose} on ${expected} (seed 004: a consumer on 4100 while the producer listened on 4101)`,
      );
    }
    if (a.kind === "http" && url.protocol !== "http:") {
      errors.push(`${templateOf(a.config)}: ${at} "${a.raw}" must be an http:// URL (the services serve plain HTTP inside the VPC)`);
    }
    const route = a.route?.(producer);
    if (route !== undefined) {
      const actual = normalizePath(url.pathname);
      if (actual !== route) {
        errors.push(
          a.pathOwner !== undefined
            ? `services.${a.pathOwner}.path_prefix: ${at} "${a.raw}" requests path "${actual || "/"}", but ${producer} serves ${a.pathOwner} at "${route || "/"}" with ${a.pathOwner}'s path_prefix "${s.services[a.pathOwner].path_prefix}"`
            : `services.${producer}.path_prefix: ${at} "${a.raw}" requests path "${actual || "/"}", but ${producer} serves it at "${route || "/"}" with path_prefix "${s.services[producer].path_prefix}"`,
        );
      }
    }
    if (a.tenantOfRequest || a.expectedTenant === null) continue;
    const at2 = `${where(a.config)}: ${a.tenantWhere ?? a.what}`;
    if (a.expectedTenant !== undefined) {
      // A fixed tenant (the stack's own metrics under self_monitoring.tenant).
      if (a.tenant !== a.expectedTenant.value) {
        errors.push(`${a.expectedTenant.key}: ${at2} sends ${a.tenant === undefined ? "no tenant" : `tenant "${a.tenant}"`}, but ${producer} requires X-Scope-OrgID "${a.expectedTenant.value}"`);
      }
      continue;
    }
    if (a.tenant === undefined) {
      errors.push(`tenant_id: ${at2} sends no tenant, but ${producer} runs multi-tenant and requires X-Scope-OrgID (one of the settings' tenants: ${known.join(", ")})`);
      continue;
    }
    const parts = a.tenant.split("|");
    if (parts.length > 1 && !federates(producer)) {
      errors.push(`templates/${producer}/: ${at2} sends the federated tenant "${a.tenant}", but ${producer}'s config does not enable tenant federation${FEDERATION_KEYS[producer as RingServiceName] ? ` (${FEDERATION_KEYS[producer as RingServiceName]!.key})` : " (its pinned version has none)"}, so the query fails`);
    }
    const unknown = parts.filter((t) => !known.includes(t));
    if (unknown.length > 0) {
      errors.push(`tenants: ${at2} sends tenant "${a.tenant}", but ${unknown.map((t) => `"${t}"`).join(", ")} is not a tenant of the settings (${known.join(", ")}); declare it in tenants`);
    }
  }
  for (const consumer of ["alloy", "grafana", "tempo", "gateway"] as const) {
    for (const c of enabledConsumptions(s, consumer)) {
      if (!reached.has(`${consumer}>${c.producer}>${c.port}${c.scrape ? ">scrape" : ""}`)) {
        errors.push(`templates/${consumer}/: the rendered ${consumer} config never calls ${c.producer}'s ${c.port} port, which the catalog lists for ${c.purpose} (settings/components.ts CONSUMERS)`);
      }
    }
  }
}

/**
 * The gateway's upstreams, parsed back out of the rendered nginx.conf: every location that names a
 * backend (`set $backend`) must check credentials (`auth_basic_user_file`) and reach a proxy_pass of
 * that variable; every backend is an address checked like any consumer's (catalog port, CONSUMERS);
 * no proxy_pass names a host literally; and the tenant header is set once, at server level, from
 * the authenticated user and nowhere overridden: the client's X-Scope-OrgID never passes.
 */
function gatewayAddresses(s: Settings, config: RenderedConfig, errors: string[]): Address[] {
  const out: Address[] = [];
  const text = config.content.replace(/#[^\n]*/g, "");
  const setHeader = [...text.matchAll(/proxy_set_header\s+X-Scope-OrgID\s+([^;]+);/gi)].map((m) => m[1].trim());
  if (setHeader.length !== 1 || setHeader[0] !== "$remote_user") {
    errors.push(`${templateOf(config)}: ${where(config)} must set X-Scope-OrgID exactly once, to $remote_user (the authenticated tenant), found ${setHeader.length === 0 ? "none" : setHeader.join(", ")}: a client could choose its tenant`);
  }
  if (!new RegExp(`^\\s*include\\s+${GATEWAY_RUN_DIR}/${GATEWAY_RESOLVER_FILE.replace(".", "\\.")};`, "m").test(text)) {
    errors.push(`${templateOf(config)}: ${where(config)} includes no resolver file (start.sh writes nginx's resolver from the task's /etc/resolv.conf): the backends' Cloud Map names could not be resolved at request time`);
  }
  const locations = nginxLocations(text);
  const named = new Map(locations.filter((l) => l.match.startsWith("@")).map((l) => [l.match, l]));
  for (const { match, body } of locations) {
    const location = match.replace(/^[=~]\s+/, "");
    const proxyPass = /proxy_pass\s+([^;]+);/.exec(body)?.[1].trim();
    // A route names its backend in a variable (`set $backend <url>;`) and hands the request, once
    // its credential passed, to a named location (`try_files ... @name;`) whose proxy_pass reads
    // that variable: nginx resolves the Cloud Map name per request through its resolver.
    const backend = /\bset\s+\$backend\s+([^;\s]+)\s*;/.exec(body)?.[1];
    const handoff = /\btry_files\s+[^;]*\s(@[A-Za-z0-9_]+)\s*;/.exec(body)?.[1];
    if (proxyPass !== undefined && !/^\$[A-Za-z_]/.test(proxyPass)) {
      errors.push(
        `${templateOf(config)}: ${where(config)} location ${location} has proxy_pass ${proxyPass}, not a variable set in the location: nginx would resolve the Cloud Map name once at start (refusing to start while it does not resolve) and keep a replaced task's address forever`,
      );
    }
    if (proxyPass !== undefined && !match.startsWith("@") && !/auth_basic_user_file\s+\S+;/.test(body)) {
      errors.push(`${templateOf(config)}: ${where(config)} location ${location} forwards to ${proxyPass} without checking credentials (auth_basic_user_file)`);
    }
    if (/proxy_set_header/.test(body)) {
      errors.push(`${templateOf(config)}: ${where(config)} location ${location} sets its own proxy headers, which drops the server-level X-Scope-OrgID from the authenticated user`);
    }
    if (backend === undefined) continue;
    if (!/auth_basic_user_file\s+\S+;/.test(body) || /auth_basic\s+off/.test(body)) {
      errors.push(`${templateOf(config)}: ${where(config)} location ${location} forwards to ${backend} without checking credentials (auth_basic_user_file)`);
    }
    const target = handoff === undefined ? undefined : named.get(handoff);
    const targetPass = target === undefined ? proxyPass : /proxy_pass\s+([^;]+);/.exec(target.body)?.[1].trim();
    if (targetPass === undefined || !/^\$backend\b/.test(targetPass)) {
      errors.push(`${templateOf(config)}: ${where(config)} location ${location} sets $backend ${backend} but no proxy_pass of it follows (try_files to a named location whose proxy_pass starts with $backend): the route never reaches its backend`);
    }
    let otlp = false;
    try {
      // Tempo's OTLP HTTP receiver serves /v1/traces; every other upstream is a service's HTTP port.
      otlp = new URL(backend).pathname === "/v1/traces";
    } catch {
      // checkAddresses reports an unparsable address
    }
    out.push({
      consumer: "gateway",
      config,
      what: `location ${location} proxy_pass`,
      raw: backend,
      kind: otlp ? "otlp_http" : "http",
      tenantOfRequest: true,
    });
  }
  return out;
}

const MIB = 1024 * 1024;
/**
 * The gRPC message limits a push crosses inside each backend behind the gateway (the distributor's
 * client to the ingesters, the receiving server), with the pinned version's upstream default when
 * the key is absent (../shared/upstream/<component>/<version>.keys.json). `when`: only where that
 * part runs.
 */
const GRPC_PUSH_LIMITS: Readonly<Record<RingServiceName, readonly { key: string; default: number; when?: string }[]>> = {
  mimir: [
    { key: "server.grpc_server_max_recv_msg_size", default: 100 * MIB },
    { key: "ingester_client.grpc_client_config.max_send_msg_size", default: 100 * MIB },
  ],
  loki: [
    { key: "server.grpc_server_max_recv_msg_size", default: 4 * MIB },
    { key: "ingester_client.grpc_client_config.max_send_msg_size", default: 100 * MIB },
    { key: "pattern_ingester.client_config.grpc_client_config.max_send_msg_size", default: 100 * MIB, when: "pattern_ingester.enabled" },
  ],
  tempo: [
    { key: "server.grpc_server_max_recv_msg_size", default: 16 * MIB },
    { key: "live_store_client.grpc_client_config.max_send_msg_size", default: 100 * MIB },
  ],
  pyroscope: [{ key: "server.grpc_server_max_recv_msg_size", default: 100 * MIB }],
};

/** An nginx size ("64m", "1g", "512k", "1048576") in bytes; nginx's default 1m when absent. */
function nginxSize(text: string | undefined): number | undefined {
  if (text === undefined) return MIB;
  const m = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * ({ "": 1, k: 1024, m: MIB, g: 1024 * MIB } as Record<string, number>)[m[2].toLowerCase()];
}

/**
 * Every backend the gateway forwards to accepts, on every gRPC hop of a push, a message at least as
 * large as the largest body the gateway admits: otherwise an admitted push is answered 500 from
 * inside the backend ("grpc: received message larger than max"), never the 413 or 429 a client can act on.
 */
function checkGrpcMessageLimits(gatewayConf: RenderedConfig, yamlBy: ReadonlyMap<ServiceName, ParsedYaml>, errors: string[]): void {
  const text = gatewayConf.content.replace(/#[^\n]*/g, "");
  const raw = /client_max_body_size\s+([^;\s]+)\s*;/.exec(text)?.[1];
  const body = nginxSize(raw);
  if (body === undefined) {
    errors.push(`${templateOf(gatewayConf)}: ${where(gatewayConf)} client_max_body_size "${raw}" is not a size nginx reads (a number with k, m or g)`);
    return;
  }
  const producers = new Set([...text.matchAll(/set\s+\$backend\s+http:\/\/([a-z0-9-]+)\./g)].map((m) => m[1]));
  for (const producer of RING_SERVICES) {
    if (!producers.has(producer)) continue;
    const parsed = yamlBy.get(producer);
    if (!parsed) continue;
    for (const limit of GRPC_PUSH_LIMITS[producer]) {
      if (limit.when && get(parsed.doc, limit.when) !== true) continue;
      const value = get(parsed.doc, limit.key);
      const bytes = value === undefined ? limit.default : typeof value === "number" ? value : Number.NaN;
      if (!(bytes >= body)) {
        errors.push(
          `gateway.max_body_size_mib: the gateway admits request bodies up to ${body} bytes (${where(gatewayConf)} client_max_body_size ${raw ?? "(nginx default 1m)"}), but ${where(parsed.config)} ${limit.key} is ${value === undefined ? `${limit.default} (upstream default)` : JSON.stringify(value)}: a push the gateway admits would be refused inside ${producer} with a 500; render it at least as large (templates/context.ts grpcMessageBytes)`,
        );
      }
    }
  }
}

/** The X-Scope-OrgID a datasource sends, if any. */
/** The tenant a datasource reads: its basic-auth user at the gateway, which sets X-Scope-OrgID from it. */
function datasourceTenant(ds: Record<string, unknown>): string | undefined {
  return ds.basicAuth === true && typeof ds.basicAuthUser === "string" ? ds.basicAuthUser : undefined;
}

/**
 * Every trace/log/metric/profile link (`...datasourceUid`) names a datasource the file provisions,
 * and one that sends the same tenant: a tenant's trace must not open another tenant's logs.
 */
function checkDatasourceLinks(p: ParsedYaml, errors: string[]): void {
  const list = Array.isArray(p.doc.datasources) ? p.doc.datasources : [];
  const byUid = new Map(list.filter(isMap).filter((ds) => typeof ds.uid === "string").map((ds) => [ds.uid as string, ds]));
  list.forEach((ds, i) => {
    if (!isMap(ds)) return;
    for (const [key, value] of walkValues(ds)) {
      if (!/(^|\.)datasourceUid$/.test(key)) continue;
      const target = byUid.get(String(value));
      if (!target) {
        errors.push(`${templateOf(p.config)}: datasource "${String(ds.name ?? i)}" ${key} links to uid "${String(value)}", which the file does not provision (known: ${[...byUid.keys()].join(", ")})`);
      } else if ((target.orgId ?? 1) !== (ds.orgId ?? 1)) {
        errors.push(`${templateOf(p.config)}: datasource "${String(ds.name ?? i)}" (org ${String(ds.orgId ?? 1)}) ${key} links to "${String(target.name)}" (org ${String(target.orgId ?? 1)}): Grafana resolves links within one organization`);
      } else if (datasourceTenant(target) !== datasourceTenant(ds)) {
        errors.push(
          `${templateOf(p.config)}: datasource "${String(ds.name ?? i)}" (tenant "${datasourceTenant(ds)}") ${key} links to "${String(target.name)}" (tenant "${datasourceTenant(target)}"): links must stay within one tenant`,
        );
      }
    }
  });
}

// ---------------------------------------------------------------- storage

const PREFIX_KEYS: readonly { service: RingServiceName; key: StoragePrefixKey; path: string }[] = [
  { service: "mimir", key: "mimir_blocks", path: "blocks_storage.storage_prefix" },
  { service: "mimir", key: "mimir_ruler", path: "ruler_storage.storage_prefix" },
  { service: "mimir", key: "mimir_alertmanager", path: "alertmanager_storage.storage_prefix" },
  { service: "loki", key: "loki", path: "storage_config.object_prefix" },
  { service: "tempo", key: "tempo", path: "storage.trace.s3.prefix" },
  { service: "pyroscope", key: "pyroscope", path: "storage.prefix" },
];

const BUCKET_KEYS: Readonly<Record<RingServiceName, { bucket: string; region: string }>> = {
  mimir: { bucket: "common.storage.s3.bucket_name", region: "common.storage.s3.region" },
  loki: { bucket: "common.storage.s3.bucketnames", region: "common.storage.s3.region" },
  tempo: { bucket: "storage.trace.s3.bucket", region: "storage.trace.s3.region" },
  pyroscope: { bucket: "storage.s3.bucket_name", region: "storage.s3.region" },
};

function checkStorage(s: Settings, yamlBy: ReadonlyMap<ServiceName, ParsedYaml>, errors: string[]): void {
  const found: { key: StoragePrefixKey; value: string; at: string }[] = [];
  for (const entry of PREFIX_KEYS) {
    const p = yamlBy.get(entry.service);
    if (!p) continue;
    const raw = get(p.doc, entry.path);
    const value = typeof raw === "string" ? raw.replace(/^\/+|\/+$/g, "") : "";
    const at = `${where(p.config)} ${entry.path}`;
    if (value === "") {
      errors.push(`storage_prefixes.${entry.key}: ${at} is empty, so ${entry.service} writes at the bucket root among the other components' objects (seed 000: tenant_settings.json and anonymous/ at the root)`);
      continue;
    }
    if (value !== s.storage_prefixes[entry.key]) {
      errors.push(`storage_prefixes.${entry.key}: ${at} is "${value}", but the settings say "${s.storage_prefixes[entry.key]}" (the bucket lifecycle and IAM policies use the settings' value)`);
    }
    found.push({ key: entry.key, value, at });
  }
  for (let i = 0; i < found.length; i++) {
    for (let j = i + 1; j < found.length; j++) {
      const [a, b] = [found[i], found[j]];
      const overlap = a.value === b.value || b.value.startsWith(`${a.value}/`) || a.value.startsWith(`${b.value}/`);
      if (overlap) {
        errors.push(
          `storage_prefixes.${b.key}: "${b.value}" (${b.at}) ${a.value === b.value ? "is the same as" : "overlaps"} storage_prefixes.${a.key} "${a.value}" (${a.at}); each store needs its own prefix or they read, compact and delete each other's objects`,
        );
      }
    }
  }
  for (const key of STORAGE_PREFIX_KEYS) {
    if (!found.some((f) => f.key === key) && !errors.some((e) => e.startsWith(`storage_prefixes.${key}:`))) {
      const entry = PREFIX_KEYS.find((e) => e.key === key)!;
      if (yamlBy.has(entry.service)) errors.push(`storage_prefixes.${key}: the rendered ${entry.service} config does not set ${entry.path}`);
    }
  }
  for (const service of RING_SERVICES) {
    const p = yamlBy.get(service);
    if (!p) continue;
    const bucket = get(p.doc, BUCKET_KEYS[service].bucket);
    if (bucket !== s.storage.data_bucket_name) {
      errors.push(`storage.data_bucket_name: ${where(p.config)} ${BUCKET_KEYS[service].bucket} is ${JSON.stringify(bucket ?? null)}, but the data bucket is "${s.storage.data_bucket_name}" (the task role may use only that bucket)`);
    }
    const region = get(p.doc, BUCKET_KEYS[service].region);
    if (region !== s.aws.region) {
      errors.push(`aws.region: ${where(p.config)} ${BUCKET_KEYS[service].region} is ${JSON.stringify(region ?? null)}, but the data bucket is in "${s.aws.region}"`);
    }
  }
}

// ---------------------------------------------------------------- retention

function checkRetention(s: Settings, yamlBy: ReadonlyMap<ServiceName, ParsedYaml>, errors: string[]): void {
  const expect = (service: RingServiceName, key: string) => {
    const p = yamlBy.get(service);
    if (!p) return;
    const days = s.services[service].retention_days;
    if (days === undefined) return;
    const value = get(p.doc, key);
    const ms = parseDuration(value);
    if (ms !== days * DAY_MS) {
      errors.push(`services.${service}.retention_days: ${where(p.config)} ${key} is ${JSON.stringify(value ?? null)}, but the settings keep data ${days} days (${days * 24}h), which the bucket lifecycle also assumes`);
    }
  };
  expect("mimir", "limits.compactor_blocks_retention_period");
  expect("loki", "limits_config.retention_period");
  expect("tempo", "backend_worker.compaction.block_retention");

  const loki = yamlBy.get("loki");
  if (loki) {
    if (get(loki.doc, "compactor.retention_enabled") !== true) {
      errors.push(`services.loki.retention_days: ${where(loki.config)} does not set compactor.retention_enabled: true, so Loki never deletes logs and retention_period has no effect`);
    }
    if (!get(loki.doc, "compactor.delete_request_store")) {
      errors.push(`${templateOf(loki.config)}: ${where(loki.config)} enables retention without compactor.delete_request_store; Loki 3 refuses to start`);
    }
    const streams = get(loki.doc, "limits_config.retention_stream");
    const limit = s.services.loki.retention_days;
    (Array.isArray(streams) ? streams : []).forEach((r, i) => {
      const ms = isMap(r) ? parseDuration(r.period) : undefined;
      if (limit !== undefined && ms !== undefined && ms > limit * DAY_MS) {
        errors.push(`loki.retention_streams[${i}].days: stream ${String(isMap(r) ? r.selector : "")} keeps ${ms / DAY_MS} days, longer than services.loki.retention_days (${limit}), after which the bucket lifecycle deletes its objects anyway`);
      }
    });
  }

  const pyroscope = yamlBy.get("pyroscope");
  if (pyroscope) {
    const architecture = String(get(pyroscope.doc, "architecture_storage") ?? "v1-v2-dual");
    const keys =
      architecture === "v1"
        ? ["limits.compactor_blocks_retention_period"]
        : architecture === "v2"
          ? ["limits.retention_period"]
          : ["limits.compactor_blocks_retention_period", "limits.retention_period"];
    for (const key of keys) expect("pyroscope", key);
    if (architecture === "v1") {
      const writePath = get(pyroscope.doc, "limits.write_path");
      if (writePath !== "ingester") {
        errors.push(`${templateOf(pyroscope.config)}: ${where(pyroscope.config)} runs architecture_storage v1 but limits.write_path is ${JSON.stringify(writePath ?? "segment-writer (default)")}; Pyroscope 2 refuses to start unless it is "ingester"`);
      }
    }
  }
}

// ---------------------------------------------------------------- walking

function* walkValues(value: unknown, at = ""): Generator<[string, unknown]> {
  if (isMap(value)) {
    for (const [k, v] of Object.entries(value)) {
      const key = at ? `${at}.${k}` : k;
      yield [key, v];
      yield* walkValues(v, key);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) if (isMap(v) || Array.isArray(v)) yield* walkValues(v, `${at}[]`);
  }
}

function* walkScalars(value: unknown): Generator<[string, unknown]> {
  for (const [k, v] of walkValues(value)) if (!isMap(v) && !Array.isArray(v)) yield [k, v];
}
