/**
 * Drift detection: plans every layer of one environment, read-only, against its real state, and
 * reports what changed outside Terraform (`resource_drift`) and what an apply would do
 * (`resource_changes`, `output_changes`), as markdown and JSON, with an exit code a scheduled CI
 * job can act on. See .github/workflows/drift.yml.
 *
 *   npm run drift -- --env prod                         every layer except 00-bootstrap
 *   npm run drift -- --env prod --layer 40-iam          only some layers (repeat --layer)
 *   npm run drift -- --env prod --no-synth --out dir    plan an existing synth output as it is
 *
 * Per layer, in deploy order: `terraform init` WITH the S3 backend (the real state), then
 * `terraform plan -lock=false -detailed-exitcode -out=…`, then `terraform show -json` of that plan.
 * `-lock=false` is what makes this safe to run on a schedule: the plan never takes the state lock,
 * so it cannot block (or be blocked by) a deploy, and nothing is ever applied.
 *
 * What counts as drift: not every `resource_drift` entry. The AWS provider's refresh also records
 * what nothing in the configuration sets or reads, and that changes on its own, most of all on the
 * first refresh after an apply (a role's `inline_policy`, a security group's rules made by separate
 * rule resources, a route table's routes, an EIP's association, a target group's
 * `load_balancer_arns`, `tags` read back as {} where the state had null). Terraform's own plan output
 * hides those ("Objects have changed outside of Terraform" lists only drift that matters), and so
 * does this report: a drifted resource counts when it was deleted, or when an attribute that changed
 * is one the plan acts on (the resource's own planned change sets it back) or one a planned change
 * reads (the plan's `relevant_attributes`). Values that differ only as null against empty ({}, [],
 * "") are no change at all. The rest is listed as `refreshed` in the JSON report and counted in the
 * markdown, and does not change the exit code: `terraform apply -refresh-only` would record it.
 *
 * Exit codes: 0 every layer clean; 2 drift or pending changes in some layer; 1 some layer failed
 * (an error wins over drift). Usage errors (unknown flag, environment or layer) also exit 2, as
 * `npm run synth` does, and print the usage; they write no report.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LAYERS, stackId, type LayerId } from "../stacks/contract";
import { ENVIRONMENTS_OPTION, environmentsDir, parseCommandLine, UsageError } from "./cli";
import {
  actionOf,
  changedAttributes,
  checkEnvironment,
  sameErrors,
  errorText,
  forcingAttributes,
  isChange,
  isManaged,
  isObject,
  logger,
  mapLimit,
  oneEnvironment,
  parallelismOption,
  DEFAULT_PARALLELISM,
  REASONS,
  refreshScope,
  refreshScopeNote,
  refreshScopeProblem,
  resolveLayer,
  serialized,
  synthesizeEnvironment,
  terraformCli,
  terraformVersion,
  writeFile,
  type Json,
  type JsonResourceChange,
  type PlanJson,
  type Run,
  type TerraformCli,
} from "./terraform";

export { UsageError } from "./cli";
export { SetupError, terraformCli, type PlanJson, type TerraformCli } from "./terraform";

export const USAGE = `usage: npm run drift -- --env <name> [--layer <layer> ...] [--out <dir>] [--report <file>] [--json <file>] [--no-synth]
                      [--environments <dir>] [--parallelism <n>]
  --env <name>       the environment to check (one per run: each has its own account and credentials)
  --layer <layer>    only this layer (repeatable; "10-network" or "network"); default: every layer
                     except 00-bootstrap, whose state is local. Layers always run in deploy order.
  --out <dir>        synth output folder (default: cdktf.out)
  --report <file>    markdown report (default: drift-report.md); it is also printed
  --json <file>      JSON report (default: drift-report.json)
  --no-synth         plan the stacks already in --out instead of synthesizing them first
  --environments <dir>  folder of common.tfvars and <env>.tfvars (default: environments/)
  --parallelism <n>  layers planned side by side, 1-16 (default: ${DEFAULT_PARALLELISM}); the report keeps deploy order
  LGTM_TERRAFORM     the terraform binary (default: terraform on the PATH)
exit codes: 0 no changes, 2 drift or pending changes, 1 a layer failed (wins over 2) or an unknown
            environment or bad settings; usage errors exit 2`;

/** The plan file each layer writes in its own stack folder, removed once summarized. */
const PLAN_FILE = "drift.tfplan";

