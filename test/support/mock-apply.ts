/**
 * Mock apply of a synthesized layer stack with `terraform test`: no AWS account, no credentials.
 *
 * For one stack folder this writes a working copy of its JSON and a `<layer>.tftest.hcl` with
 * - `mock_provider "aws"` whose `mock_resource` / `mock_data` defaults, and one `override_resource`
 *   per resource address, give the computed attributes realistic values (vpc-/subnet-/sg-... ids,
 *   ARNs of the right service, region and account). Terraform's own random mock strings would fail
 *   the provider's checks (an ARN-typed argument is validated at plan time once its value is known),
 *   and distinct per-address ids make "the private subnets" distinguishable from "the public ones";
 * - `override_data` for every `terraform_remote_state` the layer reads, holding the LITERAL outputs
 *   captured from the upstream layers' mocked runs (override values cannot reference other runs);
 * - one `run` with `command = apply` and the layer's wiring assertions, written with those literals.
 *
 * `terraform test -json -verbose` prints the state after the run ("test_state"); its outputs feed the
 * next layers. See test/mock-apply.test.ts for the chain.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Settings } from "../../settings";
import { COMPONENTS, SERVICE_NAMES, taskRoleName } from "../../settings";
import { LAYER_READS, LAYERS, layerShortName, type LayerId } from "../../stacks/contract";
import type { StackJson } from "./synth";
import { inPool, runAsync, type RunResult, type Terraform } from "./terraform";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Config = Record<string, any>;

/** Outputs of a layer's mocked run: name -> value. */
export type Outputs = Record<string, Json>;

// Running terraform asynchronously lives in ./terraform (shared with the validate tier).
export { inPool, runAsync, type RunResult };

/** The layers in an order where every layer comes after the layers it reads (LAYER_READS). */
export function dependencyOrder(): LayerId[] {
  const done: LayerId[] = [];
  while (done.length < LAYERS.length) {
    const ready = LAYERS.filter((l) => !done.includes(l) && LAYER_READS[l].every((r) => done.includes(r)));
    if (ready.length === 0) throw new Error("LAYER_READS has a cycle");
    done.push(...ready);
  }
  return done;
}

// ---------------------------------------------------------------------------------------------
// HCL writing
// ---------------------------------------------------------------------------------------------

/**
 * A value as an HCL expression. HCL's object and tuple syntax accepts JSON; only template
 * sequences in strings must be escaped so a literal stays literal.
 */
