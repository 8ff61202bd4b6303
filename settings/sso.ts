/**
 * Single sign-on for Grafana (`grafana.sso`, docs/sso.md): OpenID Connect through Grafana OSS's
 * generic OAuth, configured like the rest of Grafana through environment variables
 * (`GF_AUTH_GENERIC_OAUTH_*`, `GF_AUTH_DISABLE_LOGIN_FORM`); the client secret is a container secret
 * from Secrets Manager (`grafana.sso.client_secret_arn`), never a value in the task definition.
 *
 * What the pinned Grafana (12.1) reads, from its generic OAuth connector and org role mapper:
 * `auth_url`, `token_url`, `api_url` (userinfo), `scopes`, `use_pkce`, `allow_sign_up`,
 * `role_attribute_path` / `role_attribute_strict` (JMESPath over the ID token and userinfo),
 * `org_attribute_path` and `org_mapping` (Grafana 11.2+: `<group>:<org id>:<role>` entries, read as a
 * JSON list), `auto_login`. It has no issuer or discovery setting (each endpoint is set on its own)
 * and does not validate the ID token's signature (it trusts what the token endpoint returned over
 * TLS); `validate_id_token` came in a later Grafana.
 *
 * SAML is Grafana Enterprise only (the `[auth.saml]` section does nothing in Grafana OSS, which this
 * project runs), so `type = "saml"` is refused with what to use instead.
 */
import { grafanaRootUrl } from "./catalog";
import { SECRET_ARN_RE, type Settings } from "./schema";
import { tenants } from "./tenants";

/** Environment variable the OIDC client secret comes from (a container secret). */
export const GRAFANA_OAUTH_CLIENT_SECRET_ENV = "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET";
/** The path Grafana's generic OAuth answers the IdP's redirect at. */
export const GRAFANA_OAUTH_CALLBACK_PATH = "login/generic_oauth";

export interface SsoFinding {
  readonly key: string;
  readonly message: string;
}

/** The OIDC settings every login needs, with what each one is. */
const REQUIRED = {
  client_id: "the client id your IdP issued for Grafana",
  client_secret_arn: "the ARN of the Secrets Manager secret holding the client secret your IdP issued",
  auth_url: "the IdP's authorization endpoint (authorization_endpoint in <issuer>/.well-known/openid-configuration)",
  token_url: "the IdP's token endpoint (token_endpoint there)",
  api_url: "the IdP's userinfo endpoint (userinfo_endpoint there)",
} as const;

export function checkSso(s: Settings): SsoFinding[] {
  const sso = s.grafana.sso;
  if (!sso) return [];
  if (sso.type === "saml") {
    return [
      {
        key: "grafana.sso.type",
        message:
          'SAML sign-in is a Grafana Enterprise feature, and this project runs Grafana OSS (grafana/grafana), which ignores every SAML setting; expected type = "oidc" with your IdP\'s OpenID Connect endpoints (Entra ID, Okta, Google, Keycloak and most SAML IdPs also speak OIDC), see docs/sso.md',
      },
    ];
  }
  const out: SsoFinding[] = [];
  for (const [key, what] of Object.entries(REQUIRED)) {
    if (sso[key as keyof typeof REQUIRED] === undefined) out.push({ key: `grafana.sso.${key}`, message: `is required with type = "oidc": expected ${what}` });
  }
  if (!grafanaRootUrl(s)) {
    out.push({
      key: "grafana.sso",
      message: `needs load_balancer.domain: the IdP sends users back to <Grafana's public URL>/${GRAFANA_OAUTH_CALLBACK_PATH}, and Grafana knows its public URL (root_url) and is served over HTTPS only with a domain; expected load_balancer.domain set, or no grafana.sso`,
    });
  }
  if (sso.role_attribute_strict && sso.role_attribute_path === undefined && sso.org_mapping.length === 0) {
    out.push({
      key: "grafana.sso.role_attribute_strict",
      message: "refuses every login whose role_attribute_path gives no role, and neither role_attribute_path nor org_mapping is set, so nobody could sign in; expected role_attribute_path, org_mapping, or role_attribute_strict = false",
    });
  }
  if (sso.org_mapping.length > 0 && sso.org_attribute_path === undefined) {
    out.push({ key: "grafana.sso.org_attribute_path", message: "is required with org_mapping: expected a JMESPath giving the user's groups, such as \"groups\", which org_mapping's groups are matched against" });
  }
  if (sso.org_attribute_path !== undefined && sso.org_mapping.length === 0) {
    out.push({ key: "grafana.sso.org_mapping", message: "is empty while org_attribute_path is set: the groups it reads would map to no organization; expected at least one { group, tenant, role }, or no org_attribute_path" });
  }
  const known = tenants(s).map((t) => t.id);
  sso.org_mapping.forEach((m, i) => {
    if (!known.includes(m.tenant)) {
      out.push({ key: `grafana.sso.org_mapping[${i}].tenant`, message: `"${m.tenant}" is not a tenant; expected one of ${known.join(", ")} (the user gets that tenant's Grafana organization, tenants.<id>.grafana_org_id)` });
    }
  });
  return out;
}

