/**
 * The synth-time policy pack (policy/): each rule on a minimal compliant and violating stack, the
 * shipped environments with zero unwaived violations, waivers (reason mandatory, narrowed by
 * address), and synth refusing an unwaived violation.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { checkPolicy, CODE_WAIVERS, evaluatePolicy, formatPolicySummary, formatViolations, PolicyError, PROJECT_CONTROL_PREFIX, RULES, type SynthesizedStack } from "../policy";
import { SERVICE_NAMES, type Settings } from "../settings";
import { overrideError, settingsWith, shipped } from "./support/settings";
import { gatewayConfig, goodContainer, stackOf, synthesizedStacks, taskWith } from "./support/policy";
import { MUTATION_RUN } from "./support/mutation";

const bucket = (name: string) => ({ bucket: `\${aws_s3_bucket.${name}.id}` });
const denyHttp =
  '${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Sid" = "DenyInsecureTransport", "Effect" = "Deny", "Principal" = "*", "Action" = "s3:*", "Resource" = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"], "Condition" = {"Bool" = {"aws:SecureTransport" = "false"}}}]})}';
const fullAccess = { b: { bucket: "b" } };
const alb = (o: Record<string, unknown> = {}) => ({
  aws_lb: { public_alb: { load_balancer_type: "application", drop_invalid_header_fields: true, enable_deletion_protection: true, access_logs: { bucket: "logs", enabled: true }, ...o } },
});
const listener = (o: Record<string, unknown>) => ({ aws_lb_listener: { public_x: o } });
const redirect = { protocol: "HTTP", port: 80, default_action: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }] };
const repo = (o: Record<string, unknown> = {}) => ({
  aws_ecr_repository: { ecr_x: { name: "x", image_tag_mutability: "IMMUTABLE", image_scanning_configuration: { scan_on_push: true }, ...o } },
  aws_ecr_lifecycle_policy: { ecr_x_lifecycle: { repository: "${aws_ecr_repository.ecr_x.name}" } },
});
const vpc = (extra: Record<string, Record<string, unknown>> = {}) => ({
  aws_vpc: { network_vpc: { cidr_block: "10.0.0.0/16" } },
  aws_default_security_group: { network_default: { vpc_id: "${aws_vpc.network_vpc.id}" } },
  aws_flow_log: { network_flow_log: { vpc_id: "${aws_vpc.network_vpc.id}", log_destination_type: "s3" } },
  ...extra,
});
const s3 = (drop?: string, o: Record<string, Record<string, unknown>> = {}) => {
  const all: Record<string, Record<string, Record<string, unknown>>> = {
    aws_s3_bucket: fullAccess,
    aws_s3_bucket_policy: { b_policy: { ...bucket("b"), policy: denyHttp } },
    aws_s3_bucket_public_access_block: { b_pab: { ...bucket("b"), block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true } },
    aws_s3_bucket_logging: { b_logging: { ...bucket("b"), target_bucket: "logs", target_prefix: "s3/b/" } },
    aws_s3_bucket_versioning: { b_versioning: { ...bucket("b"), versioning_configuration: { status: "Enabled" } } },
    ...o,
  };
  if (drop) delete all[drop];
  return all;
};
/** A bucket policy of bucket b: the TLS Deny and, after it, `statement` (HCL). */
const bucketPolicy = (statement: string) => ({
  aws_s3_bucket_policy: { b_policy: { ...bucket("b"), policy: denyHttp.replace("]})}", `, ${statement}]})}`) } },
});
/**
 * A security-group layer in one stack: Mimir's and the gateway's task groups (the groups their ECS
 * services run in), the gateway's port 8080 from its container, the VPC, and one CIDR ingress.
 */
const groups = (ingress: Record<string, unknown>) =>
  stackOf(
    {
      aws_vpc: { v: { cidr_block: "10.0.0.0/16" } },
      aws_security_group: { mimir_sg: { name: "mimir" }, gateway_sg: { name: "gateway" }, alb_sg: { name: "alb" } },
      aws_ecs_service: {
        mimir_service: { name: "mimir", network_configuration: { security_groups: ["${aws_security_group.mimir_sg.id}"] } },
        gateway_service: { name: "gateway", task_definition: "${aws_ecs_task_definition.gateway.arn}", network_configuration: [{ security_groups: ["${aws_security_group.gateway_sg.id}"] }] },
      },
      aws_ecs_task_definition: { gateway: { container_definitions: JSON.stringify([{ name: "gateway", portMappings: [{ containerPort: 8080 }] }]) } },
      aws_lb: { public_alb: { security_groups: ["${aws_security_group.alb_sg.id}"] } },
      aws_lb_listener: { public_https: { load_balancer_arn: "${aws_lb.public_alb.arn}", port: 443 } },
      aws_vpc_security_group_ingress_rule: { r: { ip_protocol: "tcp", ...ingress } },
    },
    "test-20-security",
  );
const toGroup = (group: string, cidr: string, port: number) => ({ security_group_id: `\${aws_security_group.${group}_sg.id}`, cidr_ipv4: cidr, from_port: port, to_port: port });
/** ALB routing in one stack: the gateway's and Mimir's target groups (the gateway's service registers into its own) and one listener rule. */
const routing = (targetGroup: string, paths: string[]) =>
  stackOf({
    aws_lb_target_group: { gateway_tg: { port: 8080 }, mimir_tg: { port: 9009, tags: { Service: "mimir" } } },
    aws_ecs_service: { gateway_service: { name: "gateway", load_balancer: [{ container_name: "gateway", container_port: 8080, target_group_arn: "${aws_lb_target_group.gateway_tg.arn}" }] } },
    aws_lb_listener_rule: { r: { priority: 100, condition: [{ path_pattern: { values: paths } }], action: [{ type: "forward", target_group_arn: `\${aws_lb_target_group.${targetGroup}.arn}` }] } },
  }, "test-60-ecs");
const policy = (doc: object) => ({ aws_iam_role_policy: { x_policy: { role: "x", policy: JSON.stringify(doc) } } });
const allow = (Action: unknown) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action, Resource: "*" }] });

/**
 * A 60-ecs-shaped stack for Grafana.1: a gateway service (Cloud Map name "gateway", port 8080, an
 * nginx config that proxies) and a Grafana task whose datasources file has one datasource at `url`.
 */
const BASIC_AUTH = '    basicAuth: true\n    basicAuthUser: "t"\n';
const grafanaStack = (url: string, auth = BASIC_AUTH): SynthesizedStack => {
  const ds = `apiVersion: 1\ndatasources:\n  - name: Loki\n    type: loki\n    url: "${url}"\n${auth}`;
  const td = (name: string, env: TfBlock[], ports: number[]) => ({
    family: name,
    container_definitions: JSON.stringify([goodContainer({ name, environment: env, portMappings: ports.map((containerPort) => ({ containerPort })) })]),
  });
  return stackOf(
    {
      aws_service_discovery_service: { gateway_discovery: { name: "gateway" }, grafana_discovery: { name: "grafana" } },
      aws_ecs_service: {
        gateway_service: { task_definition: "${aws_ecs_task_definition.gateway_task_definition.arn}", service_registries: { registry_arn: "${aws_service_discovery_service.gateway_discovery.arn}" } },
        grafana_service: { task_definition: "${aws_ecs_task_definition.grafana_task_definition.arn}", service_registries: { registry_arn: "${aws_service_discovery_service.grafana_discovery.arn}" } },
      },
      aws_ecs_task_definition: {
        gateway_task_definition: td("gateway", [{ name: "LGTM_CONFIG_0", value: "location /loki/api/ {\n  proxy_pass $backend;\n}\n" }], [8080]),
        grafana_task_definition: td("grafana", [{ name: "LGTM_CONFIG_0", value: ds }], [3000]),
      },
    },
    "test-60-ecs",
  );
};
type TfBlock = Record<string, any>;

