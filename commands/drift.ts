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
 * Exit codes: 0 every layer clean; 2 drift or pending changes in some layer; 1 some layer failed
 * (an error wins over drift). Usage errors (unknown flag, environment or layer) also exit 2, as
 * `npm run synth` does, and print the usage; they write no report.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { didYouMean, listEnvironments, loadSettings, SettingsError } from "../settings";
import { LAYERS, layerShortName, stackId, type LayerId } from "../stacks/contract";
import { parseCommandLine, UsageError, UserError } from "./cli";

export { UsageError } from "./cli";

export const USAGE = `usage: npm run drift -- --env <name> [--layer <layer> ...] [--out <dir>] [--report <file>] [--json <file>] [--no-synth]
  --env <name>       the environment to check (one per run: each has its own account and credentials)
  --layer <layer>    only this layer (repeatable; "10-network" or "network"); default: every layer
                     except 00-bootstrap, whose state is local. Layers always run in deploy order.
  --out <dir>        synth output folder (default: cdktf.out)
  --report <file>    markdown report (default: drift-report.md); it is also printed
  --json <file>      JSON report (default: drift-report.json)
  --no-synth         plan the stacks already in --out instead of synthesizing them first
  LGTM_TERRAFORM     the terraform binary (default: terraform on the PATH)
exit codes: 0 no changes, 2 drift or pending changes, 1 a layer failed (wins over 2); usage errors exit 2`;

/** The plan file each layer writes in its own stack folder, removed once summarized. */
const PLAN_FILE = "drift.tfplan";
/** Lines of terraform's error output kept in the report. */
const ERROR_LINES = 30;

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
  /** Changed outside Terraform since the last apply. */
  readonly drift: Entry[];
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

// ---------------------------------------------------------------------------------------------
// Reading `terraform show -json`
// ---------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface JsonChange {
  actions: string[];
  before?: Json;
  after?: Json;
  after_unknown?: Json;
  replace_paths?: Json[][];
}

interface JsonResourceChange {
  address: string;
  mode?: string;
  action_reason?: string;
  change: JsonChange;
}

/** The parts of Terraform's plan JSON (format 1.x) this script reads. */
export interface PlanJson {
  resource_drift?: JsonResourceChange[];
  resource_changes?: JsonResourceChange[];
  output_changes?: Record<string, JsonChange>;
}

const REASONS: Record<string, string> = {
  delete_because_no_resource_config: "no longer in the configuration",
  delete_because_no_module: "its module is no longer in the configuration",
  delete_because_wrong_repetition: "count/for_each changed",
  delete_because_count_index: "count shrank",
  delete_because_each_key: "for_each key removed",
  replace_because_tainted: "tainted",
  replace_by_request: "-replace requested",
  replace_by_triggers: "replace_triggered_by",
};

function actionOf(actions: readonly string[]): string {
  if (actions.includes("delete") && actions.includes("create")) return "replace";
  return actions.join("+");
}

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => sameJson(a[k], b[k]));
  }
  return false;
}

