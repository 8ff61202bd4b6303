/**
 * The query cache: memcached tasks on Fargate in front of S3 for Mimir's and Loki's query paths.
 *
 * Design (docs/cost.md, "Query cache"): one memcached service of `desired_count` tasks, registered in Cloud
 * Map as `memcached.<namespace>` (A records, one per task), so its address is known at synth and the
 * rendered configs can name it: `dns+memcached.<namespace>:<port>`, which Mimir's and Loki's memcached
 * clients resolve to every task and spread keys over by consistent hashing. ElastiCache was not
 * chosen: its endpoint is known only after apply, too late for the rendered configs, and it would be
 * a second thing to pay for that none of the configs pointed at (the team's previous stack).
 *
 * One pool serves every cache (Mimir: query results, index, chunks, metadata; Loki: query results,
 * chunks). Grafana's own deployments run one memcached cluster per cache so that large chunk items
 * cannot evict small index entries; memcached keeps items of different sizes in different slab
 * classes and rebalances them (slab_automove, on by default since 1.5), which is enough at the sizes
 * a stack of this kind needs. Splitting the pool per cache is the next step when one grows past a
 * few tasks (not built).
 *
 * Sizes left out are derived here; set ones win and are checked (`checkCache`).
 */
import { imageRepository, imageSupports } from "./architecture";
import { FARGATE_SIZES } from "./fargate";
import type { ServiceName } from "./components";
import type { Settings } from "./schema";
import { fargateSize } from "./sizing";

/** Cloud Map name of the cache tasks (`memcached.<namespace>`); not a catalog service. */
export const CACHE_NAME = "memcached";

/**
 * The services whose rendered configs point at the cache: the security groups admit these and no
 * one else, and the config checks require each to carry the cache address.
 */
export const CACHE_CONSUMERS = ["mimir", "loki"] as const satisfies readonly ServiceName[];
export type CacheConsumer = (typeof CACHE_CONSUMERS)[number];

/** One budget of the pool: which cache, how much memory (MiB), by which formula. */
export interface CacheBudget {
  readonly consumer: CacheConsumer;
  readonly cache: string;
  readonly mib: number;
  readonly source: string;
}

/**
 * Grafana's recommended memory per cache where the load says nothing that would size it (MiB):
 * - Mimir: operations/mimir/memcached.libsonnet (grafana/mimir): chunks `memory_limit_mb: 6 * 1024`,
 *   metadata 512, frontend (results) and index-queries the memcached library default, 1024;
 * - Loki: "Configure caches to speed up queries" (grafana.com/docs/loki/latest/operations/caching/):
 *   chunk cache `--memory-limit=4096 --max-item-size=2m --conn-limit=1024`, query results
 *   `--memory-limit=1024 --max-item-size=5m`.
 * These are per memcached replica of a dedicated cluster; here they are the pool's total for a cache.
 */
export const GRAFANA_CACHE_BASELINE_MIB = {
  mimir: { results: 1024, index: 1024, chunks: 6144, metadata: 512 },
  loki: { results: 1024, chunks: 4096 },
} as const;

/** Task memory = memcached memory × this (the Loki Helm chart's memcached request: allocatedMemory × 1.2). */
export const CACHE_MEMORY_OVERHEAD = 1.2;
/** A task holds at most this much cache (MiB), so that a replaced task empties a modest share (ours). */
export const CACHE_MAX_MIB_PER_TASK = 24 * 1024;
/** At least 3 tasks: Loki's caching guide, "Deploy each Memcached service with at least three replicas". */
export const CACHE_MIN_TASKS = 3;
/** memcached refuses an item size above half its memory limit ("Cannot set item size limit higher than 1/2 of memory max"). */
export const CACHE_ITEM_TO_MEMORY_RATIO = 2;
/** Loki cuts chunks at `ingester.chunk_target_size` 1.5 MB (its default), so the cache must take 2 MiB items (the guide's --max-item-size=2m). */
export const CACHE_MIN_ITEM_MIB = 2;
/**
 * Idle connections each client process keeps to every memcached server, per cache: Mimir's
 * `*.memcached.max_idle_connections` default 100, Loki's `memcached_client.max_idle_conns` default 16
 * (../shared/upstream/mimir/3.0.4.keys.json, loki/3.7.6.keys.json). Loki's guide: "Ensure that the
 * connection limit of Memcached is at least number_of_clients * max_idle_conns".
 */
export const CLIENT_IDLE_CONNECTIONS = { mimir: 100, loki: 16 } as const;
/** Caches each consumer keeps in the pool. */
export const CACHES_PER_CONSUMER = { mimir: 4, loki: 2 } as const;
/** Derived connection limit: twice the idle pools (busy connections come on top), at least memcached's 1024 (ours). */
export const CONNECTION_HEADROOM = 2;

