/**
 * The whole stack applied: every layer of dev and prod, in deploy order, against an AWS API emulator
 * on 127.0.0.1 (moto 5.2.1 over HTTPS, one server per environment answering for that environment's
 * account; test/support/moto.ts), then `npm run drift` of every layer (a read-only re-plan against
 * the applied state, through the launcher as users run it) that must find no change and no drift,
 * then a destroy in reverse order that stops where the project's guards say it must.
 *
 * What is real: the synth output of `node bin/lgtm.cjs synth` (never edited; the endpoints come
 * from `emulator_override.tf.json` files beside it, test/support/emulator.ts), terraform, the
 * hashicorp/aws provider, the S3 backend with its lockfile, every terraform_remote_state read and
 * the provider's allowed_account_ids check against the emulator's STS.
 *
 * The emulator's gaps, each worked around in test/support/moto/serve.py only (never in the product):
 * - EFS PutBackupPolicy (aws_efs_backup_policy) and ECR pull-through cache rules
 *   (aws_ecr_pull_through_cache_rule): moto 5.2.1 has neither API; small in-memory versions added;
 * - S3 bucket policy conditions: moto ignores them, so the TLS-only deny (aws:SecureTransport =
 *   false) would deny every request; evaluated for an HTTPS request instead;
 * - S3 logging grants: moto wants the target policy's Resource to equal the prefix, AWS matches it
 *   as a wildcard (a grant on <log bucket>/s3/* covers s3/<bucket>/);
 * - security group rule descriptions of rules that reference a group or prefix list: moto drops
 *   them, so every such rule would plan an update forever; kept.
 * - not worked around, named: moto does not refuse to delete a load balancer with deletion
 *   protection on (prod's `load_balancer.deletion_protection`), so the destroy below does not show
 *   that guard; AWS would refuse the delete until it is turned off.
 *
 * The provider: one hashicorp/aws process per environment, attached by every terraform command of
 * that environment (TF_REATTACH_PROVIDERS, test/support/terraform.ts `startSharedProvider`); each
 * environment's commands run one at a time, so one provider configuration is used at a time.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAYERS, stackId, type LayerId } from "../../stacks/contract";
import { loadSettings, type Settings } from "../../settings";
import type { DriftReport } from "../../commands/drift";
import { LAUNCHER, spawnAsync } from "../support/cli";
import { emulatorEnv, OVERRIDE_FILE, writeEmulatorOverrides } from "../support/emulator";
import { makeTestCa, skipWithoutMoto, startMoto, type MotoServer, type TestCa } from "../support/moto";
import { findTerraform, offlineTerraform, runAsync, skipWithoutTerraform, startSharedProvider, type RunResult, type SharedProvider, type Terraform } from "../support/terraform";

const ENVS = ["dev", "prod"] as const;
type Env = (typeof ENVS)[number];

const skip = skipWithoutTerraform("the emulator apply (test/emulator/)") || skipWithoutMoto("the emulator apply (test/emulator/)");

interface LayerRun {
  readonly layer: LayerId;
  readonly initMs: number;
  readonly applyMs: number;
  readonly apply: RunResult;
}

interface EnvRun {
  readonly env: Env;
  readonly settings: Settings;
  readonly moto: MotoServer;
  readonly provider: SharedProvider;
  readonly tf: Terraform;
  /** terraform's environment: the emulator's CA and credentials, the shared provider. */
  readonly tfEnv: NodeJS.ProcessEnv;
  readonly applied: LayerRun[];
  drift?: { exit: number | null; stderr: string; report?: DriftReport; ms: number };
  destroyed: { layer: LayerId; result: RunResult; ms: number }[];
}

/** Terraform's error text, without the box drawing. */
const errorOf = (r: RunResult) => `${r.stderr}\n${r.stdout.split("\n").slice(-30).join("\n")}`.replace(/[│╷╵]/g, "").trim();

