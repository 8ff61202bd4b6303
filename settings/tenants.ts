/**
 * Tenants: the default tenant (`tenant_id`, kept from the single-tenant settings) plus every tenant
 * declared in `tenants`. One list, in one order (the default first, then by name), read by the
 * runtime overrides files, Grafana's datasources and the checks, so they cannot disagree.
 */
import { createHash } from "node:crypto";
import { didYouMean } from "./errors";
import { LIMITED_COMPONENTS, type LimitedComponent, type LokiLimits, type MimirLimits, type PyroscopeLimits, type Settings, type TempoLimits } from "./schema";

export interface Tenant {
  readonly id: string;
  readonly description: string;
  /** The default tenant (`tenant_id`). */
  readonly isDefault: boolean;
}

/** Description of the default tenant when `tenants` does not describe it. */
export const DEFAULT_TENANT_DESCRIPTION = "default tenant (tenant_id)";

/** Every tenant: the default first, then the others sorted by id (deterministic output). */
export function tenants(s: Settings): Tenant[] {
  const others = Object.keys(s.tenants)
    .filter((id) => id !== s.tenant_id)
    .sort();
  return [s.tenant_id, ...others].map((id) => ({
    id,
    description: s.tenants[id]?.description ?? (id === s.tenant_id ? DEFAULT_TENANT_DESCRIPTION : ""),
    isDefault: id === s.tenant_id,
  }));
}

export interface LimitsByComponent {
  mimir: MimirLimits;
  loki: LokiLimits;
  tempo: TempoLimits;
  pyroscope: PyroscopeLimits;
}

/**
 * A tenant's own overrides of one component's limits: only the fields the tenant sets, without
 * undefined entries. Empty when the tenant keeps the component's limits.
 */
export function tenantOverrides<C extends LimitedComponent>(s: Settings, component: C, tenant: string): Partial<LimitsByComponent[C]> {
  const own = s.tenants[tenant]?.limits[component] as Partial<LimitsByComponent[C]> | undefined;
  if (!own) return {};
  return Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined)) as Partial<LimitsByComponent[C]>;
}

/** The tenants that override at least one of `component`'s limits, in `tenants()` order. */
export function tenantsOverriding(s: Settings, component: LimitedComponent): { tenant: string; limits: Record<string, unknown> }[] {
  return tenants(s)
    .map((t) => ({ tenant: t.id, limits: tenantOverrides(s, component, t.id) as Record<string, unknown> }))
    .filter((t) => Object.keys(t.limits).length > 0);
}

export interface TenantFinding {
  readonly key: string;
  readonly message: string;
}

/**
 * Cross-field tenant rules. A tenant other than tenant_id must carry a description: that is what
 * declares it, so an environment file that overrides the limits of a misspelt tenant fails instead
 * of quietly creating a new tenant nobody sends to.
 */
export function checkTenants(s: Settings): TenantFinding[] {
  const out: TenantFinding[] = [];
  // Alloy's pipelines name their tenant; it must be one the settings declare.
  const all = tenants(s).map((t) => t.id);
  const refs: [string, string | undefined][] = [
    ["alloy.otlp_tenant", s.alloy.otlp_tenant],
    ...s.alloy.cloudwatch.namespaces.map((n, i): [string, string | undefined] => [`alloy.cloudwatch.namespaces[${i}].tenant`, n.tenant]),
  ];
  for (const [key, tenant] of refs) {
    if (tenant === undefined || all.includes(tenant)) continue;
    const hint = didYouMean(tenant, all);
    out.push({ key, message: `unknown tenant "${tenant}"${hint ? `; did you mean "${hint}"?` : ""} (expected one of: ${all.join(", ")}; declare new tenants in tenants)` });
  }
  const declared = Object.keys(s.tenants).filter((id) => id === s.tenant_id || s.tenants[id].description !== undefined);
  const known = [...new Set([s.tenant_id, ...declared])];
  for (const [id, t] of Object.entries(s.tenants)) {
    if (id === s.tenant_id || t.description !== undefined) continue;
    const hint = didYouMean(id, known);
    const overrides = LIMITED_COMPONENTS.filter((c) => t.limits[c] !== undefined);
    out.push({
      key: `tenants.${id}`,
      message:
        `unknown tenant "${id}": ${overrides.length > 0 ? `it overrides ${overrides.map((c) => `limits.${c}`).join(", ")}, but ` : ""}no file declares it with a description` +
        `${hint ? `; did you mean "${hint}"?` : ""} (known tenants: ${known.join(", ")}; declare a new one with tenants.${id}.description)`,
    });
  }
  return out;
}

/**
 * A tenant id as a name segment AWS and Terraform accept everywhere (secret names, resource names):
 * the id itself when it is only letters, digits, '_' and '-' and at most 64 characters; otherwise its
 * safe characters, shortened, plus a hash of the id, so two tenants never share a slug.
 */
export function tenantSlug(id: string): string {
  if (/^[A-Za-z0-9_-]{1,64}$/.test(id)) return id;
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 8);
  return `${id.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 55)}-${hash}`;
}

/**
 * What a tenant's gateway credential is for. Each tenant has one basic-auth credential per role
 * (user name: the tenant id, password: a generated secret per role):
 * - `write`: the ingest routes only (remote write, OTLP, log and profile pushes);
 * - `read`: the query routes only (what Grafana and query clients call);
 * - `admin`: the routes that destroy or rewrite data (Loki's deletion API, Mimir's rule writes),
 *   generated only while `gateway.admin_routes` enables one of them.
 */
export const GATEWAY_ROLES = ["write", "read", "admin"] as const;
export type GatewayRole = (typeof GATEWAY_ROLES)[number];

/** True when `gateway.admin_routes` opens at least one admin route (then every tenant has an admin credential). */
export const gatewayAdminEnabled = (s: Settings): boolean => Object.values(s.gateway.admin_routes).some(Boolean);

/** The roles whose credentials exist in this environment: write and read always, admin when an admin route is on. */
export const gatewayRoles = (s: Settings): GatewayRole[] => (gatewayAdminEnabled(s) ? [...GATEWAY_ROLES] : ["write", "read"]);

/** Key of a tenant's gateway password for `role` in 40-iam's `secret_arns` output: `gateway_<slug>_<role>`. */
export const gatewaySecretKey = (id: string, role: GatewayRole): string => `gateway_${tenantSlug(id).replace(/-/g, "_")}_${role}`;

/** Name of a tenant's gateway password for `role` in Secrets Manager: `<project>/<env>/gateway/<tenant>/<role>`. */
export const gatewaySecretName = (s: Pick<Settings, "project" | "env">, id: string, role: GatewayRole): string =>
  `${s.project}/${s.env}/gateway/${tenantSlug(id)}/${role}`;

/** A tenant as part of an Alloy component label (letters, digits, '_'). */
export const alloyLabelPart = (id: string): string => tenantSlug(id).replace(/-/g, "_");
