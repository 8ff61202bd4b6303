/**
 * Container definitions in the form the ECS API returns them.
 *
 * `aws_ecs_task_definition.container_definitions` is one JSON string. After an apply the provider
 * reads the definition back from ECS (DescribeTaskDefinition) and compares it with the configured
 * JSON. Its comparison (`ContainerDefinitionsAreEquivalent` in terraform-provider-aws) reorders
 * containers, environment variables and secrets, defaults `essential` and, under awsvpc, copies
 * `containerPort` into a missing `hostPort`, but nothing else: an empty list is not the same as an
 * absent one, and a default the API fills in (`cpu: 0`, `protocol: "tcp"`, `mountPoints: []`,
 * `volumesFrom: []`, `systemControls: []`) is a change. Any such difference forces a new task
 * definition revision, and with it a redeploy of every task, on every plan
 * (hashicorp/terraform-provider-aws#11526, #38153).
 *
 * So every container definition goes through `normalizeContainerDefinition`, which writes exactly
 * what ECS will return: the API's defaults filled in, lists it always returns present even when
 * empty, environment and secrets sorted by name, no null or undefined values, keys sorted so the
 * serialized JSON is deterministic.
 */

/** One port a container listens on. */
export interface ContainerPort {
  /** Port inside the container (and on the task ENI: awsvpc maps it 1:1). */
  readonly containerPort: number;
  /** Transport protocol. @default "tcp" */
  readonly protocol?: "tcp" | "udp";
}

/** A volume of the task mounted into the container. */
export interface ContainerMountPoint {
  /** Name of a volume declared on the task definition. */
  readonly sourceVolume: string;
  /** Where it appears inside the container. */
  readonly containerPath: string;
  /** Mount read-only. @default false */
  readonly readOnly?: boolean;
}

/** A container this one waits for. */
export interface ContainerDependency {
  /** Name of the other container of the task. */
  readonly containerName: string;
  /** What to wait for: START, COMPLETE, SUCCESS (exit 0) or HEALTHY. */
  readonly condition: "START" | "COMPLETE" | "SUCCESS" | "HEALTHY";
}

/**
 * A container health check ECS runs inside the container. Every field is required: ECS returns the
 * defaults it fills in (interval 30, timeout 5, retries 3), so writing them all keeps config and
 * state identical.
 */
export interface ContainerHealthCheck {
  /** `["CMD", argv...]` (run directly) or `["CMD-SHELL", "command line"]`; exit 0 is healthy. */
  readonly command: readonly string[];
  /** Seconds between checks (ECS: 5-300). */
  readonly intervalSeconds: number;
  /** Seconds one check may take before it counts as failed (ECS: 2-60). */
  readonly timeoutSeconds: number;
  /** Consecutive failures that make the container UNHEALTHY (ECS: 1-10). */
  readonly retries: number;
  /** Seconds after start during which failures do not count; the first success counts at once (ECS: 0-300). */
  readonly startPeriodSeconds: number;
}

/** ECS's bounds of each health-check field. */
export const HEALTH_CHECK_BOUNDS = {
  intervalSeconds: [5, 300],
  timeoutSeconds: [2, 60],
  retries: [1, 10],
  startPeriodSeconds: [0, 300],
} as const satisfies Record<Exclude<keyof ContainerHealthCheck, "command">, readonly [number, number]>;

/** Log routing of the container (the task's awslogs configuration, normally). */
export interface ContainerLogConfiguration {
  /** Log driver, e.g. "awslogs". */
  readonly logDriver: string;
  /** Driver options, e.g. awslogs-group, awslogs-region, awslogs-stream-prefix. */
  readonly options: Readonly<Record<string, string>>;
}

