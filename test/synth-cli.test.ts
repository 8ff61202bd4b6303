/**
 * The synth command as a user runs it: `npm run synth` (node bin/lgtm.cjs synth) in a fresh process.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAYERS } from "../stacks/contract";
import { envFileWith, shippedFile, tempEnvironments } from "./support/settings";
import { ROOT, runCli } from "./support/cli";
import { RULES } from "../policy";


function synth(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(["synth", ...args], { env });
}

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else files.set(path.relative(dir, p), fs.readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return files;
}

describe("GIVEN the synth command", () => {
  let work: string;
  /** One `synth --env prod` run on a machine without terraform, which three tests below read. */
  let prodOnly: string;
  let prodRun: ReturnType<typeof synth>;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-synth-cli-"));
    // No terraform on PATH: synth needs none (cdktf's importFrom would run `terraform version`).
    prodOnly = path.join(work, "prod-only");
    prodRun = synth(["--env", "prod", "--out", prodOnly], { PATH: fs.mkdtempSync(path.join(work, "no-bin-")) });
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  // Byte-identical output across runs: test/stability.test.ts (two processes side by side).
  it("WHEN run THEN it writes seven stacks per environment", () => {
    const a = path.join(work, "a");
    const r = synth(["--out", a]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("synthesized 14 stacks for dev, prod");
    const stacks = fs.readdirSync(path.join(a, "stacks")).sort();
    expect(stacks).toEqual(["dev", "prod"].flatMap((env) => LAYERS.map((l) => `${env}-${l}`)));
  });

  it("WHEN run on the shipped environments without --verbose THEN it prints one line per environment, each warning once, and a closing line", () => {
    const r = synth(["--out", path.join(work, "quiet")]);
    expect(r.status, r.stderr).toBe(0);
    const n = RULES.length;
    const out = r.stdout.trimEnd().split("\n");
    expect(out).toHaveLength(3);
    // A note per environment: the upstream references' undocumented key, or (a clone without ../shared/upstream) their absence.
    expect(out[0]).toMatch(new RegExp(`^dev: 7 stacks; policy: ${n} rules, 0 violations, [1-9]\\d* waived; 9 warnings, 1 note$`));
    expect(out[1]).toMatch(new RegExp(`^prod: 7 stacks; policy: ${n} rules, 0 violations, [1-9]\\d* waived; 11 warnings, 1 note$`));
    expect(out[2]).toBe(`synthesized 14 stacks for dev, prod into ${path.relative(ROOT, path.join(work, "quiet"))}; --verbose lists the waivers and notes`);
    // The eight names the previous stack shares with this one: one warning listing them all.
    // Mimir's series limit against the ingesters' memory (test/sizing.test.ts), once per environment.
    // Every image pinned by tag only (settings/image-pins.ts): once each, naming the environments that run it.
    const err = r.stderr.trimEnd().split("\n");
    const unpinned = err.filter((l) => l.includes("is pinned by tag only"));
    expect(unpinned).toHaveLength(9);
    expect(unpinned[0]).toMatch(/^warning: dev, prod: services\.mimir\.digest: grafana\/mimir:3\.0\.4 is pinned by tag only: .*npm run pin-images -- --env <env>/);
    expect(unpinned.filter((l) => l.startsWith("warning: prod: cache.image: "))).toHaveLength(1);
    err.splice(0, err.length, ...err.filter((l) => !unpinned.includes(l)));
    expect(err).toHaveLength(3);
    expect(err[0]).toMatch(/^warning: dev: environments\/common\.tfvars: mimir\.limits\.max_global_series_per_user: 2,000,000 series per tenant .* 1 task of 2048 MiB keeps about 160,000 series at RF 1 /);
    expect(err[1]).toMatch(/^warning: prod: environments\/common\.tfvars: mimir\.limits\.max_global_series_per_user: 2,000,000 series per tenant .* 3 tasks of 4096 MiB keep about 320,000 series at RF 3 /);
    err.splice(0, 2);
    expect(err[0]).toMatch(/^warning: prod: adopt\.previous_names: 8 names of the previous stack are also names this project creates: "lgtm-prod-cluster" \(ECS cluster, 60-ecs\), .*; see docs\/migration\.md$/);
    for (const name of ["lgtm-prod-alb", "/ecs/lgtm-mimir", "/ecs/lgtm-alloy"]) expect(err[0]).toContain(`"${name}"`);
    expect(r.stdout + r.stderr).not.toContain("waived ");
  });

  it("WHEN run with --verbose THEN it adds every waiver with its reason and the notes, and the same summary lines", () => {
    const r = synth(["--out", path.join(work, "verbose"), "--verbose"]);
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout.trimEnd().split("\n");
    expect(out[0]).toMatch(/^dev: 7 stacks; policy: /);
    expect(out[1]).toMatch(/^prod: 7 stacks; policy: /);
    expect(out[2]).toMatch(new RegExp(`^policy: ${RULES.length} rules \\(`));
    const waivers = out.filter((l) => /^ {2}waived \S+ in (dev|prod) \(/.test(l));
    expect(waivers.length).toBeGreaterThan(5);
    // Each summary's waived count is the number of findings its paragraphs list.
    const findings = (env: string) => waivers.filter((l) => l.includes(` in ${env} (`)).reduce((sum, l) => sum + l.split(": ")[1].split(", ").length, 0);
    for (const [i, env] of [[0, "dev"], [1, "prod"]] as const) expect(out[i]).toContain(`, ${findings(env)} waived;`);
    expect(out[out.length - 1]).toMatch(/^synthesized 14 stacks for dev, prod into \S+$/);
    expect(r.stderr).toMatch(/^note: dev, prod: /m);
    expect(r.stderr).toMatch(/^warning: prod: adopt\.previous_names: 8 names/m);
  });

  it("WHEN filtered with --env on a machine without terraform THEN only that environment is written, its import blocks included", () => {
    const [out, r] = [prodOnly, prodRun];
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readdirSync(path.join(out, "stacks")).every((s) => s.startsWith("prod-"))).toBe(true);
    const storage = JSON.parse(fs.readFileSync(path.join(out, "stacks", "prod-30-storage", "cdk.tf.json"), "utf8"));
    expect(storage.import.length).toBeGreaterThan(0);
  });

  it("WHEN filtered with LGTM_ENV (the cdktf CLI route) THEN only that environment is written", () => {
    const out = path.join(work, "dev-only");
    const r = synth(["--out", out], { LGTM_ENV: "dev" });
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readdirSync(path.join(out, "stacks")).sort()).toEqual(LAYERS.map((l) => `dev-${l}`));
  });

  it("WHEN the environment is unknown THEN it exits 1 naming the file, and the previous output is untouched", () => {
    const out = prodOnly;
    expect(prodRun.status, prodRun.stderr).toBe(0);
    const before = readTree(out);
    const r = synth(["--env", "staging", "--out", out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('environments/staging.tfvars: unknown environment "staging": no such file (known environments: dev, prod)');
    expect(readTree(out)).toEqual(before);
  });

  it("WHEN a setting breaks a cross-reference only the rendered configs show THEN synth fails naming the setting, and writes nothing", async () => {
    const t = tempEnvironments({
      "common.tfvars": shippedFile("common.tfvars"),
      "prod.tfvars": await envFileWith("prod", {
        services: { tempo: { desired_count: 2 } },
        loki: { retention_streams: [{ selector: '{level="info"}', days: 400, priority: 1 }] },
      }),
    });
    try {
      const out = path.join(work, "broken");
      const r = synth(["--environments", t.dir, "--out", out]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("rendered configs failed their checks (2):");
      expect(r.stderr).toContain("prod: loki.retention_streams[0].days: stream {level=\"info\"} keeps 400 days, longer than services.loki.retention_days (365)");
      expect(r.stderr).toContain("prod: services.tempo.desired_count: Tempo 3 in monolithic mode (target all, no Kafka) runs as one task");
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      t.cleanup();
    }
  });

  // --environments naming a missing folder or a file: test/settings-bad-input.test.ts, in-process.

  it("WHEN synthesized THEN the rendered configs are written beside the stacks for teams that bake images", () => {
    const out = prodOnly;
    expect(prodRun.status, prodRun.stderr).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "rendered", "prod", "manifest.json"), "utf8")) as { file: string }[];
    expect(manifest.map((m) => m.file)).toContain("loki/loki.yaml");
    expect(fs.readFileSync(path.join(out, "rendered", "prod", "loki", "loki.yaml"), "utf8")).toContain("auth_enabled: true");
  });

  // npm run render, fresh and in-process: test/templates.test.ts ("GIVEN the files written to disk").

  it("WHEN given an unknown flag THEN main.ts answers from the light usage module: exit 2 with the usage", () => {
    const r = synth(["--environment", "prod"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Unknown option '--environment'");
    expect(r.stderr).toContain("usage: npm run synth");
  });
});
