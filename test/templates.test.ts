/**
 * templates/: every component's config rendered from the settings, for the shipped environments.
 * Each file parses, carries the values that matter (tenant, ports, prefixes, join addresses,
 * retention) straight from the settings, and holds exactly its reviewed sections (no whole-file
 * snapshot: an intended change would rewrite it wholesale); the commands and environment the task
 * definitions use point at the rendered files.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { RING_SERVICES, SERVICE_NAMES, replicationFactor, type Settings } from "../settings";
import { attribute, childBlocks, parseAlloy, stringMap, type AlloyFile } from "../templates/alloy-syntax";
import { buildContext, CONFIG_DIR, grpcMessageBytes, producerAddress } from "../templates/context";

/** The server's gRPC message limits: the gateway's body limit, at least 100 MiB (docs/gateway.md). */
const grpcLimits = (s: Settings) => ({ grpc_server_max_recv_msg_size: grpcMessageBytes(s), grpc_server_max_send_msg_size: grpcMessageBytes(s) });
import { renderConfigs, serviceCommand, serviceEnvironment, writeRenderedConfigs, type RenderedConfig } from "../templates";
import { listTemplates, renderTemplate, sha256 } from "../templates/render";
import { runCli, runInProcess } from "./support/cli";
import { overrideError, settingsWith, shipped } from "./support/settings";

type Doc = Record<string, any>;

/** Grafana's datasources file is "its" config here; its alerting file has tests of its own (test/grafana-alerting.test.ts). */
const DEFAULT_FILE: Record<string, string> = { grafana: "provisioning/datasources/datasources.yaml" };

function configOf(configs: readonly RenderedConfig[], service: string, fileName: string | undefined = DEFAULT_FILE[service]): RenderedConfig {
  // Without a file name: the service's main config (not its runtime overrides file).
  const found = configs.filter((c) => c.service === service && (fileName === undefined ? c.fileName !== "overrides.yaml" : c.fileName === fileName));
  if (found.length !== 1) throw new Error(`expected one ${service} config${fileName ? ` ${fileName}` : ""}, found ${found.map((c) => c.fileName).join(", ") || "none"}`);
  return found[0];
}
const yamlOf = (configs: readonly RenderedConfig[], service: string): Doc => parseYaml(configOf(configs, service).content) as Doc;
const alloyOf = (configs: readonly RenderedConfig[]): AlloyFile => parseAlloy(configOf(configs, "alloy").content);
const blockOf = (file: AlloyFile, name: string, label: string) => {
  const b = file.blocks.find((x) => x.name === name && x.label === label);
  if (!b) throw new Error(`no ${name} "${label}" in config.alloy`);
  return b;
};
/** The default tenant's datasource of a type (the file has one set per tenant; test/tenants.test.ts covers the others). */
const DEFAULT_UIDS: Record<string, string> = { prometheus: "mimir", loki: "loki", tempo: "tempo", "grafana-pyroscope-datasource": "pyroscope" };
const datasource = (doc: Doc, type: string): Doc => {
  const ds = (doc.datasources as Doc[]).filter((d) => d.type === type && d.uid === DEFAULT_UIDS[type]);
  if (ds.length !== 1) throw new Error(`expected one ${type} datasource, found ${ds.length}`);
  return ds[0];
};
/** The tenant a datasource's name says: "Mimir (aws-rag-ec2)" → aws-rag-ec2; a plain name is the default tenant's. */
const tenantOfName = (name: string): string | undefined => /\(([^)]+)\)$/.exec(name)?.[1];
const hours = (days: number) => `${days * 24}h`;

