/**
 * ReadinessProbe: a task's readiness, as ECS sees it, for components whose image cannot run a
 * health check itself.
 *
 * Owns one container definition (it creates no resource): a small essential sidecar that shares the
 * task's network namespace (awsvpc: one ENI, one loopback for every container of the task) and
 * carries the task's ECS container health check, which fetches the component's readiness path
 * (`http://127.0.0.1:<port><path>`) with busybox's `wget`. wget exits 0 only on a 2xx answer, so
 * the container is HEALTHY only while the component says it is ready.
 *
 * Why a sidecar: Mimir, Loki, Tempo and Pyroscope ship distroless images (no shell, no wget, no
 * curl), so a health check command cannot run in their own container, and as ring members behind no
 * target group they have no ALB health check either. Without any health check ECS counts a task as
 * healthy once it is RUNNING (after 40 s at most), whether or not it has joined its ring or can
 * serve, so a rolling deploy would stop the next ring member while the new one is still replaying or
 * joining, and a task that never becomes ready is neither replaced nor seen by the deployment
 * circuit breaker. ECS derives a task's health from its essential containers' health checks: with
 * this sidecar essential and the main container without a check, the task is HEALTHY exactly when
 * the component is ready, a deployment waits for it (minimumHealthyPercent counts HEALTHY tasks),
 * and ECS passes that health on to Cloud Map (the service's healthCheckCustomConfig).
 *
 * The sidecar runs busybox's `sleep` under ECS's init process (tini as PID 1 forwards SIGTERM, and
 * sleep dies of it at once), so it never holds up the task's stop or the main container's flush; its
 * stop timeout is short in any case. It runs as `nobody` with a read-only root filesystem, no
 * ports, no volumes, no environment, and a hard memory limit.
 */
import type { ContainerHealthCheck, ContainerSpec } from "../fargate-service/container-definition";

export interface ReadinessProbeProps {
  /** An image with busybox's `sleep` and `wget` at the PATH (the config init image: busybox). */
  readonly image: string;
  /** Port of the component's HTTP server on the task's loopback. */
  readonly port: number;
  /** The component's readiness path, e.g. "/ready" or "/pyroscope/ready" (settings/catalog.ts healthCheckPath). */
  readonly path: string;
  /** Container name. @default "ready" */
  readonly name?: string;
  /** Seconds between probes. @default READINESS_TIMING.intervalSeconds */
  readonly intervalSeconds?: number;
  /** Seconds one probe may take. @default READINESS_TIMING.timeoutSeconds */
  readonly timeoutSeconds?: number;
  /** Failed probes in a row that make the task UNHEALTHY. @default READINESS_TIMING.retries */
  readonly retries?: number;
  /** Seconds after start in which failed probes do not count. @default READINESS_TIMING.startPeriodSeconds */
  readonly startPeriodSeconds?: number;
}

/**
 * The probe's timing. Mimir and Loki (monolithic, fresh disk) answered /ready about 20 s after start
 * on the test machine; an ingester replaying a WAL, or a store-gateway's first sync of a large
 * bucket, takes longer. A ready task is marked HEALTHY at its first successful probe, so the start
 * period costs nothing when the component is quick: it is ECS's maximum (300 s), the longest a slow
 * start is given before failed probes count. A task not ready by then is UNHEALTHY after
 * `retries` more probes (at most 300 + 3 × 10 s), replaced, and counted by the circuit breaker.
 */
export const READINESS_TIMING = { intervalSeconds: 10, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 300 } as const;
/** busybox's `nobody`. */
export const READINESS_PROBE_USER = "65534:65534";
/** Hard memory limit of the sidecar, MiB: `sleep` plus one `wget` at a time. */
export const READINESS_PROBE_MEMORY_MIB = 32;
/** Seconds ECS waits after SIGTERM before SIGKILL; sleep exits at once under the init process. */
export const READINESS_PROBE_STOP_TIMEOUT = 2;

/** The URL the probe fetches. */
export const readinessUrl = (port: number, path: string): string => `http://127.0.0.1:${port}${path}`;

/** The health check command: busybox `wget`, which exits non-zero on a refused connection or a non-2xx answer. */
export function readinessCommand(port: number, path: string): string[] {
  if (!path.startsWith("/")) throw new Error(`readiness path "${path}" must start with "/"`);
  return ["CMD", "wget", "-q", "-O", "/dev/null", readinessUrl(port, path)];
}

/** The sidecar's container definition (modules/fargate-service adds its log configuration). */
export function readinessProbe(props: ReadinessProbeProps): ContainerSpec {
  const healthCheck: ContainerHealthCheck = {
    command: readinessCommand(props.port, props.path),
    intervalSeconds: props.intervalSeconds ?? READINESS_TIMING.intervalSeconds,
    timeoutSeconds: props.timeoutSeconds ?? READINESS_TIMING.timeoutSeconds,
    retries: props.retries ?? READINESS_TIMING.retries,
    startPeriodSeconds: props.startPeriodSeconds ?? READINESS_TIMING.startPeriodSeconds,
  };
  return {
    name: props.name ?? "ready",
    image: props.image,
    // Essential: ECS decides the task's health from its essential containers' health checks.
    essential: true,
    entryPoint: ["sleep"],
    // About 68 years: the container only exists to carry the health check.
    command: ["2147483647"],
    initProcessEnabled: true,
    stopTimeout: READINESS_PROBE_STOP_TIMEOUT,
    memory: READINESS_PROBE_MEMORY_MIB,
    user: READINESS_PROBE_USER,
    readonlyRootFilesystem: true,
    healthCheck,
  };
}
