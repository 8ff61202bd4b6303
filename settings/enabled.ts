/**
 * `services.<name>.enabled` and `desired_count = 0`: which components the stack can run without.
 *
 * A component is either on (its tasks, Cloud Map name, security group, task role, gateway routes,
 * Grafana datasources, Alloy scrapes and alarms all exist) or off, and then none of those do. A
 * component the stack needs is refused here with what depends on it. `desired_count = 0` on its
 * own is refused: it would keep every route, datasource, scrape and alarm of a component whose
 * address answers nothing (the gateway would answer 502, alarms would fire forever).
 */
import { CONSUMERS, RING_SERVICES, SERVICE_NAMES, type Consumption, type RingServiceName, type ServiceName } from "./components";
import type { Settings } from "./schema";

/**
 * Why a component cannot be switched off; absent: it can (`enabled = false` removes it everywhere).
 */
export const REQUIRED_BECAUSE: Readonly<Partial<Record<ServiceName, string>>> = {
  mimir:
    "the stack's own metrics (self_monitoring) go to it, Tempo's metrics generator writes span metrics to it, and Grafana's alert rules and dashboards query it",
  loki: "Alloy sends every task's logs to it, and Grafana's datasources and trace-to-logs links read it",
  tempo: "Alloy forwards OTLP traces to it, and Grafana's logs and metrics datasources link traces to it",
  grafana: "it is the stack's UI, runs its alert rules and is the ALB's default route",
  alloy: "it is the stack's own monitoring: it scrapes every component into Mimir under self_monitoring.tenant, which the alert rules and dashboards read",
  gateway: "every ingestion and query path of the ALB, and every in-VPC sender, goes through it (credentials, tenant header)",
};

/** True unless `services.<name>.enabled = false`. */
export const isEnabled = (s: Settings, name: ServiceName): boolean => s.services[name].enabled;

/** The catalog's services that run in this environment, in catalog order. */
export const enabledServices = (s: Settings): ServiceName[] => SERVICE_NAMES.filter((n) => isEnabled(s, n));

export function checkEnabled(s: Settings): { key: string; message: string }[] {
  const out: { key: string; message: string }[] = [];
  for (const name of SERVICE_NAMES) {
    const svc = s.services[name];
    const reason = REQUIRED_BECAUSE[name];
    if (!svc.enabled && reason) {
      out.push({ key: `services.${name}.enabled`, message: `${name} cannot be switched off: ${reason}; expected true (or remove the key)` });
    } else if (svc.enabled && svc.desired_count === 0) {
      out.push({
        key: `services.${name}.desired_count`,
        message: reason
          ? `0 tasks would stop ${name}, which the stack needs: ${reason}; expected 1 or more`
          : `0 tasks would leave ${name}'s gateway routes, datasources, scrapes and alarms pointing at nothing; to switch ${name} off set services.${name}.enabled = false, otherwise expected 1 or more`,
      });
    }
  }
  // The gateway routes a switchable backend by its path prefix (templates/context.ts gatewayRoutes):
  // an ALB path for it would reach the gateway and end in a 404.
  for (const name of SERVICE_NAMES) {
    if (isEnabled(s, name) || REQUIRED_BECAUSE[name]) continue;
    const prefix = s.services[name].path_prefix;
    if (prefix === "") continue;
    s.services.gateway.alb_paths.forEach((pattern, i) => {
      const base = pattern.split(/[*?]/)[0];
      if (base === prefix || base.startsWith(`${prefix}/`)) {
        out.push({
          key: `services.gateway.alb_paths[${i}]`,
          message: `"${pattern}" reaches only ${name}'s routes, and ${name} is switched off (services.${name}.enabled = false); remove it from the gateway's alb_paths`,
        });
      }
    });
  }
  s.adopt.ecr_repositories.forEach((name, i) => {
    if ((SERVICE_NAMES as readonly string[]).includes(name) && !isEnabled(s, name as ServiceName)) {
      out.push({ key: `adopt.ecr_repositories[${i}]`, message: `${name} is switched off (services.${name}.enabled = false), so no repository of it is created to adopt; remove it` });
    }
  });
  return out;
}

/** The ring members that run in this environment. */
export const enabledRingServices = (s: Settings): RingServiceName[] => RING_SERVICES.filter((n) => isEnabled(s, n));

/** What `consumer` calls (settings/components.ts CONSUMERS), without the producers switched off. */
export const enabledConsumptions = (s: Settings, consumer: ServiceName): readonly Consumption[] =>
  isEnabled(s, consumer) ? CONSUMERS[consumer].filter((c) => isEnabled(s, c.producer)) : [];
