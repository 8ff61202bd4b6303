/**
 * The CI roles' IAM policies (docs/iam/*.json, what docs/reviewing.md tells an operator to attach)
 * read as IAM reads them: action patterns with `*` and `?`, Allow and Deny statements. And what the
 * plan role must be able to read, per resource type of the synthesized stacks, from the hashicorp/aws
 * 5.100.0 provider's Read of each type.
 *
 * Used by test/ci-roles.test.ts: statically against every resource type of the synthesized stacks,
 * and for real, with terraform planning a layer through moto with IAM enforcement on (moto's
 * `INITIAL_NO_AUTH_ACTION_COUNT`, set at run time through `/moto-api/reset-auth`).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./cli";
import type { TestCa } from "./moto";

export const PLAN_POLICY_FILE = path.join(ROOT, "docs", "iam", "plan-role.json");
export const APPLY_POLICY_FILE = path.join(ROOT, "docs", "iam", "apply-role.json");

export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | string[];
  readonly Resource: string | string[];
}
export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: Statement[];
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/** The policy file with its placeholders (`<state-bucket>`, `<project>`, `<env>`) filled in. */
export function loadPolicy(file: string, values: Record<string, string> = {}): PolicyDocument {
  let text = fs.readFileSync(file, "utf8");
  for (const [k, v] of Object.entries(values)) text = text.split(`<${k}>`).join(v);
  return JSON.parse(text) as PolicyDocument;
}

/** IAM's action match: case-insensitive, `*` any run, `?` one character. */
export function actionMatches(pattern: string, action: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "i").test(action);
}

/** An explicit Deny wins; otherwise allowed when some Allow names the action (any resource). */
export function allows(policy: PolicyDocument, action: string): boolean {
  const named = (s: Statement) => list(s.Action).some((p) => actionMatches(p, action));
  if (policy.Statement.some((s) => s.Effect === "Deny" && named(s))) return false;
  return policy.Statement.some((s) => s.Effect === "Allow" && named(s));
}

/** Every action pattern the policy allows. */
export const allowedPatterns = (policy: PolicyDocument) => policy.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => list(s.Action));

/**
 * Verbs of actions that change something. Every allowed pattern of the plan role must start with a
 * read verb instead (READ_VERBS), so a wildcard such as `s3:Put*` cannot slip in either.
 */
export const READ_VERBS = ["Describe", "Get", "List"] as const;

/** Read actions that hand out data rather than configuration: never allowed to the plan role. */
export const DATA_READS = [
  "secretsmanager:GetSecretValue",
  "secretsmanager:BatchGetSecretValue",
  "s3:GetObjectVersion",
  "logs:GetLogEvents",
  "logs:FilterLogEvents",
  "ecr:GetDownloadUrlForLayer",
  "ecr:BatchGetImage",
  "ecr:GetAuthorizationToken",
  "kms:Decrypt",
  "ssm:GetParameter",
  "sts:AssumeRole",
] as const;

/**
 * The read actions terraform's refresh of each resource type calls (hashicorp/aws 5.100.0), data
 * sources and ephemeral resources included. A type missing here fails the coverage test: add it
 * with its Read's actions, and the actions to docs/iam/plan-role.json. A few types other branches
 * are adding (WAF, KMS aliases, ECR creation templates, object lock) are listed ahead.
 */
