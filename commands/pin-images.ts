/**
 * Pins an environment's images by digest: resolves each image's tag at its registry (Registry HTTP
 * API v2, commands/registry.ts) and writes the digests into `environments/<env>.tfvars`
 * (`services.<name>.digest`, `ecs.config_init_image` and `cache.image` as `repository:tag@sha256:...`),
 * keeping every comment and every other line of the file as it was (settings/tfvars-edit.ts).
 *
 *   npm run pin-images -- --env prod              pin what is pinned by tag only
 *   npm run pin-images -- --env prod --update     re-resolve the pinned ones too (a moved tag shows in the diff)
 *
 * All or nothing: every image is resolved first; any failure (an unknown image, a registry that
 * cannot be reached) leaves the file untouched. The edited file is read back with the settings
 * loader, and must name exactly the resolved digests, before it replaces the old one (written to a
 * temporary file beside it, then renamed: never half-written).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_ENVIRONMENTS_DIR, loadSettings, type Settings } from "../settings";
import { COMMON_FILE } from "../settings/load";
import { pinnableImages, type PinnableImage } from "../settings/image-pins";
import { setTfvarsString, TfvarsEditError } from "../settings/tfvars-edit";
import { ENVIRONMENTS_OPTION, environmentsDir, parseCommandLine, UsageError, UserError } from "./cli";
import { RegistryError, resolveDigest } from "./registry";

export const USAGE = `usage: npm run pin-images -- --env <name> [--update] [--registry <host>=<url>]... [--environments <dir>]
  --env <name>             the environment whose images are pinned (its <name>.tfvars is rewritten)
  --update                 re-resolve images already pinned too (default: only those pinned by tag alone)
  --registry <host>=<url>  reach a registry host through another base URL (a mirror), e.g.
                           registry-1.docker.io=https://mirror.example.com; repeatable
  --environments <dir>     folder of common.tfvars and <env>.tfvars (default: environments/)
  -h, --help               show this help
Needs the registries (Docker Hub, public.ecr.aws, ...) reachable; sends no credentials.`;

/** `host=url` flags → map; a malformed one is a usage error. */
function endpoints(values: readonly string[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const v of values ?? []) {
    const m = /^([a-z0-9.-]+(?::\d+)?)=(https?:\/\/\S+)$/.exec(v);
    if (!m) throw new UsageError(`--registry ${v}: expected <host>=<url>, such as registry-1.docker.io=https://mirror.example.com`);
    map.set(m[1], m[2]);
  }
  return map;
}

/** The new value of an image's key once its digest is known. */
const written = (image: PinnableImage, digest: string) => (image.form === "digest" ? digest : `${image.reference}@${digest}`);

export async function run(argv: string[]): Promise<void> {
  const values = parseCommandLine(argv, {
    env: { type: "string" },
    update: { type: "boolean" },
    registry: { type: "string", multiple: true },
    ...ENVIRONMENTS_OPTION,
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.env === undefined) throw new UsageError("--env is required");
  const registries = endpoints(values.registry);
  const dir = environmentsDir(values.environments) ?? DEFAULT_ENVIRONMENTS_DIR;
  const settings = await loadSettings(values.env, { environmentsDir: dir, onWarning: () => undefined });
  const file = path.join(dir, `${settings.env}.tfvars`);
  const shown = path.relative(process.cwd(), file) || file;

  const images = pinnableImages(settings).filter((i) => values.update || i.digest === undefined);
  if (images.length === 0) {
    console.log(`${shown}: every image is pinned by digest already (--update re-resolves them)`);
    return;
  }
  // Every digest first: one failure and nothing is written.
  const results = await Promise.allSettled(images.map((i) => resolveDigest(i.reference, { endpoints: registries })));
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason instanceof RegistryError ? r.reason.message : String(r.reason)] : []));
  if (failures.length > 0) {
    throw new UserError(`could not resolve ${failures.length} of ${images.length} images; ${shown} is unchanged:\n${failures.map((f) => `  ${f}`).join("\n")}`);
  }
  const digests = results.map((r) => (r as PromiseFulfilledResult<string>).value);

  const before = fs.readFileSync(file, "utf8");
  let text = before;
  const lines: string[] = [];
  images.forEach((image, i) => {
    const digest = digests[i];
    if (image.digest === digest) {
      lines.push(`  ${image.key}: ${image.reference} still ${digest}`);
      return;
    }
    try {
      text = setTfvarsString(text, image.key, written(image, digest));
    } catch (e) {
      if (e instanceof TfvarsEditError) throw new UserError(`${shown}: cannot write ${image.key}: ${e.message}; the file is unchanged`);
      throw e;
    }
    lines.push(`  ${image.key}: ${image.reference} ${image.digest ? `${image.digest} -> ${digest} (the tag moved)` : `-> ${digest}`}`);
  });
  if (text !== before) {
    await verify(settings, dir, text, images, digests, shown);
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.pin-${process.pid}.tmp`);
    try {
      fs.writeFileSync(temporary, text, { mode: fs.statSync(file).mode });
      fs.renameSync(temporary, file);
    } finally {
      fs.rmSync(temporary, { force: true });
    }
  }
  console.log(`${text === before ? "nothing to change in" : "pinned in"} ${shown}:\n${lines.join("\n")}`);
}

/** Loads the edited settings from a scratch copy; they must name exactly the resolved digests. */
async function verify(settings: Settings, dir: string, text: string, images: readonly PinnableImage[], digests: readonly string[], shown: string): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-pin-"));
  try {
    fs.copyFileSync(path.join(dir, COMMON_FILE), path.join(scratch, COMMON_FILE));
    fs.writeFileSync(path.join(scratch, `${settings.env}.tfvars`), text);
    const edited = await loadSettings(settings.env, { environmentsDir: scratch, onWarning: () => undefined }).catch((e: Error) => {
      throw new UserError(`${shown}: the pinned file would not load (${e.message}); the file is unchanged`);
    });
    const now = new Map(pinnableImages(edited).map((i) => [i.key, i]));
    images.forEach((image, i) => {
      const got = now.get(image.key);
      if (got?.digest !== digests[i] || got.reference !== image.reference) {
        throw new UserError(`${shown}: after the edit ${image.key} reads ${got ? `${got.reference}@${got.digest}` : "nothing"}, not ${image.reference}@${digests[i]}; the file is unchanged`);
      }
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
