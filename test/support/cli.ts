/**
 * Runs a command as `npm run <command>` does: node bin/lgtm.cjs <command> (the esbuild bundle, built
 * once for the whole run by test/support/global-setup.ts).
 */
import { execFile, spawnSync, type SpawnSyncOptions } from "node:child_process";
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
