/**
 * Grafana-managed alert rules on the stack's own metrics (issue 19), provisioned from
 * provisioning/alerting/lgtm.yaml: every query names only metric families the pinned releases
 * export, every datasource uid exists, every rule links an existing runbook entry, and the contact
 * point is the alerts topic 60-ecs creates, which Grafana's task role may publish to.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Settings } from "../settings";
import { checkRenderedConfigs, renderConfigs, type RenderedConfig } from "../templates";
import { CONFIRMED_METRICS, SELF_MONITORING_DATASOURCE_UID, selfAlertRules } from "../templates/grafana-alerting";
import { shipped } from "./support/settings";
import { runbookAnchors, runbookLinks } from "./support/runbook";
import { resourcesOf, synthLayer } from "./support/synth";
import { REFERENCE_DIR, skipWithoutUpstream } from "./support/upstream";

const fileOf = (configs: readonly RenderedConfig[], name: string) => {
  const found = configs.find((c) => c.service === "grafana" && c.fileName === name);
  if (!found) throw new Error(`no grafana/${name}; have ${configs.filter((c) => c.service === "grafana").map((c) => c.fileName).join(", ")}`);
  return found;
};

const PROMQL_WORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "or", "and", "unless", "bool", "offset"]);

/** Metric names in a PromQL expression, found independently of the rule's own `metrics` list. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, "") // label matchers
    .replace(/\[[^\]]*\]/g, "") // ranges
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ""); // grouping labels
  const names = [...bare.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?/g)]
    .filter((m) => m[2] === undefined && !PROMQL_WORDS.has(m[1]))
    .map((m) => m[1]);
  return [...new Set(names)].sort();
}

/** Metric families the real binaries exported (../shared/upstream/metrics/<service>-<version>.names). */
function exportedFamilies(): { names: Set<string>; files: string[] } {
  const dir = path.join(REFERENCE_DIR, "metrics");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".names"));
  const names = new Set(files.flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n").map((l) => l.split(" ")[0]).filter(Boolean)));
  return { names, files };
}

