/**
 * Replication arithmetic of the ring members (Mimir, Loki, Tempo, Pyroscope), in one place: the
 * rendered configs take their replication factor from here, the checks hold the settings to it, and
 * the ECS deployment percentages follow from the same numbers.
 *
 * A ring keeps RF copies of each series (stream, profile) on RF different tasks, and a write succeeds
 * when a quorum of floor(RF/2)+1 copies is written. So:
 * - RF must not exceed the task count (the ring cannot place RF copies on fewer tasks);
 * - losing one task (every deploy, Spot interruption or failed health check on Fargate) must leave a
 *   quorum: RF − 1 ≥ quorum, which needs RF ≥ 3;
 * - losing one availability zone must leave a quorum. The rings here are not zone-aware (that needs
 *   each task's AZ in its config, which a task definition shared by all tasks cannot carry), so the
 *   RF copies of one key may sit on any RF tasks; ECS spreads a service's tasks evenly over the AZs of
 *   its subnets, so one AZ holds at most ceil(tasks / AZs) of them, and the worst case loses
 *   min(RF, ceil(tasks / AZs)) copies: RF − that ≥ quorum. RF 3 on 3 tasks needs 3 AZs.
 * An environment that cannot meet a rule names the service in `accept_risks.reduced_redundancy`
 * (dev's single tasks; Tempo 3 monolithic, which runs one task and has no replication at all).
 */
import { COMPONENTS, RING_SERVICES, SERVICE_NAMES, type RingServiceName, type ServiceName } from "./components";
import { grafanaStateOnEfs } from "./catalog";
import { didYouMean } from "./errors";
import type { Settings } from "./schema";

/** A problem found in settings: the key to change and why (same shape as ./checks.ts Finding). */
export interface QuorumFinding {
  readonly key: string;
  readonly message: string;
}

/** Copies a ring keeps by default once it has enough tasks for a quorum to survive one loss. */
export const DEFAULT_REPLICATION_FACTOR = 3;

/** What one copy in each ring is, for messages. */
const ITEM: Readonly<Record<RingServiceName, string>> = { mimir: "series", loki: "stream", tempo: "trace", pyroscope: "profile" };

export function isRingService(name: string): name is RingServiceName {
  return (RING_SERVICES as readonly string[]).includes(name);
}

/**
 * The replication factor of a ring member: `services.<name>.replication_factor` when set, else 3 with
 * at least 3 tasks and 1 below (RF 2 on 2 tasks, or RF 3 on fewer than 3, would stop every write
 * whenever one task is replaced; with RF 1 the other tasks keep accepting their share). A component
 * without replication (Tempo 3 monolithic) keeps one copy whatever is set.
 */
export function replicationFactor(s: Settings, service: RingServiceName): number {
  if (!COMPONENTS[service].replicates) return 1;
  const svc = s.services[service];
  if (svc.replication_factor !== undefined) return svc.replication_factor;
  return svc.desired_count >= DEFAULT_REPLICATION_FACTOR ? DEFAULT_REPLICATION_FACTOR : 1;
}

/** Copies a write must reach: a majority of RF. */
export const writeQuorum = (rf: number): number => Math.floor(rf / 2) + 1;

/** The numbers behind every rule of one ring member. */
export interface RingArithmetic {
  readonly service: RingServiceName;
  readonly tasks: number;
  readonly replicationFactor: number;
  readonly quorum: number;
  /** Copies of one key that may be missing while writes still succeed: RF − quorum. */
  readonly tolerated: number;
  readonly availabilityZones: number;
  /** Most tasks one AZ holds when ECS spreads them evenly: ceil(tasks / AZs). */
  readonly tasksPerAz: number;
  /** Copies of one key an AZ loss can take in the worst case: min(RF, tasksPerAz). */
  readonly copiesLostWithAz: number;
  readonly survivesTaskLoss: boolean;
  readonly survivesAzLoss: boolean;
  /** Listed in accept_risks.reduced_redundancy. */
  readonly accepted: boolean;
}

