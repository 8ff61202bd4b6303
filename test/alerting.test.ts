/**
 * Alerts a person receives even when the stack is down (issue 19): the SNS topic, the CloudWatch
 * alarms and the EventBridge task-state rules of 60-ecs (modules/alerting), their settings, and the
 * runbook entry every alert links to.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICE_NAMES, type Settings } from "../settings";
import { AWS_ALERTS } from "../modules/alerting";
import { overrideError, settingsWith, shipped } from "./support/settings";
import { RUNBOOK, runbookAnchors, runbookLinks } from "./support/runbook";
import { resourcesOf, synthLayer, type StackJson } from "./support/synth";
import { offlineTerraform, runAsync, skipWithoutTerraform, startSharedProvider } from "./support/terraform";

const ALARM = "aws_cloudwatch_metric_alarm";
const alarmsOf = (stack: StackJson) => resourcesOf(stack, ALARM);
const TOPIC = "${aws_sns_topic.alerts_topic.arn}";

describe("GIVEN the shipped prod settings", () => {
  let s: Settings;
  let stack: StackJson;
  beforeAll(async () => {
    s = await shipped("prod");
    stack = synthLayer(s, "60-ecs");
  });

  it("WHEN 60-ecs is synthesized THEN one encrypted topic receives every alert, and only CloudWatch and EventBridge of this account may publish", () => {
    const topic = resourcesOf(stack, "aws_sns_topic").alerts_topic;
    expect(topic).toMatchObject({ name: "lgtm-prod-alerts", kms_master_key_id: "${aws_kms_key.alerts_key.arn}" });
    const key = JSON.parse(resourcesOf(stack, "aws_kms_key").alerts_key.policy as string);
    const publishers = key.Statement.find((st: { Sid: string }) => st.Sid === "AlarmAndEventPublishers");
    expect(publishers.Principal.Service).toEqual(["cloudwatch.amazonaws.com", "events.amazonaws.com"]);
    expect(publishers.Condition).toEqual({ StringEquals: { "aws:SourceAccount": ["111111111111"] } });
    expect(resourcesOf(stack, "aws_kms_key").alerts_key.enable_key_rotation).toBe(true);
    expect(stack.output?.alerts_topic_arn?.value).toBe(TOPIC);
    for (const [name, alarm] of Object.entries(alarmsOf(stack))) {
      expect(alarm.alarm_actions, name).toEqual([TOPIC]);
      expect(alarm.ok_actions, name).toEqual([TOPIC]);
    }
  });

  it("WHEN synthesized THEN each service alarms when Container Insights counts fewer running tasks than its desired count, and on no data", () => {
    for (const service of SERVICE_NAMES) {
      const alarm = alarmsOf(stack)[`alerts_${service}_tasks_below_desired`];
      expect(alarm, service).toMatchObject({
        namespace: "ECS/ContainerInsights",
        metric_name: "RunningTaskCount",
        dimensions: { ClusterName: "${aws_ecs_cluster.cluster.name}", ServiceName: `\${aws_ecs_service.${service}_service.name}` },
        comparison_operator: "LessThanThreshold",
        threshold: s.services[service].desired_count,
        evaluation_periods: 10,
        datapoints_to_alarm: 10,
        treat_missing_data: "breaching",
      });
    }
  });

  it("WHEN synthesized THEN every ALB-fronted service has unhealthy-target and 5xx alarms on its own target group, and the ALB its own 5xx alarm", () => {
    const lb = '${element(split(":loadbalancer/", data.terraform_remote_state.loadbalancer.outputs.alb_arn), 1)}';
    // Since the gateway (issue 18) the ALB fronts only the gateway and Grafana.
    for (const service of ["gateway", "grafana"]) {
      const dims = { TargetGroup: `\${aws_lb_target_group.${service}_target_group.arn_suffix}`, LoadBalancer: lb };
      expect(alarmsOf(stack)[`alerts_${service}_unhealthy_targets`], service).toMatchObject({ metric_name: "UnHealthyHostCount", dimensions: dims, threshold: 0 });
      expect(alarmsOf(stack)[`alerts_${service}_target_5xx`], service).toMatchObject({ metric_name: "HTTPCode_Target_5XX_Count", dimensions: dims, threshold: 10, statistic: "Sum" });
    }
    // The backends and Alloy have no target group: nothing to watch there (their task-count alarms do).
    for (const service of ["mimir", "loki", "tempo", "pyroscope", "alloy"]) expect(alarmsOf(stack)[`alerts_${service}_unhealthy_targets`], service).toBeUndefined();
    expect(alarmsOf(stack).alerts_alb_5xx).toMatchObject({ metric_name: "HTTPCode_ELB_5XX_Count", dimensions: { LoadBalancer: lb } });
  });

  it("WHEN synthesized THEN each of prod's three NAT gateways has a port-allocation alarm on the network layer's id", () => {
    const nat = Object.entries(alarmsOf(stack)).filter(([, a]) => a.namespace === "AWS/NATGateway");
    expect(nat.map(([, a]) => a.dimensions.NatGatewayId).sort()).toEqual(
      ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"].map((az) => `\${data.terraform_remote_state.network.outputs.nat_gateway_ids["${az}"]}`),
    );
  });

  it("WHEN synthesized THEN a task stopped with a non-zero exit raises one rule, and a container killed with 137 its service's own rule, both to the topic", () => {
    const rules = resourcesOf(stack, "aws_cloudwatch_event_rule");
    const nonzero = JSON.parse(rules.alerts_task_stopped_nonzero_rule.event_pattern as string);
    expect(nonzero).toEqual({
      source: ["aws.ecs"],
      "detail-type": ["ECS Task State Change"],
      detail: { clusterArn: ["${aws_ecs_cluster.cluster.arn}"], lastStatus: ["STOPPED"], containers: { exitCode: [{ "anything-but": [0, 137] }] } },
    });
    for (const service of SERVICE_NAMES) {
      const pattern = JSON.parse(rules[`alerts_${service}_task_killed_rule`].event_pattern as string);
      expect(pattern.detail, service).toEqual({
        clusterArn: ["${aws_ecs_cluster.cluster.arn}"],
        lastStatus: ["STOPPED"],
        group: [`service:\${aws_ecs_service.${service}_service.name}`],
        containers: { exitCode: [137] },
      });
    }
    const targets = Object.values(resourcesOf(stack, "aws_cloudwatch_event_target"));
    expect(targets).toHaveLength(SERVICE_NAMES.length + 1);
    for (const t of targets) {
      expect(t.arn).toBe(TOPIC);
      // Every placeholder of the message has its input path, and no path is left unused.
      const template = t.input_transformer.input_template as string;
      expect(Object.keys(t.input_transformer.input_paths).sort()).toEqual([...template.matchAll(/<([A-Za-z]+)>/g)].map((m) => m[1]).sort());
    }
  });

  it("WHEN every alarm and message is read THEN each links to a docs/runbook.md entry that exists", () => {
    const anchors = runbookAnchors();
    const texts = [
      ...Object.values(alarmsOf(stack)).map((a) => a.alarm_description as string),
      ...Object.values(resourcesOf(stack, "aws_cloudwatch_event_target")).map((t) => t.input_transformer.input_template as string),
    ];
    for (const text of texts) {
      const links = runbookLinks(text, "docs/runbook.md");
      expect(links, text).toHaveLength(1);
      expect(anchors.has(links[0]), `${links[0]} (${text})`).toBe(true);
    }
    for (const spec of Object.values(AWS_ALERTS)) expect(anchors.has(spec.runbook), spec.runbook).toBe(true);
  });

  it("WHEN the runbook is read THEN its own links resolve and it covers the Tempo SIGTERM hang, Loki's flush retry and exit 137", () => {
    const text = fs.readFileSync(RUNBOOK, "utf8");
    const anchors = runbookAnchors();
    for (const m of text.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors.has(m[1]), m[1]).toBe(true);
    expect(text).toMatch(/Tempo 3\.0\.3\*\* can hang on SIGTERM/);
    expect(text).toMatch(/Loki keeps\s+retrying its flush past the 120 s/);
    expect(text).toContain("exited 137");
  });
});

describe("GIVEN alert settings", () => {
  it("WHEN dev (one NAT gateway) is synthesized THEN there is one NAT alarm and the tasks alarms follow dev's counts", async () => {
    const stack = synthLayer(await shipped("dev"), "60-ecs");
    expect(Object.values(alarmsOf(stack)).filter((a) => a.namespace === "AWS/NATGateway")).toHaveLength(1);
    expect(alarmsOf(stack).alerts_mimir_tasks_below_desired.threshold).toBe(1);
  });

  it("WHEN emails, Slack, a runbook URL and thresholds are set THEN they reach the subscriptions, the Chatbot channel and the alarms", async () => {
    const s = await settingsWith({
      alerts: {
        email_addresses: ["oncall@example.com", "lead@example.com"],
        slack: { workspace_id: "T0123ABCD", channel_id: "C0123ABCDEF" },
        runbook_url: "https://github.com/example/lgtm-fargate/blob/main/docs/runbook.md",
        tasks_below_desired_minutes: 15,
        target_5xx_per_5m: 50,
      },
    });
    const stack = synthLayer(s, "60-ecs");
    const subs = Object.values(resourcesOf(stack, "aws_sns_topic_subscription"));
    expect(subs.map((x) => [x.protocol, x.endpoint, x.topic_arn])).toEqual([
      ["email", "lead@example.com", TOPIC],
      ["email", "oncall@example.com", TOPIC],
    ]);
    const slack = resourcesOf(stack, "aws_chatbot_slack_channel_configuration").alerts_slack;
    expect(slack).toMatchObject({ slack_team_id: "T0123ABCD", slack_channel_id: "C0123ABCDEF", sns_topic_arns: [TOPIC], iam_role_arn: "${aws_iam_role.alerts_chatbot_role.arn}" });
    expect(slack.guardrail_policy_arns).toEqual(["arn:${data.aws_partition.partition.partition}:iam::aws:policy/CloudWatchReadOnlyAccess"]);
    expect(JSON.parse(resourcesOf(stack, "aws_iam_role").alerts_chatbot_role.assume_role_policy as string).Statement[0].Principal).toEqual({ Service: "chatbot.amazonaws.com" });
    expect(alarmsOf(stack).alerts_loki_tasks_below_desired).toMatchObject({ evaluation_periods: 15, datapoints_to_alarm: 15 });
    expect(alarmsOf(stack).alerts_gateway_target_5xx.threshold).toBe(50);
    expect(alarmsOf(stack).alerts_gateway_target_5xx.alarm_description).toContain("Runbook: https://github.com/example/lgtm-fargate/blob/main/docs/runbook.md#target-5xx");
  });

  it.each([
    ["an address that is not an email", { alerts: { email_addresses: ["oncall"] } }, 'environments/prod.tfvars: alerts.email_addresses[0]: expected an email address such as "oncall@example.com"'],
    ["a Slack channel name instead of its id", { alerts: { slack: { workspace_id: "T0123ABCD", channel_id: "#alerts" } } }, 'environments/prod.tfvars: alerts.slack.channel_id: expected a Slack channel id such as "C0123ABCDEF"'],
    ["a runbook URL over plain http", { alerts: { runbook_url: "http://wiki/runbook" } }, 'environments/prod.tfvars: alerts.runbook_url: expected an https:// URL of docs/runbook.md, or "docs/runbook.md"'],
    ["Container Insights disabled", { ecs: { container_insights: "disabled" } }, 'environments/prod.tfvars: ecs.container_insights: "disabled" leaves the tasks-below-desired alarms without data'],
  ])("WHEN it has %s THEN loading fails naming the file and key", async (_what, override, expected) => {
    expect(await overrideError(override as never)).toContain(expected);
  });
});

const skipTf = skipWithoutTerraform("alerting terraform validate");

describe.skipIf(skipTf)("GIVEN 60-ecs with email subscribers and a Slack channel", () => {
  let work: string;
  afterAll(() => work && fs.rmSync(work, { recursive: true, force: true }));

  it("WHEN terraform validates it THEN the Chatbot, subscription, alarm and rule resources are valid", async () => {
    const s = await settingsWith({ alerts: { email_addresses: ["oncall@example.com"], slack: { workspace_id: "T0123ABCD", channel_id: "C0123ABCDEF" } } });
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-alerts-validate-"));
    const dir = path.join(work, "stack");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(synthLayer(s, "60-ecs")));
    // Init installs from the mirror; validate attaches to a provider started meanwhile (test/support/terraform.ts).
    const [init, provider] = await Promise.all([runAsync(offlineTerraform(work), dir, ["init", "-backend=false", "-input=false"]), startSharedProvider()]);
    let validate;
    try {
      expect(init.code, init.stdout + init.stderr).toBe(0);
      validate = await runAsync(offlineTerraform(work, provider), dir, ["validate", "-json"]);
    } finally {
      provider.stop();
    }
    const report = JSON.parse(validate.stdout) as { valid: boolean; diagnostics: { severity: string; summary: string; detail?: string }[] };
    expect(report.diagnostics.map((d) => `${d.severity}: ${d.summary}: ${d.detail ?? ""}`)).toEqual([]);
    expect(report.valid).toBe(true);
  });
});
