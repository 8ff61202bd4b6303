/**
 * Benchmark: how long a synth takes, how much CPU and memory it needs, measured on real processes,
 * next to cdktf's default path for the same app.
 *
 *   npm run bench                 5 interleaved runs of each scenario
 *   npm run bench -- --runs 10    more runs
 *
 * Scenarios run as fresh processes, interleaved (one run of each, then the next round), so a machine
 * that other work loads affects them alike. Per scenario: median wall time, median CPU seconds
 * (user + sys, from /usr/bin/time: the number to compare on a busy machine), worst peak RSS, and the
 * ratio of CPU and peak RSS to the baseline.
 *
 * Baseline, "cdktf default path": what `cdktf init --template typescript` sets up, on this same app —
 * `ts-node main.ts` (type-checking, as cdktf.json's default `npx ts-node main.ts`) with every
 * @cdktf/provider-aws import rewritten to the package root, in a temporary copy of the sources.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";

const root = path.resolve(__dirname, "..");
const GNU_TIME = "/usr/bin/time";
const SOURCES = ["main.ts", "commands", "settings", "stacks", "modules", "templates", "cost", "policy", "environments", "tsconfig.json", "package.json"];

interface Scenario {
  readonly name: string;
  readonly command: string[];
  readonly cwd?: string;
  readonly baseline?: boolean;
}

interface Sample {
  readonly wall: number;
  readonly cpu?: number;
  readonly maxRssMiB?: number;
}

function measure(s: Scenario): Sample {
  const useTime = fs.existsSync(GNU_TIME);
  const argv = useTime ? [GNU_TIME, "-f", "%e %U %S %M", ...s.command] : s.command;
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd: s.cwd ?? root, encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${s.command.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  if (!useTime) return { wall };
  const [, user, sys, kib] = (r.stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
  return { wall, cpu: user + sys, maxRssMiB: kib / 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * A copy of the sources as cdktf's default template would have them: provider classes imported
 * from the package root (`import { ecsService }` from the package `@cdktf/provider-aws`), run by ts-node.
 */
/** The provider package the baseline imports from its root (the slow path this bench compares with). */
const PROVIDER_PACKAGE = "@cdktf/provider-aws";

function baselineCopy(dir: string): string {
  for (const s of SOURCES) fs.cpSync(path.join(root, s), path.join(dir, s), { recursive: true });
  fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  const camel = (lib: string) => lib.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const rewrite = (file: string) => {
    const text = fs.readFileSync(file, "utf8");
    let n = 0;
    const out = text.replace(/^import (type )?\{([^}]*)\} from "@cdktf\/provider-aws\/lib\/([a-z0-9-]+)";$/gm, (_m, _type, names: string, lib: string) => {
      const ns = `__aws${n++}`;
      const aliases = names
        .split(",")
        .map((x) => x.trim().replace(/^type /, ""))
        .filter(Boolean)
        .map((x) => {
          const [name, alias] = x.split(/\s+as\s+/);
          return `import ${alias ?? name} = ${ns}.${name};`;
        });
      return `import { ${camel(lib)} as ${ns} } from "${PROVIDER_PACKAGE}";\n${aliases.join("\n")}`;
    });
    if (out !== text) fs.writeFileSync(file, out);
  };
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts")) rewrite(p);
    }
  };
  for (const d of ["commands", "settings", "stacks", "modules", "templates"]) walk(path.join(dir, d));
  return dir;
}

export const USAGE = `usage: npm run bench [-- --runs <n>]
  --runs <n>   interleaved runs of each scenario (default: 5)
  -h, --help   show this help
Measures, as fresh processes: npm run synth of every environment, the cdktf default path (ts-node, the
provider's package root) as the baseline, plain node, --env prod, synth --help and tsx; prints the median
wall and CPU seconds and the peak RSS of each.`;

function main(): void {
  let values: { runs?: string; help?: boolean };
  try {
    values = parseArgs({ options: { runs: { type: "string", default: "5" }, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`--runs takes a whole number of at least 1, got "${values.runs}"\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-bench-"));
  // The copy sits beside the project so that ../shared/upstream resolves as it does here.
  const copy = baselineCopy(fs.mkdtempSync(path.join(path.dirname(root), `.${path.basename(root)}-bench-`)));
  const node = process.execPath;
  // `npm run synth` without npm's own start-up: the script's node command line, node flags included.
  const script = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.synth;
  const [program, ...scriptArgs] = script.split(/\s+/);
  if (program !== "node") throw new Error(`package.json's synth script does not start with node: ${script}`);
  const npmSynth = [node, ...scriptArgs];
  const scenarios: Scenario[] = [
    { name: `synth, every environment (npm run synth: ${script})`, command: [...npmSynth, "--out", path.join(out, "all")] },
    { name: "synth, every environment, cdktf default path (baseline)", command: [path.join(root, "node_modules", ".bin", "ts-node"), "main.ts", "synth", "--out", path.join(out, "baseline")], cwd: copy, baseline: true },
    { name: "synth, every environment, node's default heap (node bin/lgtm.cjs synth)", command: [node, "bin/lgtm.cjs", "synth", "--out", path.join(out, "plain")] },
    { name: "synth, --env prod", command: [...npmSynth, "--env", "prod", "--out", path.join(out, "prod")] },
    { name: "synth --help", command: [...npmSynth, "--help"] },
    { name: "synth through tsx (LGTM_NO_BUNDLE path)", command: [path.join(root, "node_modules", ".bin", "tsx"), "main.ts", "synth", "--out", path.join(out, "tsx")] },
  ];
  console.log(`lgtm-fargate benchmark: ${runs} interleaved runs per scenario, node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);
  try {
    measure(scenarios[0]); // builds the bundle if a source changed; not counted
    for (const s of scenarios) measure(s); // warm the file cache; not counted
    const samples = new Map<Scenario, Sample[]>(scenarios.map((s) => [s, []]));
    for (let i = 0; i < runs; i++) for (const s of scenarios) samples.get(s)!.push(measure(s));

    const baseline = scenarios.find((s) => s.baseline)!;
    const cpuOf = (s: Scenario) => median(samples.get(s)!.map((x) => x.cpu ?? NaN));
    const rssOf = (s: Scenario) => Math.max(...samples.get(s)!.map((x) => x.maxRssMiB ?? NaN));
    console.log("| scenario | median wall s | median CPU s | peak RSS MiB | CPU vs baseline | RSS vs baseline |");
    console.log("|---|---|---|---|---|---|");
    for (const s of scenarios) {
      const wall = median(samples.get(s)!.map((x) => x.wall));
      console.log(
        `| ${s.name} | ${wall.toFixed(2)} | ${cpuOf(s).toFixed(2)} | ${rssOf(s).toFixed(0)} | ${(cpuOf(s) / cpuOf(baseline)).toFixed(3)}× | ${(rssOf(s) / rssOf(baseline)).toFixed(3)}× |`,
      );
    }
    const a = fs.readFileSync(path.join(out, "all", "stacks", "prod-60-ecs", "cdk.tf.json"), "utf8");
    const b = fs.readFileSync(path.join(out, "baseline", "stacks", "prod-60-ecs", "cdk.tf.json"), "utf8");
    console.log(`\nbaseline output ${a === b ? "byte-identical" : "DIFFERS"} (prod-60-ecs)`);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

main();
