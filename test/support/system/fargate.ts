/**
 * Fargate on one machine: ECS services of the synthesized prod 60-ecs layer run as real processes,
 * each task in its own network namespace (network.ts), UTS namespace (hostname = task id) and
 * mount namespace in which every task volume is a fresh temporary folder bind-mounted at its real
 * container path. A new task is a new address and an empty disk, as on Fargate.
 *
 * Everything a task runs comes from its task definition's `container_definitions`: the config init
 * container's own shell command runs unmodified with its LGTM_CONFIG_* environment (so /etc/lgtm
 * holds exactly the delivered files, and the writable volumes are chowned as in a task), then the
 * main container's command, environment, secrets (test values), user and stop timeout. The only
 * substitutions: the image entrypoint becomes the binary on this machine, and environment values
 * that are Terraform references get the value Terraform would put there (the caller's map; an
 * unmapped reference is an error).
 *
 * Cloud Map: a task's address is registered under `<service>.<namespace>` when it starts (ECS
 * registers RUNNING tasks) and deregistered when it is told to stop, before SIGTERM.
 *
 * Availability zones: a service's tasks are placed as ECS places Fargate tasks of a service whose
 * subnets span several AZs, spread evenly: each new task goes to the AZ with the fewest running
 * tasks of that service (ties: the subnets' order). Every container of the task gets
 * `ECS_CONTAINER_METADATA_URI_V4`, whose `/task` answers that AZ (task-metadata.ts), so the config
 * init container of a zone-aware ring resolves its zone as on Fargate.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { runDir } from "./components";
import type { RunLedger } from "./ledger";
import type { Network } from "./network";
import type { TaskMetadataServer } from "./task-metadata";

export interface ContainerDefinition {
  name: string;
  essential: boolean;
  command?: string[];
  entryPoint?: string[];
  environment?: { name: string; value: string }[];
  secrets?: { name: string; valueFrom: string }[];
  mountPoints?: { sourceVolume: string; containerPath: string; readOnly: boolean }[];
  portMappings?: { containerPort: number; protocol: string }[];
  dependsOn?: { containerName: string; condition: string }[];
  user?: string;
  stopTimeout?: number;
  healthCheck?: { command: string[]; intervalSeconds?: number; timeoutSeconds?: number; retries?: number; startPeriodSeconds?: number };
}

/** The image default PATH of the stock images (Debian-based and distroless alike). */
const IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface ServiceSpec {
  /** ECS service name = Cloud Map service name. */
  readonly name: string;
  readonly containers: ContainerDefinition[];
  /** The main container's program on this machine (replaces the image entrypoint); undefined: the command is the program. */
  readonly binary?: string;
  /** Secret name → test value. */
  readonly secrets: Record<string, string>;
  /** Terraform reference (`${...}`) → the value it would have. */
  readonly references: Record<string, string>;
  /** Extra environment every task gets (test credentials, the test CA): the stand-in for the task role. */
  readonly extraEnv: Record<string, string>;
  /** The main container's first port (its HTTP port for the components). */
  readonly port: number;
  /**
   * How readiness is probed: the task definition's own container health check (`command`, run in
   * the task's network namespace with busybox, the image the stack runs it in), else the closest
   * equivalent (the ALB's health check path, a TCP connect).
   */
  readonly ready: { kind: "command"; argv: string[] } | { kind: "http"; port: number; path: string } | { kind: "tcp"; port: number };
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class Task {
  readonly startedAt = Date.now();
  readyAt?: number;
  exitedAt?: number;
  exitCode?: number | null;
  exitSignal?: NodeJS.Signals | null;
  readonly exited: Promise<void>;
  private readonly logFile: string;

  constructor(
    readonly id: string,
    readonly service: ServiceSpec,
    readonly address: string,
    readonly netns: string,
    readonly dir: string,
    private readonly child: ChildProcess,
    /** The AZ the task was placed in (its task metadata's AvailabilityZone). */
    readonly zone: string,
  ) {
    this.logFile = path.join(dir, "log");
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exitedAt = Date.now();
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      }),
    );
  }

  get running(): boolean {
    return this.exitedAt === undefined;
  }

  log(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, "utf8") : "";
  }

  /** The container's stop timeout (ECS's default 30 s when unset). */
  get stopTimeoutMs(): number {
    const main = mainContainer(this.service.containers, this.service.name);
    return (main.stopTimeout ?? 30) * 1000;
  }

  url(port: number, p = ""): string {
    return `http://${this.address}:${port}${p}`;
  }

  async isReady(): Promise<boolean> {
    const r = this.service.ready;
    if (!this.running) return false;
    if (r.kind === "command") {
      return new Promise((resolve) => {
        const p = spawn("ip", ["netns", "exec", this.netns, ...r.argv], { stdio: "ignore" });
        const timer = setTimeout(() => p.kill("SIGKILL"), 5000);
        p.once("exit", (code) => {
          clearTimeout(timer);
          resolve(code === 0);
        });
        p.once("error", () => resolve(false));
      });
    }
    if (r.kind === "tcp") {
      return new Promise((resolve) => {
        const s = net.connect({ host: this.address, port: r.port });
        const done = (ok: boolean) => {
          s.destroy();
          resolve(ok);
        };
        s.once("connect", () => done(true));
        s.once("error", () => done(false));
        s.setTimeout(1000, () => done(false));
      });
    }
    try {
      const res = await fetch(this.url(r.port, r.path), { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** Waits until ready (bounded); records the time. */
  async waitReady(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.isReady())) {
      if (!this.running) throw new Error(`task ${this.id} exited (${this.exitCode ?? this.exitSignal}) before it was ready:\n${this.log().slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`task ${this.id} was not ready within ${timeoutMs / 1000} s:\n${this.log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    this.readyAt ??= Date.now();
    return this.readyAt - this.startedAt;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }
}

/** The container named after the service (the component); others are the init container and sidecars. */
export function mainContainer(containers: readonly ContainerDefinition[], service: string): ContainerDefinition {
  const main = containers.find((c) => c.name === service && c.essential);
  if (!main) throw new Error(`the task definition has no essential container named ${service} (found ${containers.map((c) => c.name).join(", ")})`);
  return main;
}

/**
 * A container health check as the tier runs it: `CMD` argv or `CMD-SHELL` string, with busybox
 * (the stack's sidecar image) providing the tools.
 */
export function healthCheckArgv(command: readonly string[]): string[] {
  if (command[0] === "CMD") return ["busybox", ...command.slice(1)];
  if (command[0] === "CMD-SHELL") return ["busybox", "sh", "-c", command.slice(1).join(" ")];
  throw new Error(`health check command must start with CMD or CMD-SHELL, got ${JSON.stringify(command)}`);
}

function resolveReferences(value: string, refs: Record<string, string>, where: string): string {
  return value.replace(/\$\{[^}]+\}/g, (ref) => {
    if (!(ref in refs)) throw new Error(`${where}: the task definition holds the Terraform reference ${ref}, and the system tier has no value for it`);
    return refs[ref];
  });
}

/**
 * The ECS model: services with their tasks, each task started from the task definition in its own
 * namespaces, registered in the tier's DNS under `<service>.<namespace>`.
 */
export class Cluster {
  readonly tasks: Task[] = [];
  private readonly counters = new Map<string, number>();
  private readonly createdMountPoints: string[] = [];
  private readonly root = runDir("tasks");

  constructor(
    private readonly network: Network,
    private readonly namespace: string,
    private readonly ledger: RunLedger,
    /** The task metadata endpoint and the AZs of the services' subnets, in subnet order. */
    private readonly placement: { readonly metadata: TaskMetadataServer; readonly zones: readonly string[]; readonly family: (service: string) => string },
  ) {
    if (placement.zones.length === 0) throw new Error("the cluster needs at least one availability zone to place tasks in");
    ledger.dir(this.root);
  }

  /** Task id → service and AZ of every task placed and not yet stopped (starting tasks included). */
  private readonly placed = new Map<string, { service: string; zone: string }>();

  /**
   * As ECS spreads a service's Fargate tasks: the AZ with the fewest tasks of it (running or still
   * starting: tasks started together are placed one after the other), ties in subnet order.
   */
  nextZone(service: string): string {
    const count = (z: string) => [...this.placed.values()].filter((p) => p.service === service && p.zone === z).length;
    return this.placement.zones.reduce((best, z) => (count(z) < count(best) ? z : best));
  }

  dnsName(service: string): string {
    return `${service}.${this.namespace}`;
  }

  live(service: string): Task[] {
    return this.tasks.filter((t) => t.service.name === service && t.running);
  }

  /** Starts one task of the service: fresh namespace, address and volumes; init container, then main. */
  async startTask(spec: ServiceSpec): Promise<Task> {
    const n = (this.counters.get(spec.name) ?? 0) + 1;
    this.counters.set(spec.name, n);
    const id = `${spec.name}-${n}`;
    const zone = this.nextZone(spec.name);
    this.placed.set(id, { service: spec.name, zone });
    // ECS sets the metadata URI in every container of the task (init containers included).
    const metadataUri = this.placement.metadata.register(id, { availabilityZone: zone, family: this.placement.family(spec.name) });
    const ns = this.network.addNamespace(id);
    const dir = path.join(this.root, id);
    fs.mkdirSync(dir, { mode: 0o755 });
    const main = mainContainer(spec.containers, spec.name);
    const volumes = new Map<string, string>();
    const volumeDir = (name: string) => {
      let v = volumes.get(name);
      if (!v) {
        v = path.join(dir, "volumes", name);
        // Fargate's task volumes start empty, owned by root, mode 755.
        fs.mkdirSync(v, { recursive: true, mode: 0o755 });
        fs.chmodSync(v, 0o755);
        volumes.set(name, v);
      }
      return v;
    };
    const logFile = path.join(dir, "log");
    const mounts = (c: ContainerDefinition): string[] =>
      (c.mountPoints ?? []).flatMap((m) => {
        if (!fs.existsSync(m.containerPath)) {
          // A mount point on this machine's root file system (e.g. /data); removed again in close().
          this.ledger.mountPoint(m.containerPath);
          fs.mkdirSync(m.containerPath, { recursive: true });
          this.createdMountPoints.push(m.containerPath);
        }
        const src = volumeDir(m.sourceVolume);
        return [`mount --bind ${q(src)} ${q(m.containerPath)}`, ...(m.readOnly ? [`mount -o remount,bind,ro ${q(m.containerPath)}`] : [])];
      });

    // Containers the main one waits for (config delivery's owner step, then its writer): each after
    // what it waits for, to completion, as its own user (ECS: `user`), as ECS orders them.
    const done = new Set<string>();
    const runDependency = async (dep: { containerName: string; condition: string }, waiter: string): Promise<void> => {
      if (done.has(dep.containerName)) return;
      const c = spec.containers.find((x) => x.name === dep.containerName);
      if (!c) throw new Error(`${spec.name}: ${waiter} depends on ${dep.containerName}, which the task definition lacks`);
      for (const d of c.dependsOn ?? []) await runDependency(d, c.name);
      done.add(dep.containerName);
      const env = Object.fromEntries((c.environment ?? []).map((e) => [e.name, resolveReferences(e.value, spec.references, `${spec.name}.${c.name}.${e.name}`)]));
      const program = [...(c.entryPoint ?? []), ...(c.command ?? [])];
      const asUser = c.user ? ["setpriv", `--reuid=${c.user.split(":")[0]}`, `--regid=${c.user.split(":")[1] ?? c.user.split(":")[0]}`, "--clear-groups"] : [];
      const script = ["set -eu", ...mounts(c), `exec "$@"`].join("\n");
      const fd = fs.openSync(logFile, "a");
      const init = spawn("ip", ["netns", "exec", ns.name, "unshare", "--mount", "--uts", "--propagation", "private", "sh", "-c", script, "sh", ...asUser, ...program], {
        env: { PATH: IMAGE_PATH, ...env, ECS_CONTAINER_METADATA_URI_V4: metadataUri },
        stdio: ["ignore", fd, fd],
      });
      fs.closeSync(fd);
      const code = await new Promise<number | null>((resolve) => init.once("exit", (c2) => resolve(c2)));
      if (dep.condition === "SUCCESS" && code !== 0) {
        throw new Error(`${id}: init container ${c.name} exited ${code}; the main container would never start:\n${fs.readFileSync(logFile, "utf8")}`);
      }
    };
    try {
      for (const dep of main.dependsOn ?? []) await runDependency(dep, main.name);
    } catch (e) {
      // A task whose init container failed never runs: ECS would place the next one afresh.
      this.placed.delete(id);
      throw e;
    }

    const env: Record<string, string> = { PATH: IMAGE_PATH, HOSTNAME: id, ECS_CONTAINER_METADATA_URI_V4: metadataUri, ...spec.extraEnv };
    for (const e of main.environment ?? []) env[e.name] = resolveReferences(e.value, spec.references, `${spec.name}.${main.name}.${e.name}`);
    for (const s of main.secrets ?? []) {
      if (!(s.name in spec.secrets)) throw new Error(`${spec.name}: no test value for the secret ${s.name}`);
      env[s.name] = spec.secrets[s.name];
    }
    // The component binary is opened before the task's volumes are mounted and run through its file
    // descriptor: a volume at its real path (e.g. Tempo's /tmp) may hide the folder the binary is in
    // (a clone under /tmp, as CI's may be).
    const program = spec.binary ? ["/proc/self/fd/3", ...(main.command ?? [])] : [...(main.entryPoint ?? []), ...(main.command ?? [])];
    if (program.length === 0) throw new Error(`${spec.name}: the main container has no command and the tier has no binary for it`);
    const user = main.user ? ["setpriv", `--reuid=${main.user.split(":")[0]}`, `--regid=${main.user.split(":")[1] ?? main.user.split(":")[0]}`, "--clear-groups"] : [];
    const openBinary = spec.binary ? [`exec 3<${q(spec.binary)}`] : [];
    const script = ["set -eu", `echo ${q(id)} > /proc/sys/kernel/hostname`, ...openBinary, ...mounts(main), `cd /`, `exec "$@"`].join("\n");
    const fd = fs.openSync(logFile, "a");
    // runc gives a container's stdio to its user (fixStdioPermissions): a process that reopens
    // /dev/stdout (nginx's access log) can, as in the task.
    if (main.user) fs.fchownSync(fd, Number(main.user.split(":")[0]), Number(main.user.split(":")[1] ?? main.user.split(":")[0]));
    const child = spawn("ip", ["netns", "exec", ns.name, "unshare", "--mount", "--uts", "--propagation", "private", "sh", "-c", script, "sh", ...user, ...program], {
      env,
      stdio: ["ignore", fd, fd],
    });
    fs.closeSync(fd);
    const task = new Task(id, spec, ns.address, ns.name, dir, child, zone);
    this.tasks.push(task);
    void task.exited.then(() => {
      this.placed.delete(id);
      this.placement.metadata.unregister(id);
    });
    this.network.setRecord(this.dnsName(spec.name), ns.address, true);
    void task.exited.then(() => this.network.setRecord(this.dnsName(spec.name), ns.address, false));
    return task;
  }

  /**
   * Stops a task as ECS does: deregisters it from Cloud Map, sends SIGTERM, and SIGKILL after the
   * container's stop timeout. Resolves with the time from SIGTERM to exit and whether it exited in time.
   */
  async stopTask(task: Task): Promise<{ ms: number; inTime: boolean }> {
    this.network.setRecord(this.dnsName(task.service.name), task.address, false);
    const t0 = Date.now();
    task.signal("SIGTERM");
    const inTime = await Promise.race([task.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), task.stopTimeoutMs))]);
    if (!inTime) {
      task.signal("SIGKILL");
      await task.exited;
    }
    this.network.removeNamespace(task.netns);
    return { ms: Date.now() - t0, inTime };
  }

  /** A crash: SIGKILL, no flush; Cloud Map drops the address when ECS sees the task stop. */
  async killTask(task: Task): Promise<void> {
    task.signal("SIGKILL");
    await task.exited;
    this.network.setRecord(this.dnsName(task.service.name), task.address, false);
    this.network.removeNamespace(task.netns);
  }

  async close(): Promise<void> {
    for (const t of this.tasks) t.signal("SIGKILL");
    await Promise.all(this.tasks.map((t) => Promise.race([t.exited, new Promise((r) => setTimeout(r, 5000))])));
    for (const t of this.tasks) this.network.removeNamespace(t.netns);
    // Mount points created on the machine (e.g. /data) are removed by the run's ledger, which knows
    // whether another run still uses them.
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
