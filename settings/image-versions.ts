/**
 * The image versions the settings pin (`services.<name>.version`), checked for what a tag cannot
 * say by itself:
 *
 * - a floating tag (`latest`, `main`, `stable`, ...) or anything that is no release version
 *   (MAJOR.MINOR.PATCH, an optional leading "v" and -suffix) is refused: two synths of the same
 *   settings would deploy different code, and the rendered configs are checked against one release;
 * - an environment file that goes back a major release from common.tfvars is refused: the templates
 *   are written for common's release, and a component does not read the data a newer major wrote;
 * - a version older than the newest release whose configuration reference is in the upstream folder
 *   (../shared/upstream, or $LGTM_UPSTREAM_DIR) warns, when that folder is there.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SERVICE_NAMES, type ServiceName } from "./components";
import type { Settings } from "./schema";

export interface VersionFinding {
  readonly key: string;
  readonly message: string;
}

/** Tags that name no release: they move as upstream publishes. */
const FLOATING_TAGS = ["latest", "main", "master", "stable", "edge", "nightly", "dev", "next", "weekly", "mainline"];

/** MAJOR.MINOR.PATCH with an optional "v" and an optional -suffix (a pre-release or an image variant such as -alpine). */
const RELEASE = /^v?(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z][0-9A-Za-z.-]*)?$/;

/** [major, minor, patch] of a release tag, or undefined. */
export function releaseOf(version: string): [number, number, number] | undefined {
  const m = RELEASE.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Floating and malformed tags: errors. */
export function checkImageVersions(s: Settings): VersionFinding[] {
  const out: VersionFinding[] = [];
  for (const name of SERVICE_NAMES) {
    const { image, version } = s.services[name];
    const key = `services.${name}.version`;
    if (FLOATING_TAGS.some((t) => version.toLowerCase() === t || version.toLowerCase().startsWith(`${t}-`))) {
      out.push({
        key,
        message: `"${version}" is not a release: the tag moves, so two synths of these settings would run different ${image} code, and the rendered configs were checked against no release. Pin the release you tested, such as "1.2.3"`,
      });
    } else if (!releaseOf(version)) {
      out.push({ key, message: `"${version}" is not a release version of ${image}: expected MAJOR.MINOR.PATCH as the image is tagged, such as "1.2.3" or "v1.2.3"` });
    }
  }
  return out;
}

/**
 * An environment file's version a major release below common.tfvars' (both as the files wrote them,
 * before merging): errors on the environment's key.
 */
export function majorDowngrades(common: Readonly<Record<string, unknown>> | undefined, env: Readonly<Record<string, unknown>> | undefined, commonFile: string): VersionFinding[] {
  const out: VersionFinding[] = [];
  const versionIn = (services: Readonly<Record<string, unknown>> | undefined, name: string) => {
    const svc = services?.[name];
    const v = svc && typeof svc === "object" ? (svc as Record<string, unknown>).version : undefined;
    return typeof v === "string" ? v : undefined;
  };
  for (const name of SERVICE_NAMES) {
    const [base, mine] = [versionIn(common, name), versionIn(env, name)];
    if (base === undefined || mine === undefined) continue;
    const [b, m] = [releaseOf(base), releaseOf(mine)];
    if (!b || !m || m[0] >= b[0]) continue;
    out.push({
      key: `services.${name}.version`,
      message:
        `"${mine}" goes back a major release from "${base}" in ${commonFile}: the rendered configs are written for ${b[0]}.x, and ${name} does not read the data a newer major wrote. ` +
        `Pin a ${b[0]}.x release here, or change ${commonFile} for every environment`,
    });
  }
  return out;
}

/** ../shared/upstream beside the project, or $LGTM_UPSTREAM_DIR: the components' configuration references. */
export function defaultUpstreamDir(): string {
  const fromEnv = process.env.LGTM_UPSTREAM_DIR;
  return fromEnv ? path.resolve(fromEnv) : path.resolve(__dirname, "..", "..", "shared", "upstream");
}

/** How each component's reference files are named in the upstream folder: <version><suffix>. */
const REFERENCE_SUFFIX: Partial<Record<ServiceName, string>> = {
  mimir: ".keys.json",
  loki: ".keys.json",
  tempo: ".keys.json",
  pyroscope: ".keys.json",
  alloy: ".components.json",
};

/** The newest release a component has a reference for in `dir` (pre-releases such as 3.1-dev left out), or undefined. */
export function newestReference(dir: string, service: ServiceName): string | undefined {
  const suffix = REFERENCE_SUFFIX[service];
  const folder = path.join(dir, service);
  if (!suffix || !fs.existsSync(folder)) return undefined;
  const releases = fs
    .readdirSync(folder)
    .filter((f) => f.endsWith(suffix) && !f.includes("runtime-overrides"))
    .map((f) => f.slice(0, -suffix.length))
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  return releases.sort((a, b) => compare(releaseOf(a)!, releaseOf(b)!)).pop();
}

/** Versions older than the newest reference in the upstream folder: warnings (nothing when the folder is missing). */
export function olderThanUpstream(s: Settings, dir: string = defaultUpstreamDir()): VersionFinding[] {
  if (!fs.existsSync(dir)) return [];
  const out: VersionFinding[] = [];
  for (const name of SERVICE_NAMES) {
    const newest = newestReference(dir, name);
    const mine = releaseOf(s.services[name].version);
    if (!newest || !mine || compare(mine, releaseOf(newest)!) >= 0) continue;
    const shown = path.relative(process.cwd(), path.join(dir, name)) || dir;
    out.push({
      key: `services.${name}.version`,
      message: `${s.services[name].version} is older than ${newest}, the newest ${name} release with a configuration reference in ${shown}; the templates follow the references, so move to ${newest} (or keep ${s.services[name].version} knowingly)`,
    });
  }
  return out;
}
