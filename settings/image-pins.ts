/**
 * Which images an environment runs and whether each is pinned by digest: the services'
 * `image:version` with `services.<name>.digest`, the config init container (`ecs.config_init_image`,
 * which also serves as the readiness probe) and the query cache (`cache.image`, when enabled), both
 * written as `repository:tag@sha256:...`.
 *
 * A tag alone can be re-pushed: the same settings would then run different bytes. Synth warns once
 * per unpinned image (commands/synth.ts) and `npm run pin-images` resolves and writes the digests
 * (commands/pin-images.ts). One list, so the warning, the command and the policy pack name the
 * same images by the same keys.
 */
import { SERVICE_NAMES } from "./components";
import { isEnabled } from "./enabled";
import type { Settings } from "./schema";

/** `sha256:<64 lowercase hex>`: the only digest form the settings accept. */
export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** One image an environment runs. */
export interface PinnableImage {
  /** The settings key the digest is written to: `services.loki.digest`, `ecs.config_init_image`, `cache.image`. */
  readonly key: string;
  /** `repository:tag` without any digest. */
  readonly reference: string;
  /** The pinned digest, when the settings carry one. */
  readonly digest?: string;
  /**
   * "digest": the key holds only the digest (`services.<name>.digest`); "reference": the key holds
   * the whole reference, written back as `repository:tag@sha256:...`.
   */
  readonly form: "digest" | "reference";
}

/** `repo:tag@sha256:...` → [`repo:tag`, `sha256:...`]. */
export function splitDigest(reference: string): [string, string | undefined] {
  const at = reference.indexOf("@");
  return at < 0 ? [reference, undefined] : [reference.slice(0, at), reference.slice(at + 1)];
}

/** Every image the environment's tasks run, in catalog order, then the init image, then the cache. */
export function pinnableImages(s: Settings): PinnableImage[] {
  const out: PinnableImage[] = SERVICE_NAMES.filter((n) => isEnabled(s, n)).map((n) => ({
    key: `services.${n}.digest`,
    reference: `${s.services[n].image}:${s.services[n].version}`,
    digest: s.services[n].digest,
    form: "digest" as const,
  }));
  const [init, initDigest] = splitDigest(s.ecs.config_init_image);
  out.push({ key: "ecs.config_init_image", reference: init, digest: initDigest, form: "reference" });
  if (s.cache.enabled) {
    const [cache, cacheDigest] = splitDigest(s.cache.image);
    out.push({ key: "cache.image", reference: cache, digest: cacheDigest, form: "reference" });
  }
  return out;
}

/** The synth warning of each unpinned image: the same text in every environment that shares it. */
export function unpinnedImageWarnings(s: Settings): string[] {
  return pinnableImages(s)
    .filter((i) => i.digest === undefined)
    .map(
      (i) =>
        `${i.key}: ${i.reference} is pinned by tag only: a re-pushed tag would change what runs without a change here; run \`npm run pin-images -- --env <env>\` where the registries are reachable, or write the digest yourself`,
    );
}
