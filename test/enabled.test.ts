/**
 * `services.<name>.enabled` and `desired_count = 0` (settings/enabled.ts): a component the stack
 * needs is refused with what depends on it; `desired_count = 0` alone is refused pointing to
 * `enabled`; the refusals name the file and the key.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { SERVICE_NAMES, type Settings } from "../settings";
import { CONSUMERS } from "../settings/components";
import { checkEnabled, enabledConsumptions, enabledRingServices, REQUIRED_BECAUSE } from "../settings/enabled";
import { LAYERS } from "../stacks/contract";
import { checkRenderedConfigs, renderConfigs } from "../templates";
import { overrideError, settingsWith, shipped } from "./support/settings";
import { resourceOf, synthLayer } from "./support/synth";

describe("GIVEN the shipped prod settings", () => {
  it("WHEN nothing says enabled THEN every component is on", async () => {
    const s = await settingsWith({});
    for (const n of SERVICE_NAMES) expect(s.services[n].enabled, n).toBe(true);
  });

  it("WHEN the components the stack can run without are listed THEN it is Pyroscope alone", () => {
    expect(SERVICE_NAMES.filter((n) => !REQUIRED_BECAUSE[n])).toEqual(["pyroscope"]);
  });

  it.each(Object.keys(REQUIRED_BECAUSE))("WHEN %s is switched off THEN loading refuses it naming the file, the key and what depends on it", async (name) => {
    const message = await overrideError({ services: { [name]: { enabled: false } } });
    expect(message).toContain(`environments/prod.tfvars: services.${name}.enabled: ${name} cannot be switched off: ${REQUIRED_BECAUSE[name as "mimir"]}; expected true (or remove the key)`);
  });

  it.each(Object.keys(REQUIRED_BECAUSE))("WHEN %s runs 0 tasks THEN loading refuses desired_count = 0 saying the stack needs it", async (name) => {
    const message = await overrideError({ services: { [name]: { desired_count: 0 } } });
    expect(message).toContain(`environments/prod.tfvars: services.${name}.desired_count: 0 tasks would stop ${name}, which the stack needs: ${REQUIRED_BECAUSE[name as "mimir"]}; expected 1 or more`);
  });

  it("WHEN enabled is not a boolean THEN loading says so", async () => {
    expect(await overrideError({ services: { loki: { enabled: "no" } } })).toContain(`environments/prod.tfvars: services.loki.enabled: expected true or false, got "no"`);
  });
});

describe("GIVEN prod with Pyroscope switched off (services.pyroscope.enabled = false)", () => {
  let s: Settings;
  let on: Settings;
  const mentions = (text: string) => [...text.matchAll(/.{0,60}pyroscope.{0,60}/gi)].map((m) => m[0]);

  beforeAll(async () => {
    on = await shipped("prod");
    s = await settingsWith({
      services: { pyroscope: { enabled: false }, gateway: { alb_paths: on.services.gateway.alb_paths.filter((p) => !p.startsWith("/pyroscope")) } },
      adopt: { ecr_repositories: on.adopt.ecr_repositories.filter((n) => n !== "pyroscope") },
    });
  });

  it("WHEN every layer is synthesized THEN no stack mentions Pyroscope, except the bucket rule that still expires what it wrote before", () => {
    for (const layer of LAYERS) {
      const hits = mentions(JSON.stringify(synthLayer(s, layer)));
      if (layer === "30-storage") {
        expect(hits, layer).toHaveLength(1);
        expect(hits[0], layer).toContain('"filter":[{"prefix":"pyroscope/"}],"id":"pyroscope-expire"');
      } else {
        expect(hits, layer).toEqual([]);
      }
    }
    // It was there before: the test looks where Pyroscope appears when it is on.
    expect(mentions(JSON.stringify(synthLayer(on, "60-ecs"))).length).toBeGreaterThan(10);
    expect(mentions(JSON.stringify(synthLayer(on, "20-security"))).length).toBeGreaterThan(5);
  });

  it("WHEN the configs are rendered THEN no file mentions Pyroscope (no config of its own, no gateway route, datasource, trace-to-profiles link, dashboard or scrape), and the checks pass", () => {
    const configs = renderConfigs(s);
    expect(configs.filter((c) => c.service === "pyroscope")).toEqual([]);
    for (const c of configs) expect(mentions(c.content), `${c.service}/${c.fileName}`).toEqual([]);
    expect(configs.some((c) => c.service === "grafana" && c.fileName === "dashboards/pyroscope.json")).toBe(false);
    expect(checkRenderedConfigs(s, configs).errors).toEqual([]);
    // The other backends stay as they were.
    const gateway = configs.find((c) => c.service === "gateway" && c.fileName === "nginx.conf")!.content;
    for (const host of ["mimir", "loki", "tempo"]) expect(gateway).toContain(`http://${host}.${s.service_discovery.namespace}:`);
    expect(configs.find((c) => c.service === "gateway" && c.fileName === "start.sh")!.content).not.toContain("htpasswd-profiles");
  });

  it("WHEN the other services are synthesized THEN every remaining listener rule keeps its priority, and only Pyroscope's paths lost theirs", () => {
    const rules = (x: Settings) => (synthLayer(x, "60-ecs").resource?.aws_lb_listener_rule ?? {}) as Record<string, { priority: number; tags: { Name: string } }>;
    const before = rules(on);
    const after = rules(s);
    expect(Object.keys(after).length).toBeGreaterThan(0);
    for (const [key, rule] of Object.entries(after)) expect(rule.priority, key).toBe(before[key]?.priority);
    const gone = Object.keys(before).filter((k) => !(k in after));
    expect(gone.length).toBeGreaterThan(0);
    for (const k of gone) expect(before[k].tags.Name, k).toMatch(/\/pyroscope\//);
    expect(resourceOf(synthLayer(s, "60-ecs"), "aws_ecs_service", "mimir_service").desired_count).toBe(s.services.mimir.desired_count);
  });

  it("WHEN the gateway still routes /pyroscope/* from the ALB, or prod still adopts its repository THEN loading refuses it naming the key", async () => {
    expect(await overrideError({ services: { pyroscope: { enabled: false } }, adopt: { ecr_repositories: ["mimir"] } })).toMatch(
      /environments\/(common|prod)\.tfvars: services\.gateway\.alb_paths\[\d\]: "\/pyroscope\/\*" reaches only pyroscope's routes, and pyroscope is switched off \(services\.pyroscope\.enabled = false\); remove it from the gateway's alb_paths/,
    );
    expect(await overrideError({ image_source: "ecr", services: { pyroscope: { enabled: false }, gateway: { alb_paths: ["/api/v1/push"] } }, adopt: { ecr_repositories: ["mimir", "loki", "tempo", "pyroscope"] } })).toContain(
      "environments/prod.tfvars: adopt.ecr_repositories[3]: pyroscope is switched off (services.pyroscope.enabled = false), so no repository of it is created to adopt; remove it",
    );
  });

  it("WHEN Pyroscope runs 0 tasks while enabled THEN loading refuses it pointing to enabled = false", async () => {
    expect(await overrideError({ services: { pyroscope: { desired_count: 0 } } })).toContain(
      "environments/prod.tfvars: services.pyroscope.desired_count: 0 tasks would leave pyroscope's gateway routes, datasources, scrapes and alarms pointing at nothing; to switch pyroscope off set services.pyroscope.enabled = false, otherwise expected 1 or more",
    );
  });
});

describe("GIVEN prod's settings with Pyroscope switched off, checked without the loader (settings/enabled.ts)", () => {
  let prod: Settings;
  const without = (over: { path_prefix?: string; alb_paths?: string[]; adopt?: string[] } = {}): Settings => ({
    ...prod,
    services: {
      ...prod.services,
      pyroscope: { ...prod.services.pyroscope, enabled: false, ...(over.path_prefix !== undefined ? { path_prefix: over.path_prefix } : {}) },
      gateway: { ...prod.services.gateway, alb_paths: over.alb_paths ?? ["/api/v1/push"] },
    },
    adopt: { ...prod.adopt, ecr_repositories: over.adopt ?? [] },
  });
  beforeAll(async () => {
    prod = await shipped("prod");
  });

  it("WHEN an ALB path is Pyroscope's prefix itself or below it THEN each is refused by index, and a path that only starts with the same letters is not", () => {
    const keys = checkEnabled(without({ alb_paths: ["/pyroscope", "/pyroscope/ingest/*", "/pyroscopes/*", "/api/v1/push"] })).map((p) => p.key);
    expect(keys).toEqual(["services.gateway.alb_paths[0]", "services.gateway.alb_paths[1]"]);
  });

  it("WHEN Pyroscope is served at the root (path_prefix empty) THEN no ALB path is taken for one of its routes", () => {
    expect(checkEnabled(without({ path_prefix: "", alb_paths: ["/api/v1/push", "/loki/*"] }))).toEqual([]);
  });

  it("WHEN repositories are adopted THEN only the switched-off service's is refused, not an enabled service's or a name that is no service", () => {
    expect(checkEnabled(without({ adopt: ["mimir", "config-init", "pyroscope"] }))).toEqual([
      { key: "adopt.ecr_repositories[2]", message: "pyroscope is switched off (services.pyroscope.enabled = false), so no repository of it is created to adopt; remove it" },
    ]);
  });

  it("WHEN the ring members and what each consumer calls are listed THEN Pyroscope is left out, and a switched-off consumer calls nothing", () => {
    const s = without();
    expect(enabledRingServices(s)).toEqual(["mimir", "loki", "tempo"]);
    expect(enabledRingServices(prod)).toEqual(["mimir", "loki", "tempo", "pyroscope"]);
    const alloy = enabledConsumptions(s, "alloy");
    expect(alloy).toEqual(CONSUMERS.alloy.filter((c) => c.producer !== "pyroscope"));
    expect(alloy.length).toBe(CONSUMERS.alloy.length - 1);
    expect(enabledConsumptions(s, "pyroscope")).toEqual([]);
    expect(enabledConsumptions(prod, "tempo")).toEqual(CONSUMERS.tempo);
  });
});
