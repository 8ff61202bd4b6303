/**
 * Terraform tier: every layer of every environment is applied under `terraform test` with a mocked
 * AWS provider, in dependency order, each layer's remote-state inputs being the literal outputs of
 * the upstream layers' mocked runs. Assertions check the wiring between layers (subnets, security
 * groups, VPC, roles, bucket, listener, namespace). A renamed upstream output fails the chain.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listEnvironments, type Settings } from "../settings";
import { albName, clusterName, executionRoleName } from "../settings/names";
import { LAYER_OUTPUTS, LAYER_READS, LAYERS, stackId, type LayerId } from "../stacks/contract";
import {
  dependencyOrder,
  errorsOf,
  MOCK_EPHEMERAL_VALUE,
  mockedResources,
  prepareWorkingCopy,
  runTestFile,
  testFile,
  TYPE_MOCKS,
  wiringAssertions,
  type MockContext,
  type MockRun,
  type Outputs,
  type Substitution,
} from "./support/mock-apply";
import { shipped } from "./support/settings";
import { synthToDisk, type StackJson } from "./support/synth";
import { offlineTerraform, skipWithoutTerraform, startSharedProvider, type SharedProvider, type Terraform } from "./support/terraform";

const skip = skipWithoutTerraform("mock-apply tier");
const ENVS = listEnvironments();
/** The environment the negative runs use. */
const NEGATIVE_ENV = ENVS.includes("prod") ? "prod" : ENVS[0];

interface LayerResult {
  run?: MockRun;
  /** Why the layer did not run (an upstream layer failed, or its copy did not init). */
  blocked?: string;
  substitution?: Substitution;
  json?: StackJson;
}

const contextOf = (s: Settings, layer: LayerId): MockContext => ({
  account: s.aws.allowed_account_ids[0],
  region: s.aws.region,
  stack: stackId(s.env, layer),
});

