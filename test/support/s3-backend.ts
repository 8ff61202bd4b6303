/**
 * One environment synthesized with its state backend on a local S3 server: what the tiers that run
 * the real terraform against a backend (drift, plan-apply, remote-state) each set up the same way.
 *
 * - s3rver on 127.0.0.1 (test/support/s3-server.ts) holding the environment's shipped state bucket;
 * - the shipped settings, loaded through the real loader with only `state_backend` pointed at the
 *   server (endpoint + path-style addressing), synthesized into `<work>/out`;
 * - optionally an STS stand-in (test/support/sts-stub.ts) for the provider's GetCallerIdentity;
 * - `env`: the offline terraform CLI config plus the server's credentials, for terraform and for the
 *   project's commands run as processes (LGTM_TERRAFORM, no EC2 metadata lookups, the region).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { buildApp } from "../../commands/synth";
import { loadSettings, type Settings } from "../../settings";
import { startS3Server, type S3Server } from "./s3-server";
import { envFileWith, shippedFile, tempEnvironments } from "./settings";
import { startStsStub, type StsStub } from "./sts-stub";
import { findTerraform, offlineTerraform, type SharedProvider, type Terraform } from "./terraform";

export interface S3Backend {
  /** Temporary folder of the test, removed by `stop`. */
  readonly work: string;
  /** The synthesized output folder (`<work>/out`). */
  readonly out: string;
  readonly settings: Settings;
  readonly server: S3Server;
  readonly sts?: StsStub;
  /** Environment for terraform and for `node bin/lgtm.cjs <command>` against the server. */
  readonly env: NodeJS.ProcessEnv;
  /** An offline terraform runner whose commands get `env`'s server credentials from the caller. */
  terraform(provider?: SharedProvider): Terraform;
  /** The stack folder of a layer of the environment. */
  stackDir(stack: string): string;
  /** URL of an object in the state bucket. */
  objectUrl(key: string): string;
  stop(): Promise<void>;
}

export async function startS3Backend(options: { env: string; prefix: string; sts?: boolean }): Promise<S3Backend> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `${options.prefix}-`));
  const bucket = (await loadSettings(options.env)).state_backend.bucket;
  const server = await startS3Server([bucket]);
  const t = tempEnvironments({
    "common.tfvars": shippedFile("common.tfvars"),
    [`${options.env}.tfvars`]: await envFileWith(options.env, { state_backend: { bucket, endpoint: server.endpoint, use_path_style: true } }),
  });
  let settings: Settings;
  try {
    settings = await loadSettings(options.env, { environmentsDir: t.dir, displayRoot: t.root });
  } finally {
    t.cleanup();
  }
  const out = path.join(work, "out");
  buildApp(new App({ outdir: out }), [settings]).synth();
  const sts = options.sts ? await startStsStub(settings.aws.allowed_account_ids[0]) : undefined;
  const env: NodeJS.ProcessEnv = {
    ...offlineTerraform(work).env,
    ...server.env,
    LGTM_TERRAFORM: findTerraform(),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_REGION: settings.aws.region,
  };
  return {
    work,
    out,
    settings,
    server,
    sts,
    env,
    terraform: (provider) => offlineTerraform(work, provider),
    stackDir: (stack) => path.join(out, "stacks", stack),
    objectUrl: (key) => `${server.endpoint}/${bucket}/${key}`,
    async stop() {
      await server.stop();
      await sts?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}