export type LayerStatus = "no changes" | "drift" | "changes pending" | "error";

/** One resource (or output) in the report. Attribute NAMES only: values may be secrets. */
export interface Entry {
  readonly address: string;
  /** create, update, replace, delete, forget (for drift: update or delete). */
  readonly action: string;
  /** Which top-level attributes differ, or why Terraform chose the action. */
  readonly detail: string;
}

export interface PlanSummary {
  /** Changed outside Terraform since the last apply, in a way the plan acts on or reads. */
  readonly drift: Entry[];
  /**
   * Refreshed attributes nothing configures or reads (not drift; see the header): each resource
   * with the attribute names that changed.
   */
  readonly refreshed: Entry[];
  /** What an apply would do to resources. */
  readonly changes: Entry[];
  /** What an apply would do to the layer's outputs. */
  readonly outputs: Entry[];
}

export interface LayerResult extends PlanSummary {
  readonly layer: LayerId;
  readonly stack: string;
  /** The stack folder, relative to where the check ran. */
  readonly dir: string;
  readonly status: LayerStatus;
  readonly error?: { readonly step: "init" | "plan" | "show"; readonly exit_code: number | null; readonly message: string };
  readonly notes: string[];
}

export interface DriftReport {
  readonly env: string;
  readonly terraform_version: string;
  readonly result: LayerStatus;
  readonly exit_code: 0 | 1 | 2;
  readonly layers: LayerResult[];
  readonly skipped: { readonly layer: LayerId; readonly reason: string }[];
}

function detailOf(rc: JsonResourceChange, action: string): string {
  if (rc.action_reason && REASONS[rc.action_reason]) return REASONS[rc.action_reason];
  if (action === "replace") {
    const forcing = forcingAttributes(rc.change);
    return forcing.length > 0 ? `${forcing.join(", ")} forces replacement` : "";
  }
  return action === "update" ? changedAttributes(rc.change).join(", ") : "";
}

/** `terraform show -json`'s plan, with the part drift reads beyond the shared PlanJson. */
export interface DriftPlanJson extends PlanJson {
  /** Resource attributes that planned changes (resources and outputs) read, directly or not. */
  relevant_attributes?: { resource: string; attribute: Json[] }[];
}

