/**
 * The whole stack applied: every layer of dev and prod, in deploy order, against an AWS API emulator
 * on 127.0.0.1 (moto 5.2.1 over HTTPS, one server per environment answering for that environment's
 * account; test/support/moto.ts), then `npm run drift` of every layer (a read-only re-plan against
 * the applied state, through the launcher as users run it) that must find no change and no drift,
 * then a destroy in reverse order that stops where the project's guards say it must. Beside the
 * destroy, dev's stateful layer meets the destroy guard (commands/destroy-guard.ts) through
 * `npm run plan` and `npm run apply`: a settings change that deletes a guarded resource (Grafana's
 * file system, once Grafana moves to an external database) is refused without `--allow-destroy`
 * and applied with it.
 *
 * What is real: the synth output of `node bin/lgtm.cjs synth` (never edited; the endpoints come
 * from `emulator_override.tf.json` files beside it, test/support/emulator.ts), terraform, the
 * hashicorp/aws provider, the S3 backend with its lockfile, every terraform_remote_state read and
 * the provider's allowed_account_ids check against the emulator's STS.
 *
 * The emulator's gaps, each worked around in test/support/moto/serve.py only (never in the product):
 * - EFS PutBackupPolicy (aws_efs_backup_policy), EFS DeleteFileSystemPolicy (the destroy of
 *   aws_efs_file_system_policy), ECR pull-through cache rules (aws_ecr_pull_through_cache_rule) and
 *   ECR repository creation templates (aws_ecr_repository_creation_template): moto 5.2.1 has none of
 *   these APIs; small in-memory versions added;
 * - S3 bucket policy conditions: moto ignores them, so the TLS-only deny (aws:SecureTransport =
 *   false) would deny every request; evaluated for an HTTPS request instead;
 * - S3 logging grants: moto wants the target policy's Resource to equal the prefix, AWS matches it
 *   as a wildcard (a grant on <log bucket>/s3/* covers s3/<bucket>/);
 * - security group rule descriptions of rules that reference a group or prefix list: moto drops
 *   them, so every such rule would plan an update forever; kept;
 * - a flow log's S3 destination with a key prefix: moto looks up a bucket named "<bucket>/<prefix>";
 *   the bucket is the part before the first "/", as on AWS;
 * - ECS CreateService drops capacityProviderStrategy, availabilityZoneRebalancing,
 *   enableECSManagedTags and healthCheckGracePeriodSeconds, so every service would plan a
 *   replacement or an update forever; kept, as moto's UpdateService keeps them.
 * - no gap for the web ACL (prod's load_balancer.waf): moto 5.2.1's wafv2 creates, reads back, associates
 *   and logs it as the provider asks, so it re-plans with no diff; the emulated endpoints include
 *   wafv2 (test/support/emulator.ts). Not emulated: what its rules do to requests;
 * - not worked around, named: moto does not refuse to delete a load balancer with deletion
 *   protection on (prod's `load_balancer.deletion_protection`), so the destroy below does not show
 *   that guard; AWS would refuse the delete until it is turned off.
 *
 * Order: a layer is applied once every layer it reads (stacks/contract.ts LAYER_READS, and
 * 00-bootstrap's state bucket) is applied, so 50-loadbalancer applies beside 30-storage and 40-iam;
 * the destroy goes the other way (a layer goes once every layer that reads it is gone). What a user
 * running the layers one by one gets is the same: each layer reads only its upstreams' applied state.
 *
 * The provider: three hashicorp/aws processes per environment, each attached by one terraform command
 * at a time (TF_REATTACH_PROVIDERS, test/support/terraform.ts `startSharedProvider`): a provider
 * holds one configuration, and each layer's differs (its `Layer` default tag). Two apply and destroy
 * the layers; the third serves the launcher's commands (`npm run drift`, and the destroy guard's
 * `npm run plan` and `npm run apply` beside the destroy). So `npm run drift` runs with
 * `--parallelism 1` here: its layers side by side would share one provider's configuration. Users'
 * terraform starts a provider per command, and the side-by-side plans are tested with the real
 * terraform in test/drift.test.ts and test/ci-roles.test.ts. (Without a shared provider, each of the
 * 14 drift plans paid for its own provider start and the binary's checksum: 295 s instead of about
 * 65 s, measured on the loaded machine.)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAYER_READS, LAYERS, stackId, type LayerId } from "../../stacks/contract";
import { loadSettings, type Settings } from "../../settings";
import type { DriftReport } from "../../commands/drift";
import type { PlanReport } from "../../commands/plan";
import { LAUNCHER, ROOT, spawnAsync } from "../support/cli";
import { emulatorEnv, importedObjects, OVERRIDE_FILE, writeEmulatorOverrides } from "../support/emulator";
import { awsJsonCall, makeTestCa, processCpuSeconds, skipWithoutMoto, startMoto, type MotoServer, type TestCa } from "../support/moto";
import { findTerraform, offlineTerraform, runAsync, skipWithoutTerraform, startSharedProvider, type RunResult, type SharedProvider, type Terraform } from "../support/terraform";

const ENVS = ["dev", "prod"] as const;
type Env = (typeof ENVS)[number];

const skip = skipWithoutTerraform("the emulator apply (test/emulator/)") || skipWithoutMoto("the emulator apply (test/emulator/)");

interface LayerRun {
  readonly layer: LayerId;
  readonly initMs: number;
  readonly applyMs: number;
  readonly apply: RunResult;
  /** When its init started and its apply ended (ms since the epoch). */
  readonly startedAt: number;
  readonly endedAt: number;
}