/** A container as this project writes it; see `normalizeContainerDefinition` for the API form. */
export interface ContainerSpec {
  /** Container name, unique in the task. */
  readonly name: string;
  /** Image reference, `repository:tag`. */
  readonly image: string;
  /** The task stops when this container stops. Init containers set false. @default true */
  readonly essential?: boolean;
  /** CPU units reserved for the container inside the task's size. @default 0 (share the task's) */
  readonly cpu?: number;
  /** Hard memory limit in MiB inside the task's size. @default none (the task's memory) */
  readonly memory?: number;
  /** Soft memory reservation in MiB. @default none */
  readonly memoryReservation?: number;
  /** Overrides the image's ENTRYPOINT. @default the image's */
  readonly entryPoint?: readonly string[];
  /** Overrides the image's CMD (e.g. `-config.file=...`). @default the image's */
  readonly command?: readonly string[];
  /** Plain environment variables by name (never secrets). @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Environment variables read from Secrets Manager or SSM at start: name → ARN. @default none */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Ports the container listens on. @default none */
  readonly portMappings?: readonly ContainerPort[];
  /** Task volumes mounted into the container. @default none */
  readonly mountPoints?: readonly ContainerMountPoint[];
  /** Containers to wait for before starting. @default none */
  readonly dependsOn?: readonly ContainerDependency[];
  /** Run an init process (tini) as PID 1 that forwards signals and reaps zombies. @default false */
  readonly initProcessEnabled?: boolean;
  /** Linux capabilities removed from the container's default set ("ALL" for every one). @default none */
  readonly dropCapabilities?: readonly string[];
  /** Seconds between SIGTERM and SIGKILL on stop (Fargate maximum 120). @default ECS's 30 */
  readonly stopTimeout?: number;
  /** Log routing. @default none */
  readonly logConfiguration?: ContainerLogConfiguration;
  /** Docker labels, e.g. a config content hash a plan reviewer can see change. @default none */
  readonly dockerLabels?: Readonly<Record<string, string>>;
  /** Working directory inside the container. @default the image's */
  readonly workingDirectory?: string;
  /** User (uid[:gid]) the process runs as. @default the image's */
  readonly user?: string;
  /** Mount the root filesystem read-only. @default false (the API omits it) */
  readonly readonlyRootFilesystem?: boolean;
  /** Health check ECS runs in the container; on an essential container it decides the task's health. @default none */
  readonly healthCheck?: ContainerHealthCheck;
}

type Json = string | number | boolean | Json[] | { [k: string]: Json };

/**
 * The container definition exactly as DescribeTaskDefinition returns it for `spec`, so that a plan
 * after an apply is empty. Pure and deterministic: the same spec always gives the same object, and
 * `JSON.stringify` of it the same string.
 */
