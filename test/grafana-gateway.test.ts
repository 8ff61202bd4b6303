/**
 * Grafana's datasources resolve to the gateway, run for real: the rendered datasources file is read
 * as Grafana would (each `$VAR` expanded from Grafana's container secrets), and every datasource's
 * URL and basic-auth credential is sent to the rendered gateway (Debian's nginx, test/support/gateway.ts)
 * in front of echoing stub backends. Which password Grafana holds comes from the synthesized task
 * definitions: Grafana's secret and the gateway's secret must name the same 40-iam secret, so a
 * wrong mapping (a write password, another tenant's) shows up as a 401 here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load as loadYaml } from "js-yaml";
import { type Settings } from "../settings";
import { serviceHost } from "../settings/catalog";
import { renderConfigs } from "../templates";
import { CONFIG_DIR, GATEWAY_RESOLV_CONF, GATEWAY_RUN_DIR } from "../templates/context";
import { shipped } from "./support/settings";
import { resourceOf, synthLayer } from "./support/synth";
import {
  basic,
  freePort,
  runGateway,
  skipWithoutDnsmasq,
  skipWithoutNginx,
  startTestDns,
  stubBackend,
  type Echo,
  type RunningGateway,
  type StubBackend,
  type TestDns,
} from "./support/gateway";

const skip = skipWithoutNginx() || skipWithoutDnsmasq();

type Ds = Record<string, any>;
const secretsOf = (ecs: ReturnType<typeof synthLayer>, service: string): { name: string; valueFrom: string }[] =>
  JSON.parse(resourceOf(ecs, "aws_ecs_task_definition", `${service}_task_definition`).container_definitions)[0].secrets;

/** A query each datasource type sends, relative to its URL (what Grafana appends), and the backend that must answer it. */
const QUERIES: Record<string, { method: string; path: string; backend: string }> = {
  prometheus: { method: "POST", path: "/api/v1/query?query=up", backend: "mimir" },
  loki: { method: "GET", path: "/loki/api/v1/query_range?query=%7Bjob%3D%22x%22%7D", backend: "loki" },
  tempo: { method: "GET", path: "/api/search?limit=20", backend: "tempo" },
  "grafana-pyroscope-datasource": { method: "POST", path: "/querier.v1.QuerierService/ProfileTypes", backend: "pyroscope" },
};

