/**
 * 40-iam: least-privilege roles. Each task role reaches only its own S3 prefixes, the execution
 * role pulls from ECR only when images come from ECR, and secrets are read by ARN only; the Grafana
 * admin password is generated without ever entering Terraform state.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { COMPONENTS, SERVICE_NAMES, type ServiceName } from "../settings";
import { settingsWith, shipped } from "./support/settings";
import { inventoryOf, resourceOf, resourcesOf, synthLayer, type StackJson } from "./support/synth";

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string | string[]>> };
type Policy = { Version: string; Statement: Statement[] };

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const BUCKET_ARN = "${data.terraform_remote_state.storage.outputs.data_bucket_arn}";
const SECRET_ARN = "${aws_secretsmanager_secret.grafana_admin_password_secret.arn}";

/** Inline policies attached to a role (by the role's logical name), parsed. */
function policiesOf(stack: StackJson, roleLogicalName: string): Policy[] {
  return Object.values(resourcesOf(stack, "aws_iam_role_policy"))
    .filter((p) => p.role === `\${aws_iam_role.${roleLogicalName}.id}`)
    .map((p) => JSON.parse(p.policy) as Policy);
}
const statementsOf = (stack: StackJson, role: string) => policiesOf(stack, role).flatMap((p) => p.Statement);
const actionsOf = (stack: StackJson, role: string) => statementsOf(stack, role).flatMap((s) => list(s.Action));

/** The S3 prefixes a service owns in the shipped settings. */
const PREFIXES: Record<ServiceName, string[]> = {
  mimir: ["blocks", "rules", "alerts"],
  loki: ["loki"],
  tempo: ["tempo"],
  pyroscope: ["pyroscope"],
  grafana: [],
  alloy: [],
  gateway: [],
};
const ALL_PREFIXES = Object.values(PREFIXES).flat();

