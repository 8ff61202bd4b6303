/**
 * The web ACL's fixed vocabulary (./index.ts), without the provider classes: the cost estimate
 * (cost/index.ts) counts its rules from here.
 */
/** Prefix AWS WAF requires of a CloudWatch Logs destination's name. */
export const WAF_LOG_GROUP_PREFIX = "aws-waf-logs-";
/** Seconds of a rate-based rule's window (the limits in settings are per 5 minutes). */
export const WAF_RATE_WINDOW_SECONDS = 300;
/** The common rule set's rule that blocks bodies over 8 KB; overridden to COUNT (see ./index.ts). */
export const BODY_SIZE_RULE = "SizeRestrictions_BODY";
/** The AWS managed rule groups, in priority order after the two rate rules. */
export const MANAGED_RULE_GROUPS = ["AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"] as const;
/** The managed rule groups that inspect bodies and query strings, and so skip `uninspectedPaths`. */
export const CONTENT_RULE_GROUPS: readonly string[] = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"];
/** Headers redacted from every WAF log record. */
export const REDACTED_HEADERS = ["authorization", "cookie"] as const;

/** Rules of the web ACL: the login and per-address rate rules, then the managed groups. */
export const WAF_RULE_COUNT = 2 + MANAGED_RULE_GROUPS.length;
