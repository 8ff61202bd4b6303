import { describe, expect, it } from "vitest";
import * as yaml from "js-yaml";
import { loadSettings, sizingOf, mimirSeriesCapacity, mimirSeriesLimits, fargateSize, ephemeralSize, tenants, ringArithmetic, type Settings } from "../settings";
import { renderConfigs } from "../templates/render";
import { EXAMPLE_LOAD, loadWithWarnings } from "./support/settings";

/** Sizes the load block derives instead of the file's. */
const WITHOUT_SIZES = { cpu: undefined, memory: undefined, desired_count: undefined, ephemeral_storage_gib: undefined };

describe("GIVEN Fargate's sizes", () => {
  it("WHEN a need is rounded THEN the smallest CPU whose memory range holds it wins, then the smallest memory step", () => {
    expect(fargateSize(0.2, 0.4)).toEqual({ cpu: 256, memory: 512 });
    expect(fargateSize(1, 2)).toEqual({ cpu: 1024, memory: 2048 });
    // 2 vCPU tops out at 16 GiB, so 20 GiB needs 4 vCPU.
    expect(fargateSize(2, 20)).toEqual({ cpu: 4096, memory: 20480 });
    expect(fargateSize(5.9, 20.85)).toEqual({ cpu: 8192, memory: 24576 });
    expect(fargateSize(16.1, 8)).toBeUndefined();
    expect(fargateSize(4, 121)).toBeUndefined();
    expect([ephemeralSize(3), ephemeralSize(54), ephemeralSize(200.5)]).toEqual([21, 54, undefined]);
  });
});

