/**
 * A local stand-in for public container registries (Docker Hub, public.ecr.aws), for the tests of
 * `npm run pin-images`: no real registry is reachable offline, so this is the network's test double.
 * It speaks the part of the Registry HTTP API v2 the command uses, as the real ones do:
 * - `HEAD|GET /v2/<repository>/manifests/<tag>` without a token: 401 and
 *   `WWW-Authenticate: Bearer realm="<this server>/token",service="...",scope="repository:<repo>:pull"`;
 * - `GET /token?service=...&scope=repository:<repo>:pull`: `{"token": ...}` valid for that repository;
 * - with the token: 200, the manifest's media type and `Docker-Content-Digest: sha256:<hex of the
 *   body>` (left out for repositories listed in `noDigestHeader`, so the client must GET and hash),
 *   or 404 `MANIFEST_UNKNOWN` for an image it does not hold.
 * Every request is recorded (method, path, Accept, Authorization).
 */
import { createHash } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly accept?: string;
  readonly authorization?: string;
}

export interface FakeRegistry {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** The digest the registry answers for `repository:tag` (sha256 of the manifest it serves). */
  digestOf(repository: string, tag: string): string;
  close(): Promise<void>;
}

/** A multi-platform image index, as Docker Hub serves for grafana/* and library images. */
function manifestOf(repository: string, tag: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: ["amd64", "arm64"].map((arch) => ({
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: `sha256:${createHash("sha256").update(`${repository}:${tag}/${arch}`).digest("hex")}`,
      size: 1234,
      platform: { architecture: arch, os: "linux" },
    })),
  });
}

/** Serves `images` (`repository:tag`, e.g. `grafana/loki:3.7.6`, `library/busybox:1.37.0`). */
export async function startFakeRegistry(images: readonly string[], options: { noDigestHeader?: readonly string[] } = {}): Promise<FakeRegistry> {
  const held = new Set(images);
  const requests: RecordedRequest[] = [];
  const tokenOf = (repository: string) => `token-${createHash("sha256").update(repository).digest("hex").slice(0, 12)}`;
  let url = "";
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? "/", url);
    requests.push({ method: req.method ?? "", path: `${u.pathname}${u.search}`, accept: req.headers.accept, authorization: req.headers.authorization });
    if (u.pathname === "/token") {
      const scope = /^repository:(.+):pull$/.exec(u.searchParams.get("scope") ?? "");
      if (!scope || u.searchParams.get("service") !== "fake-registry") {
        res.writeHead(400, { "Content-Type": "application/json" }).end(JSON.stringify({ errors: [{ code: "DENIED" }] }));
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ token: tokenOf(scope[1]), expires_in: 300 }));
      return;
    }
    const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(u.pathname);
    if (!m || (req.method !== "HEAD" && req.method !== "GET")) {
      res.writeHead(404).end();
      return;
    }
    const [, repository, tag] = m;
    if (req.headers.authorization !== `Bearer ${tokenOf(repository)}`) {
      res
        .writeHead(401, {
          "Content-Type": "application/json",
          "WWW-Authenticate": `Bearer realm="${url}/token",service="fake-registry",scope="repository:${repository}:pull"`,
        })
        .end(req.method === "GET" ? JSON.stringify({ errors: [{ code: "UNAUTHORIZED" }] }) : undefined);
      return;
    }
    if (!held.has(`${repository}:${tag}`)) {
      res.writeHead(404, { "Content-Type": "application/json" }).end(req.method === "GET" ? JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN" }] }) : undefined);
      return;
    }
    const body = manifestOf(repository, tag);
    const headers: Record<string, string> = { "Content-Type": "application/vnd.oci.image.index.v1+json", "Content-Length": String(Buffer.byteLength(body)) };
    if (!options.noDigestHeader?.includes(repository)) headers["Docker-Content-Digest"] = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    res.writeHead(200, headers).end(req.method === "GET" ? body : undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    digestOf: (repository, tag) => `sha256:${createHash("sha256").update(manifestOf(repository, tag)).digest("hex")}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