export function hcl(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\$\{/g, "$${").replace(/%\{/g, "%%{");
}

const indent = (text: string, by = "  ") => text.replace(/\n/g, `\n${by}`);

// ---------------------------------------------------------------------------------------------
// Realistic mock values
// ---------------------------------------------------------------------------------------------

export interface MockContext {
  readonly account: string;
  readonly region: string;
  /** Stack id, part of every generated id so two stacks never share one. */
  readonly stack: string;
}

/** Deterministic hex digits for an address: the same stack always gets the same ids. */
const hex = (seed: string, n: number) => createHash("sha256").update(seed).digest("hex").slice(0, n);
const literal = (v: unknown): string | undefined => (typeof v === "string" && !v.includes("${") ? v : undefined);

/** ALB hosted-zone ids (AWS's published per-region values); others get a made-up id of the same shape. */
const ALB_ZONE_IDS: Record<string, string> = { "ap-northeast-2": "ZWKZPGTI48KDX", "us-east-1": "Z35SXDOTRQ7X7K", "eu-west-1": "Z32O12XQLNTSW2" };
/** S3 website/bucket hosted-zone ids per region, same idea. */
const S3_ZONE_IDS: Record<string, string> = { "ap-northeast-2": "Z3W03O7B5YMIYP", "us-east-1": "Z3AQBSTGFYJSTF", "eu-west-1": "Z1BKCTXD74EZPE" };

/** Resolves a `${type.name.attr}` reference inside the stack, or a remote-state output, to its mock value. */
type Resolve = (expression: unknown) => string | undefined;

interface TypeMock {
  /** Values every instance of the type shares (mock_resource defaults). */
  shared?: (c: MockContext) => Record<string, Json>;
  /** Values of one instance (override_resource): ids and ARNs that must be distinct. */
  instance: (c: MockContext, address: string, config: Config, resolve: Resolve) => Record<string, Json>;
}

const ec2 = (kind: string, prefix: string): TypeMock => ({
  shared: (c) => ({ owner_id: c.account }),
  instance: (c, a) => {
    const id = `${prefix}-${hex(`${c.stack}/${a}`, 17)}`;
    return { id, arn: `arn:aws:ec2:${c.region}:${c.account}:${kind}/${id}` };
  },
});
const sgRule: TypeMock = {
  instance: (c, a) => {
    const id = `sgr-${hex(`${c.stack}/${a}`, 17)}`;
    return { id, security_group_rule_id: id, arn: `arn:aws:ec2:${c.region}:${c.account}:security-group-rule/${id}` };
  },
};
/** S3 bucket sub-resources are identified by their bucket's name. */
const bucketChild: TypeMock = { instance: (_c, a, cfg, resolve) => ({ id: resolve(cfg.bucket) ?? a }) };

/**
 * The computed values of every resource type the layers use. A type missing here fails the mock
 * run with a message saying so: add its realistic values rather than let Terraform invent them.
 */
export const TYPE_MOCKS: Record<string, TypeMock> = {
  // 10-network
  aws_vpc: {
    shared: (c) => ({ owner_id: c.account, ipv6_association_id: "", ipv6_cidr_block: "" }),
    instance: (c, a) => {
      const id = `vpc-${hex(`${c.stack}/${a}`, 17)}`;
      const h = (what: string) => hex(`${c.stack}/${a}/${what}`, 17);
      return {
        id,
        arn: `arn:aws:ec2:${c.region}:${c.account}:vpc/${id}`,
        default_network_acl_id: `acl-${h("acl")}`,
        default_route_table_id: `rtb-${h("rtb")}`,
        main_route_table_id: `rtb-${h("rtb")}`,
        default_security_group_id: `sg-${h("sg")}`,
        dhcp_options_id: `dopt-${h("dopt")}`,
      };
    },
  },
  aws_subnet: ec2("subnet", "subnet"),
  aws_internet_gateway: ec2("internet-gateway", "igw"),
  aws_route_table: ec2("route-table", "rtb"),
  aws_security_group: ec2("security-group", "sg"),
  aws_default_security_group: ec2("security-group", "sg"),
  aws_vpc_endpoint: {
    shared: (c) => ({ owner_id: c.account, state: "available", requester_managed: false }),
    instance: (c, a) => {
      const id = `vpce-${hex(`${c.stack}/${a}`, 17)}`;
      return { id, arn: `arn:aws:ec2:${c.region}:${c.account}:vpc-endpoint/${id}` };
    },
  },
  aws_eip: {
    shared: () => ({ domain: "vpc" }),
    instance: (c, a) => {
      const id = `eipalloc-${hex(`${c.stack}/${a}`, 17)}`;
      // 203.0.113.0/24 is TEST-NET-3 (RFC 5737): an address that can never be anyone's.
      const ip = `203.0.113.${parseInt(hex(`${c.stack}/${a}/ip`, 2), 16) % 254 + 1}`;
      return { id, allocation_id: id, public_ip: ip, arn: `arn:aws:ec2:${c.region}:${c.account}:elastic-ip/${id}` };
    },
  },
  aws_nat_gateway: {
    instance: (c, a) => ({
      id: `nat-${hex(`${c.stack}/${a}`, 17)}`,
      network_interface_id: `eni-${hex(`${c.stack}/${a}/eni`, 17)}`,
    }),
  },
  aws_route: { shared: () => ({ origin: "CreateRoute", state: "active" }), instance: (c, a) => ({ id: `r-rtb-${hex(`${c.stack}/${a}`, 17)}1080289494` }) },
  aws_route_table_association: { instance: (c, a) => ({ id: `rtbassoc-${hex(`${c.stack}/${a}`, 17)}` }) },
  aws_vpc_security_group_ingress_rule: sgRule,
  aws_vpc_security_group_egress_rule: sgRule,

  // 00-bootstrap, 30-storage
  aws_s3_bucket: {
    shared: (c) => ({ region: c.region, hosted_zone_id: S3_ZONE_IDS[c.region] ?? "Z1MOCKS3ZONE01" }),
    instance: (c, a, cfg) => {
      const bucket = literal(cfg.bucket) ?? a;
      return {
        id: bucket,
        arn: `arn:aws:s3:::${bucket}`,
        bucket_domain_name: `${bucket}.s3.amazonaws.com`,
        bucket_regional_domain_name: `${bucket}.s3.${c.region}.amazonaws.com`,
      };
    },
  },
  aws_s3_bucket_lifecycle_configuration: bucketChild,
  aws_s3_bucket_ownership_controls: bucketChild,
  aws_s3_bucket_policy: bucketChild,
  aws_s3_bucket_public_access_block: bucketChild,
  aws_s3_bucket_server_side_encryption_configuration: bucketChild,
  aws_s3_bucket_versioning: bucketChild,
  aws_s3_bucket_logging: bucketChild,
  aws_flow_log: {
    instance: (c, a) => {
      const id = `fl-${hex(`${c.stack}/${a}`, 17)}`;
      return { id, arn: `arn:aws:ec2:${c.region}:${c.account}:vpc-flow-log/${id}` };
    },
  },
  aws_efs_file_system: {
    // Regional (not One Zone) file systems have no AZ; encrypted ones without a key use AWS's own.
    shared: () => ({ availability_zone_id: "", availability_zone_name: "" }),
    instance: (c, a) => {
      const id = `fs-${hex(`${c.stack}/${a}`, 17)}`;
      const k = hex(`${c.stack}/${a}/kms`, 32);
      return {
        id,
        arn: `arn:aws:elasticfilesystem:${c.region}:${c.account}:file-system/${id}`,
        dns_name: `${id}.efs.${c.region}.amazonaws.com`,
        owner_id: c.account,
        kms_key_id: `arn:aws:kms:${c.region}:${c.account}:key/${k.slice(0, 8)}-${k.slice(8, 12)}-${k.slice(12, 16)}-${k.slice(16, 20)}-${k.slice(20, 32)}`,
      };
    },
  },
  aws_efs_access_point: {
    shared: (c) => ({ owner_id: c.account }),
    instance: (c, a, cfg, resolve) => {
      const id = `fsap-${hex(`${c.stack}/${a}`, 17)}`;
      const fs = resolve(cfg.file_system_id) ?? "fs-0";
      return {
        id,
        arn: `arn:aws:elasticfilesystem:${c.region}:${c.account}:access-point/${id}`,
        file_system_arn: `arn:aws:elasticfilesystem:${c.region}:${c.account}:file-system/${fs}`,
      };
    },
  },
  aws_efs_mount_target: {
    shared: (c) => ({ owner_id: c.account }),
    instance: (c, a, cfg, resolve) => {
      const fs = resolve(cfg.file_system_id) ?? "fs-0";
      return {
        id: `fsmt-${hex(`${c.stack}/${a}`, 17)}`,
        file_system_arn: `arn:aws:elasticfilesystem:${c.region}:${c.account}:file-system/${fs}`,
        dns_name: `${fs}.efs.${c.region}.amazonaws.com`,
        network_interface_id: `eni-${hex(`${c.stack}/${a}/eni`, 17)}`,
      };
    },
  },
  aws_efs_backup_policy: { instance: (_c, a, cfg, resolve) => ({ id: resolve(cfg.file_system_id) ?? a }) },
  aws_efs_file_system_policy: { instance: (_c, a, cfg, resolve) => ({ id: resolve(cfg.file_system_id) ?? a }) },
  aws_ecr_repository: {
    shared: (c) => ({ registry_id: c.account }),
    instance: (c, a, cfg) => {
      const name = literal(cfg.name) ?? a;
      return {
        id: name,
        arn: `arn:aws:ecr:${c.region}:${c.account}:repository/${name}`,
        repository_url: `${c.account}.dkr.ecr.${c.region}.amazonaws.com/${name}`,
      };
    },
  },
  aws_ecr_pull_through_cache_rule: {
    shared: (c) => ({ registry_id: c.account }),
    instance: (_c, a, cfg) => ({ id: literal(cfg.ecr_repository_prefix) ?? a }),
  },
  // Issue 26: what ECR applies to the repositories a pull-through cache creates (id: the prefix).
  aws_ecr_repository_creation_template: {
    shared: (c) => ({ registry_id: c.account }),
    instance: (_c, a, cfg) => ({ id: literal(cfg.prefix) ?? a }),
  },
  aws_ecr_registry_scanning_configuration: {
    shared: (c) => ({ registry_id: c.account }),
    instance: (c) => ({ id: c.account }),
  },
  aws_ecr_lifecycle_policy: {
    shared: (c) => ({ registry_id: c.account }),
    instance: (_c, a, cfg, resolve) => ({ id: resolve(cfg.repository) ?? a }),
  },

  // 40-iam
  aws_iam_role: {
    shared: () => ({ create_date: "2025-01-01T00:00:00Z" }),
    instance: (c, a, cfg) => {
      const name = literal(cfg.name) ?? a;
      return { id: name, arn: `arn:aws:iam::${c.account}:role/${name}`, unique_id: `AROA${hex(`${c.stack}/${a}`, 17).toUpperCase()}` };
    },
  },
  aws_iam_role_policy: {
    instance: (_c, a, cfg, resolve) => ({ id: `${resolve(cfg.role) ?? a}:${literal(cfg.name) ?? a}` }),
  },
  aws_secretsmanager_secret: {
    instance: (c, a, cfg) => {
      const name = literal(cfg.name) ?? a;
      // Secrets Manager appends "-" and six random characters to a secret's name in its ARN.
      const arn = `arn:aws:secretsmanager:${c.region}:${c.account}:secret:${name}-${hex(`${c.stack}/${a}`, 6)}`;
      return { id: arn, arn };
    },
  },
  aws_secretsmanager_secret_version: {
    shared: () => ({ version_stages: ["AWSCURRENT"] }),
    instance: (c, a, cfg, resolve) => {
      const h = hex(`${c.stack}/${a}`, 32);
      const version = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
      const secret = resolve(cfg.secret_id) ?? a;
      return { id: `${secret}|${version}`, arn: secret, version_id: version };
    },
  },

  // 50-loadbalancer
  aws_lb: {
    shared: (c) => ({ zone_id: ALB_ZONE_IDS[c.region] ?? "Z1MOCKALBZONE01" }),
    instance: (c, a, cfg) => {
      const name = literal(cfg.name) ?? a;
      const suffix = `app/${name}/${hex(`${c.stack}/${a}`, 16)}`;
      const digits = String(parseInt(hex(`${c.stack}/${a}/dns`, 8), 16)).padStart(10, "1").slice(0, 10);
      return {
        id: `arn:aws:elasticloadbalancing:${c.region}:${c.account}:loadbalancer/${suffix}`,
        arn: `arn:aws:elasticloadbalancing:${c.region}:${c.account}:loadbalancer/${suffix}`,
        arn_suffix: suffix,
        dns_name: `${name}-${digits}.${c.region}.elb.amazonaws.com`,
      };
    },
  },
  aws_lb_listener: {
    instance: (c, a, cfg, resolve) => {
      const lb = resolve(cfg.load_balancer_arn) ?? `arn:aws:elasticloadbalancing:${c.region}:${c.account}:loadbalancer/app/${a}/0`;
      const arn = `${lb.replace(":loadbalancer/", ":listener/")}/${hex(`${c.stack}/${a}`, 16)}`;
      return { id: arn, arn };
    },
  },
  aws_acm_certificate: {
    shared: () => ({ status: "ISSUED", type: "AMAZON_ISSUED", key_algorithm: "RSA_2048", renewal_eligibility: "ELIGIBLE", pending_renewal: false }),
    instance: (c, a, cfg) => {
      const h = hex(`${c.stack}/${a}`, 32);
      const arn = `arn:aws:acm:${c.region}:${c.account}:certificate/${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
      const name = literal(cfg.domain_name) ?? "example.com";
      // ACM's validation record: a CNAME of _<32 hex>.<name>. to _<32 hex>.<random>.acm-validations.aws.
      return {
        id: arn,
        arn,
        domain_validation_options: [
          {
            domain_name: name,
            resource_record_name: `_${hex(`${c.stack}/${a}/n`, 32)}.${name}.`,
            resource_record_type: "CNAME",
            resource_record_value: `_${hex(`${c.stack}/${a}/v`, 32)}.xlfgrmvvlj.acm-validations.aws.`,
          },
        ],
      };
    },
  },
  aws_acm_certificate_validation: {
    instance: () => ({ id: "2025-01-01 00:00:00 +0000 UTC" }),
  },
  aws_route53_record: {
    instance: (_c, a, cfg, resolve) => {
      const name = (resolve(cfg.name) ?? a).replace(/\.$/, "");
      return { id: `${resolve(cfg.zone_id) ?? "Z0"}_${name}_${resolve(cfg.type) ?? "A"}`, fqdn: name };
    },
  },
  // The web ACL (load_balancer.waf): WAF's ARNs name the scope, the name and a UUID.
  aws_wafv2_web_acl: {
    shared: () => ({ capacity: 1000, application_integration_url: "" }),
    instance: (c, a, cfg) => {
      const h = hex(`${c.stack}/${a}`, 32);
      const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
      return { id, arn: `arn:aws:wafv2:${c.region}:${c.account}:regional/webacl/${literal(cfg.name) ?? a}/${id}`, lock_token: hex(`${c.stack}/${a}/lock`, 32) };
    },
  },
  aws_wafv2_web_acl_association: {
    instance: (_c, a, cfg, resolve) => ({ id: `${resolve(cfg.web_acl_arn) ?? a},${resolve(cfg.resource_arn) ?? a}` }),
  },
  aws_wafv2_web_acl_logging_configuration: {
    instance: (_c, a, cfg, resolve) => ({ id: resolve(cfg.resource_arn) ?? a }),
  },
  aws_service_discovery_private_dns_namespace: {
    instance: (c, a) => {
      const id = `ns-${hex(`${c.stack}/${a}`, 16)}`;
      return { id, arn: `arn:aws:servicediscovery:${c.region}:${c.account}:namespace/${id}`, hosted_zone: `Z0${hex(`${c.stack}/${a}/zone`, 18).toUpperCase()}` };
    },
  },

  // 60-ecs
  aws_cloudwatch_log_group: {
    shared: () => ({ log_group_class: "STANDARD" }),
    instance: (c, a, cfg) => {
      const name = literal(cfg.name) ?? a;
      return { id: name, arn: `arn:aws:logs:${c.region}:${c.account}:log-group:${name}` };
    },
  },
  aws_ecs_cluster: {
    instance: (c, a, cfg) => {
      const arn = `arn:aws:ecs:${c.region}:${c.account}:cluster/${literal(cfg.name) ?? a}`;
      return { id: arn, arn };
    },
  },
  aws_ecs_cluster_capacity_providers: { instance: (_c, a, cfg, resolve) => ({ id: resolve(cfg.cluster_name) ?? a }) },
  aws_ecs_task_definition: {
    shared: () => ({ revision: 1 }),
    instance: (c, a, cfg) => {
      const family = literal(cfg.family) ?? a;
      const base = `arn:aws:ecs:${c.region}:${c.account}:task-definition/${family}`;
      return { id: family, arn: `${base}:1`, arn_without_revision: base };
    },
  },
  aws_ecs_service: {
    shared: () => ({ platform_version: "LATEST" }),
    instance: (c, a, cfg, resolve) => {
      const cluster = (resolve(cfg.cluster) ?? `cluster/${a}`).split("/").pop();
      return { id: `arn:aws:ecs:${c.region}:${c.account}:service/${cluster}/${literal(cfg.name) ?? a}` };
    },
  },
  aws_lb_target_group: {
    instance: (c, a, cfg) => {
      const suffix = `targetgroup/${literal(cfg.name) ?? a}/${hex(`${c.stack}/${a}`, 16)}`;
      const arn = `arn:aws:elasticloadbalancing:${c.region}:${c.account}:${suffix}`;
      return { id: arn, arn, arn_suffix: suffix };
    },
  },
  aws_lb_listener_rule: {
    instance: (c, a, cfg, resolve) => {
      const listener = resolve(cfg.listener_arn) ?? `arn:aws:elasticloadbalancing:${c.region}:${c.account}:listener/app/${a}/0/0`;
      const arn = `${listener.replace(":listener/", ":listener-rule/")}/${hex(`${c.stack}/${a}`, 16)}`;
      return { id: arn, arn };
    },
  },
  // 60-ecs: alerting (modules/alerting)
  aws_kms_key: {
    instance: (c, a) => {
      const k = hex(`${c.stack}/${a}`, 32);
      const id = `${k.slice(0, 8)}-${k.slice(8, 12)}-${k.slice(12, 16)}-${k.slice(16, 20)}-${k.slice(20, 32)}`;
      return { id, key_id: id, arn: `arn:aws:kms:${c.region}:${c.account}:key/${id}` };
    },
  },
  aws_sns_topic: {
    shared: (c) => ({ owner: c.account }),
    instance: (c, a, cfg) => {
      const arn = `arn:aws:sns:${c.region}:${c.account}:${literal(cfg.name) ?? a}`;
      return { id: arn, arn };
    },
  },
  aws_sns_topic_policy: { shared: (c) => ({ owner: c.account }), instance: (_c, a, cfg, resolve) => ({ id: resolve(cfg.arn) ?? a }) },
  aws_sns_topic_subscription: {
    shared: (c) => ({ owner_id: c.account, pending_confirmation: true, confirmation_was_authenticated: false }),
    instance: (c, a, cfg, resolve) => {
      const h = hex(`${c.stack}/${a}`, 32);
      const arn = `${resolve(cfg.topic_arn) ?? `arn:aws:sns:${c.region}:${c.account}:${a}`}:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
      return { id: arn, arn };
    },
  },
  aws_cloudwatch_metric_alarm: {
    instance: (c, a, cfg) => {
      const name = literal(cfg.alarm_name) ?? a;
      return { id: name, arn: `arn:aws:cloudwatch:${c.region}:${c.account}:alarm:${name}` };
    },
  },
  aws_cloudwatch_event_rule: {
    instance: (c, a, cfg) => {
      const name = literal(cfg.name) ?? a;
      return { id: name, arn: `arn:aws:events:${c.region}:${c.account}:rule/${name}` };
    },
  },
  aws_cloudwatch_event_target: {
    instance: (c, a, cfg, resolve) => ({ id: `${resolve(cfg.rule) ?? a}-${hex(`${c.stack}/${a}`, 8)}`, target_id: hex(`${c.stack}/${a}`, 8) }),
  },
  aws_chatbot_slack_channel_configuration: {
    instance: (c, a, cfg) => {
      const arn = `arn:aws:chatbot::${c.account}:chat-configuration/slack-channel/${literal(cfg.configuration_name) ?? a}`;
      return { id: arn, chat_configuration_arn: arn, slack_channel_name: "alerts", slack_team_name: "team" };
    },
  },
  aws_service_discovery_service: {
    shared: () => ({ type: "DNS_HTTP" }),
    instance: (c, a) => {
      const id = `srv-${hex(`${c.stack}/${a}`, 16)}`;
      return { id, arn: `arn:aws:servicediscovery:${c.region}:${c.account}:service/${id}` };
    },
  },
};

/** Data sources that call AWS, with fixed answers. */
export const DATA_MOCKS: Record<string, (c: MockContext) => Record<string, Json>> = {
  aws_caller_identity: (c) => ({ id: c.account, account_id: c.account, arn: `arn:aws:sts::${c.account}:assumed-role/deploy/lgtm`, user_id: "AROAMOCKMOCKMOCKMOCK:lgtm" }),
  // AWS's published Elastic Load Balancing log-delivery accounts of the regions the tests use.
  aws_elb_service_account: (c) => {
    const id = ({ "ap-northeast-2": "600734575887", "us-east-1": "127311923021", "eu-west-1": "156460612806" } as Record<string, string>)[c.region] ?? "000000000000";
    return { id, arn: `arn:aws:iam::${id}:root` };
  },
  aws_partition: () => ({ id: "aws", partition: "aws", dns_suffix: "amazonaws.com", reverse_dns_prefix: "com.amazonaws" }),
};

/** Every resource of a stack with its mocked computed values, by address ("type.name"). */
export function mockedResources(stack: StackJson, c: MockContext, upstream: Partial<Record<LayerId, Outputs>> = {}): Map<string, Record<string, Json>> {
  const resources = stack.resource ?? {};
  const cache = new Map<string, Record<string, Json>>();
  const valuesOf = (type: string, name: string): Record<string, Json> => {
    const address = `${type}.${name}`;
    let v = cache.get(address);
    if (!v) {
      const mock = TYPE_MOCKS[type];
      if (!mock) throw new Error(`no realistic mock values for resource type ${type} (${c.stack}): add it to TYPE_MOCKS in test/support/mock-apply.ts`);
      v = mock.instance(c, address, resources[type][name], resolve);
      cache.set(address, v);
    }
    return v;
  };
  const resolve: Resolve = (expression) => {
    if (typeof expression !== "string") return undefined;
    const local = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/.exec(expression);
    if (local && resources[local[1]]?.[local[2]]) {
      const [, type, name, attr] = local;
      const configured = literal(resources[type][name][attr]);
      return configured ?? (valuesOf(type, name)[attr] as string | undefined);
    }
    const remote = /^\$\{data\.terraform_remote_state\.([a-z]+)\.outputs\.([a-z_]+)\}$/.exec(expression);
    if (remote) {
      const layer = LAYERS.find((l) => layerShortName(l) === remote[1]);
      const value = layer ? upstream[layer]?.[remote[2]] : undefined;
      return typeof value === "string" ? value : undefined;
    }
    return literal(expression);
  };
  const all = new Map<string, Record<string, Json>>();
  for (const [type, byName] of Object.entries(resources)) {
    for (const name of Object.keys(byName).sort()) all.set(`${type}.${name}`, valuesOf(type, name));
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// The one substitution: ephemeral resources (finding 5 of issue 11)
// ---------------------------------------------------------------------------------------------

export interface Substitution {
  json: StackJson & { ephemeral?: unknown };
  /** JSON paths that differ from the synthesized stack (dot-joined). */
  changed: string[];
}

/** The fixed string an ephemeral value becomes in the mock working copy. */
export const MOCK_EPHEMERAL_VALUE = "mock-ephemeral-value-not-a-secret";

/**
 * Terraform 1.11's mock_provider cannot mock ephemeral resources ("The provider mocking mechanism
 * does not yet support ephemeral resource types"), and there is no mock_ephemeral_resource block:
 * a stack with one cannot run under `terraform test` at all. 40-iam generates the Grafana password
 * with `ephemeral.aws_secretsmanager_random_password` so it never lands in state. The synthesized
 * JSON keeps it (`terraform validate` checks it); only this working copy drops the `ephemeral` block
 * and replaces each whole-value reference to it with MOCK_EPHEMERAL_VALUE. Nothing else changes, and
 * `changed` lists exactly what did so the test can prove it.
 */
export function withoutEphemeralResources(stack: StackJson): Substitution {
  const json = structuredClone(stack) as StackJson & { ephemeral?: unknown };
  const changed: string[] = [];
  if (json.ephemeral === undefined) return { json, changed };
  delete json.ephemeral;
  changed.push("ephemeral");
  const walk = (node: unknown, at: string[]): unknown => {
    if (typeof node === "string") {
      if (/^\$\{ephemeral\.[^}]+\}$/.test(node)) {
        changed.push(at.join("."));
        return MOCK_EPHEMERAL_VALUE;
      }
      if (/\$\{[^}]*\bephemeral\./.test(node)) {
        throw new Error(`${at.join(".")} uses an ephemeral value inside a larger expression; the mock harness can only replace whole values`);
      }
      return node;
    }
    if (Array.isArray(node)) return node.map((v, i) => walk(v, [...at, String(i)]));
    if (node && typeof node === "object") {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === "//" ? v : walk(v, [...at, k])]));
    }
    return node;
  };
  for (const key of Object.keys(json) as (keyof StackJson)[]) {
    if (key === ("//" as keyof StackJson)) continue;
    (json as Record<string, unknown>)[key] = walk(json[key], [key]);
  }
  return { json, changed };
}

