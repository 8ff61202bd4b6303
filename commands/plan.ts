/**
 * Review before apply: plans every layer of one environment against its real state and writes one
 * review (terminal text, Markdown for a pull-request comment or job summary, JSON), with a destroy
 * guard in front and, with --save, the plan files `npm run apply` applies. See docs/reviewing.md.
 *
 *   npm run plan -- --env prod                               every layer except 00-bootstrap
 *   npm run plan -- --env prod --layer 30-storage            only some layers (repeat --layer)
 *   npm run plan -- --env prod --save plans/prod             keep the plans for `npm run apply`
 *   npm run plan -- --env prod --allow-destroy 'aws_s3_bucket.old*'   a reviewed, wanted destroy
 *
 * Per layer, in deploy order: `terraform init` with the S3 backend, `terraform plan -lock=false
 * -out=…`, `terraform show -json`. The plan takes no lock: it writes nothing, and `terraform apply`
 * of a saved plan takes the lock and refuses a plan whose state has moved on since ("Saved plan is
 * stale"). Values are never printed, only attribute names: a plan holds the state's secrets.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { LAYER_READS, LAYERS, stackId, type LayerId } from "../stacks/contract";
import { ENVIRONMENTS_OPTION, environmentsDir, parseCommandLine, parseFormat, UsageError } from "./cli";
import { MissingPricesError } from "../cost";
import { costMarkdown, costText, reviewCost, type CostReview } from "./plan-cost";
import { GUARDED_TYPES, globMatches, isGuarded, unmatchedPatterns, type GuardedChange } from "./destroy-guard";
import {
  actionOf,
  changedAttributes,
  checkEnvironment,
  sameErrors,
  errorText,
  forcingAttributes,
  isChange,
  isManaged,
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
  resourceType,
  sensitiveAttributes,
  serialized,
  synthesizeEnvironment,
  terraformCli,
  terraformVersion,
  writeFile,
  type PlanJson,
  type Run,
  type TerraformCli,
} from "./terraform";

export const USAGE = `usage: npm run plan -- --env <name> [--layer <layer> ...] [--save <dir>] [--allow-destroy <address|glob> ...]
                     [--format text|markdown|json] [--markdown <file>] [--json <file>] [--out <dir>] [--no-synth]
                     [--environments <dir>] [--parallelism <n>]
  --env <name>            the environment to plan (one per run: each has its own account and credentials)
  --layer <layer>         only this layer (repeatable; "30-storage" or "storage"); default: every layer
                          except 00-bootstrap, whose state is local. Layers are reported in deploy order.
  --save <dir>            keep each layer's plan file, its summary and the stack JSON's hash in <dir>,
                          for \`npm run apply -- --env <name> --plans <dir>\`
  --allow-destroy <glob>  let the plan delete or replace this guarded address (repeatable; * and ?
                          match any text); one that matches no guarded change is a usage error
  --format <f>            what is printed on stdout: text (default), markdown or json
  --markdown <file>       also write the Markdown review (a PR comment or job summary)
  --json <file>           also write the JSON review
  --out <dir>             synth output folder (default: cdktf.out)
  --no-synth              plan the stacks already in --out instead of synthesizing them first
  --cost-base <dir>       environments/ folder of the deployed settings (e.g. the base branch's): the
                          review's monthly cost shows before, after and the change per layer
  --environments <dir>    folder of common.tfvars and <env>.tfvars (default: environments/)
  --parallelism <n>       layers planned side by side, 1-16 (default: ${DEFAULT_PARALLELISM}); each reads the others'
                          applied state, never this run's plans, so the order does not change a plan
  LGTM_TERRAFORM          the terraform binary (default: terraform on the PATH)
exit codes: 0 no changes, 2 changes to review, 3 a guarded destroy not allowed by --allow-destroy,
            1 a layer could not be planned (wins over 3 and 2), an unknown environment or bad settings;
            usage errors exit 2`;

/** GitHub's limit for an issue or pull-request comment body, in characters. */
export const MARKDOWN_LIMIT = 65_536;

