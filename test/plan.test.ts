/**
 * commands/plan.ts and commands/apply.ts, review before apply: the review of plan JSON written by
 * the real terraform (test/fixtures/make-review-fixtures.sh), its Markdown and text, the destroy
 * guard, and both commands around a stand-in terraform (order, flags, saved plans, hash checks,
 * exit codes). The real terraform end to end against an S3 backend is in test/plan-apply.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runApply } from "../commands/apply";
import { UsageError } from "../commands/cli";
import { GUARDED_TYPES, globMatches } from "../commands/destroy-guard";
import {
  guardedChanges,
  LAYER_SECTIONS,
  MARKDOWN_LIMIT,
  overall,
  renderMarkdown,
  renderText,
  reviewPlan,
  runPlan,
  type LayerReview,
  type PlanOptions,
  type PlanReport,
  upstreamNotes,
} from "../commands/plan";
import type { PlanJson } from "../commands/terraform";
import { LAYERS, stackId, type LayerId } from "../stacks/contract";
import { estimateCost, loadPrices } from "../cost";
import { loadSettings } from "../settings";
import { runCli, runInProcess } from "./support/cli";
import { fakeTerraform } from "./support/fake-terraform";
import { envFileWith, shippedFile, tempEnvironments } from "./support/settings";
import { MUTATION_RUN } from "./support/mutation";

const FIXTURES = path.join(__dirname, "fixtures");
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8")) as PlanJson;
/** Every value the fixtures' plans hold that a review must never print. */
const VALUES = ["old-s3cr3t-value", "new-s3cr3t-value", "9009", "image:1.1", "image:1.0", "gone soon", "fixture-data", "fixture-logs"];

function layerOf(layer: LayerId, plan: PlanJson): LayerReview {
  const r = reviewPlan(plan);
  const status = r.changes.length > 0 || r.outputs.length > 0 ? "changes" : "no changes";
  return { layer, stack: stackId("prod", layer), dir: `cdktf.out/stacks/prod-${layer}`, status, ...r, notes: [], extra: [], stack_sha256: "0".repeat(64) };
}

function reportOf(layers: LayerReview[], allow: string[] = []): PlanReport {
  const guarded = guardedChanges(layers, allow);
  return { env: "prod", terraform_version: "1.11.4", ...overall(layers, guarded), guarded, allow_destroy: allow, layers, skipped: [] };
}

describe("GIVEN plan JSON written by the real terraform for every kind of change", () => {
  const review = reviewPlan(fixture("review-changes.json"));

  it("WHEN reviewed THEN it counts create, update, replace, delete and no-op", () => {
    expect(review.counts).toEqual({ create: 1, update: 2, replace: 1, delete: 1, "no-op": 1 });
  });

  it("WHEN reviewed THEN each changed address has its changed attribute names, the forcing attribute of the replace, and Terraform's reason for the delete", () => {
    expect(review.changes).toEqual([
      { address: "terraform_data.added", type: "terraform_data", action: "create", attributes: [], forcing: [], reason: "" },
      { address: "terraform_data.removed", type: "terraform_data", action: "delete", attributes: [], forcing: [], reason: "no longer in the configuration" },
      { address: "terraform_data.replaced", type: "terraform_data", action: "replace", attributes: ["triggers_replace"], forcing: ["triggers_replace"], reason: "" },
      { address: "terraform_data.secret", type: "terraform_data", action: "update", attributes: ["input (sensitive)"], forcing: [], reason: "" },
      { address: "terraform_data.updated", type: "terraform_data", action: "update", attributes: ["input"], forcing: [], reason: "" },
    ]);
  });

  it("WHEN reviewed THEN output changes are listed, the sensitive one marked", () => {
    expect(review.outputs).toEqual([
      { name: "token", action: "update", sensitive: true },
      { name: "updated", action: "update", sensitive: false },
    ]);
  });

  it("WHEN rendered as Markdown and text THEN names are shown and no value is, not even the sensitive ones", () => {
    const report = reportOf([layerOf("30-storage", fixture("review-changes.json"))]);
    const markdown = renderMarkdown(report);
    const text = renderText(report);
    expect(markdown).toContain("| `terraform_data.replaced` | replace | triggers_replace forces replacement |");
    expect(markdown).toContain("| `terraform_data.secret` | update | input (sensitive) |");
    expect(markdown).toContain("| `output.token` | update | (sensitive) |");
    expect(markdown).toContain("| 30-storage | **changes** | 1 | 2 | 1 | 1 | 1 | 2 |");
    expect(markdown).toContain("<details open><summary><b>30-storage</b>: 1 to create, 2 to update, 1 to replace, 1 to delete, 2 outputs changed</summary>");
    expect(text).toContain("replace  terraform_data.replaced  (triggers_replace forces replacement)");
    expect(text).toContain("Result: changes to review, exit code 2.");
    for (const value of VALUES) {
      expect(markdown).not.toContain(value);
      expect(text).not.toContain(value);
    }
  });

  it("WHEN a layer reads an upstream layer with pending changes THEN the review says its plan reads the applied upstream state", () => {
    const network = layerOf("10-network", fixture("review-changes.json"));
    const security = layerOf("20-security", fixture("review-changes.json"));
    const notes = upstreamNotes([network, security]);
    expect(notes.get("10-network")).toBeUndefined();
    expect(notes.get("20-security")?.[0]).toContain("upstream 10-network has pending changes in this plan; this layer's plan reads the applied upstream state, not the planned one");
  });
});

