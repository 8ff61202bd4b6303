/**
 * The synth output folder (commands/output-folder.ts): a run for some environments keeps the
 * others' stacks, a stack's terraform init state survives while its providers do not change, and a
 * signal during synth leaves no staging folder.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnvironments, synthesize } from "../commands/synth";
import type { Settings } from "../settings";
import { LAYERS } from "../stacks/contract";

const root = path.resolve(__dirname, "..");
const read = (f: string) => fs.readFileSync(f, "utf8");

describe("GIVEN an output folder with both environments and an initialized stack", () => {
  let work: string;
  let out: string;
  let prod: Settings[];
  let all: Settings[];
  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-out-"));
    out = path.join(work, "cdktf.out");
    all = await loadEnvironments();
    prod = all.filter((s) => s.env === "prod");
    synthesize(all, out);
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  const init = (stack: string) => {
    const dir = path.join(out, "stacks", stack);
    fs.mkdirSync(path.join(dir, ".terraform", "providers"), { recursive: true });
    fs.writeFileSync(path.join(dir, ".terraform", "providers", "aws"), "provider binary");
    fs.writeFileSync(path.join(dir, ".terraform.lock.hcl"), "# lock");
    return dir;
  };

  it("WHEN only prod is synthesized again THEN dev's stacks, manifest entries and rendered configs are kept byte for byte", () => {
    const devBefore = read(path.join(out, "stacks", "dev-60-ecs", "cdk.tf.json"));
    const manifestBefore = read(path.join(out, "manifest.json"));
    const stacks = synthesize(prod, out);
    expect(stacks).toEqual(["dev", "prod"].flatMap((env) => LAYERS.map((l) => `${env}-${l}`)));
    expect(read(path.join(out, "stacks", "dev-60-ecs", "cdk.tf.json"))).toBe(devBefore);
    expect(read(path.join(out, "manifest.json"))).toBe(manifestBefore);
    expect(fs.readdirSync(path.join(out, "rendered")).sort()).toEqual(["dev", "prod"]);
    expect(fs.readdirSync(path.dirname(out))).toEqual(["cdktf.out"]);
  });

  it("WHEN a stack was initialized and its providers did not change THEN .terraform and the lock file survive a re-synth", () => {
    const dir = init("prod-40-iam");
    const devDir = init("dev-10-network");
    synthesize(prod, out);
    expect(read(path.join(dir, ".terraform", "providers", "aws"))).toBe("provider binary");
    expect(read(path.join(dir, ".terraform.lock.hcl"))).toBe("# lock");
    expect(read(path.join(devDir, ".terraform.lock.hcl"))).toBe("# lock");
  });

  it("WHEN a stack's provider requirements changed THEN its init state is dropped (terraform init must run again)", () => {
    const dir = init("prod-30-storage");
    const file = path.join(dir, "cdk.tf.json");
    fs.writeFileSync(file, read(file).replace('"version": "5.100.0"', '"version": "5.99.0"'));
    synthesize(prod, out);
    expect(fs.existsSync(path.join(dir, ".terraform"))).toBe(false);
    expect(fs.existsSync(path.join(dir, ".terraform.lock.hcl"))).toBe(false);
    expect(read(file)).toContain('"version": "5.100.0"');
  });

  it("WHEN every environment is synthesized without keeping others THEN a stack of an environment that no longer exists is dropped", () => {
    fs.cpSync(path.join(out, "stacks", "dev-00-bootstrap"), path.join(out, "stacks", "gone-00-bootstrap"), { recursive: true });
    const manifest = JSON.parse(read(path.join(out, "manifest.json")));
    manifest.stacks["gone-00-bootstrap"] = { ...manifest.stacks["dev-00-bootstrap"], name: "gone-00-bootstrap", workingDirectory: "stacks/gone-00-bootstrap" };
    fs.writeFileSync(path.join(out, "manifest.json"), JSON.stringify(manifest));
    expect(synthesize(prod, out)).toContain("gone-00-bootstrap");
    expect(synthesize(all, out, { keepOtherEnvironments: false })).not.toContain("gone-00-bootstrap");
  });

  it("WHEN a staging folder of a process that is gone is left THEN the next run removes it", () => {
    const abandoned = `${out}.staging-999999999`;
    fs.mkdirSync(abandoned);
    synthesize(prod, out);
    expect(fs.existsSync(abandoned)).toBe(false);
  });
});

describe("GIVEN a synth in progress", () => {
  let work: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-signal-"));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it.each(["SIGTERM", "SIGINT"] as const)("WHEN it receives %s while writing THEN no staging folder is left and the output is whole or absent", async (signal) => {
    const out = path.join(work, signal, "cdktf.out");
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // As `npm run synth` runs it: the launcher and its bundle, in plain node.
    const child = spawn(process.execPath, ["bin/lgtm.cjs", "synth", "--out", out], { cwd: root, stdio: "ignore" });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("exit", (code, sig) => resolve([code, sig])));
    // Signal as soon as the staging folder appears (synth is writing).
    while (!fs.readdirSync(path.dirname(out)).some((f) => f.includes(".staging-"))) {
      await new Promise((r) => setTimeout(r, 5));
      if (child.exitCode !== null) break;
    }
    child.kill(signal);
    const [code, sig] = await exited;
    expect([code, sig]).toEqual([null, signal]);
    expect(fs.readdirSync(path.dirname(out)).filter((f) => f !== "cdktf.out")).toEqual([]);
    if (fs.existsSync(out)) {
      const manifest = JSON.parse(read(path.join(out, "manifest.json")));
      for (const s of Object.values<{ synthesizedStackPath: string }>(manifest.stacks)) expect(fs.existsSync(path.join(out, s.synthesizedStackPath))).toBe(true);
    }
  });
});
