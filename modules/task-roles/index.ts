/**
 * Task roles: the two kinds of IAM role an ECS task uses, each trusted only by ECS tasks of the
 * environment's own account(s).
 *
 * - TaskExecutionRole: the role the ECS agent uses *before and around* the containers: pull images
 *   from the given ECR repositories, write to the given log groups, read the given secrets into the
 *   container `secrets`. Nothing else, and nothing on `*` except `ecr:GetAuthorizationToken` (an
 *   account-level call with no resource to name).
 * - ServiceTaskRole: the role one service's containers run as: read/write of its own key prefixes in
 *   the data bucket (listing limited to those prefixes), optionally read-only CloudWatch metrics, and
 *   optionally mount and write one EFS file system through one access point (Grafana's database).
 *   A role with no grant has no permission at all.
 *
 * Trust: `ecs-tasks.amazonaws.com` with `aws:SourceAccount`, so that ECS acting for another account
 * can never assume these roles (cross-service confused-deputy protection).
 *
 * Policies are inline (`aws_iam_role_policy`): they belong to exactly one role and go with it.
 * Modelled on aws-cdk's `ecs.TaskDefinition` (`executionRole`, `taskRole`) and terraform-aws-modules'
 * ecs service module (`tasks_iam_role_statements`, `task_exec_secret_arns`).
 */
import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";

/** One IAM policy statement (IAM JSON spelling). */
export type PolicyStatement = Readonly<Record<string, unknown>>;

/** An IAM policy document as the JSON string IAM takes. References resolve inside the string. */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** Trust policy: ECS tasks of the given account(s) only. */
export function ecsTasksTrustPolicy(accountIds: readonly string[]): string {
  if (accountIds.length === 0) throw new Error("an ECS task role must name the account(s) it is for (aws:SourceAccount)");
  return policyDocument([
    {
      Sid: "EcsTasksOfThisAccount",
      Effect: "Allow",
      Principal: { Service: "ecs-tasks.amazonaws.com" },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:SourceAccount": accountIds.length === 1 ? accountIds[0] : [...accountIds] } },
    },
  ]);
}

export interface TaskExecutionRoleProps {
  /** IAM role name. */
  readonly roleName: string;
  /** Account(s) whose ECS tasks may assume the role (`aws:SourceAccount`). */
  readonly accountIds: readonly string[];
  /** ARNs of the log groups the containers' awslogs driver writes to, without the `:*` suffix. */
  readonly logGroupArns: readonly string[];
  /**
   * ECR repositories the tasks pull images from. @default [] (images come from a public registry,
   * so the role gets no ECR permission at all, not even the authorization token)
   */
  readonly ecrRepositoryArns?: readonly string[];
  /**
   * Pull-through cache repositories (`arn:...:repository/<prefix>/*`): pull, plus creating the cached
   * repository and importing the upstream image on the first pull. @default [] */
  readonly pullThroughRepositoryArns?: readonly string[];
  /** Secrets Manager secrets the task definitions inject as container `secrets`. @default [] */
  readonly secretArns?: readonly string[];
  /** Role description, shown in the console. @default "ECS task execution role" */
  readonly description?: string;
}

