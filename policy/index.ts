/**
 * The synth-time policy pack: what cdk-nag is to AWS CDK, for this project's synthesized Terraform.
 *
 * Every rule (./rules.ts) is one Security Hub control (ELB.1, ECS.20, S3.9, ...), or one of the
 * project's own (LGTM.<n>) where Security Hub has none, checked on the JSON of every synthesized
 * stack, with the stack's whole environment in view (its other layers and, when given, its settings). A finding is a violation unless a waiver covers it: the environment's
 * `accept_risks.waivers` (settings, reason mandatory) or a code waiver (./code-waivers.ts). Any
 * violation fails synth with the stack, the resource address, the control and the setting that
 * fixes it; the summary says how many rules ran and what was waived, and why.
 *
 * One call hooks it into synth: `checkPolicy(readSynthesizedStacks(outdir), environments)`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Settings } from "../settings/schema";
import { UserError } from "../settings/errors";
import { CODE_WAIVERS } from "./code-waivers";
import { RULES } from "./rules";
import type { Finding, PolicyEnvironment, PolicyRule, SynthesizedStack, Waiver } from "./types";

export * from "./types";
export { RULES, RULE_IDS, resources, containers, allowsEveryAction } from "./rules";
export { CODE_WAIVERS } from "./code-waivers";

/** A finding with where it was found and which rule found it. */
export interface Located extends Finding {
  readonly env: string;
  readonly stack: string;
  readonly rule: PolicyRule;
}

export interface WaivedFinding extends Located {
  readonly waiver: Waiver;
}

export interface PolicyReport {
  /** Rules that ran. */
  readonly rules: number;
  /** Stacks they ran on. */
  readonly stacks: number;
  readonly violations: readonly Located[];
  readonly waived: readonly WaivedFinding[];
  /** Settings waivers that matched nothing: stale, to be removed. */
  readonly unusedWaivers: readonly (Waiver & { env: string })[];
}

/** Unwaived violations: synth refuses to write the output. */
export class PolicyError extends UserError {
  constructor(readonly report: PolicyReport) {
    super(formatViolations(report));
    this.name = "PolicyError";
  }
}

/** The stacks of a synth output folder (`<outdir>/stacks/<id>/cdk.tf.json`), sorted by id. */
export function readSynthesizedStacks(outdir: string): SynthesizedStack[] {
  const root = path.join(outdir, "stacks");
  return fs
    .readdirSync(root)
    .sort()
    .map((id) => ({ id, json: JSON.parse(fs.readFileSync(path.join(root, id, "cdk.tf.json"), "utf8")) }));
}

/** The waivers of one environment's settings, in the same form as the code's. */
export function settingsWaivers(s: Settings): Waiver[] {
  return Object.entries(s.accept_risks.waivers).map(([control, w]) => ({
    control,
    reason: w.reason,
    resources: w.resources,
    source: `${s.env} settings, accept_risks.waivers."${control}"`,
  }));
}

/** A waiver's resource: an address (`#<container>` for one container), `*` matching any text within it. */
const resourceMatches = (pattern: string, name: string) =>
  pattern.includes("*") ? new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^#]*")}$`).test(name) : pattern === name;

const covers = (w: Waiver, f: Located) =>
  w.control === f.rule.id &&
  (w.resources === undefined || w.resources.length === 0 || w.resources.some((r) => resourceMatches(r, f.address) || resourceMatches(r, `${f.address}#${f.part}`)));

/** The environment of a stack: the settings whose env prefixes its id, else the id's first part. */
const envOf = (stack: SynthesizedStack, environments: readonly Settings[]) => environments.find((s) => stack.id.startsWith(`${s.env}-`))?.env ?? stack.id.split("-")[0];

/**
 * The environments of a run as the rules see them: each with all its stacks (a rule reading another
 * layer finds it here) and its settings when given.
 */
