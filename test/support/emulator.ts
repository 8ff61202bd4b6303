/**
 * Points a synthesized stack at the AWS API emulator (test/support/moto.ts) without editing its
 * generated cdk.tf.json: terraform merges `*_override.tf.json` files placed beside it over the
 * configuration (https://developer.hashicorp.com/terraform/language/files/override). One file per
 * stack, `emulator_override.tf.json`, holding:
 *
 * - the `aws` provider's `endpoints` for every service the stacks call, and path-style S3 addressing
 *   (bucket names are not DNS names of 127.0.0.1). Nothing else of the provider block changes:
 *   region, `allowed_account_ids` (checked against the emulator's STS) and `default_tags` stay;
 * - the S3 backend with the same bucket, key, region, encryption and lockfile, plus the endpoints;
 * - each `terraform_remote_state`'s config, the same plus the endpoints (an override replaces a
 *   data source's `config` argument whole, so the generated one is copied first).
 *
 * Terraform and the provider trust the emulator's test CA through SSL_CERT_FILE (`emulatorEnv`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { MotoFixtures, TestCa } from "./moto";

/** The provider's endpoint keys of every AWS service the stacks call (resources and data sources). */
export const EMULATED_SERVICES = [
  "acm",
  "cloudwatch",
  "ec2",
  "ecr",
  "ecs",
  "efs",
  "elb",
  "elbv2",
  "events",
  "iam",
  "kms",
  "logs",
  "route53",
  "s3",
  "secretsmanager",
  "servicediscovery",
  "sns",
  "sts",
  "wafv2",
] as const;

export const OVERRIDE_FILE = "emulator_override.tf.json";

interface StackJson {
  terraform?: { backend?: Record<string, Record<string, unknown>> };
  provider?: { aws?: Record<string, unknown>[] };
  data?: { terraform_remote_state?: Record<string, { backend: string; config: Record<string, unknown> }> };
}

/** Writes the stack's override file; returns what it overrides, for assertions. */
export function writeEmulatorOverrides(stackDir: string, endpoint: string): { backend?: string; remoteStates: string[] } {
  const stack = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as StackJson;
  const s3Endpoints = { s3: endpoint, sts: endpoint };
  const override: Record<string, unknown> = {
    provider: {
      aws: (stack.provider?.aws ?? [{}]).map((p) => ({
        ...(p.alias ? { alias: p.alias } : {}),
        endpoints: [Object.fromEntries(EMULATED_SERVICES.map((s) => [s, endpoint]))],
        s3_use_path_style: true,
        skip_metadata_api_check: "true",
        // Fail fast: a call the emulator refuses is not going to pass on the 25th try.
        max_retries: 2,
      })),
    },
  };
  const backend = stack.terraform?.backend?.s3;
  if (backend) override.terraform = { backend: { s3: { ...backend, endpoints: s3Endpoints, use_path_style: true } } };
  const remote = stack.data?.terraform_remote_state ?? {};
  if (Object.keys(remote).length > 0) {
    override.data = {
      terraform_remote_state: Object.fromEntries(
        Object.entries(remote).map(([name, rs]) => {
          if (rs.backend !== "s3") throw new Error(`${stackDir}: terraform_remote_state.${name} reads a ${rs.backend} backend; the emulator tier knows s3 only`);
          return [name, { backend: "s3", config: { ...rs.config, endpoints: s3Endpoints, use_path_style: true } }];
        }),
      ),
    };
  }
  fs.writeFileSync(path.join(stackDir, OVERRIDE_FILE), `${JSON.stringify(override, null, 2)}\n`);
  return { backend: backend ? "s3" : undefined, remoteStates: Object.keys(remote) };
}

/** Environment for terraform (and the project's commands) talking to the emulator. */
export function emulatorEnv(ca: TestCa, region: string): NodeJS.ProcessEnv {
  return {
    // Go (terraform, the provider) reads the trusted roots from here: only the test CA. Nothing else
    // may add or replace roots: AWS_CA_BUNDLE (the provider's and the SDK's own bundle setting) and
    // SSL_CERT_DIR are unset (undefined is dropped by child_process).
    SSL_CERT_FILE: ca.caFile,
    SSL_CERT_DIR: undefined,
    AWS_CA_BUNDLE: undefined,
    AWS_ACCESS_KEY_ID: "AKIAEMULATORTEST0001",
    AWS_SECRET_ACCESS_KEY: "emulator-test-secret",
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    // Go's garbage collector runs when the heap has grown by GOGC percent since the last collection
    // (default 100). The provider keeps the whole AWS schema live (hundreds of MB), so each terraform
    // command's schema exchange and every resource call make it scan that heap again and again: at
    // 400, measured on dev's first three layers, the provider used 21 s of CPU instead of 33 s and
    // terraform 10 s instead of 13 s, for a few hundred MB more memory. It changes no result. (GOGC=off
    // was slower: 81 s, the heap grew without bound.)
    GOGC: "400",
  };
}

/**
 * What must exist in the account before the first apply, read from the synthesized stacks: the
 * objects their `import` blocks take over (settings `adopt`: the data bucket, ECR repositories).
 */
export function importedObjects(stackDirs: readonly string[]): Required<Pick<MotoFixtures, "s3_buckets" | "ecr_repositories">> {
  const fixtures = { s3_buckets: [] as string[], ecr_repositories: [] as string[] };
  for (const dir of stackDirs) {
    const stack = JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")) as { import?: { to: string; id: string }[] };
    for (const { to, id } of stack.import ?? []) {
      const type = to.split(".")[0];
      if (type === "aws_s3_bucket") fixtures.s3_buckets.push(id);
      else if (type === "aws_ecr_repository") fixtures.ecr_repositories.push(id);
      else throw new Error(`${dir}: import of ${to}: the emulator tier cannot make a ${type} to import yet (test/support/moto/serve.py fixtures)`);
    }
  }
  return fixtures;
}
