/**
 * CustomerKey: one customer managed KMS key for one purpose (the data bucket, the log bucket, the
 * log groups), with automatic yearly rotation and a key policy that says who may use it.
 *
 * Owns the key and its alias (`alias/<name>`). The key policy has:
 * - the account's root principal with every KMS action: what makes IAM policies effective on the key
 *   (a task role's `kms:Decrypt` on this key's ARN) and keeps the key manageable; without it a
 *   mistaken policy would lock everyone out for good;
 * - the caller's service statements (e.g. CloudWatch Logs for this environment's log groups only,
 *   or VPC flow log delivery), each with the conditions that narrow it.
 * No IAM principal is named here: who in the account may use the key is decided by IAM policies on
 * the key's ARN (../task-roles), so the key policy never grants a role more than its own policy does.
 */
import { Construct } from "constructs";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";

export interface CustomerKeyProps {
  /** Alias name without `alias/`, e.g. `lgtm-prod-data`. */
  readonly name: string;
  readonly description: string;
  /** Accounts whose root principal administers the key (the environment's allowed accounts). */
  readonly accountIds: readonly string[];
  /** The AWS partition (`aws`, `aws-cn`, ...), usually a `aws_partition` data source's value. */
  readonly partition: string;
  /** Statements after the administrators' (services allowed to use the key). @default none */
  readonly serviceStatements?: readonly Record<string, unknown>[];
  /** Days a deleted key stays recoverable (7-30). @default 30 */
  readonly deletionWindowDays?: number;
}

export class CustomerKey extends Construct {
  readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: CustomerKeyProps) {
    super(scope, id);
    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AccountAdministers",
          Effect: "Allow",
          Principal: { AWS: props.accountIds.map((a) => `arn:${props.partition}:iam::${a}:root`) },
          Action: "kms:*",
          Resource: "*",
        },
        ...(props.serviceStatements ?? []),
      ],
    };
    this.key = new KmsKey(this, "key", {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowDays ?? 30,
      policy: JSON.stringify(policy),
    });
    new KmsAlias(this, "alias", { name: `alias/${props.name}`, targetKeyId: this.key.keyId });
  }

  get arn(): string {
    return this.key.arn;
  }
}

/**
 * The key-policy statement that lets CloudWatch Logs in `region` use a key for exactly the named log
 * groups: the encryption context CloudWatch Logs sends names the group's ARN, in every allowed account.
 */
export function logGroupsStatement(sid: string, props: { readonly region: string; readonly accountIds: readonly string[]; readonly partition: string; readonly logGroupNames: readonly string[] }): Record<string, unknown> {
  return {
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: `logs.${props.region}.amazonaws.com` },
    Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
    Resource: "*",
    Condition: {
      ArnEquals: {
        "kms:EncryptionContext:aws:logs:arn": props.accountIds.flatMap((a) => props.logGroupNames.map((n) => `arn:${props.partition}:logs:${props.region}:${a}:log-group:${n}`)),
      },
    },
  };
}
