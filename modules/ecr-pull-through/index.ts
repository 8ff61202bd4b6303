/**
 * EcrPullThroughCache: the account's ECR as a cache of upstream registries, so tasks pull from ECR
 * (through the ECR interface endpoints, never Docker Hub's anonymous rate limits through NAT) and
 * every cached image is scanned on push.
 *
 * Owns one pull-through cache rule per upstream registry (repository prefix → registry URL, with a
 * Secrets Manager credential where the registry needs one; AWS requires that secret's name to start
 * with "ecr-pullthroughcache/") and the registry's scanning configuration: basic scan on push for the
 * cached prefixes, and one repository creation template per prefix (applied for
 * PULL_THROUGH_CACHE): the repositories ECR creates on the first pull (the task execution role may
 * `ecr:CreateRepository` and `ecr:BatchImportUpstreamImage` under these prefixes only, see
 * ../task-roles) are created from it, so each is IMMUTABLE (a cached tag can never be replaced under
 * a running service: a re-pushed upstream tag fails to sync instead of changing what runs), AES256
 * encrypted and under the same keep-last-N lifecycle policy as the project's own repositories.
 * Without a template ECR would create them MUTABLE, with no lifecycle policy. ECR applies a template
 * with its service-linked role; no custom role is needed for these settings.
 * Modelled on terraform-aws-modules/ecr//modules/repository-registry (`registry_pull_through_cache_rules`,
 * `registry_scan_rules`).
 *
 * The scanning configuration is one per registry (account and region): applying it replaces any
 * registry scanning rules configured elsewhere in the account.
 */
import { Construct } from "constructs";
import { EcrPullThroughCacheRule } from "@cdktf/provider-aws/lib/ecr-pull-through-cache-rule";
import { EcrRegistryScanningConfiguration } from "@cdktf/provider-aws/lib/ecr-registry-scanning-configuration";
import { EcrRepositoryCreationTemplate } from "@cdktf/provider-aws/lib/ecr-repository-creation-template";
import { keepLastImagesPolicy } from "../ecr-repositories";

export interface PullThroughRule {
  /** Repository prefix in the account's ECR, e.g. "docker-hub". */
  readonly prefix: string;
  /** Upstream registry URL, e.g. "registry-1.docker.io". */
  readonly upstreamRegistryUrl: string;
  /** Secrets Manager secret ARN with the upstream credentials. @default none (anonymous, e.g. ECR Public) */
  readonly credentialArn?: string;
}

export interface EcrPullThroughCacheProps {
  /** Rules by construct id (`{ docker_hub: {...} }`). */
  readonly rules: Readonly<Record<string, PullThroughRule>>;
  /** Scan cached images on push. @default true */
  readonly scanOnPush?: boolean;
  /** Images kept per cached repository by the creation template's lifecycle policy. */
  readonly keepLastImages: number;
  /** Tag mutability of the cached repositories. @default "IMMUTABLE" */
  readonly imageTagMutability?: "IMMUTABLE" | "MUTABLE";
}

export class EcrPullThroughCache extends Construct {
  readonly rules: Record<string, EcrPullThroughCacheRule> = {};
  readonly templates: Record<string, EcrRepositoryCreationTemplate> = {};

  constructor(scope: Construct, id: string, props: EcrPullThroughCacheProps) {
    super(scope, id);
    for (const [key, rule] of Object.entries(props.rules)) {
      this.rules[key] = new EcrPullThroughCacheRule(this, key, {
        ecrRepositoryPrefix: rule.prefix,
        upstreamRegistryUrl: rule.upstreamRegistryUrl,
        credentialArn: rule.credentialArn,
      });
      this.templates[key] = new EcrRepositoryCreationTemplate(this, `${key}_template`, {
        prefix: rule.prefix,
        appliedFor: ["PULL_THROUGH_CACHE"],
        description: `Repositories the pull-through cache creates under ${rule.prefix}/ (${rule.upstreamRegistryUrl})`,
        imageTagMutability: props.imageTagMutability ?? "IMMUTABLE",
        lifecyclePolicy: keepLastImagesPolicy(props.keepLastImages),
        encryptionConfiguration: [{ encryptionType: "AES256" }],
      });
    }
    if (props.scanOnPush ?? true) {
      new EcrRegistryScanningConfiguration(this, "scanning", {
        scanType: "BASIC",
        rule: [
          {
            scanFrequency: "SCAN_ON_PUSH",
            repositoryFilter: Object.values(props.rules).map((r) => ({ filter: `${r.prefix}/*`, filterType: "WILDCARD" })),
          },
        ],
      });
    }
  }
}
