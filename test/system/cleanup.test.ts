/**
 * The system tier cleans up after itself however a run ends (test/support/system/ledger.ts): a boot
 * that fails, a process that is interrupted (Ctrl-C, a CI job cancelled, vitest ending its worker)
 * and a process that is SIGKILLed (the next run removes what it left). Each case runs the real
 * harness (the prod task definitions, dnsmasq, s3rver, nginx, memcached, Mimir) and then looks at
 * the machine: no process of the run, no `lgtmsys*` bridge or network namespace of it, no mount,
 * no folder, no ledger. A previous run leaked dnsmasq and namespaces after a failed boot.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT, skipWithoutSystemTier } from "../support/system/components";
import { sweepStaleRuns, type RunRecord } from "../support/system/ledger";
import { startSystemStack, startTasks } from "../support/system/stack";

const skip = skipWithoutSystemTier(["mimir"]);

/** The pids running in the run's task namespaces, plus its processes outside them (dnsmasq). */
function pidsOf(record: RunRecord): number[] {
  const inNamespaces = record.namespaces.flatMap((ns) =>
    spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" })
      .stdout.split(/\s+/)
      .filter(Boolean)
      .map(Number),
  );
  return [...inNamespaces, ...record.processes.map((p) => p.pid)];
}

const alive = (pid: number): boolean => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch {
    return false;
  }
};

/** What of the run is still on the machine, one line per thing. */
function leftovers(record: RunRecord, pids: readonly number[], ledgerFile: string): string[] {
  const out: string[] = [];
  for (const pid of pids) if (alive(pid)) out.push(`process ${pid}: ${fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").slice(0, 120)}`);
  if (record.bridge && spawnSync("ip", ["link", "show", "dev", record.bridge], { stdio: "ignore" }).status === 0) out.push(`bridge ${record.bridge}`);
  const namespaces = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
  for (const line of namespaces.split("\n")) if (record.bridge && line.startsWith(`${record.bridge}-`)) out.push(`network namespace ${line.split(" ")[0]}`);
  const mounts = fs.readFileSync("/proc/self/mountinfo", "utf8");
  for (const ns of record.namespaces) {
    if (mounts.includes(`/run/netns/${ns} `)) out.push(`mount /run/netns/${ns}`);
    if (fs.existsSync(`/etc/netns/${ns}`)) out.push(`/etc/netns/${ns}`);
  }
  for (const d of record.dirs) {
    if (mounts.includes(d)) out.push(`mount under ${d}`);
    if (fs.existsSync(d)) out.push(`folder ${d}`);
  }
  if (fs.existsSync(ledgerFile)) out.push(`ledger ${ledgerFile}`);
  return out;
}

interface Booting {
  record: RunRecord;
  ledger: string;
  pids: number[];
}

/** Runs test/support/system/interrupted-boot.ts as its own process until it reports it is booting. */
async function bootInAnotherProcess(): Promise<{ child: ReturnType<typeof spawn>; booting: Booting; exited: Promise<NodeJS.Signals | number | null> }> {
  // ts-node, transpile only: tsx's loader makes require() pick a dependency's ESM build that s3rver's
  // koa cannot use (is-generator-function: "getGeneratorFunction is not a function").
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join("test", "support", "system", "interrupted-boot.ts")], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((r) => child.once("exit", (code, signal) => r(signal ?? code)));
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const booting = await new Promise<Booting>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no BOOTING line within 150 s:\n${stdout}\n${stderr}`)), 150_000);
    child.stdout!.on("data", (c: Buffer) => {
      stdout += c.toString();
      const m = /^BOOTING (.*)$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]) as Booting);
      }
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`the boot process ended (${how}) before it was booting:\n${stdout}\n${stderr}`));
    });
  });
  return { child, booting, exited };
}

describe.skipIf(skip)("GIVEN the system tier's harness", () => {
  it("WHEN a boot fails mid-way (a Mimir task not ready in time) THEN closing the stack, as the tier's afterAll does, leaves nothing behind", async () => {
    const stack = await startSystemStack();
    let record: RunRecord;
    let pids: number[];
    try {
      await startTasks(stack, "memcached", 1, 20_000);
      await startTasks(stack, "gateway", 1, 15_000);
      // The deliberate failure: 1 ms for a Mimir task to become ready.
      await expect(startTasks(stack, "mimir", 1, 1)).rejects.toThrow(/was not ready within/);
      record = stack.ledger.snapshot();
      pids = pidsOf(record);
      expect(record.namespaces).toHaveLength(3);
      expect(pids.length, "nginx (master and workers), memcached, Mimir and dnsmasq run").toBeGreaterThanOrEqual(5);
    } finally {
      await stack.close();
    }
    expect(leftovers(record, pids, stack.ledger.file)).toEqual([]);
  }, 90_000);

  it("WHEN the process running a boot gets SIGINT (Ctrl-C) or SIGKILL mid-boot THEN SIGINT's handler leaves nothing behind, and what SIGKILL left is removed by the next run", async () => {
    const [interrupted, killed] = await Promise.all([bootInAnotherProcess(), bootInAnotherProcess()]);
    for (const run of [interrupted, killed]) {
      expect(run.booting.record.namespaces, "memcached, gateway and Mimir tasks").toHaveLength(3);
      expect(leftovers(run.booting.record, run.booting.pids, run.booting.ledger).length, "the boot created nothing?").toBeGreaterThan(5);
    }

    interrupted.child.kill("SIGINT");
    killed.child.kill("SIGKILL");
    // The interrupted process ends by its signal, after its handler cleaned up.
    expect(await interrupted.exited).toBe("SIGINT");
    expect(leftovers(interrupted.booting.record, interrupted.booting.pids, interrupted.booting.ledger)).toEqual([]);

    // SIGKILL: nothing runs in the process; its tasks, dnsmasq, namespaces and bridge stay ...
    expect(await killed.exited).toBe("SIGKILL");
    const left = leftovers(killed.booting.record, killed.booting.pids, killed.booting.ledger);
    expect(left.some((l) => l.startsWith("process")), left.join("\n")).toBe(true);
    expect(left).toContain(`bridge ${killed.booting.record.bridge}`);
    // ... until the next run starts: startSystemStack() sweeps runs whose process is gone first.
    sweepStaleRuns();
    expect(leftovers(killed.booting.record, killed.booting.pids, killed.booting.ledger)).toEqual([]);
  }, 240_000);
});
