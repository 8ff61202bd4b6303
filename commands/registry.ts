/**
 * Resolves an image tag to its digest through the OCI Distribution (Docker Registry HTTP API v2):
 * `HEAD /v2/<repository>/manifests/<tag>` with every manifest media type in `Accept`, so a
 * multi-architecture image answers with its index's digest (what ECS resolves per platform), and
 * the anonymous bearer-token dance registries ask for (`401` + `WWW-Authenticate: Bearer realm=...,
 * service=..., scope=...`, then the token endpoint), as Docker Hub, ghcr.io and public.ecr.aws do.
 * A registry that answers HEAD without `Docker-Content-Digest` is asked with GET, and the digest is
 * the SHA-256 of the manifest's bytes.
 *
 * No credentials are ever sent: only public images can be pinned here (the images this project
 * runs are all public). `endpoints` maps a registry host to another base URL (a mirror, or a local
 * registry in tests).
 */
import { createHash } from "node:crypto";

/** Media types of the manifests a tag can name: OCI and Docker, index (multi-platform) and single. */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** Docker Hub's registry host; `grafana/loki` and `busybox` (library/) live there. */
export const DOCKER_HUB = "registry-1.docker.io";

export interface ImageName {
  /** Registry host, e.g. `registry-1.docker.io`, `public.ecr.aws`. */
  readonly registry: string;
  /** Repository path in the registry, e.g. `grafana/loki`, `library/busybox`. */
  readonly repository: string;
  readonly tag: string;
}

/** `grafana/loki:3.7.6`, `busybox:1.37.0`, `public.ecr.aws/nginx/nginx:1.28.0` → registry, repository, tag. */
export function parseImage(reference: string): ImageName {
  const noDigest = reference.split("@")[0];
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  if (colon <= slash) throw new RegistryError(`${reference}: no tag; expected repository:tag`);
  const name = noDigest.slice(0, colon);
  const tag = noDigest.slice(colon + 1);
  const [first, ...rest] = name.split("/");
  const hasHost = rest.length > 0 && /[.:]/.test(first);
  if (!hasHost) return { registry: DOCKER_HUB, repository: rest.length === 0 ? `library/${first}` : name, tag };
  const registry = first === "docker.io" || first === "index.docker.io" ? DOCKER_HUB : first;
  const repository = rest.join("/");
  return { registry, repository: registry === DOCKER_HUB && rest.length === 1 ? `library/${repository}` : repository, tag };
}

export class RegistryError extends Error {}

export interface ResolveOptions {
  /** Registry host → base URL (`http://127.0.0.1:5000`); others are `https://<host>`. */
  readonly endpoints?: ReadonlyMap<string, string>;
  /** Milliseconds per request. @default 20000 */
  readonly timeoutMs?: number;
}

/** `Bearer realm="...",service="...",scope="..."` → its parameters. */
function bearerChallenge(header: string | null): Record<string, string> | undefined {
  if (!header || !/^Bearer\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/([A-Za-z]+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
  return params.realm ? params : undefined;
}

/** The digest `image` (`repository:tag`) names now, `sha256:<64 hex>`. */
export async function resolveDigest(reference: string, options: ResolveOptions = {}): Promise<string> {
  const image = parseImage(reference);
  const base = (options.endpoints?.get(image.registry) ?? `https://${image.registry}`).replace(/\/+$/, "");
  const url = `${base}/v2/${image.repository}/manifests/${encodeURIComponent(image.tag)}`;
  const timeout = options.timeoutMs ?? 20_000;
  const call = async (method: "HEAD" | "GET", target: string, headers: Record<string, string>) => {
    try {
      return await fetch(target, { method, headers, redirect: "follow", signal: AbortSignal.timeout(timeout) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new RegistryError(`${reference}: ${image.registry} cannot be reached (${cause?.code ?? cause?.message ?? (e as Error).message})`);
    }
  };
  const headers: Record<string, string> = { Accept: MANIFEST_ACCEPT };
  let response = await call("HEAD", url, headers);
  if (response.status === 401) {
    const challenge = bearerChallenge(response.headers.get("www-authenticate"));
    if (!challenge) throw new RegistryError(`${reference}: ${image.registry} asks for credentials this command does not send (only public images can be pinned)`);
    const realm = new URL(challenge.realm);
    // A token endpoint over plain HTTP only where the registry itself was named over HTTP (a local one).
    if (realm.protocol !== "https:" && !base.startsWith("http:")) throw new RegistryError(`${reference}: ${image.registry} names a token endpoint that is not HTTPS (${challenge.realm})`);
    if (challenge.service) realm.searchParams.set("service", challenge.service);
    realm.searchParams.set("scope", challenge.scope ?? `repository:${image.repository}:pull`);
    const tokenResponse = await call("GET", realm.toString(), {});
    if (!tokenResponse.ok) throw new RegistryError(`${reference}: ${image.registry}'s token endpoint answered ${tokenResponse.status}`);
    const body = (await tokenResponse.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`${reference}: ${image.registry}'s token endpoint returned no token`);
    headers.Authorization = `Bearer ${token}`;
    response = await call("HEAD", url, headers);
  }
  if (response.status === 404) throw new RegistryError(`${reference}: ${image.registry} has no ${image.repository}:${image.tag} (404 manifest unknown); check the image and version`);
  if (response.status === 401 || response.status === 403) throw new RegistryError(`${reference}: ${image.registry} refused an anonymous pull (${response.status}); only public images can be pinned`);
  if (response.status === 429) throw new RegistryError(`${reference}: ${image.registry} rate-limits this address (429); try again later`);
  if (!response.ok) throw new RegistryError(`${reference}: ${image.registry} answered ${response.status} for the manifest`);
  let digest = response.headers.get("docker-content-digest") ?? undefined;
  if (digest === undefined) {
    const get = await call("GET", url, headers);
    if (!get.ok) throw new RegistryError(`${reference}: ${image.registry} answered ${get.status} for the manifest`);
    digest = `sha256:${createHash("sha256").update(Buffer.from(await get.arrayBuffer())).digest("hex")}`;
  }
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new RegistryError(`${reference}: ${image.registry} returned a digest that is not sha256:<64 hex> (${JSON.stringify(digest)})`);
  return digest;
}
