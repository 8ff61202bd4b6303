/**
 * Limits per component and tenants (issue 18): the settings model (types, units, tenant ids every
 * backend accepts, overrides only for declared tenants), the limits rendered into each component's
 * main config under the pinned version's keys, and per-tenant overrides rendered into each
 * component's runtime overrides file, only under their own tenant's section.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { tenants, type Settings } from "../settings";
import { checkRenderedConfigs, renderConfigs, type RenderedConfig } from "../templates";
import { attribute, childBlocks, parseAlloy, stringMap, type AlloyFile } from "../templates/alloy-syntax";
import { overrideError, settingsWith, shipped } from "./support/settings";
import { REFERENCE_DIR, skipWithoutUpstream } from "./support/upstream";

type Doc = Record<string, any>;
const docOf = (configs: readonly RenderedConfig[], service: string, fileName: string): Doc => {
  const c = configs.find((x) => x.service === service && x.fileName === fileName);
  if (!c) throw new Error(`no ${service}/${fileName}`);
  return parseYaml(c.content) as Doc;
};
const hours = (days: number) => `${days * 24}h`;

describe.each(["prod", "dev"])("GIVEN the shipped %s settings", (env) => {
  let s: Settings;
  let configs: RenderedConfig[];
  beforeAll(async () => {
    s = await shipped(env);
    configs = renderConfigs(s);
  });

  it("WHEN loaded THEN the default tenant comes first, then the declared tenants, each with its description", () => {
    expect(tenants(s).map((t) => [t.id, t.isDefault])).toEqual([
      ["jsj-lgtm-header", true],
      ["aws-rag-ec2", false],
    ]);
    expect(tenants(s)[1].description).toBe("RAG EC2 hosts");
  });

  it("WHEN mimir.yaml is rendered THEN it carries the team's limits instead of upstream's (100k samples/s, 2M series, 10m out of order)", () => {
    const limits = docOf(configs, "mimir", "mimir.yaml").limits;
    expect(limits).toMatchObject({
      ingestion_rate: 100000,
      ingestion_burst_size: 500000,
      max_global_series_per_user: 2000000,
      max_global_series_per_metric: 300000,
      out_of_order_time_window: "10m",
      max_label_names_per_series: 30,
    });
  });

  it("WHEN loki.yaml is rendered THEN query timeout, lookback, old-sample window, structured metadata and the pattern ingester are set", () => {
    const doc = docOf(configs, "loki", "loki.yaml");
    expect(doc.limits_config).toMatchObject({
      query_timeout: "10m",
      max_query_lookback: hours(s.services.loki.retention_days!),
      reject_old_samples: true,
      reject_old_samples_max_age: "1y",
      allow_structured_metadata: true,
    });
    expect(doc.pattern_ingester).toEqual({
      enabled: true,
      // The distributor's tee to the pattern ingesters takes what the gateway admits (docs/gateway.md).
      client_config: { grpc_client_config: { max_recv_msg_size: 100 * 1024 * 1024, max_send_msg_size: 100 * 1024 * 1024 } },
      // A dead pattern ingester (nothing forgets it) must not keep every later Loki task unready
      // (the system tier's rolling restart, docs/system-tests.md).
      // Its min_ready_duration would run after the ingester's, not beside it (/ready checks one,
      // then the other): 15 s more per Loki start and per deploy step for nothing (test/system).
      lifecycler: { interface_names: s.ring_interface_names, readiness_check_ring_health: false, min_ready_duration: "0s", ring: { kvstore: { store: "memberlist" } } },
    });
  });

  it("WHEN tempo.yaml is rendered THEN trace size and ingestion limits are Tempo 3's overrides.defaults (the legacy flat keys are off in Tempo 3)", () => {
    const overrides = docOf(configs, "tempo", "tempo.yaml").overrides;
    expect(overrides.defaults.global).toEqual({ max_bytes_per_trace: 5_000_000 });
    expect(overrides.defaults.ingestion).toEqual({ rate_limit_bytes: 30_000_000, burst_size_bytes: 30_000_000, max_traces_per_user: 10000 });
    expect(overrides.max_bytes_per_trace).toBeUndefined();
  });

  it("WHEN pyroscope.yaml is rendered THEN its limits are set and queries reach back over the whole retention (upstream: 1w)", () => {
    expect(docOf(configs, "pyroscope", "pyroscope.yaml").limits).toMatchObject({
      ingestion_rate_mb: 4,
      ingestion_burst_size_mb: 2,
      max_global_series_per_tenant: 5000,
      max_profile_size_bytes: 4 * 1024 * 1024,
      max_query_length: "7d",
      max_query_lookback: hours(s.services.pyroscope.retention_days!),
    });
  });

  it("WHEN the runtime overrides files are rendered THEN each backend reads its own local file and only aws-rag-ec2's Loki override is in it", () => {
    expect(docOf(configs, "mimir", "mimir.yaml").runtime_config).toEqual({ file: "/etc/lgtm/overrides.yaml" });
    expect(docOf(configs, "loki", "loki.yaml").runtime_config).toEqual({ file: "/etc/lgtm/overrides.yaml" });
    expect(docOf(configs, "pyroscope", "pyroscope.yaml").runtime_config).toEqual({ file: "/etc/lgtm/overrides.yaml" });
    expect(docOf(configs, "tempo", "tempo.yaml").overrides.per_tenant_override_config).toBe("/etc/lgtm/overrides.yaml");
    expect(docOf(configs, "loki", "overrides.yaml")).toEqual({ overrides: { "aws-rag-ec2": { ingestion_rate_mb: 20, ingestion_burst_size_mb: 40 } } });
    for (const service of ["mimir", "tempo", "pyroscope"]) expect(docOf(configs, service, "overrides.yaml"), service).toEqual({ overrides: {} });
  });

  it("WHEN every file, the overrides included, is checked against the pinned upstream references THEN no key is unknown", () => {
    if (skipWithoutUpstream("tenant limits key check")) return;
    const { errors } = checkRenderedConfigs(s, configs, REFERENCE_DIR);
    expect(errors).toEqual([]);
  });
});

describe("GIVEN prod with a tenant that overrides every component's limits and another that overrides none", () => {
  let s: Settings;
  let configs: RenderedConfig[];
  beforeAll(async () => {
    s = await settingsWith({
      tenants: {
        "team-a": {
          description: "Team A's hosts",
          limits: {
            mimir: { ingestion_rate: 250000, out_of_order_time_window: "30m" },
            loki: { query_timeout: "5m", reject_old_samples_max_age: "2w" },
            tempo: { max_bytes_per_trace: "20MiB", ingestion_rate_limit_bytes: "50MB" },
            pyroscope: { max_global_series_per_tenant: 20000 },
          },
        },
        "team.b": { description: "Team B" },
      },
    });
    configs = renderConfigs(s);
  });

  it("WHEN rendered THEN each override reaches only team-a's section of its component's file, sizes in bytes", () => {
    expect(docOf(configs, "mimir", "overrides.yaml").overrides).toEqual({ "team-a": { ingestion_rate: 250000, out_of_order_time_window: "30m" } });
    expect(docOf(configs, "loki", "overrides.yaml").overrides).toEqual({
      "aws-rag-ec2": { ingestion_rate_mb: 20, ingestion_burst_size_mb: 40 },
      "team-a": { query_timeout: "5m", reject_old_samples_max_age: "2w" },
    });
    expect(docOf(configs, "tempo", "overrides.yaml").overrides).toEqual({ "team-a": { global: { max_bytes_per_trace: 20 * 1024 * 1024 }, ingestion: { rate_limit_bytes: 50_000_000 } } });
    expect(docOf(configs, "pyroscope", "overrides.yaml").overrides).toEqual({ "team-a": { max_global_series_per_tenant: 20000 } });
  });

  it("WHEN rendered THEN the main configs keep every tenant's defaults: a tenant's override never changes another's limits", () => {
    expect(docOf(configs, "mimir", "mimir.yaml").limits.ingestion_rate).toBe(100000);
    expect(docOf(configs, "loki", "loki.yaml").limits_config.query_timeout).toBe("10m");
    expect(docOf(configs, "tempo", "tempo.yaml").overrides.defaults.global.max_bytes_per_trace).toBe(5_000_000);
    expect(docOf(configs, "pyroscope", "pyroscope.yaml").limits.max_global_series_per_tenant).toBe(5000);
  });

  it("WHEN the files are checked THEN the per-tenant keys exist in each component's runtime-overrides reference", () => {
    if (skipWithoutUpstream("tenant overrides key check")) return;
    expect(checkRenderedConfigs(s, configs, REFERENCE_DIR).errors).toEqual([]);
  });

  it("WHEN an overrides file carries a key the pinned version does not have THEN the key check names it", () => {
    if (skipWithoutUpstream("tenant overrides key check")) return;
    const broken = configs.map((c) =>
      c.service === "mimir" && c.fileName === "overrides.yaml" ? { ...c, content: c.content.replace("ingestion_rate: 250000", "ingestion_rte: 250000") } : c,
    );
    expect(broken).not.toEqual(configs);
    expect(checkRenderedConfigs(s, broken, REFERENCE_DIR).errors).toEqual([expect.stringMatching(/^templates\/mimir\/overrides\.yaml\.hbs: .*overrides\.team-a\.ingestion_rte/)]);
  });
});

describe("GIVEN bad tenant or limit settings", () => {
  it("WHEN a tenant id has a character Mimir or Loki refuse, is too long, or is '.'/'..' THEN the error names the file, the key and the rule", async () => {
    expect(await overrideError({ tenants: { "team/a": { description: "x" } } })).toContain(
      `environments/prod.tfvars: tenants["team/a"]: expected a tenant id of 1-150 letters, digits and !_.*'()- (Mimir, Loki, Tempo and Pyroscope refuse others; no '/' or '|'), got key "team/a"`,
    );
    expect(await overrideError({ tenants: { "a|b": { description: "x" } } })).toContain(`tenants["a|b"]: expected a tenant id`);
    expect(await overrideError({ tenants: { ["x".repeat(151)]: { description: "x" } } })).toContain(`tenants["${"x".repeat(39)}…"]: expected a tenant id of 1-150`);
    expect(await overrideError({ tenants: { "..": { description: "x" } } })).toContain(`tenants[".."]: tenant id ".." is refused by Mimir, Loki, Tempo and Pyroscope (it would be a path segment in the bucket)`);
    expect(await overrideError({ tenant_id: "." })).toContain(`environments/prod.tfvars: tenant_id: tenant id "." is refused by Mimir, Loki, Tempo and Pyroscope (it would be a path segment in the bucket)`);
    expect(await overrideError({ tenants: { ["x".repeat(150)]: { description: "x" } } })).toBe("");
  });

  it("WHEN a limit has the wrong type or unit THEN the error names the key and what was expected", async () => {
    expect(await overrideError({ mimir: { limits: { ingestion_rate: "100k" } } })).toContain('environments/prod.tfvars: mimir.limits.ingestion_rate: expected samples per second, got "100k"');
    expect(await overrideError({ loki: { limits: { query_timeout: "10 minutes" } } })).toContain('loki.limits.query_timeout: expected a duration such as "30m", "168h" or "1w", got "10 minutes"');
    expect(await overrideError({ tempo: { limits: { max_bytes_per_trace: "5 megabytes" } } })).toContain(
      'tempo.limits.max_bytes_per_trace: expected a size: whole bytes, or a number with a unit such as "5MB", "20MiB"',
    );
    expect(await overrideError({ tempo: { limits: { max_bytes_per_trace: "0.5B" } } })).toContain('"0.5B" is not a whole number of bytes');
    expect(await overrideError({ loki: { limits: { reject_old_samples: "yes" } } })).toContain("loki.limits.reject_old_samples: expected true or false");
    expect(await overrideError({ tenants: { "aws-rag-ec2": { limits: { pyroscope: { max_query_length: 7 } } } } })).toContain(
      "tenants.aws-rag-ec2.limits.pyroscope.max_query_length: expected a duration in quotes",
    );
  });

  it("WHEN a tenant's override names a limit the component does not have THEN the error suggests the real one", async () => {
    expect(await overrideError({ tenants: { "aws-rag-ec2": { limits: { mimir: { ingestion_rat: 5 } } } } })).toContain(
      'tenants.aws-rag-ec2.limits.mimir.ingestion_rat: unknown key "ingestion_rat"; did you mean "ingestion_rate"?',
    );
    expect(await overrideError({ tenants: { "aws-rag-ec2": { limits: { mimirr: { ingestion_rate: 5 } } } } })).toContain('unknown key "mimirr"; did you mean "mimir"?');
  });

  it("WHEN an environment overrides the limits of a tenant no file declares (a misspelt name) THEN the error names it and the known tenants", async () => {
    expect(await overrideError({ tenants: { "aws-rag-ec3": { limits: { loki: { ingestion_rate_mb: 5 } } } } })).toContain(
      'environments/prod.tfvars: tenants.aws-rag-ec3: unknown tenant "aws-rag-ec3": it overrides limits.loki, but no file declares it with a description; did you mean "aws-rag-ec2"? (known tenants: jsj-lgtm-header, aws-rag-ec2;',
    );
  });

  it("WHEN sizes are written with units THEN they load as whole bytes", async () => {
    const s = await settingsWith({ tempo: { limits: { max_bytes_per_trace: "20MiB", ingestion_rate_limit_bytes: "1.5GB", ingestion_burst_size_bytes: 1234 } } });
    expect(s.tempo.limits).toMatchObject({ max_bytes_per_trace: 20971520, ingestion_rate_limit_bytes: 1_500_000_000, ingestion_burst_size_bytes: 1234 });
  });
});

describe("GIVEN the shipped prod settings' Grafana datasources", () => {
  let s: Settings;
  let configs: RenderedConfig[];
  let list: Doc[];
  const byName = (name: string): Doc => {
    const ds = list.filter((d) => d.name === name);
    if (ds.length !== 1) throw new Error(`expected one datasource "${name}", found ${ds.length}`);
    return ds[0];
  };
  /** The tenant a datasource reads: its basic-auth user at the gateway (which sets X-Scope-OrgID from it). */
  const tenantOf = (ds: Doc) => (ds.basicAuth === true ? (ds.basicAuthUser as string) : undefined);
  /** Every `...datasourceUid` a datasource links to. */
  const links = (ds: Doc): string[] => {
    const out: string[] = [];
    const walk = (v: unknown, key = ""): void => {
      if (Array.isArray(v)) v.forEach((x) => walk(x, key));
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
      else if (key === "datasourceUid") out.push(String(v));
    };
    walk(ds.jsonData);
    return out;
  };
  beforeAll(async () => {
    s = await shipped("prod");
    configs = renderConfigs(s);
    list = docOf(configs, "grafana", "provisioning/datasources/datasources.yaml").datasources;
  });

  it("WHEN rendered THEN each tenant has one datasource per component, sending its own tenant, and only the default tenant's Mimir is the default", () => {
    for (const [suffix, tenant] of [["", "jsj-lgtm-header"], [" (aws-rag-ec2)", "aws-rag-ec2"]]) {
      for (const [name, type] of [["Mimir", "prometheus"], ["Loki", "loki"], ["Tempo", "tempo"], ["Pyroscope", "grafana-pyroscope-datasource"]]) {
        const ds = byName(`${name}${suffix}`);
        expect(ds.type).toBe(type);
        expect(ds.jsonData?.httpHeaderName1).toBeUndefined();
        expect(tenantOf(ds)).toBe(tenant);
        // The tenant's read password, injected into Grafana's task as a container secret (test/ecs.test.ts).
        expect(ds.secureJsonData.basicAuthPassword).toBe(`$LGTM_GRAFANA_READ_PASSWORD_${tenant === s.tenant_id ? 0 : 1}`);
        expect(ds.orgId).toBe(1);
      }
    }
    expect(list.filter((d) => d.isDefault).map((d) => d.name)).toEqual(["Mimir"]);
    expect(byName("Mimir").uid).toBe("mimir");
    expect(byName("Mimir (aws-rag-ec2)").uid).toBe("mimir-t-aws-rag-ec2");
    expect(new Set(list.map((d) => d.uid)).size).toBe(list.length);
  });

  it("WHEN rendered THEN there is no all-tenants set: through the gateway one credential reads one tenant", () => {
    expect(list.filter((d) => String(d.name).includes("all tenants"))).toEqual([]);
    expect(list.map(tenantOf).filter((t) => t?.includes("|"))).toEqual([]);
  });

  it("WHEN rendered THEN every trace/log/metric/profile link stays within its datasource's tenant, and each tenant's Tempo links to all three others", () => {
    const uidTenant = new Map(list.map((d) => [d.uid as string, tenantOf(d)]));
    for (const ds of list) for (const uid of links(ds)) expect(uidTenant.get(uid), `${ds.name} → ${uid}`).toBe(tenantOf(ds));
    const tempo = byName("Tempo (aws-rag-ec2)").jsonData;
    expect([tempo.tracesToLogsV2.datasourceUid, tempo.tracesToMetrics.datasourceUid, tempo.tracesToProfiles.datasourceUid]).toEqual([
      "loki-t-aws-rag-ec2",
      "mimir-t-aws-rag-ec2",
      "pyroscope-t-aws-rag-ec2",
    ]);
  });

  it("WHEN a link crosses tenants THEN the synth check names both datasources and tenants", () => {
    const broken = configs.map((c) =>
      c.service === "grafana" ? { ...c, content: c.content.replace('datasourceUid: "tempo-t-aws-rag-ec2"', 'datasourceUid: "tempo"') } : c,
    );
    expect(broken).not.toEqual(configs);
    expect(checkRenderedConfigs(s, broken).errors).toContainEqual(
      'templates/grafana/provisioning/datasources/datasources.yaml.hbs: datasource "Mimir (aws-rag-ec2)" (tenant "aws-rag-ec2") jsonData.exemplarTraceIdDestinations[].datasourceUid links to "Tempo" (tenant "jsj-lgtm-header"): links must stay within one tenant',
    );
  });

  it("WHEN a datasource reads as an unknown tenant THEN the synth check says so", () => {
    const unknown = configs.map((c) => (c.service === "grafana" ? { ...c, content: c.content.replace('basicAuthUser: "aws-rag-ec2"', 'basicAuthUser: "nobody"') } : c));
    expect(unknown).not.toEqual(configs);
    expect(checkRenderedConfigs(s, unknown).errors).toContainEqual(expect.stringMatching(/^tenants: .*datasource "Mimir \(aws-rag-ec2\)" basicAuthUser sends tenant "nobody", but "nobody" is not a tenant of the settings/));
  });
});

