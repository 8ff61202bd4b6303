/**
 * 30-storage: the data bucket's lifecycle follows each service's retention and never touches
 * Mimir's ruler/alertmanager state; with image_source = "ecr" one ECR repository per service with scan
 * on push and a keep-last policy (and none otherwise); with "pull_through" creation templates that make
 * the cache's repositories immutable and lifecycled (issue 26).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { SERVICE_NAMES } from "../settings";
import { settingsWith, shipped } from "./support/settings";
import { inventoryOf, resourceOf, resourcesOf, synthLayer, type StackJson } from "./support/synth";

type Rule = {
  id: string;
  status: string;
  filter: { prefix: string }[];
  expiration?: { days: number }[];
  transition?: { days: number; storage_class: string }[];
  abort_incomplete_multipart_upload?: { days_after_initiation: number }[];
};

const rulesOf = (stack: StackJson): Rule[] => resourceOf(stack, "aws_s3_bucket_lifecycle_configuration", "data").rule as Rule[];
const ruleById = (stack: StackJson, id: string): Rule => {
  const rule = rulesOf(stack).find((r) => r.id === id);
  if (!rule) throw new Error(`no lifecycle rule "${id}"; rules: ${rulesOf(stack).map((r) => r.id).join(", ")}`);
  return rule;
};
/** Rule id → [filter prefix, expiration days] for the rules that expire objects. */
/** Age-based expirations (the whole-bucket delete-marker clean-up has no days and is checked in audit-logs.test.ts). */
const expirations = (stack: StackJson) =>
  Object.fromEntries(rulesOf(stack).filter((r) => r.expiration?.[0].days !== undefined).map((r) => [r.id, [r.filter[0].prefix, r.expiration![0].days]]));

const ENVIRONMENTS = [
  {
    env: "prod",
    // prod: the pull-through cache rules, registry scanning and S3 access logging; three AZs.
    inventory: {
      "aws_ecr_pull_through_cache_rule": 2,
      "aws_ecr_registry_scanning_configuration": 1,
      "aws_ecr_repository_creation_template": 2,
      "aws_efs_access_point": 1,
      "aws_efs_backup_policy": 1,
      "aws_efs_file_system": 1,
      "aws_efs_file_system_policy": 1,
      "aws_efs_mount_target": 3,
      "aws_s3_bucket": 1,
      "aws_s3_bucket_lifecycle_configuration": 1,
      "aws_s3_bucket_logging": 1,
      "aws_s3_bucket_ownership_controls": 1,
      "aws_s3_bucket_policy": 1,
      "aws_s3_bucket_public_access_block": 1,
      "aws_s3_bucket_server_side_encryption_configuration": 1,
      "aws_s3_bucket_versioning": 1,
      "data.terraform_remote_state": 2,
    },
    bucket: "jsj-lgtm-data-s3",
    forceDestroy: false,
    // retention_days + lifecycle_margin_days (30): Mimir and Loki 365, Tempo 7, Pyroscope 30.
    expirations: {
      "mimir-blocks-expire": ["blocks/", 395],
      "loki-expire": ["loki/", 395],
      "tempo-expire": ["tempo/", 37],
      "pyroscope-expire": ["pyroscope/", 60],
    },
  },
  {
    env: "dev",
    // dev: no pull-through cache, no audit logs; two AZs.
    inventory: {
      "aws_efs_access_point": 1,
      "aws_efs_backup_policy": 1,
      "aws_efs_file_system": 1,
      "aws_efs_file_system_policy": 1,
      "aws_efs_mount_target": 2,
      "aws_s3_bucket": 1,
      "aws_s3_bucket_lifecycle_configuration": 1,
      "aws_s3_bucket_ownership_controls": 1,
      "aws_s3_bucket_policy": 1,
      "aws_s3_bucket_public_access_block": 1,
      "aws_s3_bucket_server_side_encryption_configuration": 1,
      "aws_s3_bucket_versioning": 1,
      "data.terraform_remote_state": 2,
    },
    bucket: "jsj-lgtm-dev-data-s3",
    forceDestroy: true,
    // dev keeps Mimir and Loki 30 days.
    expirations: {
      "mimir-blocks-expire": ["blocks/", 60],
      "loki-expire": ["loki/", 60],
      "tempo-expire": ["tempo/", 37],
      "pyroscope-expire": ["pyroscope/", 60],
    },
  },
] as const;

