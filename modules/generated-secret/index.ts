/**
 * GeneratedSecret: a Secrets Manager secret whose value AWS generates and Terraform never stores.
 *
 * Owns the secret and its first version. The value comes from the ephemeral resource
 * `aws_secretsmanager_random_password` (Secrets Manager's GetRandomPassword) and is written through
 * the write-only argument `secret_string_wo` of `aws_secretsmanager_secret_version`: neither the plan
 * nor the state ever holds it (Terraform >= 1.11, AWS provider >= 5.83). Readers (ECS, through the
 * task execution role) fetch it from Secrets Manager.
 *
 * cdktf 0.21 has no construct for ephemeral resources, so the block is written with a stack override
 * and referenced by name; `terraform validate` checks both.
 *
 * A write-only value is sent only when `secret_string_wo_version` changes, so the generated value is
 * stable across applies; bump `valueVersion` to write a freshly generated one.
 */
import { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";

export interface GeneratedSecretProps {
  /** Secret name, e.g. "lgtm/prod/grafana/admin-password". */
  readonly secretName: string;
  /** What the secret is for, shown in the console. */
  readonly description: string;
  /**
   * Days a deleted secret can still be restored; 0 deletes it at once (so the name can be reused by
   * the next apply of a throw-away environment). AWS accepts 0 or 7-30. @default 7
   */
  readonly recoveryWindowInDays?: number;
  /** Length of the generated value, 16-4096 characters. @default 32 */
  readonly length?: number;
  /**
   * Leave out punctuation, so the value survives shells, URLs and config files unquoted (32
   * alphanumeric characters still carry about 190 bits). @default true
   */
  readonly excludePunctuation?: boolean;
  /** Bump to generate and write a new value on the next apply. @default 1 */
  readonly valueVersion?: number;
}

export class GeneratedSecret extends Construct {
  readonly secret: SecretsmanagerSecret;
  readonly version: SecretsmanagerSecretVersion;

  constructor(scope: Construct, id: string, props: GeneratedSecretProps) {
    super(scope, id);
    const recovery = props.recoveryWindowInDays ?? 7;
    if (!(recovery === 0 || (Number.isInteger(recovery) && recovery >= 7 && recovery <= 30))) {
      throw new Error(`${props.secretName}: Secrets Manager accepts a recovery window of 0 or 7-30 days, got ${recovery}`);
    }
    const length = props.length ?? 32;
    if (!Number.isInteger(length) || length < 16 || length > 4096) {
      throw new Error(`${props.secretName}: a generated secret must be 16-4096 characters long, got ${length}`);
    }

    this.secret = new SecretsmanagerSecret(this, "secret", {
      name: props.secretName,
      description: props.description,
      recoveryWindowInDays: recovery,
    });

    // The ephemeral block is named like every other address here: the construct path under the stack.
    const stack = TerraformStack.of(this);
    const scopes = this.node.scopes;
    const name = `${scopes
      .slice(scopes.indexOf(stack) + 1)
      .map((c) => c.node.id)
      .join("_")
      .replace(/[^A-Za-z0-9_-]/g, "_")}_value`;
    stack.addOverride(`ephemeral.aws_secretsmanager_random_password.${name}`, {
      password_length: length,
      exclude_punctuation: props.excludePunctuation ?? true,
      require_each_included_type: true,
    });

    this.version = new SecretsmanagerSecretVersion(this, "version", {
      secretId: this.secret.id,
      secretStringWoVersion: props.valueVersion ?? 1,
    });
    this.version.addOverride("secret_string_wo", `\${ephemeral.aws_secretsmanager_random_password.${name}.random_password}`);
  }

  /** ARN of the secret (what a task definition's `secrets[].valueFrom` and IAM take). */
  get arn(): string {
    return this.secret.arn;
  }
}
