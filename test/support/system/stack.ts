/**
 * The prod stack on the system tier: the shipped prod settings, the synthesized 60-ecs layer (its
 * task definitions, ECS services and Cloud Map services), the tier's network, DNS, object store and
 * cluster, and the service specs that start each component from its task definition.
 *
 * Left out, for want of binaries: Pyroscope, Grafana and Alloy (components/README.md). The gateway
 * still routes to Pyroscope, so those routes must answer 502/503.
 */
import { loadSettings, type Settings } from "../../../settings";
import { resourcesOf, synthLayer, type StackJson } from "../synth";
import { componentBinary } from "./components";
import { Cluster, healthCheckArgv, mainContainer, type ContainerDefinition, type ServiceSpec, type Task } from "./fargate";
import { RunLedger, sweepStaleRuns } from "./ledger";
import { Network } from "./network";
import { s3EndpointNames, startSystemS3, type SystemS3 } from "./s3";
import { startTaskMetadata, type TaskMetadataServer } from "./task-metadata";
import { findTool, MEMCACHED } from "../tools";

/** The components that run here, with the program that replaces each image's entrypoint. */
export const RUNNABLE = ["mimir", "loki", "tempo", "gateway", "memcached"] as const;
export type Runnable = (typeof RUNNABLE)[number];
export const RING_BINARIES = ["mimir", "loki", "tempo"] as const;

export interface EcsService {
  desiredCount: number;
  minimumHealthyPercent: number;
  maximumPercent: number;
}

export interface SystemStack {
  readonly settings: Settings;
  readonly network: Network;
  readonly s3: SystemS3;
  readonly cluster: Cluster;
  /** The ECS task metadata endpoint every task's containers are given (task-metadata.ts). */
  readonly metadata: TaskMetadataServer;
  /** The AZs the services' subnets are in, in subnet order: where the cluster places tasks. */
  readonly zones: readonly string[];
  readonly specs: Record<Runnable, ServiceSpec>;
  readonly services: Record<Runnable, EcsService>;
  /** Cloud Map's record TTL, seconds (the DNS answers' TTL). */
  readonly dnsTtl: number;
  /** Tenant id → its gateway passwords per role (the test values of the tenants' secrets). */
  readonly tenants: Record<string, { readonly write: string; readonly read: string }>;
  readonly bucket: string;
  /** What this run created on the machine (ledger.ts). */
  readonly ledger: RunLedger;
  /** Stops everything gracefully, then removes whatever the ledger still names. */
  close(): Promise<void>;
}

/** The synthesized prod 60-ecs layer (once per worker, test/support/synth.ts). */
function ecsLayer(settings: Settings): StackJson {
  return synthLayer(settings, "60-ecs");
}

/** Tenant id → role → the environment variable its password arrives in, from the rendered start.sh (`htpasswd-<signal>-<role>`). */
function tenantPasswordVariables(startSh: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const m of startSh.matchAll(/pw=\$\(printenv (\w+)\)[^\n]*\nprintf '%s:\{PLAIN\}%s\\n' '([^']+)' "\$pw" >> "\$run\/htpasswd-\w+-(\w+)"/g)) (out[m[2]] ??= {})[m[3]] = m[1];
  if (Object.keys(out).length === 0) throw new Error("the rendered gateway start.sh names no tenant password variable (pw=$(printenv ...))");
  return out;
}

/** The subnets every service runs in: all private subnets of 10-network, one per network.availability_zones entry. */
const ALL_PRIVATE_SUBNETS = "${data.terraform_remote_state.network.outputs.private_subnet_ids}";

