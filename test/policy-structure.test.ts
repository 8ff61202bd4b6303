/**
 * The policy pack's structural readers (policy/hcl-expression.ts, iam.ts, s3-policy.ts,
 * reachability.ts, routing.ts, ecr.ts, secret-content.ts) through the rules that use them: what
 * each form of a policy, a security-group rule, a listener action or an image means, including
 * the forms the string-matching rules got wrong (a Deny whose Sid is "Allow", an Allow named "Deny").
 */
import { describe, expect, it } from "vitest";
import { evaluatePolicy, type SynthesizedStack } from "../policy";
import { parseHclExpression, parseJsonencode } from "../policy/hcl-expression";
import { secretContent } from "../policy/secret-content";
import type { Settings } from "../settings";
import { goodContainer, stackOf, taskWith } from "./support/policy";
import { settingsWith } from "./support/settings";

const found = (id: string, stacks: SynthesizedStack[], settings: Settings[] = []) =>
  evaluatePolicy(stacks, settings)
    .violations.filter((v) => v.rule.id === id)
    .map((v) => `${v.address}: ${v.detail}`);
const iamStack = (policy: string) => stackOf({ aws_iam_role_policy: { p: { policy } } }, "test-40-iam");
const json = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const hcl = (statements: string) => `\${jsonencode({"Version" = "2012-10-17", "Statement" = [${statements}]})}`;

describe("GIVEN cdktf's jsonencode() expressions", () => {
  it("WHEN parsed THEN references, calls and templates stay ${...} text, and strings, numbers, escapes and comments read as HCL says", () => {
    expect(
      parseJsonencode(
        '${jsonencode({"A" = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*", "$${literal}"], B: 1.5e2, "C" = {"x" = true, "y" = null}\n  D = "q\\"\\\\\\u0041" # comment\n  "E" = element(split(":", var.x), 1), "F" = local.m["k"].v})}',
      ),
    ).toEqual({
      A: ["${aws_s3_bucket.b.arn}", "${aws_s3_bucket.b.arn}/*", "${literal}"],
      B: 150,
      C: { x: true, y: null },
      D: 'q"\\A',
      E: '${element(split(":", var.x), 1)}',
      F: '${local.m["k"].v}',
    });
  });

  it("WHEN the expression is no literal document (a for, a conditional, an unclosed string) or no jsonencode() THEN it is not read", () => {
    expect(parseJsonencode('${jsonencode([for s in var.x : s])}')).toBeUndefined();
    expect(parseJsonencode('${jsonencode(var.a ? 1 : 2)}')).toBeUndefined();
    expect(parseJsonencode('${jsonencode({"a" = "b})}')).toBeUndefined();
    expect(parseJsonencode("${file(\"policy.json\")}")).toBeUndefined();
    expect(parseHclExpression("[1, 2")).toBeUndefined();
  });
});