/** null, {}, [] and "" are the same absence of a value (the provider reads back {} for unset tags). */
function isEmptyValue(v: Json | undefined): boolean {
  if (v === undefined || v === null || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

function sameValue(a: Json | undefined, b: Json | undefined): boolean {
  if (isEmptyValue(a) && isEmptyValue(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (isObject(a) && isObject(b)) return [...new Set([...Object.keys(a), ...Object.keys(b)])].every((k) => sameValue(a[k], b[k]));
  return a === b;
}

/** The top-level attributes of a drift entry whose values really differ (null and empty are equal). */
export function driftedAttributes(rc: JsonResourceChange): string[] {
  const before = isObject(rc.change.before) ? rc.change.before : {};
  const after = isObject(rc.change.after) ? rc.change.after : {};
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].sort().filter((k) => !sameValue(before[k], after[k]));
}

/**
 * Splits `resource_drift` into drift that matters and attributes only refreshed (see the header):
 * a deletion matters; otherwise the drifted attributes that the resource's own planned change sets
 * (all of them when it is replaced or deleted) or that `relevant_attributes` names for it.
 */
export function classifyDrift(plan: DriftPlanJson): { drift: Entry[]; refreshed: Entry[] } {
  const planned = new Map((plan.resource_changes ?? []).filter((rc) => isManaged(rc) && isChange(rc.change.actions)).map((rc) => [rc.address, rc]));
  const read = new Map<string, Set<string>>();
  for (const r of plan.relevant_attributes ?? []) {
    if (r.attribute.length === 0) continue;
    read.set(r.resource, (read.get(r.resource) ?? new Set()).add(String(r.attribute[0])));
  }
  const drift: Entry[] = [];
  const refreshed: Entry[] = [];
  for (const rc of (plan.resource_drift ?? []).filter((d) => isManaged(d) && isChange(d.change.actions))) {
    const action = actionOf(rc.change.actions);
    if (action === "delete") {
      drift.push({ address: rc.address, action, detail: "deleted outside Terraform" });
      continue;
    }
    const changed = driftedAttributes(rc);
    if (changed.length === 0) continue;
    const change = planned.get(rc.address);
    const acted = change ? actionOf(change.change.actions) : undefined;
    const setBack = new Set(change ? changedAttributes(change.change).map((a) => a.replace(/ \(known after apply\)$/, "")) : []);
    const matters = changed.filter((a) => acted === "replace" || acted === "delete" || setBack.has(a) || read.get(rc.address)?.has(a));
    if (matters.length > 0) drift.push({ address: rc.address, action, detail: matters.join(", ") });
    else refreshed.push({ address: rc.address, action, detail: changed.join(", ") });
  }
  return { drift, refreshed };
}

export function summarizePlan(plan: DriftPlanJson): PlanSummary {
  const managed = (rcs: JsonResourceChange[] | undefined) => (rcs ?? []).filter((rc) => isManaged(rc) && isChange(rc.change.actions));
  const entry = (rc: JsonResourceChange): Entry => {
    const action = actionOf(rc.change.actions);
    return { address: rc.address, action, detail: detailOf(rc, action) };
  };
  return {
    ...classifyDrift(plan),
    changes: managed(plan.resource_changes).map(entry),
    outputs: Object.entries(plan.output_changes ?? {})
      .filter(([, c]) => isChange(c.actions))
      .map(([name, c]) => ({ address: `output.${name}`, action: actionOf(c.actions), detail: "" })),
  };
}

export function statusOf(summary: PlanSummary, planExitCode: number): LayerStatus {
  if (summary.drift.length > 0) return "drift";
  // Trust terraform's own verdict too: exit 2 means it found something to change.
  if (summary.changes.length > 0 || summary.outputs.length > 0 || planExitCode === 2) return "changes pending";
  return "no changes";
}

// ---------------------------------------------------------------------------------------------
// Running terraform
// ---------------------------------------------------------------------------------------------

const log = logger("drift");

/** init (with the backend), plan without the lock, show -json: one layer's result. */
export async function checkLayer(tf: TerraformCli, outdir: string, env: string, layer: LayerId, initLock: <R>(work: () => Promise<R>) => Promise<R> = serialized()): Promise<LayerResult> {
  const stack = stackId(env, layer);
  const dir = path.join(outdir, "stacks", stack);
  const shown = path.relative(process.cwd(), dir) || ".";
  const notes: string[] = [];
  if (layer === "00-bootstrap") notes.push(...bootstrapNotes(dir));
  const empty: PlanSummary = { drift: [], refreshed: [], changes: [], outputs: [] };
  const failed = (step: "init" | "plan" | "show", r: Run, message = errorText(r)): LayerResult => {
    log(`${stack}: terraform ${step} failed (exit ${r.code ?? "none"})`);
    return { layer, stack, dir: shown, status: "error", ...empty, error: { step, exit_code: r.code, message }, notes };
  };

  log(`${stack}: terraform init`);
  // -reconfigure: a folder planned before with other backend settings must not ask to migrate state.
  const init = await initLock(() => tf.runAsync(dir, ["init", "-input=false", "-reconfigure"]));
  if (init.code !== 0) return failed("init", init);

  // Unchanged secret versions stay out of the plan: refreshing one reads its value (refreshScope).
  const scope = await refreshScope(tf, dir, readStack(dir));
  const scopeNote = refreshScopeNote(scope);
  if (scopeNote) notes.push(scopeNote);
  log(`${stack}: terraform plan -lock=false${scope.skipped.length > 0 ? ` (${scope.skipped.length} unchanged secret version(s) left out)` : ""}`);
  const planFile = path.join(dir, PLAN_FILE);
  try {
    const plan = await tf.runAsync(dir, ["plan", "-input=false", "-lock=false", "-detailed-exitcode", ...scope.args, `-out=${PLAN_FILE}`]);
    if (plan.code !== 0 && plan.code !== 2) return failed("plan", plan);

    const show = await tf.runAsync(dir, ["show", "-json", PLAN_FILE]);
    if (show.code !== 0) return failed("show", show);
    let parsed: DriftPlanJson;
    try {
      parsed = JSON.parse(show.stdout) as DriftPlanJson;
    } catch (e) {
      return failed("show", show, `terraform show -json printed no plan JSON (${(e as Error).message})`);
    }
    const problem = refreshScopeProblem(scope, parsed);
    if (problem) return failed("plan", plan, problem);
    const summary = summarizePlan(parsed);
    const status = statusOf(summary, plan.code);
    log(`${stack}: ${status}`);
    return { layer, stack, dir: shown, status, ...summary, notes };
  } finally {
    // The plan file holds the state's values; nothing needs it once summarized.
    fs.rmSync(planFile, { force: true });
  }
}

/** The stack's JSON, or nothing when it cannot be read (terraform init reports that). */
function readStack(dir: string): { resource?: Record<string, Record<string, Record<string, Json>>> } {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")) as { resource?: Record<string, Record<string, Record<string, Json>>> };
  } catch {
    return {};
  }
}

/** 00-bootstrap's state is a local file next to the output folder; say when it is not there. */
function bootstrapNotes(dir: string): string[] {
  try {
    const json = JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")) as { terraform?: { backend?: { local?: { path?: string } } } };
    const statePath = json.terraform?.backend?.local?.path;
    if (statePath && !fs.existsSync(path.resolve(dir, statePath))) {
      return [`its local state file ${path.relative(process.cwd(), path.resolve(dir, statePath))} is not on this machine, so the plan shows the state bucket as new`];
    }
  } catch {
    // No readable stack JSON: terraform init reports that.
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

export function overall(layers: readonly LayerResult[]): { result: LayerStatus; exit_code: 0 | 1 | 2 } {
  if (layers.some((l) => l.status === "error")) return { result: "error", exit_code: 1 };
  if (layers.some((l) => l.status === "drift")) return { result: "drift", exit_code: 2 };
  if (layers.some((l) => l.status === "changes pending")) return { result: "changes pending", exit_code: 2 };
  return { result: "no changes", exit_code: 0 };
}

const count = (entries: readonly Entry[], action: string) => entries.filter((e) => e.action === action).length;
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function entryTable(entries: readonly Entry[], what: string): string[] {
  return [`| Address | ${what} | Details |`, "|---|---|---|", ...entries.map((e) => `| \`${cell(e.address)}\` | ${e.action} | ${cell(e.detail)} |`)];
}

export function renderMarkdown(report: DriftReport): string {
  const lines: string[] = [
    `# Drift report: ${report.env}`,
    "",
    `Each layer was planned read-only against its state (\`terraform plan -lock=false\`: no state lock taken, nothing applied), Terraform ${report.terraform_version}.`,
    "",
    "| Layer | Status | Drifted | Create | Update | Replace | Delete | Outputs |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const l of report.layers) {
    const n = (action: string) => String(count(l.changes, action));
    const cols = l.status === "error" ? ["-", "-", "-", "-", "-", "-"] : [String(l.drift.length), n("create"), n("update"), n("replace"), n("delete"), String(l.outputs.length)];
    lines.push(`| ${l.layer} | ${l.status === "no changes" ? "no changes" : `**${l.status}**`} | ${cols.join(" | ")} |`);
  }
  const named = (status: LayerStatus) => report.layers.filter((l) => l.status === status).map((l) => l.layer);
  const parts = (["error", "drift", "changes pending"] as const).filter((s) => named(s).length > 0).map((s) => `${s} in ${named(s).join(", ")}`);
  lines.push("", `**Result: ${report.result}**${parts.length > 0 ? ` (${parts.join("; ")})` : ""}, exit code ${report.exit_code}.`);
  for (const s of report.skipped) lines.push("", `Not planned: ${s.layer}, ${s.reason}.`);
  const refreshed = report.layers.flatMap((l) => l.refreshed);
  if (refreshed.length > 0) {
    lines.push(
      "",
      `Not drift: ${refreshed.length} resource${refreshed.length === 1 ? "" : "s"} whose refresh changed only attributes nothing configures or reads (e.g. what an apply of other resources fills in); \`terraform apply -refresh-only\` records them. Listed as \`refreshed\` in the JSON report.`,
    );
  }

  const { sharedBy, sameAs } = sameErrors(report.layers);
  for (const l of report.layers) {
    if (l.status === "no changes" && l.notes.length === 0) continue;
    lines.push("", `## ${l.layer}: ${l.status}`);
    for (const note of l.notes) lines.push("", `Note: ${note}.`);
    if (l.error && sameAs.has(l.layer)) {
      lines.push("", `\`terraform ${l.error.step}\` failed (exit ${l.error.exit_code ?? "none"}) with the same error as ${sameAs.get(l.layer)}, above.`);
    } else if (l.error) {
      const all = sharedBy.get(l.layer) ?? [l.layer];
      lines.push("", `\`terraform ${l.error.step}\` failed (exit ${l.error.exit_code ?? "none"})${all.length > 1 ? ` in ${all.join(", ")}` : ""}:`, "", "```text", l.error.message.replace(/```/g, "'''"), "```");
    }
    if (l.drift.length > 0) lines.push("", "Changed outside Terraform:", "", ...entryTable(l.drift, "Change"));
    const pending = [...l.changes, ...l.outputs];
    if (pending.length > 0) lines.push("", "What an apply would do:", "", ...entryTable(pending, "Action"));
    if (l.status !== "no changes") lines.push("", `Full plan: \`terraform -chdir=${l.dir} plan -lock=false\``);
  }
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------

export interface DriftOptions {
  readonly env: string;
  readonly layers: readonly LayerId[];
  readonly explicitLayers: boolean;
  readonly outdir: string;
  readonly report: string;
  readonly json: string;
  readonly synth: boolean;
  /** --environments: the settings folder. @default environments/ */
  readonly environmentsDir?: string;
  /** --parallelism: layers planned side by side. @default 1 in-process; the command's default is DEFAULT_PARALLELISM */
  readonly parallelism?: number;
}

export function parseOptions(argv: string[]): DriftOptions | "help" {
  const values = parseCommandLine(argv, {
    env: { type: "string", multiple: true },
    layer: { type: "string", multiple: true },
    out: { type: "string" },
    report: { type: "string" },
    json: { type: "string" },
    "no-synth": { type: "boolean" },
    parallelism: { type: "string" },
    ...ENVIRONMENTS_OPTION,
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return "help";
  const env = oneEnvironment(values.env, "which environment's state to check");
  const environments = environmentsDir(values.environments);
  const chosen = new Set((values.layer ?? []).map(resolveLayer));
  const explicitLayers = chosen.size > 0;
  return {
    env,
    // LAYERS is in deploy order: every layer comes after the layers it reads.
    layers: LAYERS.filter((l) => (explicitLayers ? chosen.has(l) : l !== "00-bootstrap")),
    explicitLayers,
    outdir: values.out ?? "cdktf.out",
    report: values.report ?? "drift-report.md",
    json: values.json ?? "drift-report.json",
    synth: !values["no-synth"],
    environmentsDir: environments,
    parallelism: parallelismOption(values.parallelism),
  };
}

export async function runDrift(options: DriftOptions, tf: TerraformCli = terraformCli()): Promise<DriftReport> {
  await checkEnvironment(options.env, options.environmentsDir);
  if (options.synth) await synthesizeEnvironment(options.env, options.outdir, log, options.environmentsDir);
  else {
    const missing = options.layers.map((l) => path.join(options.outdir, "stacks", stackId(options.env, l))).filter((d) => !fs.existsSync(path.join(d, "cdk.tf.json")));
    if (missing.length > 0) {
      throw new UsageError(`--no-synth: no synthesized stack in ${missing.join(", ")}; run \`npm run synth -- --env ${options.env} --out ${options.outdir}\` first, or drop --no-synth`);
    }
  }
  const version = terraformVersion(tf);
  // A failed layer does not stop the run: later layers read their upstreams' applied state (remote
  // state), not this run's plan of them, so their plans are still meaningful. For the same reason
  // the layers plan side by side (--parallelism); the report keeps the deploy order.
  const initLock = serialized();
  const layers = await mapLimit(options.layers, options.parallelism ?? 1, (layer) => checkLayer(tf, options.outdir, options.env, layer, initLock));
  const skipped = options.explicitLayers
    ? []
    : [
        {
          layer: "00-bootstrap" as const,
          reason: `its state is local (terraform.${stackId(options.env, "00-bootstrap")}.tfstate where the state bucket was created), not in S3; run with --layer 00-bootstrap where that file is`,
        },
      ];
  return { env: options.env, terraform_version: version, ...overall(layers), layers, skipped };
}

export async function run(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  const report = await runDrift(options);
  const markdown = renderMarkdown(report);
  writeFile(options.report, markdown);
  writeFile(options.json, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(markdown);
  log(`wrote ${options.report} and ${options.json}; exit ${report.exit_code} (${report.result})`);
  return report.exit_code;
}