export function normalizeContainerDefinition(spec: ContainerSpec): Record<string, Json> {
  const duplicates = (names: readonly string[]) => names.filter((n, i) => names.indexOf(n) !== i);
  const envNames = Object.keys(spec.environment ?? {});
  const secretNames = Object.keys(spec.secrets ?? {});
  const both = envNames.filter((n) => secretNames.includes(n));
  if (both.length > 0) {
    throw new Error(`container "${spec.name}": ${both.join(", ")} is both a plain environment variable and a secret; keep one`);
  }
  const ports = (spec.portMappings ?? []).map((p) => `${p.containerPort}/${p.protocol ?? "tcp"}`);
  if (duplicates(ports).length > 0) {
    throw new Error(`container "${spec.name}": port mapping ${duplicates(ports).join(", ")} is listed twice`);
  }
  if (spec.stopTimeout !== undefined && (spec.stopTimeout < 0 || spec.stopTimeout > 120)) {
    throw new Error(`container "${spec.name}": stopTimeout ${spec.stopTimeout} is outside Fargate's 0-120 seconds`);
  }

  const hc = spec.healthCheck;
  if (hc) {
    if (hc.command.length < 2 || (hc.command[0] !== "CMD" && hc.command[0] !== "CMD-SHELL")) {
      throw new Error(`container "${spec.name}": health check command must start with "CMD" or "CMD-SHELL" and name a command, got ${JSON.stringify(hc.command)}`);
    }
    for (const [field, [min, max]] of Object.entries(HEALTH_CHECK_BOUNDS)) {
      const v = hc[field as keyof typeof HEALTH_CHECK_BOUNDS];
      if (!Number.isInteger(v) || v < min || v > max) throw new Error(`container "${spec.name}": health check ${field} ${v} is outside ECS's ${min}-${max}`);
    }
    if (hc.timeoutSeconds >= hc.intervalSeconds) throw new Error(`container "${spec.name}": health check timeout ${hc.timeoutSeconds}s must be shorter than its interval ${hc.intervalSeconds}s`);
  }

  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const def: Record<string, Json | undefined> = {
    name: spec.name,
    image: spec.image,
    // The API fills these in when they are absent; writing them keeps config and state identical.
    cpu: spec.cpu ?? 0,
    essential: spec.essential ?? true,
    environment: envNames.sort(byName).map((name) => ({ name, value: spec.environment![name] })),
    mountPoints: (spec.mountPoints ?? []).map((m) => ({
      containerPath: m.containerPath,
      readOnly: m.readOnly ?? false,
      sourceVolume: m.sourceVolume,
    })),
    // Under awsvpc the host port always equals the container port; the API returns both, plus the
    // protocol it defaulted.
    portMappings: (spec.portMappings ?? []).map((p) => ({
      containerPort: p.containerPort,
      hostPort: p.containerPort,
      protocol: p.protocol ?? "tcp",
    })),
    systemControls: [],
    volumesFrom: [],
    // Returned only when set; an empty list here would itself be a diff.
    secrets: secretNames.length > 0 ? secretNames.sort(byName).map((name) => ({ name, valueFrom: spec.secrets![name] })) : undefined,
    memory: spec.memory,
    memoryReservation: spec.memoryReservation,
    entryPoint: spec.entryPoint && spec.entryPoint.length > 0 ? [...spec.entryPoint] : undefined,
    command: spec.command && spec.command.length > 0 ? [...spec.command] : undefined,
    dependsOn:
      spec.dependsOn && spec.dependsOn.length > 0
        ? spec.dependsOn.map((d) => ({ condition: d.condition, containerName: d.containerName }))
        : undefined,
    linuxParameters:
      spec.initProcessEnabled || (spec.dropCapabilities && spec.dropCapabilities.length > 0)
        ? {
            ...(spec.dropCapabilities && spec.dropCapabilities.length > 0 ? { capabilities: { drop: [...spec.dropCapabilities] } } : {}),
            ...(spec.initProcessEnabled ? { initProcessEnabled: true } : {}),
          }
        : undefined,
    stopTimeout: spec.stopTimeout,
    logConfiguration: spec.logConfiguration
      ? { logDriver: spec.logConfiguration.logDriver, options: { ...spec.logConfiguration.options } }
      : undefined,
    dockerLabels: spec.dockerLabels && Object.keys(spec.dockerLabels).length > 0 ? { ...spec.dockerLabels } : undefined,
    workingDirectory: spec.workingDirectory,
    user: spec.user,
    readonlyRootFilesystem: spec.readonlyRootFilesystem ? true : undefined,
    healthCheck: hc
      ? { command: [...hc.command], interval: hc.intervalSeconds, retries: hc.retries, startPeriod: hc.startPeriodSeconds, timeout: hc.timeoutSeconds }
      : undefined,
  };
  return sortKeys(dropUndefined(def)) as Record<string, Json>;
}

/**
 * The `container_definitions` string of a task: normalized containers, serialized with
 * `JSON.stringify` (deterministic, since keys are sorted and arrays keep their order).
 */
export function containerDefinitionsJson(containers: readonly ContainerSpec[]): string {
  const names = containers.map((c) => c.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`two containers of one task are both named "${dup}"`);
  if (!containers.some((c) => c.essential ?? true)) throw new Error(`a task needs at least one essential container (${names.join(", ")})`);
  return JSON.stringify(containers.map(normalizeContainerDefinition));
}

function dropUndefined(o: Record<string, Json | undefined>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

/** Object keys sorted recursively; array order is meaningful and kept. */
function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
}
