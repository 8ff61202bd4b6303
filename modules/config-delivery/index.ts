/**
 * ConfigDelivery: gets a service's rendered config files into its running task, with stock
 * upstream images and no image rebuild.
 *
 * Owns the pieces of a task definition that carry the files (it creates no resource of its own):
 * - a task-scoped volume (no host path: it lives on the task's ephemeral storage and starts empty
 *   with every task);
 * - two small non-essential init containers, in order:
 *   1. `<init>-owner` (root, every Linux capability dropped but CHOWN, no environment, no config
 *      content): hands the task-scoped volumes to their users: the config volume to the config
 *      writer, the main container's writable volumes to the main container's user. Fargate creates
 *      task volumes owned by root (aws/containers-roadmap#938), and only root can change that;
 *   2. `<init>` (the service's own non-root uid, or `nobody` 65534 for a main container that runs as
 *      root; every capability dropped): writes each file of THIS task only from an environment
 *      variable of its own definition into the config volume, checks it against its SHA-256, and
 *      exits 0. So the container that carries the config content is never root, and the one that is
 *      root runs a fixed two-line script that can do nothing but chown. With
 *      `availabilityZonePlaceholder`, it first reads the task's availability zone from the ECS task
 *      metadata endpoint v4 (`$ECS_CONTAINER_METADATA_URI_V4/task`, field `AvailabilityZone`, which
 *      ECS gives every container of a Fargate task on platform 1.4) and, after each file's hash
 *      check, writes that AZ in place of the placeholder: one task definition for every task, each
 *      task joining its ring with its own zone;
 * - a read-only mount of the volume into the main container, which `dependsOn` the init container
 *   with condition SUCCESS, so it never starts without (or with a half-written) config;
 * - a Docker label with the content hash, so a plan reviewer sees which service's config changed;
 * - the main container's writable paths (its root filesystem is read-only, Security Hub ECS.5): one
 *   task-scoped volume per path, mounted read-write into the main container. Fargate creates them
 *   owned by root, so the init container, which already runs first, mounts them too and `chown`s each
 *   to the user the main container runs as.
 *
 * Because the files travel inside the task definition, a config change is a new task definition
 * revision, rolled out by the ECS service in the same apply as any target-group or health-check
 * change it implies (seed 000 rebuilt images for every config change, and an image and its health
 * check were deployed in different steps). The price is the task definition size limit, checked here.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import type { EcsTaskDefinitionVolume } from "@cdktf/provider-aws/lib/ecs-task-definition";
import type { ContainerDependency, ContainerMountPoint, ContainerSpec } from "../fargate-service";

/** One rendered file. */
export interface DeliveredFile {
  /** Absolute path inside the containers, under `mountPath`. */
  readonly containerPath: string;
  /** File content. */
  readonly content: string;
}

export interface ConfigDeliveryProps {
  /** Service the files belong to (for names and messages). */
  readonly serviceName: string;
  /** The files; at least one. */
  readonly files: readonly DeliveredFile[];
  /** Where the volume is mounted in both containers. */
  readonly mountPath: string;
  /** Image of the init container: any image with a POSIX shell, `printf`, `mkdir`, `sha256sum` and `chown` (and, with `availabilityZonePlaceholder`, `wget`, `sed`, `head`, `timeout`). */
  readonly initImage: string;
  /** Name of the init container (its owner step is `<name>-owner`). @default "config" */
  readonly initContainerName?: string;
  /** Name of the task volume. @default "config" */
  readonly volumeName?: string;
  /**
   * Absolute paths the main container writes; each becomes a task volume named after it
   * (`writableVolumeName`). @default none
   */
  readonly writablePaths?: readonly string[];
  /**
   * A token in the files to replace with the task's availability zone, read by the init container
   * from the ECS task metadata endpoint v4 when the task starts (zone-aware rings). The init image
   * then also needs `wget`, `sed`, `head` and `timeout` (busybox has them all). The files' hash (and the label) is the
   * hash before the replacement, the same for every task of the service.
   * @default none: the files are written as rendered, and the metadata endpoint is not read
   */
  readonly availabilityZonePlaceholder?: string;
  /**
   * `uid[:gid]` the main container runs as; the init container chowns every writable volume to it.
   * @default none: the volumes stay root's (for a main container that runs as root)
   */
  readonly writableOwner?: string;
}

/** The parts of a task definition that deliver the files; spread them into `FargateServiceProps`. */
export interface ConfigDelivery {
  /** The config writer (non-root). */
  readonly initContainer: ContainerSpec;
  /** The root step that only chowns the task volumes; runs before the writer. */
  readonly ownerContainer: ContainerSpec;
  readonly volumes: EcsTaskDefinitionVolume[];
  readonly mountPoints: ContainerMountPoint[];
  readonly containerDependsOn: ContainerDependency[];
  /** `{ "lgtm.config.sha256": <hash of every file> }` for the main container. */
  readonly dockerLabels: Record<string, string>;
  /** The combined hash (also the label's value). */
  readonly sha256: string;
}

