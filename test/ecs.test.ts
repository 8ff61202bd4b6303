import { beforeAll, describe, expect, it } from "vitest";
import { SERVICE_NAMES, type Settings } from "../settings";
import { LAYER_OUTPUTS } from "../stacks/contract";
import { settingsWith, shipped } from "./support/settings";
import { inventoryOf, resourceOf, resourcesOf, synthLayer, type StackJson } from "./support/synth";
import { albRoute } from "./support/alb";

type Rule = Record<string, any>;

const containers = (stack: StackJson, svc: string) =>
  JSON.parse(resourceOf(stack, "aws_ecs_task_definition", `${svc}_task_definition`).container_definitions) as Record<string, any>[];
const rules = (stack: StackJson): Rule[] => Object.values(resourcesOf(stack, "aws_lb_listener_rule"));
const rulesOf = (stack: StackJson, svc: string): [string, Rule][] =>
  Object.entries(resourcesOf(stack, "aws_lb_listener_rule")).filter(([k]) => k.startsWith(`${svc}_`));
const pathOf = (r: Rule) => r.condition.find((c: Rule) => c.path_pattern).path_pattern.values[0] as string;
const sourcesOf = (r: Rule) => r.condition.find((c: Rule) => c.source_ip)?.source_ip.values as string[] | undefined;
const isDeny = (r: Rule) => r.action[0].type === "fixed-response" && r.action[0].fixed_response.status_code === "403";

const FIVE_CIDRS = {
  office: "203.0.113.0/28",
  vpn: "198.51.100.0/24",
  partner_a: "192.0.2.0/28",
  partner_b: "192.0.2.16/28",
  ci: "192.0.2.32/28",
};

