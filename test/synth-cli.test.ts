/**
 * The synth command as a user runs it: `npm run synth` (tsx main.ts synth) in a fresh process.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAYERS } from "../stacks/contract";
import { envFileWith, shippedFile, tempEnvironments } from "./support/settings";

const root = path.resolve(__dirname, "..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");

function synth(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(tsx, ["main.ts", "synth", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, ...env } });
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
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-synth-cli-"));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it("WHEN run twice THEN it writes seven stacks per environment, byte-identical both times", () => {
    const [a, b] = [path.join(work, "a"), path.join(work, "b")];
    for (const out of [a, b]) {
      const r = synth(["--out", out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("synthesized 14 stacks for dev, prod");
    }
    const stacks = fs.readdirSync(path.join(a, "stacks")).sort();
    expect(stacks).toEqual(["dev", "prod"].flatMap((env) => LAYERS.map((l) => `${env}-${l}`)));
    const [ta, tb] = [readTree(a), readTree(b)];
    expect([...ta.keys()].sort()).toEqual([...tb.keys()].sort());
    for (const [file, content] of ta) expect(tb.get(file), file).toBe(content);
  });

  it("WHEN filtered with --env THEN only that environment is written", () => {
    const out = path.join(work, "prod-only");
    const r = synth(["--env", "prod", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readdirSync(path.join(out, "stacks")).every((s) => s.startsWith("prod-"))).toBe(true);
  });

  it("WHEN filtered with LGTM_ENV (the cdktf CLI route) THEN only that environment is written", () => {
    const out = path.join(work, "dev-only");
    const r = synth(["--out", out], { LGTM_ENV: "dev" });
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readdirSync(path.join(out, "stacks")).sort()).toEqual(LAYERS.map((l) => `dev-${l}`));
  });

  it("WHEN the environment is unknown THEN it exits 1 naming the file, and the previous output is untouched", () => {
    const out = path.join(work, "keep");
    expect(synth(["--env", "prod", "--out", out]).status).toBe(0);
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

  it("WHEN --environments names a missing folder THEN it says so", () => {
    const r = synth(["--environments", path.join(work, "nowhere")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nowhere: no such folder \(--environments\)/);
  });

  it("WHEN synthesized THEN the rendered configs are written beside the stacks for teams that bake images", () => {
    const out = path.join(work, "rendered");
    expect(synth(["--env", "prod", "--out", out]).status).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "rendered", "prod", "manifest.json"), "utf8")) as { file: string }[];
    expect(manifest.map((m) => m.file)).toContain("loki/loki.yaml");
    expect(fs.readFileSync(path.join(out, "rendered", "prod", "loki", "loki.yaml"), "utf8")).toContain("auth_enabled: true");
  });

  it("WHEN npm run render is given an environment THEN it writes that environment's files and manifest", () => {
    const out = path.join(work, "render-only");
    const r = spawnSync(tsx, ["main.ts", "render", "--env", "dev", "--out", out], { cwd: root, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("rendered");
    expect(fs.readdirSync(path.join(out, "rendered"))).toEqual(["dev"]);
    expect(fs.readdirSync(path.join(out, "rendered", "dev")).sort()).toEqual(["alloy", "grafana", "loki", "manifest.json", "mimir", "pyroscope", "tempo"]);
  });

  it("WHEN npm run render gets a bad flag or environment THEN it exits with the usage or the settings error", () => {
    const bad = spawnSync(tsx, ["main.ts", "render", "--envs", "dev"], { cwd: root, encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("usage: npm run render");
    const unknown = spawnSync(tsx, ["main.ts", "render", "--env", "qa"], { cwd: root, encoding: "utf8" });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('environments/qa.tfvars: unknown environment "qa"');
  });

  it("WHEN given an unknown flag THEN it exits 2 with the usage", () => {
    const r = synth(["--environment", "prod"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Unknown option '--environment'");
    expect(r.stderr).toContain("usage: npm run synth");
  });
});
