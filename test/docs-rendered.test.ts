/**
 * Every claim in README.md and docs/ about what is or is not rendered (or built, or configured) is
 * checked against the render: the docs are searched for such sentences, each must be covered by a
 * claim below (found by a phrase of its paragraph), and each claim's check reads the configs the
 * templates render in-process for the shipped settings (or a variant the claim is about). A new
 * sentence of that kind without a check here fails, and so does a check whose phrase left the docs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { SERVICE_NAMES, type Settings } from "../settings";
import { renderConfigs, type RenderedConfig } from "../templates";
import { sha256 } from "../templates/render";
import { docFiles, prose, ROOT } from "./support/docs";
import { settingsWith, shipped } from "./support/settings";
import { resourcesOf, synthLayer } from "./support/synth";

type Doc = Record<string, any>;

/** Phrases that state what the render holds. */
const CLAIM_RE =
  /\b(?:is|are|be|not|never|gets?)\s+rendered\b|\brendered\s+(?:into|in|under|as|with)\b|\bnot\s+rendered\b|\bnot\s+built\b|\bnot\s+configured\b|\brendered\s+`[^`]+`\s+(?:lists|has|sets|names)\b/i;

interface World {
  prod: Settings;
  dev: Settings;
  prodConfigs: RenderedConfig[];
  devConfigs: RenderedConfig[];
}
const file = (configs: RenderedConfig[], service: string, name: string): RenderedConfig => {
  const c = configs.find((x) => x.service === service && x.fileName === name);
  if (!c) throw new Error(`no rendered ${service}/${name}; have ${configs.map((x) => `${x.service}/${x.fileName}`).join(", ")}`);
  return c;
};
const yamlOf = (configs: RenderedConfig[], service: string, name: string): Doc => parseYaml(file(configs, service, name).content) as Doc;

interface Claim {
  /** The doc, relative to the project root. */
  readonly file: string;
  /** A phrase of the paragraph that makes the claim. */
  readonly phrase: string;
  readonly check: (w: World) => void | Promise<void>;
}

const CLAIMS: readonly Claim[] = [
  {
    file: "README.md",
    phrase: "is rendered from the same settings",
    check: ({ prodConfigs }) => {
      const names = prodConfigs.map((c) => `${c.service}/${c.fileName}`);
      for (const f of ["mimir/mimir.yaml", "loki/loki.yaml", "tempo/tempo.yaml", "pyroscope/pyroscope.yaml", "alloy/config.alloy", "gateway/nginx.conf"]) expect(names).toContain(f);
      expect(names.some((n) => n.startsWith("grafana/provisioning/"))).toBe(true);
    },
  },
  {
    file: "docs/architecture.md",
    phrase: "config is rendered and delivered",
    check: ({ prodConfigs }) => expect([...new Set(prodConfigs.map((c) => c.service))].sort()).toEqual([...SERVICE_NAMES].sort()),
  },
  {
    file: "docs/architecture.md",
    phrase: "Every component's config file is rendered from `templates/<service>/*.hbs`",
    check: () => {
      for (const n of SERVICE_NAMES) {
        const dir = path.join(ROOT, "templates", n);
        expect(fs.existsSync(dir) && fs.readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith(".hbs")), `templates/${n}/*.hbs`).toBe(true);
      }
    },
  },
  {
    file: "docs/architecture.md",
    phrase: "the per-tenant overrides file is rendered and delivered with the main config",
    check: ({ prodConfigs }) => {
      expect(file(prodConfigs, "mimir", "overrides.yaml").containerPath).toBe("/etc/lgtm/overrides.yaml");
      expect(yamlOf(prodConfigs, "mimir", "mimir.yaml").runtime_config.file).toBe("/etc/lgtm/overrides.yaml");
    },
  },
  {
    file: "docs/cost.md",
    phrase: "and rendered into the configs",
    check: ({ prodConfigs, devConfigs, prod }) => {
      expect(prod.cache.enabled).toBe(true);
      for (const n of ["mimir/mimir.yaml", "loki/loki.yaml"]) {
        const [svc, name] = n.split("/");
        expect(file(prodConfigs, svc, name).content, n).toContain("dns+memcached.lgtm.local:11211");
        expect(file(devConfigs, svc, name).content, `dev ${n} (cache off)`).not.toContain("memcached");
      }
    },
  },
  {
    file: "docs/cost.md",
    phrase: "too late for configs that",
    check: ({ prod, prodConfigs }) => {
      // Rendered at synth: the synthesized task definition carries the rendered file's hash.
      const ecs = JSON.stringify(synthLayer(prod, "60-ecs"));
      expect(ecs).toContain(sha256(file(prodConfigs, "mimir", "mimir.yaml").content));
    },
  },
  {
    file: "docs/cost.md",
    phrase: "Splitting it per cache is the next step",
    check: ({ prodConfigs }) => {
      const addresses = new Set(prodConfigs.flatMap((c) => [...c.content.matchAll(/dns\+memcached[^"\s]*/g)].map((m) => m[0])));
      expect([...addresses]).toEqual(["dns+memcached.lgtm.local:11211"]);
    },
  },
  {
    file: "docs/operating.md",
    phrase: "clustering is not configured",
    check: ({ prodConfigs }) => expect(file(prodConfigs, "alloy", "config.alloy").content).not.toMatch(/^\s*clustering\s*\{/m),
  },
  {
    file: "docs/operating.md",
    phrase: "Automatic Secrets Manager rotation is",
    check: ({ prod }) => expect(resourcesOf(synthLayer(prod, "40-iam"), "aws_secretsmanager_secret_rotation")).toEqual({}),
  },
  {
    file: "docs/runbook.md",
    phrase: "rendered into the component's main config (Mimir `limits`, Loki `limits_config`, Tempo",
    check: async () => {
      const s = await settingsWith({ tenants: { "aws-rag-ec2": { limits: { mimir: { max_global_series_per_user: 3000000 } } } } });
      const configs = renderConfigs(s);
      expect(yamlOf(configs, "mimir", "mimir.yaml").limits.max_global_series_per_user).toBe(s.mimir.limits.max_global_series_per_user);
      expect(yamlOf(configs, "loki", "loki.yaml").limits_config.ingestion_rate_mb).toBe(s.loki.limits.ingestion_rate_mb);
      expect(yamlOf(configs, "tempo", "tempo.yaml").overrides.defaults.global.max_bytes_per_trace).toBe(s.tempo.limits.max_bytes_per_trace);
      expect(yamlOf(configs, "pyroscope", "pyroscope.yaml").limits.max_global_series_per_tenant).toBe(s.pyroscope.limits.max_global_series_per_tenant);
      // The tenant's own value: in the runtime overrides file under overrides.<id>, only there.
      expect(yamlOf(configs, "mimir", "overrides.yaml").overrides["aws-rag-ec2"].max_global_series_per_user).toBe(3000000);
      expect(file(configs, "mimir", "overrides.yaml").containerPath).toBe("/etc/lgtm/overrides.yaml");
    },
  },
  {
    file: "docs/settings.md",
    phrase: "and are rendered into its main config under the pinned version's keys",
    check: ({ prod, prodConfigs }) => {
      expect(yamlOf(prodConfigs, "mimir", "mimir.yaml").limits.ingestion_rate).toBe(prod.mimir.limits.ingestion_rate);
      expect(yamlOf(prodConfigs, "loki", "loki.yaml").limits_config.max_concurrent_tail_requests).toBe(prod.loki.limits.max_concurrent_tail_requests);
      const tempo = yamlOf(prodConfigs, "tempo", "tempo.yaml").overrides.defaults;
      expect(tempo.global.max_bytes_per_trace).toBe(prod.tempo.limits.max_bytes_per_trace);
      expect(tempo.ingestion.rate_limit_bytes).toBe(prod.tempo.limits.ingestion_rate_limit_bytes);
      expect(yamlOf(prodConfigs, "pyroscope", "pyroscope.yaml").limits.ingestion_rate_mb).toBe(prod.pyroscope.limits.ingestion_rate_mb);
    },
  },
  {
    file: "docs/settings.md",
    phrase: "are rendered into each component's **runtime overrides file**",
    check: ({ prodConfigs, prod }) => {
      // Reloaded every 10 s: the components' default period, which no config changes.
      for (const n of ["mimir", "loki", "pyroscope"]) {
        const rc = yamlOf(prodConfigs, n, `${n}.yaml`).runtime_config;
        expect(rc.file, n).toBe("/etc/lgtm/overrides.yaml");
        expect(rc.period ?? "10s", n).toBe("10s");
      }
      expect(yamlOf(prodConfigs, "tempo", "tempo.yaml").overrides.per_tenant_override_config).toBe("/etc/lgtm/overrides.yaml");
      // Only the tenants and keys that differ: prod's aws-rag-ec2 sets Loki's rates, nothing else.
      const loki = yamlOf(prodConfigs, "loki", "overrides.yaml").overrides;
      expect(Object.keys(loki)).toEqual(Object.keys(prod.tenants).filter((t) => prod.tenants[t].limits.loki !== undefined));
      expect(yamlOf(prodConfigs, "mimir", "overrides.yaml").overrides).toEqual({});
    },
  },
  {
    file: "docs/migration.md",
    phrase: "The rendered `loki.yaml` lists the old periods first",
    check: async () => {
      const s = await settingsWith({ loki: { schema_from: "2025-06-01", previous_schema_periods: [{ from: "2023-01-01", store: "boltdb-shipper", schema: "v12" }] } });
      const periods = yamlOf(renderConfigs(s), "loki", "loki.yaml").schema_config.configs as Doc[];
      expect(periods.map((p) => [p.from, p.store, p.schema])).toEqual([
        ["2023-01-01", "boltdb-shipper", "v12"],
        ["2025-06-01", "tsdb", "v13"],
      ]);
    },
  },
  {
    file: "docs/gateway.md",
    phrase: "nothing of Pyroscope is created or rendered",
    check: async () => {
      const on = await shipped("prod");
      const off = await settingsWith({
        services: { pyroscope: { enabled: false }, gateway: { alb_paths: on.services.gateway.alb_paths.filter((p) => !p.startsWith("/pyroscope")) } },
      });
      const configs = renderConfigs(off);
      expect(configs.some((c) => c.service === "pyroscope")).toBe(false);
      expect(configs.filter((c) => /pyroscope/i.test(c.content)).map((c) => `${c.service}/${c.fileName}`)).toEqual([]);
    },
  },
  {
    file: "docs/settings-reference.md",
    phrase: "Every backend's gRPC message limits are rendered at least this large",
    check: async () => {
      const configs = renderConfigs(await settingsWith({ gateway: { max_body_size_mib: 256 } }));
      const loki = yamlOf(configs, "loki", "loki.yaml");
      expect(loki.server.grpc_server_max_recv_msg_size).toBeGreaterThanOrEqual(256 * 1024 * 1024);
      expect(file(configs, "gateway", "nginx.conf").content).toContain("client_max_body_size 256m;");
    },
  },
  {
    file: "docs/settings-reference.md",
    phrase: "rendered under its id in",
    check: async () => {
      const limits = { mimir: { ingestion_rate: 123456 }, loki: { ingestion_rate_mb: 77 }, tempo: { max_traces_per_user: 4321 }, pyroscope: { ingestion_rate_mb: 55 } };
      const configs = renderConfigs(await settingsWith({ tenants: { "aws-rag-ec2": { limits } } }));
      for (const [component, set] of Object.entries(limits)) {
        const overrides = file(configs, component, "overrides.yaml");
        expect(overrides.containerPath).toBe("/etc/lgtm/overrides.yaml");
        const mine = (parseYaml(overrides.content) as Doc).overrides["aws-rag-ec2"];
        expect(JSON.stringify(mine), component).toContain(String(Object.values(set)[0]));
      }
    },
  },
];

