/**
 * 20-security: the security groups of the public ALB and of each service's tasks, generated from
 * the service catalog (`services`, `memberlist_port`, `otlp`, `load_balancer`) and the component
 * profiles (settings/components.ts: RING_SERVICES, CONSUMERS, COMPONENTS). No service port is
 * written here: every task rule's port comes from `taskPorts()` (settings/checks.ts), the same list
 * the port checks validate, so a rule can only open a port the task really listens on. The ALB's
 * listener ports come from modules/load-balancer, which creates the listeners.
 *
 * The traffic it allows, and nothing else:
 * - internet → ALB: the listener ports from the named CIDRs of `load_balancer.ui_allowed_cidrs` and
 *   `load_balancer.ingest_allowed_cidrs` (the listener rules narrow ingest paths further);
 * - ALB → each ALB-fronted service's HTTP port (requests and health checks);
 * - consumer → producer, per the CONSUMERS table (Grafana's datasources, Alloy's pushes, Tempo's
 *   metrics-generator);
 * - ring member ↔ its own ring only: memberlist TCP+UDP, HTTP and gRPC (monolithic instances call
 *   each other);
 * - in-VPC and peered clients (`network.vpc_cidr`, `load_balancer.internal_client_cidrs`) → the
 *   gateway's HTTP port only;
 * - the OTLP senders listed in `alloy.otlp_senders` (named CIDRs and security groups) → Alloy's OTLP
 *   ports; nobody when the list is empty (the default);
 * - tasks → HTTPS anywhere (AWS APIs and image registries);
 * - Grafana → its database: NFS (2049) to the EFS mount targets' own group, which admits Grafana's
 *   tasks only (when `grafana.database` is unset), or the external database's port inside the VPC;
 * - with `cache.enabled`: the cache's consumers (CACHE_CONSUMERS: Mimir, Loki) → the memcached
 *   tasks' own group on `cache.port`, and nothing else into it (no VPC-CIDR rule).
 * Every rule is its own resource with a description; "all traffic" rules do not exist.
 */
import type { Construct } from "constructs";
import { HTTP_PORT as HTTP_LISTENER_PORT, HTTPS_PORT as HTTPS_LISTENER_PORT } from "../modules/load-balancer";
import { EFS_NFS_PORT } from "../modules/efs-file-system";
import { SecurityGroup } from "../modules/security-groups";
import {
  albHasTls,
  CACHE_CONSUMERS,
  CACHE_NAME,
  COMPONENTS,
  enabledConsumptions,
  enabledRingServices,
  enabledServices,
  parseCidr,
  albFrontedServices,
  grafanaDatabase,
  grafanaStateOnEfs,
  securityGroupName,
  taskPorts,
  isEnabled,
  type ProducerPort,
  type ServiceName,
  type Settings,
} from "../settings";
import { LayerStack, type LayerStackProps } from "./layer-stack";

/** AWS APIs and container registries are HTTPS only. */
const HTTPS_PORT = 443;
const ANYWHERE = "0.0.0.0/0";

type GroupKey = "alb" | ServiceName;
type Protocol = "tcp" | "udp";

/** A named CIDR source, after merging entries that name the same network. */
interface CidrSource {
  /** Part of the rule id: `ui_anywhere`, `vpc`, `internal_office`. */
  readonly id: string;
  /** The CIDR written in the rule (a remote-state reference for the VPC). */
  readonly cidr: string;
  /** Setting keys that list this network, for the rule description. */
  readonly keys: string[];
}

/** A security group outside this stack, by id (`alloy.otlp_senders.security_groups`). */
interface ExternalGroupSource {
  /** Part of the rule id: `sender_orders_api`. */
  readonly id: string;
  readonly groupId: string;
  readonly key: string;
}

/** One allowed flow into `to`, from another group, a CIDR or a security group outside the stack. */
interface Flow {
  readonly to: GroupKey;
  readonly from: { readonly group: GroupKey } | { readonly cidr: CidrSource } | { readonly external: ExternalGroupSource };
  /** Port name in the rule id: http, grpc, otlp_grpc, memberlist_udp, ... */
  readonly name: string;
  readonly port: number;
  readonly protocol: Protocol;
  /** What is reached, e.g. "loki http (services.loki.http_port)". */
  readonly what: string;
  /** Why; flows that end up identical (same peer, port, protocol) merge their reasons. */
  readonly why: string[];
}

export class SecurityStack extends LayerStack<"20-security"> {
  readonly alb: SecurityGroup;
  readonly tasks: Readonly<Record<ServiceName, SecurityGroup>>;
  /** The Grafana EFS mount targets' group, when Grafana keeps its database on EFS. */
  readonly efs?: SecurityGroup;
  /** The memcached query cache's tasks, when `cache.enabled`. */
  readonly cache?: SecurityGroup;

