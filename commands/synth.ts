/**
 * The synth command: loads each environment's settings and synthesizes its seven layer stacks.
 *
 *   npm run synth                      every environment in environments/
 *   npm run synth -- --env prod        only prod (repeat --env for more)
 *   LGTM_ENV=prod npx cdktf synth      the same filter through the cdktf CLI (cdktf.json runs main.ts synth)
 *
 * Settings are all loaded and checked before anything is written: a bad file leaves the previous
 * output untouched. Run directly, the app synthesizes into a fresh folder and swaps it in whole.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import { adoptionWarning, COMMON_FILE, listEnvironments, loadSettings, SettingsError, type Settings, type SettingsProblem } from "../settings";
import { carryOver, keepInPlace, readManifest, removeAbandoned, removedOnSignal } from "./output-folder";
import { environmentsDir as environmentsDirOf, parseCommandLine } from "./cli";
import { OPTIONS, USAGE } from "./synth-usage";
import { buildEnvironment } from "../stacks";
import { foreignReferences } from "../stacks/references";
import { renderAndCheckAll, writeRenderedConfigs } from "../templates";
import { isReferenceNote } from "../templates/config-checks";
import { unpinnedImageWarnings } from "../settings/image-pins";
import { checkPolicy, formatPolicySummary, readSynthesizedStacks, type PolicyReport } from "../policy";

export { USAGE } from "./synth-usage";

export interface SynthOptions {
  readonly envs?: readonly string[];
  readonly outdir?: string;
}

/**
 * Loads and checks the settings of the selected environments (all of them by default). `onWarning`
 * receives what the loader finds worth a look (default: printed to stderr as the loader prints it).
 */
export async function loadEnvironments(envs?: readonly string[], environmentsDir?: string, onWarning?: (env: string, warning: SettingsProblem) => void): Promise<Settings[]> {
  const selected = envs && envs.length > 0 ? [...new Set(envs)] : listEnvironments(environmentsDir);
  if (selected.length === 0) {
    throw new SettingsError([{ file: `${environmentsDir ?? "environments"}/`, key: "", message: "no <env>.tfvars files found" }]);
  }
  const all: Settings[] = [];
  const found: { env: string; problem: SettingsProblem }[] = [];
  for (const env of selected) {
    try {
      all.push(await loadSettings(env, { environmentsDir, onWarning: onWarning && ((w) => onWarning(env, w)) }));
    } catch (e) {
      if (e instanceof SettingsError) found.push(...e.problems.map((problem) => ({ env, problem })));
      else throw e;
    }
  }
  const problems = onceEach(found, selected.length);
  problems.push(...sharedAccounts(all));
  if (problems.length > 0) throw new SettingsError(problems);
  return all;
}

/**
 * A problem in a file several environments share (common.tfvars) is found once per environment:
 * report it once, naming the environments it affects.
 */
function onceEach(found: readonly { env: string; problem: SettingsProblem }[], selected: number): SettingsProblem[] {
  const byText = new Map<string, { problem: SettingsProblem; envs: string[] }>();
  for (const { env, problem } of found) {
    const id = `${problem.file}\0${problem.key}\0${problem.message}`;
    const seen = byText.get(id);
    if (seen) seen.envs.push(env);
    else byText.set(id, { problem, envs: [env] });
  }
  return [...byText.values()].map(({ problem, envs }) =>
    selected > 1 && path.basename(problem.file) === COMMON_FILE
      ? { ...problem, message: `${problem.message} (affects environment${envs.length === 1 ? "" : "s"} ${envs.join(", ")})` }
      : problem,
  );
}

/**
 * Resource names such as the log groups `/ecs/<project>-<service>` carry no environment, because
 * each environment has its own account. Two environments of one project in one account would fight
 * over them.
 */
function sharedAccounts(all: readonly Settings[]): SettingsError["problems"][number][] {
  const owner = new Map<string, string>();
  const problems: SettingsError["problems"][number][] = [];
  for (const s of all) {
    for (const account of s.aws.allowed_account_ids) {
      const other = owner.get(`${s.project}/${account}`);
      if (other) {
        problems.push({
          file: `environments/${s.env}.tfvars`,
          key: "aws.allowed_account_ids",
          message: `account ${account} is also environment "${other}"'s; give each environment of project "${s.project}" its own account`,
        });
      } else owner.set(`${s.project}/${account}`, s.env);
    }
  }
  return problems;
}

/** Builds every selected environment's stacks into an App. */
export function buildApp(app: App, environments: readonly Settings[]): App {
  for (const settings of environments) buildEnvironment(app, settings);
  return app;
}

