/**
 * Applies reviewed plans, and nothing else: the plan files `npm run plan -- --save <dir>` kept, in
 * deploy order, each only if the stack JSON synthesized now is byte for byte the one it was planned
 * from (sha256 in the folder's manifest.json). There is no way to apply without a saved plan.
 *
 *   npm run plan  -- --env prod --save plans/prod     review plans/prod/plan.md
 *   npm run apply -- --env prod --plans plans/prod
 *
 * Every check runs before the first apply: the folder is a plan of this environment, no layer
 * failed to plan, no guarded destroy was left blocked, every plan file is the one saved (sha256),
 * every stack JSON is unchanged. Then per layer with changes: `terraform init` and `terraform apply
 * <plan file>`, which takes the state lock and refuses a plan whose state has moved on. The first
 * failure stops the run; the report says which layers were applied.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LAYERS, stackId, type LayerId } from "../stacks/contract";
import { ENVIRONMENTS_OPTION, environmentsDir, parseCommandLine, UsageError } from "./cli";
import { MANIFEST, sha256, type Manifest } from "./plan";
import { checkEnvironment, errorText, logger, oneEnvironment, synthesizeEnvironment, terraformCli, terraformVersion, type TerraformCli } from "./terraform";

export const USAGE = `usage: npm run apply -- --env <name> --plans <dir> [--out <dir>] [--no-synth] [--environments <dir>]
  --env <name>     the environment the plans were made for
  --plans <dir>    a folder written by \`npm run plan -- --env <name> --save <dir>\`
  --out <dir>      synth output folder (default: cdktf.out)
  --no-synth       compare against the stacks already in --out instead of synthesizing them first
  --environments <dir>  folder of common.tfvars and <env>.tfvars (default: environments/)
  LGTM_TERRAFORM   the terraform binary (default: terraform on the PATH)
exit codes: 0 every plan applied, 1 an apply failed (the layers applied before it are named), an
            unknown environment or bad settings;
            usage errors (a folder that is not a reviewed plan of this synth) exit 2, nothing applied`;

const log = logger("apply");

export interface ApplyOptions {
  readonly env: string;
  readonly plans: string;
  readonly outdir: string;
  readonly synth: boolean;
  /** --environments: the settings folder. @default environments/ */
  readonly environmentsDir?: string;
}

export function parseOptions(argv: string[]): ApplyOptions | "help" {
  const values = parseCommandLine(argv, {
    env: { type: "string", multiple: true },
    plans: { type: "string" },
    out: { type: "string" },
    "no-synth": { type: "boolean" },
    ...ENVIRONMENTS_OPTION,
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return "help";
  const env = oneEnvironment(values.env, "which environment to apply");
  if (!values.plans) throw new UsageError("--plans is required: the folder `npm run plan -- --save <dir>` wrote (apply only applies reviewed plans)");
  return { env, plans: values.plans, outdir: values.out ?? "cdktf.out", synth: !values["no-synth"], environmentsDir: environmentsDir(values.environments) };
}

function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) throw new UsageError(`--plans ${dir}: no ${MANIFEST}; make the folder with \`npm run plan -- --env <name> --save ${dir}\``);
  try {
    const m = JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
    if (m.format !== 1 || !Array.isArray(m.layers)) throw new Error("unknown format");
    return m;
  } catch (e) {
    throw new UsageError(`--plans ${dir}: ${MANIFEST} is not a plan manifest (${(e as Error).message})`);
  }
}

/** Every reason not to apply this folder, checked before anything is applied. */
export function refusals(manifest: Manifest, options: ApplyOptions): string[] {
  const problems: string[] = [];
  if (manifest.env !== options.env) problems.push(`the plans are for environment "${manifest.env}", not "${options.env}"`);
  if (manifest.exit_code === 1) problems.push(`a layer could not be planned (${manifest.layers.filter((l) => l.status === "error").map((l) => l.layer).join(", ")})`);
  if (manifest.exit_code === 3) problems.push("the plan has a guarded destroy that no --allow-destroy allowed");
  for (const l of manifest.layers) {
    if (!LAYERS.includes(l.layer)) {
      problems.push(`unknown layer "${l.layer}"`);
      continue;
    }
    const stackFile = path.join(options.outdir, "stacks", stackId(options.env, l.layer), "cdk.tf.json");
    if (!fs.existsSync(stackFile)) problems.push(`${l.layer}: no synthesized stack at ${stackFile}`);
    else if (sha256(fs.readFileSync(stackFile)) !== l.stack_sha256) {
      problems.push(`${l.layer}: the stack JSON differs from the one that was planned (another synth: the code or settings changed since); plan and review again`);
    }
    if (l.plan_file) {
      const planFile = path.join(options.plans, path.basename(l.plan_file));
      if (!fs.existsSync(planFile)) problems.push(`${l.layer}: plan file ${planFile} is missing`);
      else if (sha256(fs.readFileSync(planFile)) !== l.plan_sha256) problems.push(`${l.layer}: plan file ${planFile} is not the one that was saved (sha256 differs)`);
    }
  }
  return problems;
}

export interface ApplyReport {
  readonly applied: LayerId[];
  readonly unchanged: LayerId[];
  readonly failed?: { readonly layer: LayerId; readonly step: "init" | "apply"; readonly message: string };
}

export async function runApply(options: ApplyOptions, tf: TerraformCli = terraformCli()): Promise<ApplyReport> {
  await checkEnvironment(options.env, options.environmentsDir);
  const manifest = readManifest(options.plans);
  if (options.synth) await synthesizeEnvironment(options.env, options.outdir, log, options.environmentsDir);
  const problems = refusals(manifest, options);
  if (problems.length > 0) {
    throw new UsageError(`refusing to apply ${options.plans}: ${problems.join("; ")}. Nothing was applied.`);
  }
  terraformVersion(tf);
  const ordered = LAYERS.map((id) => manifest.layers.find((l) => l.layer === id)).filter((l): l is Manifest["layers"][number] => !!l);
  const applied: LayerId[] = [];
  const unchanged: LayerId[] = [];
  for (const l of ordered) {
    if (!l.plan_file) {
      unchanged.push(l.layer);
      log(`${l.stack}: no changes were planned, nothing to apply`);
      continue;
    }
    const dir = path.join(options.outdir, "stacks", l.stack);
    const planFile = path.resolve(options.plans, path.basename(l.plan_file));
    log(`${l.stack}: terraform init`);
    const init = tf.run(dir, ["init", "-input=false", "-reconfigure"]);
    if (init.code !== 0) return { applied, unchanged, failed: { layer: l.layer, step: "init", message: errorText(init) } };
    log(`${l.stack}: terraform apply ${path.relative(process.cwd(), planFile)}`);
    const apply = tf.run(dir, ["apply", "-input=false", planFile]);
    process.stderr.write(apply.stdout);
    if (apply.code !== 0) return { applied, unchanged, failed: { layer: l.layer, step: "apply", message: errorText(apply) } };
    applied.push(l.layer);
    log(`${l.stack}: applied`);
  }
  return { applied, unchanged };
}

export async function run(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  const report = await runApply(options);
  const list = (layers: LayerId[]) => (layers.length > 0 ? layers.join(", ") : "none");
  if (report.failed) {
    console.error(`apply: terraform ${report.failed.step} failed in ${report.failed.layer}:\n${report.failed.message}`);
    console.log(`Applied before the failure: ${list(report.applied)}. Not applied: ${report.failed.layer} and every later layer.`);
    return 1;
  }
  console.log(`Applied: ${list(report.applied)}. No changes planned: ${list(report.unchanged)}.`);
  return 0;
}
