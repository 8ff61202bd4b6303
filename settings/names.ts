/**
 * Every AWS name derived from settings, in one place: the checks validate these exact strings
 * against AWS's length limits, and the stacks use the same functions to name resources.
 */
import type { ServiceName } from "./components";
import type { Settings } from "./schema";

type Naming = Pick<Settings, "project" | "env">;
/** A catalog service, or the query cache's tasks (settings/cache.ts CACHE_NAME), which run beside them. */
type TaskName = ServiceName | "memcached";

/** `lgtm-prod`: the prefix of every resource name. */
export const namePrefix = (s: Naming) => `${s.project}-${s.env}`;
export const albName = (s: Naming) => `${namePrefix(s)}-alb`;
/** The web ACL in front of the ALB (load_balancer.waf). */
export const webAclName = (s: Naming) => `${namePrefix(s)}-alb`;
/** Its log group: AWS WAF logs only to CloudWatch log groups named `aws-waf-logs-...`. */
export const wafLogGroupName = (s: Naming) => `aws-waf-logs-${namePrefix(s)}`;
export const clusterName = (s: Naming) => `${namePrefix(s)}-cluster`;
/** Target-group name; the suffix changes with the attributes AWS cannot update in place. */
export const targetGroupName = (s: Naming, service: ServiceName, suffix: string) => `${namePrefix(s)}-${service}-${suffix}`;
/** Length of the target-group suffix (hex digits of a hash). */
export const TARGET_GROUP_SUFFIX_LENGTH = 4;
export const taskFamily = (s: Naming, service: TaskName) => `${namePrefix(s)}-${service}`;
export const taskRoleName = (s: Naming, service: ServiceName) => `${namePrefix(s)}-${service}-task`;
export const executionRoleName = (s: Naming) => `${namePrefix(s)}-task-execution`;
/**
 * Log group per service, `/ecs/lgtm-<service>` as in seed 003. It carries no environment because
 * each environment has its own account (`aws.allowed_account_ids`); the checks reject two
 * environments that share an account.
 */
export const logGroupName = (s: Pick<Settings, "project">, service: TaskName) => `/ecs/${s.project}-${service}`;
export const ecrRepositoryName = (s: Pick<Settings, "project">, service: ServiceName) => `${s.project}-${service}`;
export const securityGroupName = (s: Naming, what: string) => `${namePrefix(s)}-${what}`;
/**
 * `memberlist.cluster_label` of a ring member, `lgtm-prod-mimir`: gossip carrying another label is
 * dropped, so two products (or two environments) can never merge their rings.
 */
export const ringClusterLabel = (s: Naming, service: ServiceName) => `${namePrefix(s)}-${service}`;
/** EFS file system holding Grafana's database. */
export const grafanaFileSystemName = (s: Naming) => `${namePrefix(s)}-grafana`;

/** AWS limits on the names above. */
export const NAME_LIMITS = {
  alb: 32,
  targetGroup: 32,
  iamRole: 64,
  securityGroup: 255,
  ecsCluster: 255,
  taskFamily: 255,
} as const;

/** SNS topic every alert goes to (60-ecs, modules/alerting); Grafana's contact point names it too. */
export const alertsTopicName = (s: Naming) => `${namePrefix(s)}-alerts`;

/** The AWS partition of a region ("aws", "aws-cn", "aws-us-gov"). */
export const partitionOf = (region: string) => (region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws");

/**
 * The alerts topic's ARN, known before it exists (SNS ARNs are region, account and name), so the
 * Grafana contact point and the task role's policy can name it without reading 60-ecs's state.
 */
export const alertsTopicArn = (s: Settings) => `arn:${partitionOf(s.aws.region)}:sns:${s.aws.region}:${s.aws.allowed_account_ids[0]}:${alertsTopicName(s)}`;