describe("GIVEN IAM policies read statement by statement", () => {
  it("WHEN a jsonencode() Deny of * has the Sid \"Allow\" THEN IAM.1 no longer reports it, and an Allow named \"Deny\" is reported", () => {
    expect(found("IAM.1", [iamStack(hcl('{"Sid" = "Allow", "Effect" = "Deny", "Action" = "*", "Resource" = "*"}'))])).toEqual([]);
    expect(found("IAM.1", [iamStack(hcl('{"Sid" = "Deny", "Effect" = "Allow", "Action" = ["*"], "Resource" = "*"}'))])).toEqual([
      'aws_iam_role_policy.p: statement "Deny" allows Action "*"',
    ]);
  });

  it("WHEN a policy is neither JSON nor a literal jsonencode() THEN IAM.1 says it cannot be read; an aws_iam_policy_document of the stack is read", () => {
    expect(found("IAM.1", [iamStack('${file("admin.json")}')])).toEqual([
      'aws_iam_role_policy.p: the policy is neither JSON nor jsonencode() of a literal document, so no rule can read it: ${file("admin.json")}',
    ]);
    const doc = (actions: string[]) =>
      stackOf({
        aws_iam_role_policy: { p: { policy: "${data.aws_iam_policy_document.d.json}" } },
        aws_iam_role: { r: { inline_policy: [{ policy: json({ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }) }] } },
      });
    const stack = doc([]);
    (stack.json as { data: unknown }).data = { aws_iam_policy_document: { d: { statement: [{ actions: ["secretsmanager:*"], resources: ["*"] }] } } };
    expect(found("IAM.21", [stack])).toEqual(['aws_iam_role_policy.p: statement 1: "secretsmanager:*" allows every secretsmanager action']);
    expect(found("LGTM.1", [stack])).toEqual(["aws_iam_role.r: statement 1 allows iam:PassRole on *"]);
  });

  it("WHEN IAM.21 reads wildcards THEN a whole service, a verb family or a leading wildcard on a sensitive service and NotAction are reported, a specific family elsewhere is not", () => {
    const one = (Action: unknown, extra: object = {}) => found("IAM.21", [iamStack(json({ Effect: "Allow", Action, Resource: "*", ...extra }))]);
    expect(one("s3:Get*")).toEqual(['aws_iam_role_policy.p: statement 1: "s3:Get*" allows a whole family of s3 actions']);
    expect(one("s3:*Object")).toHaveLength(1);
    expect(one("cloudwatch:*")).toHaveLength(1);
    expect(one(["kms:GenerateDataKey*", "cloudwatch:Get*", "s3:GetObject"])).toEqual([]);
    expect(one("*")).toEqual([]); // IAM.1's
    expect(found("IAM.21", [iamStack(json({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }))])).toEqual(["aws_iam_role_policy.p: statement 1: NotAction in an Allow grants every action but iam:*"]);
    expect(found("IAM.21", [iamStack(json({ Effect: "Deny", Action: "s3:*", Resource: "*" }))])).toEqual([]);
  });

  it("WHEN LGTM.1 reads PassRole THEN a wildcard that covers it and every-role resources are reported, a named role is not", () => {
    const one = (Action: unknown, Resource: unknown) => found("LGTM.1", [iamStack(json({ Effect: "Allow", Action, Resource }))]);
    expect(one("iam:*", "*")).toEqual(['aws_iam_role_policy.p: statement 1 allows iam:PassRole (through "iam:*") on *']);
    expect(one("iam:PassRole", "arn:aws:iam::111111111111:role/*")).toHaveLength(1);
    expect(one("iam:PassRole", "arn:aws:iam::111111111111:role/lgtm-prod-mimir")).toEqual([]);
    expect(one("iam:GetRole", "*")).toEqual([]);
    expect(found("LGTM.1", [iamStack(json({ Effect: "Allow", Action: "iam:PassRole", NotResource: "arn:aws:iam::1:role/admin" }))])).toHaveLength(1);
  });
});

