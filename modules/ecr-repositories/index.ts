/**
 * EcrRepositories: one private ECR repository per image, each with scan on push, AES256 encryption,
 * a tag-mutability setting and a lifecycle policy that keeps only the most recent images.
 *
 * Owns the repositories and their lifecycle policies, and exposes their URLs and ARNs keyed the way
 * the caller keyed them (by service). Who may pull is not decided here: the task execution role
 * (../task-roles) is granted pull on exactly these ARNs.
 *
 * Modelled on terraform-aws-modules/ecr (`repository_image_scan_on_push`,
 * `repository_lifecycle_policy`) and aws-cdk's `ecr.Repository` (`lifecycleRules`, `maxImageCount`).
 */
import { Construct } from "constructs";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";

export interface EcrRepositoriesProps {
  /** Repository name by key, e.g. `{ mimir: "lgtm-mimir" }`; keys become construct ids and map keys. */
  readonly repositories: Readonly<Record<string, string>>;
  /** Number of most recent images kept; older ones are expired by the lifecycle policy. */
  readonly keepLastImages: number;
  /** Scan every pushed image for known vulnerabilities. @default true */
  readonly scanOnPush?: boolean;
  /** "IMMUTABLE": a tag always names the same image, so a redeploy can never change what runs. @default "IMMUTABLE" */
  readonly imageTagMutability?: "IMMUTABLE" | "MUTABLE";
  /** Allow `terraform destroy` to delete repositories that still hold images. @default false */
  readonly forceDelete?: boolean;
}

/** The lifecycle policy document: expire everything beyond the `count` most recently pushed images. */
export function keepLastImagesPolicy(count: number): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `Keep the last ${count} images`,
        // "any": tagged and untagged alike, so untagged layers of superseded pushes do not pile up.
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: count },
        action: { type: "expire" },
      },
    ],
  });
}

export class EcrRepositories extends Construct {
  /** The repositories, by the caller's key. */
  readonly repositories: Readonly<Record<string, EcrRepository>>;

  constructor(scope: Construct, id: string, props: EcrRepositoriesProps) {
    super(scope, id);
    if (!Number.isInteger(props.keepLastImages) || props.keepLastImages < 1) {
      throw new Error(`an ECR lifecycle policy must keep at least 1 image, got ${props.keepLastImages}`);
    }
    const repositories: Record<string, EcrRepository> = {};
    for (const [key, name] of Object.entries(props.repositories)) {
      const repository = new EcrRepository(this, key, {
        name,
        imageTagMutability: props.imageTagMutability ?? "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: props.scanOnPush ?? true },
        // Explicit, so the plan shows it; KMS would add a key and its policy for no gain here.
        encryptionConfiguration: [{ encryptionType: "AES256" }],
        forceDelete: props.forceDelete ?? false,
      });
      new EcrLifecyclePolicy(this, `${key}_lifecycle`, {
        repository: repository.name,
        policy: keepLastImagesPolicy(props.keepLastImages),
      });
      repositories[key] = repository;
    }
    this.repositories = repositories;
  }

  /** Repository URL (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`) by key. */
  get urls(): Record<string, string> {
    return mapValues(this.repositories, (r) => r.repositoryUrl);
  }

  /** Repository ARN by key. */
  get arns(): Record<string, string> {
    return mapValues(this.repositories, (r) => r.arn);
  }
}

function mapValues<T, U>(record: Readonly<Record<string, T>>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}
