import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSettings, type Settings } from "../settings";
import { capacitySplit, estimateCost, loadPrices, MissingPricesError, PRICES_DIR, type PriceList } from "../cost";
import { costDelta, formatJson, formatMarkdown, formatTable } from "../cost/format";
import { runCli, runInProcess } from "./support/cli";
import { EXAMPLE_LOAD, settingsWith } from "./support/settings";

/** The price file itself, read as JSON (not through loadPrices), so the test recomputes from the data. */
const file = JSON.parse(fs.readFileSync(path.join(PRICES_DIR, "ap-northeast-2.json"), "utf8")) as PriceList;
const p = (k: keyof PriceList["prices"]) => file.prices[k].usd;

describe("GIVEN prod and the ap-northeast-2 price file", () => {
  it("WHEN estimated THEN the total is the sum a hand computation gets from the price file", async () => {
    const e = estimateCost(await loadSettings("prod"), loadPrices("ap-northeast-2"));
    // Tasks (on demand; ARM64 but Grafana, whose image is not confirmed for arm64): mimir 3 × 2 vCPU/4 GB/100 GiB,
    // loki 3 × 1/2/50, tempo 1 × 1/2/50, pyroscope 3 × 1/2/50, alloy 1 × 0.5/1/21; grafana (X86_64) 1 × 0.5/1/21.
    const armVcpu = 3 * 2 + 3 * 1 + 1 + 3 * 1 + 0.5; // 13.5
    const armGb = 3 * 4 + 3 * 2 + 2 + 3 * 2 + 1; // 27
    const ephemeralBeyond20 = 3 * 80 + 3 * 30 + 30 + 3 * 30 + 1 + 1; // 452
    // The memcached query cache (cache.enabled in prod, sizes from Grafana's figures): 3 × 1 vCPU/6 GB ARM64, no extra disk.
    const cacheVcpu = 3 * 1;
    const cacheGb = 3 * 6;
    // The gateway (X86_64: nginx is not confirmed for arm64 here): 2 × 0.25 vCPU/0.5 GB/21 GiB.
    const gatewayX86 = { vcpu: 2 * 0.25, gb: 2 * 0.5, ephemeral: 2 * 1 };
    const tasks = 12 + 3 + 2;
    const fargate =
      730 * (cacheVcpu * p("fargate_vcpu_hour_arm64") + cacheGb * p("fargate_gb_hour_arm64")) +
      730 * (armVcpu * p("fargate_vcpu_hour_arm64") + armGb * p("fargate_gb_hour_arm64")) +
      730 * ((0.5 + gatewayX86.vcpu) * p("fargate_vcpu_hour_x86_64") + (1 + gatewayX86.gb) * p("fargate_gb_hour_x86_64")) +
      730 * (ephemeralBeyond20 + gatewayX86.ephemeral) * p("fargate_ephemeral_gb_hour");
    const logs = tasks * 1 * p("cloudwatch_logs_ingest_gb") + ((tasks * 1 * 7) / 30) * p("cloudwatch_logs_storage_gb_month");
    const alb = 730 * p("alb_hour") + 730 * 1 * p("alb_lcu_hour");
    const nat = 3 * 730 * p("nat_gateway_hour") + 20 * p("nat_gateway_gb");
    const endpoints = 4 * 3 * 730 * p("interface_endpoint_hour");
    const s3 = 2000 * p("s3_put_per_1000") + 20000 * p("s3_get_per_1000");
    const efs = 1 * p("efs_standard_gb_month");
    // Grafana's admin password and one gateway password per tenant (jsj-lgtm-header, aws-rag-ec2).
    const secrets = 3 * p("secretsmanager_secret_month");
    // The web ACL (load_balancer.waf in prod): 1 web ACL, 5 rules, 5 million requests (cost.usage.alb_requests_per_month).
    const waf = p("waf_web_acl_month") + 5 * p("waf_rule_month") + 5 * p("waf_requests_per_million");
    const expected = fargate + logs + alb + nat + endpoints + s3 + efs + secrets + waf;
    expect(e.total).toBeCloseTo(expected, 6);
    expect(e.byLayer["60-ecs"]).toBeCloseTo(fargate + logs, 6);
    expect(e.byLayer["10-network"]).toBeCloseTo(nat + endpoints, 6);
    expect(e.byLayer["50-loadbalancer"]).toBeCloseTo(alb + waf, 6);
    expect(waf).toBeCloseTo(13, 6);
    expect(e.lines.reduce((a, l) => a + l.monthly, 0)).toBeCloseTo(e.total, 9);
    // Every line is quantity × the file's price.
    for (const l of e.lines) expect(l.monthly).toBeCloseTo(l.quantity * p(l.priceKey), 9);
    // A real figure, not zero: about 939 USD at these prices, 138 of them the query cache (801 without it).
    expect(e.total).toBeGreaterThan(500);
  });

  it("WHEN Mimir is forced back to X86_64 THEN its Fargate line is higher by the price ratio, and the delta shows only in 60-ecs", async () => {
    const prices = loadPrices("ap-northeast-2");
    const arm = estimateCost(await loadSettings("prod"), prices);
    const x86 = estimateCost(await settingsWith({ services: { mimir: { cpu_architecture: "X86_64" } } }), prices);
    const fargate = (e: typeof x86) => e.lines.filter((l) => l.item === "mimir" && l.what.startsWith("FARGATE ")).reduce((a, l) => a + l.monthly, 0);
    expect(fargate(arm)).toBeLessThan(fargate(x86));
    expect(fargate(arm)).toBeCloseTo(730 * 3 * (2 * p("fargate_vcpu_hour_arm64") + 4 * p("fargate_gb_hour_arm64")), 6);
    expect(fargate(x86)).toBeCloseTo(730 * 3 * (2 * p("fargate_vcpu_hour_x86_64") + 4 * p("fargate_gb_hour_x86_64")), 6);
    expect(arm.lines.find((l) => l.item === "mimir")!.what).toBe("FARGATE ARM64: 3 tasks × 2 vCPU × 730 h");
    // The plan review's delta (X86_64 → ARM64): only 60-ecs moves, by the Fargate difference.
    const delta = costDelta(x86, arm);
    expect(delta.find((d) => d.layer === "60-ecs")!.delta).toBeCloseTo(fargate(arm) - fargate(x86), 6);
    expect(delta.filter((d) => d.layer !== "60-ecs" && d.layer !== "total").every((d) => d.delta === 0)).toBe(true);
    expect(delta.at(-1)).toMatchObject({ layer: "total", delta: expect.closeTo(fargate(arm) - fargate(x86), 6) });
  });

  it("WHEN a price is overridden in settings THEN that figure is used and marked as overridden", async () => {
    const s = await settingsWith({ cost: { prices: { efs_standard_gb_month: 0.5 } } });
    const e = estimateCost(s, loadPrices(s.aws.region, s.cost.prices));
    const efs = e.lines.find((l) => l.item === "efs")!;
    expect([efs.unitPrice, efs.monthly, efs.estimate]).toEqual([0.5, 0.5, true]); // the 1 GB quantity stays an assumption
    expect(loadPrices(s.aws.region, s.cost.prices).prices.efs_standard_gb_month).toMatchObject({ usd: 0.5, overridden: true });
  });

  it("WHEN a price key is misspelt in settings THEN the error names the key and lists the valid ones", async () => {
    await expect(settingsWith({ cost: { prices: { alb_hours: 0.1 } } })).rejects.toThrow(
      /environments\/prod\.tfvars: cost\.prices\.alb_hours: unknown key "alb_hours"; did you mean "alb_hour"\? \(expected one of: fargate_vcpu_hour_x86_64, /,
    );
  });

  it("WHEN the region has no price file THEN the error says which regions have one", () => {
    expect(() => loadPrices("eu-west-1")).toThrow(MissingPricesError);
    expect(() => loadPrices("eu-west-1")).toThrow(/no price file for region eu-west-1 .*regions with prices: ap-northeast-2/);
  });

  it("WHEN a price folder holds other files or lacks prices THEN the errors list only regions and name the missing keys, which settings may supply", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-prices-"));
    try {
      // GIVEN a folder with one region's file lacking two prices, and a file that is no price file
      const { alb_hour: _alb, nat_gateway_hour: _nat, ...rest } = file.prices;
      fs.writeFileSync(path.join(dir, "eu-west-9.json"), JSON.stringify({ ...file, region: "eu-west-9", prices: rest }));
      fs.writeFileSync(path.join(dir, "README.md"), "not prices");
      const rel = path.relative(process.cwd(), path.join(dir, "eu-west-9.json"));
      // WHEN another region is asked for THEN only the .json files are listed, by region
      expect(() => loadPrices("us-east-1", {}, dir)).toThrow(`no price file for region us-east-1 (${path.relative(process.cwd(), path.join(dir, "us-east-1.json"))}); regions with prices: eu-west-9. Add one`);
      // WHEN the lacking region is asked for THEN the missing keys are named, and only those settings does not supply
      expect(() => loadPrices("eu-west-9", {}, dir)).toThrow(new MissingPricesError(`${rel} lacks alb_hour, nat_gateway_hour`));
      expect(() => loadPrices("eu-west-9", { alb_hour: 0.03 }, dir)).toThrow(new MissingPricesError(`${rel} lacks nat_gateway_hour`));
      // and with both supplied it loads; a price the file lacks is marked as the settings' own, its unit its key
      const list = loadPrices("eu-west-9", { alb_hour: 0.03, nat_gateway_hour: 0.05 }, dir);
      expect(list.prices.alb_hour).toEqual({ usd: 0.03, unit: "alb_hour", source: "settings (cost.prices)", overridden: true });
      expect(list.prices.efs_standard_gb_month).toEqual(file.prices.efs_standard_gb_month);
      // WHEN the folder itself is missing THEN no region has prices
      expect(() => loadPrices("eu-west-9", {}, path.join(dir, "none"))).toThrow("regions with prices: none.");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("GIVEN dev's Spot weights", () => {
  it("WHEN tasks are split THEN on_demand_base goes first and the rest splits 1 : spot_weight", () => {
    expect(capacitySplit(3, 0, 0)).toEqual({ onDemand: 3, spot: 0 });
    expect(capacitySplit(1, 1, 0)).toEqual({ onDemand: 0.5, spot: 0.5 });
    expect(capacitySplit(5, 3, 1)).toEqual({ onDemand: 2, spot: 3 });
  });

  it("WHEN dev is estimated THEN Grafana, Alloy and the gateway have FARGATE_SPOT lines at the Spot price", async () => {
    const e = estimateCost(await loadSettings("dev"), loadPrices("ap-northeast-2"));
    const spot = e.lines.filter((l) => l.what.startsWith("FARGATE_SPOT"));
    expect([...new Set(spot.map((l) => l.item))]).toEqual(["grafana", "alloy", "gateway"]);
    expect(spot.every((l) => l.estimate)).toBe(true);
  });
});

describe("GIVEN prod with the example load", () => {
  it("WHEN estimated THEN S3 holds retention × daily ingest per component", async () => {
    const s = await settingsWith({ load: EXAMPLE_LOAD });
    const e = estimateCost(s, loadPrices("ap-northeast-2"));
    const s3 = e.lines.filter((l) => l.priceKey === "s3_standard_gb_month").map((l) => [l.what.split(":")[0], l.quantity]);
    // Mimir: 1M / 15 s × 86,400 × 2 B = 11.52 GB/day × 365 = 4,204.8 GB. Loki: 50 / 5 = 10 GB/day × 365.
    // Tempo: 5 MB/s × 86,400 / 1000 / 3 = 144 GB/day × 7.
    expect(s3).toEqual([
      ["Mimir blocks", expect.closeTo(4204.8, 6)],
      ["Loki chunks", expect.closeTo(3650, 6)],
      ["Tempo blocks", expect.closeTo(1008, 6)],
    ]);
    expect(e.byItem.s3).toBeCloseTo((4204.8 + 3650 + 1008) * p("s3_standard_gb_month") + 2000 * p("s3_put_per_1000") + 20000 * p("s3_get_per_1000"), 6);
  });

  it("WHEN ingest is allowed through the ALB THEN its LCUs follow the processed bytes", async () => {
    const s = await settingsWith({ load: EXAMPLE_LOAD, load_balancer: { ingest_allowed_cidrs: { office: "203.0.113.0/24" } } });
    const lcu = estimateCost(s, loadPrices("ap-northeast-2")).lines.find((l) => l.priceKey === "alb_lcu_hour")!;
    // 50/24 GB logs + 5 MB/s × 3600 / 1000 GB spans + 66,667 samples/s × 2 B × 3600 / 1e9 GB = 2.083 + 18 + 0.48 = 20.563 GB/h.
    expect(lcu.quantity).toBeCloseTo((50 / 24 + 18 + (1_000_000 / 15) * 2 * 3600 / 1e9) * 730, 6);
  });
});

describe("GIVEN an estimate", () => {
  it("WHEN formatted THEN the table, Markdown and JSON carry the same total", async () => {
    const e = estimateCost(await loadSettings("prod"), loadPrices("ap-northeast-2"));
    const total = e.total.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    expect(formatTable(e)).toMatch(new RegExp(`TOTAL\\s+${total.replace(".", "\\.")}`));
    expect(formatMarkdown(e)).toContain(`**Total: ${total} USD/month.**`);
    expect(JSON.parse(formatJson(e)).total).toBe(e.total);
    expect(formatTable(e).split("\n")[0]).toBe("Monthly cost estimate: prod (ap-northeast-2), USD, prices as of 2025-06-01, 730 h/month");
  });
});

describe("GIVEN the cost command", () => {
  // `npm run cost` as a user runs it: node bin/lgtm.cjs cost, a fresh process.
  const cost = (...args: string[]) => runCli(["cost", ...args]);

  it("WHEN run for prod as JSON into a file THEN the file's total is the estimate of the loaded settings", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-cost-"));
    try {
      const out = path.join(dir, "cost.json");
      const r = cost("--env", "prod", "--format", "json", "--out", out);
      expect(r.status, r.stderr).toBe(0);
      const written = JSON.parse(fs.readFileSync(out, "utf8")) as { total: number; lines: { monthly: number }[] };
      expect(written.total).toBeCloseTo(estimateCost(await loadSettings("prod"), loadPrices("ap-northeast-2")).total, 9);
      expect(written.lines.reduce((a, l) => a + l.monthly, 0)).toBeCloseTo(written.total, 9);
      expect(r.stdout).toMatch(/^wrote the json estimate for prod \(total \d+\.\d\d USD\/month\) to /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("WHEN the command line is wrong THEN it exits 2 with the usage; an unknown environment exits 1 naming it", async () => {
    // In-process through main.ts's reporter; the run above is the fresh process.
    const inProcess = async (...args: string[]) => runInProcess(await import("../commands/cost"), args);
    const noEnv = await inProcess();
    expect([noEnv.status, noEnv.stderr.split("\n")[0]]).toEqual([2, "--env is required"]);
    const badFormat = await inProcess("--env", "prod", "--format", "csv");
    expect(badFormat.status).toBe(2);
    expect(badFormat.stderr).toContain('--format must be one of text, markdown, json, got "csv"');
    const unknown = await inProcess("--env", "qa");
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('unknown environment "qa"');
  });
});

describe("GIVEN a small hand-made estimate (two layers, an estimated line, a pipe in a name)", () => {
  const line = (layer: string, item: string, what: string, quantity: number, unitPrice: number, estimate = false) =>
    ({ layer, item, what, quantity, unit: "h", priceKey: "nat_gateway_hour", unitPrice, monthly: quantity * unitPrice, estimate }) as const;
  const lines = [line("60-ecs", "loki", "FARGATE vCPU-hours", 1460.12345, 0.0123456789), line("60-ecs", "loki", "FARGATE GB-hours", 2920, 0.0013, true), line("10-network", "nat|gw", "NAT hours", 730, 1.5)];
  const e = {
    env: "dev",
    region: "eu-west-1",
    currency: "USD",
    pricesAsOf: "2025-01-02",
    hoursPerMonth: 730,
    lines,
    byItem: { loki: lines[0].monthly + lines[1].monthly, "nat|gw": 1095 },
    byLayer: { "60-ecs": lines[0].monthly + lines[1].monthly, "10-network": 1095 },
    total: 1116.82,
    assumptions: ["one", "two"],
  } as const;

  it("WHEN formatted as a table THEN every column lines up, estimates carry a * beside the figure, and layers are sorted", () => {
    expect(formatTable(e).split("\n")).toEqual([
      "Monthly cost estimate: dev (eu-west-1), USD, prices as of 2025-01-02, 730 h/month",
      "",
      "LAYER       ITEM    USD/MONTH",
      "60-ecs      loki        21.82 *",
      "10-network  nat|gw   1,095.00",
      "            TOTAL    1,116.82",
      "",
      "LAYER       USD/MONTH",
      "10-network   1,095.00",
      "60-ecs          21.82",
      "",
      "LAYER       ITEM    WHAT                QUANTITY  UNIT  USD/UNIT  USD/MONTH",
      "60-ecs      loki    FARGATE vCPU-hours  1460.123  h     0.012346      18.03",
      "60-ecs      loki    FARGATE GB-hours        2920  h       0.0013       3.80 *",
      "10-network  nat|gw  NAT hours                730  h          1.5   1,095.00",
      "",
      "* estimate (price or quantity); assumptions:",
      "  - one",
      "  - two",
    ]);
  });

  it("WHEN formatted as Markdown THEN the tables are right-aligned where numbers are and a | in a name is escaped", () => {
    expect(formatMarkdown(e).split("\n")).toEqual([
      "## Monthly cost estimate: dev (eu-west-1)",
      "",
      "USD, prices as of 2025-01-02, 730 hours a month. **Total: 1,116.82 USD/month.** Figures marked * are estimates.",
      "",
      "| Layer | Item | USD/month |",
      "| --- | --- | ---: |",
      "| 60-ecs | loki | 21.82 * |",
      "| 10-network | nat\\|gw | 1,095.00 |",
      "|  | **Total** | **1,116.82** |",
      "",
      "| Layer | USD/month |",
      "| --- | ---: |",
      "| 10-network | 1,095.00 |",
      "| 60-ecs | 21.82 |",
      "",
      "<details><summary>Every line</summary>",
      "",
      "| Layer | Item | What | Quantity | Unit | USD/unit | USD/month |",
      "| --- | --- | --- | ---: | --- | ---: | ---: |",
      "| 60-ecs | loki | FARGATE vCPU-hours | 1460.123 | h | 0.012346 | 18.03 |",
      "| 60-ecs | loki | FARGATE GB-hours | 2920 | h | 0.0013 | 3.80 * |",
      "| 10-network | nat\\|gw | NAT hours | 730 | h | 1.5 | 1,095.00 |",
      "",
      "</details>",
      "",
      "Assumptions:",
      "",
      "- one",
      "- two",
    ]);
  });

  it("WHEN compared with an estimate that lost a layer and gained one THEN the delta lists both layers, sorted, then the total", () => {
    const after = { ...e, byLayer: { "60-ecs": 30, "20-security": 5 }, total: 35 };
    expect(costDelta(e, after)).toEqual([
      { layer: "10-network", before: 1095, after: 0, delta: -1095 },
      { layer: "20-security", before: 0, after: 5, delta: 5 },
      { layer: "60-ecs", before: e.byLayer["60-ecs"], after: 30, delta: 30 - e.byLayer["60-ecs"] },
      { layer: "total", before: 1116.82, after: 35, delta: 35 - 1116.82 },
    ]);
  });
});

describe("GIVEN the lines `npm run cost` prints", () => {
  // prod with a load that includes profiles: loaded once, read by two tests.
  let withProfiles: Settings;
  beforeAll(async () => {
    withProfiles = await settingsWith({ load: { ...EXAMPLE_LOAD, profiles_per_second: 100 } });
  });
  const said = (e: { lines: readonly { layer: string; item: string; what: string; estimate: boolean }[] }, keep: (item: string) => boolean) =>
    e.lines.filter((l) => keep(l.item)).map((l) => `${l.layer} ${l.item}: ${l.what}${l.estimate ? " *" : ""}`);

  it("WHEN prod with a load (profiles too) is estimated THEN each line says what it counts, in layer order, and the assumptions say what was assumed", async () => {
    const e = estimateCost(withProfiles, loadPrices("ap-northeast-2"));
    expect(said(e, (i) => ["mimir", "memcached", "tempo"].includes(i))).toEqual([
      "60-ecs mimir: FARGATE ARM64: 3 tasks × 2 vCPU × 730 h",
      "60-ecs mimir: FARGATE ARM64: 3 tasks × 4 GB × 730 h",
      "60-ecs mimir: ephemeral storage beyond 20 GB: 3 × 80 GB × 730 h *",
      "60-ecs mimir: CloudWatch Logs ingest: 3 × 1 GB *",
      "60-ecs mimir: CloudWatch Logs storage: 7 days of 3 GB/month *",
      "60-ecs tempo: FARGATE ARM64: 1 task × 1 vCPU × 730 h",
      "60-ecs tempo: FARGATE ARM64: 1 task × 2 GB × 730 h",
      "60-ecs tempo: ephemeral storage beyond 20 GB: 1 × 30 GB × 730 h *",
      "60-ecs tempo: CloudWatch Logs ingest: 1 × 1 GB *",
      "60-ecs tempo: CloudWatch Logs storage: 7 days of 1 GB/month *",
      "60-ecs memcached: FARGATE ARM64: 3 × 2 vCPU × 730 h",
      "60-ecs memcached: FARGATE ARM64: 3 × 10 GB × 730 h",
      "60-ecs memcached: CloudWatch Logs ingest: 3 × 1 GB *",
      "60-ecs memcached: CloudWatch Logs storage: 7 days of 3 GB/month *",
    ]);
    expect(said(e, (i) => !e.lines.some((l) => l.item === i && l.layer === "60-ecs"))).toEqual([
      "50-loadbalancer alb: ALB: 1 × 730 h",
      "50-loadbalancer alb: LCU: 1 LCU × 730 h (max of 1 base and 0 GB/h processed) *",
      "50-loadbalancer waf: WAF web ACL: 1",
      "50-loadbalancer waf: WAF rules: 5 (2 rate-based, 3 AWS managed groups)",
      "50-loadbalancer waf: WAF requests: 5 million *",
      "10-network nat: NAT gateways: 3 × 730 h",
      "10-network nat: NAT processed: 20 GB *",
      "10-network endpoints: interface endpoints: 4 × 3 AZs × 730 h",
      "30-storage s3: Mimir blocks: 11.52 GB/day (1000000 series / 15 s × 2 B) × 365 days *",
      "30-storage s3: Loki chunks: 10 GB/day (50 GB ÷ 5) × 365 days *",
      "30-storage s3: Tempo blocks: 144 GB/day (5 MB/s ÷ 3) × 7 days *",
      "30-storage s3: Pyroscope blocks: 86.4 GB/day (100/s × 10000 B) × 30 days *",
      "30-storage s3: PUT requests: 2000 thousand *",
      "30-storage s3: GET requests: 20000 thousand *",
      "30-storage efs: Grafana's EFS: 1 GB *",
      "40-iam secrets: Secrets Manager: 3 secrets (Grafana admin password, each tenant's gateway password)",
    ]);
    // 86.4 GB/day × 30 days of profiles.
    expect(e.lines.find((l) => l.what.startsWith("Pyroscope blocks"))!.quantity).toBeCloseTo(2592, 6);
    expect(e.assumptions).toEqual([
      "every task writes 1 GB of its own logs to CloudWatch a month (cost.usage.container_log_gb_per_task_month; 17 tasks)",
      "the ALB carries Grafana's UI only (ingest_allowed_cidrs is empty, producers use Cloud Map): 1 LCU (cost.usage.alb_base_lcu)",
      "5 million requests a month through the ALB and its web ACL (cost.usage.alb_requests_per_month)",
      "20 GB/month through NAT (cost.usage.nat_gb_per_month): S3 goes through the gateway endpoint (free)",
    ]);
  });

  it("WHEN ingest goes through the ALB, or there is no load block THEN the assumptions say so", async () => {
    const ingest = estimateCost(await settingsWith({ load: EXAMPLE_LOAD, load_balancer: { ingest_allowed_cidrs: { office: "203.0.113.0/24" } } }), loadPrices("ap-northeast-2"));
    expect(said(ingest, (i) => i === "alb")).toEqual(["50-loadbalancer alb: ALB: 1 × 730 h", "50-loadbalancer alb: LCU: 20.563 LCU × 730 h (max of 1 base and 20.563 GB/h processed) *"]);
    expect(ingest.assumptions[1]).toBe("the ALB's LCUs are its processed bytes (1 GB/h = 1 LCU): the load block's ingest, which ingest_allowed_cidrs sends through it");
    const none = estimateCost(await loadSettings("prod"), loadPrices("ap-northeast-2"));
    expect(none.assumptions.at(-1)).toBe("no load block: S3 storage is not estimated (add `load` to settings)");
    expect(none.lines.filter((l) => l.priceKey === "s3_standard_gb_month")).toEqual([]);
  });

  it("WHEN dev splits tasks onto Spot THEN the half tasks are counted on each provider at its own price", async () => {
    const e = estimateCost(await loadSettings("dev"), loadPrices("ap-northeast-2"));
    expect(said(e, (i) => i === "grafana")).toEqual([
      "60-ecs grafana: FARGATE X86_64: 0.5 tasks × 0.5 vCPU × 730 h",
      "60-ecs grafana: FARGATE X86_64: 0.5 tasks × 1 GB × 730 h",
      "60-ecs grafana: FARGATE_SPOT X86_64: 0.5 tasks × 0.5 vCPU × 730 h *",
      "60-ecs grafana: FARGATE_SPOT X86_64: 0.5 tasks × 1 GB × 730 h *",
      "60-ecs grafana: ephemeral storage beyond 20 GB: 1 × 1 GB × 730 h *",
      "60-ecs grafana: CloudWatch Logs ingest: 1 × 1 GB *",
      "60-ecs grafana: CloudWatch Logs storage: 7 days of 1 GB/month *",
    ]);
    const spot = e.lines.filter((l) => l.item === "grafana" && l.what.startsWith("FARGATE_SPOT")).map((l) => [l.priceKey, l.quantity]);
    expect(spot).toEqual([["fargate_spot_vcpu_hour_x86_64", 0.5 * 0.5 * 730], ["fargate_spot_gb_hour_x86_64", 0.5 * 1 * 730]]);
    // The gateway's half GB: quantity = tasks × GB × hours, whichever factor is not 1.
    const gateway = e.lines.filter((l) => l.item === "gateway" && l.what.startsWith("FARGATE_SPOT")).map((l) => l.quantity);
    expect(gateway).toEqual([0.5 * 0.25 * 730, 0.5 * 0.5 * 730]);
    expect(said(e, (i) => i === "nat")[0]).toBe("10-network nat: NAT gateways: 1 × 730 h");
  });

  it("WHEN Pyroscope is switched off THEN it has no task lines and no stored profiles, whatever the load says", async () => {
    // (The settings checks refuse a profiles load for a switched-off Pyroscope; the estimate must not count it anyway.)
    const s = withProfiles;
    const e = estimateCost({ ...s, services: { ...s.services, pyroscope: { ...s.services.pyroscope, enabled: false } } }, loadPrices("ap-northeast-2"));
    expect(e.lines.filter((l) => l.item === "pyroscope" || l.what.startsWith("Pyroscope"))).toEqual([]);
    expect(e.assumptions[0]).toContain("; 14 tasks)");
  });

  it("WHEN a service runs no task or keeps no container logs THEN it has no disk or log lines", async () => {
    const prod = await loadSettings("prod");
    const s = { ...prod, services: { ...prod.services, tempo: { ...prod.services.tempo, desired_count: 0 } }, cost: { ...prod.cost, usage: { ...prod.cost.usage, container_log_gb_per_task_month: 0 } } };
    const e = estimateCost(s, loadPrices("ap-northeast-2"));
    expect(e.lines.filter((l) => l.item === "tempo")).toEqual([]);
    expect(e.lines.filter((l) => l.what.startsWith("CloudWatch Logs"))).toEqual([]);
    expect(e.assumptions[0]).toBe("every task writes 0 GB of its own logs to CloudWatch a month (cost.usage.container_log_gb_per_task_month; 16 tasks)");
  });
});