/** The Grafana organization of each org_mapping entry: its tenant's (`tenants.<id>.grafana_org_id`, default 1). */
export function ssoOrgMapping(s: Settings): string[] {
  return (s.grafana.sso?.org_mapping ?? []).map((m) => `${m.group}:${s.tenants[m.tenant]?.grafana_org_id ?? 1}:${m.role}`);
}

/** The OIDC client secret as the execution role names it (the ARN without a `:<json-key>::` selector). */
export function ssoClientSecretArn(s: Settings): string | undefined {
  const arn = s.grafana.sso?.type === "oidc" ? s.grafana.sso.client_secret_arn : undefined;
  if (arn === undefined) return undefined;
  return SECRET_ARN_RE.exec(arn)?.[1] ?? arn;
}

/**
 * Grafana's environment for SSO (never the secret: that is GRAFANA_OAUTH_CLIENT_SECRET_ENV, a
 * container secret). Empty without `grafana.sso`.
 */
export function ssoEnvironment(s: Settings): Record<string, string> {
  const sso = s.grafana.sso;
  if (!sso || sso.type !== "oidc") return {};
  const env: Record<string, string> = {
    GF_AUTH_GENERIC_OAUTH_ENABLED: "true",
    GF_AUTH_GENERIC_OAUTH_NAME: sso.name,
    GF_AUTH_GENERIC_OAUTH_CLIENT_ID: sso.client_id ?? "",
    GF_AUTH_GENERIC_OAUTH_SCOPES: sso.scopes.join(" "),
    GF_AUTH_GENERIC_OAUTH_AUTH_URL: sso.auth_url ?? "",
    // A name matching /TOKEN/ that holds a URL, not a token: ECS.8 lets an https URL without
    // credentials or query through (policy/rules.ts).
    GF_AUTH_GENERIC_OAUTH_TOKEN_URL: sso.token_url ?? "",
    GF_AUTH_GENERIC_OAUTH_API_URL: sso.api_url ?? "",
    GF_AUTH_GENERIC_OAUTH_USE_PKCE: String(sso.use_pkce),
    GF_AUTH_GENERIC_OAUTH_ALLOW_SIGN_UP: String(sso.allow_sign_up),
    GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_STRICT: String(sso.role_attribute_strict),
    GF_AUTH_GENERIC_OAUTH_AUTO_LOGIN: String(sso.auto_login),
    GF_AUTH_DISABLE_LOGIN_FORM: String(sso.disable_login_form),
  };
  if (sso.role_attribute_path !== undefined) env.GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_PATH = sso.role_attribute_path;
  if (sso.org_attribute_path !== undefined) env.GF_AUTH_GENERIC_OAUTH_ORG_ATTRIBUTE_PATH = sso.org_attribute_path;
  // A JSON list: Grafana's list parser reads `[...]` as JSON, so group names keep their commas.
  if (sso.org_mapping.length > 0) env.GF_AUTH_GENERIC_OAUTH_ORG_MAPPING = JSON.stringify(ssoOrgMapping(s));
  return env;
}
