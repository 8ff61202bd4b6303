/**
 * The system tier's object store: s3rver over HTTPS on the bridge address, with a test CA and a
 * certificate for the region's real S3 endpoint names (`s3.<region>.amazonaws.com` and
 * `*.s3.<region>.amazonaws.com`, made with openssl at test time), which the tier's DNS answers
 * with the bridge address: the rendered configs keep their endpoint untouched. Over TLS the Go SDKs
 * send plain (not aws-chunked) bodies, which s3rver stores as they are; over plain HTTP it would
 * store minio-go's streaming-signed bodies verbatim (`chunk-signature` inside every object).
 *
 * Tasks trust the CA through SSL_CERT_FILE and authenticate with s3rver's own test keys (the
 * stand-in for the task role).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { runDir } from "./components";
import type { RunLedger } from "./ledger";

// s3rver ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require("s3rver") as new (options: Record<string, unknown>) => {
  middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[];
  run(): Promise<unknown>;
  close(): Promise<void>;
};

interface KoaContext {
  method: string;
  req: NodeJS.ReadableStream & { headers: Record<string, string | string[] | undefined> };
}

/**
 * Decodes an aws-chunked body (`<hex size>[;chunk-signature=...]\r\n<data>\r\n ... 0...\r\n`
 * followed by optional trailers such as `x-amz-checksum-crc32:...`) into its payload.
 */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let off = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", off);
    if (eol < 0) throw new Error(`aws-chunked body: no chunk header at byte ${off}`);
    const size = parseInt(body.subarray(off, eol).toString("latin1").split(";")[0], 16);
    if (!Number.isFinite(size)) throw new Error(`aws-chunked body: bad chunk size at byte ${off}`);
    off = eol + 2;
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(off, off + size));
    off += size + 2;
  }
}

/**
 * s3rver stores a request body as it arrives. The AWS SDKs send aws-chunked bodies (streaming
 * signatures over plain HTTP; since 2025 the Go SDK v2 also over TLS, with a trailing checksum),
 * which S3 decodes before storing: this middleware does the same for PutObject and UploadPart, so
 * the stored object is the payload.
 */
async function decodeStreamingUploads(ctx: KoaContext, next: () => Promise<void>): Promise<void> {
  const h = ctx.req.headers;
  const sha = String(h["x-amz-content-sha256"] ?? "");
  const encoding = String(h["content-encoding"] ?? "");
  if (ctx.method === "PUT" && (sha.startsWith("STREAMING-") || /(^|,)\s*aws-chunked\s*(,|$)/.test(encoding))) {
    const chunks: Buffer[] = [];
    for await (const c of ctx.req) chunks.push(Buffer.from(c as Buffer));
    const payload = decodeAwsChunked(Buffer.concat(chunks));
    const rest = encoding
      .split(",")
      .map((e) => e.trim())
      .filter((e) => e && e !== "aws-chunked");
    if (rest.length > 0) h["content-encoding"] = rest.join(",");
    else delete h["content-encoding"];
    h["content-length"] = String(payload.length);
    delete h["x-amz-decoded-content-length"];
    const stream = Readable.from([payload]) as unknown as KoaContext["req"];
    stream.headers = h;
    ctx.req = stream;
  }
  await next();
}

export interface SystemS3 {
  /** The CA certificate file (world-readable) the tasks trust. */
  readonly caFile: string;
  /** Where s3rver keeps the objects: `<dir>/<bucket>/<key>._S3rver_object`. */
  readonly directory: string;
  readonly env: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string };
  /** Every stored key of a bucket under a prefix, with its content. */
  objects(bucket: string, prefix: string): { key: string; file: string }[];
  stop(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`);
}

/** A CA and a server certificate for `names`, in a world-readable folder. */
function makeCertificates(dir: string, names: readonly string[]): { ca: string; key: string; cert: string } {
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=lgtm system-tier test CA", "-keyout", "ca.key", "-out", "ca.pem"], dir);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${names[0]}`, "-keyout", "server.key", "-out", "server.csr"], dir);
  fs.writeFileSync(path.join(dir, "san.ext"), `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\nextendedKeyUsage=serverAuth\n`);
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem"], dir);
  fs.chmodSync(path.join(dir, "ca.pem"), 0o644);
  return { ca: path.join(dir, "ca.pem"), key: path.join(dir, "server.key"), cert: path.join(dir, "server.pem") };
}

