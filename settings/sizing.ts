/**
 * Sizing from load: turns the optional `load` block (what a team sends and queries) into each
 * component's task size, ephemeral storage and task count with the capacity formulas Grafana
 * publishes, rounded to sizes Fargate offers. Explicit sizes in `services.<name>` always win; the
 * checks here then say where they are below what the declared load needs (a warning, or an error with
 * `load.undersized = "fail"`), and where Mimir's series limit lets a tenant send more series than the
 * ingesters can hold.
 *
 * Every component here runs monolithic (`-target=all`): one task runs every microservice, so, as
 * Mimir's guide says for monolithic mode, a task needs the sum of the per-component requirements.
 * Components that shard their work over the tasks (ingesters, distributors, queriers, store-gateways)
 * are divided by the task count; a singleton job (one compactor) lands whole on one task, so every
 * task must be able to hold it.
 *
 * Units: the guides write GB; they are read here as GiB (7% more, on the safe side).
 * Covered: Mimir, Loki, Tempo. Pyroscope, Grafana and Alloy have no published capacity formula for
 * this kind of load, so they keep their explicit sizes (docs/cost.md).
 */
import type { ServiceName } from "./components";
import { FARGATE_SIZES } from "./fargate";

/** Fargate's largest task: 16 vCPU, 120 GiB, 200 GiB of ephemeral storage. */
export const FARGATE_MAX = { cpu: 16384, memoryMiB: 122880, ephemeralGiB: 200, minEphemeralGiB: 21 } as const;

/** The declared load (settings `load`), after defaults. */
export interface Load {
  readonly active_series?: number;
  readonly scrape_interval_seconds: number;
  readonly logs_gb_per_day?: number;
  readonly spans_per_second?: number;
  readonly average_span_bytes: number;
  readonly profiles_per_second?: number;
  readonly queries_per_second: number;
  readonly undersized: "warn" | "fail";
}

/** What one part of a component needs, summed over the whole cluster. */
export interface Need {
  /** What needs it and by which formula, with the source. */
  readonly what: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly diskGiB: number;
  /** `spread`: divided over the tasks; `one_task`: one task must hold all of it. */
  readonly scope: "spread" | "one_task";
}

/** Resources of one task before rounding to a Fargate size. */
export interface PerTask {
  readonly cores: number;
  readonly memoryGiB: number;
  readonly diskGiB: number;
}

/** A component's derived size. */
export interface Sizing {
  readonly service: SizedService;
  readonly needs: readonly Need[];
  /** Headroom factors applied (memory and disk), from the component's guide. */
  readonly headroom: { readonly memory: number; readonly disk: number };
  /** Task count the per-task figures are for. */
  readonly tasks: number;
  readonly perTask: PerTask;
  /** Smallest Fargate size holding `perTask` (undefined: none does). */
  readonly fargate?: { readonly cpu: number; readonly memory: number; readonly ephemeralGiB: number };
  /** Why no Fargate size fits, naming the next step. */
  readonly problem?: string;
}

export const SIZED_SERVICES = ["mimir", "loki", "tempo"] as const satisfies readonly ServiceName[];
export type SizedService = (typeof SIZED_SERVICES)[number];

/**
 * Smallest task per process this project runs for an all-in-one ring member (our floor, not
 * Grafana's): below 1 vCPU and 2 GiB a monolithic Mimir, Loki or Tempo spends its time in garbage
 * collection, ring gossip and start-up replay however little it receives.
 */
export const MONOLITHIC_FLOOR = { cores: 1, memoryGiB: 2 } as const;

/** Tempo 3 monolithic (no Kafka, one task): the most received traffic we size it for (issue 20; Tempo's docs put monolithic at roughly 25-35 MB/s). */
export const TEMPO_MONOLITHIC_MAX_MB_PER_SECOND = 25;

// ---------------------------------------------------------------- formulas

