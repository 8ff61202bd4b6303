/**
 * Debian tools the real-process tiers run (nginx, dnsmasq, busybox, memcached): where each is, and
 * the loud skip every such tier shares. Without the tool a tier prints a banner and skips; with its
 * `LGTM_REQUIRE_<TOOL>=1` (set by .ci/run) it fails instead, so CI never passes by skipping.
 */
import { spawnSync } from "node:child_process";

export interface Tool {
  /** What the banner and the error call it. */
  readonly name: string;
  /** Environment variable naming the binary, e.g. LGTM_NGINX; tried first. */
  readonly envVar: string;
  /** Names or paths tried after it, in order. */
  readonly candidates: readonly string[];
  /** Arguments that make the binary exit 0 (a version or no-op). */
  readonly probeArgs: readonly string[];
  /** The Debian package that brings it. */
  readonly aptPackage: string;
  /** The variable that turns the skip into a failure, e.g. LGTM_REQUIRE_NGINX. */
  readonly requireVar: string;
}

export const NGINX: Tool = { name: "nginx", envVar: "LGTM_NGINX", candidates: ["nginx", "/usr/sbin/nginx"], probeArgs: ["-v"], aptPackage: "nginx-light", requireVar: "LGTM_REQUIRE_NGINX" };
export const DNSMASQ: Tool = { name: "dnsmasq", envVar: "LGTM_DNSMASQ", candidates: ["dnsmasq", "/usr/sbin/dnsmasq"], probeArgs: ["--version"], aptPackage: "dnsmasq-base", requireVar: "LGTM_REQUIRE_DNSMASQ" };
export const BUSYBOX: Tool = { name: "busybox", envVar: "LGTM_BUSYBOX", candidates: ["busybox", "/usr/bin/busybox", "/bin/busybox"], probeArgs: ["true"], aptPackage: "busybox", requireVar: "LGTM_REQUIRE_BUSYBOX" };
export const SHELLCHECK: Tool = { name: "shellcheck", envVar: "LGTM_SHELLCHECK", candidates: ["shellcheck", "/usr/bin/shellcheck"], probeArgs: ["--version"], aptPackage: "shellcheck", requireVar: "LGTM_REQUIRE_SHELLCHECK" };
export const MEMCACHED: Tool = { name: "memcached", envVar: "LGTM_MEMCACHED", candidates: ["/usr/bin/memcached", "/usr/local/bin/memcached", "memcached"], probeArgs: ["--version"], aptPackage: "memcached", requireVar: "LGTM_REQUIRE_MEMCACHED" };

const found = new Map<string, string | undefined>();

/** The tool's binary (its variable, then the candidates), or undefined. */
export function findTool(tool: Tool): string | undefined {
  if (!found.has(tool.name)) {
    const candidates = [process.env[tool.envVar], ...tool.candidates].filter((c): c is string => !!c);
    found.set(tool.name, candidates.find((c) => spawnSync(c, [...tool.probeArgs], { encoding: "utf8" }).status === 0));
  }
  return found.get(tool.name);
}

/**
 * True when a tier needing `tool` should skip, after a banner saying what was not tested; throws
 * under `<requireVar>=1`.
 */
export function skipWithoutTool(tool: Tool, tier: string, notTested: string): boolean {
  if (findTool(tool)) return false;
  const install = `apt-get install -y ${tool.aptPackage}, or set ${tool.envVar}`;
  if (process.env[tool.requireVar] === "1") throw new Error(`${tool.requireVar}=1 but ${tool.name} is not installed (${install})`);
  console.warn(`\n${"#".repeat(100)}\n#  SKIPPING ${tier}: ${tool.name} NOT FOUND (${install}). ${notTested}\n${"#".repeat(100)}\n`);
  return true;
}