describe("GIVEN prod settings", () => {
  let s: Settings;
  let stack: StackJson;
  beforeAll(async () => {
    s = await shipped("prod");
    stack = synthLayer(s, "60-ecs");
  });

  it("WHEN synthesized THEN the cluster is lgtm-prod-cluster with Container Insights and both Fargate capacity providers", () => {
    const cluster = resourceOf(stack, "aws_ecs_cluster");
    expect(cluster.name).toBe("lgtm-prod-cluster");
    expect(cluster.setting).toEqual([{ name: "containerInsights", value: "enabled" }]);
    expect(resourceOf(stack, "aws_ecs_cluster_capacity_providers").capacity_providers).toEqual(["FARGATE", "FARGATE_SPOT"]);
  });

  it("WHEN synthesized THEN there are seven services (the gateway included), each with one task definition sized from the catalog", () => {
    // Plus prod's memcached query cache (cache.enabled; sized in settings/cache.ts, checked in test/cache.test.ts).
    expect(Object.values(resourcesOf(stack, "aws_ecs_service")).map((x) => x.name).sort()).toEqual([...SERVICE_NAMES, "memcached"].sort());
    expect(Object.keys(resourcesOf(stack, "aws_ecs_task_definition"))).toHaveLength(SERVICE_NAMES.length + 1);
    for (const n of SERVICE_NAMES) {
      const td = resourceOf(stack, "aws_ecs_task_definition", `${n}_task_definition`);
      expect([td.family, td.cpu, td.memory], n).toEqual([`lgtm-prod-${n}`, String(s.services[n].cpu), String(s.services[n].memory)]);
      expect(td.network_mode).toBe("awsvpc");
      expect(td.requires_compatibilities).toEqual(["FARGATE"]);
      // ARM64 where the image is published for it (settings/architecture.ts); Grafana's and nginx's are not confirmed.
      expect(td.runtime_platform).toEqual({ operating_system_family: "LINUX", cpu_architecture: n === "grafana" || n === "gateway" ? "X86_64" : "ARM64" });
      // Sized for what each component keeps on disk (environments/common.tfvars); 21 GiB, Fargate's free default, is not declared.
      const gib = s.services[n].ephemeral_storage_gib;
      expect(td.ephemeral_storage, `${n}: ${gib} GiB`).toEqual(gib > 21 ? { size_in_gib: gib } : undefined);
      expect(resourceOf(stack, "aws_ecs_service", `${n}_service`).task_definition).toBe(`\${aws_ecs_task_definition.${n}_task_definition.arn}`);
    }
    expect(resourceOf(stack, "aws_ecs_task_definition", "mimir_").cpu).toBe("2048");
  });

  it("WHEN synthesized THEN health checks hit paths each component serves", () => {
    const path = (n: string) => resourceOf(stack, "aws_lb_target_group", `${n}_target_group`).health_check.path;
    expect(path("gateway")).toBe("/healthz");
    expect(path("grafana")).toBe("/api/health");
    // The backends are reached only through the gateway, Alloy has no ALB path: no target group for them.
    expect(Object.keys(resourcesOf(stack, "aws_lb_target_group")).sort()).toEqual(["gateway_target_group", "grafana_target_group"]);
  });

  it("WHEN synthesized THEN no task gets a public IP, tasks run in the private subnets, and a failed deploy rolls back", () => {
    for (const svc of Object.values(resourcesOf(stack, "aws_ecs_service"))) {
      expect(svc.network_configuration.assign_public_ip).toBe(false);
      expect(svc.network_configuration.subnets).toBe("${data.terraform_remote_state.network.outputs.private_subnet_ids}");
      // The cache's group is its own output (20-security admits only its consumers into it).
      const group = svc.name === "memcached" ? "cache_security_group_id" : `task_security_group_ids.${svc.name}`;
      expect(svc.network_configuration.security_groups).toEqual([`\${data.terraform_remote_state.security.outputs.${group}}`]);
      expect(svc.deployment_circuit_breaker).toEqual({ enable: true, rollback: true });
      expect(svc.service_registries.registry_arn).toBe(`\${aws_service_discovery_service.${svc.name}_discovery.arn}`);
      expect([svc.propagate_tags, svc.enable_ecs_managed_tags, svc.wait_for_steady_state]).toEqual(["SERVICE", true, false]);
    }
  });

  it("WHEN synthesized THEN prod runs every service on FARGATE only", () => {
    for (const svc of Object.values(resourcesOf(stack, "aws_ecs_service"))) {
      expect(svc.capacity_provider_strategy.map((c: Rule) => c.capacity_provider)).toEqual(["FARGATE"]);
    }
  });

  it("WHEN synthesized THEN the grace period is set only on services with a target group", () => {
    expect(resourceOf(stack, "aws_ecs_service", "gateway_service").health_check_grace_period_seconds).toBe(s.ecs.health_check_grace_period_seconds);
    expect(resourceOf(stack, "aws_ecs_service", "loki_service").health_check_grace_period_seconds).toBeUndefined();
    expect(resourceOf(stack, "aws_ecs_service", "alloy_service").health_check_grace_period_seconds).toBeUndefined();
    expect(resourceOf(stack, "aws_ecs_service", "alloy_service").load_balancer).toBeUndefined();
  });

  it("WHEN synthesized THEN each container starts with tini, has 120 s to stop and logs to /ecs/lgtm-<service>", () => {
    for (const n of SERVICE_NAMES) {
      const [c] = containers(stack, n);
      expect(c.linuxParameters).toEqual({ initProcessEnabled: true });
      expect(c.stopTimeout).toBe(120);
      expect(c.logConfiguration.options).toMatchObject({ "awslogs-group": `/ecs/lgtm-${n}`, "awslogs-region": "ap-northeast-2", "awslogs-stream-prefix": n });
      expect(resourceOf(stack, "aws_cloudwatch_log_group", `${n}_log_group`)).toMatchObject({ name: `/ecs/lgtm-${n}`, retention_in_days: n === "gateway" ? 365 : 7 });
    }
  });

  it("WHEN synthesized THEN container definitions are in the API's form: empty arrays present, environment sorted", () => {
    const json = resourceOf(stack, "aws_ecs_task_definition", "loki_task_definition").container_definitions as string;
    const [c] = JSON.parse(json);
    // The rendered-config volume, then Loki's writable paths (modules/config-delivery), in the API's
    // form; the API returns `readonlyRootFilesystem` only when true.
    expect(c.mountPoints).toEqual([
      { containerPath: "/etc/lgtm", readOnly: true, sourceVolume: "config" },
      { containerPath: "/loki", readOnly: false, sourceVolume: "rw-loki" },
      { containerPath: "/tmp", readOnly: false, sourceVolume: "rw-tmp" },
    ]);
    expect(c.readonlyRootFilesystem).toBe(true);
    expect(c.volumesFrom).toEqual([]);
    expect(c.systemControls).toEqual([]);
    expect(c.essential).toBe(true);
    expect(c.cpu).toBe(0);
    const names = c.environment.map((e: Rule) => e.name);
    expect(names).toEqual([...names].sort());
    expect(c.environment).toEqual([
      { name: "AWS_REGION", value: "ap-northeast-2" },
      { name: "LGTM_S3_BUCKET", value: "${data.terraform_remote_state.storage.outputs.data_bucket_name}" },
      { name: "LGTM_S3_PREFIX_LOKI", value: "loki" },
      { name: "LGTM_TENANT_ID", value: "jsj-lgtm-header" },
    ]);
    // No JSON null anywhere (the API never returns one); "/dev/null" in a command is a string.
    expect(json).not.toMatch(/[:[,]null[,\]}]/);
  });

  it("WHEN synthesized THEN ring members map memberlist on TCP and UDP, and every port maps hostPort = containerPort", () => {
    const [mimir] = containers(stack, "mimir");
    expect(mimir.portMappings).toEqual([
      { containerPort: 9009, hostPort: 9009, protocol: "tcp" },
      { containerPort: 9095, hostPort: 9095, protocol: "tcp" },
      { containerPort: 7946, hostPort: 7946, protocol: "tcp" },
      { containerPort: 7946, hostPort: 7946, protocol: "udp" },
    ]);
    const [grafana] = containers(stack, "grafana");
    expect(grafana.portMappings).toEqual([{ containerPort: 3000, hostPort: 3000, protocol: "tcp" }]);
  });

  it("WHEN synthesized THEN Grafana's admin password and each tenant's gateway READ password (never a write one) come from 40-iam secrets, never from plain environment", () => {
    const [grafana] = containers(stack, "grafana");
    expect(grafana.secrets).toEqual([
      { name: "GF_SECURITY_ADMIN_PASSWORD", valueFrom: "${data.terraform_remote_state.iam.outputs.secret_arns.grafana_admin_password}" },
      { name: "LGTM_GRAFANA_READ_PASSWORD_0", valueFrom: "${data.terraform_remote_state.iam.outputs.secret_arns.gateway_jsj_lgtm_header_read}" },
      { name: "LGTM_GRAFANA_READ_PASSWORD_1", valueFrom: "${data.terraform_remote_state.iam.outputs.secret_arns.gateway_aws_rag_ec2_read}" },
      { name: "LGTM_GRAFANA_READ_PASSWORD_META", valueFrom: "${data.terraform_remote_state.iam.outputs.secret_arns.gateway_meta_read}" },
    ]);
    expect(JSON.stringify(grafana.secrets)).not.toMatch(/_write|_admin\b/);
    expect(grafana.environment.map((e: Rule) => e.name)).not.toContain("GF_SECURITY_ADMIN_PASSWORD");
  });

  it("WHEN synthesized THEN the gateway runs start.sh with each tenant's write and read passwords from their 40-iam secrets, never a plain value", () => {
    const [gateway] = containers(stack, "gateway");
    // Prod pulls ECR Public's nginx through the account's pull-through cache (image_source = "pull_through").
    expect(gateway.image).toBe("${data.aws_caller_identity.account.account_id}.dkr.ecr.ap-northeast-2.amazonaws.com/ecr-public/nginx/nginx:1.28.0");
    expect(gateway.command).toEqual(["sh", "/etc/lgtm/start.sh"]);
    expect(gateway.secrets).toEqual([
      // The self-monitoring tenant's read password: Grafana's self-monitoring datasource reads through the gateway too.
      { name: "LGTM_SELF_MONITORING_READ_PASSWORD", valueFrom: "${data.terraform_remote_state.iam.outputs.secret_arns.gateway_meta_read}" },
      { name: "LGTM_TENANT_READ_PASSWORD_0", valueFrom: "${data.terraform_remote_state.iam.outputs.secret_arns.gateway_jsj_lgtm_header_read}" },
      { name: "LGTM_TENANT_READ_PASSWORD_1", valueFrom: "${data.terraform_remote_state.iam.outputs.secret_arns.gateway_aws_rag_ec2_read}" },
      { name: "LGTM_TENANT_WRITE_PASSWORD_0", valueFrom: "${data.terraform_remote_state.iam.outputs.secret_arns.gateway_jsj_lgtm_header_write}" },
      { name: "LGTM_TENANT_WRITE_PASSWORD_1", valueFrom: "${data.terraform_remote_state.iam.outputs.secret_arns.gateway_aws_rag_ec2_write}" },
    ]);
    expect(JSON.stringify(gateway.environment)).not.toContain("PASSWORD");
  });

  it("WHEN synthesized with no ingest CIDRs THEN every path rule is a 403 and only the catch-all forwards, to Grafana", () => {
    // Every path's 403, the 404 of Grafana's private paths, the catch-all.
    const all = rules(stack).filter((r) => r.tags?.Name !== "grafana private paths");
    const pathCount = SERVICE_NAMES.reduce((n, x) => n + s.services[x].alb_paths.length, 0);
    expect(all).toHaveLength(pathCount + 1);
    expect(rules(stack)).toHaveLength(pathCount + 2);
    const forwarding = all.filter((r) => !isDeny(r));
    expect(forwarding).toHaveLength(1);
    const [catchAll] = forwarding;
    expect(pathOf(catchAll)).toBe("/*");
    expect(catchAll.priority).toBe(50000);
    expect(Math.max(...all.map((r) => r.priority))).toBe(50000);
    const targets = catchAll.action[0].forward.target_group as Rule[];
    // Grafana takes every request; the others are attached (weight 0) so ECS accepts their target groups.
    expect(targets.filter((t) => t.weight > 0)).toEqual([{ arn: "${aws_lb_target_group.grafana_target_group.arn}", weight: 1 }]);
    expect(targets.filter((t) => t.weight === 0)).toEqual([{ arn: "${aws_lb_target_group.gateway_target_group.arn}", weight: 0 }]);
    expect(all.filter(isDeny).map(pathOf).sort()).toEqual(SERVICE_NAMES.flatMap((n) => s.services[n].alb_paths).sort());
  });

  it("WHEN synthesized THEN Grafana's /metrics answers 404 on the public listener, from a rule that outranks every other rule", () => {
    const rule = resourceOf(stack, "aws_lb_listener_rule", "default_service_private_paths");
    expect(rule.condition).toEqual([{ path_pattern: { values: ["/metrics", "/metrics/*"] } }]);
    expect(rule.action).toEqual([{ type: "fixed-response", fixed_response: { content_type: "text/plain", status_code: "404", message_body: "Not found" } }]);
    expect(rule.listener_arn).toBe(resourceOf(stack, "aws_lb_listener_rule", "default_service_catch_all").listener_arn);
    const others = rules(stack).filter((r) => r !== rule);
    expect(rule.priority).toBeLessThan(Math.min(...others.map((r) => r.priority)));
    // Evaluated like the ALB does (first match by priority): /metrics never reaches the catch-all,
    // from anywhere, while Grafana's UI and API still do.
    for (const path of ["/metrics", "/metrics/", "/metrics/x"]) {
      expect(albRoute(stack, { path })?.rule, path).toBe("default_service_private_paths");
      expect(albRoute(stack, { path, sourceIp: "10.40.0.7" })?.rule, path).toBe("default_service_private_paths");
    }
    for (const path of ["/", "/login", "/api/health", "/d/lgtm-stack", "/metricsx"]) {
      expect(albRoute(stack, { path })?.rule, path).toBe("default_service_catch_all");
    }
  });

  it("WHEN synthesized THEN Alloy still scrapes Grafana's /metrics inside the VPC: its own rule into Grafana's tasks, not through the ALB", () => {
    const security = synthLayer(s, "20-security");
    const fromAlloy = Object.entries(resourcesOf(security, "aws_vpc_security_group_ingress_rule")).filter(([k]) => k === "grafana_from_alloy_http");
    expect(fromAlloy).toHaveLength(1);
    expect(fromAlloy[0][1].from_port).toBe(s.services.grafana.http_port);
  });

  it("WHEN synthesized THEN rule priorities are unique and follow the catalog order", () => {
    const priorities = rules(stack).map((r) => r.priority);
    expect(new Set(priorities).size).toBe(priorities.length);
    // The gateway is service 7 in catalog order: 700 + 10 per path + 9 for the 403.
    expect(resourceOf(stack, "aws_lb_listener_rule", "gateway_path0_deny").priority).toBe(709);
    expect(resourceOf(stack, "aws_lb_listener_rule", "gateway_path1_deny").priority).toBe(719);
    expect(resourceOf(stack, "aws_lb_listener_rule", "gateway_path5_deny").priority).toBe(759);
  });

  it("WHEN synthesized THEN services wait for the rules that attach their target groups", () => {
    const gateway = resourceOf(stack, "aws_ecs_service", "gateway_service");
    expect(gateway.depends_on).toEqual(
      expect.arrayContaining(["aws_ecs_cluster_capacity_providers.capacity_providers", "aws_lb_listener_rule.default_service_catch_all"]),
    );
  });

  it("WHEN synthesized THEN target groups are ip/HTTP on the HTTP port, named with a hash suffix and replaced before destroyed", () => {
    const tg = resourceOf(stack, "aws_lb_target_group", "gateway_target_group");
    expect([tg.port, tg.protocol, tg.target_type]).toEqual([8080, "HTTP", "ip"]);
    expect(tg.name).toMatch(/^lgtm-prod-gateway-[0-9a-f]{4}$/);
    expect(tg.lifecycle).toEqual({ create_before_destroy: true });
    expect(tg.health_check.port).toBe("8080");
  });

  it("WHEN synthesized THEN the in-VPC endpoints and every 60-ecs output are published", () => {
    expect(Object.keys(stack.output ?? {}).sort()).toEqual(Object.keys(LAYER_OUTPUTS["60-ecs"]).sort());
    expect(stack.output?.service_endpoints.value).toEqual({
      mimir: "http://mimir.lgtm.local:9009",
      loki: "http://loki.lgtm.local:3100",
      tempo: "http://tempo.lgtm.local:3200",
      pyroscope: "http://pyroscope.lgtm.local:4040",
      grafana: "http://grafana.lgtm.local:3000",
      alloy: "http://alloy.lgtm.local:12345",
      gateway: "http://gateway.lgtm.local:8080",
      // Where senders go, per signal: the authenticating gateway.
      "gateway.metrics_push": "http://gateway.lgtm.local:8080/api/v1/push",
      // Query bases: what a client (Grafana) takes as its datasource URL and appends the API to.
      "gateway.metrics_query": "http://gateway.lgtm.local:8080/prometheus",
      "gateway.logs_push": "http://gateway.lgtm.local:8080/loki/api/v1/push",
      "gateway.logs_query": "http://gateway.lgtm.local:8080",
      "gateway.traces_query": "http://gateway.lgtm.local:8080/tempo",
      "gateway.profiles_push": "http://gateway.lgtm.local:8080/pyroscope/ingest",
      "gateway.profiles_query": "http://gateway.lgtm.local:8080/pyroscope",
      "gateway.otlp_http": "http://gateway.lgtm.local:8080/otlp",
      // Per tenant: the basic-auth user and the secret with its password (never the password).
      "tenant.jsj-lgtm-header":
        'user "jsj-lgtm-header", passwords in Secrets Manager lgtm/prod/gateway/jsj-lgtm-header/write (write), lgtm/prod/gateway/jsj-lgtm-header/read (read); signals: metrics, logs, traces, profiles',
      "tenant.aws-rag-ec2": 'user "aws-rag-ec2", passwords in Secrets Manager lgtm/prod/gateway/aws-rag-ec2/write (write), lgtm/prod/gateway/aws-rag-ec2/read (read); signals: metrics, logs, traces, profiles',
    });
  });

  it("WHEN synthesized THEN Cloud Map registers A records, multivalue, with a short TTL", () => {
    const d = resourceOf(stack, "aws_service_discovery_service", "tempo_discovery");
    expect(d.name).toBe("tempo");
    expect(d.dns_config.routing_policy).toBe("MULTIVALUE");
    expect(d.dns_config.dns_records).toEqual([{ type: "A", ttl: 10 }]);
    expect(d.dns_config.namespace_id).toBe("${data.terraform_remote_state.loadbalancer.outputs.cloud_map_namespace_id}");
  });

  it("WHEN synthesized THEN it holds a service, task definition, log group and Cloud Map service for each of the eight (the query cache included), the alarms and the ALB rules, and nothing else", () => {
    expect(inventoryOf(stack)).toEqual({
      "aws_cloudwatch_event_rule": 8,
      "aws_cloudwatch_event_target": 8,
      "aws_cloudwatch_log_group": 8,
      "aws_cloudwatch_metric_alarm": 15,
      "aws_ecs_cluster": 1,
      "aws_ecs_cluster_capacity_providers": 1,
      "aws_ecs_service": 8,
      "aws_ecs_task_definition": 8,
      "aws_kms_key": 1,
      // Six gateway paths' 403s, Grafana's /metrics 404, the catch-all.
      "aws_lb_listener_rule": 8,
      "aws_lb_target_group": 2,
      "aws_service_discovery_service": 8,
      "aws_sns_topic": 1,
      "aws_sns_topic_policy": 1,
      "data.aws_caller_identity": 1,
      "data.aws_partition": 1,
      "data.terraform_remote_state": 5,
    });
  });
});