/** The cache as the stacks, templates and cost estimate use it. */
export interface ResolvedCache {
  readonly enabled: boolean;
  readonly image: string;
  readonly host: string;
  readonly port: number;
  /** `dns+memcached.<namespace>:<port>`: the address every client config carries. */
  readonly address: string;
  readonly tasks: number;
  readonly cpu: number;
  /** Task memory, MiB. */
  readonly memory: number;
  /** memcached's `--memory-limit` per task, MiB. */
  readonly memoryLimitMiB: number;
  readonly maxItemMiB: number;
  /** The clients' max_item_size, bytes: memcached's limit minus the key and header (CACHE_ITEM_OVERHEAD_BYTES). */
  readonly maxItemBytes: number;
  readonly connectionLimit: number;
  /** Connections the clients may hold open to one task. */
  readonly connectionsNeeded: number;
  readonly threads: number;
  readonly cpuArchitecture: "X86_64" | "ARM64";
  /** The pool's memory by cache, before dividing over the tasks. */
  readonly budgets: readonly CacheBudget[];
  /** memcached's command line (the task definition's `command`). */
  readonly args: readonly string[];
}

/** What each cache gets, from the load where it says enough, else Grafana's figure. */
export function cacheBudgets(s: Settings): CacheBudget[] {
  const load = s.load;
  const hours = s.cache.hot_window_hours;
  const u = s.cost.usage;
  const base = GRAFANA_CACHE_BASELINE_MIB;
  const jsonnet = "Grafana's figure (operations/mimir/memcached.libsonnet)";
  const lokiGuide = "Grafana's figure (Loki caching guide)";
  const out: CacheBudget[] = [
    { consumer: "mimir", cache: "results", mib: base.mimir.results, source: jsonnet },
    { consumer: "mimir", cache: "index", mib: base.mimir.index, source: jsonnet },
  ];
  if (load?.active_series !== undefined) {
    // The chunks a store-gateway reads for the most recent `hot_window_hours`: active series ×
    // samples per series in the window × bytes per sample in compacted blocks (Mimir's capacity
    // guide: ~2 bytes, cost.usage.mimir_bytes_per_sample). 24 h is also how long Mimir keeps a chunk
    // subrange in the cache (blocks_storage.bucket_store.chunks_cache.subrange_ttl default 24h).
    const bytes = load.active_series * ((hours * 3600) / load.scrape_interval_seconds) * u.mimir_bytes_per_sample;
    out.push({
      consumer: "mimir",
      cache: "chunks",
      mib: Math.ceil(bytes / 2 ** 20),
      source: `load: ${load.active_series} series × ${hours} h at ${load.scrape_interval_seconds} s × ${u.mimir_bytes_per_sample} B/sample`,
    });
  } else out.push({ consumer: "mimir", cache: "chunks", mib: base.mimir.chunks, source: jsonnet });
  out.push({ consumer: "mimir", cache: "metadata", mib: base.mimir.metadata, source: jsonnet });
  out.push({ consumer: "loki", cache: "results", mib: base.loki.results, source: lokiGuide });
  if (load?.logs_gb_per_day !== undefined) {
    // The compressed chunks of the last `hot_window_hours` of logs (cost.usage.log_compression_ratio).
    const bytes = (load.logs_gb_per_day * 1e9 * (hours / 24)) / u.log_compression_ratio;
    out.push({
      consumer: "loki",
      cache: "chunks",
      mib: Math.ceil(bytes / 2 ** 20),
      source: `load: ${load.logs_gb_per_day} GB/day × ${hours} h ÷ ${u.log_compression_ratio} compression`,
    });
  } else out.push({ consumer: "loki", cache: "chunks", mib: base.loki.chunks, source: lokiGuide });
  return out;
}

/** Connections Mimir's and Loki's tasks may hold open to one cache task. */
export function cacheConnectionsNeeded(s: Settings): number {
  return (
    s.services.mimir.desired_count * CACHES_PER_CONSUMER.mimir * CLIENT_IDLE_CONNECTIONS.mimir +
    s.services.loki.desired_count * CACHES_PER_CONSUMER.loki * CLIENT_IDLE_CONNECTIONS.loki
  );
}

