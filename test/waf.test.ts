/**
 * The web ACL on the public ALB (load_balancer.waf, modules/web-acl, 50-loadbalancer), at synth
 * level: what prod ships, which requests each rule looks at (read from the synthesized JSON by
 * test/support/waf.ts, as WAF evaluates scope-down statements), the 8 KB body rule that must not
 * block Grafana's API or the gateway's pushes, the rate limits from settings, the log and its
 * redactions, the KMS option, the layer's outputs. Applied on the emulator by test/emulator/.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { BODY_SIZE_RULE, pathPatternsRegex, WAF_RULE_COUNT } from "../modules/web-acl";
import type { Settings } from "../settings";
import { settingsWith, shipped } from "./support/settings";
import { resourceOf, resourcesOf, synthLayer, type StackJson } from "./support/synth";
import { rulesFor } from "./support/waf";

const COMMON = "AWSManagedRulesCommonRuleSet";
const BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet";
const REPUTATION = "AWSManagedRulesAmazonIpReputationList";

/** A request on each of the gateway's ALB paths, as senders and query clients send them. */
const GATEWAY_REQUESTS = ["/api/v1/push", "/otlp/v1/metrics", "/otlp/v1/logs", "/otlp/v1/traces", "/prometheus/api/v1/query_range", "/loki/api/v1/push", "/loki/api/v1/query_range", "/tempo/api/search", "/pyroscope/ingest", "/pyroscope/querier.v1.QuerierService/SelectMergeStacktraces"];
/** Grafana's own paths (the ALB's catch-all): its UI, its API (dashboard saves, queries), login. */
const GRAFANA_REQUESTS = ["/", "/d/abc/my-dashboard", "/api/dashboards/db", "/api/ds/query", "/api/v1/push/extra", "/lokix", "/login", "/api/login/ping"];

describe("GIVEN prod as shipped (load_balancer.waf.enabled)", () => {
  let s: Settings;
  let stack: StackJson;
  let acl: Record<string, any>;
  beforeAll(async () => {
    s = await shipped("prod");
    stack = synthLayer(s, "50-loadbalancer");
    acl = resourceOf(stack, "aws_wafv2_web_acl");
  });

  it("WHEN synthesized THEN one REGIONAL web ACL allows by default and is associated with the public ALB", () => {
    expect(s.load_balancer.waf.enabled).toBe(true);
    expect(acl.scope).toBe("REGIONAL");
    expect(acl.name).toBe("lgtm-prod-alb");
    expect(acl.default_action).toEqual({ allow: {} });
    expect(Object.values(resourcesOf(stack, "aws_wafv2_web_acl_association"))).toEqual([
      expect.objectContaining({ resource_arn: "${aws_lb.public_alb.arn}", web_acl_arn: "${aws_wafv2_web_acl.waf_web_acl.arn}" }),
    ]);
  });

  it("WHEN its rules are listed THEN the login and per-address rate rules come first, then the three AWS managed groups, each with metrics", () => {
    const rules = rulesFor(acl, { path: "/" });
    expect(rules.map((r) => [r.priority, r.name, r.limit ?? r.group])).toEqual([
      [0, "login-rate-per-ip", 100],
      [1, "rate-per-ip", 6000],
      [2, REPUTATION, REPUTATION],
      [3, COMMON, COMMON],
      [4, BAD_INPUTS, BAD_INPUTS],
    ]);
    // The cost estimate charges per rule from the same count.
    expect(rules).toHaveLength(WAF_RULE_COUNT);
    for (const r of acl.rule) {
      expect(r.visibility_config, r.name).toEqual({ cloudwatch_metrics_enabled: true, sampled_requests_enabled: true, metric_name: `lgtm-prod-alb-${r.name}` });
      if (r.statement.rate_based_statement) {
        expect(r.action, r.name).toEqual({ block: {} });
        expect(r.statement.rate_based_statement).toMatchObject({ aggregate_key_type: "IP", evaluation_window_sec: 300 });
      } else expect(r.override_action, r.name).toEqual({ none: {} });
    }
  });

  it("WHEN Grafana's API gets a body over 8 KB (a dashboard save, a query) THEN the common rule set looks at it but its SizeRestrictions_BODY only counts", () => {
    for (const path of ["/api/dashboards/db", "/api/ds/query"]) {
      const common = rulesFor(acl, { path }).find((r) => r.group === COMMON)!;
      expect(common.inspects, path).toBe(true);
      expect(common.overrides).toEqual({ [BODY_SIZE_RULE]: "count" });
    }
  });

  it("WHEN a sender pushes or a client queries through the gateway's paths THEN the content rule groups skip the request, the IP reputation list and the rate limit do not", () => {
    // Every alb_path of the gateway has a request here.
    for (const pattern of s.services.gateway.alb_paths) {
      expect(GATEWAY_REQUESTS.some((p) => new RegExp(pathPatternsRegex([pattern])).test(p)), pattern).toBe(true);
    }
    for (const path of GATEWAY_REQUESTS) {
      const rules = rulesFor(acl, { path });
      const inspecting = rules.filter((r) => r.inspects).map((r) => r.name);
      expect(inspecting, path).toEqual(["rate-per-ip", REPUTATION]);
    }
  });

  it("WHEN Grafana's own paths are requested THEN every managed group looks at them, and only /login paths count against the login limit", () => {
    for (const path of GRAFANA_REQUESTS) {
      const rules = rulesFor(acl, { path });
      const inspecting = rules.filter((r) => r.inspects).map((r) => r.name);
      expect(inspecting, path).toEqual([...(path.startsWith("/login") ? ["login-rate-per-ip"] : []), "rate-per-ip", REPUTATION, COMMON, BAD_INPUTS]);
    }
    expect(rulesFor(acl, { path: "/login/generic_oauth" })[0].inspects).toBe(true);
  });

  it("WHEN it logs THEN only blocked and counted requests reach aws-waf-logs-lgtm-prod, kept logs.audit_retention_days, with authorization and cookie redacted", () => {
    const logging = resourceOf(stack, "aws_wafv2_web_acl_logging_configuration");
    expect(logging.resource_arn).toBe("${aws_wafv2_web_acl.waf_web_acl.arn}");
    expect(logging.log_destination_configs).toEqual(["${aws_cloudwatch_log_group.waf_log_group.arn}"]);
    expect(logging.redacted_fields).toEqual([{ single_header: { name: "authorization" } }, { single_header: { name: "cookie" } }]);
    expect(logging.logging_filter).toEqual({
      default_behavior: "DROP",
      filter: [{ behavior: "KEEP", requirement: "MEETS_ANY", condition: [{ action_condition: { action: "BLOCK" } }, { action_condition: { action: "COUNT" } }] }],
    });
    const group = resourcesOf(stack, "aws_cloudwatch_log_group").waf_log_group;
    expect(group.name).toBe("aws-waf-logs-lgtm-prod");
    expect(group.retention_in_days).toBe(s.logs.audit_retention_days);
    expect(group.tags).toEqual({ AuditTrail: "true" });
    expect(group.kms_key_id).toBeUndefined();
  });

  it("WHEN the layer's outputs are read THEN the web ACL's ARN and its log group are published", () => {
    expect((stack as any).output.web_acl_arn.value).toBe("${aws_wafv2_web_acl.waf_web_acl.arn}");
    expect((stack as any).output.waf_log_group_name.value).toBe("${aws_cloudwatch_log_group.waf_log_group.name}");
  });
});

