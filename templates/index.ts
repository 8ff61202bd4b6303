/**
 * Service configs from templates: the public API the ECS layer wires into task definitions.
 *
 *   renderConfigs(settings)                    every service's rendered files, deterministic order
 *   serviceCommand(settings, service)          the main container's command (reads the files from CONFIG_DIR)
 *   serviceEnvironment(settings, service)      environment variables the config relies on (never secrets)
 *   checkRenderedConfigs(settings, configs)    synth-time checks against the catalog and ../shared/upstream
 *
 * Files are mounted read-only under CONFIG_DIR (/etc/lgtm) at `containerPath`, on a task-scoped volume
 * an init container writes. Values are rendered in, so no component needs `-config.expand-env`.
 * Grafana's admin password is NOT here: the task definition injects GF_SECURITY_ADMIN_PASSWORD from
 * Secrets Manager through `secrets`.
 */
import * as path from "node:path";
import { albHasTls, grafanaDatabase, grafanaRootUrl } from "../settings/catalog";
import { ssoEnvironment } from "../settings/sso";
import type { ServiceName } from "../settings/components";
import type { Settings } from "../settings/schema";
import { UserError } from "../settings/errors";
import { CONFIG_DIR, DATA_DIRS } from "./context";
import { renderConfigs, type RenderedConfig } from "./render";
import { checkRenderedConfigs } from "./config-checks";

export { renderConfigs, writeRenderedConfigs, type RenderedConfig } from "./render";
export { checkRenderedConfigs, type CheckResult } from "./config-checks";
export { AVAILABILITY_ZONE_PLACEHOLDER, CONFIG_DIR, DATA_DIRS, DATASOURCE_UIDS, GATEWAY_RUN_DIR, GATEWAY_OTLP_BASE, gatewayPasswordEnv, gatewayPasswordFile, gatewayQueryBase, grafanaReadPasswordEnv, GRAFANA_META_PASSWORD_ENV, GATEWAY_META_PASSWORD_ENV, gatewayRoutes, gatewaySignals, buildContext, type TemplateContext } from "./context";
export { defaultReferenceDir } from "./reference";

/** Grafana's provisioning root: the datasources file lives in its datasources/ folder. */
export const GRAFANA_PROVISIONING_DIR = path.posix.join(CONFIG_DIR, "provisioning");

/** Environment variable Grafana's admin password comes from (a container secret, never a value here). */
export const GRAFANA_ADMIN_PASSWORD_ENV = "GF_SECURITY_ADMIN_PASSWORD";
/** Environment variable the external database's password comes from (a container secret). */
export const GRAFANA_DATABASE_PASSWORD_ENV = "GF_DATABASE_PASSWORD";

/** The container path of a service's main config file (the first rendered file with that name). */
function mainConfigPath(settings: Settings, service: ServiceName, fileName: string): string {
  const file = renderConfigs(settings).find((c) => c.service === service && c.fileName === fileName);
  if (!file) throw new Error(`templates/${service}/${fileName}.hbs is missing; ${service}'s command reads it`);
  return file.containerPath;
}

/**
 * The main container's command (the image's entrypoint stays). An empty list means "keep the image's
 * default command": Grafana is configured through environment variables only.
 */
export function serviceCommand(settings: Settings, service: ServiceName): string[] {
  switch (service) {
    case "mimir":
    case "loki":
    case "tempo":
    case "pyroscope":
      // Monolithic: every component in one process (Tempo 3: no Kafka in this mode).
      return [`-config.file=${mainConfigPath(settings, service, `${service}.yaml`)}`, "-target=all"];
    case "alloy":
      return [
        "run",
        // Alloy listens on 127.0.0.1 by default, which no health check or peer can reach.
        `--server.http.listen-addr=0.0.0.0:${settings.services.alloy.http_port}`,
        `--storage.path=${DATA_DIRS.alloy}`,
        mainConfigPath(settings, "alloy", "config.alloy"),
      ];
    case "grafana":
      return [];
    case "gateway":
      // The nginx image's entrypoint runs any other command as given: start.sh writes the password
      // files from the task's secrets, then execs nginx with the rendered nginx.conf.
      mainConfigPath(settings, "gateway", "nginx.conf");
      return ["sh", mainConfigPath(settings, "gateway", "start.sh")];
  }
}