/** Top-level attributes whose value differs; those only known after apply when nothing else does. */
function changedAttributes(change: JsonChange): string[] {
  const before = isObject(change.before) ? change.before : {};
  const after = isObject(change.after) ? change.after : {};
  const unknown = isObject(change.after_unknown) ? change.after_unknown : {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const known = keys.filter((k) => unknown[k] !== true && !sameJson(before[k], after[k]));
  if (known.length > 0) return known;
  return keys.filter((k) => unknown[k] === true && before[k] !== undefined && before[k] !== null).map((k) => `${k} (known after apply)`);
}

function detailOf(rc: JsonResourceChange, action: string, drift: boolean): string {
  if (drift) return action === "delete" ? "deleted outside Terraform" : changedAttributes(rc.change).join(", ");
  if (rc.action_reason && REASONS[rc.action_reason]) return REASONS[rc.action_reason];
  if (action === "replace") {
    const forcing = [...new Set((rc.change.replace_paths ?? []).map((p) => String(p[0])))];
    return forcing.length > 0 ? `${forcing.join(", ")} forces replacement` : "";
  }
  return action === "update" ? changedAttributes(rc.change).join(", ") : "";
}

/** No-op and data-source reads are not changes to anything; everything else is. */
const isChange = (actions: readonly string[]) => !actions.every((a) => a === "no-op" || a === "read");

export function summarizePlan(plan: PlanJson): PlanSummary {
  const managed = (rcs: JsonResourceChange[] | undefined) => (rcs ?? []).filter((rc) => (rc.mode ?? "managed") === "managed" && isChange(rc.change.actions));
  const entry = (drift: boolean) => (rc: JsonResourceChange): Entry => {
    const action = actionOf(rc.change.actions);
    return { address: rc.address, action, detail: detailOf(rc, action, drift) };
  };
  return {
    drift: managed(plan.resource_drift).map(entry(true)),
    changes: managed(plan.resource_changes).map(entry(false)),
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

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TerraformCli {
  readonly binary: string;
  run(cwd: string, args: string[]): Run;
}

/** terraform from LGTM_TERRAFORM or the PATH, with the caller's environment (credentials) passed through. */
export function terraformCli(binary = process.env.LGTM_TERRAFORM || "terraform"): TerraformCli {
  const env = { ...process.env, TF_IN_AUTOMATION: "1" };
  return {
    binary,
    run(cwd, args) {
      // -no-color goes right after the subcommand, where every terraform command accepts it.
      const r = spawnSync(binary, [args[0], "-no-color", ...args.slice(1)], { cwd, env, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
      if (r.error) return { code: null, stdout: "", stderr: `could not run ${binary}: ${r.error.message}` };
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

/** The error part of terraform's output: from the first "Error:" line, else its last lines. */
function errorText(r: Run): string {
  const lines = `${r.stderr}\n${r.stdout}`.replace(/\x1b\[[0-9;]*m/g, "").split("\n");
  const first = lines.findIndex((l) => /^(│ )?Error:/.test(l));
  const picked = first >= 0 ? lines.slice(first) : lines.filter((l) => l.trim() !== "").slice(-ERROR_LINES);
  const trimmed = picked.join("\n").trim().split("\n");
  return trimmed.length > ERROR_LINES ? [...trimmed.slice(0, ERROR_LINES), `… (${trimmed.length - ERROR_LINES} more lines)`].join("\n") : trimmed.join("\n");
}

function log(message: string): void {
  process.stderr.write(`drift: ${message}\n`);
}

/** init (with the backend), plan without the lock, show -json: one layer's result. */
export function checkLayer(tf: TerraformCli, outdir: string, env: string, layer: LayerId): LayerResult {
  const stack = stackId(env, layer);
  const dir = path.join(outdir, "stacks", stack);
  const shown = path.relative(process.cwd(), dir) || ".";
  const notes: string[] = [];
  if (layer === "00-bootstrap") notes.push(...bootstrapNotes(dir));
  const empty: PlanSummary = { drift: [], changes: [], outputs: [] };
  const failed = (step: "init" | "plan" | "show", r: Run, message = errorText(r)): LayerResult => {
    log(`${stack}: terraform ${step} failed (exit ${r.code ?? "none"})`);
    return { layer, stack, dir: shown, status: "error", ...empty, error: { step, exit_code: r.code, message }, notes };
  };

  log(`${stack}: terraform init`);
  // -reconfigure: a folder planned before with other backend settings must not ask to migrate state.
  const init = tf.run(dir, ["init", "-input=false", "-reconfigure"]);
  if (init.code !== 0) return failed("init", init);

  log(`${stack}: terraform plan -lock=false`);
  const planFile = path.join(dir, PLAN_FILE);
  try {
    const plan = tf.run(dir, ["plan", "-input=false", "-lock=false", "-detailed-exitcode", `-out=${PLAN_FILE}`]);
    if (plan.code !== 0 && plan.code !== 2) return failed("plan", plan);

    const show = tf.run(dir, ["show", "-json", PLAN_FILE]);
    if (show.code !== 0) return failed("show", show);
    let parsed: PlanJson;
    try {
      parsed = JSON.parse(show.stdout) as PlanJson;
    } catch (e) {
      return failed("show", show, `terraform show -json printed no plan JSON (${(e as Error).message})`);
    }
    const summary = summarizePlan(parsed);
    const status = statusOf(summary, plan.code);
    log(`${stack}: ${status}`);
    return { layer, stack, dir: shown, status, ...summary, notes };
  } finally {
    // The plan file holds the state's values; nothing needs it once summarized.
    fs.rmSync(planFile, { force: true });
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

  for (const l of report.layers) {
    if (l.status === "no changes" && l.notes.length === 0) continue;
    lines.push("", `## ${l.layer}: ${l.status}`);
    for (const note of l.notes) lines.push("", `Note: ${note}.`);
    if (l.error) {
      lines.push("", `\`terraform ${l.error.step}\` failed (exit ${l.error.exit_code ?? "none"}):`, "", "```text", l.error.message.replace(/```/g, "'''"), "```");
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

/** The machine cannot run the check (no terraform): exit 1, no stack trace. */
export class SetupError extends UserError {}

export interface DriftOptions {
  readonly env: string;
  readonly layers: readonly LayerId[];
  readonly explicitLayers: boolean;
  readonly outdir: string;
  readonly report: string;
  readonly json: string;
  readonly synth: boolean;
}

function resolveLayer(name: string): LayerId {
  const byName = LAYERS.find((l) => l === name || layerShortName(l) === name);
  if (byName) return byName;
  const hint = didYouMean(name, [...LAYERS, ...LAYERS.map(layerShortName)]);
  const suggestion = hint ? `; did you mean "${LAYERS.find((l) => l === hint || layerShortName(l) === hint)}"?` : "";
  throw new UsageError(`unknown layer "${name}"${suggestion} (layers: ${LAYERS.join(", ")})`);
}

export function parseOptions(argv: string[]): DriftOptions | "help" {
  const values = parseCommandLine(argv, {
    env: { type: "string", multiple: true },
    layer: { type: "string", multiple: true },
    out: { type: "string" },
    report: { type: "string" },
    json: { type: "string" },
    "no-synth": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return "help";
  const envs = [...new Set(values.env ?? [])];
  if (envs.length === 0) throw new UsageError("--env is required: which environment's state to check");
  if (envs.length > 1) throw new UsageError(`one environment per run (each has its own account and credentials), got ${envs.join(", ")}`);
  const chosen = new Set((values.layer ?? []).map(resolveLayer));
  const explicitLayers = chosen.size > 0;
  return {
    env: envs[0],
    // LAYERS is in deploy order: every layer comes after the layers it reads.
    layers: LAYERS.filter((l) => (explicitLayers ? chosen.has(l) : l !== "00-bootstrap")),
    explicitLayers,
    outdir: values.out ?? "cdktf.out",
    report: values.report ?? "drift-report.md",
    json: values.json ?? "drift-report.json",
    synth: !values["no-synth"],
  };
}

/** An unknown environment is a usage error, worded exactly as the settings loader words it. */
async function checkEnvironment(env: string): Promise<void> {
  if (listEnvironments().includes(env)) return;
  try {
    await loadSettings(env);
  } catch (e) {
    if (e instanceof SettingsError) throw new UsageError(e.message);
    throw e;
  }
}

/** Synthesizes one environment into `outdir` exactly as `npm run synth -- --env <env>` does. */
async function synthesize(env: string, outdir: string): Promise<void> {
  // Imported here: the stacks pull in the provider classes, which --no-synth runs do not need.
  const { loadEnvironments, synthesize: synthesizeEnvironments } = await import("./synth");
  synthesizeEnvironments(await loadEnvironments([env]), outdir);
  const target = path.resolve(outdir);
  log(`synthesized ${env} into ${path.relative(process.cwd(), target) || target}`);
}

function terraformVersion(tf: TerraformCli): string {
  const r = tf.run(process.cwd(), ["version", "-json"]);
  if (r.code !== 0) {
    throw new SetupError(`terraform is not runnable as "${tf.binary}" (${r.stderr.trim() || `exit ${r.code}`}); install Terraform >= 1.11 or set LGTM_TERRAFORM`);
  }
  try {
    return (JSON.parse(r.stdout) as { terraform_version: string }).terraform_version;
  } catch {
    return "(unknown version)";
  }
}

export async function runDrift(options: DriftOptions, tf: TerraformCli = terraformCli()): Promise<DriftReport> {
  await checkEnvironment(options.env);
  if (options.synth) await synthesize(options.env, options.outdir);
  else {
    const missing = options.layers.map((l) => path.join(options.outdir, "stacks", stackId(options.env, l))).filter((d) => !fs.existsSync(path.join(d, "cdk.tf.json")));
    if (missing.length > 0) {
      throw new UsageError(`--no-synth: no synthesized stack in ${missing.join(", ")}; run \`npm run synth -- --env ${options.env} --out ${options.outdir}\` first, or drop --no-synth`);
    }
  }
  const version = terraformVersion(tf);
  // A failed layer does not stop the run: later layers read their upstreams' applied state (remote
  // state), not this run's plan of them, so their plans are still meaningful.
  const layers = options.layers.map((layer) => checkLayer(tf, options.outdir, options.env, layer));
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

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

export async function run(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  const report = await runDrift(options);
  const markdown = renderMarkdown(report);
  write(options.report, markdown);
  write(options.json, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(markdown);
  log(`wrote ${options.report} and ${options.json}; exit ${report.exit_code} (${report.result})`);
  return report.exit_code;
}