/** The plan file each layer writes in its own stack folder. */
const PLAN_FILE = "review.tfplan";
/** The manifest `npm run apply` reads in a --save folder. */
export const MANIFEST = "manifest.json";

const log = logger("plan");

// ---------------------------------------------------------------------------------------------
// The review's data
// ---------------------------------------------------------------------------------------------

/** One changed resource. Attribute NAMES only: values may be secrets. */
export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  /** create, update, replace, delete, forget, ... */
  readonly action: string;
  /** Top-level attributes that change; "(sensitive)" marks one Terraform treats as secret. */
  readonly attributes: string[];
  /** For a replace: the attributes that force it. */
  readonly forcing: string[];
  /** Terraform's reason (e.g. "no longer in the configuration"), when it gives one. */
  readonly reason: string;
}

export interface OutputChange {
  readonly name: string;
  readonly action: string;
  readonly sensitive: boolean;
}

export type Counts = Record<"create" | "update" | "replace" | "delete" | "no-op", number>;

/** An extra section of a layer's review, e.g. a cost estimate. */
export interface ExtraSection {
  readonly title: string;
  /** Markdown lines (also printed as they are in the terminal). */
  readonly lines: string[];
}

/**
 * A hook for more per-layer sections (the cost estimator plugs in here): called once per planned
 * layer with its plan JSON and stack JSON; whatever it returns is shown in that layer's section.
 */
export type LayerSection = (input: { env: string; layer: LayerId; plan: PlanJson; stack: unknown }) => ExtraSection | undefined;
export const LAYER_SECTIONS: LayerSection[] = [];

export type LayerStatus = "no changes" | "changes" | "error";

export interface LayerReview {
  readonly layer: LayerId;
  readonly stack: string;
  /** The stack folder, relative to where the plan ran. */
  readonly dir: string;
  readonly status: LayerStatus;
  readonly counts: Counts;
  readonly changes: ResourceChange[];
  readonly outputs: OutputChange[];
  /** Resources changed outside Terraform that this plan takes into account (see `npm run drift`). */
  readonly drifted: number;
  readonly notes: string[];
  readonly extra: ExtraSection[];
  /** sha256 of the stack's cdk.tf.json the plan was made from. */
  readonly stack_sha256: string;
  readonly error?: { readonly step: "init" | "plan" | "show"; readonly exit_code: number | null; readonly message: string };
}

export type Result = "no changes" | "changes" | "guarded destroy" | "error";

export interface PlanReport {
  readonly env: string;
  readonly terraform_version: string;
  readonly result: Result;
  readonly exit_code: 0 | 1 | 2 | 3;
  /** Deletes and replaces of guarded types, allowed or not. */
  readonly guarded: GuardedChange[];
  readonly allow_destroy: string[];
  readonly layers: LayerReview[];
  readonly skipped: { readonly layer: LayerId; readonly reason: string }[];
  /** Monthly cost before and after, per layer and in total (commands/plan-cost.ts); absent when it cannot be priced. */
  readonly cost?: CostReview;
  /** Why there is no cost section, when there is none. */
  readonly cost_note?: string;
}

const EMPTY_COUNTS: Counts = { create: 0, update: 0, replace: 0, delete: 0, "no-op": 0 };

/** The review of one layer's plan JSON: counts, changed addresses with attribute names, outputs. */
export function reviewPlan(plan: PlanJson): Pick<LayerReview, "counts" | "changes" | "outputs" | "drifted"> {
  const counts: Counts = { ...EMPTY_COUNTS };
  const changes: ResourceChange[] = [];
  for (const rc of (plan.resource_changes ?? []).filter(isManaged)) {
    const action = actionOf(rc.change.actions);
    if (action in counts) counts[action as keyof Counts]++;
    if (!isChange(rc.change.actions)) continue;
    const sensitive = sensitiveAttributes(rc.change);
    const mark = (name: string) => (sensitive.has(name.replace(/ \(known after apply\)$/, "")) ? `${name} (sensitive)` : name);
    const attributes = action === "update" || action === "replace" ? changedAttributes(rc.change).map(mark) : [];
    changes.push({
      address: rc.address,
      type: resourceType(rc),
      action,
      attributes,
      forcing: action === "replace" ? forcingAttributes(rc.change) : [],
      reason: (rc.action_reason && REASONS[rc.action_reason]) ?? "",
    });
  }
  const outputs = Object.entries(plan.output_changes ?? {})
    .filter(([, c]) => isChange(c.actions))
    .map(([name, c]) => ({ name, action: actionOf(c.actions), sensitive: c.before_sensitive === true || c.after_sensitive === true }));
  const drifted = (plan.resource_drift ?? []).filter((rc) => isManaged(rc) && isChange(rc.change.actions)).length;
  return { counts, changes, outputs, drifted };
}