describe.each([
  // prod has one role policy more than dev: the execution role's ECR pull-through permissions.
  {
    env: "prod",
    account: "111111111111",
    recovery: 7,
    inventory: { aws_iam_role: 8, aws_iam_role_policy: 10, aws_secretsmanager_secret: 6, aws_secretsmanager_secret_version: 6, "data.aws_partition": 1, "data.terraform_remote_state": 1 },
  },
  {
    env: "dev",
    account: "222222222222",
    recovery: 0,
    inventory: { aws_iam_role: 8, aws_iam_role_policy: 9, aws_secretsmanager_secret: 6, aws_secretsmanager_secret_version: 6, "data.aws_partition": 1, "data.terraform_remote_state": 1 },
  },
])("GIVEN the shipped $env settings", (expected) => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(await shipped(expected.env), "40-iam");
  });

  it("WHEN synthesized THEN every role trusts only ECS tasks of the environment's account", () => {
    const roles = resourcesOf(stack, "aws_iam_role");
    expect(Object.values(roles).map((r) => r.name).sort()).toEqual(
      [`lgtm-${expected.env}-task-execution`, ...SERVICE_NAMES.map((n) => `lgtm-${expected.env}-${n}-task`)].sort(),
    );
    for (const role of Object.values(roles)) {
      const trust = JSON.parse(role.assume_role_policy) as { Statement: (Statement & { Principal: unknown })[] };
      expect(trust.Statement).toEqual([
        expect.objectContaining({
          Effect: "Allow",
          Principal: { Service: "ecs-tasks.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": expected.account } },
        }),
      ]);
    }
  });

  it.each(SERVICE_NAMES.filter((n) => PREFIXES[n].length > 0))("WHEN synthesized THEN the %s task role reaches only its own prefixes", (service) => {
    const own = PREFIXES[service];
    expect(COMPONENTS[service].storagePrefixes).toHaveLength(own.length);
    const statements = statementsOf(stack, `${service}_task_role`);
    const listing = statements.find((s) => s.Action === "s3:ListBucket");
    expect(listing?.Resource).toBe(BUCKET_ARN);
    expect(listing?.Condition).toEqual({ StringLike: { "s3:prefix": own.flatMap((p) => [p, `${p}/`, `${p}/*`]) } });
    const objects = statements.find((s) => listing !== s && Array.isArray(s.Action) && s.Action.includes("s3:GetObject"));
    expect(objects?.Action).toEqual(["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]);
    expect(objects?.Resource).toEqual(own.map((p) => `${BUCKET_ARN}/${p}/*`));
    // Nothing in the role's policies names another component's prefix.
    const text = JSON.stringify(policiesOf(stack, `${service}_task_role`));
    for (const other of ALL_PREFIXES.filter((p) => !own.includes(p))) {
      expect(text).not.toContain(`/${other}/`);
      expect(text).not.toContain(`"${other}/`);
    }
  });

  it("WHEN synthesized THEN no task role has a wildcard S3 action or an S3 action on every resource", () => {
    for (const n of SERVICE_NAMES) {
      for (const s of statementsOf(stack, `${n}_task_role`)) {
        const actions = list(s.Action);
        expect(actions.filter((a) => a === "*" || a === "s3:*" || /^s3:.*\*/.test(a)), `${n}: ${JSON.stringify(s)}`).toEqual([]);
        if (actions.some((a) => a.startsWith("s3:"))) expect(list(s.Resource), `${n}: ${JSON.stringify(s)}`).not.toContain("*");
      }
    }
  });

  it("WHEN synthesized THEN Grafana's task role may only mount its EFS file system and Alloy's only reads CloudWatch metrics and tags", () => {
    // Issue 12: Grafana's database lives on EFS; mounting it through the access point is its only
    // right besides publishing alerts to the alerts topic (issue 19, test/grafana-alerting.test.ts).
    expect(actionsOf(stack, "grafana_task_role").sort()).toEqual(["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "kms:Decrypt", "kms:GenerateDataKey*", "sns:Publish"]);
    expect(actionsOf(stack, "alloy_task_role").sort()).toEqual(["cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics", "tag:GetResources"]);
  });

  it("WHEN synthesized with upstream images THEN the execution role has no ECR permission", async () => {
    const upstream = synthLayer(await settingsWith({ image_source: "upstream" }, expected.env), "40-iam");
    expect(actionsOf(upstream, "task_execution_role").filter((a) => a.startsWith("ecr:"))).toEqual([]);
    expect(resourcesOf(upstream, "aws_iam_role_policy").task_execution_ecr_pull).toBeUndefined();
    expect(resourcesOf(upstream, "aws_iam_role_policy").task_execution_ecr_pull_through).toBeUndefined();
  });

  it("WHEN synthesized THEN the execution role writes only to the six service log groups", () => {
    const logs = statementsOf(stack, "task_execution_role").filter((s) => list(s.Action).some((a) => a.startsWith("logs:")));
    expect(logs).toHaveLength(1);
    expect(logs[0].Action).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
    expect(logs[0].Resource).toEqual(
      SERVICE_NAMES.map((n) => `arn:\${data.aws_partition.current.partition}:logs:ap-northeast-2:${expected.account}:log-group:/ecs/lgtm-${n}:*`),
    );
  });

  it("WHEN synthesized THEN the execution role reads exactly the Grafana admin secret and each tenant's gateway passwords (write, read)", () => {
    const reads = statementsOf(stack, "task_execution_role").filter((s) => list(s.Action).some((a) => a.startsWith("secretsmanager:")));
    expect(reads).toHaveLength(1);
    expect(reads[0].Action).toBe("secretsmanager:GetSecretValue");
    const arns = stack.output?.secret_arns.value as Record<string, string>;
    // Plus the self-monitoring tenant's read password (Grafana's self-monitoring datasource, through the gateway).
    expect(Object.keys(arns).sort()).toEqual(["gateway_aws_rag_ec2_read", "gateway_aws_rag_ec2_write", "gateway_jsj_lgtm_header_read", "gateway_jsj_lgtm_header_write", "gateway_meta_read", "grafana_admin_password"]);
    expect(arns.grafana_admin_password).toBe(SECRET_ARN);
    expect([...list(reads[0].Resource)].sort()).toEqual(Object.values(arns).sort());
  });

  it("WHEN synthesized THEN each tenant's gateway passwords, one per role, are generated by Secrets Manager, write-only, under the tenant's name, and no admin one while no admin route is open", () => {
    const byTenant = stack.output?.gateway_secret_arns.value as Record<string, Record<string, string>>;
    expect(Object.keys(byTenant).sort()).toEqual(["aws-rag-ec2", "jsj-lgtm-header", "meta"]);
    // The self-monitoring tenant reads only: no write credential exists for it.
    expect(byTenant.meta).toEqual({ read: (stack.output?.secret_arns.value as Record<string, string>).gateway_meta_read });
    expect(resourceOf(stack, "aws_secretsmanager_secret", "gateway_meta_read").name).toBe(`lgtm/${expected.env}/gateway/meta/read`);
    for (const tenant of ["jsj-lgtm-header", "aws-rag-ec2"]) {
      expect(Object.keys(byTenant[tenant]).sort(), tenant).toEqual(["read", "write"]);
      for (const role of ["write", "read"]) {
        const key = `gateway_${tenant.replace(/-/g, "_")}_${role}`;
        const secret = resourceOf(stack, "aws_secretsmanager_secret", key);
        expect(secret.name).toBe(`lgtm/${expected.env}/gateway/${tenant}/${role}`);
        expect(byTenant[tenant][role]).toBe((stack.output?.secret_arns.value as Record<string, string>)[key]);
        const version = resourceOf(stack, "aws_secretsmanager_secret_version", key);
        expect(version.secret_string).toBeUndefined();
        expect(version.secret_string_wo).toBe(`\${ephemeral.aws_secretsmanager_random_password.${key}_value.random_password}`);
      }
    }
    expect(Object.keys(resourcesOf(stack, "aws_secretsmanager_secret")).filter((k) => k.startsWith("gateway_") && k.includes("_admin"))).toEqual([]);
  });

  it("WHEN synthesized THEN the Grafana admin password is generated by Secrets Manager and written write-only", () => {
    const secret = resourceOf(stack, "aws_secretsmanager_secret", "grafana_admin_password");
    expect(secret.name).toBe(`lgtm/${expected.env}/grafana/admin-password`);
    expect(secret.recovery_window_in_days).toBe(expected.recovery);
    const version = resourceOf(stack, "aws_secretsmanager_secret_version", "grafana_admin_password");
    expect(version.secret_string).toBeUndefined();
    expect(version.secret_string_wo).toBe("${ephemeral.aws_secretsmanager_random_password.grafana_admin_password_value.random_password}");
    expect(version.secret_string_wo_version).toBe(1);
    const ephemeral = (stack as { ephemeral?: Record<string, Record<string, Record<string, unknown>>> }).ephemeral;
    expect(ephemeral?.aws_secretsmanager_random_password?.grafana_admin_password_value).toEqual(
      expect.objectContaining({ password_length: 32, exclude_punctuation: true }),
    );
    // Nothing that Terraform stores (data sources, resources, outputs) generates the value.
    expect(stack.data?.aws_secretsmanager_random_password).toBeUndefined();
  });

  it("WHEN synthesized THEN it publishes the execution role and one task role per service", () => {
    expect(stack.output?.task_execution_role_arn.value).toBe("${aws_iam_role.task_execution_role.arn}");
    expect(stack.output?.task_role_arns.value).toEqual(Object.fromEntries(SERVICE_NAMES.map((n) => [n, `\${aws_iam_role.${n}_task_role.arn}`])));
  });

  it("WHEN synthesized THEN it holds the execution role, a task role per service, their policies and the six secrets (Grafana admin, two per tenant, the self-monitoring read one), and nothing else", () => {
    expect(inventoryOf(stack)).toEqual(expected.inventory);
  });
});

describe('GIVEN prod settings with image_source = "ecr"', () => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(await settingsWith({ image_source: "ecr" }), "40-iam");
  });

  it("WHEN synthesized THEN the execution role pulls from exactly the six repositories of 30-storage", () => {
    const statements = statementsOf(stack, "task_execution_role").filter((s) => list(s.Action).some((a) => a.startsWith("ecr:")));
    expect(statements).toEqual([
      expect.objectContaining({ Action: "ecr:GetAuthorizationToken", Resource: "*" }),
      expect.objectContaining({
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        Resource: SERVICE_NAMES.map((n) => `\${data.terraform_remote_state.storage.outputs.ecr_repository_arns.${n}}`),
      }),
    ]);
  });
});

