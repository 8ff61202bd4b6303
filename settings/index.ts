/** The settings model: load and validate one environment's tfvars into a typed `Settings`. */
export * from "./schema";
export * from "./components";
export * from "./errors";
export * from "./names";
export { tenants, tenantOverrides, tenantsOverriding, tenantSlug, gatewaySecretKey, DEFAULT_TENANT_DESCRIPTION, type Tenant } from "./tenants";
export { checkSettings, taskPorts, FARGATE_SIZES, parseCidr, CIDRS_PER_RULE } from "./checks";
export { loadSettings, listEnvironments, DEFAULT_ENVIRONMENTS_DIR, COMMON_FILE } from "./load";
export {
  albFrontedServices,
  healthCheckPath,
  serviceEndpoint,
  serviceHost,
  grafanaStateOnEfs,
  grafanaDatabase,
  GRAFANA_DATABASE_DEFAULT_PORTS,
  type GrafanaDatabase,
} from "./catalog";
export {
  DEFAULT_REPLICATION_FACTOR,
  replicationFactor,
  writeQuorum,
  ringArithmetic,
  deploymentPercentages,
  isRingService,
  type RingArithmetic,
  type DeploymentPercentages,
} from "./quorum";
export { SHUTDOWN_BUDGET, FARGATE_MAX_STOP_TIMEOUT_SECONDS, seconds, type ShutdownBudget } from "./shutdown";