describe.each(["prod", "dev"])("GIVEN the shipped %s settings", (env) => {
  let s: Settings;
  let configs: RenderedConfig[];
  beforeAll(async () => {
    s = await shipped(env);
    configs = renderConfigs(s);
  });

  it("WHEN rendered THEN each service has its files in a stable order, mounted under the config directory, each with its content's sha256", () => {
    expect(configs.map((c) => `${c.service}/${c.fileName}`)).toEqual([
      "mimir/mimir.yaml",
      "mimir/overrides.yaml",
      "loki/loki.yaml",
      "loki/overrides.yaml",
      "tempo/overrides.yaml",
      "tempo/tempo.yaml",
      "pyroscope/overrides.yaml",
      "pyroscope/pyroscope.yaml",
      "grafana/dashboards/alloy.json",
      "grafana/dashboards/grafana.json",
      "grafana/dashboards/loki.json",
      "grafana/dashboards/mimir.json",
      "grafana/dashboards/pyroscope.json",
      "grafana/dashboards/stack.json",
      "grafana/dashboards/tempo.json",
      "grafana/provisioning/alerting/lgtm.yaml",
      "grafana/provisioning/dashboards/lgtm.yaml",
      "grafana/provisioning/datasources/datasources.yaml",
      "alloy/config.alloy",
      "gateway/nginx.conf",
      "gateway/start.sh",
    ]);
    for (const c of configs) {
      expect(c.containerPath).toBe(path.posix.join(CONFIG_DIR, c.fileName));
      expect(c.sha256).toBe(sha256(c.content));
      expect(c.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(c.content.endsWith("\n")).toBe(true);
      expect(c.content).not.toMatch(/[ \t]+$/m);
      expect(c.content).toContain(`environments/${env}.tfvars`);
    }
  });

  it("WHEN rendered twice THEN the files are byte-identical (no timestamps, no randomness)", () => {
    expect(renderConfigs(s)).toEqual(configs);
  });

  it("WHEN any file is rendered THEN it holds no static AWS credentials and no unresolved placeholder", () => {
    for (const c of configs) {
      expect(c.content).not.toMatch(/access_key|secret_key|secret_access_key/);
      expect(c.content).not.toMatch(/\$\{[A-Z_]+\}/);
      expect(c.content).not.toContain("[object Object]");
      expect(c.content).not.toContain("undefined");
    }
  });

  describe("WHEN mimir.yaml is rendered", () => {
    let doc: Doc;
    beforeAll(() => {
      doc = yamlOf(configs, "mimir");
    });
    it("THEN it runs monolithic, multi-tenant, on the catalog's ports", () => {
      expect(doc.target).toBe("all");
      expect(doc.multitenancy_enabled).toBe(true);
      expect(doc.server).toEqual({ http_listen_port: s.services.mimir.http_port, grpc_listen_port: s.services.mimir.grpc_port, graceful_shutdown_timeout: "10s", ...grpcLimits(s) });
      expect(doc.api.prometheus_http_prefix).toBe("/prometheus");
    });
    it("THEN blocks, rules and Alertmanager state go to the data bucket under their own prefixes with the task role's credentials", () => {
      expect(doc.common.storage).toEqual({
        backend: "s3",
        s3: { bucket_name: s.storage.data_bucket_name, region: s.aws.region, endpoint: `s3.${s.aws.region}.amazonaws.com`, native_aws_auth_enabled: true },
      });
      expect(doc.blocks_storage.storage_prefix).toBe(s.storage_prefixes.mimir_blocks);
      expect(doc.ruler_storage.storage_prefix).toBe(s.storage_prefixes.mimir_ruler);
      expect(doc.alertmanager_storage.storage_prefix).toBe(s.storage_prefixes.mimir_alertmanager);
    });
    it("THEN retention is services.mimir.retention_days and runtime_config is the local overrides file, never s3:// (seed 000 outage)", () => {
      expect(doc.limits.compactor_blocks_retention_period).toBe(hours(s.services.mimir.retention_days!));
      expect(doc.runtime_config).toEqual({ file: path.posix.join(CONFIG_DIR, "overrides.yaml") });
    });
    it("THEN it joins only its own ring through Cloud Map and advertises the task ENI on every ring", () => {
      expect(doc.memberlist).toMatchObject({
        bind_port: s.memberlist_port,
        join_members: [`dns+mimir.${s.service_discovery.namespace}:${s.memberlist_port}`],
        cluster_label: `lgtm-${env}-mimir`,
        cluster_label_verification_disabled: false,
      });
      for (const ring of [doc.distributor.ring, doc.ingester.ring, doc.store_gateway.sharding_ring, doc.compactor.sharding_ring, doc.ruler.ring, doc.alertmanager.sharding_ring]) {
        expect(ring.kvstore).toEqual({ store: "memberlist" });
        expect(ring.instance_interface_names).toEqual(s.ring_interface_names);
      }
      const rf = s.services.mimir.desired_count >= 3 ? 3 : 1;
      expect(replicationFactor(s, "mimir")).toBe(rf);
      expect(doc.ingester.ring.replication_factor).toBe(rf);
      expect(doc.store_gateway.sharding_ring.replication_factor).toBe(rf);
    });
    it("THEN its top-level sections are exactly the reviewed ones, in order (an added or dropped block is a reviewed one-line change)", () => {
      expect(Object.keys(doc)).toEqual([
        "target", "multitenancy_enabled", "server", "shutdown_delay", "activity_tracker", "api", "common", "blocks_storage", "ruler_storage", "alertmanager_storage",
        "runtime_config", "querier", "tenant_federation", "limits", "memberlist", "distributor", "ingester", "ingester_client", "store_gateway", "compactor",
        "ruler", "alertmanager", "frontend", "usage_stats",
      ]);
    });
  });

  describe("WHEN loki.yaml is rendered", () => {
    let doc: Doc;
    beforeAll(() => {
      doc = yamlOf(configs, "loki");
    });
    it("THEN it requires the tenant, uses TSDB v13 on S3 under storage_prefixes.loki, and listens on the catalog's ports", () => {
      expect(doc.auth_enabled).toBe(true);
      expect(doc.server).toEqual({ http_listen_port: s.services.loki.http_port, grpc_listen_port: s.services.loki.grpc_port, graceful_shutdown_timeout: "10s", http_server_write_timeout: "90s", ...grpcLimits(s) });
      expect(doc.schema_config.configs).toEqual([
        { from: s.loki.schema_from, store: "tsdb", object_store: "s3", schema: "v13", index: { prefix: "index_", period: "24h" } },
      ]);
      expect(doc.common.storage.s3).toEqual({ bucketnames: s.storage.data_bucket_name, region: s.aws.region, endpoint: `s3.${s.aws.region}.amazonaws.com` });
      expect(doc.storage_config.object_prefix).toBe(s.storage_prefixes.loki);
    });
    it("THEN retention is on with a delete-request store (Loki 3 refuses it otherwise) and per-stream retention comes from settings", () => {
      expect(doc.compactor.retention_enabled).toBe(true);
      expect(doc.compactor.delete_request_store).toBe("s3");
      expect(doc.compactor.shared_store).toBeUndefined();
      expect(doc.limits_config.retention_period).toBe(hours(s.services.loki.retention_days!));
      expect(doc.limits_config.retention_stream).toEqual(s.loki.retention_streams.map((r) => ({ selector: r.selector, priority: r.priority, period: hours(r.days) })));
    });
    it("THEN the limits are the settings' (seed 004: max_concurrent_tail_requests 20)", () => {
      for (const [k, v] of Object.entries(s.loki.limits)) if (v !== undefined) expect(doc.limits_config[k], k).toBe(v);
      // Omitted in the settings: the lookback is the retention (nothing older exists).
      expect(doc.limits_config.max_query_lookback).toBe(s.loki.limits.max_query_lookback ?? hours(s.services.loki.retention_days!));
      expect(doc.limits_config.max_concurrent_tail_requests).toBe(20);
    });
    it("THEN it joins only its own ring and keeps the ruler's rules off the shared bucket root", () => {
      expect(doc.memberlist.join_members).toEqual([`dns+loki.${s.service_discovery.namespace}:${s.memberlist_port}`]);
      expect(doc.common.ring.instance_interface_names).toEqual(s.ring_interface_names);
      expect(doc.common.instance_interface_names).toEqual(s.ring_interface_names);
      expect(doc.ruler.storage.type).toBe("local");
    });
    it("THEN its top-level sections are exactly the reviewed ones, in order, the chunk and results caches only with cache.enabled", () => {
      const cache = s.cache.enabled ? ["chunk_store_config", "query_range"] : [];
      expect(Object.keys(doc)).toEqual([
        "target", "auth_enabled", "server", "shutdown_delay", "common", "memberlist", "ingester", "schema_config", "storage_config", ...cache,
        "compactor", "limits_config", "runtime_config", "querier", "ingester_client", "pattern_ingester", "ruler", "frontend", "analytics",
      ]);
    });
  });

  describe("WHEN tempo.yaml is rendered", () => {
    let doc: Doc;
    beforeAll(() => {
      doc = yamlOf(configs, "tempo");
    });
    it("THEN the API prefix is http_api_prefix, never server.http_path_prefix (upstream note T1, seed 000)", () => {
      expect(doc.http_api_prefix).toBe(s.services.tempo.path_prefix);
      expect(doc.server.http_path_prefix).toBeUndefined();
      expect(doc.server).toEqual({ http_listen_port: s.services.tempo.http_port, grpc_listen_port: s.services.tempo.grpc_port, graceful_shutdown_timeout: "10s", ...grpcLimits(s) });
    });
    it("THEN it is Tempo 3 monolithic: multi-tenant, OTLP on the catalog's ports, no ingester/compactor blocks", () => {
      expect(doc.target).toBe("all");
      expect(doc.multitenancy_enabled).toBe(true);
      expect(doc.distributor.receivers.otlp.protocols).toEqual({
        grpc: { endpoint: `0.0.0.0:${s.otlp.grpc_port}` },
        http: { endpoint: `0.0.0.0:${s.otlp.http_port}` },
      });
      expect(doc.ingester).toBeUndefined();
      expect(doc.compactor).toBeUndefined();
      expect(doc.ingest).toBeUndefined();
    });
    it("THEN traces go to S3 under storage_prefixes.tempo and are kept services.tempo.retention_days", () => {
      expect(doc.storage.trace.backend).toBe("s3");
      expect(doc.storage.trace.s3).toMatchObject({ bucket: s.storage.data_bucket_name, prefix: s.storage_prefixes.tempo, region: s.aws.region });
      // Tempo 3.0.3 accepts native_aws_auth_enabled but logs it as deprecated and ignores it (upstream README).
      expect(doc.storage.trace.s3).not.toHaveProperty("native_aws_auth_enabled");
      expect(doc.backend_worker.compaction.block_retention).toBe(hours(s.services.tempo.retention_days!));
    });
    it("THEN the metrics generator remote-writes to Mimir's push path under each trace's tenant", () => {
      expect(doc.metrics_generator.storage.remote_write).toEqual([
        {
          url: `http://mimir.${s.service_discovery.namespace}:${s.services.mimir.http_port}/api/v1/push`,
          send_exemplars: true,
        },
      ]);
      // Each trace's own tenant (Tempo sets X-Scope-OrgID per tenant), so span metrics stay with their tenant.
      expect(doc.metrics_generator.storage.remote_write_add_org_id_header).toBe(true);
      expect(doc.overrides.defaults.metrics_generator.processors).toEqual(["service-graphs", "span-metrics"]);
      expect(doc.memberlist.join_members).toEqual([`dns+tempo.${s.service_discovery.namespace}:${s.memberlist_port}`]);
    });
    it("THEN its top-level sections are exactly the reviewed ones, in order (no Tempo 2 compactor or ingester block)", () => {
      expect(Object.keys(doc)).toEqual([
        "target", "multitenancy_enabled", "http_api_prefix", "stream_over_http_enabled", "server", "shutdown_delay", "distributor", "live_store_client", "live_store",
        "metrics_generator", "backend_scheduler", "backend_worker", "memberlist", "storage", "query_frontend", "overrides", "usage_report",
      ]);
    });
  });

  describe("WHEN pyroscope.yaml is rendered", () => {
    let doc: Doc;
    beforeAll(() => {
      doc = yamlOf(configs, "pyroscope");
    });
    it("THEN it requires the tenant and serves under its path prefix (seed 000: profiles under anonymous/)", () => {
      expect(doc.multitenancy_enabled).toBe(true);
      expect(doc.server).toEqual({
        http_listen_port: s.services.pyroscope.http_port,
        grpc_listen_port: s.services.pyroscope.grpc_port,
        http_path_prefix: s.services.pyroscope.path_prefix,
        graceful_shutdown_timeout: "10s",
        ...grpcLimits(s),
      });
      expect(doc.api["base-url"]).toBe(s.services.pyroscope.path_prefix);
    });
    it("THEN it stores under storage.prefix and keeps profiles with the retention key of the v1 storage it runs", () => {
      expect(doc.storage).toMatchObject({ backend: "s3", prefix: s.storage_prefixes.pyroscope, s3: { bucket_name: s.storage.data_bucket_name, native_aws_auth_enabled: true } });
      expect(doc.architecture_storage).toBe("v1");
      expect(doc.limits.write_path).toBe("ingester");
      expect(doc.limits.compactor_blocks_retention_period).toBe(hours(s.services.pyroscope.retention_days!));
      expect(doc.memberlist.join_members).toEqual([`dns+pyroscope.${s.service_discovery.namespace}:${s.memberlist_port}`]);
    });
    it("THEN its top-level sections are exactly the reviewed ones, in order", () => {
      expect(Object.keys(doc)).toEqual([
        "target", "multitenancy_enabled", "architecture_storage", "server", "shutdown_delay", "api", "storage", "pyroscopedb", "limits", "runtime_config",
        "memberlist", "ingester", "distributor", "store_gateway", "compactor", "frontend", "analytics",
      ]);
    });
  });

  describe("WHEN config.alloy is rendered", () => {
    let file: AlloyFile;
    beforeAll(() => {
      file = alloyOf(configs);
    });
    it("THEN metrics go to Mimir's push path and logs to Loki's, each with the tenant", () => {
      const rw = childBlocks(blockOf(file, "prometheus.remote_write", "mimir"), "endpoint")[0];
      expect(attribute(rw, "url")).toBe(`http://mimir.${s.service_discovery.namespace}:${s.services.mimir.http_port}/api/v1/push`);
      expect(stringMap(attribute(rw, "headers"))).toEqual({ "X-Scope-OrgID": s.tenant_id });
      const lw = childBlocks(blockOf(file, "loki.write", "loki"), "endpoint")[0];
      expect(attribute(lw, "url")).toBe(`http://loki.${s.service_discovery.namespace}:${s.services.loki.http_port}/loki/api/v1/push`);
      expect(attribute(lw, "tenant_id")).toBe(s.tenant_id);
    });
    it("THEN OTLP is received on the otlp ports and traces leave for Tempo's OTLP gRPC port with the tenant header", () => {
      const receiver = blockOf(file, "otelcol.receiver.otlp", "default");
      expect(attribute(childBlocks(receiver, "grpc")[0], "endpoint")).toBe(`0.0.0.0:${s.otlp.grpc_port}`);
      expect(attribute(childBlocks(receiver, "http")[0], "endpoint")).toBe(`0.0.0.0:${s.otlp.http_port}`);
      const client = childBlocks(blockOf(file, "otelcol.exporter.otlp", "tempo"), "client")[0];
      expect(attribute(client, "endpoint")).toBe(`tempo.${s.service_discovery.namespace}:${s.otlp.grpc_port}`);
      expect(stringMap(attribute(client, "headers"))).toEqual({ "X-Scope-OrgID": s.tenant_id });
    });
    it("THEN CloudWatch metrics of every alloy.cloudwatch namespace are discovered in aws.region and scraped into Mimir", () => {
      const cw = blockOf(file, "prometheus.exporter.cloudwatch", "aws");
      expect(attribute(cw, "sts_region")).toBe(s.aws.region);
      const discovery = childBlocks(cw, "discovery");
      expect(discovery.map((d) => attribute(d, "type"))).toEqual(s.alloy.cloudwatch.namespaces.map((n) => n.type));
      for (const d of discovery) expect(attribute(d, "regions")).toEqual([s.aws.region]);
      const scrape = blockOf(file, "prometheus.scrape", "cloudwatch");
      expect(attribute(scrape, "forward_to")).toEqual([{ kind: "ref", path: "prometheus.remote_write.mimir.receiver" }]);
    });
    it("THEN its components are exactly the reviewed ones, in order: Mimir's writer, CloudWatch, the self-monitoring scrapes of each service, the OTLP pipeline", () => {
      const selfScrapes = ["mimir", "loki", "tempo", "pyroscope", "grafana", "alloy"].flatMap((svc) => [`discovery.dns "self_${svc}"`, `discovery.relabel "self_${svc}"`, `prometheus.scrape "self_${svc}"`]);
      expect(file.blocks.map((b) => `${b.name} "${b.label}"`)).toEqual([
        'prometheus.remote_write "mimir"',
        'prometheus.exporter.cloudwatch "aws"',
        'prometheus.scrape "cloudwatch"',
        'prometheus.remote_write "self_monitoring"',
        ...selfScrapes,
        'otelcol.receiver.otlp "default"',
        'otelcol.processor.memory_limiter "default"',
        'otelcol.processor.batch "default"',
        'otelcol.exporter.prometheus "mimir"',
        'otelcol.exporter.loki "loki"',
        'loki.write "loki"',
        'otelcol.exporter.otlp "tempo"',
      ]);
    });
  });

  describe("WHEN the Grafana datasources file is rendered", () => {
    let doc: Doc;
    beforeAll(() => {
      doc = yamlOf(configs, "grafana");
    });
    it("THEN the four backends are queried through the gateway at each backend's prefix, with the tenant's read credential and no tenant header", () => {
      const gateway = `http://gateway.${s.service_discovery.namespace}:${s.services.gateway.http_port}`;
      expect(datasource(doc, "prometheus").url).toBe(`${gateway}/prometheus`);
      expect(datasource(doc, "loki").url).toBe(gateway);
      expect(datasource(doc, "tempo").url).toBe(`${gateway}${s.services.tempo.path_prefix}`);
      expect(datasource(doc, "grafana-pyroscope-datasource").url).toBe(`${gateway}${s.services.pyroscope.path_prefix}`);
      for (const ds of doc.datasources as Record<string, any>[]) {
        // Basic auth at the gateway (which sets X-Scope-OrgID from the user): the self-monitoring Mimir
        // as the stack's own tenant, every other datasource as its tenant, the password a $VAR Grafana expands.
        expect([ds.basicAuth, ds.basicAuthUser], ds.name).toEqual([true, ds.uid === "mimir-meta" ? s.self_monitoring.tenant : tenantOfName(ds.name) ?? s.tenant_id]);
        expect(ds.secureJsonData.basicAuthPassword, ds.name).toMatch(/^\$LGTM_GRAFANA_READ_PASSWORD_(\d+|META)$/);
        expect(ds.jsonData?.httpHeaderName1, ds.name).toBeUndefined();
        expect(ds.url, ds.name).toMatch(new RegExp(`^${gateway}`));
      }
    });
    it("THEN traces link to logs, metrics and profiles, logs link back to traces, and metrics' exemplars to traces", () => {
      const tempo = datasource(doc, "tempo").jsonData;
      expect(tempo.tracesToLogsV2.datasourceUid).toBe(datasource(doc, "loki").uid);
      expect(tempo.tracesToMetrics.datasourceUid).toBe(datasource(doc, "prometheus").uid);
      expect(tempo.tracesToProfiles.datasourceUid).toBe(datasource(doc, "grafana-pyroscope-datasource").uid);
      expect(tempo.serviceMap.datasourceUid).toBe(datasource(doc, "prometheus").uid);
      expect(datasource(doc, "loki").jsonData.derivedFields[0].datasourceUid).toBe(datasource(doc, "tempo").uid);
      expect(datasource(doc, "prometheus").jsonData.exemplarTraceIdDestinations[0].datasourceUid).toBe(datasource(doc, "tempo").uid);
      // Grafana expands $VAR in provisioning files: Grafana's own variables are written $$.
      expect(tempo.tracesToMetrics.queries[0].query).toContain("$$__tags");
      expect(datasource(doc, "loki").jsonData.derivedFields[0].url).toBe("$${__value.raw}");
    });
    it("THEN it holds exactly one datasource of each backend per tenant, and Mimir's self-monitoring one, under the stable uids dashboards link to", () => {
      expect(Object.keys(doc)).toEqual(["apiVersion", "prune", "datasources"]);
      const backends = (suffix: string) => [`prometheus:mimir${suffix}`, `loki:loki${suffix}`, `tempo:tempo${suffix}`, `grafana-pyroscope-datasource:pyroscope${suffix}`];
      expect((doc.datasources as Doc[]).map((d) => `${d.type}:${d.uid}`)).toEqual([...backends(""), ...backends("-t-aws-rag-ec2"), "prometheus:mimir-meta"]);
    });
  });

  it("WHEN the containers' commands are built THEN each reads its rendered file, Alloy listens on 0.0.0.0 and Grafana keeps its image command", () => {
    for (const service of RING_SERVICES) {
      expect(serviceCommand(s, service)).toEqual([`-config.file=${configOf(configs, service).containerPath}`, "-target=all"]);
      expect(serviceEnvironment(s, service)).toEqual({});
    }
    expect(serviceCommand(s, "alloy")).toEqual([
      "run",
      `--server.http.listen-addr=0.0.0.0:${s.services.alloy.http_port}`,
      "--storage.path=/var/lib/alloy/data",
      configOf(configs, "alloy").containerPath,
    ]);
    expect(serviceCommand(s, "grafana")).toEqual([]);
  });

  it("WHEN Grafana's environment is built THEN provisioning points at the rendered datasources' parent, the admin user is the setting, and no password is in it", () => {
    const environment = serviceEnvironment(s, "grafana");
    const datasources = configOf(configs, "grafana").containerPath;
    expect(path.posix.dirname(path.posix.dirname(datasources))).toBe(environment.GF_PATHS_PROVISIONING);
    expect(path.posix.basename(path.posix.dirname(datasources))).toBe("datasources");
    expect(environment.GF_SECURITY_ADMIN_USER).toBe(s.grafana.admin_user);
    expect(environment.GF_SERVER_HTTP_PORT).toBe(String(s.services.grafana.http_port));
    expect(environment.GF_AUTH_ANONYMOUS_ENABLED).toBe("false");
    expect(Object.keys(environment).filter((k) => /PASSWORD|SECRET|TOKEN/.test(k))).toEqual([]);
  });
});

describe("GIVEN prod settings with Loki moved to port 4101 (seed 004)", () => {
  let configs: RenderedConfig[];
  let s: Settings;
  beforeAll(async () => {
    s = await settingsWith({ services: { loki: { http_port: 4101 } } });
    configs = renderConfigs(s);
  });
  it("WHEN rendered THEN Loki listens on 4101 and Alloy and Grafana call 4101: no consumer can lag behind its producer", () => {
    expect(yamlOf(configs, "loki").server.http_listen_port).toBe(4101);
    const lw = childBlocks(blockOf(alloyOf(configs), "loki.write", "loki"), "endpoint")[0];
    expect(attribute(lw, "url")).toBe("http://loki.lgtm.local:4101/loki/api/v1/push");
    // Grafana reads Loki through the gateway, which calls 4101 (test/gateway.test.ts runs it).
    expect(datasource(yamlOf(configs, "grafana"), "loki").url).toBe("http://gateway.lgtm.local:8080");
    expect(configOf(configs, "gateway", "nginx.conf").content).toContain("http://loki.lgtm.local:4101");
  });
});

describe("GIVEN prod settings with Tempo's API under /traces and a different tenant and namespace", () => {
  let configs: RenderedConfig[];
  beforeAll(async () => {
    const s = await settingsWith({
      tenant_id: "team-a",
      service_discovery: { namespace: "obs.internal" },
      services: { tempo: { path_prefix: "/traces", alb_paths: ["/traces/*"] } },
    });
    configs = renderConfigs(s);
  });
  it("WHEN rendered THEN Tempo's http_api_prefix, Grafana's Tempo URL, every join address and every tenant follow", () => {
    expect(yamlOf(configs, "tempo").http_api_prefix).toBe("/traces");
    expect(datasource(yamlOf(configs, "grafana"), "tempo").url).toBe("http://gateway.obs.internal:8080/traces");
    expect(yamlOf(configs, "mimir").memberlist.join_members).toEqual(["dns+mimir.obs.internal:7946"]);
    for (const c of configs) {
      // jsj-lgtm-header stays a declared tenant (tenants in common.tfvars): Grafana has datasources and the gateway credentials for it.
      if (c.service !== "grafana" && c.service !== "gateway") expect(c.content, c.fileName).not.toContain("jsj-lgtm-header");
      expect(c.content, c.fileName).not.toContain("lgtm.local");
    }
    expect(configOf(configs, "alloy").content).toContain('tenant_id = "team-a"');
    expect(datasource(yamlOf(configs, "grafana"), "prometheus").basicAuthUser).toBe("team-a");
  });
});

describe("GIVEN prod settings with no CloudWatch namespaces", () => {
  it("WHEN config.alloy is rendered THEN it has no CloudWatch exporter at all (the exporter refuses an empty job list)", async () => {
    const configs = renderConfigs(await settingsWith({ alloy: { cloudwatch: { namespaces: [] } } }));
    const file = alloyOf(configs);
    expect(file.blocks.map((b) => b.name)).not.toContain("prometheus.exporter.cloudwatch");
    expect(file.blocks.filter((b) => b.name === "prometheus.scrape").map((b) => b.label)).not.toContain("cloudwatch");
    expect(file.blocks.map((b) => b.name)).toContain("loki.write");
  });
});

describe("GIVEN the templates", () => {
  it("WHEN a template reads a field the view model lacks THEN rendering fails with the template's name instead of writing an empty value", async () => {
    const s = await shipped("prod");
    const { alloy, ...rest } = buildContext(s);
    const { otlpTenant: _omitted, ...alloyWithoutTenant } = alloy;
    const file = listTemplates().find((t) => t.service === "alloy")!;
    expect(renderTemplate(file, buildContext(s))).toContain(`tenant_id = "${s.tenant_id}"`);
    expect(() => renderTemplate(file, { ...rest, alloy: alloyWithoutTenant })).toThrow(/templates\/alloy\/config\.alloy\.hbs: .*undefined/);
  });

  it("WHEN a template would call a producer port the catalog does not list THEN building its address fails", async () => {
    const s = await shipped("prod");
    expect(() => producerAddress(s, "alloy", "pyroscope", "grpc")).toThrow(/CONSUMERS does not list/);
    expect(() => producerAddress(s, "grafana", "loki", "grpc")).toThrow(/CONSUMERS does not list/);
    expect(producerAddress(s, "alloy", "tempo", "otlp_grpc")).toBe("tempo.lgtm.local:4317");
  });

  it("WHEN listed THEN every service has a template directory", () => {
    expect([...new Set(listTemplates().map((t) => t.service))]).toEqual([...SERVICE_NAMES]);
  });
});

describe("GIVEN the settings the templates add", () => {
  it("WHEN a retention stream selector is not a LogQL selector THEN loading names loki.retention_streams[0].selector", async () => {
    const message = await overrideError({ loki: { retention_streams: [{ selector: "level=info", days: 30 }] } });
    expect(message).toContain("loki.retention_streams[0].selector");
    expect(message).toContain("LogQL stream selector");
  });

  it("WHEN a Loki limit is misspelt THEN loading names it and suggests the real one", async () => {
    const message = await overrideError({ loki: { limits: { max_concurrent_tail_request: 20 } } });
    expect(message).toContain('unknown key "max_concurrent_tail_request"; did you mean "max_concurrent_tail_requests"?');
  });

  it("WHEN a Loki limit duration or schema date is malformed THEN loading names the key", async () => {
    expect(await overrideError({ loki: { limits: { split_queries_by_interval: "30 minutes" } } })).toContain("loki.limits.split_queries_by_interval");
    expect(await overrideError({ loki: { schema_from: "01/01/2025" } })).toContain("loki.schema_from");
  });

  it("WHEN ring_interface_names is empty or holds a bad name THEN loading fails on ring_interface_names", async () => {
    expect(await overrideError({ ring_interface_names: [] })).toContain("ring_interface_names");
    expect(await overrideError({ ring_interface_names: ["eth 1"] })).toContain("ring_interface_names[0]");
  });

  it("WHEN a CloudWatch statistic, namespace or duration is wrong THEN loading names the key", async () => {
    const bad = (metric: { name: string; statistics: string[]; period?: string }, type = "AWS/ECS") => overrideError({ alloy: { cloudwatch: { namespaces: [{ type, metrics: [metric] }] } } });
    expect(await bad({ name: "CPUUtilization", statistics: ["Mean"] })).toContain("alloy.cloudwatch.namespaces[0].metrics[0].statistics[0]");
    expect(await bad({ name: "CPUUtilization", statistics: ["Average"], period: "1d" })).toContain("alloy.cloudwatch.namespaces[0].metrics[0].period");
    expect(await bad({ name: "CPUUtilization", statistics: ["Average"] }, "ECS")).toContain("alloy.cloudwatch.namespaces[0].type");
  });

  it("WHEN the Grafana admin user is empty THEN loading fails on grafana.admin_user", async () => {
    expect(await overrideError({ grafana: { admin_user: "" } })).toContain("grafana.admin_user");
  });

  it("WHEN the shipped prod settings load THEN they carry the seed values (tail limit 20, info logs 30 days, ENI eth1 first)", async () => {
    const s = await shipped("prod");
    expect(s.loki.limits.max_concurrent_tail_requests).toBe(20);
    expect(s.loki.retention_streams).toEqual([{ selector: '{level="info"}', days: 30, priority: 1 }]);
    expect(s.ring_interface_names[0]).toBe("eth1");
    expect(s.grafana.admin_user).toBe("admin");
  });
});

describe("GIVEN an output folder", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-render-"));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it("WHEN an environment's files are written twice THEN they land at rendered/<env>/<service>/<file> with a manifest, and a stale file does not survive", async () => {
    const configs = renderConfigs(await shipped("prod"));
    const dir = writeRenderedConfigs(out, "prod", configs);
    expect(dir).toBe(path.join(out, "rendered", "prod"));
    fs.writeFileSync(path.join(dir, "stale.txt"), "old");
    writeRenderedConfigs(out, "prod", configs);
    for (const c of configs) expect(fs.readFileSync(path.join(dir, c.service, ...c.fileName.split("/")), "utf8")).toBe(c.content);
    expect(fs.existsSync(path.join(dir, "stale.txt"))).toBe(false);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as { file: string; sha256: string }[];
    expect(manifest.map((m) => m.file)).toEqual(configs.map((c) => `${c.service}/${c.fileName}`));
    expect(manifest.map((m) => m.sha256)).toEqual(configs.map((c) => c.sha256));
    expect(fs.readdirSync(path.join(out, "rendered"))).toEqual(["prod"]);
  });

  // `npm run render` as a user runs it: node bin/lgtm.cjs render, a fresh process.
  const cli = (...args: string[]) => runCli(["render", ...args], { cwd: out });

  it("WHEN `npm run render -- --env dev --out <dir>` runs THEN it writes dev's files and manifest, only dev's, and says where", () => {
    const dir = path.join(out, "cli");
    const run = cli("--env", "dev", "--out", dir);
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("rendered 21 files for dev");
    expect(fs.existsSync(path.join(dir, "rendered", "dev", "alloy", "config.alloy"))).toBe(true);
    expect(fs.readdirSync(path.join(dir, "rendered"))).toEqual(["dev"]);
    expect(fs.readdirSync(path.join(dir, "rendered", "dev")).sort()).toEqual(["alloy", "gateway", "grafana", "loki", "manifest.json", "mimir", "pyroscope", "tempo"]);
  });

  it("WHEN the environment is unknown or an option is wrong THEN it fails with a plain message or the usage, and writes nothing", async () => {
    // In-process, through the same reporter main.ts uses; the fresh-process run is the test above.
    const render = await import("../commands/render");
    const unknown = await runInProcess(render, ["--env", "prdo", "--out", path.join(out, "x")]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('unknown environment "prdo"');
    expect(unknown.stderr).toContain('did you mean "prod"?');
    for (const flag of ["--environment", "--envs"]) {
      const bad = await runInProcess(render, [flag, "prod"]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain(`Unknown option '${flag}'`);
      expect(bad.stderr).toContain("usage: npm run render");
    }
    expect(fs.existsSync(path.join(out, "x"))).toBe(false);
  });
});