/** Why Terraform deletes or replaces a resource, in names only. */
export function whyOf(c: ResourceChange): string {
  if (c.action === "replace" && c.forcing.length > 0) return `${c.forcing.join(", ")} forces replacement`;
  if (c.reason) return c.reason;
  return c.attributes.join(", ");
}

/**
 * Guarded deletes and replaces across the layers, each marked allowed when a pattern names it. A
 * delete next to a create of the same type in the same layer is most likely a renamed construct,
 * and says so.
 */
export function guardedChanges(layers: readonly LayerReview[], allow: readonly string[]): GuardedChange[] {
  return layers.flatMap((l) =>
    l.changes
      .filter((c) => isGuarded(c.type, c.action))
      .map((c) => {
        const created = c.action === "delete" ? l.changes.filter((o) => o.action === "create" && o.type === c.type).map((o) => o.address) : [];
        const rename = created.length > 0 ? `; ${created.join(", ")} is created in the same plan: a renamed construct? a \`moved\` block keeps the resource` : "";
        return {
          layer: l.layer,
          address: c.address,
          type: c.type,
          action: c.action,
          reason: GUARDED_TYPES[c.type],
          detail: `${whyOf(c)}${rename}`,
          allowed: allow.some((p) => globMatches(p, c.address)),
        };
      }),
  );
}

/** "reads X's applied state, and X has pending changes in this plan". */
export function upstreamNotes(layers: readonly LayerReview[]): Map<LayerId, string[]> {
  const pending = new Set(layers.filter((l) => l.status === "changes").map((l) => l.layer));
  const notes = new Map<LayerId, string[]>();
  for (const l of layers) {
    const upstream = LAYER_READS[l.layer].filter((u) => pending.has(u));
    if (upstream.length > 0) {
      notes.set(l.layer, [
        `upstream ${upstream.join(", ")} ${upstream.length > 1 ? "have" : "has"} pending changes in this plan; this layer's plan reads the applied upstream state, not the planned one (Terraform cannot plan across states), so plan it again after ${upstream.length > 1 ? "they are" : "it is"} applied`,
      ]);
    }
  }
  return notes;
}

export function overall(layers: readonly LayerReview[], guarded: readonly GuardedChange[]): { result: Result; exit_code: 0 | 1 | 2 | 3 } {
  if (layers.some((l) => l.status === "error")) return { result: "error", exit_code: 1 };
  if (guarded.some((g) => !g.allowed)) return { result: "guarded destroy", exit_code: 3 };
  if (layers.some((l) => l.status === "changes")) return { result: "changes", exit_code: 2 };
  return { result: "no changes", exit_code: 0 };
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const COUNT_NAMES = ["create", "update", "replace", "delete", "no-op"] as const;

function countsText(l: LayerReview): string {
  if (l.status === "error") return `terraform ${l.error?.step} failed`;
  const parts = COUNT_NAMES.filter((a) => a !== "no-op" && l.counts[a] > 0).map((a) => `${l.counts[a]} to ${a}`);
  if (l.outputs.length > 0) parts.push(`${l.outputs.length} output${l.outputs.length > 1 ? "s" : ""} changed`);
  return parts.length > 0 ? parts.join(", ") : "no changes";
}

function resultLine(report: PlanReport): string {
  const what: Record<Result, string> = {
    "no changes": "no changes",
    changes: "changes to review",
    "guarded destroy": "a guarded destroy blocks this plan",
    error: "a layer could not be planned",
  };
  return `Result: ${what[report.result]}, exit code ${report.exit_code}.`;
}

function guardLines(report: PlanReport): string[] {
  if (report.guarded.length === 0) return [];
  const blocked = report.guarded.filter((g) => !g.allowed);
  const lines = [
    `## ${blocked.length > 0 ? "⛔ Destroys that need --allow-destroy" : "Destroys allowed by --allow-destroy"}`,
    "",
    "These resources hold data or identity (the list and the reasons: commands/destroy-guard.ts).",
    "",
    "| Layer | Address | Action | Why Terraform does it | What is lost | Allowed |",
    "|---|---|---|---|---|---|",
    ...report.guarded.map((g) => `| ${g.layer} | \`${cell(g.address)}\` | **${g.action}** | ${cell(g.detail)} | ${cell(g.reason)} | ${g.allowed ? "yes" : "**no**"} |`),
  ];
  if (blocked.length > 0) {
    lines.push(
      "",
      `If these are intended, plan again with ${blocked.map((g) => `\`--allow-destroy '${g.address}'\``).join(" ")}. A rename in the code is a delete and a create: keep the resource with a \`moved\` block instead.`,
    );
  }
  return lines;
}

