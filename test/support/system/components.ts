/**
 * The real component binaries for the system tier (test/system/): Mimir, Loki, Tempo (and the
 * others the folder holds), found through one variable, LGTM_COMPONENTS (default
 * `../shared/components` beside the project root), as `<name>.xz` files with a `SHA256SUMS` of the
 * decompressed binaries. Each is decompressed once into `<LGTM_SYSTEM_DIR>/components/` (default
 * /var/cache/lgtm-system-tier; never a tracked path, never under /tmp), checked against SHA256SUMS
 * and reused while its checksum holds.
 *
 * Missing binaries or system tools make the tier skip with a loud banner; LGTM_REQUIRE_COMPONENTS=1
 * (.ci/run) turns the skip into a failure.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { BUSYBOX, DNSMASQ, findTool, MEMCACHED, NGINX } from "../tools";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..", "..");
export const COMPONENTS_DIR = path.resolve(PROJECT_ROOT, process.env.LGTM_COMPONENTS ?? path.join("..", "shared", "components"));
/**
 * Where the tier keeps the decompressed binaries and each run's files that tasks must see (the test
 * CA, the task volumes' sources): never under /tmp, which every task mounts a volume of its own over,
 * and so not under the project either (a clone may live under /tmp). LGTM_SYSTEM_DIR moves it.
 */
export const SYSTEM_DIR = path.resolve(process.env.LGTM_SYSTEM_DIR ?? "/var/cache/lgtm-system-tier");
export const COMPONENTS_CACHE = path.join(SYSTEM_DIR, "components");

/** A fresh world-readable folder for one run's files that tasks must see, under SYSTEM_DIR. */
export function runDir(label: string): string {
  const base = path.join(SYSTEM_DIR, "runs");
  fs.mkdirSync(base, { recursive: true, mode: 0o755 });
  const dir = fs.mkdtempSync(path.join(base, `${label}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

const sha256File = (file: string): string => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

function expectedSums(): Map<string, string> {
  const file = path.join(COMPONENTS_DIR, "SHA256SUMS");
  const sums = new Map<string, string>();
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const m = /^([0-9a-f]{64})\s+\*?(\S+)$/.exec(line.trim());
    if (m) sums.set(m[2], m[1]);
  }
  return sums;
}

/**
 * The path of a decompressed, checksum-verified binary (`mimir`, `loki`, `tempo`, ...): from the
 * cache when its checksum still matches SHA256SUMS, else decompressed from `<name>.xz` now.
 */
export function componentBinary(name: string): string {
  const want = expectedSums().get(name);
  if (!want) throw new Error(`${path.join(COMPONENTS_DIR, "SHA256SUMS")} has no line for ${name}: expected "<sha256>  ${name}"`);
  const dir = path.join(COMPONENTS_CACHE, want.slice(0, 16));
  const target = path.join(dir, name);
  if (fs.existsSync(target) && sha256File(target) === want) return target;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  const out = fs.openSync(tmp, "w", 0o755);
  const r = spawnSync("xz", ["-dc", path.join(COMPONENTS_DIR, `${name}.xz`)], { stdio: ["ignore", out, "pipe"] });
  fs.closeSync(out);
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`xz -dc ${path.join(COMPONENTS_DIR, `${name}.xz`)} failed: ${r.stderr?.toString() ?? r.error}`);
  }
  const got = sha256File(tmp);
  if (got !== want) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`${name} decompressed from ${COMPONENTS_DIR} has sha256 ${got}, SHA256SUMS says ${want}: the file is damaged or not the listed build`);
  }
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, target);
  return target;
}

const has = (cmd: string, args: string[]): boolean => {
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  return r.error === undefined && r.status === 0;
};

/** What the tier needs that this machine lacks (empty when it can run). */
export function missingForSystemTier(binaries: readonly string[]): string[] {
  const missing: string[] = [];
  if (!fs.existsSync(path.join(COMPONENTS_DIR, "SHA256SUMS"))) missing.push(`the component binaries (LGTM_COMPONENTS=${COMPONENTS_DIR} has no SHA256SUMS)`);
  else for (const b of binaries) if (!fs.existsSync(path.join(COMPONENTS_DIR, `${b}.xz`))) missing.push(`${b}.xz in ${COMPONENTS_DIR}`);
  if (process.getuid?.() !== 0) missing.push("root (network namespaces, bind mounts)");
  if (!has("ip", ["netns", "list"])) missing.push("ip (iproute2) with network namespaces");
  if (!has("unshare", ["--version"]) || !has("setpriv", ["--version"])) missing.push("unshare and setpriv (util-linux)");
  // busybox runs the task definitions' container health checks.
  for (const tool of [DNSMASQ, NGINX, MEMCACHED, BUSYBOX]) if (!findTool(tool)) missing.push(`${tool.name} (apt-get install -y ${tool.aptPackage}, or set ${tool.envVar})`);
  if (!has("openssl", ["version"])) missing.push("openssl");
  if (!has("xz", ["--version"])) missing.push("xz (xz-utils)");
  return missing;
}

/** True when the system tier must skip (after saying so loudly); throws under LGTM_REQUIRE_COMPONENTS=1. */
export function skipWithoutSystemTier(binaries: readonly string[]): boolean {
  const missing = missingForSystemTier(binaries);
  if (missing.length === 0) return false;
  if (process.env.LGTM_REQUIRE_COMPONENTS === "1") {
    throw new Error(`LGTM_REQUIRE_COMPONENTS=1 but the system tier cannot run: missing ${missing.join("; ")} (docs/system-tests.md)`);
  }
  console.warn(
    [
      "",
      "#".repeat(100),
      "#  SKIPPING the system tier (test/system): the real Mimir/Loki/Tempo, gateway and cache were NOT run together.",
      ...missing.map((m) => `#  missing: ${m}`),
      "#  See docs/system-tests.md (LGTM_COMPONENTS points at the binaries).",
      "#".repeat(100),
      "",
    ].join("\n"),
  );
  return true;
}