export class TaskExecutionRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: TaskExecutionRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: props.description ?? "ECS task execution role",
      assumeRolePolicy: ecsTasksTrustPolicy(props.accountIds),
    });

    if (props.logGroupArns.length === 0) throw new Error(`${props.roleName}: a task execution role needs the log groups its tasks write to`);
    new IamRolePolicy(this, "logs", {
      role: this.role.id,
      name: "write-task-logs",
      policy: policyDocument([
        {
          Sid: "WriteOwnLogGroups",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          // `:*` covers the group's log streams (`log-group:<name>:log-stream:<stream>`).
          Resource: props.logGroupArns.map((arn) => `${arn}:*`),
        },
      ]),
    });

    const repositories = props.ecrRepositoryArns ?? [];
    const cached = props.pullThroughRepositoryArns ?? [];
    if (cached.length > 0) {
      new IamRolePolicy(this, "ecr_pull_through", {
        role: this.role.id,
        name: "pull-through-cache",
        policy: policyDocument([
          { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
          {
            Sid: "PullThroughCache",
            Effect: "Allow",
            Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
            Resource: [...cached],
          },
        ]),
      });
    }
    if (repositories.length > 0) {
      new IamRolePolicy(this, "ecr_pull", {
        role: this.role.id,
        name: "pull-images",
        policy: policyDocument([
          // GetAuthorizationToken is account-level: IAM accepts no other resource for it.
          { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
          {
            Sid: "PullOwnRepositories",
            Effect: "Allow",
            Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            Resource: [...repositories],
          },
        ]),
      });
    }

    const secrets = props.secretArns ?? [];
    if (secrets.length > 0) {
      new IamRolePolicy(this, "secrets", {
        role: this.role.id,
        name: "read-task-secrets",
        policy: policyDocument([
          // The secrets use the account's aws/secretsmanager key, which grants decrypt through
          // Secrets Manager itself: no kms:Decrypt statement needed.
          { Sid: "ReadTaskSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [...secrets] },
        ]),
      });
    }
  }
}

/** Read/write of some key prefixes of one bucket. */
export interface S3PrefixAccess {
  /** ARN of the bucket. */
  readonly bucketArn: string;
  /** Key segments without slashes, e.g. ["loki"]; access covers `<prefix>/...` only. */
  readonly prefixes: readonly string[];
  /**
   * The bucket's customer managed KMS key: `kms:Decrypt` and `kms:GenerateDataKey` on this key only,
   * and only through S3 in `region` (`kms:ViaService`). @default none (SSE-S3 needs no KMS permission)
   */
  readonly kms?: { readonly keyArn: string; readonly region: string };
}

/**
 * Read-only CloudWatch metrics, as Alloy's `prometheus.exporter.cloudwatch` (YACE) needs them:
 * `tag:GetResources` to discover resources by tag (ALB, ECS, RDS, ElastiCache, ...) and the three
 * CloudWatch metric reads. None of these actions supports resource-level permissions, so `*` is the
 * only resource IAM accepts; all four are reads. Discovery jobs for Transit Gateway, API Gateway or
 * DMS need further Describe/GET actions (see the component's documentation) and are not granted.
 */
export const CLOUDWATCH_METRICS_READ_ACTIONS = [
  "cloudwatch:GetMetricData",
  "cloudwatch:GetMetricStatistics",
  "cloudwatch:ListMetrics",
  "tag:GetResources",
] as const;

/** Mount and write one EFS file system, only through one access point. */
export interface EfsAccess {
  /** ARN of the file system. */
  readonly fileSystemArn: string;
  /** ARN of the access point the mount must go through. */
  readonly accessPointArn: string;
}

export interface ServiceTaskRoleProps {
  /** IAM role name. */
  readonly roleName: string;
  /** Account(s) whose ECS tasks may assume the role (`aws:SourceAccount`). */
  readonly accountIds: readonly string[];
  /** Read/write of these prefixes of the data bucket. @default none (no S3 permission) */
  readonly s3?: S3PrefixAccess;
  /** Read CloudWatch metrics and resource tags (CLOUDWATCH_METRICS_READ_ACTIONS). @default false */
  readonly readCloudWatchMetrics?: boolean;
  /** Mount and write an EFS file system through its access point (no root access). @default none */
  readonly efs?: EfsAccess;
  /** Role description, shown in the console. @default "ECS task role" */
  readonly description?: string;
  /**
   * Publish to this SNS topic (Grafana's contact point), encrypting through SNS with the topic's KMS
   * key (`kms:ViaService`: the key can be used only by SNS on the role's behalf). @default none
   */
  readonly publishAlerts?: { readonly topicArn: string; readonly region: string };
}

export class ServiceTaskRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: ServiceTaskRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: props.description ?? "ECS task role",
      assumeRolePolicy: ecsTasksTrustPolicy(props.accountIds),
    });

    if (props.s3) {
      const { bucketArn, prefixes, kms } = props.s3;
      if (prefixes.length === 0) throw new Error(`${props.roleName}: S3 access needs at least one prefix; omit s3 for none`);
      for (const p of prefixes) {
        if (p === "" || p.includes("/") || p.includes("*")) {
          throw new Error(`${props.roleName}: S3 prefix "${p}" must be one key segment with no "/" or "*"`);
        }
      }
      new IamRolePolicy(this, "s3", {
        role: this.role.id,
        name: "read-write-own-prefixes",
        policy: policyDocument([
          {
            Sid: "ListOwnPrefixes",
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: bucketArn,
            // Components list `<prefix>` (Tempo's start-up check), `<prefix>/` and below; a listing of
            // the whole bucket or another component's prefix is denied. `<prefix>/*` also lets S3 answer
            // 404 NoSuchKey (not 403) for a missing key under the prefix, which the components rely on
            // to tell "not written yet" (a first bucket index, a deletion marker) from an error.
            Condition: { StringLike: { "s3:prefix": prefixes.flatMap((p) => [p, `${p}/`, `${p}/*`]) } },
          },
          {
            Sid: "ReadWriteOwnObjects",
            Effect: "Allow",
            // AbortMultipartUpload lets a component clean up its own failed uploads of large blocks.
            Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            Resource: prefixes.map((p) => `${bucketArn}/${p}/*`),
          },
          ...(kms
            ? [
                {
                  Sid: "UseDataBucketKeyThroughS3",
                  Effect: "Allow",
                  Action: ["kms:Decrypt", "kms:GenerateDataKey"],
                  Resource: kms.keyArn,
                  Condition: { StringEquals: { "kms:ViaService": `s3.${kms.region}.amazonaws.com` } },
                },
              ]
            : []),
        ]),
      });
    }

    if (props.efs) {
      new IamRolePolicy(this, "efs", {
        role: this.role.id,
        name: "mount-own-file-system",
        policy: policyDocument([
          {
            Sid: "MountThroughAccessPoint",
            Effect: "Allow",
            // No ClientRootAccess: the access point runs every operation as the application's user.
            Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            Resource: props.efs.fileSystemArn,
            Condition: { StringEquals: { "elasticfilesystem:AccessPointArn": props.efs.accessPointArn } },
          },
        ]),
      });
    }

    if (props.publishAlerts) {
      new IamRolePolicy(this, "alerts", {
        role: this.role.id,
        name: "publish-alerts",
        policy: policyDocument([
          { Sid: "PublishAlerts", Effect: "Allow", Action: "sns:Publish", Resource: props.publishAlerts.topicArn },
          {
            Sid: "EncryptThroughSns",
            Effect: "Allow",
            Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resource: "*",
            Condition: { StringEquals: { "kms:ViaService": `sns.${props.publishAlerts.region}.amazonaws.com` } },
          },
        ]),
      });
    }

    if (props.readCloudWatchMetrics) {
      new IamRolePolicy(this, "cloudwatch", {
        role: this.role.id,
        name: "read-cloudwatch-metrics",
        policy: policyDocument([{ Sid: "ReadCloudWatchMetrics", Effect: "Allow", Action: [...CLOUDWATCH_METRICS_READ_ACTIONS], Resource: "*" }]),
      });
    }
  }
}
