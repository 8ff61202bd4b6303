/**
 * Questions every layer asks of the service catalog, answered in one place so that the security
 * groups, target groups, health checks and rendered configs can never disagree.
 */
import { SERVICE_NAMES, servedHealthPaths, type ServiceName } from "./components";
import type { Settings } from "./schema";

/** Services the ALB forwards to: those with path rules, and the listener's default service. */
export function albFrontedServices(s: Settings): ServiceName[] {
  return SERVICE_NAMES.filter((n) => s.services[n].alb_paths.length > 0 || n === s.load_balancer.default_service);
}

/** Health-check path: the service's own setting, else the readiness path its prefix mode serves. */
export function healthCheckPath(s: Settings, name: ServiceName): string {
  const svc = s.services[name];
  return svc.health_check_path ?? servedHealthPaths(name, svc.path_prefix)[0];
}

/** In-VPC base URL of a service: its Cloud Map name and HTTP port. */
export function serviceEndpoint(s: Settings, name: ServiceName): string {
  return `http://${name}.${s.service_discovery.namespace}:${s.services[name].http_port}`;
}
