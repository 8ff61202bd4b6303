/**
 * Images pinned by digest (issue 26): `npm run pin-images` resolves every image tag of an environment
 * at its registry and writes the digests into `<env>.tfvars` without touching any other line; the
 * tfvars editor it uses (settings/tfvars-edit.ts); synth's warning per image pinned by tag only.
 *
 * No registry is reachable offline: the command runs through the launcher (`node bin/lgtm.cjs`,
 * what `npm run pin-images` runs) against test/support/registry.ts, a local server speaking the
 * Registry HTTP API v2 with bearer-token auth as Docker Hub and public.ecr.aws do, named with
 * `--registry <host>=<url>` (the flag a user points at a mirror).
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../settings";
import { pinnableImages, unpinnedImageWarnings } from "../settings/image-pins";
import { setTfvarsString, TfvarsEditError } from "../settings/tfvars-edit";
import { parseImage, MANIFEST_ACCEPT } from "../commands/registry";
import { runCliProcess } from "./support/cli";
import { startFakeRegistry, type FakeRegistry } from "./support/registry";
import { settingsWith, shippedFile, tempEnvironments } from "./support/settings";

/** `repository:tag` as the registry stores it, for every image prod runs. */
async function prodImages(): Promise<{ key: string; stored: string; reference: string }[]> {
  const s = await loadSettings("prod");
  return pinnableImages(s).map((i) => {
    const { repository, tag } = parseImage(i.reference);
    return { key: i.key, stored: `${repository}:${tag}`, reference: i.reference };
  });
}

const registryFlags = (url: string) => ["--registry", `registry-1.docker.io=${url}`, "--registry", `public.ecr.aws=${url}`];