describe.skipIf(skip)("GIVEN every environment's seven layers mock-applied in dependency order", () => {
  let work: string;
  let tf: Terraform;
  let provider: SharedProvider | undefined;
  const settings = new Map<string, Settings>();
  const results = new Map<string, LayerResult>();
  let renamed: MockRun | undefined;
  let swapped: MockRun | undefined;
  const workDir = (stack: string) => path.join(work, "mock", stack);

  /** One environment's chain: each layer waits for the layers it reads. */
  async function chain(s: Settings, outdir: string): Promise<void> {
    const captured: Partial<Record<LayerId, Outputs>> = {};
    for (const layer of dependencyOrder()) {
      const id = stackId(s.env, layer);
      const failedUpstream = LAYER_READS[layer].filter((l) => !captured[l]);
      if (failedUpstream.length > 0) {
        results.set(id, { blocked: `not run: upstream ${failedUpstream.join(", ")} produced no outputs` });
        continue;
      }
      const { json, substitution, init } = await prepareWorkingCopy(tf, path.join(outdir, "stacks", id), workDir(id));
      if (init.code !== 0) {
        results.set(id, { blocked: `terraform init failed:\n${init.stdout}\n${init.stderr}`, substitution, json });
        continue;
      }
      const upstream = Object.fromEntries(LAYER_READS[layer].map((l) => [l, captured[l]!])) as Partial<Record<LayerId, Outputs>>;
      const text = testFile({ stack: json, layer, context: contextOf(s, layer), upstream, assertions: wiringAssertions(layer, json, s, upstream) });
      const run = await runTestFile(tf, workDir(id), `${layer}.tftest.hcl`, text);
      results.set(id, { run, substitution, json });
      if (run.ok && run.outputs) captured[layer] = run.outputs;
    }
  }

  /** 20-security fed 10-network's outputs with vpc_id renamed; its assertions are the real ones. */
  async function renamedOutputRun(env: string): Promise<MockRun | undefined> {
    const network = results.get(stackId(env, "10-network"))?.run?.outputs;
    const security = results.get(stackId(env, "20-security"))?.json;
    if (!network || !security) return undefined;
    const { vpc_id, ...rest } = network;
    const text = testFile({
      stack: security,
      layer: "20-security",
      context: contextOf(settings.get(env)!, "20-security"),
      upstream: { "10-network": { ...rest, network_vpc_id: vpc_id } },
      // The reference fails while planning; no need to apply and tear down.
      command: "plan",
      assertions: wiringAssertions("20-security", security, settings.get(env)!, { "10-network": network }),
    });
    return runTestFile(tf, workDir(stackId(env, "20-security")), "renamed-network-output.tftest.hcl", text, {}, { state: false });
  }

  /** 50-loadbalancer fed 10-network's outputs with the public and private subnet lists swapped. */
  async function swappedSubnetsRun(env: string): Promise<MockRun | undefined> {
    const network = results.get(stackId(env, "10-network"))?.run?.outputs;
    const security = results.get(stackId(env, "20-security"))?.run?.outputs;
    const lb = results.get(stackId(env, "50-loadbalancer"))?.json;
    if (!network || !security || !lb) return undefined;
    const upstream = { "10-network": network, "20-security": security };
    const text = testFile({
      stack: lb,
      layer: "50-loadbalancer",
      context: contextOf(settings.get(env)!, "50-loadbalancer"),
      upstream: { ...upstream, "10-network": { ...network, public_subnet_ids: network.private_subnet_ids, private_subnet_ids: network.public_subnet_ids } },
      // The ALB's subnets come from remote state, so they are known (and asserted) at plan time.
      command: "plan",
      // A plan: only the ALB's own placement is asserted (the TLS assertions read the certificate's
      // validation and the ALB's DNS name, which are known after apply).
      assertions: wiringAssertions("50-loadbalancer", lb, settings.get(env)!, upstream).filter((a) => a.message.startsWith("ALB ")),
    });
    return runTestFile(tf, workDir(stackId(env, "50-loadbalancer")), "swapped-subnets.tftest.hcl", text, {}, { state: false });
  }

  beforeAll(async () => {
    const started = Date.now();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-mock-apply-"));
    const outdir = path.join(work, "out");
    // Every init and `terraform test` attaches to one provider process (test/support/terraform.ts).
    [provider] = await Promise.all([startSharedProvider(), synthToDisk(outdir)]);
    tf = offlineTerraform(work, provider);
    for (const env of ENVS) settings.set(env, await shipped(env));
    // The environments' chains are independent: run them side by side (two cores).
    await Promise.all(ENVS.map((env) => chain(settings.get(env)!, outdir)));
    // Two runs that must fail, side by side: a renamed upstream output, and swapped subnet lists.
    [renamed, swapped] = await Promise.all([renamedOutputRun(NEGATIVE_ENV), swappedSubnetsRun(NEGATIVE_ENV)]);
    const applied = [...results.values()].filter((r) => r.run?.ok).length;
    const timing = [...results.entries()].map(([id, r]) => `${id} ${r.run ? `${r.run.seconds.toFixed(1)}s` : "not run"}`).join(", ");
    console.log(`mock-apply tier: mock-applied ${applied} of ${results.size} stacks in ${((Date.now() - started) / 1000).toFixed(0)}s (${timing})`);
  });

  afterAll(() => {
    provider?.stop();
    // LGTM_KEEP_MOCK_APPLY=1 keeps the working copies and their .tftest.hcl files for a look.
    if (process.env.LGTM_KEEP_MOCK_APPLY === "1") console.log(`mock-apply working copies kept in ${work}`);
    else if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("WHEN the chains ran THEN every stack of every environment was mock-applied", () => {
    const expected = ENVS.flatMap((env) => LAYERS.map((layer) => stackId(env, layer))).sort();
    expect([...results.keys()].sort()).toEqual(expected);
    expect([...results.entries()].filter(([, r]) => !r.run?.ok).map(([id]) => id)).toEqual([]);
  });

  describe.each(ENVS)("GIVEN the %s environment", (env) => {
    it.each(dependencyOrder())("WHEN %s is mock-applied with its upstream layers' outputs THEN it applies and its wiring assertions hold", (layer) => {
      const r = results.get(stackId(env, layer));
      expect(r, `no result for ${stackId(env, layer)}`).toBeDefined();
      expect(r!.blocked, r!.blocked).toBeUndefined();
      expect(errorsOf(r!.run!), r!.run!.log).toEqual([]);
      expect(r!.run!.ok, r!.run!.log).toBe(true);
      // Every resource of the stack was created (mocked) in the run's final state.
      const declared = Object.entries(r!.json!.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`));
      expect(r!.run!.addresses.filter((a) => !a.startsWith("data.")).sort()).toEqual(declared.sort());
      // terraform test destroys what it applied: exactly the prevent_destroy resources must refuse.
      const protectedOnes = Object.entries(r!.json!.resource ?? {}).flatMap(([type, byName]) =>
        Object.entries(byName).filter(([, c]) => (c as { lifecycle?: { prevent_destroy?: boolean } }).lifecycle?.prevent_destroy === true).map(([n]) => `${type}.${n}`),
      );
      expect(r!.run!.teardownRefused).toEqual(protectedOnes.sort());
    });

    it.each(dependencyOrder())("WHEN %s has been mock-applied THEN its outputs are exactly its contract, with no unknown or empty value", (layer) => {
      const outputs = results.get(stackId(env, layer))?.run?.outputs;
      expect(outputs, `no outputs for ${stackId(env, layer)}`).toBeDefined();
      expect(Object.keys(outputs!).sort()).toEqual(Object.keys(LAYER_OUTPUTS[layer]).sort());
      for (const [name, value] of Object.entries(outputs!)) {
        expect(value, name).not.toBeNull();
        // Some outputs are documented as "empty when" a feature is off; every other one has a value.
        const mayBeEmpty = /empty when/.test((LAYER_OUTPUTS[layer] as Record<string, { description: string }>)[name]?.description ?? "");
        if (!mayBeEmpty) expect(JSON.stringify(value), name).not.toMatch(/""|\[\]|\{\}/);
      }
    });

    it.each(dependencyOrder())("WHEN the mock values of %s are checked against the provider's schema THEN each one sets a computed attribute", (layer) => {
      const r = results.get(stackId(env, layer));
      expect(r?.run, `${layer} did not run`).toBeDefined();
      const upstream = Object.fromEntries(LAYER_READS[layer].map((l) => [l, results.get(stackId(env, l))?.run?.outputs ?? {}]));
      const context = contextOf(settings.get(env)!, layer);
      for (const [address, values] of mockedResources(r!.json!, context, upstream)) {
        const type = address.split(".")[0];
        const keys = [...Object.keys(TYPE_MOCKS[type].shared?.(context) ?? {}), ...Object.keys(values)];
        const computed = r!.run!.computed[type];
        expect(computed, `no schema for ${type}`).toBeDefined();
        expect(keys.filter((k) => !computed.includes(k)), address).toEqual([]);
      }
    });

    it("WHEN the wiring assertions are counted THEN every layer that reads another layer asserts something", () => {
      for (const layer of LAYERS) {
        const r = results.get(stackId(env, layer));
        if (LAYER_READS[layer].length > 0) expect(r?.run?.assertions ?? 0, layer).toBeGreaterThan(0);
      }
    });

    it("WHEN the mocked outputs are read THEN the names settings give reach the published ARNs through each layer's resources and outputs", () => {
      // The mock only echoes a resource's configured name into its ARN; which name each resource
      // gets, and that the output publishes that resource's ARN, is the code under test.
      const s = settings.get(env)!;
      const out = (layer: LayerId) => results.get(stackId(env, layer))?.run?.outputs ?? {};
      expect(out("30-storage").data_bucket_arn).toBe(`arn:aws:s3:::${s.storage.data_bucket_name}`);
      expect(out("40-iam").task_execution_role_arn).toMatch(new RegExp(`:role/${executionRoleName(s)}$`));
      expect(out("50-loadbalancer").alb_arn).toContain(`:loadbalancer/app/${albName(s)}/`);
      expect(out("60-ecs").cluster_arn).toMatch(new RegExp(`:cluster/${clusterName(s)}$`));
    });

    it("WHEN 40-iam is copied for the mock THEN only the ephemeral block and the references to it differ from the synthesized JSON", () => {
      const r = results.get(stackId(env, "40-iam"));
      expect(r?.substitution, "40-iam was not prepared").toBeDefined();
      // Grafana's admin password and each tenant's gateway passwords, write and read (issues 18, 26).
      expect([...r!.substitution!.changed].sort()).toEqual(
        [
          "ephemeral",
          "resource.aws_secretsmanager_secret_version.grafana_admin_password_version.secret_string_wo",
          ...["jsj_lgtm_header", "aws_rag_ec2"].flatMap((t) => ["write", "read"].map((role) => `resource.aws_secretsmanager_secret_version.gateway_${t}_${role}_version.secret_string_wo`)),
          // The self-monitoring tenant's read password: Grafana's self-monitoring datasource (issue 26).
          "resource.aws_secretsmanager_secret_version.gateway_meta_read_version.secret_string_wo",
        ].sort(),
      );
      expect(r!.json!.resource!.aws_secretsmanager_secret_version.grafana_admin_password_version.secret_string_wo).toBe(MOCK_EPHEMERAL_VALUE);
      for (const layer of LAYERS.filter((l) => l !== "40-iam")) expect(results.get(stackId(env, layer))?.substitution?.changed, layer).toEqual([]);
    });
  });

  it("WHEN 10-network's vpc_id output is renamed to network_vpc_id THEN 20-security's mock apply fails naming the missing attribute", () => {
    expect(renamed, "the chain did not get that far").toBeDefined();
    expect(renamed!.ok).toBe(false);
    const errors = errorsOf(renamed!).join("\n");
    expect(errors).toMatch(/Unsupported attribute/);
    expect(errors).toMatch(/does not have an attribute named "vpc_id"/);
  });

  it("WHEN 50-loadbalancer is fed the private subnets as public ones THEN its wiring assertion fails (the assertions bite)", () => {
    expect(swapped, "the chain did not get that far").toBeDefined();
    expect(swapped!.ok).toBe(false);
    expect(swapped!.status).toBe("fail");
    expect(errorsOf(swapped!)).toEqual(["Test assertion failed: ALB public_alb is in the network layer's public subnets"]);
  });
});
