import { beforeAll, describe, expect, it } from "vitest";
import { RING_SERVICES, SERVICE_NAMES, type Settings } from "../settings";
import { LAYER_OUTPUTS } from "../stacks/contract";
import { settingsWith, shipped } from "./support/settings";
import { inventoryOf, resourcesOf, synthLayer, type StackJson } from "./support/synth";

const INGRESS = "aws_vpc_security_group_ingress_rule";
const EGRESS = "aws_vpc_security_group_egress_rule";
const sg = (name: string) => `\${aws_security_group.${name}_sg.id}`;
const VPC_CIDR = "${data.terraform_remote_state.network.outputs.vpc_cidr}";

type Rule = Record<string, any> & { id: string };
const rules = (stack: StackJson, type: string): Rule[] => Object.entries(resourcesOf(stack, type)).map(([id, r]) => ({ ...r, id }));
const rule = (stack: StackJson, type: string, id: string): Rule => {
  const found = resourcesOf(stack, type)[id];
  if (!found) throw new Error(`no ${type}.${id}; have ${Object.keys(resourcesOf(stack, type)).join(", ")}`);
  return { ...found, id };
};
const on = (stack: StackJson, type: string, group: string) => rules(stack, type).filter((r) => r.security_group_id === sg(group));

describe("GIVEN prod settings", () => {
  let s: Settings;
  let stack: StackJson;
  beforeAll(async () => {
    s = await shipped("prod");
    stack = synthLayer(s, "20-security");
  });

  it("WHEN synthesized THEN there is one ALB group and one task group per service, named from settings, in the 10-network VPC", () => {
    const groups = resourcesOf(stack, "aws_security_group");
    // Plus the Grafana EFS mount targets' group (issue 12), checked in test/durability.test.ts.
    // Plus the memcached query cache's group (prod runs the cache), checked in test/cache.test.ts.
    expect(Object.keys(groups).sort()).toEqual(["alb_sg", "grafana_efs_sg", "cache_sg", ...SERVICE_NAMES.map((n) => `${n}_sg`)].sort());
    expect(groups.alb_sg.name).toBe("lgtm-prod-alb");
    expect(groups.mimir_sg.name).toBe("lgtm-prod-mimir-tasks");
    for (const g of Object.values(groups)) {
      expect(g.vpc_id).toBe("${data.terraform_remote_state.network.outputs.vpc_id}");
      // Rules are separate resources; inline blocks would fight them.
      expect(g.ingress).toBeUndefined();
      expect(g.egress).toBeUndefined();
    }
    expect(stack.data?.terraform_remote_state.network).toMatchObject({ backend: "s3", config: { key: "prod/10-network/terraform.tfstate" } });
  });

  it("WHEN synthesized THEN no rule allows all protocols and every rule has one port and a description", () => {
    const all = [...rules(stack, INGRESS), ...rules(stack, EGRESS)];
    expect(all.length).toBeGreaterThan(50);
    for (const r of all) {
      expect(r.ip_protocol, r.id).not.toBe("-1");
      expect(["tcp", "udp"], r.id).toContain(r.ip_protocol);
      expect(r.from_port, r.id).toBe(r.to_port);
      expect(r.description, r.id).toMatch(/\w/);
      expect(r.description.length, r.id).toBeLessThanOrEqual(255);
    }
    expect(resourcesOf(stack, "aws_security_group_rule")).toEqual({});
  });

  it("WHEN synthesized THEN the ALB accepts 80 (redirect) and 443 from each UI CIDR (load_balancer.domain gives TLS) and each rule names the entry", () => {
    const ingress = on(stack, INGRESS, "alb").sort((a, b) => a.from_port - b.from_port);
    expect(ingress.map((r) => [r.id, r.from_port, r.cidr_ipv4, r.ip_protocol])).toEqual([
      ["alb_from_ui_anywhere_http", 80, "0.0.0.0/0", "tcp"],
      ["alb_from_ui_anywhere_https", 443, "0.0.0.0/0", "tcp"],
    ]);
    for (const r of ingress) expect(r.description).toContain("load_balancer.ui_allowed_cidrs.anywhere");
  });

  it("WHEN there is no TLS (no domain, no certificate) THEN the ALB accepts only port 80", async () => {
    const plain = synthLayer(await settingsWith({ load_balancer: { domain: undefined } }), "20-security");
    expect(on(plain, INGRESS, "alb").map((r) => r.from_port)).toEqual([80]);
  });

  it("WHEN synthesized THEN the ALB sends only to the HTTP port of each ALB-fronted service's task group", () => {
    const egress = on(stack, EGRESS, "alb").map((r) => [r.id, r.referenced_security_group_id, r.from_port, r.cidr_ipv4]);
    expect(egress.sort()).toEqual(
      [
        ["alb_to_grafana_http", sg("grafana"), 3000, undefined],
        ["alb_to_gateway_http", sg("gateway"), 8080, undefined],
      ].sort(),
    );
    // Ingestion and queries from outside go through the authenticating gateway, never to a backend.
    for (const backend of RING_SERVICES) expect(on(stack, INGRESS, backend).some((r) => r.referenced_security_group_id === sg("alb")), backend).toBe(false);
    // Alloy has no ALB path and is not the default service.
    expect(on(stack, INGRESS, "alloy").some((r) => r.referenced_security_group_id === sg("alb"))).toBe(false);
  });

  it("WHEN synthesized THEN each ALB-fronted service accepts its HTTP port from the ALB group", () => {
    for (const [name, port] of [["gateway", 8080], ["grafana", 3000]] as const) {
      expect(rule(stack, INGRESS, `${name}_from_alb_http`)).toMatchObject({ security_group_id: sg(name), referenced_security_group_id: sg("alb"), from_port: port });
    }
  });

  it("WHEN synthesized THEN every group-to-group ingress rule has the matching egress rule on the sender", () => {
    const egress = rules(stack, EGRESS);
    const referenced = rules(stack, INGRESS).filter((r) => r.referenced_security_group_id);
    expect(referenced.length).toBeGreaterThan(20);
    for (const r of referenced) {
      const match = egress.find(
        (e) => e.security_group_id === r.referenced_security_group_id && e.referenced_security_group_id === r.security_group_id && e.from_port === r.from_port && e.ip_protocol === r.ip_protocol,
      );
      expect(match, r.id).toBeDefined();
    }
  });

  it("WHEN synthesized THEN consumers reach their producers on the producers' ports (CONSUMERS table)", () => {
    expect(rule(stack, INGRESS, "loki_from_alloy_http")).toMatchObject({ security_group_id: sg("loki"), referenced_security_group_id: sg("alloy"), from_port: 3100 });
    expect(rule(stack, INGRESS, "tempo_from_alloy_otlp_grpc")).toMatchObject({ referenced_security_group_id: sg("alloy"), from_port: 4317 });
    expect(rule(stack, INGRESS, "mimir_from_tempo_http")).toMatchObject({ referenced_security_group_id: sg("tempo"), from_port: 9009 });
    // Grafana's datasources go through the gateway (issue 26): its only service egress is the gateway's HTTP port.
    expect(rule(stack, EGRESS, "grafana_to_gateway_http")).toMatchObject({ security_group_id: sg("grafana"), referenced_security_group_id: sg("gateway"), from_port: 8080 });
    expect(rule(stack, INGRESS, "loki_from_alloy_http").description).toContain("log push");
  });

  it("WHEN synthesized THEN memberlist TCP and UDP are open only within each ring member's own group", () => {
    const memberlist = [...rules(stack, INGRESS), ...rules(stack, EGRESS)].filter((r) => r.from_port === s.memberlist_port);
    const seen = memberlist.map((r) => {
      // Only from/to the group itself: a component joins only its own ring.
      expect(r.referenced_security_group_id, r.id).toBe(r.security_group_id);
      return `${r.security_group_id} ${r.ip_protocol}`;
    });
    const expected = RING_SERVICES.flatMap((n) => [`${sg(n)} tcp`, `${sg(n)} udp`]);
    // One ingress and one egress per protocol and ring member.
    expect([...new Set(seen)].sort()).toEqual(expected.sort());
    expect(memberlist).toHaveLength(RING_SERVICES.length * 4);
    expect(rule(stack, INGRESS, "mimir_from_self_memberlist_udp")).toMatchObject({ ip_protocol: "udp", from_port: 7946 });
    for (const name of ["grafana", "alloy"]) expect(memberlist.some((r) => r.security_group_id === sg(name))).toBe(false);
  });

  it("WHEN synthesized THEN ring members reach their own HTTP and gRPC ports, and nobody else's through the ring rules", () => {
    expect(rule(stack, INGRESS, "mimir_from_self_grpc")).toMatchObject({ referenced_security_group_id: sg("mimir"), from_port: 9095 });
    expect(rule(stack, INGRESS, "pyroscope_from_self_grpc")).toMatchObject({ from_port: 4041 });
    expect(rule(stack, EGRESS, "loki_to_self_http")).toMatchObject({ referenced_security_group_id: sg("loki"), from_port: 3100 });
    expect(rules(stack, INGRESS).some((r) => r.id.startsWith("grafana_from_self"))).toBe(false);
    // Alloy's only rule from its own group is the self-monitoring scrape of its HTTP port (one task scrapes itself).
    expect(rules(stack, INGRESS).filter((r) => r.id.startsWith("alloy_from_self")).map((r) => [r.id, r.from_port])).toEqual([["alloy_from_self_http", 12345]]);
  });

  it("WHEN synthesized with no alloy.otlp_senders THEN nobody reaches Alloy's OTLP receivers (no rule on 4317/4318); Tempo's only from Alloy and the gateway", () => {
    expect(s.alloy.otlp_senders).toEqual({ cidrs: {}, security_groups: {} });
    const otlp = rules(stack, INGRESS).filter((r) => [4317, 4318].includes(r.from_port));
    expect(on(stack, INGRESS, "alloy").filter((r) => [4317, 4318].includes(r.from_port))).toEqual([]);
    expect(otlp.filter((r) => r.cidr_ipv4 !== undefined)).toEqual([]);
    expect(otlp.map((r) => r.id).sort()).toEqual(["tempo_from_alloy_otlp_grpc", "tempo_from_gateway_otlp_http"]);
  });

  it("WHEN synthesized THEN no backend admits the VPC CIDR any more: in-VPC clients reach only the gateway's HTTP port", () => {
    const fromVpc = rules(stack, INGRESS).filter((r) => r.cidr_ipv4 === VPC_CIDR);
    expect(fromVpc.map((r) => [r.id, r.from_port])).toEqual([["gateway_from_vpc_http", 8080]]);
    expect(rule(stack, INGRESS, "gateway_from_vpc_http").description).toContain("http://gateway.lgtm.local:8080");
    for (const backend of RING_SERVICES) expect(on(stack, INGRESS, backend).filter((r) => r.cidr_ipv4 !== undefined), backend).toEqual([]);
  });

  it("WHEN synthesized THEN each backend admits only the gateway, Alloy, its own ring peers and Tempo's metrics generator (Mimir): no longer Grafana", () => {
    const allowed: Record<string, string[]> = {
      mimir: ["alloy", "gateway", "mimir", "tempo"],
      loki: ["alloy", "gateway", "loki"],
      tempo: ["alloy", "gateway", "tempo"],
      pyroscope: ["alloy", "gateway", "pyroscope"], // Alloy: self-monitoring scrape (issue 19)
    };
    for (const backend of RING_SERVICES) {
      const from = [...new Set(on(stack, INGRESS, backend).map((r) => String(r.referenced_security_group_id).replace(/^\$\{aws_security_group\.(.*)_sg\.id\}$/, "$1")))].sort();
      expect(from, backend).toEqual(allowed[backend]);
    }
  });

  it("WHEN synthesized THEN Grafana reaches no backend port at all (least privilege): its service egress is the gateway's HTTP port, plus HTTPS and its database", () => {
    const grafanaEgress = on(stack, EGRESS, "grafana").map((r) => [r.id, r.referenced_security_group_id ?? r.cidr_ipv4, r.from_port]);
    expect(grafanaEgress.sort()).toEqual(
      [
        ["grafana_to_gateway_http", sg("gateway"), 8080],
        ["grafana_to_anywhere_https", "0.0.0.0/0", 443],
        ["grafana_to_grafana_efs_nfs", sg("grafana_efs"), 2049],
      ].sort(),
    );
    for (const backend of RING_SERVICES) expect(on(stack, INGRESS, backend).filter((r) => r.referenced_security_group_id === sg("grafana")), backend).toEqual([]);
    expect(rule(stack, INGRESS, "gateway_from_grafana_http")).toMatchObject({ referenced_security_group_id: sg("grafana"), from_port: 8080 });
    expect(rule(stack, INGRESS, "gateway_from_grafana_http").description).toContain("datasources");
  });

  it("WHEN synthesized THEN the only egress to a CIDR is HTTPS, one rule per task group and none on the ALB", () => {
    const toCidr = rules(stack, EGRESS).filter((r) => r.cidr_ipv4 !== undefined);
    expect(toCidr.map((r) => r.id).sort()).toEqual([...SERVICE_NAMES, "cache"].map((n) => `${n}_to_anywhere_https`).sort());
    for (const r of toCidr) expect(r).toMatchObject({ cidr_ipv4: "0.0.0.0/0", ip_protocol: "tcp", from_port: 443, to_port: 443 });
  });

  it("WHEN synthesized THEN it publishes the ALB group and a task group per service", () => {
    expect(Object.keys(stack.output ?? {}).sort()).toEqual(Object.keys(LAYER_OUTPUTS["20-security"]).sort());
    expect(stack.output?.alb_security_group_id.value).toBe(sg("alb"));
    expect(stack.output?.task_security_group_ids.value).toEqual(Object.fromEntries(SERVICE_NAMES.map((n) => [n, sg(n)])));
  });

  it("WHEN synthesized THEN it holds ten groups (the ALB, the endpoints, one per service) and exactly the rules above, none more", () => {
    expect(inventoryOf(stack)).toEqual({
      "aws_security_group": 10,
      "aws_vpc_security_group_egress_rule": 43, // Grafana → the gateway only, not the four backends (issue 26)
      "aws_vpc_security_group_ingress_rule": 38, // no OTLP rules from the VPC into Alloy (alloy.otlp_senders is empty); Grafana into the gateway only
      "data.terraform_remote_state": 1,
    });
  });
});

