/**
 * The base of every layer stack: the AWS provider of the environment (region, allowed accounts,
 * optional assume-role, default tags), the state backend (S3 with lockfile; local for 00-bootstrap),
 * typed reads of other layers' outputs through `terraform_remote_state`, and typed publishing of
 * this layer's outputs contract (see ./contract.ts).
 */
import { Construct, Node } from "constructs";
import {
  DataTerraformRemoteStateS3,
  TerraformElement,
  Fn,
  LocalBackend,
  S3Backend,
  TerraformOutput,
  TerraformResource,
  TerraformStack,
  Token,
  propertyAccess,
  type S3BackendConfig,
} from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Settings } from "../settings";
import {
  LAYER_OUTPUTS,
  LAYER_READS,
  layerShortName,
  stackId,
  stateKey,
  type LayerId,
  type OutputsOf,
  type OutputsOfKind,
} from "./contract";

export interface LayerStackProps {
  /** The validated settings of the environment. */
  readonly settings: Settings;
}

/** Terraform versions the generated JSON works with. */
export const TERRAFORM_REQUIRED_VERSION = ">= 1.11.0";

/** The tag every resource carries to say who manages it. */
export const MANAGED_BY = "lgtm-fargate (cdktf)";

export abstract class LayerStack<L extends LayerId = LayerId> extends TerraformStack {
  readonly settings: Settings;
  private readonly published = new Set<string>();
  private readonly remotes = new Map<LayerId, DataTerraformRemoteStateS3>();

  protected constructor(scope: Construct, readonly layer: L, props: LayerStackProps) {
    super(scope, stackId(props.settings.env, layer));
    this.settings = props.settings;
    const s = props.settings;

    new AwsProvider(this, "aws", {
      region: s.aws.region,
      allowedAccountIds: [...s.aws.allowed_account_ids],
      assumeRole: s.aws.assume_role_arn ? [{ roleArn: s.aws.assume_role_arn, sessionName: `${s.project}-${s.env}-${layer}` }] : undefined,
      defaultTags: [
        {
          tags: {
            ...s.tags,
            Project: s.project,
            Environment: s.env,
            Layer: layer,
            ManagedBy: MANAGED_BY,
          },
        },
      ],
    });

    // S3-native state locking needs 1.10; the write-only secret argument (40-iam) needs 1.11.
    this.addOverride("terraform.required_version", TERRAFORM_REQUIRED_VERSION);

    if (layer === "00-bootstrap") {
      // The state bucket cannot hold the state that creates it. The local state file lives next to
      // the output folder (the project root for cdktf.out/stacks/<stack>/), never inside it: synth
      // rewrites that folder. Relative, so the JSON is the same on every machine. docs/deploying.md, "One-time bootstrap".
      new LocalBackend(this, { path: `../../../terraform.${stackId(s.env, layer)}.tfstate` });
    } else {
      const backend = new S3Backend(this, s3BackendConfig(s, layer));
      // S3-native locking (Terraform >= 1.10): a lock object next to the state, no DynamoDB table.
      backend.addOverride("use_lockfile", true);
    }

    this.node.addValidation({
      validate: () => {
        const missing = Object.keys(LAYER_OUTPUTS[layer]).filter((o) => !this.published.has(o));
        return missing.map((o) => `layer ${layer} must publish output "${o}" (stacks/contract.ts)`);
      },
    });
  }

  private readonly logicalIds = new Map<string, string>();

  /**
   * Readable Terraform addresses: the construct path below the stack joined with "_"
   * (`aws_s3_bucket.state_bucket`, not cdktf's `state_bucket_803B4E61`), so a plan reads as the
   * code does. Two paths that would give the same address fail synth instead of colliding.
   */
  protected override allocateLogicalId(element: TerraformElement | Node): string {
    const node = element instanceof Node ? element : element.node;
    const scopes = node.scopes;
    const parts = scopes.slice(scopes.indexOf(this) + 1).map((c) => c.node.id);
    const id = parts.join("_").replace(/[^A-Za-z0-9_-]/g, "_");
    const path = node.path;
    const previous = this.logicalIds.get(id);
    if (previous !== undefined && previous !== path) {
      throw new Error(`${path} and ${previous} would both be named "${id}" in Terraform; rename one construct`);
    }
    this.logicalIds.set(id, path);
    return id;
  }

