/**
 * One flag vocabulary across the commands (commands/cli.ts, docs/commands.md), through the shipped
 * launcher as `npm run <command>` runs it: `--environments <dir>` on every command that reads
 * settings, `--format text|markdown|json` (cost's old `table` kept as an alias that says so), the
 * same exit code for an unknown environment everywhere, flags npm kept for itself (no `--`) answered
 * with the command line that works, and `npm run bench -- --help` without a stack trace.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npmSwallowedFlags } from "../commands/cli";
import { ROOT, runCli, runCliProcess, runInProcess, type Exit } from "./support/cli";
import { shippedFile, tempEnvironments } from "./support/settings";

/** Every command that reads settings, with the least it needs to get that far without terraform. */
const COMMANDS: Record<string, string[]> = {
  synth: ["synth"],
  render: ["render"],
  cost: ["cost"],
  plan: ["plan", "--no-synth"],
  drift: ["drift", "--no-synth"],
  apply: ["apply", "--no-synth", "--plans", os.tmpdir()],
};

describe("GIVEN every command that reads settings, run through the launcher", () => {
  let work: string;
  let t: ReturnType<typeof tempEnvironments>;
  const unknown = new Map<string, Exit>();
  const missingFolder = new Map<string, Exit>();
  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-vocabulary-"));
    // An environments folder whose only environment is "qa" (prod's settings under another name).
    t = tempEnvironments({ "common.tfvars": shippedFile("common.tfvars"), "qa.tfvars": shippedFile("prod.tfvars") });
    const out = ["--out", path.join(work, "out")];
    const runs = Object.entries(COMMANDS).flatMap(([name, args]) => [
      runCliProcess([...args, "--env", "staging", ...(name === "cost" ? [] : out)]).then((r) => unknown.set(name, r)),
      runCliProcess([...args, "--env", "qa", "--environments", path.join(work, "no-such-folder"), ...(name === "cost" ? [] : out)]).then((r) => missingFolder.set(name, r)),
    ]);
    await Promise.all(runs);
  });
  afterAll(() => {
    t.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it.each(Object.keys(COMMANDS))("WHEN %s is given an unknown environment THEN it exits 1 with the settings loader's one line, as every other command", (name) => {
    const r = unknown.get(name)!;
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe('invalid settings (1 problem):\n  environments/staging.tfvars: unknown environment "staging": no such file (known environments: dev, prod)\n');
  });

  it.each(Object.keys(COMMANDS))("WHEN %s is given --environments naming a missing folder THEN it exits 1 naming the flag", (name) => {
    const r = missingFolder.get(name)!;
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe(`invalid settings (1 problem):\n  ${path.join(work, "no-such-folder")}: no such folder (--environments)\n`);
  });

  it("WHEN cost and render read another environments folder THEN they find its environment", () => {
    const cost = runCli(["cost", "--env", "qa", "--environments", t.dir, "--format", "json"]);
    expect(cost.status, cost.stderr).toBe(0);
    expect((JSON.parse(cost.stdout) as { env: string }).env).toBe("qa");
    const render = runCli(["render", "--environments", t.dir, "--out", path.join(work, "rendered")]);
    expect(render.status, render.stderr).toBe(0);
    expect(render.stdout).toMatch(/^rendered \d+ files for qa into /);
    expect(fs.readdirSync(path.join(work, "rendered", "rendered"))).toEqual(["qa"]);
  });
});

describe("GIVEN --format", () => {
  it("WHEN cost is given --format text, or table (its old name) THEN both print the same table, table with a note on stderr", () => {
    const text = runCli(["cost", "--env", "prod", "--format", "text"]);
    const table = runCli(["cost", "--env", "prod", "--format", "table"]);
    expect(text.status, text.stderr).toBe(0);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toBe(text.stdout);
    expect(table.stderr).toContain('note: --format table is now --format text (the same output; "table" is kept as an alias)\n');
    expect(text.stderr).not.toContain("note: --format");
  });

  it("WHEN the cost table marks estimates with * THEN the figures stay right-aligned, the marker beside them", () => {
    const r = runCli(["cost", "--env", "prod"]);
    expect(r.status, r.stderr).toBe(0);
    const summary = r.stdout.split("\n\n")[1].split("\n");
    const rows = summary.slice(1);
    expect(rows.some((l) => l.endsWith(" *"))).toBe(true);
    expect(rows.some((l) => !l.endsWith(" *"))).toBe(true);
    // The last digit of every figure in one column, marked or not.
    const ends = rows.map((l) => l.replace(/ \*$/, "").length);
    expect(new Set(ends).size).toBe(1);
    expect(summary[0].length).toBe(ends[0]);
  });

  it("WHEN plan or cost is given a format no command has THEN both exit 2 naming the same three formats", async () => {
    const plan = await runInProcess(await import("../commands/plan"), ["--env", "prod", "--format", "table"]);
    const cost = await runInProcess(await import("../commands/cost"), ["--env", "prod", "--format", "csv"]);
    expect(plan.status).toBe(2);
    expect(plan.stderr).toContain('--format must be one of text, markdown, json, got "table"');
    expect(cost.status).toBe(2);
    expect(cost.stderr).toContain('--format must be one of text, markdown, json, got "csv"');
  });
});

describe("GIVEN flags written without `--` after npm run", () => {
  it("WHEN npm run synth --env=prod is run by npm itself THEN synth exits 2 with the command line that works, and synthesizes nothing", () => {
    const out = path.join(ROOT, "cdktf.out");
    const before = fs.existsSync(out) ? fs.statSync(out).mtimeMs : undefined;
    const r = spawnSync("npm", ["run", "--silent", "synth", "--env=prod"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('npm took --env as its own setting (flags before "--" are npm\'s) and passed synth nothing; put the command\'s flags after "--": npm run synth -- --env prod');
    expect(fs.existsSync(out) ? fs.statSync(out).mtimeMs : undefined).toBe(before);
  });

  it("WHEN npm keeps --env prod (a stray prod) or several flags THEN each command's answer pairs them back", () => {
    const r = runCli(["cost", "prod"], { env: { npm_lifecycle_event: "cost", npm_config_env: "true" } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('passed cost only "prod"; put the command\'s flags after "--": npm run cost -- --env prod');
    const e = npmSwallowedFlags("plan", ["prod", "--layer", "network"], { npm_lifecycle_event: "plan", npm_config_env: "true", npm_config_format: "json", npm_config_synth: "false" });
    expect(e?.message).toBe('npm took --env, --format, --no-synth as its own settings (flags before "--" are npm\'s) and passed plan only "prod --layer network"; put the command\'s flags after "--": npm run plan -- --env prod --format json --no-synth --layer network');
  });

  it("WHEN the flags came after -- or the command runs outside npm THEN nothing is said", () => {
    expect(npmSwallowedFlags("synth", ["--env", "prod"], { npm_lifecycle_event: "synth" })).toBeUndefined();
    expect(npmSwallowedFlags("synth", [], { npm_config_env: "prod" })).toBeUndefined();
  });
});

describe("GIVEN npm run bench", () => {
  it("WHEN asked for --help or given a bad --runs THEN it answers with its usage, no stack trace", () => {
    const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
    const help = spawnSync(tsx, ["scripts/bench.ts", "--help"], { cwd: ROOT, encoding: "utf8" });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run bench \[-- --runs <n>\]/);
    const bad = spawnSync(tsx, ["scripts/bench.ts", "--runs", "0"], { cwd: ROOT, encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--runs takes a whole number of at least 1, got "0"');
    for (const r of [help, bad]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
