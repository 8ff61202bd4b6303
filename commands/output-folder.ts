/**
 * The synth output folder (cdktf.out): written whole or not at all, without losing what the run did
 * not produce.
 *
 * A run writes into `<out>.staging-<pid>` and swaps it in with two renames. Before the swap, the
 * staging folder receives, as hard links (no copy, and the old folder stays intact until the swap):
 *  - the stacks and rendered configs of environments this run did not synthesize (`synth --env prod`
 *    keeps dev's), with their manifest entries;
 *  - each stack's `.terraform/` and `.terraform.lock.hcl` when its `terraform.required_providers`
 *    did not change, so `terraform init` need not install the provider again.
 * Under the cdktf CLI the app writes into the CLI's folder in place (no staging): `keepInPlace` puts
 * the other environments' stacks back into the manifest the app wrote, or the CLI would delete their
 * folders, `.terraform/` and all; the synthesized stacks' own `.terraform/` stays where it is.
 * SIGINT, SIGTERM and SIGHUP during a run remove the staging folder before the process ends with
 * that signal, and a later run removes staging folders whose process is gone (SIGKILL, power loss).
 */
import * as fs from "node:fs";
import * as path from "node:path";

interface ManifestStack {
  readonly name: string;
  readonly workingDirectory: string;
  readonly [k: string]: unknown;
}
export interface Manifest {
  stacks: Record<string, ManifestStack>;
  readonly [k: string]: unknown;
}

/** What a terraform init in a stack folder leaves there and may be reused. */
const INIT_STATE = [".terraform", ".terraform.lock.hcl"] as const;

export interface CarryOptions {
  /** Environments this run synthesized; stacks of every other environment are carried over. */
  readonly synthesized: readonly string[];
  /** Carry other environments' stacks at all (false: the run covered every environment there is). @default true */
  readonly keepOtherEnvironments?: boolean;
}

/** The `<env>` of a stack named `<env>-<layer>`. */
const envOf = (stack: string) => stack.slice(0, stack.indexOf("-"));

/** Links into `staging` what the old output folder `target` has and this run should keep. */
export function carryOver(target: string, staging: string, options: CarryOptions): void {
  const oldManifest = readManifest(target);
  if (!oldManifest) return;
  const manifest = readManifest(staging);
  if (!manifest) return;

  if (options.keepOtherEnvironments !== false) {
    const others = new Set<string>();
    for (const [name, entry] of Object.entries(oldManifest.stacks)) {
      if (options.synthesized.includes(envOf(name)) || manifest.stacks[name]) continue;
      const from = path.join(target, entry.workingDirectory);
      if (!fs.existsSync(from)) continue;
      linkTree(from, path.join(staging, entry.workingDirectory));
      manifest.stacks[name] = entry;
      others.add(envOf(name));
    }
    for (const env of others) {
      const rendered = path.join(target, "rendered", env);
      if (fs.existsSync(rendered)) linkTree(rendered, path.join(staging, "rendered", env));
    }
    if (others.size > 0) writeManifest(staging, manifest);
  }

  for (const [name, entry] of Object.entries(manifest.stacks)) {
    const oldEntry = oldManifest.stacks[name];
    if (!oldEntry || !options.synthesized.includes(envOf(name))) continue;
    const from = path.join(target, oldEntry.workingDirectory);
    const to = path.join(staging, entry.workingDirectory);
    if (!INIT_STATE.some((f) => fs.existsSync(path.join(from, f)))) continue;
    if (!sameProviders(path.join(from, "cdk.tf.json"), path.join(to, "cdk.tf.json"))) continue;
    for (const f of INIT_STATE) if (fs.existsSync(path.join(from, f))) linkTree(path.join(from, f), path.join(to, f));
  }
}

/**
 * After an app wrote `outdir`'s manifest in place (cdktf CLI): adds back the entries of `before` (the
 * manifest the folder had) for stacks of environments not `synthesized` whose folders are still
 * there, so the cdktf CLI keeps them as `npm run synth -- --env <env>` does. Returns their names.
 */
export function keepInPlace(outdir: string, before: Manifest | undefined, synthesized: readonly string[]): string[] {
  const manifest = readManifest(outdir);
  if (!before || !manifest) return [];
  const kept: string[] = [];
  for (const [name, entry] of Object.entries(before.stacks)) {
    if (synthesized.includes(envOf(name)) || manifest.stacks[name]) continue;
    if (!fs.existsSync(path.join(outdir, entry.synthesizedStackPath as string))) continue;
    manifest.stacks[name] = entry;
    kept.push(name);
  }
  if (kept.length > 0) writeManifest(outdir, manifest);
  return kept;
}

export function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}

/** Written as cdktf writes it (json-stable-stringify, two spaces), so a merged manifest reads the same. */
function writeManifest(dir: string, manifest: Manifest): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const stringify = require(require.resolve("json-stable-stringify", { paths: [path.dirname(require.resolve("cdktf"))] })) as (v: unknown, o: { space: number }) => string;
  fs.writeFileSync(path.join(dir, "manifest.json"), stringify(manifest, { space: 2 }));
}

function sameProviders(oldJson: string, newJson: string): boolean {
  const providers = (file: string) => {
    try {
      return JSON.stringify((JSON.parse(fs.readFileSync(file, "utf8")) as { terraform?: { required_providers?: unknown } }).terraform?.required_providers ?? null);
    } catch {
      return undefined;
    }
  };
  const before = providers(oldJson);
  return before !== undefined && before === providers(newJson);
}

/** Recreates `from` at `to` with hard links (a copy across file systems), symlinks kept as symlinks. */
export function linkTree(from: string, to: string): void {
  const stat = fs.lstatSync(from);
  if (stat.isSymbolicLink()) {
    fs.symlinkSync(fs.readlinkSync(from), to);
  } else if (stat.isDirectory()) {
    fs.mkdirSync(to, { recursive: true, mode: stat.mode });
    for (const entry of fs.readdirSync(from)) linkTree(path.join(from, entry), path.join(to, entry));
  } else {
    try {
      fs.linkSync(from, to);
    } catch {
      fs.copyFileSync(from, to);
      fs.chmodSync(to, stat.mode);
    }
  }
}

/** Removes `<out>.staging-<pid>` and `<out>.old-<pid>` folders whose process no longer runs. */
export function removeAbandoned(target: string): void {
  const dir = path.dirname(target);
  const prefix = `${path.basename(target)}.`;
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = /^(staging|old)-(\d+)$/.exec(entry.slice(prefix.length));
    if (!entry.startsWith(prefix) || !m) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && alive(pid)) continue;
    fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Runs `work` (synchronous) with `folders` removed if the process is told to stop. Synth is
 * synchronous, so a signal is handled right after it: the handler removes whatever is left and ends
 * the process with the signal. Handlers stay until the event loop has delivered pending signals.
 */
export function removedOnSignal<T>(folders: readonly string[], work: () => T): T {
  const handler = (signal: NodeJS.Signals) => {
    for (const f of folders) fs.rmSync(f, { recursive: true, force: true });
    for (const s of SIGNALS) process.removeListener(s, handler);
    process.kill(process.pid, signal);
  };
  for (const s of SIGNALS) process.on(s, handler);
  try {
    return work();
  } finally {
    for (const f of folders) fs.rmSync(f, { recursive: true, force: true });
    setImmediate(() => {
      for (const s of SIGNALS) process.removeListener(s, handler);
    });
  }
}
