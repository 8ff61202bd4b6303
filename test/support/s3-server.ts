/**
 * An S3-compatible server on 127.0.0.1 for tests (s3rver), started and stopped by the test itself.
 *
 * s3rver predates S3 conditional writes (2024), which Terraform's S3-native state locking
 * (`use_lockfile`) relies on: the lock is a PutObject with `If-None-Match: *` that must fail when a
 * lock object exists. s3rver ignores the header, so a second operation would silently take a held
 * lock. The middleware below adds exactly that rule (412 PreconditionFailed), nothing else.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";

// s3rver ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require("s3rver") as new (options: Record<string, unknown>) => S3rverApp;

interface KoaContext {
  method: string;
  path: string;
  status: number;
  type: string;
  body: unknown;
  get(header: string): string;
}
interface S3rverApp {
  middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[];
  store: { existsObject(bucket: string, key: string): Promise<boolean> };
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

export interface S3Server {
  readonly endpoint: string;
  /** Credentials s3rver accepts. */
  readonly env: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string };
  stop(): Promise<void>;
}

const PRECONDITION_FAILED =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
  "<Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>";

/** Starts s3rver on a free loopback port with the given buckets. */
export async function startS3Server(buckets: string[]): Promise<S3Server> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  server.middleware.unshift(async (ctx, next) => {
    if (ctx.method === "PUT" && ctx.get("if-none-match") === "*") {
      const match = /^\/([^/]+)\/(.+)$/.exec(decodeURIComponent(ctx.path));
      if (match && (await server.store.existsObject(match[1], match[2]))) {
        ctx.status = 412;
        ctx.type = "application/xml";
        ctx.body = PRECONDITION_FAILED;
        return;
      }
    }
    await next();
  });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    env: { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" },
    async stop() {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
