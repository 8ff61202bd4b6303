/**
 * AlbWebAcl: an AWS WAF web ACL (REGIONAL) in front of one Application Load Balancer.
 *
 * Owns the web ACL, its association with the ALB, its logging configuration and the CloudWatch log
 * group it logs to (`aws-waf-logs-...`: WAF refuses any other name). The rules, in evaluation order:
 *
 * 0. a rate limit per client address on the login paths (`loginPathPrefix`): password guessing;
 * 1. a rate limit per client address on every request;
 * 2. AWS's Amazon IP reputation list (addresses AWS's threat intelligence has seen attacking), every path;
 * 3. AWS's common rule set (OWASP-style: XSS, LFI, RFI, SSRF to the metadata service, size limits);
 * 4. AWS's known bad inputs (Log4Shell, Java deserialization, `localhost` Host headers, ...).
 *
 * Two deliberate exceptions, because the paths behind this ALB carry what these rule groups take
 * for attacks:
 * - The common rule set's `SizeRestrictions_BODY` blocks any body over 8 KB. Grafana's own API
 *   (a dashboard save, a `/api/ds/query` with many targets) and every push to the gateway
 *   (remote-write batches, OTLP exports, Loki pushes, up to `gateway.max_body_size_mib`) are larger.
 *   It is overridden to COUNT (logged, never blocking): the size limits are the gateway's
 *   `client_max_body_size` and Grafana's own.
 * - Rules 3 and 4 skip the paths in `uninspectedPaths` (the gateway's ALB paths). Those bodies and
 *   query strings are telemetry: a log line recording an attack (`<script>`, `../../etc/passwd`,
 *   `${jndi:...}`) is exactly what an observability stack must store, and a blocked push loses it.
 *   Those paths are already closed to everyone outside `load_balancer.ingest_allowed_cidrs` by the
 *   listener's rules, and every request on them authenticates at the gateway, which forwards only
 *   its allow-list of routes. A raw path that only starts like a gateway path (`/loki/../api/...`)
 *   is also routed to the gateway by the listener, which answers 404 to dot segments: skipping
 *   inspection never lets a request reach Grafana uninspected. Rules 0-2 apply to every path.
 *
 * Logging keeps only the requests a rule blocked or counted (the ALB's access logs already record
 * every request), with the `authorization` and `cookie` headers redacted: Grafana's session cookie,
 * API tokens and the gateway's basic-auth credentials never reach the log. WAF creates the log
 * group's resource policy for its log delivery itself (`logs:PutResourcePolicy`, in the apply role).
 */
import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { Wafv2WebAclLoggingConfiguration } from "@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration";
import { BODY_SIZE_RULE, CONTENT_RULE_GROUPS, MANAGED_RULE_GROUPS, REDACTED_HEADERS, WAF_LOG_GROUP_PREFIX, WAF_RATE_WINDOW_SECONDS } from "./rules";

export * from "./rules";
export interface AlbWebAclProps {
  /** Name of the web ACL (and the prefix of its metric names). */
  readonly name: string;
  /** ARN of the ALB it protects. */
  readonly albArn: string;
  /** Requests one client address may send in 5 minutes, any path. */
  readonly rateLimit: number;
  /** Requests one client address may send in 5 minutes to paths starting with `loginPathPrefix`. */
  readonly loginRateLimit: number;
  /** Start of the login paths the stricter limit counts. @default "/login" (Grafana's form and its OAuth callbacks) */
  readonly loginPathPrefix?: string;
  /** ALB path patterns (the gateway's) the content-inspecting rule groups skip. @default none */
  readonly uninspectedPaths?: readonly string[];
  /** Name of the log group; must start with `aws-waf-logs-`. */
  readonly logGroupName: string;
  /** Days the log group keeps records (a CloudWatch retention). */
  readonly logRetentionDays: number;
  /** A customer managed KMS key for the log group. @default CloudWatch Logs' own encryption */
  readonly logKmsKeyArn?: string;
  /** Tags of the log group (audit trail, encryption). @default none */
  readonly logTags?: Record<string, string>;
}

