/**
 * Gateway.1, read from the synthesized task definitions: the gateway's rendered nginx.conf (carried
 * in its config init container's environment, modules/config-delivery) forwards only the routes of
 * its allow-list (settings/gateway-routes.ts), each with its role's credential and methods.
 *
 * Every location that forwards (proxy_pass, or a backend variable handed to a named location) must
 * - be one exact (`= /path`) or anchored regex (`~ ^...$`) location, never a prefix that forwards
 *   everything under it;
 * - check a password file `htpasswd-<signal>-<role>`;
 * - name, by its path's end, a route of the allow-list of the backend it forwards to (the service
 *   is the Cloud Map host's first label; the part before the route a literal path prefix), with that
 *   route's role (an admin route only with the admin credential);
 * - accept no method the route does not list.
 * The path prefixes are settings; the routes are not, so `/mimir/ring` or `/pyroscope/` is reported
 * whatever prefix a backend has.
 */
import { GATEWAY_ALLOW_LIST, nginxLocations, routeRegex, type GatewayRouteSpec } from "../settings/gateway-routes";
import type { Finding, SynthesizedStack, TfBlock } from "./types";

/** Config files an nginx gateway carries: environment values of any container that read as an nginx http block with locations. */
function nginxConfigs(containerDefinitions: TfBlock[]): { container: string; text: string }[] {
  return containerDefinitions.flatMap((c) =>
    ((c.environment ?? []) as { name?: string; value?: unknown }[])
      .filter((e) => typeof e.value === "string" && /\bhttp\s*\{/.test(e.value) && /\blocation\s/.test(e.value))
      .map((e) => ({ container: String(c.name), text: e.value as string })),
  );
}

const LITERAL_PREFIX = /^(\/[A-Za-z0-9._-]+)*$/;
/** Regex text of a literal path: what the template writes for a prefix before a parameterized route. */
const literalOfRegex = (regex: string): string | undefined => {
  const unescaped = regex.replace(/\\([.\-/])/g, "$1");
  return /[\\^$*+?()[\]{}|]/.test(unescaped) ? undefined : unescaped;
};

/** The allow-list entries the location's path names: its end is the entry's route, its start a literal prefix. */
function entriesFor(match: string, service: string, upstreamPath: string): GatewayRouteSpec[] {
  const exact = /^=\s*(\S+)$/.exec(match)?.[1];
  const regex = /^~\s*\^(\S+)\$$/.exec(match)?.[1];
  return GATEWAY_ALLOW_LIST.filter((r) => {
    if (r.producer !== service) return false;
    if (r.base === "otlp") return upstreamPath === r.route && exact !== undefined && exact.endsWith(`/otlp${r.route}`) && LITERAL_PREFIX.test(exact.slice(0, -`/otlp${r.route}`.length));
    if (upstreamPath !== "" && upstreamPath !== "/") return false;
    if (exact !== undefined) return !/\{/.test(r.route) && exact.endsWith(r.route) && LITERAL_PREFIX.test(exact.slice(0, -r.route.length));
    if (regex !== undefined) {
      const tail = routeRegex(r.route);
      if (!regex.endsWith(tail) || !/\{/.test(r.route)) return false;
      const prefix = literalOfRegex(regex.slice(0, -tail.length));
      return prefix !== undefined && LITERAL_PREFIX.test(prefix);
    }
    return false;
  });
}

/** Findings of one rendered nginx.conf. */
export function gatewayRouteFindings(config: string): string[] {
  const out: string[] = [];
  const locations = nginxLocations(config);
  const named = new Map(locations.filter((l) => l.match.startsWith("@")).map((l) => [l.match, l.body]));
  for (const { match, body } of locations) {
    if (match.startsWith("@")) continue;
    const handoff = /\btry_files\s+[^;]*\s(@[A-Za-z0-9_]+)\s*;/.exec(body)?.[1];
    const forwards = /\bproxy_pass\s/.test(body) || (handoff !== undefined && /\bproxy_pass\s/.test(named.get(handoff) ?? ""));
    if (!forwards) continue;
    const where = `location ${match}`;
    if (!/^=\s*\S+$/.test(match) && !/^~\s*\^\S+\$$/.test(match)) {
      out.push(`${where} forwards every path it matches: not an exact or anchored location of the allow-list`);
      continue;
    }
    const target = /\bset\s+\$backend\s+([^;\s]+)\s*;/.exec(body)?.[1] ?? /\bproxy_pass\s+([^;\s]+)\s*;/.exec(body)?.[1] ?? "";
    const url = /^https?:\/\/([A-Za-z0-9-]+)[^/]*(\/[^$]*)?/.exec(target);
    if (!url) {
      out.push(`${where} forwards to ${target || "an address it does not name"}, not a backend the allow-list knows`);
      continue;
    }
    const service = url[1];
    const role = /\bauth_basic_user_file\s+\S*htpasswd-[a-z]+-([a-z]+)\s*;/.exec(body)?.[1];
    if (role === undefined || /\bauth_basic\s+off\b/.test(body)) {
      out.push(`${where} forwards to ${service} without a tenant's credential (auth_basic_user_file htpasswd-<signal>-<role>)`);
      continue;
    }
    const entries = entriesFor(match, service, url[2] ?? "");
    if (entries.length === 0) {
      out.push(`${where} forwards to ${service} with the ${role} credential: not a route of the gateway's allow-list (settings/gateway-routes.ts)`);
      continue;
    }
    const entry = entries.find((e) => e.role === role);
    if (entry === undefined) {
      out.push(`${where} forwards to ${service} with the ${role} credential, but the allow-list gives that route to the ${entries.map((e) => e.role).join("/")} credential`);
      continue;
    }
    const methods = /if\s*\(\s*\$request_method\s*!~\s*\^?\(([A-Z|]+)\)\$?\s*\)/.exec(body)?.[1]?.split("|");
    const extra = methods === undefined ? ["every method"] : methods.filter((m) => !entry.methods.includes(m as never));
    if (extra.length > 0) out.push(`${where} accepts ${extra.join(", ")}, which the allow-list does not give it (${entry.methods.join(", ")})`);
  }
  return out;
}

/** Gateway.1 over a stack: every task definition carrying an nginx.conf. */
export function gatewayRouteViolations(stack: SynthesizedStack, containers: (task: TfBlock) => TfBlock[]): Finding[] {
  return Object.entries(stack.json.resource?.aws_ecs_task_definition ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([name, task]) =>
      nginxConfigs(containers(task)).flatMap(({ container, text }) =>
        gatewayRouteFindings(text).map((detail) => ({ address: `aws_ecs_task_definition.${name}`, part: container, detail })),
      ),
    );
}
