/**
 * What drift, plan and apply share: running the terraform CLI in a synthesized layer stack, reading
 * `terraform show -json` (attribute NAMES only, never values: a plan holds secrets), resolving
 * `--env` and `--layer`, synthesizing one environment, and writing report files.
 *
 * Nothing here decides what a command reports; commands/drift.ts, commands/plan.ts and
 * commands/apply.ts do.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { didYouMean, listEnvironments, loadSettings } from "../settings";
import { LAYERS, layerShortName, type LayerId } from "../stacks/contract";
import { UsageError, UserError } from "./cli";

// ---------------------------------------------------------------------------------------------
// Reading `terraform show -json`
// ---------------------------------------------------------------------------------------------

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface JsonChange {
  actions: string[];
  before?: Json;
  after?: Json;
  after_unknown?: Json;
  before_sensitive?: Json;
  after_sensitive?: Json;
  replace_paths?: Json[][];
}

export interface JsonResourceChange {
  address: string;
  mode?: string;
  type?: string;
  action_reason?: string;
  change: JsonChange;
}

/** The parts of Terraform's plan JSON (format 1.x) this project reads. */
export interface PlanJson {
  format_version?: string;
  terraform_version?: string;
  resource_drift?: JsonResourceChange[];
  resource_changes?: JsonResourceChange[];
  output_changes?: Record<string, JsonChange>;
}

/** Terraform's action_reason codes in words. */
export const REASONS: Record<string, string> = {
  delete_because_no_resource_config: "no longer in the configuration",
  delete_because_no_module: "its module is no longer in the configuration",
  delete_because_wrong_repetition: "count/for_each changed",
  delete_because_count_index: "count shrank",
  delete_because_each_key: "for_each key removed",
  replace_because_tainted: "tainted",
  replace_by_request: "-replace requested",
  replace_by_triggers: "replace_triggered_by",
};

/** create, update, delete, replace (delete+create in either order), read, no-op, forget. */
export function actionOf(actions: readonly string[]): string {
  if (actions.includes("delete") && actions.includes("create")) return "replace";
  return actions.join("+");
}

