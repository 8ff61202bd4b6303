/**
 * Renders every service's config files for one or more environments and writes them to
 * <out>/rendered/<env>/<service>/<file> (plus manifest.json), for teams that bake configs into
 * images or want to read them. The same checks as synth run first: nothing is written for an
 * environment whose rendered configs fail them.
 *
 *   npm run render -- --env prod                 prod into cdktf.out/rendered/prod
 *   npm run render -- --env prod --env dev --out build
 *   npm run render                               every environments/*.tfvars
 */
import * as path from "node:path";
import { loadEnvironments } from "./synth";
import { listEnvironments } from "../settings";
import { renderAndCheckAll, writeRenderedConfigs } from "../templates";
import { ENVIRONMENTS_OPTION, environmentsDir, parseCommandLine, UsageError } from "./cli";

export const USAGE = `usage: npm run render [-- --env <name> ...] [--out <dir>] [--environments <dir>]
  --env <name>          render this environment (repeatable; default: every environments/*.tfvars)
  --out <dir>           output folder; files go to <dir>/rendered/<env>/<service>/ (default: cdktf.out)
  --environments <dir>  folder of common.tfvars and <env>.tfvars (default: environments/)
  -h, --help            show this help`;

export async function run(argv: string[]): Promise<void> {
  const values = parseCommandLine(argv, {
    env: { type: "string", multiple: true },
    out: { type: "string" },
    ...ENVIRONMENTS_OPTION,
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.out !== undefined && values.out.trim() === "") throw new UsageError("--out needs a folder name");
  const dir = environmentsDir(values.environments);
  const envs = values.env && values.env.length > 0 ? [...new Set(values.env)] : listEnvironments(dir);
  if (envs.length === 0) throw new UsageError("no environments/*.tfvars found");
  const outDir = path.resolve(values.out ?? "cdktf.out");

  // Load, render and check everything before writing anything.
  const rendered = renderAndCheckAll(await loadEnvironments(envs, dir));
  for (const { env, configs } of rendered) {
    const dir = writeRenderedConfigs(outDir, env, configs);
    console.log(`rendered ${configs.length} files for ${env} into ${path.relative(process.cwd(), dir) || dir}`);
  }
}