/** The cache's effective sizes and command line. */
export function resolveCache(s: Settings): ResolvedCache {
  const c = s.cache;
  const budgets = cacheBudgets(s);
  const total = budgets.reduce((sum, b) => sum + b.mib, 0);
  const tasks = c.desired_count ?? Math.max(CACHE_MIN_TASKS, Math.ceil(total / CACHE_MAX_MIB_PER_TASK));
  const memoryLimitMiB = c.memory_limit_mb ?? Math.ceil(total / tasks);
  const fit = fargateSize(0.5, (memoryLimitMiB * CACHE_MEMORY_OVERHEAD) / 1024);
  const cpu = c.cpu ?? fit?.cpu ?? 16384;
  const memory = c.memory ?? fit?.memory ?? 122880;
  const needed = cacheConnectionsNeeded(s);
  const connectionLimit = c.connection_limit ?? Math.max(1024, Math.ceil((needed * CONNECTION_HEADROOM) / 1024) * 1024);
  const host = `${CACHE_NAME}.${s.service_discovery.namespace}`;
  const maxItemMiB = c.max_item_size_mb;
  const cpuArchitecture = c.cpu_architecture ?? (imageSupports(imageRepository(c.image), "ARM64") ? "ARM64" : "X86_64");
  return {
    enabled: c.enabled,
    image: c.image,
    host,
    port: c.port,
    address: `dns+${host}:${c.port}`,
    tasks,
    cpu,
    memory,
    memoryLimitMiB,
    maxItemMiB,
    maxItemBytes: maxItemMiB * 2 ** 20 - CACHE_ITEM_OVERHEAD_BYTES,
    connectionLimit,
    connectionsNeeded: needed,
    threads: c.threads,
    cpuArchitecture,
    budgets,
    args: [
      `--port=${c.port}`,
      `--memory-limit=${memoryLimitMiB}`,
      `--max-item-size=${maxItemMiB}m`,
      `--conn-limit=${connectionLimit}`,
      `--threads=${c.threads}`,
    ],
  };
}

/**
 * memcached's --max-item-size bounds the whole item: value, key (up to 250 bytes) and its header
 * (~50 bytes). Mimir's and Loki's clients compare the value alone with their max_item_size, so they
 * are given the limit minus this margin; a value at the limit itself would be refused as "object
 * too large for cache" (test/cache.test.ts sets and gets one against a real memcached).
 */
export const CACHE_ITEM_OVERHEAD_BYTES = 1024;

/** Cross-field rules of the `cache` block; nothing is checked while it is off. */
export function checkCache(s: Settings): { key: string; message: string }[] {
  if (!s.cache.enabled) return [];
  const out: { key: string; message: string }[] = [];
  const r = resolveCache(s);
  const allowed = FARGATE_SIZES[r.cpu];
  if (!allowed) {
    out.push({ key: "cache.cpu", message: `Fargate does not offer ${r.cpu} CPU units; expected one of ${Object.keys(FARGATE_SIZES).join(", ")} (1024 = 1 vCPU)` });
  } else if (!allowed.includes(r.memory)) {
    out.push({ key: "cache.memory", message: `Fargate does not offer ${r.memory} MiB with ${r.cpu} CPU units; expected one of ${allowed.join(", ")}` });
  }
  const most = Math.floor(r.memory / CACHE_MEMORY_OVERHEAD);
  if (r.memoryLimitMiB > most) {
    out.push({
      key: s.cache.memory_limit_mb !== undefined ? "cache.memory_limit_mb" : "cache.memory",
      message: `memcached's ${r.memoryLimitMiB} MiB of items plus its connection buffers and hash table (×${CACHE_MEMORY_OVERHEAD}) do not fit a ${r.memory} MiB task; expected memory_limit_mb at most ${most}, a larger cache.memory, or more tasks (cache.desired_count)`,
    });
  }
  if (!s.cache.max_item_size_mb || s.cache.max_item_size_mb < CACHE_MIN_ITEM_MIB) {
    out.push({
      key: "cache.max_item_size_mb",
      message: `Loki cuts chunks at 1.5 MB (ingester.chunk_target_size), which a ${s.cache.max_item_size_mb} MiB item limit never caches; expected at least ${CACHE_MIN_ITEM_MIB} (Loki's caching guide: --max-item-size=2m)`,
    });
  } else if (r.maxItemMiB * CACHE_ITEM_TO_MEMORY_RATIO > r.memoryLimitMiB) {
    out.push({
      key: "cache.max_item_size_mb",
      message: `memcached refuses an item size above half its memory limit (${r.memoryLimitMiB} MiB per task); expected at most ${Math.floor(r.memoryLimitMiB / CACHE_ITEM_TO_MEMORY_RATIO)}`,
    });
  }
  if (r.connectionLimit < r.connectionsNeeded) {
    out.push({
      key: "cache.connection_limit",
      message: `${r.connectionLimit} connections per task is below the clients' idle pools: ${s.services.mimir.desired_count} Mimir tasks × ${CACHES_PER_CONSUMER.mimir} caches × ${CLIENT_IDLE_CONNECTIONS.mimir} + ${s.services.loki.desired_count} Loki tasks × ${CACHES_PER_CONSUMER.loki} caches × ${CLIENT_IDLE_CONNECTIONS.loki} = ${r.connectionsNeeded} (Loki's caching guide: at least clients × max_idle_conns); expected at least ${r.connectionsNeeded}, or omit it to derive it`,
    });
  }
  if (s.cache.cpu_architecture === "ARM64" && !imageSupports(imageRepository(s.cache.image), "ARM64")) {
    out.push({ key: "cache.cpu_architecture", message: `${s.cache.image} is not known to be published for linux/arm64 (settings/architecture.ts lists the images checked); use "X86_64"` });
  }
  return out;
}
