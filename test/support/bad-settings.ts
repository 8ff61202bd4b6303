/**
 * Every bad settings file of the suite's exact-message settings tests, in one table: the in-process
 * tests (test/settings-bad-input.test.ts, test/settings.test.ts) load each through the loader and
 * check its message; test/launcher-settings.test.ts runs each through the shipped launcher
 * (`node bin/lgtm.cjs synth`, a fresh process, as `npm run synth` does) and holds what it prints to
 * the in-process message. A case is the two files of environment prod, written as the user would.
 */
import { envFileWith, shippedFile } from "./settings";

export interface BadSettingsCase {
  /** What is wrong, as the test names say it ("WHEN it has <what>"). */
  readonly what: string;
  /** The texts of common.tfvars and prod.tfvars (a missing key: a missing file). */
  readonly files: () => Promise<Record<string, string>>;
  /**
   * The message: the whole of it (`exact`), else a problem line it contains; a RegExp where the
   * parser's wording is not ours to fix (hcl2json's line and column ranges).
   */
  readonly expected: string | RegExp;
  readonly exact?: boolean;
}

const common = () => shippedFile("common.tfvars");
const prodFile = () => shippedFile("prod.tfvars");
/** One problem line, the whole message. */
const one = (line: string) => `invalid settings (1 problem):\n  ${line}`;

/** The shipped prod.tfvars with `override` merged into it. */
function override(what: string, values: Record<string, unknown>, expected: string, exact = false): BadSettingsCase {
  return { what, files: async () => ({ "common.tfvars": common(), "prod.tfvars": await envFileWith("prod", values as never) }), expected: exact ? one(expected) : expected, exact };
}

/** Raw texts: the shipped common.tfvars and prod.tfvars, each changed by a function. */
function raw(what: string, change: { common?: (t: string) => string; prod?: (t: string) => string; omitCommon?: boolean }, expected: string | RegExp, exact = true): BadSettingsCase {
  return {
    what,
    files: async () => ({
      ...(change.omitCommon ? {} : { "common.tfvars": (change.common ?? ((t) => t))(common()) }),
      "prod.tfvars": (change.prod ?? ((t) => t))(prodFile()),
    }),
    expected: exact && typeof expected === "string" ? one(expected) : expected,
    exact,
  };
}

const appended = (text: string) => (t: string) => `${t}\n${text}`;
/** The line of `retention_days = 7` in the key-written-twice case below. */
const twiceLine = prodFile().split("\n").length + 2;

