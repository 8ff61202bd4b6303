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
import { adoptionWarnings, COMMON_FILE, listEnvironments, loadSettings, SettingsError, type Settings, type SettingsProblem } from "../settings";
import { unreadable } from "../settings/load";
import { carryOver, keepInPlace, readManifest, removeAbandoned, removedOnSignal } from "./output-folder";
import { parseCommandLine } from "./cli";
import { OPTIONS, USAGE } from "./synth-usage";
import { buildEnvironment } from "../stacks";
import { foreignReferences } from "../stacks/references";
import { renderAndCheckAll, writeRenderedConfigs } from "../templates";
import { checkPolicy, formatPolicySummary, readSynthesizedStacks, type PolicyReport } from "../policy";

export { USAGE } from "./synth-usage";

export interface SynthOptions {
  readonly envs?: readonly string[];
  readonly outdir?: string;
}

/** Loads and checks the settings of the selected environments (all of them by default). */
export async function loadEnvironments(envs?: readonly string[], environmentsDir?: string): Promise<Settings[]> {
  const selected = envs && envs.length > 0 ? [...new Set(envs)] : listEnvironments(environmentsDir);
  if (selected.length === 0) {
    throw new SettingsError([{ file: `${environmentsDir ?? "environments"}/`, key: "", message: "no <env>.tfvars files found" }]);
  }
  const all: Settings[] = [];
  const found: { env: string; problem: SettingsProblem }[] = [];
  for (const env of selected) {
    try {
      all.push(await loadSettings(env, { environmentsDir }));
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

/** Names the previous stack used that this project would create (settings/adoption.ts), "<env>: ...". */
function adoptionNotes(environments: readonly Settings[]): string[] {
  return environments.flatMap((s) => adoptionWarnings(s));
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
  options: { readonly keepOtherEnvironments?: boolean; readonly onPolicy?: (report: PolicyReport) => void } = {},
): string[] {
  const rendered = renderAndCheckAll(environments);
  for (const w of adoptionNotes(environments)) console.warn(`warning: ${w}`);
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
function synthesizeUnderCdktf(environments: readonly Settings[], keepOtherEnvironments: boolean): void {
  const warnings: string[] = [];
  renderAndCheckAll(environments, (w) => warnings.push(w));
  warnings.push(...adoptionNotes(environments));
  for (const w of warnings) console.log(w.startsWith("warning: ") ? w : `warning: ${w}`);
  const app = buildApp(new App({ stackTraces: false }), environments);
  const before = readManifest(app.outdir);
  app.synth();
  // A run over every environment lets the CLI drop the stacks of environments that no longer exist.
  if (keepOtherEnvironments) keepInPlace(app.outdir, before, environments.map((e) => e.env));
  const written = new Set(app.node.children.filter((c) => c instanceof TerraformStack).map((c) => c.node.id));
  const stacks = readSynthesizedStacks(app.outdir).filter((st) => written.has(st.id));
  failOnForeignReferences(stacks);
  console.log(formatPolicySummary(checkPolicy(stacks, environments)));
}

export async function run(argv: string[]): Promise<void> {
  const values = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const envs = values.env ?? process.env.LGTM_ENV?.split(",").map((e) => e.trim()).filter(Boolean);
  const environmentsDir = values.environments === undefined ? undefined : path.resolve(values.environments);
  const why = environmentsDir === undefined ? undefined : unreadable(environmentsDir, "folder");
  if (why) throw new SettingsError([{ file: values.environments!, key: "", message: `${why} (--environments)` }]);
  const environments = await loadEnvironments(envs, environmentsDir);

  // Under the cdktf CLI, the CLI owns the output folder (CDKTF_OUTDIR) and reads it as it is written.
  if (process.env.CDKTF_OUTDIR) {
    synthesizeUnderCdktf(environments, envs !== undefined && envs.length > 0);
    return;
  }
  const outdir = values.out ?? "cdktf.out";
  // A run over every environment drops the stacks of environments that no longer exist.
  const stacks = synthesize(environments, outdir, {
    keepOtherEnvironments: envs !== undefined && envs.length > 0,
    onPolicy: (report) => console.log(formatPolicySummary(report)),
  });
  const names = environments.map((e) => e.env);
  const mine = stacks.filter((st) => names.some((n) => st.startsWith(`${n}-`)));
  const kept = [...new Set(stacks.filter((st) => !mine.includes(st)).map((st) => st.slice(0, st.indexOf("-"))))];
  console.log(
    `synthesized ${mine.length} stacks for ${names.join(", ")} into ${path.relative(process.cwd(), path.resolve(outdir)) || outdir}` +
      (kept.length > 0 ? ` (kept the stacks of ${kept.join(", ")})` : ""),
  );
}
