/**
 * templates/config-checks.ts: the synth-time checks of the rendered configs. For every check, the
 * shipped configs pass and a broken config (or broken settings) fails with an error that starts with
 * the setting to change.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Settings } from "../settings";
import { checkRenderedConfigs, renderConfigs, type RenderedConfig } from "../templates";
import { parseDuration } from "../templates/config-checks";
import { overrideError, settingsWith, shipped } from "./support/settings";

/** Edits the service's main config (`fileName` picks another of its files, e.g. "overrides.yaml"). */
function edit(configs: readonly RenderedConfig[], service: string, change: (content: string) => string, fileName?: string): RenderedConfig[] {
  return configs.map((c) => {
    if (c.service !== service) return c;
    // Grafana's "main" config here is its datasources file (its alerting file has tests of its own);
    // every other service's is the file that is not its runtime overrides.
    const main = service === "grafana" ? c.fileName.startsWith("provisioning/datasources/") : c.fileName !== "overrides.yaml";
    if (fileName === undefined ? !main : c.fileName !== fileName) return c;
    const content = change(c.content);
    if (content === c.content) throw new Error(`the edit of ${service}/${c.fileName} changed nothing: the test would prove nothing`);
    return { ...c, content };
  });
}

/** Replaces exactly one occurrence, so a test cannot silently edit nothing or the wrong place. */
function replaceOnce(content: string, from: string | RegExp, to: string): string {
  const count = typeof from === "string" ? content.split(from).length - 1 : (content.match(new RegExp(from.source, `${from.flags.replace("g", "")}g`)) ?? []).length;
  if (count !== 1) throw new Error(`expected one match of ${String(from)}, found ${count}`);
  return content.replace(from, to);
}