export function ringArithmetic(s: Settings, service: RingServiceName): RingArithmetic {
  const tasks = s.services[service].desired_count;
  const rf = replicationFactor(s, service);
  const quorum = writeQuorum(rf);
  const azs = Math.max(1, s.network.availability_zones.length);
  const tasksPerAz = Math.ceil(tasks / azs);
  const copiesLostWithAz = Math.min(rf, tasksPerAz);
  return {
    service,
    tasks,
    replicationFactor: rf,
    quorum,
    tolerated: rf - quorum,
    availabilityZones: azs,
    tasksPerAz,
    copiesLostWithAz,
    survivesTaskLoss: rf - 1 >= quorum,
    survivesAzLoss: rf - copiesLostWithAz >= quorum,
    accepted: s.accept_risks.reduced_redundancy.includes(service),
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Every replication rule the settings break, each naming the keys that fix it. */
export function checkReplication(s: Settings): QuorumFinding[] {
  const out: QuorumFinding[] = [];
  const accepted = s.accept_risks.reduced_redundancy;
  accepted.forEach((name, i) => {
    const key = `accept_risks.reduced_redundancy[${i}]`;
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) {
      const hint = didYouMean(name, RING_SERVICES);
      out.push({ key, message: `unknown service "${name}"${hint ? `; did you mean "${hint}"?` : ""} (expected ring members: ${RING_SERVICES.join(", ")})` });
    } else if (!isRingService(name)) {
      out.push({ key, message: `${name} keeps no ring and no replicas, so there is no redundancy to reduce; remove it (expected ring members: ${RING_SERVICES.join(", ")})` });
    } else if (accepted.indexOf(name) !== i) {
      out.push({ key, message: `"${name}" is listed twice` });
    }
  });

  for (const name of SERVICE_NAMES) {
    const set = s.services[name].replication_factor;
    if (set === undefined) continue;
    if (!isRingService(name)) {
      out.push({ key: `services.${name}.replication_factor`, message: `${name} keeps no ring; remove replication_factor` });
    } else if (!COMPONENTS[name].replicates) {
      out.push({ key: `services.${name}.replication_factor`, message: `${name} keeps one copy of each ${ITEM[name]} in the mode it runs (Tempo 3 monolithic has no replication); remove replication_factor` });
    }
  }

  for (const name of RING_SERVICES) {
    // A ring switched off (services.<name>.enabled = false) runs no member to count.
    if (!s.services[name].enabled) continue;
    const a = ringArithmetic(s, name);
    // A service scaled to zero has no ring to protect.
    if (a.tasks === 0) continue;
    const item = ITEM[name];
    const rfKey = s.services[name].replication_factor !== undefined ? `services.${name}.replication_factor` : `services.${name}.desired_count`;
    if (a.replicationFactor > a.tasks) {
      // Not a risk an environment can accept: the ring cannot place the copies at all.
      out.push({
        key: rfKey,
        message: `${name} keeps ${plural(a.replicationFactor, "copy", "copies")} of each ${item} but runs ${plural(a.tasks, "task")}; a ring needs at least as many tasks as copies. Raise services.${name}.desired_count or lower services.${name}.replication_factor`,
      });
      continue;
    }
    if (a.accepted) continue;
    const rfSource =
      s.services[name].replication_factor !== undefined
        ? `services.${name}.replication_factor = ${a.replicationFactor}`
        : `replication factor ${a.replicationFactor}, derived from services.${name}.desired_count = ${a.tasks}`;
    const remaining = a.replicationFactor - 1;
    const left = remaining === 0 ? "no copy is left" : `only ${remaining} ${remaining === 1 ? "is" : "are"} left`;
    const acceptHint = `or list "${name}" in accept_risks.reduced_redundancy for an environment that can stop taking writes`;
    if (!a.survivesTaskLoss && !COMPONENTS[name].replicates) {
      out.push({
        key: rfKey,
        message:
          `${name} keeps one copy of each ${item} in the mode it runs (Tempo 3 monolithic has no replication and runs one task): when that task stops (every deploy, Spot interruption or failed health check replaces a Fargate task), writes fail until its replacement is up. ` +
          `More redundancy needs its microservices mode with Kafka; list "${name}" in accept_risks.reduced_redundancy to run it as it is`,
      });
    } else if (!a.survivesTaskLoss) {
      out.push({
        key: rfKey,
        message:
          `${name} keeps ${plural(a.replicationFactor, "copy", "copies")} of each ${item} (${rfSource}) and a write needs ${a.quorum}; ` +
          `when ${a.tasks === 1 ? "its only task" : `one of its ${a.tasks} tasks`} stops (every deploy, Spot interruption or failed health check replaces a Fargate task) ${left}, so writes fail until it is back. ` +
          `Run at least ${DEFAULT_REPLICATION_FACTOR} tasks (services.${name}.desired_count) with replication factor ${DEFAULT_REPLICATION_FACTOR}, ${acceptHint}`,
      });
    } else if (!a.survivesAzLoss) {
      const needed = Math.ceil(a.tasks / a.tolerated);
      out.push({
        key: "network.availability_zones",
        message:
          `${name}'s ${plural(a.tasks, "task")} over ${plural(a.availabilityZones, "availability zone")} put up to ${a.tasksPerAz} in one zone, and without zone-aware replication those can hold ${a.copiesLostWithAz} of the ${a.replicationFactor} copies of one ${item}; ` +
          `losing that zone leaves ${a.replicationFactor - a.copiesLostWithAz}, below the write quorum of ${a.quorum}. ` +
          `Use at least ${needed} availability zones (network.availability_zones), ${acceptHint}`,
      });
    }
  }
  return out;
}

/** ECS deployment percentages of a service and why they are what they are. */
export interface DeploymentPercentages {
  /** Lower limit of running tasks during a deployment, % of desired (ECS rounds the count up). */
  readonly minimumHealthyPercent: number;
  /** Upper limit of running tasks during a deployment, % of desired (ECS rounds the count down). */
  readonly maximumPercent: number;
  readonly reason: string;
}

/**
 * How a rolling deploy may replace a service's tasks.
 * - A ring member whose quorum tolerates losing f copies: at most f tasks stop at once
 *   (minimum healthy = floor(100·(tasks − f)/tasks), which ECS rounds up to exactly tasks − f), and
 *   never more tasks than desired (maximum 100 %), so the ring never holds more members than the
 *   catalog says and the replication arithmetic above stays the one that applies.
 * - A ring member that tolerates no loss (RF 1 or 2: dev, or an accepted risk): every new task joins
 *   before an old one leaves (minimum 100 %, maximum one extra task), so a deploy never leaves a share
 *   of the ring without its owner; the old task flushes and hands its tokens over as it leaves.
 * - A component that must never run twice (Tempo 3 monolithic; Grafana writing its SQLite database on
 *   EFS): the old task stops before the new one starts (0 % / 100 %). The deploy costs a short
 *   outage, which two schedulers (or two writers of one SQLite file) would turn into corruption.
 * - Anything else is stateless: new tasks start before old ones stop (100 % / 200 %).
 */
export function deploymentPercentages(s: Settings, name: ServiceName): DeploymentPercentages {
  if (COMPONENTS[name].singleton) {
    return { minimumHealthyPercent: 0, maximumPercent: 100, reason: `${name} must never run two tasks at once: the old task stops before the new one starts` };
  }
  if (name === "grafana" && grafanaStateOnEfs(s)) {
    return { minimumHealthyPercent: 0, maximumPercent: 100, reason: "one Grafana at a time writes its SQLite database on EFS: the old task stops before the new one starts" };
  }
  const tasks = s.services[name].desired_count;
  if (!isRingService(name) || tasks === 0) {
    return { minimumHealthyPercent: 100, maximumPercent: 200, reason: `${name} keeps no ring: new tasks start before old ones stop` };
  }
  const a = ringArithmetic(s, name);
  const stoppable = Math.min(a.tolerated, tasks - 1);
  if (stoppable >= 1) {
    return {
      minimumHealthyPercent: Math.floor((100 * (tasks - stoppable)) / tasks),
      maximumPercent: 100,
      reason: `${name}'s write quorum (${a.quorum} of ${a.replicationFactor}) tolerates ${stoppable} missing ${stoppable === 1 ? "copy" : "copies"}: at most ${stoppable} of ${tasks} tasks stop at once, and never more than ${tasks} run`,
    };
  }
  return {
    minimumHealthyPercent: 100,
    maximumPercent: 100 + Math.ceil(100 / tasks),
    reason: `${name}'s ring tolerates no missing copy (replication factor ${a.replicationFactor}): each new task joins before an old one leaves`,
  };
}
