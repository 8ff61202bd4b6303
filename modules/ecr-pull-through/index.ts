/**
 * EcrPullThroughCache: the account's ECR as a cache of upstream registries, so tasks pull from ECR
 * (through the ECR interface endpoints, never Docker Hub's anonymous rate limits through NAT) and
 * every cached image is scanned on push.
 *
 * Owns one pull-through cache rule per upstream registry (repository prefix → registry URL, with a
 * Secrets Manager credential where the registry needs one; AWS requires that secret's name to start
 * with "ecr-pullthroughcache/") and the registry's scanning configuration: basic scan on push for the
 * cached prefixes. The cached repositories themselves are created by ECR on the first pull (the task
 * execution role may `ecr:CreateRepository` and `ecr:BatchImportUpstreamImage` under these prefixes
 * only, see ../task-roles).
 * Modelled on terraform-aws-modules/ecr//modules/repository-registry (`registry_pull_through_cache_rules`,
 * `registry_scan_rules`).
 *
 * The scanning configuration is one per registry (account and region): applying it replaces any
 * registry scanning rules configured elsewhere in the account.
 */
import { Construct } from "constructs";
import { EcrPullThroughCacheRule } from "@cdktf/provider-aws/lib/ecr-pull-through-cache-rule";
import { EcrRegistryScanningConfiguration } from "@cdktf/provider-aws/lib/ecr-registry-scanning-configuration";

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
}

export class EcrPullThroughCache extends Construct {
  readonly rules: Record<string, EcrPullThroughCacheRule> = {};

  constructor(scope: Construct, id: string, props: EcrPullThroughCacheProps) {
    super(scope, id);
    for (const [key, rule] of Object.entries(props.rules)) {
      this.rules[key] = new EcrPullThroughCacheRule(this, key, {
        ecrRepositoryPrefix: rule.prefix,
        upstreamRegistryUrl: rule.upstreamRegistryUrl,
        credentialArn: rule.credentialArn,
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