/**
 * One anchored regular expression matching exactly what the given ALB path patterns match, as WAF's
 * regex match reads it: ALB patterns are case-sensitive globs where `*` is any run of characters and
 * `?` one character (`/loki/*` → `/loki/.*`).
 */
export function pathPatternsRegex(patterns: readonly string[]): string {
  const glob = (p: string) => p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return `^(${patterns.map(glob).join("|")})$`;
}

const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
const uriPath = { uri_path: {} };
const noTransformation = [{ priority: 0, type: "NONE" }];

export class AlbWebAcl extends Construct {
  readonly webAcl: Wafv2WebAcl;
  readonly logGroup: CloudwatchLogGroup;
  readonly association: Wafv2WebAclAssociation;
  readonly logging: Wafv2WebAclLoggingConfiguration;

  constructor(scope: Construct, id: string, props: AlbWebAclProps) {
    super(scope, id);
    if (!props.logGroupName.startsWith(WAF_LOG_GROUP_PREFIX)) throw new Error(`WAF log group "${props.logGroupName}": AWS WAF logs only to log groups named ${WAF_LOG_GROUP_PREFIX}...`);
    const loginPrefix = props.loginPathPrefix ?? "/login";
    const skipped = props.uninspectedPaths ?? [];
    // Content rule groups look only at requests NOT on the skipped paths.
    const scopeDown =
      skipped.length > 0
        ? {
            not_statement: {
              statement: [{ regex_match_statement: { regex_string: pathPatternsRegex(skipped), field_to_match: uriPath, text_transformation: noTransformation } }],
            },
          }
        : undefined;
    const rateRule = (name: string, priority: number, limit: number, scope?: object) => ({
      name,
      priority,
      action: { block: {} },
      statement: { rate_based_statement: { limit, aggregate_key_type: "IP", evaluation_window_sec: WAF_RATE_WINDOW_SECONDS, ...(scope ? { scope_down_statement: scope } : {}) } },
      visibilityConfig: visibility(`${props.name}-${name}`),
    });
    const managedRule = (group: string, priority: number) => ({
      name: group,
      priority,
      overrideAction: { none: {} },
      statement: {
        managed_rule_group_statement: {
          name: group,
          vendor_name: "AWS",
          ...(group === "AWSManagedRulesCommonRuleSet" ? { rule_action_override: [{ name: BODY_SIZE_RULE, action_to_use: { count: {} } }] } : {}),
          ...(CONTENT_RULE_GROUPS.includes(group) && scopeDown ? { scope_down_statement: scopeDown } : {}),
        },
      },
      visibilityConfig: visibility(`${props.name}-${group}`),
    });

    this.webAcl = new Wafv2WebAcl(this, "web_acl", {
      name: props.name,
      description: "AWS managed rules and per-address rate limits in front of the public ALB",
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      rule: [
        rateRule("login-rate-per-ip", 0, props.loginRateLimit, {
          byte_match_statement: { search_string: loginPrefix, positional_constraint: "STARTS_WITH", field_to_match: uriPath, text_transformation: noTransformation },
        }),
        rateRule("rate-per-ip", 1, props.rateLimit),
        ...MANAGED_RULE_GROUPS.map((g, i) => managedRule(g, 2 + i)),
      ],
      visibilityConfig: visibility(props.name),
    });

    this.association = new Wafv2WebAclAssociation(this, "association", { resourceArn: props.albArn, webAclArn: this.webAcl.arn });

    this.logGroup = new CloudwatchLogGroup(this, "log_group", {
      name: props.logGroupName,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKmsKeyArn,
      tags: props.logTags,
    });
    this.logging = new Wafv2WebAclLoggingConfiguration(this, "logging", {
      resourceArn: this.webAcl.arn,
      logDestinationConfigs: [this.logGroup.arn],
      redactedFields: REDACTED_HEADERS.map((name) => ({ singleHeader: { name } })),
      // The ALB's access logs hold every request; this log holds what a rule blocked or counted.
      loggingFilter: {
        defaultBehavior: "DROP",
        filter: [
          {
            behavior: "KEEP",
            requirement: "MEETS_ANY",
            condition: [{ actionCondition: { action: "BLOCK" } }, { actionCondition: { action: "COUNT" } }],
          },
        ],
      },
    });
  }
}
