/**
 * The policy pack against broken copies of prod's stacks (test/support/broken-prod.ts): for every
 * rule one break of the kind it exists for, and the pack must report exactly that rule, while the
 * unbroken stacks pass. The issue-26 breaks the pack used to miss are among them: a listener rule
 * sending /prometheus/* to a Mimir target group (LGTM.3), 0.0.0.0/0 to Mimir's port (EC2.18), a task
 * role with s3:*, secretsmanager:* and iam:PassRole on * (IAM.21, LGTM.1), a secret inside an
 * LGTM_CONFIG_* value (ECS.8), a bucket policy allowing anonymous reads with a statement named
 * "Deny" (S3.2), and the data bucket's versioning removed (S3.14).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { RULES } from "../policy";
import { brokenProd, prodStacks, violatedControls, type ProdCopy } from "./support/broken-prod";
import { MUTATION_RUN } from "./support/mutation";

const MIMIR_HTTP = 9009;
const ingress = (cidr: string, port: number) => ({
  cidr_ipv4: cidr,
  description: "added by the mutation test",
  from_port: port,
  to_port: port,
  ip_protocol: "tcp",
  security_group_id: "${aws_security_group.mimir_sg.id}",
});

/** [control, the break, the mutation]. */
const MUTATIONS: [string, string, (p: ProdCopy) => void][] = [
  ["ELB.1", "the HTTP listener answers instead of redirecting", (p) => (p.resource("50-loadbalancer", "aws_lb_listener", "public_http").default_action = [{ type: "fixed-response", fixed_response: { content_type: "text/plain", status_code: "200" } }])],
  ["ELB.4", "the ALB keeps invalid header fields", (p) => (p.resource("50-loadbalancer", "aws_lb", "public_alb").drop_invalid_header_fields = false)],
  ["ELB.5", "the ALB's access logs are off", (p) => (p.resource("50-loadbalancer", "aws_lb", "public_alb").access_logs.enabled = false)],
  ["ELB.6", "the ALB loses deletion protection", (p) => (p.resource("50-loadbalancer", "aws_lb", "public_alb").enable_deletion_protection = false)],
  ["ELB.16", "the web ACL's association with the ALB is removed (the web ACL stays, protecting nothing)", (p) => p.remove("50-loadbalancer", "aws_wafv2_web_acl_association", "waf_association")],
  ["ELB.17", "the HTTPS listener takes a TLS 1.0 policy", (p) => (p.resource("50-loadbalancer", "aws_lb_listener", "public_https").ssl_policy = "ELBSecurityPolicy-2016-08")],
  ["EC2.2", "the VPC's default group gets a rule", (p) => (p.resource("10-network", "aws_default_security_group", "network_default_security_group").ingress = [{ from_port: 0, to_port: 0, protocol: "-1", self: true }])],
  ["EC2.6", "the VPC's flow log is removed", (p) => p.remove("10-network", "aws_flow_log", "network_flow_log")],
  [
    "S3.5",
    "the data bucket's TLS statement still says Deny and aws:SecureTransport = false, but covers only PutObject",
    (p) => {
      const policy = p.resource("30-storage", "aws_s3_bucket_policy", "data_policy");
      policy.policy = policy.policy.replace('"Action" = "s3:*"', '"Action" = "s3:PutObject"');
    },
  ],
  ["S3.8", "the data bucket's public access block stops restricting public buckets", (p) => (p.resource("30-storage", "aws_s3_bucket_public_access_block", "data_public_access").restrict_public_buckets = false)],
  ["S3.9", "the data bucket's access logging is removed", (p) => p.remove("30-storage", "aws_s3_bucket_logging", "data_access_logs")],
  ["EFS.1", "Grafana's file system is unencrypted", (p) => (p.resource("30-storage", "aws_efs_file_system", "grafana_file_system").encrypted = false)],
  ["IAM.1", "Mimir's task role allows *", (p) => p.addStatement("40-iam", "aws_iam_role_policy", "mimir_task_s3", { Sid: "Admin", Effect: "Allow", Action: "*", Resource: "*" })],
  ["ECR.1", "the registry no longer scans the pull-through repositories", (p) => p.remove("30-storage", "aws_ecr_registry_scanning_configuration", "pull_through_scanning")],
  ["ECR.2", "the Docker Hub pull-through repositories are created with mutable tags", (p) => (p.resource("30-storage", "aws_ecr_repository_creation_template", "pull_through_docker_hub_template").image_tag_mutability = "MUTABLE")],
  ["ECR.3", "the Docker Hub pull-through repositories are created with no lifecycle policy", (p) => delete p.resource("30-storage", "aws_ecr_repository_creation_template", "pull_through_docker_hub_template").lifecycle_policy],
  ["ECS.2", "Mimir's tasks get public IPs", (p) => (p.resource("60-ecs", "aws_ecs_service", "mimir_service").network_configuration.assign_public_ip = true)],
  ["ECS.4", "Mimir's container is privileged", (p) => p.container("mimir", "mimir", (c) => (c.privileged = true))],
  ["ECS.5", "Mimir's root filesystem is writable", (p) => p.container("mimir", "mimir", (c) => (c.readonlyRootFilesystem = false))],
  [
    "ECS.8",
    "an S3 secret key is rendered into Mimir's config, which travels in an LGTM_CONFIG_* value",
    (p) =>
      p.container("mimir", "config", (c) => {
        const e = c.environment.find((x: { name: string }) => x.name.startsWith("LGTM_CONFIG_"));
        e.value += "\n  s3:\n    access_key_id: AKIAIOSFODNN7EXAMPLE\n    secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
      }),
  ],
  ["ECS.9", "Mimir's container has no log configuration", (p) => p.container("mimir", "mimir", (c) => delete c.logConfiguration)],
  ["ECS.12", "Container Insights is off", (p) => (p.resource("60-ecs", "aws_ecs_cluster", "cluster").setting = [{ name: "containerInsights", value: "disabled" }])],
  ["ECS.20", "Mimir runs as root", (p) => p.container("mimir", "mimir", (c) => (c.user = "0"))],
  ["SecretsManager.1", "a new secret without rotation", (p) => p.add("40-iam", "aws_secretsmanager_secret", "mimir_api_key", { name: "lgtm/prod/mimir/api-key" })],
  ["IAM.21", "Mimir's task role allows s3:*", (p) => p.addStatement("40-iam", "aws_iam_role_policy", "mimir_task_s3", { Sid: "Everything", Effect: "Allow", Action: ["s3:*"], Resource: "*" })],
  ["LGTM.1", "Mimir's task role may pass any role", (p) => p.addStatement("40-iam", "aws_iam_role_policy", "mimir_task_s3", { Effect: "Allow", Action: "iam:PassRole", Resource: "*" })],
  [
    "S3.2",
    'the data bucket allows anonymous reads in a statement named "Deny"',
    (p) =>
      p.addStatement("30-storage", "aws_s3_bucket_policy", "data_policy", {}, '{"Sid" = "Deny", "Effect" = "Allow", "Principal" = "*", "Action" = "s3:GetObject", "Resource" = "${aws_s3_bucket.data_bucket.arn}/*"}'),
  ],
  [
    "S3.3",
    "the data bucket allows anyone to put objects, under a condition that does not restrict who",
    (p) =>
      p.addStatement(
        "30-storage",
        "aws_s3_bucket_policy",
        "data_policy",
        {},
        '{"Sid" = "Uploads", "Effect" = "Allow", "Principal" = {"AWS" = ["*"]}, "Action" = ["s3:PutObject"], "Resource" = "${aws_s3_bucket.data_bucket.arn}/*", "Condition" = {"StringEquals" = {"s3:x-amz-acl" = "bucket-owner-full-control"}}}',
      ),
  ],
  ["S3.14", "the data bucket's versioning is removed", (p) => p.remove("30-storage", "aws_s3_bucket_versioning", "data_versioning")],
  ["EC2.18", "0.0.0.0/0 reaches Mimir's HTTP port", (p) => p.add("20-security", "aws_vpc_security_group_ingress_rule", "mimir_from_anywhere_http", ingress("0.0.0.0/0", MIMIR_HTTP))],
  ["LGTM.2", "an office range reaches Mimir's HTTP port directly", (p) => p.add("20-security", "aws_vpc_security_group_ingress_rule", "mimir_from_office_http", ingress("203.0.113.0/24", MIMIR_HTTP))],
  [
    "LGTM.3",
    "a listener rule sends /prometheus/* straight to a Mimir target group",
    (p) => {
      p.add("60-ecs", "aws_lb_target_group", "mimir_target_group", { name: "lgtm-prod-mimir", port: MIMIR_HTTP, protocol: "HTTP", target_type: "ip", vpc_id: "${data.terraform_remote_state.network.outputs.vpc_id}", tags: { Service: "mimir" } });
      p.add("60-ecs", "aws_lb_listener_rule", "mimir_prometheus", {
        listener_arn: "${data.terraform_remote_state.loadbalancer.outputs.listener_arn}",
        priority: 150,
        condition: [{ path_pattern: { values: ["/prometheus/*"] } }],
        action: [{ type: "forward", target_group_arn: "${aws_lb_target_group.mimir_target_group.arn}" }],
      });
    },
  ],
  [
    "Gateway.1",
    "the gateway forwards Mimir's ring page with a tenant's write credential",
    (p) =>
      p.container("gateway", "config", (c) => {
        const e = c.environment.find((x: { value: string }) => /\blocation\s/.test(x.value) && /\bhttp\s*\{/.test(x.value));
        e.value = e.value.replace(
          "    location / {",
          "    location = /mimir/ring {\n      auth_basic_user_file /tmp/gateway/htpasswd-metrics-write;\n      set $backend http://mimir.lgtm.local:9009;\n      try_files /.lgtm-none @lgtm_upstream;\n    }\n\n    location / {",
        );
      }),
  ],
  [
    "Grafana.1",
    "Grafana's metrics datasource points straight at Mimir again, around the gateway",
    (p) =>
      p.container("grafana", "config", (c) => {
        const e = c.environment.find((x: { value: string }) => /^\s*url: "http:\/\/gateway\./m.test(x.value));
        e.value = e.value.replace(/url: "http:\/\/gateway\.[^"]*\/prometheus"/, 'url: "http://mimir.lgtm.local:9009/prometheus"');
      }),
  ],
  ["CloudWatch.16", "the gateway's access log (the audit trail of who pushed, read or deleted) is kept 7 days", (p) => (p.resource("60-ecs", "aws_cloudwatch_log_group", "gateway_log_group").retention_in_days = 7)],
  ["KMS.4", "a customer managed key without rotation is added", (p) => p.add("30-storage", "aws_kms_key", "extra_key", { description: "added by the mutation test", enable_key_rotation: false })],
  [
    "KMS.100",
    "the data bucket is tagged for a customer managed key but keeps SSE-S3",
    (p) => {
      const bucket = p.resource("30-storage", "aws_s3_bucket", "data_bucket");
      bucket.tags = { ...bucket.tags, Encryption: "customer-managed-kms" };
    },
  ],
];

/**
 * Rules whose break cannot show on prod as shipped, with where their mutation test is instead. Image.1:
 * prod waives it for every container until `npm run pin-images` writes the digests, so any break is
 * waived; test/audit-kms.test.ts breaks a copy of prod with every image pinned.
 */
const MUTATED_ELSEWHERE: Record<string, string> = { "Image.1": "test/audit-kms.test.ts" };

describe.skipIf(MUTATION_RUN)("GIVEN broken copies of prod's stacks", () => {
  beforeAll(async () => {
    await prodStacks();
  }, 120_000);

  it("WHEN nothing is broken THEN the pack reports no violation, and every rule has a mutation below", async () => {
    expect((await brokenProd(() => {})).violations).toEqual([]);
    expect([...MUTATIONS.map(([id]) => id), ...Object.keys(MUTATED_ELSEWHERE)].sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  it.each(MUTATIONS)("WHEN %s's break is made (%s) THEN exactly that rule reports it", async (id, _what, mutate) => {
    const report = await brokenProd(mutate);
    expect(violatedControls(report), report.violations.map((v) => `${v.rule.id} ${v.address}: ${v.detail}`).join("\n")).toEqual([id]);
  });

  it("WHEN a task role gets s3:*, secretsmanager:* and iam:PassRole on * (issue 26) THEN IAM.21 names both wildcards and LGTM.1 the PassRole", async () => {
    const report = await brokenProd((p) =>
      p.addStatement("40-iam", "aws_iam_role_policy", "mimir_task_s3", { Sid: "Broad", Effect: "Allow", Action: ["s3:*", "secretsmanager:*", "iam:PassRole"], Resource: "*" }),
    );
    expect(report.violations.map((v) => `${v.rule.id} ${v.stack} ${v.address}: ${v.detail}`)).toEqual([
      'IAM.21 prod-40-iam aws_iam_role_policy.mimir_task_s3: statement "Broad": "s3:*" allows every s3 action; "secretsmanager:*" allows every secretsmanager action',
      'LGTM.1 prod-40-iam aws_iam_role_policy.mimir_task_s3: statement "Broad" allows iam:PassRole on *',
    ]);
  });

  it("WHEN the listener rule's target group is attached by the gateway's service THEN forwarding /prometheus/* to it is no bypass", async () => {
    const report = await brokenProd((p) =>
      p.add("60-ecs", "aws_lb_listener_rule", "gateway_prometheus", {
        listener_arn: "${data.terraform_remote_state.loadbalancer.outputs.listener_arn}",
        priority: 150,
        condition: [{ path_pattern: { values: ["/prometheus/*"] } }],
        action: [{ type: "forward", target_group_arn: "${aws_lb_target_group.gateway_target_group.arn}" }],
      }),
    );
    expect(report.violations).toEqual([]);
  });
});