describe("GIVEN dev settings", () => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(await shipped("dev"), "20-security");
  });

  it("WHEN synthesized THEN groups are named for dev and the rules match prod's catalog", () => {
    expect(resourcesOf(stack, "aws_security_group").alb_sg.name).toBe("lgtm-dev-alb");
    expect(rule(stack, INGRESS, "loki_from_alloy_http").from_port).toBe(3100);
    expect(stack.data?.terraform_remote_state.network).toMatchObject({ config: { key: "dev/10-network/terraform.tfstate" } });
  });

  it("WHEN synthesized THEN it holds nine groups (no endpoint group) and exactly the rules of prod's catalog without the endpoints', none more", () => {
    expect(inventoryOf(stack)).toEqual({
      "aws_security_group": 9,
      "aws_vpc_security_group_egress_rule": 40,
      "aws_vpc_security_group_ingress_rule": 35,
      "data.terraform_remote_state": 1,
    });
  });
});

describe("GIVEN services.loki.http_port = 3101", () => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(await settingsWith({ services: { loki: { http_port: 3101 } } }), "20-security");
  });

  it("WHEN synthesized THEN the gateway→Loki, Alloy→Loki and Loki ring rules all use 3101", () => {
    expect(rule(stack, INGRESS, "loki_from_gateway_http").from_port).toBe(3101);
    expect(rule(stack, EGRESS, "gateway_to_loki_http").from_port).toBe(3101);
    expect(rule(stack, INGRESS, "loki_from_alloy_http")).toMatchObject({ from_port: 3101, to_port: 3101 });
    expect(rule(stack, EGRESS, "alloy_to_loki_http").from_port).toBe(3101);
    expect(rule(stack, INGRESS, "loki_from_self_http").from_port).toBe(3101);
  });

  it("WHEN synthesized THEN no rule is left on the old port 3100", () => {
    const old = [...rules(stack, INGRESS), ...rules(stack, EGRESS)].filter((r) => r.from_port === 3100 || r.to_port === 3100);
    expect(old.map((r) => r.id)).toEqual([]);
  });
});

