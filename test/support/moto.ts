/**
 * An AWS API emulator on the loopback for the emulator tier (test/emulator/): moto 5.2.1 in server
 * mode over HTTPS, one server per environment answering for that environment's account, started by
 * test/support/moto/serve.py (which adds the few APIs moto lacks; each is named there).
 *
 * TLS, because the stack's buckets deny every request not made over TLS (SecureBucket's
 * `aws:SecureTransport` deny) and moto evaluates bucket policies: a test CA and a server certificate
 * for 127.0.0.1 and localhost are made with openssl at test time; terraform and the AWS provider (Go)
 * trust the CA through SSL_CERT_FILE. No `insecure` flag is set anywhere.
 *
 * Where python3 with moto (and its server extra: flask, werkzeug) or openssl is missing,
 * `skipWithoutMoto()` says so loudly; LGTM_REQUIRE_MOTO=1 (.ci/run) turns that into a failure.
 * LGTM_PYTHON names another interpreter (default python3).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";

export const MOTO_VERSION = "5.2.1";
const SERVE = path.join(__dirname, "moto", "serve.py");
const python = () => process.env.LGTM_PYTHON ?? "python3";

/** Why the emulator cannot run here, or undefined when it can. */
export function motoUnavailable(): string | undefined {
  const r = spawnSync(python(), ["-c", "import moto, flask, werkzeug, flask_cors; print(moto.__version__)"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    return `${python()} cannot import moto with its server extra (moto[server] ${MOTO_VERSION}: flask, flask_cors, werkzeug): ${(r.stderr || String(r.error ?? "")).trim().split("\n").pop()}`;
  }
  const version = r.stdout.trim();
  if (version !== MOTO_VERSION) return `${python()} has moto ${version}; this tier is written against moto ${MOTO_VERSION} (its gaps are named per version)`;
  if (spawnSync("openssl", ["version"]).status !== 0) return "openssl is not on the PATH (it makes the emulator's test CA and certificate)";
  return undefined;
}

/** True when the tier should skip (after saying so loudly); throws under LGTM_REQUIRE_MOTO=1. */
export function skipWithoutMoto(tier: string): boolean {
  const why = motoUnavailable();
  if (!why) return false;
  if (process.env.LGTM_REQUIRE_MOTO === "1") throw new Error(`LGTM_REQUIRE_MOTO=1 but ${why}`);
  console.warn(`\n${"!".repeat(100)}\n!! SKIPPING ${tier}: ${why}\n!! The stack was NOT applied against the AWS API emulator.\n${"!".repeat(100)}\n`);
  return true;
}

export interface TestCa {
  /** PEM of the test CA: what SSL_CERT_FILE points at. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1 and localhost, signed by it (1 day). */
export function makeTestCa(dir: string): TestCa {
  fs.mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "1", "-subj", "/CN=lgtm-fargate emulator test CA"]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=127.0.0.1"]);
  fs.writeFileSync(f("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
  openssl(["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("server.pem"), "-days", "1", "-extfile", f("san.ext")]);
  return { caFile: f("ca.pem"), certFile: f("server.pem"), keyFile: f("server.key") };
}

export interface MotoFixtures {
  /** Public hosted zones the settings name by id (created by hand before the first apply). */
  readonly hosted_zones?: { readonly id: string; readonly name: string }[];
  /** Buckets that exist before the first apply (taken over by `import` blocks: settings `adopt`). */
  readonly s3_buckets?: string[];
  /** ECR repositories that exist before the first apply (`adopt.ecr_repositories`). */
  readonly ecr_repositories?: string[];
}

export interface MotoServer {
  /** https://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly account: string;
  /** The server's process id (its CPU time is read from /proc for the tier's report). */
  readonly pid: number;
  /** The server's log (moto's request lines and errors). */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function get(url: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
  });
}

/** One moto server for one account, over TLS with `ca`'s certificate; ready when it answers. */
export async function startMoto(options: { account: string; region: string; ca: TestCa; work: string; fixtures?: MotoFixtures }): Promise<MotoServer> {
  const port = await freePort();
  const fixtures = path.join(options.work, `moto-fixtures-${options.account}.json`);
  fs.writeFileSync(fixtures, JSON.stringify(options.fixtures ?? {}));
  const child: ChildProcess = spawn(python(), [SERVE, String(port), options.ca.certFile, options.ca.keyFile], {
    env: {
      ...process.env,
      MOTO_ACCOUNT_ID: options.account,
      MOTO_FIXTURES: fixtures,
      MOTO_REGION: options.region,
      // ACM certificates validated by DNS are ISSUED once looked at after this many seconds (moto's
      // stand-in for the validation record being found); 60 by default.
      MOTO_ACM_VALIDATION_WAIT: "0",
      PYTHONUNBUFFERED: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  let output = "";
  const keep = (d: Buffer) => {
    output += d.toString("utf8");
    // Keep the tail only: every request is one line.
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exited: number | null | undefined;
  child.once("exit", (code) => (exited = code));
  const endpoint = `https://127.0.0.1:${port}`;
  const ca = fs.readFileSync(options.ca.caFile);
  // A ceiling: python importing moto and flask took 42 s of wall time (1.7 s of CPU) on this 2-core
  // machine at load average 65, and the first answer loads more of moto.
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`moto exited (${exited}) before it answered:\n${output}`);
    try {
      if ((await get(`${endpoint}/moto-api/`, ca)) > 0) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      kill();
      throw new Error(`moto did not answer on ${endpoint} within 300 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    account: options.account,
    pid: child.pid!,
    log: () => output,
    async stop() {
      process.removeListener("exit", kill);
      if (exited !== undefined) return;
      const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(kill, 5000);
      await done;
      clearTimeout(timer);
    },
  };
}

/**
 * One call of an AWS JSON-protocol API (ECR, ECS, Logs...) on the emulator, to look at what an
 * apply left there. moto answers for its own account whatever the signature says; the credential
 * scope names the service and region it routes the call by.
 */
export function awsJsonCall(
  server: MotoServer,
  ca: TestCa,
  call: { service: string; region: string; body?: unknown } & ({ target: string } | { get: string }),
): Promise<{ status: number; body: Record<string, unknown> }> {
  // JSON protocol (POST / with X-Amz-Target), or a REST-JSON read (`get`: GET <path>, e.g. EFS).
  const payload = "target" in call ? JSON.stringify(call.body ?? {}) : "";
  const name = "target" in call ? call.target : `GET ${call.get}`;
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${server.endpoint}${"target" in call ? "/" : call.get}`,
      {
        method: "target" in call ? "POST" : "GET",
        ca: fs.readFileSync(ca.caFile),
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          ...("target" in call ? { "X-Amz-Target": call.target } : {}),
          Authorization: `AWS4-HMAC-SHA256 Credential=AKIAEMULATORTEST0001/20260101/${call.region}/${call.service}/aws4_request, SignedHeaders=host, Signature=0`,
          "Content-Length": Buffer.byteLength(payload),
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
          } catch {
            reject(new Error(`${name}: not JSON (HTTP ${res.statusCode}): ${text.slice(0, 500)}`));
          }
        });
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`${name}: timeout`)));
    req.end(payload);
  });
}

/** CPU seconds (user + system) a live process has used, from /proc; 0 where /proc is not there. */
export function processCpuSeconds(pid: number | "self", withReapedChildren = false): number {
  try {
    // Fields after the command name: utime is the 14th field of the line, stime the 15th, cutime
    // and cstime the 16th and 17th (proc(5)), in clock ticks (100 per second on Linux).
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    const ticks = Number(f[11]) + Number(f[12]) + (withReapedChildren ? Number(f[13]) + Number(f[14]) : 0);
    return ticks / 100;
  } catch {
    return 0;
  }
}
