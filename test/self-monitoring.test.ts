/**
 * Self-monitoring (issue 19): Alloy scrapes every component's own /metrics, every task found through
 * the service's Cloud Map name, labelled service/task/az, into Mimir under `self_monitoring.tenant`.
 * The synth-time checks hold every scrape to the catalog's port and path.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { SCRAPED_SERVICES, cidrRegex, type Settings } from "../settings";
import { checkRenderedConfigs, renderConfigs, type RenderedConfig } from "../templates";
import { attribute, childBlocks, parseAlloy, stringMap, type AlloyFile } from "../templates/alloy-syntax";
import { loadAlloyReference } from "../templates/reference";
import { overrideError, settingsWith, shipped } from "./support/settings";
import { MUTATION_RUN } from "./support/mutation";
import { resourcesOf, synthLayer } from "./support/synth";
import { REFERENCE_DIR, skipWithoutUpstream } from "./support/upstream";

const alloyOf = (configs: readonly RenderedConfig[]) => configs.find((c) => c.service === "alloy")!;
const block = (file: AlloyFile, name: string, label: string) => {
  const found = file.blocks.find((b) => b.name === name && b.label === label);
  if (!found) throw new Error(`no ${name} "${label}"`);
  return found;
};
/** `new RegExp` of a Prometheus relabel regex: fully anchored, as Prometheus anchors it. */
const anchored = (re: string) => new RegExp(`^(?:${re})$`);

function editAlloy(configs: readonly RenderedConfig[], from: string | RegExp, to: string): RenderedConfig[] {
  return configs.map((c) => {
    if (c.service !== "alloy") return c;
    const count = typeof from === "string" ? c.content.split(from).length - 1 : (c.content.match(new RegExp(from.source, "g")) ?? []).length;
    if (count !== 1) throw new Error(`expected one match of ${String(from)}, found ${count}`);
    return { ...c, content: c.content.replace(from, to) };
  });
}

