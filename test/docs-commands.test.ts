/**
 * Every HTTP command in docs/ runs from where the doc says: each `curl`/`wget` (and runbook.md's
 * `run_as <service> wget ...`) is extracted with the place it runs from, its URL resolved to a Cloud
 * Map service and port or to the public ALB and a path, and the synthesized prod stacks must let it
 * through: the target's task security group admits the source (and, from a task, the source's
 * group lets it out), or the ALB's security group admits the source's CIDR and the first listener
 * rule matching the path and source forwards to a target group. The AWS names the commands use
 * (ECS services, task definition families, the cluster, Secrets Manager secrets) are held to the
 * synthesized ones too.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SERVICE_NAMES, type Settings } from "../settings";
import { clusterName, taskFamily } from "../settings/names";
import { DOCS_DIR } from "./support/docs";
import { albPathMatches, cidrContains, docCommands, type DocCommand, type RunFrom } from "./support/runbook";
import { settingsWith, shipped } from "./support/settings";
import { resourcesOf, synthLayer, type StackJson } from "./support/synth";

type Res = Record<string, any>;
const VPC_CIDR = "${data.terraform_remote_state.network.outputs.vpc_cidr}";
const sgRef = (name: string) => `\${aws_security_group.${name}_sg.id}`;
/** An address named in ingest_allowed_cidrs for these tests, and one in ui_allowed_cidrs but not in it. */
const INGEST_CIDR = "203.0.113.0/24";
const INGEST_IP = "203.0.113.10";
const UI_ONLY_IP = "198.51.100.10";

const docs = fs
  .readdirSync(DOCS_DIR)
  .filter((n) => n.endsWith(".md"))
  .sort()
  .map((n) => ({ file: `docs/${n}`, text: fs.readFileSync(path.join(DOCS_DIR, n), "utf8") }));
const commands: DocCommand[] = docs.flatMap((d) => docCommands(d.file, d.text));
const where = (c: DocCommand) => `${c.file}:${c.line}: ${c.text.trim().slice(0, 120)}`;

interface Stacks {
  s: Settings;
  security: StackJson;
  ecs: StackJson;
}

/** The rules of the listener that carries the service rules, in the order the ALB evaluates them. */
function listenerRules(ecs: StackJson): Res[] {
  return Object.values(resourcesOf(ecs, "aws_lb_listener_rule")).sort((a, b) => a.priority - b.priority);
}
/** Target groups a rule forwards traffic to (weight above 0); empty for a fixed response. */
function forwardsTo(rule: Res): string[] {
  return (rule.action as Res[]).flatMap((a) => {
    if (a.type !== "forward") return [];
    if (a.target_group_arn) return [a.target_group_arn];
    return (a.forward?.target_group ?? []).filter((t: Res) => (t.weight ?? 1) > 0).map((t: Res) => t.arn);
  });
}
/** The first rule a request from `ip` for `urlPath` matches. */
function firstRule(ecs: StackJson, urlPath: string, ip: string): Res | undefined {
  return listenerRules(ecs).find((r) =>
    (r.condition as Res[]).every((c) => {
      if (c.path_pattern) return (c.path_pattern.values as string[]).some((p) => albPathMatches(p, urlPath));
      if (c.source_ip) return (c.source_ip.values as string[]).some((cidr) => cidrContains(cidr, ip));
      return false;
    }),
  );
}

type Target = { kind: "service"; service: string; port: number } | { kind: "alb"; port: number; path: string };

/** A URL's target: a Cloud Map name of the namespace, or the ALB's DNS name (load_balancer.domain). */
function resolve(s: Settings, url: string, vars: Readonly<Record<string, string>>): Target {
  const u = new URL(url.replace(/\$([A-Z_]+)/g, (m, v: string) => vars[v] ?? m));
  const port = u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
  const suffix = `.${s.service_discovery.namespace}`;
  if (u.hostname.endsWith(suffix)) return { kind: "service", service: u.hostname.slice(0, -suffix.length), port };
  if (u.hostname === s.load_balancer.domain?.name) return { kind: "alb", port, path: u.pathname };
  throw new Error(`${url}: host is neither <service>${suffix} nor load_balancer.domain.name (${s.load_balancer.domain?.name})`);
}