describe("GIVEN memberlist_port = 7950 and otlp.grpc_port = 14317", () => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(await settingsWith({ memberlist_port: 7950, otlp: { grpc_port: 14317 } }), "20-security");
  });

  it("WHEN synthesized THEN the ring and OTLP rules follow the settings", () => {
    expect(rule(stack, INGRESS, "tempo_from_self_memberlist_udp").from_port).toBe(7950);
    expect(rule(stack, EGRESS, "mimir_to_self_memberlist_tcp").from_port).toBe(7950);
    expect(rule(stack, INGRESS, "tempo_from_alloy_otlp_grpc").from_port).toBe(14317);
    const stale = [...rules(stack, INGRESS), ...rules(stack, EGRESS)].filter((r) => [7946, 4317].includes(r.from_port));
    expect(stale).toEqual([]);
  });
});

describe("GIVEN alloy.otlp_senders with a sender network, two names for one network and a sender security group", () => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(
      await settingsWith({
        otlp: { grpc_port: 14317 },
        alloy: {
          otlp_senders: {
            cidrs: { app_subnets: "10.40.8.0/22", "batch.jobs": "10.40.8.0/22" },
            security_groups: { orders_api: "sg-0123456789abcdef0" },
          },
        },
      }),
      "20-security",
    );
  });

  it("WHEN synthesized THEN Alloy's two OTLP ports admit exactly those senders, one rule per sender and port, and the VPC not", () => {
    const otlp = on(stack, INGRESS, "alloy").filter((r) => [14317, 4318].includes(r.from_port));
    expect(otlp.map((r) => [r.id, r.cidr_ipv4 ?? r.referenced_security_group_id, r.from_port]).sort()).toEqual(
      [
        ["alloy_from_sender_app_subnets_otlp_grpc", "10.40.8.0/22", 14317],
        ["alloy_from_sender_app_subnets_otlp_http", "10.40.8.0/22", 4318],
        ["alloy_from_sender_orders_api_otlp_grpc", "sg-0123456789abcdef0", 14317],
        ["alloy_from_sender_orders_api_otlp_http", "sg-0123456789abcdef0", 4318],
      ].sort(),
    );
    expect(rule(stack, INGRESS, "alloy_from_sender_app_subnets_otlp_grpc").description).toContain("alloy.otlp_senders.cidrs.batch.jobs");
    expect(rule(stack, INGRESS, "alloy_from_sender_orders_api_otlp_http").description).toContain("alloy.otlp_senders.security_groups.orders_api");
    expect(rules(stack, INGRESS).filter((r) => r.cidr_ipv4 === VPC_CIDR).map((r) => r.id)).toEqual(["gateway_from_vpc_http"]);
  });
});

