/**
 * Issue 12, Grafana's state (users, API keys, dashboards saved in the UI) survives task replacement:
 * - by default its SQLite database lives on an encrypted EFS file system (30-storage): one access
 *   point as Grafana's uid/gid 472, mount targets in every private subnet, NFS only from Grafana's
 *   tasks (20-security), a task role that may only mount through that access point (40-iam), and a
 *   task volume with transit encryption and IAM authorization at Grafana's data path (60-ecs);
 *   Grafana is then held to one task, replaced stop-first;
 * - or an external PostgreSQL/MySQL named in settings, its password a Secrets Manager secret injected
 *   as GF_DATABASE_PASSWORD: then no EFS exists and Grafana may run several tasks.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DATA_DIRS } from "../templates";
import { LAYER_OUTPUTS, LAYER_READS } from "../stacks/contract";
import { deploymentPercentages, type Settings } from "../settings";
import { overrideError, settingsWith, shipped } from "./support/settings";
import { resourceOf, resourcesOf, synthLayer, type StackJson } from "./support/synth";

type Container = { name: string; environment: { name: string; value: string }[]; secrets?: { name: string; valueFrom: string }[]; mountPoints: { sourceVolume: string; containerPath: string; readOnly: boolean }[] };

const grafanaContainer = (stack: StackJson): Container =>
  (JSON.parse(resourcesOf(stack, "aws_ecs_task_definition").grafana_task_definition.container_definitions) as Container[]).find((c) => c.name === "grafana")!;
const envOf = (c: Container) => Object.fromEntries(c.environment.map((e) => [e.name, e.value]));
const remote = (layer: string, output: string) => `\${data.terraform_remote_state.${layer}.outputs.${output}}`;
const values = (stack: StackJson, type: string) => Object.values(resourcesOf(stack, type));

const SECRET = "arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:lgtm/prod/grafana-db-AbC123";
const DATABASE = { type: "postgres", host: "grafana.cluster-abc.ap-northeast-2.rds.amazonaws.com", name: "grafana", user: "grafana", password_secret_arn: `${SECRET}:password::` };

describe.each([
  { env: "prod", preventDestroy: true, backup: "ENABLED" },
  { env: "dev", preventDestroy: false, backup: "DISABLED" },
])("GIVEN the shipped $env settings (Grafana's database on EFS)", ({ env, preventDestroy, backup }) => {
  let s: Settings;
  let storage: StackJson;
  let security: StackJson;
  let iam: StackJson;
  let ecs: StackJson;
  beforeAll(async () => {
    s = await shipped(env);
    [storage, security, iam, ecs] = (["30-storage", "20-security", "40-iam", "60-ecs"] as const).map((l) => synthLayer(s, l));
  });

  it("WHEN 30-storage is synthesized THEN the file system is encrypted, TLS-only and kept unless the environment may lose its data", () => {
    const fs = resourceOf(storage, "aws_efs_file_system", "grafana");
    expect(fs).toMatchObject({ encrypted: true, creation_token: `lgtm-${env}-grafana`, performance_mode: "generalPurpose", throughput_mode: "elastic" });
    expect(fs.lifecycle?.prevent_destroy === true).toBe(preventDestroy);
    expect(resourceOf(storage, "aws_efs_backup_policy", "grafana").backup_policy).toEqual({ status: backup });
    const policy = resourceOf(storage, "aws_efs_file_system_policy", "grafana").policy as string;
    expect(policy).toContain('"Effect" = "Deny"');
    expect(policy).toContain('"aws:SecureTransport" = "false"');
  });

  it("WHEN 30-storage is synthesized THEN its one access point runs every operation as Grafana's uid/gid 472 under /grafana, created 0750", () => {
    expect(values(storage, "aws_efs_access_point")).toHaveLength(1);
    const ap = resourceOf(storage, "aws_efs_access_point", "grafana");
    expect(ap.posix_user).toEqual({ uid: 472, gid: 472 });
    expect(ap.root_directory).toEqual({ path: "/grafana", creation_info: { owner_uid: 472, owner_gid: 472, permissions: "0750" } });
  });

  it("WHEN 30-storage is synthesized THEN there is one mount target per AZ, in that AZ's private subnet, behind the EFS group of 20-security", () => {
    const targets = resourcesOf(storage, "aws_efs_mount_target");
    expect(Object.keys(targets).sort()).toEqual(s.network.availability_zones.map((az) => `grafana_mount_target_${az}`).sort());
    s.network.availability_zones.forEach((az, i) => {
      expect(targets[`grafana_mount_target_${az}`]).toMatchObject({
        subnet_id: `\${element(data.terraform_remote_state.network.outputs.private_subnet_ids, ${i})}`,
        security_groups: [remote("security", "efs_security_group_id")],
      });
    });
    expect(LAYER_READS["30-storage"]).toEqual(["10-network", "20-security"]);
  });

  it("WHEN 30-storage is synthesized THEN it publishes the file system and access point for 40-iam and 60-ecs", () => {
    expect(Object.keys(storage.output ?? {}).sort()).toEqual(Object.keys(LAYER_OUTPUTS["30-storage"]).sort());
    expect(storage.output?.grafana_file_system_id.value).toBe("${aws_efs_file_system.grafana_file_system.id}");
    expect(storage.output?.grafana_access_point_arn.value).toBe("${aws_efs_access_point.grafana_access_point.arn}");
  });

  it("WHEN 20-security is synthesized THEN the EFS group admits NFS 2049 from Grafana's tasks only, and Grafana's group has the matching egress", () => {
    const efsSg = "${aws_security_group.grafana_efs_sg.id}";
    const grafanaSg = "${aws_security_group.grafana_sg.id}";
    const ingress = values(security, "aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === efsSg);
    expect(ingress).toHaveLength(1);
    expect(ingress[0]).toMatchObject({ ip_protocol: "tcp", from_port: 2049, to_port: 2049, referenced_security_group_id: grafanaSg });
    expect(ingress[0].cidr_ipv4).toBeUndefined();
    expect(values(security, "aws_vpc_security_group_egress_rule").filter((r) => r.security_group_id === efsSg)).toEqual([]);
    const nfsFrom = values(security, "aws_vpc_security_group_ingress_rule").filter((r) => r.from_port === 2049);
    expect(nfsFrom.map((r) => r.referenced_security_group_id)).toEqual([grafanaSg]);
    const egress = values(security, "aws_vpc_security_group_egress_rule").filter((r) => r.security_group_id === grafanaSg && r.from_port === 2049);
    expect(egress).toEqual([expect.objectContaining({ referenced_security_group_id: efsSg, to_port: 2049 })]);
    expect(security.output?.efs_security_group_id.value).toBe(efsSg);
  });

  it("WHEN 40-iam is synthesized THEN Grafana's task role may mount and write the file system only through its access point", () => {
    const policy = JSON.parse(resourceOf(iam, "aws_iam_role_policy", "grafana_task_efs").policy);
    expect(policy.Statement).toEqual([
      {
        Sid: "MountThroughAccessPoint",
        Effect: "Allow",
        Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        Resource: remote("storage", "grafana_file_system_arn"),
        Condition: { StringEquals: { "elasticfilesystem:AccessPointArn": remote("storage", "grafana_access_point_arn") } },
      },
    ]);
  });

  it("WHEN 60-ecs is synthesized THEN Grafana's task mounts the access point at its data path with TLS and IAM", () => {
    const td = resourcesOf(ecs, "aws_ecs_task_definition").grafana_task_definition;
    const volume = (td.volume as Record<string, any>[]).find((v) => v.efs_volume_configuration);
    expect(volume).toEqual({
      name: "grafana-data",
      efs_volume_configuration: {
        file_system_id: remote("storage", "grafana_file_system_id"),
        root_directory: "/",
        transit_encryption: "ENABLED",
        authorization_config: { access_point_id: remote("storage", "grafana_access_point_id"), iam: "ENABLED" },
      },
    });
    const main = grafanaContainer(ecs);
    expect(main.mountPoints).toContainEqual({ sourceVolume: "grafana-data", containerPath: DATA_DIRS.grafana, readOnly: false });
    expect(DATA_DIRS.grafana).toBe("/var/lib/grafana");
    expect(envOf(main)).toMatchObject({ GF_PATHS_DATA: "/var/lib/grafana", GF_DATABASE_TYPE: "sqlite3" });
    expect(main.secrets?.map((x) => x.name)).toEqual(["GF_SECURITY_ADMIN_PASSWORD", "LGTM_GRAFANA_READ_PASSWORD_0", "LGTM_GRAFANA_READ_PASSWORD_1", "LGTM_GRAFANA_READ_PASSWORD_META"]);
    // No other service mounts it.
    for (const [name, other] of Object.entries(resourcesOf(ecs, "aws_ecs_task_definition"))) {
      if (name !== "grafana_task_definition") expect(JSON.stringify(other.volume ?? [])).not.toContain("efs_volume_configuration");
    }
  });

  it("WHEN 60-ecs is synthesized THEN Grafana runs one task, and a deploy stops it before starting the next (one SQLite writer)", () => {
    const svc = resourcesOf(ecs, "aws_ecs_service").grafana_service;
    expect([svc.desired_count, svc.deployment_minimum_healthy_percent, svc.deployment_maximum_percent]).toEqual([1, 0, 100]);
  });
});

describe("GIVEN prod settings asking for two Grafana tasks without an external database", () => {
  it("WHEN loaded THEN it is refused: SQLite on EFS takes one writer", async () => {
    expect(await overrideError({ services: { grafana: { desired_count: 2 } } })).toContain(
      "environments/prod.tfvars: services.grafana.desired_count: Grafana keeps its SQLite database on EFS when grafana.database is not set, and SQLite takes one writer: run 1 task, or set grafana.database to an external PostgreSQL/MySQL to run 2",
    );
  });
});

describe("GIVEN prod settings with an external PostgreSQL for Grafana and two Grafana tasks", () => {
  let s: Settings;
  let storage: StackJson;
  let security: StackJson;
  let iam: StackJson;
  let ecs: StackJson;
  beforeAll(async () => {
    s = await settingsWith({ grafana: { database: DATABASE }, services: { grafana: { desired_count: 2 } } });
    [storage, security, iam, ecs] = (["30-storage", "20-security", "40-iam", "60-ecs"] as const).map((l) => synthLayer(s, l));
  });

  it("WHEN synthesized THEN no EFS resource, EFS group or EFS grant exists, and the EFS outputs are empty", () => {
    for (const type of ["aws_efs_file_system", "aws_efs_access_point", "aws_efs_mount_target", "aws_efs_file_system_policy", "aws_efs_backup_policy"]) {
      expect(resourcesOf(storage, type), type).toEqual({});
    }
    expect(storage.data).toBeUndefined();
    for (const o of ["grafana_file_system_id", "grafana_file_system_arn", "grafana_access_point_id", "grafana_access_point_arn"]) expect(storage.output?.[o].value, o).toBe("");
    expect(resourcesOf(security, "aws_security_group").grafana_efs_sg).toBeUndefined();
    expect(security.output?.efs_security_group_id.value).toBe("");
    expect(resourcesOf(iam, "aws_iam_role_policy").grafana_task_efs).toBeUndefined();
    expect(JSON.stringify(resourcesOf(ecs, "aws_ecs_task_definition").grafana_task_definition.volume)).not.toContain("efs");
  });

  it("WHEN synthesized THEN Grafana connects with TLS and reads the password from the secret, never from a plain variable", () => {
    const main = grafanaContainer(ecs);
    expect(envOf(main)).toMatchObject({
      GF_DATABASE_TYPE: "postgres",
      GF_DATABASE_HOST: "grafana.cluster-abc.ap-northeast-2.rds.amazonaws.com:5432",
      GF_DATABASE_NAME: "grafana",
      GF_DATABASE_USER: "grafana",
      GF_DATABASE_SSL_MODE: "require",
    });
    expect(envOf(main).GF_DATABASE_PASSWORD).toBeUndefined();
    expect(main.secrets).toContainEqual({ name: "GF_DATABASE_PASSWORD", valueFrom: `${SECRET}:password::` });
  });

  it("WHEN synthesized THEN the execution role may read that secret (by its own ARN, without the JSON key)", () => {
    const policy = JSON.parse(resourceOf(iam, "aws_iam_role_policy", "task_execution_secrets").policy);
    expect(policy.Statement).toEqual([
      {
        Sid: "ReadTaskSecrets",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: [
          "${aws_secretsmanager_secret.grafana_admin_password_secret.arn}",
          "${aws_secretsmanager_secret.gateway_jsj_lgtm_header_write_secret.arn}",
          "${aws_secretsmanager_secret.gateway_jsj_lgtm_header_read_secret.arn}",
          "${aws_secretsmanager_secret.gateway_aws_rag_ec2_write_secret.arn}",
          "${aws_secretsmanager_secret.gateway_aws_rag_ec2_read_secret.arn}",
          "${aws_secretsmanager_secret.gateway_meta_read_secret.arn}",
          SECRET,
        ],
      },
    ]);
  });

  it("WHEN synthesized THEN Grafana's group may reach the database port inside the VPC, and nothing over NFS", () => {
    const egress = values(security, "aws_vpc_security_group_egress_rule").filter((r) => r.security_group_id === "${aws_security_group.grafana_sg.id}");
    expect(egress.filter((r) => r.from_port === 5432)).toEqual([
      expect.objectContaining({ to_port: 5432, ip_protocol: "tcp", cidr_ipv4: "${data.terraform_remote_state.network.outputs.vpc_cidr}" }),
    ]);
    expect(egress.filter((r) => r.from_port === 2049)).toEqual([]);
  });

  it("WHEN synthesized THEN two Grafana tasks run, deployed start-first like any stateless service", () => {
    const svc = resourcesOf(ecs, "aws_ecs_service").grafana_service;
    expect([svc.desired_count, svc.deployment_minimum_healthy_percent, svc.deployment_maximum_percent]).toEqual([2, 100, 200]);
    expect(deploymentPercentages(s, "grafana").minimumHealthyPercent).toBe(100);
  });
});

describe("GIVEN an external MySQL for Grafana with its own port", () => {
  it("WHEN synthesized THEN the host keeps its port, TLS defaults to skip-verify and the egress uses that port", async () => {
    const s = await settingsWith({ grafana: { database: { ...DATABASE, type: "mysql", host: "db.internal:3307", password_secret_arn: SECRET } } });
    const main = grafanaContainer(synthLayer(s, "60-ecs"));
    expect(envOf(main)).toMatchObject({ GF_DATABASE_TYPE: "mysql", GF_DATABASE_HOST: "db.internal:3307", GF_DATABASE_SSL_MODE: "skip-verify" });
    expect(main.secrets).toContainEqual({ name: "GF_DATABASE_PASSWORD", valueFrom: SECRET });
    const egress = values(synthLayer(s, "20-security"), "aws_vpc_security_group_egress_rule").filter((r) => r.from_port === 3307);
    expect(egress).toHaveLength(1);
  });
});

describe("GIVEN bad external database settings", () => {
  it.each([
    ["a plain password instead of a secret", { password_secret_arn: "hunter2" }, 'grafana.database.password_secret_arn: expected the full ARN of a Secrets Manager secret'],
    ["a secret ARN without Secrets Manager's suffix", { password_secret_arn: "arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:grafana-db" }, "grafana.database.password_secret_arn: expected the full ARN"],
    ["an unknown engine", { type: "sqlite" }, "grafana.database.type: expected one of postgres, mysql"],
    ["an ssl_mode of the other engine", { ssl_mode: "skip-verify" }, 'grafana.database.ssl_mode: Grafana\'s postgres driver takes ssl_mode "disable", "require", "verify-ca", "verify-full", got "skip-verify"'],
    ["TLS switched off", { ssl_mode: "disable" }, 'grafana.database.ssl_mode: "disable" sends Grafana\'s database password and data unencrypted'],
    ["a port out of range", { host: "db.internal:70000" }, "grafana.database.host: port 70000 is not a port number (1-65535)"],
    ["a misspelt key", { hots: "db" }, 'grafana.database.hots: unknown key "hots"; did you mean "host"?'],
  ])("WHEN it has %s THEN loading fails naming the key", async (_what, change, expected) => {
    expect(await overrideError({ grafana: { database: { ...DATABASE, ...change } } })).toContain(expected);
  });
});