/** One shared provider and the terraform runner attached to it: one command at a time. */
interface Slot {
  readonly provider: SharedProvider;
  readonly tf: Terraform;
  /** terraform's environment: the emulator's CA and credentials, the shared provider. */
  readonly tfEnv: NodeJS.ProcessEnv;
}

/** Layers that must be applied before `layer` (and destroyed after it): what it reads, and the state bucket. */
const upstreamOf = (layer: LayerId): readonly LayerId[] => (layer === "00-bootstrap" ? [] : [...new Set<LayerId>(["00-bootstrap", ...LAYER_READS[layer]])]);
const downstreamOf = (layer: LayerId): readonly LayerId[] => LAYERS.filter((l) => upstreamOf(l).includes(layer));
const byLayerOrder = <T extends { layer: LayerId }>(xs: readonly T[], reverse = false) =>
  [...xs].sort((a, b) => (LAYERS.indexOf(a.layer) - LAYERS.indexOf(b.layer)) * (reverse ? -1 : 1));

/** Runs `work` on a free slot, waiting for one. */
function slotPool(slots: readonly Slot[]) {
  const free = [...slots];
  const waiting: ((slot: Slot) => void)[] = [];
  return async <R>(work: (slot: Slot) => Promise<R>): Promise<R> => {
    const slot = free.pop() ?? (await new Promise<Slot>((resolve) => waiting.push(resolve)));
    try {
      return await work(slot);
    } finally {
      const next = waiting.shift();
      if (next) next(slot);
      else free.push(slot);
    }
  };
}

/** Runs each layer once every layer in `before(layer)` has run and succeeded; false when one did not. */
function inGraphOrder(layers: readonly LayerId[], before: (l: LayerId) => readonly LayerId[], work: (l: LayerId) => Promise<boolean>): Promise<boolean[]> {
  const outcome = new Map<LayerId, Promise<boolean>>();
  const visit = (layer: LayerId): Promise<boolean> => {
    let p = outcome.get(layer);
    if (!p) {
      p = Promise.all(before(layer).map(visit)).then((ok) => (ok.every(Boolean) ? work(layer) : false));
      outcome.set(layer, p);
    }
    return p;
  };
  return Promise.all(layers.map(visit));
}