describe("GIVEN WAF settings changed from the shipped ones", () => {
  it("WHEN the rate limits are set THEN the rate rules carry them", async () => {
    const s = await settingsWith({ load_balancer: { waf: { rate_limit: { requests_per_5_minutes: 1200, login_requests_per_5_minutes: 20 } } } });
    const rules = rulesFor(resourceOf(synthLayer(s, "50-loadbalancer"), "aws_wafv2_web_acl"), { path: "/" });
    expect(rules.slice(0, 2).map((r) => r.limit)).toEqual([20, 1200]);
  });

  it("WHEN the gateway's ALB paths change THEN the content rule groups skip exactly the new ones", async () => {
    const s = await settingsWith({ services: { gateway: { alb_paths: ["/api/v1/push", "/loki/*"] } } });
    const acl = resourceOf(synthLayer(s, "50-loadbalancer"), "aws_wafv2_web_acl");
    const common = (path: string) => rulesFor(acl, { path }).find((r) => r.group === COMMON)!.inspects;
    expect(common("/loki/api/v1/push")).toBe(false);
    expect(common("/tempo/api/search")).toBe(true);
  });

  it("WHEN kms.log_groups is on THEN the WAF log group gets a key of its own, rotated, usable by CloudWatch Logs for that log group only", async () => {
    const s = await settingsWith({ kms: { log_groups: true } });
    const stack = synthLayer(s, "50-loadbalancer");
    const group = resourcesOf(stack, "aws_cloudwatch_log_group").waf_log_group;
    expect(group.kms_key_id).toBe("${aws_kms_key.waf_log_key_key.arn}");
    expect(group.tags).toEqual({ AuditTrail: "true", Encryption: "customer-managed-kms" });
    const key = resourcesOf(stack, "aws_kms_key").waf_log_key_key;
    expect(key.enable_key_rotation).toBe(true);
    const statement = JSON.parse(key.policy).Statement.find((st: { Sid: string }) => st.Sid === "CloudWatchLogsOfTheWafLogGroup");
    expect(statement.Principal).toEqual({ Service: "logs.ap-northeast-2.amazonaws.com" });
    expect(statement.Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"]).toEqual(["arn:${data.aws_partition.waf_log_key_partition.partition}:logs:ap-northeast-2:111111111111:log-group:aws-waf-logs-lgtm-prod"]);
  });

  it("WHEN dev is synthesized (waf off) THEN there is no web ACL, the outputs are empty and dev's settings waive ELB.16 with a reason", async () => {
    const s = await shipped("dev");
    const stack = synthLayer(s, "50-loadbalancer");
    expect(resourcesOf(stack, "aws_wafv2_web_acl")).toEqual({});
    expect(resourcesOf(stack, "aws_wafv2_web_acl_association")).toEqual({});
    expect((stack as any).output.web_acl_arn.value).toBe("");
    expect(s.accept_risks.waivers["ELB.16"].reason).toMatch(/waf\.enabled = false/);
  });
});
