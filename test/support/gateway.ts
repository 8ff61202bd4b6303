/**
 * The rendered gateway run for real: Debian's nginx on 127.0.0.1 in front of stub backends (node
 * http servers) that echo what they received, started and stopped by the test itself, and a DNS
 * server the test controls (Debian's dnsmasq) that answers the backends' Cloud Map names.
 *
 * The rendered nginx.conf and start.sh are used as they are, except for test-time substitutions of
 * what only exists in a task: each backend's Cloud Map port becomes its stub's port (the name stays
 * and is resolved through the test's dnsmasq, named in a stand-in for the task's /etc/resolv.conf),
 * the listen port a free loopback port, the run directory and the config path a temporary folder.
 * start.sh and nginx run as an unprivileged user (nobody, when the tests run as root), as the task
 * runs them as the image's nginx user.
 * The loud skips (nginx, dnsmasq missing) fail instead under LGTM_REQUIRE_NGINX=1 / LGTM_REQUIRE_DNSMASQ=1.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as dgram from "node:dgram";
import * as dns from "node:dns";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { Settings } from "../../settings";
import { serviceHost } from "../../settings/catalog";
import { renderConfigs } from "../../templates";
import { CONFIG_DIR, GATEWAY_RESOLV_CONF, GATEWAY_RUN_DIR } from "../../templates/context";
import { DNSMASQ, findTool, NGINX, skipWithoutTool } from "./tools";

/** The nginx binary (LGTM_NGINX or the PATH, /usr/sbin included), or undefined. */
export const findNginx = (): string | undefined => findTool(NGINX);

/** True when the nginx tier should skip (after saying so loudly); throws under LGTM_REQUIRE_NGINX=1. */
export const skipWithoutNginx = (): boolean => skipWithoutTool(NGINX, "the gateway tier", "The rendered gateway was NOT run.");

/** The dnsmasq binary (LGTM_DNSMASQ, the PATH or /usr/sbin), or undefined. */
export const findDnsmasq = (): string | undefined => findTool(DNSMASQ);

/** True when the DNS-backed gateway tests should skip (after saying so loudly); throws under LGTM_REQUIRE_DNSMASQ=1. */
export const skipWithoutDnsmasq = (): boolean => skipWithoutTool(DNSMASQ, "the gateway's name-resolution tests", "Re-resolution of Cloud Map names was NOT tested.");