describe.each(ENVIRONMENTS)("GIVEN the shipped $env settings", (expected) => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(await shipped(expected.env), "30-storage");
  });

  it("WHEN synthesized THEN each live data prefix expires at its service's retention plus the margin", () => {
    expect(expirations(stack)).toEqual(expected.expirations);
    for (const id of Object.keys(expected.expirations)) expect(ruleById(stack, id).status).toBe("Enabled");
  });

  it("WHEN synthesized THEN the Mimir ruler and alertmanager prefixes are covered by no expiring rule", () => {
    for (const rule of rulesOf(stack).filter((r) => r.expiration?.[0].days !== undefined)) {
      const prefix = rule.filter[0].prefix;
      expect(prefix, `rule ${rule.id} expires the whole bucket`).not.toBe("");
      expect("rules/".startsWith(prefix) || prefix.startsWith("rules"), `rule ${rule.id} reaches rules/`).toBe(false);
      expect("alerts/".startsWith(prefix) || prefix.startsWith("alerts"), `rule ${rule.id} reaches alerts/`).toBe(false);
    }
    expect(rulesOf(stack).map((r) => r.filter[0].prefix)).not.toContain("rules/");
    expect(rulesOf(stack).map((r) => r.filter[0].prefix)).not.toContain("alerts/");
  });

  it("WHEN synthesized THEN incomplete multipart uploads are aborted bucket-wide and nothing else is", () => {
    const abort = ruleById(stack, "abort-incomplete-uploads");
    expect(abort.filter).toEqual([{ prefix: "" }]);
    expect(abort.abort_incomplete_multipart_upload).toEqual([{ days_after_initiation: 7 }]);
    expect(abort.expiration).toBeUndefined();
    expect(abort.transition).toBeUndefined();
  });

  it("WHEN synthesized THEN the data bucket is private, encrypted, TLS-only and force_destroy follows the setting", () => {
    const bucket = resourceOf(stack, "aws_s3_bucket", "data");
    expect(bucket.bucket).toBe(expected.bucket);
    expect(bucket.force_destroy).toBe(expected.forceDestroy);
    // An environment that keeps its data cannot destroy the bucket through a plan.
    expect(bucket.lifecycle?.prevent_destroy ?? false).toBe(!expected.forceDestroy);
    expect(resourceOf(stack, "aws_s3_bucket_server_side_encryption_configuration", "data").rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe("AES256");
    const block = resourceOf(stack, "aws_s3_bucket_public_access_block", "data");
    expect([block.block_public_acls, block.block_public_policy, block.ignore_public_acls, block.restrict_public_buckets]).toEqual([true, true, true, true]);
    expect(resourceOf(stack, "aws_s3_bucket_policy", "data").policy).toContain("aws:SecureTransport");
    // Versioned (issue 17): a delete only hides an object for storage.noncurrent_version_days.
    expect(resourceOf(stack, "aws_s3_bucket_versioning", "data").versioning_configuration).toEqual({ status: "Enabled" });
  });

  it("WHEN synthesized THEN no lgtm-<service> repository exists (no task would pull from it) and the repository outputs are empty", () => {
    expect(resourcesOf(stack, "aws_ecr_repository")).toEqual({});
    expect(stack.output?.data_bucket_name.value).toBe("${aws_s3_bucket.data_bucket.bucket}");
    expect(stack.output?.data_bucket_arn.value).toBe("${aws_s3_bucket.data_bucket.arn}");
    for (const out of ["ecr_repository_urls", "ecr_repository_arns"]) expect(stack.output?.[out].value).toEqual({});
  });

  it("WHEN synthesized THEN it holds the data bucket with its sub-resources, the Grafana file system with a mount target per AZ and (prod) the pull-through cache, and nothing else", () => {
    expect(inventoryOf(stack)).toEqual(expected.inventory);
  });
});

describe("GIVEN prod settings with Tempo kept 14 days instead of 7", () => {
  it("WHEN synthesized THEN only the tempo rule moves, to 44 days", async () => {
    const before = expirations(synthLayer(await shipped("prod"), "30-storage"));
    const after = expirations(synthLayer(await settingsWith({ services: { tempo: { retention_days: 14 } } }), "30-storage"));
    expect(after["tempo-expire"]).toEqual(["tempo/", 44]);
    expect({ ...after, "tempo-expire": before["tempo-expire"] }).toEqual(before);
  });
});

describe("GIVEN prod settings with a 60-day lifecycle margin", () => {
  it("WHEN synthesized THEN every live rule moves by the margin and the ruler/alertmanager prefixes still never expire", async () => {
    const stack = synthLayer(await settingsWith({ storage: { lifecycle_margin_days: 60 } }), "30-storage");
    expect(expirations(stack)).toEqual({
      "mimir-blocks-expire": ["blocks/", 425],
      "loki-expire": ["loki/", 425],
      "tempo-expire": ["tempo/", 67],
      "pyroscope-expire": ["pyroscope/", 90],
    });
  });
});

