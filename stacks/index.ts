/**
 * One environment = seven layer stacks, `<env>-<layer>`. Each stack depends on the layers it reads
 * (stacks/contract.ts LAYER_READS), so `cdktf deploy '<env>-*'` applies them in layer order.
 */
import type { Construct } from "constructs";
import type { TerraformStack } from "cdktf";
import type { Settings } from "../settings";
import { LAYER_READS, type LayerId } from "./contract";
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
  for (const [layer, reads] of Object.entries(LAYER_READS) as [LayerId, readonly LayerId[]][]) {
    // Every layer's state lives in the bucket 00-bootstrap creates.
    const needs = layer === "00-bootstrap" ? reads : ["00-bootstrap" as const, ...reads];
    for (const dep of needs) stacks[layer].addDependency(stacks[dep]);
  }
  return stacks;
}
