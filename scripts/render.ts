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
import { parseArgs } from "node:util";
import { loadEnvironments } from "../main";
import { listEnvironments, SettingsError } from "../settings";
import { ConfigCheckError, renderAndCheckAll, writeRenderedConfigs } from "../templates";

const USAGE = `usage: npm run render [-- --env <name> ...] [--out <dir>]
  --env <name>   render this environment (repeatable; default: every environments/*.tfvars)
  --out <dir>    output folder; files go to <dir>/rendered/<env>/<service>/ (default: cdktf.out)
  -h, --help     show this help`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  let values: { env?: string[]; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { env: { type: "string", multiple: true }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.out !== undefined && values.out.trim() === "") throw new UsageError(`--out needs a folder name\n${USAGE}`);
  const envs = values.env && values.env.length > 0 ? [...new Set(values.env)] : listEnvironments();
  if (envs.length === 0) throw new UsageError(`no environments/*.tfvars found\n${USAGE}`);
  const outDir = path.resolve(values.out ?? "cdktf.out");

  // Load, render and check everything before writing anything.
  const rendered = renderAndCheckAll(await loadEnvironments(envs));
  for (const { env, configs } of rendered) {
    const dir = writeRenderedConfigs(outDir, env, configs);
    console.log(`rendered ${configs.length} files for ${env} into ${path.relative(process.cwd(), dir) || dir}`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    if (e instanceof SettingsError || e instanceof UsageError || e instanceof ConfigCheckError) console.error(e.message);
    else console.error(e);
    process.exit(e instanceof UsageError ? 2 : 1);
  });
}
