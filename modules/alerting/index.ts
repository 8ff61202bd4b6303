/**
 * Alerting: what AWS itself sees about the stack, delivered to a person even when every task of the
 * stack is down (nothing here runs in the cluster).
 *
 * Owns the alerts SNS topic (encrypted with its own KMS key, which CloudWatch and EventBridge may use
 * to publish), its email subscriptions and optional AWS Chatbot Slack channel (with the read-only role
 * Chatbot assumes), the CloudWatch alarms (tasks below desired per service from Container Insights,
 * unhealthy targets and target 5xx per target group, the load balancer's own 5xx, NAT port-allocation
 * errors), and the EventBridge rules on ECS task state changes (a task of the cluster stopped with a
 * non-zero exit code; per service, a container killed with exit 137, SIGKILL).
 *
 * Every alarm and message carries the link to its runbook entry (`ALERTS` below is the list the
 * runbook test checks).
 */
import { Construct } from "constructs";
import { Fn } from "cdktf";
import { ChatbotSlackChannelConfiguration } from "@cdktf/provider-aws/lib/chatbot-slack-channel-configuration";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";

/** One alert a person can receive, and its entry in docs/runbook.md. */
export interface AlertSpec {
  /** Id used in resource names. */
  readonly id: string;
  /** Heading anchor of its docs/runbook.md entry. */
  readonly runbook: string;
  readonly summary: string;
}

/** The AWS-side alerts (CloudWatch alarms and EventBridge rules). */
export const AWS_ALERTS = {
  tasksBelowDesired: { id: "tasks_below_desired", runbook: "tasks-below-desired", summary: "a service runs fewer tasks than desired" },
  unhealthyTargets: { id: "unhealthy_targets", runbook: "unhealthy-targets", summary: "the ALB sees an unhealthy target of a service" },
  target5xx: { id: "target_5xx", runbook: "target-5xx", summary: "a service answers the ALB with 5xx" },
  alb5xx: { id: "alb_5xx", runbook: "alb-5xx", summary: "the ALB itself answers 5xx (no healthy target, timeouts)" },
  natPortAllocation: { id: "nat_port_allocation", runbook: "nat-port-allocation-errors", summary: "a NAT gateway cannot allocate source ports" },
  taskStoppedNonZero: { id: "task_stopped_nonzero", runbook: "task-stopped-with-an-error", summary: "a task stopped with a non-zero exit code" },
  taskKilled: { id: "task_killed", runbook: "task-killed-exit-137", summary: "a container was killed (exit 137, SIGKILL)" },
} as const satisfies Record<string, AlertSpec>;

export interface AlertedService {
  /** Catalog name (mimir, loki, ...). */
  readonly name: string;
  /** ECS service name, as Container Insights and task events name it. */
  readonly ecsServiceName: string;
  readonly desiredCount: number;
  /** `arn_suffix` of its target group, when the ALB fronts it. */
  readonly targetGroupArnSuffix?: string;
}

export interface AlertingProps {
  /** `<project>-<env>`: the rules and alarms are named after it. */
  readonly namePrefix: string;
  /** Name of the SNS topic (settings/names.ts alertsTopicName: Grafana's contact point names it too). */
  readonly topicName: string;
  /** The environment's account(s): the only principals of the key and topic policies. */
  readonly accountIds: readonly string[];
  /** AWS partition ("aws"). */
  readonly partition: string;
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly services: readonly AlertedService[];
  /** `arn_suffix` of the public ALB (`app/<name>/<id>`). */
  readonly loadBalancerArnSuffix: string;
  /** NAT gateway ids, by AZ. @default {} */
  readonly natGatewayIds?: Readonly<Record<string, string>>;
  /** @default [] */
  readonly emailAddresses?: readonly string[];
  /** AWS Chatbot → Slack. @default none */
  readonly slack?: { readonly workspaceId: string; readonly channelId: string };
  /** docs/runbook.md's address; alarms link `<runbookUrl>#<entry>`. */
  readonly runbookUrl: string;
  /** Consecutive minutes below the desired count that raise the alarm. @default 10 */
  readonly tasksBelowDesiredMinutes?: number;
  /** Target 5xx per 5 minutes that raise a service's alarm. @default 10 */
  readonly target5xxPer5m?: number;
  /** ALB 5xx per 5 minutes that raise its alarm. @default 10 */
  readonly alb5xxPer5m?: number;
}

const FIVE_MINUTES = 300;

export class Alerting extends Construct {
  readonly topic: SnsTopic;
  readonly key: KmsKey;
  readonly alarms: CloudwatchMetricAlarm[] = [];
  readonly rules: CloudwatchEventRule[] = [];

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const roots = props.accountIds.map((a) => `arn:${props.partition}:iam::${a}:root`);
    const sourceAccount = { test: "StringEquals", variable: "aws:SourceAccount", values: [...props.accountIds] };
    const runbook = (spec: AlertSpec) => `${props.runbookUrl}#${spec.runbook}`;

