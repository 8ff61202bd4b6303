import { describe, expect, it } from "vitest";
import { listEnvironments, loadSettings, servedHealthPaths } from "../settings";
import { loadError, overrideError, settingsWith, shipped, shippedFile } from "./support/settings";
import { resourceOf, resourcesOf, synthLayer } from "./support/synth";
import { healthCheckPath } from "../settings/catalog";

const common = () => shippedFile("common.tfvars");
const prodFile = () => shippedFile("prod.tfvars");

describe("GIVEN the shipped environments", () => {
  it("WHEN listed THEN prod and dev are found", () => {
    expect(listEnvironments()).toEqual(["dev", "prod"]);
  });

  it("WHEN prod is loaded THEN it carries the seed values", async () => {
    const s = await loadSettings("prod");
    expect(s.env).toBe("prod");
    expect(s.aws.region).toBe("ap-northeast-2");
    expect(s.project).toBe("lgtm");
    expect(s.tenant_id).toBe("jsj-lgtm-header");
    expect(s.storage_prefixes).toEqual({
      mimir_blocks: "blocks",
      mimir_ruler: "rules",
      mimir_alertmanager: "alerts",
      loki: "loki",
      tempo: "tempo",
      pyroscope: "pyroscope",
    });
    const sizes = Object.fromEntries(
      Object.entries(s.services).map(([name, v]) => [name, [v.cpu, v.memory, v.desired_count, v.http_port]]),
    );
    expect(sizes).toEqual({
      mimir: [2048, 4096, 3, 9009],
      // Loki and Pyroscope run 3 tasks, not the seed's 2 and 1: 3 copies keep a write quorum through a task or AZ loss (issue 12).
      loki: [1024, 2048, 3, 3100],
      tempo: [1024, 2048, 1, 3200],
      pyroscope: [1024, 2048, 3, 4040],
      grafana: [512, 1024, 1, 3000],
      alloy: [512, 1024, 1, 12345],
      // The authenticating gateway (issue 18): stateless, two tasks.
      gateway: [256, 512, 2, 8080],
    });
    expect([s.memberlist_port, s.otlp.grpc_port, s.otlp.http_port]).toEqual([7946, 4317, 4318]);
    expect(s.network.nat_gateways).toBe("per_az");
  });

  it("WHEN dev is loaded THEN it differs where it should: one NAT, fewer tasks, Spot for stateless services", async () => {
    const [prod, dev] = [await loadSettings("prod"), await loadSettings("dev")];
    expect(dev.network.nat_gateways).toBe("single");
    expect(dev.services.mimir.desired_count).toBeLessThan(prod.services.mimir.desired_count);
    expect(dev.services.grafana.spot_weight).toBeGreaterThan(0);
    expect(dev.services.alloy.spot_weight).toBeGreaterThan(0);
    expect(dev.services.mimir.spot_weight).toBe(0);
  });

  it("WHEN an environment file sets one key of a map THEN the other keys of the map are kept (deep merge)", async () => {
    const dev = await loadSettings("dev");
    // dev.tfvars sets services.mimir.{cpu,memory,desired_count,retention_days} only.
    expect(dev.services.mimir.image).toBe("grafana/mimir");
    expect(dev.services.mimir.ephemeral_storage_gib).toBe(40);
    // dev.tfvars sets services.gateway.{desired_count,spot_weight} only: the routes stay common's.
    expect(dev.services.gateway.alb_paths).toEqual(["/api/v1/push", "/otlp/*", "/prometheus/*", "/loki/*", "/tempo/*", "/pyroscope/*"]);
    expect(dev.services.mimir.cpu).toBe(1024);
  });

  it("WHEN settings are loaded THEN the result is frozen so no stack can change it", async () => {
    const s = await loadSettings("prod");
    expect(Object.isFrozen(s.services.mimir)).toBe(true);
  });

  it("WHEN a health check is derived THEN it follows each component's prefix mode", () => {
    expect(servedHealthPaths("pyroscope", "/pyroscope")).toEqual(["/pyroscope/ready"]);
    expect(servedHealthPaths("tempo", "/tempo")).toEqual(["/ready"]);
    expect(servedHealthPaths("mimir", "")).toEqual(["/ready"]);
    expect(servedHealthPaths("grafana", "")).toEqual(["/api/health"]);
  });
});

