/**
 * Who can reach which task port from an address range, read from the security groups of an
 * environment: every CIDR ingress (aws_vpc_security_group_ingress_rule, aws_security_group_rule,
 * an aws_security_group's inline `ingress`), the group it opens, and what that group is, followed
 * through remote state (./references.ts): the group of an ECS service (a task group, named by the
 * service), the group of a load balancer (with its listener ports), or neither (an interface
 * endpoint's, an EFS mount target's: no task port behind it).
 *
 * The allowed address-range entries (docs/security.md, "Who can reach what"): the ALB's listener
 * ports from `load_balancer.ui_allowed_cidrs` and `.ingest_allowed_cidrs`, and the gateway's port
 * from the VPC and `load_balancer.internal_client_cidrs`. Everything else a CIDR opens is reported.
 */
import { keyOf, resolve, targetOf } from "./references";
import type { PolicyEnvironment, SynthesizedStack, TfBlock } from "./types";

/** The service every client outside the stack must go through (settings/components.ts). */
export const GATEWAY_SERVICE = "gateway";

/** One CIDR ingress: one range of one protocol into one group. */
export interface CidrIngress {
  readonly address: string;
  /** `stack:address` of the group it opens, when it names one. */
  readonly group?: string;
  /** The CIDR as written (a literal or a reference). */
  readonly cidr: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly protocol: string;
}

/** What the environment's groups are. */
export interface GroupView {
  /** Task group → the ECS services running in it. */
  readonly services: ReadonlyMap<string, readonly string[]>;
  /** Load-balancer group → its listener ports. */
  readonly loadBalancers: ReadonlyMap<string, readonly number[]>;
  /** Whether any ECS service was in view (otherwise every group counts as a task group). */
  readonly tasksInView: boolean;
  /** The gateway's HTTP port, from settings or its container's first port. */
  readonly gatewayPort?: number;
}

const ALL_PROTOCOLS = new Set(["-1", "all"]);

function ports(block: TfBlock): { fromPort: number; toPort: number; protocol: string } {
  const protocol = String(block.ip_protocol ?? block.protocol ?? "tcp").toLowerCase();
  if (ALL_PROTOCOLS.has(protocol)) return { fromPort: 0, toPort: 65535, protocol };
  return { fromPort: Number(block.from_port ?? 0), toPort: Number(block.to_port ?? block.from_port ?? 65535), protocol };
}

