/**
 * Terraform tier: cross-layer state through a real S3 API. An S3-compatible server (s3rver) runs on
 * 127.0.0.1 inside the test; a test environment's state_backend points at it (endpoint +
 * use_path_style); every S3-backed layer runs `terraform init` against it with the backend; the
 * network layer's state is written with its (mock-applied) outputs and the security layer reads them
 * through terraform_remote_state; and the S3 lockfile lock holds against a second operation.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Settings } from "../settings";
import { LAYERS, stackId, stateKey, type LayerId } from "../stacks/contract";
import { errorsOf, inPool, runAsync, runTestFile, testFile, wiringAssertions, type MockRun, type RunResult } from "./support/mock-apply";
import { startS3Backend, type S3Backend } from "./support/s3-backend";
import type { StackJson } from "./support/synth";
import { skipWithoutTerraform, startSharedProvider, terraformVersion, type SharedProvider, type Terraform } from "./support/terraform";

const skip = skipWithoutTerraform("remote state over S3 tier");
const ENV = "prod";
const BACKED = LAYERS.filter((l) => l !== "00-bootstrap");

describe.skipIf(skip)("GIVEN an S3-compatible server on 127.0.0.1 and an environment whose state backend points at it", () => {
  let backend: S3Backend;
  /**
   * Every command attaches to one provider process (test/support/terraform.ts): the inits configure
   * the S3 backend for real but install no provider (the validate tier proves the mirror install),
   * and the mocked runs start none.
   */
  let tf: Terraform;
  let provider: SharedProvider | undefined;
  let settings: Settings;
  const inits = new Map<LayerId, RunResult>();
  const dir = (layer: LayerId) => backend.stackDir(stackId(ENV, layer));
  const json = (layer: LayerId) => JSON.parse(fs.readFileSync(path.join(dir(layer), "cdk.tf.json"), "utf8")) as StackJson;
  const objectUrl = (key: string) => backend.objectUrl(key);
  const context = (layer: LayerId) => ({ account: settings.aws.allowed_account_ids[0], region: settings.aws.region, stack: stackId(ENV, layer) });

  /** 20-security planned under the mock, reading 10-network's state from the server (no override). */
  const planSecurity = (networkOutputs: Record<string, any>) => {
    const security = json("20-security");
    const upstream = { "10-network": networkOutputs };
    return runTestFile(
      tf,
      dir("20-security"),
      "remote-state.tftest.hcl",
      testFile({
        stack: security,
        layer: "20-security",
        context: context("20-security"),
        upstream,
        readRemoteState: ["10-network"],
        command: "plan",
        assertions: [
          { condition: `data.terraform_remote_state.network.outputs.vpc_id == ${JSON.stringify(networkOutputs.vpc_id)}`, message: "the network state read from S3 holds the pushed vpc_id" },
          ...wiringAssertions("20-security", security, settings, upstream),
        ],
      }),
      backend.server.env,
      // Judged by its status and diagnostics: no state printed.
      { state: false },
    );
  };

  let network: MockRun;
  let beforePush: MockRun;

  beforeAll(async () => {
    const started = Date.now();
    // The test environment: the shipped prod settings with the backend pointed at the server.
    [backend, provider] = await Promise.all([startS3Backend({ env: ENV, prefix: "lgtm-remote-state" }), startSharedProvider()]);
    settings = backend.settings;
    tf = backend.terraform(provider);
    const server = backend.server;

    // `terraform init` WITH the backend, against the server, for every S3-backed layer.
    await inPool(BACKED, 2, async (layer) => inits.set(layer, await runAsync(tf, dir(layer), ["init", "-input=false"], backend.server.env)));

    // The network layer's real outputs, from its mocked apply (same harness as the mock-apply tier);
    // meanwhile the control: before any state is written, reading it fails (so a later success is
    // the S3 read). The control never gets to its assertions, so it needs no real outputs.
    [network, beforePush] = await Promise.all([
      runTestFile(
        tf,
        dir("10-network"),
        "10-network.tftest.hcl",
        testFile({ stack: json("10-network"), layer: "10-network", context: context("10-network"), upstream: {}, assertions: [] }),
      ),
      planSecurity({ vpc_id: "vpc-00000000000000000" }),
    ]);
    console.log(`remote state over S3 tier: ${inits.size} stacks initialized against ${server.endpoint} in ${((Date.now() - started) / 1000).toFixed(0)}s`);
  });

  afterAll(async () => {
    provider?.stop();
    await backend?.stop();
  });

  /**
   * A state file holding only the network layer's outputs, as `terraform state push` takes it. The
   * S3 backend gives a new workspace's state its own lineage, so later pushes continue the stored
   * lineage and serial (`terraform state pull`) like any real state change.
   */
  const writeNetworkState = async () => {
    const pulled = await runAsync(tf, dir("10-network"), ["state", "pull"], backend.server.env);
    const current = pulled.code === 0 && pulled.stdout.trim() ? (JSON.parse(pulled.stdout) as { lineage: string; serial: number }) : undefined;
    const outputs = Object.fromEntries(Object.entries(network.outputs!).map(([k, v]) => [k, { value: v, type: network.outputTypes![k] }]));
    const state = {
      version: 4,
      terraform_version: terraformVersion(),
      serial: (current?.serial ?? 0) + 1,
      lineage: current?.lineage ?? "6c2d7a3e-0b9e-4f41-9c55-1b5f0f4f2a10",
      outputs,
      resources: [],
      check_results: null,
    };
    const file = path.join(backend.work, `network-${state.serial}.tfstate`);
    fs.writeFileSync(file, JSON.stringify(state, null, 2));
    return file;
  };

  it("WHEN the stacks are synthesized THEN every S3 backend and remote-state read points at the server with path-style addressing", () => {
    for (const layer of BACKED) {
      const j = json(layer) as StackJson & { terraform: { backend: { s3: Record<string, unknown> } } };
      expect(j.terraform.backend.s3).toMatchObject({ endpoints: { s3: backend.server.endpoint }, use_path_style: true, use_lockfile: true, key: stateKey(ENV, layer) });
      for (const remote of Object.values(j.data?.terraform_remote_state ?? {}) as { config: Record<string, unknown> }[]) {
        expect(remote.config).toMatchObject({ endpoints: { s3: backend.server.endpoint }, use_path_style: true });
      }
    }
  });

  it.each(BACKED)("WHEN %s runs terraform init with its backend THEN it succeeds against the server", (layer) => {
    const r = inits.get(layer);
    expect(r, `${layer} was not initialized`).toBeDefined();
    expect(r!.code, `${r!.stdout}\n${r!.stderr}`).toBe(0);
    expect(r!.stdout).toMatch(/Successfully configured the backend "s3"/);
  });

  it("WHEN no network state exists yet THEN 20-security cannot read it (the read really goes to S3)", () => {
    expect(network.ok, network.log).toBe(true);
    expect(beforePush.ok).toBe(false);
    expect(errorsOf(beforePush).join("\n")).toMatch(/Unable to find remote state/);
  });

  it("WHEN the network layer's outputs are pushed as its state THEN the object is on the server and 20-security reads them through terraform_remote_state", async () => {
    const push = await runAsync(tf, dir("10-network"), ["state", "push", await writeNetworkState()], backend.server.env);
    expect(push.code, push.stdout + push.stderr).toBe(0);

    const stored = await fetch(objectUrl(stateKey(ENV, "10-network")));
    expect(stored.status).toBe(200);
    expect(((await stored.json()) as { outputs: Record<string, { value: unknown }> }).outputs.vpc_id.value).toBe(network.outputs!.vpc_id);
    // Terraform released its own lock after the push.
    expect((await fetch(objectUrl(`${stateKey(ENV, "10-network")}.tflock`))).status).toBe(404);

    const read = await planSecurity(network.outputs!);
    expect(errorsOf(read), read.log).toEqual([]);
    expect(read.ok, read.log).toBe(true);
    expect(read.assertions).toBeGreaterThan(1);
  });

  it("WHEN another operation holds the state lock THEN a second operation fails with Terraform's lock error, and succeeds once the lock is released", async () => {
    const key = stateKey(ENV, "10-network");
    const lockId = "0f6e2c9a-7d51-4b8e-a3c4-5e2f1d9b8a70";
    const lock = {
      ID: lockId,
      Operation: "OperationTypeApply",
      Info: "",
      Who: "someone@elsewhere",
      Version: terraformVersion(),
      Created: "2025-01-01T00:00:00Z",
      Path: `${settings.state_backend.bucket}/${key}`,
    };
    const planted = await fetch(objectUrl(`${key}.tflock`), { method: "PUT", body: JSON.stringify(lock), headers: { "content-type": "application/json" } });
    expect(planted.status).toBe(200);

    const blocked = await runAsync(tf, dir("10-network"), ["state", "push", "-lock-timeout=0s", await writeNetworkState()], backend.server.env);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toMatch(/Error acquiring the state lock/);
    expect(blocked.stderr).toContain(lockId);
    expect(blocked.stderr).toContain("someone@elsewhere");

    const unlock = await runAsync(tf, dir("10-network"), ["force-unlock", "-force", lockId], backend.server.env);
    expect(unlock.code, unlock.stdout + unlock.stderr).toBe(0);
    expect((await fetch(objectUrl(`${key}.tflock`))).status).toBe(404);

    const after = await runAsync(tf, dir("10-network"), ["state", "push", "-lock-timeout=0s", await writeNetworkState()], backend.server.env);
    expect(after.code, after.stdout + after.stderr).toBe(0);
  });
});
