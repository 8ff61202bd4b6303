import { describe, expect, it } from "vitest";
import { cpuArchitecture, imageRepository, loadSettings, SERVICE_NAMES } from "../settings";
import { overrideError, settingsWith } from "./support/settings";
import { resourcesOf, synthLayer } from "./support/synth";

const archs = (s: Awaited<ReturnType<typeof loadSettings>>) => Object.fromEntries(SERVICE_NAMES.map((n) => [n, cpuArchitecture(s, n)]));

describe("GIVEN the shipped environments", () => {
  it("WHEN prod is loaded THEN every service whose image is published for arm64 runs ARM64, Grafana and the gateway (nginx: not confirmed for arm64 here) X86_64", async () => {
    expect(archs(await loadSettings("prod"))).toEqual({ mimir: "ARM64", loki: "ARM64", tempo: "ARM64", pyroscope: "ARM64", grafana: "X86_64", alloy: "ARM64", gateway: "X86_64" });
  });

  it("WHEN dev is loaded THEN Grafana and Alloy stay X86_64 because Fargate Spot runs X86_64 only", async () => {
    expect(archs(await loadSettings("dev"))).toEqual({ mimir: "ARM64", loki: "ARM64", tempo: "ARM64", pyroscope: "ARM64", grafana: "X86_64", alloy: "X86_64", gateway: "X86_64" });
  });

  it("WHEN prod's 60-ecs is synthesized THEN each task definition's runtime_platform carries the architecture", async () => {
    const defs = resourcesOf(synthLayer(await loadSettings("prod"), "60-ecs"), "aws_ecs_task_definition");
    const byFamily = Object.fromEntries(Object.values(defs).map((d) => [d.family as string, d.runtime_platform.cpu_architecture as string]));
    // Seven services and the memcached query cache (prod runs it; its image is published for arm64).
    expect(Object.keys(byFamily)).toHaveLength(8);
    expect(Object.entries(byFamily).filter(([, a]) => a === "X86_64").map(([f]) => f).sort()).toEqual(["lgtm-prod-gateway", "lgtm-prod-grafana"]);
    expect(Object.values(byFamily).filter((a) => a === "ARM64")).toHaveLength(6);
    expect(byFamily["lgtm-prod-memcached"]).toBe("ARM64");
  });
});

describe("GIVEN an architecture setting", () => {
  it("WHEN a service sets X86_64 THEN it wins over the default", async () => {
    expect(cpuArchitecture(await settingsWith({ services: { loki: { cpu_architecture: "X86_64" } } }), "loki")).toBe("X86_64");
  });

  it("WHEN the init image is not known for arm64 THEN the default falls back to X86_64", async () => {
    const s = await settingsWith({ image_source: "upstream", ecs: { config_init_image: "registry.example.com/tools/init:1.0" } });
    expect(new Set(Object.values(archs(s)))).toEqual(new Set(["X86_64"]));
    expect(imageRepository("registry.example.com:5000/tools/init:1.0")).toBe("registry.example.com:5000/tools/init");
  });

  it.each([
    [
      "ARM64 for an image not confirmed for arm64",
      { services: { grafana: { cpu_architecture: "ARM64" } } },
      "environments/prod.tfvars: services.grafana.cpu_architecture: grafana/grafana:12.1.0 is not known to be published for linux/arm64 (settings/architecture.ts lists the images checked); use \"X86_64\", or check its manifest (docker buildx imagetools inspect) and add it there",
    ],
    [
      "ARM64 with Fargate Spot",
      { services: { alloy: { cpu_architecture: "ARM64", spot_weight: 1 } } },
      "environments/prod.tfvars: services.alloy.cpu_architecture: Fargate Spot runs X86_64 tasks only (services.alloy.spot_weight = 1); use \"X86_64\", or spot_weight = 0 to run ARM64 on demand",
    ],
    [
      "ARM64 with an init image not known for arm64",
      { ecs: { config_init_image: "registry.example.com/tools/init:1.0" }, services: { mimir: { cpu_architecture: "ARM64" } } },
      "environments/prod.tfvars: services.mimir.cpu_architecture: the config init image registry.example.com/tools/init:1.0 (ecs.config_init_image) runs in the same task and is not known to be published for linux/arm64; use \"X86_64\" or an init image built for arm64",
    ],
    ["a misspelt architecture", { services: { mimir: { cpu_architecture: "AARCH64" } } }, 'environments/prod.tfvars: services.mimir.cpu_architecture: expected "X86_64" or "ARM64", got "AARCH64"'],
  ])("WHEN %s THEN the error names the key and the way out", async (_what, override, line) => {
    expect(await overrideError(override)).toContain(line);
  });
});
