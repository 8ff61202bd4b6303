/**
 * Grafana-managed alert rules on the components' own metrics (self-monitoring, tenant
 * `self_monitoring.tenant`), provisioned from a file: rendered as
 * `provisioning/alerting/lgtm.yaml` with the contact point (the alerts SNS topic of 60-ecs, the same
 * one the AWS-side alarms use) and the notification policy.
 *
 * Every rule names the metrics its query reads (`metrics`), which test/grafana-alerting.test.ts
 * checks against the families the pinned releases export (../shared/upstream/metrics/) or a source
 * confirmation listed in CONFIRMED_METRICS; and every rule links its docs/runbook.md entry.
 */
import { serviceHost } from "../settings/catalog";
import { alertsTopicArn } from "../settings/names";
import type { Settings } from "../settings/schema";

/** Grafana datasource uid of the self-monitoring tenant (Mimir, X-Scope-OrgID = self_monitoring.tenant). */
export const SELF_MONITORING_DATASOURCE_UID = "mimir-meta";

export interface SelfAlertRule {
  readonly uid: string;
  readonly title: string;
  /** PromQL; the rule fires when it returns any series (a threshold of > 0 on its value). */
  readonly expr: string;
  /** Metric families the expression reads. */
  readonly metrics: readonly string[];
  readonly datasourceUid: string;
  /** Pending period. */
  readonly for: string;
  /** docs/runbook.md heading anchor. */
  readonly runbook: string;
  readonly summary: string;
  readonly description: string;
}

/**
 * Metric families the rules read that ../shared/upstream/metrics/ cannot list, each with where its
 * name was confirmed. Synthetic series every Prometheus-style scrape writes are listed too.
 */
export const CONFIRMED_METRICS: Readonly<Record<string, string>> = {
  up: "written by every Prometheus-style scrape (Alloy prometheus.scrape) for each target",
  scrape_samples_scraped: "written by every Prometheus-style scrape for each target",
  cortex_discarded_samples_total: "../shared/upstream README (appears once a sample is discarded)",
  loki_discarded_samples_total: "grafana/loki pkg/validation/validate.go (namespace loki, labels reason, tenant)",
  tempo_discarded_spans_total: "grafana/tempo distributor and pkg/validation (namespace tempo, labels reason, tenant)",
};

