/**
 * EfsFileSystem: an encrypted EFS file system that one application reaches through one access point,
 * over TLS, from the subnets it runs in.
 *
 * Owns (modelled on aws-cdk's `efs.FileSystem` + `efs.AccessPoint` and terraform-aws-modules/efs):
 * - the file system: encrypted at rest, General Purpose, elastic throughput (pay for what is read and
 *   written; a small database never runs out of burst credits), optionally `prevent_destroy`;
 * - its backup policy (AWS Backup's daily EFS backups) when `backups` is on;
 * - a file-system policy that refuses every request not made over TLS (with a policy in place, a
 *   client also needs an IAM grant to mount: the caller gives its task role one, scoped to the access
 *   point);
 * - one access point: every file operation runs as the given POSIX user, under the given root
 *   directory, created with the given owner and mode on first use (so the application, not root,
 *   owns its files, and it never sees the rest of the file system);
 * - one mount target per subnet, keyed by AZ name so adding an AZ never moves another's address,
 *   guarded by the given security groups.
 * Clients mount it with an ECS `efsVolumeConfiguration` (transit encryption and IAM authorization on,
 * through the access point): see `EfsFileSystem.volume`.
 */
import { Construct } from "constructs";
import { Fn, type TerraformResourceLifecycle } from "cdktf";
import { EfsAccessPoint } from "@cdktf/provider-aws/lib/efs-access-point";
import { EfsBackupPolicy } from "@cdktf/provider-aws/lib/efs-backup-policy";
import { EfsFileSystem as AwsEfsFileSystem } from "@cdktf/provider-aws/lib/efs-file-system";
import { EfsFileSystemPolicy } from "@cdktf/provider-aws/lib/efs-file-system-policy";
import { EfsMountTarget } from "@cdktf/provider-aws/lib/efs-mount-target";
import type { EcsTaskDefinitionVolume } from "@cdktf/provider-aws/lib/ecs-task-definition";

/** NFS, the only protocol EFS mount targets speak (TCP). */
export const EFS_NFS_PORT = 2049;

/** The access point's POSIX identity and root directory. */
export interface EfsAccessPointProps {
  /** Root directory clients see as "/", e.g. "/grafana". */
  readonly path: string;
  /** User id every file operation runs as (and owner of the root directory). */
  readonly uid: number;
  /** Group id every file operation runs as (and group of the root directory). */
  readonly gid: number;
  /** Mode of the root directory when EFS creates it, e.g. "0750". */
  readonly permissions: string;
}

export interface EfsFileSystemProps {
  /** Name tag and creation token (unique in the account and region). */
  readonly name: string;
  /** Subnets to place a mount target in, by AZ name (one per AZ). */
  readonly subnetIdsByAz: Readonly<Record<string, string>>;
  /** Security groups of the mount targets (NFS from the clients only). */
  readonly securityGroupIds: readonly string[];
  /** The one access point clients use. */
  readonly accessPoint: EfsAccessPointProps;
  /** Refuse any plan that would destroy the file system (Terraform `prevent_destroy`). @default false */
  readonly preventDestroy?: boolean;
  /** Daily AWS Backup backups of the file system. @default true */
  readonly backups?: boolean;
  /** "elastic" or "bursting" throughput. @default "elastic" */
  readonly throughputMode?: "elastic" | "bursting";
}

export class EfsFileSystem extends Construct {
  readonly fileSystem: AwsEfsFileSystem;
  readonly accessPoint: EfsAccessPoint;
  readonly mountTargets: EfsMountTarget[] = [];

  constructor(scope: Construct, id: string, props: EfsFileSystemProps) {
    super(scope, id);
    const ap = props.accessPoint;
    if (!/^\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(ap.path)) {
      throw new Error(`EFS access point path "${ap.path}" must be an absolute directory path below "/" (the root itself would expose the whole file system)`);
    }
    if (!/^0?[0-7]{3}$/.test(ap.permissions)) throw new Error(`EFS access point permissions "${ap.permissions}" must be an octal mode such as "0750"`);
    const azs = Object.keys(props.subnetIdsByAz);
    if (azs.length === 0) throw new Error(`EFS file system ${props.name}: at least one subnet is needed for a mount target`);
    if (props.securityGroupIds.length === 0) throw new Error(`EFS file system ${props.name}: mount targets need a security group (AWS would attach the VPC's default)`);

    const lifecycle: TerraformResourceLifecycle | undefined = props.preventDestroy ? { preventDestroy: true } : undefined;
    this.fileSystem = new AwsEfsFileSystem(this, "file_system", {
      creationToken: props.name,
      encrypted: true,
      performanceMode: "generalPurpose",
      throughputMode: props.throughputMode ?? "elastic",
      tags: { Name: props.name },
      lifecycle,
    });

    new EfsBackupPolicy(this, "backup_policy", {
      fileSystemId: this.fileSystem.id,
      backupPolicy: { status: (props.backups ?? true) ? "ENABLED" : "DISABLED" },
    });

    new EfsFileSystemPolicy(this, "policy", {
      fileSystemId: this.fileSystem.id,
      policy: Fn.jsonencode({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: { AWS: "*" },
            Action: "*",
            Resource: this.fileSystem.arn,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
    });

    this.accessPoint = new EfsAccessPoint(this, "access_point", {
      fileSystemId: this.fileSystem.id,
      posixUser: { uid: ap.uid, gid: ap.gid },
      rootDirectory: {
        path: ap.path,
        creationInfo: { ownerUid: ap.uid, ownerGid: ap.gid, permissions: ap.permissions },
      },
      tags: { Name: `${props.name}:${ap.path}` },
    });

    for (const az of [...azs].sort()) {
      this.mountTargets.push(
        new EfsMountTarget(this, `mount_target_${az.replace(/[^A-Za-z0-9]/g, "-")}`, {
          fileSystemId: this.fileSystem.id,
          subnetId: props.subnetIdsByAz[az],
          securityGroups: [...props.securityGroupIds],
        }),
      );
    }
  }

  /**
   * The task-definition volume that mounts this file system through its access point, with TLS and
   * the task role's IAM identity. The ids can come from another layer's outputs.
   */
  static volume(name: string, fileSystemId: string, accessPointId: string): EcsTaskDefinitionVolume {
    return {
      name,
      efsVolumeConfiguration: {
        fileSystemId,
        // With an access point the root is the access point's directory; ECS requires "/" (or none).
        rootDirectory: "/",
        transitEncryption: "ENABLED",
        authorizationConfig: { accessPointId, iam: "ENABLED" },
      },
    };
  }
}
