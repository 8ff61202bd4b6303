/**
 * Issue 27, zone-aware replication of Mimir, Loki and Pyroscope:
 * - settings/quorum.ts turns it on where it helps (RF ≥ 3, at least RF AZs, more tasks than RF), judges
 *   the AZ-loss rule per zone (6 or 9 tasks over 3 AZs pass, and 6 over 4), refuses zone awareness
 *   with fewer zones than copies (not an acceptable risk), warns about uneven zones, and says what
 *   works in the region;
 * - the rendered configs carry the zone keys of the pinned versions on the rings that have them, with
 *   a token the config init container replaces;
 * - the init container's script reads the task's AZ from an ECS task metadata endpoint v4 (served
 *   here by test/support/system/task-metadata.ts, the system tier's model of Fargate's) and writes
 *   it in, run with busybox's own applets as in the init image; it fails, with the reason, when the
 *   endpoint is missing or answers without an AZ.
 */
import { spawnSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { CONFIG_HASH_LABEL, configDelivery } from "../modules/config-delivery";
import { deploymentPercentages, ringArithmetic, zoneAware, type Settings } from "../settings";
import { AVAILABILITY_ZONE_PLACEHOLDER, renderConfigs, serviceConfigs } from "../templates";
import { loadWithWarnings, overrideError, settingsWith, shipped } from "./support/settings";
import { resourcesOf, synthLayer } from "./support/synth";
import { startTaskMetadata, type TaskMetadataServer } from "./support/system/task-metadata";
import { BUSYBOX, findTool, skipWithoutTool } from "./support/tools";

type Doc = Record<string, any>;
const yamlOf = (s: Settings, service: "mimir" | "loki" | "pyroscope"): Doc => parseYaml(renderConfigs(s).find((c) => c.service === service && c.fileName === `${service}.yaml`)!.content) as Doc;

const FOUR_AZS = {
  availability_zones: ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c", "ap-northeast-2d"],
  public_subnet_cidrs: ["10.40.0.0/24", "10.40.2.0/24", "10.40.1.0/24", "10.40.3.0/24"],
  private_subnet_cidrs: ["10.40.16.0/20", "10.40.48.0/20", "10.40.32.0/20", "10.40.64.0/20"],
};
const TWO_AZS = { availability_zones: ["ap-northeast-2a", "ap-northeast-2c"], public_subnet_cidrs: ["10.40.0.0/24", "10.40.1.0/24"], private_subnet_cidrs: ["10.40.16.0/20", "10.40.32.0/20"] };
const SEOUL = "ap-northeast-2 offers 4 (ap-northeast-2a, ap-northeast-2b, ap-northeast-2c, ap-northeast-2d)";

describe("GIVEN the shipped settings", () => {
  it("WHEN prod's rings are judged THEN 3 tasks with 3 copies over 3 AZs are not zone-aware (every task holds every key) and still survive an AZ loss; Tempo (no replication) never is", async () => {
    const s = await shipped("prod");
    for (const n of ["mimir", "loki", "pyroscope"] as const) expect(ringArithmetic(s, n)).toMatchObject({ zoneAware: false, zones: 3, copies: 3, copiesLostWithAz: 1, survivesAzLoss: true });
    expect(zoneAware(s, "tempo")).toBe(false);
    for (const c of renderConfigs(s)) expect(c.content, c.fileName).not.toContain(AVAILABILITY_ZONE_PLACEHOLDER);
  });

  it("WHEN prod's 3 tasks ask for zone awareness explicitly THEN it is allowed: 3 AZs hold the 3 copies", async () => {
    const s = await settingsWith({ services: { mimir: { zone_awareness: true } } });
    expect(ringArithmetic(s, "mimir")).toMatchObject({ zoneAware: true, zones: 3, copies: 3, survivesAzLoss: true });
  });

  it("WHEN dev's rings are judged THEN none is zone-aware: one task keeps one copy, there is nothing to spread", async () => {
    const s = await shipped("dev");
    for (const n of ["mimir", "loki", "pyroscope", "tempo"] as const) expect(zoneAware(s, n)).toBe(false);
    for (const c of renderConfigs(s)) expect(c.content, c.fileName).not.toContain(AVAILABILITY_ZONE_PLACEHOLDER);
  });
});

describe("GIVEN prod with more ring tasks than AZs", () => {
  it("WHEN Loki runs 6 tasks over prod's 3 AZs THEN it loads zone-aware (2 per zone, a zone loss costs one copy) and a deploy still stops one task at a time", async () => {
    const { settings, warnings, error } = await loadWithWarnings({ env: { services: { loki: { desired_count: 6 } } } });
    expect(error).toBe("");
    expect(ringArithmetic(settings!, "loki")).toMatchObject({ tasks: 6, zoneAware: true, zones: 3, tasksPerAz: 2, fewestTasksPerZone: 2, copies: 3, quorum: 2, survivesAzLoss: true });
    expect(warnings.filter((w) => w.key.startsWith("services.loki"))).toEqual([]);
    expect(deploymentPercentages(settings!, "loki")).toMatchObject({ minimumHealthyPercent: 83, maximumPercent: 100 });
  });

  it("WHEN Mimir runs 9 tasks over 3 AZs THEN it loads zone-aware", async () => {
    const s = await settingsWith({ services: { mimir: { desired_count: 9 } } });
    expect(ringArithmetic(s, "mimir")).toMatchObject({ zoneAware: true, zones: 3, tasksPerAz: 3, survivesAzLoss: true });
  });

  it("WHEN Loki runs 6 tasks over 4 AZs (all of ap-northeast-2) THEN it loads, with a warning that the AZs hold 1 or 2 tasks and a lone task carries 1.5× the average share", async () => {
    const { settings, warnings, error } = await loadWithWarnings({ env: { network: FOUR_AZS, services: { loki: { desired_count: 6 } } } });
    expect(error).toBe("");
    expect(ringArithmetic(settings!, "loki")).toMatchObject({ zoneAware: true, zones: 4, tasksPerAz: 2, fewestTasksPerZone: 1, survivesAzLoss: true });
    expect(warnings.filter((w) => w.key === "services.loki.desired_count")).toEqual([
      {
        file: "environments/prod.tfvars",
        key: "services.loki.desired_count",
        message:
          "loki's 6 tasks spread over 4 AZs hold 1 to 2 per AZ; zone-aware replication keeps about 3/4 of every stream in each AZ whatever its task count, so a task in a thinner AZ carries about 1.50× the average task's share. Size the tasks for it, or run a multiple of 4 tasks (4 or 8)",
      },
    ]);
  });

  it("WHEN the same 6 Loki tasks over 4 AZs switch zone awareness off THEN the old rule refuses them and names the key that would work", async () => {
    const message = await overrideError({ network: FOUR_AZS, services: { loki: { desired_count: 6, zone_awareness: false } } });
    expect(message).toContain(
      "environments/prod.tfvars: services.loki.zone_awareness: loki's 6 tasks over 4 availability zones put up to 2 in one zone, and without zone-aware replication those can hold 2 of the 3 copies of one stream; losing that zone leaves 1, below the write quorum of 2. " +
        "Zone-aware replication keeps one copy per AZ and survives this with 6 tasks over these 4 AZs: remove services.loki.zone_awareness = false",
    );
  });
});

describe("GIVEN zone awareness where the ring cannot have a zone per copy", () => {
  it("WHEN it is switched on over 2 AZs THEN it is refused for each ring, naming the key, what the ring would do and what works in ap-northeast-2", async () => {
    const message = await overrideError({ network: TWO_AZS, services: { mimir: { zone_awareness: true }, loki: { zone_awareness: true, desired_count: 6 } } });
    expect(message).toContain(
      "environments/prod.tfvars: services.mimir.zone_awareness: mimir is zone-aware, which keeps at most one copy of each series per availability zone, but its 3 tasks over 2 availability zones (network.availability_zones) use only 2 zones: " +
        "the ring keeps 2 copies while a write still needs 2 of 3, so a write needs every copy and fails whenever one task or AZ is lost. " +
        `What works in ap-northeast-2: at least 3 availability zones in network.availability_zones (${SEOUL}) with at least 3 tasks; or services.mimir.zone_awareness = false`,
    );
    expect(message).toContain("environments/prod.tfvars: services.loki.zone_awareness: loki is zone-aware");
    // Pyroscope is not switched on: over 2 AZs its default is off, and the AZ-loss rule names the AZs.
    expect(message).toContain(`environments/prod.tfvars: network.availability_zones: pyroscope's 3 tasks over 2 availability zones put up to 2 in one zone`);
  });

  it("WHEN the environment accepts reduced redundancy for that ring THEN it is still refused: a zone-aware ring short of zones can stop every write", async () => {
    const message = await overrideError({ network: TWO_AZS, services: { mimir: { zone_awareness: true } }, accept_risks: { reduced_redundancy: ["tempo", "mimir", "loki", "pyroscope"] } });
    expect(message).toMatch(/^invalid settings \(1 problem\):/);
    expect(message).toContain("services.mimir.zone_awareness: mimir is zone-aware");
  });

  it("WHEN zone awareness is set on a service without a ring or without replication THEN it is refused", async () => {
    const message = await overrideError({ services: { grafana: { zone_awareness: true }, tempo: { zone_awareness: false } } });
    expect(message).toContain("services.grafana.zone_awareness: grafana keeps no ring; remove zone_awareness");
    expect(message).toContain("services.tempo.zone_awareness: tempo keeps one copy of each trace in the mode it runs (Tempo 3 monolithic has no replication); remove zone_awareness");
  });

  it("WHEN zone_awareness is not a boolean THEN the loader names the key and the type", async () => {
    const message = await overrideError({ services: { loki: { zone_awareness: "yes" } } });
    expect(message).toContain("services.loki.zone_awareness");
    expect(message).toContain("expected true or false");
  });
});

describe("GIVEN prod's rendered configs with 6 tasks per ring (zone-aware by default)", () => {
  let s: Settings;
  beforeAll(async () => {
    s = await settingsWith({ services: { mimir: { desired_count: 6 }, loki: { desired_count: 6 }, pyroscope: { desired_count: 6 } } });
  });

  it("WHEN mimir.yaml is read THEN the ingester, store-gateway and alertmanager rings carry the zone token and zone awareness; the rings without those keys do not", () => {
    const doc = yamlOf(s, "mimir");
    for (const ring of [doc.ingester.ring, doc.store_gateway.sharding_ring, doc.alertmanager.sharding_ring]) {
      expect(ring).toMatchObject({ instance_availability_zone: AVAILABILITY_ZONE_PLACEHOLDER, zone_awareness_enabled: true });
    }
    for (const ring of [doc.distributor.ring, doc.compactor.sharding_ring, doc.ruler.ring]) expect(ring).not.toHaveProperty("instance_availability_zone");
  });

  it("WHEN loki.yaml is read THEN common.ring carries them (Loki 3.7.6 applies common.ring's zone to the ingester and pattern-ingester lifecyclers: checked on the binary)", () => {
    expect(yamlOf(s, "loki").common.ring).toMatchObject({ instance_availability_zone: AVAILABILITY_ZONE_PLACEHOLDER, zone_awareness_enabled: true });
  });

  it("WHEN pyroscope.yaml is read THEN the ingester lifecycler and the store-gateway ring carry them under their own keys", () => {
    const doc = yamlOf(s, "pyroscope");
    expect(doc.ingester.lifecycler.availability_zone).toBe(AVAILABILITY_ZONE_PLACEHOLDER);
    expect(doc.ingester.lifecycler.ring.zone_awareness_enabled).toBe(true);
    expect(doc.store_gateway.sharding_ring).toMatchObject({ instance_availability_zone: AVAILABILITY_ZONE_PLACEHOLDER, zone_awareness_enabled: true });
  });

  it("WHEN zone awareness is switched off for Loki THEN its config has no zone key and its init container never reads the task metadata", async () => {
    const off = await settingsWith({ services: { loki: { desired_count: 6, zone_awareness: false } }, accept_risks: { reduced_redundancy: ["tempo", "loki"] } });
    expect(serviceConfigs(off, "loki").some((c) => c.content.includes(AVAILABILITY_ZONE_PLACEHOLDER))).toBe(false);
    const init = JSON.parse(resourcesOf(synthLayer(off, "60-ecs"), "aws_ecs_task_definition").loki_task_definition.container_definitions).find((c: { name: string }) => c.name === "config");
    expect(init.command[0]).not.toContain("ECS_CONTAINER_METADATA_URI_V4");
  });
});

// ---------------------------------------------------------------- the init container's script, run

const skipWithoutBusybox = skipWithoutTool(BUSYBOX, "the zone-aware init script with busybox's applets", "The init container's AZ lookup was NOT run.");

/** A folder whose only programs are busybox's applets: the init image's tools, not this machine's. */
function busyboxPath(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-busybox-"));
  const found = findTool(BUSYBOX)!;
  const busybox = path.isAbsolute(found) ? found : (process.env.PATH ?? "").split(":").map((d) => path.join(d, found)).find((p) => fs.existsSync(p))!;
  const applets = spawnSync(busybox, ["--list"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  for (const a of applets) fs.symlinkSync(busybox, path.join(dir, a));
  return dir;
}

/** Runs the init container's script as the container would, with busybox's applets only; async, so the metadata server in this process answers. */
function runInit(command: string, env: Record<string, string>, bin: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(path.join(bin, "sh"), ["-c", command], { env: { PATH: bin, ...env } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.once("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

describe.skipIf(skipWithoutBusybox)("GIVEN a zone-aware config delivery and an ECS task metadata endpoint v4", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-zone-"));
  let bin: string;
  let metadata: TaskMetadataServer;
  const content = `ingester:\n  ring:\n    instance_availability_zone: "${AVAILABILITY_ZONE_PLACEHOLDER}"\n    zone_awareness_enabled: true\n`;
  const files = [
    { containerPath: path.join(tmp, "mimir.yaml"), content },
    { containerPath: path.join(tmp, "overrides.yaml"), content: "overrides: {}\n" },
  ];
  const delivery = configDelivery({ serviceName: "mimir", files, mountPath: tmp, initImage: "busybox", availabilityZonePlaceholder: AVAILABILITY_ZONE_PLACEHOLDER });
  const script = delivery.initContainer.command![0];
  const env = delivery.initContainer.environment!;

  beforeAll(async () => {
    bin = busyboxPath();
    metadata = await startTaskMetadata({ address: "127.0.0.1", cluster: "lgtm-prod", region: "ap-northeast-2" });
  });
  afterAll(async () => {
    await metadata?.stop();
    fs.rmSync(bin, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("WHEN the script runs in a task in ap-northeast-2b THEN the file has that AZ in place of the token, passed its hash check, and the other file is untouched", async () => {
    const uri = metadata.register("mimir-1", { availabilityZone: "ap-northeast-2b", family: "lgtm-prod-mimir" });
    const r = await runInit(script, { ...env, ECS_CONTAINER_METADATA_URI_V4: uri }, bin);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("config: availability zone ap-northeast-2b (ECS task metadata)");
    expect(fs.readFileSync(files[0].containerPath, "utf8")).toBe(content.replace(AVAILABILITY_ZONE_PLACEHOLDER, "ap-northeast-2b"));
    expect(fs.readFileSync(files[1].containerPath, "utf8")).toBe(files[1].content);
    // One task definition for every task: the label is the rendered files' hash, not a task's.
    expect(delivery.dockerLabels[CONFIG_HASH_LABEL]).toBe(delivery.sha256);
  });

  it("WHEN the task has no metadata URI THEN the script fails naming the variable, so the main container never starts", async () => {
    const r = await runInit(script, env, bin);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("ECS_CONTAINER_METADATA_URI_V4 is not set");
  });

  it("WHEN the endpoint answers without an AvailabilityZone THEN the script fails after its attempts, naming the URL", async () => {
    const uri = metadata.register("mimir-2", { availabilityZone: "", family: "lgtm-prod-mimir" });
    const r = await runInit(script.replace(/for attempt in [0-9 ]+;/, "for attempt in 1 2;"), { ...env, ECS_CONTAINER_METADATA_URI_V4: uri }, bin);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`config: no AvailabilityZone in ${uri}/task`);
  }, 20_000);

  it("WHEN a placeholder is given that no file contains, or one sed could misread THEN delivery refuses it", () => {
    expect(() => configDelivery({ serviceName: "mimir", files: [files[1]], mountPath: tmp, initImage: "busybox", availabilityZonePlaceholder: AVAILABILITY_ZONE_PLACEHOLDER })).toThrow(
      "mimir: no config file contains the availability-zone placeholder",
    );
    expect(() => configDelivery({ serviceName: "mimir", files, mountPath: tmp, initImage: "busybox", availabilityZonePlaceholder: "a/b.*" })).toThrow("must be 8 or more letters, digits or");
  });
});

describe("GIVEN prod's synthesized 60-ecs layer with Mimir and Loki at 6 tasks", () => {
  it("WHEN the ring members' init containers are read THEN the zone-aware ones read the task metadata and write the AZ into their own config only", async () => {
    const s = await settingsWith({ services: { mimir: { desired_count: 6 }, loki: { desired_count: 6 } } });
    const tds = resourcesOf(synthLayer(s, "60-ecs"), "aws_ecs_task_definition");
    for (const service of ["mimir", "loki", "pyroscope", "tempo", "gateway"]) {
      const init = JSON.parse(tds[`${service}_task_definition`].container_definitions).find((c: { name: string }) => c.name === "config");
      const reads = init.command[0].includes('"$ECS_CONTAINER_METADATA_URI_V4/task"');
      // Pyroscope keeps prod's 3 tasks: not zone-aware, no metadata read.
      expect(reads, service).toBe(["mimir", "loki"].includes(service));
      if (reads) expect(init.command[0]).toContain(`sed -i "s/${AVAILABILITY_ZONE_PLACEHOLDER}/$az/g" /etc/lgtm/${service}.yaml`);
    }
  });
});