/** Docker label of the main container that carries the config hash. */
export const CONFIG_HASH_LABEL = "lgtm.config.sha256";
/** ECS refuses a task definition over 64 KiB; the files must fit with room for everything else. */
export const TASK_DEFINITION_LIMIT_BYTES = 65_536;
/** Share of the limit the delivered files may use: the rest is the containers' other fields. */
const FILES_BUDGET_BYTES = 48 * 1024;

/** Name of the task volume of a writable path: `rw` and the path's segments, e.g. `rw-var-lib-grafana`. */
export function writableVolumeName(containerPath: string): string {
  return `rw${containerPath.replace(/[^A-Za-z0-9]+/g, "-").replace(/-+$/, "")}`;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Attempts (one second apart) to read the task metadata before the init container fails. */
export const TASK_METADATA_ATTEMPTS = 10;

/**
 * Shell lines that set `$az` to the task's availability zone from the ECS task metadata endpoint v4
 * (`GET $ECS_CONTAINER_METADATA_URI_V4/task` → JSON with `"AvailabilityZone": "ap-northeast-2a"`),
 * or exit non-zero with the reason: the main container (which waits for SUCCESS) then never starts
 * in a ring with a wrong or empty zone. busybox: `wget` and `sed`, no JSON parser, so the one string
 * field is cut out with sed and checked to look like an AZ name. `timeout` bounds each request
 * (busybox wget's own `-T` crashed with SIGSEGV in Debian's busybox 1.35, measured).
 */
export function availabilityZoneScript(): string[] {
  return [
    `[ -n "\${ECS_CONTAINER_METADATA_URI_V4:-}" ] || { echo "config: ECS_CONTAINER_METADATA_URI_V4 is not set; the task's availability zone comes from the ECS task metadata endpoint v4 (Fargate platform 1.4 or later)" >&2; exit 1; }`,
    `az=""`,
    `for attempt in ${Array.from({ length: TASK_METADATA_ATTEMPTS }, (_, i) => i + 1).join(" ")}; do`,
    `  az=$(timeout 5 wget -q -O - "$ECS_CONTAINER_METADATA_URI_V4/task" 2>/dev/null | sed -n 's/.*"AvailabilityZone" *: *"\\([a-z0-9-]*\\)".*/\\1/p' | head -n 1) || az=""`,
    `  [ -n "$az" ] && break`,
    `  sleep 1`,
    `done`,
    `case "$az" in`,
    `  [a-z][a-z]-*[0-9][a-z]) echo "config: availability zone $az (ECS task metadata)" ;;`,
    `  *) echo "config: no AvailabilityZone in $ECS_CONTAINER_METADATA_URI_V4/task after ${TASK_METADATA_ATTEMPTS} attempts (got '$az')" >&2; exit 1 ;;`,
    `esac`,
  ];
}

/** The user the config writer runs as when the main container runs as root: nobody. */
export const CONFIG_WRITER_FALLBACK_USER = "65534:65534";
/**
 * Docker's (and Fargate's) default capability set minus CHOWN: what the owner step drops. Fargate can
 * only add SYS_PTRACE, so "drop ALL, add CHOWN" is written as this list.
 */
export const ALL_BUT_CHOWN = ["AUDIT_WRITE", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"] as const;

export function configDelivery(props: ConfigDeliveryProps): ConfigDelivery {
  const { serviceName, files, mountPath } = props;
  const initName = props.initContainerName ?? "config";
  const volumeName = props.volumeName ?? "config";
  if (files.length === 0) throw new Error(`${serviceName}: no config files to deliver`);
  const paths = new Set<string>();
  for (const f of files) {
    const rel = path.posix.relative(mountPath, f.containerPath);
    if (!path.posix.isAbsolute(f.containerPath) || rel === "" || rel.startsWith("..")) {
      throw new Error(`${serviceName}: config file ${f.containerPath} is not inside the config volume ${mountPath}`);
    }
    if (!/^[A-Za-z0-9._/-]+$/.test(f.containerPath)) {
      throw new Error(`${serviceName}: config file path ${f.containerPath} has characters the init script cannot quote safely`);
    }
    if (paths.has(f.containerPath)) throw new Error(`${serviceName}: config file ${f.containerPath} is delivered twice`);
    paths.add(f.containerPath);
  }
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
  if (bytes > FILES_BUDGET_BYTES) {
    throw new Error(
      `${serviceName}: its rendered configs are ${bytes} bytes; they travel in the task definition, which ECS limits to ${TASK_DEFINITION_LIMIT_BYTES} bytes in all (budget for files: ${FILES_BUDGET_BYTES}). Move large, rarely changing content elsewhere`,
    );
  }

  const writable = props.writablePaths ?? [];
  for (const w of writable) {
    if (!/^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/.test(w) || w.split("/").includes("..")) {
      throw new Error(`${serviceName}: writable path ${w} must be an absolute path of letters, digits, ".", "_", "-" and "/"`);
    }
    const rel = path.posix.relative(mountPath, w);
    if (rel === "" || !rel.startsWith("..")) throw new Error(`${serviceName}: writable path ${w} is inside the read-only config volume ${mountPath}`);
  }
  const names = writable.map(writableVolumeName);
  const clash = names.find((n, i) => names.indexOf(n) !== i || n === volumeName);
  if (clash !== undefined) throw new Error(`${serviceName}: two writable paths (or a writable path and the config volume) share the volume name ${clash}`);
  const owner = props.writableOwner;
  if (owner !== undefined && !/^[0-9]+(:[0-9]+)?$/.test(owner)) {
    throw new Error(`${serviceName}: writable owner ${owner} must be a numeric uid or uid:gid (the main container's user)`);
  }

  const placeholder = props.availabilityZonePlaceholder;
  if (placeholder !== undefined && !/^[A-Za-z0-9_]{8,}$/.test(placeholder)) {
    throw new Error(`${serviceName}: the availability-zone placeholder ${placeholder} must be 8 or more letters, digits or "_" (the init script's sed pattern takes it as it is)`);
  }
  const zoned = placeholder === undefined ? [] : files.filter((f) => f.content.includes(placeholder)).map((f) => f.containerPath);
  if (placeholder !== undefined && zoned.length === 0) {
    throw new Error(`${serviceName}: no config file contains the availability-zone placeholder ${placeholder}; drop availabilityZonePlaceholder or render the zone into the files`);
  }
  const sorted = [...files].sort((a, b) => (a.containerPath < b.containerPath ? -1 : 1));
  const combined = sha256(sorted.map((f) => `${f.containerPath}\0${sha256(f.content)}\n`).join(""));
  const environment: Record<string, string> = {};
  const script = ["set -eu", "umask 022"];
  if (placeholder !== undefined) script.push(...availabilityZoneScript());
  sorted.forEach((f, i) => {
    const variable = `LGTM_CONFIG_${i}`;
    environment[variable] = f.content;
    // printf '%s' writes the value byte for byte; sha256sum -c proves the file is the one whose
    // hash the main container's label shows. A failure exits non-zero, and the main container,
    // which waits for SUCCESS, never starts on a bad config.
    script.push(
      `mkdir -p ${path.posix.dirname(f.containerPath)}`,
      `printf '%s' "$${variable}" > ${f.containerPath}`,
      `echo "${sha256(f.content)}  ${f.containerPath}" | sha256sum -c -`,
    );
    // The task's AZ in place of the token, after the check: the label's hash is the rendered file's.
    if (zoned.includes(f.containerPath)) script.push(`sed -i "s/${placeholder}/$az/g" ${f.containerPath}`);
  });

  // The owner step: the config volume to the writer; the main container (running as `owner` with a
  // read-only root filesystem) gets the volumes it writes.
  const writer = owner ?? CONFIG_WRITER_FALLBACK_USER;
  const ownerScript = ["set -eu", `chown ${writer} ${mountPath}`, ...(owner !== undefined ? writable.map((w) => `chown ${owner} ${w}`) : [])];
  const writableMounts = writable.map((w) => ({ sourceVolume: writableVolumeName(w), containerPath: w, readOnly: false }));
  const ownerName = `${initName}-owner`;

  return {
    ownerContainer: {
      name: ownerName,
      image: props.initImage,
      essential: false,
      entryPoint: ["sh", "-c"],
      command: [ownerScript.join("\n")],
      mountPoints: [{ sourceVolume: volumeName, containerPath: mountPath, readOnly: false }, ...(owner !== undefined ? writableMounts : [])],
      // Root (ECS.20, waived in policy/code-waivers.ts for this step only), but with CHOWN alone of
      // root's capabilities, no environment and a read-only root filesystem (ECS.5).
      dropCapabilities: [...ALL_BUT_CHOWN],
      readonlyRootFilesystem: true,
    },
    initContainer: {
      name: initName,
      image: props.initImage,
      // It exits after writing: the task must not stop with it.
      essential: false,
      entryPoint: ["sh", "-c"],
      command: [script.join("\n")],
      environment,
      mountPoints: [{ sourceVolume: volumeName, containerPath: mountPath, readOnly: false }],
      dependsOn: [{ containerName: ownerName, condition: "SUCCESS" }],
      // The service's own uid: a config volume it owns, nothing else writable (ECS.5, ECS.20).
      user: writer,
      dropCapabilities: ["ALL"],
      readonlyRootFilesystem: true,
    },
    volumes: [{ name: volumeName }, ...writable.map((w) => ({ name: writableVolumeName(w) }))],
    mountPoints: [{ sourceVolume: volumeName, containerPath: mountPath, readOnly: true }, ...writableMounts],
    containerDependsOn: [{ containerName: initName, condition: "SUCCESS" }],
    dockerLabels: { [CONFIG_HASH_LABEL]: combined },
    sha256: combined,
  };
}