describe("GIVEN prod with the example load", () => {
  it("WHEN sized THEN every figure matches the hand computation from Grafana's formulas", async () => {
    const { settings, warnings } = await loadWithWarnings({ env: { load: EXAMPLE_LOAD } });
    const sizing = sizingOf(settings!);
    // Mimir, 3 tasks, RF 3. Samples/s = 1M / 15 = 66,667.
    // Spread over the tasks: distributor 66,667/25,000 = 2.667 cores and GB; ingester 3M/300k = 10 cores,
    // 25 GB, 50 GB disk; query-frontend 10/250 = 0.04; querier 1; store-gateway 1 core, 1 GB, 13 GB disk.
    // One task: compactor 1 core, 4 GB, 1M/20M × 300 = 15 GB disk.
    // Per task: cores 14.707/3 + 1 = 5.902; memory (29.707/3 + 4) × 1.5 = 20.853 GiB; disk (63/3 + 15) × 1.5 = 54.
    const mimir = sizing.mimir!;
    expect(mimir.tasks).toBe(3);
    expect(mimir.perTask.cores).toBeCloseTo(5.902, 3);
    expect(mimir.perTask.memoryGiB).toBeCloseTo(20.853, 3);
    expect(mimir.perTask.diskGiB).toBeCloseTo(54, 6);
    expect(mimir.fargate).toEqual({ cpu: 8192, memory: 24576, ephemeralGiB: 54 });
    // Loki, 3 tasks, RF 3: the "< 3 TB/day" tier × 50/3000. Cores 36/60/3 + 2/60 = 0.233 and memory
    // (49/60/3 + 10/60) × 1.5 = 0.658 GiB, both under the 1 vCPU / 2 GiB floor; WAL 50/24 × 2 h × 3 / 3 × 1.5 = 6.25 GiB.
    const loki = sizing.loki!;
    expect(loki.perTask.cores).toBe(1);
    expect(loki.perTask.memoryGiB).toBe(2);
    expect(loki.perTask.diskGiB).toBeCloseTo(6.25, 6);
    expect(loki.fargate).toEqual({ cpu: 1024, memory: 2048, ephemeralGiB: 21 });
    // Tempo, 1 task: 5,000 × 1,000 bytes = 5 MB/s. Cores 5×2/10 + 5/6 + 5/2 + 5/5 = 5.333; memory
    // (1 + 3.333 + 10 + 4) × 1.5 = 27.5 GiB; disk 5 × 1800 / 1000 × 1.5 = 13.5 GiB.
    const tempo = sizing.tempo!;
    expect(tempo.tasks).toBe(1);
    expect(tempo.perTask.cores).toBeCloseTo(5.333, 3);
    expect(tempo.perTask.memoryGiB).toBeCloseTo(27.5, 6);
    expect(tempo.perTask.diskGiB).toBeCloseTo(13.5, 6);
    expect(tempo.fargate).toEqual({ cpu: 8192, memory: 28672, ephemeralGiB: 21 });
    // Explicit sizes win: the loaded settings keep the file's values...
    expect([settings!.services.mimir.cpu, settings!.services.mimir.memory]).toEqual([2048, 4096]);
    // ...and synth warns where they are below the load, naming each key.
    // The 1M series are within the 2,000,000 series the settings let each tenant send (issue 25: not
    // "150,000, its default"); what the explicit 4 GiB tasks hold of that limit is the last warning.
    expect(warnings.map((w) => `${w.file}: ${w.key}`)).toEqual([
      "environments/common.tfvars: services.mimir.cpu",
      "environments/common.tfvars: services.mimir.memory",
      "environments/common.tfvars: services.tempo.cpu",
      "environments/common.tfvars: services.tempo.memory",
      "environments/common.tfvars: mimir.limits.max_global_series_per_user",
    ]);
    expect(warnings[0].message).toBe(
      "2048 CPU units is below what the load block needs 5.9 vCPU, 20.85 GiB and 54 GiB of disk per task on 3 tasks (settings/sizing.ts); expected at least 8192, or raise desired_count",
    );
    expect(warnings.map((w) => w.message).join("\n")).not.toContain("150,000");
  });

  it("WHEN load.undersized is fail THEN the under-sized explicit settings are errors naming file and key", async () => {
    const { error } = await loadWithWarnings({ env: { load: { ...EXAMPLE_LOAD, undersized: "fail" } } });
    expect(error).toContain("invalid settings (5 problems)");
    expect(error).toContain("environments/common.tfvars: services.tempo.memory: 2048 MiB is below what the load block needs 5.33 vCPU, 27.5 GiB and 13.5 GiB of disk per task on 1 task (settings/sizing.ts); expected at least 28672, or raise desired_count");
  });

  it("WHEN the sizes of Mimir, Loki and Tempo are left out THEN they are derived from the load and pass every check", async () => {
    const { settings, warnings } = await loadWithWarnings({
      common: { services: { mimir: WITHOUT_SIZES, loki: WITHOUT_SIZES, tempo: WITHOUT_SIZES } },
      env: { load: EXAMPLE_LOAD },
    });
    const sizes = (n: "mimir" | "loki" | "tempo") => {
      const v = settings!.services[n];
      return [v.cpu, v.memory, v.desired_count, v.ephemeral_storage_gib];
    };
    expect(sizes("mimir")).toEqual([8192, 24576, 3, 54]);
    expect(sizes("loki")).toEqual([1024, 2048, 3, 21]);
    expect(sizes("tempo")).toEqual([8192, 28672, 1, 21]);
    // Only the limit remains to look at: 3 tasks of 24 GiB hold about 1,920,000 series of the 2,000,000 a tenant may send.
    expect(warnings.map((w) => w.key)).toEqual(["mimir.limits.max_global_series_per_user"]);
    expect(warnings[0].message).toContain("3 tasks of 24576 MiB keep about 1,920,000 series at RF 3");
  });

  it("WHEN 5M series leave the task count to the load THEN it grows until a Fargate task holds its share, and the quorum rules see the count", async () => {
    const files = { common: { services: { mimir: WITHOUT_SIZES } }, env: { load: { active_series: 5_000_000 } } };
    // 5 tasks would need (315/5 + 75) × 1.5 = 207 GiB of disk (over 200); 6 need (315/6 + 75) × 1.5 = 191.25.
    // Cores 65.373/6 + 1 = 11.9 → 16 vCPU; memory (140.373/6 + 4) × 1.5 = 41.09 GiB → 48 GiB.
    const risky = await loadWithWarnings({ ...files, env: { ...files.env, accept_risks: { reduced_redundancy: ["tempo", "mimir"] } } });
    const m = risky.settings!.services.mimir;
    expect([m.desired_count, m.cpu, m.memory, m.ephemeral_storage_gib]).toEqual([6, 16384, 49152, 192]);
    // Without the accepted risk, 6 tasks over prod's 3 AZs keep a quorum through a zone loss only
    // zone-aware (on by default, settings/quorum.ts, issue 27); switched off, the zone-loss rule refuses them.
    const strict = await loadWithWarnings(files);
    expect(strict.error).toBe("");
    expect(ringArithmetic(strict.settings!, "mimir")).toMatchObject({ tasks: 6, zoneAware: true, zones: 3, survivesAzLoss: true });
    const off = await loadWithWarnings({ ...files, env: { ...files.env, services: { mimir: { zone_awareness: false } } } });
    expect(off.error).toContain("environments/prod.tfvars: services.mimir.zone_awareness: mimir's 6 tasks over 3 availability zones put up to 2 in one zone");
  });

  it("WHEN the load cannot fit the tasks set THEN the error names the key, the need and the next step", async () => {
    const { error } = await loadWithWarnings({
      common: { services: { mimir: { cpu: undefined, memory: undefined } } },
      env: { load: { active_series: 4_000_000 } },
    });
    // 4M × RF 3 = 12M in memory: 40 ingester cores; (40 + 10.667 + 2.04) / 3 + 1 = 18.6 vCPU per task on 3 tasks.
    expect(error).toBe(
      "invalid settings (1 problem):\n  environments/prod.tfvars: services.mimir.cpu: cannot be derived from the load block: Mimir needs 18.6 vCPU and 62.4 GiB per task (Fargate's largest task is 16 vCPU, 120 GiB) and 216 GiB of disk per task (Fargate's ephemeral storage ends at 200 GiB) for 4000000 active series at 15 s and RF 3 on 3 tasks: more tasks (services.mimir.desired_count) or a split (microservices) deployment",
    );
  });

  it("WHEN Tempo's traffic is past what one monolithic task takes THEN the error points at microservices mode with Kafka", async () => {
    const { error } = await loadWithWarnings({
      common: { services: { tempo: WITHOUT_SIZES } },
      env: { load: { spans_per_second: 30_000 } },
    });
    expect(error).toContain("services.tempo.cpu: cannot be derived from the load block: Tempo receives 30 MB/s");
    expect(error).toContain("run Tempo in microservices mode with Kafka");
  });

  it("WHEN a size is left out for a component the load says nothing about THEN the error says which load key would derive it", async () => {
    const { error } = await loadWithWarnings({ common: { services: { tempo: { cpu: undefined } } }, env: { load: { active_series: 100_000 } } });
    expect(error).toBe(
      "invalid settings (1 problem):\n  environments/prod.tfvars: services.tempo.cpu: is set in neither file, and the load block says nothing about tempo to derive it from: set it, or add load.spans_per_second",
    );
  });

  it("WHEN a load block key is wrong THEN the schema names it", async () => {
    const { error } = await loadWithWarnings({ env: { load: { active_series: -5, undersized: "maybe" } } });
    expect(error).toContain("environments/prod.tfvars: load.active_series: expected a number of active series, got -5");
    expect(error).toContain('environments/prod.tfvars: load.undersized: expected "warn" or "fail", got "maybe"');
  });
});