describe("GIVEN a bad settings file", () => {
  // Each case: the change, and the exact problem line the user sees.
  const cases: [string, Record<string, unknown>, string][] = [
    ["a misspelt top-level key", { projet: "x" }, `environments/prod.tfvars: projet: unknown key "projet"; did you mean "project"?`],
    ["a misspelt service", { services: { grafna: { cpu: 256 } } }, `environments/prod.tfvars: services.grafna: unknown key "grafna"; did you mean "grafana"?`],
    ["a misspelt service field", { services: { loki: { http_prot: 3100 } } }, `environments/prod.tfvars: services.loki.http_prot: unknown key "http_prot"; did you mean "http_port"?`],
    ["a port as a string", { services: { loki: { http_port: "3100" } } }, `environments/prod.tfvars: services.loki.http_port: expected a port number (1-65535), got "3100"`],
    ["a port out of range", { memberlist_port: 70000 }, `environments/prod.tfvars: memberlist_port: expected a port number (1-65535), got 70000`],
    ["a Fargate CPU that does not exist", { services: { loki: { cpu: 3000 } } }, `environments/prod.tfvars: services.loki.cpu: Fargate does not offer 3000 CPU units; expected one of 256, 512, 1024, 2048, 4096, 8192, 16384 (1024 = 1 vCPU)`],
    ["a memory that does not fit the CPU", { services: { mimir: { memory: 2048 } } }, `environments/prod.tfvars: services.mimir.memory: Fargate does not offer 2048 MiB with 2048 CPU units; expected 4096 to 16384 in steps of 1024`],
    ["a subnet outside the VPC", { network: { private_subnet_cidrs: ["10.40.16.0/20", "10.99.0.0/20"] } }, `environments/prod.tfvars: network.private_subnet_cidrs[1]: 10.99.0.0/20 does not fit in network.vpc_cidr 10.40.0.0/16`],
    ["overlapping subnets", { network: { private_subnet_cidrs: ["10.40.16.0/20", "10.40.0.0/23"] } }, `environments/prod.tfvars: network.private_subnet_cidrs[1]: 10.40.0.0/23 overlaps network.public_subnet_cidrs[0] (10.40.0.0/24)`],
    ["one availability zone", { network: { availability_zones: ["ap-northeast-2a"], public_subnet_cidrs: ["10.40.0.0/24"], private_subnet_cidrs: ["10.40.16.0/20"] } }, `environments/prod.tfvars: network.availability_zones: expected at least 2 availability zones (an ALB needs subnets in two AZs, and prod must survive an AZ loss), got 1`],
    ["an AZ of another region", { network: { availability_zones: ["ap-northeast-2a", "us-east-1b"] } }, `environments/prod.tfvars: network.availability_zones[1]: "us-east-1b" is not in aws.region "ap-northeast-2"`],
    ["a malformed CIDR", { network: { vpc_cidr: "10.40.0.0/33" } }, `environments/prod.tfvars: network.vpc_cidr: expected an IPv4 CIDR such as "10.0.0.0/16", got "10.40.0.0/33"`],
    ["the seed's /tempo/ready health check", { services: { tempo: { health_check_path: "/tempo/ready" } } }, `environments/prod.tfvars: services.tempo.health_check_path: Tempo applies path_prefix only to its /api routes (http_api_prefix) and serves /ready at the root, so "/tempo/ready" never turns healthy; expected "/ready" (or omit health_check_path to derive it)`],
    ["a Pyroscope health check outside its prefix", { services: { pyroscope: { health_check_path: "/ready" } } }, `environments/prod.tfvars: services.pyroscope.health_check_path: pyroscope mounts every route under path_prefix "/pyroscope", so "/ready" is not served; expected "/pyroscope/ready" (or omit health_check_path to derive it)`],
    ["Pyroscope without a prefix, which the gateway routes by", { services: { pyroscope: { path_prefix: "" } } }, `environments/prod.tfvars: services.pyroscope.path_prefix: the gateway routes profiles by Pyroscope's path prefix; without one Pyroscope serves at "/"`],
    ["an ALB path claimed twice", { services: { grafana: { alb_paths: ["/loki/*"] } } }, `environments/common.tfvars: services.gateway.alb_paths[3]: "/loki/*" is already routed to grafana`],
    ["an ALB path the service does not serve", { services: { loki: { alb_paths: ["/tempo/*"] } } }, `environments/prod.tfvars: services.loki.alb_paths[0]: "/tempo/*" reaches no route loki serves with path_prefix "" (it serves /loki/api, /otlp/v1/logs, /api/prom)`],
    ["duplicate ports in one task", { services: { tempo: { grpc_port: 4317 } } }, `environments/common.tfvars: otlp.grpc_port: port 4317 is already used by services.tempo.grpc_port in the tempo task; each port in a task must be distinct`],
    ["an unknown default service", { load_balancer: { default_service: "grafna" } }, `environments/prod.tfvars: load_balancer.default_service: unknown service "grafna"; did you mean "grafana"? (expected one of mimir, loki, tempo, pyroscope, grafana, alloy, gateway)`],
    ["a Glacier transition", { storage: { transitions: [{ days: 90, storage_class: "GLACIER" }] } }, `environments/prod.tfvars: storage.transitions[0].storage_class: GLACIER objects must be restored before they can be read, so Mimir, Loki, Tempo and Pyroscope queries over that range would fail (seed 003's Glacier-after-90-days breaks 1-year queries)`],
    ["a storage prefix used twice", { storage_prefixes: { tempo: "loki" } }, `environments/prod.tfvars: storage_prefixes.tempo: "loki" is also storage_prefixes.loki; each component needs its own prefix or they read each other's objects`],
    ["a storage prefix with a slash", { storage_prefixes: { loki: "logs/loki" } }, `environments/prod.tfvars: storage_prefixes.loki: expected a single S3 key segment of lowercase letters, digits and '-' (no slashes), got "logs/loki"`],
    ["Spot for Mimir in prod", { services: { mimir: { spot_weight: 2 } } }, `environments/prod.tfvars: services.mimir.spot_weight: mimir holds recent data in memory and on local disk; a Spot interruption of several tasks at once can lose it. Set spot_weight = 0, or accept_risks.spot_for_stateful = true for an environment that can lose data`],
    ["a name over the ALB limit", { project: "observability-xy" }, `environments/prod.tfvars: project: the target-group name "observability-xy-prod-pyroscope-xxxx" would be 36 characters; AWS allows 32. Shorten project or the environment name`],
    ["an account id that is a number", { aws: { allowed_account_ids: [111111111111] } }, `environments/prod.tfvars: aws.allowed_account_ids[0]: expected a 12-digit AWS account id in quotes, got 111111111111`],
    ["an ephemeral storage over Fargate's limit", { services: { loki: { ephemeral_storage_gib: 300 } } }, `environments/prod.tfvars: services.loki.ephemeral_storage_gib: Fargate task ephemeral storage is 21-200 GiB, got 300`],
    ["a log retention CloudWatch does not offer", { logs: { retention_days: 10 } }, `environments/prod.tfvars: logs.retention_days: expected a CloudWatch retention: one of 1, 3, 5, 7, 14, 30,`],
    ["a Grafana path prefix", { services: { grafana: { path_prefix: "/grafana" } } }, `environments/prod.tfvars: services.grafana.path_prefix: grafana is served from the root and does not take a path prefix; set it to ""`],
  ];

  it.each(cases)("WHEN it has %s THEN loading fails naming the file and key", async (_what, override, expected) => {
    const message = await overrideError(override as never);
    expect(message).toContain(expected);
  });

  it("WHEN common.tfvars sets the bad value THEN the error names common.tfvars", async () => {
    const message = await loadError({
      "common.tfvars": common().replace("memberlist_port = 7946", "memberlist_port = 0"),
      "prod.tfvars": prodFile(),
    });
    expect(message).toContain("environments/common.tfvars: memberlist_port: expected a port number (1-65535), got 0");
  });

  it("WHEN a required key is in neither file THEN the error names both files", async () => {
    const message = await loadError({
      "common.tfvars": common().replace(/tenant_id = .*\n/, ""),
      "prod.tfvars": prodFile(),
    });
    expect(message).toContain("environments/common.tfvars or environments/prod.tfvars: tenant_id: is required but set in neither file (expected a tenant id in quotes)");
  });

  it("WHEN the file is not valid HCL THEN the error names the file and the line", async () => {
    const message = await loadError({ "common.tfvars": common(), "prod.tfvars": `${prodFile()}\nservices = {\n  loki = \n}\n` });
    expect(message).toMatch(/environments\/prod\.tfvars: not valid HCL: environments\/prod\.tfvars:\d+,\d+-\d+,\d+: Invalid expression/);
  });

  it("WHEN a value is an expression THEN the error asks for a literal", async () => {
    const message = await loadError({ "common.tfvars": common(), "prod.tfvars": prodFile().replace('"jsj-lgtm-prod-tfstate"', '"${var.bucket}"') });
    expect(message).toContain('environments/prod.tfvars: state_backend.bucket: expressions are not evaluated in settings files; write a literal value instead of "${var.bucket}"');
  });

  it("WHEN several things are wrong THEN every problem is reported at once", async () => {
    const message = await overrideError({ memberlist_port: 0, services: { loki: { cpu: "1 vCPU" } } });
    expect(message).toMatch(/^invalid settings \(2 problems\):/);
  });

  it("WHEN a backend has no retention THEN the error says what to set", async () => {
    const message = await loadError({ "common.tfvars": common().replace("    retention_days = 7\n", ""), "prod.tfvars": prodFile() });
    expect(message).toContain("services.tempo.retention_days: tempo keeps data in S3; set how many days it is kept");
  });

  it("WHEN the environment does not exist THEN the error lists the known ones and suggests the closest", async () => {
    await expect(loadSettings("prd")).rejects.toThrow('environments/prd.tfvars: unknown environment "prd": no such file; did you mean "prod"? (known environments: dev, prod)');
  });

  it("WHEN the environment name cannot be used in resource names THEN it is refused", async () => {
    await expect(loadSettings("Prod_1")).rejects.toThrow('environment name "Prod_1" must be 1-10 lowercase letters or digits');
  });
});

