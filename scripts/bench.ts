/**
 * Benchmark: how long a synth takes and how much memory it needs, measured on real processes.
 *
 *   npm run bench                 5 runs of each scenario
 *   npm run bench -- --runs 10    more runs
 *
 * Each scenario runs as a fresh process (as a user or CI runs it): median and worst wall time, and
 * peak resident memory read by /usr/bin/time when present. The last scenario shows what importing
 * @cdktf/provider-aws from its package root would add, which is why every import is a deep path.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";

const root = path.resolve(__dirname, "..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");

interface Scenario {
  readonly name: string;
  readonly command: string[];
}

interface Sample {
  readonly seconds: number;
  readonly maxRssMiB?: number;
}

const GNU_TIME = "/usr/bin/time";

function measure(command: string[]): Sample {
  const useTime = fs.existsSync(GNU_TIME);
  const argv = useTime ? [GNU_TIME, "-f", "%e %M", ...command] : command;
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd: root, encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${command.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  if (!useTime) return { seconds };
  const last = r.stderr.trim().split("\n").pop() ?? "";
  const [, kib] = last.split(" ").map(Number);
  return { seconds, maxRssMiB: kib / 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function main(): void {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } }, strict: true });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a whole number of at least 1, got "${values.runs}"`);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-bench-"));
  const scenarios: Scenario[] = [
    { name: "synth, every environment", command: [tsx, "main.ts", "synth", "--out", path.join(out, "all")] },
    { name: "synth, --env prod", command: [tsx, "main.ts", "synth", "--env", "prod", "--out", path.join(out, "prod")] },
    { name: "provider root import (avoided)", command: ["node", "-e", "require('@cdktf/provider-aws')"] },
    { name: "provider deep import (used)", command: ["node", "-e", "require('@cdktf/provider-aws/lib/ecs-service')"] },
  ];
  console.log(`lgtm-fargate benchmark: ${runs} runs per scenario, node ${process.version}, ${os.cpus().length} cores\n`);
  console.log("| scenario | median s | worst s | peak RSS MiB |");
  console.log("|---|---|---|---|");
  try {
    for (const scenario of scenarios) {
      measure(scenario.command); // warm the file cache; not counted
      const samples = Array.from({ length: runs }, () => measure(scenario.command));
      const seconds = samples.map((s) => s.seconds);
      const rss = samples.map((s) => s.maxRssMiB).filter((v): v is number => v !== undefined);
      console.log(
        `| ${scenario.name} | ${median(seconds).toFixed(2)} | ${Math.max(...seconds).toFixed(2)} | ${rss.length ? Math.max(...rss).toFixed(0) : "n/a"} |`,
      );
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

main();
