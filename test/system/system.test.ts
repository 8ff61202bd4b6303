/**
 * The system tier: prod's services run together the way Fargate runs them, on one machine, with the
 * real Mimir, Loki and Tempo binaries, Debian's nginx as the gateway and memcached as the cache,
 * each task started from the synthesized task definition in its own namespaces, Cloud Map names
 * answered by a DNS server the test runs, and an S3 API server on the task network
 * (test/support/system/, docs/system-tests.md). Pyroscope, Grafana and Alloy have no binaries here.
 *
 * The scenarios run in order on one stack, each with its own assertions; the figures they measure
 * (times to ready, writes attempted / acknowledged / readable) are printed at the end.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, getJson, lokiPush, openWebsocket, otlpTraceBody, otlpTraces, randomHex, remoteWrite, selector, type LogStream } from "../support/system/clients";
import { RING_BINARIES, rollingRestart, startSystemStack, startTasks, type Replaced, type Runnable, type SystemStack } from "../support/system/stack";
import { skipWithoutSystemTier } from "../support/system/components";
import type { Task } from "../support/system/fargate";
import { finishSystemRun } from "../support/system/run-report";
import { Workload, type Readback } from "../support/system/workload";

const skip = skipWithoutSystemTier(RING_BINARIES);

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

describe.skipIf(skip)("GIVEN prod's services on the system tier (real components, one namespace per task)", () => {
  let stack: SystemStack;
  let tenantA: string;
  let tenantB: string;
  /** Each tenant's write credential (pushes) and read credential (queries): the gateway takes each only on its routes. */
  let authA: string;
  let authB: string;
  let readA: string;
  let readB: string;
  let workload: Workload;
  /** The gateway tasks started before any backend existed. */
  let earlyGateways: Task[] = [];
  const gatewayPort = () => stack.specs.gateway.port;
  const gatewayUrls = () => stack.cluster.live("gateway").map((t) => t.url(gatewayPort()));
  const gw = () => gatewayUrls()[0];
  const prefixes = () => stack.settings.storage_prefixes;
  const rings: Runnable[] = ["mimir", "loki", "tempo"];

  /** As ECS does for a service whose task stopped: start tasks until the desired count runs. */
  async function ensureDesired(name: Runnable): Promise<void> {
    const missing = stack.services[name].desiredCount - stack.cluster.live(name).length;
    if (missing > 0) await startTasks(stack, name, missing, 60_000);
  }

  beforeAll(async () => {
    stack = await timed("setup (network, DNS, S3, synth)", () => startSystemStack());
    const ids = Object.keys(stack.tenants);
    tenantA = stack.settings.tenant_id;
    tenantB = ids.find((t) => t !== tenantA)!;
    authA = basicAuth(tenantA, stack.tenants[tenantA].write);
    authB = basicAuth(tenantB, stack.tenants[tenantB].write);
    readA = basicAuth(tenantA, stack.tenants[tenantA].read);
    readB = basicAuth(tenantB, stack.tenants[tenantB].read);
    workload = new Workload(gatewayUrls, tenantA, stack.tenants[tenantA]);
  }, 120_000);

  afterAll(async () => {
    await finishSystemRun({ stack, workload, report, timings, title: "system tier", reportFile: process.env.LGTM_SYSTEM_REPORT });
    // Stopping every task (each within its task definition's stop timeout) took over 60 s at load 13-18.
  }, 300_000);

  it("WHEN the gateway and cache tasks start before any backend exists THEN the gateway starts and answers 502/503 on every backend route", async () => {
    await timed("gateway before backends", async () => {
      await Promise.all([startTasks(stack, "memcached", stack.services.memcached.desiredCount, 20_000)]);
      const started = await Promise.all(Array.from({ length: stack.services.gateway.desiredCount }, () => stack.cluster.startTask(stack.specs.gateway)));
      await Promise.all(
        started.map((t) =>
          t.waitReady(15_000).catch((e: Error) => {
            throw new Error(`the gateway did not start while no backend exists: ${e.message.split("\n").slice(0, 12).join("\n")}`);
          }),
        ),
      );
      earlyGateways = started;
      for (const t of started) {
        const base = t.url(gatewayPort());
        const answers = {
          metrics: (await remoteWrite(base, authA, [{ labels: { __name__: "x" }, samples: [{ value: 1, timestampMs: Date.now() }] }])).status,
          logs: (await getJson(`${base}/loki/api/v1/labels`, readA)).status,
          traces: (await getJson(`${base}/tempo/api/echo`, readA)).status,
          profiles: (await getJson(`${base}/pyroscope/querier.v1.QuerierService/LabelNames`, readA)).status,
        };
        for (const [route, status] of Object.entries(answers)) expect([502, 503], `${t.id} ${route}: ${status}`).toContain(status);
      }
    });
  }, 60_000);

  it("WHEN Mimir ×3, Loki ×3 and Tempo ×1 start THEN every task becomes ready with no unknown or deprecated key in its log", async () => {
    const ready = await timed("boot rings", () =>
      Promise.all(rings.map(async (name) => [name, await startTasks(stack, name, stack.services[name].desiredCount, 150_000)] as const)),
    );
    report.time_to_ready_s = Object.fromEntries(ready.map(([name, tasks]) => [name, tasks.map((t) => t.ms / 1000)]));
    for (const t of stack.cluster.tasks.filter((x) => x.service.name !== "gateway")) {
      const bad = t.log().split("\n").filter((l) => BAD_KEY.test(l));
      expect(bad, `${t.id}: ${bad.join("\n")}`).toEqual([]);
    }
    // ECS replaces a gateway task that stopped (on main: nginx exits when a backend name does not resolve).
    await ensureDesired("gateway");
  }, 200_000);

  it("WHEN the backends appear THEN the gateway tasks started before them serve their routes, and Pyroscope's (no backend here) still answer 502/503", async () => {
    await timed("gateway serves appeared backends", async () => {
      expect(earlyGateways.length, "no gateway task survived the start without backends").toBe(stack.services.gateway.desiredCount);
      for (const t of earlyGateways) expect(t.running, `${t.id} stopped:\n${t.log().slice(-1500)}`).toBe(true);
      const ttl = stack.dnsTtl * 1000;
      const deadline = Date.now() + ttl + 15_000;
      for (const t of earlyGateways) {
        const base = t.url(gatewayPort());
        let last = "";
        for (;;) {
          const m = await getJson(`${base}/prometheus/api/v1/query?query=1`, readA);
          const l = await getJson(`${base}/loki/api/v1/labels`, readA);
          const tr = await getJson(`${base}/tempo/api/echo`, readA);
          last = `mimir ${m.status}, loki ${l.status}, tempo ${tr.status}`;
          if (m.status === 200 && l.status === 200 && tr.status === 200) break;
          if (Date.now() > deadline) throw new Error(`${t.id} did not serve the backends within the DNS TTL + 15 s: ${last}`);
          await new Promise((r) => setTimeout(r, 200));
        }
        expect([502, 503]).toContain((await getJson(`${base}/pyroscope/querier.v1.QuerierService/LabelNames`, readA)).status);
      }
    });
  }, 60_000);

  it("WHEN two tenants push metrics, logs and traces through the gateway THEN each reads back only its own, and no credentials get 401", async () => {
    await timed("two tenants", async () => {
      workload.start("boot");
      const run = randomHex(4);
      const now = Date.now();
      const traces: Record<string, string> = { [tenantA]: randomHex(16), [tenantB]: randomHex(16) };
      for (const [tenant, auth] of [
        [tenantA, authA],
        [tenantB, authB],
      ] as const) {
        expect((await remoteWrite(gw(), auth, [{ labels: { __name__: "lgtm_system_tenant", run, who: tenant }, samples: [{ value: 1, timestampMs: now }] }])).status).toBe(200);
        expect((await lokiPush(gw(), auth, [{ labels: { run, who: tenant }, lines: [{ tsNs: BigInt(now) * 1_000_000n, line: `from ${tenant}` }] }])).status).toBe(204);
        expect((await otlpTraces(gw(), auth, otlpTraceBody(traces[tenant], "isolation", tenant, now))).status).toBe(200);
      }
      // No credentials, or another tenant's password: 401 on every signal's route.
      expect((await remoteWrite(gw(), undefined, [{ labels: { __name__: "x" }, samples: [{ value: 1, timestampMs: now }] }])).status).toBe(401);
      expect((await getJson(`${gw()}/loki/api/v1/labels`, undefined)).status).toBe(401);
      expect((await getJson(`${gw()}/tempo/api/traces/${traces[tenantA]}`, undefined)).status).toBe(401);
      expect((await getJson(`${gw()}/prometheus/api/v1/query?query=1`, basicAuth(tenantA, stack.tenants[tenantB].read))).status).toBe(401);
      // A write credential does not read, a read credential does not write.
      expect((await getJson(`${gw()}/prometheus/api/v1/query?query=1`, authA)).status).toBe(401);
      expect((await remoteWrite(gw(), readA, [{ labels: { __name__: "x" }, samples: [{ value: 1, timestampMs: now }] }])).status).toBe(401);

      const deadline = Date.now() + 30_000;
      for (const [tenant, auth, other] of [
        [tenantA, readA, tenantB],
        [tenantB, readB, tenantA],
      ] as const) {
        for (;;) {
          const m = await getJson(`${gw()}/prometheus/api/v1/query?query=${encodeURIComponent(`lgtm_system_tenant{run="${run}"}`)}`, auth);
          const l = await getJson(`${gw()}/loki/api/v1/query_range?query=${encodeURIComponent(selector({ run }))}&start=${(BigInt(now - 60_000) * 1_000_000n).toString()}`, auth);
          const own = await getJson(`${gw()}/tempo/api/traces/${traces[tenant]}`, auth);
          const foreign = await getJson(`${gw()}/tempo/api/traces/${traces[other]}`, auth);
          const whoM = (m.body?.data?.result ?? []).map((r: any) => r.metric.who);
          const whoL = (l.body?.data?.result ?? []).map((r: any) => r.stream.who);
          if (whoM.length > 0 && whoL.length > 0 && own.status === 200) {
            expect(whoM).toEqual([tenant]);
            expect(whoL).toEqual([tenant]);
            expect(foreign.status).toBe(404);
            break;
          }
          if (Date.now() > deadline) throw new Error(`${tenant} did not read back its data within 30 s: metrics ${m.status} ${m.text.slice(0, 200)}, logs ${l.status} ${l.text.slice(0, 200)}, trace ${own.status}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    });
  }, 90_000);

  /** Log streams whose lines add up to `lineBytes`, spread so no stream passes Loki's per-stream burst. */
  function bulkStreams(lineBytes: number, tag: string): LogStream[] {
    const lineSize = 8 * 1024;
    const lines = Math.ceil(lineBytes / lineSize);
    const streams = Math.max(1, Math.ceil(lineBytes / (2 * 1024 * 1024)));
    const filler = "x".repeat(lineSize - 48);
    const t0 = BigInt(Date.now()) * 1_000_000n;
    const out: LogStream[] = Array.from({ length: streams }, (_, i) => ({ labels: { job: "bulk", tag, n: String(i) }, lines: [] }));
    for (let i = 0; i < lines; i++) out[i % streams].lines.push({ tsNs: t0 + BigInt(i), line: `${tag} ${String(i).padStart(8, "0")} ${filler}` });
    return out;
  }

  const bulkBody = (lineBytes: number, tag: string) =>
    JSON.stringify({ streams: bulkStreams(lineBytes, tag).map((s) => ({ stream: s.labels, values: s.lines.map((l) => [l.tsNs.toString(), l.line]) })) });

  /** The gateway's body limit, from the delivered nginx.conf. */
  function gatewayBodyLimitBytes(): number {
    const init = stack.specs.gateway.containers.find((c) => c.name === "config")!;
    const conf = (init.environment ?? []).map((e) => e.value).find((v) => v.includes("client_max_body_size"))!;
    const m = /client_max_body_size (\d+)m;/.exec(conf);
    if (!m) throw new Error("the delivered nginx.conf has no client_max_body_size <n>m");
    return Number(m[1]) * 1024 * 1024;
  }

  it("WHEN a tenant pushes logs over its ingestion burst THEN it gets 429 while the other tenant, with a higher burst, is accepted at once", async () => {
    await timed("ingestion limit", async () => {
      const MB = 1024 * 1024;
      const burst = (t: string) => (stack.settings.tenants[t]?.limits?.loki?.ingestion_burst_size_mb ?? stack.settings.loki.limits.ingestion_burst_size_mb) as number;
      const [low, high] = [tenantA, tenantB].sort((a, b) => burst(a) - burst(b));
      expect(burst(low), "the shipped tenants must differ in their Loki burst for this scenario").toBeLessThan(burst(high));
      const size = burst(low) * MB + MB;
      expect(size, "the push must fit the gateway's body limit").toBeLessThan(gatewayBodyLimitBytes());
      const over = await lokiPush(gw(), basicAuth(low, stack.tenants[low].write), bulkBody(size, "over"));
      const overText = await over.text();
      const other = await lokiPush(gw(), basicAuth(high, stack.tenants[high].write), bulkBody(MB, "other"));
      const otherText = await other.text();
      report.loki_limits = { over_bytes: size, [low]: over.status, [high]: other.status };
      expect(over.status, `${low} (burst ${burst(low)} MB), ${size} bytes of lines: ${overText.slice(0, 300)}`).toBe(429);
      expect(other.status, `${high} right after: ${otherText.slice(0, 300)}`).toBe(204);
    });
  }, 60_000);

  it("WHEN a tenant pushes logs just under the gateway's body limit THEN it gets 2xx or 429, never a 5xx", async () => {
    await timed("push at the body limit", async () => {
      const limit = gatewayBodyLimitBytes();
      let lineBytes = limit - 2 * 1024 * 1024;
      let text = bulkBody(lineBytes, "edge");
      while (Buffer.byteLength(text) >= limit) {
        lineBytes -= 256 * 1024;
        text = bulkBody(lineBytes, "edge");
      }
      const t0 = Date.now();
      const edge = await lokiPush(gw(), authA, text);
      const edgeText = await edge.text();
      report.loki_edge_push = { body_bytes: Buffer.byteLength(text), limit_bytes: limit, status: edge.status, seconds: (Date.now() - t0) / 1000 };
      expect(edge.status < 300 || edge.status === 429, `${Buffer.byteLength(text)}-byte push (limit ${limit}): ${edge.status} ${edgeText.slice(0, 300)}`).toBe(true);
    });
  }, 120_000);

  it("WHEN a client tails logs through the gateway THEN the websocket upgrades and delivers a line pushed after it", async () => {
    await timed("live tail", async () => {
      const run = randomHex(4);
      const q = encodeURIComponent(selector({ run, phase: "tail" }));
      const ws = await openWebsocket(`${gw().replace("http://", "ws://")}/loki/api/v1/tail?query=${q}`, { authorization: readA });
      try {
        expect(ws.status, `tail handshake through the gateway: ${ws.status} ${ws.messages.join(" ").slice(0, 300)}`).toBe(101);
        const line = `tail line ${run}`;
        const deadline = Date.now() + 20_000;
        let pushed = 0;
        while (!ws.messages.some((m) => m.includes(line))) {
          if (Date.now() > deadline) throw new Error(`no tailed line within 20 s; got ${ws.messages.length} messages`);
          if (pushed++ % 10 === 0) expect((await lokiPush(gw(), authA, [{ labels: { run, phase: "tail" }, lines: [{ tsNs: BigInt(Date.now()) * 1_000_000n, line }] }])).status).toBe(204);
          await new Promise((r) => setTimeout(r, 200));
        }
      } finally {
        ws.close();
      }
    });
  }, 60_000);

  it("WHEN Mimir and Loki serve range queries THEN the memcached tasks receive gets and sets, and both components' cache clients sent them", async () => {
    // Results older than the components' cache freshness window (10 minutes) are cached: an hour
    // two hours back, for both tenants, through the gateway as Grafana asks.
    const end = Math.floor(Date.now() / 1000) - 3600;
    for (const auth of [readA, readB]) {
      const m = await getJson(`${gw()}/prometheus/api/v1/query_range?query=${encodeURIComponent("sum(lgtm_system_seq)")}&start=${end - 3600}&end=${end}&step=60`, auth);
      expect(m.status, m.text.slice(0, 300)).toBe(200);
      const l = await getJson(`${gw()}/loki/api/v1/query_range?query=${encodeURIComponent('sum(count_over_time({job="bulk"}[1m]))')}&start=${end - 3600}000000000&end=${end}000000000&step=60`, auth);
      expect(l.status, l.text.slice(0, 300)).toBe(200);
    }
    const stats = await Promise.all(
      stack.cluster.live("memcached").map(
        (t) =>
          new Promise<Record<string, number>>((resolve, reject) => {
            const s = net.connect({ host: t.address, port: stack.specs.memcached.port });
            let text = "";
            s.on("data", (c: Buffer) => {
              text += c.toString();
              if (text.includes("END\r\n")) {
                s.destroy();
                resolve(Object.fromEntries([...text.matchAll(/^STAT (\S+) (\S+)/gm)].map((m) => [m[1], Number(m[2])])));
              }
            });
            s.on("error", reject);
            s.write("stats\r\n");
          }),
      ),
    );
    const total = (k: string) => stats.reduce((n, s) => n + (s[k] ?? 0), 0);
    report.memcached = { cmd_get: total("cmd_get"), cmd_set: total("cmd_set"), get_hits: total("get_hits") };
    expect(total("cmd_get")).toBeGreaterThan(0);
    expect(total("cmd_set")).toBeGreaterThan(0);
    // Each component's own cache-client counters, summed over its live tasks: [gets, sets].
    const clientOps = async (name: "mimir" | "loki", counter: RegExp, get: RegExp, set: RegExp) => {
      const ops = { get: 0, set: 0, lines: [] as string[] };
      for (const t of stack.cluster.live(name)) {
        const text = await (await fetch(t.url(stack.specs[name].port, "/metrics"))).text();
        for (const l of text.split("\n")) {
          if (l.startsWith("#")) continue;
          const v = Number(l.split(" ").pop());
          if (/memcache/i.test(l) && v > 0 && ops.lines.length < 30) ops.lines.push(`${t.id} ${l}`);
          if (!counter.test(l)) continue;
          if (get.test(l)) ops.get += v;
          if (set.test(l)) ops.set += v;
        }
      }
      return ops;
    };
    const mimir = await clientOps("mimir", /^thanos_cache_operations_total\{/, /operation="get_?multi"/i, /operation="set(_?multi)?"/i);
    const loki = await clientOps("loki", /^loki_memcache_request_duration_seconds_count\{/, /method="Memcache\.Get/, /method="Memcache\.(Put|Set)/);
    report.cache_client_ops = { mimir: { get: mimir.get, set: mimir.set }, loki: { get: loki.get, set: loki.set } };
    expect(mimir.get, mimir.lines.join("\n")).toBeGreaterThan(0);
    expect(mimir.set, mimir.lines.join("\n")).toBeGreaterThan(0);
    expect(loki.get, loki.lines.join("\n")).toBeGreaterThan(0);
    expect(loki.set, loki.lines.join("\n")).toBeGreaterThan(0);
  }, 30_000);

  it("WHEN one Mimir and one Loki task are SIGKILLed and replaced on new addresses THEN writes through the gateway keep succeeding, reach the new tasks, and nothing acknowledged is lost", async () => {
    await timed("task replacement", async () => {
      await workload.stop();
      workload.start("replacement");
      await new Promise((r) => setTimeout(r, 2000));
      const victims = [stack.cluster.live("mimir")[0], stack.cluster.live("loki")[0]];
      await Promise.all(victims.map((t) => stack.cluster.killTask(t)));
      const fresh = await Promise.all(
        victims.map(async (v) => {
          const t = await stack.cluster.startTask(v.service);
          return { task: t, readyMs: await t.waitReady(150_000) };
        }),
      );
      for (const { task } of fresh) expect(victims.map((v) => v.address)).not.toContain(task.address);
      // Writes continue until the gateway has sent some to both new tasks (it re-resolves the Cloud
      // Map names every DNS TTL), for at most the TTL + 5 s after they are ready.
      const [mimir, loki] = fresh.map((f) => f.task);
      const metricsText = async (t: Task, port: number) => (await fetch(t.url(port, "/metrics"))).text();
      const sum = (text: string, name: string) =>
        text
          .split("\n")
          .filter((l) => l.startsWith(name))
          .reduce((n, l) => n + Number(l.split(" ").pop()), 0);
      const received = async () => ({
        mimir_samples: sum(await metricsText(mimir, stack.specs.mimir.port), "cortex_distributor_received_samples_total"),
        loki_lines: sum(await metricsText(loki, stack.specs.loki.port), "loki_distributor_lines_received_total"),
      });
      const reachDeadline = Date.now() + stack.dnsTtl * 1000 + 5000;
      let got = await received();
      while ((got.mimir_samples === 0 || got.loki_lines === 0) && Date.now() < reachDeadline) {
        await new Promise((r) => setTimeout(r, 250));
        got = await received();
      }
      await workload.stop();
      report.replacement = { replaced: victims.map((v) => v.id), by: fresh.map((f) => ({ id: f.task.id, address: f.task.address, ready_s: f.readyMs / 1000 })) };

      const counts = workload.counts.get("replacement")!;
      expect(counts.metrics.acknowledged, JSON.stringify(counts)).toBe(counts.metrics.attempted);
      expect(counts.logs.acknowledged, JSON.stringify(counts)).toBe(counts.logs.attempted);
      // Reached the new tasks: their distributors received pushes through the gateway.
      const mimirReceived = got.mimir_samples;
      const lokiReceived = got.loki_lines;
      report.replacement_new_task_received = { mimir_samples: mimirReceived, loki_lines: lokiReceived };
      expect(mimirReceived, `${mimir.id} (new address ${mimir.address}) received no remote write through the gateway`).toBeGreaterThan(0);
      expect(lokiReceived, `${loki.id} (new address ${loki.address}) received no push through the gateway`).toBeGreaterThan(0);
      const read: Record<string, Readback> = {};
      for (const phase of ["boot", "replacement"]) {
        read[`${phase}.metrics`] = await workload.readMetrics(gw(), phase);
        read[`${phase}.logs`] = await workload.readLogs(gw(), phase);
      }
      report.after_replacement = Object.fromEntries(Object.entries(read).map(([k, v]) => [k, { acknowledged: v.acknowledged, readable: v.readable }]));
      for (const [k, v] of Object.entries(read)) expect(v.missing.slice(0, 5), `${k}: ${v.missing.length} of ${v.acknowledged} acknowledged not readable`).toEqual([]);
    });
  }, 240_000);

  it("WHEN every ring is restarted one task at a time as ECS deploys (fresh disks, new addresses, readiness-gated) THEN writes keep succeeding, every stopped task leaves its data under its prefix within its stop timeout, and the last 30 minutes stay readable", async () => {
    await timed("rolling restart", async () => {
      workload.start("rolling");
      // Every ring holds fresh acknowledged data when its first task gets SIGTERM, so each stop has
      // something to flush (Tempo otherwise may have uploaded everything before its stop).
      await workload.acknowledgedEach(10_000);
      const prefix: Record<string, string> = { mimir: prefixes().mimir_blocks, loki: prefixes().loki, tempo: prefixes().tempo };
      const results = await Promise.all(rings.map(async (name) => [name, await rollingRestart(stack, name, prefix[name], 150_000)] as const));
      await workload.stop();
      report.rolling = Object.fromEntries(
        results.map(([name, r]: readonly [string, Replaced[]]) => [
          name,
          r.map((x) => ({ stopped: x.stopped.id, stop_s: x.stopped.stopMs / 1000, new_objects: x.stopped.newObjects.length, started: x.started.id, ready_s: x.started.readyMs / 1000 })),
        ]),
      );
      const counts = workload.counts.get("rolling")!;
      expect(counts.metrics.acknowledged, JSON.stringify(counts)).toBe(counts.metrics.attempted);
      expect(counts.logs.acknowledged, JSON.stringify(counts)).toBe(counts.logs.attempted);
      // Tempo runs one task (accept_risks.reduced_redundancy): ECS stops it before starting the
      // next (its deployment settings), so traces are refused from its deregistration until the new
      // task is ready; producers retry (Alloy's OTLP exporter for up to 5 minutes). Required only
      // when that risk is not accepted.
      if (!stack.settings.accept_risks.reduced_redundancy.includes("tempo")) {
        expect(counts.traces.acknowledged, JSON.stringify(counts)).toBe(counts.traces.attempted);
      }
      report.tempo_objects = stack.s3
        .objects(stack.bucket, prefix.tempo)
        .map((o) => `${o.key} ${fs.statSync(o.file).size}B ${fs.statSync(o.file).mtime.toISOString()}`);
      report.rolling_trace_outage = { attempted: counts.traces.attempted, acknowledged: counts.traces.acknowledged };
      for (const [name, r] of results) {
        for (const x of r) {
          expect(x.stopped.inTime, `${x.stopped.id} did not exit within its stop timeout`).toBe(true);
          expect(x.stopped.newObjects.length, `${x.stopped.id} left nothing under ${prefix[name]}/ on SIGTERM`).toBeGreaterThan(0);
        }
      }
      // What is in the bucket parses (no aws-chunked framing stored verbatim).
      const metas = stack.s3.objects(stack.bucket, prefix.mimir).filter((o) => o.key.endsWith("/meta.json"));
      expect(metas.length).toBeGreaterThan(0);
      for (const m of metas) expect(JSON.parse(fs.readFileSync(m.file, "utf8")).ulid, m.key).toMatch(/^[0-9A-Z]{26}$/);
      const tempoMetas = stack.s3.objects(stack.bucket, prefix.tempo).filter((o) => o.key.endsWith("/meta.json"));
      expect(tempoMetas.length).toBeGreaterThan(0);
      for (const m of tempoMetas) expect(JSON.parse(fs.readFileSync(m.file, "utf8")), m.key).toHaveProperty("blockID");
      for (const p of Object.values(prefix)) {
        for (const o of stack.s3.objects(stack.bucket, p)) {
          const head = fs.readFileSync(o.file).subarray(0, 4096).toString("latin1");
          expect(head.includes("chunk-signature"), `${o.key} holds aws-chunked framing`).toBe(false);
        }
      }

      // Blocks the stopped Mimir tasks uploaded are served once the compactor has listed them in the
      // bucket index and the store-gateways and queriers have re-read it: within about three minutes
      // of the upload (compactor.cleanup_interval, bucket_store.sync_interval and the metadata cache's
      // bucket_index_content_ttl, 1 m each, templates/mimir/mimir.yaml.hbs). The last Mimir task
      // stops about one deploy step before the end: ask until all is readable, for at most 3 minutes.
      const read: Record<string, Readback> = {};
      const deadline = Date.now() + 180_000;
      for (;;) {
        for (const phase of workload.phases()) {
          if (read[`${phase}.metrics`]?.missing.length !== 0) read[`${phase}.metrics`] = await workload.readMetrics(gw(), phase);
          if (read[`${phase}.logs`]?.missing.length !== 0) read[`${phase}.logs`] = await workload.readLogs(gw(), phase);
          if (read[`${phase}.traces`]?.missing.length !== 0) read[`${phase}.traces`] = await workload.readTraces(gw(), phase);
        }
        if (Object.values(read).every((v) => v.missing.length === 0) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 2000));
      }
      report.readable_after_rolling_s = (Date.now() - (deadline - 180_000)) / 1000;
      report.after_rolling = Object.fromEntries(Object.entries(read).map(([k, v]) => [k, { acknowledged: v.acknowledged, readable: v.readable }]));
      for (const [k, v] of Object.entries(read)) expect(v.missing.slice(0, 5), `${k}: ${v.missing.length} of ${v.acknowledged} acknowledged not readable after the rolling restart`).toEqual([]);
    });
  }, 540_000);

});
