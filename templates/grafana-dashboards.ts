/**
 * Grafana dashboards provisioned from files: one overview per component and one for the whole stack,
 * generated from the compact description below (title, PromQL, unit per panel) so each file stays a
 * few KB inside Grafana's task definition (config files travel there: modules/config-delivery).
 *
 * Every panel reads the self-monitoring datasource (tenant `self_monitoring.tenant`) and names the
 * metric families it reads (`metrics`), which test/grafana-alerting.test.ts checks like the alert
 * rules' queries.
 */
import { SCRAPED_SERVICES, type ServiceName } from "../settings/components";
import type { Settings } from "../settings/schema";
import { SELF_MONITORING_DATASOURCE_UID } from "./grafana-alerting";

export interface PanelSpec {
  readonly title: string;
  readonly expr: string;
  /** Metric families the query reads (histograms by family name, without _bucket). */
  readonly metrics: readonly string[];
  readonly unit?: string;
  readonly legend?: string;
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

const rate = (metric: string, selector: string, by = "") => `sum${by ? ` by (${by})` : ""} (rate(${metric}{${selector}}[5m]))`;
const p99 = (family: string, selector: string) => `histogram_quantile(0.99, sum by (le) (rate(${family}_bucket{${selector}}[5m])))`;

/** Panels every component's overview starts with: targets up, restarts, memory. */
function common(service: ServiceName): PanelSpec[] {
  const job = `job="self/${service}"`;
  return [
    { title: "Tasks up (by task, az)", expr: `sum by (task, az) (up{${job}})`, metrics: ["up"], legend: "{{task}} {{az}}" },
    { title: "Task restarts (1h)", expr: `sum by (task) (changes(process_start_time_seconds{${job}}[1h]))`, metrics: ["process_start_time_seconds"], legend: "{{task}}" },
    { title: "Resident memory", expr: `sum by (task) (process_resident_memory_bytes{${job}})`, metrics: ["process_resident_memory_bytes"], unit: "bytes", legend: "{{task}}" },
  ];
}

export function dashboardSpecs(s: Settings): DashboardSpec[] {
  const job = (service: ServiceName) => `job="self/${service}"`;
  const specific: Record<Exclude<ServiceName, "gateway">, PanelSpec[]> = {
    mimir: [
      { title: "Samples received / s", expr: rate("cortex_distributor_received_samples_total", job("mimir"), "user"), metrics: ["cortex_distributor_received_samples_total"], legend: "{{user}}" },
      { title: "Discarded samples / s (reason, tenant)", expr: rate("cortex_discarded_samples_total", job("mimir"), "reason, user"), metrics: ["cortex_discarded_samples_total"], legend: "{{reason}} {{user}}" },
      { title: "In-memory series", expr: `sum by (task) (cortex_ingester_memory_series{${job("mimir")}})`, metrics: ["cortex_ingester_memory_series"], legend: "{{task}}" },
      { title: "Ring members by state", expr: `max by (name, state) (cortex_ring_members{${job("mimir")}})`, metrics: ["cortex_ring_members"], legend: "{{name}} {{state}}" },
      { title: "S3 operations / s (failures)", expr: `${rate("thanos_objstore_bucket_operations_total", job("mimir"), "operation")} or ${rate("thanos_objstore_bucket_operation_failures_total", job("mimir"), "operation")}`, metrics: ["thanos_objstore_bucket_operations_total", "thanos_objstore_bucket_operation_failures_total"], legend: "{{operation}}" },
      { title: "Query latency p99", expr: p99("cortex_request_duration_seconds", `${job("mimir")}, route=~".*query.*"`), metrics: ["cortex_request_duration_seconds"], unit: "s" },
    ],
    loki: [
      { title: "Lines received / s", expr: rate("loki_distributor_lines_received_total", job("loki"), "tenant"), metrics: ["loki_distributor_lines_received_total"], legend: "{{tenant}}" },
      { title: "Bytes received / s", expr: rate("loki_distributor_bytes_received_total", job("loki"), "tenant"), metrics: ["loki_distributor_bytes_received_total"], unit: "Bps", legend: "{{tenant}}" },
      { title: "Discarded lines / s (reason, tenant)", expr: rate("loki_discarded_samples_total", job("loki"), "reason, tenant"), metrics: ["loki_discarded_samples_total"], legend: "{{reason}} {{tenant}}" },
      { title: "Ring members by state", expr: `max by (name, state) (loki_ring_members{${job("loki")}})`, metrics: ["loki_ring_members"], legend: "{{name}} {{state}}" },
      { title: "Chunk flush failures / s", expr: rate("loki_ingester_chunks_flush_failures_total", job("loki"), "task"), metrics: ["loki_ingester_chunks_flush_failures_total"], legend: "{{task}}" },
      { title: "Query latency p99", expr: p99("loki_request_duration_seconds", `${job("loki")}, route=~".*query.*"`), metrics: ["loki_request_duration_seconds"], unit: "s" },
    ],
    tempo: [
      { title: "Spans received / s", expr: rate("tempo_distributor_spans_received_total", job("tempo"), "tenant"), metrics: ["tempo_distributor_spans_received_total"], legend: "{{tenant}}" },
      { title: "Discarded spans / s (reason, tenant)", expr: rate("tempo_discarded_spans_total", job("tempo"), "reason, tenant"), metrics: ["tempo_discarded_spans_total"], legend: "{{reason}} {{tenant}}" },
      { title: "Live-store flush failures / s", expr: rate("tempo_live_store_local_failed_flushes_total", job("tempo")), metrics: ["tempo_live_store_local_failed_flushes_total"] },
      { title: "S3 request latency p99", expr: p99("tempodb_backend_request_duration_seconds", job("tempo")), metrics: ["tempodb_backend_request_duration_seconds"], unit: "s" },
      { title: "Query latency p99", expr: p99("tempo_request_duration_seconds", `${job("tempo")}, route=~".*api.*"`), metrics: ["tempo_request_duration_seconds"], unit: "s" },
    ],
    pyroscope: [{ title: "Goroutines", expr: `sum by (task) (go_goroutines{${job("pyroscope")}})`, metrics: ["go_goroutines"], legend: "{{task}}" }],
    grafana: [{ title: "Goroutines", expr: `sum by (task) (go_goroutines{${job("grafana")}})`, metrics: ["go_goroutines"], legend: "{{task}}" }],
    alloy: [{ title: "Goroutines", expr: `sum by (task) (go_goroutines{${job("alloy")}})`, metrics: ["go_goroutines"], legend: "{{task}}" }],
  };
  const stack: DashboardSpec = {
    uid: "lgtm-stack",
    title: `LGTM ${s.env}: stack`,
    panels: [
      { title: "Tasks up by service", expr: `sum by (service) (up{job=~"self/.+"})`, metrics: ["up"], legend: "{{service}}" },
      { title: "Task restarts by service (1h)", expr: `sum by (service) (changes(process_start_time_seconds{job=~"self/.+"}[1h]))`, metrics: ["process_start_time_seconds"], legend: "{{service}}" },
      { title: "Ingest: samples, lines, spans / s", expr: `${rate("cortex_distributor_received_samples_total", job("mimir"))} or ${rate("loki_distributor_lines_received_total", job("loki"))} or ${rate("tempo_distributor_spans_received_total", job("tempo"))}`, metrics: ["cortex_distributor_received_samples_total", "loki_distributor_lines_received_total", "tempo_distributor_spans_received_total"] },
      { title: "Discarded / s by service and reason", expr: `${rate("cortex_discarded_samples_total", job("mimir"), "service, reason")} or ${rate("loki_discarded_samples_total", job("loki"), "service, reason")} or ${rate("tempo_discarded_spans_total", job("tempo"), "service, reason")}`, metrics: ["cortex_discarded_samples_total", "loki_discarded_samples_total", "tempo_discarded_spans_total"], legend: "{{service}} {{reason}}" },
      { title: "Unhealthy ring members", expr: `max by (service, name) (cortex_ring_members{state="Unhealthy"}) or max by (service, name) (loki_ring_members{state="Unhealthy"})`, metrics: ["cortex_ring_members", "loki_ring_members"], legend: "{{service}} {{name}}" },
      { title: "Query latency p99 by service", expr: `${p99("cortex_request_duration_seconds", `${job("mimir")}, route=~".*query.*"`)} or ${p99("loki_request_duration_seconds", `${job("loki")}, route=~".*query.*"`)}`, metrics: ["cortex_request_duration_seconds", "loki_request_duration_seconds"], unit: "s" },
    ],
  };
  return [stack, ...SCRAPED_SERVICES.filter((n): n is Exclude<ServiceName, "gateway"> => n !== "gateway" && s.services[n].enabled).map((service) => ({ uid: `lgtm-${service}`, title: `LGTM ${s.env}: ${service}`, panels: [...common(service), ...specific[service]] }))];
}

/** A Grafana dashboard model (schemaVersion 39) from a compact description: two panels per row. */
export function dashboardJson(s: Settings, spec: DashboardSpec, header: string) {
  return {
    uid: spec.uid,
    title: spec.title,
    description: header,
    tags: ["lgtm", "self-monitoring"],
    editable: false,
    schemaVersion: 39,
    time: { from: "now-6h", to: "now" },
    refresh: "1m",
    panels: spec.panels.map((p, i) => ({
      id: i + 1,
      type: "timeseries",
      title: p.title,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      datasource: { type: "prometheus", uid: SELF_MONITORING_DATASOURCE_UID },
      targets: [{ refId: "A", expr: p.expr, ...(p.legend ? { legendFormat: p.legend } : {}) }],
      ...(p.unit ? { fieldConfig: { defaults: { unit: p.unit }, overrides: [] } } : {}),
    })),
  };
}