function ingressAdmits(security: StackJson, service: string, port: number, from: RunFrom): boolean {
  return Object.values(resourcesOf(security, "aws_vpc_security_group_ingress_rule")).some(
    (r) =>
      r.security_group_id === sgRef(service) &&
      r.ip_protocol === "tcp" &&
      r.from_port <= port &&
      port <= r.to_port &&
      (from.kind === "vpc" ? r.cidr_ipv4 === VPC_CIDR : from.kind === "task" ? r.referenced_security_group_id === sgRef(from.service) : false),
  );
}
function egressAllows(security: StackJson, service: string, target: string, port: number): boolean {
  return Object.values(resourcesOf(security, "aws_vpc_security_group_egress_rule")).some(
    (r) =>
      r.security_group_id === sgRef(service) &&
      r.ip_protocol === "tcp" &&
      r.from_port <= port &&
      port <= r.to_port &&
      (r.referenced_security_group_id === sgRef(target) || r.cidr_ipv4 === "0.0.0.0/0" || r.cidr_ipv4 === VPC_CIDR),
  );
}
function albAdmits(security: StackJson, port: number, ip: string): boolean {
  return Object.values(resourcesOf(security, "aws_vpc_security_group_ingress_rule")).some(
    (r) => r.security_group_id === sgRef("alb") && r.from_port <= port && port <= r.to_port && typeof r.cidr_ipv4 === "string" && cidrContains(r.cidr_ipv4, ip),
  );
}

/** Why the stacks would not let the command through, or undefined when they do. */
function blocked(st: Stacks, c: DocCommand, url: string): string | undefined {
  const from = c.from!;
  const t = resolve(st.s, url, c.vars);
  if (t.kind === "service") {
    if (from.kind === "ingest_allowed_cidrs" || from.kind === "ui_allowed_cidrs") return `${url}: a Cloud Map name is not reachable from ${from.kind} (outside the VPC)`;
    if (!ingressAdmits(st.security, t.service, t.port, from)) return `${url}: ${t.service}'s task security group admits no ${from.kind === "vpc" ? "VPC CIDR" : `${from.service} group`} on ${t.port}`;
    if (from.kind === "task" && !egressAllows(st.security, from.service, t.service, t.port)) return `${url}: ${from.service}'s task security group lets nothing out to ${t.service} on ${t.port}`;
    return undefined;
  }
  if (from.kind !== "ingest_allowed_cidrs" && from.kind !== "ui_allowed_cidrs") return `${url}: the public ALB from ${from.kind === "vpc" ? "the VPC" : `a ${from.service} task`} goes out through NAT (docs/security.md); the doc should use the Cloud Map name`;
  const ip = from.kind === "ingest_allowed_cidrs" ? INGEST_IP : UI_ONLY_IP;
  if (!albAdmits(st.security, t.port, ip)) return `${url}: the ALB's security group admits no CIDR holding ${ip} on ${t.port}`;
  const rule = firstRule(st.ecs, t.path, ip);
  if (!rule || forwardsTo(rule).length === 0) return `${url}: the first listener rule for ${t.path} from ${ip} (${rule?.tags?.Name ?? "none"}) forwards nowhere`;
  return undefined;
}

describe("GIVEN every HTTP command in docs/", () => {
  it("WHEN extracted THEN there are commands in the migration guide, the runbook and the operations page, and each says where it runs", () => {
    const files = new Set(commands.map((c) => c.file));
    for (const f of ["docs/migration.md", "docs/runbook.md", "docs/operating.md"]) expect(files, f).toContain(f);
    expect(commands.filter((c) => c.from === undefined).map(where), "commands without <!-- run-from: ... --> or run_as").toEqual([]);
  });
});

