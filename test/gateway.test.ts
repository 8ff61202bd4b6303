/**
 * The authenticating gateway, run for real: the rendered nginx.conf and start.sh (Debian's nginx on
 * 127.0.0.1) in front of stub backends that echo the X-Scope-OrgID they receive, the backends' Cloud
 * Map names answered by a DNS server the test runs (dnsmasq). Each tenant's credentials map to
 * exactly its own tenant id, a client-sent header is replaced, unauthenticated or wrong credentials
 * get 401, a tenant's credentials work only on its signals' routes, and every route reaches the
 * backend and path the catalog says. The gateway starts while no backend name resolves, answers 502
 * on those routes, serves them once the names resolve and follows an address change within the
 * Cloud Map TTL.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Settings } from "../settings";
import { CLOUD_MAP_DNS_TTL_SECONDS, serviceHost } from "../settings/catalog";
import { tenants } from "../settings/tenants";
import { checkRenderedConfigs, renderConfigs, serviceCommand } from "../templates";
import { CONFIG_DIR, GATEWAY_META_PASSWORD_ENV, GATEWAY_RESOLV_CONF, GATEWAY_RUN_DIR, gatewayPasswordEnv } from "../templates/context";
import { load as loadYaml } from "js-yaml";
import { MUTATION_RUN } from "./support/mutation";
import { overrideError, settingsWith } from "./support/settings";
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

// The nginx tiers start processes per test: not re-run per mutant (test/support/mutation.ts); the
// synth-time checks below them are.
const skip = MUTATION_RUN || skipWithoutNginx();
const skipDns = skip || skipWithoutDnsmasq();

describe.skipIf(skipDns)("GIVEN the rendered gateway running on 127.0.0.1 in front of echoing backends, with three tenants", () => {
  let s: Settings;
  let gateway: RunningGateway;
  let dnsServer: TestDns;
  const stubs: StubBackend[] = [];
  // tenants() order: tenant_id first, then sorted ids; passwords (one per role) as Secrets Manager would inject them.
  const passwords: Record<string, string> = {};
  const readPasswords: Record<string, string> = {};
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
    // Each backend keeps its Cloud Map name, resolved through the test's DNS server; only its port
    // becomes its stub's.
    dnsServer = await startTestDns();
    const substitutions: [string, string][] = [[GATEWAY_RESOLV_CONF, dnsServer.resolvConf]];
    const records: Record<string, string> = {};
    for (const [name, port] of backends) {
      const stub = await stubBackend(name);
      stubs.push(stub);
      const host = serviceHost(s, name.replace("-otlp", "") as "tempo");
      records[host] = "127.0.0.1";
      substitutions.push([`http://${host}:${port}`, `http://${host}:${stub.port}`]);
    }
    await dnsServer.set(records);
    const env: Record<string, string> = {};
    ["jsj-lgtm-header", "aws-rag-ec2", "metrics-only", "o'neil(*)"].forEach((t, i) => {
      passwords[t] = `pw-${i}-${"x".repeat(20)}`;
      readPasswords[t] = `read-${i}-${"r".repeat(20)}`;
      env[gatewayPasswordEnv(i, "write")] = passwords[t];
      env[gatewayPasswordEnv(i, "read")] = readPasswords[t];
    });
    // The self-monitoring tenant's read password (Grafana's self-monitoring datasource).
    env[GATEWAY_META_PASSWORD_ENV] = `meta-read-${"m".repeat(20)}`;
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
    await dnsServer?.stop();
  });

  const send = async (path: string, headers: Record<string, string> = {}, body = "payload", method = "POST"): Promise<{ status: number; echo?: Echo }> => {
    const res = await fetch(`${gateway.url}${path}`, { method, headers, body: method === "GET" ? undefined : body });
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

  it("WHEN each tenant pushes with its own write credentials THEN the backend sees exactly its tenant id, once, and never the credentials", async () => {
    for (const t of TENANTS) {
      const r = await send("/api/v1/push", { Authorization: basic(t, passwords[t]) });
      expect(r.status, t).toBe(200);
      expect(r.echo).toMatchObject({ backend: "mimir", path: "/api/v1/push", orgIds: [t], authorization: null, body: "payload" });
    }
  });

  it("WHEN a tenant's write credential queries, or its read credential pushes THEN it gets 401 and reaches no backend", async () => {
    for (const t of TENANTS) {
      const write = { Authorization: basic(t, passwords[t]) };
      const read = { Authorization: basic(t, readPasswords[t]) };
      expect((await send("/prometheus/api/v1/query?query=up", write)).status, t).toBe(401);
      expect((await send("/api/v1/push", read)).status, t).toBe(401);
      expect((await send("/api/v1/push", write)).status, t).toBe(200);
      expect((await send("/prometheus/api/v1/query?query=up", read)).status, t).toBe(200);
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

  it("WHEN every route is called with its role's credential THEN it reaches the backend and path the catalog says, OTLP traces at Tempo's OTLP HTTP port", async () => {
    const auth = { Authorization: basic("jsj-lgtm-header", passwords["jsj-lgtm-header"]) };
    const read = { Authorization: basic("jsj-lgtm-header", readPasswords["jsj-lgtm-header"]) };
    const expected: [string, string, string, Record<string, string>, string][] = [
      ["/api/v1/push", "mimir", "/api/v1/push", auth, "POST"],
      ["/otlp/v1/metrics", "mimir", "/otlp/v1/metrics", auth, "POST"],
      ["/prometheus/api/v1/query?query=up", "mimir", "/prometheus/api/v1/query?query=up", read, "POST"],
      ["/loki/api/v1/push", "loki", "/loki/api/v1/push", auth, "POST"],
      ["/otlp/v1/logs", "loki", "/otlp/v1/logs", auth, "POST"],
      ["/tempo/api/search", "tempo", "/tempo/api/search", read, "GET"],
      ["/otlp/v1/traces", "tempo-otlp", "/v1/traces", auth, "POST"],
      ["/pyroscope/ingest?name=app", "pyroscope", "/pyroscope/ingest?name=app", auth, "POST"],
    ];
    for (const [path, backend, upstreamPath, credential, method] of expected) {
      const r = await send(path, credential, "payload", method);
      expect(r.status, path).toBe(200);
      expect(r.echo, path).toMatchObject({ backend, path: upstreamPath, orgIds: ["jsj-lgtm-header"] });
    }
    expect((await send("/ready", auth)).status).toBe(404);
    expect((await send("/", auth)).status).toBe(404);
  });

  /** A websocket handshake through the gateway: the status and headers it answers, and what one sent chunk brings back. */
  const upgrade = (path: string, auth: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; echoed?: string; body?: string }> =>
    new Promise((resolve, reject) => {
      const req = http.request(`${gateway.url}${path}`, {
        headers: { Authorization: auth, Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "X-Scope-OrgID": "forged" },
        timeout: 5000,
      });
      req.on("upgrade", (res, socket) => {
        socket.once("data", (d: Buffer) => {
          socket.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, echoed: d.toString("utf8") });
        });
        socket.write("frame-1");
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on("timeout", () => req.destroy(new Error("no answer within 5 s")));
      req.on("error", reject);
      req.end();
    });

  it("WHEN a client opens Loki's live tail (a websocket) through the gateway THEN it gets 101 from Loki with the tenant header set, and the connection carries data both ways", async () => {
    const r = await upgrade("/loki/api/v1/tail?query=%7Bjob%3D%22a%22%7D", basic("aws-rag-ec2", readPasswords["aws-rag-ec2"]));
    expect(r.status).toBe(101);
    expect(r.headers).toMatchObject({ "x-echo-backend": "loki", "x-echo-path": "/loki/api/v1/tail?query=%7Bjob%3D%22a%22%7D", "x-echo-orgid": "aws-rag-ec2" });
    expect(r.echoed).toBe("frame-1");
    // Without credentials, or with a tenant not allowed logs: no upgrade.
    expect((await upgrade("/loki/api/v1/tail", basic("aws-rag-ec2", "wrong"))).status).toBe(401);
    expect((await upgrade("/loki/api/v1/tail", basic("metrics-only", readPasswords["metrics-only"]))).status).toBe(401);
    // The write credential does not read: no tail either.
    expect((await upgrade("/loki/api/v1/tail", basic("aws-rag-ec2", passwords["aws-rag-ec2"]))).status).toBe(401);
  });

  it("WHEN a client asks for an upgrade on any other route THEN the backend gets a plain keepalive request (no Upgrade header) and answers it", async () => {
    const auth = basic("jsj-lgtm-header", readPasswords["jsj-lgtm-header"]);
    for (const path of ["/loki/api/v1/query_range", "/prometheus/api/v1/query", "/tempo/api/search"]) {
      const r = await upgrade(path, auth);
      expect(r.status, path).toBe(200);
      expect(JSON.parse(r.body!), path).toMatchObject({ orgIds: ["jsj-lgtm-header"] });
    }
  });

  it("WHEN a tenant allowed only metrics calls the logs, traces or profiles routes THEN it gets 401 there and 200 on metrics", async () => {
    const auth = { Authorization: basic("metrics-only", passwords["metrics-only"]) };
    const read = { Authorization: basic("metrics-only", readPasswords["metrics-only"]) };
    expect((await send("/prometheus/api/v1/query", read)).echo?.orgIds).toEqual(["metrics-only"]);
    expect((await send("/api/v1/push", auth)).echo?.orgIds).toEqual(["metrics-only"]);
    for (const path of ["/loki/api/v1/push", "/otlp/v1/logs", "/otlp/v1/traces", "/pyroscope/ingest"]) {
      expect((await send(path, auth)).status, path).toBe(401);
    }
    for (const path of ["/loki/api/v1/query", "/tempo/api/search", "/pyroscope/querier.v1.QuerierService/LabelNames"]) {
      expect((await send(path, read, "", "GET")).status, path).toBe(401);
    }
  });

  it("WHEN the status page is asked from 127.0.0.1 THEN nginx's counters answer without credentials (in the task: the VPC only)", async () => {
    const res = await fetch(`${gateway.url}/gateway/status`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/Active connections: \d+/);
  });
});