describe("GIVEN the shipped prod settings", () => {
  let s: Settings;
  let configs: RenderedConfig[];
  let file: AlloyFile;
  beforeAll(async () => {
    s = await shipped("prod");
    configs = renderConfigs(s);
    file = parseAlloy(alloyOf(configs).content);
  });

  it("WHEN nothing is set THEN the self-monitoring tenant is meta, not the users' tenant", () => {
    expect(s.self_monitoring.tenant).toBe("meta");
    expect(s.tenant_id).not.toBe("meta");
  });

  it("WHEN config.alloy is rendered THEN every service's tasks are resolved as A records of its Cloud Map name at its HTTP port", () => {
    const expected: Record<string, number> = { mimir: 9009, loki: 3100, tempo: 3200, pyroscope: 4040, grafana: 3000, alloy: 12345 };
    for (const service of SCRAPED_SERVICES) {
      const dns = block(file, "discovery.dns", `self_${service}`);
      expect(attribute(dns, "names"), service).toEqual([`${service}.lgtm.local`]);
      expect(attribute(dns, "type"), service).toBe("A");
      expect(attribute(dns, "port"), service).toBe(expected[service]);
    }
  });

  it("WHEN config.alloy is rendered THEN each scrape uses the path the component serves /metrics at (Tempo at the root, Pyroscope under its prefix)", () => {
    const paths = Object.fromEntries(SCRAPED_SERVICES.map((n) => [n, attribute(block(file, "prometheus.scrape", `self_${n}`), "metrics_path")]));
    expect(paths).toEqual({ mimir: "/metrics", loki: "/metrics", tempo: "/metrics", pyroscope: "/pyroscope/metrics", grafana: "/metrics", alloy: "/metrics" });
  });

  it("WHEN config.alloy is rendered THEN every scrape writes to Mimir's push path with X-Scope-OrgID meta, and nothing else writes there", () => {
    const rw = block(file, "prometheus.remote_write", "self_monitoring");
    const endpoint = childBlocks(rw, "endpoint")[0];
    expect(attribute(endpoint, "url")).toBe("http://mimir.lgtm.local:9009/api/v1/push");
    expect(stringMap(attribute(endpoint, "headers"))).toEqual({ "X-Scope-OrgID": "meta" });
    const forwarders = file.blocks.filter((b) => JSON.stringify(attribute(b, "forward_to") ?? null).includes("prometheus.remote_write.self_monitoring"));
    expect(forwarders.map((b) => b.label).sort()).toEqual(SCRAPED_SERVICES.map((n) => `self_${n}`).sort());
  });

  it("WHEN a task's address is relabelled THEN it gets service, task (its ENI address) and the az of the private subnet it is in", () => {
    const relabel = block(file, "discovery.relabel", "self_loki");
    const rules = childBlocks(relabel, "rule");
    const apply = (address: string) => {
      const labels: Record<string, string> = {};
      for (const r of rules) {
        const target = attribute(r, "target_label") as string;
        const source = attribute(r, "source_labels") as string[] | undefined;
        const value = source ? address : "";
        const m = anchored((attribute(r, "regex") as string | undefined) ?? "(.*)").exec(value);
        if (!m) continue;
        const replacement = (attribute(r, "replacement") as string | undefined) ?? "$1";
        labels[target] = replacement.replace(/\$(\d)/g, (_x, i: string) => m[Number(i)] ?? "");
      }
      return labels;
    };
    // prod: 2a = 10.40.16.0/20, 2b = 10.40.48.0/20, 2c = 10.40.32.0/20
    expect(apply("10.40.17.5:3100")).toEqual({ service: "loki", task: "10.40.17.5", az: "ap-northeast-2a" });
    expect(apply("10.40.63.254:3100")).toEqual({ service: "loki", task: "10.40.63.254", az: "ap-northeast-2b" });
    expect(apply("10.40.32.9:3100")).toEqual({ service: "loki", task: "10.40.32.9", az: "ap-northeast-2c" });
    // A public-subnet address is in no private subnet: no az label rather than a wrong one.
    expect(apply("10.40.1.7:3100")).toEqual({ service: "loki", task: "10.40.1.7" });
  });

  it("WHEN the configs are checked THEN every self-monitoring component and argument exists in Alloy's pinned reference", () => {
    if (skipWithoutUpstream("self-monitoring Alloy reference check")) return;
    const ref = loadAlloyReference(REFERENCE_DIR, s.services.alloy.version);
    expect(ref.ok).toBe(true);
    expect(checkRenderedConfigs(s, configs).errors).toEqual([]);
  });

  describe("WHEN a scrape disagrees with the catalog", () => {
    const errorsOf = (broken: RenderedConfig[]) => checkRenderedConfigs(s, broken).errors;

    it("THEN Pyroscope scraped at /metrics (ignoring its prefix) names services.pyroscope.path_prefix", () => {
      const errors = errorsOf(editAlloy(configs, 'metrics_path    = "/pyroscope/metrics"', 'metrics_path    = "/metrics"'));
      expect(errors).toEqual([expect.stringMatching(/^services\.pyroscope\.path_prefix: alloy\/config\.alloy: prometheus\.scrape "self_pyroscope" .* requests path "\/metrics", but pyroscope serves it at "\/pyroscope\/metrics"/)]);
    });

    it("THEN Tempo scraped on port 3201 names services.tempo.http_port", () => {
      const errors = errorsOf(editAlloy(configs, /port  = 3200/, "port  = 3201"));
      expect(errors).toEqual([expect.stringMatching(/^services\.tempo\.http_port: alloy\/config\.alloy: prometheus\.scrape "self_tempo" .* uses port 3201, but tempo listens for self-monitoring scrape of \/metrics on 3200/)]);
    });

    it("THEN SRV lookups (discovery.dns's default, which ignore the port) are refused", () => {
      const errors = errorsOf(editAlloy(configs, /(discovery\.dns "self_grafana" \{\n[^}]*)type  = "A"/, '$1type  = "SRV"'));
      expect(errors).toEqual([expect.stringMatching(/^templates\/alloy\/config\.alloy\.hbs: discovery\.dns "self_grafana" resolves "SRV" records/)]);
    });

    it("THEN a service left unscraped is named", () => {
      const errors = errorsOf(editAlloy(configs, /prometheus\.scrape "self_grafana" \{[^}]*\}\n/, ""));
      expect(errors).toContainEqual(expect.stringMatching(/no self-monitoring scrape of grafana \(discovery\.dns of grafana\.lgtm\.local/));
    });

    it("THEN the stack's series written under the users' tenant name self_monitoring.tenant", () => {
      const errors = errorsOf(editAlloy(configs, 'headers = { "X-Scope-OrgID" = "meta" }', 'headers = { "X-Scope-OrgID" = "jsj-lgtm-header" }'));
      expect(errors).toEqual([expect.stringMatching(/^self_monitoring\.tenant: alloy\/config\.alloy: prometheus\.remote_write "self_monitoring" .* sends tenant "jsj-lgtm-header", but mimir requires X-Scope-OrgID "meta"/)]);
    });

    it("THEN users' CloudWatch metrics sent to the self-monitoring remote_write are refused", () => {
      const errors = errorsOf(editAlloy(configs, /(prometheus\.scrape "cloudwatch" \{[^}]*)prometheus\.remote_write\.mimir\.receiver/, "$1prometheus.remote_write.self_monitoring.receiver"));
      expect(errors).toContainEqual(expect.stringMatching(/prometheus\.scrape "cloudwatch" forwards to prometheus\.remote_write\.self_monitoring, the self-monitoring remote_write/));
    });

    it("THEN a target without its az label is named", () => {
      const broken = configs.map((c) =>
        c.service !== "alloy" ? c : { ...c, content: c.content.replace(/discovery\.relabel "self_mimir" \{[\s\S]*?\n\}\n/, (b) => b.replaceAll('target_label  = "az"', 'target_label  = "zone"')) },
      );
      expect(alloyOf(broken).content).toContain('"zone"');
      const errors = errorsOf(broken);
      expect(errors).toEqual([expect.stringMatching(/prometheus\.scrape "self_mimir" gives its targets no az label/)]);
    });
  });

  // A synth per mutant would cost seconds each under `npm run mutation` (test/support/mutation.ts).
  it.skipIf(MUTATION_RUN)("WHEN 20-security is synthesized THEN Alloy's group may reach every component's HTTP port, its own included", () => {
    const stack = synthLayer(s, "20-security");
    const ingress = Object.values(resourcesOf(stack, "aws_vpc_security_group_ingress_rule"));
    for (const service of SCRAPED_SERVICES) {
      const rule = ingress.find(
        (r) => r.security_group_id === `\${aws_security_group.${service}_sg.id}` && r.referenced_security_group_id === "${aws_security_group.alloy_sg.id}" && r.from_port === s.services[service].http_port,
      );
      expect(rule, service).toBeDefined();
    }
  });
});