describe("GIVEN valid changes to the settings", () => {
  it("WHEN Alloy's health check is set to the other path it serves THEN it loads and the health checks use it instead of the derived one", async () => {
    const prod = await shipped("prod");
    const derived = healthCheckPath(prod, "alloy");
    const other = servedHealthPaths("alloy", prod.services.alloy.path_prefix).find((p) => p !== derived);
    expect(other, "Alloy serves no second health path to choose").toBeDefined();
    expect(healthCheckPath(await settingsWith({ services: { alloy: { health_check_path: other } } }), "alloy")).toBe(other);
  });

  it("WHEN a readable archive class is used THEN it loads and every live prefix transitions through both classes in order", async () => {
    const transitions = [
      { days: 30, storage_class: "STANDARD_IA" },
      { days: 45, storage_class: "GLACIER_IR" },
    ];
    // Tempo keeps 30 days here: with its 7 (expiring at day 37) its objects would be gone by day 45.
    const stack = synthLayer(await settingsWith({ storage: { transitions }, services: { tempo: { retention_days: 30 } } }), "30-storage");
    const rules = resourceOf(stack, "aws_s3_bucket_lifecycle_configuration", "data").rule as { id: string; transition?: unknown }[];
    const live = rules.filter((r) => r.transition);
    expect(live.map((r) => r.id).sort()).toEqual(["loki-expire", "mimir-blocks-expire", "pyroscope-expire", "tempo-expire"]);
    for (const r of live) expect(r.transition, r.id).toEqual(transitions);
  });

  it("WHEN Spot on a stateful service is explicitly accepted THEN it loads and Loki's service runs on FARGATE_SPOT beside FARGATE", async () => {
    const s = await settingsWith({ accept_risks: { spot_for_stateful: true }, services: { loki: { spot_weight: 1 } } }, "dev");
    const loki = resourcesOf(synthLayer(s, "60-ecs"), "aws_ecs_service").loki_service;
    const providers = (loki.capacity_provider_strategy as { capacity_provider: string; weight: number }[]).map((p) => `${p.capacity_provider}:${p.weight}`);
    expect(providers).toContain("FARGATE_SPOT:1");
    // Without the acceptance the same weight is refused (the rule this setting overrides).
    expect(await overrideError({ services: { loki: { spot_weight: 1 } } }, "dev")).toContain("services.loki.spot_weight");
  });
});
