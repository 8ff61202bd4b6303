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

/**
 * A terraform runner configured for offline use; `workDir` holds its CLI config. With `provider`,
 * every command attaches to that running provider process instead of starting its own (see
 * `startSharedProvider`).
 */
export function offlineTerraform(workDir: string, provider?: SharedProvider): Terraform {
  const binary = findTerraform();
  const mirror = findProviderMirror();
  if (!binary || !mirror) throw new Error(terraformUnavailable());
  fs.mkdirSync(workDir, { recursive: true });
  // No plugin cache: from an unpacked filesystem mirror, init links .terraform/providers straight to
  // the mirror (nothing copied). A cache shared by suites running side by side is not safe: an init
  // re-installs the cache's link while another suite's terraform starts the provider through it
  // ("fork/exec .terraform/providers/...: no such file or directory", seen in CI).
  const rc = path.join(workDir, "offline.tfrc");
  fs.writeFileSync(
    rc,
    [
      "provider_installation {",
      `  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }`,
      '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }',
      "}",
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
    ...provider?.env,
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

/**
 * The mirror's hashicorp/aws provider binary, started once and shared by many terraform commands
 * through terraform's provider reattach protocol (TF_REATTACH_PROVIDERS, the provider's `-debug`
 * mode: the same binary and gRPC server, only not started by terraform).
 *
 * Why: a terraform command that starts the provider itself pays, every time, for the lock file's
 * checksum of the 700 MB binary and the provider's start-up, once per graph walk (a `terraform test`
 * of one stack starts it seven times: schema, validate, plan, apply, and three for the teardown).
 * Measured by hand on 2 cores (`terraform test -json -verbose` of prod-20-security): 11.6 s wall and
 * 11.7 s CPU alone, 4.6 s wall and 4.5 s CPU (terraform 3.6 + provider 0.9) attached;
 * `terraform validate` of prod-10-network 4.3 s alone, 1.8 s attached.
 *
 * What it does not change: the configuration, the schema and every validation and mock answer come
 * from the same provider build. What it skips: the lock file's checksum of the binary, which
 * `terraform init` against the mirror still proves where a tier says so (init without the shared
 * provider). Only for commands that never configure the provider (validate, `terraform test` with
 * `mock_provider`): several terraform processes call one provider process concurrently.
 */
export interface SharedProvider {
  readonly env: { TF_REATTACH_PROVIDERS: string };
  /** The provider's process id. */
  readonly pid: number;
  stop(): void;
}

/**
 * `env`: added to the provider process's environment (undefined unsets), where a provider that
 * talks to an API reads its credentials and trusted roots: terraform's own environment does not
 * reach an attached provider.
 */
export async function startSharedProvider(env: NodeJS.ProcessEnv = {}): Promise<SharedProvider> {
  const mirror = findProviderMirror();
  if (!mirror) throw new Error(terraformUnavailable());
  const leaf = path.join(mirror, PROVIDER_PATH, platform());
  const binary = path.join(leaf, fs.readdirSync(leaf).find((f) => f.startsWith(`terraform-provider-aws_v${AWS_PROVIDER_VERSION}`))!);
  // The provider logs every request at trace level in -debug mode unless told otherwise.
  const quiet = Object.fromEntries(
    ["TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK_MUX", "TF_LOG_SDK_HELPER_SCHEMA"].map((k) => [k, "off"]),
  );
  const child = spawn(binary, ["-debug"], { env: { ...process.env, ...env, ...quiet }, stdio: ["ignore", "pipe", "pipe"] });
  const kill = () => child.kill("SIGINT");
  // A worker that ends without afterAll (a timeout, a crash) must not leave the provider running.
  process.once("exit", kill);
  let output = "";
  const reattach = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`the shared provider printed no TF_REATTACH_PROVIDERS within 120 s:\n${output}`));
    }, 120_000);
    const onData = (d: Buffer) => {
      output += d.toString("utf8");
      const m = /TF_REATTACH_PROVIDERS='([^']+)'/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the shared provider exited (${code}) before it was ready:\n${output}`));
    });
  });
  // Keep draining its output so it never blocks on a full pipe.
  child.stdout.removeAllListeners("data").resume();
  child.stderr.removeAllListeners("data").resume();
  return {
    env: { TF_REATTACH_PROVIDERS: reattach },
    pid: child.pid!,
    stop() {
      process.removeListener("exit", kill);
      kill();
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