describe("GIVEN prod settings with a STANDARD_IA transition at 30 days", () => {
  it("WHEN synthesized THEN every live prefix transitions and no other rule does", async () => {
    const stack = synthLayer(await settingsWith({ storage: { transitions: [{ days: 30, storage_class: "STANDARD_IA" }] } }), "30-storage");
    const transitioned = rulesOf(stack).filter((r) => r.transition).map((r) => r.id).sort();
    expect(transitioned).toEqual(["loki-expire", "mimir-blocks-expire", "pyroscope-expire", "tempo-expire"]);
    for (const id of transitioned) expect(ruleById(stack, id).transition).toEqual([{ days: 30, storage_class: "STANDARD_IA" }]);
  });
});

describe.each([
  ["shipped", {}, 30, "IMMUTABLE", true],
  ["other ECR options", { ecr: { scan_on_push: false, keep_last_images: 10, image_tag_mutability: "MUTABLE" } }, 10, "MUTABLE", false],
] as const)("GIVEN prod with image_source = \"ecr\" and the %s settings", (_what, ecr, keep, mutability, scan) => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(await settingsWith({ image_source: "ecr", ...ecr }), "30-storage");
  });

  it("WHEN synthesized THEN there is one repository per service, scanned, tagged and encrypted as the settings say, and no pull-through cache", () => {
    const repos = resourcesOf(stack, "aws_ecr_repository");
    expect(Object.values(repos).map((r) => r.name).sort()).toEqual(SERVICE_NAMES.map((n) => `lgtm-${n}`).sort());
    for (const repo of Object.values(repos)) {
      expect(repo.image_scanning_configuration).toEqual({ scan_on_push: scan });
      expect(repo.image_tag_mutability).toBe(mutability);
      expect(repo.encryption_configuration).toEqual([{ encryption_type: "AES256" }]);
      expect(repo.force_delete).toBe(false);
    }
    expect(resourcesOf(stack, "aws_ecr_pull_through_cache_rule")).toEqual({});
    expect(resourcesOf(stack, "aws_ecr_repository_creation_template")).toEqual({});
  });

  it("WHEN synthesized THEN each repository keeps only the last images the settings say", () => {
    const policies = resourcesOf(stack, "aws_ecr_lifecycle_policy");
    expect(Object.keys(policies)).toHaveLength(SERVICE_NAMES.length);
    for (const n of SERVICE_NAMES) {
      const policy = resourceOf(stack, "aws_ecr_lifecycle_policy", `ecr_${n}_`);
      expect(policy.repository).toBe(`\${aws_ecr_repository.ecr_${n}.name}`);
      expect(JSON.parse(policy.policy).rules).toEqual([
        expect.objectContaining({ selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep }, action: { type: "expire" } }),
      ]);
    }
  });

  it("WHEN synthesized THEN it publishes the repositories keyed by service", () => {
    for (const out of ["ecr_repository_urls", "ecr_repository_arns"]) {
      expect(Object.keys(stack.output?.[out].value as object).sort()).toEqual([...SERVICE_NAMES].sort());
    }
    expect((stack.output?.ecr_repository_urls.value as Record<string, string>).loki).toBe("${aws_ecr_repository.ecr_loki.repository_url}");
  });
});

describe.each([
  ["shipped", {}, 30, "IMMUTABLE"],
  ["other ECR options", { ecr: { keep_last_images: 10, image_tag_mutability: "MUTABLE" } }, 10, "MUTABLE"],
] as const)("GIVEN prod with image_source = \"pull_through\" and the %s settings", (_what, ecr, keep, mutability) => {
  it("WHEN synthesized THEN each cache prefix has a creation template for the repositories the cache creates: tags, lifecycle and encryption as the settings say", async () => {
    const stack = synthLayer(await settingsWith(ecr), "30-storage");
    const templates = resourcesOf(stack, "aws_ecr_repository_creation_template");
    const rules = resourcesOf(stack, "aws_ecr_pull_through_cache_rule");
    expect(Object.values(templates).map((t) => t.prefix).sort()).toEqual(Object.values(rules).map((r) => r.ecr_repository_prefix).sort());
    for (const t of Object.values(templates)) {
      expect(t.applied_for).toEqual(["PULL_THROUGH_CACHE"]);
      expect(t.image_tag_mutability).toBe(mutability);
      expect(t.encryption_configuration).toEqual([{ encryption_type: "AES256" }]);
      expect(JSON.parse(t.lifecycle_policy).rules[0].selection).toEqual({ tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep });
    }
  });
});

describe("GIVEN prod settings with other storage prefixes", () => {
  it("WHEN synthesized THEN the rules follow the prefixes", async () => {
    const stack = synthLayer(await settingsWith({ storage_prefixes: { loki: "logs", mimir_ruler: "mimirrules" } }), "30-storage");
    expect(ruleById(stack, "loki-expire").filter).toEqual([{ prefix: "logs/" }]);
    expect(rulesOf(stack).map((r) => r.filter[0].prefix)).not.toContain("mimirrules/");
  });
});