/** Starts the tier on prod's settings, or on `options.settings` (prod with overrides, for a scenario that scales a ring). */
export async function startSystemStack(options: { settings?: Settings } = {}): Promise<SystemStack> {
  const settings = options.settings ?? (await loadSettings("prod"));
  const stack = ecsLayer(settings);
  const tds = resourcesOf(stack, "aws_ecs_task_definition");
  const svcs = resourcesOf(stack, "aws_ecs_service");
  const discovery = resourcesOf(stack, "aws_service_discovery_service");
  const ttls = new Set(Object.values(discovery).map((d) => d.dns_config.dns_records[0].ttl as number));
  if (ttls.size !== 1) throw new Error(`Cloud Map services have different TTLs (${[...ttls].join(", ")}); the tier's DNS has one`);
  const dnsTtl = [...ttls][0];
  const containers = (name: Runnable) => {
    const td = tds[`${name}_task_definition`];
    if (!td) throw new Error(`prod 60-ecs has no aws_ecs_task_definition.${name}_task_definition`);
    return JSON.parse(td.container_definitions as string) as ContainerDefinition[];
  };
  // A service the settings switch off (the cache with cache.enabled = false) has no ECS service: the
  // tier then has no spec for it either.
  const present = RUNNABLE.filter((name) => svcs[`${name}_service`] !== undefined);
  const services = Object.fromEntries(
    present.map((name) => {
      const s = svcs[`${name}_service`];
      // Tasks are placed over the AZs of the service's subnets: the tier models "every private subnet".
      if (s.network_configuration.subnets !== ALL_PRIVATE_SUBNETS) throw new Error(`${name}'s ECS service runs in ${JSON.stringify(s.network_configuration.subnets)}; the tier places tasks over every private subnet's AZ only`);
      return [name, { desiredCount: s.desired_count, minimumHealthyPercent: s.deployment_minimum_healthy_percent, maximumPercent: s.deployment_maximum_percent }];
    }),
  ) as Record<Runnable, EcsService>;

  const bucket = settings.storage.data_bucket_name;
  const region = settings.aws.region;
  const namespace = settings.service_discovery.namespace;

  // What an earlier run left when it was SIGKILLed (nothing could run in it); then this run's ledger,
  // removed on close, on exit and on SIGINT/SIGTERM/SIGHUP even when close() never runs.
  sweepStaleRuns();
  const ledger = new RunLedger();
  const release = ledger.guard();
  const teardown = async (parts: { cluster?: Cluster; s3?: SystemS3; network?: Network; metadata?: TaskMetadataServer }) => {
    try {
      await parts.cluster?.close();
      await parts.metadata?.stop();
      await parts.s3?.stop();
      await parts.network?.close();
    } finally {
      ledger.cleanupSync();
      release();
    }
  };
  let network: Network | undefined;
  let s3: SystemS3 | undefined;
  let cluster: Cluster | undefined;
  let metadata: TaskMetadataServer | undefined;
  const zones = settings.network.availability_zones;
  try {
    network = new Network(ledger);
    const gw = network.gateway;
    s3 = await startSystemS3({ address: gw, region, buckets: [bucket], ledger });
    await network.startDns({ zones: [namespace, "amazonaws.com"], fixed: Object.fromEntries(s3EndpointNames(region).map((n) => [n, gw])), ttl: dnsTtl });
    metadata = await startTaskMetadata({ address: gw, cluster: `${settings.project}-${settings.env}`, region });
    const families = Object.fromEntries(present.map((name) => [name, tds[`${name}_task_definition`].family as string]));
    cluster = new Cluster(network, namespace, ledger, { metadata, zones, family: (service) => families[service] ?? service });

    const gatewayInit = containers("gateway").find((c) => c.name === "config")!;
    const startSh = (gatewayInit.environment ?? []).map((e) => e.value).find((v) => v.includes("exec nginx"));
    if (!startSh) throw new Error("the gateway's config init container delivers no start.sh");
    const passwordVars = tenantPasswordVariables(startSh);
    const tenants = Object.fromEntries(Object.keys(passwordVars).map((t, i) => [t, { write: `test-write-${i}-${process.pid}`, read: `test-read-${i}-${process.pid}` }]));
    const gatewaySecrets = Object.fromEntries(
      Object.entries(passwordVars).flatMap(([t, roles]) => Object.entries(roles).map(([role, v]) => [v, tenants[t][role as "write" | "read"]])),
    );

    const references = { "${data.terraform_remote_state.storage.outputs.data_bucket_name}": bucket };
    const extraEnv = { ...s3.env, SSL_CERT_FILE: s3.caFile, AWS_EC2_METADATA_DISABLED: "true" };
    const port = (name: Runnable) => mainContainer(containers(name), name).portMappings![0].containerPort;
    /** The task's own container health check (the readiness sidecar's), or `fallback` when it has none. */
    const readiness = (name: Runnable, fallback: ServiceSpec["ready"]): ServiceSpec["ready"] => {
      const checks = containers(name).filter((c) => c.essential && c.healthCheck);
      if (checks.length > 1) throw new Error(`${name}: more than one container health check; the tier models one`);
      return checks.length === 1 ? { kind: "command", argv: healthCheckArgv(checks[0].healthCheck!.command) } : fallback;
    };
    const spec = (name: Runnable, binary: string | undefined, fallback: ServiceSpec["ready"], secrets: Record<string, string> = {}): ServiceSpec => ({
      name,
      containers: containers(name),
      binary,
      secrets,
      references,
      extraEnv,
      port: port(name),
      ready: readiness(name, fallback),
    });
    const specs = {
      // Fallbacks for a task definition without a health check: the components' readiness path.
      mimir: spec("mimir", componentBinary("mimir"), { kind: "http", port: port("mimir"), path: "/ready" }),
      loki: spec("loki", componentBinary("loki"), { kind: "http", port: port("loki"), path: "/ready" }),
      tempo: spec("tempo", componentBinary("tempo"), { kind: "http", port: port("tempo"), path: "/ready" }),
      // The nginx image's entrypoint runs the command as given (sh /etc/lgtm/start.sh); the ALB's health check path.
      gateway: spec("gateway", undefined, { kind: "http", port: port("gateway"), path: "/healthz" }, gatewaySecrets),
      ...(present.includes("memcached") ? { memcached: spec("memcached", findTool(MEMCACHED), { kind: "tcp", port: port("memcached") }) } : {}),
    } as Record<Runnable, ServiceSpec>;
    const parts = { cluster, s3, network, metadata };
    const net = network;
    return {
      settings,
      network: net,
      s3,
      cluster,
      metadata,
      zones,
      specs,
      services,
      dnsTtl,
      tenants,
      bucket,
      ledger,
      close: () => teardown(parts),
    };
  } catch (e) {
    await teardown({ cluster, s3, network, metadata });
    throw e;
  }
}

