/**
 * The rendered gateway run for real: Debian's nginx on 127.0.0.1 in front of stub backends (node
 * http servers) that echo what they received, started and stopped by the test itself.
 *
 * The rendered nginx.conf and start.sh are used as they are, except for test-time substitutions of
 * addresses and paths that only exist in a task: each backend's Cloud Map address becomes a stub's
 * 127.0.0.1 port, the listen port a free loopback port, the run directory and the config path a
 * temporary folder. The test's loud skip (nginx missing) fails instead under LGTM_REQUIRE_NGINX=1.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** The nginx binary (LGTM_NGINX or the PATH, /usr/sbin included), or undefined. */
export function findNginx(): string | undefined {
  const candidates = [process.env.LGTM_NGINX, "nginx", "/usr/sbin/nginx"].filter((c): c is string => !!c);
  for (const c of candidates) if (spawnSync(c, ["-v"], { encoding: "utf8" }).status === 0) return c;
  return undefined;
}

/** True when the nginx tier should skip (after saying so loudly); throws under LGTM_REQUIRE_NGINX=1. */
export function skipWithoutNginx(): boolean {
  if (findNginx()) return false;
  if (process.env.LGTM_REQUIRE_NGINX === "1") throw new Error("LGTM_REQUIRE_NGINX=1 but nginx is not installed (apt-get install -y nginx-light, or set LGTM_NGINX)");
  console.warn(`\n${"#".repeat(100)}\n#  SKIPPING the gateway tier: nginx NOT FOUND (apt-get install -y nginx-light). The rendered gateway was NOT run.\n${"#".repeat(100)}\n`);
  return true;
}

export interface Echo {
  readonly backend: string;
  readonly method: string;
  readonly path: string;
  /** Every X-Scope-OrgID header the backend received (raw, any case). */
  readonly orgIds: string[];
  readonly authorization: string | null;
  readonly body: string;
}

export interface StubBackend {
  readonly name: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A backend that answers every request with what it received, as JSON. */
export async function stubBackend(name: string): Promise<StubBackend> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const orgIds: string[] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === "x-scope-orgid") orgIds.push(req.rawHeaders[i + 1]);
      const echo: Echo = {
        backend: name,
        method: req.method ?? "",
        path: req.url ?? "",
        orgIds,
        authorization: req.headers.authorization ?? null,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(echo));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { name, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

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
  // Like the task's /tmp: nginx's workers (another user) must reach the run directory.
  fs.chmodSync(dir, 0o755);
  const nginx = findNginx()!;
  const sub = (text: string): string => {
    let out = text;
    for (const [from, to] of [
      ...opts.substitutions,
      [opts.runDir, path.join(dir, "run")] as [string, string],
      [opts.configFile, path.join(dir, "nginx.conf")] as [string, string],
      [`listen ${opts.renderedListen};`, `listen 127.0.0.1:${opts.listenPort};`] as [string, string],
      ["exec nginx ", `exec ${nginx} -e stderr `] as [string, string],
    ]) {
      if (!out.includes(from) && from !== "exec nginx ") continue;
      out = out.split(from).join(to);
    }
    return out;
  };
  fs.writeFileSync(path.join(dir, "nginx.conf"), sub(opts.nginxConf));
  fs.writeFileSync(path.join(dir, "start.sh"), sub(opts.startSh));
  const logFile = path.join(dir, "nginx.log");
  const fd = fs.openSync(logFile, "a");
  const child: ChildProcess = spawn("sh", [path.join(dir, "start.sh")], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin:/usr/sbin", ...opts.env }, stdio: ["ignore", fd, fd] });
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
