import { describe, expect, it } from "vitest";
import { listEnvironments, loadSettings, servedHealthPaths } from "../settings";
import { BAD_VALUES } from "./support/bad-settings";
import { loadError, overrideError, settingsWith, shipped } from "./support/settings";
import { resourceOf, resourcesOf, synthLayer } from "./support/synth";
import { healthCheckPath } from "../settings/catalog";
import { albName, alertsTopicArn, alertsTopicName, clusterName, ecrRepositoryName, executionRoleName, grafanaFileSystemName, logGroupName, partitionOf, ringClusterLabel, securityGroupName, taskFamily, taskRoleName } from "../settings/names";
import type { Settings } from "../settings";


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
  // Each case (test/support/bad-settings.ts, also run through the launcher): the problem line the user sees.
  it.each(BAD_VALUES.map((c) => [c.what, c] as const))("WHEN it has %s THEN loading fails naming the file and key", async (_what, c) => {
    const message = await loadError(await c.files());
    expect(message).toContain(c.expected);
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

  it("WHEN a transition falls on the day the earliest objects expire THEN it is refused at that day and loads one day earlier", async () => {
    // prod: Tempo keeps 7 days + the 30-day margin = expires at day 37; Pyroscope (30 + 30) at day 60.
    const at = (days: number) => ({ storage: { transitions: [{ days, storage_class: "GLACIER_IR" }] } });
    expect(await overrideError(at(37))).toContain("storage.transitions[0].days: tempo objects expire after 37 days (services.tempo.retention_days 7 + storage.lifecycle_margin_days 30), so S3 cannot move them to GLACIER_IR at day 37");
    const s = await settingsWith(at(36));
    expect(s.storage.transitions).toEqual([{ days: 36, storage_class: "GLACIER_IR" }]);
    // The synth takes it: the bucket's lifecycle no longer refuses what the settings let through.
    expect(() => synthLayer(s, "30-storage")).not.toThrow();
    // Only transitions past an expiry are named, each by its own index.
    const two = await overrideError({ storage: { transitions: [{ days: 36, storage_class: "STANDARD_IA" }, { days: 61, storage_class: "GLACIER_IR" }] } });
    expect(two).toContain("storage.transitions[1].days: tempo objects expire after 37 days");
    expect(two).not.toContain("storage.transitions[0]");
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

describe("GIVEN the names every layer derives from project and environment (settings/names.ts)", () => {
  it("WHEN derived for lgtm prod THEN each carries the prefix and its own suffix, and the partition follows the region", () => {
    const s = { project: "lgtm", env: "prod" };
    expect([clusterName(s), taskFamily(s, "loki"), taskFamily(s, "memcached"), executionRoleName(s), taskRoleName(s, "mimir"), securityGroupName(s, "alb")]).toEqual([
      "lgtm-prod-cluster",
      "lgtm-prod-loki",
      "lgtm-prod-memcached",
      "lgtm-prod-task-execution",
      "lgtm-prod-mimir-task",
      "lgtm-prod-alb",
    ]);
    // Log groups and repositories are per project, shared by its environments' tasks.
    expect([logGroupName(s, "grafana"), ecrRepositoryName(s, "gateway")]).toEqual(["/ecs/lgtm-grafana", "lgtm-gateway"]);
    expect(["ap-northeast-2", "cn-north-1", "us-gov-west-1", "us-east-1"].map(partitionOf)).toEqual(["aws", "aws-cn", "aws-us-gov", "aws"]);
    // The load balancer, Grafana's file system, each ring's gossip label and the alerts topic.
    expect([albName(s), grafanaFileSystemName(s), ringClusterLabel(s, "tempo"), alertsTopicName(s)]).toEqual(["lgtm-prod-alb", "lgtm-prod-grafana", "lgtm-prod-tempo", "lgtm-prod-alerts"]);
  });

  it("WHEN the alerts topic's ARN is derived before the topic exists THEN it is the partition, region, first allowed account and topic name", () => {
    const arn = (region: string) => alertsTopicArn({ project: "lgtm", env: "prod", aws: { region, allowed_account_ids: ["111111111111", "222222222222"] } } as unknown as Settings);
    expect(arn("ap-northeast-2")).toBe("arn:aws:sns:ap-northeast-2:111111111111:lgtm-prod-alerts");
    expect(arn("cn-north-1")).toBe("arn:aws-cn:sns:cn-north-1:111111111111:lgtm-prod-alerts");
  });
});