/** Samples per second: active series × (60 / scrape interval) / 60 (Mimir, "Planning capacity", distributor). */
export function samplesPerSecond(load: Load): number {
  return (load.active_series ?? 0) / load.scrape_interval_seconds;
}

/** Received trace bytes per second in MB (10^6 bytes): spans/s × average span size. */
export function traceMegabytesPerSecond(load: Load): number {
  return ((load.spans_per_second ?? 0) * load.average_span_bytes) / 1e6;
}

/**
 * Mimir. Source: Grafana Mimir docs, "Planning Grafana Mimir capacity"
 * (https://grafana.com/docs/mimir/latest/manage/run-production-environment/planning-capacity/).
 * Headroom: "run Grafana Mimir with 50% extra capacity for memory and disk" → ×1.5 on both; none on CPU.
 */
export function mimirNeeds(load: Load, replicationFactor: number): Need[] {
  const series = load.active_series ?? 0;
  const sps = samplesPerSecond(load);
  const qps = load.queries_per_second;
  const inMemory = series * replicationFactor;
  const compactors = Math.max(1, Math.ceil(series / 20_000_000));
  return [
    // Distributor: 1 core and 1 GB every 25,000 samples per second.
    { what: `distributor: ${round(sps)} samples/s ÷ 25,000 × (1 core, 1 GB)`, cores: sps / 25_000, memoryGiB: sps / 25_000, diskGiB: 0, scope: "spread" },
    // Ingester: per 300,000 in-memory series (active series × replication factor): 1 core, 2.5 GB memory, 5 GB disk.
    {
      what: `ingester: ${round(series)} series × RF ${replicationFactor} ÷ 300,000 × (1 core, 2.5 GB, 5 GB disk)`,
      cores: inMemory / 300_000,
      memoryGiB: (2.5 * inMemory) / 300_000,
      diskGiB: (5 * inMemory) / 300_000,
      scope: "spread",
    },
    // Query-frontend: 1 core and 1 GB every 250 queries per second.
    { what: `query-frontend: ${qps} queries/s ÷ 250 × (1 core, 1 GB)`, cores: qps / 250, memoryGiB: qps / 250, diskGiB: 0, scope: "spread" },
    // Querier: 1 core and 1 GB every 10 queries per second.
    { what: `querier: ${qps} queries/s ÷ 10 × (1 core, 1 GB)`, cores: qps / 10, memoryGiB: qps / 10, diskGiB: 0, scope: "spread" },
    // Store-gateway: 1 core and 1 GB every 10 queries per second; 13 GB disk every 1M active series
    // (before replication; assumes 15 s scrapes, 1 year retention, store-gateway RF 3).
    {
      what: `store-gateway: ${qps} queries/s ÷ 10 × (1 core, 1 GB) + ${round(series)} series ÷ 1M × 13 GB disk`,
      cores: qps / 10,
      memoryGiB: qps / 10,
      diskGiB: (13 * series) / 1_000_000,
      scope: "spread",
    },
    // Compactor: one instance every 20M active series, each 1 core, 4 GB, 300 GB disk. Its disk holds
    // the blocks it compacts, so it is taken here in proportion to the series (300 GB per 20M).
    {
      what: `compactor: ${compactors} × (1 core, 4 GB) + ${round(series)} series ÷ 20M × 300 GB disk`,
      cores: compactors,
      memoryGiB: 4 * compactors,
      diskGiB: (300 * series) / 20_000_000,
      scope: "one_task",
    },
  ];
}
export const MIMIR_HEADROOM = { memory: 1.5, disk: 1.5 } as const;