describe("GIVEN alloy.otlp_senders naming every address or a malformed group", () => {
  it("WHEN loaded THEN each is refused naming the file, the key and what was expected", async () => {
    await expect(settingsWith({ alloy: { otlp_senders: { cidrs: { everyone: "0.0.0.0/0" } } } })).rejects.toThrow(
      /environments\/prod\.tfvars: alloy\.otlp_senders\.cidrs\.everyone: "0\.0\.0\.0\/0" admits every address; expected the senders' own network/,
    );
    await expect(settingsWith({ alloy: { otlp_senders: { security_groups: { api: "sg-12" } } } })).rejects.toThrow(
      /environments\/prod\.tfvars: alloy\.otlp_senders\.security_groups\.api: expected a security group id such as "sg-0123456789abcdef0"/,
    );
  });
});

describe("GIVEN a certificate, ingest CIDRs (one repeating a UI CIDR) and a peered network", () => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(
      await settingsWith({
        load_balancer: {
          certificate_arn: "arn:aws:acm:ap-northeast-2:111111111111:certificate/0a1b2c3d",
          ui_allowed_cidrs: { office: "203.0.113.0/24" },
          ingest_allowed_cidrs: { "office-again": "203.0.113.0/24", "ci.runners": "198.51.100.0/24" },
          internal_client_cidrs: { peer: "172.16.0.0/16" },
        },
      }),
      "20-security",
    );
  });

  it("WHEN synthesized THEN the ALB accepts 80 and 443 from each distinct CIDR, one rule per CIDR and port", () => {
    const ingress = on(stack, INGRESS, "alb").map((r) => [r.id, r.cidr_ipv4, r.from_port]);
    expect(ingress.sort()).toEqual(
      [
        // prod.tfvars' own entry stays: named CIDR maps are deep-merged.
        ["alb_from_ui_anywhere_http", "0.0.0.0/0", 80],
        ["alb_from_ui_anywhere_https", "0.0.0.0/0", 443],
        ["alb_from_ui_office_http", "203.0.113.0/24", 80],
        ["alb_from_ui_office_https", "203.0.113.0/24", 443],
        ["alb_from_ingest_ci_runners_http", "198.51.100.0/24", 80],
        ["alb_from_ingest_ci_runners_https", "198.51.100.0/24", 443],
      ].sort(),
    );
  });

  it("WHEN a CIDR is listed twice THEN its one rule names both entries", () => {
    const d = rule(stack, INGRESS, "alb_from_ui_office_https").description;
    expect(d).toContain("load_balancer.ui_allowed_cidrs.office");
    expect(d).toContain("load_balancer.ingest_allowed_cidrs.office-again");
  });

  it("WHEN synthesized THEN the peered network reaches the gateway's HTTP port only: no backend, not Alloy's OTLP receivers", () => {
    const fromPeer = rules(stack, INGRESS).filter((r) => r.cidr_ipv4 === "172.16.0.0/16");
    expect(fromPeer.map((r) => r.id)).toEqual(["gateway_from_internal_peer_http"]);
    expect(rule(stack, INGRESS, "gateway_from_internal_peer_http").description).toContain("load_balancer.internal_client_cidrs.peer");
  });
});

describe("GIVEN alloy as the listener's default service", () => {
  it("WHEN synthesized THEN the ALB reaches alloy's HTTP port, and grafana (no ALB path) no longer", async () => {
    const stack = synthLayer(await settingsWith({ load_balancer: { default_service: "alloy" } }), "20-security");
    expect(rule(stack, EGRESS, "alb_to_alloy_http").from_port).toBe(12345);
    expect(resourcesOf(stack, EGRESS).alb_to_grafana_http).toBeUndefined();
  });
});
