/**
 * The system tier, zone-aware rings (issue 27): prod's settings with Mimir and Loki at 6 tasks over
 * prod's 3 AZs, which the quorum check accepts only zone-aware (settings/quorum.ts). The tier places
 * each service's tasks as ECS spreads Fargate tasks over the AZs of its subnets, and gives every
 * container an ECS task metadata endpoint v4 that answers its task's AZ
 * (test/support/system/task-metadata.ts), so the config init containers, unmodified, write each
 * task's zone into its config. Then:
 * - the rings (Mimir's ingester and store-gateway rings, Loki's ring) list every member with the
 *   zone of the AZ its task was placed in, two per zone;
 * - both tasks of one zone are SIGKILLed at once (an AZ lost, no graceful stop), and a steady
 *   producer through the gateway keeps being acknowledged (remote write's bounded retries only
 *   cover the gateway's DNS TTL for the dead addresses) and everything acknowledged reads back;
 *   one push of 60 series and one of 60 streams afterwards are acknowledged whole and read back (with
 *   zone awareness switched off the same pushes fail: see docs/system-tests.md).
 *
 * Its own file, so it runs alone: `sudo npx vitest run test/system/zones.test.ts`. Lean: one gateway,
 * no cache, no Tempo.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ringArithmetic } from "../../settings";
import { settingsWith } from "../support/settings";
import { basicAuth, getJson, lokiPush, randomHex, remoteWrite, selector } from "../support/system/clients";
import { skipWithoutSystemTier } from "../support/system/components";
import type { Task } from "../support/system/fargate";
import { startSystemStack, startTasks, type SystemStack } from "../support/system/stack";
import { finishSystemRun } from "../support/system/run-report";
import { Workload } from "../support/system/workload";

const skip = skipWithoutSystemTier(["mimir", "loki"]);
const TASKS = 6;
/**
 * Series (and streams) of the wide push after the zone loss. The producer's one series and one
 * stream land on 3 of the 6 tasks, which hold both of the lost AZ's tasks 1 time in 5 without zone
 * awareness (C(4,1)/C(6,3)); 60 keys make that near certain (1 − 0.8^60): a ring that is not
 * zone-aware loses the quorum of some of them, and the push fails.
 */
const WIDE = 60;
/** Log lines that mean a rendered key is unknown to, or deprecated in, the component's version. */
const BAD_KEY = /deprecat|not found in type|unknown field|unknown (config|configuration) (key|option)|field \S+ not found/i;

const report: Record<string, unknown> = {};
const timings: Record<string, number> = {};
const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[name] = (Date.now() - t0) / 1000;
  }
};

