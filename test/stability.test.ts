/**
 * Determinism and stability of the synthesized Terraform: the same settings give byte-identical
 * output; the set of resource addresses of every stack is pinned in test/fixtures/addresses/ (a
 * changed address is a destroy + create in production, so it must show up in review); and a change
 * to one service's settings touches that service and nothing in any other service or layer.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listEnvironments } from "../settings";
import { LAYERS } from "../stacks/contract";
import { settingsWith } from "./support/settings";
import { runCliAsync } from "./support/cli";
import { addressesOf, changedElements, filesUnder, synthEnvironment } from "./support/stack-diff";
import type { StackJson } from "./support/synth";

const ROOT = path.resolve(__dirname, "..");
const ADDRESSES_DIR = path.join(__dirname, "fixtures", "addresses");

describe("GIVEN the shipped environments synthesized twice by the CLI into two folders", () => {
  let work: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-determinism-"));
    first = path.join(work, "first");
    second = path.join(work, "second");
    // Two processes of the CLI (`npm run synth`), side by side, from two working directories.
    const synth = (out: string, cwd: string) => runCliAsync(["synth", "--out", out], { cwd });
    await Promise.all([synth(first, ROOT), synth(second, work)]);
  });

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it("WHEN every file is compared THEN both outputs hold the same files, byte for byte", () => {
    const files = filesUnder(first);
    expect(files.length).toBeGreaterThan(listEnvironments().length * 7);
    expect(filesUnder(second)).toEqual(files);
    for (const f of files) {
      expect(fs.readFileSync(path.join(second, f)).equals(fs.readFileSync(path.join(first, f))), f).toBe(true);
    }
  });

  it("WHEN the output is searched THEN it holds no absolute path of this machine", () => {
    // The project root and the output folder are what a generator would leak (source or output paths).
    const forbidden = [work, ROOT];
    for (const f of filesUnder(first)) {
      const text = fs.readFileSync(path.join(first, f), "utf8");
      for (const p of forbidden) expect(text.includes(p), `${f} contains ${p}`).toBe(false);
    }
  });

  describe.each(listEnvironments())("GIVEN the %s environment", (env) => {
    it.each([...LAYERS])(
      "WHEN the addresses of %s are listed THEN they are the pinned ones (a change means destroy and create: review it, then update with -u)",
      async (layer) => {
        const stack = `${env}-${layer}`;
        const json = JSON.parse(fs.readFileSync(path.join(first, "stacks", stack, "cdk.tf.json"), "utf8")) as StackJson;
        const text = [
          `# Terraform addresses of ${stack}, pinned by test/stability.test.ts.`,
          "# A changed or removed line destroys and re-creates that resource in the real account.",
          "# If that is intended (or a moved block carries it), update with: npx vitest run test/stability.test.ts -u",
          ...addressesOf(json),
          "",
        ].join("\n");
        await expect(text).toMatchFileSnapshot(path.join(ADDRESSES_DIR, `${stack}.txt`));
      },
    );
  });
});

/** Every environment value of a service's containers (the rendered config travels as one). */
const environmentOf = (s: Record<string, StackJson>, svc: string): string =>
  (JSON.parse(s["prod-60-ecs"].resource!.aws_ecs_task_definition[`${svc}_task_definition`].container_definitions as string) as { environment?: { value: string }[] }[])
    .flatMap((c) => (c.environment ?? []).map((e) => e.value))
    .join("\n");

describe("GIVEN the prod settings and one service's setting changed", () => {
  let base: Record<string, StackJson>;
  beforeAll(async () => {
    base = synthEnvironment(await settingsWith({}));
  });

  it("WHEN a Loki limit changes THEN only Loki's task definition changes (its rendered config), in no other service or layer", async () => {
    const changed = synthEnvironment(await settingsWith({ loki: { limits: { ingestion_rate_mb: 64 } } }));
    expect(changedElements(base, changed)).toEqual(["prod-60-ecs aws_ecs_task_definition.loki_task_definition"]);
    expect(environmentOf(base, "loki")).toContain("ingestion_rate_mb: 50");
    expect(environmentOf(changed, "loki")).toContain("ingestion_rate_mb: 64");
  });

  it("WHEN Loki's cpu and memory change THEN only Loki's task definition changes, in no other service or layer", async () => {
    const changed = synthEnvironment(await settingsWith({ services: { loki: { cpu: 2048, memory: 4096 } } }));
    expect(changedElements(base, changed)).toEqual(["prod-60-ecs aws_ecs_task_definition.loki_task_definition"]);
    const td = (s: Record<string, StackJson>) => s["prod-60-ecs"].resource!.aws_ecs_task_definition.loki_task_definition;
    expect([td(changed).cpu, td(changed).memory]).toEqual(["2048", "4096"]);
  });

  it("WHEN Tempo's retention changes THEN only Tempo's task definition and Tempo's expiry rule of the data bucket change, in no other service or layer", async () => {
    const after = await settingsWith({ services: { tempo: { retention_days: 14 } } });
    const changed = synthEnvironment(after);
    // Tempo's config carries the retention; and (issue 9) the data bucket expires Tempo's prefix
    // after retention + storage.lifecycle_margin_days. Nothing else may move.
    expect(changedElements(base, changed)).toEqual([
      "prod-30-storage aws_s3_bucket_lifecycle_configuration.data_lifecycle",
      "prod-60-ecs aws_ecs_task_definition.tempo_task_definition",
    ]);
    expect(environmentOf(base, "tempo")).toContain("block_retention: 168h");
    expect(environmentOf(changed, "tempo")).toContain("block_retention: 336h");

    type Rule = { id: string; filter: { prefix: string }[]; expiration?: { days: number }[] };
    const rules = (s: Record<string, StackJson>) =>
      new Map((s["prod-30-storage"].resource!.aws_s3_bucket_lifecycle_configuration.data_lifecycle.rule as Rule[]).map((r) => [r.id, JSON.stringify(r)]));
    const [r0, r1] = [rules(base), rules(changed)];
    expect([...r1.keys()]).toEqual([...r0.keys()]);
    const differing = [...r0.keys()].filter((id) => r0.get(id) !== r1.get(id));
    expect(differing).toHaveLength(1);
    const rule = JSON.parse(r1.get(differing[0])!) as Rule;
    expect(rule.filter[0].prefix).toBe(`${after.storage_prefixes.tempo}/`);
    expect(rule.expiration?.[0].days).toBe(14 + after.storage.lifecycle_margin_days);
  });
});