interface EnvRun {
  readonly env: Env;
  readonly settings: Settings;
  readonly moto: MotoServer;
  /** The launcher's slot (`npm run drift`, the destroy guard's plan and apply) and single commands. */
  readonly provider: SharedProvider;
  readonly tf: Terraform;
  readonly tfEnv: NodeJS.ProcessEnv;
  /** The two slots the layers' applies and destroys take turns on. */
  readonly slots: readonly Slot[];
  readonly applied: LayerRun[];
  drift?: { exit: number | null; stderr: string; report?: DriftReport; ms: number };
  destroyed: { layer: LayerId; result: RunResult; ms: number; startedAt: number; endedAt: number }[];
  /** The destroy guard on a stateful layer (dev only), through `npm run plan` and `npm run apply`. */
  guard?: GuardRun;
  /** Why the destroy guard scenario could not run to its end, if it could not. */
  guardError?: string;
}

/** One `node bin/lgtm.cjs` run: its exit, output and JSON report. */
interface CommandRun<R> {
  readonly exit: number | null;
  readonly output: string;
  readonly report?: R;
  readonly ms: number;
}

interface GuardRun {
  /** `npm run plan -- --layer 30-storage --save <dir>`, no --allow-destroy. */
  readonly refused: CommandRun<PlanReport>;
  /** `npm run apply -- --plans <that dir>`. */
  readonly applyRefused: CommandRun<undefined>;
  /** The same plan with --allow-destroy of the guarded address. */
  readonly allowed: CommandRun<PlanReport>;
  /** `npm run apply -- --plans <that dir>`. */
  readonly applied: CommandRun<undefined>;
  /** EFS file system ids on the emulator before and after. */
  readonly fileSystemsBefore: string[];
  readonly fileSystemsAfter: string[];
}

/** What the settings change deletes in the storage layer: Grafana's file system and its access point, both guarded. */
const GUARDED_ADDRESSES = ["aws_efs_access_point.grafana_access_point", "aws_efs_file_system.grafana_file_system"];
const ALLOW_DESTROY = "aws_efs_*";

/**
 * A copy of environments/ in which dev's Grafana keeps its database in PostgreSQL (grafana.database),
 * so it no longer needs its EFS file system: the storage layer's plan deletes it.
 */