describe("GIVEN prod settings with five ingest CIDRs", () => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(await settingsWith({ load_balancer: { ingest_allowed_cidrs: FIVE_CIDRS } }), "60-ecs");
  });

  it("WHEN synthesized THEN each path has two allow rules (4 + 1 CIDRs) forwarding to its service, then a 403", () => {
    for (const svc of ["gateway"]) {
      const own = rulesOf(stack, svc).map(([, r]) => r);
      const paths = [...new Set(own.map(pathOf))];
      for (const path of paths) {
        const forPath = own.filter((r) => pathOf(r) === path);
        const allow = forPath.filter((r) => !isDeny(r));
        const deny = forPath.filter(isDeny);
        expect(allow, `${svc} ${path}`).toHaveLength(2);
        expect(deny).toHaveLength(1);
        expect(allow.map((r) => sourcesOf(r)!.length).sort()).toEqual([1, 4]);
        expect(allow.flatMap((r) => sourcesOf(r)!).sort()).toEqual(Object.values(FIVE_CIDRS).sort());
        for (const r of allow) {
          expect(r.action).toEqual([{ type: "forward", target_group_arn: `\${aws_lb_target_group.${svc}_target_group.arn}` }]);
          expect(r.priority).toBeLessThan(deny[0].priority);
        }
        expect(sourcesOf(deny[0])).toBeUndefined();
      }
    }
  });

  it("WHEN synthesized THEN the catch-all forwards to Grafana alone (every other target group has a rule of its own)", () => {
    const catchAll = resourceOf(stack, "aws_lb_listener_rule", "default_service_catch_all");
    expect(catchAll.action).toEqual([{ type: "forward", target_group_arn: "${aws_lb_target_group.grafana_target_group.arn}" }]);
  });
});