/** A free UDP port on 127.0.0.1. */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export interface TestDns {
  /** `host:port` of the server, as nginx's resolver directive and a resolv.conf stand-in take it. */
  readonly address: string;
  /** A file in resolv.conf form naming this server (the gateway's start.sh reads it). */
  readonly resolvConf: string;
  /** Replaces every record (name → IPv4 address) and reloads dnsmasq; resolves once the server answers with them. */
  set(records: Readonly<Record<string, string>>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Debian's dnsmasq on 127.0.0.1 at a free port, answering only the names given (from a hosts file,
 * re-read on SIGHUP); every other name is refused, as no upstream is configured.
 */
export async function startTestDns(records: Readonly<Record<string, string>> = {}): Promise<TestDns> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-dns-"));
  // The gateway's start.sh (an unprivileged user) reads the resolv.conf stand-in written here.
  fs.chmodSync(dir, 0o755);
  const hosts = path.join(dir, "hosts");
  const writeHosts = (r: Readonly<Record<string, string>>) =>
    fs.writeFileSync(hosts, Object.entries(r).map(([name, ip]) => `${ip} ${name}\n`).join(""));
  writeHosts(records);
  const port = await freeUdpPort();
  const logFile = path.join(dir, "dnsmasq.log");
  const fd = fs.openSync(logFile, "a");
  const child = spawn(
    findDnsmasq()!,
    ["--no-daemon", `--port=${port}`, "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts", `--addn-hosts=${hosts}`, `--pid-file=${path.join(dir, "pid")}`, "--log-facility=-", "--user=root"],
    { stdio: ["ignore", fd, fd] },
  );
  fs.closeSync(fd);
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const resolver = new dns.promises.Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const readLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "");
  /** Waits until the server answers every record as given. */
  const settled = async (r: Readonly<Record<string, string>>) => {
    const deadline = Date.now() + 5000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`dnsmasq exited (${child.exitCode}):\n${readLog()}`);
      const answers = await Promise.all(
        Object.entries(r).map(async ([name, ip]) => (await resolver.resolve4(name).catch(() => [] as string[])).includes(ip)),
      );
      // An empty record set: wait until the server answers at all (a refused name).
      const up = Object.keys(r).length > 0 || (await resolver.resolve4("probe.invalid").then(() => true, (e: NodeJS.ErrnoException) => e.code !== "ECONNREFUSED" && e.code !== "ETIMEOUT"));
      if (up && answers.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error(`dnsmasq did not answer ${JSON.stringify(r)} within 5 s:\n${readLog()}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  try {
    await settled(records);
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  const resolvConf = path.join(dir, "resolv.conf");
  fs.writeFileSync(resolvConf, `# the test's dnsmasq\nsearch invalid\nnameserver 127.0.0.1:${port}\n`);
  return {
    address: `127.0.0.1:${port}`,
    resolvConf,
    set: async (r) => {
      writeHosts(r);
      child.kill("SIGHUP");
      await settled(r);
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Echo {
  readonly backend: string;
  readonly method: string;
  readonly path: string;
  /** Every X-Scope-OrgID header the backend received (raw, any case). */
  readonly orgIds: string[];
  readonly authorization: string | null;
  /** The X-Forwarded-For header the backend received (raw), or null. */
  readonly forwardedFor: string | null;
  readonly body: string;
}

export interface StubBackend {
  readonly name: string;
  readonly port: number;
  /** Every request the backend received, in order (websocket upgrades included): a recording backend. */
  readonly received: Echo[];
  close(): Promise<void>;
}

/**
 * A backend that answers every request with what it received, as JSON. A websocket-style upgrade
 * request is answered 101 with the X-Scope-OrgID it carried (header `x-echo-orgid`), then every byte
 * sent on the upgraded connection comes back.
 */
export async function stubBackend(name: string, opts: { host?: string; port?: number } = {}): Promise<StubBackend> {
  const sockets = new Set<net.Socket>();
  const received: Echo[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const echo: Echo = {
        backend: name,
        method: req.method ?? "",
        path: req.url ?? "",
        orgIds: orgIdsOf(req),
        authorization: req.headers.authorization ?? null,
        forwardedFor: (req.headers["x-forwarded-for"] as string | undefined) ?? null,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      received.push(echo);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(echo));
    });
  });
  server.on("upgrade", (req: http.IncomingMessage, socket: net.Socket) => {
    sockets.add(socket);
    received.push({ backend: name, method: req.method ?? "", path: req.url ?? "", orgIds: orgIdsOf(req), authorization: req.headers.authorization ?? null, forwardedFor: (req.headers["x-forwarded-for"] as string | undefined) ?? null, body: "" });
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade ?? ""}\r\nConnection: Upgrade\r\nx-echo-backend: ${name}\r\nx-echo-path: ${req.url}\r\nx-echo-orgid: ${orgIdsOf(req).join(",")}\r\n\r\n`,
    );
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    name,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function orgIdsOf(req: http.IncomingMessage): string[] {
  const orgIds: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === "x-scope-orgid") orgIds.push(req.rawHeaders[i + 1]);
  return orgIds;
}

/** The user the gateway runs as when the tests run as root (nobody), as the task runs it as the image's nginx user. */
export const UNPRIVILEGED = { uid: 65534, gid: 65534 } as const;
export const runsAsRoot = (): boolean => process.getuid?.() === 0;

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RunningGateway {
  readonly url: string;
  readonly dir: string;
  /** nginx's output so far (stdout and stderr). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Writes the substituted nginx.conf and start.sh into a temporary folder and runs start.sh with
 * `sh` and the given environment (the tenants' passwords), as the task does; waits until /healthz
 * answers.
 */
export async function runGateway(opts: {
  nginxConf: string;
  startSh: string;
  /** Exact strings to replace in both files: Cloud Map address → 127.0.0.1:port, paths. */
  substitutions: readonly [string, string][];
  listenPort: number;
  renderedListen: number;
  runDir: string;
  configFile: string;
  env: Record<string, string>;
}): Promise<RunningGateway> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-gateway-"));
  // As in the task, start.sh and nginx run as an unprivileged user (the task: the image's nginx
  // user; here: nobody when the tests run as root) that owns the folder its run directory is in.
  fs.chmodSync(dir, 0o755);
  if (runsAsRoot()) fs.chownSync(dir, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
  const nginx = findNginx()!;
  const sub = (text: string): string => {
    let out = text;
    for (const [from, to] of [
      ...opts.substitutions,
      [opts.runDir, path.join(dir, "run")] as [string, string],
      [opts.configFile, path.join(dir, "nginx.conf")] as [string, string],
      [`listen ${opts.renderedListen};`, `listen 127.0.0.1:${opts.listenPort};`] as [string, string],
      ["exec nginx ", `exec ${nginx} `] as [string, string],
    ]) {
      if (!out.includes(from)) continue;
      out = out.split(from).join(to);
    }
    return out;
  };
  fs.writeFileSync(path.join(dir, "nginx.conf"), sub(opts.nginxConf));
  fs.writeFileSync(path.join(dir, "start.sh"), sub(opts.startSh));
  const logFile = path.join(dir, "nginx.log");
  const fd = fs.openSync(logFile, "a");
  // As runc does for a container's stdio (fixStdioPermissions): owned by the container's user, so
  // nginx can open /dev/stdout (its access log) again.
  if (runsAsRoot()) fs.fchownSync(fd, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
  const asUser = runsAsRoot() ? ["setpriv", `--reuid=${UNPRIVILEGED.uid}`, `--regid=${UNPRIVILEGED.gid}`, "--clear-groups"] : [];
  const argv = [...asUser, "sh", path.join(dir, "start.sh")];
  const child: ChildProcess = spawn(argv[0], argv.slice(1), { env: { PATH: process.env.PATH ?? "/usr/bin:/bin:/usr/sbin", ...opts.env }, stdio: ["ignore", fd, fd] });
  fs.closeSync(fd);
  const readLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "");
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const url = `http://127.0.0.1:${opts.listenPort}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      const log = readLog();
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`the gateway exited (${child.exitCode}) before it was ready:\n${log}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the gateway did not answer /healthz within 10 s:\n${readLog()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dir,
    log: readLog,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill("SIGQUIT");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

export interface GatewayUnderTest {
  readonly gateway: RunningGateway;
  /** The recording backends by name: mimir, loki, tempo, tempo-otlp (Tempo's OTLP HTTP receiver), pyroscope. */
  readonly backends: Readonly<Record<string, StubBackend>>;
  /** Every request any backend received, in order. */
  received(): Echo[];
  /** Forgets what the backends received so far. */
  clear(): void;
  close(): Promise<void>;
}

/**
 * The rendered gateway of `settings` (nginx.conf and start.sh as the task gets them), run by
 * runGateway in front of a recording backend per upstream, each keeping its Cloud Map name
 * (answered by the test's dnsmasq) with only its port changed to its stub's. `env`: the task's
 * secrets (each tenant's passwords per role).
 */
export async function startGatewayWithBackends(settings: Settings, env: Record<string, string>): Promise<GatewayUnderTest> {
  const configs = renderConfigs(settings).filter((c) => c.service === "gateway");
  const file = (name: string) => configs.find((c) => c.fileName === name)!.content;
  const upstreams: [string, "mimir" | "loki" | "tempo" | "pyroscope", number][] = [
    ["mimir", "mimir", settings.services.mimir.http_port],
    ["loki", "loki", settings.services.loki.http_port],
    ["tempo", "tempo", settings.services.tempo.http_port],
    ["tempo-otlp", "tempo", settings.otlp.http_port],
    ["pyroscope", "pyroscope", settings.services.pyroscope.http_port],
  ];
  const dnsServer = await startTestDns();
  const backends: Record<string, StubBackend> = {};
  try {
    const substitutions: [string, string][] = [[GATEWAY_RESOLV_CONF, dnsServer.resolvConf]];
    const records: Record<string, string> = {};
    for (const [name, service, port] of upstreams) {
      const stub = await stubBackend(name);
      backends[name] = stub;
      const host = serviceHost(settings, service);
      records[host] = "127.0.0.1";
      substitutions.push([`http://${host}:${port}`, `http://${host}:${stub.port}`]);
    }
    await dnsServer.set(records);
    const gateway = await runGateway({
      nginxConf: file("nginx.conf"),
      startSh: file("start.sh"),
      substitutions,
      listenPort: await freePort(),
      renderedListen: settings.services.gateway.http_port,
      runDir: GATEWAY_RUN_DIR,
      configFile: `${CONFIG_DIR}/nginx.conf`,
      env,
    });
    return {
      gateway,
      backends,
      received: () => Object.values(backends).flatMap((b) => b.received),
      clear: () => Object.values(backends).forEach((b) => b.received.splice(0)),
      close: async () => {
        await gateway.stop();
        for (const b of Object.values(backends)) await b.close();
        await dnsServer.stop();
      },
    };
  } catch (e) {
    for (const b of Object.values(backends)) await b.close();
    await dnsServer.stop();
    throw e;
  }
}

/** The answer to one raw request: status, and the body text. */
export interface RawAnswer {
  readonly status: number;
  readonly body: string;
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });

/**
 * One request with its path sent byte for byte as given (fetch and URL would resolve dot segments
 * and re-encode it first): what a client trying path tricks sends.
 */
export function rawRequest(base: string, method: string, rawPath: string, headers: Record<string, string> = {}, body?: string): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: rawPath, headers: body === undefined ? headers : { ...headers, "content-length": Buffer.byteLength(body) }, agent: keepAlive, timeout: 10_000 }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${rawPath}: no answer within 10 s`)));
    req.on("error", reject);
    req.end(body);
  });
}