describe("GIVEN tenants mapped to Grafana organizations (tenants.<id>.grafana_org_id)", () => {
  let s: Settings;
  let configs: RenderedConfig[];
  let list: Doc[];
  beforeAll(async () => {
    s = await settingsWith({ tenants: { "aws-rag-ec2": { grafana_org_id: 2 }, "team-b": { description: "B", grafana_org_id: 3 }, "team-c": { description: "C", grafana_org_id: 3 } } });
    configs = renderConfigs(s);
    list = docOf(configs, "grafana", "provisioning/datasources/datasources.yaml").datasources;
  });

  it("WHEN rendered THEN each tenant's datasources are in its organization, with one default per organization, and the self-monitoring one in the Main Org.", () => {
    const orgOf = (tenant: string) => [...new Set(list.filter((d) => d.basicAuthUser === tenant && d.uid !== "mimir-meta").map((d) => d.orgId))];
    expect([orgOf("jsj-lgtm-header"), orgOf("aws-rag-ec2"), orgOf("team-b"), orgOf("team-c")]).toEqual([[1], [2], [3], [3]]);
    expect(list.find((d) => d.uid === "mimir-meta")!.orgId).toBe(1);
    expect(list.filter((d) => d.isDefault).map((d) => [d.orgId, d.name])).toEqual([
      [1, "Mimir"],
      [2, "Mimir (aws-rag-ec2)"],
      [3, "Mimir (team-b)"],
    ]);
    expect(checkRenderedConfigs(s, configs).errors).toEqual([]);
  });

  it("WHEN a link points into another organization THEN the synth check says Grafana resolves links within one organization", () => {
    const broken = configs.map((c) => (c.service === "grafana" ? { ...c, content: c.content.replace('datasourceUid: "tempo-t-team-b"', 'datasourceUid: "tempo-t-aws-rag-ec2"') } : c));
    expect(broken).not.toEqual(configs);
    expect(checkRenderedConfigs(s, broken).errors).toContainEqual(expect.stringContaining('datasource "Mimir (team-b)" (org 3) jsonData.exemplarTraceIdDestinations[].datasourceUid links to "Tempo (aws-rag-ec2)" (org 2): Grafana resolves links within one organization'));
  });

  it("WHEN an organization id is 0 or not a whole number THEN loading fails naming the file, the key and what was expected", async () => {
    expect(await overrideError({ tenants: { "aws-rag-ec2": { grafana_org_id: 0 } } })).toContain("environments/prod.tfvars: tenants.aws-rag-ec2.grafana_org_id: expected a Grafana organization id of at least 1 (1 is the Main Org.)");
    expect(await overrideError({ tenants: { "aws-rag-ec2": { grafana_org_id: 1.5 } } })).toContain("environments/prod.tfvars: tenants.aws-rag-ec2.grafana_org_id: expected a whole number");
  });
});