export const READ_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  aws_acm_certificate: ["acm:DescribeCertificate", "acm:ListTagsForCertificate"],
  aws_acm_certificate_validation: ["acm:DescribeCertificate"],
  aws_cloudwatch_event_rule: ["events:DescribeRule", "events:ListTagsForResource"],
  aws_cloudwatch_event_target: ["events:ListTargetsByRule"],
  aws_cloudwatch_log_group: ["logs:DescribeLogGroups", "logs:ListTagsForResource"],
  aws_cloudwatch_log_resource_policy: ["logs:DescribeResourcePolicies"],
  aws_cloudwatch_metric_alarm: ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
  aws_default_security_group: ["ec2:DescribeSecurityGroups"],
  aws_ecr_lifecycle_policy: ["ecr:GetLifecyclePolicy"],
  aws_ecr_pull_through_cache_rule: ["ecr:DescribePullThroughCacheRules"],
  aws_ecr_registry_scanning_configuration: ["ecr:GetRegistryScanningConfiguration"],
  aws_ecr_repository: ["ecr:DescribeRepositories", "ecr:ListTagsForResource"],
  aws_ecr_repository_creation_template: ["ecr:DescribeRepositoryCreationTemplates"],
  aws_ecr_repository_policy: ["ecr:GetRepositoryPolicy"],
  aws_ecs_cluster: ["ecs:DescribeClusters"],
  aws_ecs_cluster_capacity_providers: ["ecs:DescribeClusters"],
  aws_ecs_service: ["ecs:DescribeServices"],
  aws_ecs_task_definition: ["ecs:DescribeTaskDefinition"],
  aws_efs_access_point: ["elasticfilesystem:DescribeAccessPoints"],
  aws_efs_backup_policy: ["elasticfilesystem:DescribeBackupPolicy"],
  aws_efs_file_system: ["elasticfilesystem:DescribeFileSystems", "elasticfilesystem:DescribeLifecycleConfiguration"],
  aws_efs_file_system_policy: ["elasticfilesystem:DescribeFileSystemPolicy"],
  aws_efs_mount_target: ["elasticfilesystem:DescribeMountTargets", "elasticfilesystem:DescribeMountTargetSecurityGroups", "ec2:DescribeNetworkInterfaces"],
  aws_eip: ["ec2:DescribeAddresses"],
  aws_flow_log: ["ec2:DescribeFlowLogs"],
  aws_iam_role: ["iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:GetRolePolicy"],
  aws_iam_role_policy: ["iam:GetRolePolicy"],
  aws_internet_gateway: ["ec2:DescribeInternetGateways"],
  aws_kms_alias: ["kms:ListAliases"],
  aws_kms_key: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
  aws_lb: ["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeTags"],
  aws_lb_listener: ["elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeTags"],
  aws_lb_listener_rule: ["elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags"],
  aws_lb_target_group: ["elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTags"],
  aws_nat_gateway: ["ec2:DescribeNatGateways"],
  aws_route: ["ec2:DescribeRouteTables"],
  aws_route53_record: ["route53:ListResourceRecordSets", "route53:GetHostedZone"],
  aws_route_table: ["ec2:DescribeRouteTables"],
  aws_route_table_association: ["ec2:DescribeRouteTables"],
  aws_s3_bucket: [
    "s3:ListBucket",
    "s3:GetBucketAcl",
    "s3:GetBucketCors",
    "s3:GetBucketWebsite",
    "s3:GetBucketVersioning",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketLogging",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketTagging",
    "s3:GetBucketPolicy",
  ],
  aws_s3_bucket_lifecycle_configuration: ["s3:GetLifecycleConfiguration"],
  aws_s3_bucket_logging: ["s3:GetBucketLogging"],
  aws_s3_bucket_object_lock_configuration: ["s3:GetBucketObjectLockConfiguration"],
  aws_s3_bucket_ownership_controls: ["s3:GetBucketOwnershipControls"],
  aws_s3_bucket_policy: ["s3:GetBucketPolicy"],
  aws_s3_bucket_public_access_block: ["s3:GetBucketPublicAccessBlock"],
  aws_s3_bucket_server_side_encryption_configuration: ["s3:GetEncryptionConfiguration"],
  aws_s3_bucket_versioning: ["s3:GetBucketVersioning"],
  aws_secretsmanager_secret: ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"],
  // Its Read is GetSecretValue: `npm run plan` and `npm run drift` leave unchanged versions out of
  // the plan (commands/terraform.ts refreshScope), so the plan role needs nothing for it.
  aws_secretsmanager_secret_version: [],
  aws_security_group: ["ec2:DescribeSecurityGroups"],
  aws_service_discovery_private_dns_namespace: ["servicediscovery:GetNamespace", "servicediscovery:ListTagsForResource", "route53:GetHostedZone"],
  aws_service_discovery_service: ["servicediscovery:GetService", "servicediscovery:ListTagsForResource"],
  aws_sns_topic: ["sns:GetTopicAttributes", "sns:ListTagsForResource"],
  aws_sns_topic_policy: ["sns:GetTopicAttributes"],
  aws_subnet: ["ec2:DescribeSubnets"],
  aws_vpc: ["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeNetworkAcls", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups"],
  aws_vpc_endpoint: ["ec2:DescribeVpcEndpoints", "ec2:DescribePrefixLists"],
  aws_vpc_security_group_egress_rule: ["ec2:DescribeSecurityGroupRules"],
  aws_vpc_security_group_ingress_rule: ["ec2:DescribeSecurityGroupRules"],
  aws_wafv2_web_acl: ["wafv2:GetWebACL", "wafv2:ListTagsForResource"],
  aws_wafv2_web_acl_association: ["wafv2:GetWebACLForResource"],
  aws_wafv2_web_acl_logging_configuration: ["wafv2:GetLoggingConfiguration"],
  // Data sources and ephemeral resources.
  "data.aws_caller_identity": ["sts:GetCallerIdentity"],
  "data.aws_elb_service_account": [],
  "data.aws_partition": [],
  "data.terraform_remote_state": ["s3:GetObject"],
  "ephemeral.aws_secretsmanager_random_password": ["secretsmanager:GetRandomPassword"],
};

