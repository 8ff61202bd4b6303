/**
 * A project folder the real cdktf CLI (node_modules/.bin/cdktf) runs in, as a user runs it, offline:
 *
 * - `cdktf.json`: the repository's own, with only its app command's `bin/lgtm.cjs` made absolute and
 *   `--environments <dir>` added (the app reads the settings next to the bundle otherwise);
 * - `environments/`: the shipped common.tfvars and every shipped `<env>.tfvars`; with `stateServer`
 *   (the default), `env`'s `state_backend` pointed at s3rver on 127.0.0.1 (test/support/s3-server.ts)
 *   and an STS stand-in for the provider's GetCallerIdentity (test/support/sts-stub.ts); without,
 *   the shipped settings (an emulator tier points the stacks elsewhere with override files);
 * - `env`: what a user offline sets (docs/deploying-with-cdktf.md): the mirror CLI config of the
 *   terraform tiers (TF_CLI_CONFIG_FILE, test/support/terraform.ts), CHECKPOINT_DISABLE=1, and
 *   `TF_CLI_ARGS_providers_lock=-fs-mirror=<mirror>`; plus the server's credentials and a dead
 *   HTTPS proxy (127.0.0.1:9, loopback exempt), so any request to the internet (the registry,
 *   AWS) fails at once instead of hanging, and is seen.
 *
 * The cdktf CLI's own start-up is slow (about 2-3 s of node before it runs the app): tests share one
 * project and run as few CLI commands as they can.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { loadSettings, listEnvironments } from "../../settings";
import { ROOT, spawnAsync, type Exit } from "./cli";
import { startS3Server, type S3Server } from "./s3-server";
import { envFileWith, shippedFile } from "./settings";
import { startStsStub, type StsStub } from "./sts-stub";
import { findProviderMirror, findTerraform, offlineTerraform, type Terraform } from "./terraform";

export const CDKTF = path.join(ROOT, "node_modules", ".bin", "cdktf");

export interface CdktfRun extends Exit {
  /** Wall time of the command, in milliseconds. */
  readonly ms: number;
  /** stdout and stderr without the CLI's spinner and cursor control sequences. */
  readonly text: { readonly stdout: string; readonly stderr: string };
}

export interface CdktfProject {
  /** The project folder (cdktf.json, environments/, cdktf.out/, 00-bootstrap's local state). */
  readonly dir: string;
  readonly out: string;
  /** With `stateServer` only. */
  readonly server?: S3Server;
  readonly sts?: StsStub;
  readonly terraform: Terraform;
  /** What every command here runs with (see the header). */
  readonly env: NodeJS.ProcessEnv;
  /** The app command cdktf.json runs, which `npm run synth` runs too. */
  readonly app: string;
  /** `node_modules/.bin/cdktf <args>` in the project folder. */
  cdktf(args: readonly string[], extraEnv?: NodeJS.ProcessEnv): Promise<CdktfRun>;
  /** `npm run synth -- <args>` in the project folder: the same command line as cdktf.json's app. */
  synth(args?: readonly string[], extraEnv?: NodeJS.ProcessEnv): Promise<CdktfRun>;
  /** terraform with `env` (the server's credentials), without blocking this process, which serves s3rver. */
  terraformAsync(cwd: string, args: readonly string[]): Promise<Exit>;
  stackDir(stack: string): string;
  objectUrl(key: string): string;
  stop(): Promise<void>;
}

export async function startCdktfProject(options: { env: string; prefix: string; stateServer?: boolean; extraEnv?: NodeJS.ProcessEnv }): Promise<CdktfProject> {
  const mirror = findProviderMirror();
  if (!mirror) throw new Error("no provider mirror (skipWithoutTerraform first)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${options.prefix}-`));
  const settings = await loadSettings(options.env);
  const bucket = settings.state_backend.bucket;
  const withServer = options.stateServer !== false;
  const server = withServer ? await startS3Server([bucket]) : undefined;
  const sts = withServer ? await startStsStub(settings.aws.allowed_account_ids[0]) : undefined;

  const environments = path.join(dir, "environments");
  fs.mkdirSync(environments);
  fs.writeFileSync(path.join(environments, "common.tfvars"), shippedFile("common.tfvars"));
  for (const env of listEnvironments()) {
    const text = server && env === options.env ? await envFileWith(env, { state_backend: { bucket, endpoint: server.endpoint, use_path_style: true } }) : shippedFile(`${env}.tfvars`);
    fs.writeFileSync(path.join(environments, `${env}.tfvars`), text);
  }

  const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, "cdktf.json"), "utf8")) as { app: string };
  if (!shipped.app.includes(" bin/lgtm.cjs synth")) throw new Error(`cdktf.json's app is not the launcher's synth: ${shipped.app}`);
  const app = `${shipped.app.replace(" bin/lgtm.cjs ", ` ${JSON.stringify(path.join(ROOT, "bin", "lgtm.cjs"))} `)} --environments ${JSON.stringify(environments)}`;
  fs.writeFileSync(path.join(dir, "cdktf.json"), JSON.stringify({ ...shipped, app }, null, 2));

  const terraform = offlineTerraform(path.join(dir, ".terraform-cli"));
  const env: NodeJS.ProcessEnv = {
    ...terraform.env,
    ...server?.env,
    TF_CLI_ARGS_providers_lock: `-fs-mirror=${mirror}`,
    // The cdktf CLI points TF_PLUGIN_CACHE_DIR at ~/.terraform.d/plugin-cache unless it is set: this
    // project's own, never one shared with suites running beside it (see offlineTerraform).
    TF_PLUGIN_CACHE_DIR: path.join(dir, ".terraform-plugin-cache"),
    HTTPS_PROXY: "http://127.0.0.1:9",
    HTTP_PROXY: "http://127.0.0.1:9",
    NO_PROXY: "127.0.0.1,localhost",
    AWS_EC2_METADATA_DISABLED: "true",
    LGTM_TERRAFORM: findTerraform(),
    FORCE_COLOR: "0",
    ...options.extraEnv,
  };
  delete env.LGTM_ENV;
  delete env.CDKTF_OUTDIR;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const timed = async (command: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv) => {
    const start = performance.now();
    const r = await spawnAsync(command, args, { cwd: dir, env: { ...env, ...extraEnv } });
    const text = { stdout: stripVTControlCharacters(r.stdout), stderr: stripVTControlCharacters(r.stderr) };
    return { ...r, text, ms: Math.round(performance.now() - start) };
  };
  return {
    dir,
    out: path.join(dir, "cdktf.out"),
    server,
    sts,
    terraform,
    env,
    app,
    cdktf: (args, extraEnv = {}) => timed(CDKTF, args, extraEnv),
    synth: (args = [], extraEnv = {}) => timed("/bin/sh", ["-c", `${app} ${args.map((a) => JSON.stringify(a)).join(" ")}`], extraEnv),
    terraformAsync: (cwd, args) => spawnAsync(findTerraform()!, [args[0], "-no-color", ...args.slice(1)], { cwd, env }),
    stackDir: (stack) => path.join(dir, "cdktf.out", "stacks", stack),
    objectUrl: (key) => `${server?.endpoint}/${bucket}/${key}`,
    async stop() {
      await server?.stop();
      await sts?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