/** A dskit ring page as JSON (`Accept: application/json`): each member's id, address, state and zone. */
async function ringMembers(task: Task, path: string): Promise<{ id: string; address: string; state: string; zone: string }[]> {
  const res = await fetch(task.url(task.service.port, path), { headers: { accept: "application/json" }, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${task.id} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return (JSON.parse(text).shards as { id: string; address: string; state: string; zone: string }[]).map((m) => ({ id: m.id, address: m.address, state: m.state, zone: m.zone }));
}

/** Polls until every live task of the service is a member of the ring with its own zone, or throws with the last view. */
async function ringHasEveryZone(stack: SystemStack, service: "mimir" | "loki", path: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const live = stack.cluster.live(service);
  const want = Object.fromEntries(live.map((t) => [t.address, t.zone]));
  let last = "";
  for (;;) {
    const members = await ringMembers(live[0], path).catch((e: Error) => (last = e.message, []));
    const got = Object.fromEntries(members.filter((m) => m.state === "ACTIVE").map((m) => [m.address.split(":")[0], m.zone]));
    if (JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(want).sort())) return members;
    last ||= JSON.stringify(members);
    if (Date.now() > deadline) throw new Error(`${service} ${path}: the ring never listed every task with its zone (want ${JSON.stringify(want)}); last: ${last}`);
    last = "";
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.skipIf(skip)("GIVEN Mimir and Loki at 6 tasks over prod's 3 AZs, zone-aware, on the system tier", () => {
  let stack: SystemStack;
  let workload: Workload;
  const gw = () => stack.cluster.live("gateway").map((t) => t.url(stack.specs.gateway.port));

  beforeAll(async () => {
    const settings = await settingsWith({ services: { mimir: { desired_count: TASKS }, loki: { desired_count: TASKS } }, cache: { enabled: false } });
    for (const n of ["mimir", "loki"] as const) expect(ringArithmetic(settings, n)).toMatchObject({ tasks: TASKS, zoneAware: true, zones: 3, survivesAzLoss: true });
    stack = await timed("setup (network, DNS, S3, metadata endpoint, synth)", () => startSystemStack({ settings }));
    const tenant = stack.settings.tenant_id;
    workload = new Workload(gw, tenant, stack.tenants[tenant], 250, false);
  }, 180_000);

  afterAll(async () => {
    await finishSystemRun({ stack, workload, report, timings, title: "zones scenario", reportFile: process.env.LGTM_ZONES_REPORT });
    // Stopping every task (each within its task definition's stop timeout) took over 60 s at load 13-18.
  }, 300_000);

  it("WHEN 6 Mimir and 6 Loki tasks start THEN ECS's spread puts 2 of each in every AZ, each init container read its AZ from the task metadata, and every task is ready with no unknown key", async () => {
    const ready = await timed("boot (gateway ×1, Mimir ×6, Loki ×6)", async () => {
      await startTasks(stack, "gateway", 1, 30_000);
      return Promise.all((["mimir", "loki"] as const).map(async (n) => [n, await startTasks(stack, n, TASKS, 240_000)] as const));
    });
    report.time_to_ready_s = Object.fromEntries(ready.map(([n, tasks]) => [n, tasks.map((t) => t.ms / 1000)]));
    for (const n of ["mimir", "loki"] as const) {
      const perZone = Object.fromEntries(stack.zones.map((z) => [z, stack.cluster.live(n).filter((t) => t.zone === z).length]));
      expect(perZone, n).toEqual(Object.fromEntries(stack.zones.map((z) => [z, 2])));
      for (const t of stack.cluster.live(n)) {
        expect(t.log(), t.id).toContain(`config: availability zone ${t.zone} (ECS task metadata)`);
        expect(stack.metadata.requests.get(t.id), t.id).toBeGreaterThan(0);
        const bad = t.log().split("\n").filter((l) => BAD_KEY.test(l));
        expect(bad, `${t.id}: ${bad.join("\n")}`).toEqual([]);
      }
    }
  }, 300_000);

  it("WHEN the rings are read as JSON THEN every member carries the zone of the AZ its task runs in, two per zone", async () => {
    await timed("rings list zones", async () => {
      const rings = {
        "mimir /ingester/ring": await ringHasEveryZone(stack, "mimir", "/ingester/ring", 60_000),
        "mimir /store-gateway/ring": await ringHasEveryZone(stack, "mimir", "/store-gateway/ring", 60_000),
        "loki /ring": await ringHasEveryZone(stack, "loki", "/ring", 60_000),
      };
      for (const [ring, members] of Object.entries(rings)) {
        const perZone: Record<string, number> = {};
        for (const m of members) perZone[m.zone] = (perZone[m.zone] ?? 0) + 1;
        expect(perZone, ring).toEqual(Object.fromEntries(stack.zones.map((z) => [z, 2])));
      }
      report.rings = Object.fromEntries(Object.entries(rings).map(([k, v]) => [k, v.map((m) => `${m.id}@${m.zone}`)]));
    });
  }, 200_000);

  it("WHEN both Mimir and both Loki tasks of one AZ are SIGKILLed THEN writes through the gateway keep being acknowledged and everything acknowledged reads back", async () => {
    const lost = stack.zones[0];
    await timed("zone loss", async () => {
      workload.start("before");
      await new Promise((r) => setTimeout(r, 5_000));
      await workload.stop();
      workload.start("zone-lost");
      const victims = stack.cluster.tasks.filter((t) => t.running && t.zone === lost && (t.service.name === "mimir" || t.service.name === "loki"));
      expect(victims.map((t) => t.service.name).sort()).toEqual(["loki", "loki", "mimir", "mimir"]);
      const killedAt = Date.now();
      await Promise.all(victims.map((t) => stack.cluster.killTask(t)));
      report.killed = { zone: lost, tasks: victims.map((t) => t.id) };
      // Past the gateway's DNS TTL (it still holds the dead addresses until then) and then some.
      await new Promise((r) => setTimeout(r, stack.dnsTtl * 1000 + 5_000));
      await workload.stop();
      workload.start("after");
      await new Promise((r) => setTimeout(r, 5_000));
      await workload.stop();
      report.writing_after_kill_s = (Date.now() - killedAt) / 1000;
    });
    const counts = Object.fromEntries(workload.counts);
    for (const [phase, c] of Object.entries(counts)) {
      expect(c.metrics.acknowledged, `${phase} metrics ${JSON.stringify(c.metrics)}`).toBe(c.metrics.attempted);
      expect(c.logs.acknowledged, `${phase} logs ${JSON.stringify(c.logs)}`).toBe(c.logs.attempted);
    }
    expect(counts.after.metrics.failedTries + counts.after.logs.failedTries, "after the DNS TTL no try should fail").toBe(0);

    // One push of many keys: every key's quorum must hold with the AZ gone, not only the producer's.
    const wide = randomHex(4);
    const now = Date.now();
    const writeAuth = basicAuth(stack.settings.tenant_id, stack.tenants[stack.settings.tenant_id].write);
    const series = Array.from({ length: WIDE }, (_, i) => ({ labels: { __name__: "lgtm_zone_wide", run: wide, key: String(i) }, samples: [{ value: i, timestampMs: now }] }));
    const streams = Array.from({ length: WIDE }, (_, i) => ({ labels: { run: wide, key: String(i) }, lines: [{ tsNs: BigInt(now) * 1_000_000n, line: `wide ${i}` }] }));
    const m = await remoteWrite(gw()[0], writeAuth, series);
    const l = await lokiPush(gw()[0], writeAuth, streams);
    report.wide_push = { keys: WIDE, mimir: m.status, loki: l.status };
    expect(m.status, `Mimir, ${WIDE} series after the AZ loss: ${await m.text()}`).toBe(200);
    expect(l.status, `Loki, ${WIDE} streams after the AZ loss: ${await l.text()}`).toBe(204);

    const readback = await timed("read back", async () => {
      const out: Record<string, unknown> = {};
      for (const phase of workload.phases()) {
        const deadline = Date.now() + 60_000;
        for (;;) {
          const m = await workload.readMetrics(gw()[0], phase);
          const l = await workload.readLogs(gw()[0], phase);
          out[phase] = { metrics: `${m.readable}/${m.acknowledged}`, logs: `${l.readable}/${l.acknowledged}` };
          if ((m.missing.length === 0 && l.missing.length === 0) || Date.now() > deadline) {
            expect(m.missing, `${phase}: samples acknowledged but not readable`).toEqual([]);
            expect(l.missing, `${phase}: lines acknowledged but not readable`).toEqual([]);
            break;
          }
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
      return out;
    });
    report.readback = readback;
    const readAuth = basicAuth(stack.settings.tenant_id, stack.tenants[stack.settings.tenant_id].read);
    const wm = await getJson(`${gw()[0]}/prometheus/api/v1/query?query=${encodeURIComponent(`count(lgtm_zone_wide{run="${wide}"})`)}&time=${now / 1000}`, readAuth);
    expect(wm.body?.data?.result?.[0]?.value?.[1], wm.text.slice(0, 300)).toBe(String(WIDE));
    const start = (BigInt(now - 60_000) * 1_000_000n).toString();
    const wl = await getJson(`${gw()[0]}/loki/api/v1/query_range?query=${encodeURIComponent(selector({ run: wide }))}&start=${start}&limit=1000`, readAuth);
    expect((wl.body?.data?.result ?? []).length, wl.text.slice(0, 300)).toBe(WIDE);
    // The survivors still see the lost zone's members (no graceful leave): the quorum, not the ring, carried the writes.
    const survivor = stack.cluster.live("mimir")[0];
    const members = await ringMembers(survivor, "/ingester/ring");
    expect(members.filter((m) => m.zone === lost)).toHaveLength(2);
    const auth = basicAuth(stack.settings.tenant_id, stack.tenants[stack.settings.tenant_id].read);
    expect((await getJson(`${gw()[0]}/loki/api/v1/labels`, auth)).status).toBe(200);
  }, 240_000);
});