describe("GIVEN the destroy guard", () => {
  it("WHEN read THEN every guarded type has a reason, and the types the issue names are all there", () => {
    for (const type of ["aws_s3_bucket", "aws_efs_file_system", "aws_efs_access_point", "aws_ecr_repository", "aws_cloudwatch_log_group", "aws_service_discovery_private_dns_namespace", "aws_secretsmanager_secret", "aws_vpc", "aws_lb"]) {
      expect(GUARDED_TYPES[type], type).toMatch(/^(holds|is) .{30,}/);
    }
  });

  it("WHEN a plan deletes a bucket THEN the delete is blocked, shown first in its own block, and the exit code is 3", () => {
    const report = reportOf([layerOf("30-storage", fixture("review-changes.json")), layerOf("30-storage", fixture("review-delete-bucket.json"))]);
    expect(report.guarded).toEqual([
      { layer: "30-storage", address: "aws_s3_bucket.logs", type: "aws_s3_bucket", action: "delete", reason: GUARDED_TYPES.aws_s3_bucket, detail: "no longer in the configuration", allowed: false },
    ]);
    expect(report).toMatchObject({ result: "guarded destroy", exit_code: 3 });
    const markdown = renderMarkdown(report);
    const block = markdown.indexOf("## ⛔ Destroys that need --allow-destroy");
    expect(block).toBeGreaterThan(0);
    expect(block).toBeLessThan(markdown.indexOf("| Layer | Status |"));
    expect(markdown).toContain("| 30-storage | `aws_s3_bucket.logs` | **delete** | no longer in the configuration |");
    expect(markdown).toContain("plan again with `--allow-destroy 'aws_s3_bucket.logs'`");
    expect(renderText(report).split("\n")[2]).toBe("!! DESTROYS THAT NEED --allow-destroy (they hold data or identity):");
    expect(renderText(report)).toContain("   If intended, plan again with --allow-destroy 'aws_s3_bucket.logs'\n");
  });

  it("WHEN a bucket's construct is renamed THEN Terraform's delete of the old address is caught and named as a likely rename", () => {
    const report = reportOf([layerOf("30-storage", fixture("review-rename-bucket.json"))]);
    expect(report.guarded.map((g) => [g.address, g.action, g.allowed])).toEqual([["aws_s3_bucket.data", "delete", false]]);
    expect(report.guarded[0].detail).toContain("aws_s3_bucket.blocks is created in the same plan: a renamed construct?");
    expect(report.exit_code).toBe(3);
  });

  it("WHEN every guarded address is named by --allow-destroy (address or glob) THEN the plan is just changes, exit 2", () => {
    const layers = [layerOf("30-storage", fixture("review-rename-bucket.json"))];
    expect(reportOf(layers, ["aws_s3_bucket.data"])).toMatchObject({ result: "changes", exit_code: 2 });
    const globbed = reportOf(layers, ["aws_s3_bucket.*"]);
    expect(globbed.guarded[0].allowed).toBe(true);
    expect(renderMarkdown(globbed)).toContain("## Destroys allowed by --allow-destroy");
  });

  it("WHEN globs are matched THEN * and ? are wildcards and the brackets and quotes of an address are literal", () => {
    expect(globMatches('aws_s3_bucket.data["a"]', 'aws_s3_bucket.data["a"]')).toBe(true);
    expect(globMatches("aws_s3_bucket.dat?", "aws_s3_bucket.data")).toBe(true);
    expect(globMatches("aws_s3_bucket.d*", "aws_s3_bucket.logs")).toBe(false);
    expect(globMatches("aws_s3_bucket.data", "aws_s3_bucket.data2")).toBe(false);
  });
});

