/**
 * The shutdown budget: what a ring member does between ECS's SIGTERM and its SIGKILL, in one place.
 *
 * On Fargate every deploy, Spot interruption, scale-in and failed health check replaces a task, and
 * whatever the old task held only in memory or on its ephemeral disk is gone once it is killed. ECS
 * sends SIGTERM and, `stopTimeout` seconds later, SIGKILL; 120 s is Fargate's maximum, and the same
 * 120 s is the two-minute notice of a Fargate Spot interruption (SIGTERM arrives with the notice).
 * A task behind the ALB is deregistered and drained (the target group's deregistration delay)
 * *before* SIGTERM, so that drain is not part of this budget.
 *
 * After SIGTERM a dskit component (Mimir, Loki, Tempo, Pyroscope) goes through these phases in order,
 * each bounded by the setting named next to it:
 *
 *   1. `shutdown_delay`: /ready answers "not ready" while everything keeps running, so in-VPC
 *      clients, whose Cloud Map answer (TTL 10 s) may still hold the task, move to the other tasks;
 *   2. module stop: the ingester flushes what it holds to S3 (Mimir
 *      `blocks_storage.tsdb.flush_blocks_on_shutdown`, Loki `ingester.wal.flush_on_shutdown`,
 *      Pyroscope's v1 ingester always flushes and ships its head) and then leaves the ring
 *      (`unregister_on_shutdown`);
 *   3. memberlist: broadcast the "left" state (`broadcast_timeout_for_local_updates_on_shutdown`),
 *      then leave the gossip cluster (`leave_timeout`);
 *   4. the HTTP/gRPC servers stop (`server.graceful_shutdown_timeout`);
 *   5. the process exits, tini reaps it and the log driver drains: a margin.
 *
 * Tempo 3.0.3 monolithic has no flush-to-S3 on shutdown: its live store writes what it holds to the
 * local WAL and stops, and that disk goes with the task. What it flushes, it flushes while running,
 * every `live_store.max_block_duration` (30 s). So Tempo spends the flush share of the budget inside
 * phase 1 (a longer `shutdown_delay`, during which it keeps cutting and uploading blocks) and keeps
 * only a short module stop (metrics-generator remote-write flush, backend-worker job).
 *
 *   drain 15 + flush 75 + memberlist 5 + 5 + server 10 + margin 10 = 120 s = stopTimeout
 *
 * The flush share is what is left when every bounded phase has its time; the module throws at load if
 * the phases ever add up to more than the stop timeout.
 */

/** Fargate's longest container stopTimeout, seconds (also the Fargate Spot interruption notice). */
export const FARGATE_MAX_STOP_TIMEOUT_SECONDS = 120;

/** Seconds of each shutdown phase; see the header for what runs in each. */
export interface ShutdownBudget {
  /** ECS stopTimeout of the main container: SIGTERM to SIGKILL. */
  readonly stopTimeout: number;
  /** `shutdown_delay` of Mimir, Loki and Pyroscope: clients move away while the task still answers. */
  readonly drain: number;
  /** Time left for the ingester's flush to S3 and its ring leave (phase 2). */
  readonly flush: number;
  /** `memberlist.broadcast_timeout_for_local_updates_on_shutdown`. */
  readonly memberlistBroadcast: number;
  /** `memberlist.leave_timeout`. */
  readonly memberlistLeave: number;
  /** `server.graceful_shutdown_timeout` (and Loki's `frontend.graceful_shutdown_timeout`). */
  readonly server: number;
  /** Process exit, tini, log driver. */
  readonly margin: number;
  /**
   * Tempo's bounded module stop (`metrics_generator.storage.remote_write_flush_deadline`,
   * `backend_worker.finish_on_shutdown_timeout`); the rest of its flush share is spent in `shutdown_delay`.
   */
  readonly tempoModuleStop: number;
  /** Tempo's `shutdown_delay`: drain + flush − tempoModuleStop. */
  readonly tempoShutdownDelay: number;
}

function budget(): ShutdownBudget {
  const stopTimeout = FARGATE_MAX_STOP_TIMEOUT_SECONDS;
  // Cloud Map's A-record TTL (modules/fargate-service, 10 s) plus a few seconds for clients to act on it.
  const drain = 15;
  const memberlistBroadcast = 5;
  const memberlistLeave = 5;
  // In-flight requests only: the ALB drained the task before SIGTERM and clients left during `drain`.
  const server = 10;
  const margin = 10;
  const flush = stopTimeout - drain - memberlistBroadcast - memberlistLeave - server - margin;
  const tempoModuleStop = 10;
  const plan: ShutdownBudget = {
    stopTimeout,
    drain,
    flush,
    memberlistBroadcast,
    memberlistLeave,
    server,
    margin,
    tempoModuleStop,
    tempoShutdownDelay: drain + flush - tempoModuleStop,
  };
  const phases = plan.drain + plan.flush + plan.memberlistBroadcast + plan.memberlistLeave + plan.server + plan.margin;
  const tempo = plan.tempoShutdownDelay + plan.tempoModuleStop + plan.memberlistBroadcast + plan.memberlistLeave + plan.server + plan.margin;
  if (plan.flush < 30 || phases > stopTimeout || tempo > stopTimeout || plan.tempoModuleStop >= plan.flush) {
    throw new Error(`settings/shutdown.ts: the shutdown phases (${phases} s, Tempo ${tempo} s) must fit the ${stopTimeout} s stop timeout with at least 30 s to flush`);
  }
  return Object.freeze(plan);
}

/** The one shutdown budget every template and task definition uses. */
export const SHUTDOWN_BUDGET: ShutdownBudget = budget();

/** Seconds as the Go duration the components parse ("75s"). */
export const seconds = (n: number): string => `${n}s`;