describe("GIVEN the shipped prod settings", () => {
  let s: Settings;
  let configs: RenderedConfig[];
  let doc: any;
  let datasources: any;
  beforeAll(async () => {
    s = await shipped("prod");
    configs = renderConfigs(s);
    doc = parse(fileOf(configs, "provisioning/alerting/lgtm.yaml").content);
    datasources = parse(fileOf(configs, "provisioning/datasources/datasources.yaml").content);
  });

  const rules = () => doc.groups.flatMap((g: any) => g.rules);

  it("WHEN rendered THEN the file provisions every rule of the catalog with its query and a > 0 threshold", () => {
    expect(doc.apiVersion).toBe(1);
    expect(rules().map((r: any) => r.uid)).toEqual(selfAlertRules(s).map((r) => r.uid));
    for (const r of rules()) {
      expect(r.condition, r.uid).toBe("B");
      expect(r.data[1].model, r.uid).toMatchObject({ type: "threshold", expression: "A", conditions: [{ evaluator: { type: "gt", params: [0] } }] });
    }
  });

  it("WHEN every query is read THEN it names only metric families the pinned Loki, Tempo and Mimir export, or ones confirmed in their source", () => {
    if (skipWithoutUpstream("Grafana alert rules metric names")) return;
    const exported = exportedFamilies();
    expect(exported.files.sort()).toEqual(["loki-3.7.6.names", "mimir-3.0.2.names", "tempo-3.0.3.names"]);
    for (const rule of selfAlertRules(s)) {
      // The rule's declared list is what the query really reads.
      expect(metricNames(rule.expr), rule.uid).toEqual([...rule.metrics].sort());
      for (const name of rule.metrics) {
        expect(exported.names.has(name) || name in CONFIRMED_METRICS, `${rule.uid}: ${name} is neither exported by a pinned binary nor confirmed`).toBe(true);
      }
    }
  });

  it("WHEN the metric-name reader is given a query THEN it keeps metrics and drops functions, labels, ranges and keywords", () => {
    expect(metricNames('sum by (reason, tenant) (increase(a_total{job="x", y=~"b.+"}[10m])) > 0 or max(b_total) < 1')).toEqual(["a_total", "b_total"]);
    expect(metricNames("time() - max(c_seconds{job=\"m\"}) > 7200")).toEqual(["c_seconds"]);
  });

  it("WHEN the rules are read THEN every datasource uid is provisioned, and the self-monitoring one sends the meta tenant", () => {
    const uids = new Set(datasources.datasources.map((d: any) => d.uid));
    for (const r of rules()) for (const q of r.data) if (q.datasourceUid !== "__expr__") expect(uids.has(q.datasourceUid), `${r.uid}: ${q.datasourceUid}`).toBe(true);
    const meta = datasources.datasources.find((d: any) => d.uid === SELF_MONITORING_DATASOURCE_UID);
    // Through the gateway as the meta tenant, with its read password (a container secret Grafana expands).
    expect(meta).toMatchObject({ type: "prometheus", url: "http://gateway.lgtm.local:8080/prometheus", orgId: 1, basicAuth: true, basicAuthUser: "meta", secureJsonData: { basicAuthPassword: "$LGTM_GRAFANA_READ_PASSWORD_META" } });
    // The default tenant's datasources keep their uids and come first; the self-monitoring one is last
    // (the other tenants' sets are test/tenants.test.ts's).
    const all = datasources.datasources.map((d: any) => d.uid);
    expect(all.slice(0, 4)).toEqual(["mimir", "loki", "tempo", "pyroscope"]);
    expect(all.at(-1)).toBe(SELF_MONITORING_DATASOURCE_UID);
    expect(all.filter((u: string) => u === SELF_MONITORING_DATASOURCE_UID)).toHaveLength(1);
  });

  it("WHEN the rules are read THEN each links a docs/runbook.md entry that exists, and ring rules carry the component's forget URL", () => {
    const anchors = runbookAnchors();
    for (const r of rules()) {
      const links = runbookLinks(r.annotations.runbook_url, "docs/runbook.md");
      expect(links, r.uid).toHaveLength(1);
      expect(anchors.has(links[0]), `${r.uid}: ${links[0]}`).toBe(true);
    }
    const byUid = Object.fromEntries(rules().map((r: any) => [r.uid, r]));
    expect(byUid["lgtm-mimir-ring-unhealthy"].annotations.description).toContain("http://mimir.lgtm.local:9009/ingester/ring");
    expect(byUid["lgtm-loki-ring-unhealthy"].annotations.description).toContain("http://loki.lgtm.local:3100/ring");
    expect(byUid["lgtm-mimir-memberlist-size"].data[0].model.expr).toContain("< 3");
  });

  it("WHEN rendered THEN the contact point is the alerts topic 60-ecs creates, and Grafana's task role may publish to it only through SNS's key use", () => {
    const receiver = doc.contactPoints[0].receivers[0];
    expect(receiver).toMatchObject({ type: "sns", settings: { topic_arn: "arn:aws:sns:ap-northeast-2:111111111111:lgtm-prod-alerts", sigv4: { region: "ap-northeast-2" } } });
    expect(doc.policies[0].receiver).toBe(doc.contactPoints[0].name);
    expect(resourcesOf(synthLayer(s, "60-ecs"), "aws_sns_topic").alerts_topic.name).toBe("lgtm-prod-alerts");
    const policy = JSON.parse(resourcesOf(synthLayer(s, "40-iam"), "aws_iam_role_policy").grafana_task_alerts.policy as string);
    expect(policy.Statement).toEqual([
      { Sid: "PublishAlerts", Effect: "Allow", Action: "sns:Publish", Resource: "arn:aws:sns:ap-northeast-2:111111111111:lgtm-prod-alerts" },
      { Sid: "EncryptThroughSns", Effect: "Allow", Action: ["kms:GenerateDataKey*", "kms:Decrypt"], Resource: "*", Condition: { StringEquals: { "kms:ViaService": "sns.ap-northeast-2.amazonaws.com" } } },
    ]);
  });

  it("WHEN the self-monitoring datasource sends the users' tenant THEN the synth check names self_monitoring.tenant", () => {
    const broken = configs.map((c) =>
      c.fileName.startsWith("provisioning/datasources/") ? { ...c, content: c.content.replace('basicAuthUser: "meta"', 'basicAuthUser: "jsj-lgtm-header"') } : c,
    );
    expect(broken).not.toEqual(configs);
    expect(checkRenderedConfigs(s, broken).errors).toEqual([expect.stringMatching(/^self_monitoring\.tenant: grafana\/.*datasource "Mimir \(self-monitoring\)" .* sends tenant "jsj-lgtm-header", but gateway requires X-Scope-OrgID "meta"/)]);
  });
});