describe("GIVEN a review too long for one GitHub comment", () => {
  const many = layerOf("60-ecs", fixture("review-changes.json"));
  const big: LayerReview = { ...many, changes: Array.from({ length: 3000 }, (_, i) => ({ ...many.changes[4], address: `terraform_data.updated_${i}` })) };
  const report = reportOf([layerOf("30-storage", fixture("review-delete-bucket.json")), big]);

  it("WHEN rendered as Markdown THEN it stays under 65,536 characters, keeps the destroy block and the summary, and says it was truncated", () => {
    const markdown = renderMarkdown(report);
    expect(markdown.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(markdown).toContain("## ⛔ Destroys that need --allow-destroy");
    expect(markdown).toContain("| 60-ecs | **changes** |");
    expect(markdown).toMatch(/> \*\*Truncated:\*\* \d+ more lines did not fit GitHub's 65,536-character limit/);
    expect(markdown).toContain("terraform_data.updated_0`");
    expect(markdown).not.toContain("terraform_data.updated_2999`");
    expect(markdown.match(/<details/g)?.length).toBe(markdown.match(/<\/details>/g)?.length);
  });

  it("WHEN it fits THEN there is no truncation note", () => {
    expect(renderMarkdown(reportOf([many]))).not.toContain("Truncated");
  });
});

// ---------------------------------------------------------------------------------------------
// The commands around a stand-in terraform
// ---------------------------------------------------------------------------------------------

describe("GIVEN synthesized stacks of prod and a stand-in terraform", () => {
  let work: string;
  let out: string;
  const stackFile = (layer: LayerId) => path.join(out, "stacks", stackId("prod", layer), "cdk.tf.json");
  const options = (over: Partial<PlanOptions> = {}): PlanOptions => ({
    env: "prod",
    layers: ["10-network", "30-storage"],
    explicitLayers: true,
    outdir: out,
    synth: false,
    allowDestroy: [],
    format: "text",
    ...over,
  });
  const scenario = { "prod-10-network": { show: "review-changes.json" }, "prod-30-storage": { show: "review-delete-bucket.json" } };

  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-plan-"));
    out = path.join(work, "out");
    for (const layer of LAYERS) {
      fs.mkdirSync(path.dirname(stackFile(layer)), { recursive: true });
      fs.writeFileSync(stackFile(layer), JSON.stringify({ resource: { terraform_data: { [layer.slice(3)]: {} } } }));
    }
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  it("WHEN planned THEN each layer runs init, plan without the lock to a file, show -json, in deploy order, and no plan file stays in the synth output", async () => {
    const tf = fakeTerraform(scenario);
    const report = await runPlan(options({ layers: ["30-storage", "10-network"] as LayerId[] }), tf);
    expect(tf.steps()).toEqual(["prod-10-network init", "prod-10-network plan", "prod-10-network show", "prod-30-storage init", "prod-30-storage plan", "prod-30-storage show"]);
    expect(tf.calls.find((c) => c.args[0] === "plan")?.args).toEqual(["plan", "-input=false", "-lock=false", "-detailed-exitcode", "-out=review.tfplan"]);
    expect(report).toMatchObject({ result: "guarded destroy", exit_code: 3 });
    expect(fs.readdirSync(path.dirname(stackFile("10-network")))).toEqual(["cdk.tf.json"]);
  });

  it("WHEN a layer cannot be planned THEN the others still are and the exit code is 1, over the guarded destroy", async () => {
    const report = await runPlan(options(), fakeTerraform({ ...scenario, "prod-10-network": { plan: 1 } }));
    expect(report.layers.map((l) => [l.layer, l.status])).toEqual([["10-network", "error"], ["30-storage", "changes"]]);
    expect(report).toMatchObject({ result: "error", exit_code: 1 });
  });

  it("WHEN every layer's init fails the same way (no credentials) THEN the text and Markdown reviews print terraform's error once, naming the layers", async () => {
    const all = ["10-network", "20-security", "30-storage", "40-iam", "50-loadbalancer", "60-ecs"] as LayerId[];
    const report = await runPlan(options({ layers: all }), fakeTerraform(Object.fromEntries(all.map((l) => [stackId("prod", l), { init: true }]))));
    expect(report.layers.every((l) => l.error?.message.includes("AccessDenied"))).toBe(true);
    for (const text of [renderText(report), renderMarkdown(report)]) {
      expect(text.split("AccessDenied").length - 1).toBe(1);
      expect(text).toContain("10-network, 20-security, 30-storage, 40-iam, 50-loadbalancer, 60-ecs");
    }
    expect(renderText(report)).toContain("60-ecs: terraform init failed\n   the same error as 10-network, above");
    expect(renderMarkdown(report)).toContain("`terraform init` failed (exit 1) with the same error as 10-network, above.");
    // Different errors each keep their own text.
    const mixed = await runPlan(options(), fakeTerraform({ ...scenario, "prod-10-network": { plan: 1 }, "prod-30-storage": { init: true } }));
    expect(renderText(mixed)).toContain("AccessDenied");
    expect(renderText(mixed)).not.toContain("the same error");
  });

  it("WHEN a cost estimator (or any section) is hooked in THEN its section appears in that layer's review", async () => {
    LAYER_SECTIONS.push(({ layer, stack }) => ({ title: "Estimated cost", lines: [`${layer}: ${Object.keys((stack as { resource: object }).resource).join(",")}`] }));
    try {
      const report = await runPlan(options({ allowDestroy: ["aws_s3_bucket.logs"] }), fakeTerraform(scenario));
      expect(report.layers[1].extra).toEqual([{ title: "Estimated cost", lines: ["30-storage: terraform_data"] }]);
      expect(renderMarkdown(report)).toContain("**Estimated cost**\n\n30-storage: terraform_data");
    } finally {
      LAYER_SECTIONS.pop();
    }
  });

  describe("AND the deployed settings run Mimir on X86_64 (--cost-base)", () => {
    let base: ReturnType<typeof tempEnvironments>;
    beforeEach(async () => {
      base = tempEnvironments({ "common.tfvars": shippedFile("common.tfvars"), "prod.tfvars": await envFileWith("prod", { services: { mimir: { cpu_architecture: "X86_64" } } }) });
    });
    afterEach(() => base.cleanup());
    const estimate = async (environmentsDir?: string) => {
      const s = await loadSettings("prod", { environmentsDir, onWarning: () => undefined });
      return estimateCost(s, loadPrices(s.aws.region, s.cost.prices));
    };

    it("WHEN planned THEN the review prices both settings per layer and in total, and only 60-ecs changes, by the ARM64 saving", async () => {
      const [before, after] = [await estimate(base.dir), await estimate()];
      const report = await runPlan(options({ costBase: base.dir, allowDestroy: ["aws_s3_bucket.logs"] }), fakeTerraform(scenario));
      const rows = Object.fromEntries(report.cost!.rows.map((r) => [r.layer, r]));
      const r2 = (x: number) => Math.round(x * 100) / 100;
      expect(rows.total).toEqual({ layer: "total", before: r2(before.total), after: r2(after.total), delta: r2(after.total - before.total) });
      expect(rows["60-ecs"].delta).toBeLessThan(0);
      for (const layer of ["10-network", "30-storage", "50-loadbalancer"]) expect(rows[layer].delta, layer).toBe(0);
      const md = renderMarkdown(report);
      expect(md).toContain("| Layer | Before | After | Change |");
      expect(md).toMatch(new RegExp(`\\| 60-ecs \\| [0-9,.]+ \\| [0-9,.]+ \\| −${r2(before.byLayer["60-ecs"] - after.byLayer["60-ecs"]).toLocaleString("en-US", { minimumFractionDigits: 2 })} \\|`));
      expect(renderText(report)).toContain(`Monthly cost estimate: ${before.total.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })} →`);
    });

    it("WHEN the base has no file for the environment THEN before is nothing (a new environment) and says so", async () => {
      fs.rmSync(path.join(base.dir, "prod.tfvars"));
      const report = await runPlan(options({ costBase: base.dir, allowDestroy: ["aws_s3_bucket.logs"] }), fakeTerraform(scenario));
      const total = report.cost!.rows.find((r) => r.layer === "total")!;
      expect(total.before).toBe(0);
      expect(total.delta).toBe(total.after);
      expect(report.cost!.base).toContain("no prod.tfvars there: a new environment");
    });

    it("WHEN the base settings do not load THEN the plan fails naming --cost-base and the problem", async () => {
      fs.writeFileSync(path.join(base.dir, "prod.tfvars"), 'project = "X"\n');
      await expect(runPlan(options({ costBase: base.dir, allowDestroy: ["aws_s3_bucket.logs"] }), fakeTerraform(scenario))).rejects.toThrow(/--cost-base .*: the base settings do not load[\s\S]*project/);
    });

    it("WHEN no base is given THEN the review shows the cost after apply and how to get the before", async () => {
      const report = await runPlan(options({ allowDestroy: ["aws_s3_bucket.logs"] }), fakeTerraform(scenario));
      expect(report.cost!.rows.every((r) => r.before === undefined)).toBe(true);
      expect(renderMarkdown(report)).toContain("Before: none (pass --cost-base <environments dir> for the before figures).");
    });
  });

  it("WHEN --allow-destroy matches no guarded change THEN it is a usage error and nothing is saved", async () => {
    const save = path.join(work, "plans");
    const run = runPlan(options({ allowDestroy: ["aws_s3_bucket.logs", "aws_s3_bucket.typo*"], save }), fakeTerraform(scenario));
    await expect(run).rejects.toThrow(UsageError);
    await expect(runPlan(options({ allowDestroy: ["aws_s3_bucket.typo*"], save }), fakeTerraform(scenario))).rejects.toThrow(
      "--allow-destroy 'aws_s3_bucket.typo*' matches no guarded delete or replace in this plan (guarded: aws_s3_bucket.logs); nothing was saved",
    );
    expect(fs.existsSync(path.join(save, "manifest.json"))).toBe(false);
  });

  it("WHEN the layer an --allow-destroy was meant for cannot be planned THEN the failed layer is reported (exit 1), not a usage error", async () => {
    const report = await runPlan(options({ allowDestroy: ["aws_s3_bucket.logs"] }), fakeTerraform({ ...scenario, "prod-30-storage": { init: true } }));
    expect(report).toMatchObject({ result: "error", exit_code: 1, guarded: [] });
  });

  describe("AND plans saved with --save", () => {
    const save = () => path.join(work, "plans");
    const planAndSave = async (allowDestroy = ["aws_s3_bucket.logs"]) => runPlan(options({ save: save(), allowDestroy, layers: ["10-network", "20-security", "30-storage"] }), fakeTerraform(scenario));

    it("WHEN saved THEN the folder holds each changed layer's plan file, every layer's summary, the reviews and a manifest with the stack JSON hashes", async () => {
      const report = await planAndSave();
      expect(report.exit_code).toBe(2);
      expect(fs.readdirSync(save()).sort()).toEqual([
        "10-network.summary.json",
        "10-network.tfplan",
        "20-security.summary.json",
        "30-storage.summary.json",
        "30-storage.tfplan",
        "manifest.json",
        "plan.json",
        "plan.md",
      ]);
      const manifest = JSON.parse(fs.readFileSync(path.join(save(), "manifest.json"), "utf8"));
      expect(manifest.layers.map((l: { layer: string; plan_file?: string }) => [l.layer, l.plan_file ?? null])).toEqual([
        ["10-network", "10-network.tfplan"],
        ["20-security", null],
        ["30-storage", "30-storage.tfplan"],
      ]);
      const { createHash } = await import("node:crypto");
      expect(manifest.layers[0].stack_sha256).toBe(createHash("sha256").update(fs.readFileSync(stackFile("10-network"))).digest("hex"));
    });

    it("WHEN applied THEN exactly the saved plan files are applied, in deploy order, and the unchanged layer is skipped", async () => {
      await planAndSave();
      const tf = fakeTerraform();
      const result = await runApply({ env: "prod", plans: save(), outdir: out, synth: false }, tf);
      expect(result).toEqual({ applied: ["10-network", "30-storage"], unchanged: ["20-security"] });
      expect(tf.steps()).toEqual(["prod-10-network init", "prod-10-network apply", "prod-30-storage init", "prod-30-storage apply"]);
      expect(tf.calls.filter((c) => c.args[0] === "apply").map((c) => c.args)).toEqual([
        ["apply", "-input=false", path.resolve(save(), "10-network.tfplan")],
        ["apply", "-input=false", path.resolve(save(), "30-storage.tfplan")],
      ]);
    });

    it("WHEN an apply fails THEN the run stops there and names the layers applied before it", async () => {
      await planAndSave();
      const tf = fakeTerraform({ "prod-10-network": { apply: true } });
      const result = await runApply({ env: "prod", plans: save(), outdir: out, synth: false }, tf);
      expect(result).toMatchObject({ applied: [], failed: { layer: "10-network", step: "apply", message: expect.stringContaining("BucketAlreadyExists") } });
      expect(tf.steps()).toEqual(["prod-10-network init", "prod-10-network apply"]);
    });

    it("WHEN a stack JSON changed after the plan (another synth) THEN apply refuses before applying anything", async () => {
      await planAndSave();
      fs.appendFileSync(stackFile("30-storage"), "\n");
      const tf = fakeTerraform();
      await expect(runApply({ env: "prod", plans: save(), outdir: out, synth: false }, tf)).rejects.toThrow(
        /^refusing to apply .*plans: 30-storage: the stack JSON differs from the one that was planned \(another synth: the code or settings changed since\); plan and review again\. Nothing was applied\.$/,
      );
      expect(tf.calls).toEqual([]);
    });

    it("WHEN the plans are another environment's, a plan file was swapped, or the guard blocked the plan THEN apply refuses, naming each reason", async () => {
      await planAndSave([]);
      fs.writeFileSync(path.join(save(), "10-network.tfplan"), "another plan");
      const tf = fakeTerraform();
      const refused = runApply({ env: "dev", plans: save(), outdir: out, synth: false }, tf);
      await expect(refused).rejects.toThrow(UsageError);
      await expect(runApply({ env: "dev", plans: save(), outdir: out, synth: false }, tf)).rejects.toThrow(
        /the plans are for environment "prod", not "dev"; the plan has a guarded destroy that no --allow-destroy allowed; .*10-network: plan file .*10-network.tfplan is not the one that was saved \(sha256 differs\)/,
      );
      await expect(runApply({ env: "prod", plans: path.join(work, "nothing"), outdir: out, synth: false }, tf)).rejects.toThrow("no manifest.json; make the folder with `npm run plan");
      expect(tf.calls).toEqual([]);
    });

    it("WHEN --save names a folder of other files THEN it is refused and left alone", async () => {
      fs.mkdirSync(save());
      fs.writeFileSync(path.join(save(), "notes.txt"), "mine");
      await expect(planAndSave()).rejects.toThrow("holds other files");
      expect(fs.readdirSync(save())).toEqual(["notes.txt"]);
    });
  });
});

describe.skipIf(MUTATION_RUN)("GIVEN the shipped prod settings, synthesized for the plan and again for the apply (as the deploy pipeline does)", () => {
  it("WHEN the second synth goes to another folder THEN every stack hash matches and the saved plans are applied", async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-plan-resynth-"));
    try {
      const scenario = { "prod-10-network": { show: "review-changes.json" } };
      const plans = path.join(work, "plans");
      const report = await runPlan(
        { env: "prod", layers: ["10-network", "40-iam"], explicitLayers: true, outdir: path.join(work, "for-plan"), synth: true, save: plans, allowDestroy: [], format: "text" },
        fakeTerraform(scenario),
      );
      expect(report.exit_code).toBe(2);
      const tf = fakeTerraform();
      const result = await runApply({ env: "prod", plans, outdir: path.join(work, "for-apply"), synth: true }, tf);
      expect(result).toEqual({ applied: ["10-network"], unchanged: ["40-iam"] });
      expect(tf.steps()).toEqual(["prod-10-network init", "prod-10-network apply"]);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("GIVEN bad input on the command line", () => {
  // One fresh process per command, as a user runs it (node bin/lgtm.cjs, what `npm run plan` /
  // `npm run apply` run); the other cases in-process through the same reporter (runInProcess).
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { env });
  const plan = async (args: string[]) => runInProcess(await import("../commands/plan"), args);
  const apply = async (args: string[]) => runInProcess(await import("../commands/apply"), args);
  const firstLine = (text: string) => text.split("\n")[0];

  it("WHEN the environment or a layer is unknown THEN plan exits 1 (a settings error, as in every command) or 2 (a bad layer) with one line naming it, and no stack trace", async () => {
    const env = await plan(["--env", "staging", "--no-synth"]);
    expect(env.status).toBe(1);
    // The settings loader's own wording: "invalid settings (1 problem):" and the problem.
    expect(env.stderr).toContain('environments/staging.tfvars: unknown environment "staging": no such file');
    const layer = await plan(["--env", "prod", "--layer", "netwrk"]);
    expect(layer.status).toBe(2);
    expect(firstLine(layer.stderr)).toBe('unknown layer "netwrk"; did you mean "10-network"? (layers: 00-bootstrap, 10-network, 20-security, 30-storage, 40-iam, 50-loadbalancer, 60-ecs)');
    for (const r of [env, layer]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("WHEN terraform is missing THEN plan (a fresh process) exits 1 saying how to provide it", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-plan-cli-"));
    try {
      const stack = path.join(work, "stacks", "prod-10-network", "cdk.tf.json");
      fs.mkdirSync(path.dirname(stack), { recursive: true });
      fs.writeFileSync(stack, "{}");
      const r = cli(["plan", "--env", "prod", "--no-synth", "--out", work, "--layer", "10-network"], { LGTM_TERRAFORM: path.join(work, "no-terraform") });
      expect(r.status).toBe(1);
      expect(firstLine(r.stderr)).toBe(`terraform is not runnable as "${path.join(work, "no-terraform")}" (could not run ${path.join(work, "no-terraform")}: spawnSync ${path.join(work, "no-terraform")} ENOENT); install Terraform >= 1.11 or set LGTM_TERRAFORM`);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it("WHEN apply is given no --plans (a fresh process), or a folder that is no saved plan THEN it exits 2 and applies nothing", async () => {
    const none = cli(["apply", "--env", "prod"]);
    expect(none.status).toBe(2);
    expect(firstLine(none.stderr)).toBe("--plans is required: the folder `npm run plan -- --save <dir>` wrote (apply only applies reviewed plans)");
    const empty = await apply(["--env", "prod", "--no-synth", "--plans", os.tmpdir()]);
    expect(empty.status).toBe(2);
    expect(firstLine(empty.stderr)).toContain(`--plans ${os.tmpdir()}: no manifest.json`);
  });
});