function changeRow(c: ResourceChange): string {
  const details = [c.attributes.length > 0 && c.action !== "replace" ? c.attributes.join(", ") : "", c.action === "replace" ? whyOf(c) : c.reason].filter(Boolean).join("; ");
  return `| \`${cell(c.address)}\` | ${c.action} | ${cell(details)} |`;
}

/** The layer's details as Markdown rows (table header first); an error other layers share is said on the first of them. */
function layerRows(l: LayerReview, same: ReturnType<typeof sameErrors>): string[] {
  const rows: string[] = [];
  for (const note of l.notes) rows.push(`Note: ${note}.`, "");
  if (l.error && same.sameAs.has(l.layer)) rows.push(`\`terraform ${l.error.step}\` failed (exit ${l.error.exit_code ?? "none"}) with the same error as ${same.sameAs.get(l.layer)}, above.`, "");
  else if (l.error) {
    const all = same.sharedBy.get(l.layer) ?? [l.layer];
    rows.push(`\`terraform ${l.error.step}\` failed (exit ${l.error.exit_code ?? "none"})${all.length > 1 ? ` in ${all.join(", ")}` : ""}:`, "", "```text", l.error.message.replace(/```/g, "'''"), "```", "");
  }
  if (l.drifted > 0) rows.push(`${l.drifted} resource${l.drifted > 1 ? "s" : ""} changed outside Terraform; this plan would undo that (\`npm run drift\` lists them).`, "");
  if (l.changes.length > 0 || l.outputs.length > 0) {
    rows.push("| Address | Action | Changed attributes / why |", "|---|---|---|");
    rows.push(...l.changes.map(changeRow));
    rows.push(...l.outputs.map((o) => `| \`output.${cell(o.name)}\` | ${o.action} | ${o.sensitive ? "(sensitive)" : ""} |`));
  }
  for (const section of l.extra) rows.push("", `**${section.title}**`, "", ...section.lines);
  return rows;
}

/**
 * The review as Markdown: the destroy block first, a summary table, then one collapsible section
 * per layer. Longer than `limit` characters, the layers' rows are cut and a note says so.
 */
export function renderMarkdown(report: PlanReport, limit = MARKDOWN_LIMIT): string {
  const head: string[] = [`# Plan: ${report.env}`, ""];
  const guard = guardLines(report);
  if (guard.length > 0) head.push(...guard, "");
  head.push(
    `Every layer was planned against its state with Terraform ${report.terraform_version} (\`terraform plan -lock=false\`: nothing applied). Attribute names only, never values.`,
    "",
    "| Layer | Status | Create | Update | Replace | Delete | No-op | Outputs |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const l of report.layers) {
    const cols = l.status === "error" ? ["-", "-", "-", "-", "-", "-"] : [...COUNT_NAMES.map((a) => String(l.counts[a])), String(l.outputs.length)];
    head.push(`| ${l.layer} | ${l.status === "no changes" ? "no changes" : `**${l.status}**`} | ${cols.join(" | ")} |`);
  }
  head.push("", `**${resultLine(report)}**`);
  for (const s of report.skipped) head.push("", `Not planned: ${s.layer}, ${s.reason}.`);
  if (report.cost) head.push("", ...costMarkdown(report.cost));
  else if (report.cost_note) head.push("", `No cost estimate: ${report.cost_note}.`);

  const note = (cut: number) => `\n> **Truncated:** ${cut} more line${cut > 1 ? "s" : ""} did not fit GitHub's ${MARKDOWN_LIMIT.toLocaleString("en-US")}-character limit; the full review is in the JSON report (\`--json\`) and the saved summaries.\n`;
  const reserve = note(999_999).length + 64;
  let text = `${head.join("\n")}\n`;
  let cut = 0;
  const same = sameErrors(report.layers);
  for (const l of report.layers) {
    const rows = layerRows(l, same);
    if (rows.length === 0) continue;
    const open = `\n<details${l.status === "no changes" ? "" : " open"}><summary><b>${l.layer}</b>: ${countsText(l)}</summary>\n\n`;
    const close = "\n</details>\n";
    if (cut > 0 || text.length + open.length + close.length + reserve > limit) {
      cut += rows.length;
      continue;
    }
    text += open;
    let i = 0;
    for (; i < rows.length; i++) {
      if (text.length + rows[i].length + 1 + close.length + reserve > limit) break;
      text += `${rows[i]}\n`;
    }
    text += close;
    cut += rows.length - i;
  }
  return cut > 0 ? text + note(cut) : text;
}

/** The review for a terminal. */
export function renderText(report: PlanReport): string {
  const lines: string[] = [`Plan for ${report.env} (Terraform ${report.terraform_version}; attribute names only, never values)`, ""];
  if (report.guarded.length > 0) {
    const blocked = report.guarded.filter((g) => !g.allowed);
    lines.push(blocked.length > 0 ? "!! DESTROYS THAT NEED --allow-destroy (they hold data or identity):" : "Destroys allowed by --allow-destroy:");
    for (const g of report.guarded) {
      lines.push(`   ${g.allowed ? "allowed" : "BLOCKED"}  ${g.action.padEnd(7)} ${g.layer} ${g.address}`, `            why: ${g.detail || "-"}`, `            loses: ${g.reason}`);
    }
    if (blocked.length > 0) lines.push(`   If intended, plan again with ${blocked.map((g) => `--allow-destroy '${g.address}'`).join(" ")}`);
    lines.push("");
  }
  const same = sameErrors(report.layers);
  for (const l of report.layers) {
    lines.push(`${l.layer}: ${countsText(l)}${l.counts["no-op"] > 0 ? ` (${l.counts["no-op"]} unchanged)` : ""}`);
    for (const n of l.notes) lines.push(`   note: ${n}`);
    if (l.error && same.sameAs.has(l.layer)) lines.push(`   the same error as ${same.sameAs.get(l.layer)}, above`);
    else if (l.error) {
      const all = same.sharedBy.get(l.layer) ?? [l.layer];
      if (all.length > 1) lines.push(`   the same error in ${all.join(", ")}:`);
      lines.push(...l.error.message.split("\n").map((x) => `   | ${x}`));
    }
    if (l.drifted > 0) lines.push(`   ${l.drifted} changed outside Terraform (npm run drift lists them)`);
    for (const c of l.changes) {
      const why = c.action === "replace" ? whyOf(c) : [c.attributes.join(", "), c.reason].filter(Boolean).join("; ");
      lines.push(`   ${c.action.padEnd(8)} ${c.address}${why ? `  (${why})` : ""}`);
    }
    for (const o of l.outputs) lines.push(`   ${o.action.padEnd(8)} output.${o.name}${o.sensitive ? "  (sensitive)" : ""}`);
    for (const s of l.extra) lines.push(`   ${s.title}:`, ...s.lines.map((x) => `     ${x}`));
  }
  for (const s of report.skipped) lines.push(`not planned: ${s.layer}, ${s.reason}`);
  if (report.cost) lines.push("", ...costText(report.cost));
  else if (report.cost_note) lines.push("", `no cost estimate: ${report.cost_note}`);
  lines.push("", resultLine(report));
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// Planning
// ---------------------------------------------------------------------------------------------

export const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

interface Planned {
  readonly review: LayerReview;
  /** The plan file, while it exists (removed unless --save keeps it). */
  readonly planFile?: string;
}

/** init (with the backend), plan without the lock, show -json: one layer's review. */
export async function planLayer(tf: TerraformCli, outdir: string, env: string, layer: LayerId, initLock: <R>(work: () => Promise<R>) => Promise<R> = serialized()): Promise<Planned> {
  const stack = stackId(env, layer);
  const dir = path.join(outdir, "stacks", stack);
  const shown = path.relative(process.cwd(), dir) || ".";
  const stackFile = path.join(dir, "cdk.tf.json");
  const stackText = fs.readFileSync(stackFile);
  const base = { layer, stack, dir: shown, counts: { ...EMPTY_COUNTS }, changes: [], outputs: [], drifted: 0, notes: [], extra: [], stack_sha256: sha256(stackText) };
  const failed = (step: "init" | "plan" | "show", r: Run, message = errorText(r)): Planned => {
    log(`${stack}: terraform ${step} failed (exit ${r.code ?? "none"})`);
    return { review: { ...base, status: "error", error: { step, exit_code: r.code, message } } };
  };

  log(`${stack}: terraform init`);
  const init = await initLock(() => tf.runAsync(dir, ["init", "-input=false", "-reconfigure"]));
  if (init.code !== 0) return failed("init", init);

  // Unchanged secret versions stay out of the plan: refreshing one reads its value (refreshScope).
  const scope = await refreshScope(tf, dir, JSON.parse(stackText.toString("utf8")) as Parameters<typeof refreshScope>[2]);
  const scopeNote = refreshScopeNote(scope);
  log(`${stack}: terraform plan${scope.skipped.length > 0 ? ` (${scope.skipped.length} unchanged secret version(s) left out)` : ""}`);
  const planFile = path.join(dir, PLAN_FILE);
  fs.rmSync(planFile, { force: true });
  const plan = await tf.runAsync(dir, ["plan", "-input=false", "-lock=false", "-detailed-exitcode", ...scope.args, `-out=${PLAN_FILE}`]);
  if (plan.code !== 0 && plan.code !== 2) return failed("plan", plan);

  const show = await tf.runAsync(dir, ["show", "-json", PLAN_FILE]);
  if (show.code !== 0) {
    fs.rmSync(planFile, { force: true });
    return failed("show", show);
  }
  let parsed: PlanJson;
  try {
    parsed = JSON.parse(show.stdout) as PlanJson;
  } catch (e) {
    fs.rmSync(planFile, { force: true });
    return failed("show", show, `terraform show -json printed no plan JSON (${(e as Error).message})`);
  }
  const problem = refreshScopeProblem(scope, parsed);
  if (problem) {
    fs.rmSync(planFile, { force: true });
    return failed("plan", plan, problem);
  }
  const reviewed = reviewPlan(parsed);
  const changed = reviewed.changes.length > 0 || reviewed.outputs.length > 0 || plan.code === 2;
  const stackJson = JSON.parse(stackText.toString("utf8")) as unknown;
  const extra = LAYER_SECTIONS.map((section) => section({ env, layer, plan: parsed, stack: stackJson })).filter((s): s is ExtraSection => !!s);
  const review: LayerReview = { ...base, ...reviewed, extra, notes: scopeNote ? [scopeNote] : [], status: changed ? "changes" : "no changes" };
  log(`${stack}: ${countsText(review)}`);
  return { review, planFile };
}

export interface PlanOptions {
  readonly env: string;
  readonly layers: readonly LayerId[];
  readonly explicitLayers: boolean;
  readonly outdir: string;
  readonly synth: boolean;
  readonly save?: string;
  readonly allowDestroy: readonly string[];
  readonly format: "text" | "markdown" | "json";
  readonly markdown?: string;
  readonly json?: string;
  /** environments/ folder of the deployed settings, for the cost before the change. */
  readonly costBase?: string;
  /** --environments: the settings folder. @default environments/ */
  readonly environmentsDir?: string;
  /** --parallelism: layers planned side by side. @default 1 in-process; the command's default is DEFAULT_PARALLELISM */
  readonly parallelism?: number;
}

export function parseOptions(argv: string[]): PlanOptions | "help" {
  const values = parseCommandLine(argv, {
    env: { type: "string", multiple: true },
    layer: { type: "string", multiple: true },
    out: { type: "string" },
    save: { type: "string" },
    "allow-destroy": { type: "string", multiple: true },
    format: { type: "string" },
    markdown: { type: "string" },
    json: { type: "string" },
    "no-synth": { type: "boolean" },
    "cost-base": { type: "string" },
    parallelism: { type: "string" },
    ...ENVIRONMENTS_OPTION,
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return "help";
  const env = oneEnvironment(values.env, "which environment to plan");
  const environments = environmentsDir(values.environments);
  const costBase = values["cost-base"];
  if (costBase !== undefined && !(fs.existsSync(costBase) && fs.statSync(costBase).isDirectory())) {
    throw new UsageError(`--cost-base ${costBase}: no such folder; name the environments/ folder of the deployed settings (e.g. the base branch's)`);
  }
  const chosen = new Set((values.layer ?? []).map(resolveLayer));
  const format = parseFormat(values.format);
  const allowDestroy = values["allow-destroy"] ?? [];
  const empty = allowDestroy.find((p) => p.trim() === "");
  if (empty !== undefined) throw new UsageError("--allow-destroy needs an address or a glob, got an empty string");
  return {
    env,
    // LAYERS is in deploy order: every layer comes after the layers it reads.
    layers: LAYERS.filter((l) => (chosen.size > 0 ? chosen.has(l) : l !== "00-bootstrap")),
    explicitLayers: chosen.size > 0,
    outdir: values.out ?? "cdktf.out",
    synth: !values["no-synth"],
    save: values.save,
    allowDestroy,
    format,
    markdown: values.markdown,
    json: values.json,
    costBase,
    environmentsDir: environments,
    parallelism: parallelismOption(values.parallelism),
  };
}

/** A --save folder: created, or emptied when it holds an earlier save; anything else is refused. */
function prepareSaveDir(dir: string): void {
  if (fs.existsSync(dir)) {
    const entries = fs.readdirSync(dir);
    if (entries.length > 0 && !entries.includes(MANIFEST)) {
      throw new UsageError(`--save ${dir}: the folder exists and holds other files; name a new or empty folder, or an earlier --save folder`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
}

/** What `npm run apply` reads in a --save folder. */
export interface Manifest {
  readonly format: 1;
  readonly env: string;
  readonly terraform_version: string;
  readonly exit_code: 0 | 1 | 2 | 3;
  readonly result: Result;
  readonly layers: {
    readonly layer: LayerId;
    readonly stack: string;
    readonly status: LayerStatus;
    /** sha256 of the stack's cdk.tf.json the plan was made from. */
    readonly stack_sha256: string;
    /** File name of the plan in the folder, when the layer has changes. */
    readonly plan_file?: string;
    readonly plan_sha256?: string;
  }[];
}

export async function runPlan(options: PlanOptions, tf: TerraformCli = terraformCli()): Promise<PlanReport> {
  await checkEnvironment(options.env, options.environmentsDir);
  if (options.save) prepareSaveDir(options.save);
  if (options.synth) await synthesizeEnvironment(options.env, options.outdir, log, options.environmentsDir);
  else {
    const missing = options.layers.map((l) => path.join(options.outdir, "stacks", stackId(options.env, l))).filter((d) => !fs.existsSync(path.join(d, "cdk.tf.json")));
    if (missing.length > 0) {
      throw new UsageError(`--no-synth: no synthesized stack in ${missing.join(", ")}; run \`npm run synth -- --env ${options.env} --out ${options.outdir}\` first, or drop --no-synth`);
    }
  }
  const version = terraformVersion(tf);
  // LAYERS is in deploy order: every layer comes after the layers it reads. A layer reads the
  // applied state of the layers before it, not this run's plans of them, so they plan side by side
  // (--parallelism) and the report keeps the deploy order.
  const ordered = LAYERS.filter((l) => options.layers.includes(l));
  const initLock = serialized();
  const planned: Planned[] = await mapLimit(ordered, options.parallelism ?? 1, (layer, i) => {
    log(`[${i + 1}/${ordered.length}] ${layer}`);
    return planLayer(tf, options.outdir, options.env, layer, initLock);
  });
  try {
    const upstream = upstreamNotes(planned.map((p) => p.review));
    const layers = planned.map(({ review }) => {
      const notes = [...review.notes, ...(review.layer === "00-bootstrap" ? ["its state is local; the plan reads the state file next to the stack folder, if there is one"] : []), ...(upstream.get(review.layer) ?? [])];
      return { ...review, notes };
    });
    const guarded = guardedChanges(layers, options.allowDestroy);
    // With a layer that could not be planned, its guarded changes are unknown: the error is the report.
    const failed = layers.some((l) => l.status === "error");
    const unmatched = failed ? [] : unmatchedPatterns(options.allowDestroy, guarded.map((g) => g.address));
    if (unmatched.length > 0) {
      throw new UsageError(
        `--allow-destroy ${unmatched.map((p) => `'${p}'`).join(", ")} matches no guarded delete or replace in this plan (${guarded.length > 0 ? `guarded: ${guarded.map((g) => g.address).join(", ")}` : "there is none"}); nothing was saved`,
      );
    }
    const skipped = options.explicitLayers
      ? []
      : [{ layer: "00-bootstrap" as const, reason: `its state is local (terraform.${stackId(options.env, "00-bootstrap")}.tfstate where the state bucket was created), not in S3; run with --layer 00-bootstrap where that file is` }];
    const priced = await priceReview(options);
    const report: PlanReport = { env: options.env, terraform_version: version, ...overall(layers, guarded), guarded, allow_destroy: [...options.allowDestroy], layers, skipped, ...priced };
    if (options.save) save(options.save, report, planned);
    return report;
  } finally {
    // The plan files hold the state's values: none stays in the synth output.
    for (const p of planned) if (p.planFile) fs.rmSync(p.planFile, { force: true });
  }
}

/** The cost section; a region without a price file leaves it out with a note rather than failing the review. */
async function priceReview(options: PlanOptions): Promise<Pick<PlanReport, "cost" | "cost_note">> {
  try {
    return { cost: await reviewCost(options.env, options.costBase, options.environmentsDir) };
  } catch (e) {
    if (e instanceof MissingPricesError) return { cost_note: e.message };
    throw e;
  }
}

function save(dir: string, report: PlanReport, planned: readonly Planned[]): void {
  const layers = planned.map(({ review, planFile }) => {
    const entry = { layer: review.layer, stack: review.stack, status: review.status, stack_sha256: review.stack_sha256 };
    if (review.status !== "changes" || !planFile) return entry;
    const name = `${review.layer}.tfplan`;
    const data = fs.readFileSync(planFile);
    fs.writeFileSync(path.join(dir, name), data, { mode: 0o600 });
    return { ...entry, plan_file: name, plan_sha256: sha256(data) };
  });
  for (const l of report.layers) writeFile(path.join(dir, `${l.layer}.summary.json`), `${JSON.stringify(l, null, 2)}\n`);
  writeFile(path.join(dir, "plan.md"), renderMarkdown(report));
  writeFile(path.join(dir, "plan.json"), `${JSON.stringify(report, null, 2)}\n`);
  const manifest: Manifest = { format: 1, env: report.env, terraform_version: report.terraform_version, exit_code: report.exit_code, result: report.result, layers };
  writeFile(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  log(`saved ${layers.filter((l) => "plan_file" in l).length} plan file(s) and the summaries in ${dir}`);
}

export async function run(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  const report = await runPlan(options);
  const markdown = renderMarkdown(report);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (options.markdown) writeFile(options.markdown, markdown);
  if (options.json) writeFile(options.json, json);
  process.stdout.write(options.format === "markdown" ? markdown : options.format === "json" ? json : renderText(report));
  log(`exit ${report.exit_code} (${report.result})`);
  return report.exit_code;
}