describe("GIVEN prod settings with Loki under another prefix", () => {
  it("WHEN synthesized THEN only Loki's role follows it", async () => {
    const stack = synthLayer(await settingsWith({ storage_prefixes: { loki: "logs" } }), "40-iam");
    const loki = JSON.stringify(policiesOf(stack, "loki_task_role"));
    expect(loki).toContain(`${BUCKET_ARN}/logs/*`);
    expect(loki).not.toContain("loki/");
    expect(JSON.stringify(policiesOf(stack, "tempo_task_role"))).not.toContain("logs");
  });
});

describe("GIVEN prod settings that allow two accounts", () => {
  it("WHEN synthesized THEN the trust condition and the log-group ARNs name both accounts", async () => {
    const stack = synthLayer(await settingsWith({ aws: { allowed_account_ids: ["111111111111", "333333333333"] } }), "40-iam");
    const trust = JSON.parse(resourceOf(stack, "aws_iam_role", "loki_task").assume_role_policy);
    expect(trust.Statement[0].Condition).toEqual({ StringEquals: { "aws:SourceAccount": ["111111111111", "333333333333"] } });
    const logs = statementsOf(stack, "task_execution_role").find((s) => list(s.Action).includes("logs:PutLogEvents"));
    expect(list(logs?.Resource)).toHaveLength(SERVICE_NAMES.length * 2);
    expect(list(logs?.Resource).filter((r) => r.includes(":333333333333:log-group:/ecs/lgtm-loki:*"))).toHaveLength(1);
  });
});