describe("GIVEN a tenant whose id is not a valid Grafana uid (dots, quotes, 150 characters)", () => {
  it("WHEN the datasources are rendered THEN every uid is at most 40 characters of Grafana's alphabet and distinct, and the key check passes", async () => {
    const long = `${"x".repeat(149)}.`;
    const s = await settingsWith({ tenants: { "team.a": { description: "A" }, team_a: { description: "A too" }, [long]: { description: "long" }, "o'neil(*)": { description: "quotes" } } });
    const configs = renderConfigs(s);
    const list = docOf(configs, "grafana", "provisioning/datasources/datasources.yaml").datasources as Doc[];
    for (const d of list) expect(d.uid, d.name).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(new Set(list.map((d) => d.uid)).size).toBe(list.length);
    expect(list.filter((d) => d.name.startsWith("Mimir")).length).toBe(7); // six tenants + self-monitoring (issue 19); no all-tenants set (issue 26)
    expect(checkRenderedConfigs(s, configs).errors).toEqual([]);
  });
});

describe("GIVEN Alloy pipelines that choose their tenant (the NLB namespace and the OTLP receivers under aws-rag-ec2)", () => {
  let s: Settings;
  let configs: RenderedConfig[];
  let file: AlloyFile;
  const block = (name: string, label: string) => {
    const b = file.blocks.find((x) => x.name === name && x.label === label);
    if (!b) throw new Error(`no ${name} "${label}"`);
    return b;
  };
  beforeAll(async () => {
    const shippedProd = await shipped("prod");
    const namespaces = shippedProd.alloy.cloudwatch.namespaces.map((n) => ({ ...n, tenant: n.type === "AWS/NetworkELB" ? "aws-rag-ec2" : undefined }));
    s = await settingsWith({ alloy: { otlp_tenant: "aws-rag-ec2", cloudwatch: { namespaces: JSON.parse(JSON.stringify(namespaces)) } } });
    configs = renderConfigs(s);
    file = parseAlloy(configs.find((c) => c.service === "alloy")!.content);
  });

  it("WHEN rendered THEN each tenant gets its own remote write, and each namespace group its own exporter and scrape forwarding to it", () => {
    expect(stringMap(attribute(childBlocks(block("prometheus.remote_write", "mimir"), "endpoint")[0], "headers"))).toEqual({ "X-Scope-OrgID": "jsj-lgtm-header" });
    expect(stringMap(attribute(childBlocks(block("prometheus.remote_write", "mimir_aws_rag_ec2"), "endpoint")[0], "headers"))).toEqual({ "X-Scope-OrgID": "aws-rag-ec2" });
    const types = (label: string) => childBlocks(block("prometheus.exporter.cloudwatch", label), "discovery").map((d) => attribute(d, "type"));
    expect(types("aws_aws_rag_ec2")).toEqual(["AWS/NetworkELB"]);
    expect(types("aws")).not.toContain("AWS/NetworkELB");
    expect(configs.find((c) => c.service === "alloy")!.content).toContain("forward_to      = [prometheus.remote_write.mimir_aws_rag_ec2.receiver]");
  });

  it("WHEN rendered THEN everything the OTLP receivers get goes under alloy.otlp_tenant: metrics, logs and traces", () => {
    const content = configs.find((c) => c.service === "alloy")!.content;
    expect(content).toMatch(/otelcol\.exporter\.prometheus "mimir" \{\n {2}forward_to = \[prometheus\.remote_write\.mimir_aws_rag_ec2\.receiver\]/);
    expect(attribute(childBlocks(block("loki.write", "loki"), "endpoint")[0], "tenant_id")).toBe("aws-rag-ec2");
    expect(stringMap(attribute(childBlocks(block("otelcol.exporter.otlp", "tempo"), "client")[0], "headers"))).toEqual({ "X-Scope-OrgID": "aws-rag-ec2" });
  });

  it("WHEN checked THEN every tenant header is a tenant of the settings and every Alloy component and argument exists upstream", () => {
    if (skipWithoutUpstream("Alloy tenant pipelines key check")) return;
    expect(checkRenderedConfigs(s, configs, REFERENCE_DIR).errors).toEqual([]);
  });

  it("WHEN a pipeline names a tenant no file declares THEN loading fails naming the key, with did-you-mean", async () => {
    expect(await overrideError({ alloy: { otlp_tenant: "aws-rag-ec3" } })).toContain(
      'environments/prod.tfvars: alloy.otlp_tenant: unknown tenant "aws-rag-ec3"; did you mean "aws-rag-ec2"? (expected one of: jsj-lgtm-header, aws-rag-ec2;',
    );
  });
});