describe("GIVEN prod as shipped and prod with an address in ingest_allowed_cidrs", () => {
  let open: Stacks;
  let closed: Stacks;
  beforeAll(async () => {
    const withCidr = await settingsWith({ load_balancer: { ingest_allowed_cidrs: { docs: INGEST_CIDR } } });
    open = { s: withCidr, security: synthLayer(withCidr, "20-security"), ecs: synthLayer(withCidr, "60-ecs") };
    const s = await shipped("prod");
    closed = { s, security: synthLayer(s, "20-security"), ecs: synthLayer(s, "60-ecs") };
  });

  it("WHEN each command's URL is resolved THEN the security groups and listener rules let it through from where the doc says", () => {
    // From ingest CIDRs the docs tell the reader to name one first, so those run against `open`;
    // everything else must work on prod exactly as shipped.
    const problems = commands.flatMap((c) => c.urls.map((u) => blocked(c.from?.kind === "ingest_allowed_cidrs" ? open : closed, c, u)).filter((p) => p !== undefined).map((p) => `${where(c)}\n    ${p}`));
    expect(problems).toEqual([]);
    expect(commands.length).toBeGreaterThanOrEqual(10);
  });

  it("WHEN a command goes through the ALB from ingest_allowed_cidrs THEN prod as shipped answers it with the 403 rule (as the docs say: name a CIDR first)", () => {
    const viaAlb = commands.filter((c) => c.from?.kind === "ingest_allowed_cidrs");
    expect(viaAlb.length).toBeGreaterThan(0);
    for (const c of viaAlb)
      for (const u of c.urls) {
        const t = resolve(closed.s, u, c.vars);
        if (t.kind !== "alb") continue;
        const rule = firstRule(closed.ecs, t.path, INGEST_IP);
        expect(rule?.action?.[0]?.fixed_response?.status_code, where(c)).toBe("403");
      }
  });

  it("WHEN the old runbook's commands are checked THEN the model refuses them (a backend's port from the VPC, Alloy's UI from the VPC)", () => {
    const probe = (url: string, from: RunFrom) => blocked(closed, { file: "probe", line: 0, text: url, urls: [url], from, vars: {} }, url);
    expect(probe("http://mimir.lgtm.local:9009/ingester/ring", { kind: "vpc" })).toContain("admits no VPC CIDR on 9009");
    expect(probe("http://alloy.lgtm.local:12345/", { kind: "vpc" })).toContain("admits no VPC CIDR on 12345");
    expect(probe("http://mimir.lgtm.local:9009/ingester/ring", { kind: "task", service: "alloy" })).toBeUndefined();
    // Grafana reaches only the gateway since issue 26: its datasources query through it.
    expect(probe("http://mimir.lgtm.local:9009/ingester/ring", { kind: "task", service: "grafana" })).toContain("admits no grafana group on 9009");
    expect(probe("http://tempo.lgtm.local:3200/ready", { kind: "task", service: "gateway" })).toBeUndefined();
    expect(probe("http://grafana.lgtm.local:3000/", { kind: "task", service: "mimir" })).toContain("admits no mimir group on 3000");
  });

  it("WHEN the commands name ECS services, task definitions, the cluster and secrets THEN each is one the stacks create", () => {
    const s = closed.s;
    const services = new Set(Object.values(resourcesOf(closed.ecs, "aws_ecs_service")).map((r) => r.name as string));
    const families = new Set([...Object.values(resourcesOf(closed.ecs, "aws_ecs_task_definition")).map((r) => r.family as string), taskFamily(s, "admin" as never)]);
    const secrets = new Set(Object.values(resourcesOf(synthLayer(s, "40-iam"), "aws_secretsmanager_secret")).map((r) => r.name as string));
    const text = docs.map((d) => d.text).join("\n");
    const sub = (v: string) => v.replace(/\$ENV|\$\{ENV\}/g, s.env).replace(/^"|"$/g, "");
    const bad: string[] = [];
    for (const m of text.matchAll(/--services? (?:name )?("?[^\s`"]+"?)/g)) {
      const name = sub(m[1]);
      if (!name.startsWith("<") && !name.startsWith("$") && !services.has(name)) bad.push(`ECS service ${m[1]}`);
    }
    for (const m of text.matchAll(/--service-name ("?[^\s`"]+"?)/g)) if (!services.has(sub(m[1]))) bad.push(`ECS service ${m[1]}`);
    for (const m of text.matchAll(/--task-definition "?(lgtm-\$ENV-[a-z<>]+)/g)) {
      const family = sub(m[1]);
      if (!family.includes("<") && !families.has(family)) bad.push(`task definition family ${m[1]}`);
    }
    for (const m of text.matchAll(/--cluster ("?[^\s`"]+"?)/g)) if (!["$CLUSTER", "\"$CLUSTER\""].includes(m[1]) && sub(m[1]) !== clusterName(s)) bad.push(`cluster ${m[1]}`);
    for (const c of docs.flatMap((d) => d.text.split("\n"))) {
      const m = /(?:SECRET=|--secret-id )"?(lgtm\/[^\s"`]+)"?/.exec(c);
      if (!m) continue;
      const name = sub(m[1]).replace(/\$TENANT|<tenant>/, s.tenant_id);
      if (!secrets.has(name)) bad.push(`secret ${m[1]} (as ${name})`);
    }
    // The one-off task of runbook.md: the execution role it names and the log group it writes to.
    const iam = synthLayer(s, "40-iam");
    const roles = new Set(Object.values(resourcesOf(iam, "aws_iam_role")).map((r) => r.name as string));
    const logGroups = new Set(Object.values(resourcesOf(closed.ecs, "aws_cloudwatch_log_group")).map((r) => r.name as string));
    const roleRefs = [...text.matchAll(/:role\/(lgtm-\$ENV-[a-z-]+)/g)].map((m) => m[1]);
    const logRefs = [...text.matchAll(/(?:awslogs-group\\?":\\?"|logs tail )(\/ecs\/[a-z-]+)/g)].map((m) => m[1]);
    expect(roleRefs.length * logRefs.length).toBeGreaterThan(0);
    for (const r of roleRefs) if (!roles.has(sub(r))) bad.push(`role ${r}`);
    for (const g of logRefs) if (!logGroups.has(g)) bad.push(`log group ${g}`);
    expect(bad).toEqual([]);
    expect(services.size).toBe(SERVICE_NAMES.length + 1);
  });

  it("WHEN the docs say no service enables ECS Exec THEN none does (the procedures must not rely on it)", () => {
    expect(docs.some((d) => d.text.includes("No service enables ECS Exec"))).toBe(true);
    for (const [id, svc] of Object.entries(resourcesOf(closed.ecs, "aws_ecs_service"))) expect(svc.enable_execute_command ?? false, id).toBe(false);
  });
});
