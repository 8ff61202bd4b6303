/**
 * Where the ALB sends what: every forward action of a listener rule or a listener's default action,
 * its path patterns, and the service behind each target group it forwards to with a weight above
 * zero (the ECS service that registers into it, else the group's `Service` tag). A target group with
 * weight 0 is only attached (ECS requires it), it receives nothing.
 */
import { keyOf, targetOf } from "./references";
import { serviceName } from "./reachability";
import type { PolicyEnvironment, SynthesizedStack, TfBlock } from "./types";

/**
 * The gateway's ALB paths when no settings are at hand (`services.gateway.alb_paths` of
 * environments/common.tfvars): every ingestion and query path of the backends.
 */
export const DEFAULT_BACKEND_PATHS: readonly string[] = ["/api/v1/push", "/otlp/*", "/prometheus/*", "/loki/*", "/tempo/*", "/pyroscope/*"];
/** Grafana's UI, the catch-all's service when no settings say otherwise (`load_balancer.default_service`). */
export const DEFAULT_UI_SERVICE = "grafana";

export interface Forward {
  /** The listener rule or listener. */
  readonly address: string;
  readonly paths: readonly string[];
  /** The target group's address (or the ARN as written when it names none). */
  readonly targetGroup: string;
  /** The service behind it, when known. */
  readonly service?: string;
}

const one = (v: unknown): TfBlock | undefined => (Array.isArray(v) ? v[0] : v && typeof v === "object" ? (v as TfBlock) : undefined);

const owners = new WeakMap<PolicyEnvironment, Map<string, string>>();

/** Target group key (`stack:address`) → the service that registers into it (read once per environment). */
function targetGroupServices(env: PolicyEnvironment): Map<string, string> {
  const cached = owners.get(env);
  if (cached) return cached;
  const out = new Map<string, string>();
  for (const stack of env.stacks) {
    for (const svc of Object.values(stack.json.resource?.aws_ecs_service ?? {})) {
      for (const lb of [svc.load_balancer ?? []].flat() as TfBlock[]) {
        const t = targetOf(env, stack, lb.target_group_arn);
        if (t) out.set(keyOf(t), typeof lb.container_name === "string" ? lb.container_name : serviceName(env, stack, svc));
      }
    }
  }
  owners.set(env, out);
  return out;
}

/** Every forward with traffic (weight > 0) of the stack's listener rules and listeners. */
export function forwards(env: PolicyEnvironment, stack: SynthesizedStack): Forward[] {
  const owners = targetGroupServices(env);
  const out: Forward[] = [];
  const add = (address: string, actions: unknown, paths: string[]) => {
    for (const action of [actions ?? []].flat() as TfBlock[]) {
      if (action?.type !== "forward") continue;
      const weighted: [unknown, number][] = [];
      if (action.target_group_arn !== undefined) weighted.push([action.target_group_arn, 1]);
      for (const tg of [one(action.forward)?.target_group ?? []].flat() as TfBlock[]) weighted.push([tg.arn, tg.weight === undefined ? 1 : Number(tg.weight)]);
      for (const [arn, weight] of weighted) {
        if (!(weight > 0)) continue;
        const t = targetOf(env, stack, arn);
        const group = t ? env.stacks.find((s) => s.id === t.stack)?.json.resource?.aws_lb_target_group?.[t.address.split(".")[1]] : undefined;
        const tag = group?.tags?.Service;
        out.push({ address, paths, targetGroup: t?.address ?? String(arn), service: t ? (owners.get(keyOf(t)) ?? (typeof tag === "string" ? tag : undefined)) : undefined });
      }
    }
  };
  const res = stack.json.resource ?? {};
  for (const [name, rule] of Object.entries(res.aws_lb_listener_rule ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const paths = ([rule.condition ?? []].flat() as TfBlock[]).flatMap((c) => [one(c.path_pattern)?.values ?? []].flat()).filter((p): p is string => typeof p === "string");
    add(`aws_lb_listener_rule.${name}`, rule.action, paths);
  }
  for (const [name, listener] of Object.entries(res.aws_lb_listener ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) add(`aws_lb_listener.${name}`, listener.default_action, []);
  return out;
}

const glob = (pattern: string) => new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("")}$`);
const sample = (pattern: string) => pattern.replace(/[*?]/g, "x");
const CATCH_ALL = new Set(["/*", "*"]);

/** Whether an ALB path pattern reaches one of the backend paths (a catch-all does not name one). */
export function namesBackendPath(pattern: string, backendPaths: readonly string[]): boolean {
  if (CATCH_ALL.has(pattern)) return false;
  return backendPaths.some((b) => glob(pattern).test(sample(b)) || glob(b).test(sample(pattern)));
}
