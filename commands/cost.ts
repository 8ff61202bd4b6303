/**
 * Monthly cost estimate of one environment: per service (Fargate by architecture and capacity
 * provider, ephemeral storage, logs) and per piece of infrastructure (ALB, NAT, endpoints, S3, EFS,
 * secrets), from its settings and the region's price file (cost/prices/<region>.json, overridable in
 * settings `cost.prices`). Reads nothing from AWS.
 *
 *   npm run cost -- --env prod                        terminal table (--format text)
 *   npm run cost -- --env prod --format markdown      Markdown (for a PR or a wiki)
 *   npm run cost -- --env prod --format json --out cost.json
 */
import * as fs from "node:fs";
import { loadSettings } from "../settings";
import { estimateCost, loadPrices, type CostEstimate } from "../cost";
import { formatJson, formatMarkdown, formatTable } from "../cost/format";
import { ENVIRONMENTS_OPTION, environmentsDir, parseCommandLine, parseFormat, UsageError, type Format } from "./cli";

export const USAGE = `usage: npm run cost -- --env <name> [--format text|markdown|json] [--out <file>] [--environments <dir>]
  --env <name>          the environment to estimate
  --format <format>     text (default), markdown or json ("table", its old name, still means text)
  --out <file>          write the estimate to this file instead of printing it
  --environments <dir>  folder of common.tfvars and <env>.tfvars (default: environments/)
  -h, --help            show this help
Prices: cost/prices/<region>.json (source and date inside; figures marked * are estimates),
overridden by settings cost.prices; usage assumptions in settings cost.usage.`;

const FORMATTERS: Record<Format, (e: CostEstimate) => string> = { text: formatTable, markdown: formatMarkdown, json: formatJson };

export async function run(argv: string[]): Promise<void> {
  const values = parseCommandLine(argv, {
    env: { type: "string" },
    format: { type: "string" },
    out: { type: "string" },
    ...ENVIRONMENTS_OPTION,
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.env === undefined) throw new UsageError("--env is required");
  const format = parseFormat(values.format, { table: "text" });
  if (values.out !== undefined && values.out.trim() === "") throw new UsageError("--out needs a file name");

  const settings = await loadSettings(values.env, { environmentsDir: environmentsDir(values.environments) });
  const estimate = estimateCost(settings, loadPrices(settings.aws.region, settings.cost.prices));
  const text = FORMATTERS[format](estimate);
  if (values.out !== undefined) {
    fs.writeFileSync(values.out, `${text}\n`);
    console.log(`wrote the ${format} estimate for ${settings.env} (total ${estimate.total.toFixed(2)} USD/month) to ${values.out}`);
  } else {
    console.log(text);
  }
}