describe("GIVEN self-monitoring settings", () => {
  it("WHEN self_monitoring.tenant is changed THEN the rendered remote_write sends it", async () => {
    const s = await settingsWith({ self_monitoring: { tenant: "ops-meta", scrape_interval: "1m" } });
    const file = parseAlloy(alloyOf(renderConfigs(s)).content);
    expect(stringMap(attribute(childBlocks(block(file, "prometheus.remote_write", "self_monitoring"), "endpoint")[0], "headers"))).toEqual({ "X-Scope-OrgID": "ops-meta" });
    expect(attribute(block(file, "prometheus.scrape", "self_tempo"), "scrape_interval")).toBe("1m");
  });

  it("WHEN self_monitoring.tenant is the users' tenant THEN loading fails naming the key", async () => {
    expect(await overrideError({ self_monitoring: { tenant: "jsj-lgtm-header" } })).toContain(
      'environments/prod.tfvars: self_monitoring.tenant: "jsj-lgtm-header" is also tenant_id; the stack\'s own series would count against the users\' tenant limits',
    );
  });

  it("WHEN two Alloy tasks would each scrape everything THEN loading fails naming services.alloy.desired_count", async () => {
    expect(await overrideError({ services: { alloy: { desired_count: 2 } } })).toContain("environments/prod.tfvars: services.alloy.desired_count: 2 Alloy tasks would each scrape every component");
  });

  it("WHEN self_monitoring.scrape_interval has days THEN loading fails naming the key", async () => {
    expect(await overrideError({ self_monitoring: { scrape_interval: "1d" } })).toContain('environments/prod.tfvars: self_monitoring.scrape_interval: expected a duration such as "30s", "5m" or "1h" (no days)');
  });
});

describe("GIVEN a subnet CIDR", () => {
  it.each([
    ["10.40.16.0/20", ["10.40.16.0", "10.40.31.255"], ["10.40.15.255", "10.40.32.0", "10.41.16.1"]],
    ["10.41.1.0/24", ["10.41.1.0", "10.41.1.254"], ["10.41.2.1", "10.41.10.1"]],
    ["10.0.0.64/26", ["10.0.0.64", "10.0.0.127"], ["10.0.0.63", "10.0.0.128"]],
    ["172.16.0.0/12", ["172.16.0.1", "172.31.255.255"], ["172.32.0.1", "172.15.0.1"]],
  ])("WHEN %s becomes a relabel regex THEN it matches exactly its addresses", (cidr, inside, outside) => {
    const re = anchored(cidrRegex(cidr));
    for (const ip of inside) expect(re.test(ip), ip).toBe(true);
    for (const ip of outside) expect(re.test(ip), ip).toBe(false);
  });
});
