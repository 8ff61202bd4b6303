/**
 * Single sign-on for Grafana (grafana.sso, settings/sso.ts, docs/sso.md), at synth level: the
 * environment Grafana's container gets (GF_AUTH_GENERIC_OAUTH_*), its client secret as a container
 * secret only, the execution role reading exactly that secret, org mapping through the tenants'
 * Grafana organizations, no change to the delivered config files, the policy pack passing on it,
 * and the bad combinations refused. No Grafana binary runs here: that Grafana 12.1 reads these
 * variables as documented is not proven by these tests (docs/sso.md).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { evaluatePolicy } from "../policy";
import { GRAFANA_OAUTH_CLIENT_SECRET_ENV, type Settings } from "../settings";
import { serviceConfigs } from "../templates";
import { overrideError, settingsWith, shipped } from "./support/settings";
import { resourceOf, resourcesOf, synthLayer, type StackJson } from "./support/synth";

type Container = { name: string; environment: { name: string; value: string }[]; secrets?: { name: string; valueFrom: string }[] };
const grafanaContainer = (stack: StackJson): Container =>
  (JSON.parse(resourcesOf(stack, "aws_ecs_task_definition").grafana_task_definition.container_definitions) as Container[]).find((c) => c.name === "grafana")!;
const envOf = (c: Container) => Object.fromEntries(c.environment.map((e) => [e.name, e.value]));

const CLIENT_SECRET = "arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:lgtm/prod/grafana/oidc-client-Xy12Ab";
const IDP = "https://idp.example.com/oauth2/default/v1";
/** A full OIDC configuration; the aws-rag-ec2 tenant's datasources live in Grafana organization 2. */
const SSO = {
  type: "oidc",
  name: "Example SSO",
  client_id: "0oa1grafana",
  client_secret_arn: `${CLIENT_SECRET}:client_secret::`,
  auth_url: `${IDP}/authorize`,
  token_url: `${IDP}/token`,
  api_url: `${IDP}/userinfo`,
  scopes: ["openid", "email", "profile", "groups"],
  role_attribute_path: "contains(groups[*], 'grafana-admins') && 'Admin' || 'Viewer'",
  org_attribute_path: "groups",
  org_mapping: [
    { group: "team-rag", tenant: "aws-rag-ec2", role: "Editor" },
    { group: "*", tenant: "jsj-lgtm-header" },
  ],
  disable_login_form: true,
};

describe("GIVEN prod with OIDC single sign-on (grafana.sso)", () => {
  let s: Settings;
  let ecs: StackJson;
  let iam: StackJson;
  beforeAll(async () => {
    s = await settingsWith({ grafana: { sso: SSO as never }, tenants: { "aws-rag-ec2": { grafana_org_id: 2 } } });
    ecs = synthLayer(s, "60-ecs");
    iam = synthLayer(s, "40-iam");
  });

  it("WHEN the task definition is synthesized THEN Grafana's environment enables generic OAuth with the IdP's endpoints, PKCE, sign-up and the login form off", () => {
    const env = envOf(grafanaContainer(ecs));
    expect(Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith("GF_AUTH_")))).toEqual({
      GF_AUTH_ANONYMOUS_ENABLED: "false",
      GF_AUTH_GENERIC_OAUTH_ENABLED: "true",
      GF_AUTH_GENERIC_OAUTH_NAME: "Example SSO",
      GF_AUTH_GENERIC_OAUTH_CLIENT_ID: "0oa1grafana",
      GF_AUTH_GENERIC_OAUTH_SCOPES: "openid email profile groups",
      GF_AUTH_GENERIC_OAUTH_AUTH_URL: `${IDP}/authorize`,
      GF_AUTH_GENERIC_OAUTH_TOKEN_URL: `${IDP}/token`,
      GF_AUTH_GENERIC_OAUTH_API_URL: `${IDP}/userinfo`,
      GF_AUTH_GENERIC_OAUTH_USE_PKCE: "true",
      GF_AUTH_GENERIC_OAUTH_ALLOW_SIGN_UP: "true",
      GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_PATH: "contains(groups[*], 'grafana-admins') && 'Admin' || 'Viewer'",
      GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_STRICT: "false",
      GF_AUTH_GENERIC_OAUTH_ORG_ATTRIBUTE_PATH: "groups",
      GF_AUTH_GENERIC_OAUTH_ORG_MAPPING: '["team-rag:2:Editor","*:1:Viewer"]',
      GF_AUTH_GENERIC_OAUTH_AUTO_LOGIN: "false",
      GF_AUTH_DISABLE_LOGIN_FORM: "true",
    });
    // The callback the IdP must allow is under the root URL Grafana is told.
    expect(env.GF_SERVER_ROOT_URL).toBe("https://grafana.example.com/");
  });

  it("WHEN the task definition is synthesized THEN the client secret is a container secret from the named secret and nowhere in the plain environment", () => {
    const grafana = grafanaContainer(ecs);
    expect(grafana.secrets).toContainEqual({ name: GRAFANA_OAUTH_CLIENT_SECRET_ENV, valueFrom: `${CLIENT_SECRET}:client_secret::` });
    expect(grafana.environment.map((e) => e.name)).not.toContain(GRAFANA_OAUTH_CLIENT_SECRET_ENV);
    expect(JSON.stringify(grafana.environment)).not.toContain(CLIENT_SECRET);
    // Only Grafana gets it.
    const others = Object.entries(resourcesOf(ecs, "aws_ecs_task_definition")).filter(([k]) => k !== "grafana_task_definition");
    for (const [k, td] of others) expect(td.container_definitions, k).not.toContain(CLIENT_SECRET);
  });

  it("WHEN the stacks are checked THEN the policy pack finds nothing new (ECS.8 reads the token endpoint as a URL, not a token)", () => {
    const report = evaluatePolicy(
      [
        { id: "prod-40-iam", json: iam as never },
        { id: "prod-60-ecs", json: ecs as never },
      ],
      [s],
    );
    expect(report.violations.map((v) => `${v.rule.id} ${v.address}: ${v.detail}`)).toEqual([]);
  });

  it("WHEN 40-iam is synthesized THEN the execution role may read exactly that secret (the ARN without its JSON key), once, and no wildcard", () => {
    const policy = JSON.parse(resourceOf(iam, "aws_iam_role_policy", "task_execution_secrets").policy);
    const read = policy.Statement.filter((st: { Action: string | string[] }) => [st.Action].flat().includes("secretsmanager:GetSecretValue"));
    expect(read).toHaveLength(1);
    const resources: string[] = [read[0].Resource].flat();
    expect(resources.filter((r) => r === CLIENT_SECRET)).toHaveLength(1);
    expect(resources.filter((r) => r.startsWith("arn:"))).toEqual([CLIENT_SECRET]);
    expect(resources.some((r) => r.includes("*"))).toBe(false);
  });

  it("WHEN Grafana's delivered files are listed THEN SSO adds none: it is all environment and a container secret (the config delivery and its owner step are unchanged)", async () => {
    const without = await settingsWith({ tenants: { "aws-rag-ec2": { grafana_org_id: 2 } } });
    expect(serviceConfigs(s, "grafana").map((c) => [c.containerPath, c.content])).toEqual(serviceConfigs(without, "grafana").map((c) => [c.containerPath, c.content]));
  });
});