export function policyEnvironments(stacks: readonly SynthesizedStack[], environments: readonly Settings[]): Map<string, PolicyEnvironment> {
  const out = new Map<string, PolicyEnvironment>();
  for (const stack of stacks) {
    const name = envOf(stack, environments);
    const env = out.get(name) ?? { name, settings: environments.find((s) => s.env === name), stacks: [] };
    out.set(name, { ...env, stacks: [...env.stacks, stack].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) });
  }
  return out;
}

/**
 * Runs every rule on every stack. Stacks are matched to environments by id (`<env>-<layer>`); a
 * stack of an environment not in `environments` gets no settings waivers, and its rules read the
 * stacks alone. Returns the report; `checkPolicy` throws on violations.
 */
export function evaluatePolicy(stacks: readonly SynthesizedStack[], environments: readonly Settings[], rules: readonly PolicyRule[] = RULES): PolicyReport {
  const violations: Located[] = [];
  const waived: WaivedFinding[] = [];
  const used = new Set<Waiver>();
  const byEnv = new Map(environments.map((s) => [s.env, settingsWaivers(s)]));
  const envs = policyEnvironments(stacks, environments);
  for (const stack of stacks) {
    const env = envOf(stack, environments);
    const waivers = [...(byEnv.get(env) ?? []), ...CODE_WAIVERS];
    for (const rule of rules) {
      for (const finding of rule.check(stack, envs.get(env)!)) {
        const located: Located = { ...finding, env, stack: stack.id, rule };
        const waiver = waivers.find((w) => covers(w, located));
        if (waiver) {
          used.add(waiver);
          waived.push({ ...located, waiver });
        } else violations.push(located);
      }
    }
  }
  const unusedWaivers = [...byEnv.entries()].flatMap(([env, ws]) => ws.filter((w) => !used.has(w)).map((w) => ({ ...w, env })));
  return { rules: rules.length, stacks: stacks.length, violations, waived, unusedWaivers };
}

/** Runs the pack and throws `PolicyError` if anything is not waived; returns the report otherwise. */
export function checkPolicy(stacks: readonly SynthesizedStack[], environments: readonly Settings[]): PolicyReport {
  const report = evaluatePolicy(stacks, environments);
  if (report.violations.length > 0) throw new PolicyError(report);
  return report;
}

const where = (f: Located) => `${f.stack}: ${f.address}${f.part ? ` (${f.part})` : ""}`;

export function formatViolations(report: PolicyReport): string {
  const n = report.violations.length;
  const lines = report.violations.map(
    (v) => `  ${where(v)}: ${v.rule.id} ${v.rule.title}: ${v.detail} (${v.rule.reason}); fix: ${v.rule.fix}, or waive it in accept_risks.waivers."${v.rule.id}" with a reason`,
  );
  return `policy check failed (${n} violation${n === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

/** The synth summary: rules run, violations, and every waiver with its reason. */
export function formatPolicySummary(report: PolicyReport): string {
  const lines = [
    `policy: ${report.rules} rules (${RULES.map((r) => r.id).join(", ")}) on ${report.stacks} stacks: ${report.violations.length} violations, ${report.waived.length} waived`,
  ];
  const groups = new Map<string, WaivedFinding[]>();
  for (const w of report.waived) {
    // One line per waiver: two code waivers of one control (Grafana's and the gateway's secrets) keep their own reasons.
    const key = `${w.env} ${w.rule.id} ${w.waiver.source} ${w.waiver.reason}`;
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  for (const [, ws] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const w = ws[0];
    const what = ws.map((x) => `${x.address}${x.part ? `#${x.part}` : ""}`);
    lines.push(`  waived ${w.rule.id} in ${w.env} (${w.waiver.source}): ${[...new Set(what)].join(", ")}: ${w.waiver.reason}`);
  }
  for (const u of report.unusedWaivers) {
    lines.push(`  warning: ${u.source} matched nothing in ${u.env}; remove it`);
  }
  return lines.join("\n");
}
