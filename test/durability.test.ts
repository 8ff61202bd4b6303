/**
 * Issue 12, rings and replacement: on Fargate every deploy, Spot interruption or failed health check
 * replaces a task with a new address and an empty disk. These tests hold the stack to what makes that
 * safe:
 * - each ring joins only itself (Cloud Map through dns+, its own cluster label), heals (auto-forget
 *   where the component has it, rejoin) and is left on a graceful stop;
 * - what a component holds on disk is flushed on SIGTERM, and the bounded shutdown phases fit ECS's
 *   120 s stop timeout (settings/shutdown.ts);
 * - the replication arithmetic (settings/quorum.ts) accepts prod, refuses unsafe settings with a
 *   message naming the keys, and lets an environment accept the risk explicitly;
 * - the ECS deployment percentages follow from the same numbers; every service spreads over every AZ;
 *   stateful services stay off Spot unless allowed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  RING_SERVICES,
  SERVICE_NAMES,
  SHUTDOWN_BUDGET,
  deploymentPercentages,
  replicationFactor,
  ringArithmetic,
  zoneAware,
  type RingServiceName,
  type Settings,
} from "../settings";
import { parseDuration } from "../templates/config-checks";
import { checkRenderedConfigs, renderConfigs, type RenderedConfig } from "../templates";
import { overrideError, settingsWith, shipped } from "./support/settings";
import { resourcesOf, synthLayer, type StackJson } from "./support/synth";
import { skipWithoutUpstream } from "./support/upstream";

type Doc = Record<string, any>;

const yamlOf = (configs: readonly RenderedConfig[], service: string): Doc => {
  const found = configs.find((c) => c.service === service && c.fileName === `${service}.yaml`);
  if (!found) throw new Error(`no rendered YAML for ${service}`);
  return parseYaml(found.content) as Doc;
};
const edit = (configs: readonly RenderedConfig[], service: string, change: (content: string) => string): RenderedConfig[] =>
  configs.map((c) => (c.service === service && c.fileName === `${service}.yaml` ? { ...c, content: change(c.content) } : c));
const replaceOnce = (content: string, from: string, to: string): string => {
  const count = content.split(from).length - 1;
  if (count !== 1) throw new Error(`expected one "${from}", found ${count}`);
  return content.replace(from, to);
};
const seconds = (value: unknown): number => {
  const ms = parseDuration(value);
  if (ms === undefined) throw new Error(`not a duration: ${JSON.stringify(value)}`);
  return ms / 1000;
};

// ---------------------------------------------------------------- rendered configs

describe.each(["prod", "dev"])("GIVEN the shipped %s settings", (env) => {
  let s: Settings;
  let configs: RenderedConfig[];
  beforeAll(async () => {
    s = await shipped(env);
    configs = renderConfigs(s);
  });

  it.each(RING_SERVICES)("WHEN %s's config is rendered THEN it joins only its own Cloud Map name through DNS, under its own cluster label, and rejoins", (service) => {
    const doc = yamlOf(configs, service);
    expect(doc.memberlist.join_members).toEqual([`dns+${service}.${s.service_discovery.namespace}:${s.memberlist_port}`]);
    expect(doc.memberlist.cluster_label).toBe(`${s.project}-${env}-${service}`);
    expect(doc.memberlist.cluster_label_verification_disabled).toBe(false);
    expect(seconds(doc.memberlist.rejoin_interval)).toBeGreaterThan(0);
    expect(doc.memberlist.advertise_addr).toBeUndefined();
  });

  it("WHEN every ring member's config is rendered THEN no two share a cluster label, so no two products can merge rings", () => {
    const labels = RING_SERVICES.map((n) => yamlOf(configs, n).memberlist.cluster_label);
    expect(new Set(labels).size).toBe(RING_SERVICES.length);
  });

  it("WHEN mimir.yaml is rendered THEN the ingester flushes its blocks on SIGTERM and every ring leaves on stop or forgets dead members", () => {
    const doc = yamlOf(configs, "mimir");
    expect(doc.blocks_storage.tsdb.flush_blocks_on_shutdown).toBe(true);
    expect(doc.ingester.ring.unregister_on_shutdown).toBe(true);
    expect(doc.store_gateway.sharding_ring.unregister_on_shutdown).toBe(true);
    for (const ring of [doc.distributor.ring, doc.store_gateway.sharding_ring, doc.compactor.sharding_ring, doc.ruler.ring]) {
      expect(ring.auto_forget_unhealthy_periods).toBe(2);
      expect(ring.instance_interface_names).toEqual(s.ring_interface_names);
    }
    // Mimir 3.0.4 has no auto-forget key on its ingester ring (the reference check would refuse one).
    expect(doc.ingester.ring.auto_forget_unhealthy_periods).toBeUndefined();
    expect(doc.ingester.ring.replication_factor).toBe(replicationFactor(s, "mimir"));
    expect(doc.store_gateway.sharding_ring.replication_factor).toBe(replicationFactor(s, "mimir"));
  });

  it("WHEN loki.yaml is rendered THEN chunks are flushed on SIGTERM, dead ingesters are forgotten and a stopping one leaves", () => {
    const doc = yamlOf(configs, "loki");
    expect(doc.ingester.wal.flush_on_shutdown).toBe(true);
    expect(doc.ingester.autoforget_unhealthy).toBe(true);
    expect(doc.ingester.lifecycler.unregister_on_shutdown).toBe(true);
    expect(doc.common.replication_factor).toBe(replicationFactor(s, "loki"));
    expect(seconds(doc.ingester.flush_op_timeout)).toBe(SHUTDOWN_BUDGET.flush);
    expect(seconds(doc.frontend.graceful_shutdown_timeout)).toBeLessThanOrEqual(SHUTDOWN_BUDGET.server);
  });

  it("WHEN tempo.yaml is rendered THEN it keeps uploading during a long shutdown_delay (no flush on stop in 3.0.3) and bounds what follows", () => {
    const doc = yamlOf(configs, "tempo");
    expect(seconds(doc.shutdown_delay)).toBe(SHUTDOWN_BUDGET.tempoShutdownDelay);
    // The delay covers a trace's life (30 s), a block (30 s) and its upload.
    expect(seconds(doc.shutdown_delay)).toBeGreaterThanOrEqual(60);
    expect(seconds(doc.metrics_generator.storage.remote_write_flush_deadline)).toBe(SHUTDOWN_BUDGET.tempoModuleStop);
    expect(seconds(doc.backend_worker.finish_on_shutdown_timeout)).toBe(SHUTDOWN_BUDGET.tempoModuleStop);
  });

  it("WHEN pyroscope.yaml is rendered THEN its ingester leaves its ring on stop and replicates as the arithmetic says", () => {
    const doc = yamlOf(configs, "pyroscope");
    expect(doc.ingester.lifecycler.unregister_on_shutdown).toBe(true);
    // Zone-aware where settings/quorum.ts says so (test/zone-awareness.test.ts checks the zone keys).
    const aware = zoneAware(s, "pyroscope") ? { zone_awareness_enabled: true } : {};
    expect(doc.ingester.lifecycler.ring).toEqual({ kvstore: { store: "memberlist" }, replication_factor: replicationFactor(s, "pyroscope"), ...aware });
    expect(doc.store_gateway.sharding_ring.replication_factor).toBe(replicationFactor(s, "pyroscope"));
    expect(doc.store_gateway.sharding_ring.unregister_on_shutdown).toBe(true);
  });

  it.each(RING_SERVICES)("WHEN %s's shutdown timeouts are added up THEN the flush has its share before ECS's SIGKILL at 120 s", (service) => {
    const doc = yamlOf(configs, service);
    const bounded =
      seconds(doc.shutdown_delay) +
      seconds(doc.server.graceful_shutdown_timeout) +
      seconds(doc.memberlist.leave_timeout) +
      seconds(doc.memberlist.broadcast_timeout_for_local_updates_on_shutdown);
    const flushWindow = service === "tempo" ? seconds(doc.shutdown_delay) - SHUTDOWN_BUDGET.drain : SHUTDOWN_BUDGET.stopTimeout - SHUTDOWN_BUDGET.margin - bounded;
    expect(SHUTDOWN_BUDGET.stopTimeout).toBe(120);
    expect(flushWindow).toBeGreaterThanOrEqual(service === "tempo" ? SHUTDOWN_BUDGET.flush - SHUTDOWN_BUDGET.tempoModuleStop : SHUTDOWN_BUDGET.flush);
    const moduleStop = service === "tempo" ? SHUTDOWN_BUDGET.tempoModuleStop : SHUTDOWN_BUDGET.flush;
    expect(bounded + moduleStop + SHUTDOWN_BUDGET.margin).toBeLessThanOrEqual(SHUTDOWN_BUDGET.stopTimeout);
  });

  it.skipIf(skipWithoutUpstream("durability key checks"))("WHEN the rendered configs are checked THEN every ring, flush and shutdown key exists upstream and no check fails", () => {
    expect(checkRenderedConfigs(s, configs).errors).toEqual([]);
  });
});

describe("GIVEN the shipped prod configs changed by hand", () => {
  let s: Settings;
  let configs: RenderedConfig[];
  const errorsOf = (changed: RenderedConfig[]) => checkRenderedConfigs(s, changed).errors;
  beforeAll(async () => {
    s = await shipped("prod");
    configs = renderConfigs(s);
  });

  it("WHEN a ring has no cluster label, or another product's THEN the check names the template", () => {
    expect(errorsOf(edit(configs, "loki", (c) => replaceOnce(c, '  cluster_label: "lgtm-prod-loki"\n', "")))).toEqual([
      expect.stringMatching(/^templates\/loki\/loki\.yaml\.hbs: loki\/loki\.yaml memberlist\.cluster_label is null, expected "lgtm-prod-loki"/),
    ]);
    expect(errorsOf(edit(configs, "tempo", (c) => replaceOnce(c, '"lgtm-prod-tempo"', '"lgtm-prod-mimir"')))).toEqual([
      expect.stringContaining('tempo/tempo.yaml memberlist.cluster_label is "lgtm-prod-mimir", expected "lgtm-prod-tempo"'),
    ]);
  });

  it("WHEN cluster label verification is switched off THEN it is an error", () => {
    const errors = errorsOf(edit(configs, "mimir", (c) => replaceOnce(c, "cluster_label_verification_disabled: false", "cluster_label_verification_disabled: true")));
    expect(errors).toEqual([expect.stringContaining("disables memberlist.cluster_label_verification")]);
  });

  it("WHEN Mimir or Loki would not flush on SIGTERM THEN it is an error naming the key", () => {
    expect(errorsOf(edit(configs, "mimir", (c) => replaceOnce(c, "flush_blocks_on_shutdown: true", "flush_blocks_on_shutdown: false")))).toEqual([
      expect.stringContaining("does not set blocks_storage.tsdb.flush_blocks_on_shutdown: true"),
    ]);
    expect(errorsOf(edit(configs, "loki", (c) => replaceOnce(c, "    flush_on_shutdown: true\n", "")))).toEqual([expect.stringContaining("does not set ingester.wal.flush_on_shutdown: true")]);
  });

  it("WHEN a shutdown delay eats the flush's share of the stop timeout THEN it is an error", () => {
    expect(errorsOf(edit(configs, "pyroscope", (c) => replaceOnce(c, 'shutdown_delay: "15s"', 'shutdown_delay: "90s"')))).toEqual([
      expect.stringMatching(/pyroscope\/pyroscope\.yaml spends 110s in shutdown_delay, .* leaving less than 30s of ECS's 120s stop timeout/),
    ]);
    expect(errorsOf(edit(configs, "tempo", (c) => replaceOnce(c, 'shutdown_delay: "80s"', 'shutdown_delay: "5s"')))).toEqual([
      expect.stringContaining("has shutdown_delay 5s; Tempo 3 uploads its last blocks only while it runs"),
    ]);
    expect(errorsOf(edit(configs, "tempo", (c) => replaceOnce(c, '    remote_write_flush_deadline: "10s"\n', "")))).toEqual([
      expect.stringMatching(/tempo\/tempo\.yaml spends 160s in shutdown_delay, its module stop/),
    ]);
  });
});

// ---------------------------------------------------------------- replication arithmetic

describe("GIVEN the shipped prod settings", () => {
  let s: Settings;
  beforeAll(async () => {
    s = await shipped("prod");
  });

  it("WHEN the rings' arithmetic is computed THEN Mimir, Loki and Pyroscope keep 3 copies on 3 tasks in 3 AZs and survive a task or an AZ loss", () => {
    expect(s.network.availability_zones).toEqual(["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]);
    for (const n of ["mimir", "loki", "pyroscope"] as const) {
      expect(ringArithmetic(s, n)).toMatchObject({ tasks: 3, replicationFactor: 3, quorum: 2, tolerated: 1, tasksPerAz: 1, zoneAware: false, zones: 3, copies: 3, copiesLostWithAz: 1, survivesTaskLoss: true, survivesAzLoss: true, accepted: false });
    }
  });

  it("WHEN Tempo's arithmetic is computed THEN it is the one explicitly accepted reduced redundancy (one task, no replication)", () => {
    expect(s.accept_risks.reduced_redundancy).toEqual(["tempo"]);
    expect(ringArithmetic(s, "tempo")).toMatchObject({ tasks: 1, replicationFactor: 1, survivesTaskLoss: false, accepted: true });
  });

  it("WHEN the deployment percentages are derived THEN ring members stop one task at a time and never exceed their count; singletons stop before they start", () => {
    const got = Object.fromEntries(SERVICE_NAMES.map((n) => [n, [deploymentPercentages(s, n).minimumHealthyPercent, deploymentPercentages(s, n).maximumPercent]]));
    expect(got).toEqual({ mimir: [66, 100], loki: [66, 100], tempo: [0, 100], pyroscope: [66, 100], grafana: [0, 100], alloy: [100, 200], gateway: [100, 200] });
  });
});

describe("GIVEN prod settings that break the replication arithmetic", () => {
  it("WHEN Loki runs the seed's 2 tasks THEN loading fails: losing one task loses the write quorum", async () => {
    const message = await overrideError({ services: { loki: { desired_count: 2 } } });
    expect(message).toContain(
      "environments/prod.tfvars: services.loki.desired_count: loki keeps 1 copy of each stream (replication factor 1, derived from services.loki.desired_count = 2) and a write needs 1; when one of its 2 tasks stops",
    );
    expect(message).toContain('Run at least 3 tasks (services.loki.desired_count) with replication factor 3, or list "loki" in accept_risks.reduced_redundancy');
  });

  it("WHEN Loki runs 2 tasks with replication factor 2 THEN the message names replication_factor and the one copy left", async () => {
    const message = await overrideError({ services: { loki: { desired_count: 2, replication_factor: 2 } } });
    expect(message).toContain("services.loki.replication_factor: loki keeps 2 copies of each stream (services.loki.replication_factor = 2) and a write needs 2;");
    expect(message).toContain("only 1 is left, so writes fail until it is back");
  });

  it("WHEN prod keeps the seed's two AZs THEN every 3-task ring fails its AZ-loss rule, naming network.availability_zones", async () => {
    const message = await overrideError({
      network: { availability_zones: ["ap-northeast-2a", "ap-northeast-2c"], public_subnet_cidrs: ["10.40.0.0/24", "10.40.1.0/24"], private_subnet_cidrs: ["10.40.16.0/20", "10.40.32.0/20"] },
    });
    expect(message).toMatch(/^invalid settings \(3 problems\):/);
    for (const [n, item] of [["mimir", "series"], ["loki", "stream"], ["pyroscope", "profile"]]) {
      expect(message).toContain(
        `environments/prod.tfvars: network.availability_zones: ${n}'s 3 tasks over 2 availability zones put up to 2 in one zone, and without zone-aware replication those can hold 2 of the 3 copies of one ${item}; losing that zone leaves 1, below the write quorum of 2. ` +
          "What works in ap-northeast-2: at least 3 availability zones in network.availability_zones (ap-northeast-2 offers 4 (ap-northeast-2a, ap-northeast-2b, ap-northeast-2c, ap-northeast-2d)), where zone-aware replication turns on and keeps one copy per AZ with any task count from 3; or list",
      );
    }
  });

  it("WHEN six Mimir tasks share three AZs without zone awareness THEN two of them can hold two copies of a series in one AZ, which is refused", async () => {
    const message = await overrideError({ services: { mimir: { desired_count: 6, zone_awareness: false } } });
    expect(message).toContain("environments/prod.tfvars: services.mimir.zone_awareness: mimir's 6 tasks over 3 availability zones put up to 2 in one zone");
    expect(message).toContain("Zone-aware replication keeps one copy per AZ and survives this with 6 tasks over these 3 AZs: remove services.mimir.zone_awareness = false");
  });

  it("WHEN Tempo's acceptance is removed THEN its single task is refused", async () => {
    const message = await overrideError({ accept_risks: { reduced_redundancy: [] } });
    expect(message).toContain("services.tempo.desired_count: tempo keeps one copy of each trace in the mode it runs");
  });

  it("WHEN the replication factor exceeds the task count THEN it is refused even where the risk is accepted", async () => {
    const message = await overrideError({ services: { mimir: { replication_factor: 5 } }, accept_risks: { reduced_redundancy: ["tempo", "mimir"] } });
    expect(message).toContain(
      "environments/prod.tfvars: services.mimir.replication_factor: mimir keeps 5 copies of each series but runs 3 tasks; a ring needs at least as many tasks as copies",
    );
  });

  it("WHEN accept_risks.reduced_redundancy has a typo, a service without a ring or a duplicate THEN each is named", async () => {
    const message = await overrideError({ accept_risks: { reduced_redundancy: ["tempo", "lokki", "grafana", "tempo"] } });
    expect(message).toContain('accept_risks.reduced_redundancy[1]: unknown service "lokki"; did you mean "loki"? (expected ring members: mimir, loki, tempo, pyroscope)');
    expect(message).toContain("accept_risks.reduced_redundancy[2]: grafana keeps no ring and no replicas, so there is no redundancy to reduce; remove it");
    expect(message).toContain('accept_risks.reduced_redundancy[3]: "tempo" is listed twice');
  });

  it("WHEN a replication factor is set where nothing replicates THEN it is refused", async () => {
    const message = await overrideError({ services: { grafana: { replication_factor: 3 }, tempo: { replication_factor: 1 } } });
    expect(message).toContain("services.grafana.replication_factor: grafana keeps no ring; remove replication_factor");
    expect(message).toContain("services.tempo.replication_factor: tempo keeps one copy of each trace in the mode it runs (Tempo 3 monolithic has no replication)");
  });
});

describe("GIVEN prod settings that change replication within the rules", () => {
  it("WHEN Loki runs 5 tasks with replication factor 5 over 3 AZs THEN it loads, and a deploy may stop two at once", async () => {
    const s = await settingsWith({ services: { loki: { desired_count: 5, replication_factor: 5 } } });
    expect(ringArithmetic(s, "loki")).toMatchObject({ replicationFactor: 5, quorum: 3, tolerated: 2, tasksPerAz: 2, survivesAzLoss: true });
    expect(deploymentPercentages(s, "loki")).toMatchObject({ minimumHealthyPercent: 60, maximumPercent: 100 });
  });

  it("WHEN Loki's reduced redundancy is accepted THEN 2 tasks load, and each new task joins before an old one leaves", async () => {
    const s = await settingsWith({ services: { loki: { desired_count: 2 } }, accept_risks: { reduced_redundancy: ["tempo", "loki"] } });
    expect(ringArithmetic(s, "loki")).toMatchObject({ replicationFactor: 1, accepted: true });
    expect(deploymentPercentages(s, "loki")).toMatchObject({ minimumHealthyPercent: 100, maximumPercent: 150 });
  });
});

describe("GIVEN the shipped dev settings", () => {
  it("WHEN loaded THEN one task per ring member passes because dev accepts the reduced redundancy of all four", async () => {
    const s = await shipped("dev");
    expect([...s.accept_risks.reduced_redundancy].sort()).toEqual([...RING_SERVICES].sort());
    for (const n of RING_SERVICES) expect(ringArithmetic(s, n)).toMatchObject({ tasks: 1, replicationFactor: 1, survivesTaskLoss: false, accepted: true });
  });

  it("WHEN dev's acceptance is removed THEN all four single-task rings are refused", async () => {
    const message = await overrideError({ accept_risks: { reduced_redundancy: [] } }, "dev");
    expect(message).toMatch(/^invalid settings \(4 problems\):/);
    for (const n of ["mimir", "loki", "pyroscope"]) {
      expect(message).toContain(`environments/dev.tfvars: services.${n}.desired_count: ${n} keeps 1 copy`);
      expect(message).toContain(`${n} keeps 1 copy of each`);
    }
    expect(message).toContain("when its only task stops");
    // Tempo's count is common.tfvars' own, and more tasks would not help it.
    expect(message).toContain(
      'environments/common.tfvars: services.tempo.desired_count: tempo keeps one copy of each trace in the mode it runs (Tempo 3 monolithic has no replication and runs one task)',
    );
    expect(message).toContain('list "tempo" in accept_risks.reduced_redundancy');
  });

  it("WHEN the deployment percentages are derived THEN single-task rings start the new task first, except Tempo (a singleton) and Grafana (one SQLite writer)", async () => {
    const s = await shipped("dev");
    const got = Object.fromEntries(SERVICE_NAMES.map((n) => [n, [deploymentPercentages(s, n).minimumHealthyPercent, deploymentPercentages(s, n).maximumPercent]]));
    expect(got).toEqual({ mimir: [100, 200], loki: [100, 200], tempo: [0, 100], pyroscope: [100, 200], grafana: [0, 100], alloy: [100, 200], gateway: [100, 200] });
  });
});

describe("GIVEN task counts from 1 to 9 and replication factors the rules allow", () => {
  it("WHEN ECS applies the derived percentages THEN exactly the tolerated number of tasks may stop and never more than desired run", async () => {
    const base = await shipped("prod");
    for (let tasks = 1; tasks <= 9; tasks++) {
      for (let rf = 1; rf <= Math.min(tasks, 7); rf += 1) {
        const s = { ...base, services: { ...base.services, loki: { ...base.services.loki, desired_count: tasks, replication_factor: rf } } } as Settings;
        const a = ringArithmetic(s, "loki");
        const d = deploymentPercentages(s, "loki");
        // ECS: minimum healthy tasks = ceil(desired × min% / 100); maximum = floor(desired × max% / 100).
        const minTasks = Math.ceil((tasks * d.minimumHealthyPercent) / 100);
        const maxTasks = Math.floor((tasks * d.maximumPercent) / 100);
        const label = `${tasks} tasks, RF ${rf}`;
        if (a.tolerated >= 1 && tasks > 1) {
          expect([minTasks, maxTasks], label).toEqual([tasks - Math.min(a.tolerated, tasks - 1), tasks]);
        } else {
          // No copy may go missing: one extra task joins before one leaves.
          expect([minTasks, maxTasks], label).toEqual([tasks, tasks + 1]);
        }
        // A deploy can always make progress.
        expect(maxTasks - minTasks, label).toBeGreaterThanOrEqual(1);
      }
    }
  });
});

// ---------------------------------------------------------------- the ECS services

describe.each(["prod", "dev"])("GIVEN the shipped %s settings synthesized", (env) => {
  let s: Settings;
  let stack: StackJson;
  beforeAll(async () => {
    s = await shipped(env);
    stack = synthLayer(s, "60-ecs");
  });

  it("WHEN the ECS services are read THEN their deployment percentages are the derived ones", () => {
    for (const n of SERVICE_NAMES) {
      const svc = resourcesOf(stack, "aws_ecs_service")[`${n}_service`];
      const d = deploymentPercentages(s, n);
      expect([svc.deployment_minimum_healthy_percent, svc.deployment_maximum_percent], n).toEqual([d.minimumHealthyPercent, d.maximumPercent]);
    }
  });

  it("WHEN the ECS services are read THEN every service runs in every private subnet, so its tasks spread over all AZs", () => {
    expect(s.network.availability_zones.length).toBeGreaterThanOrEqual(2);
    for (const n of SERVICE_NAMES) {
      const svc = resourcesOf(stack, "aws_ecs_service")[`${n}_service`];
      expect(svc.network_configuration.subnets, n).toBe("${data.terraform_remote_state.network.outputs.private_subnet_ids}");
      expect(svc.network_configuration.assign_public_ip).toBe(false);
    }
  });

  it("WHEN the main containers are read THEN each has the shutdown budget's 120 s between SIGTERM and SIGKILL, with tini forwarding the signal", () => {
    for (const n of SERVICE_NAMES) {
      const td = resourcesOf(stack, "aws_ecs_task_definition")[`${n}_task_definition`];
      const main = (JSON.parse(td.container_definitions) as Record<string, any>[]).find((c) => c.name === n)!;
      expect(main.stopTimeout, n).toBe(SHUTDOWN_BUDGET.stopTimeout);
      expect(main.linuxParameters, n).toEqual({ initProcessEnabled: true });
    }
  });

  it("WHEN the task definitions are read THEN each ring member's ephemeral storage is its setting, sized for what it keeps on disk", () => {
    const sizes = Object.fromEntries(
      SERVICE_NAMES.map((n) => [n, resourcesOf(stack, "aws_ecs_task_definition")[`${n}_task_definition`].ephemeral_storage?.size_in_gib ?? 21]),
    );
    expect(sizes).toEqual(
      env === "prod"
        ? { mimir: 100, loki: 50, tempo: 50, pyroscope: 50, grafana: 21, alloy: 21, gateway: 21 }
        : { mimir: 40, loki: 30, tempo: 30, pyroscope: 30, grafana: 21, alloy: 21, gateway: 21 },
    );
  });
});

describe("GIVEN prod settings with one availability zone", () => {
  it("WHEN loaded THEN it is refused: a service with several tasks could not spread", async () => {
    const message = await overrideError({ network: { availability_zones: ["ap-northeast-2a"], public_subnet_cidrs: ["10.40.0.0/24"], private_subnet_cidrs: ["10.40.16.0/20"] } });
    expect(message).toContain("network.availability_zones: expected at least 2 availability zones");
  });
});

// ---------------------------------------------------------------- Spot

describe("GIVEN prod settings asking for Fargate Spot", () => {
  it("WHEN Mimir would run on Spot THEN loading fails with the reason and the setting that allows it", async () => {
    const message = await overrideError({ services: { mimir: { spot_weight: 1 } } });
    expect(message).toContain(
      "environments/prod.tfvars: services.mimir.spot_weight: mimir holds recent data in memory and on local disk; a Spot interruption of several tasks at once can lose it. Set spot_weight = 0, or accept_risks.spot_for_stateful = true",
    );
  });

  it.each(RING_SERVICES)("WHEN %s would run on Spot THEN it is refused like Mimir", async (service: RingServiceName) => {
    expect(await overrideError({ services: { [service]: { spot_weight: 1 } } })).toContain(`services.${service}.spot_weight: ${service} holds recent data`);
  });

  it("WHEN the environment allows Spot for stateful services THEN Mimir on Spot loads and synthesizes a FARGATE_SPOT strategy", async () => {
    const s = await settingsWith({ services: { mimir: { spot_weight: 1, on_demand_base: 2 } }, accept_risks: { spot_for_stateful: true } });
    const svc = resourcesOf(synthLayer(s, "60-ecs"), "aws_ecs_service").mimir_service;
    expect(svc.capacity_provider_strategy).toEqual([
      { base: 2, capacity_provider: "FARGATE", weight: 1 },
      { base: 0, capacity_provider: "FARGATE_SPOT", weight: 1 },
    ]);
  });

  it("WHEN Grafana or Alloy run on Spot THEN no acceptance is needed (they hold nothing only on local disk)", async () => {
    const s = await settingsWith({ services: { grafana: { spot_weight: 1 }, alloy: { spot_weight: 1 } } });
    expect([s.services.grafana.spot_weight, s.services.alloy.spot_weight]).toEqual([1, 1]);
  });
});