/**
 * The regional S3 endpoint names the SDKs use: the rendered `s3.<region>.amazonaws.com`, and its
 * dual-stack twin, which Mimir's minio-go client switches to for AWS endpoints (`dualstack_enabled`
 * defaults to true). Buckets are addressed as subdomains of either.
 */
export function s3EndpointNames(region: string): string[] {
  return [`s3.${region}.amazonaws.com`, `s3.dualstack.${region}.amazonaws.com`];
}

interface ListedObject {
  key: string;
}
interface ListingStore {
  listObjects(
    bucket: string,
    options: { delimiter?: string; startAfter?: string; prefix?: string; maxKeys?: number },
  ): Promise<{ objects: ListedObject[]; commonPrefixes: string[]; isTruncated: boolean }>;
}

/**
 * s3rver 3.7's file store prunes every folder two or more levels below the prefix when a delimiter
 * is given, so `prefix=blocks/&delimiter=/` over `blocks/<tenant>/<block>/meta.json` lists nothing
 * (no common prefix `blocks/<tenant>/`): Mimir's compactor then discovers no tenant and never
 * writes a bucket index. This lists without the delimiter and folds the keys into common prefixes
 * as S3 does (keys and prefixes in one sorted sequence, max-keys counting both).
 */
function fixDelimitedListing(server: { store: ListingStore }): void {
  const store = server.store;
  const original = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    const { delimiter = "", prefix = "", startAfter = "", maxKeys = Infinity } = options;
    if (!delimiter) return original(bucket, options);
    const all = await original(bucket, { prefix, startAfter: "", maxKeys: Infinity });
    const entries = new Map<string, ListedObject | undefined>();
    for (const o of all.objects) {
      const idx = o.key.slice(prefix.length).indexOf(delimiter);
      if (idx < 0) entries.set(o.key, o);
      else entries.set(o.key.slice(0, prefix.length + idx + delimiter.length), undefined);
    }
    const sorted = [...entries.keys()].filter((k) => k > startAfter).sort();
    const page = sorted.slice(0, maxKeys);
    return {
      objects: page.map((k) => entries.get(k)).filter((o): o is ListedObject => o !== undefined),
      commonPrefixes: page.filter((k) => entries.get(k) === undefined),
      isTruncated: sorted.length > page.length,
    };
  };
}

export async function startSystemS3(opts: { address: string; region: string; buckets: readonly string[]; ledger: RunLedger }): Promise<SystemS3> {
  const root = runDir("s3");
  opts.ledger.dir(root);
  const tls = path.join(root, "tls");
  fs.mkdirSync(tls, { mode: 0o755 });
  const certs = makeCertificates(tls, s3EndpointNames(opts.region).flatMap((n) => [n, `*.${n}`]));
  const directory = path.join(root, "objects");
  const server = new S3rver({
    address: opts.address,
    port: 443,
    silent: true,
    directory,
    key: fs.readFileSync(certs.key),
    cert: fs.readFileSync(certs.cert),
    configureBuckets: opts.buckets.map((name) => ({ name })),
  });
  server.middleware.unshift(decodeStreamingUploads);
  fixDelimitedListing(server as unknown as { store: ListingStore });
  await server.run();
  return {
    caFile: certs.ca,
    directory,
    env: { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" },
    objects(bucket, prefix) {
      const base = path.join(directory, bucket);
      const out: { key: string; file: string }[] = [];
      const walk = (dir: string) => {
        if (!fs.existsSync(dir)) return;
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const p = path.join(dir, e.name);
          if (e.isDirectory()) walk(p);
          else if (e.name.endsWith("._S3rver_object")) out.push({ key: path.relative(base, p).slice(0, -"._S3rver_object".length), file: p });
        }
      };
      walk(path.join(base, prefix));
      return out;
    },
    async stop() {
      await server.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
