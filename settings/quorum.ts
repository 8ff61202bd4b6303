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
 * - losing one availability zone must leave a quorum. ECS spreads a service's tasks evenly over the
 *   AZs of its subnets (every private subnet, one per `network.availability_zones`), so the ring's
 *   zones are min(tasks, AZs), each holding floor or ceil of tasks / AZs.
 *   - Zone-aware (`services.<name>.zone_awareness`, on by default with more tasks than RF): each task
 *     reads its AZ from the ECS task metadata at start (the config delivery) and the ring puts the
 *     RF copies of a key in RF different zones (dskit). Losing a zone then costs one copy whatever
 *     the task count, so 6 or 9 tasks over 3 AZs survive it, and so do 6 over 4. With fewer zones
 *     than RF the ring keeps only one copy per zone while a write still needs floor(RF/2)+1 of RF
 *     (dskit's replication strategy): with RF 3 over 2 zones no copy may fail, over 1 zone no write
 *     ever succeeds. That is refused outright, not an acceptable risk.
 *   - Not zone-aware: the RF copies of one key may sit on any RF tasks; one AZ holds at most
 *     ceil(tasks / AZs) of them, and the worst case loses min(RF, ceil(tasks / AZs)) copies:
 *     RF − that ≥ quorum. RF 3 on 3 tasks needs 3 AZs, on 6 tasks 6 AZs.
 * An environment that cannot meet a rule names the service in `accept_risks.reduced_redundancy`
 * (dev's single tasks; Tempo 3 monolithic, which runs one task and has no replication at all).
 */
import { COMPONENTS, RING_SERVICES, SERVICE_NAMES, type RingServiceName, type ServiceName } from "./components";
import { grafanaStateOnEfs } from "./catalog";
import { REGION_AVAILABILITY_ZONES } from "./aws-rules";
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

/**
 * Whether a ring member runs zone-aware replication: `services.<name>.zone_awareness` when set, else
 * on when it replicates with RF ≥ 3, the AZs its tasks spread over are at least RF, and it runs
 * MORE tasks than RF. With exactly RF tasks every task holds every key anyway, so zone awareness
 * would change no placement, and it would add one failure mode, measured on the system tier: while
 * a rolling deploy stops the only task of an AZ, that zone leaves the ring, dskit keeps one copy per
 * remaining zone (2) and still asks for 2 of 3, so a member that died without leaving (Mimir's and
 * Pyroscope's ingester rings never forget one by themselves) stops the writes of its keys until the
 * new task has joined (22 of 494 samples refused in test/system's rolling restart after a SIGKILL).
 * A component without replication never is.
 */
export function zoneAware(s: Settings, service: RingServiceName): boolean {
  if (!COMPONENTS[service].replicates) return false;
  const set = s.services[service].zone_awareness;
  if (set !== undefined) return set;
  const rf = replicationFactor(s, service);
  return rf >= DEFAULT_REPLICATION_FACTOR && s.services[service].desired_count > rf && s.network.availability_zones.length >= rf;
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
  /** Fewest tasks an AZ that holds any holds: floor(tasks / AZs), at least 1 with tasks. */
  readonly fewestTasksPerZone: number;
  /** Zone-aware replication (each copy of a key in another AZ). */
  readonly zoneAware: boolean;
  /** AZs that hold at least one task, i.e. the zones of the ring: min(tasks, AZs). */
  readonly zones: number;
  /**
   * Copies of one key the ring keeps: RF, or with zone awareness one per zone when there are fewer
   * zones than RF (dskit places at most one copy per zone).
   */
  readonly copies: number;
  /** Copies of one key an AZ loss can take in the worst case: 1 zone-aware, else min(RF, tasksPerAz). */
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
  const zones = Math.min(tasks, azs);
  const aware = zoneAware(s, service);
  const copies = aware ? Math.min(rf, zones) : rf;
  const copiesLostWithAz = aware ? Math.min(1, copies) : Math.min(rf, tasksPerAz);
  return {
    service,
    tasks,
    replicationFactor: rf,
    quorum,
    tolerated: rf - quorum,
    availabilityZones: azs,
    tasksPerAz,
    fewestTasksPerZone: zones === 0 ? 0 : Math.max(1, Math.floor(tasks / azs)),
    zoneAware: aware,
    zones,
    copies,
    copiesLostWithAz,
    survivesTaskLoss: copies - 1 >= quorum,
    survivesAzLoss: copies - copiesLostWithAz >= quorum,
    accepted: s.accept_risks.reduced_redundancy.includes(service),
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What the region offers, for a message: "ap-northeast-2 offers 4 (ap-northeast-2a, ...)", or the region alone. */
function regionOffer(s: Settings): string {
  const known = REGION_AVAILABILITY_ZONES[s.aws.region];
  return known ? `${s.aws.region} offers ${known.length} (${known.join(", ")})` : `see \`aws ec2 describe-availability-zones --region ${s.aws.region}\``;
}

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
    for (const field of ["replication_factor", "zone_awareness"] as const) {
      if (s.services[name][field] === undefined) continue;
      if (!isRingService(name)) {
        out.push({ key: `services.${name}.${field}`, message: `${name} keeps no ring; remove ${field}` });
      } else if (!COMPONENTS[name].replicates) {
        out.push({ key: `services.${name}.${field}`, message: `${name} keeps one copy of each ${ITEM[name]} in the mode it runs (Tempo 3 monolithic has no replication); remove ${field}` });
      }
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
    if (a.zoneAware && a.zones < a.replicationFactor) {
      // Not a risk an environment can accept either: dskit keeps one copy per zone, and the quorum
      // stays a majority of RF.
      const outcome =
        a.copies < a.quorum
          ? "so no write can ever succeed"
          : `so a write needs every copy and fails whenever one task or AZ is lost`;
      out.push({
        key: `services.${name}.zone_awareness`,
        message:
          `${name} is zone-aware, which keeps at most one copy of each ${item} per availability zone, but its ${plural(a.tasks, "task")} over ${plural(a.availabilityZones, "availability zone")} (network.availability_zones) use only ${plural(a.zones, "zone")}: ` +
          `the ring keeps ${plural(a.copies, "copy", "copies")} while a write still needs ${a.quorum} of ${a.replicationFactor}, ${outcome}. ` +
          `What works in ${s.aws.region}: at least ${a.replicationFactor} availability zones in network.availability_zones (${regionOffer(s)}) with at least ${a.replicationFactor} tasks; or services.${name}.zone_awareness = false`,
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
      const switchedOff = s.services[name].zone_awareness === false;
      const known = REGION_AVAILABILITY_ZONES[s.aws.region];
      // Zone awareness works once the ring has RF zones: with RF AZs listed it is on by default.
      const fix = switchedOff
        ? `Zone-aware replication keeps one copy per AZ and survives this with ${plural(a.tasks, "task")} over these ${a.availabilityZones} AZs: remove services.${name}.zone_awareness = false`
        : `What works in ${s.aws.region}: at least ${a.replicationFactor} availability zones in network.availability_zones (${regionOffer(s)}), where zone-aware replication turns on and keeps one copy per AZ with any task count from ${a.replicationFactor}` +
          (needed > a.replicationFactor && (known === undefined || needed <= known.length) ? `; or without it at least ${needed} availability zones` : "");
      out.push({
        key: switchedOff ? `services.${name}.zone_awareness` : "network.availability_zones",
        message:
          `${name}'s ${plural(a.tasks, "task")} over ${plural(a.availabilityZones, "availability zone")} put up to ${a.tasksPerAz} in one zone, and without zone-aware replication those can hold ${a.copiesLostWithAz} of the ${a.replicationFactor} copies of one ${item}; ` +
          `losing that zone leaves ${a.replicationFactor - a.copiesLostWithAz}, below the write quorum of ${a.quorum}. ` +
          `${fix}; ${acceptHint}`,
      });
    }
  }
  return out;
}

/**
 * Zone-aware rings whose tasks do not divide evenly over their zones: each zone keeps about RF/zones
 * of every key whatever its task count, so a task in a thinner zone carries more than the average
 * task (6 tasks over 4 AZs: 2, 2, 1, 1, and a lone task carries 1.5× the average share). Writes and
 * the quorum are fine; the sizing is not what the per-task average suggests. Printed as warnings.
 */
export function replicationWarnings(s: Settings): QuorumFinding[] {
  const out: QuorumFinding[] = [];
  for (const name of RING_SERVICES) {
    if (!s.services[name].enabled) continue;
    const a = ringArithmetic(s, name);
    if (!a.zoneAware || a.tasks === 0 || a.tasks % a.zones === 0 || a.zones < a.replicationFactor) continue;
    const ratio = a.tasks / (a.zones * a.fewestTasksPerZone);
    const down = Math.floor(a.tasks / a.zones) * a.zones;
    const up = Math.ceil(a.tasks / a.zones) * a.zones;
    const options = [down, up].filter((n) => n >= a.replicationFactor);
    out.push({
      key: `services.${name}.desired_count`,
      message:
        `${name}'s ${plural(a.tasks, "task")} spread over ${a.zones} AZs hold ${a.fewestTasksPerZone} to ${a.tasksPerAz} per AZ; zone-aware replication keeps about ${a.replicationFactor}/${a.zones} of every ${ITEM[name]} in each AZ whatever its task count, ` +
        `so a task in a thinner AZ carries about ${ratio.toFixed(2)}× the average task's share. Size the tasks for it, or run a multiple of ${a.zones} tasks (${options.join(" or ")})`,
    });
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
