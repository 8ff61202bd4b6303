/**
 * What one run of the system tier has created on this machine, written to a file as it is created,
 * so that nothing outlives the run however it ends:
 *
 *  - the run ends normally or a boot fails: `stack.close()` stops everything gracefully, then
 *    `cleanupSync()` removes whatever is still recorded (idempotent);
 *  - the process exits without closing (an uncaught error, `process.exit`) or gets SIGINT, SIGTERM
 *    or SIGHUP (Ctrl-C, vitest tearing its worker down): the handlers `guard()` installs run
 *    `cleanupSync()` (synchronous: an `exit` handler cannot await);
 *  - the process is SIGKILLed: nothing can run in it, so the next run's `sweepStaleRuns()` removes
 *    what a run whose owner process no longer exists recorded.
 *
 * Recorded: the bridge, every network namespace (removing one first kills every process still in it,
 * which covers every task process, nginx workers included: tasks run only inside their namespace),
 * processes outside any task namespace (dnsmasq), mount points created on the machine's root file
 * system, and folders. Task volumes are bind-mounted only inside each task's own mount namespace,
 * which ends with its processes.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { SYSTEM_DIR } from "./components";

export interface RunRecord {
  pid: number;
  /** /proc/<pid>/stat field 22: tells the owner from a later process that got the same pid. */
  startTime: string;
  bridge?: string;
  namespaces: string[];
  /** Processes in the root namespace, with a substring their command line must hold (pid reuse). */
  processes: { pid: number; cmdline: string }[];
  mountPoints: string[];
  dirs: string[];
}

export const LEDGER_DIR = path.join(SYSTEM_DIR, "runs");

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; fields after it are split on spaces.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

const cmdlineOf = (pid: number): string => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
};

/** The process state letter (R, S, Z, ...), undefined when it is gone. */
function stateOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function killSync(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return; // already gone
  }
  // Wait (bounded) until it has died (a zombie holds no namespace or mount), so what it held can go.
  const deadline = Date.now() + 2000;
  for (let s = stateOf(pid); s !== undefined && s !== "Z" && s !== "X" && Date.now() < deadline; s = stateOf(pid)) sleepSync(20);
}

/** Kills every process in a network namespace, deletes it and its /etc/netns folder. */
export function removeNamespaceSync(name: string): void {
  const pids = spawnSync("ip", ["netns", "pids", name], { encoding: "utf8" })
    .stdout.split(/\s+/)
    .filter(Boolean)
    .map(Number);
  for (const pid of pids) killSync(pid);
  spawnSync("ip", ["netns", "del", name]);
  fs.rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
}

/** Removes everything a record names; safe to run twice, and on a record of another (dead) process. */
export function cleanupRecord(r: RunRecord): void {
  for (const p of r.processes) if (cmdlineOf(p.pid).includes(p.cmdline)) killSync(p.pid);
  for (const ns of r.namespaces) removeNamespaceSync(ns);
  if (r.bridge) spawnSync("ip", ["link", "del", r.bridge], { stdio: "ignore" });
  // A mount point on the root file system (e.g. /data) is shared with any other run on this machine,
  // whose tasks have their volumes bind-mounted there in their own mount namespaces: removing the
  // folder would detach those mounts (Linux lazily unmounts a removed mount point in every
  // namespace). Only the last run removes them.
  const others = liveRuns().filter((o) => o.pid !== r.pid || o.startTime !== r.startTime);
  for (const m of others.length > 0 ? [] : [...r.mountPoints].reverse()) {
    try {
      fs.rmdirSync(m);
    } catch {
      // not empty, or still a mount point elsewhere: leave it
    }
  }
  for (const d of r.dirs) fs.rmSync(d, { recursive: true, force: true });
}

export class RunLedger {
  readonly file: string;
  private readonly record: RunRecord;
  private closed = false;

  constructor() {
    fs.mkdirSync(LEDGER_DIR, { recursive: true, mode: 0o755 });
    this.record = { pid: process.pid, startTime: startTimeOf(process.pid) ?? "", namespaces: [], processes: [], mountPoints: [], dirs: [] };
    this.file = path.join(LEDGER_DIR, `ledger-${process.pid}-${Date.now()}.json`);
    this.save();
  }

  private save(): void {
    if (this.closed) return;
    fs.writeFileSync(`${this.file}.tmp`, JSON.stringify(this.record));
    fs.renameSync(`${this.file}.tmp`, this.file);
  }

  bridge(name: string): void {
    this.record.bridge = name;
    this.save();
  }

  namespace(name: string, present: boolean): void {
    this.record.namespaces = this.record.namespaces.filter((n) => n !== name);
    if (present) this.record.namespaces.push(name);
    this.save();
  }

  process(pid: number, cmdline: string): void {
    this.record.processes.push({ pid, cmdline });
    this.save();
  }

  mountPoint(p: string): void {
    this.record.mountPoints.push(p);
    this.save();
  }

  dir(d: string): void {
    this.record.dirs.push(d);
    this.save();
  }

  snapshot(): RunRecord {
    return JSON.parse(JSON.stringify(this.record)) as RunRecord;
  }

  /** Removes everything recorded and the ledger file. */
  cleanupSync(): void {
    cleanupRecord(this.record);
    this.closed = true;
    fs.rmSync(this.file, { force: true });
    fs.rmSync(`${this.file}.tmp`, { force: true });
  }

  /**
   * Until `release()`, an exit or a SIGINT/SIGTERM/SIGHUP of this process runs `cleanupSync()` (and
   * a signal then ends the process as it would have without the handler).
   */
  guard(): () => void {
    const onExit = () => this.cleanupSync();
    const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
    const onSignal = (sig: NodeJS.Signals) => {
      release();
      this.cleanupSync();
      process.kill(process.pid, sig);
    };
    const release = () => {
      process.removeListener("exit", onExit);
      for (const s of signals) process.removeListener(s, onSignal);
    };
    process.once("exit", onExit);
    for (const s of signals) process.once(s, onSignal);
    return release;
  }
}

/** The records of runs whose process still runs, this one included. */
function liveRuns(): RunRecord[] {
  if (!fs.existsSync(LEDGER_DIR)) return [];
  const out: RunRecord[] = [];
  for (const f of fs.readdirSync(LEDGER_DIR)) {
    if (!/^ledger-\d+-\d+\.json$/.test(f)) continue;
    try {
      const r = JSON.parse(fs.readFileSync(path.join(LEDGER_DIR, f), "utf8")) as RunRecord;
      if (ownerAlive(r)) out.push(r);
    } catch {
      // being written or removed
    }
  }
  return out;
}

/** Whether the process that wrote a record still runs (same pid and start time). */
export const ownerAlive = (r: RunRecord): boolean => startTimeOf(r.pid) === r.startTime;

/**
 * Removes what earlier runs left behind when their process was killed before it could clean up
 * (SIGKILL): every ledger whose owner is gone. Returns the ledgers it cleaned.
 */
export function sweepStaleRuns(): string[] {
  if (!fs.existsSync(LEDGER_DIR)) return [];
  const cleaned: string[] = [];
  for (const f of fs.readdirSync(LEDGER_DIR)) {
    if (!/^ledger-\d+-\d+\.json$/.test(f)) continue;
    const file = path.join(LEDGER_DIR, f);
    let r: RunRecord;
    try {
      r = JSON.parse(fs.readFileSync(file, "utf8")) as RunRecord;
    } catch {
      continue; // being written
    }
    if (ownerAlive(r)) continue;
    cleanupRecord(r);
    fs.rmSync(file, { force: true });
    cleaned.push(file);
  }
  return cleaned;
}