/** A stack referencing a resource it does not declare is a bug in a construct (stacks/references.ts). */
function failOnForeignReferences(stacks: readonly { id: string; json: Record<string, unknown> }[]): void {
  const found = stacks.flatMap(({ id, json }) => foreignReferences(json as Parameters<typeof foreignReferences>[0]).map((r) => `${id}: ${r.at} references ${r.address}, which ${id} does not declare`));
  if (found.length > 0) {
    throw new Error(`a layer references another layer's resource; read it from that layer's published outputs instead (stacks/contract.ts):\n  ${found.join("\n  ")}`);
  }
}

/**
 * Something a synth found worth a look: the environments it concerns and its text. A note (about
 * the upstream references, which no setting changes) is printed with --verbose only.
 */
export interface SynthWarning {
  readonly envs: readonly string[];
  readonly text: string;
  readonly note: boolean;
}

/** Collects a synth's warnings, each said once (a text several environments share names them all). */
export class SynthWarnings {
  private readonly byText = new Map<string, { envs: string[]; note: boolean }>();

  add(envs: readonly string[], text: string, note = false): void {
    const seen = this.byText.get(text);
    if (seen) seen.envs.push(...envs.filter((e) => !seen.envs.includes(e)));
    else this.byText.set(text, { envs: [...envs], note });
  }

  /** A render warning as templates/index.ts words it: "warning: <env>, <env>: <text>". */
  addRendered(line: string): void {
    const m = /^warning: ([a-z0-9]+(?:, [a-z0-9]+)*): ([\s\S]*)$/.exec(line);
    if (m) this.add(m[1].split(", "), m[2], isReferenceNote(m[2]));
    else this.add([], line.replace(/^warning: /, ""));
  }

  get all(): SynthWarning[] {
    return [...this.byText].map(([text, { envs, note }]) => ({ envs, text, note }));
  }

  /** How many warnings and notes concern `env`. */
  countFor(env: string): { warnings: number; notes: number } {
    const mine = this.all.filter((w) => w.envs.includes(env));
    return { warnings: mine.filter((w) => !w.note).length, notes: mine.filter((w) => w.note).length };
  }