  constructor(scope: Construct, props: LayerStackProps) {
    super(scope, "20-security", props);
    const s = this.settings;
    const vpcId = this.remoteString("10-network", "vpc_id");
    const vpcCidr = this.remoteString("10-network", "vpc_cidr");

    this.alb = new SecurityGroup(this, "alb", {
      vpcId,
      name: securityGroupName(s, "alb"),
      description: "Public ALB: listener ports from the allowed CIDRs, egress only to the service tasks",
    });
    // One group per enabled service (services.<name>.enabled): a service switched off has none.
    const tasks = {} as Record<ServiceName, SecurityGroup>;
    for (const name of enabledServices(s)) {
      tasks[name] = new SecurityGroup(this, name, {
        vpcId,
        name: securityGroupName(s, `${name}-tasks`),
        description: `${name} ECS tasks: ports of the service catalog only`,
      });
    }
    this.tasks = tasks;
    const groups: Record<GroupKey, SecurityGroup> = { alb: this.alb, ...tasks };

    for (const flow of planFlows(s, vpcCidr)) {
      const to = groups[flow.to];
      const rule = { port: flow.port, protocol: flow.protocol, description: describe(flow) };
      if ("group" in flow.from) to.allowFrom(groups[flow.from.group], flow.name, rule);
      else if ("external" in flow.from) to.allowIngressFromGroupId(`from_${flow.from.external.id}_${flow.name}`, flow.from.external.groupId, rule);
      else to.allowIngressFromCidr(`from_${flow.from.cidr.id}_${flow.name}`, flow.from.cidr.cidr, rule);
    }

    // Fargate pulls images, fetches secrets and ships awslogs through the task's own network
    // interface, so the task group must allow them: ECR, S3 (image layers and the services' data),
    // CloudWatch Logs, Secrets Manager, STS (task-role credentials), CloudWatch APIs (Alloy) and the
    // upstream registries (Docker Hub) when image_source = "upstream". Their addresses are AWS's and
    // the registries' public ranges, which change and cannot be listed in a security group, hence
    // 0.0.0.0/0 on 443 only; inside the VPC the same traffic reaches the S3 gateway and interface
    // endpoints. DNS (the VPC resolver) is never filtered by security groups and needs no rule.
    for (const name of enabledServices(s)) {
      tasks[name].allowEgressToCidr("to_anywhere_https", ANYWHERE, {
        port: HTTPS_PORT,
        description: "HTTPS to AWS APIs (ECR, S3, CloudWatch Logs, Secrets Manager, STS, CloudWatch) and image registries",
      });
    }

    // Grafana's database. On EFS: the mount targets get a group of their own that admits NFS from
    // Grafana's tasks and nothing else (and Grafana's group the matching egress). External: egress to
    // the database's port inside the VPC; its own security group must admit task_security_group_ids.grafana.
    if (grafanaStateOnEfs(s)) {
      this.efs = new SecurityGroup(this, "grafana_efs", {
        vpcId,
        name: securityGroupName(s, "grafana-efs"),
        description: "Grafana EFS mount targets: NFS from the grafana tasks only",
      });
      this.efs.allowFrom(tasks.grafana, "nfs", { port: EFS_NFS_PORT, description: "NFS (EFS) from grafana: its SQLite database (grafana.database unset)" });
    }
    const database = grafanaDatabase(s);
    if (database) {
      tasks.grafana.allowEgressToCidr("to_vpc_database", vpcCidr, {
        port: database.port,
        description: `grafana database ${database.type} at ${database.host} (grafana.database.host) in the VPC`,
      });
    }

    // The query cache: its own group, reachable on cache.port from the groups of the services
    // whose configs point at it (CACHE_CONSUMERS), and from nothing else: memcached has no
    // authentication, so no CIDR rule (not even the VPC's) may open it. Its egress is HTTPS only
    // (image pull from ECR Public, awslogs).
    if (s.cache.enabled) {
      const cache = new SecurityGroup(this, "cache", {
        vpcId,
        name: securityGroupName(s, "cache-tasks"),
        description: "memcached query cache tasks: cache.port from its consumers only",
      });
      for (const consumer of CACHE_CONSUMERS) {
        cache.allowFrom(tasks[consumer], "memcached", {
          port: s.cache.port,
          description: `memcached (cache.port) from ${consumer}: its query caches at dns+${CACHE_NAME}.${s.service_discovery.namespace}:${s.cache.port}`,
        });
      }
      cache.allowEgressToCidr("to_anywhere_https", ANYWHERE, {
        port: HTTPS_PORT,
        description: "HTTPS to ECR Public (the memcached image) and CloudWatch Logs",
      });
      this.cache = cache;
    }

    this.publish("alb_security_group_id", this.alb.id);
    this.publish("task_security_group_ids", Object.fromEntries(enabledServices(s).map((n) => [n, tasks[n].id])));
    this.publish("efs_security_group_id", this.efs?.id ?? "");
    this.publish("cache_security_group_id", this.cache?.id ?? "");
  }
}

