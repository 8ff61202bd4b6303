/**
 * The authenticating gateway, run for real: the rendered nginx.conf and start.sh (Debian's nginx on
 * 127.0.0.1) in front of stub backends that echo the X-Scope-OrgID they receive. Each tenant's
 * credentials map to exactly its own tenant id, a client-sent header is replaced, unauthenticated or
 * wrong credentials get 401, a tenant's credentials work only on its signals' routes, and every
 * route reaches the backend and path the catalog says.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Settings } from "../settings";
import { serviceHost } from "../settings/catalog";
import { checkRenderedConfigs, renderConfigs, serviceCommand } from "../templates";
import { CONFIG_DIR, GATEWAY_RUN_DIR, gatewayPasswordEnv } from "../templates/context";
import { settingsWith } from "./support/settings";
import { basic, freePort, runGateway, skipWithoutNginx, stubBackend, type Echo, type RunningGateway, type StubBackend } from "./support/gateway";

const skip = skipWithoutNginx();

describe.skipIf(skip)("GIVEN the rendered gateway running on 127.0.0.1 in front of echoing backends, with three tenants", () => {
  let s: Settings;
  let gateway: RunningGateway;
  const stubs: StubBackend[] = [];
  // tenants() order: tenant_id first, then sorted ids; passwords as Secrets Manager would inject them.
  const passwords: Record<string, string> = {};
  const TENANTS = ["jsj-lgtm-header", "aws-rag-ec2", "metrics-only", "o'neil(*)"];

  beforeAll(async () => {
    s = await settingsWith({
      tenants: { "metrics-only": { description: "CI runners", signals: ["metrics"] }, "o'neil(*)": { description: "odd but valid id" } },
    });
    const configs = renderConfigs(s).filter((c) => c.service === "gateway");
    const file = (name: string) => configs.find((c) => c.fileName === name)!.content;
    const backends: [string, number][] = [
      ["mimir", s.services.mimir.http_port],
      ["loki", s.services.loki.http_port],
      ["tempo", s.services.tempo.http_port],
      ["tempo-otlp", s.otlp.http_port],
      ["pyroscope", s.services.pyroscope.http_port],
    ];
    const substitutions: [string, string][] = [];
    for (const [name, port] of backends) {
      const stub = await stubBackend(name);
      stubs.push(stub);
      substitutions.push([`http://${serviceHost(s, name.replace("-otlp", "") as "tempo")}:${port}`, `http://127.0.0.1:${stub.port}`]);
    }
    const env: Record<string, string> = {};
    ["jsj-lgtm-header", "aws-rag-ec2", "metrics-only", "o'neil(*)"].forEach((t, i) => {
      passwords[t] = `pw-${i}-${"x".repeat(20)}`;
      env[gatewayPasswordEnv(i)] = passwords[t];
    });
    gateway = await runGateway({
      nginxConf: file("nginx.conf"),
      startSh: file("start.sh"),
      substitutions,
      listenPort: await freePort(),
      renderedListen: s.services.gateway.http_port,
      runDir: GATEWAY_RUN_DIR,
      configFile: `${CONFIG_DIR}/nginx.conf`,
      env,
    });
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    for (const stub of stubs) await stub.close();
  });

  const send = async (path: string, headers: Record<string, string> = {}, body = "payload"): Promise<{ status: number; echo?: Echo }> => {
    const res = await fetch(`${gateway.url}${path}`, { method: "POST", headers, body });
    const text = await res.text();
    return { status: res.status, echo: res.status === 200 && text.startsWith("{") ? (JSON.parse(text) as Echo) : undefined };
  };

  it("WHEN the task starts THEN start.sh is what the container runs, and /healthz answers without credentials", async () => {
    expect(serviceCommand(s, "gateway")).toEqual(["sh", `${CONFIG_DIR}/start.sh`]);
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  });

  it("WHEN a request has no credentials, a wrong password or an unknown user THEN it gets 401 and reaches no backend", async () => {
    expect((await send("/api/v1/push")).status).toBe(401);
    expect((await send("/api/v1/push", { Authorization: basic("aws-rag-ec2", "wrong") })).status).toBe(401);
    expect((await send("/api/v1/push", { Authorization: basic("aws-rag-ec2", passwords["jsj-lgtm-header"]) })).status).toBe(401);
    expect((await send("/api/v1/push", { Authorization: basic("nobody", passwords["aws-rag-ec2"]) })).status).toBe(401);
    expect((await send("/api/v1/push", { "X-Scope-OrgID": "aws-rag-ec2" })).status).toBe(401);
  });

  it("WHEN each tenant pushes with its own credentials THEN the backend sees exactly its tenant id, once, and never the credentials", async () => {
    for (const t of TENANTS) {
      const r = await send("/api/v1/push", { Authorization: basic(t, passwords[t]) });
      expect(r.status, t).toBe(200);
      expect(r.echo).toMatchObject({ backend: "mimir", path: "/api/v1/push", orgIds: [t], authorization: null, body: "payload" });
    }
  });

  it("WHEN a client forges X-Scope-OrgID (any case, or a federated list) THEN it is replaced by the authenticated tenant", async () => {
    const auth = basic("aws-rag-ec2", passwords["aws-rag-ec2"]);
    const forgeries: Record<string, string>[] = [{ "X-Scope-OrgID": "jsj-lgtm-header" }, { "x-scope-orgid": "jsj-lgtm-header|aws-rag-ec2" }];
    for (const forged of forgeries) {
      const r = await send("/loki/api/v1/push", { Authorization: auth, ...forged });
      expect(r.echo).toMatchObject({ backend: "loki", orgIds: ["aws-rag-ec2"] });
    }
  });

  it("WHEN every route is called THEN it reaches the backend and path the catalog says, OTLP traces at Tempo's OTLP HTTP port", async () => {
    const auth = { Authorization: basic("jsj-lgtm-header", passwords["jsj-lgtm-header"]) };
    const expected: [string, string, string][] = [
      ["/api/v1/push", "mimir", "/api/v1/push"],
      ["/otlp/v1/metrics", "mimir", "/otlp/v1/metrics"],
      ["/prometheus/api/v1/query?query=up", "mimir", "/prometheus/api/v1/query?query=up"],
      ["/loki/api/v1/push", "loki", "/loki/api/v1/push"],
      ["/otlp/v1/logs", "loki", "/otlp/v1/logs"],
      ["/tempo/api/search", "tempo", "/tempo/api/search"],
      ["/otlp/v1/traces", "tempo-otlp", "/v1/traces"],
      ["/pyroscope/ingest?name=app", "pyroscope", "/pyroscope/ingest?name=app"],
    ];
    for (const [path, backend, upstreamPath] of expected) {
      const r = await send(path, auth);
      expect(r.status, path).toBe(200);
      expect(r.echo, path).toMatchObject({ backend, path: upstreamPath, orgIds: ["jsj-lgtm-header"] });
    }
    expect((await send("/ready", auth)).status).toBe(404);
    expect((await send("/", auth)).status).toBe(404);
  });

  it("WHEN a tenant allowed only metrics calls the logs, traces or profiles routes THEN it gets 401 there and 200 on metrics", async () => {
    const auth = { Authorization: basic("metrics-only", passwords["metrics-only"]) };
    expect((await send("/prometheus/api/v1/query", auth)).echo?.orgIds).toEqual(["metrics-only"]);
    for (const path of ["/loki/api/v1/push", "/otlp/v1/logs", "/otlp/v1/traces", "/tempo/api/search", "/pyroscope/ingest"]) {
      expect((await send(path, auth)).status, path).toBe(401);
    }
  });

  it("WHEN the status page is asked from 127.0.0.1 THEN nginx's counters answer without credentials (in the task: the VPC only)", async () => {
    const res = await fetch(`${gateway.url}/gateway/status`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/Active connections: \d+/);
  });
});

describe("GIVEN the shipped prod gateway config and the synth-time checks", () => {
  let s: Settings;
  let configs: ReturnType<typeof renderConfigs>;
  const edited = (from: string | RegExp, to: string) => {
    const out = configs.map((c) => (c.service === "gateway" && c.fileName === "nginx.conf" ? { ...c, content: c.content.replace(from, to) } : c));
    if (JSON.stringify(out) === JSON.stringify(configs)) throw new Error(`the edit ${String(from)} changed nothing`);
    return out;
  };
  beforeAll(async () => {
    s = await settingsWith({});
    configs = renderConfigs(s);
  });

  it("WHEN checked as rendered THEN the gateway's upstreams match the catalog and there is no error", () => {
    expect(checkRenderedConfigs(s, configs).errors).toEqual([]);
  });

  it("WHEN the tenant header is no longer set from the authenticated user THEN the check says a client could choose its tenant", () => {
    const errors = checkRenderedConfigs(s, edited("proxy_set_header X-Scope-OrgID $remote_user;", "proxy_set_header X-Scope-OrgID $http_x_scope_orgid;")).errors;
    expect(errors).toEqual([expect.stringMatching(/^templates\/gateway\/nginx\.conf\.hbs: gateway\/nginx\.conf must set X-Scope-OrgID exactly once, to \$remote_user .*found \$http_x_scope_orgid: a client could choose its tenant/)]);
  });

  it("WHEN a route forwards without checking credentials THEN the check names the location", () => {
    const errors = checkRenderedConfigs(s, edited(/auth_basic_user_file [^;]+htpasswd-profiles;/, "auth_basic off;")).errors;
    expect(errors).toEqual([expect.stringContaining("location /pyroscope/ forwards to http://pyroscope.lgtm.local:4040 without checking credentials")]);
  });

  it("WHEN an upstream port disagrees with its producer (seed 004) THEN the check names the port setting", () => {
    const errors = checkRenderedConfigs(s, edited("proxy_pass http://loki.lgtm.local:3100;", "proxy_pass http://loki.lgtm.local:4100;")).errors;
    expect(errors).toEqual([expect.stringMatching(/^services\.loki\.http_port: gateway\/nginx\.conf: location .* proxy_pass "http:\/\/loki\.lgtm\.local:4100" uses port 4100, but loki listens/)]);
  });

  it("WHEN the gateway stops calling a producer the catalog lists for it THEN the check says so", () => {
    const errors = checkRenderedConfigs(s, edited("proxy_pass http://tempo.lgtm.local:4318/v1/traces;", "return 404;")).errors;
    expect(errors).toContainEqual(expect.stringContaining("the rendered gateway config never calls tempo's otlp_http port"));
  });
});

describe("GIVEN a rendered file that would reach Terraform with its template syntax", () => {
  it("WHEN a shell ${VAR} expansion is in the gateway's start.sh THEN synth fails naming the file and line (the task definition carries it)", async () => {
    const s = await settingsWith({});
    const configs = renderConfigs(s);
    const broken = configs.map((c) => (c.service === "gateway" && c.fileName === "start.sh" ? { ...c, content: c.content.replace("set -eu", 'set -eu\necho "${HOME}"') } : c));
    expect(checkRenderedConfigs(s, broken).errors).toEqual([expect.stringMatching(/^templates\/gateway\/start\.sh\.hbs: gateway\/start\.sh line \d+ has "\$\{" or "%\{", which Terraform would read as interpolation/)]);
    // Grafana's own "$${...}" (Terraform's escape) stays allowed.
    expect(configs.find((c) => c.service === "grafana" && c.fileName.startsWith("provisioning/datasources/"))!.content).toContain("$${__value.raw}");
    expect(checkRenderedConfigs(s, configs).errors).toEqual([]);
  });
});