export function isObject(v: Json | undefined): v is { [k: string]: Json } {
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
export function changedAttributes(change: JsonChange): string[] {
  const before = isObject(change.before) ? change.before : {};
  const after = isObject(change.after) ? change.after : {};
  const unknown = isObject(change.after_unknown) ? change.after_unknown : {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const known = keys.filter((k) => unknown[k] !== true && !sameJson(before[k], after[k]));
  if (known.length > 0) return known;
  return keys.filter((k) => unknown[k] === true && before[k] !== undefined && before[k] !== null).map((k) => `${k} (known after apply)`);
}

const holdsTrue = (v: Json | undefined): boolean => v === true || (Array.isArray(v) ? v.some(holdsTrue) : isObject(v) && Object.values(v).some(holdsTrue));

/** Top-level attributes Terraform marks sensitive (wholly or in part) before or after the change. */
export function sensitiveAttributes(change: JsonChange): Set<string> {
  const marked = (v: Json | undefined) => (isObject(v) ? Object.keys(v).filter((k) => holdsTrue(v[k])) : []);
  return new Set([...marked(change.before_sensitive), ...marked(change.after_sensitive)]);
}

/** The top-level attributes whose change forces a replacement. */
export function forcingAttributes(change: JsonChange): string[] {
  return [...new Set((change.replace_paths ?? []).map((p) => String(p[0])))];
}

/** No-op and data-source reads are not changes to anything; everything else is. */
export const isChange = (actions: readonly string[]) => !actions.every((a) => a === "no-op" || a === "read");

/** Managed resources only: a data source read is not a change. */
export const isManaged = (rc: JsonResourceChange) => (rc.mode ?? "managed") === "managed";

/** The resource type of an address such as `module.x.aws_s3_bucket.data["a"]`. */
export function resourceType(rc: JsonResourceChange): string {
  if (rc.type) return rc.type;
  const parts = rc.address.replace(/\[[^\]]*\]/g, "").split(".");
  return parts[parts.length - 2] ?? "";
}

// ---------------------------------------------------------------------------------------------
// Running terraform
// ---------------------------------------------------------------------------------------------

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TerraformCli {
  readonly binary: string;
  run(cwd: string, args: string[]): Run;
  /** The same as `run`, without blocking: layers plan side by side (`--parallelism`). */
  runAsync(cwd: string, args: string[]): Promise<Run>;
}

/** terraform from LGTM_TERRAFORM or the PATH, with the caller's environment (credentials) passed through. */
export function terraformCli(binary = process.env.LGTM_TERRAFORM || "terraform"): TerraformCli {
  const env = { ...process.env, TF_IN_AUTOMATION: "1" };
  // -no-color goes right after the subcommand (`state pull`: after both words), where every
  // terraform command accepts it.
  const argv = (args: string[]) => {
    const head = args[0] === "state" ? 2 : 1;
    return [...args.slice(0, head), "-no-color", ...args.slice(head)];
  };
  const failed = (e: Error): Run => ({ code: null, stdout: "", stderr: `could not run ${binary}: ${e.message}` });
  return {
    binary,
    run(cwd, args) {
      const r = spawnSync(binary, argv(args), { cwd, env, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
      if (r.error) return failed(r.error);
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    runAsync(cwd, args) {
      return new Promise((resolve) => {
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const child = spawn(binary, argv(args), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout.on("data", (b: Buffer) => out.push(b));
        child.stderr.on("data", (b: Buffer) => err.push(b));
        child.on("error", (e) => resolve(failed(e)));
        child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
      });
    },
  };
}

/** How many layers `plan` and `drift` run side by side unless `--parallelism` says otherwise. */
export const DEFAULT_PARALLELISM = 4;

/**
 * `--parallelism <n>`: a whole number from 1 to 16 (one terraform and one provider process per
 * layer at a time, a few hundred MB each).
 */
export function parallelismOption(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PARALLELISM;
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > 16) throw new UsageError(`--parallelism must be a whole number from 1 to 16 (layers planned side by side), got "${value}"`);
  return n;
}

/**
 * Runs `work` for every item, at most `limit` at a time, and returns the results in the items'
 * order (a report lists layers in deploy order, whichever finished first).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * One at a time: `terraform init` of layers planned side by side. Terraform does not promise that
 * inits sharing a plugin cache (TF_PLUGIN_CACHE_DIR) are safe to run at once; the plans are.
 */
export function serialized(): <R>(work: () => Promise<R>) => Promise<R> {
  let tail: Promise<unknown> = Promise.resolve();
  return <R>(work: () => Promise<R>) => {
    const result = tail.then(work, work);
    tail = result.catch(() => undefined);
    return result;
  };
}

/** Lines of terraform's error output kept in a report. */
const ERROR_LINES = 30;

/** The error part of terraform's output: from the first "Error:" line, else its last lines. */
export function errorText(r: Run): string {
  const lines = `${r.stderr}\n${r.stdout}`.replace(/\x1b\[[0-9;]*m/g, "").split("\n");
  const first = lines.findIndex((l) => /^(\u2502 )?Error:/.test(l));
  const picked = first >= 0 ? lines.slice(first) : lines.filter((l) => l.trim() !== "").slice(-ERROR_LINES);
  const trimmed = picked.join("\n").trim().split("\n");
  return trimmed.length > ERROR_LINES ? [...trimmed.slice(0, ERROR_LINES), `… (${trimmed.length - ERROR_LINES} more lines)`].join("\n") : trimmed.join("\n");
}

/** The machine cannot run the command (no terraform): exit 1, no stack trace. */
export class SetupError extends UserError {}

export function terraformVersion(tf: TerraformCli): string {
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

/** Progress lines on stderr, prefixed with the command's name. */
export const logger =
  (command: string) =>
  (message: string): void => {
    process.stderr.write(`${command}: ${message}\n`);
  };

// ---------------------------------------------------------------------------------------------
// --env, --layer, synth
// ---------------------------------------------------------------------------------------------

/** "10-network" or "network" to the layer id; anything else is a usage error listing the layers. */
export function resolveLayer(name: string): LayerId {
  const byName = LAYERS.find((l) => l === name || layerShortName(l) === name);
  if (byName) return byName;
  const hint = didYouMean(name, [...LAYERS, ...LAYERS.map(layerShortName)]);
  const suggestion = hint ? `; did you mean "${LAYERS.find((l) => l === hint || layerShortName(l) === hint)}"?` : "";
  throw new UsageError(`unknown layer "${name}"${suggestion} (layers: ${LAYERS.join(", ")})`);
}

/** Exactly one --env: each environment has its own account and credentials. */
export function oneEnvironment(values: readonly string[] | undefined, what: string): string {
  const envs = [...new Set(values ?? [])];
  if (envs.length === 0) throw new UsageError(`--env is required: ${what}`);
  if (envs.length > 1) throw new UsageError(`one environment per run (each has its own account and credentials), got ${envs.join(", ")}`);
  return envs[0];
}

/**
 * An unknown environment is a settings error (exit 1, as in synth, render and cost: commands/cli.ts),
 * worded exactly as the settings loader words it; checked before any terraform runs.
 */
export async function checkEnvironment(env: string, environmentsDir?: string): Promise<void> {
  if (listEnvironments(environmentsDir).includes(env)) return;
  await loadSettings(env, { environmentsDir, onWarning: () => undefined });
}

/** Synthesizes one environment into `outdir` exactly as `npm run synth -- --env <env>` does. */
export async function synthesizeEnvironment(env: string, outdir: string, log: (m: string) => void, environmentsDir?: string): Promise<void> {
  // Imported here: the stacks pull in the provider classes, which --no-synth runs do not need.
  const { loadEnvironments, synthesize } = await import("./synth");
  synthesize(await loadEnvironments([env], environmentsDir), outdir);
  const target = path.resolve(outdir);
  log(`synthesized ${env} into ${path.relative(process.cwd(), target) || target}`);
}

export function writeFile(file: string, text: string | Buffer): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

/**
 * Layers whose terraform step failed with the same message (no credentials: every layer's init says
 * the same): each message once, naming every layer it applies to. `sharedBy`: on the first failed
 * layer of each message, every layer it applies to; `sameAs`: on the others, that first layer.
 */
export function sameErrors(layers: readonly { readonly layer: string; readonly error?: { readonly step: string; readonly message: string } }[]): {
  readonly sharedBy: ReadonlyMap<string, readonly string[]>;
  readonly sameAs: ReadonlyMap<string, string>;
} {
  const groups = new Map<string, string[]>();
  for (const l of layers) {
    if (!l.error) continue;
    const id = `${l.error.step}\0${l.error.message.trim()}`;
    groups.set(id, [...(groups.get(id) ?? []), l.layer]);
  }
  const sharedBy = new Map<string, string[]>();
  const sameAs = new Map<string, string>();
  for (const names of groups.values()) {
    sharedBy.set(names[0], names);
    for (const n of names.slice(1)) sameAs.set(n, names[0]);
  }
  return { sharedBy, sameAs };
}

// ---------------------------------------------------------------------------------------------
// Plans that read no secret value
// ---------------------------------------------------------------------------------------------

/**
 * Resource types whose refresh reads a secret's value: hashicorp/aws 5.100.0 reads
 * `aws_secretsmanager_secret_version` with GetSecretValue (its Read looks the version up by id and
 * only then drops `secret_string` when the value is write-only), so refreshing one needs the right
 * to read the password it holds.
 */
export const VALUE_READING_TYPES: readonly string[] = ["aws_secretsmanager_secret_version"];

export interface RefreshScope {
  /** `-target=` arguments for `terraform plan`; empty: plan everything, as usual. */
  readonly args: readonly string[];
  /** Secret versions left out of the plan (not refreshed: their values stay unread). */
  readonly skipped: readonly string[];
  /** For each skipped version, the resources its configuration references (its secret). */
  readonly dependsOn: ReadonlyMap<string, readonly string[]>;
  /** `terraform state pull` failed: the message (the plan then runs untargeted, and says why). */
  readonly error?: string;
}

interface StateJson {
  readonly resources?: { readonly mode?: string; readonly module?: string; readonly type: string; readonly name: string; readonly instances?: { readonly attributes?: Record<string, Json> }[] }[];
}

type StackResources = Record<string, Record<string, Record<string, Json>>>;

/**
 * Which secret versions a plan can leave out, so that credentials without
 * `secretsmanager:GetSecretValue` (docs/iam/plan-role.json) can plan and check drift: every version
 * already in the state whose configured `secret_string_wo_version` equals the state's. Such a
 * version has nothing to plan: its value is write-only (never in the plan or the state), and
 * Terraform writes a new one only when `secret_string_wo_version` changes. Everything else in the
 * layer, the layer's secrets included (DescribeSecret), is refreshed and planned as usual, through one
 * `-target` per other resource of the configuration and of the state (so a resource removed from the
 * code is still planned for deletion). A version that is new, whose `secret_string_wo_version`
 * changed, or that was removed from the code is planned like any resource: creating one reads
 * nothing, replacing or deleting one refreshes it first (GetSecretValue), which only credentials
 * allowed to read that secret can do.
 */
export async function refreshScope(tf: TerraformCli, dir: string, stack: { resource?: StackResources }): Promise<RefreshScope> {
  const none: RefreshScope = { args: [], skipped: [], dependsOn: new Map() };
  const resources = stack.resource ?? {};
  if (!VALUE_READING_TYPES.some((t) => Object.keys(resources[t] ?? {}).length > 0)) return none;
  const pulled = await tf.runAsync(dir, ["state", "pull"]);
  if (pulled.code !== 0) return { ...none, error: errorText(pulled) };
  let state: StateJson;
  try {
    state = pulled.stdout.trim() === "" ? {} : (JSON.parse(pulled.stdout) as StateJson);
  } catch (e) {
    return { ...none, error: `terraform state pull printed no state JSON (${(e as Error).message})` };
  }
  const stateManaged = (state.resources ?? []).filter((r) => (r.mode ?? "managed") === "managed" && !r.module);
  const skipped: string[] = [];
  const dependsOn = new Map<string, string[]>();
  for (const type of VALUE_READING_TYPES) {
    for (const [name, config] of Object.entries(resources[type] ?? {})) {
      const inState = stateManaged.find((r) => r.type === type && r.name === name);
      const instances = inState?.instances ?? [];
      const unchanged = instances.length === 1 && instances[0].attributes?.secret_string_wo_version === (config.secret_string_wo_version ?? null) && !("count" in config) && !("for_each" in config);
      if (!unchanged) continue;
      const address = `${type}.${name}`;
      skipped.push(address);
      const refs = [...JSON.stringify(config).matchAll(/\$\{([a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)\./g)].map((m) => m[1]).filter((a) => !a.startsWith("ephemeral.") && !a.startsWith("data.") && !a.startsWith("var.") && !a.startsWith("local."));
      dependsOn.set(address, [...new Set(refs)]);
    }
  }
  if (skipped.length === 0) return none;
  const addresses = new Set<string>();
  for (const [type, byName] of Object.entries(resources)) for (const name of Object.keys(byName)) addresses.add(`${type}.${name}`);
  for (const r of stateManaged) addresses.add(`${r.type}.${r.name}`);
  for (const s of skipped) addresses.delete(s);
  return { args: [...addresses].sort().map((a) => `-target=${a}`), skipped, dependsOn };
}

/** The note a review shows for the versions a plan left out. */
export function refreshScopeNote(scope: RefreshScope): string | undefined {
  if (scope.error) return `could not read the state to leave unchanged secret versions out of the plan (${scope.error.split("\n")[0]}); planned everything, which reads their values`;
  if (scope.skipped.length === 0) return undefined;
  return `${scope.skipped.length} unchanged secret version${scope.skipped.length > 1 ? "s" : ""} not refreshed (${scope.skipped.join(", ")}): their values are write-only, and the plan reads no secret value (docs/reviewing.md, "CI roles")`;
}

/**
 * A planned delete or replace of what a left-out version references (its secret) would leave the
 * version behind; such a layer needs a plan of everything, by credentials that may read the secret.
 */
export function refreshScopeProblem(scope: RefreshScope, plan: PlanJson): string | undefined {
  if (scope.skipped.length === 0) return undefined;
  const replaced = new Set((plan.resource_changes ?? []).filter((rc) => rc.change.actions.includes("delete")).map((rc) => rc.address));
  const hit = scope.skipped.filter((v) => (scope.dependsOn.get(v) ?? []).some((a) => replaced.has(a)));
  if (hit.length === 0) return undefined;
  return `${hit.join(", ")} ${hit.length > 1 ? "were" : "was"} left out of this plan (unchanged, not refreshed), but ${hit.length > 1 ? "their" : "its"} secret is deleted or replaced by it; plan this layer with credentials allowed secretsmanager:GetSecretValue on that secret (the apply role), so the version is planned too`;
}