/** Every group-to-group and CIDR-to-group flow the settings call for, identical flows merged. */
export function planFlows(s: Settings, vpcCidr: string): Flow[] {
  const flows = new Map<string, Flow>();
  const add = (flow: Omit<Flow, "why">, why: string) => {
    const from = "group" in flow.from ? `sg:${flow.from.group}` : "external" in flow.from ? `ext:${flow.from.external.groupId}` : `cidr:${flow.from.cidr.id}`;
    const key = `${flow.to}|${from}|${flow.protocol}|${flow.port}`;
    const existing = flows.get(key);
    if (existing) {
      if (!existing.why.includes(why)) existing.why.push(why);
    } else flows.set(key, { ...flow, why: [why] });
  };

  // Internet → ALB, on the listener ports.
  const lb = s.load_balancer;
  const albSources = cidrSources([
    { id: "ui", key: "load_balancer.ui_allowed_cidrs", entries: lb.ui_allowed_cidrs },
    { id: "ingest", key: "load_balancer.ingest_allowed_cidrs", entries: lb.ingest_allowed_cidrs },
  ]);
  // 80 always (it forwards, or redirects once there is TLS); 443 with a certificate or domain.
  const listeners: [string, number][] = [["http", HTTP_LISTENER_PORT]];
  if (albHasTls(s)) listeners.push(["https", HTTPS_LISTENER_PORT]);
  for (const source of albSources) {
    for (const [name, port] of listeners) {
      add({ to: "alb", from: { cidr: source }, name, port, protocol: "tcp", what: `${name.toUpperCase()} listener` }, "clients of the public ALB");
    }
  }

  // ALB → service: the listener rules' traffic and the target group's health checks, both on the
  // HTTP port the target group forwards to.
  for (const name of albFrontedServices(s)) {
    const p = portOf(s, name, "http");
    add({ to: name, from: { group: "alb" }, name: "http", port: p.port, protocol: "tcp", what: `${name} http (${p.key})` }, "requests and health checks");
  }

  // Service → service, from the CONSUMERS table.
  for (const consumer of enabledServices(s)) {
    for (const c of enabledConsumptions(s, consumer)) {
      const p = portOf(s, c.producer, c.port);
      add(
        { to: c.producer, from: { group: consumer }, name: c.port, port: p.port, protocol: "tcp", what: `${c.producer} ${c.port} (${p.key})` },
        c.purpose,
      );
    }
  }

  // A ring member joins only its own ring: gossip, and the HTTP/gRPC calls between instances of one
  // monolithic component (ingesters, queriers, compactors of the same service), from its own group.
  for (const ring of enabledRingServices(s)) {
    for (const p of taskPorts(s, ring)) {
      const name = portName(p.key);
      if (!["http", "grpc", "memberlist"].includes(name)) continue;
      for (const protocol of p.protocols) {
        add(
          {
            to: ring,
            from: { group: ring },
            name: name === "memberlist" ? `memberlist_${protocol}` : name,
            port: p.port,
            protocol,
            what: name === "memberlist" ? `${ring} memberlist ${protocol.toUpperCase()} (${p.key})` : `${ring} ${name} (${p.key})`,
          },
          `${ring} instances of one ring`,
        );
      }
    }
  }

  // In-VPC and peered clients reach the services at their Cloud Map address,
  // http://<service>.<namespace>:<http_port> (50-loadbalancer publishes the namespace). That is the
  // chosen in-VPC mechanism: no internal ALB, and no ingestion path opened on the public one.
  // The VPC's own range comes from 10-network's state; settings only decide which entries merge.
  const clientSources = cidrSources([
    { id: "vpc", key: "network.vpc_cidr", entries: { vpc: s.network.vpc_cidr }, cidrOverride: vpcCidr, single: true },
    { id: "internal", key: "load_balancer.internal_client_cidrs", entries: lb.internal_client_cidrs },
  ]);
  const namespace = s.service_discovery.namespace;
  // Senders authenticate at the gateway (issue 18): it is the only HTTP API clients reach. The
  // backends admit only their consumers (gateway, Alloy, Grafana, Tempo's metrics generator →
  // Mimir, from CONSUMERS above) and their own ring peers, never the VPC CIDR.
  const gateway = portOf(s, "gateway", "http");
  for (const source of clientSources) {
    add(
      { to: "gateway", from: { cidr: source }, name: "http", port: gateway.port, protocol: "tcp", what: `gateway http (${gateway.key})` },
      `authenticated clients of http://gateway.${namespace}:${gateway.port}`,
    );
  }
  // Alloy's OTLP receivers take no credentials (the pinned Alloy could check basic auth, but every
  // OTLP SDK sender would then hold a password, and a sender with one can use the gateway's OTLP
  // HTTP route already): they admit only the senders named in alloy.otlp_senders, nobody by default.
  // What they receive lands in alloy.otlp_tenant.
  const senders = s.alloy.otlp_senders;
  const senderCidrs = cidrSources([{ id: "sender", key: "alloy.otlp_senders.cidrs", entries: senders.cidrs }]);
  const senderGroups: ExternalGroupSource[] = [...new Map(Object.entries(senders.security_groups).map(([name, groupId]) => [groupId, name])).entries()].map(
    ([groupId, name]) => ({ id: `sender_${name.replace(/[^A-Za-z0-9_-]/g, "_")}`, groupId, key: `alloy.otlp_senders.security_groups.${name}` }),
  );
  if (isEnabled(s, "alloy") && COMPONENTS.alloy.receivesOtlp) {
    for (const port of ["otlp_grpc", "otlp_http"] as const) {
      const p = portOf(s, "alloy", port);
      const what = `alloy ${port} (${p.key})`;
      const why = `OTLP senders to alloy.${namespace}:${p.port} (tenant ${s.alloy.otlp_tenant ?? s.tenant_id})`;
      for (const source of senderCidrs) add({ to: "alloy", from: { cidr: source }, name: port, port: p.port, protocol: "tcp", what }, why);
      for (const source of senderGroups) add({ to: "alloy", from: { external: source }, name: port, port: p.port, protocol: "tcp", what }, why);
    }
  }
  return [...flows.values()];
}