/** Every resource, data source and ephemeral type of the stack JSON files, as READ_ACTIONS keys. */
export function stackTypes(stackFiles: readonly string[]): string[] {
  const types = new Set<string>();
  for (const file of stackFiles) {
    const json = JSON.parse(fs.readFileSync(file, "utf8")) as { resource?: object; data?: object; ephemeral?: object };
    for (const t of Object.keys(json.resource ?? {})) types.add(t);
    for (const t of Object.keys(json.data ?? {})) types.add(`data.${t}`);
    for (const t of Object.keys(json.ephemeral ?? {})) types.add(`ephemeral.${t}`);
  }
  return [...types].sort();
}

// ---------------------------------------------------------------------------------------------
// moto with IAM enforced
// ---------------------------------------------------------------------------------------------

const python = () => process.env.LGTM_PYTHON ?? "python3";

/** boto3 against the emulator with the test CA; `script` sees `client(service)` and `args` (JSON). */
function boto(endpoint: string, ca: TestCa, region: string, script: string, args: unknown): string {
  const prelude = [
    "import boto3, json, sys",
    "args = json.loads(sys.argv[4])",
    "def client(service, key='AKIAEMULATORTEST0001', secret='emulator-test-secret'):",
    "    return boto3.client(service, endpoint_url=sys.argv[1], region_name=sys.argv[3], verify=sys.argv[2], aws_access_key_id=key, aws_secret_access_key=secret)",
  ].join("\n");
  return execFileSync(python(), ["-c", `${prelude}\n${script}`, endpoint, ca.caFile, region, JSON.stringify(args)], { encoding: "utf8" });
}

/** Puts an object (a state file) into a bucket of the emulator. */
export function putObject(endpoint: string, ca: TestCa, region: string, bucket: string, key: string, body: string): void {
  boto(endpoint, ca, region, "client('s3').put_object(Bucket=args['bucket'], Key=args['key'], Body=args['body'].encode())", { bucket, key, body });
}

/** An IAM user holding exactly `policy` (inline) and an access key for it. */
export function createPolicyUser(endpoint: string, ca: TestCa, region: string, name: string, policy: PolicyDocument): { accessKeyId: string; secretAccessKey: string } {
  const out = boto(
    endpoint,
    ca,
    region,
    [
      "iam = client('iam')",
      "iam.create_user(UserName=args['name'])",
      "iam.put_user_policy(UserName=args['name'], PolicyName='policy', PolicyDocument=json.dumps(args['policy']))",
      "k = iam.create_access_key(UserName=args['name'])['AccessKey']",
      "print(json.dumps({'accessKeyId': k['AccessKeyId'], 'secretAccessKey': k['SecretAccessKey']}))",
    ].join("\n"),
    { name, policy },
  );
  return JSON.parse(out.trim()) as { accessKeyId: string; secretAccessKey: string };
}

/** From now on, every request must be signed by an IAM user's key and allowed by its policies. */
export function enforceIam(endpoint: string, ca: TestCa): void {
  execFileSync(python(), ["-c", "import requests, sys; r = requests.post(sys.argv[1] + '/moto-api/reset-auth', data=b'0', verify=sys.argv[2]); r.raise_for_status()", endpoint, ca.caFile]);
}
