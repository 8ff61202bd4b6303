/**
 * policy/index.ts around the rules: reading a synth output folder, matching waivers to findings
 * (literal characters in addresses, globs, containers), and the texts synth prints. The rules
 * themselves are test/policy.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkPolicy, CODE_WAIVERS, evaluatePolicy, formatPolicySummary, formatViolations, readSynthesizedStacks, RULES, settingsWaivers, type SynthesizedStack } from "../policy";
import type { Settings } from "../settings";
import { goodContainer, stackOf, taskWith } from "./support/policy";
import { shipped } from "./support/settings";

const unencrypted = (name: string, id = "prod-30-storage"): SynthesizedStack => stackOf({ aws_efs_file_system: { [name]: { encrypted: false } } }, id);

async function withWaiver(resources: string[] | undefined, control = "EFS.1"): Promise<Settings> {
  const prod = await shipped("prod");
  return { ...prod, accept_risks: { ...prod.accept_risks, waivers: { [control]: { reason: "a reason long enough to read", resources } } } } as Settings;
}

describe("GIVEN a synth output folder", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-policy-read-"));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it("WHEN read THEN every stack's cdk.tf.json comes back under its folder's name, sorted", () => {
    for (const id of ["prod-60-ecs", "dev-10-network", "prod-10-network"]) {
      fs.mkdirSync(path.join(out, "stacks", id), { recursive: true });
      fs.writeFileSync(path.join(out, "stacks", id, "cdk.tf.json"), JSON.stringify({ resource: { x: { [id]: {} } } }));
    }
    const stacks = readSynthesizedStacks(out);
    expect(stacks.map((s) => s.id)).toEqual(["dev-10-network", "prod-10-network", "prod-60-ecs"]);
    expect(stacks[2].json).toEqual({ resource: { x: { "prod-60-ecs": {} } } });
  });
});

describe("GIVEN waivers matched against findings", () => {
  it("WHEN a waiver names addresses with brackets, quotes, dots, plus signs or parentheses THEN they match only themselves", async () => {
    const stack = stackOf({ aws_efs_file_system: { 'a["x"]': { encrypted: false }, "a+b(1)": { encrypted: false }, aab1: { encrypted: false } } }, "prod-30-storage");
    const report = evaluatePolicy([stack], [await withWaiver(['aws_efs_file_system.a["x"]', "aws_efs_file_system.a+b(1)*"])]);
    expect(report.waived.map((w) => w.address).sort()).toEqual(['aws_efs_file_system.a+b(1)', 'aws_efs_file_system.a["x"]']);
    expect(report.violations.map((v) => v.address)).toEqual(["aws_efs_file_system.aab1"]);
    const dotted = evaluatePolicy([unencrypted("fs")], [await withWaiver(["aws_efs_file_system?fs", "aws_efs_file_systemXfs*"])]);
    expect(dotted.violations).toHaveLength(1);
  });

  it("WHEN a waiver is another control's, or another environment's THEN it covers nothing and is reported unused", async () => {
    const other = await withWaiver(["aws_efs_file_system.fs"], "ECS.5");
    const report = evaluatePolicy([unencrypted("fs")], [other]);
    expect(report.violations).toHaveLength(1);
    expect(report.unusedWaivers.map((u) => `${u.env} ${u.control}`)).toEqual(["prod ECS.5"]);
    const dev = evaluatePolicy([unencrypted("fs", "dev-30-storage")], [await withWaiver(["aws_efs_file_system.fs"])]);
    expect(dev.violations.map((v) => v.env)).toEqual(["dev"]);
    expect(formatPolicySummary(dev)).toContain('  warning: prod settings, accept_risks.waivers."EFS.1" matched nothing in prod; remove it');
  });

  it("WHEN one waiver covers findings in two stacks THEN the summary prints it once per environment with every address once, sorted by control", async () => {
    const s = await withWaiver(undefined);
    const report = evaluatePolicy([unencrypted("b"), unencrypted("a"), { ...unencrypted("a"), id: "prod-31-extra" }], [s]);
    expect(report.waived).toHaveLength(3);
    expect(settingsWaivers(s)).toEqual([{ control: "EFS.1", reason: "a reason long enough to read", resources: undefined, source: 'prod settings, accept_risks.waivers."EFS.1"' }]);
    const lines = formatPolicySummary(report).split("\n");
    expect(lines[0]).toBe(`policy: ${RULES.length} rules (${RULES.map((r) => r.id).join(", ")}) on 3 stacks: 0 violations, 3 waived`);
    expect(lines.slice(1)).toEqual(['  waived EFS.1 in prod (prod settings, accept_risks.waivers."EFS.1"): aws_efs_file_system.b, aws_efs_file_system.a: a reason long enough to read']);
  });

  it("WHEN waivers of several controls, sources and environments apply THEN the summary has one line for each, sorted", async () => {
    // GIVEN prod waiving EFS.1 and ELB.1 in its settings, and dev waiving EFS.1 with another reason
    const prod = await shipped("prod");
    const waiving = (s: Settings, env: string, reason: string): Settings =>
      ({ ...s, env, accept_risks: { ...s.accept_risks, waivers: { "EFS.1": { reason }, "ELB.1": { reason: `${reason} (listener)` } } } }) as Settings;
    const envs = [waiving(prod, "prod", "prod reason, long enough"), waiving(prod, "dev", "dev reason, long enough")];
    const listener = { aws_lb_listener: { http: { protocol: "HTTP", port: 80, default_action: [{ type: "forward" }] } } };
    const secrets = { aws_secretsmanager_secret: { grafana_admin_password_secret: {}, gateway_acme_secret: {} } };
    const stack = (id: string) => stackOf({ ...listener, ...secrets, aws_efs_file_system: { fs: { encrypted: false } } }, id);
    // WHEN the pack runs over a stack of each, the later environment first
    const report = evaluatePolicy([stack("prod-30-storage"), stack("dev-30-storage")], envs);
    // THEN nothing is violated and each (environment, control, source, reason) is one line, in that
    // order (code points: Grafana's reason, capitalised, before the gateway's)
    expect(report.violations).toEqual([]);
    const lines = formatPolicySummary(report).split("\n").slice(1);
    const code = "policy/code-waivers.ts";
    const reasons = (id: string) => CODE_WAIVERS.filter((w) => w.control === id).map((w) => w.reason);
    const [grafana, gateway] = reasons("SecretsManager.1");
    expect(lines).toEqual(
      [
        '  waived EFS.1 in dev (dev settings, accept_risks.waivers."EFS.1"): aws_efs_file_system.fs: dev reason, long enough',
        '  waived ELB.1 in dev (dev settings, accept_risks.waivers."ELB.1"): aws_lb_listener.http: dev reason, long enough (listener)',
        `  waived SecretsManager.1 in dev (${code}): aws_secretsmanager_secret.grafana_admin_password_secret: ${grafana}`,
        `  waived SecretsManager.1 in dev (${code}): aws_secretsmanager_secret.gateway_acme_secret: ${gateway}`,
        '  waived EFS.1 in prod (prod settings, accept_risks.waivers."EFS.1"): aws_efs_file_system.fs: prod reason, long enough',
        '  waived ELB.1 in prod (prod settings, accept_risks.waivers."ELB.1"): aws_lb_listener.http: prod reason, long enough (listener)',
        `  waived SecretsManager.1 in prod (${code}): aws_secretsmanager_secret.grafana_admin_password_secret: ${grafana}`,
        `  waived SecretsManager.1 in prod (${code}): aws_secretsmanager_secret.gateway_acme_secret: ${gateway}`,
      ],
    );
  });

  it("WHEN one environment's name begins another's THEN each stack takes the waivers of its own environment only", async () => {
    // GIVEN "prod" waiving EFS.1 and "prod2" waiving nothing, "prod" listed first
    const prod = await withWaiver(undefined);
    const prod2 = { ...prod, env: "prod2", accept_risks: { ...prod.accept_risks, waivers: {} } } as Settings;
    // WHEN the same unencrypted file system is in a stack of each
    const report = evaluatePolicy([unencrypted("fs", "prod2-30-storage"), unencrypted("fs", "prod-30-storage")], [prod, prod2]);
    // THEN prod2's is a violation of prod2, prod's is waived for prod
    expect(report.violations.map((v) => `${v.env} ${v.stack}`)).toEqual(["prod2 prod2-30-storage"]);
    expect(report.waived.map((w) => `${w.env} ${w.stack}`)).toEqual(["prod prod-30-storage"]);
    // and a later environment's stack is matched to it, not to the first one listed
    const dev = evaluatePolicy([unencrypted("fs", "dev-30-storage")], [prod, { ...prod, env: "dev" } as Settings]);
    expect(dev.waived.map((w) => `${w.env} ${w.waiver.source}`)).toEqual(['dev dev settings, accept_risks.waivers."EFS.1"']);
  });

  it("WHEN a waiver's resource list is empty THEN it covers every finding of its control, as one without a list", async () => {
    const report = evaluatePolicy([unencrypted("a"), unencrypted("b", "prod-31-extra")], [await withWaiver([])]);
    expect(report.violations).toEqual([]);
    expect(report.waived.map((w) => w.address)).toEqual(["aws_efs_file_system.a", "aws_efs_file_system.b"]);
  });

  it("WHEN a waiver names one container THEN the summary lists it as address#container, and two violations are plural", async () => {
    const stack = { ...taskWith(goodContainer({ name: "config", user: "0" })), id: "prod-60-ecs" };
    const report = evaluatePolicy([stack], [await withWaiver(["aws_ecs_task_definition.app_task_definition#config"], "ECS.20")]);
    expect(formatPolicySummary(report).split("\n").slice(1)).toEqual([
      '  waived ECS.20 in prod (prod settings, accept_risks.waivers."ECS.20"): aws_ecs_task_definition.app_task_definition#config: a reason long enough to read',
    ]);
    expect(formatViolations(evaluatePolicy([unencrypted("a"), unencrypted("b")], [])).split("\n")[0]).toBe("policy check failed (2 violations):");
  });

  it("WHEN a violation concerns no container THEN its line names the stack and address without parentheses; one violation is singular", () => {
    const text = formatViolations(evaluatePolicy([unencrypted("fs")], []));
    expect(text.split("\n")).toEqual([
      "policy check failed (1 violation):",
      `  prod-30-storage: aws_efs_file_system.fs: EFS.1 ${RULES.find((r) => r.id === "EFS.1")!.title}: encrypted is not true (Grafana's database holds users, API keys and sessions); fix: modules/efs-file-system (always on), or waive it in accept_risks.waivers."EFS.1" with a reason`,
    ]);
    const waived = evaluatePolicy([{ ...taskWith(goodContainer({ name: "config", user: "0" })), id: "prod-60-ecs" }], []);
    expect(waived.violations.map((v) => v.part)).toEqual(["config"]);
    expect(formatViolations(waived)).toContain("prod-60-ecs: aws_ecs_task_definition.app_task_definition (config): ECS.20 ");
  });
});

describe("GIVEN the rules' remaining edge cases (from the mutation run)", () => {
  const ids = (stack: SynthesizedStack, id: string) => evaluatePolicy([stack], []).violations.filter((v) => v.rule.id === id);
  const iam = (policy: string) => stackOf({ aws_iam_role_policy: { p: { policy } } });

  it("WHEN a stack has no resource block THEN no rule reports anything", () => {
    expect(evaluatePolicy([{ id: "prod-10-network", json: { data: { aws_partition: { current: {} } } } }], []).violations).toEqual([]);
  });

  it("WHEN three resources violate THEN they are reported in address order", () => {
    const stack = stackOf({ aws_efs_file_system: { b: {}, c: {}, a: {}, d: {} } });
    expect(ids(stack, "EFS.1").map((v) => v.address)).toEqual(["a", "b", "c", "d"].map((n) => `aws_efs_file_system.${n}`));
  });

  it("WHEN a companion's reference has text after it THEN it is no reference to the bucket", () => {
    const stack = stackOf({ aws_s3_bucket: { b: {} }, aws_s3_bucket_logging: { l: { bucket: "${aws_s3_bucket.b.id}-suffix" } } });
    expect(ids(stack, "S3.9")).toHaveLength(1);
  });

  it("WHEN one of two JSON statements allows * THEN IAM.1 reports it", () => {
    const doc = { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }, { Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };
    expect(ids(iam(JSON.stringify(doc)), "IAM.1")).toHaveLength(1);
  });

  it("WHEN a jsonencode() list has * before other actions THEN IAM.1 reads the whole list", () => {
    const hcl = (statement: string) => iam(`\${jsonencode({"Statement" = [${statement}]})}`);
    expect(ids(hcl('{"Effect" = "Allow", "Action" = ["*", "s3:GetObject"], "Resource" = "*"}'), "IAM.1")).toHaveLength(1);
  });

  it("WHEN an HTTP listener's redirect action has no redirect block THEN ELB.1 reports it, and ELB.17 never judges an HTTP listener", () => {
    const stack = stackOf({ aws_lb_listener: { http: { protocol: "HTTP", port: 80, default_action: [{ type: "redirect" }] } } });
    expect(ids(stack, "ELB.1")).toHaveLength(1);
    expect(ids(stack, "ELB.17")).toEqual([]);
  });

  it("WHEN image_tag_mutability is absent THEN ECR.2 says it is MUTABLE, the provider's default", () => {
    const stack = stackOf({ aws_ecr_repository: { r: { name: "r" } }, aws_ecr_lifecycle_policy: { l: { repository: "${aws_ecr_repository.r.name}" } } });
    expect(ids(stack, "ECR.2").map((v) => v.detail)).toEqual(['image_tag_mutability is "MUTABLE"']);
  });

  it("WHEN synth is refused THEN the error is a PolicyError by name, and checkPolicy returns the report when nothing is violated", () => {
    expect(() => checkPolicy([unencrypted("fs")], [])).toThrow(expect.objectContaining({ name: "PolicyError" }));
    expect(checkPolicy([stackOf({ aws_efs_file_system: { fs: { encrypted: true } } })], []).violations).toEqual([]);
  });
});