describe("GIVEN prod with Loki's deletion API opened at the gateway (gateway.admin_routes.loki_delete = true)", () => {
  it("WHEN 40-iam and 60-ecs are synthesized THEN each tenant also has an admin password, published with its write and read ones, and the gateway task gets it", async () => {
    const s = await settingsWith({ gateway: { admin_routes: { loki_delete: true } } }, "prod");
    const iam = synthLayer(s, "40-iam");
    const byTenant = iam.output?.gateway_secret_arns.value as Record<string, Record<string, string>>;
    expect(Object.keys(byTenant["jsj-lgtm-header"]).sort()).toEqual(["admin", "read", "write"]);
    expect(resourceOf(iam, "aws_secretsmanager_secret", "gateway_aws_rag_ec2_admin").name).toBe("lgtm/prod/gateway/aws-rag-ec2/admin");
    const ecs = synthLayer(s, "60-ecs");
    const td = resourcesOf(ecs, "aws_ecs_task_definition").gateway_task_definition;
    const gateway = (JSON.parse(td.container_definitions as string) as { name: string; secrets?: { name: string; valueFrom: string }[] }[]).find((c) => c.name === "gateway")!;
    expect(gateway.secrets).toContainEqual({ name: "LGTM_TENANT_ADMIN_PASSWORD_1", valueFrom: "${data.terraform_remote_state.iam.outputs.secret_arns.gateway_aws_rag_ec2_admin}" });
  });
});