/** Each paragraph (or table row) of prose that makes a claim about the render. */
function claimParagraphs(): { file: string; text: string }[] {
  return docFiles().flatMap((d) =>
    prose(d.text)
      .split(/\n\s*\n|\n(?=\s*[|-] )/)
      .map((p) => p.replace(/\s*\n\s*/g, " ").trim())
      .filter((p) => CLAIM_RE.test(p))
      .map((text) => ({ file: d.file, text })),
  );
}

describe("GIVEN the claims of README.md and docs/ about what is rendered", () => {
  const world = {} as World;
  beforeAll(async () => {
    world.prod = await shipped("prod");
    world.dev = await shipped("dev");
    world.prodConfigs = renderConfigs(world.prod);
    world.devConfigs = renderConfigs(world.dev);
  });

  it("WHEN the docs are searched THEN every such paragraph is covered by a checked claim, and every claim's phrase is still in its doc", () => {
    const paragraphs = claimParagraphs();
    expect(paragraphs.length).toBeGreaterThanOrEqual(CLAIMS.length);
    const uncovered = paragraphs.filter((p) => !CLAIMS.some((c) => c.file === p.file && p.text.includes(c.phrase))).map((p) => `${p.file}: ${p.text.slice(0, 160)}`);
    expect(uncovered, "paragraphs claiming what is rendered with no check in test/docs-rendered.test.ts").toEqual([]);
    const stale = CLAIMS.filter((c) => !paragraphs.some((p) => p.file === c.file && p.text.includes(c.phrase))).map((c) => `${c.file}: ${c.phrase}`);
    expect(stale, "claims whose phrase is no longer in a claiming paragraph of the doc").toEqual([]);
  });

  it.each(CLAIMS.map((c) => [`${c.file}: "${c.phrase}"`, c] as const))("WHEN %s is checked against the render THEN it holds", async (_name, claim) => {
    await claim.check(world);
  });
});