/**
 * Loki. Source: Grafana Loki docs, "Size the cluster" (https://grafana.com/docs/loki/latest/setup/size/),
 * tier "Less than 100TB/month (3TB/day)": p90 requests of each component at up to 3 TB/day. Loki
 * publishes tiers, not a per-GB rate; the write and read paths here are that tier's totals scaled
 * linearly to the declared GB/day (3 TB/day = 3000 GB/day), which holds for the load this stack is
 * built for (far below the tier's top) together with the 1 vCPU / 2 GiB floor.
 * Headroom: none stated (the figures are p90 requests); ×1.5 on memory as for Mimir, because an
 * all-in-one process cannot borrow memory from a neighbour. Disk (not in the guide): the ingester's
 * WAL of unflushed chunks, up to `max_chunk_age` (2 h, Loki's default) of the task's share of the
 * stream copies, ×1.5.
 */
export function lokiNeeds(load: Load, replicationFactor: number): Need[] {
  const gbPerDay = load.logs_gb_per_day ?? 0;
  const f = gbPerDay / 3000;
  const tier: [string, number, number, Need["scope"]][] = [
    // component, CPU request × replicas, memory request (Gi) × replicas, scope
    ["ingester", 2 * 6, 4 * 6, "spread"],
    ["distributor", 2 * 4, 0.5 * 4, "spread"],
    ["index-gateway", 0.5 * 4, 2 * 4, "spread"],
    ["querier", 1 * 10, 1 * 10, "spread"],
    ["query-frontend", 1 * 2, 2 * 2, "spread"],
    ["query-scheduler", 1 * 2, 0.5 * 2, "spread"],
    ["compactor", 2, 10, "one_task"],
  ];
  const needs: Need[] = tier.map(([what, cores, mem, scope]) => ({
    what: `${what}: ${gbPerDay} GB/day ÷ 3000 × (${cores} cores, ${mem} GiB)`,
    cores: cores * f,
    memoryGiB: mem * f,
    diskGiB: 0,
    scope,
  }));
  needs.push({
    what: `ingester WAL: ${gbPerDay} GB/day ÷ 24 × 2 h (max_chunk_age) × RF ${replicationFactor}`,
    cores: 0,
    memoryGiB: 0,
    diskGiB: (gbPerDay / 24) * 2 * replicationFactor,
    scope: "spread",
  });
  return needs;
}
export const LOKI_HEADROOM = { memory: 1.5, disk: 1.5 } as const;

/**
 * Tempo. Source: Grafana Tempo docs, "Size the cluster"
 * (https://grafana.com/docs/tempo/latest/set-up-for-tracing/setup-tempo/plan/size/), per MB/s of
 * received traffic: distributor 2 cores + 2 GB per 10 MB/s; live-store 1 core + 4-20 GB per 6-10 MB/s;
 * querier 4-20 GB per 1-2 MB/s (CPU "dependent on queries": 1 core taken); compactor/backend worker
 * 1 core + 4-20 GB per 3-5 MB/s. Taken in proportion to the traffic (one process, not replicas), at the
 * busier end of each range (6, 2 and 5 MB/s) with the lower memory figure (4 GB).
 * Headroom: ×1.5 on memory, as for Mimir (the ranges are wide). Disk (not in the guide): the live
 * store's WAL and complete blocks, 30 minutes of traffic, ×1.5.
 */
export function tempoNeeds(load: Load): Need[] {
  const mbs = traceMegabytesPerSecond(load);
  const r = (x: number) => round(x, 3);
  return [
    { what: `distributor: ${r(mbs)} MB/s ÷ 10 × (2 cores, 2 GB)`, cores: (2 * mbs) / 10, memoryGiB: (2 * mbs) / 10, diskGiB: 0, scope: "spread" },
    { what: `live-store: ${r(mbs)} MB/s ÷ 6 × (1 core, 4 GB)`, cores: mbs / 6, memoryGiB: (4 * mbs) / 6, diskGiB: 0, scope: "spread" },
    { what: `querier: ${r(mbs)} MB/s ÷ 2 × (1 core, 4 GB)`, cores: mbs / 2, memoryGiB: (4 * mbs) / 2, diskGiB: 0, scope: "spread" },
    { what: `backend worker: ${r(mbs)} MB/s ÷ 5 × (1 core, 4 GB)`, cores: mbs / 5, memoryGiB: (4 * mbs) / 5, diskGiB: 0, scope: "spread" },
    { what: `WAL and blocks: ${r(mbs)} MB/s × 1800 s`, cores: 0, memoryGiB: 0, diskGiB: (mbs * 1800) / 1000, scope: "spread" },
  ];
}
export const TEMPO_HEADROOM = { memory: 1.5, disk: 1.5 } as const;