// ---------------------------------------------------------------------------------------------
// Wiring assertions
// ---------------------------------------------------------------------------------------------

export interface Assertion {
  condition: string;
  message: string;
}

const names = (stack: StackJson, type: string) => Object.keys(stack.resource?.[type] ?? {}).sort();
const str = (v: unknown) => hcl(v);

/** The single resource of `type` belonging to service `svc` (logical id `<svc>_...`), by name. */
function ofService(stack: StackJson, type: string, svc: string): string {
  const found = names(stack, type).filter((n) => n.startsWith(`${svc}_`));
  if (found.length !== 1) throw new Error(`expected one ${type} for ${svc}, found ${found.join(", ") || "none"}`);
  return found[0];
}

function need(upstream: Partial<Record<LayerId, Outputs>>, layer: LayerId, output: string): Json {
  const outputs = upstream[layer];
  if (!outputs) throw new Error(`no captured outputs of ${layer}`);
  if (!(output in outputs)) throw new Error(`${layer} published no output "${output}"`);
  return outputs[output];
}

/**
 * The cross-layer wiring that matters, per layer, as `assert` blocks whose expected values are the
 * literal outputs of the upstream mocked runs (so "the ECS services are in the private subnets"
 * compares against the network layer's actual private subnet ids, not against the same expression).
 */
