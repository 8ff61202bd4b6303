/** The settings model: load and validate one environment's tfvars into a typed `Settings`. */
export * from "./schema";
export * from "./components";
export * from "./errors";
export * from "./names";
export { checkSettings, taskPorts, parseCidr, CIDRS_PER_RULE } from "./checks";
export { FARGATE_SIZES } from "./fargate";
export { tenants, tenantOverrides, tenantsOverriding, tenantSlug, gatewaySecretKey, gatewaySecretName, gatewayRoles, gatewayAdminEnabled, GATEWAY_ROLES, DEFAULT_TENANT_DESCRIPTION, type Tenant, type GatewayRole } from "./tenants";
export { loadSettings, listEnvironments, DEFAULT_ENVIRONMENTS_DIR, COMMON_FILE } from "./load";
export {
  albFrontedServices,
  albHasTls,
  imageReference,
  pullThroughReference,
  PULL_THROUGH_PREFIXES,
  auditLogBucket,
  AUDIT_LOG_PREFIXES,
  grafanaRootUrl,
  healthCheckPath,
  serviceEndpoint,
  serviceHost,
  CLOUD_MAP_DNS_TTL_SECONDS,
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
  zoneAware,
  replicationWarnings,
  deploymentPercentages,
  isRingService,
  type RingArithmetic,
  type DeploymentPercentages,
} from "./quorum";
export { SHUTDOWN_BUDGET, FARGATE_MAX_STOP_TIMEOUT_SECONDS, seconds, type ShutdownBudget } from "./shutdown";
export * from "./sizing";
export { checkSizing, deriveMissingSizes, sizingOf, mimirSeriesCapacity, mimirSeriesLimits, DERIVED_KEYS } from "./sizing-checks";
export { DERIVED_FROM_LOAD } from "./load";
export { cpuArchitecture, defaultCpuArchitecture, imageRepository, imageSupports, IMAGE_PLATFORMS, CPU_ARCHITECTURES, type CpuArchitecture } from "./architecture";
export { selfScrapeTargets, cidrRegex, type ScrapeTarget } from "./self-monitoring";
export { adoptionWarning, adoptionWarnings, createdNames, type CreatedName } from "./adoption";
export * from "./cache";
export * from "./enabled";
export { checkSso, ssoClientSecretArn, ssoEnvironment, ssoOrgMapping, GRAFANA_OAUTH_CLIENT_SECRET_ENV, GRAFANA_OAUTH_CALLBACK_PATH } from "./sso";