// ---------------------------------------------------------------- per task, Fargate sizes

/** Per-task resources for `tasks` tasks: spread needs divided, one-task needs whole, headroom, floor. */
export function perTask(needs: readonly Need[], tasks: number, headroom: { memory: number; disk: number }): PerTask {
  const sum = (scope: Need["scope"], k: "cores" | "memoryGiB" | "diskGiB") =>
    needs.filter((n) => n.scope === scope).reduce((a, n) => a + n[k], 0);
  const cores = sum("spread", "cores") / tasks + sum("one_task", "cores");
  const memoryGiB = (sum("spread", "memoryGiB") / tasks + sum("one_task", "memoryGiB")) * headroom.memory;
  const diskGiB = (sum("spread", "diskGiB") / tasks + sum("one_task", "diskGiB")) * headroom.disk;
  return { cores: Math.max(cores, MONOLITHIC_FLOOR.cores), memoryGiB: Math.max(memoryGiB, MONOLITHIC_FLOOR.memoryGiB), diskGiB };
}

/**
 * The smallest Fargate size with at least `cores` vCPU and `memoryGiB` memory: the smallest CPU whose
 * memory range reaches the memory, then the smallest memory step of that CPU. Undefined past 16 vCPU
 * or 120 GiB.
 */
export function fargateSize(cores: number, memoryGiB: number): { cpu: number; memory: number } | undefined {
  const needCpu = Math.ceil(cores * 1024 - 1e-9);
  const needMem = Math.ceil(memoryGiB * 1024 - 1e-9);
  for (const cpu of Object.keys(FARGATE_SIZES).map(Number).sort((a, b) => a - b)) {
    if (cpu < needCpu) continue;
    const memory = FARGATE_SIZES[cpu].find((m) => m >= needMem);
    if (memory !== undefined) return { cpu, memory };
  }
  return undefined;
}

/** Ephemeral storage for `diskGiB`: at least Fargate's 21 GiB, undefined past 200. */
export function ephemeralSize(diskGiB: number): number | undefined {
  const gib = Math.max(FARGATE_MAX.minEphemeralGiB, Math.ceil(diskGiB - 1e-9));
  return gib <= FARGATE_MAX.ephemeralGiB ? gib : undefined;
}

const LABEL: Record<SizedService, string> = { mimir: "Mimir", loki: "Loki", tempo: "Tempo" };

/** What a service's tasks need, and the Fargate size for a given task count. */
export function sizeFor(service: SizedService, needs: readonly Need[], headroom: { memory: number; disk: number }, tasks: number, what: string): Sizing {
  const p = perTask(needs, tasks, headroom);
  const size = fargateSize(p.cores, p.memoryGiB);
  const eph = ephemeralSize(p.diskGiB);
  const base = { service, needs, headroom, tasks, perTask: p };
  if (size && eph !== undefined) return { ...base, fargate: { ...size, ephemeralGiB: eph } };
  const over: string[] = [];
  if (!size) over.push(`${fmt(p.cores)} vCPU and ${fmt(p.memoryGiB)} GiB per task (Fargate's largest task is 16 vCPU, 120 GiB)`);
  if (eph === undefined) over.push(`${fmt(p.diskGiB)} GiB of disk per task (Fargate's ephemeral storage ends at 200 GiB)`);
  const next =
    service === "tempo"
      ? "Tempo 3 monolithic runs one task; beyond that, run Tempo in microservices mode with Kafka"
      : `more tasks (services.${service}.desired_count) or a split (microservices) deployment`;
  return { ...base, problem: `${LABEL[service]} needs ${over.join(" and ")} for ${what} on ${tasks} task${tasks === 1 ? "" : "s"}: ${next}` };
}