describe("GIVEN Mimir's series limit", () => {
  /** max_global_series_per_user of each tenant as the rendered mimir.yaml and runtime overrides file set it. */
  const renderedLimits = (s: Settings) => {
    const configs = renderConfigs(s).filter((c) => c.service === "mimir");
    const main = yaml.load(configs.find((c) => c.fileName === "mimir.yaml")!.content) as { limits: Record<string, unknown> };
    const runtime = yaml.load(configs.find((c) => c.fileName.includes("overrides"))!.content) as { overrides: Record<string, Record<string, unknown>> };
    return tenants(s).map((t) => runtime.overrides[t.id]?.max_global_series_per_user ?? main.limits.max_global_series_per_user);
  };

  it("WHEN the shipped environments load THEN the check reads the limit the rendered mimir.yaml sets and warns that the ingesters hold about a sixth of it", async () => {
    const prod = await loadSettings("prod");
    // 3 tasks × (4 GiB / 1.5) / 2.5 GB × 300k / RF 3 = 320,000.
    expect(mimirSeriesCapacity(prod)).toBe(320_000);
    expect(mimirSeriesLimits(prod).map((l) => l.limit)).toEqual(renderedLimits(prod));
    expect(renderedLimits(prod)).toEqual([2_000_000, 2_000_000]);
    const { warnings } = await loadWithWarnings({});
    expect(warnings.map((w) => `${w.file}: ${w.key}: ${w.message}`)).toEqual([
      "environments/common.tfvars: mimir.limits.max_global_series_per_user: 2,000,000 series per tenant (tenants jsj-lgtm-header, aws-rag-ec2) is more than Mimir's ingesters hold: 3 tasks of 4096 MiB keep about 320,000 series at RF 3 (settings/sizing-checks.ts); an ingester out of memory loses its head. To keep them within memory, lower it to at most 320,000, raise services.mimir.memory to 25600 MiB (and cpu to 4096, the smallest Fargate offers it with), or raise services.mimir.desired_count to 19",
    ]);
  });

  it("WHEN the limit is within what the ingesters hold THEN nothing is said", async () => {
    const { warnings } = await loadWithWarnings({ env: { mimir: { limits: { max_global_series_per_user: 320_000 } } } });
    expect(warnings).toEqual([]);
  });

  it("WHEN one tenant's override lets it send more than the ingesters hold THEN the warning names that tenant's key, with the rendered value", async () => {
    const { settings, warnings } = await loadWithWarnings({
      env: { mimir: { limits: { max_global_series_per_user: 300_000 } }, tenants: { "aws-rag-ec2": { limits: { mimir: { max_global_series_per_user: 1_000_000 } } } } },
    });
    expect(mimirSeriesLimits(settings!).map((l) => l.limit)).toEqual(renderedLimits(settings!));
    expect(renderedLimits(settings!)).toEqual([300_000, 1_000_000]);
    expect(warnings.map((w) => `${w.key}: ${w.message}`)).toEqual([
      "tenants.aws-rag-ec2.limits.mimir.max_global_series_per_user: 1,000,000 series per tenant (tenant aws-rag-ec2) is more than Mimir's ingesters hold: 3 tasks of 4096 MiB keep about 320,000 series at RF 3 (settings/sizing-checks.ts); an ingester out of memory loses its head. To keep them within memory, lower it to at most 320,000, raise services.mimir.memory to 13312 MiB, or raise services.mimir.desired_count to 10",
    ]);
  });

  it("WHEN a tenant has no limit (0) THEN the warning says so", async () => {
    const { warnings } = await loadWithWarnings({ env: { mimir: { limits: { max_global_series_per_user: 0 } } } });
    expect(warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^0 \(no limit\) per tenant \(tenants jsj-lgtm-header, aws-rag-ec2\) is more than Mimir's ingesters hold: .* To keep them within memory, lower the limit$/)]);
  });

  it("WHEN the declared series exceed every tenant's limit THEN synth warns on load.active_series naming the rendered limit", async () => {
    const within = await loadWithWarnings({ env: { load: { active_series: 1_000_000 }, mimir: { limits: { max_global_series_per_user: 1_500_000 } } } });
    expect(within.warnings.map((w) => w.key)).not.toContain("load.active_series");
    const over = await loadWithWarnings({ env: { load: { active_series: 3_000_000 } } });
    expect(over.warnings.find((w) => w.key === "load.active_series")?.message).toBe(
      "3,000,000 active series exceed every tenant's max_global_series_per_user (the largest: 2,000,000, mimir.limits.max_global_series_per_user for jsj-lgtm-header, aws-rag-ec2): Mimir refuses each tenant's series past its limit. Raise the limit or lower the load",
    );
  });

  it("WHEN the declared logs exceed Loki's ingestion rate THEN synth warns on loki.limits.ingestion_rate_mb", async () => {
    // 5,000 GB/day = 57.9 MB/s against prod's 50.
    const { warnings } = await loadWithWarnings({ env: { load: { logs_gb_per_day: 5000 } } });
    expect(warnings.map((w) => w.key)).toContain("loki.limits.ingestion_rate_mb");
  });
});