/** [control, a compliant stack, a violating stack, the address the violation names]. */
const CASES: [string, SynthesizedStack, SynthesizedStack, string][] = [
  ["Grafana.1", grafanaStack("http://gateway.lgtm.local:8080"), grafanaStack("http://loki.lgtm.local:3100"), "aws_ecs_task_definition.grafana_task_definition"],
  ["ELB.1", stackOf(listener(redirect)), stackOf(listener({ protocol: "HTTP", port: 80, default_action: [{ type: "fixed-response" }] })), "aws_lb_listener.public_x"],
  ["ELB.4", stackOf(alb()), stackOf(alb({ drop_invalid_header_fields: false })), "aws_lb.public_alb"],
  ["ELB.5", stackOf(alb()), stackOf(alb({ access_logs: undefined })), "aws_lb.public_alb"],
  ["ELB.6", stackOf(alb()), stackOf(alb({ enable_deletion_protection: false })), "aws_lb.public_alb"],
  [
    "ELB.16",
    stackOf({ ...alb(), aws_wafv2_web_acl: { waf_web_acl: { scope: "REGIONAL" } }, aws_wafv2_web_acl_association: { waf_association: { resource_arn: "${aws_lb.public_alb.arn}", web_acl_arn: "${aws_wafv2_web_acl.waf_web_acl.arn}" } } }),
    stackOf({ ...alb(), aws_wafv2_web_acl: { waf_web_acl: { scope: "REGIONAL" } }, aws_wafv2_web_acl_association: { waf_association: { resource_arn: "${aws_lb.other_alb.arn}", web_acl_arn: "${aws_wafv2_web_acl.waf_web_acl.arn}" } } }),
    "aws_lb.public_alb",
  ],
  [
    "ELB.17",
    stackOf(listener({ protocol: "HTTPS", port: 443, ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06" })),
    stackOf(listener({ protocol: "HTTPS", port: 443, ssl_policy: "ELBSecurityPolicy-2016-08" })),
    "aws_lb_listener.public_x",
  ],
  ["EC2.2", stackOf(vpc()), stackOf(vpc({ aws_default_security_group: {} })), "aws_vpc.network_vpc"],
  ["EC2.6", stackOf(vpc()), stackOf(vpc({ aws_flow_log: {} })), "aws_vpc.network_vpc"],
  ["S3.5", stackOf(s3()), stackOf(s3("aws_s3_bucket_policy")), "aws_s3_bucket.b"],
  ["S3.8", stackOf(s3()), stackOf(s3(undefined, { aws_s3_bucket_public_access_block: { b_pab: { ...bucket("b"), block_public_acls: true } } })), "aws_s3_bucket.b"],
  ["S3.9", stackOf(s3()), stackOf(s3("aws_s3_bucket_logging")), "aws_s3_bucket.b"],
  ["EFS.1", stackOf({ aws_efs_file_system: { fs: { encrypted: true } } }), stackOf({ aws_efs_file_system: { fs: { encrypted: false } } }), "aws_efs_file_system.fs"],
  ["IAM.1", stackOf(policy(allow(["s3:GetObject"]))), stackOf(policy(allow("*"))), "aws_iam_role_policy.x_policy"],
  ["ECR.1", stackOf(repo()), stackOf(repo({ image_scanning_configuration: { scan_on_push: false } })), "aws_ecr_repository.ecr_x"],
  ["ECR.2", stackOf(repo()), stackOf(repo({ image_tag_mutability: "MUTABLE" })), "aws_ecr_repository.ecr_x"],
  ["ECR.3", stackOf(repo()), stackOf({ aws_ecr_repository: repo().aws_ecr_repository }), "aws_ecr_repository.ecr_x"],
  [
    "ECS.2",
    stackOf({ aws_ecs_service: { app_service: { network_configuration: { assign_public_ip: false } } } }),
    stackOf({ aws_ecs_service: { app_service: { network_configuration: { assign_public_ip: true } } } }),
    "aws_ecs_service.app_service",
  ],
  ["ECS.4", taskWith(goodContainer()), taskWith(goodContainer({ privileged: true })), "aws_ecs_task_definition.app_task_definition"],
  ["ECS.5", taskWith(goodContainer()), taskWith(goodContainer({ readonlyRootFilesystem: undefined })), "aws_ecs_task_definition.app_task_definition"],
  [
    "ECS.8",
    taskWith(goodContainer({ secrets: [{ name: "GF_SECURITY_ADMIN_PASSWORD", valueFrom: "arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:x-AbCdEf" }] })),
    taskWith(goodContainer({ environment: [{ name: "GF_SECURITY_ADMIN_PASSWORD", value: "admin" }] })),
    "aws_ecs_task_definition.app_task_definition",
  ],
  ["ECS.9", taskWith(goodContainer()), taskWith(goodContainer({ logConfiguration: undefined })), "aws_ecs_task_definition.app_task_definition"],
  [
    "ECS.12",
    stackOf({ aws_ecs_cluster: { cluster: { setting: [{ name: "containerInsights", value: "enhanced" }] } } }),
    stackOf({ aws_ecs_cluster: { cluster: { setting: [{ name: "containerInsights", value: "disabled" }] } } }),
    "aws_ecs_cluster.cluster",
  ],
  ["ECS.20", taskWith(goodContainer()), taskWith(goodContainer({ user: "0" })), "aws_ecs_task_definition.app_task_definition"],
  ["Gateway.1", taskWith(goodContainer(gatewayConfig("= /api/v1/push"))), taskWith(goodContainer(gatewayConfig("= /mimir/ring"))), "aws_ecs_task_definition.app_task_definition"],
  [
    "SecretsManager.1",
    stackOf({ aws_secretsmanager_secret: { s: { name: "x" } }, aws_secretsmanager_secret_rotation: { s_rotation: { secret_id: "${aws_secretsmanager_secret.s.id}" } } }),
    stackOf({ aws_secretsmanager_secret: { s: { name: "x" } } }),
    "aws_secretsmanager_secret.s",
  ],
  ["IAM.21", stackOf(policy(allow(["s3:GetObject", "kms:GenerateDataKey*"]))), stackOf(policy(allow(["s3:*"]))), "aws_iam_role_policy.x_policy"],
  ["LGTM.1", stackOf(policy({ Statement: [{ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::111111111111:role/lgtm-task" }] })), stackOf(policy(allow("iam:PassRole"))), "aws_iam_role_policy.x_policy"],
  [
    "S3.2",
    stackOf(s3(undefined, bucketPolicy('{"Sid" = "Logs", "Effect" = "Allow", "Principal" = {"Service" = "logging.s3.amazonaws.com"}, "Action" = "s3:PutObject", "Resource" = "*", "Condition" = {"StringEquals" = {"aws:SourceAccount" = "111111111111"}}}'))),
    stackOf(s3(undefined, bucketPolicy('{"Sid" = "Deny", "Effect" = "Allow", "Principal" = "*", "Action" = "s3:GetObject", "Resource" = "${aws_s3_bucket.b.arn}/*"}'))),
    "aws_s3_bucket_policy.b_policy",
  ],
  [
    "S3.3",
    stackOf(s3(undefined, bucketPolicy('{"Effect" = "Allow", "Principal" = "*", "Action" = "s3:PutObject", "Resource" = "*", "Condition" = {"StringEquals" = {"aws:PrincipalOrgID" = "o-abc123"}}}'))),
    stackOf(s3(undefined, bucketPolicy('{"Effect" = "Allow", "Principal" = {"AWS" = "*"}, "Action" = "s3:PutObject", "Resource" = "*"}'))),
    "aws_s3_bucket_policy.b_policy",
  ],
  ["S3.14", stackOf(s3()), stackOf(s3("aws_s3_bucket_versioning")), "aws_s3_bucket.b"],
  ["EC2.18", groups(toGroup("alb", "0.0.0.0/0", 443)), groups(toGroup("mimir", "0.0.0.0/0", 9009)), "aws_vpc_security_group_ingress_rule.r"],
  ["LGTM.2", groups(toGroup("gateway", "${aws_vpc.v.cidr_block}", 8080)), groups(toGroup("mimir", "${aws_vpc.v.cidr_block}", 9009)), "aws_vpc_security_group_ingress_rule.r"],
  ["LGTM.3", routing("gateway_tg", ["/prometheus/*"]), routing("mimir_tg", ["/prometheus/*"]), "aws_lb_listener_rule.r"],
  // Issue 26 (supply chain, audit trail, KMS); their mutation tests on the prod stacks: test/policy-supply-chain.test.ts.
  [
    "CloudWatch.16",
    stackOf({ aws_cloudwatch_log_group: { g: { name: "/ecs/x", retention_in_days: 365, tags: { AuditTrail: "true" } }, other: { name: "/ecs/y", retention_in_days: 7 } } }),
    stackOf({ aws_cloudwatch_log_group: { g: { name: "/ecs/x", retention_in_days: 30, tags: { AuditTrail: "true" } } } }),
    "aws_cloudwatch_log_group.g",
  ],
  ["KMS.4", stackOf({ aws_kms_key: { k: { enable_key_rotation: true } } }), stackOf({ aws_kms_key: { k: { enable_key_rotation: false } } }), "aws_kms_key.k"],
  [
    "KMS.100",
    stackOf({ aws_cloudwatch_log_group: { g: { name: "/ecs/x", kms_key_id: "${aws_kms_key.k.arn}", tags: { Encryption: "customer-managed-kms" } } } }),
    stackOf({ aws_cloudwatch_log_group: { g: { name: "/ecs/x", tags: { Encryption: "customer-managed-kms" } } } }),
    "aws_cloudwatch_log_group.g",
  ],
  ["Image.1", taskWith(goodContainer()), taskWith(goodContainer({ image: "grafana/loki:3.7.6" })), "aws_ecs_task_definition.app_task_definition"],
];

/**
 * Every rule that reads a boolean or an optional attribute, given a resource with that attribute
 * LEFT OUT (as a hand-written override or a provider default would leave it): [control, what is
 * absent, the stack, whether the rule must report it]. A rule written `x === false` instead of
 * `x !== true` passes a bad fixture that sets `false` but not one that omits the key.
 */
const ABSENT: [string, string, SynthesizedStack, boolean][] = [
  ["ELB.1", "default_action", stackOf(listener({ protocol: "HTTP", port: 80 })), true],
  ["ELB.1", "the redirect's protocol", stackOf(listener({ protocol: "HTTP", port: 80, default_action: [{ type: "redirect", redirect: { port: "443" } }] })), true],
  ["ELB.4", "drop_invalid_header_fields", stackOf(alb({ drop_invalid_header_fields: undefined })), true],
  ["ELB.4", "load_balancer_type (an ALB by default)", stackOf(alb({ load_balancer_type: undefined, drop_invalid_header_fields: undefined })), true],
  ["ELB.5", "access_logs.enabled", stackOf(alb({ access_logs: { bucket: "logs" } })), true],
  ["ELB.6", "enable_deletion_protection", stackOf(alb({ enable_deletion_protection: undefined })), true],
  ["ELB.17", "ssl_policy", stackOf(listener({ protocol: "HTTPS", port: 443 })), true],
  ["S3.8", "block_public_policy", stackOf(s3(undefined, { aws_s3_bucket_public_access_block: { b_pab: { ...bucket("b"), block_public_acls: true, ignore_public_acls: true, restrict_public_buckets: true } } })), true],
  ["S3.8", "restrict_public_buckets", stackOf(s3(undefined, { aws_s3_bucket_public_access_block: { b_pab: { ...bucket("b"), block_public_acls: true, block_public_policy: true, ignore_public_acls: true } } })), true],
  ["S3.8", "ignore_public_acls", stackOf(s3(undefined, { aws_s3_bucket_public_access_block: { b_pab: { ...bucket("b"), block_public_acls: true, block_public_policy: true, restrict_public_buckets: true } } })), true],
  ["S3.8", "block_public_acls", stackOf(s3(undefined, { aws_s3_bucket_public_access_block: { b_pab: { ...bucket("b"), block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true } } })), true],
  ["EFS.1", "encrypted", stackOf({ aws_efs_file_system: { fs: { creation_token: "grafana" } } }), true],
  ["ECR.1", "image_scanning_configuration", stackOf(repo({ image_scanning_configuration: undefined })), true],
  ["ECR.1", "scan_on_push", stackOf(repo({ image_scanning_configuration: {} })), true],
  ["ECR.2", "image_tag_mutability (MUTABLE by default)", stackOf(repo({ image_tag_mutability: undefined })), true],
  ["ECS.2", "assign_public_ip (false by default)", stackOf({ aws_ecs_service: { app_service: { network_configuration: { subnets: ["s"] } } } }), false],
  ["ECS.2", "network_configuration", stackOf({ aws_ecs_service: { app_service: { name: "app" } } }), false],
  ["ECS.4", "privileged (false by default)", taskWith(goodContainer({ privileged: undefined })), false],
  ["ECS.5", "readonlyRootFilesystem", taskWith(goodContainer({ readonlyRootFilesystem: undefined })), true],
  ["ECS.8", "environment", taskWith(goodContainer({ environment: undefined })), false],
  ["ECS.9", "logConfiguration.logDriver", taskWith(goodContainer({ logConfiguration: { options: {} } })), true],
  ["ECS.12", "setting", stackOf({ aws_ecs_cluster: { cluster: { name: "c" } } }), true],
  ["ECS.20", "user (the image's, root unless it says otherwise)", taskWith(goodContainer({ user: undefined })), true],
  ["EC2.2", "the default group's ingress and egress (no rules)", stackOf(vpc()), false],
  ["EC2.18", "from_port and to_port (ip_protocol -1: every port)", groups({ security_group_id: "${aws_security_group.mimir_sg.id}", cidr_ipv4: "0.0.0.0/0", ip_protocol: "-1" }), true],
  ["LGTM.2", "from_port and to_port (ip_protocol -1: every port)", groups({ security_group_id: "${aws_security_group.gateway_sg.id}", cidr_ipv4: "${aws_vpc.v.cidr_block}", ip_protocol: "-1" }), true],
  ["S3.14", "versioning_configuration", stackOf(s3(undefined, { aws_s3_bucket_versioning: { b_versioning: { ...bucket("b") } } })), true],
  ["S3.14", "versioning_configuration.status", stackOf(s3(undefined, { aws_s3_bucket_versioning: { b_versioning: { ...bucket("b"), versioning_configuration: {} } } })), true],
  ["CloudWatch.16", "retention_in_days (never expire)", stackOf({ aws_cloudwatch_log_group: { g: { name: "/ecs/x", tags: { AuditTrail: "true" } } } }), false],
  ["CloudWatch.16", "tags (not an audit log group)", stackOf({ aws_cloudwatch_log_group: { g: { name: "/ecs/x", retention_in_days: 30 } } }), false],
  ["KMS.4", "enable_key_rotation (false by default)", stackOf({ aws_kms_key: { k: { description: "x" } } }), true],
  [
    "KMS.100",
    "the encryption rule's kms_master_key_id (aws:kms with AWS's managed key)",
    stackOf({
      aws_s3_bucket: { b: { bucket: "b", tags: { Encryption: "customer-managed-kms" } } },
      aws_s3_bucket_server_side_encryption_configuration: { b_sse: { ...bucket("b"), rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" } }] } },
    }),
    true,
  ],
  ["KMS.100", "the bucket's encryption configuration", stackOf({ aws_s3_bucket: { b: { bucket: "b", tags: { Encryption: "customer-managed-kms" } } } }), true],
  ["Image.1", "image", taskWith(goodContainer({ image: undefined })), true],
  ["Grafana.1", "basicAuth and basicAuthUser", grafanaStack("http://gateway.lgtm.local:8080", ""), true],
  ["Grafana.1", "basicAuthUser", grafanaStack("http://gateway.lgtm.local:8080", "    basicAuth: true\n"), true],
];

/** What each rule says about its violating case above: the detail a reader acts on. */
const DETAILS: Record<string, string> = {
  "ELB.1": "HTTP listener on port 80 serves instead of redirecting to HTTPS",
  "ELB.4": "drop_invalid_header_fields is not true",
  "ELB.5": "access_logs are not enabled",
  "ELB.6": "enable_deletion_protection is not true",
  "ELB.17": 'ssl_policy "ELBSecurityPolicy-2016-08" is not a TLS 1.2+/1.3 policy',
  "EC2.2": "its default security group is not managed with no rules",
  "EC2.6": "no aws_flow_log records its traffic",
  "S3.5": "no bucket policy statement denies every request to the bucket and its objects with aws:SecureTransport = false",
  "S3.8": "no public access block with all four settings true",
  "S3.9": "no aws_s3_bucket_logging sends its access logs to the log bucket",
  "EFS.1": "encrypted is not true",
  "IAM.1": 'statement 1 allows Action "*"',
  "ECR.1": "scan_on_push is not true",
  "ECR.2": 'image_tag_mutability is "MUTABLE"',
  "ECR.3": "no aws_ecr_lifecycle_policy",
  "ECS.2": "assign_public_ip is true",
  "ECS.4": 'container "app" is privileged',
  "ECS.5": 'container "app" has a writable root filesystem',
  "ECS.8": 'container "app" sets GF_SECURITY_ADMIN_PASSWORD as a plain environment variable',
  "ECS.9": 'container "app" has no logConfiguration',
  "ECS.12": "containerInsights is not enabled",
  "ECS.20": 'container "app" runs as "0"',
  "SecretsManager.1": "no aws_secretsmanager_secret_rotation",
  "ELB.16": "no aws_wafv2_web_acl_association associates a web ACL with it",
  "IAM.21": 'statement 1: "s3:*" allows every s3 action',
  "LGTM.1": "statement 1 allows iam:PassRole on *",
  "S3.2": 'statement "Deny" (Effect "Allow") lets everyone s3:GetObject on aws_s3_bucket.b with no condition naming an account, organization, network or source',
  "S3.3": "statement 2 (Effect \"Allow\") lets everyone s3:PutObject on aws_s3_bucket.b with no condition naming an account, organization, network or source",
  "S3.14": "no aws_s3_bucket_versioning enables versioning",
  "EC2.18": "0.0.0.0/0 reaches mimir on port 9009 (tcp): only the gateway's port may admit an address range",
  "LGTM.2": "${aws_vpc.v.cidr_block} reaches mimir on port 9009 (tcp): only the gateway's port may admit an address range",
  "LGTM.3": "forwards /prometheus/* to aws_lb_target_group.mimir_tg (service mimir), not to the gateway's target group",
  "Gateway.1": "location = /mimir/ring forwards to mimir with the write credential: not a route of the gateway's allow-list (settings/gateway-routes.ts)",
  "Grafana.1": 'datasource "Loki" url http://loki.lgtm.local:3100 bypasses the gateway (the gateway is gateway:8080)',
  "CloudWatch.16": "an audit log group kept 30 days, less than 365",
  "KMS.4": "enable_key_rotation is not true",
  "KMS.100": "tagged for a customer managed key, but it has no kms_key_id",
  "Image.1": 'container "app" runs "grafana/loki:3.7.6", pinned by tag only',
};

const idsOf = (stack: SynthesizedStack) => evaluatePolicy([stack], []).violations.map((v) => `${v.rule.id} ${v.address}`);

describe("GIVEN the policy pack", () => {
  it("WHEN listed THEN every rule has a case below, and ids are unique Security Hub control ids or documented project ids (LGTM.<n>)", () => {
    expect(RULES.map((r) => r.id).sort()).toEqual(CASES.map(([id]) => id).sort());
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    const security = fs.readFileSync(path.join(__dirname, "..", "docs", "security.md"), "utf8");
    for (const r of RULES) {
      // A Security Hub control id ("ELB.1", "SecretsManager.1"), or the project's own namespace where
      // Security Hub has no control; every id has its row in docs/security.md's policy table.
      expect(r.id).toMatch(new RegExp(`^(${PROJECT_CONTROL_PREFIX}|[A-Z][A-Za-z0-9]*)\\.[1-9]\\d*$`));
      expect(security, r.id).toMatch(new RegExp(`^\\| [^|]*\\b${r.id.replace(".", "\\.")}\\b[^|]* \\|`, "m"));
      expect(r.fix, r.id).toMatch(/\w/);
      expect(r.reason, r.id).toMatch(/\w/);
    }
  });

  it.each(CASES)("WHEN rule %s checks a compliant stack THEN it finds nothing, and a violating one THEN it names the control and the address", (id, good, bad, address) => {
    expect(idsOf(good).filter((v) => v.startsWith(`${id} `))).toEqual([]);
    expect(idsOf(bad)).toContain(`${id} ${address}`);
    expect(evaluatePolicy([bad], []).violations.filter((v) => v.rule.id === id).map((v) => v.detail)).toEqual([DETAILS[id]]);
  });

  it.each(ABSENT)("WHEN rule %s reads a resource without %s THEN it reports it only when the default is unsafe", (id, _absent, stack, reported) => {
    const found = idsOf(stack).filter((v) => v.startsWith(`${id} `));
    expect(found.length > 0, found.join(", ")).toBe(reported);
  });

  it("WHEN IAM.1 reads a jsonencode() policy as cdktf writes it THEN it sees the wildcard too", () => {
    const hcl = (action: string) => ({
      aws_iam_role_policy: { p: { policy: `\${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Sid" = "X", "Effect" = "Allow", "Action" = ${action}, "Resource" = "*"}]})}` } },
    });
    expect(idsOf(stackOf(hcl('["s3:GetObject"]')))).toEqual([]);
    expect(idsOf(stackOf(hcl('"*"')))).toEqual(["IAM.1 aws_iam_role_policy.p"]);
    expect(idsOf(stackOf(hcl('["s3:GetObject", "*"]')))).toEqual(["IAM.1 aws_iam_role_policy.p"]);
  });

  it("WHEN a violation is reported THEN the message names the stack, the address, the container, the control and the fixing setting", () => {
    const bad = taskWith(goodContainer({ name: "loki", readonlyRootFilesystem: undefined }));
    expect(() => checkPolicy([bad], [])).toThrow(PolicyError);
    try {
      checkPolicy([bad], []);
    } catch (e) {
      expect((e as Error).message).toContain("policy check failed (1 violation):");
      expect((e as Error).message).toContain("test-60-ecs: aws_ecs_task_definition.app_task_definition (loki): ECS.5 ");
      expect((e as Error).message).toContain("fix: modules/fargate-service (readonlyRootFilesystem");
      expect((e as Error).message).toContain('accept_risks.waivers."ECS.5" with a reason');
    }
  });
});

describe("GIVEN the rules' edge cases", () => {
  const only = (id: string, stack: SynthesizedStack) => evaluatePolicy([stack], []).violations.filter((v) => v.rule.id === id);

  it("WHEN several resources violate THEN each is named once, in address order, with the container it concerns", () => {
    const stack = stackOf({ aws_efs_file_system: { z_fs: { encrypted: false }, a_fs: {}, m_fs: { encrypted: true } } });
    expect(only("EFS.1", stack).map((v) => v.address)).toEqual(["aws_efs_file_system.a_fs", "aws_efs_file_system.z_fs"]);
    const task = taskWith(goodContainer({ name: "init", user: "root" }), goodContainer({ name: "app", user: "root:root" }), goodContainer({ name: "ok", user: "10001" }));
    expect(only("ECS.20", task).map((v) => v.part)).toEqual(["init", "app"]);
    expect(only("ECS.20", task).map((v) => v.detail)).toEqual(['container "init" runs as "root"', 'container "app" runs as "root:root"']);
  });

  it("WHEN a user only starts like root's, or is not a string THEN ECS.20 tells them apart", () => {
    const users = (user: unknown) => only("ECS.20", taskWith(goodContainer({ user }))).length;
    expect(users("0:1000")).toBe(1);
    expect(users("01000")).toBe(0);
    expect(users("rootless")).toBe(0);
    expect(users(1000)).toBe(1);
    expect(only("ECS.20", taskWith(goodContainer({ user: undefined })))[0].detail).toBe(`container "app" runs as the image's user (root unless the image says otherwise)`);
  });

  it("WHEN container_definitions is no JSON list (a reference, broken JSON, an object) THEN no container rule reports anything", () => {
    for (const definitions of ["${local.containers}", "[{", JSON.stringify({ name: "app", privileged: true }), 42]) {
      const stack = stackOf({ aws_ecs_task_definition: { t: { container_definitions: definitions } } }, "test-60-ecs");
      expect(evaluatePolicy([stack], []).violations, String(definitions)).toEqual([]);
    }
  });

  it("WHEN IAM.1 reads JSON policies THEN it flags Allow of * or *:* in a statement list or a single statement, never a Deny", () => {
    const one = (doc: object) => only("IAM.1", stackOf(policy(doc))).length;
    expect(one(allow("*:*"))).toBe(1);
    expect(one(allow(["s3:GetObject", "*"]))).toBe(1);
    expect(one({ Version: "2012-10-17", Statement: { Effect: "Allow", Action: "*", Resource: "*" } })).toBe(1);
    expect(one({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] })).toBe(0);
    expect(one(allow("s3:*"))).toBe(0);
    expect(one({ Version: "2012-10-17", Statement: [null] })).toBe(0);
    // aws_iam_policy as well as aws_iam_role_policy; a policy that is no string is not read.
    expect(only("IAM.1", stackOf({ aws_iam_policy: { p: { policy: JSON.stringify(allow("*")) } } })).map((v) => v.address)).toEqual(["aws_iam_policy.p"]);
    expect(only("IAM.1", stackOf({ aws_iam_role_policy: { p: { policy: { Statement: [] } } } }))).toEqual([]);
  });

  it("WHEN IAM.1 reads jsonencode() statements THEN a Deny of * and an Allow of named actions pass, *:* does not", () => {
    const hcl = (statements: string) => stackOf({ aws_iam_role_policy: { p: { policy: `\${jsonencode({"Version" = "2012-10-17", "Statement" = [${statements}]})}` } } });
    expect(only("IAM.1", hcl('{"Effect" = "Deny", "Action" = "*", "Resource" = "*"}, {"Effect" = "Allow", "Action" = ["s3:GetObject"], "Resource" = "*"}'))).toEqual([]);
    expect(only("IAM.1", hcl('{"Effect" = "Allow", "Action" = "*:*", "Resource" = "*"}'))).toHaveLength(1);
    expect(only("IAM.1", hcl('{"Sid" = "A", "Effect" = "Allow", "Action" = ["s3:GetObject", "*:*"], "Resource" = "*"}'))).toHaveLength(1);
  });

  it("WHEN ELB rules read listeners and load balancers of other kinds THEN only ALBs and HTTP/HTTPS listeners are judged", () => {
    expect(only("ELB.4", stackOf(alb({ load_balancer_type: "network", drop_invalid_header_fields: undefined })))).toEqual([]);
    expect(only("ELB.1", stackOf(listener({ protocol: "HTTPS", port: 443, ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06" })))).toEqual([]);
    expect(only("ELB.1", stackOf(listener({ ...redirect, default_action: { type: "redirect", redirect: { protocol: "HTTPS" } } })))).toEqual([]);
    expect(only("ELB.1", stackOf(listener({ ...redirect, default_action: [{ type: "redirect", redirect: { protocol: "HTTP" } }] })))).toHaveLength(1);
    expect(only("ELB.1", stackOf(listener({ ...redirect, default_action: [{ type: "forward", redirect: { protocol: "HTTPS" } }] })))).toHaveLength(1);
    expect(only("ELB.17", stackOf(listener({ protocol: "HTTPS", port: 443, ssl_policy: "ELBSecurityPolicy-TLS13-1-3-2021-06" })))).toEqual([]);
    expect(only("ELB.17", stackOf(listener({ protocol: "HTTPS", port: 443, ssl_policy: "ELBSecurityPolicy-TLS13-1-1-2021-06" })))).toHaveLength(1);
    expect(only("ELB.17", stackOf(listener({ protocol: "HTTPS", port: 443, ssl_policy: "Custom-ELBSecurityPolicy-TLS13-1-2-2021-06" })))).toHaveLength(1);
    expect(only("ELB.5", stackOf(alb({ access_logs: [{ bucket: "logs", enabled: true }] })))).toEqual([]);
    expect(only("ELB.5", stackOf(alb({ access_logs: [{ bucket: "logs", enabled: false }] })))).toHaveLength(1);
  });

  it("WHEN ELB.16 reads load balancers THEN only internet-facing ALBs are judged, and only an association with a web ACL of the stack counts", () => {
    const association = (acl: string) => ({ aws_wafv2_web_acl_association: { a: { resource_arn: "${aws_lb.public_alb.arn}", web_acl_arn: acl } } });
    expect(only("ELB.16", stackOf(alb({ internal: true })))).toEqual([]);
    expect(only("ELB.16", stackOf(alb({ load_balancer_type: "network" })))).toEqual([]);
    expect(only("ELB.16", stackOf(alb()))).toHaveLength(1);
    // An ARN written literally, or a web ACL this stack does not hold, proves nothing about its rules.
    expect(only("ELB.16", stackOf({ ...alb(), ...association("arn:aws:wafv2:ap-northeast-2:111111111111:regional/webacl/x/1") }))).toHaveLength(1);
    expect(only("ELB.16", stackOf({ ...alb(), ...association("${aws_wafv2_web_acl.elsewhere.arn}") }))).toHaveLength(1);
    expect(only("ELB.16", stackOf({ ...alb(), aws_wafv2_web_acl: { w: {} }, ...association("${aws_wafv2_web_acl.w.arn}") }))).toEqual([]);
  });

  it("WHEN EC2.2 reads a default group with rules, or one of another VPC THEN the VPC is reported", () => {
    const sg = (g: Record<string, unknown>) => stackOf(vpc({ aws_default_security_group: { network_default: { vpc_id: "${aws_vpc.network_vpc.id}", ...g } } }));
    expect(only("EC2.2", sg({ ingress: [{ from_port: 0 }] }))).toHaveLength(1);
    expect(only("EC2.2", sg({ egress: [{ from_port: 0 }] }))).toHaveLength(1);
    expect(only("EC2.2", sg({ ingress: [], egress: [] }))).toEqual([]);
    expect(only("EC2.2", sg({ vpc_id: "${aws_vpc.other_vpc.id}" }))).toHaveLength(1);
    expect(only("EC2.6", stackOf(vpc({ aws_flow_log: { f: { vpc_id: "${aws_vpc.other_vpc.id}" } } })))).toHaveLength(1);
  });

  it("WHEN S3.5 reads bucket policies THEN it needs a Deny on aws:SecureTransport false, in JSON or jsonencode(), for that bucket", () => {
    const withPolicy = (p: unknown, b = "b") => stackOf(s3(undefined, { aws_s3_bucket_policy: { b_policy: { ...bucket(b), policy: p } } }));
    const statement = { Sid: "TLS", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["${aws_s3_bucket.b.arn}", "${aws_s3_bucket.b.arn}/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } };
    const json = JSON.stringify({ Statement: [statement] });
    expect(only("S3.5", withPolicy(json))).toEqual([]);
    expect(only("S3.5", withPolicy(json.replace("Deny", "Allow")))).toHaveLength(1);
    // A literal ARN of the bucket's name, and a boolean false, count as well.
    const literal = { ...statement, Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], Condition: { Bool: { "aws:SecureTransport": false } } };
    expect(only("S3.5", stackOf(s3(undefined, { aws_s3_bucket: { b: { bucket: "b" } }, aws_s3_bucket_policy: { p: { ...bucket("b"), policy: JSON.stringify({ Statement: [literal] }) } } })))).toEqual([]);
    // Each part of the statement is needed: everyone, every action, the objects, the condition's value.
    for (const broken of [
      { ...statement, Principal: { AWS: "arn:aws:iam::111111111111:root" } },
      { ...statement, Action: ["s3:PutObject"] },
      { ...statement, Resource: ["${aws_s3_bucket.b.arn}"] },
      { ...statement, Condition: { Bool: { "aws:SecureTransport": "true" } } },
      { ...statement, Condition: { StringEquals: { "aws:SecureTransport": "false" } } },
      // A statement named after the control, allowing: the name is no Deny.
      { ...statement, Sid: "Deny", Effect: "Allow" },
    ]) {
      expect(only("S3.5", withPolicy(JSON.stringify({ Statement: [broken] }))), JSON.stringify(broken)).toHaveLength(1);
    }
    expect(only("S3.5", withPolicy(denyHttp.replace('"false"', '"true"')))).toHaveLength(1);
    expect(only("S3.5", withPolicy(denyHttp, "other"))).toHaveLength(1);
    expect(only("S3.5", withPolicy({ Statement: [] }))).toHaveLength(1);
    expect(only("S3.9", stackOf(s3(undefined, { aws_s3_bucket_logging: { l: { ...bucket("other") } } })))).toHaveLength(1);
  });

  it("WHEN ECS.8 reads environment names THEN secret-looking names are flagged whatever their case, others not", () => {
    const names = (name: string) => only("ECS.8", taskWith(goodContainer({ environment: [{ name, value: "x" }] }))).length;
    for (const name of ["DB_PASSWORD", "client_secret", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "ECS_ENGINE_AUTH_DATA", "MY_ACCESS_KEY"]) expect(names(name), name).toBe(1);
    for (const name of ["LOG_LEVEL", "GF_SERVER_ROOT_URL", "KEYCLOAK_URL"]) expect(names(name), name).toBe(0);
  });

  it("WHEN ECS.8 reads a secret-looking name holding a URL (an IdP's token endpoint) THEN only a plain https URL passes", () => {
    const value = (name: string, v: string) => only("ECS.8", taskWith(goodContainer({ environment: [{ name, value: v }] }))).length;
    expect(value("GF_AUTH_GENERIC_OAUTH_TOKEN_URL", "https://idp.example.com/oauth2/v1/token")).toBe(0);
    for (const v of ["https://idp.example.com/token?client_secret=abc", "https://user:pw@idp.example.com/token", "http://idp.example.com/token", "https://idp.example.com/token#x", "s3cr3t"]) {
      expect(value("GF_AUTH_GENERIC_OAUTH_TOKEN_URL", v), v).toBe(1);
    }
    // Only a name ending in _URL: a secret's name with an https value is still a secret.
    expect(value("GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET", "https://idp.example.com/")).toBe(1);
  });

  it("WHEN ECS.12 reads the cluster setting THEN enabled counts, another setting's value does not, and one block counts like a list", () => {
    const cluster = (setting: unknown) => only("ECS.12", stackOf({ aws_ecs_cluster: { cluster: { setting } } })).length;
    expect(cluster([{ name: "containerInsights", value: "enabled" }])).toBe(0);
    expect(cluster({ name: "containerInsights", value: "enabled" })).toBe(0);
    expect(cluster([{ name: "somethingElse", value: "enabled" }])).toBe(1);
  });

  it("WHEN ECR.3 and SecretsManager.1 read their companions THEN one pointing at another repository or secret covers nothing", () => {
    expect(only("ECR.3", stackOf({ ...repo(), aws_ecr_lifecycle_policy: { l: { repository: "${aws_ecr_repository.other.name}" } } }))).toHaveLength(1);
    expect(
      only("SecretsManager.1", stackOf({ aws_secretsmanager_secret: { s: { name: "x" } }, aws_secretsmanager_secret_rotation: { r: { secret_id: "${aws_secretsmanager_secret.other.id}" } } })),
    ).toHaveLength(1);
    // A reference must be a whole `${type.name.attribute}`, not text around one.
    expect(only("ECR.3", stackOf({ ...repo(), aws_ecr_lifecycle_policy: { l: { repository: "x-${aws_ecr_repository.ecr_x.name}" } } }))).toHaveLength(1);
  });
});

describe("GIVEN reports and waivers", () => {
  const bad = (name: string) => goodContainer({ name, readonlyRootFilesystem: undefined });

  it("WHEN there are two violations THEN the message counts them in the plural, one line each", () => {
    const report = evaluatePolicy([taskWith(bad("a"), bad("b"))], []);
    const text = formatViolations(report);
    expect(text.split("\n")[0]).toBe("policy check failed (2 violations):");
    expect(text.split("\n")).toHaveLength(3);
  });

  it("WHEN a stack belongs to an environment without settings THEN its environment comes from the stack id and only code waivers apply", () => {
    const report = evaluatePolicy([{ ...taskWith(bad("a")), id: "staging-60-ecs" }], []);
    expect(report.violations.map((v) => `${v.env} ${v.stack}`)).toEqual(["staging staging-60-ecs"]);
    expect(report.unusedWaivers).toEqual([]);
  });

  it("WHEN a waiver lists no resources or a glob THEN it covers every address it matches, and a glob's dot is literal", async () => {
    const prod = await shipped("prod");
    // Waivers set directly (the loader's own address check is tested above): what the matching does.
    const waiving = (resources: string[] | undefined) =>
      ({ ...prod, accept_risks: { ...prod.accept_risks, waivers: { "ECS.5": { reason: "every container here writes its root fs", resources } } } }) as Settings;
    const task = { ...taskWith(bad("a"), bad("b")), id: "prod-60-ecs" };
    expect(evaluatePolicy([task], [waiving([])]).violations).toEqual([]);
    expect(evaluatePolicy([task], [waiving(undefined)]).violations).toEqual([]);
    expect(evaluatePolicy([task], [waiving(["aws_ecs_task_definition.app_*"])]).violations).toEqual([]);
    expect(evaluatePolicy([task], [waiving(["aws_ecs_task_definition.app_*#a"])]).violations.map((v) => v.part)).toEqual(["b"]);
    // "*" stops at "#": a glob on the address does not reach into the container part.
    expect(evaluatePolicy([task], [waiving(["aws_ecs_task_definition.*a"])]).violations.map((v) => v.part)).toEqual(["a", "b"]);
    // The dot is literal, not "any character".
    expect(evaluatePolicy([task], [waiving(["aws_ecs_task_definitionXapp_*"])]).violations).toHaveLength(2);
    expect(evaluatePolicy([task], [waiving(["aws_ecs_task_definition.app_task_definition"])]).violations).toEqual([]);
    expect(evaluatePolicy([task], [waiving(["aws_ecs_task_definition.app_task"])]).violations).toHaveLength(2);
  });

  it("WHEN a code waiver covers a finding THEN the summary prints one line with the control, environment, source, address and reason", () => {
    const summary = formatPolicySummary(evaluatePolicy([stackOf({ aws_s3_bucket: { audit_logs_bucket: {} } }, "prod-30-storage")], []));
    expect(summary.split("\n").filter((l) => l.startsWith("  waived "))).toEqual([
      `  waived S3.9 in prod (policy/code-waivers.ts): aws_s3_bucket.audit_logs_bucket: ${CODE_WAIVERS.find((w) => w.control === "S3.9")!.reason}`,
    ]);
  });
});

describe.skipIf(MUTATION_RUN)("GIVEN the shipped environments synthesized", () => {
  let prod: Settings;
  let dev: Settings;
  let stacks: SynthesizedStack[];
  beforeAll(async () => {
    [prod, dev] = await Promise.all([shipped("prod"), shipped("dev")]);
    stacks = synthesizedStacks(prod, dev);
  });

  it("WHEN the pack runs THEN there is no unwaived violation and the summary counts rules, stacks and waivers", () => {
    const report = checkPolicy(stacks, [prod, dev]);
    expect(report.violations).toEqual([]);
    expect(report.stacks).toBe(14);
    const summary = formatPolicySummary(report);
    expect(summary).toMatch(new RegExp(`^policy: ${RULES.length} rules \\(ELB\\.1, .*\\) on 14 stacks: 0 violations, ${report.waived.length} waived`));
    // Every waiver is printed with its reason.
    for (const w of report.waived) expect(summary).toContain(w.waiver.reason);
    expect(report.unusedWaivers).toEqual([]);
  });

  it("WHEN a broken copy of the prod stacks points a Grafana datasource around the gateway (at Loki, or at the gateway on another port, or without credentials) THEN Grafana.1 names Grafana's task definition and the datasource", () => {
    const ecs = stacks.find((x) => x.id === "prod-60-ecs")!;
    const breakGrafana = (edit: (config: string) => string): SynthesizedStack => {
      const copy = structuredClone(ecs) as SynthesizedStack;
      const task = (copy.json.resource as Record<string, Record<string, TfBlock>>).aws_ecs_task_definition.grafana_task_definition;
      const cs = JSON.parse(task.container_definitions) as TfBlock[];
      let edited = 0;
      for (const c of cs) for (const e of c.environment ?? []) if (/^datasources:/m.test(e.value)) {
        const next = edit(e.value);
        if (next !== e.value) edited++;
        e.value = next;
      }
      expect(edited).toBe(1);
      task.container_definitions = JSON.stringify(cs);
      return copy;
    };
    const grafana1 = (stack: SynthesizedStack) => evaluatePolicy([stack], []).violations.filter((v) => v.rule.id === "Grafana.1").map((v) => `${v.address}#${v.part}: ${v.detail}`);
    expect(grafana1(ecs)).toEqual([]);
    expect(grafana1(breakGrafana((c) => c.replace(/(name: "Loki"[\s\S]*?)http:\/\/gateway\.lgtm\.local:8080/, "$1http://loki.lgtm.local:3100")))).toEqual([
      'aws_ecs_task_definition.grafana_task_definition#config: datasource "Loki" url http://loki.lgtm.local:3100 bypasses the gateway (the gateway is gateway:8080)',
    ]);
    expect(grafana1(breakGrafana((c) => c.replace("http://gateway.lgtm.local:8080/prometheus", "http://gateway.lgtm.local:9009/prometheus")))).toEqual([
      'aws_ecs_task_definition.grafana_task_definition#config: datasource "Mimir" url http://gateway.lgtm.local:9009 bypasses the gateway (the gateway is gateway:8080)',
    ]);
    expect(grafana1(breakGrafana((c) => c.replace(/(name: "Tempo"[\s\S]*?)basicAuth: true/, "$1basicAuth: false")))).toEqual([
      'aws_ecs_task_definition.grafana_task_definition#config: datasource "Tempo" reaches the gateway without basic auth (basicAuth, basicAuthUser): the gateway answers 401',
    ]);
  });

  it("WHEN the environments' waivers are dropped THEN the findings they covered are violations", () => {
    const bare = (s: Settings) => ({ ...s, accept_risks: { ...s.accept_risks, waivers: {} } }) as Settings;
    const report = evaluatePolicy(stacks, [bare(prod), bare(dev)]);
    const waivedBefore = evaluatePolicy(stacks, [prod, dev]).waived.filter((w) => !w.waiver.source.startsWith("policy/"));
    expect(report.violations.length).toBe(waivedBefore.length);
  });
});

describe("GIVEN a waiver in settings", () => {
  it.each(RULES.map((r) => r.id))("WHEN the waiver of %s has no reason THEN loading fails naming the file and the key", async (id) => {
    expect(await overrideError({ accept_risks: { waivers: { [id]: { reason: undefined } } } })).toContain(
      `environments/prod.tfvars: accept_risks.waivers.${id}.reason: is required but set in neither file (expected a reason: why this environment accepts the risk`,
    );
  });

  it("WHEN the reason is too short to say anything THEN loading fails", async () => {
    expect(await overrideError({ accept_risks: { waivers: { "ECS.4": { reason: "ok" } } } })).toContain(
      "accept_risks.waivers.ECS.4.reason: expected a reason of at least 15 characters",
    );
  });

  it("WHEN it names a control the pack does not have THEN loading fails with a did-you-mean", async () => {
    expect(await overrideError({ accept_risks: { waivers: { "ELB.7": { reason: "a long enough reason here" } } } })).toContain(
      'accept_risks.waivers.ELB.7: the policy pack has no control "ELB.7"; did you mean "ELB.1"?',
    );
  });

  it("WHEN it lists resources THEN it covers only those, and the rest stay violations", async () => {
    const s = await settingsWith({ accept_risks: { waivers: { "ECS.5": { reason: "this one container writes its root fs", resources: ["aws_ecs_task_definition.app_task_definition#loki"] } } } });
    const task = taskWith(goodContainer({ name: "loki", readonlyRootFilesystem: undefined }), goodContainer({ name: "mimir", readonlyRootFilesystem: undefined }));
    const report = evaluatePolicy([{ ...task, id: "prod-60-ecs" }], [s]);
    expect(report.waived.map((w) => w.part)).toEqual(["loki"]);
    expect(report.violations.map((v) => v.part)).toEqual(["mimir"]);
    expect(formatPolicySummary(report)).toContain('waived ECS.5 in prod (prod settings, accept_risks.waivers."ECS.5"): aws_ecs_task_definition.app_task_definition#loki: this one container writes its root fs');
  });

  it("WHEN it matches nothing THEN the summary says to remove it", async () => {
    const s = await settingsWith({ accept_risks: { waivers: { "EFS.1": { reason: "nothing here is unencrypted" } } } });
    const report = evaluatePolicy([{ ...taskWith(goodContainer()), id: "prod-60-ecs" }], [s]);
    expect(formatPolicySummary(report)).toContain('warning: prod settings, accept_risks.waivers."EFS.1" matched nothing in prod; remove it');
  });
});

describe.skipIf(MUTATION_RUN)("GIVEN synth with an unwaived violation", () => {
  it("WHEN synthesize runs THEN it throws PolicyError and leaves the previous output untouched", async () => {
    const { synthesize } = await import("../commands/synth");
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-policy-"));
    try {
      fs.mkdirSync(path.join(out, "stacks"), { recursive: true });
      fs.writeFileSync(path.join(out, "marker"), "previous");
      const s = await settingsWith({ load_balancer: { deletion_protection: false } });
      expect(() => synthesize([s], out)).toThrow(/prod-50-loadbalancer: aws_lb\.public_alb: ELB\.6 .*fix: load_balancer\.deletion_protection/);
      expect(fs.readFileSync(path.join(out, "marker"), "utf8")).toBe("previous");
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

const GRAFANA_DATABASE = {
  type: "postgres",
  host: "grafana.cluster-abc.ap-northeast-2.rds.amazonaws.com",
  name: "grafana",
  user: "grafana",
  password_secret_arn: "arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:lgtm/prod/grafana-db-AbC123:password::",
};

describe.skipIf(MUTATION_RUN).each([
  { variant: "prod", load: () => shipped("prod") },
  { variant: "dev", load: () => shipped("dev") },
  { variant: "prod with an external Grafana database (no EFS)", load: () => settingsWith({ grafana: { database: GRAFANA_DATABASE } }) },
])("GIVEN the $variant task definitions (hardened containers, issue 17 part 3)", ({ load }) => {
  let settings: Settings;
  let ecs: SynthesizedStack;
  beforeAll(async () => {
    settings = await load();
    ecs = synthesizedStacks(settings).find((st) => st.id.endsWith("-60-ecs"))!;
  });

  it("WHEN their containers are read THEN every main container is read-only and runs as its image's non-root user, with a volume per declared writable path that the owner step chowns to that user, and the config is written by a non-root container", async () => {
    const { containers, resources } = await import("../policy");
    const { COMPONENTS, SERVICE_NAMES } = await import("../settings");
    const seen: string[] = [];
    for (const [address, task] of resources(ecs, "aws_ecs_task_definition")) {
      const all = containers(task);
      const writer = all.find((c) => c.name === "config")!;
      const init = all.find((c) => c.name === "config-owner")!;
      const main = all[0];
      if (!(main.name in COMPONENTS)) {
        // The query cache (no catalog service, stacks/60-ecs.ts): memcached as its image's user, nothing written.
        expect([main.name, main.readonlyRootFilesystem, main.user], address).toEqual(["memcached", true, "11211:11211"]);
        continue;
      }
      const name = main.name as keyof typeof COMPONENTS;
      const { imageUser, writablePaths } = COMPONENTS[name];
      seen.push(name);
      // The owner step: read-only root, root user (code waiver ECS.20) with CHOWN alone, no environment;
      // the writer: read-only root, the main container's user (nobody for a root main), no capability.
      expect(init.readonlyRootFilesystem, address).toBe(true);
      expect(init.user, address).toBeUndefined();
      expect(init.environment ?? [], address).toEqual([]);
      expect(init.linuxParameters.capabilities.drop, address).not.toContain("CHOWN");
      expect(writer.readonlyRootFilesystem, address).toBe(true);
      expect(writer.user, address).toBe(imageUser ?? "65534:65534");
      expect(writer.linuxParameters, address).toEqual({ capabilities: { drop: ["ALL"] } });
      expect(writer.dependsOn, address).toEqual([{ condition: "SUCCESS", containerName: "config-owner" }]);
      expect(main.dependsOn, address).toEqual([{ condition: "SUCCESS", containerName: "config" }]);
      // The main container.
      expect(main.readonlyRootFilesystem, address).toBe(true);
      // Every image's own non-root user, the gateway's too (the nginx image's nginx user, 101): no waiver.
      expect(imageUser, name).toMatch(/^[1-9][0-9]*(:[1-9][0-9]*)?$/);
      expect(main.user, address).toBe(imageUser);
      const rw = (main.mountPoints as { sourceVolume: string; containerPath: string; readOnly: boolean }[]).filter((m) => !m.readOnly);
      expect(rw.map((m) => m.containerPath).sort(), address).toEqual([...writablePaths].sort());
      const volumes = task.volume as { name: string; efs_volume_configuration?: unknown }[];
      const script = (init.command as string[]).join("\n");
      for (const m of rw) {
        const volume = volumes.find((v) => v.name === m.sourceVolume);
        expect(volume, `${address} ${m.containerPath}`).toBeDefined();
        if (volume!.efs_volume_configuration) continue; // EFS: its access point writes as the user (issue 12)
        // A task-scoped volume (no host path, no EFS), which Fargate creates owned by root.
        expect(Object.keys(volume!), address).toEqual(["name"]);
        if (imageUser !== undefined) {
          expect(init.mountPoints, address).toContainEqual({ containerPath: m.containerPath, readOnly: false, sourceVolume: m.sourceVolume });
          expect(script.split("\n"), address).toContain(`chown ${imageUser} ${m.containerPath}`);
        }
      }
    }
    expect(seen.sort()).toEqual([...SERVICE_NAMES].sort());
  });

  it("WHEN the rendered configs, commands and environments are read THEN every local path a component writes is under one of its writable paths", async () => {
    const { COMPONENTS, SERVICE_NAMES } = await import("../settings");
    const { CONFIG_DIR, serviceConfigs } = await import("../templates");
    const { containers, resources } = await import("../policy");
    const under = (p: string, roots: readonly string[]) => roots.some((r) => p === r || p.startsWith(`${r}/`));
    const written: Record<string, string[]> = {};
    for (const name of SERVICE_NAMES) {
      written[name] = [];
      for (const c of serviceConfigs(settings, name).filter((f) => f.containerPath.endsWith(".yaml"))) {
        // Filesystem keys of the YAML configs (dir, data_dir, sync_dir, rule_path, wal.path, filepath,
        // cache_location, ..., and Loki's common.path_prefix), not URL prefixes; the read-only config
        // volume (Grafana's dashboard provider path) is read, never written.
        const walk = (v: unknown, key: string): void => {
          if (typeof v === "string" && v.startsWith("/") && !under(v, [CONFIG_DIR]) && (/(^|[._])(dir|directory|path|filepath|location)$/.test(key) || key === "common.path_prefix")) written[name].push(v);
          else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
          else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, key ? `${key}.${k}` : k);
        };
        walk(parseYaml(c.content), "");
      }
      // The gateway's nginx.conf: its pid file and temp paths.
      for (const c of serviceConfigs(settings, name).filter((f) => f.containerPath.endsWith("nginx.conf"))) {
        for (const m of c.content.matchAll(/^\s*(?:pid|\w+_temp_path)\s+(\/\S+);/gm)) written[name].push(m[1]);
      }
    }
    for (const [, task] of resources(ecs, "aws_ecs_task_definition")) {
      const main = containers(task).find((c) => c.name !== "config")!;
      for (const a of (main.command as string[] | undefined) ?? []) if (a.startsWith("--storage.path=")) written[main.name as string].push(a.slice("--storage.path=".length));
      for (const e of main.environment as { name: string; value: string }[]) if (e.name === "GF_PATHS_DATA") written[main.name as string].push(e.value);
    }
    // Each component names at least its data dir; Mimir's activity log and Loki's WAL are written out.
    expect(written.mimir).toContain("/data/metrics-activity.log");
    expect(written.loki).toContain("/loki/wal");
    for (const name of SERVICE_NAMES) {
      expect(written[name].length, name).toBeGreaterThan(0);
      for (const p of written[name]) expect(under(p, COMPONENTS[name].writablePaths), `${name}: ${p}`).toBe(true);
    }
  });

  it("WHEN the policy pack runs THEN no ECS.5 or ECS.20 finding remains but the owner steps' documented root user", () => {
    const report = checkPolicy([ecs], [settings]);
    expect(report.violations).toEqual([]);
    const waived = report.waived.filter((w) => w.rule.id === "ECS.5" || w.rule.id === "ECS.20");
    // One init container per catalog service; nothing else (the gateway runs as the nginx image's user, 101).
    expect(waived.map((w) => `${w.rule.id} ${w.part} ${w.waiver.source}`).sort()).toEqual(Array.from({ length: SERVICE_NAMES.length }, () => "ECS.20 config-owner policy/code-waivers.ts"));
  });
});