/** Values AWS or the backends would refuse or misread: one exact problem line each, in this project's words (never zod's). */
export const REFUSED_VALUES: readonly BadSettingsCase[] = [
  override("a retention longer than a Go duration holds", { services: { loki: { retention_days: 1_000_000 } } }, `environments/prod.tfvars: services.loki.retention_days: expected at most 106751 days: the components hold retention as a Go duration, which ends at about 292 years, got 1000000`, true),
  override("a stream retention longer than a Go duration holds", { loki: { retention_streams: [{ selector: '{level="info"}', days: 200_000 }] } }, `environments/prod.tfvars: loki.retention_streams[0].days: expected at most 106751 days: the components hold retention as a Go duration, which ends at about 292 years, got 200000`, true),
  override("a region that does not exist", { aws: { region: "ap-northeast-9" } }, `environments/prod.tfvars: aws.region: "ap-northeast-9" is not an AWS region hashicorp/aws 5.100.0 knows; did you mean "ap-northeast-1"? (expected a region such as "ap-northeast-2")`, true),
  override("a state bucket region that does not exist", { state_backend: { region: "mars-north-1" } }, `environments/prod.tfvars: state_backend.region: "mars-north-1" is not an AWS region hashicorp/aws 5.100.0 knows; did you mean "cn-north-1"? (expected a region such as "ap-northeast-2")`, true),
  override("tenant id ..", { tenant_id: ".." }, `environments/prod.tfvars: tenant_id: tenant id ".." is refused by Mimir, Loki, Tempo and Pyroscope (it would be a path segment in the bucket); expected a name such as "lgtm"`, true),
  override("tenant id .", { tenant_id: "." }, `environments/prod.tfvars: tenant_id: tenant id "." is refused by Mimir, Loki, Tempo and Pyroscope (it would be a path segment in the bucket); expected a name such as "lgtm"`, true),
  override("a tenant id over 150 characters", { tenant_id: "t".repeat(151) }, `environments/prod.tfvars: tenant_id: expected a tenant id of 1-150 letters, digits and !_.*'()- (Mimir, Loki, Tempo and Pyroscope refuse others; no '/' or '|'), got "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttt… (151 characters)`, true),
  override("an ssl_policy ELB does not have", { load_balancer: { ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021" } }, `environments/prod.tfvars: load_balancer.ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021" is not an ELB security policy; did you mean "ELBSecurityPolicy-TLS13-1-2-2021-06"? (expected one of ELB's predefined policies, such as "ELBSecurityPolicy-TLS13-1-2-2021-06")`, true),
  override("a tag key with AWS's reserved prefix", { tags: { "AWS:owner": "me" } }, `environments/prod.tfvars: tags["AWS:owner"]: tag key "AWS:owner" starts with "aws:", which AWS reserves for its own tags`, true),
  override("a tag key over 128 characters", { tags: { ["k".repeat(129)]: "v" } }, `environments/prod.tfvars: tags["kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk…"]: tag key "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk… (129 characters) is 129 characters; AWS tag keys are 1-128`, true),
  override("a tag key with a character AWS refuses", { tags: { "cost#center": "x" } }, `environments/prod.tfvars: tags["cost#center"]: tag key "cost#center" has characters AWS does not allow in tag keys (letters, digits, spaces and _ . : / = + - @)`, true),
  override("an empty tag key", { tags: { "": "x" } }, `environments/prod.tfvars: tags[""]: tag key "" is 0 characters; AWS tag keys are 1-128`, true),
  override("a tag value over 256 characters", { tags: { Team: "v".repeat(257) } }, `environments/prod.tfvars: tags.Team: expected a tag value of at most 256 characters, got "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv… (257 characters)`, true),
  // zod's own words never reach the user:
  override("tags that are not a map (zod: expected record)", { tags: "team" }, `environments/prod.tfvars: tags: expected a map such as { name = "value" }, got "team"`, true),
  override("a number below a minimum without its own message (zod: Too small)", { load_balancer: { idle_timeout_seconds: 0 } }, `environments/prod.tfvars: load_balancer.idle_timeout_seconds: expected at least 1, got 0`, true),
  override("a CIDR name a rule refuses (zod: Invalid key in record)", { load_balancer: { ui_allowed_cidrs: { "my office!": "203.0.113.0/24" } } }, `environments/prod.tfvars: load_balancer.ui_allowed_cidrs["my office!"]: expected a CIDR name of letters, digits, '_', '.' or '-', got key "my office!"`, true),
  override("an enum value without its own message", { ecs: { container_insights: "on" } }, `environments/prod.tfvars: ecs.container_insights: expected "enabled" or "enhanced" or "disabled", got "on"`, true),
  override("a flag that is not true or false", { storage: { force_destroy: "yes" } }, `environments/prod.tfvars: storage.force_destroy: expected true or false, got "yes"`, true),
  // image versions (settings/image-versions.ts):
  override("a floating image tag", { services: { loki: { version: "latest" } } }, `environments/prod.tfvars: services.loki.version: "latest" is not a release: the tag moves, so two synths of these settings would run different grafana/loki code, and the rendered configs were checked against no release. Pin the release you tested, such as "1.2.3"`, true),
  override("an image tag that is no release version", { services: { mimir: { version: "3.0" } } }, `environments/prod.tfvars: services.mimir.version: "3.0" is not a release version of grafana/mimir: expected MAJOR.MINOR.PATCH as the image is tagged, such as "1.2.3" or "v1.2.3"`, true),
  override("a major downgrade from common.tfvars", { services: { loki: { version: "2.9.10" } } }, `environments/prod.tfvars: services.loki.version: "2.9.10" goes back a major release from "3.7.6" in common.tfvars: the rendered configs are written for 3.x, and loki does not read the data a newer major wrote. Pin a 3.x release here, or change common.tfvars for every environment`, true),
  // long values are shortened:
  override("a 1 MB value", { project: "x".repeat(1_000_000) }, `environments/prod.tfvars: project: expected 2-16 lowercase letters, digits or '-', starting with a letter, got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (1000000 characters)`, true),
];

/** Keys, values and combinations the checks refuse: the message contains the problem line. */
export const BAD_VALUES: readonly BadSettingsCase[] = [
  override("a misspelt top-level key", { projet: "x" }, `environments/prod.tfvars: projet: unknown key "projet"; did you mean "project"?`),
  override("a misspelt service", { services: { grafna: { cpu: 256 } } }, `environments/prod.tfvars: services.grafna: unknown key "grafna"; did you mean "grafana"?`),
  override("a misspelt service field", { services: { loki: { http_prot: 3100 } } }, `environments/prod.tfvars: services.loki.http_prot: unknown key "http_prot"; did you mean "http_port"?`),
  override("a port as a string", { services: { loki: { http_port: "3100" } } }, `environments/prod.tfvars: services.loki.http_port: expected a port number (1-65535), got "3100"`),
  override("a port out of range", { memberlist_port: 70000 }, `environments/prod.tfvars: memberlist_port: expected a port number (1-65535), got 70000`),
  override("a Fargate CPU that does not exist", { services: { loki: { cpu: 3000 } } }, `environments/prod.tfvars: services.loki.cpu: Fargate does not offer 3000 CPU units; expected one of 256, 512, 1024, 2048, 4096, 8192, 16384 (1024 = 1 vCPU)`),
  override("a memory that does not fit the CPU", { services: { mimir: { memory: 2048 } } }, `environments/prod.tfvars: services.mimir.memory: Fargate does not offer 2048 MiB with 2048 CPU units; expected 4096 to 16384 in steps of 1024`),
  override("a subnet outside the VPC", { network: { private_subnet_cidrs: ["10.40.16.0/20", "10.99.0.0/20"] } }, `environments/prod.tfvars: network.private_subnet_cidrs[1]: 10.99.0.0/20 does not fit in network.vpc_cidr 10.40.0.0/16`),
  override("overlapping subnets", { network: { private_subnet_cidrs: ["10.40.16.0/20", "10.40.0.0/23"] } }, `environments/prod.tfvars: network.private_subnet_cidrs[1]: 10.40.0.0/23 overlaps network.public_subnet_cidrs[0] (10.40.0.0/24)`),
  override("one availability zone", { network: { availability_zones: ["ap-northeast-2a"], public_subnet_cidrs: ["10.40.0.0/24"], private_subnet_cidrs: ["10.40.16.0/20"] } }, `environments/prod.tfvars: network.availability_zones: expected at least 2 availability zones (an ALB needs subnets in two AZs, and prod must survive an AZ loss), got 1`),
  override("an AZ of another region", { network: { availability_zones: ["ap-northeast-2a", "us-east-1b"] } }, `environments/prod.tfvars: network.availability_zones[1]: "us-east-1b" is not in aws.region "ap-northeast-2"`),
  override("a malformed CIDR", { network: { vpc_cidr: "10.40.0.0/33" } }, `environments/prod.tfvars: network.vpc_cidr: expected an IPv4 CIDR such as "10.0.0.0/16", got "10.40.0.0/33"`),
  override("the seed's /tempo/ready health check", { services: { tempo: { health_check_path: "/tempo/ready" } } }, `environments/prod.tfvars: services.tempo.health_check_path: Tempo applies path_prefix only to its /api routes (http_api_prefix) and serves /ready at the root, so "/tempo/ready" never turns healthy; expected "/ready" (or omit health_check_path to derive it)`),
  override("a Pyroscope health check outside its prefix", { services: { pyroscope: { health_check_path: "/ready" } } }, `environments/prod.tfvars: services.pyroscope.health_check_path: pyroscope mounts every route under path_prefix "/pyroscope", so "/ready" is not served; expected "/pyroscope/ready" (or omit health_check_path to derive it)`),
  override("Pyroscope without a prefix, which the gateway routes by", { services: { pyroscope: { path_prefix: "" } } }, `environments/prod.tfvars: services.pyroscope.path_prefix: the gateway routes profiles by Pyroscope's path prefix; without one Pyroscope serves at "/"`),
  override("an ALB path claimed twice", { services: { grafana: { alb_paths: ["/loki/*"] } } }, `environments/common.tfvars: services.gateway.alb_paths[3]: "/loki/*" is already routed to grafana`),
  override("an ALB path the service does not serve", { services: { loki: { alb_paths: ["/tempo/*"] } } }, `environments/prod.tfvars: services.loki.alb_paths[0]: "/tempo/*" reaches no route loki serves with path_prefix "" (it serves /loki/api, /otlp/v1/logs, /api/prom)`),
  override("duplicate ports in one task", { services: { tempo: { grpc_port: 4317 } } }, `environments/common.tfvars: otlp.grpc_port: port 4317 is already used by services.tempo.grpc_port in the tempo task; each port in a task must be distinct`),
  override("an unknown default service", { load_balancer: { default_service: "grafna" } }, `environments/prod.tfvars: load_balancer.default_service: unknown service "grafna"; did you mean "grafana"? (expected one of mimir, loki, tempo, pyroscope, grafana, alloy, gateway)`),
  override("a Glacier transition", { storage: { transitions: [{ days: 90, storage_class: "GLACIER" }] } }, `environments/prod.tfvars: storage.transitions[0].storage_class: GLACIER objects must be restored before they can be read, so Mimir, Loki, Tempo and Pyroscope queries over that range would fail (seed 003's Glacier-after-90-days breaks 1-year queries)`),
  override("a transition after the objects expire", { storage: { transitions: [{ days: 45, storage_class: "GLACIER_IR" }] } }, `environments/prod.tfvars: storage.transitions[0].days: tempo objects expire after 37 days (services.tempo.retention_days 7 + storage.lifecycle_margin_days 30), so S3 cannot move them to GLACIER_IR at day 45; expected fewer than 37 days, or a longer services.tempo.retention_days`),
  override("a storage prefix used twice", { storage_prefixes: { tempo: "loki" } }, `environments/prod.tfvars: storage_prefixes.tempo: "loki" is also storage_prefixes.loki; each component needs its own prefix or they read each other's objects`),
  override("a storage prefix with a slash", { storage_prefixes: { loki: "logs/loki" } }, `environments/prod.tfvars: storage_prefixes.loki: expected a single S3 key segment of lowercase letters, digits and '-' (no slashes), got "logs/loki"`),
  override("Spot for Mimir in prod", { services: { mimir: { spot_weight: 2 } } }, `environments/prod.tfvars: services.mimir.spot_weight: mimir holds recent data in memory and on local disk; a Spot interruption of several tasks at once can lose it. Set spot_weight = 0, or accept_risks.spot_for_stateful = true for an environment that can lose data`),
  override("a name over the ALB limit", { project: "observability-xy" }, `environments/prod.tfvars: project: the target-group name "observability-xy-prod-pyroscope-xxxx" would be 36 characters; AWS allows 32. Shorten project or the environment name`),
  override("an account id that is a number", { aws: { allowed_account_ids: [111111111111] } }, `environments/prod.tfvars: aws.allowed_account_ids[0]: expected a 12-digit AWS account id in quotes, got 111111111111`),
  override("an ephemeral storage over Fargate's limit", { services: { loki: { ephemeral_storage_gib: 300 } } }, `environments/prod.tfvars: services.loki.ephemeral_storage_gib: Fargate task ephemeral storage is 21-200 GiB, got 300`),
  override("a log retention CloudWatch does not offer", { logs: { retention_days: 10 } }, `environments/prod.tfvars: logs.retention_days: expected a CloudWatch retention: one of 1, 3, 5, 7, 14, 30,`),
  override("a Grafana path prefix", { services: { grafana: { path_prefix: "/grafana" } } }, `environments/prod.tfvars: services.grafana.path_prefix: grafana is served from the root and does not take a path prefix; set it to ""`),
  override("a WAF login rate limit below AWS WAF's smallest", { load_balancer: { waf: { rate_limit: { login_requests_per_5_minutes: 5 } } } }, `environments/prod.tfvars: load_balancer.waf.rate_limit.login_requests_per_5_minutes: expected at least 10 requests (AWS WAF's smallest rate limit), got 5`),
  override("a misspelt WAF key", { load_balancer: { waf: { enable: true } } }, `environments/prod.tfvars: load_balancer.waf.enable: unknown key "enable"; did you mean "enabled"?`),
  // Single sign-on (grafana.sso, settings/sso.ts; more cases in test/sso.test.ts):
  override("the login form disabled without single sign-on", { grafana: { sso: { disable_login_form: true } } }, `environments/prod.tfvars: grafana.sso.type: is required: any grafana.sso key (disable_login_form, auto_login, ...) needs a sign-on provider; expected type = "oidc" with its client and endpoints, or no grafana.sso block at all (Grafana's own login form)`),
  override("SAML sign-in (Grafana Enterprise only)", { grafana: { sso: { type: "saml" } } }, `environments/prod.tfvars: grafana.sso.type: SAML sign-in is a Grafana Enterprise feature, and this project runs Grafana OSS (grafana/grafana), which ignores every SAML setting; expected type = "oidc" with your IdP's OpenID Connect endpoints`),
  override("OIDC without a client id", { grafana: { sso: { type: "oidc", client_secret_arn: "arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:lgtm/prod/grafana/oidc-Xy12Ab", auth_url: "https://idp.example.com/authorize", token_url: "https://idp.example.com/token", api_url: "https://idp.example.com/userinfo" } } }, `environments/prod.tfvars: grafana.sso.client_id: is required with type = "oidc": expected the client id your IdP issued for Grafana`),
  raw("common.tfvars setting the bad value", { common: (t) => t.replace("memberlist_port = 7946", "memberlist_port = 0") }, "environments/common.tfvars: memberlist_port: expected a port number (1-65535), got 0", false),
  raw("a required key in neither file", { common: (t) => t.replace(/tenant_id = .*\n/, "") }, "environments/common.tfvars or environments/prod.tfvars: tenant_id: is required but set in neither file (expected a tenant id in quotes)", false),
  raw("a backend without a retention", { common: (t) => t.replace("    retention_days = 7\n", "") }, "services.tempo.retention_days: tempo keeps data in S3; set how many days it is kept", false),
  override("several things wrong at once", { memberlist_port: 0, services: { loki: { cpu: "1 vCPU" } } }, "invalid settings (2 problems):"),
];

/**
 * Files the HCL parser reads without complaint but whose JSON hides a problem, files it refuses,
 * and what the issue-25 audit found the bundle could not read (it fell back to hcl2json through an
 * import() the bundle could not run): each of these goes through hcl2json, not the fast path.
 */
export const BAD_FILES: readonly BadSettingsCase[] = [
  raw("a key written twice in one object", { prod: appended(`logs = {\n  retention_days = 7\n  # later, someone adds\n  "retention_days" = 14\n}\n`) }, `environments/prod.tfvars: logs.retention_days: is written twice in one object (lines ${twiceLine} and ${twiceLine + 2}); only the last value would count, so keep one`),
  raw("a key written twice in a block inside a list", { prod: appended(`loki = { retention_streams = [{ selector = "{a=\\"b\\"}", days = 1 }, { selector = "{level=\\"x\\"}", days = 2, days = 3 }] }\n`) }, "environments/prod.tfvars: loki.retention_streams[1].days: is written twice in one object", false),
  raw("a number too large to represent (1e400 in common.tfvars)", { common: (t) => t.replace("memberlist_port = 7946", "memberlist_port = 1e400") }, "environments/common.tfvars: memberlist_port: 1e400 is too large a number to represent"),
  raw("a float too large to represent (1e400)", { prod: appended("logs = { retention_days = 1e400 }\n") }, "environments/prod.tfvars: logs.retention_days: 1e400 is too large a number to represent"),
  raw("a whole number beyond 2^53", { prod: appended("logs = { retention_days = 123456789012345678901234567890 }\n") }, "environments/prod.tfvars: logs.retention_days: 12345678901234567890… (30 digits) is too large a whole number to represent exactly (the largest is 9007199254740991)"),
  raw("no common.tfvars", { omitCommon: true }, "environments/common.tfvars: no such file; every environment's settings start from it (the keys all environments share), with prod.tfvars on top"),
  raw("a value missing before a closing brace", { prod: appended("services = {\n  loki = \n}\n") }, /^invalid settings \(1 problem\):\n {2}environments\/prod\.tfvars: not valid HCL: environments\/prod\.tfvars:\d+,\d+-\d+,\d+: Invalid expression/, false),
  raw("an unclosed brace", { prod: appended("logs = {\n  retention_days = 7\n") }, /^invalid settings \(1 problem\):\n {2}environments\/prod\.tfvars: not valid HCL: environments\/prod\.tfvars:\d+,\d+-\d+: Missing expression; Expected the start of an expression, but found the end of the file\.$/),
  raw("an unterminated string", { prod: appended('project = "lgtm\n') }, /^invalid settings \(1 problem\):\n {2}environments\/prod\.tfvars: not valid HCL: environments\/prod\.tfvars:\d+,16-\d+,1: Invalid multi-line string; Quoted strings may not be split over multiple lines\..* Unterminated template string; No closing marker was found for the string\.$/),
  raw("a negative task count (desired_count = -1)", { prod: appended("services = { loki = { desired_count = -1 } }\n") }, "environments/prod.tfvars: services.loki.desired_count: expected a task count of 0 or more, got -1"),
  raw("a bare expression", { prod: appended("logs = { retention_days = var.days }\n") }, 'environments/prod.tfvars: logs.retention_days: expressions are not evaluated in settings files; write a literal value instead of "${var.days}"'),
  raw("a function call", { prod: appended("logs = { retention_days = max(7, 14) }\n") }, 'environments/prod.tfvars: logs.retention_days: expressions are not evaluated in settings files; write a literal value instead of "${max(7, 14)}"'),
  raw("an interpolation", { prod: (t) => t.replace('"jsj-lgtm-prod-tfstate"', '"jsj-${local.env}-tfstate"') }, 'environments/prod.tfvars: state_backend.bucket: expressions are not evaluated in settings files; write a literal value instead of "jsj-${local.env}-tfstate"'),
  raw("a whole value that is an expression", { prod: (t) => t.replace('"jsj-lgtm-prod-tfstate"', '"${var.bucket}"') }, 'environments/prod.tfvars: state_backend.bucket: expressions are not evaluated in settings files; write a literal value instead of "${var.bucket}"', false),
  raw("binary garbage", { prod: () => Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x37, 0x0a, 0x89, 0x50, 0x4e, 0x47]).toString("latin1") }, /^invalid settings \(1 problem\):\n {2}environments\/prod\.tfvars: not valid HCL: environments\/prod\.tfvars:1,1-2: Invalid character; This character is not used within the language\./),
  raw("a top-level key with non-ASCII letters", { prod: appended('projét = "x"\n') }, `environments/prod.tfvars: projét: unknown key "projét"; did you mean "project"?`, false),
  raw("a nested key with non-ASCII letters", { prod: appended("logs = { rétention_days = 7 }\n") }, `environments/prod.tfvars: logs.rétention_days: unknown key "rétention_days"; did you mean "retention_days"? (expected one of: retention_days, audit_retention_days)`),
];

/** The whole table: what the launcher tier runs. */
export const ALL_BAD_SETTINGS: readonly BadSettingsCase[] = [...REFUSED_VALUES, ...BAD_VALUES, ...BAD_FILES];

/** Valid files the loader must read as the shipped ones: a Windows editor's copy of prod.tfvars (UTF-8 BOM, CRLF). */
export const WINDOWS_PROD = (): Record<string, string> => ({ "common.tfvars": common(), "prod.tfvars": `\uFEFF${prodFile().replace(/\n/g, "\r\n")}` });
