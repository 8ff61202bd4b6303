/**
 * Runs the real terraform CLI on synthesized stacks, offline: finds terraform and a filesystem
 * mirror of hashicorp/aws (the version @cdktf/provider-aws pins), writes a CLI config that installs
 * from that mirror only, and shares one plugin cache so each `init` links instead of copying 700 MB.
 *
 * Where terraform or the mirror is missing, `terraformUnavailable()` says why; terraform-backed
 * tests then skip with a loud banner, or fail when LGTM_REQUIRE_TERRAFORM=1 (set in .ci/run).
 */
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const AWS_PROVIDER_VERSION = "5.100.0";
const PROVIDER_PATH = `registry.terraform.io/hashicorp/aws/${AWS_PROVIDER_VERSION}`;

/** Where filesystem mirrors usually live; LGTM_TF_PROVIDER_MIRROR comes first. */
const MIRROR_CANDIDATES = [
  "/opt/tf-plugins",
  path.join(os.homedir(), ".terraform.d", "plugins"),
  path.join(os.homedir(), ".local", "share", "terraform", "plugins"),
  "/usr/local/share/terraform/plugins",
  "/usr/share/terraform/plugins",
];

const platform = () => `${process.platform}_${process.arch === "x64" ? "amd64" : process.arch}`;

export function findTerraform(): string | undefined {
  const candidate = process.env.LGTM_TERRAFORM ?? "terraform";
  const r = spawnSync(candidate, ["version", "-json"], { encoding: "utf8" });
  return r.status === 0 ? candidate : undefined;
}

/** A folder holding registry.terraform.io/hashicorp/aws/<version>/<os_arch>/terraform-provider-aws_v<version>*. */
export function findProviderMirror(): string | undefined {
  const candidates = [process.env.LGTM_TF_PROVIDER_MIRROR, ...MIRROR_CANDIDATES].filter((c): c is string => !!c);
  return candidates.find((dir) => {
    const leaf = path.join(dir, PROVIDER_PATH, platform());
    return fs.existsSync(leaf) && fs.readdirSync(leaf).some((f) => f.startsWith(`terraform-provider-aws_v${AWS_PROVIDER_VERSION}`));
  });
}

/** Why terraform-backed tests cannot run here, or undefined when they can. */
export function terraformUnavailable(): string | undefined {
  if (!findTerraform()) return "the terraform CLI is not on the PATH (or LGTM_TERRAFORM)";
  if (!findProviderMirror()) {
    return `no filesystem mirror of hashicorp/aws ${AWS_PROVIDER_VERSION} for ${platform()} in LGTM_TF_PROVIDER_MIRROR or ${MIRROR_CANDIDATES.join(", ")}`;
  }
  return undefined;
}

/**
 * Reports a missing terraform loudly. Returns true when tests should skip; throws when
 * LGTM_REQUIRE_TERRAFORM=1, so CI can never go green without the terraform tier.
 */
export function skipWithoutTerraform(tier: string): boolean {
  const why = terraformUnavailable();
  if (!why) return false;
  const banner = `\n${"!".repeat(78)}\n!! SKIPPING ${tier}: ${why}\n${"!".repeat(78)}\n`;
  if (process.env.LGTM_REQUIRE_TERRAFORM === "1") throw new Error(`LGTM_REQUIRE_TERRAFORM=1 but ${why}`);
  console.warn(banner);
  return true;
}

export interface Terraform {
  /** Environment for terraform processes (CLI config, plugin cache, no prompts, no colour). */
  readonly env: NodeJS.ProcessEnv;
  run(cwd: string, args: string[], extraEnv?: NodeJS.ProcessEnv): SpawnSyncReturns<string>;
  /** Runs and throws with terraform's output when it fails. */
  ok(cwd: string, args: string[], extraEnv?: NodeJS.ProcessEnv): string;
}

/** A terraform runner configured for offline use; `workDir` holds its CLI config. */
export function offlineTerraform(workDir: string): Terraform {
  const binary = findTerraform();
  const mirror = findProviderMirror();
  if (!binary || !mirror) throw new Error(terraformUnavailable());
  fs.mkdirSync(workDir, { recursive: true });
  // One cache per machine: the first init copies the provider, every later one links to it.
  const cache = path.join(os.tmpdir(), "lgtm-fargate-tf-plugin-cache");
  fs.mkdirSync(cache, { recursive: true });
  const rc = path.join(workDir, "offline.tfrc");
  fs.writeFileSync(
    rc,
    [
      "provider_installation {",
      `  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }`,
      '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }',
      "}",
      `plugin_cache_dir = ${JSON.stringify(cache)}`,
      "",
    ].join("\n"),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: rc,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    NO_COLOR: "1",
  };
  const run = (cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    spawnSync(binary, [...args.slice(0, 1), "-no-color", ...args.slice(1)], {
      cwd,
      env: { ...env, ...extraEnv },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
  return {
    env,
    run,
    ok(cwd, args, extraEnv) {
      const r = run(cwd, args, extraEnv);
      if (r.status !== 0) {
        throw new Error(`terraform ${args.join(" ")} failed in ${cwd} (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
      }
      return r.stdout;
    },
  };
}

export function terraformVersion(): string {
  const out = execFileSync(findTerraform() ?? "terraform", ["version", "-json"], { encoding: "utf8" });
  return (JSON.parse(out) as { terraform_version: string }).terraform_version;
}

// ---------------------------------------------------------------------------------------------
// Running terraform asynchronously, so two stacks run at once on two cores
// ---------------------------------------------------------------------------------------------

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runAsync(tf: Terraform, cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  // -no-color goes after the (sub)command: `terraform state push -no-color file`.
  const words = args[0] === "state" ? 2 : 1;
  return new Promise((resolve) => {
    const child = spawn(findTerraform() ?? "terraform", [...args.slice(0, words), "-no-color", ...args.slice(words)], {
      cwd,
      env: { ...tf.env, ...extraEnv },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
  });
}

/** Runs `items` through `fn`, at most `width` at a time. */
export async function inPool<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]);
      }
    }),
  );
  return results;
}