describe("GIVEN prod settings where services.gateway.http_port changes", () => {
  let before: StackJson;
  let after: StackJson;
  beforeAll(async () => {
    before = synthLayer(await shipped("prod"), "60-ecs");
    after = synthLayer(await settingsWith({ services: { gateway: { http_port: 8081 } } }), "60-ecs");
  });

  it("WHEN synthesized THEN the target group's port, name suffix and health check follow, and so does the container port", () => {
    const [tgBefore, tgAfter] = [before, after].map((x) => resourceOf(x, "aws_lb_target_group", "gateway_target_group"));
    expect(tgAfter.port).toBe(8081);
    expect(tgAfter.name).not.toBe(tgBefore.name);
    expect(tgAfter.name).toMatch(/^lgtm-prod-gateway-[0-9a-f]{4}$/);
    expect(tgAfter.health_check.port).toBe("8081");
    expect(tgAfter.health_check.path).toBe(tgBefore.health_check.path);
    expect(containers(after, "gateway")[0].portMappings[0]).toEqual({ containerPort: 8081, hostPort: 8081, protocol: "tcp" });
    expect(resourceOf(after, "aws_ecs_service", "gateway_service").load_balancer[0].container_port).toBe(8081);
    expect(after.output?.service_endpoints.value).toMatchObject({ gateway: "http://gateway.lgtm.local:8081", "gateway.otlp_http": "http://gateway.lgtm.local:8081/otlp" });
  });

  it("WHEN synthesized THEN the other services' target groups keep their names", () => {
    const grafana = (x: StackJson) => resourceOf(x, "aws_lb_target_group", "grafana_target_group").name;
    expect(grafana(after)).toBe(grafana(before));
  });
});