export function wiringAssertions(layer: LayerId, stack: StackJson, s: Settings, upstream: Partial<Record<LayerId, Outputs>>): Assertion[] {
  const out: Assertion[] = [];
  const services = SERVICE_NAMES.filter((svc) => s.services[svc] !== undefined);
  switch (layer) {
    case "00-bootstrap":
      out.push({ condition: `output.state_bucket_name == ${str(s.state_backend.bucket)}`, message: "the state bucket is the one state_backend.bucket names" });
      if (names(stack, "aws_s3_bucket").includes("audit_logs_bucket")) {
        const policy = "jsondecode(aws_s3_bucket_policy.audit_logs_policy.policy)";
        out.push({ condition: `aws_s3_bucket.audit_logs_bucket.id == ${str(s.audit_logs.bucket_name)}`, message: "the log bucket is the one audit_logs.bucket_name names" });
        out.push({
          condition: `contains([for st in ${policy}.Statement : try(st.Principal.AWS, "")], data.aws_elb_service_account.audit_logs_elb_account.arn)`,
          message: "the region's ELB log-delivery account may write ALB logs",
        });
        out.push({ condition: `aws_s3_bucket_logging.state_access_logs.target_bucket == aws_s3_bucket.audit_logs_bucket.id`, message: "the state bucket logs into the log bucket" });
      }
      break;
    case "10-network": {
      for (const type of Object.keys(stack.resource ?? {})) {
        for (const name of names(stack, type)) {
          const vpc = stack.resource![type][name].vpc_id;
          if (vpc !== undefined) out.push({ condition: `${type}.${name}.vpc_id == output.vpc_id`, message: `${type}.${name} is in the stack's VPC` });
        }
      }
      const azs = s.network.availability_zones.length;
      out.push({ condition: `length(output.private_subnet_ids) == ${azs} && length(output.public_subnet_ids) == ${azs}`, message: "one private and one public subnet per AZ" });
      out.push({ condition: "length(setintersection(output.private_subnet_ids, output.public_subnet_ids)) == 0", message: "private and public subnets are different subnets" });
      break;
    }
    case "20-security": {
      const vpc = need(upstream, "10-network", "vpc_id");
      for (const name of names(stack, "aws_security_group")) {
        out.push({ condition: `aws_security_group.${name}.vpc_id == ${str(vpc)}`, message: `security group ${name} is in the network layer's VPC` });
      }
      break;
    }
    case "30-storage": {
      out.push({ condition: `output.data_bucket_name == ${str(s.storage.data_bucket_name)}`, message: "the data bucket is the one storage.data_bucket_name names" });
      out.push({ condition: `aws_s3_bucket_versioning.data_versioning.versioning_configuration[0].status == "Enabled"`, message: "the data bucket is versioned" });
      for (const name of names(stack, "aws_ecr_pull_through_cache_rule")) {
        const rule = `aws_ecr_pull_through_cache_rule.${name}`;
        if (name.endsWith("docker_hub")) {
          out.push({ condition: `${rule}.credential_arn == ${str(s.ecr.docker_hub_credential_arn ?? "")} && ${rule}.upstream_registry_url == "registry-1.docker.io"`, message: "Docker Hub is cached with the ecr-pullthroughcache/ credential of the settings" });
        }
      }
      for (const name of names(stack, "aws_s3_bucket_logging")) {
        out.push({ condition: `aws_s3_bucket_logging.${name}.bucket == output.data_bucket_name`, message: "the data bucket's access logs are configured on the data bucket" });
        out.push({ condition: `aws_s3_bucket_logging.${name}.target_bucket == ${str(s.audit_logs.bucket_name ?? "")}`, message: "the data bucket logs into audit_logs.bucket_name" });
      }
      const mounts = names(stack, "aws_efs_mount_target");
      if (mounts.length > 0) {
        const priv = need(upstream, "10-network", "private_subnet_ids");
        const efsSg = need(upstream, "20-security", "efs_security_group_id");
        out.push({
          condition: `toset([${mounts.map((m) => `aws_efs_mount_target.${m}.subnet_id`).join(", ")}]) == toset(${str(priv)})`,
          message: "one EFS mount target in each of the network layer's private subnets",
        });
        for (const m of mounts) {
          out.push({ condition: `toset(aws_efs_mount_target.${m}.security_groups) == toset([${str(efsSg)}])`, message: `EFS mount target ${m} has the security layer's EFS security group` });
        }
      }
      break;
    }
    case "40-iam": {
      const bucketArn = need(upstream, "30-storage", "data_bucket_arn") as string;
      const policies = stack.resource?.aws_iam_role_policy ?? {};
      for (const svc of services) {
        const prefixes = COMPONENTS[svc].storagePrefixes.map((k) => s.storage_prefixes[k]);
        if (prefixes.length === 0) continue;
        const role = Object.entries(stack.resource?.aws_iam_role ?? {}).find(([, r]) => r.name === taskRoleName(s, svc))?.[0];
        if (!role) throw new Error(`40-iam has no role named ${taskRoleName(s, svc)}`);
        const own = Object.entries(policies).filter(([, p]) => p.role === `\${aws_iam_role.${role}.id}` || p.role === `\${aws_iam_role.${role}.name}`).map(([n]) => n);
        const resources = `flatten([for p in [${own.map((n) => `aws_iam_role_policy.${n}`).join(", ")}] : [for st in jsondecode(p.policy).Statement : st.Resource]])`;
        for (const prefix of prefixes) {
          out.push({ condition: `contains(${resources}, ${str(`${bucketArn}/${prefix}/*`)})`, message: `${svc}'s task role reaches ${prefix}/ in the storage layer's data bucket` });
        }
      }
      // Grafana's database file system (when it has one): its task role may mount exactly it.
      const fsArn = upstream["30-storage"]?.grafana_file_system_arn;
      if (services.includes("grafana") && typeof fsArn === "string" && fsArn !== "") {
        const role = Object.entries(stack.resource?.aws_iam_role ?? {}).find(([, r]) => r.name === taskRoleName(s, "grafana"))?.[0];
        const own = Object.entries(policies).filter(([, p]) => p.role === `\${aws_iam_role.${role}.id}` || p.role === `\${aws_iam_role.${role}.name}`).map(([n]) => n);
        out.push({
          condition: `contains(flatten([for p in [${own.map((n) => `aws_iam_role_policy.${n}`).join(", ")}] : [for st in jsondecode(p.policy).Statement : st.Resource]]), ${str(fsArn)})`,
          message: "grafana's task role may mount the storage layer's Grafana file system",
        });
      }
      break;
    }
    case "50-loadbalancer": {
      const pub = need(upstream, "10-network", "public_subnet_ids");
      const sg = need(upstream, "20-security", "alb_security_group_id");
      const vpc = need(upstream, "10-network", "vpc_id");
      for (const name of names(stack, "aws_lb")) {
        out.push({ condition: `toset(aws_lb.${name}.subnets) == toset(${str(pub)})`, message: `ALB ${name} is in the network layer's public subnets` });
        out.push({ condition: `toset(aws_lb.${name}.security_groups) == toset([${str(sg)}])`, message: `ALB ${name} has the security layer's ALB security group` });
      }
      // TLS (load_balancer.domain): the 443 listener serves the certificate validated in the zone, the
      // name points at the ALB, and port 80 only redirects.
      for (const name of names(stack, "aws_acm_certificate_validation")) {
        out.push({ condition: `aws_lb_listener.public_https.certificate_arn == aws_acm_certificate_validation.${name}.certificate_arn`, message: "the HTTPS listener serves the validated certificate" });
        out.push({ condition: `startswith(aws_lb_listener.public_https.certificate_arn, "arn:aws:acm:")`, message: "the HTTPS listener's certificate is an ACM certificate" });
      }
      if (s.load_balancer.domain) {
        const zone = str(s.load_balancer.domain.zone_id);
        for (const name of names(stack, "aws_route53_record")) {
          out.push({ condition: `aws_route53_record.${name}.zone_id == ${zone}`, message: `record ${name} is in load_balancer.domain.zone_id` });
        }
        out.push({ condition: `aws_route53_record.alias.alias[0].name == aws_lb.public_alb.dns_name`, message: "the domain is an alias of the ALB" });
        out.push({ condition: `aws_lb_listener.public_http.default_action[0].type == "redirect"`, message: "port 80 only redirects to HTTPS" });
      }
      // The web ACL (load_balancer.waf): on this ALB, logging into its aws-waf-logs- group.
      if (s.load_balancer.waf.enabled) {
        out.push({ condition: `aws_wafv2_web_acl_association.waf_association.resource_arn == aws_lb.public_alb.arn`, message: "the web ACL is associated with the ALB" });
        out.push({ condition: `aws_wafv2_web_acl_association.waf_association.web_acl_arn == aws_wafv2_web_acl.waf_web_acl.arn`, message: "the association names this layer's web ACL" });
        out.push({ condition: `toset(aws_wafv2_web_acl_logging_configuration.waf_logging.log_destination_configs) == toset([aws_cloudwatch_log_group.waf_log_group.arn])`, message: "the web ACL logs into its own log group" });
        out.push({ condition: `startswith(aws_cloudwatch_log_group.waf_log_group.name, "aws-waf-logs-")`, message: "the WAF log group has the name prefix AWS WAF requires" });
      }
      if (s.audit_logs.enabled && s.audit_logs.alb_access_logs) {
        out.push({ condition: `aws_lb.public_alb.access_logs[0].enabled && aws_lb.public_alb.access_logs[0].bucket == ${str(s.audit_logs.bucket_name)}`, message: "the ALB writes its access logs into audit_logs.bucket_name" });
      }
      for (const name of names(stack, "aws_service_discovery_private_dns_namespace")) {
        out.push({ condition: `aws_service_discovery_private_dns_namespace.${name}.vpc == ${str(vpc)}`, message: "the Cloud Map namespace is in the network layer's VPC" });
      }
      break;
    }
    case "60-ecs": {
      const priv = need(upstream, "10-network", "private_subnet_ids");
      const vpc = need(upstream, "10-network", "vpc_id");
      const taskSgs = need(upstream, "20-security", "task_security_group_ids") as Record<string, string>;
      const bucket = need(upstream, "30-storage", "data_bucket_name");
      const execRole = need(upstream, "40-iam", "task_execution_role_arn");
      const taskRoles = need(upstream, "40-iam", "task_role_arns") as Record<string, string>;
      const secrets = need(upstream, "40-iam", "secret_arns") as Record<string, string>;
      const listener = need(upstream, "50-loadbalancer", "listener_arn");
      const namespace = need(upstream, "50-loadbalancer", "cloud_map_namespace_id");
      for (const svc of services) {
        const service = `aws_ecs_service.${ofService(stack, "aws_ecs_service", svc)}`;
        const task = `aws_ecs_task_definition.${ofService(stack, "aws_ecs_task_definition", svc)}`;
        out.push({ condition: `toset(${service}.network_configuration[0].subnets) == toset(${str(priv)})`, message: `${svc}'s tasks run in the network layer's private subnets` });
        out.push({ condition: `${service}.network_configuration[0].assign_public_ip == false`, message: `${svc}'s tasks get no public IP` });
        out.push({ condition: `toset(${service}.network_configuration[0].security_groups) == toset([${str(taskSgs[svc])}])`, message: `${svc}'s tasks have the security layer's ${svc} security group` });
        out.push({ condition: `${task}.task_role_arn == ${str(taskRoles[svc])}`, message: `${svc}'s task role is the IAM layer's ${svc} role` });
        out.push({ condition: `${task}.execution_role_arn == ${str(execRole)}`, message: `${svc}'s execution role is the IAM layer's` });
        if (COMPONENTS[svc].storagePrefixes.length > 0) {
          out.push({
            condition: `contains(flatten([for c in jsondecode(${task}.container_definitions) : [for e in try(c.environment, []) : e.value]]), ${str(bucket)})`,
            message: `${svc}'s containers are given the storage layer's data bucket`,
          });
        }
      }
      if (s.image_source === "pull_through") {
        const account = String(execRole).split(":")[4];
        for (const svc of services) {
          const task = `aws_ecs_task_definition.${ofService(stack, "aws_ecs_task_definition", svc)}`;
          out.push({
            condition: `alltrue([for c in jsondecode(${task}.container_definitions) : startswith(c.image, ${str(`${account}.dkr.ecr.${s.aws.region}.amazonaws.com/`)})])`,
            message: `${svc}'s containers pull from the account's ECR (pull-through cache)`,
          });
        }
      }
      if (services.includes("grafana") && secrets.grafana_admin_password !== undefined) {
        const task = `aws_ecs_task_definition.${ofService(stack, "aws_ecs_task_definition", "grafana")}`;
        out.push({
          condition: `contains(flatten([for c in jsondecode(${task}.container_definitions) : [for v in try(c.secrets, []) : v.valueFrom]]), ${str(secrets.grafana_admin_password)})`,
          message: "Grafana's admin password comes from the IAM layer's secret",
        });
      }
      const fsId = upstream["30-storage"]?.grafana_file_system_id;
      if (services.includes("grafana") && typeof fsId === "string" && fsId !== "") {
        const task = `aws_ecs_task_definition.${ofService(stack, "aws_ecs_task_definition", "grafana")}`;
        const efs = `[for v in ${task}.volume : v.efs_volume_configuration[0] if length(v.efs_volume_configuration) > 0]`;
        out.push({ condition: `[for e in ${efs} : e.file_system_id] == [${str(fsId)}]`, message: "Grafana's data volume is the storage layer's file system" });
        out.push({
          condition: `[for e in ${efs} : e.authorization_config[0].access_point_id] == [${str(need(upstream, "30-storage", "grafana_access_point_id"))}]`,
          message: "Grafana mounts it through the storage layer's access point",
        });
      }
      for (const name of names(stack, "aws_lb_target_group")) {
        out.push({ condition: `aws_lb_target_group.${name}.vpc_id == ${str(vpc)}`, message: `target group ${name} is in the network layer's VPC` });
      }
      for (const name of names(stack, "aws_lb_listener_rule")) {
        out.push({ condition: `aws_lb_listener_rule.${name}.listener_arn == ${str(listener)}`, message: `listener rule ${name} is on the load balancer layer's listener` });
      }
      for (const name of names(stack, "aws_service_discovery_service")) {
        out.push({ condition: `aws_service_discovery_service.${name}.dns_config[0].namespace_id == ${str(namespace)}`, message: `Cloud Map service ${name} is in the load balancer layer's namespace` });
      }
      // Alerting: the alarms watch the upstream layers' own ALB and NAT gateways, and every alarm
      // and task-event rule reaches the one topic.
      const albSuffix = String(need(upstream, "50-loadbalancer", "alb_arn")).split(":loadbalancer/")[1];
      const nats = need(upstream, "10-network", "nat_gateway_ids") as Record<string, string>;
      for (const name of names(stack, "aws_cloudwatch_metric_alarm")) {
        const alarm = `aws_cloudwatch_metric_alarm.${name}`;
        out.push({ condition: `${alarm}.alarm_actions == toset([aws_sns_topic.alerts_topic.arn])`, message: `alarm ${name} notifies the alerts topic` });
        const dims = (stack.resource?.aws_cloudwatch_metric_alarm?.[name] as { dimensions?: Record<string, string> }).dimensions ?? {};
        if ("LoadBalancer" in dims) out.push({ condition: `${alarm}.dimensions["LoadBalancer"] == ${str(albSuffix)}`, message: `alarm ${name} watches the load balancer layer's ALB (${albSuffix})` });
        if ("NatGatewayId" in dims) {
          const az = Object.keys(nats).find((z) => name.includes(z.replace(/-/g, "_")));
          out.push({ condition: `${alarm}.dimensions["NatGatewayId"] == ${str(az ? nats[az] : "missing")}`, message: `alarm ${name} watches the network layer's NAT gateway of its AZ` });
        }
      }
      for (const name of names(stack, "aws_cloudwatch_event_target")) {
        out.push({ condition: `aws_cloudwatch_event_target.${name}.arn == aws_sns_topic.alerts_topic.arn`, message: `task-event target ${name} publishes to the alerts topic` });
      }
      break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The test file
// ---------------------------------------------------------------------------------------------

export interface TestFileOptions {
  stack: StackJson;
  layer: LayerId;
  context: MockContext;
  /** Literal outputs of the layers this one reads, by layer. */
  upstream: Partial<Record<LayerId, Outputs>>;
  assertions: readonly Assertion[];
  /** `apply` (default) or `plan`. */
  command?: "apply" | "plan";
  /** Leave these remote states un-overridden, so they are read for real through their backend. */
  readRemoteState?: readonly LayerId[];
}

export function testFile(o: TestFileOptions): string {
  const c = o.context;
  const types = Object.keys(o.stack.resource ?? {}).sort();
  const lines: string[] = [
    `# Generated by test/support/mock-apply.ts: mock apply of ${c.stack}. No AWS account is used.`,
    'mock_provider "aws" {',
  ];
  for (const type of types) {
    const mock = TYPE_MOCKS[type];
    if (!mock) throw new Error(`no realistic mock values for resource type ${type} (${c.stack}): add it to TYPE_MOCKS in test/support/mock-apply.ts`);
    if (mock.shared) lines.push(`  mock_resource "${type}" {`, `    defaults = ${indent(hcl(mock.shared(c)), "    ")}`, "  }");
  }
  for (const type of Object.keys(o.stack.data ?? {}).sort()) {
    if (type === "terraform_remote_state") continue;
    const mock = DATA_MOCKS[type];
    if (!mock) throw new Error(`no mock answer for data source ${type} (${c.stack}): add it to DATA_MOCKS in test/support/mock-apply.ts`);
    lines.push(`  mock_data "${type}" {`, `    defaults = ${indent(hcl(mock(c)), "    ")}`, "  }");
  }
  lines.push("}", "");
  for (const [address, values] of mockedResources(o.stack, c, o.upstream)) {
    lines.push("override_resource {", `  target = ${address}`, `  values = ${indent(hcl(values))}`, "}");
  }
  for (const short of Object.keys(o.stack.data?.terraform_remote_state ?? {}).sort()) {
    const layer = LAYERS.find((l) => layerShortName(l) === short);
    if (!layer) throw new Error(`${c.stack} reads remote state "${short}", which is no layer`);
    if (o.readRemoteState?.includes(layer)) continue;
    const outputs = o.upstream[layer];
    if (!outputs) throw new Error(`${c.stack} reads ${layer}, whose outputs were not captured`);
    lines.push("override_data {", `  target = data.terraform_remote_state.${short}`, `  values = ${indent(hcl({ outputs }))}`, "}");
  }
  lines.push("", `run "mock_${o.command ?? "apply"}" {`, `  command = ${o.command ?? "apply"}`);
  for (const a of o.assertions) {
    lines.push("  assert {", `    condition     = ${indent(a.condition, "    ")}`, `    error_message = ${hcl(a.message)}`, "  }");
  }
  lines.push("}", "");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Running one layer
// ---------------------------------------------------------------------------------------------

export interface Diagnostic {
  severity: string;
  summary: string;
  detail?: string;
}

export interface MockRun {
  stack: string;
  /** The run block passed and nothing failed except the teardown refusals below. */
  ok: boolean;
  /** Status of the run block: pass, fail or error ("" when terraform stopped before it). */
  status: string;
  /** Outputs of the run's final state (test_state), when it got that far. */
  outputs?: Outputs;
  /** Terraform's type of each output (as a state file records it). */
  outputTypes?: Record<string, Json>;
  /** Addresses in the final state. */
  addresses: string[];
  /** Computed attributes of each resource type in the final state, from the provider's schema. */
  computed: Record<string, string[]>;
  diagnostics: Diagnostic[];
  /**
   * Resources whose destruction at teardown was refused by `lifecycle.prevent_destroy`. terraform
   * test always destroys what a run created (1.11 has no -no-cleanup), and the protected buckets
   * rightly refuse: that is the protection working, not a failed apply, so it is reported here and
   * checked against the configuration instead of failing the run.
   */
  teardownRefused: string[];
  assertions: number;
  seconds: number;
  log: string;
}

/** Copies a synthesized stack into `workDir` for the mock (ephemeral substitution only) and inits it. */
export async function prepareWorkingCopy(tf: Terraform, stackDir: string, workDir: string): Promise<{ json: StackJson; substitution: Substitution; init: RunResult }> {
  const json = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as StackJson;
  const substitution = withoutEphemeralResources(json);
  fs.mkdirSync(workDir, { recursive: true });
  fs.writeFileSync(path.join(workDir, "cdk.tf.json"), JSON.stringify(substitution.json, null, 2));
  const init = await runAsync(tf, workDir, ["init", "-backend=false", "-input=false"]);
  return { json: substitution.json, substitution, init };
}

/**
 * Runs `terraform test` with the given test file text in an initialized working copy. `state: false`
 * leaves out -verbose, for runs judged by their status and diagnostics alone: -verbose prints the
 * final state with every provider schema (13 MB of JSON per run, about 0.9 s of terraform's CPU),
 * which outputs, addresses and `computed` come from.
 */
export async function runTestFile(
  tf: Terraform,
  workDir: string,
  fileName: string,
  text: string,
  extraEnv: NodeJS.ProcessEnv = {},
  { state = true }: { state?: boolean } = {},
): Promise<MockRun> {
  fs.writeFileSync(path.join(workDir, fileName), text);
  const started = Date.now();
  // -filter: other test files in the folder (an earlier run's) are left alone and not run.
  const r = await runAsync(tf, workDir, ["test", `-filter=${fileName}`, "-json", ...(state ? ["-verbose"] : [])], extraEnv);
  const run: MockRun = {
    stack: path.basename(workDir),
    ok: false,
    status: "",
    addresses: [],
    computed: {},
    diagnostics: [],
    teardownRefused: [],
    assertions: (text.match(/^\s+assert \{/gm) ?? []).length,
    seconds: (Date.now() - started) / 1000,
    log: r.stderr,
  };
  const human: string[] = [];
  for (const line of r.stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const m = JSON.parse(line) as {
      type: string;
      "@message"?: string;
      diagnostic?: Diagnostic;
      test_state?: {
        outputs?: Record<string, { value: Json; type: Json }>;
        root_module?: { resources?: { address: string; mode: string; type: string }[] };
        provider_schemas?: Record<string, { resource_schemas?: Record<string, { block: { attributes?: Record<string, { computed?: boolean }> } }> }>;
      };
      test_run?: { progress: string; status?: string };
    };
    if (m.type === "test_run" && m.test_run?.progress === "complete") run.status = m.test_run.status ?? "";
    if (m.type === "test_state" && m.test_state) {
      run.outputs = Object.fromEntries(Object.entries(m.test_state.outputs ?? {}).map(([k, v]) => [k, v.value]));
      run.outputTypes = Object.fromEntries(Object.entries(m.test_state.outputs ?? {}).map(([k, v]) => [k, v.type]));
      const resources = m.test_state.root_module?.resources ?? [];
      run.addresses = resources.map((x) => x.address).sort();
      const schemas = Object.values(m.test_state.provider_schemas ?? {}).flatMap((p) => Object.entries(p.resource_schemas ?? {}));
      const managed = new Set(resources.filter((x) => x.mode === "managed").map((x) => x.type));
      run.computed = Object.fromEntries(
        schemas
          .filter(([type]) => managed.has(type))
          .map(([type, schema]) => [type, Object.entries(schema.block.attributes ?? {}).filter(([, a]) => a.computed).map(([n]) => n).sort()]),
      );
    } else if (m.type === "diagnostic" && m.diagnostic) {
      const refused = /^Resource (\S+) has lifecycle\.prevent_destroy set/.exec(m.diagnostic.detail ?? "");
      if (m.diagnostic.summary === "Instance cannot be destroyed" && refused) run.teardownRefused.push(refused[1]);
      else run.diagnostics.push(m.diagnostic);
      human.push(`${m.diagnostic.severity}: ${m.diagnostic.summary}${m.diagnostic.detail ? `: ${m.diagnostic.detail}` : ""}`);
    } else if (m["@message"]) human.push(m["@message"]);
  }
  run.log = [...human, r.stderr].filter(Boolean).join("\n");
  run.teardownRefused.sort();
  const errors = run.diagnostics.some((d) => d.severity === "error");
  // terraform exits 1 when teardown is refused; the run itself is judged by its status and errors.
  run.ok = run.status === "pass" && !errors && (r.code === 0 || run.teardownRefused.length > 0);
  return run;
}

/** The problems of a run, one line each, for an assertion message. */
export const errorsOf = (run: MockRun) =>
  run.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.summary}${d.detail ? `: ${d.detail}` : ""}`);
