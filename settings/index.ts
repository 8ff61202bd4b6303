/** The settings model: load and validate one environment's tfvars into a typed `Settings`. */
export * from "./schema";
export * from "./components";
export * from "./errors";
export * from "./names";
export { checkSettings, taskPorts, FARGATE_SIZES, parseCidr, CIDRS_PER_RULE } from "./checks";
export { loadSettings, listEnvironments, DEFAULT_ENVIRONMENTS_DIR, COMMON_FILE } from "./load";
export { albFrontedServices, healthCheckPath, serviceEndpoint } from "./catalog";