function settingsWithExternalGrafanaDatabase(from: string, to: string, settings: Settings): void {
  fs.cpSync(from, to, { recursive: true });
  const { region, allowed_account_ids: [account] } = settings.aws;
  fs.appendFileSync(
    path.join(to, "dev.tfvars"),
    [
      "",
      "# The destroy guard scenario (test/emulator/apply.test.ts): Grafana moves to an external database.",
      "grafana = {",
      '  admin_user = "admin"',
      "  database = {",
      '    type                = "postgres"',
      `    host                = "grafana.cluster-emulator.${region}.rds.amazonaws.com"`,
      '    name                = "grafana"',
      '    user                = "grafana"',
      `    password_secret_arn = "arn:aws:secretsmanager:${region}:${account}:secret:lgtm/dev/grafana-database-AbC123"`,
      "  }",
      "}",
      "",
    ].join("\n"),
  );
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
  /** CPU seconds of this worker and every process it reaped, and the load, when the tier starts. */
  const cpuAtStart = processCpuSeconds("self", true);
  const loadAtStart = os.loadavg();

  const stackDir = (env: Env, layer: LayerId) => path.join(out, "stacks", stackId(env, layer));

  async function tfRun(run: EnvRun | Slot & { env: Env }, layer: LayerId, args: string[]): Promise<RunResult & { ms: number }> {
    const t = Date.now();
    const r = await runAsync(run.tf, stackDir(run.env, layer), args, run.tfEnv);
    // LGTM_EMULATOR_LOGS=<dir> keeps every command's output ("Creation complete after Ns" per resource).
    const logs = process.env.LGTM_EMULATOR_LOGS;
    if (logs) {
      fs.mkdirSync(logs, { recursive: true });
      fs.writeFileSync(path.join(logs, `${run.env}-${layer}-${args[0]}.log`), `${r.stdout}\n${r.stderr}`);
    }
    return { ...r, ms: Date.now() - t };
  }

  /**
   * Every layer, each once the layers it reads are applied, two at a time; a layer whose upstream
   * failed is not applied (it reads that state).
   */
  async function applyAll(run: EnvRun): Promise<void> {
    const onSlot = slotPool(run.slots);
    await inGraphOrder(LAYERS, upstreamOf, (layer) =>
      onSlot(async (slot) => {
        const on = { ...slot, env: run.env };
        const startedAt = Date.now();
        const init = await tfRun(on, layer, ["init", "-input=false"]);
        if (init.code !== 0) {
          run.applied.push({ layer, initMs: init.ms, applyMs: 0, apply: init, startedAt, endedAt: Date.now() });
          return false;
        }
        const apply = await tfRun(on, layer, ["apply", "-input=false", "-auto-approve"]);
        run.applied.push({ layer, initMs: init.ms, applyMs: apply.ms, apply, startedAt, endedAt: Date.now() });
        timings.push(`${run.env}-${layer}: init ${init.ms} ms, apply ${apply.ms} ms (exit ${apply.code})`);
        return apply.code === 0;
      }),
    );
  }

  /** `npm run drift` of every layer (00-bootstrap named, its local state is here), as users run it. */
  async function drift(run: EnvRun): Promise<void> {
    const [report, json] = [path.join(work, `drift-${run.env}.md`), path.join(work, `drift-${run.env}.json`)];
    const t = Date.now();
    // One layer at a time: they share the launcher slot's provider (see the header).
    const r = await spawnAsync(
      process.execPath,
      [LAUNCHER, "drift", "--env", run.env, "--no-synth", "--out", out, ...LAYERS.flatMap((l) => ["--layer", l]), "--parallelism", "1", "--report", report, "--json", json],
      { env: { ...process.env, ...run.tfEnv, LGTM_TERRAFORM: findTerraform() } },
    );
    run.drift = { exit: r.status, stderr: r.stderr, ms: Date.now() - t, report: fs.existsSync(json) ? (JSON.parse(fs.readFileSync(json, "utf8")) as DriftReport) : undefined };
    timings.push(`${run.env} drift (${LAYERS.length} layers): ${run.drift.ms} ms (exit ${r.status})`);
  }

  /** `node bin/lgtm.cjs <args>` (what `npm run <command> -- <args>` runs) against this environment's emulator. */
  async function lgtm<R>(run: EnvRun, args: string[], json?: string): Promise<CommandRun<R>> {
    const t = Date.now();
    const r = await spawnAsync(process.execPath, [LAUNCHER, ...args], { env: { ...process.env, ...run.tfEnv, LGTM_TERRAFORM: findTerraform() } });
    const report = json && fs.existsSync(json) ? (JSON.parse(fs.readFileSync(json, "utf8")) as R) : undefined;
    return { exit: r.status, output: `${r.stdout}\n${r.stderr}`, report, ms: Date.now() - t };
  }

  /** EFS file system ids in the environment's account on its emulator. */
  async function fileSystems(run: EnvRun): Promise<string[]> {
    const r = await awsJsonCall(run.moto, ca, { service: "elasticfilesystem", get: "/2015-02-01/file-systems", region: run.settings.aws.region });
    if (r.status !== 200) throw new Error(`DescribeFileSystems: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    return ((r.body.FileSystems ?? []) as { FileSystemId: string }[]).map((x) => x.FileSystemId).sort();
  }

  /**
   * The destroy guard on the stateful layer, as a user meets it, on the applied stack: a copy of the
   * settings moves Grafana to an external database, so 30-storage's plan deletes Grafana's EFS file
   * system and access point (guarded types: they hold its database and dashboards). `npm run plan`
   * must refuse it (exit 3), `npm run apply` must refuse that saved plan, and with `--allow-destroy`
   * the plan is saved and `npm run apply` deletes them on the emulator. Runs beside the destroy of the
   * layers above (it touches only 30-storage's state), through the launcher as users run it.
   */
  async function destroyGuard(run: EnvRun): Promise<void> {
    const environments = path.join(work, "environments-external-grafana-database");
    settingsWithExternalGrafanaDatabase(path.join(ROOT, "environments"), environments, run.settings);
    const changed = path.join(work, "out-external-grafana-database");
    const synth = await lgtm(run, ["synth", "--env", run.env, "--environments", environments, "--out", changed]);
    if (synth.exit !== 0) throw new Error(`lgtm synth of the changed settings failed (exit ${synth.exit}):\n${synth.output}`);
    const dir = path.join(changed, "stacks", stackId(run.env, "30-storage"));
    writeEmulatorOverrides(dir, run.moto.endpoint);
    const common = ["--env", run.env, "--environments", environments, "--out", changed, "--no-synth"];
    const plan = (name: string, extra: string[]) =>
      lgtm<PlanReport>(run, ["plan", ...common, "--layer", "30-storage", "--save", path.join(work, name), "--json", path.join(work, `${name}.json`), ...extra], path.join(work, `${name}.json`));
    const apply = (name: string) => lgtm<undefined>(run, ["apply", ...common, "--plans", path.join(work, name)]);
    const fileSystemsBefore = await fileSystems(run);
    const refused = await plan("plan-guarded", []);
    const applyRefused = await apply("plan-guarded");
    const allowed = await plan("plan-allowed", ["--allow-destroy", ALLOW_DESTROY]);
    const applied = await apply("plan-allowed");
    run.guard = { refused, applyRefused, allowed, applied, fileSystemsBefore, fileSystemsAfter: await fileSystems(run) };
    timings.push(`${run.env} destroy guard: plan ${refused.ms} ms (exit ${refused.exit}), apply refused ${applyRefused.ms} ms (exit ${applyRefused.exit}), plan --allow-destroy ${allowed.ms} ms (exit ${allowed.exit}), apply ${applied.ms} ms (exit ${applied.exit})`);
  }

  /**
   * Reverse order, as an operator would: `terraform destroy` of each layer once every layer that
   * reads it is gone; a refused destroy keeps the layers below it (they hold what it reads).
   * `before` runs ahead of a layer's destroy.
   */
  async function destroyDown(run: EnvRun, before: Partial<Record<LayerId, (run: EnvRun) => Promise<void>>> = {}): Promise<void> {
    const onSlot = slotPool(run.slots);
    await inGraphOrder([...LAYERS].reverse(), downstreamOf, async (layer) => {
      await before[layer]?.(run).catch((e: unknown) => {
        run.guardError = e instanceof Error ? e.message : String(e);
      });
      const r = await onSlot((slot) => tfRun({ ...slot, env: run.env }, layer, ["destroy", "-input=false", "-auto-approve"]));
      run.destroyed.push({ layer, result: r, ms: r.ms, startedAt: Date.now() - r.ms, endedAt: Date.now() });
      timings.push(`${run.env}-${layer}: destroy ${r.ms} ms (exit ${r.code})`);
      return r.code === 0;
    });
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
          region: settings.aws.region,
          ca,
          work,
          fixtures: {
            // The public zone the settings name by id, made by hand before the first apply (README).
            hosted_zones: domain ? [{ id: domain.zone_id, name: domain.name.split(".").slice(1).join(".") }] : [],
            // What the stacks' import blocks take over (settings adopt: prod's bucket and repositories).
            ...importedObjects(LAYERS.map((l) => stackDir(env, l))),
          },
        });
        const awsEnv = emulatorEnv(ca, settings.aws.region);
        // The provider process reads the credentials and the trusted roots from its own environment.
        const [launcher, ...slots] = await Promise.all(
          [0, 1, 2].map(async (i): Promise<Slot> => {
            const provider = await startSharedProvider(awsEnv);
            const tf = offlineTerraform(path.join(work, `tf-${env}-${i}`), provider);
            return { provider, tf, tfEnv: { ...tf.env, ...awsEnv } };
          }),
        );
        for (const layer of LAYERS) writeEmulatorOverrides(stackDir(env, layer), moto.endpoint);
        runs.set(env, { env, settings, moto, ...launcher, slots, applied: [], destroyed: [] });
      }),
    );
    // dev and prod side by side: two emulators, two providers, one terraform command each at a time.
    await Promise.all(
      [...runs.values()].map(async (run) => {
        await applyAll(run);
        if (run.applied.every((a) => a.apply.code === 0) && run.applied.length === LAYERS.length) await drift(run);
      }),
    );
    // Above vitest.config.mts's hook limit: 14 layers applied and planned. A ceiling, not an estimate:
    // the applies alone took 20 min on this 2-core machine shared with other work (load average 18-30).
  }, 2_400_000);

  afterAll(async () => {
    const wallMs = Date.now() - started;
    console.log(`emulator tier timings (wall ${wallMs} ms):\n  ${timings.join("\n  ")}`);
    // CPU: the shared providers and the emulators are still running (read from /proc); every
    // terraform and launcher process has been reaped, so it is in this worker's children's time.
    const providers = [...runs.values()].reduce((sum, r) => sum + [r, ...r.slots].reduce((n, slot) => n + processCpuSeconds(slot.provider.pid), 0), 0);
    const emulators = [...runs.values()].reduce((sum, r) => sum + processCpuSeconds(r.moto.pid), 0);
    const rest = processCpuSeconds("self", true) - cpuAtStart;
    const report = emulatorReport(wallMs, { providers, emulators, rest });
    console.log(`\nemulator tier figures:\n${JSON.stringify(report, null, 2)}\n`);
    if (process.env.LGTM_EMULATOR_REPORT) fs.writeFileSync(process.env.LGTM_EMULATOR_REPORT, `${JSON.stringify(report, null, 2)}\n`);
    for (const run of runs.values()) {
      for (const slot of [run, ...run.slots]) slot.provider.stop();
      await run.moto.stop();
    }
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** The figures issue #24 asks for, per environment and layer (LGTM_EMULATOR_REPORT=<file> writes them). */
  function emulatorReport(wallMs: number, cpu: { providers: number; emulators: number; rest: number }) {
    const s = (ms: number) => Math.round(ms / 100) / 10;
    const r1 = (x: number) => Math.round(x * 10) / 10;
    return {
      wall_s: s(wallMs),
      cpu_s: { total: r1(cpu.providers + cpu.emulators + cpu.rest), aws_providers: r1(cpu.providers), emulators: r1(cpu.emulators), terraform_launcher_and_test: r1(cpu.rest) },
      load_average: { start: loadAtStart.map(r1), end: os.loadavg().map(r1), cores: os.cpus().length },
      environments: Object.fromEntries(
        [...runs.values()].map((run) => {
          const drift = run.drift?.report?.layers ?? [];
          const layers = byLayerOrder(run.applied).map((a) => {
            const d = drift.find((l) => l.layer === a.layer);
            return {
              layer: a.layer,
              init_s: s(a.initMs),
              apply_s: s(a.applyMs),
              apply_exit: a.apply.code,
              /** Resources and outputs the re-plan (`npm run drift`) would change, drift included: 0 expected. */
              replan_diffs: d ? (d.status === "error" ? "error" : d.drift.length + d.changes.length + d.outputs.length) : null,
              /** Resources the refresh changed that are not drift (commands/drift.ts). */
              refreshed_not_drift: d ? d.refreshed.length : null,
            };
          });
          const g = run.guard;
          return [
            run.env,
            {
              layers,
              drift_s: run.drift ? s(run.drift.ms) : null,
              drift_exit: run.drift?.exit ?? null,
              destroy: byLayerOrder(run.destroyed, true).map((d) => ({ layer: d.layer, destroy_s: s(d.ms), exit: d.result.code })),
              ...(g
                ? {
                    destroy_guard: {
                      plan_exit: g.refused.exit,
                      apply_of_refused_plan_exit: g.applyRefused.exit,
                      plan_with_allow_destroy_exit: g.allowed.exit,
                      apply_exit: g.applied.exit,
                      seconds: s(g.refused.ms + g.applyRefused.ms + g.allowed.ms + g.applied.ms),
                    },
                  }
                : {}),
            },
          ];
        }),
      ),
    };
  }

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
    it(`WHEN every layer of ${env} is applied, each after the layers it reads THEN each applies in one pass`, () => {
      const run = runs.get(env)!;
      const failed = run.applied.find((a) => a.apply.code !== 0);
      expect(failed ? `${failed.layer}: ${errorOf(failed.apply)}` : "", "the first layer that failed").toBe("");
      expect(byLayerOrder(run.applied).map((a) => a.layer)).toEqual([...LAYERS]);
      const endOf = (l: LayerId) => run.applied.find((a) => a.layer === l)!.endedAt;
      const early = run.applied.flatMap((a) => upstreamOf(a.layer).filter((u) => endOf(u) > a.startedAt).map((u) => `${a.layer} started before ${u} was applied`));
      expect(early).toEqual([]);
    });

    it(`WHEN every layer of ${env} is planned again by \`npm run drift\` THEN no layer has a change, a drift or an error, and it exits 0`, () => {
      const run = runs.get(env)!;
      expect(run.drift, "drift ran (every layer applied)").toBeDefined();
      const report = run.drift!.report;
      expect(report, run.drift!.stderr).toBeDefined();
      const dirty = report!.layers
        .filter((l) => l.status !== "no changes")
        .map((l) => `${l.layer} ${l.status}: ${[...l.drift, ...l.changes, ...l.outputs].map((e) => `${e.address} ${e.action} (${e.detail})`).join("; ")}${l.error ? l.error.message : ""}`);
      const counts = report!.layers.map((l) => `${l.layer} ${l.status === "error" ? "error" : l.drift.length + l.changes.length + l.outputs.length}`).join(", ");
      timings.push(`${env} re-plan diffs per layer (drift + changes + outputs): ${counts}`);
      timings.push(`${env} refreshed-only resources per layer (not drift): ${report!.layers.map((l) => `${l.layer} ${l.refreshed.length}`).join(", ")}`);
      expect(dirty).toEqual([]);
      expect(report!.layers.map((l) => l.layer)).toEqual([...LAYERS]);
      expect(run.drift!.exit).toBe(0);
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
    const destroyLine = (d: EnvRun["destroyed"][number]) => `${d.layer} ${d.result.code}`;
    /** terraform's errors of the destroys that failed, for the assertion message. */
    /** Layers destroyed while a layer that reads them was still there: none expected. */
    const early = (run: EnvRun) =>
      run.destroyed.flatMap((d) => downstreamOf(d.layer).filter((x) => (run.destroyed.find((y) => y.layer === x)?.endedAt ?? Infinity) > d.startedAt).map((x) => `${d.layer} before ${x}`));
    const destroyErrors = (run: EnvRun) => run.destroyed.filter((d) => d.result.code !== 0).map((d) => `${d.layer}: ${errorOf(d.result)}`).join("\n");

    beforeAll(async () => {
      await Promise.all(
        [...runs.values()]
          .filter((r) => r.applied.length === LAYERS.length && r.applied.every((a) => a.apply.code === 0))
          .map((r) => {
            if (r.env !== "dev") return destroyDown(r);
            // Beside the destroy of the layers above; 30-storage's own destroy waits for it.
            const guard = destroyGuard(r);
            return destroyDown(r, { "30-storage": () => guard });
          }),
      );
    }, 1_800_000);

    it("WHEN dev (storage.force_destroy = true) is destroyed THEN 60-ecs to 10-network go, and 00-bootstrap is refused: the state bucket has prevent_destroy", () => {
      const run = runs.get("dev")!;
      expect(byLayerOrder(run.destroyed, true).map(destroyLine), destroyErrors(run)).toEqual([...LAYERS].reverse().map((l) => `${l} ${l === "00-bootstrap" ? 1 : 0}`));
      expect(early(run)).toEqual([]);
      const refused = errorOf(run.destroyed.find((d) => d.layer === "00-bootstrap")!.result);
      expect(refused).toContain("Instance cannot be destroyed");
      expect(refused).toContain("aws_s3_bucket.state_bucket");
    });

    it("WHEN dev's settings move Grafana to an external database THEN `npm run plan -- --layer 30-storage` refuses the delete of its file system and access point (exit 3, a guarded destroy) and `npm run apply` refuses that saved plan", () => {
      const g = runs.get("dev")!.guard;
      expect(runs.get("dev")!.guardError ?? "", "the destroy guard scenario's error").toBe("");
      expect(g, "the destroy guard scenario ran (dev's layers above 30-storage were destroyed)").toBeDefined();
      expect(g!.refused.exit, g!.refused.output.slice(-3000)).toBe(3);
      expect(g!.refused.report?.result).toBe("guarded destroy");
      expect(g!.refused.report?.guarded.map((x) => `${x.address} ${x.action} allowed=${x.allowed}`).sort()).toEqual(GUARDED_ADDRESSES.map((a) => `${a} delete allowed=false`));
      for (const a of GUARDED_ADDRESSES) expect(g!.refused.output).toContain(`--allow-destroy '${a}'`);
      expect(g!.applyRefused.exit, g!.applyRefused.output.slice(-3000)).toBe(2);
      expect(g!.applyRefused.output).toContain("the plan has a guarded destroy that no --allow-destroy allowed");
      expect(g!.applyRefused.output).toContain("Nothing was applied");
      expect(g!.fileSystemsBefore).toHaveLength(1);
    });

    it("WHEN the same plan names them with `--allow-destroy 'aws_efs_*'` THEN it is saved (exit 2) and `npm run apply` deletes the file system on the emulator", () => {
      const g = runs.get("dev")!.guard!;
      expect(g.allowed.exit, g.allowed.output.slice(-3000)).toBe(2);
      expect(g.allowed.report?.guarded.map((x) => `${x.address} ${x.action} allowed=${x.allowed}`).sort()).toEqual(GUARDED_ADDRESSES.map((a) => `${a} delete allowed=true`));
      expect(g.applied.exit, g.applied.output.slice(-3000)).toBe(0);
      expect(g.applied.output).toContain("Applied: 30-storage.");
      expect(g.fileSystemsAfter).toEqual([]);
    });

    it("WHEN prod is destroyed THEN 60-ecs, 50-loadbalancer and 40-iam go, and 30-storage is refused: the data bucket and Grafana's file system have prevent_destroy", () => {
      const run = runs.get("prod")!;
      // 20-security waits for 30-storage, which is refused: it and 10-network stay.
      expect(byLayerOrder(run.destroyed, true).map(destroyLine), destroyErrors(run)).toEqual(["60-ecs 0", "50-loadbalancer 0", "40-iam 0", "30-storage 1"]);
      expect(early(run)).toEqual([]);
      const refused = errorOf(run.destroyed.find((d) => d.layer === "30-storage")!.result);
      expect(refused).toContain("Instance cannot be destroyed");
      expect(refused).toMatch(/aws_s3_bucket\.data_bucket|aws_efs_file_system\./);
    });
  });
});