describe.skipIf(skipDns)("GIVEN the rendered gateway started while no backend's Cloud Map name resolves", () => {
  let s: Settings;
  let gateway: RunningGateway;
  let dnsServer: TestDns;
  let mimirHost: string;
  const stubs: StubBackend[] = [];
  const password = `pw-0-${"y".repeat(20)}`;

  beforeAll(async () => {
    s = await settingsWith({});
    const configs = renderConfigs(s).filter((c) => c.service === "gateway");
    const file = (name: string) => configs.find((c) => c.fileName === name)!.content;
    // Two Mimir tasks: the same port on two addresses, as a replacement task gets a new IP.
    const port = await freePort();
    stubs.push(await stubBackend("mimir-old", { host: "127.0.0.2", port }), await stubBackend("mimir-new", { host: "127.0.0.3", port }));
    mimirHost = serviceHost(s, "mimir");
    dnsServer = await startTestDns();
    gateway = await runGateway({
      nginxConf: file("nginx.conf"),
      startSh: file("start.sh"),
      substitutions: [
        [GATEWAY_RESOLV_CONF, dnsServer.resolvConf],
        [`http://${mimirHost}:${s.services.mimir.http_port}`, `http://${mimirHost}:${port}`],
      ],
      listenPort: await freePort(),
      renderedListen: s.services.gateway.http_port,
      runDir: GATEWAY_RUN_DIR,
      configFile: `${CONFIG_DIR}/nginx.conf`,
      env: Object.fromEntries([...tenants(s).flatMap((_, i) => [gatewayPasswordEnv(i, "write"), gatewayPasswordEnv(i, "read")]), GATEWAY_META_PASSWORD_ENV].map((v) => [v, password])),
    });
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    for (const stub of stubs) await stub.close();
    await dnsServer?.stop();
  });

  const push = async (path = "/api/v1/push"): Promise<{ status: number; backend?: string }> => {
    const res = await fetch(`${gateway.url}${path}`, { method: "POST", headers: { Authorization: basic(s.tenant_id, password) }, body: "x" });
    const text = await res.text();
    return { status: res.status, backend: res.status === 200 ? (JSON.parse(text) as Echo).backend : undefined };
  };
  /** Polls the push route until `backend` answers; the seconds it took. */
  const until = async (backend: string): Promise<number> => {
    const start = Date.now();
    const deadline = start + (CLOUD_MAP_DNS_TTL_SECONDS + 5) * 1000;
    for (;;) {
      if ((await push()).backend === backend) return (Date.now() - start) / 1000;
      if (Date.now() > deadline) throw new Error(`${backend} was not reached within the TTL (${CLOUD_MAP_DNS_TTL_SECONDS} s) + 5 s:\n${gateway.log().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it("WHEN the task starts THEN nginx runs with the task's name server as its resolver, and the missing backends' routes answer 502", async () => {
    const resolver = fs.readFileSync(path.join(gateway.dir, "run", "resolver.conf"), "utf8");
    expect(resolver).toBe(`resolver ${dnsServer.address} valid=${CLOUD_MAP_DNS_TTL_SECONDS}s ipv6=off;\n`);
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    for (const route of ["/api/v1/push", "/loki/api/v1/push", "/otlp/v1/traces", "/pyroscope/querier.v1.QuerierService/LabelNames", "/pyroscope/ingest"]) {
      expect((await push(route)).status, route).toBe(502);
    }
    expect(gateway.log()).toMatch(/could not be resolved/);
  });

  it("WHEN the backend registers THEN its routes are served within the TTL, and when it is replaced by a task at a new address THEN requests follow it within the TTL", async () => {
    await dnsServer.set({ [mimirHost]: "127.0.0.2" });
    const appeared = await until("mimir-old");
    await dnsServer.set({ [mimirHost]: "127.0.0.3" });
    const followed = await until("mimir-new");
    console.log(`gateway: backend served ${appeared.toFixed(1)} s after its name resolved; new address followed after ${followed.toFixed(1)} s (TTL ${CLOUD_MAP_DNS_TTL_SECONDS} s)`);
    // Still serving: every request now reaches the new task.
    for (let i = 0; i < 5; i++) expect((await push()).backend).toBe("mimir-new");
    // The other backends' names still do not resolve: 502 there, nothing else disturbed.
    expect((await push("/loki/api/v1/push")).status).toBe(502);
  }, 2 * (CLOUD_MAP_DNS_TTL_SECONDS + 5) * 1000 + 10_000);
});

describe.skipIf(skip)("GIVEN a task whose /etc/resolv.conf names no name server", () => {
  it("WHEN the gateway starts THEN start.sh stops before nginx, saying the backends' names cannot be resolved", async () => {
    const s = await settingsWith({});
    const configs = renderConfigs(s).filter((c) => c.service === "gateway");
    const file = (name: string) => configs.find((c) => c.fileName === name)!.content;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-resolv-"));
    fs.chmodSync(dir, 0o755);
    const resolvConf = path.join(dir, "resolv.conf");
    fs.writeFileSync(resolvConf, "# no servers\nsearch lgtm.local\noptions ndots:1\n");
    try {
      await expect(
        runGateway({
          nginxConf: file("nginx.conf"),
          startSh: file("start.sh"),
          substitutions: [[GATEWAY_RESOLV_CONF, resolvConf]],
          listenPort: await freePort(),
          renderedListen: s.services.gateway.http_port,
          runDir: GATEWAY_RUN_DIR,
          configFile: `${CONFIG_DIR}/nginx.conf`,
          env: Object.fromEntries([...tenants(s).flatMap((_, i) => [gatewayPasswordEnv(i, "write"), gatewayPasswordEnv(i, "read")]), GATEWAY_META_PASSWORD_ENV].map((v) => [v, "pw"])),
        }),
      ).rejects.toThrow(/the gateway exited \(1\) before it was ready:\nno nameserver line in .*resolv\.conf: nginx cannot resolve the backends' Cloud Map names/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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
    const errors = checkRenderedConfigs(s, edited(/auth_basic_user_file [^;]+htpasswd-profiles-read;/, "auth_basic off;")).errors;
    expect(errors).toEqual([expect.stringContaining("location /pyroscope/querier.v1.QuerierService/ProfileTypes forwards to http://pyroscope.lgtm.local:4040 without checking credentials")]);
  });

  it("WHEN an upstream port disagrees with its producer (seed 004) THEN the check names the port setting", () => {
    const errors = checkRenderedConfigs(s, edited("set $backend http://loki.lgtm.local:3100;", "set $backend http://loki.lgtm.local:4100;")).errors;
    expect(errors).toEqual([expect.stringMatching(/^services\.loki\.http_port: gateway\/nginx\.conf: location .* proxy_pass "http:\/\/loki\.lgtm\.local:4100" uses port 4100, but loki listens/)]);
  });

  it("WHEN the gateway stops calling a producer the catalog lists for it THEN the check says so", () => {
    const errors = checkRenderedConfigs(s, edited(/set \$backend http:\/\/tempo\.lgtm\.local:4318\/v1\/traces;\s+set \$lgtm_uri \$is_args\$args;\s+try_files [^;]+;/, "return 404;")).errors;
    expect(errors).toContainEqual(expect.stringContaining("the rendered gateway config never calls tempo's otlp_http port"));
  });

  it("WHEN the upstream location names a backend literally in proxy_pass THEN the check says nginx would pin the address at start, and that no route reaches its own backend", () => {
    const errors = checkRenderedConfigs(s, edited("proxy_pass $backend$lgtm_uri;", "proxy_pass http://mimir.lgtm.local:9009;")).errors;
    expect(errors).toContainEqual(expect.stringMatching(/location @lgtm_upstream has proxy_pass http:\/\/mimir\.lgtm\.local:9009, not a variable set in the location: nginx would resolve the Cloud Map name once at start/));
    expect(errors).toContainEqual(expect.stringMatching(/location \/loki\/api\/v1\/push sets \$backend http:\/\/loki\.lgtm\.local:3100 but no proxy_pass of it follows/));
  });

  it("WHEN a route proxies straight from its own location without a credential check THEN the check names it", () => {
    const errors = checkRenderedConfigs(s, edited(/location = \/api\/v1\/push \{[^]*?try_files [^;]+;\n    \}/, "location = /api/v1/push {\n      proxy_pass $backend;\n    }")).errors;
    expect(errors).toContainEqual(expect.stringContaining("location /api/v1/push forwards to $backend without checking credentials"));
  });

  it("WHEN nginx.conf no longer includes the resolver start.sh writes THEN the check says names could not be resolved at request time", () => {
    const errors = checkRenderedConfigs(s, edited(/include \/tmp\/gateway\/resolver\.conf;/, "")).errors;
    expect(errors).toEqual([expect.stringMatching(/^templates\/gateway\/nginx\.conf\.hbs: gateway\/nginx\.conf includes no resolver file/)]);
  });
});

describe("GIVEN the gateway's body limit (gateway.max_body_size_mib) and the backends' gRPC message limits", () => {
  const MIB = 1024 * 1024;
  const yamlOf = (configs: ReturnType<typeof renderConfigs>, service: string) => loadYaml(configs.find((c) => c.service === service && c.fileName === `${service}.yaml`)!.content) as Record<string, any>;
  const editYaml = (configs: ReturnType<typeof renderConfigs>, service: string, from: RegExp, to: string) => {
    const out = configs.map((c) => (c.service === service && c.fileName === `${service}.yaml` ? { ...c, content: c.content.replace(from, to) } : c));
    if (JSON.stringify(out) === JSON.stringify(configs)) throw new Error(`the edit ${String(from)} changed nothing`);
    return out;
  };

  it("WHEN rendered with the shipped 64 MiB THEN nginx admits 64m and every gRPC hop of a push in Mimir, Loki, Tempo and Pyroscope takes 100 MiB, with no check error", async () => {
    const s = await settingsWith({});
    expect(s.gateway.max_body_size_mib).toBe(64);
    const configs = renderConfigs(s);
    expect(configs.find((c) => c.service === "gateway" && c.fileName === "nginx.conf")!.content).toMatch(/^\s*client_max_body_size 64m;$/m);
    for (const service of ["mimir", "loki", "tempo", "pyroscope"]) {
      const doc = yamlOf(configs, service);
      expect(doc.server.grpc_server_max_recv_msg_size, service).toBe(100 * MIB);
      expect(doc.server.grpc_server_max_send_msg_size, service).toBe(100 * MIB);
    }
    expect(yamlOf(configs, "loki").ingester_client.grpc_client_config).toEqual({ max_recv_msg_size: 100 * MIB, max_send_msg_size: 100 * MIB });
    expect(yamlOf(configs, "mimir").ingester_client.grpc_client_config).toEqual({ max_recv_msg_size: 100 * MIB, max_send_msg_size: 100 * MIB });
    expect(yamlOf(configs, "tempo").live_store_client.grpc_client_config).toEqual({ max_recv_msg_size: 100 * MIB, max_send_msg_size: 100 * MIB });
    expect(checkRenderedConfigs(s, configs).errors).toEqual([]);
  });

  it("WHEN a push as large as the gateway admits is slow THEN Loki keeps the request open longer than its distributor waits for the ingesters, and the gateway longer still", async () => {
    const s = await settingsWith({});
    const configs = renderConfigs(s);
    const loki = yamlOf(configs, "loki");
    const secondsOf = (d: string) => Number(/^(\d+)s$/.exec(d)![1]);
    // Upstream's 30 s closed the request while the distributor still waited (60 s): a 502, never a 429.
    expect(secondsOf(loki.ingester_client.remote_timeout)).toBe(60);
    expect(secondsOf(loki.server.http_server_write_timeout)).toBeGreaterThan(secondsOf(loki.ingester_client.remote_timeout));
    const nginx = configs.find((c) => c.service === "gateway" && c.fileName === "nginx.conf")!.content;
    expect(Number(/^\s*proxy_read_timeout (\d+)m;$/m.exec(nginx)![1]) * 60).toBeGreaterThan(secondsOf(loki.server.http_server_write_timeout));
  });

  it("WHEN the limit is raised to 256 MiB (pattern ingester on) THEN nginx admits 256m and every limit follows, the pattern ingester's client too", async () => {
    const s = await settingsWith({ gateway: { max_body_size_mib: 256 }, loki: { pattern_ingester: true } });
    const configs = renderConfigs(s);
    expect(configs.find((c) => c.service === "gateway" && c.fileName === "nginx.conf")!.content).toMatch(/^\s*client_max_body_size 256m;$/m);
    for (const service of ["mimir", "loki", "tempo", "pyroscope"]) expect(yamlOf(configs, service).server.grpc_server_max_recv_msg_size, service).toBe(256 * MIB);
    expect(yamlOf(configs, "loki").pattern_ingester.client_config.grpc_client_config.max_send_msg_size).toBe(256 * MIB);
    expect(checkRenderedConfigs(s, configs).errors).toEqual([]);
  });

  it("WHEN Loki's server limit is left at its 4 MiB default THEN the check says an admitted push would be a 500 inside Loki, naming the setting and the key", async () => {
    const s = await settingsWith({});
    const configs = editYaml(renderConfigs(s), "loki", /\n  grpc_server_max_recv_msg_size: \d+/, "");
    expect(checkRenderedConfigs(s, configs).errors).toEqual([
      `gateway.max_body_size_mib: the gateway admits request bodies up to ${64 * MIB} bytes (gateway/nginx.conf client_max_body_size 64m), but loki/loki.yaml server.grpc_server_max_recv_msg_size is ${4 * MIB} (upstream default): a push the gateway admits would be refused inside loki with a 500; render it at least as large (templates/context.ts grpcMessageBytes)`,
    ]);
  });

  it("WHEN Tempo's live-store client sends less than the gateway admits THEN the check names Tempo's key", async () => {
    const s = await settingsWith({});
    const configs = editYaml(renderConfigs(s), "tempo", /(live_store_client:\n  grpc_client_config:\n    max_recv_msg_size: \d+\n    max_send_msg_size: )\d+/, "$11048576");
    expect(checkRenderedConfigs(s, configs).errors).toEqual([expect.stringMatching(/^gateway\.max_body_size_mib: .* but tempo\/tempo\.yaml live_store_client\.grpc_client_config\.max_send_msg_size is 1048576: a push the gateway admits would be refused inside tempo/)]);
  });

  it("WHEN the limit is above 1024 MiB or not a whole number THEN loading refuses it naming the file and key", async () => {
    expect(await overrideError({ gateway: { max_body_size_mib: 2048 } })).toBe(
      "invalid settings (1 problem):\n  environments/prod.tfvars: gateway.max_body_size_mib: expected at most 1024 MiB: a body is buffered into the backend's memory whole, decompressed, on every replica, got 2048",
    );
    expect(await overrideError({ gateway: { max_body_size_mib: 1.5 } })).toMatch(/environments\/prod\.tfvars: gateway\.max_body_size_mib: expected a size in MiB, got 1\.5/);
    expect(await overrideError({ gateway: { max_body: 64 } })).toMatch(/environments\/prod\.tfvars: gateway\.max_body/);
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
