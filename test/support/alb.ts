/**
 * Evaluates a synthesized stack's ALB listener rules the way the ALB does: in ascending priority,
 * the first rule whose conditions all match wins (path patterns are case-sensitive globs, `*` any run
 * of characters and `?` one; a source-IP condition matches any of its CIDRs). Used to show which rule
 * answers a request, e.g. that a 404 rule outranks the catch-all.
 */
import { resourcesOf, type StackJson } from "./synth";

export interface AlbRequest {
  readonly path: string;
  /** Client IPv4 address. @default "198.18.0.1" (a benchmarking address no setting names) */
  readonly sourceIp?: string;
}

export interface AlbMatch {
  /** Logical name of the rule in the stack. */
  readonly rule: string;
  readonly priority: number;
  readonly action: Record<string, any>;
}

const globToRegExp = (glob: string): RegExp =>
  new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);

const ipToInt = (ip: string): number => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipToInt(ip) / size) === Math.floor(ipToInt(base) / size);
}

/** The rule of `stack` that answers `request`; undefined: the listener's default action (404 here). */
export function albRoute(stack: StackJson, request: AlbRequest): AlbMatch | undefined {
  const source = request.sourceIp ?? "198.18.0.1";
  const rules = Object.entries(resourcesOf(stack, "aws_lb_listener_rule")).sort(([, a], [, b]) => a.priority - b.priority);
  for (const [name, rule] of rules) {
    const matches = (rule.condition as Record<string, any>[]).every((c) => {
      if (c.path_pattern) return (c.path_pattern.values as string[]).some((v) => globToRegExp(v).test(request.path));
      if (c.source_ip) return (c.source_ip.values as string[]).some((v) => inCidr(source, v));
      throw new Error(`albRoute: rule ${name} has a condition this evaluator does not know: ${JSON.stringify(c)}`);
    });
    if (matches) return { rule: name, priority: rule.priority, action: rule.action[0] };
  }
  return undefined;
}