describe("GIVEN the shipped prod settings", () => {
  let s: Settings;
  let configs: RenderedConfig[];
  const errorsOf = (broken: readonly RenderedConfig[], settings: Settings = s) => checkRenderedConfigs(settings, broken).errors;

  beforeAll(async () => {
    s = await shipped("prod");
    configs = renderConfigs(s);
  });

  it("WHEN the rendered configs are checked THEN there is no error", () => {
    expect(checkRenderedConfigs(s, configs).errors).toEqual([]);
  });

  describe("WHEN a consumer address disagrees with its producer", () => {
    it("THEN Alloy pushing logs to port 4100 while Loki listens on 3100 (seed 004) names services.loki.http_port", () => {
      const errors = errorsOf(edit(configs, "alloy", (c) => replaceOnce(c, "loki.lgtm.local:3100", "loki.lgtm.local:4100")));
      expect(errors).toEqual([expect.stringMatching(/^services\.loki\.http_port: alloy\/config\.alloy: loki\.write "loki" endpoint\.url "http:\/\/loki\.lgtm\.local:4100\/loki\/api\/v1\/push" uses port 4100, but loki listens for log push on 3100/)]);
    });

    it("THEN Loki listening on 4101 while everyone calls 3100 names services.loki.http_port", () => {
      const errors = errorsOf(edit(configs, "loki", (c) => replaceOnce(c, "http_listen_port: 3100", "http_listen_port: 4101")));
      expect(errors).toEqual([expect.stringMatching(/^services\.loki\.http_port: loki\/loki\.yaml listens on server\.http_listen_port 4101, but the catalog says 3100/)]);
    });

    it("THEN Alloy sending traces to Tempo's HTTP OTLP port over gRPC names otlp.grpc_port", () => {
      const errors = errorsOf(edit(configs, "alloy", (c) => replaceOnce(c, '"tempo.lgtm.local:4317"', '"tempo.lgtm.local:4318"')));
      expect(errors).toEqual([expect.stringMatching(/^otlp\.grpc_port: alloy\/config\.alloy: otelcol\.exporter\.otlp "tempo" client\.endpoint .* uses port 4318/)]);
    });

    it("THEN Grafana's Tempo datasource without Tempo's API prefix names services.tempo.path_prefix", () => {
      const errors = errorsOf(edit(configs, "grafana", (c) => replaceOnce(c, /(name: "Tempo"[\s\S]*?)gateway\.lgtm\.local:8080\/tempo/, "$1gateway.lgtm.local:8080")));
      expect(errors).toEqual([expect.stringMatching(/^services\.tempo\.path_prefix: grafana\/.*datasource "Tempo" url .* requests path "\/", but gateway serves tempo at "\/tempo"/)]);
    });

    it("THEN a Grafana datasource pointing at a backend directly (around the gateway) is an error naming the bypass", () => {
      const errors = errorsOf(edit(configs, "grafana", (c) => replaceOnce(c, /(name: "Loki"[\s\S]*?)http:\/\/gateway\.lgtm\.local:8080/, "$1http://loki.lgtm.local:3100")));
      expect(errors).toEqual([
        expect.stringContaining(`datasource "Loki" url "http://loki.lgtm.local:3100" calls loki's http port, which settings/components.ts CONSUMERS does not list for grafana, so no security-group rule opens it (Grafana's datasources query through the authenticating gateway, never a backend directly)`),
      ]);
    });

    it("THEN Grafana's Mimir datasource without /prometheus names services.mimir.path_prefix", () => {
      const errors = errorsOf(edit(configs, "grafana", (c) => replaceOnce(c, /(name: "Mimir"[\s\S]*?)gateway\.lgtm\.local:8080\/prometheus/, "$1gateway.lgtm.local:8080")));
      expect(errors).toEqual([expect.stringMatching(/^services\.mimir\.path_prefix: .*datasource "Mimir" url .* serves mimir at "\/prometheus"/)]);
    });

    it("THEN Tempo's metrics generator writing to a wrong Mimir path names services.mimir.path_prefix", () => {
      const errors = errorsOf(edit(configs, "tempo", (c) => replaceOnce(c, "9009/api/v1/push", "9009/prometheus/api/v1/push")));
      expect(errors).toEqual([expect.stringMatching(/^services\.mimir\.path_prefix: tempo\/tempo\.yaml: metrics_generator\.storage\.remote_write\[0\]\.url/)]);
    });

    it("THEN Pyroscope served under another prefix than the catalog's names services.pyroscope.path_prefix", () => {
      const errors = errorsOf(edit(configs, "pyroscope", (c) => replaceOnce(c, 'http_path_prefix: "/pyroscope"', 'http_path_prefix: "/profiles"')));
      expect(errors).toContainEqual(expect.stringMatching(/^services\.pyroscope\.path_prefix: pyroscope\/pyroscope\.yaml serves under server\.http_path_prefix "\/profiles"/));
      expect(errors).toContainEqual(expect.stringMatching(/^services\.pyroscope\.path_prefix: .*datasource "Pyroscope" url .* serves pyroscope at "\/profiles"/));
    });

    it("THEN Tempo given server.http_path_prefix (seed 000's attempt) names services.tempo.path_prefix and note T1", () => {
      const errors = errorsOf(edit(configs, "tempo", (c) => replaceOnce(c, "  grpc_listen_port: 9095\n", '  grpc_listen_port: 9095\n  http_path_prefix: "/tempo"\n')));
      expect(errors).toEqual([expect.stringMatching(/^services\.tempo\.path_prefix: .*sets server\.http_path_prefix "\/tempo", which Tempo's own routes ignore .*note T1/)]);
    });

    it("THEN Tempo's deprecated, ignored storage.trace.s3.native_aws_auth_enabled is refused", () => {
      const errors = errorsOf(edit(configs, "tempo", (c) => replaceOnce(c, /(\n      endpoint: "s3\.[^"]+"\n)/, "$1      native_aws_auth_enabled: true\n")));
      expect(errors).toEqual([expect.stringMatching(/^templates\/tempo\/tempo\.yaml\.hbs: tempo\/tempo\.yaml sets storage\.trace\.s3\.native_aws_auth_enabled, which Tempo 3\.0\.3 logs as deprecated and ignores/)]);
    });

    it("THEN a consumer calling a host outside the Cloud Map namespace names service_discovery.namespace", () => {
      const errors = errorsOf(edit(configs, "alloy", (c) => replaceOnce(c, /(prometheus\.remote_write "mimir" \{\n\s*endpoint \{\n\s*url\s*= "http:\/\/)mimir\.lgtm\.local/, "$1mimir.other.local")));
      // (The self-monitoring remote_write still calls Mimir, so the catalog entry stays reached.)
      expect(errors).toEqual([expect.stringMatching(/^service_discovery\.namespace: .*prometheus\.remote_write "mimir" endpoint\.url .*calls mimir\.other\.local, which is not a Cloud Map name in lgtm\.local/)]);
    });

    it("THEN a consumer calling a port the catalog does not list for it names settings/components.ts CONSUMERS", () => {
      const errors = errorsOf(edit(configs, "grafana", (c) => replaceOnce(c, /(name: "Loki"[\s\S]*?)http:\/\/gateway\.lgtm\.local:8080/, "$1http://pyroscope.lgtm.local:4040")));
      expect(errors).toContainEqual(expect.stringContaining("calls pyroscope's http port, which settings/components.ts CONSUMERS does not list for grafana"));
      const viaAlloy = errorsOf(edit(configs, "alloy", (c) => replaceOnce(c, '"tempo.lgtm.local:4317"', '"pyroscope.lgtm.local:4317"')));
      expect(viaAlloy).toContainEqual(expect.stringContaining("calls pyroscope's otlp_grpc port, which settings/components.ts CONSUMERS does not list for alloy"));
      expect(viaAlloy).toContainEqual(expect.stringContaining("never calls tempo's otlp_grpc port"));
    });

    it("THEN a consumer that stops calling a producer it is listed for (no loki.write) is an error", () => {
      const errors = errorsOf(edit(configs, "alloy", (c) => replaceOnce(c, /loki\.write "loki" \{[\s\S]*?\n\}\n/, "")));
      // Alloy still scrapes Loki's HTTP port for self-monitoring, which does not count as the log push.
      expect(errors).toContainEqual(expect.stringContaining("the rendered alloy config never calls loki's http port, which the catalog lists for log push"));
    });

    it("THEN a consumer sending another tenant, or none, names tenant_id", () => {
      const other = errorsOf(edit(configs, "alloy", (c) => replaceOnce(c, 'tenant_id = "jsj-lgtm-header"', 'tenant_id = "someone-else"')));
      expect(other).toEqual([
        expect.stringMatching(/^tenants: alloy\/config\.alloy: loki\.write "loki" endpoint\.tenant_id sends tenant "someone-else", but "someone-else" is not a tenant of the settings \(jsj-lgtm-header, aws-rag-ec2\)/),
      ]);
      const none = errorsOf(edit(configs, "grafana", (c) => replaceOnce(c, /(name: "Pyroscope"[\s\S]*?)basicAuth: true/, "$1basicAuth: false")));
      expect(none).toContainEqual(expect.stringMatching(/^tenant_id: .*datasource "Pyroscope" basicAuthUser sends no tenant/));
      // Tempo's generator forwards each trace's tenant; with that off and no header it sends none.
      const tempo = errorsOf(edit(configs, "tempo", (c) => replaceOnce(c, "remote_write_add_org_id_header: true", "remote_write_add_org_id_header: false")));
      expect(tempo).toEqual([expect.stringMatching(/^tenant_id: tempo\/tempo\.yaml: metrics_generator\.storage\.remote_write\[0\]\.headers\.X-Scope-OrgID sends no tenant/)]);
    });

    it("THEN a Grafana link to a datasource the file does not provision is an error", () => {
      const errors = errorsOf(edit(configs, "grafana", (c) => replaceOnce(c, /(tracesToProfiles:\n\s+datasourceUid: )"pyroscope"/, '$1"profiles"')));
      expect(errors).toEqual([expect.stringContaining('datasource "Tempo" jsonData.tracesToProfiles.datasourceUid links to uid "profiles", which the file does not provision')]);
    });

    it("THEN OTLP received on another port than the catalog's names otlp.http_port", () => {
      const errors = errorsOf(edit(configs, "tempo", (c) => replaceOnce(c, '"0.0.0.0:4318"', '"0.0.0.0:55681"')));
      expect(errors).toEqual([expect.stringMatching(/^otlp\.http_port: tempo\/tempo\.yaml receives OTLP http on 0\.0\.0\.0:55681/)]);
    });
  });

  describe("WHEN storage locations are wrong", () => {
    it("THEN two components sharing a prefix, through settings that bypass the loader, name the storage_prefixes key", async () => {
      const shared = { ...s, storage_prefixes: { ...s.storage_prefixes, tempo: "loki" } } as Settings;
      const errors = errorsOf(renderConfigs(shared), shared);
      expect(errors).toEqual([expect.stringMatching(/^storage_prefixes\.tempo: "loki" \(tempo\/tempo\.yaml storage\.trace\.s3\.prefix\) is the same as storage_prefixes\.loki "loki"/)]);
      // The loader refuses the same settings before anything renders.
      expect(await overrideError({ storage_prefixes: { tempo: "loki" } })).toContain('storage_prefixes.tempo: "loki" is also storage_prefixes.loki');
    });

    it("THEN a prefix nested in another's names both keys", () => {
      const errors = errorsOf(edit(configs, "loki", (c) => replaceOnce(c, 'object_prefix: "loki"', 'object_prefix: "tempo/loki"')));
      expect(errors).toContainEqual(expect.stringMatching(/^storage_prefixes\.loki: loki\/loki\.yaml storage_config\.object_prefix is "tempo\/loki", but the settings say "loki"/));
      expect(errors).toContainEqual(expect.stringMatching(/^storage_prefixes\.\w+: .* overlaps storage_prefixes\.\w+ /));
    });

    it("THEN an empty prefix (objects at the bucket root, seed 000) names the storage_prefixes key", () => {
      const errors = errorsOf(edit(configs, "pyroscope", (c) => replaceOnce(c, '  prefix: "pyroscope"\n', "")));
      expect(errors).toEqual([expect.stringMatching(/^storage_prefixes\.pyroscope: pyroscope\/pyroscope\.yaml storage\.prefix is empty, so pyroscope writes at the bucket root/)]);
    });

    it("THEN another bucket or region names storage.data_bucket_name or aws.region", () => {
      const bucket = errorsOf(edit(configs, "tempo", (c) => replaceOnce(c, 'bucket: "jsj-lgtm-data-s3"', 'bucket: "somewhere-else"')));
      expect(bucket).toEqual([expect.stringMatching(/^storage\.data_bucket_name: tempo\/tempo\.yaml storage\.trace\.s3\.bucket is "somewhere-else"/)]);
      const region = errorsOf(edit(configs, "mimir", (c) => replaceOnce(c, 'region: "ap-northeast-2"', 'region: "us-east-1"')));
      expect(region).toEqual([expect.stringMatching(/^aws\.region: mimir\/mimir\.yaml common\.storage\.s3\.region is "us-east-1"/)]);
    });

    it("THEN static credentials in a config are an error", () => {
      const errors = errorsOf(edit(configs, "mimir", (c) => replaceOnce(c, "      native_aws_auth_enabled: true\n", '      native_aws_auth_enabled: true\n      secret_access_key: "abc"\n')));
      expect(errors).toContainEqual(expect.stringContaining("sets common.storage.s3.secret_access_key; the task role's credentials must be used"));
    });
  });

  describe("WHEN a backend runs without multitenancy while tenant_id is set", () => {
    it.each([
      ["mimir", "multitenancy_enabled: true", "multitenancy_enabled: false", "anonymous"],
      ["loki", "auth_enabled: true", "auth_enabled: false", "fake"],
      ["tempo", "multitenancy_enabled: true", "multitenancy_enabled: false", "single-tenant"],
      ["pyroscope", "multitenancy_enabled: true", "multitenancy_enabled: false", "anonymous"],
    ])("THEN %s is an error naming tenant_id and the key to render", (service, from, to, fallback) => {
      const errors = errorsOf(edit(configs, service, (c) => replaceOnce(c, from, to)));
      expect(errors).toEqual([expect.stringMatching(new RegExp(`^tenant_id: "jsj-lgtm-header" is set, but ${service}/${service}\\.yaml runs without multitenancy .*"${fallback}"`))]);
    });

    it("THEN Pyroscope's default (the key left out) is also caught: it defaults to off", () => {
      const errors = errorsOf(edit(configs, "pyroscope", (c) => replaceOnce(c, "multitenancy_enabled: true\n", "")));
      expect(errors).toEqual([expect.stringMatching(/^tenant_id: .*pyroscope\/pyroscope\.yaml runs without multitenancy/)]);
    });
  });

  describe("WHEN retention disagrees with the settings", () => {
    it("THEN Mimir keeping blocks another time names services.mimir.retention_days", () => {
      const errors = errorsOf(edit(configs, "mimir", (c) => replaceOnce(c, "compactor_blocks_retention_period: 8760h", "compactor_blocks_retention_period: 0s")));
      expect(errors).toEqual([expect.stringMatching(/^services\.mimir\.retention_days: mimir\/mimir\.yaml limits\.compactor_blocks_retention_period is "0s", but the settings keep data 365 days/)]);
    });

    it("THEN Loki without retention_enabled or without a delete-request store is an error", () => {
      expect(errorsOf(edit(configs, "loki", (c) => replaceOnce(c, "retention_enabled: true", "retention_enabled: false")))).toEqual([
        expect.stringMatching(/^services\.loki\.retention_days: .*compactor\.retention_enabled: true/),
      ]);
      expect(errorsOf(edit(configs, "loki", (c) => replaceOnce(c, "  delete_request_store: s3\n", "")))).toEqual([expect.stringContaining("without compactor.delete_request_store; Loki 3 refuses to start")]);
    });

    it("THEN a Loki stream kept longer than Loki itself names loki.retention_streams[i].days", async () => {
      const long = await settingsWith({ loki: { retention_streams: [{ selector: '{level="debug"}', days: 400, priority: 2 }] } });
      expect(errorsOf(renderConfigs(long), long)).toEqual([expect.stringMatching(/^loki\.retention_streams\[0\]\.days: stream \{level="debug"\} keeps 400 days, longer than services\.loki\.retention_days \(365\)/)]);
    });

    it("THEN Tempo keeping traces another time names services.tempo.retention_days", () => {
      const errors = errorsOf(edit(configs, "tempo", (c) => replaceOnce(c, "  compaction:\n    block_retention: 168h", "  compaction:\n    block_retention: 336h")));
      expect(errors).toEqual([expect.stringMatching(/^services\.tempo\.retention_days: tempo\/tempo\.yaml backend_worker\.compaction\.block_retention is "336h"/)]);
    });

    it("THEN Pyroscope switched to v2 storage without the v2 retention key names services.pyroscope.retention_days", () => {
      const errors = errorsOf(edit(configs, "pyroscope", (c) => replaceOnce(c, "architecture_storage: v1", "architecture_storage: v2")));
      expect(errors).toContainEqual(expect.stringMatching(/^services\.pyroscope\.retention_days: pyroscope\/pyroscope\.yaml limits\.retention_period is null/));
    });

    it("THEN Pyroscope on v1 storage without the ingester write path is an error (it would not start)", () => {
      const errors = errorsOf(edit(configs, "pyroscope", (c) => replaceOnce(c, "  write_path: ingester\n", "")));
      expect(errors).toEqual([expect.stringContaining('limits.write_path is "segment-writer (default)"; Pyroscope 2 refuses to start unless it is "ingester"')]);
    });
  });

  describe("WHEN runtime configuration points at a URL (seed 000 Mimir outage)", () => {
    it("THEN an s3:// runtime_config is an error (seed 000), besides not being the delivered file", () => {
      const remote = errorsOf(edit(configs, "mimir", (c) => replaceOnce(c, 'file: "/etc/lgtm/overrides.yaml"', "file: s3://jsj-lgtm-data-s3/mimir/runtime-config.yaml")));
      expect(remote).toContainEqual(expect.stringContaining('sets runtime_config.file to "s3://jsj-lgtm-data-s3/mimir/runtime-config.yaml", but mimir reads runtime configuration only from a local file'));
      const tempo = errorsOf(edit(configs, "tempo", (c) => replaceOnce(c, 'per_tenant_override_config: "/etc/lgtm/overrides.yaml"', "per_tenant_override_config: s3://b/overrides.yaml")));
      expect(tempo).toContainEqual(expect.stringContaining("sets overrides.per_tenant_override_config"));
    });

    it("THEN each backend reads exactly the overrides file delivered with it: another local path, or none, is an error", () => {
      const other = errorsOf(edit(configs, "loki", (c) => replaceOnce(c, 'file: "/etc/lgtm/overrides.yaml"', 'file: "/etc/lgtm/runtime.yaml"')));
      expect(other).toEqual([
        'templates/loki/loki.yaml.hbs: loki/loki.yaml sets runtime_config.file to "/etc/lgtm/runtime.yaml", but loki\'s overrides are delivered at /etc/lgtm/overrides.yaml; per-tenant limits would not apply',
      ]);
      const none = errorsOf(edit(configs, "pyroscope", (c) => replaceOnce(c, /runtime_config:\n {2}file: "\/etc\/lgtm\/overrides\.yaml"\n/, "")));
      expect(none).toEqual([expect.stringMatching(/^templates\/pyroscope\/pyroscope\.yaml\.hbs: pyroscope\/pyroscope\.yaml sets runtime_config\.file to nothing/)]);
      const undelivered = errorsOf(configs.filter((c) => !(c.service === "mimir" && c.fileName === "overrides.yaml")));
      expect(undelivered).toEqual([expect.stringMatching(/^templates\/mimir\/overrides\.yaml\.hbs: mimir has no rendered runtime overrides file/)]);
    });

    it("THEN a tenant section for a tenant the settings do not have is an error", () => {
      const errors = errorsOf(edit(configs, "loki", (c) => replaceOnce(c, '"aws-rag-ec2":', '"aws-rag-ec3":'), "overrides.yaml"));
      expect(errors).toEqual([expect.stringMatching(/^templates\/loki\/overrides\.yaml\.hbs: loki\/overrides\.yaml has a section for tenant "aws-rag-ec3", which is not a tenant of the settings/)]);
    });
  });

  describe("WHEN a ring is wired wrongly", () => {
    it("THEN joining another product's Cloud Map name names service_discovery.namespace", () => {
      const errors = errorsOf(edit(configs, "mimir", (c) => replaceOnce(c, '["dns+mimir.lgtm.local:7946"]', '["dns+mimir.lgtm.local:7946","dns+loki.lgtm.local:7946"]')));
      expect(errors).toEqual([expect.stringMatching(/^service_discovery\.namespace: mimir\/mimir\.yaml joins dns\+loki\.lgtm\.local:7946, but mimir must gossip only with its own tasks/)]);
    });

    it("THEN joining no one, or gossiping on another port, is an error", () => {
      expect(errorsOf(edit(configs, "loki", (c) => replaceOnce(c, '  join_members: ["dns+loki.lgtm.local:7946"]\n', "")))).toEqual([expect.stringContaining("has no memberlist.join_members")]);
      expect(errorsOf(edit(configs, "tempo", (c) => replaceOnce(c, "bind_port: 7946", "bind_port: 7947")))).toEqual([expect.stringMatching(/^memberlist_port: tempo\/tempo\.yaml gossips on memberlist\.bind_port 7947/)]);
      expect(errorsOf(edit(configs, "pyroscope", (c) => replaceOnce(c, '["dns+pyroscope.lgtm.local:7946"]', '["dns+pyroscope.lgtm.local:7000"]')))).toEqual([
        expect.stringMatching(/^memberlist_port: pyroscope\/pyroscope\.yaml joins dns\+pyroscope\.lgtm\.local:7000/),
      ]);
    });

    it("THEN a ring advertising another interface than ring_interface_names is an error", () => {
      const errors = errorsOf(edit(configs, "pyroscope", (c) => replaceOnce(c, '    interface_names: ["eth1","eth0"]', '    interface_names: ["eth0"]')));
      expect(errors).toEqual([expect.stringMatching(/^ring_interface_names: pyroscope\/pyroscope\.yaml sets ingester\.lifecycler\.interface_names to \["eth0"\]/)]);
    });
  });

  describe("WHEN the files do not parse", () => {
    it("THEN invalid YAML and invalid Alloy syntax name the template", () => {
      expect(errorsOf(edit(configs, "loki", (c) => `${c}  bad: [unclosed\n`))).toContainEqual(expect.stringMatching(/^templates\/loki\/loki\.yaml\.hbs: the rendered loki\/loki\.yaml is not valid YAML/));
      expect(errorsOf(edit(configs, "loki", (c) => `${c}auth_enabled: false\n`))).toContainEqual(expect.stringContaining("is not valid YAML"));
      expect(errorsOf(edit(configs, "alloy", (c) => `${c}loki.write "x" {\n`))).toContainEqual(expect.stringMatching(/^templates\/alloy\/config\.alloy\.hbs: the rendered alloy\/config\.alloy is not valid Alloy syntax: line \d+/));
    });

    it("THEN a missing service config is an error", () => {
      expect(errorsOf(configs.filter((c) => c.service !== "grafana"))).toContainEqual("templates/grafana/: no rendered config for grafana; every service needs one");
    });
  });

  describe("WHEN a producer listens or receives elsewhere than the catalog says", () => {
    it("THEN Mimir's gRPC port, another or left out, names services.mimir.grpc_port", () => {
      expect(errorsOf(edit(configs, "mimir", (c) => replaceOnce(c, "grpc_listen_port: 9095", "grpc_listen_port: 9096")))).toEqual([
        "services.mimir.grpc_port: mimir/mimir.yaml listens on server.grpc_listen_port 9096, but the catalog says 9095",
      ]);
      expect(errorsOf(edit(configs, "mimir", (c) => replaceOnce(c, "  grpc_listen_port: 9095\n", "")))).toEqual([
        "services.mimir.grpc_port: mimir/mimir.yaml listens on server.grpc_listen_port (default), but the catalog says 9095",
      ]);
    });

    it("THEN Tempo's and Alloy's OTLP gRPC receivers on another port, or Alloy's HTTP one left out, name otlp.grpc_port and otlp.http_port", () => {
      expect(errorsOf(edit(configs, "tempo", (c) => replaceOnce(c, '"0.0.0.0:4317"', '"0.0.0.0:4319"')))).toEqual([
        "otlp.grpc_port: tempo/tempo.yaml receives OTLP grpc on 0.0.0.0:4319, but the catalog says port 4317",
      ]);
      expect(errorsOf(edit(configs, "alloy", (c) => replaceOnce(c, '  grpc {\n    endpoint = "0.0.0.0:4317"', '  grpc {\n    endpoint = "0.0.0.0:14317"')))).toEqual([
        "otlp.grpc_port: alloy/config.alloy receives OTLP grpc on 0.0.0.0:14317, but the catalog says port 4317",
      ]);
      expect(errorsOf(edit(configs, "alloy", (c) => replaceOnce(c, '  http {\n    endpoint = "0.0.0.0:4318"\n  }\n', "")))).toEqual([
        "otlp.http_port: alloy/config.alloy receives OTLP http on (not configured), but the catalog says port 4318",
      ]);
    });

    it("THEN a YAML file that is not a mapping names its template", () => {
      expect(errorsOf(edit(configs, "loki", () => "- a\n"))).toEqual(["templates/loki/loki.yaml.hbs: the rendered loki/loki.yaml is not a YAML mapping"]);
    });
  });

  describe("WHEN the address Tempo's metrics generator writes to is wrong", () => {
    const URL_LINE = '      - url: "http://mimir.lgtm.local:9009/api/v1/push"\n';
    const AT = "tempo/tempo.yaml: metrics_generator.storage.remote_write[0]";
    const NEVER_CALLS = "templates/tempo/: the rendered tempo config never calls mimir's http port, which the catalog lists for metrics-generator remote_write (settings/components.ts CONSUMERS)";
    const remoteWrite = (to: string, more: (c: RenderedConfig[]) => RenderedConfig[] = (c) => c) => errorsOf(more(edit(configs, "tempo", (c) => replaceOnce(c, URL_LINE, to))));
    const withTenant = (tenant: string) => `${URL_LINE}        headers:\n          X-Scope-OrgID: "${tenant}"\n`;

    it("THEN an unparsable URL or a host that is no service names it, and Mimir is then never called", () => {
      expect(remoteWrite('      - url: "http://[::1"\n')).toEqual([`templates/tempo/tempo.yaml.hbs: ${AT}.url "http://[::1" is not an address`, NEVER_CALLS]);
      expect(remoteWrite('      - url: "http://nosuch.lgtm.local:9009/api/v1/push"\n')).toEqual([
        `service_discovery.namespace: ${AT}.url "http://nosuch.lgtm.local:9009/api/v1/push" calls nosuch.lgtm.local, which is no service of this stack (mimir, loki, tempo, pyroscope, grafana, alloy, gateway)`,
        NEVER_CALLS,
      ]);
    });

    it("THEN https, or no port, is an error naming the template or the port setting", () => {
      expect(remoteWrite('      - url: "https://mimir.lgtm.local:9009/api/v1/push"\n')).toEqual([
        `templates/tempo/tempo.yaml.hbs: ${AT}.url "https://mimir.lgtm.local:9009/api/v1/push" must be an http:// URL (the services serve plain HTTP inside the VPC)`,
      ]);
      expect(remoteWrite('      - url: "http://mimir.lgtm.local/api/v1/push"\n')).toEqual([
        `services.mimir.http_port: ${AT}.url "http://mimir.lgtm.local/api/v1/push" uses port (none), but mimir listens for metrics-generator remote_write on 9009 (seed 004: a consumer on 4100 while the producer listened on 4101)`,
      ]);
    });

    it("THEN a URL without Mimir's push path names services.mimir.path_prefix and shows the path it requests as /", () => {
      expect(remoteWrite('      - url: "http://mimir.lgtm.local:9009"\n')).toEqual([
        `services.mimir.path_prefix: ${AT}.url "http://mimir.lgtm.local:9009" requests path "/", but mimir serves it at "/api/v1/push" with path_prefix ""`,
      ]);
    });

    it("THEN Alloy's log writer without a tenant names tenant_id and lists the settings' tenants", () => {
      expect(errorsOf(edit(configs, "alloy", (c) => replaceOnce(c, 'tenant_id = "jsj-lgtm-header"', "")))).toEqual([
        `tenant_id: alloy/config.alloy: loki.write "loki" endpoint.tenant_id sends no tenant, but loki runs multi-tenant and requires X-Scope-OrgID (one of the settings' tenants: jsj-lgtm-header, aws-rag-ec2)`,
      ]);
    });

    it("THEN a federated tenant passes only while Mimir enables federation, and each part must be a tenant of the settings", () => {
      expect(remoteWrite(withTenant("jsj-lgtm-header|aws-rag-ec2"))).toEqual([]);
      const noFederation = (c: RenderedConfig[]) => edit(c, "mimir", (m) => replaceOnce(m, "tenant_federation:\n  enabled: true", "tenant_federation:\n  enabled: false"));
      expect(remoteWrite(withTenant("jsj-lgtm-header|aws-rag-ec2"), noFederation)).toEqual([
        `templates/mimir/: ${AT}.headers.X-Scope-OrgID sends the federated tenant "jsj-lgtm-header|aws-rag-ec2", but mimir's config does not enable tenant federation (tenant_federation.enabled), so the query fails`,
      ]);
      // Mimir's federation is off when the key is left out.
      const absent = (c: RenderedConfig[]) => edit(c, "mimir", (m) => replaceOnce(m, "tenant_federation:\n  enabled: true\n", ""));
      expect(remoteWrite(withTenant("jsj-lgtm-header|aws-rag-ec2"), absent)).toEqual([expect.stringContaining("does not enable tenant federation (tenant_federation.enabled)")]);
      expect(remoteWrite(withTenant("jsj-lgtm-header|nobody"))).toEqual([
        `tenants: ${AT}.headers.X-Scope-OrgID sends tenant "jsj-lgtm-header|nobody", but "nobody" is not a tenant of the settings (jsj-lgtm-header, aws-rag-ec2); declare it in tenants`,
      ]);
      expect(remoteWrite(withTenant("nobody|noone"))).toEqual([
        `tenants: ${AT}.headers.X-Scope-OrgID sends tenant "nobody|noone", but "nobody", "noone" is not a tenant of the settings (jsj-lgtm-header, aws-rag-ec2); declare it in tenants`,
      ]);
    });

    it("THEN configs of a service the settings switch off are errors, and so is every address still calling it", () => {
      const off: Settings = { ...s, services: { ...s.services, pyroscope: { ...s.services.pyroscope, enabled: false } } };
      const errors = errorsOf(configs, off);
      expect(errors[0]).toBe("services.pyroscope.enabled: pyroscope is switched off, but a config of it was rendered");
      expect(errors).toContain(
        'services.pyroscope.enabled: gateway/nginx.conf: location /pyroscope/ingest proxy_pass "http://pyroscope.lgtm.local:4040" calls pyroscope, which is switched off (no task answers there)',
      );
      expect(errors.slice(1).every((e) => e.startsWith("services.pyroscope.enabled: ") && e.endsWith("calls pyroscope, which is switched off (no task answers there)"))).toBe(true);
    });
  });

  describe("WHEN a cache client disagrees with the cache tasks (prod runs the cache)", () => {
    const IDX = "mimir/mimir.yaml: blocks_storage.bucket_store.index_cache.memcached";
    const ADDRESS = '        addresses: "dns+memcached.lgtm.local:11211"\n        max_item_size: 5241856\n    chunks_cache:';
    /** Edits Mimir's index cache client only (the first of its four). */
    const indexCache = (to: string) => errorsOf(edit(configs, "mimir", (c) => replaceOnce(c, ADDRESS, `${to}    chunks_cache:`)));

    it("THEN an address left out names the template and the address expected", () => {
      expect(indexCache("        max_item_size: 5241856\n")).toEqual([
        `templates/mimir/mimir.yaml.hbs: cache.enabled is true, but ${IDX}.addresses is not set: mimir's index cache would not use the cache (expected "dns+memcached.lgtm.local:11211")`,
      ]);
      expect(indexCache('        addresses: ""\n        max_item_size: 5241856\n')).toEqual([expect.stringContaining(`${IDX}.addresses is not set`)]);
    });

    it("THEN an address that is not host:port, or lists a bad one beside a good one, is named alone", () => {
      expect(indexCache('        addresses: "memcached"\n        max_item_size: 5241856\n')).toEqual([
        `templates/mimir/mimir.yaml.hbs: ${IDX}.addresses "memcached" is not a memcached address (expected "dns+memcached.lgtm.local:11211")`,
      ]);
      // The whole address must be [lookup+]host:port: nothing before it, nothing after the port.
      for (const address of ["tcp://memcached.lgtm.local:11211", "dns+memcached.lgtm.local:11211/0"]) {
        expect(indexCache(`        addresses: "${address}"\n        max_item_size: 5241856\n`)).toEqual([
          `templates/mimir/mimir.yaml.hbs: ${IDX}.addresses "${address}" is not a memcached address (expected "dns+memcached.lgtm.local:11211")`,
        ]);
      }
      expect(indexCache('        addresses: "dns+memcached.lgtm.local:11211, dns+memcached.lgtm.local:11"\n        max_item_size: 5241856\n')).toEqual([
        `cache.port: ${IDX}.addresses "dns+memcached.lgtm.local:11" uses port 11, but memcached listens on 11211 (and the security groups open only that)`,
      ]);
    });

    it("THEN another host names the namespace, and a lookup other than dns+ (none, dnssrv+) names the template", () => {
      expect(indexCache('        addresses: "dns+cache.lgtm.local:11211"\n        max_item_size: 5241856\n')).toEqual([
        `service_discovery.namespace: ${IDX}.addresses "dns+cache.lgtm.local:11211" calls cache.lgtm.local, but the cache tasks register as memcached.lgtm.local (memcached.<namespace>)`,
      ]);
      for (const address of ["memcached.lgtm.local:11211", "dnssrv+memcached.lgtm.local:11211"]) {
        expect(indexCache(`        addresses: "${address}"\n        max_item_size: 5241856\n`)).toEqual([
          `templates/mimir/mimir.yaml.hbs: ${IDX}.addresses "${address}" must start with "dns+": Cloud Map answers A records, one per cache task, which only dns+ resolves to every task`,
        ]);
      }
    });

    it("THEN an item limit other than the cache's, or none, names cache.max_item_size_mb", () => {
      expect(indexCache('        addresses: "dns+memcached.lgtm.local:11211"\n')).toEqual([
        `cache.max_item_size_mb: ${IDX}.max_item_size is (default), but memcached runs with --max-item-size=5m, which leaves 5241856 bytes for a value after its key and header; a larger value would be refused, a smaller limit wastes the cache`,
      ]);
      expect(indexCache('        addresses: "dns+memcached.lgtm.local:11211"\n        max_item_size: 1048576\n')).toEqual([expect.stringContaining(".max_item_size is 1048576, but memcached runs with")]);
    });

    it("THEN a backend other than memcached, or none, and results caching switched off are errors naming the key", () => {
      const backend = (to: string) => errorsOf(edit(configs, "mimir", (c) => replaceOnce(c, "    index_cache:\n      backend: memcached\n", to)));
      expect(backend("    index_cache:\n      backend: redis\n")).toEqual([
        "templates/mimir/mimir.yaml.hbs: mimir/mimir.yaml: blocks_storage.bucket_store.index_cache.backend is redis, so mimir ignores its memcached addresses; expected \"memcached\"",
      ]);
      expect(backend("    index_cache:\n")).toEqual([expect.stringContaining("index_cache.backend is (unset), so mimir ignores")]);
      expect(errorsOf(edit(configs, "loki", (c) => replaceOnce(c, "  cache_results: true\n", "  cache_results: false\n")))).toEqual([
        "templates/loki/loki.yaml.hbs: loki/loki.yaml: query_range.cache_results is not true, so loki never reads its query results cache",
      ]);
    });

    it("THEN with the cache off, a config still naming it is an error, and one without is not", async () => {
      const off = await settingsWith({ cache: { enabled: false } });
      const withCache = checkRenderedConfigs(off, configs.filter((c) => c.service === "mimir" || c.service === "loki")).errors.filter((e) => e.startsWith("cache.enabled:"));
      expect(withCache).toHaveLength(6);
      expect(withCache).toContain(
        'cache.enabled: loki/loki.yaml: chunk_store_config.chunk_cache_config.memcached_client.addresses is "dns+memcached.lgtm.local:11211", but the cache is off, so no memcached task runs and no security group admits loki; set cache.enabled = true or render no chunks cache',
      );
      expect(errorsOf(renderConfigs(off), off)).toEqual([]);
      // An empty address is no cache either.
      const emptied = edit(configs, "loki", (c) => c.split('addresses: "dns+memcached.lgtm.local:11211"').join('addresses: ""'));
      expect(checkRenderedConfigs(off, emptied).errors.filter((e) => e.startsWith("cache.enabled: loki"))).toEqual([]);
    });
  });

  it("WHEN Tempo 3 monolithic is asked for two tasks THEN services.tempo.desired_count is an error (its backend scheduler is a singleton)", async () => {
    const two = await settingsWith({ services: { tempo: { desired_count: 2 } } });
    expect(errorsOf(renderConfigs(two), two)).toEqual([expect.stringMatching(/^services\.tempo\.desired_count: Tempo 3 in monolithic mode .* runs as one task/)]);
  });
});

describe("GIVEN the shipped dev settings", () => {
  it("WHEN the rendered configs are checked THEN there is no error", async () => {
    const s = await shipped("dev");
    expect(checkRenderedConfigs(s, renderConfigs(s)).errors).toEqual([]);
  });
});

describe("GIVEN durations as the components write them", () => {
  it("WHEN parsed THEN units add up and anything else is not a duration", () => {
    expect(parseDuration("8760h")).toBe(365 * 8.64e7);
    expect(parseDuration("1h30m")).toBe(5.4e6);
    expect(parseDuration("30d")).toBe(30 * 8.64e7);
    expect(parseDuration("0s")).toBe(0);
    expect(parseDuration("1 year")).toBeUndefined();
    expect(parseDuration(undefined)).toBeUndefined();
  });
});