  static format(w: SynthWarning): string {
    return `${w.note ? "note" : "warning"}: ${w.envs.length > 0 ? `${w.envs.join(", ")}: ` : ""}${w.text}`;
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * What synth says about the settings of each environment: names the previous stack used, and each
 * image pinned by tag only (settings/image-pins.ts), once, naming every environment that runs it so.
 */
function environmentWarnings(environments: readonly Settings[], collect: SynthWarnings): void {
  for (const s of environments) {
    const w = adoptionWarning(s);
    if (w !== undefined) collect.add([s.env], w.slice(`${s.env}: `.length));
    for (const u of unpinnedImageWarnings(s)) collect.add([s.env], u);
  }
}

/**
 * The line synth prints for each environment: its stacks, the policy check (rules, violations,
 * waived findings) and how many warnings and notes concern it.
 */
export function environmentSummary(env: string, stacks: number, policy: PolicyReport, warnings: SynthWarnings): string {
  const { warnings: w, notes } = warnings.countFor(env);
  const violations = policy.violations.filter((v) => v.stack.startsWith(`${env}-`)).length;
  const waived = policy.waived.filter((x) => x.env === env).length;
  return `${env}: ${plural(stacks, "stack")}; policy: ${plural(policy.rules, "rule")}, ${plural(violations, "violation")}, ${waived} waived; ${plural(w, "warning")}${notes > 0 ? `, ${plural(notes, "note")}` : ""}`;
}

/**
 * Synthesizes `environments` into `outdir` as `npm run synth` does: the rendered configs are checked
 * first (their errors fail synth like settings errors), then everything is written into a fresh
 * folder and swapped in whole, so a failure or a signal never leaves a half-written output. Stacks
 * of environments not synthesized now, and each stack's `terraform init` state while its providers
 * did not change, are kept (commands/output-folder.ts). Returns the stack folder names.
 */
export function synthesize(
  environments: readonly Settings[],
  outdir: string,
  options: {
    readonly keepOtherEnvironments?: boolean;
    readonly onPolicy?: (report: PolicyReport) => void;
    /** Collects the render and adoption warnings. @default each warning printed to stderr once, notes left out */
    readonly warnings?: SynthWarnings;
  } = {},
): string[] {
  const collect = options.warnings ?? new SynthWarnings();
  const rendered = renderAndCheckAll(environments, (w) => collect.addRendered(w));
  environmentWarnings(environments, collect);
  // Without a collector (plan, drift and apply synthesize first): each warning once, no notes.
  if (!options.warnings) for (const w of collect.all) if (!w.note) console.warn(SynthWarnings.format(w));
  const target = path.resolve(outdir);
  const staging = `${target}.staging-${process.pid}`;
  const old = `${target}.old-${process.pid}`;
  removeAbandoned(target);
  removedOnSignal([staging, old], () => {
    buildApp(new App({ outdir: staging, stackTraces: false }), environments).synth();
    const stacks = readSynthesizedStacks(staging);
    failOnForeignReferences(stacks);
    // The policy pack (policy/): a violation no waiver covers fails synth before anything is swapped in.
    const policy = checkPolicy(stacks, environments);
    options.onPolicy?.(policy);
    // For teams that bake configs into images: <out>/rendered/<env>/<service>/<file>.
    for (const r of rendered) writeRenderedConfigs(staging, r.env, r.configs);
    carryOver(target, staging, { synthesized: environments.map((e) => e.env), keepOtherEnvironments: options.keepOtherEnvironments });
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(staging, target);
  });
  return fs.readdirSync(path.join(target, "stacks")).sort();
}

/**
 * The app as the cdktf CLI runs it (cdktf.json), writing into the CLI's output folder.
 *
 * The folder may still hold the stacks of environments not synthesized now (a full `npm run synth`
 * before `LGTM_ENV=prod cdktf deploy ...`). They stay, in the manifest too (the CLI deletes stack
 * folders the manifest does not list), as `npm run synth -- --env prod` keeps them; the checks
 * judge only the stacks this run wrote, with their own environment's waivers.
 *
 * Output: cdktf-cli 0.21 prints the app's stdout as it is and logs every chunk of its stderr as
 * `[ERROR] default - ...`, so the policy summary and the warnings go to stdout, and only what fails
 * the run (thrown, printed by main.ts) to stderr.
 */
function synthesizeUnderCdktf(environments: readonly Settings[], keepOtherEnvironments: boolean, warnings: SynthWarnings, verbose: boolean): void {
  renderAndCheckAll(environments, (w) => warnings.addRendered(w));
  environmentWarnings(environments, warnings);
  const app = buildApp(new App({ stackTraces: false }), environments);
  const before = readManifest(app.outdir);
  app.synth();
  // A run over every environment lets the CLI drop the stacks of environments that no longer exist.
  if (keepOtherEnvironments) keepInPlace(app.outdir, before, environments.map((e) => e.env));
  const written = new Set(app.node.children.filter((c) => c instanceof TerraformStack).map((c) => c.node.id));
  const stacks = readSynthesizedStacks(app.outdir).filter((st) => written.has(st.id));
  failOnForeignReferences(stacks);
  const policy = checkPolicy(stacks, environments);
  // The same quiet summary as npm run synth, all of it on stdout (the CLI's stderr is [ERROR]).
  for (const s of environments) console.log(environmentSummary(s.env, stacks.filter((st) => st.id.startsWith(`${s.env}-`)).length, policy, warnings));
  if (verbose) console.log(formatPolicySummary(policy));
  for (const w of warnings.all) if (verbose || !w.note) console.log(SynthWarnings.format(w));
}

export async function run(argv: string[]): Promise<void> {
  const values = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const envs = values.env ?? process.env.LGTM_ENV?.split(",").map((e) => e.trim()).filter(Boolean);
  const environmentsDir = environmentsDirOf(values.environments);
  const warnings = new SynthWarnings();
  const environments = await loadEnvironments(envs, environmentsDir, (env, w) => warnings.add([env], `${w.file}: ${w.key}: ${w.message}`));

  // Under the cdktf CLI, the CLI owns the output folder (CDKTF_OUTDIR) and reads it as it is written.
  if (process.env.CDKTF_OUTDIR) {
    synthesizeUnderCdktf(environments, envs !== undefined && envs.length > 0, warnings, values.verbose === true);
    return;
  }
  const outdir = values.out ?? "cdktf.out";
  const verbose = values.verbose === true;
  let policy: PolicyReport | undefined;
  // A run over every environment drops the stacks of environments that no longer exist.
  const stacks = synthesize(environments, outdir, {
    keepOtherEnvironments: envs !== undefined && envs.length > 0,
    onPolicy: (report) => (policy = report),
    warnings,
  });
  const names = environments.map((e) => e.env);
  const mine = stacks.filter((st) => names.some((n) => st.startsWith(`${n}-`)));
  const kept = [...new Set(stacks.filter((st) => !mine.includes(st)).map((st) => st.slice(0, st.indexOf("-"))))];
  // Default: one line per environment, then the warnings (each once); --verbose adds every waiver
  // with its reason and the notes. Violations and errors stop synth before this, in full.
  for (const env of names) console.log(environmentSummary(env, mine.filter((st) => st.startsWith(`${env}-`)).length, policy!, warnings));
  if (verbose) console.log(formatPolicySummary(policy!));
  for (const w of warnings.all) if (verbose || !w.note) console.warn(SynthWarnings.format(w));
  const hidden = !verbose && (policy!.waived.length > 0 || warnings.all.some((w) => w.note));
  console.log(
    `synthesized ${mine.length} stacks for ${names.join(", ")} into ${path.relative(process.cwd(), path.resolve(outdir)) || outdir}` +
      (kept.length > 0 ? ` (kept the stacks of ${kept.join(", ")})` : "") +
      (hidden ? "; --verbose lists the waivers and notes" : ""),
  );
}