/** Every CIDR ingress of a stack, in address order. */
export function cidrIngresses(env: PolicyEnvironment, stack: SynthesizedStack): CidrIngress[] {
  const out: CidrIngress[] = [];
  const groupKey = (v: unknown) => {
    const t = targetOf(env, stack, v);
    return t && t.address.startsWith("aws_security_group.") ? keyOf(t) : undefined;
  };
  const res = stack.json.resource ?? {};
  for (const [name, r] of Object.entries(res.aws_vpc_security_group_ingress_rule ?? {})) {
    for (const cidr of [r.cidr_ipv4, r.cidr_ipv6].filter((c): c is string => typeof c === "string")) {
      out.push({ address: `aws_vpc_security_group_ingress_rule.${name}`, group: groupKey(r.security_group_id), cidr, ...ports(r) });
    }
  }
  for (const [name, r] of Object.entries(res.aws_security_group_rule ?? {})) {
    if (r.type !== "ingress") continue;
    for (const cidr of [...[r.cidr_blocks ?? []].flat(), ...[r.ipv6_cidr_blocks ?? []].flat()].filter((c): c is string => typeof c === "string")) {
      out.push({ address: `aws_security_group_rule.${name}`, group: groupKey(r.security_group_id), cidr, ...ports(r) });
    }
  }
  for (const [name, g] of Object.entries(res.aws_security_group ?? {})) {
    for (const rule of [g.ingress ?? []].flat() as TfBlock[]) {
      for (const cidr of [...[rule.cidr_blocks ?? []].flat(), ...[rule.ipv6_cidr_blocks ?? []].flat()].filter((c): c is string => typeof c === "string")) {
        out.push({ address: `aws_security_group.${name}`, group: `${stack.id}:aws_security_group.${name}`, cidr, ...ports(rule) });
      }
    }
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

/** The containers of a task definition, tolerant of anything but a JSON list. */
function containerList(task: TfBlock | undefined): TfBlock[] {
  try {
    const parsed = JSON.parse(String(task?.container_definitions));
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

/** The service an ECS service runs: its `name`, else its task's first container with a port. */
export function serviceName(env: PolicyEnvironment, stack: SynthesizedStack, service: TfBlock): string {
  if (typeof service.name === "string" && !service.name.includes("${")) return service.name;
  const t = targetOf(env, stack, service.task_definition);
  const task = t ? env.stacks.find((s) => s.id === t.stack)?.json.resource?.aws_ecs_task_definition?.[t.address.split(".")[1]] : undefined;
  return containerList(task).find((c) => (c.portMappings ?? []).length > 0)?.name ?? "an ECS service";
}

const views = new WeakMap<PolicyEnvironment, GroupView>();

/** Which group belongs to what, across the environment (read once per environment of a run). */
export function groupView(env: PolicyEnvironment): GroupView {
  const cached = views.get(env);
  if (cached) return cached;
  const view = readGroups(env);
  views.set(env, view);
  return view;
}

function readGroups(env: PolicyEnvironment): GroupView {
  const services = new Map<string, string[]>();
  const loadBalancers = new Map<string, number[]>();
  let tasksInView = false;
  let gatewayPort = env.settings?.services?.gateway?.http_port as number | undefined;
  for (const stack of env.stacks) {
    const res = stack.json.resource ?? {};
    for (const svc of Object.values(res.aws_ecs_service ?? {})) {
      tasksInView = true;
      const name = serviceName(env, stack, svc);
      const net = [svc.network_configuration ?? []].flat()[0] as TfBlock | undefined;
      for (const g of [net?.security_groups ?? []].flat()) {
        const t = targetOf(env, stack, g);
        if (t) services.set(keyOf(t), [...(services.get(keyOf(t)) ?? []), name]);
      }
      if (name === GATEWAY_SERVICE && gatewayPort === undefined) {
        const t = targetOf(env, stack, svc.task_definition);
        const task = t ? env.stacks.find((s) => s.id === t.stack)?.json.resource?.aws_ecs_task_definition?.[t.address.split(".")[1]] : undefined;
        const port = containerList(task).find((c) => c.name === GATEWAY_SERVICE)?.portMappings?.[0]?.containerPort;
        if (typeof port === "number") gatewayPort = port;
      }
    }
    for (const [lbName, lb] of Object.entries(res.aws_lb ?? {})) {
      const listenerPorts = Object.values(res.aws_lb_listener ?? {})
        .filter((l) => l.load_balancer_arn === `\${aws_lb.${lbName}.arn}`)
        .map((l) => Number(l.port));
      for (const g of [lb.security_groups ?? []].flat()) {
        const t = targetOf(env, stack, g);
        if (t) loadBalancers.set(keyOf(t), listenerPorts);
      }
    }
  }
  return { services, loadBalancers, tasksInView, gatewayPort };
}

/** A CIDR that is the whole internet. */
export const isWorld = (cidr: string) => /^(0\.0\.0\.0|::)\/0$/.test(cidr.trim());

/** Whether a CIDR is the VPC's own range: a reference to a VPC's cidr_block, or settings' `network.vpc_cidr`. */
function isVpcCidr(env: PolicyEnvironment, stack: SynthesizedStack, cidr: string): boolean {
  const t = targetOf(env, stack, cidr);
  if (t && t.address.startsWith("aws_vpc.") && t.attribute === "cidr_block") return true;
  return env.settings !== undefined && resolve(env, stack, cidr).value === env.settings.network.vpc_cidr;
}

const values = (o: unknown): string[] => (o && typeof o === "object" ? Object.values(o as Record<string, unknown>).filter((v): v is string => typeof v === "string") : []);

/** How one CIDR ingress stands: allowed, or why not, and whether it is open to the whole internet. */
export interface Verdict {
  readonly ingress: CidrIngress;
  readonly world: boolean;
  /** Undefined when allowed. */
  readonly problem?: string;
  /** Whether the ports are the load balancer's listener ports (the only ones open to the internet by design). */
  readonly listenerPorts: boolean;
}

const range = (i: CidrIngress) => (i.fromPort === i.toPort ? `port ${i.fromPort}` : `ports ${i.fromPort}-${i.toPort}`);

/** Every CIDR ingress of `stack` into a task group or a load balancer's group, judged. */
export function judgeIngress(env: PolicyEnvironment, stack: SynthesizedStack): Verdict[] {
  const view = groupView(env);
  const lb = env.settings?.load_balancer;
  const out: Verdict[] = [];
  for (const ingress of cidrIngresses(env, stack)) {
    const world = isWorld(ingress.cidr);
    const listeners = ingress.group ? view.loadBalancers.get(ingress.group) : undefined;
    const services = ingress.group ? view.services.get(ingress.group) : undefined;
    if (listeners) {
      const onListeners = listeners.length > 0 && ingress.fromPort === ingress.toPort && listeners.includes(ingress.fromPort);
      const allowedCidrs = lb ? [...values(lb.ui_allowed_cidrs), ...values(lb.ingest_allowed_cidrs)] : undefined;
      const listed = allowedCidrs === undefined || allowedCidrs.includes(String(resolve(env, stack, ingress.cidr).value));
      const problem = !onListeners
        ? `${ingress.cidr} reaches the load balancer on ${range(ingress)}, not one of its listener ports (${listeners.join(", ") || "none"})`
        : !listed
          ? `${ingress.cidr} reaches the load balancer's listener but is in neither load_balancer.ui_allowed_cidrs nor .ingest_allowed_cidrs`
          : undefined;
      out.push({ ingress, world, problem, listenerPorts: onListeners });
      continue;
    }
    const isTaskGroup = services !== undefined || (!view.tasksInView && ingress.group !== undefined);
    if (!isTaskGroup) continue;
    const names = services?.join(", ") ?? "a task group";
    const gatewayPort = services?.includes(GATEWAY_SERVICE) && view.gatewayPort !== undefined && ingress.fromPort === view.gatewayPort && ingress.toPort === view.gatewayPort;
    const clientCidr =
      isVpcCidr(env, stack, ingress.cidr) || (lb !== undefined && values(lb.internal_client_cidrs).includes(String(resolve(env, stack, ingress.cidr).value)));
    const problem =
      gatewayPort && clientCidr
        ? undefined
        : gatewayPort
          ? `${ingress.cidr} reaches the gateway's port ${ingress.fromPort} but is neither the VPC's range nor in load_balancer.internal_client_cidrs`
          : `${ingress.cidr} reaches ${names} on ${range(ingress)} (${ingress.protocol}): only the gateway's port may admit an address range`;
    out.push({ ingress, world, problem, listenerPorts: false });
  }
  return out;
}
