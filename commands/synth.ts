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
import { App } from "cdktf";
import { listEnvironments, loadSettings, SettingsError, type Settings } from "../settings";
import { parseCommandLine } from "./cli";
import { buildEnvironment } from "../stacks";
import { renderAndCheckAll, writeRenderedConfigs } from "../templates";

export const USAGE = `usage: npm run synth [-- --env <name> ...] [--out <dir>] [--environments <dir>]
  --env <name>          synthesize only this environment (repeatable; default: every environments/*.tfvars)
  --out <dir>           output folder (default: cdktf.out)
  --environments <dir>  folder of common.tfvars and <env>.tfvars (default: environments/)
  LGTM_ENV=a,b          the same filter, for runs through the cdktf CLI`;

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
  const problems: SettingsError["problems"][number][] = [];
  for (const env of selected) {
    try {
      all.push(await loadSettings(env, { environmentsDir }));
    } catch (e) {
      if (e instanceof SettingsError) problems.push(...e.problems);
      else throw e;
    }
  }
  problems.push(...sharedAccounts(all));
  if (problems.length > 0) throw new SettingsError(problems);
  return all;
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

/**
 * Synthesizes `environments` into `outdir` as `npm run synth` does: the rendered configs are checked
 * first (their errors fail synth like settings errors), then everything is written into a fresh
 * folder and swapped in whole, so a failure never leaves a half-written output. Returns the stack
 * folder names.
 */
export function synthesize(environments: readonly Settings[], outdir: string): string[] {
  const rendered = renderAndCheckAll(environments);
  const target = path.resolve(outdir);
  const staging = `${target}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    buildApp(new App({ outdir: staging }), environments).synth();
    // For teams that bake configs into images: <out>/rendered/<env>/<service>/<file>.
    for (const r of rendered) writeRenderedConfigs(staging, r.env, r.configs);
    const old = `${target}.old-${process.pid}`;
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(staging, target);
    fs.rmSync(old, { recursive: true, force: true });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return fs.readdirSync(path.join(target, "stacks")).sort();
}

export async function run(argv: string[]): Promise<void> {
  const values = parseCommandLine(argv, {
    env: { type: "string", multiple: true },
    out: { type: "string" },
    environments: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const envs = values.env ?? process.env.LGTM_ENV?.split(",").map((e) => e.trim()).filter(Boolean);
  const environmentsDir = values.environments === undefined ? undefined : path.resolve(values.environments);
  if (environmentsDir !== undefined && !fs.existsSync(environmentsDir)) {
    throw new SettingsError([{ file: values.environments!, key: "", message: "no such folder (--environments)" }]);
  }
  const environments = await loadEnvironments(envs, environmentsDir);

  // Under the cdktf CLI, the CLI owns the output folder (CDKTF_OUTDIR) and reads it as it is written.
  if (process.env.CDKTF_OUTDIR) {
    renderAndCheckAll(environments);
    buildApp(new App(), environments).synth();
    return;
  }
  const outdir = values.out ?? "cdktf.out";
  const stacks = synthesize(environments, outdir);
  console.log(`synthesized ${stacks.length} stacks for ${environments.map((e) => e.env).join(", ")} into ${path.relative(process.cwd(), path.resolve(outdir)) || outdir}`);
}