describe("GIVEN prod's shipped settings in a scratch folder AND a local registry holding every image prod runs", () => {
  let registry: FakeRegistry;
  let env: ReturnType<typeof tempEnvironments>;
  let images: Awaited<ReturnType<typeof prodImages>>;
  const prodFile = () => path.join(env.dir, "prod.tfvars");
  beforeAll(async () => {
    images = await prodImages();
    // grafana/tempo answers without Docker-Content-Digest: the command must GET the manifest and hash it.
    registry = await startFakeRegistry(
      images.map((i) => i.stored),
      { noDigestHeader: ["grafana/tempo"] },
    );
  });
  afterAll(() => registry.close());
  afterEach(() => env?.cleanup());
  const fresh = () => (env = tempEnvironments({ "common.tfvars": shippedFile("common.tfvars"), "prod.tfvars": shippedFile("prod.tfvars") }));

  it("WHEN `pin-images --env prod` runs THEN every image gets its registry's digest, every original line stays, the settings load with the pins and synth's unpinned warnings are gone", async () => {
    fresh();
    const before = fs.readFileSync(prodFile(), "utf8");
    expect(unpinnedImageWarnings(await loadSettings("prod", { environmentsDir: env.dir, onWarning: () => undefined }))).toHaveLength(images.length);

    const r = await runCliProcess(["pin-images", "--env", "prod", "--environments", env.dir, ...registryFlags(registry.url)]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const after = fs.readFileSync(prodFile(), "utf8");
    // Nothing removed or reordered: the original lines are a subsequence of the new file's lines.
    const added = after.split("\n");
    let at = 0;
    for (const line of before.split("\n")) {
      const found = added.indexOf(line, at);
      expect(found, `line kept: ${line}`).toBeGreaterThanOrEqual(at);
      at = found + 1;
    }
    expect(after).toContain("# PLACEHOLDER: replace with the ARN of the Secrets Manager secret");

    const pinned = await loadSettings("prod", { environmentsDir: env.dir, onWarning: () => undefined });
    const byKey = new Map(pinnableImages(pinned).map((i) => [i.key, i]));
    for (const i of images) {
      const { repository, tag } = parseImage(i.reference);
      expect(byKey.get(i.key), i.key).toMatchObject({ reference: i.reference, digest: registry.digestOf(repository, tag) });
      expect(r.stdout).toContain(`${i.key}: ${i.reference} -> ${registry.digestOf(repository, tag)}`);
    }
    expect(unpinnedImageWarnings(pinned)).toEqual([]);
    // The registry API as real registries answer it: a token per repository, every manifest type accepted.
    const manifestCalls = registry.requests.filter((q) => q.path.includes("/manifests/"));
    expect(registry.requests.filter((q) => q.path.startsWith("/token?")).length).toBe(images.length);
    expect(manifestCalls.filter((q) => q.authorization?.startsWith("Bearer ")).every((q) => q.accept === MANIFEST_ACCEPT)).toBe(true);
    expect(manifestCalls.some((q) => q.method === "GET" && q.path === "/v2/grafana/tempo/manifests/3.0.3")).toBe(true);
    // No temporary file left beside it.
    expect(fs.readdirSync(env.dir).sort()).toEqual(["common.tfvars", "prod.tfvars"]);

    // A second run has nothing to do and leaves the file byte for byte.
    const again = await runCliProcess(["pin-images", "--env", "prod", "--environments", env.dir, ...registryFlags(registry.url)]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("every image is pinned by digest already");
    expect(fs.readFileSync(prodFile(), "utf8")).toBe(after);
  });

  it("WHEN one image is unknown to its registry THEN it exits 1 naming the image and the 404, and the file is untouched", async () => {
    fresh();
    const before = fs.readFileSync(prodFile(), "utf8");
    const dir = env.dir;
    // prod.tfvars has no services block of its own: Loki 3.7.7, which the registry does not hold.
    fs.writeFileSync(path.join(dir, "prod.tfvars"), `${before}\nservices = {\n  loki = {\n    version = "3.7.7"\n  }\n}\n`);
    const edited = fs.readFileSync(prodFile(), "utf8");
    const r = await runCliProcess(["pin-images", "--env", "prod", "--environments", dir, ...registryFlags(registry.url)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("could not resolve 1 of");
    expect(r.stderr).toContain("grafana/loki:3.7.7: registry-1.docker.io has no grafana/loki:3.7.7 (404 manifest unknown); check the image and version");
    expect(r.stderr).toMatch(/prod\.tfvars is unchanged/);
    expect(fs.readFileSync(prodFile(), "utf8")).toBe(edited);
  });

  it("WHEN the registry cannot be reached THEN it exits 1 saying so, and the file is untouched", async () => {
    fresh();
    const before = fs.readFileSync(prodFile(), "utf8");
    // A port nothing listens on: bound, then closed.
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const r = await runCliProcess(["pin-images", "--env", "prod", "--environments", env.dir, ...registryFlags(`http://127.0.0.1:${closed}`)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/grafana\/mimir:3\.0\.4: registry-1\.docker\.io cannot be reached \(ECONNREFUSED\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readFileSync(prodFile(), "utf8")).toBe(before);
  });

  it("WHEN --registry is malformed or --env is missing THEN it exits 2 with the usage", async () => {
    const bad = await runCliProcess(["pin-images", "--env", "prod", "--registry", "docker-hub"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--registry docker-hub: expected <host>=<url>");
    const none = await runCliProcess(["pin-images"]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("--env is required");
  });
});

describe("GIVEN the tfvars editor (settings/tfvars-edit.ts)", () => {
  it("WHEN a key exists THEN only its value changes, comments and alignment stay", () => {
    const src = `# head\necs = {\n  # the init image\n  config_init_image   = "busybox:1" # trailing\n  container_insights  = "enabled"\n}\n`;
    expect(setTfvarsString(src, "ecs.config_init_image", "busybox:1@sha256:ab")).toBe(src.replace('"busybox:1"', '"busybox:1@sha256:ab"'));
  });

  it("WHEN the key's objects are missing THEN they are created inside the nearest one the file has, indented like its neighbours", () => {
    const src = `services = {\n    mimir = {\n        cpu = 1024\n    }\n} # end\n`;
    expect(setTfvarsString(src, "services.loki.digest", "sha256:1")).toBe(`services = {\n    mimir = {\n        cpu = 1024\n    }\n    loki = {\n      digest = "sha256:1"\n    }\n} # end\n`);
    expect(setTfvarsString("a = 1", "cache.image", "x")).toBe(`a = 1\n\ncache = {\n  image = "x"\n}\n`);
  });

  it("WHEN the object is written on one line THEN the key is added on a line of its own inside it", () => {
    const src = `ecs = { container_insights = "enabled" }\n`;
    const out = setTfvarsString(src, "ecs.config_init_image", "b");
    expect(out).toBe(`ecs = { container_insights = "enabled"\n  config_init_image = "b"\n}\n`);
  });

  it("WHEN strings hold braces, hashes and templates, or a heredoc comes first THEN keys are still found", () => {
    const src = `x = "{ # not a comment }"\nh = <<EOT\nservices = {\nEOT\nservices = {\n  loki = { digest = "old" }\n}\n`;
    expect(setTfvarsString(src, "services.loki.digest", "new")).toBe(src.replace('"old"', '"new"'));
  });

  it("WHEN the path runs through a value that is not an object THEN it refuses", () => {
    expect(() => setTfvarsString(`services = "x"\n`, "services.loki.digest", "d")).toThrow(TfvarsEditError);
    expect(() => setTfvarsString(`services = {\n  loki = {}\n}\n`, "services.loki", "d")).toThrow(/services\.loki is an object/);
    expect(() => setTfvarsString(`services = {\n`, "services.loki.digest", "d")).toThrow(/unterminated object/);
  });
});

describe("GIVEN image references (commands/registry.ts parseImage)", () => {
  it.each([
    ["grafana/loki:3.7.6", "registry-1.docker.io", "grafana/loki", "3.7.6"],
    ["busybox:1.37.0", "registry-1.docker.io", "library/busybox", "1.37.0"],
    ["docker.io/busybox:1", "registry-1.docker.io", "library/busybox", "1"],
    ["public.ecr.aws/nginx/nginx:1.28.0", "public.ecr.aws", "nginx/nginx", "1.28.0"],
    ["ghcr.io/grafana/x:v1@sha256:aa", "ghcr.io", "grafana/x", "v1"],
    ["localhost:5000/a/b:2", "localhost:5000", "a/b", "2"],
  ])("WHEN %s is parsed THEN it is %s / %s : %s", (ref, registry, repository, tag) => {
    expect(parseImage(ref)).toEqual({ registry, repository, tag });
  });
});

describe("GIVEN images pinned by tag only", () => {
  it("WHEN a service, the init image and the cache are listed THEN each unpinned one has one warning naming its key, and a pinned one none", async () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const s = await settingsWith({ services: { loki: { digest } }, ecs: { config_init_image: `public.ecr.aws/docker/library/busybox:1.37.0@${digest}` } });
    const warnings = unpinnedImageWarnings(s);
    expect(warnings.some((w) => w.startsWith("services.loki.digest"))).toBe(false);
    expect(warnings.some((w) => w.startsWith("ecs.config_init_image"))).toBe(false);
    expect(warnings).toContain(
      "services.mimir.digest: grafana/mimir:3.0.4 is pinned by tag only: a re-pushed tag would change what runs without a change here; run `npm run pin-images -- --env <env>` where the registries are reachable, or write the digest yourself",
    );
    expect(warnings.find((w) => w.startsWith("cache.image"))).toContain("public.ecr.aws/docker/library/memcached:1.6.38 is pinned by tag only");
  });
});
