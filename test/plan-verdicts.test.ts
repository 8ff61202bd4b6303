/**
 * The verdicts of the plan, drift and apply commands, in process and without terraform: which
 * changes the destroy guard holds, what each combination of layer results exits with, which
 * upstream layers make a plan stale, and every reason apply refuses a saved folder. The commands
 * end to end (a stand-in terraform, saved plans) are test/plan.test.ts and test/drift.test.ts.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { refusals } from "../commands/apply";
import { globMatches, isGuarded, unmatchedPatterns } from "../commands/destroy-guard";
import { overall as driftOverall, type LayerResult } from "../commands/drift";
import { guardedChanges, overall, upstreamNotes, whyOf, type LayerReview, type Manifest, type ResourceChange } from "../commands/plan";
import { stackId, type LayerId } from "../stacks/contract";

const change = (address: string, action: string, o: Partial<ResourceChange> = {}): ResourceChange => ({
  address,
  type: address.split(".")[0],
  action,
  attributes: [],
  forcing: [],
  reason: "",
  ...o,
});

const review = (layer: LayerId, status: LayerReview["status"], changes: ResourceChange[] = []): LayerReview => ({
  layer,
  stack: stackId("prod", layer),
  dir: `cdktf.out/stacks/${stackId("prod", layer)}`,
  status,
  counts: { create: 0, update: 0, replace: 0, delete: 0, "no-op": 0 },
  changes,
  outputs: [],
  drifted: 0,
  notes: [],
  extra: [],
  stack_sha256: "0".repeat(64),
});

describe("GIVEN the destroy guard", () => {
  it("WHEN a guarded type is deleted or replaced THEN it is guarded; created, updated or another type is not", () => {
    expect(isGuarded("aws_s3_bucket", "delete")).toBe(true);
    expect(isGuarded("aws_s3_bucket", "replace")).toBe(true);
    expect(isGuarded("aws_s3_bucket", "update")).toBe(false);
    expect(isGuarded("aws_s3_bucket", "create")).toBe(false);
    expect(isGuarded("aws_s3_object", "delete")).toBe(false);
    // Only the table's own keys, not what every object inherits.
    expect(isGuarded("toString", "delete")).toBe(false);
  });

  it("WHEN patterns are matched THEN the whole address must match, and the unmatched ones are named", () => {
    expect(globMatches("aws_s3_bucket.data", "aws_s3_bucket.data_old")).toBe(false);
    expect(globMatches("aws_s3_bucket.data", "x.aws_s3_bucket.data")).toBe(false);
    expect(globMatches("aws_s3_bucket.da?a", "aws_s3_bucket.data")).toBe(true);
    expect(globMatches("aws_s3_bucket.d+", "aws_s3_bucket.dd")).toBe(false);
    expect(globMatches("aws_s3_bucket.data(1)", "aws_s3_bucket.data(1)")).toBe(true);
    expect(unmatchedPatterns(["aws_s3_bucket.*", "aws_lb.*", "aws_vpc.main"], ["aws_s3_bucket.data", "aws_vpc.main"])).toEqual(["aws_lb.*"]);
  });

  it("WHEN guarded changes are collected THEN each names its layer, type, reason and why, a same-type create hints at a rename, and --allow-destroy marks it", () => {
    const layers = [
      review("30-storage", "changes", [
        change("aws_s3_bucket.old", "delete", { reason: "no longer in the configuration" }),
        change("aws_s3_bucket.new", "create"),
        change("aws_efs_file_system.fs", "replace", { forcing: ["creation_token"], attributes: ["creation_token", "tags"] }),
        change("aws_s3_object.config", "delete"),
        change("aws_ecr_repository.r", "update", { attributes: ["tags"] }),
      ]),
      review("50-loadbalancer", "changes", [change("aws_lb.public_alb", "delete", { attributes: [] })]),
    ];
    const guarded = guardedChanges(layers, ["aws_efs_*"]);
    expect(guarded.map((g) => [g.layer, g.address, g.action, g.allowed])).toEqual([
      ["30-storage", "aws_s3_bucket.old", "delete", false],
      ["30-storage", "aws_efs_file_system.fs", "replace", true],
      ["50-loadbalancer", "aws_lb.public_alb", "delete", false],
    ]);
    expect(guarded[0].detail).toBe("no longer in the configuration; aws_s3_bucket.new is created in the same plan: a renamed construct? a `moved` block keeps the resource");
    expect(guarded[0].reason).toMatch(/^holds data/);
    expect(guarded[1].detail).toBe("creation_token forces replacement");
    // No create of the same type beside it: no rename hint.
    expect(guarded[2].detail).toBe("");
  });

  it("WHEN a rename hint is considered THEN only a delete gets one, only from creates of its own type, naming each of them; any one --allow-destroy pattern allows", () => {
    const layers = [
      review("30-storage", "changes", [
        change("aws_s3_bucket.old", "delete"),
        change("aws_s3_bucket.new_a", "create"),
        change("aws_s3_bucket.new_b", "create"),
        change("aws_s3_bucket.kept", "update", { attributes: ["tags"] }),
        change("aws_efs_file_system.fs", "replace", { reason: "r" }),
        change("aws_efs_file_system.other", "create"),
        change("aws_ecr_repository.gone", "delete", { reason: "no longer in the configuration" }),
        change("aws_ecr_lifecycle_policy.new", "create"),
        change("aws_ecr_repository.updated", "update", { attributes: ["tags"] }),
      ]),
    ];
    const guarded = guardedChanges(layers, ["aws_lb.*", "aws_ecr_repository.gone"]);
    expect(guarded.map((g) => [g.address, g.detail, g.allowed])).toEqual([
      ["aws_s3_bucket.old", "; aws_s3_bucket.new_a, aws_s3_bucket.new_b is created in the same plan: a renamed construct? a `moved` block keeps the resource", false],
      ["aws_efs_file_system.fs", "r", false],
      ["aws_ecr_repository.gone", "no longer in the configuration", true],
    ]);
  });

  it("WHEN why a change happens is told THEN forcing attributes come first, then Terraform's reason, then the changed attributes", () => {
    expect(whyOf(change("a.b", "replace", { forcing: ["x", "y"], reason: "r", attributes: ["z"] }))).toBe("x, y forces replacement");
    expect(whyOf(change("a.b", "replace", { reason: "r", attributes: ["z"] }))).toBe("r");
    expect(whyOf(change("a.b", "delete", { forcing: ["x"], attributes: ["z"] }))).toBe("z");
    expect(whyOf(change("a.b", "update", { attributes: ["z", "w"] }))).toBe("z, w");
  });
});

describe("GIVEN the plan's overall verdict", () => {
  const blocked = guardedChanges([review("30-storage", "changes", [change("aws_s3_bucket.data", "delete")])], []);
  const allowed = guardedChanges([review("30-storage", "changes", [change("aws_s3_bucket.data", "delete")])], ["aws_s3_bucket.data"]);

  it("WHEN layers fail, hold a blocked destroy, change or not THEN the exit code is 1 over 3 over 2 over 0", () => {
    expect(overall([review("10-network", "no changes")], [])).toEqual({ result: "no changes", exit_code: 0 });
    expect(overall([review("10-network", "changes"), review("20-security", "no changes")], [])).toEqual({ result: "changes", exit_code: 2 });
    expect(overall([review("30-storage", "changes")], allowed)).toEqual({ result: "changes", exit_code: 2 });
    expect(overall([review("30-storage", "changes")], blocked)).toEqual({ result: "guarded destroy", exit_code: 3 });
    expect(overall([review("30-storage", "changes"), review("40-iam", "error")], blocked)).toEqual({ result: "error", exit_code: 1 });
  });

  it("WHEN an upstream layer has pending changes THEN each layer reading it gets one note naming them, in the singular or plural", () => {
    const notes = upstreamNotes([review("10-network", "changes"), review("20-security", "changes"), review("30-storage", "no changes"), review("60-ecs", "no changes")]);
    expect(notes.get("10-network")).toBeUndefined();
    expect(notes.get("20-security")).toEqual([expect.stringMatching(/^upstream 10-network has pending changes in this plan; .* after it is applied$/)]);
    expect(notes.get("60-ecs")).toEqual([expect.stringMatching(/^upstream 10-network, 20-security have pending changes in this plan; .* after they are applied$/)]);
    expect(upstreamNotes([review("10-network", "error"), review("20-security", "no changes")]).size).toBe(0);
  });
});

describe("GIVEN the drift check's overall verdict", () => {
  const layer = (status: LayerResult["status"]): LayerResult => ({ layer: "10-network", stack: "prod-10-network", dir: ".", status, drift: [], refreshed: [], changes: [], outputs: [], notes: [] });
  it("WHEN layers fail, drift, have pending changes or none THEN the result is error (1) over drift (2) over changes pending (2) over no changes (0)", () => {
    expect(driftOverall([layer("no changes")])).toEqual({ result: "no changes", exit_code: 0 });
    expect(driftOverall([layer("no changes"), layer("changes pending")])).toEqual({ result: "changes pending", exit_code: 2 });
    expect(driftOverall([layer("changes pending"), layer("drift")])).toEqual({ result: "drift", exit_code: 2 });
    expect(driftOverall([layer("drift"), layer("error")])).toEqual({ result: "error", exit_code: 1 });
    expect(driftOverall([])).toEqual({ result: "no changes", exit_code: 0 });
  });
});

describe("GIVEN a saved plan folder and a synth output", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-verdicts-"));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const sha = (data: string) => createHash("sha256").update(data).digest("hex");
  const outdir = path.join(root, "cdktf.out");
  const plans = path.join(root, "plans");
  const stackJson = (layer: LayerId) => `{"stack":"${layer}"}`;
  for (const layer of ["10-network", "20-security"] as const) {
    fs.mkdirSync(path.join(outdir, "stacks", stackId("prod", layer)), { recursive: true });
    fs.writeFileSync(path.join(outdir, "stacks", stackId("prod", layer), "cdk.tf.json"), stackJson(layer));
  }
  fs.mkdirSync(plans, { recursive: true });
  fs.writeFileSync(path.join(plans, "10-network.tfplan"), "plan bytes");
  const manifest = (o: Partial<Manifest> = {}): Manifest => ({
    format: 1,
    env: "prod",
    terraform_version: "1.11.4",
    exit_code: 2,
    result: "changes",
    layers: [
      { layer: "10-network", stack: "prod-10-network", status: "changes", stack_sha256: sha(stackJson("10-network")), plan_file: "10-network.tfplan", plan_sha256: sha("plan bytes") },
      { layer: "20-security", stack: "prod-20-security", status: "no changes", stack_sha256: sha(stackJson("20-security")) },
    ],
    ...o,
  });
  const options = { env: "prod", plans, outdir, synth: false };

  it("WHEN everything matches THEN apply has no reason to refuse", () => {
    expect(refusals(manifest(), options)).toEqual([]);
  });

  it("WHEN the environment, the plan's verdict, a layer, a stack or a plan file is wrong THEN each reason is named", () => {
    expect(refusals(manifest({ env: "dev" }), options)).toEqual(['the plans are for environment "dev", not "prod"']);
    const failed = manifest({ exit_code: 1, layers: [...manifest().layers, { layer: "30-storage", stack: "prod-30-storage", status: "error", stack_sha256: "" }] });
    expect(refusals(failed, options)[0]).toBe("a layer could not be planned (30-storage)");
    const twoFailed = manifest({
      exit_code: 1,
      layers: [...manifest().layers, ...(["30-storage", "40-iam"] as const).map((layer) => ({ layer, stack: `prod-${layer}`, status: "error" as const, stack_sha256: "" }))],
    });
    expect(refusals(twoFailed, options)[0]).toBe("a layer could not be planned (30-storage, 40-iam)");
    expect(refusals(manifest({ exit_code: 3 }), options)).toEqual(["the plan has a guarded destroy that no --allow-destroy allowed"]);
    const unknown = manifest({ layers: [{ layer: "70-extra" as LayerId, stack: "x", status: "changes", stack_sha256: "" }] });
    expect(refusals(unknown, options)).toEqual(['unknown layer "70-extra"']);
    const stale = manifest({ layers: [{ ...manifest().layers[1], stack_sha256: sha("another synth") }] });
    expect(refusals(stale, options)).toEqual([expect.stringMatching(/^20-security: the stack JSON differs from the one that was planned/)]);
    const missingStack = manifest({ layers: [{ ...manifest().layers[1], layer: "40-iam" }] });
    expect(refusals(missingStack, options)).toEqual([expect.stringMatching(/^40-iam: no synthesized stack at .*prod-40-iam.cdk\.tf\.json$/)]);
    const missingPlan = manifest({ layers: [{ ...manifest().layers[0], plan_file: "other.tfplan" }] });
    expect(refusals(missingPlan, options)).toEqual([`10-network: plan file ${path.join(plans, "other.tfplan")} is missing`]);
    const swapped = manifest({ layers: [{ ...manifest().layers[0], plan_sha256: sha("other bytes") }] });
    expect(refusals(swapped, options)).toEqual([`10-network: plan file ${path.join(plans, "10-network.tfplan")} is not the one that was saved (sha256 differs)`]);
    // A plan file path is only ever read from the folder itself.
    const escaping = manifest({ layers: [{ ...manifest().layers[0], plan_file: "../plans/10-network.tfplan" }] });
    expect(refusals(escaping, options)).toEqual([]);
  });
});