describe("GIVEN the shipped prod settings' dashboards", () => {
  let s: Settings;
  let configs: RenderedConfig[];
  beforeAll(async () => {
    s = await shipped("prod");
    configs = renderConfigs(s);
  });
  const dashboards = () => configs.filter((c) => c.service === "grafana" && c.fileName.startsWith("dashboards/")).map((c) => ({ file: c, doc: JSON.parse(c.content) }));

  it("WHEN rendered THEN there is one overview per component and one for the stack, where the provider reads them", () => {
    expect(dashboards().map((d) => d.doc.uid).sort()).toEqual(["lgtm-alloy", "lgtm-grafana", "lgtm-loki", "lgtm-mimir", "lgtm-pyroscope", "lgtm-stack", "lgtm-tempo"]);
    const provider = parse(fileOf(configs, "provisioning/dashboards/lgtm.yaml").content).providers[0];
    for (const d of dashboards()) expect(path.posix.dirname(d.file.containerPath)).toBe(provider.options.path);
    expect(provider).toMatchObject({ type: "file", allowUiUpdates: false });
  });

  it("WHEN every panel's query is read THEN it names only exported or confirmed metric families, and reads a provisioned datasource", () => {
    if (skipWithoutUpstream("Grafana dashboard metric names")) return;
    const exported = exportedFamilies();
    const uids = new Set(parse(fileOf(configs, "provisioning/datasources/datasources.yaml").content).datasources.map((d: any) => d.uid));
    let panels = 0;
    for (const d of dashboards()) {
      for (const p of d.doc.panels) {
        panels++;
        expect(uids.has(p.datasource.uid), `${d.doc.uid}/${p.title}`).toBe(true);
        for (const t of p.targets) {
          // Histogram series are read as <family>_bucket.
          for (const name of metricNames(t.expr).map((n) => n.replace(/_bucket$/, ""))) {
            expect(exported.names.has(name) || name in CONFIRMED_METRICS, `${d.doc.uid}/${p.title}: ${name}`).toBe(true);
          }
        }
      }
    }
    expect(panels).toBeGreaterThan(30);
  });

  it("WHEN Grafana's task definition carries every provisioned file THEN it stays well under ECS's 64 KiB", () => {
    const td = resourcesOf(synthLayer(s, "60-ecs"), "aws_ecs_task_definition").grafana_task_definition;
    const size = Buffer.byteLength(JSON.stringify(td.container_definitions));
    const files = configs.filter((c) => c.service === "grafana");
    console.log(`Grafana: ${files.length} files, ${files.reduce((n, c) => n + Buffer.byteLength(c.content), 0)} bytes; container definitions ${size} bytes`);
    // ECS caps the whole task definition at 64 KiB; keep 4 KiB for everything outside the containers.
    expect(size).toBeLessThan(60 * 1024);
  });
});