describe.skipIf(skip)("GIVEN dev and prod synthesized by `lgtm synth`, each pointed at its own AWS API emulator (moto over TLS, its own account)", () => {
  let work: string;
  let out: string;
  let ca: TestCa;
  const runs = new Map<Env, EnvRun>();
  const started = Date.now();
  const timings: string[] = [];

  const stackDir = (env: Env, layer: LayerId) => path.join(out, "stacks", stackId(env, layer));

  async function tfRun(run: EnvRun, layer: LayerId, args: string[]): Promise<RunResult & { ms: number }> {
    const t = Date.now();
    const r = await runAsync(run.tf, stackDir(run.env, layer), args, run.tfEnv);
    return { ...r, ms: Date.now() - t };
  }

  /** Every layer in deploy order; stops at the first failure (later layers read its state). */
  async function applyAll(run: EnvRun): Promise<void> {
    for (const layer of LAYERS) {
      const init = await tfRun(run, layer, ["init", "-input=false"]);
      if (init.code !== 0) {
        run.applied.push({ layer, initMs: init.ms, applyMs: 0, apply: init });
        return;
      }
      const apply = await tfRun(run, layer, ["apply", "-input=false", "-auto-approve"]);
      run.applied.push({ layer, initMs: init.ms, applyMs: apply.ms, apply });
      timings.push(`${run.env}-${layer}: init ${init.ms} ms, apply ${apply.ms} ms (exit ${apply.code})`);
      if (apply.code !== 0) return;
    }
  }

  /** `npm run drift` of every layer (00-bootstrap named, its local state is here), as users run it. */
  async function drift(run: EnvRun): Promise<void> {
    const [report, json] = [path.join(work, `drift-${run.env}.md`), path.join(work, `drift-${run.env}.json`)];
    const t = Date.now();
    const r = await spawnAsync(
      process.execPath,
      [LAUNCHER, "drift", "--env", run.env, "--no-synth", "--out", out, ...LAYERS.flatMap((l) => ["--layer", l]), "--report", report, "--json", json],
      { env: { ...process.env, ...run.tfEnv, LGTM_TERRAFORM: findTerraform() } },
    );
    run.drift = { exit: r.status, stderr: r.stderr, ms: Date.now() - t, report: fs.existsSync(json) ? (JSON.parse(fs.readFileSync(json, "utf8")) as DriftReport) : undefined };
    timings.push(`${run.env} drift (${LAYERS.length} layers): ${run.drift.ms} ms (exit ${r.status})`);
  }

  /**
   * Reverse order, as an operator would: `terraform destroy` of each layer until one is refused; the
   * layers below a refused one stay (they hold what it reads).
   */
  async function destroyDown(run: EnvRun): Promise<void> {
    for (const layer of [...LAYERS].reverse()) {
      const r = await tfRun(run, layer, ["destroy", "-input=false", "-auto-approve"]);
      run.destroyed.push({ layer, result: r, ms: r.ms });
      timings.push(`${run.env}-${layer}: destroy ${r.ms} ms (exit ${r.code})`);
      if (r.code !== 0) return;
    }
  }

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-emulator-"));
    out = path.join(work, "out");
    // The shipped path, as `npm run synth -- --out <dir>` runs it.
    const synth = await spawnAsync(process.execPath, [LAUNCHER, "synth", "--out", out]);
    if (synth.status !== 0) throw new Error(`lgtm synth failed (exit ${synth.status}):\n${synth.stderr}`);
    timings.push(`synth: ${Date.now() - started} ms`);
    ca = makeTestCa(path.join(work, "ca"));

    await Promise.all(
      ENVS.map(async (env) => {
        const settings = await loadSettings(env);
        const domain = settings.load_balancer.domain;
        const moto = await startMoto({
          account: settings.aws.allowed_account_ids[0],
          ca,
          work,
          // The public zone the settings name by id, made by hand before the first apply (README).
          fixtures: domain ? { hosted_zones: [{ id: domain.zone_id, name: domain.name.split(".").slice(1).join(".") }] } : {},
        });
        const awsEnv = emulatorEnv(ca, settings.aws.region);
        // The provider process reads the credentials and the trusted roots from its own environment.
        const provider = await startSharedProvider(awsEnv);
        for (const layer of LAYERS) writeEmulatorOverrides(stackDir(env, layer), moto.endpoint);
        const tf = offlineTerraform(path.join(work, `tf-${env}`), provider);
        runs.set(env, { env, settings, moto, provider, tf, tfEnv: { ...tf.env, ...awsEnv }, applied: [], destroyed: [] });
      }),
    );
    // dev and prod side by side: two emulators, two providers, one terraform command each at a time.
    await Promise.all(
      [...runs.values()].map(async (run) => {
        await applyAll(run);
        if (run.applied.every((a) => a.apply.code === 0) && run.applied.length === LAYERS.length) await drift(run);
      }),
    );
    // Above vitest.config.mts's hook limit: 14 layers applied and planned (about 2.5 min alone on 2
    // cores; several times that with the rest of the suite beside it).
  }, 1_200_000);

  afterAll(async () => {
    console.log(`emulator tier timings (wall ${Date.now() - started} ms):\n  ${timings.join("\n  ")}`);
    for (const run of runs.values()) {
      run.provider.stop();
      await run.moto.stop();
    }
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("WHEN the stacks are pointed at the emulator THEN only override files were added beside the generated JSON, which is untouched", async () => {
    const again = path.join(work, "again");
    const synth = await spawnAsync(process.execPath, [LAUNCHER, "synth", "--out", again]);
    expect(synth.status, synth.stderr).toBe(0);
    for (const env of ENVS) {
      for (const layer of LAYERS) {
        const files = fs.readdirSync(stackDir(env, layer)).filter((f) => f.endsWith(".json"));
        expect(files.sort()).toEqual(["cdk.tf.json", OVERRIDE_FILE]);
        expect(fs.readFileSync(path.join(stackDir(env, layer), "cdk.tf.json"), "utf8")).toBe(fs.readFileSync(path.join(again, "stacks", stackId(env, layer), "cdk.tf.json"), "utf8"));
      }
    }
  });

  for (const env of ENVS) {
    it(`WHEN every layer of ${env} is applied in order THEN each applies in one pass`, () => {
      const run = runs.get(env)!;
      const failed = run.applied.find((a) => a.apply.code !== 0);
      expect(failed ? `${failed.layer}: ${errorOf(failed.apply)}` : "", "the first layer that failed").toBe("");
      expect(run.applied.map((a) => a.layer)).toEqual([...LAYERS]);
    });

    it(`WHEN every layer of ${env} is planned again by \`npm run drift\` THEN no layer has a change, a drift or an error, and it exits 0`, () => {
      const run = runs.get(env)!;
      expect(run.drift, "drift ran (every layer applied)").toBeDefined();
      const report = run.drift!.report;
      expect(report, run.drift!.stderr).toBeDefined();
      const dirty = report!.layers
        .filter((l) => l.status !== "no changes")
        .map((l) => `${l.layer} ${l.status}: ${[...l.drift, ...l.changes, ...l.outputs].map((e) => `${e.address} ${e.action} (${e.detail})`).join("; ")}${l.error ? l.error.message : ""}`);
      expect(dirty).toEqual([]);
      expect(report!.layers.map((l) => l.layer)).toEqual([...LAYERS]);
      expect(run.drift!.exit).toBe(0);
      const refreshed = report!.layers.map((l) => `${l.layer}: ${l.refreshed.length}`).join(", ");
      timings.push(`${env} refreshed-only resources per layer (not drift): ${refreshed}`);
    });
  }

  it("WHEN dev's stack is planned against prod's emulator (another account) THEN the provider refuses it: allowed_account_ids holds", async () => {
    const dev = runs.get("dev")!;
    const prod = runs.get("prod")!;
    // A copy of dev's bootstrap stack (local state, so no backend in the other account is needed).
    const dir = path.join(work, "wrong-account");
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(stackDir("dev", "00-bootstrap"), "cdk.tf.json"), path.join(dir, "cdk.tf.json"));
    writeEmulatorOverrides(dir, prod.moto.endpoint);
    fs.writeFileSync(path.join(dir, "state_override.tf.json"), JSON.stringify({ terraform: { backend: { local: { path: "wrong-account.tfstate" } } } }));
    const init = await runAsync(dev.tf, dir, ["init", "-input=false"], dev.tfEnv);
    expect(init.code, init.stderr).toBe(0);
    const plan = await runAsync(dev.tf, dir, ["plan", "-input=false", "-refresh=false"], dev.tfEnv);
    expect(plan.code).toBe(1);
    expect(errorOf(plan)).toMatch(new RegExp(`AWS account ID not allowed: ${prod.settings.aws.allowed_account_ids[0]}`));
  });

  describe("AND then destroyed in reverse order", () => {
    beforeAll(async () => {
      await Promise.all([...runs.values()].filter((r) => r.applied.length === LAYERS.length && r.applied.every((a) => a.apply.code === 0)).map(destroyDown));
    }, 900_000);

    it("WHEN dev (storage.force_destroy = true) is destroyed THEN 60-ecs to 10-network go, and 00-bootstrap is refused: the state bucket has prevent_destroy", () => {
      const run = runs.get("dev")!;
      expect(run.destroyed.map((d) => `${d.layer} ${d.result.code}`)).toEqual([...LAYERS].reverse().map((l) => `${l} ${l === "00-bootstrap" ? 1 : 0}`));
      const refused = errorOf(run.destroyed.at(-1)!.result);
      expect(refused).toContain("Instance cannot be destroyed");
      expect(refused).toContain("aws_s3_bucket.state_bucket");
    });

    it("WHEN prod is destroyed THEN 60-ecs, 50-loadbalancer and 40-iam go, and 30-storage is refused: the data bucket and Grafana's file system have prevent_destroy", () => {
      const run = runs.get("prod")!;
      expect(run.destroyed.map((d) => `${d.layer} ${d.result.code}`)).toEqual(["60-ecs 0", "50-loadbalancer 0", "40-iam 0", "30-storage 1"]);
      const refused = errorOf(run.destroyed.at(-1)!.result);
      expect(refused).toContain("Instance cannot be destroyed");
      expect(refused).toMatch(/aws_s3_bucket\.data_bucket|aws_efs_file_system\./);
    });
  });
});