  /** Publishes one output of this layer's contract. */
  protected publish(name: OutputsOf<L>, value: unknown): void {
    const spec = (LAYER_OUTPUTS[this.layer] as Record<string, { description: string }>)[name];
    if (!spec) throw new Error(`output "${name}" is not in the ${this.layer} contract (stacks/contract.ts)`);
    this.published.add(name);
    new TerraformOutput(this, name, { value, description: spec.description });
  }

  /**
   * cdktf's prepareStack resolves every value of the stack once more in "preparing" mode, only to
   * wire references to another stack's resources through outputs and remote state. Layers never
   * make such references (they read published outputs, stacks/contract.ts), so the pass is skipped;
   * stacks/references.ts fails synth on any reference that names a resource the stack lacks.
   */
  override prepareStack(): void {
    this.ensureBackendExists();
  }

  /**
   * Adopts an existing object: an `import` block for `resource` with the object's id
   * (docs/migration.md). Same JSON as cdktf's `importFrom`, without the check `importFrom` adds to
   * each resource, which runs `terraform version` in a subprocess at synth (once per import: 0.9 s of
   * prod's synth, and synth failed on a machine without terraform). The stack's `required_version`
   * (TERRAFORM_REQUIRED_VERSION, newer than the 1.5 import blocks need) already makes terraform
   * itself refuse an older binary at init, which is where the version matters.
   */
  protected adopt(resource: TerraformResource, id: string): void {
    const node = resource.node;
    Object.defineProperty(node, "addValidation", { value: () => undefined, configurable: true });
    try {
      resource.importFrom(id);
    } finally {
      delete (node as { addValidation?: unknown }).addValidation;
    }
  }

  private remote(layer: LayerId): DataTerraformRemoteStateS3 {
    if (!LAYER_READS[this.layer].includes(layer)) {
      throw new Error(`layer ${this.layer} reads ${layer}, which LAYER_READS in stacks/contract.ts does not list`);
    }
    let remote = this.remotes.get(layer);
    if (!remote) {
      const { bucket, key, region, endpoints, usePathStyle, skipCredentialsValidation, skipRegionValidation, skipRequestingAccountId, skipMetadataApiCheck, skipS3Checksum } =
        s3BackendConfig(this.settings, layer);
      remote = new DataTerraformRemoteStateS3(this, layerShortName(layer), {
        bucket,
        key,
        region,
        endpoints,
        usePathStyle,
        skipCredentialsValidation,
        skipRegionValidation,
        skipRequestingAccountId,
        skipMetadataApiCheck,
        skipS3Checksum,
      });
      this.remotes.set(layer, remote);
    }
    return remote;
  }

  /** A string output of another layer. */
  protected remoteString<L extends LayerId>(layer: L, output: OutputsOfKind<L, "string">): string {
    return this.remote(layer).getString(output);
  }

  /** A list output of another layer. */
  protected remoteList<L extends LayerId>(layer: L, output: OutputsOfKind<L, "list">): string[] {
    return this.remote(layer).getList(output);
  }

  /** One entry of a map output of another layer: `outputs.<output>["<key>"]`. */
  protected remoteMapEntry<L extends LayerId>(layer: L, output: OutputsOfKind<L, "map">, key: string): string {
    return Token.asString(propertyAccess(this.remote(layer).get(output), [key]));
  }

  /** One element of a list output of another layer. */
  protected remoteListElement<L extends LayerId>(layer: L, output: OutputsOfKind<L, "list">, index: number): string {
    return Token.asString(Fn.element(this.remote(layer).getList(output), index));
  }
}

/** Backend settings of a layer; remote-state reads use the same values. */
export function s3BackendConfig(s: Settings, layer: LayerId): S3BackendConfig {
  const b = s.state_backend;
  const custom = b.endpoint !== undefined;
  return {
    bucket: b.bucket,
    key: stateKey(s.env, layer),
    region: b.region ?? s.aws.region,
    encrypt: true,
    ...(custom
      ? {
          endpoints: { s3: b.endpoint },
          // An S3-compatible store has no STS/IAM/EC2 metadata to validate against.
          skipCredentialsValidation: true,
          skipRegionValidation: true,
          skipRequestingAccountId: true,
          skipMetadataApiCheck: true,
          skipS3Checksum: true,
        }
      : {}),
    ...(b.use_path_style ? { usePathStyle: true } : {}),
  };
}
