/**
 * Adopting an existing deployment (issue 19): the existing data bucket and ECR repositories become
 * Terraform import blocks in 30-storage, and synth warns about names the previous stack used.
 * (terraform validate and the mock apply of the import blocks run in the terraform tiers, on prod,
 * which adopts them; test/stability.test.ts shows nothing is recreated.)
 */
import { beforeAll, describe, expect, it } from "vitest";
import { adoptionWarning, adoptionWarnings, createdNames, SERVICE_NAMES, type Settings } from "../settings";
import { overrideError, settingsWith, shipped } from "./support/settings";
import { synthLayer, type StackJson } from "./support/synth";

type WithImports = StackJson & { import?: { to: string; id: string }[] };

describe("GIVEN the shipped prod settings (the seeds' live stack)", () => {
  let s: Settings;
  let stack: WithImports;
  beforeAll(async () => {
    s = await shipped("prod");
    stack = synthLayer(s, "30-storage") as WithImports;
  });

  it("WHEN 30-storage is synthesized THEN the data bucket is imported by name into the address a fresh deployment creates, and no repository (the tasks pull through the cache)", () => {
    expect(stack.import).toEqual([{ to: "aws_s3_bucket.data_bucket", id: "jsj-lgtm-data-s3" }]);
    for (const i of stack.import!) {
      const [type, name] = i.to.split(".");
      expect(stack.resource?.[type]?.[name], i.to).toBeDefined();
    }
  });

  it("WHEN names are compared with the previous stack's THEN synth warns about the cluster, the ALB and the six log groups, not about what it adopts", () => {
    const warnings = adoptionWarnings(s);
    const named = warnings.map((w) => /"([^"]+)"/.exec(w)![1]).sort();
    expect(named).toEqual(["/ecs/lgtm-alloy", "/ecs/lgtm-grafana", "/ecs/lgtm-loki", "/ecs/lgtm-mimir", "/ecs/lgtm-pyroscope", "/ecs/lgtm-tempo", "lgtm-prod-alb", "lgtm-prod-cluster"].sort());
    expect(warnings[0]).toMatch(/^prod: adopt\.previous_names: "[^"]+" is also the .* this project creates; .*see docs\/migration\.md$/);
    // Synth says them once: one warning naming all eight.
    const one = adoptionWarning(s)!;
    expect(one).toMatch(/^prod: adopt\.previous_names: 8 names of the previous stack are also names this project creates: .*; see docs\/migration\.md$/);
    expect(one.match(/"[^"]+" \([^)]+\)/g)!.map((x) => x.slice(1, x.indexOf('"', 1)))).toEqual(warnings.map((w) => /"([^"]+)"/.exec(w)![1]));
    expect(createdNames(s).filter((c) => c.adopted).map((c) => c.name)).toEqual(["jsj-lgtm-data-s3"]);
    // The old lgtm-<service> repositories are in previous_names but this project creates none of that name.
    expect(createdNames(s).map((c) => c.name)).not.toContain("lgtm-mimir");
  });
});

describe("GIVEN adoption settings", () => {
  it("WHEN image_source = \"ecr\" adopts the six repositories the seeds' stack had THEN 30-storage imports each into the address a fresh deployment creates, and the gateway's is created", async () => {
    const s = await settingsWith({ image_source: "ecr", adopt: { ecr_repositories: ["mimir", "loki", "tempo", "pyroscope", "grafana", "alloy"] } });
    const stack = synthLayer(s, "30-storage") as WithImports;
    expect(stack.import).toEqual([
      { to: "aws_s3_bucket.data_bucket", id: "jsj-lgtm-data-s3" },
      ...s.adopt.ecr_repositories.map((n) => ({ to: `aws_ecr_repository.ecr_${n}`, id: `lgtm-${n}` })),
    ]);
    for (const i of stack.import!) expect(stack.resource?.[i.to.split(".")[0]]?.[i.to.split(".")[1]], i.to).toBeDefined();
    expect(createdNames(s).filter((c) => c.adopted).map((c) => c.name).sort()).toEqual(["jsj-lgtm-data-s3", ...SERVICE_NAMES.filter((n) => n !== "gateway").map((n) => `lgtm-${n}`)].sort());
  });

  it("WHEN repositories are adopted while image_source is not \"ecr\" THEN loading refuses it: no such repository is created", async () => {
    expect(await overrideError({ adopt: { ecr_repositories: ["mimir"] } })).toContain(
      'environments/prod.tfvars: adopt.ecr_repositories: image_source = "pull_through" creates no lgtm-<service> repositories to adopt (the tasks pull from the pull-through cache); remove it',
    );
  });

  it("WHEN the bucket is not adopted but its name was the previous stack's THEN synth warns about it and 30-storage imports nothing for it", async () => {
    const s = await settingsWith({ adopt: { data_bucket: false } });
    expect(adoptionWarnings(s).some((w) => w.includes('"jsj-lgtm-data-s3" is also the data bucket (30-storage)'))).toBe(true);
    const imports = (synthLayer(s, "30-storage") as WithImports).import ?? [];
    expect(imports.map((i) => i.to)).not.toContain("aws_s3_bucket.data_bucket");
  });

  it("WHEN dev adopts nothing THEN it has no import block and no warning", async () => {
    const s = await shipped("dev");
    expect((synthLayer(s, "30-storage") as WithImports).import).toBeUndefined();
    expect(adoptionWarnings(s)).toEqual([]);
    expect(adoptionWarning(s)).toBeUndefined();
  });

  it("WHEN a repository to adopt names no service THEN loading fails naming the key and suggesting one", async () => {
    expect(await overrideError({ adopt: { ecr_repositories: ["mimr"] } })).toContain('environments/prod.tfvars: adopt.ecr_repositories[0]: unknown service "mimr"; did you mean "mimir"?');
  });
});
