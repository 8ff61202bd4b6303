/**
 * One environment = seven layer stacks, `<env>-<layer>`.
 *
 * The stacks declare no cdktf stack dependencies (`addDependency`): a layer reads the layers before it
 * through `terraform_remote_state` from S3 (stacks/contract.ts LAYER_READS), never through cdktf
 * cross-stack references, so it needs their applied state, not a redeploy of them. A declared
 * dependency would make `cdktf deploy <env>-10-network` refuse to run without its dependencies
 * (`--ignore-missing-stack-dependencies`). The cdktf CLI runs the stacks of one `deploy` in the
 * manifest's order, which is the layer order (the manifest's keys are sorted, and the layer ids
 * sort in layer order): `cdktf deploy '<env>-*' --parallelism 1` applies them one after another,
 * stopping at the first failure (docs/deploying-with-cdktf.md).
 */
import type { Construct } from "constructs";
import type { TerraformStack } from "cdktf";
import type { Settings } from "../settings";
import type { LayerId } from "./contract";
import { BootstrapStack } from "./00-bootstrap";
import { NetworkStack } from "./10-network";
import { SecurityStack } from "./20-security";
import { StorageStack } from "./30-storage";
import { IamStack } from "./40-iam";
import { LoadBalancerStack } from "./50-loadbalancer";
import { EcsStack } from "./60-ecs";

export type EnvironmentStacks = Record<LayerId, TerraformStack>;

export function buildEnvironment(scope: Construct, settings: Settings): EnvironmentStacks {
  const props = { settings };
  const stacks: EnvironmentStacks = {
    "00-bootstrap": new BootstrapStack(scope, props),
    "10-network": new NetworkStack(scope, props),
    "20-security": new SecurityStack(scope, props),
    "30-storage": new StorageStack(scope, props),
    "40-iam": new IamStack(scope, props),
    "50-loadbalancer": new LoadBalancerStack(scope, props),
    "60-ecs": new EcsStack(scope, props),
  };
  return stacks;
}