/** The rules, from the catalog: one per (component, condition) the issue lists. */
export function selfAlertRules(s: Settings): SelfAlertRule[] {
  const meta = SELF_MONITORING_DATASOURCE_UID;
  const job = (service: string) => `job="self/${service}"`;
  const http = (service: "mimir" | "loki" | "tempo" | "pyroscope") => `http://${serviceHost(s, service)}:${s.services[service].http_port}${s.services[service].path_prefix}`;
  const rules: SelfAlertRule[] = [
    {
      uid: "lgtm-mimir-ring-unhealthy",
      title: "Mimir ring has unhealthy members",
      expr: `max by (name) (cortex_ring_members{${job("mimir")}, state="Unhealthy"}) > 0`,
      metrics: ["cortex_ring_members"],
      datasourceUid: meta,
      for: "5m",
      runbook: "ring-member-unhealthy",
      summary: "A Mimir ring lists a member that stopped heartbeating (a task died without leaving).",
      description: `Forget it at ${http("mimir")}/ingester/ring (ingesters never forget on their own in Mimir 3.0); the other rings forget within 2 heartbeat periods.`,
    },
    {
      uid: "lgtm-loki-ring-unhealthy",
      title: "Loki ring has unhealthy members",
      expr: `max by (name) (loki_ring_members{${job("loki")}, state="Unhealthy"}) > 0`,
      metrics: ["loki_ring_members"],
      datasourceUid: meta,
      for: "10m",
      runbook: "ring-member-unhealthy",
      summary: "A Loki ring lists a member that stopped heartbeating for 10 minutes (autoforget_unhealthy should have dropped it).",
      description: `Forget it at ${http("loki")}/ring.`,
    },
    {
      uid: "lgtm-mimir-flush-errors",
      title: "Mimir cannot ship blocks or reach S3",
      expr: `sum by (service, task) (increase(cortex_ingester_shipper_upload_failures_total{${job("mimir")}}[10m])) > 0 or sum by (service, task) (increase(thanos_objstore_bucket_operation_failures_total{${job("mimir")}}[10m])) > 0`,
      metrics: ["cortex_ingester_shipper_upload_failures_total", "thanos_objstore_bucket_operation_failures_total"],
      datasourceUid: meta,
      for: "0m",
      runbook: "flush-or-s3-errors",
      summary: "Mimir failed to upload blocks or another S3 operation in the last 10 minutes.",
      description: "Check the task role, the S3 gateway endpoint and the bucket policy.",
    },
    {
      uid: "lgtm-loki-flush-errors",
      title: "Loki cannot flush chunks",
      expr: `sum by (service, task) (increase(loki_ingester_chunks_flush_failures_total{${job("loki")}}[10m])) > 0`,
      metrics: ["loki_ingester_chunks_flush_failures_total"],
      datasourceUid: meta,
      for: "0m",
      runbook: "flush-or-s3-errors",
      summary: "Loki failed to flush chunks to S3 in the last 10 minutes.",
      description: "Loki keeps retrying; at shutdown it retries past the 120 s stop timeout and is killed.",
    },
    {
      uid: "lgtm-tempo-flush-errors",
      title: "Tempo cannot flush blocks",
      expr: `sum by (service, task) (increase(tempo_live_store_local_failed_flushes_total{${job("tempo")}}[10m])) > 0`,
      metrics: ["tempo_live_store_local_failed_flushes_total"],
      datasourceUid: meta,
      for: "0m",
      runbook: "flush-or-s3-errors",
      summary: "Tempo's live store failed to flush blocks in the last 10 minutes.",
      description: "Tempo runs one task: what it cannot flush is lost when the task stops.",
    },
    {
      uid: "lgtm-discarded",
      title: "Samples, lines or spans discarded",
      expr:
        // Mimir names the tenant label "user".
        `sum by (service, reason, user) (increase(cortex_discarded_samples_total{${job("mimir")}}[10m])) > 0` +
        ` or sum by (service, reason, tenant) (increase(loki_discarded_samples_total{${job("loki")}}[10m])) > 0` +
        ` or sum by (service, reason, tenant) (increase(tempo_discarded_spans_total{${job("tempo")}}[10m])) > 0`,
      metrics: ["cortex_discarded_samples_total", "loki_discarded_samples_total", "tempo_discarded_spans_total"],
      datasourceUid: meta,
      for: "0m",
      runbook: "discarded-samples-lines-or-spans",
      summary: "A backend refused data for a tenant (labels: service, reason, tenant; Mimir: user).",
      description: "The reason names the limit; raise the tenant's limit or fix the sender.",
    },
    {
      uid: "lgtm-mimir-memberlist-size",
      title: "Mimir memberlist smaller than its task count",
      expr: `min(memberlist_client_cluster_members_count{${job("mimir")}}) < ${s.services.mimir.desired_count}`,
      metrics: ["memberlist_client_cluster_members_count"],
      datasourceUid: meta,
      for: "10m",
      runbook: "memberlist-cluster-too-small",
      summary: `A Mimir task sees fewer than ${s.services.mimir.desired_count} gossip members (services.mimir.desired_count).`,
      description: `Its tasks do not find each other through ${serviceHost(s, "mimir")}:${s.memberlist_port}.`,
    },
    {
      uid: "lgtm-loki-memberlist-size",
      title: "Loki memberlist smaller than its task count",
      expr: `min(loki_memberlist_client_cluster_members_count{${job("loki")}}) < ${s.services.loki.desired_count}`,
      metrics: ["loki_memberlist_client_cluster_members_count"],
      datasourceUid: meta,
      for: "10m",
      runbook: "memberlist-cluster-too-small",
      summary: `A Loki task sees fewer than ${s.services.loki.desired_count} gossip members (services.loki.desired_count).`,
      description: `Its tasks do not find each other through ${serviceHost(s, "loki")}:${s.memberlist_port}.`,
    },
    {
      uid: "lgtm-loki-compactor",
      title: "Loki compactor not running",
      expr: `max(loki_boltdb_shipper_compactor_running{${job("loki")}}) < 1`,
      metrics: ["loki_boltdb_shipper_compactor_running"],
      datasourceUid: meta,
      for: "30m",
      runbook: "compactor-not-running",
      summary: "No Loki task runs the compactor: retention and deletes stop.",
      description: "One Loki task holds the compactor ring's token; check the compactor ring and the logs.",
    },
    {
      uid: "lgtm-mimir-compactor",
      title: "Mimir compactor has not finished a run for 2 hours",
      expr: `time() - max(cortex_compactor_last_successful_run_timestamp_seconds{${job("mimir")}}) > 7200`,
      metrics: ["cortex_compactor_last_successful_run_timestamp_seconds"],
      datasourceUid: meta,
      for: "0m",
      runbook: "compactor-not-running",
      summary: "Mimir's compactor has not completed a run in 2 hours: blocks pile up and retention stops.",
      description: "Check the compactor's logs (disk space, S3 errors).",
    },
    {
      uid: "lgtm-self-target-down",
      title: "A component's /metrics cannot be scraped",
      expr: `max by (service, task) (up{job=~"self/.+"}) < 1`,
      metrics: ["up"],
      datasourceUid: meta,
      for: "5m",
      runbook: "self-monitoring-target-down",
      summary: "Alloy cannot scrape a task's own /metrics (labels: service, task).",
      description: "The task is stuck or gone; the AWS-side alarms say which.",
    },
    {
      uid: "lgtm-alloy-cloudwatch",
      title: "Alloy's CloudWatch scrape is failing",
      // The CloudWatch series go to the users' tenant, so this rule reads the users' datasource.
      expr: `max(up{job="cloudwatch"}) < 1 or max(scrape_samples_scraped{job="cloudwatch"}) < 1`,
      metrics: ["up", "scrape_samples_scraped"],
      datasourceUid: "mimir",
      for: "15m",
      runbook: "alloy-cloudwatch-scrape-failing",
      summary: "Alloy's CloudWatch exporter returns nothing (API errors, throttling, missing permissions).",
      description: "Check Alloy's logs and its task role's CloudWatch read permissions.",
    },
  ];
  // No CloudWatch rule when Alloy collects no CloudWatch namespace.
  return s.alloy.cloudwatch.namespaces.length > 0 ? rules : rules.filter((r) => r.uid !== "lgtm-alloy-cloudwatch");
}