/** Which part of the load drives a service, or undefined when the load says nothing about it. */
export function loadDescription(service: SizedService, load: Load, replicationFactor: number): string | undefined {
  switch (service) {
    case "mimir":
      return load.active_series === undefined ? undefined : `${round(load.active_series)} active series at ${load.scrape_interval_seconds} s and RF ${replicationFactor}`;
    case "loki":
      return load.logs_gb_per_day === undefined ? undefined : `${load.logs_gb_per_day} GB/day of logs at RF ${replicationFactor}`;
    case "tempo":
      return load.spans_per_second === undefined ? undefined : `${round(load.spans_per_second)} spans/s of ${load.average_span_bytes} bytes`;
  }
}

export interface ServiceShape {
  /** Task count when set explicitly. */
  readonly desired_count?: number;
  readonly replication_factor?: number;
}

/** Replication factor for sizing: the set one, else 3 on 3 or more tasks, else 1 (settings/quorum.ts); Tempo keeps 1. */
function rfFor(service: SizedService, tasks: number, shape: ServiceShape): number {
  if (service === "tempo") return 1;
  return shape.replication_factor ?? (tasks >= 3 ? 3 : 1);
}

function needsFor(service: SizedService, load: Load, rf: number): { needs: Need[]; headroom: { memory: number; disk: number } } {
  if (service === "mimir") return { needs: mimirNeeds(load, rf), headroom: MIMIR_HEADROOM };
  if (service === "loki") return { needs: lokiNeeds(load, rf), headroom: LOKI_HEADROOM };
  return { needs: tempoNeeds(load), headroom: TEMPO_HEADROOM };
}

/** Tasks a service starts from when the count is derived: 3 for replicated rings (one loss keeps a quorum), 1 for Tempo (a singleton). */
export const MIN_DERIVED_TASKS: Readonly<Record<SizedService, number>> = { mimir: 3, loki: 3, tempo: 1 };

/**
 * A service's sizing under `load`: for its explicit task count when set, else for the smallest count
 * from MIN_DERIVED_TASKS up that fits a Fargate task (up to 64 tasks, then the problem is reported).
 * Undefined when the load says nothing about the service.
 */
export function deriveSizing(service: SizedService, load: Load, shape: ServiceShape): Sizing | undefined {
  const probeRf = rfFor(service, shape.desired_count ?? MIN_DERIVED_TASKS[service], shape);
  const what = loadDescription(service, load, probeRf);
  if (what === undefined) return undefined;
  const at = (tasks: number) => {
    const rf = rfFor(service, tasks, shape);
    const { needs, headroom } = needsFor(service, load, rf);
    return sizeFor(service, needs, headroom, tasks, loadDescription(service, load, rf)!);
  };
  if (shape.desired_count !== undefined) return at(Math.max(1, shape.desired_count));
  if (service === "tempo") {
    const s = at(1);
    if (traceMegabytesPerSecond(load) > TEMPO_MONOLITHIC_MAX_MB_PER_SECOND) {
      return { ...s, fargate: undefined, problem: `Tempo receives ${fmt(traceMegabytesPerSecond(load))} MB/s (${what}); Tempo 3 monolithic is sized here for up to ${TEMPO_MONOLITHIC_MAX_MB_PER_SECOND} MB/s: run Tempo in microservices mode with Kafka` };
    }
    return s;
  }
  let last = at(MIN_DERIVED_TASKS[service]);
  for (let tasks = MIN_DERIVED_TASKS[service]; tasks <= 64; tasks++) {
    last = at(tasks);
    if (!last.problem) return last;
  }
  return last;
}

/** Rounds to `digits` decimals (for messages and tables). */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function fmt(x: number): string {
  return String(round(x, 1));
}
