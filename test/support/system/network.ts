/**
 * The system tier's network: one Linux bridge in the root namespace with a private /24 of its own
 * (a third octet no route on this machine uses), one network namespace per task with a veth pair
 * into the bridge (the task's end named `eth0`, so the rendered `instance_interface_names` find it),
 * and Debian's dnsmasq on the bridge address answering the Cloud Map names with the live tasks'
 * addresses (the hosts file is rewritten and dnsmasq SIGHUPed as tasks come and go) with Cloud
 * Map's TTL, plus fixed names (the S3 endpoint) for the stand-in services on the bridge.
 *
 * Everything it creates is removed by `close()`: namespaces, the bridge, /etc/netns/<ns>/; and it is
 * written to the run's ledger before it is created, so that an exit, a signal or the next run
 * removes it when `close()` never ran (ledger.ts).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { removeNamespaceSync, type RunLedger } from "./ledger";

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.error}`);
  return r.stdout;
}

export interface Netns {
  readonly name: string;
  readonly address: string;
}

export class Network {
  readonly bridge: string;
  /** The bridge's address: the tasks' gateway, DNS server and the stand-in services' address. */
  readonly gateway: string;
  private readonly prefix: string;
  private nextHost = 10;
  private readonly namespaces = new Set<string>();
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-system-net-"));
  private dnsmasq?: ChildProcess;
  private readonly hosts = new Map<string, Set<string>>();
  private readonly hostsFile = path.join(this.dir, "hosts");

  constructor(private readonly ledger: RunLedger) {
    ledger.dir(this.dir);
    fs.chmodSync(this.dir, 0o755);
    const routes = run("ip", ["-4", "route", "show", "table", "all"]) + run("ip", ["-4", "addr"]);
    const used = new Set([...routes.matchAll(/\b10\.231\.(\d+)\./g)].map((m) => Number(m[1])));
    const free = Array.from({ length: 200 }, (_, i) => 20 + ((process.pid + i) % 200)).find((n) => !used.has(n));
    if (free === undefined) throw new Error("no free 10.231.x.0/24 for the system tier's bridge");
    this.prefix = `10.231.${free}`;
    this.gateway = `${this.prefix}.1`;
    this.bridge = `lgtmsys${free}`;
    ledger.bridge(this.bridge);
    run("ip", ["link", "add", this.bridge, "type", "bridge"]);
    run("ip", ["addr", "add", `${this.gateway}/24`, "dev", this.bridge]);
    run("ip", ["link", "set", this.bridge, "up"]);
  }

  /** A new namespace with a new address (never reused) on the bridge, resolving through `gateway`. */
  addNamespace(label: string): Netns {
    const host = this.nextHost++;
    if (host > 250) throw new Error("the system tier's /24 is out of addresses");
    const name = `${this.bridge}-${label}`;
    const address = `${this.prefix}.${host}`;
    const outer = `${this.bridge.replace("lgtmsys", "ls")}h${host}`;
    this.namespaces.add(name);
    this.ledger.namespace(name, true);
    run("ip", ["netns", "add", name]);
    run("ip", ["link", "add", outer, "type", "veth", "peer", "name", "tmp0", "netns", name]);
    run("ip", ["link", "set", outer, "master", this.bridge, "up"]);
    run("ip", ["-n", name, "link", "set", "tmp0", "name", "eth0"]);
    run("ip", ["-n", name, "addr", "add", `${address}/24`, "dev", "eth0"]);
    run("ip", ["-n", name, "link", "set", "eth0", "up"]);
    run("ip", ["-n", name, "link", "set", "lo", "up"]);
    run("ip", ["-n", name, "route", "add", "default", "via", this.gateway]);
    // `ip netns exec` bind-mounts /etc/netns/<name>/resolv.conf over /etc/resolv.conf.
    fs.mkdirSync(`/etc/netns/${name}`, { recursive: true });
    fs.writeFileSync(`/etc/netns/${name}/resolv.conf`, `nameserver ${this.gateway}\n`);
    return { name, address };
  }

  removeNamespace(name: string): void {
    if (!this.namespaces.delete(name)) return;
    // Whatever still runs in it (e.g. nginx workers whose master was SIGKILLed) goes with it: a
    // deleted namespace would otherwise live on in its orphans.
    removeNamespaceSync(name);
    this.ledger.namespace(name, false);
  }

  /**
   * Starts dnsmasq on the bridge address: `zones` are answered only from the hosts file
   * (NXDOMAIN otherwise), `fixed` maps a domain and all its subdomains to an address. `ttl` is
   * the TTL of every answer (Cloud Map's record TTL).
   */
  async startDns(opts: { zones: readonly string[]; fixed: Record<string, string>; ttl: number }): Promise<void> {
    this.writeHosts();
    const log = path.join(this.dir, "dnsmasq.log");
    const args = [
      "--keep-in-foreground",
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      `--addn-hosts=${this.hostsFile}`,
      `--local-ttl=${opts.ttl}`,
      `--neg-ttl=${opts.ttl}`,
      `--listen-address=${this.gateway}`,
      "--bind-interfaces",
      "--port=53",
      `--pid-file=${path.join(this.dir, "dnsmasq.pid")}`,
      `--log-facility=${log}`,
      ...opts.zones.map((z) => `--local=/${z}/`),
      ...Object.entries(opts.fixed).map(([d, a]) => `--address=/${d}/${a}`),
    ];
    const bin = fs.existsSync("/usr/sbin/dnsmasq") ? "/usr/sbin/dnsmasq" : "dnsmasq";
    const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    this.dnsmasq = child;
    if (child.pid) this.ledger.process(child.pid, `--listen-address=${this.gateway}`);
    // Ready when it answers (dig is not assumed): poll for its pid file and a bound socket.
    const deadline = Date.now() + 5000;
    while (!fs.existsSync(path.join(this.dir, "dnsmasq.pid")) || !run("ss", ["-lun"]).includes(`${this.gateway}:53`)) {
      if (child.exitCode !== null) throw new Error(`dnsmasq exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`dnsmasq did not listen on ${this.gateway}:53 within 5 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Adds or removes a name's address; dnsmasq re-reads the hosts file (SIGHUP). */
  setRecord(name: string, address: string, present: boolean): void {
    const set = this.hosts.get(name) ?? new Set<string>();
    if (present) set.add(address);
    else set.delete(address);
    this.hosts.set(name, set);
    this.writeHosts();
    this.dnsmasq?.kill("SIGHUP");
  }

  addresses(name: string): string[] {
    return [...(this.hosts.get(name) ?? [])];
  }

  private writeHosts(): void {
    const lines: string[] = [];
    for (const [name, set] of this.hosts) for (const a of set) lines.push(`${a} ${name}`);
    fs.writeFileSync(`${this.hostsFile}.tmp`, lines.join("\n") + "\n", { mode: 0o644 });
    fs.renameSync(`${this.hostsFile}.tmp`, this.hostsFile);
  }

  async close(): Promise<void> {
    if (this.dnsmasq && this.dnsmasq.exitCode === null) {
      const exited = new Promise((r) => this.dnsmasq!.once("exit", r));
      this.dnsmasq.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      if (this.dnsmasq.exitCode === null) this.dnsmasq.kill("SIGKILL");
    }
    for (const ns of [...this.namespaces]) this.removeNamespace(ns);
    spawnSync("ip", ["link", "del", this.bridge]);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