describe("GIVEN prod settings with other ephemeral storage for Mimir and Loki and images from ECR", () => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(await settingsWith({ image_source: "ecr", services: { mimir: { ephemeral_storage_gib: 150 }, loki: { ephemeral_storage_gib: 21 } } }), "60-ecs");
  });

  it("WHEN synthesized THEN Mimir's task declares 150 GiB and Loki's, at Fargate's free 21 GiB, declares nothing", () => {
    expect(resourceOf(stack, "aws_ecs_task_definition", "mimir_task_definition").ephemeral_storage).toEqual({ size_in_gib: 150 });
    expect(resourceOf(stack, "aws_ecs_task_definition", "loki_task_definition").ephemeral_storage).toBeUndefined();
  });

  it("WHEN synthesized THEN images are the 30-storage ECR repositories at the catalog's version", () => {
    expect(containers(stack, "mimir")[0].image).toBe("${data.terraform_remote_state.storage.outputs.ecr_repository_urls.mimir}:3.0.4");
  });
});

describe("GIVEN dev settings", () => {
  let s: Settings;
  let stack: StackJson;
  beforeAll(async () => {
    s = await shipped("dev");
    stack = synthLayer(s, "60-ecs");
  });

  it("WHEN synthesized THEN Grafana, Alloy and the gateway run on FARGATE_SPOT next to FARGATE, and nothing else does", () => {
    for (const n of SERVICE_NAMES) {
      const strategy = resourceOf(stack, "aws_ecs_service", `${n}_service`).capacity_provider_strategy as Rule[];
      if (n === "grafana" || n === "alloy" || n === "gateway") {
        expect(strategy, n).toEqual([
          { capacity_provider: "FARGATE", weight: 1, base: s.services[n].on_demand_base },
          { capacity_provider: "FARGATE_SPOT", weight: s.services[n].spot_weight, base: 0 },
        ]);
      } else {
        expect(strategy, n).toEqual([{ capacity_provider: "FARGATE", weight: 1, base: 0 }]);
      }
    }
  });

  it("WHEN synthesized THEN the cluster and task sizes are dev's", () => {
    expect(resourceOf(stack, "aws_ecs_cluster").name).toBe("lgtm-dev-cluster");
    expect(resourceOf(stack, "aws_ecs_task_definition", "mimir_task_definition")).toMatchObject({ cpu: "1024", memory: "2048" });
    expect(resourceOf(stack, "aws_ecs_service", "mimir_service").desired_count).toBe(1);
  });

  it("WHEN synthesized THEN it holds seven services (no query cache in dev), their alarms and the ALB rules, and nothing else", () => {
    expect(inventoryOf(stack)).toEqual({
      "aws_cloudwatch_event_rule": 8,
      "aws_cloudwatch_event_target": 8,
      "aws_cloudwatch_log_group": 7,
      "aws_cloudwatch_metric_alarm": 13,
      "aws_ecs_cluster": 1,
      "aws_ecs_cluster_capacity_providers": 1,
      "aws_ecs_service": 7,
      "aws_ecs_task_definition": 7,
      "aws_kms_key": 1,
      // Six gateway paths' 403s, Grafana's /metrics 404, the catch-all.
      "aws_lb_listener_rule": 8,
      "aws_lb_target_group": 2,
      "aws_service_discovery_service": 7,
      "aws_sns_topic": 1,
      "aws_sns_topic_policy": 1,
      "data.aws_partition": 1,
      "data.terraform_remote_state": 5,
    });
  });
});
