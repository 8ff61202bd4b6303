/**
 * Runs a command as `npm run <command>` does: node bin/lgtm.cjs <command> (the esbuild bundle, built
 * once for the whole run by test/support/global-setup.ts).
 */
import { execFile, spawn, spawnSync, type SpawnSyncOptions } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";

export const ROOT = path.resolve(__dirname, "..", "..");
export const LAUNCHER = path.join(ROOT, "bin", "lgtm.cjs");

/** `node bin/lgtm.cjs <args>` in a fresh process, synchronously. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const opts: SpawnSyncOptions = { cwd: options.cwd ?? ROOT, encoding: "utf8", env: { ...process.env, ...options.env } };
  return spawnSync(process.execPath, [LAUNCHER, ...args], opts) as ReturnType<typeof spawnSync> & { stdout: string; stderr: string };
}

/** The same, asynchronously (several side by side). */
export function runCliAsync(args: readonly string[], options: { cwd?: string } = {}) {
  return promisify(execFile)(process.execPath, [LAUNCHER, ...args], { cwd: options.cwd ?? ROOT });
}

export interface Exit {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Any process, run without blocking this one: servers a test starts in its own process (s3rver,
 * the STS stub) answer from this event loop, which spawnSync would freeze. Never rejects on a
 * non-zero exit.
 */
export function spawnAsync(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** `npm run <command> -- <args>` (node bin/lgtm.cjs) in a fresh process, without blocking this one. */
export function runCliProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  return spawnAsync(process.execPath, [LAUNCHER, ...args], { env: { ...process.env, ...env } });
}

/**
 * A command's `run()` in this process, through the same reporter main.ts uses (commands/cli.ts
 * `report`): its exit code and what it printed. For the many usage and settings errors; each
 * command keeps at least one fresh-process test of the real entry point. `env` is set on
 * process.env for the call and restored after.
 */
export async function runInProcess(
  command: { readonly USAGE: string; run(argv: string[]): Promise<number | void> },
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Exit> {
  const { report } = await import("../../commands/cli");
  const out: string[] = [];
  const err: string[] = [];
  const text = (a: unknown[]) => a.map((x) => (typeof x === "string" ? x : x instanceof Error ? (x.stack ?? x.message) : String(x))).join(" ");
  const saved = { log: console.log, error: console.error, warn: console.warn, info: console.info };
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  console.log = console.info = (...a: unknown[]) => void out.push(text(a));
  console.error = console.warn = (...a: unknown[]) => void err.push(text(a));
  Object.assign(process.env, env);
  try {
    const status = await report(command.USAGE, () => command.run(argv));
    return { status, stdout: out.length ? `${out.join("\n")}\n` : "", stderr: err.length ? `${err.join("\n")}\n` : "" };
  } finally {
    Object.assign(console, saved);
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