/** The provisioning file's content (Grafana file provisioning of alerting, apiVersion 1). */
export function alertingProvisioning(s: Settings) {
  const runbookUrl = (anchor: string) => `${s.alerts.runbook_url}#${anchor}`;
  const contactPoint = `${s.project}-${s.env}-alerts-sns`;
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: "lgtm-self-monitoring",
        folder: "LGTM",
        interval: "1m",
        rules: selfAlertRules(s).map((r) => ({
          uid: r.uid,
          title: r.title,
          condition: "B",
          data: [
            { refId: "A", relativeTimeRange: { from: 600, to: 0 }, datasourceUid: r.datasourceUid, model: { refId: "A", expr: r.expr, instant: true } },
            {
              refId: "B",
              datasourceUid: "__expr__",
              model: { refId: "B", type: "threshold", expression: "A", conditions: [{ evaluator: { type: "gt", params: [0] } }] },
            },
          ],
          noDataState: "OK",
          execErrState: "Error",
          for: r.for,
          annotations: { summary: r.summary, description: r.description, runbook_url: runbookUrl(r.runbook) },
          labels: { source: "lgtm-self-monitoring" },
        })),
      },
    ],
    contactPoints: [
      {
        orgId: 1,
        name: contactPoint,
        receivers: [
          {
            uid: `${s.project}-${s.env}-sns`,
            type: "sns",
            // The task role's credentials (default chain): 40-iam lets Grafana publish to this topic only.
            settings: { topic_arn: alertsTopicArn(s), sigv4: { region: s.aws.region }, subject: `[${s.project}-${s.env}] Grafana alert` },
          },
        ],
      },
    ],
    policies: [{ orgId: 1, receiver: contactPoint, group_by: ["alertname", "service"] }],
  };
}