describe("GIVEN the shipped environments (no grafana.sso)", () => {
  it.each(["prod", "dev"])("WHEN %s's task definition is synthesized THEN generic OAuth stays off: no GF_AUTH_GENERIC_OAUTH_* variable, no client secret", async (env) => {
    const stack = synthLayer(await shipped(env), "60-ecs");
    const grafana = grafanaContainer(stack);
    expect(grafana.environment.filter((e) => e.name.startsWith("GF_AUTH_GENERIC_OAUTH_") || e.name === "GF_AUTH_DISABLE_LOGIN_FORM")).toEqual([]);
    expect((grafana.secrets ?? []).map((x) => x.name)).not.toContain(GRAFANA_OAUTH_CLIENT_SECRET_ENV);
  });
});

describe("GIVEN a bad grafana.sso", () => {
  const without = (key: keyof typeof SSO) => Object.fromEntries(Object.entries(SSO).filter(([k]) => k !== key));
  it.each([
    [
      "SAML",
      { grafana: { sso: { type: "saml" } } },
      'environments/prod.tfvars: grafana.sso.type: SAML sign-in is a Grafana Enterprise feature, and this project runs Grafana OSS (grafana/grafana), which ignores every SAML setting; expected type = "oidc"',
    ],
    ["OIDC without a client id", { grafana: { sso: without("client_id") } }, 'environments/prod.tfvars: grafana.sso.client_id: is required with type = "oidc": expected the client id your IdP issued for Grafana'],
    ["OIDC without its token endpoint", { grafana: { sso: without("token_url") } }, 'environments/prod.tfvars: grafana.sso.token_url: is required with type = "oidc": expected the IdP\'s token endpoint'],
    ["a client secret written as a value", { grafana: { sso: { ...SSO, client_secret_arn: "s3cr3t-value" } } }, "environments/prod.tfvars: grafana.sso.client_secret_arn: expected the full ARN of a Secrets Manager secret"],
    ["an http:// endpoint", { grafana: { sso: { ...SSO, auth_url: "http://idp.example.com/authorize" } } }, "environments/prod.tfvars: grafana.sso.auth_url: expected the IdP's authorization endpoint as an https:// URL"],
    ["SSO without a domain", { grafana: { sso: SSO }, load_balancer: { domain: undefined } }, "environments/prod.tfvars: grafana.sso: needs load_balancer.domain: the IdP sends users back to <Grafana's public URL>/login/generic_oauth"],
    ["a strict role with nothing to give one", { grafana: { sso: { ...without("role_attribute_path"), org_mapping: [], org_attribute_path: undefined, role_attribute_strict: true } } }, "environments/prod.tfvars: grafana.sso.role_attribute_strict: refuses every login"],
    ["org mapping to an unknown tenant", { grafana: { sso: { ...SSO, org_mapping: [{ group: "x", tenant: "nobody" }] } } }, 'environments/prod.tfvars: grafana.sso.org_mapping[0].tenant: "nobody" is not a tenant; expected one of jsj-lgtm-header, aws-rag-ec2'],
    ["org mapping without the attribute it reads", { grafana: { sso: without("org_attribute_path") } }, "environments/prod.tfvars: grafana.sso.org_attribute_path: is required with org_mapping"],
    ["a group with a colon", { grafana: { sso: { ...SSO, org_mapping: [{ group: "a:b", tenant: "aws-rag-ec2" }] } } }, "environments/prod.tfvars: grafana.sso.org_mapping[0].group: expected an IdP group name (no spaces, quotes, colons"],
  ])("WHEN it has %s THEN loading names the file, the key and what was expected", async (_what, override, expected) => {
    expect(await overrideError(override as never)).toContain(expected);
  });
});