/** Environment variables the rendered config relies on. Never a secret value. */
export function serviceEnvironment(settings: Settings, service: ServiceName): Record<string, string> {
  switch (service) {
    case "grafana":
      return {
        // The datasources file is rendered under provisioning/datasources/ in the config volume.
        GF_PATHS_PROVISIONING: GRAFANA_PROVISIONING_DIR,
        GF_SERVER_HTTP_PORT: String(settings.services.grafana.http_port),
        GF_SECURITY_ADMIN_USER: settings.grafana.admin_user,
        // The public URL (links, redirects, OAuth callbacks) and cookies that never travel over plain HTTP.
        ...(grafanaRootUrl(settings) ? { GF_SERVER_ROOT_URL: grafanaRootUrl(settings)! } : {}),
        ...(albHasTls(settings) ? { GF_SECURITY_COOKIE_SECURE: "true" } : {}),
        // Secure by default: nobody sees data without logging in, nobody signs themselves up.
        GF_AUTH_ANONYMOUS_ENABLED: "false",
        GF_USERS_ALLOW_SIGN_UP: "false",
        // Tasks run in private subnets; no usage reports or update checks leave them.
        GF_ANALYTICS_REPORTING_ENABLED: "false",
        GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
        GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: "false",
        ...grafanaDatabaseEnvironment(settings),
        // grafana.sso: OIDC through generic OAuth; its client secret is a container secret (60-ecs).
        ...ssoEnvironment(settings),
      };
    default:
      // Every value (bucket, region, prefixes, tenant, ports) is rendered into the file itself.
      return {};
  }
}

/**
 * Where Grafana keeps its state. Without `grafana.database`: SQLite in its data path, which the task
 * mounts from EFS (the image's default path, named here so the mount and the setting cannot part).
 * With it: the external database; its password is a container secret (GRAFANA_DATABASE_PASSWORD_ENV).
 */
function grafanaDatabaseEnvironment(settings: Settings): Record<string, string> {
  const db = grafanaDatabase(settings);
  if (!db) return { GF_PATHS_DATA: DATA_DIRS.grafana, GF_DATABASE_TYPE: "sqlite3" };
  return {
    GF_PATHS_DATA: DATA_DIRS.grafana,
    GF_DATABASE_TYPE: db.type,
    GF_DATABASE_HOST: db.host,
    GF_DATABASE_NAME: db.name,
    GF_DATABASE_USER: db.user,
    GF_DATABASE_SSL_MODE: db.sslMode,
  };
}

/** All rendered files of one service. */
export function serviceConfigs(settings: Settings, service: ServiceName): RenderedConfig[] {
  return renderConfigs(settings).filter((c) => c.service === service);
}

/** An environment's rendered files and what the synth-time checks found in them. */
export interface CheckedConfigs {
  readonly env: string;
  readonly configs: RenderedConfig[];
  readonly errors: string[];
  readonly warnings: string[];
}

/** Renders every service's files for `settings` and runs the synth-time checks on them. */
export function renderAndCheck(settings: Settings, referenceDir?: string): CheckedConfigs {
  const configs = renderConfigs(settings);
  const { errors, warnings } = checkRenderedConfigs(settings, configs, referenceDir);
  return { env: settings.env, configs, errors: [...errors], warnings: [...warnings] };
}

/** Rendered configs failed their checks; every problem names the setting to change. */
export class ConfigCheckError extends UserError {
  constructor(readonly problems: readonly string[]) {
    super(`rendered configs failed their checks (${problems.length}):\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigCheckError";
  }
}

/** Renders and checks every environment; throws ConfigCheckError listing every error of every one. */
export function renderAndCheckAll(environments: readonly Settings[], warn: (message: string) => void = console.warn): CheckedConfigs[] {
  const results = environments.map((s) => renderAndCheck(s));
  // A warning every environment shares (a missing reference folder) is printed once, naming them.
  const byText = new Map<string, string[]>();
  for (const r of results) for (const w of r.warnings) byText.set(w, [...(byText.get(w) ?? []), r.env]);
  for (const [w, envs] of byText) warn(`warning: ${envs.join(", ")}: ${w}`);
  const problems = results.flatMap((r) => r.errors.map((e) => `${r.env}: ${e}`));
  if (problems.length > 0) throw new ConfigCheckError(problems);
  return results;
}