/** The rule description: what is reached, from whom, why (EC2 allows 255 characters). */
function describe(flow: Flow): string {
  const from =
    "group" in flow.from
      ? flow.from.group === flow.to
        ? "own group"
        : flow.from.group === "alb"
          ? "the ALB"
          : flow.from.group
      : "external" in flow.from
        ? flow.from.external.key
        : flow.from.cidr.keys.join(", ");
  const text = `${flow.what} from ${from}: ${flow.why.join("; ")}`;
  return text.length <= 255 ? text : `${text.slice(0, 252)}...`;
}

const PRODUCER_PORT_KEYS: Record<ProducerPort, (service: ServiceName) => string> = {
  http: (n) => `services.${n}.http_port`,
  grpc: (n) => `services.${n}.grpc_port`,
  otlp_grpc: () => "otlp.grpc_port",
  otlp_http: () => "otlp.http_port",
};

/** The port a service's task listens on for `which`, from taskPorts(); an error when it has none. */
function portOf(s: Settings, service: ServiceName, which: ProducerPort): { key: string; port: number } {
  const key = PRODUCER_PORT_KEYS[which](service);
  const found = taskPorts(s, service).find((p) => p.key === key);
  if (!found) {
    throw new Error(
      `${service} is called on its ${which} port (settings/components.ts), but its task does not listen on one: set ${key}` +
        (which.startsWith("otlp") ? ` and make ${service} an OTLP receiver` : ""),
    );
  }
  return { key: found.key, port: found.port };
}

/** "services.mimir.grpc_port" → "grpc"; "memberlist_port" → "memberlist"; "otlp.http_port" → "otlp_http". */
function portName(key: string): string {
  if (key === "memberlist_port") return "memberlist";
  if (key.startsWith("otlp.")) return `otlp_${key.slice("otlp.".length, -"_port".length)}`;
  return key.slice(key.lastIndexOf(".") + 1, -"_port".length);
}

/**
 * Named CIDRs of several settings, one source per distinct network: AWS rejects two identical rules
 * in a group, so a CIDR listed twice (in the UI and the ingest list, say) becomes one rule whose
 * description names both entries.
 */
function cidrSources(
  lists: { id: string; key: string; entries: Readonly<Record<string, string>>; cidrOverride?: string; single?: boolean }[],
): CidrSource[] {
  const byNetwork = new Map<string, { id: string; cidr: string; keys: string[] }>();
  for (const list of lists) {
    for (const [name, cidr] of Object.entries(list.entries)) {
      const { start, bits } = parseCidr(cidr);
      const network = `${start}/${bits}`;
      const key = list.single ? list.key : `${list.key}.${name}`;
      const existing = byNetwork.get(network);
      if (existing) existing.keys.push(key);
      else {
        const id = list.single ? list.id : `${list.id}_${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
        byNetwork.set(network, { id, cidr: list.cidrOverride ?? cidr, keys: [key] });
      }
    }
  }
  return [...byNetwork.values()];
}
