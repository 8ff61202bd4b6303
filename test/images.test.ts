/**
 * Images (issue 17): a digest pin per service beside its version, and the ECR pull-through cache
 * option (Docker Hub with its "ecr-pullthroughcache/" credential, ECR Public), wired from settings
 * into 30-storage (rules, scan on push), 40-iam (execution role) and 60-ecs (image references).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containers, resources } from "../policy";
import { pullThroughReference } from "../settings";
import { checkImageVersions, defaultUpstreamDir, majorDowngrades, newestReference, olderThanUpstream, releaseOf } from "../settings/image-versions";
import type { Settings } from "../settings";
import { loadWithWarnings, overrideError, settingsWith, shipped } from "./support/settings";
import { resourcesOf, synthLayer, type StackJson } from "./support/synth";

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;
const CREDENTIAL = "arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:ecr-pullthroughcache/docker-hub-AbCdEf";
const images = (stack: StackJson) =>
  Object.fromEntries(resources({ id: "x", json: stack as never }, "aws_ecs_task_definition").flatMap(([, t]) => containers(t).map((c) => [`${c.name === "config" ? `${t.family}/config` : c.name}`, c.image])));

describe("GIVEN a digest pin", () => {
  it("WHEN services.loki.digest is set THEN Loki's task definition names version and digest, and the others only their version", async () => {
    const ecs = synthLayer(await settingsWith({ image_source: "upstream", services: { loki: { digest: DIGEST } } }), "60-ecs");
    const all = images(ecs);
    expect(all.loki).toBe(`grafana/loki:3.7.6@${DIGEST}`);
    expect(all.mimir).toBe("grafana/mimir:3.0.4");
  });

  it.each([
    ["too short", "sha256:abc"],
    ["upper case", `sha256:${"A".repeat(64)}`],
    ["another algorithm", `sha512:${"a".repeat(64)}`],
  ])("WHEN the digest is %s THEN loading fails naming the key", async (_what, digest) => {
    expect(await overrideError({ services: { loki: { digest } } })).toContain(
      'environments/prod.tfvars: services.loki.digest: expected an image digest: "sha256:" followed by 64 lowercase hex digits',
    );
  });
});

describe("GIVEN image_source = pull_through", () => {
  it("WHEN references are mapped THEN Docker Hub, official images and ECR Public land under their prefixes", () => {
    const r = "111111111111.dkr.ecr.ap-northeast-2.amazonaws.com";
    expect(pullThroughReference("grafana/loki", r)).toBe(`${r}/docker-hub/grafana/loki`);
    expect(pullThroughReference("busybox:1.37.0", r)).toBe(`${r}/docker-hub/library/busybox:1.37.0`);
    expect(pullThroughReference("public.ecr.aws/docker/library/busybox:1.37.0", r)).toBe(`${r}/ecr-public/docker/library/busybox:1.37.0`);
    expect(pullThroughReference("ghcr.io/x/y:1", r)).toBeUndefined();
    expect(pullThroughReference("123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/busybox:1.37.0", r)).toBe("123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/busybox:1.37.0");
  });

  it("WHEN synthesized THEN 30-storage has the two cache rules with the credential and scan on push for both prefixes", async () => {
    const s = await settingsWith({ image_source: "pull_through", ecr: { docker_hub_credential_arn: CREDENTIAL } });
    const storage = synthLayer(s, "30-storage");
    const rules = resourcesOf(storage, "aws_ecr_pull_through_cache_rule");
    expect(rules.pull_through_docker_hub).toMatchObject({ ecr_repository_prefix: "docker-hub", upstream_registry_url: "registry-1.docker.io", credential_arn: CREDENTIAL });
    expect(rules.pull_through_ecr_public).toMatchObject({ ecr_repository_prefix: "ecr-public", upstream_registry_url: "public.ecr.aws" });
    expect(rules.pull_through_ecr_public.credential_arn).toBeUndefined();
    expect(resourcesOf(storage, "aws_ecr_registry_scanning_configuration").pull_through_scanning).toMatchObject({
      scan_type: "BASIC",
      rule: [{ scan_frequency: "SCAN_ON_PUSH", repository_filter: [{ filter: "docker-hub/*", filter_type: "WILDCARD" }, { filter: "ecr-public/*", filter_type: "WILDCARD" }] }],
    });
  });

  it("WHEN synthesized THEN every container pulls from the account's ECR, and the execution role may pull, create and import only under the cache prefixes", async () => {
    const s = await settingsWith({ image_source: "pull_through", ecr: { docker_hub_credential_arn: CREDENTIAL }, services: { tempo: { digest: DIGEST } } });
    const ecs = synthLayer(s, "60-ecs");
    const registry = "${data.aws_caller_identity.account.account_id}.dkr.ecr.ap-northeast-2.amazonaws.com";
    const all = images(ecs);
    expect(all.mimir).toBe(`${registry}/docker-hub/grafana/mimir:3.0.4`);
    expect(all.tempo).toBe(`${registry}/docker-hub/grafana/tempo:3.0.3@${DIGEST}`);
    expect(all["lgtm-prod-loki/config"]).toBe(`${registry}/ecr-public/docker/library/busybox:1.37.0`);
    for (const image of Object.values(all)) expect(image.startsWith(registry)).toBe(true);
    const policy = JSON.parse(resourcesOf(synthLayer(s, "40-iam"), "aws_iam_role_policy").task_execution_ecr_pull_through.policy);
    expect(policy.Statement[1].Action).toEqual(["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]);
    expect(policy.Statement[1].Resource).toEqual([
      "arn:${data.aws_partition.current.partition}:ecr:ap-northeast-2:111111111111:repository/ecr-public/*",
      "arn:${data.aws_partition.current.partition}:ecr:ap-northeast-2:111111111111:repository/docker-hub/*",
    ]);
  });

  it("WHEN the Docker Hub credential is missing THEN loading fails naming ecr.docker_hub_credential_arn", async () => {
    expect(await overrideError({ image_source: "pull_through", ecr: { docker_hub_credential_arn: undefined } })).toContain(
      'environments/prod.tfvars: ecr.docker_hub_credential_arn: image_source = "pull_through" pulls grafana/mimir from Docker Hub, whose pull-through cache rule needs credentials',
    );
  });

  it("WHEN the credential secret is not named ecr-pullthroughcache/... THEN loading fails", async () => {
    expect(await overrideError({ ecr: { docker_hub_credential_arn: "arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:dockerhub-AbCdEf" } })).toContain(
      'environments/prod.tfvars: ecr.docker_hub_credential_arn: expected the ARN of a Secrets Manager secret named "ecr-pullthroughcache/<name>"',
    );
  });

  it("WHEN an image is on a registry the cache has no rule for THEN loading fails naming the image key", async () => {
    expect(await overrideError({ image_source: "pull_through", ecr: { docker_hub_credential_arn: CREDENTIAL }, ecs: { config_init_image: "ghcr.io/x/busybox:1" } })).toContain(
      'ecs.config_init_image: "ghcr.io/x/busybox:1" is on a registry the pull-through cache has no rule for',
    );
  });
});

describe("GIVEN image versions (settings/image-versions.ts)", () => {
  // Refused versions (a floating tag, no release version, a major downgrade): test/support/bad-settings.ts, in-process and through the launcher.
  it.each([
    ["a stable tag", { gateway: { version: "stable-alpine" } }, 'services.gateway.version: "stable-alpine" is not a release'],
    ["main", { mimir: { version: "main" } }, 'services.mimir.version: "main" is not a release'],
    ["a word", { tempo: { version: "banana" } }, 'services.tempo.version: "banana" is not a release version of grafana/tempo: expected MAJOR.MINOR.PATCH'],
  ])("WHEN a version is %s THEN loading fails naming the key", async (_what, services, expected) => {
    expect(await overrideError({ services })).toContain(`environments/prod.tfvars: ${expected}`);
  });

  it("WHEN an environment goes back a minor release, forward a major, or names a pre-release or an image variant THEN it loads", async () => {
    for (const services of [{ loki: { version: "3.6.0" } }, { loki: { version: "4.0.0" } }, { alloy: { version: "v1.19.0-rc.1" } }, { gateway: { version: "1.28.0-alpine" } }]) {
      expect(await overrideError({ services }), JSON.stringify(services)).toBe("");
    }
  });

  describe("AND an upstream folder of configuration references (LGTM_UPSTREAM_DIR)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-upstream-"));
    const saved = process.env.LGTM_UPSTREAM_DIR;
    beforeAll(() => {
      const put = (f: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), "{}");
      };
      // As ../shared/upstream has them: a 2.x and a 3.x Tempo, a pre-release of Mimir beside its release.
      ["tempo/2.10.8.keys.json", "tempo/3.0.3.keys.json", "tempo/3.0.3.runtime-overrides.keys.json", "mimir/3.0.4.keys.json", "mimir/3.1-dev.keys.json", "alloy/1.18.1.components.json"].forEach(put);
      process.env.LGTM_UPSTREAM_DIR = dir;
    });
    afterAll(() => {
      if (saved === undefined) delete process.env.LGTM_UPSTREAM_DIR;
      else process.env.LGTM_UPSTREAM_DIR = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("WHEN the newest reference of each component is read THEN pre-releases and runtime-overrides files are left out", () => {
      expect(newestReference(dir, "tempo")).toBe("3.0.3");
      expect(newestReference(dir, "mimir")).toBe("3.0.4");
      expect(newestReference(dir, "alloy")).toBe("1.18.1");
      expect(newestReference(dir, "loki")).toBeUndefined();
      expect(newestReference(dir, "gateway")).toBeUndefined();
    });

    it("WHEN every environment runs a version older than the newest reference THEN synth warns naming the key, both versions and the folder", async () => {
      const { warnings, error } = await loadWithWarnings({ common: { services: { tempo: { version: "2.10.8" }, alloy: { version: "v1.17.0" } } } });
      expect(error).toBe("");
      const shown = path.relative(process.cwd(), dir);
      expect(warnings.filter((w) => w.key.endsWith(".version")).map((w) => `${w.file}: ${w.key}: ${w.message}`)).toEqual([
        `environments/common.tfvars: services.tempo.version: 2.10.8 is older than 3.0.3, the newest tempo release with a configuration reference in ${shown}/tempo; the templates follow the references, so move to 3.0.3 (or keep 2.10.8 knowingly)`,
        `environments/common.tfvars: services.alloy.version: v1.17.0 is older than 1.18.1, the newest alloy release with a configuration reference in ${shown}/alloy; the templates follow the references, so move to 1.18.1 (or keep v1.17.0 knowingly)`,
      ]);
    });

    it("WHEN the versions are the newest (the shipped ones), newer, or the folder is missing THEN nothing is said", async () => {
      expect((await loadWithWarnings({})).warnings.filter((w) => w.key.endsWith(".version"))).toEqual([]);
      expect((await loadWithWarnings({ common: { services: { tempo: { version: "3.1.0" } } } })).warnings.filter((w) => w.key.endsWith(".version"))).toEqual([]);
      process.env.LGTM_UPSTREAM_DIR = path.join(dir, "missing");
      try {
        expect((await loadWithWarnings({ common: { services: { tempo: { version: "2.10.8" } } } })).warnings.filter((w) => w.key.endsWith(".version"))).toEqual([]);
      } finally {
        process.env.LGTM_UPSTREAM_DIR = dir;
      }
    });
  });
});

describe("GIVEN version tags checked without the loader (settings/image-versions.ts)", () => {
  let prod: Settings;
  const withVersions = (versions: Partial<Record<string, string>>): Settings => ({
    ...prod,
    services: Object.fromEntries(Object.entries(prod.services).map(([n, svc]) => [n, versions[n] === undefined ? svc : { ...svc, version: versions[n] }])) as Settings["services"],
  });
  beforeAll(async () => {
    prod = await shipped("prod");
  });

  it("WHEN tags are read as releases THEN only MAJOR.MINOR.PATCH with an optional v and -suffix is one, numbers and all", () => {
    expect(["v1.2.3", "10.20.30", "1.28.0-alpine", "1.19.0-rc.1"].map(releaseOf)).toEqual([[1, 2, 3], [10, 20, 30], [1, 28, 0], [1, 19, 0]]);
    expect(["1.2", "1.2.3.4", "x1.2.3", "1.2.3-", "1.2.3-!", "1.2.3 ", "V1.2.3"].map(releaseOf)).toEqual(Array(7).fill(undefined));
  });

  it("WHEN a floating tag is written in capitals or with a suffix THEN it is refused as floating; a word that only begins like one is no release", () => {
    const found = checkImageVersions(withVersions({ mimir: "LATEST", loki: "nightly-2026-12-01", tempo: "latestish", alloy: "v1.18.1" }));
    expect(found.map((f) => [f.key, f.message.split(":")[0]])).toEqual([
      ["services.mimir.version", '"LATEST" is not a release'],
      ["services.loki.version", '"nightly-2026-12-01" is not a release'],
      ["services.tempo.version", '"latestish" is not a release version of grafana/tempo'],
    ]);
    expect(found[0].message).toContain("two synths of these settings would run different grafana/mimir code");
    expect(checkImageVersions(prod)).toEqual([]);
  });

  it("WHEN an environment file names another major than common.tfvars THEN only a lower major is refused, and only where both files name a release", () => {
    const common = { services: { loki: { version: "3.5.0" }, tempo: { version: "3.0.3" }, mimir: { version: "3.0.4" }, alloy: { version: "1.18.1" }, grafana: { version: "x" } } };
    const env = { services: { loki: { version: "2.9.9" }, tempo: { version: "3.0.1" }, mimir: { version: "4.0.0" }, alloy: {}, grafana: { version: "11.0.0" }, pyroscope: { version: "1.0.0" } } };
    expect(majorDowngrades(common.services, env.services, "environments/common.tfvars")).toEqual([
      {
        key: "services.loki.version",
        message:
          '"2.9.9" goes back a major release from "3.5.0" in environments/common.tfvars: the rendered configs are written for 3.x, and loki does not read the data a newer major wrote. Pin a 3.x release here, or change environments/common.tfvars for every environment',
      },
    ]);
    expect(majorDowngrades(undefined, env.services, "c")).toEqual([]);
    // Whatever else a file holds there (hcl2json's shapes), only a version string is compared.
    expect(majorDowngrades(common.services, { loki: "2.0.0", tempo: { version: 2 }, mimir: null, alloy: { version: ["0.1.0"] } }, "c")).toEqual([]);
  });

  it("WHEN references of several releases are in the folder THEN the newest plain release is found by number, not by text, and a version behind it warns", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-upstream-order-"));
    try {
      const put = (service: string, suffix: string, versions: string[]) => {
        fs.mkdirSync(path.join(dir, service), { recursive: true });
        for (const v of versions) fs.writeFileSync(path.join(dir, service, `${v}${suffix}`), "{}");
      };
      // As text, "3.9.12" sorts last; tags with a v or a -suffix and pre-releases are no plain release.
      put("loki", ".keys.json", ["3.10.10", "3.10.9", "3.9.12", "2.99.99", "v99.0.0", "99.0.0-rc.1", "3.11-dev"]);
      // Not a reference file: another suffix of the same length, a runtime-overrides reference.
      put("loki", "", ["4.0.0.keys.yaml", "5.0.0.runtime-overrides.keys.json"]);
      put("alloy", ".components.json", ["9.9.9", "10.0.0"]);
      expect(newestReference(dir, "loki")).toBe("3.10.10");
      expect(newestReference(dir, "alloy")).toBe("10.0.0");
      const older = olderThanUpstream(withVersions({ loki: "3.10.9", alloy: "10.0.0" }), dir);
      expect(older.map((f) => f.key)).toEqual(["services.loki.version"]);
      expect(older[0].message).toMatch(/^3\.10\.9 is older than 3\.10\.10, the newest loki release with a configuration reference in /);
      expect(olderThanUpstream(withVersions({ loki: "3.10.10", alloy: "10.0.1" }), dir)).toEqual([]);
      expect(olderThanUpstream(withVersions({ loki: "3.11.0", alloy: "10.0.0" }), dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("WHEN LGTM_UPSTREAM_DIR is unset THEN the references are looked for in ../shared/upstream beside the project, and set, there", () => {
    const saved = process.env.LGTM_UPSTREAM_DIR;
    try {
      delete process.env.LGTM_UPSTREAM_DIR;
      expect(defaultUpstreamDir()).toBe(path.resolve(__dirname, "..", "..", "shared", "upstream"));
      process.env.LGTM_UPSTREAM_DIR = "some/where";
      expect(defaultUpstreamDir()).toBe(path.resolve("some/where"));
    } finally {
      if (saved === undefined) delete process.env.LGTM_UPSTREAM_DIR;
      else process.env.LGTM_UPSTREAM_DIR = saved;
    }
  });
});