describe("GIVEN S3 bucket policies evaluated statement by statement", () => {
  const bucketPolicy = (...Statement: object[]) =>
    stackOf({ aws_s3_bucket: { b: {} }, aws_s3_bucket_policy: { p: { bucket: "${aws_s3_bucket.b.id}", policy: JSON.stringify({ Statement }) } } }, "test-30-storage");
  const read = (o: object) => found("S3.2", [bucketPolicy({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*", ...o })]);

  it("WHEN a condition only seems to restrict (an IfExists, a negation, 0.0.0.0/0, a key about the request) THEN the read is still public", () => {
    expect(read({ Condition: { StringEqualsIfExists: { "aws:SourceAccount": "1" } } })).toHaveLength(1);
    expect(read({ Condition: { StringNotEquals: { "aws:SourceAccount": "1" } } })).toHaveLength(1);
    expect(read({ Condition: { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } } })).toHaveLength(1);
    expect(read({ Condition: { StringEquals: { "s3:ExistingObjectTag/public": "yes" } } })).toHaveLength(1);
    expect(read({ Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } } })).toEqual([]);
    expect(read({ Principal: { AWS: "arn:aws:iam::111111111111:root" } })).toEqual([]);
    expect(read({ Effect: "Deny" })).toEqual([]);
    expect(read({ Principal: undefined, NotPrincipal: { AWS: "arn:aws:iam::1:root" } })).toHaveLength(1);
    expect(read({ Action: "s3:*" })).toHaveLength(1);
    expect(found("S3.3", [bucketPolicy({ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" })])).toHaveLength(1);
  });

  it("WHEN a bucket has a public canned ACL THEN public-read is S3.2's and public-read-write both", () => {
    const acl = (a: string) => stackOf({ aws_s3_bucket_acl: { b_acl: { bucket: "${aws_s3_bucket.b.id}", acl: a } } });
    expect(found("S3.2", [acl("public-read")])).toEqual(['aws_s3_bucket_acl.b_acl: the canned ACL "public-read" lets everyone read']);
    expect(found("S3.3", [acl("public-read")])).toEqual([]);
    expect(found("S3.3", [acl("public-read-write")])).toHaveLength(1);
    expect(found("S3.2", [acl("private")])).toEqual([]);
  });

  it("WHEN S3.14 reads versioning THEN Suspended, another bucket's or none is reported, the legacy inline block counts", () => {
    const v = (status: string, b = "b") => stackOf({ aws_s3_bucket: { b: {} }, aws_s3_bucket_versioning: { v: { bucket: `\${aws_s3_bucket.${b}.id}`, versioning_configuration: { status } } } });
    expect(found("S3.14", [v("Enabled")])).toEqual([]);
    expect(found("S3.14", [v("Suspended")])).toHaveLength(1);
    expect(found("S3.14", [v("Enabled", "other")])).toHaveLength(1);
    expect(found("S3.14", [stackOf({ aws_s3_bucket: { b: { versioning: [{ enabled: true }] } } })])).toEqual([]);
  });
});

describe("GIVEN security groups read for reachability", () => {
  const layer = (rules: Record<string, Record<string, Record<string, unknown>>>) =>
    stackOf(
      {
        aws_security_group: { mimir_sg: {}, gateway_sg: {}, alb_sg: {}, endpoints_sg: {} },
        aws_ecs_service: {
          mimir: { name: "mimir", network_configuration: { security_groups: ["${aws_security_group.mimir_sg.id}"] } },
          gateway: { name: "gateway", network_configuration: { security_groups: ["${aws_security_group.gateway_sg.id}"] } },
        },
        aws_lb: { alb: { security_groups: ["${aws_security_group.alb_sg.id}"] } },
        aws_lb_listener: { http: { load_balancer_arn: "${aws_lb.alb.arn}", port: 80 }, https: { load_balancer_arn: "${aws_lb.alb.arn}", port: 443 } },
        ...rules,
      },
      "prod-20-security",
    );
  const rule = (group: string, cidr: string, from: number, to = from, protocol = "tcp") => ({
    aws_vpc_security_group_ingress_rule: { r: { security_group_id: `\${aws_security_group.${group}_sg.id}`, cidr_ipv4: cidr, from_port: from, to_port: to, ip_protocol: protocol } },
  });

  it("WHEN settings name the gateway's port and the allowed client and ALB ranges THEN those pass and every other range is reported", async () => {
    const s = await settingsWith({ load_balancer: { internal_client_cidrs: { office: "192.168.0.0/16" }, ui_allowed_cidrs: { office: "198.51.100.0/24" } } });
    const port = s.services.gateway.http_port;
    expect(found("LGTM.2", [layer(rule("gateway", "192.168.0.0/16", port))], [s])).toEqual([]);
    expect(found("LGTM.2", [layer(rule("gateway", "10.99.0.0/16", port))], [s])).toEqual([
      `aws_vpc_security_group_ingress_rule.r: 10.99.0.0/16 reaches the gateway's port ${port} but is neither the VPC's range nor in load_balancer.internal_client_cidrs`,
    ]);
    expect(found("LGTM.2", [layer(rule("gateway", s.network.vpc_cidr, port))], [s])).toEqual([]);
    expect(found("LGTM.2", [layer(rule("mimir", "192.168.0.0/16", 9009))], [s])).toHaveLength(1);
    expect(found("LGTM.2", [layer(rule("alb", "198.51.100.0/24", 443))], [s])).toEqual([]);
    expect(found("LGTM.2", [layer(rule("alb", "203.0.113.0/24", 443))], [s])).toEqual([
      "aws_vpc_security_group_ingress_rule.r: 203.0.113.0/24 reaches the load balancer's listener but is in neither load_balancer.ui_allowed_cidrs nor .ingest_allowed_cidrs",
    ]);
    expect(found("LGTM.2", [layer(rule("alb", "198.51.100.0/24", 22))], [s])).toHaveLength(1);
    // A group no service or load balancer uses (an interface endpoint's) is no task port.
    expect(found("LGTM.2", [layer(rule("endpoints", "10.0.0.0/8", 443))], [s])).toEqual([]);
  });

  it("WHEN the internet is admitted THEN only the ALB's listener ports pass EC2.18, whatever the rule's form (all protocols, a range, a legacy rule, an inline block, IPv6)", () => {
    expect(found("EC2.18", [layer(rule("alb", "0.0.0.0/0", 443))])).toEqual([]);
    expect(found("EC2.18", [layer(rule("alb", "0.0.0.0/0", 22))])).toHaveLength(1);
    expect(found("EC2.18", [layer(rule("alb", "0.0.0.0/0", 80, 443))])).toHaveLength(1);
    expect(found("EC2.18", [layer(rule("gateway", "0.0.0.0/0", 0, 0, "-1"))])).toEqual([
      "aws_vpc_security_group_ingress_rule.r: 0.0.0.0/0 reaches gateway on ports 0-65535 (-1): only the gateway's port may admit an address range",
    ]);
    expect(found("EC2.18", [layer({ aws_security_group_rule: { legacy: { type: "ingress", security_group_id: "${aws_security_group.mimir_sg.id}", ipv6_cidr_blocks: ["::/0"], from_port: 9009, to_port: 9009, protocol: "tcp" } } })])).toHaveLength(1);
    const inline = layer({});
    inline.json.resource!.aws_security_group.mimir_sg = { ingress: [{ cidr_blocks: ["0.0.0.0/0"], from_port: 9009, to_port: 9009, protocol: "tcp" }] };
    expect(found("EC2.18", [inline])).toEqual(["aws_security_group.mimir_sg: 0.0.0.0/0 reaches mimir on port 9009 (tcp): only the gateway's port may admit an address range"]);
    // Nothing reported twice: the internet is EC2.18's, never also LGTM.2's.
    expect(found("LGTM.2", [layer(rule("mimir", "0.0.0.0/0", 9009))])).toEqual([]);
  });
});

describe("GIVEN ALB forwards", () => {
  const alb = (action: object, paths = ["/*"], where: "rule" | "listener" = "rule") =>
    stackOf(
      {
        aws_lb_target_group: { gateway_tg: {}, grafana_tg: {}, loki_tg: {} },
        aws_ecs_service: {
          gateway: { name: "gateway", load_balancer: [{ container_name: "gateway", target_group_arn: "${aws_lb_target_group.gateway_tg.arn}" }] },
          grafana: { name: "grafana", load_balancer: { target_group_arn: "${aws_lb_target_group.grafana_tg.arn}" } },
          loki: { name: "loki", load_balancer: [{ container_name: "loki", target_group_arn: "${aws_lb_target_group.loki_tg.arn}" }] },
        },
        ...(where === "rule" ? { aws_lb_listener_rule: { r: { condition: [{ path_pattern: { values: paths } }], action: [action] } } } : { aws_lb_listener: { l: { default_action: [action] } } }),
      },
      "test-60-ecs",
    );
  const to = (tg: string) => ({ type: "forward", target_group_arn: `\${aws_lb_target_group.${tg}.arn}` });
  const weighted = (...groups: [string, number | undefined][]) => ({ type: "forward", forward: { target_group: groups.map(([tg, weight]) => ({ arn: `\${aws_lb_target_group.${tg}.arn}`, weight })) } });

  it("WHEN Grafana's UI takes the catch-all or its own paths THEN that is no bypass, but a backend path to Grafana is", () => {
    expect(found("LGTM.3", [alb(to("grafana_tg"))])).toEqual([]);
    expect(found("LGTM.3", [alb(to("grafana_tg"), ["/login", "/api/dashboards/*"])])).toEqual([]);
    expect(found("LGTM.3", [alb(to("grafana_tg"), ["/loki/api/v1/query"])])).toHaveLength(1);
    expect(found("LGTM.3", [alb(to("gateway_tg"), ["/loki/*"])])).toEqual([]);
  });

  it("WHEN a backend's target group gets traffic by any path, weight or default action THEN it is reported; weight 0 only attaches it", () => {
    expect(found("LGTM.3", [alb(to("loki_tg"), ["/*"])])).toEqual(["aws_lb_listener_rule.r: forwards /* to aws_lb_target_group.loki_tg (service loki), not to the gateway's target group"]);
    expect(found("LGTM.3", [alb(weighted(["grafana_tg", 1], ["loki_tg", 0]))])).toEqual([]);
    expect(found("LGTM.3", [alb(weighted(["grafana_tg", 1], ["loki_tg", undefined]))])).toHaveLength(1);
    expect(found("LGTM.3", [alb(to("loki_tg"), [], "listener")])).toEqual(["aws_lb_listener.l: forwards every request to aws_lb_target_group.loki_tg (service loki), not to the gateway's target group"]);
    expect(found("LGTM.3", [alb({ type: "forward", target_group_arn: "arn:aws:elasticloadbalancing:ap-northeast-2:1:targetgroup/x/1" }, ["/x"])])).toEqual([
      "aws_lb_listener_rule.r: forwards /x to arn:aws:elasticloadbalancing:ap-northeast-2:1:targetgroup/x/1 (no service the pack can name), not to the gateway's target group",
    ]);
  });
});

describe("GIVEN the repositories tasks pull from", () => {
  const repos = {
    aws_ecr_repository: { ecr_loki: { name: "lgtm-loki", image_tag_mutability: "MUTABLE" } },
    aws_ecr_pull_through_cache_rule: { hub: { ecr_repository_prefix: "docker-hub" } },
  };
  const env = (image: string, extra: Record<string, Record<string, object>> = {}) => [
    stackOf({ ...repos, ...extra }, "prod-30-storage"),
    { ...taskWith(goodContainer({ image })), id: "prod-60-ecs" },
  ];

  it("WHEN the tasks pull from upstream THEN no repository is judged, and an lgtm-* repository pulled by name is", () => {
    expect(found("ECR.2", env("grafana/loki:3.7.6"))).toEqual([]);
    expect(found("ECR.2", env("111111111111.dkr.ecr.ap-northeast-2.amazonaws.com/lgtm-loki:3.7.6@sha256:abc"))).toEqual(['aws_ecr_repository.ecr_loki: image_tag_mutability is "MUTABLE"']);
    // Without any task in view every repository counts as used.
    expect(found("ECR.2", [stackOf(repos, "prod-30-storage")])).toHaveLength(2);
  });

  it("WHEN tasks pull through a pull-through rule THEN a scanning filter and a creation template (its prefix's, else ROOT's) decide ECR.1-3", () => {
    const image = "${data.aws_caller_identity.a.account_id}.dkr.ecr.ap-northeast-2.amazonaws.com/docker-hub/grafana/loki:3.7.6";
    expect(found("ECR.1", env(image))).toEqual(["aws_ecr_pull_through_cache_rule.hub: no registry scanning rule scans docker-hub/grafana/loki on push, which tasks pull through it"]);
    const covered = {
      aws_ecr_registry_scanning_configuration: { s: { rule: [{ scan_frequency: "SCAN_ON_PUSH", repository_filter: [{ filter: "docker-hub/*" }] }] } },
      aws_ecr_repository_creation_template: { t: { prefix: "ROOT", applied_for: ["PULL_THROUGH_CACHE"], image_tag_mutability: "IMMUTABLE", lifecycle_policy: "{}" } },
    };
    for (const id of ["ECR.1", "ECR.2", "ECR.3"]) expect(found(id, env(image, covered)), id).toEqual([]);
    const replication = { ...covered, aws_ecr_repository_creation_template: { t: { ...covered.aws_ecr_repository_creation_template.t, applied_for: ["REPLICATION"] } } };
    expect(found("ECR.2", env(image, replication))).toHaveLength(1);
  });
});

describe("GIVEN secret-looking content in a plain value (ECS.8)", () => {
  it.each([
    ["a private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc"],
    ["an AWS access key id", "access_key_id: AKIAIOSFODNN7EXAMPLE"],
    ['a literal value for "secret_access_key"', "  secret_access_key: wJalrXUtnFEMI/K7MDENG"],
    ['a literal value for "basicAuthPassword"', '{"secureJsonData": {"basicAuthPassword": "hunter2"}}'],
    ['a literal value for "password"', "[database]\npassword = hunter2"],
    ["an htpasswd line with a password hash", "tenant-a:$apr1$abc$def"],
    ["credentials in a URL", "url: https://user:hunter2@mimir.example.com/api/v1/push"],
    ["an Authorization header with its value", 'proxy_set_header Authorization "Basic dGVuYW50Omh1bnRlcjI=";'],
  ])("WHEN a value holds %s THEN it is found", (what, value) => {
    expect(secretContent(value)).toContain(what);
    const task = taskWith(goodContainer({ name: "config", environment: [{ name: "LGTM_CONFIG_0", value }] }));
    expect(found("ECS.8", [task])).toEqual([`aws_ecs_task_definition.app_task_definition: container "config" has ${secretContent(value).join(" and ")} in the plain value of LGTM_CONFIG_0`]);
  });

  it("WHEN a secret is only referenced (environment, file, template, path, empty) THEN nothing is found", () => {
    for (const value of [
      "password: ${GF_DATABASE_PASSWORD}",
      "basicAuthPassword: $__file{/run/secrets/x}",
      'password = sys.env("PW")',
      "password_file: /tmp/gateway/a.htpasswd",
      "auth_basic_user_file /tmp/gateway/metrics.htpasswd;",
      "password: ''",
      "secret: {{ .Values.secret }}",
      "token_url: https://sso.example.com/token",
    ]) {
      expect(secretContent(value), value).toEqual([]);
    }
  });
});