    // CloudWatch and EventBridge can publish to an encrypted topic only with a customer managed key
    // whose policy lets them use it (the AWS managed alias/aws/sns key cannot be granted to them).
    this.key = new KmsKey(this, "key", {
      description: `${props.namePrefix} alerts topic`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: roots }, Action: "kms:*", Resource: "*" },
          {
            Sid: "AlarmAndEventPublishers",
            Effect: "Allow",
            Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com"] },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": [...props.accountIds] } },
          },
        ],
      }),
      tags: { Name: `${props.namePrefix}-alerts` },
    });
    this.topic = new SnsTopic(this, "topic", { name: props.topicName, kmsMasterKeyId: this.key.arn });
    new SnsTopicPolicy(this, "topic_policy", {
      arn: this.topic.arn,
      policy: Fn.jsonencode({
        Version: "2012-10-17",
        Statement: [
          { Sid: "AccountManages", Effect: "Allow", Principal: { AWS: roots }, Action: ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish"], Resource: this.topic.arn },
          {
            Sid: "AlarmAndEventPublishers",
            Effect: "Allow",
            Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com"] },
            Action: "sns:Publish",
            Resource: this.topic.arn,
            Condition: { [sourceAccount.test]: { [sourceAccount.variable]: sourceAccount.values } },
          },
          { Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "sns:Publish", Resource: this.topic.arn, Condition: { Bool: { "aws:SecureTransport": "false" } } },
        ],
      }),
    });
    [...(props.emailAddresses ?? [])].sort().forEach((address, i) => {
      new SnsTopicSubscription(this, `email_${i}`, { topicArn: this.topic.arn, protocol: "email", endpoint: address });
    });
    if (props.slack) this.slackChannel(props, props.slack);

    const actions = { alarmActions: [this.topic.arn], okActions: [this.topic.arn] };
    const minutes = props.tasksBelowDesiredMinutes ?? 10;
    for (const svc of props.services) {
      if (svc.desiredCount === 0) continue;
      this.alarms.push(
        new CloudwatchMetricAlarm(this, `${svc.name}_${AWS_ALERTS.tasksBelowDesired.id}`, {
          alarmName: `${props.namePrefix}-${svc.name}-tasks-below-desired`,
          alarmDescription: `${svc.name} has run fewer than ${svc.desiredCount} tasks for ${minutes} minutes (or Container Insights reports nothing). Runbook: ${runbook(AWS_ALERTS.tasksBelowDesired)}`,
          namespace: "ECS/ContainerInsights",
          metricName: "RunningTaskCount",
          dimensions: { ClusterName: props.clusterName, ServiceName: svc.ecsServiceName },
          statistic: "Minimum",
          period: 60,
          evaluationPeriods: minutes,
          datapointsToAlarm: minutes,
          threshold: svc.desiredCount,
          comparisonOperator: "LessThanThreshold",
          // No data means no task reports at all, or the cluster is gone: that is the outage itself.
          treatMissingData: "breaching",
          ...actions,
        }),
      );
      if (svc.targetGroupArnSuffix === undefined) continue;
      const dimensions = { TargetGroup: svc.targetGroupArnSuffix, LoadBalancer: props.loadBalancerArnSuffix };
      this.alarms.push(
        new CloudwatchMetricAlarm(this, `${svc.name}_${AWS_ALERTS.unhealthyTargets.id}`, {
          alarmName: `${props.namePrefix}-${svc.name}-unhealthy-targets`,
          alarmDescription: `The ALB has seen an unhealthy ${svc.name} target for 5 minutes. Runbook: ${runbook(AWS_ALERTS.unhealthyTargets)}`,
          namespace: "AWS/ApplicationELB",
          metricName: "UnHealthyHostCount",
          dimensions,
          statistic: "Maximum",
          period: 60,
          evaluationPeriods: 5,
          datapointsToAlarm: 5,
          threshold: 0,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
          ...actions,
        }),
        new CloudwatchMetricAlarm(this, `${svc.name}_${AWS_ALERTS.target5xx.id}`, {
          alarmName: `${props.namePrefix}-${svc.name}-target-5xx`,
          alarmDescription: `${svc.name} answered more than ${props.target5xxPer5m ?? 10} requests with 5xx in 5 minutes. Runbook: ${runbook(AWS_ALERTS.target5xx)}`,
          namespace: "AWS/ApplicationELB",
          metricName: "HTTPCode_Target_5XX_Count",
          dimensions,
          statistic: "Sum",
          period: FIVE_MINUTES,
          evaluationPeriods: 1,
          threshold: props.target5xxPer5m ?? 10,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
          ...actions,
        }),
      );
    }
    this.alarms.push(
      new CloudwatchMetricAlarm(this, AWS_ALERTS.alb5xx.id, {
        alarmName: `${props.namePrefix}-alb-5xx`,
        alarmDescription: `The ALB itself answered more than ${props.alb5xxPer5m ?? 10} requests with 5xx in 5 minutes. Runbook: ${runbook(AWS_ALERTS.alb5xx)}`,
        namespace: "AWS/ApplicationELB",
        metricName: "HTTPCode_ELB_5XX_Count",
        dimensions: { LoadBalancer: props.loadBalancerArnSuffix },
        statistic: "Sum",
        period: FIVE_MINUTES,
        evaluationPeriods: 1,
        threshold: props.alb5xxPer5m ?? 10,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        ...actions,
      }),
    );
    for (const [az, natId] of Object.entries(props.natGatewayIds ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      this.alarms.push(
        new CloudwatchMetricAlarm(this, `nat_${az.replace(/-/g, "_")}_${AWS_ALERTS.natPortAllocation.id}`, {
          alarmName: `${props.namePrefix}-nat-${az}-port-allocation-errors`,
          alarmDescription: `The NAT gateway of ${az} could not allocate a source port (tasks in ${az} lose connections to S3, ECR, CloudWatch). Runbook: ${runbook(AWS_ALERTS.natPortAllocation)}`,
          namespace: "AWS/NATGateway",
          metricName: "ErrorPortAllocation",
          dimensions: { NatGatewayId: natId },
          statistic: "Sum",
          period: FIVE_MINUTES,
          evaluationPeriods: 1,
          threshold: 0,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
          ...actions,
        }),
      );
    }

    // ECS task state changes: a stopped task's containers carry their exit codes. The config init
    // container exits 0 by design, so a rule matches only when some container exited otherwise.
    const taskEvent = (detail: Record<string, unknown>) =>
      JSON.stringify({ source: ["aws.ecs"], "detail-type": ["ECS Task State Change"], detail: { clusterArn: [props.clusterArn], lastStatus: ["STOPPED"], ...detail } });
    const paths = { group: "$.detail.group", task: "$.detail.taskArn", reason: "$.detail.stoppedReason", stopCode: "$.detail.stopCode" };
    const transformer = (text: string) => ({
      inputPaths: Object.fromEntries(Object.entries(paths).filter(([k]) => text.includes(`<${k}>`))),
      // An SNS target takes a JSON string as the message.
      inputTemplate: JSON.stringify(text),
    });
    this.eventRule(
      AWS_ALERTS.taskStoppedNonZero.id,
      `${props.namePrefix}-task-stopped-nonzero`,
      `A task of ${props.clusterName} stopped with a non-zero exit code`,
      taskEvent({ containers: { exitCode: [{ "anything-but": [0, 137] }] } }),
      transformer(`<group> task <task> stopped with a non-zero exit code (<stopCode>: <reason>). Runbook: ${runbook(AWS_ALERTS.taskStoppedNonZero)}`),
    );
    for (const svc of props.services) {
      this.eventRule(
        `${svc.name}_${AWS_ALERTS.taskKilled.id}`,
        `${props.namePrefix}-${svc.name}-task-killed`,
        `A ${svc.name} container was killed (exit 137: SIGKILL at the stop timeout, or out of memory)`,
        taskEvent({ group: [`service:${svc.ecsServiceName}`], containers: { exitCode: [137] } }),
        transformer(`${svc.name}: task <task> was killed (exit 137, SIGKILL; <stopCode>: <reason>). Runbook: ${runbook(AWS_ALERTS.taskKilled)}`),
      );
    }
  }

  private eventRule(id: string, name: string, description: string, pattern: string, input: { inputPaths: Record<string, string>; inputTemplate: string }): void {
    const rule = new CloudwatchEventRule(this, `${id}_rule`, { name, description, eventPattern: pattern });
    new CloudwatchEventTarget(this, `${id}_target`, { rule: rule.name, arn: this.topic.arn, inputTransformer: input });
    this.rules.push(rule);
  }

  /** AWS Chatbot posts the topic to Slack; the role it assumes may only read CloudWatch. */
  private slackChannel(props: AlertingProps, slack: { readonly workspaceId: string; readonly channelId: string }): void {
    const role = new IamRole(this, "chatbot_role", {
      name: `${props.namePrefix}-alerts-chatbot`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "chatbot.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
      managedPolicyArns: [`arn:${props.partition}:iam::aws:policy/CloudWatchReadOnlyAccess`],
    });
    new ChatbotSlackChannelConfiguration(this, "slack", {
      configurationName: `${props.namePrefix}-alerts`,
      iamRoleArn: role.arn,
      slackTeamId: slack.workspaceId,
      slackChannelId: slack.channelId,
      snsTopicArns: [this.topic.arn],
      // Whatever the channel's users ask Chatbot to do, it can only read.
      guardrailPolicyArns: [`arn:${props.partition}:iam::aws:policy/CloudWatchReadOnlyAccess`],
      loggingLevel: "ERROR",
    });
  }
}