/** Starts `count` tasks of a service in parallel and waits until every one is ready; returns ms to ready per task. */
export async function startTasks(stack: SystemStack, name: Runnable, count: number, timeoutMs: number): Promise<{ task: Task; ms: number }[]> {
  // As ECS places a service's tasks: all at once (each still runs its init container before its main one).
  return Promise.all(
    Array.from({ length: count }, async () => {
      const task = await stack.cluster.startTask(stack.specs[name]);
      return { task, ms: await task.waitReady(timeoutMs) };
    }),
  );
}

export interface StoppedTask {
  id: string;
  /** SIGTERM to exit. */
  stopMs: number;
  inTime: boolean;
  /** Objects under the component's prefix that appeared between SIGTERM and exit. */
  newObjects: string[];
}

export interface Replaced {
  stopped: StoppedTask;
  started: { id: string; address: string; readyMs: number };
}

/**
 * A rolling deployment as ECS runs it for a service with these deployment settings: at most
 * `maximumPercent` of the desired count running, at least `minimumHealthyPercent` healthy, so with
 * the rings' 66/100 one task is stopped (SIGTERM, SIGKILL after its stop timeout), then its
 * replacement is started on a fresh disk and address, and the next task is stopped only after the
 * replacement is ready (the readiness the stack's health check uses).
 */
export async function rollingRestart(stack: SystemStack, name: Runnable, prefix: string, readyTimeoutMs: number): Promise<Replaced[]> {
  const svc = stack.services[name];
  const old = stack.cluster.live(name);
  const minHealthy = Math.ceil((svc.desiredCount * svc.minimumHealthyPercent) / 100);
  const maxRunning = Math.floor((svc.desiredCount * svc.maximumPercent) / 100);
  const batch = Math.max(1, Math.min(svc.desiredCount - minHealthy, old.length));
  if (maxRunning > svc.desiredCount) throw new Error(`${name}: maximumPercent ${svc.maximumPercent} would start replacements before stopping; the rings' settings stop first`);
  const out: Replaced[] = [];
  for (let i = 0; i < old.length; i += batch) {
    const group = old.slice(i, i + batch);
    const done = await Promise.all(
      group.map(async (task) => {
        const before = new Set(stack.s3.objects(stack.bucket, prefix).map((o) => o.key));
        const stop = await stack.cluster.stopTask(task);
        const newObjects = stack.s3
          .objects(stack.bucket, prefix)
          .map((o) => o.key)
          .filter((k) => !before.has(k));
        const fresh = await stack.cluster.startTask(stack.specs[name]);
        const readyMs = await fresh.waitReady(readyTimeoutMs);
        return { stopped: { id: task.id, stopMs: stop.ms, inTime: stop.inTime, newObjects }, started: { id: fresh.id, address: fresh.address, readyMs } };
      }),
    );
    out.push(...done);
  }
  return out;
}