describe.skipIf(skip)("GIVEN the shipped prod datasources, Grafana's and the gateway's container secrets, and the rendered gateway in front of echoing backends", () => {
  let s: Settings;
  let gateway: RunningGateway;
  let dnsServer: TestDns;
  let datasources: Ds[];
  /** Grafana's environment as ECS would inject it: each secret variable → the value of the 40-iam secret it names. */
  const grafanaEnv: Record<string, string> = {};
  const stubs: StubBackend[] = [];
  const gatewayHost = () => `http://${serviceHost(s, "gateway")}:${s.services.gateway.http_port}`;

  beforeAll(async () => {
    s = await shipped("prod");
    const configs = renderConfigs(s);
    const file = (service: string, name: string) => configs.find((c) => c.service === service && c.fileName === name)!.content;
    datasources = (loadYaml(file("grafana", "provisioning/datasources/datasources.yaml")) as { datasources: Ds[] }).datasources;
    // One test value per 40-iam secret; both tasks get it wherever their task definition names that secret.
    const ecs = synthLayer(s, "60-ecs");
    const secretValue = new Map<string, string>();
    const valueOf = (arn: string) => {
      if (!secretValue.has(arn)) secretValue.set(arn, `secret-${secretValue.size}-${"v".repeat(16)}`);
      return secretValue.get(arn)!;
    };
    const gatewayEnv: Record<string, string> = {};
    for (const x of secretsOf(ecs, "gateway")) gatewayEnv[x.name] = valueOf(x.valueFrom);
    for (const x of secretsOf(ecs, "grafana")) grafanaEnv[x.name] = valueOf(x.valueFrom);

    dnsServer = await startTestDns();
    const substitutions: [string, string][] = [[GATEWAY_RESOLV_CONF, dnsServer.resolvConf]];
    const records: Record<string, string> = {};
    for (const [name, port] of [
      ["mimir", s.services.mimir.http_port],
      ["loki", s.services.loki.http_port],
      ["tempo", s.services.tempo.http_port],
      ["tempo-otlp", s.otlp.http_port],
      ["pyroscope", s.services.pyroscope.http_port],
    ] as [string, number][]) {
      const stub = await stubBackend(name);
      stubs.push(stub);
      const host = serviceHost(s, name.replace("-otlp", "") as "tempo");
      records[host] = "127.0.0.1";
      substitutions.push([`http://${host}:${port}`, `http://${host}:${stub.port}`]);
    }
    await dnsServer.set(records);
    gateway = await runGateway({
      nginxConf: file("gateway", "nginx.conf"),
      startSh: file("gateway", "start.sh"),
      substitutions,
      listenPort: await freePort(),
      renderedListen: s.services.gateway.http_port,
      runDir: GATEWAY_RUN_DIR,
      configFile: `${CONFIG_DIR}/nginx.conf`,
      env: gatewayEnv,
    });
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    for (const stub of stubs) await stub.close();
    await dnsServer?.stop();
  });

  /** The password a datasource sends: its `$VAR`, expanded from Grafana's environment as Grafana does at provisioning. */
  const passwordOf = (ds: Ds): string => {
    const ref = String(ds.secureJsonData?.basicAuthPassword ?? "");
    const variable = /^\$([A-Z0-9_]+)$/.exec(ref)?.[1];
    if (!variable || grafanaEnv[variable] === undefined) throw new Error(`${ds.name}: basicAuthPassword ${ref} names no container secret of Grafana's task`);
    return grafanaEnv[variable];
  };
  const call = async (ds: Ds, method: string, path: string): Promise<{ status: number; echo?: Echo }> => {
    expect(String(ds.url).startsWith(gatewayHost()), `${ds.name}: ${ds.url}`).toBe(true);
    const url = `${gateway.url}${String(ds.url).slice(gatewayHost().length)}${path}`;
    const res = await fetch(url, { method, headers: { Authorization: basic(ds.basicAuthUser, passwordOf(ds)) }, body: method === "POST" ? "q" : undefined });
    const text = await res.text();
    return { status: res.status, echo: res.status === 200 && text.startsWith("{") ? (JSON.parse(text) as Echo) : undefined };
  };

  it("WHEN every datasource sends a query with its credential THEN the gateway answers it from the right backend, under the datasource's tenant, without the credential", async () => {
    // Two tenants × four backends, plus the self-monitoring Mimir.
    expect(datasources).toHaveLength(9);
    for (const ds of datasources) {
      const q = QUERIES[ds.type];
      const r = await call(ds, q.method, q.path);
      expect(r.status, `${ds.name} ${q.method} ${ds.url}${q.path}`).toBe(200);
      expect(r.echo, ds.name).toMatchObject({ backend: q.backend, orgIds: [ds.basicAuthUser], authorization: null });
      expect(r.echo!.path, ds.name).toBe(`${new URL(ds.url).pathname.replace(/\/$/, "")}${q.path}`);
    }
  });

  it("WHEN a datasource's credential is used on an ingest route THEN it gets 401: Grafana holds read credentials only", async () => {
    for (const ds of datasources.filter((d) => d.type === "prometheus")) {
      const res = await fetch(`${gateway.url}/api/v1/push`, { method: "POST", headers: { Authorization: basic(ds.basicAuthUser, passwordOf(ds)) }, body: "x" });
      expect(res.status, ds.name).toBe(401);
    }
    const loki = datasources.find((d) => d.type === "loki" && d.uid === "loki")!;
    const push = await fetch(`${gateway.url}/loki/api/v1/push`, { method: "POST", headers: { Authorization: basic(loki.basicAuthUser, passwordOf(loki)) }, body: "x" });
    expect(push.status).toBe(401);
  });

  it("WHEN the self-monitoring credential queries anything but metrics, or a tenant's credential is sent as another tenant THEN it gets 401", async () => {
    const meta = datasources.find((d) => d.uid === "mimir-meta")!;
    const logs = await fetch(`${gateway.url}/loki/api/v1/query_range?query=x`, { headers: { Authorization: basic(meta.basicAuthUser, passwordOf(meta)) } });
    expect(logs.status).toBe(401);
    const a = datasources.find((d) => d.uid === "mimir")!;
    const b = datasources.find((d) => d.type === "prometheus" && d.basicAuthUser !== a.basicAuthUser && d.uid !== "mimir-meta")!;
    const crossed = await fetch(`${gateway.url}/prometheus/api/v1/query?query=up`, { headers: { Authorization: basic(b.basicAuthUser, passwordOf(a)) } });
    expect(crossed.status).toBe(401);
  });
});
