/**
 * Bad inputs a new user writes (issue 15): each gets one clear problem line in this project's own
 * words (file, key, what was expected, what was found, shortened when long), never zod's wording.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AWS_REGIONS } from "../settings/aws-rules";
import { scanHcl } from "../settings/hcl-scan";
import { report } from "../commands/cli";
import { loadEnvironments, run, USAGE } from "../commands/synth";
import { envFileWith, loadError, overrideError, shippedFile, tempEnvironments } from "./support/settings";
import { findProviderMirror, AWS_PROVIDER_VERSION } from "./support/terraform";
import { MUTATION_RUN } from "./support/mutation";

const common = () => shippedFile("common.tfvars");
const prodFile = () => shippedFile("prod.tfvars");

describe("GIVEN a value AWS or the backends would refuse or misread", () => {
  // Each case: the change, and the exact problem line the user sees.
  const cases: [string, Record<string, unknown>, string][] = [
    ["a retention longer than a Go duration holds", { services: { loki: { retention_days: 1_000_000 } } }, `environments/prod.tfvars: services.loki.retention_days: expected at most 106751 days: the components hold retention as a Go duration, which ends at about 292 years, got 1000000`],
    ["a stream retention longer than a Go duration holds", { loki: { retention_streams: [{ selector: '{level="info"}', days: 200_000 }] } }, `environments/prod.tfvars: loki.retention_streams[0].days: expected at most 106751 days: the components hold retention as a Go duration, which ends at about 292 years, got 200000`],
    ["a region that does not exist", { aws: { region: "ap-northeast-9" } }, `environments/prod.tfvars: aws.region: "ap-northeast-9" is not an AWS region hashicorp/aws 5.100.0 knows; did you mean "ap-northeast-1"? (expected a region such as "ap-northeast-2")`],
    ["a state bucket region that does not exist", { state_backend: { region: "mars-north-1" } }, `environments/prod.tfvars: state_backend.region: "mars-north-1" is not an AWS region hashicorp/aws 5.100.0 knows; did you mean "cn-north-1"? (expected a region such as "ap-northeast-2")`],
    ["tenant id ..", { tenant_id: ".." }, `environments/prod.tfvars: tenant_id: tenant id ".." is refused by Mimir, Loki, Tempo and Pyroscope (it would be a path segment in the bucket); expected a name such as "lgtm"`],
    ["tenant id .", { tenant_id: "." }, `environments/prod.tfvars: tenant_id: tenant id "." is refused by Mimir, Loki, Tempo and Pyroscope (it would be a path segment in the bucket); expected a name such as "lgtm"`],
    ["a tenant id over 150 characters", { tenant_id: "t".repeat(151) }, `environments/prod.tfvars: tenant_id: expected a tenant id of 1-150 letters, digits and !_.*'()- (Mimir, Loki, Tempo and Pyroscope refuse others; no '/' or '|'), got "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttt… (151 characters)`],
    ["an ssl_policy ELB does not have", { load_balancer: { ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021" } }, `environments/prod.tfvars: load_balancer.ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021" is not an ELB security policy; did you mean "ELBSecurityPolicy-TLS13-1-2-2021-06"? (expected one of ELB's predefined policies, such as "ELBSecurityPolicy-TLS13-1-2-2021-06")`],
    ["a tag key with AWS's reserved prefix", { tags: { "AWS:owner": "me" } }, `environments/prod.tfvars: tags["AWS:owner"]: tag key "AWS:owner" starts with "aws:", which AWS reserves for its own tags`],
    ["a tag key over 128 characters", { tags: { ["k".repeat(129)]: "v" } }, `environments/prod.tfvars: tags["kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk…"]: tag key "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk… (129 characters) is 129 characters; AWS tag keys are 1-128`],
    ["a tag key with a character AWS refuses", { tags: { "cost#center": "x" } }, `environments/prod.tfvars: tags["cost#center"]: tag key "cost#center" has characters AWS does not allow in tag keys (letters, digits, spaces and _ . : / = + - @)`],
    ["an empty tag key", { tags: { "": "x" } }, `environments/prod.tfvars: tags[""]: tag key "" is 0 characters; AWS tag keys are 1-128`],
    ["a tag value over 256 characters", { tags: { Team: "v".repeat(257) } }, `environments/prod.tfvars: tags.Team: expected a tag value of at most 256 characters, got "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv… (257 characters)`],
    // zod's own words never reach the user:
    ["tags that are not a map (zod: expected record)", { tags: "team" }, `environments/prod.tfvars: tags: expected a map such as { name = "value" }, got "team"`],
    ["a number below a minimum without its own message (zod: Too small)", { load_balancer: { idle_timeout_seconds: 0 } }, `environments/prod.tfvars: load_balancer.idle_timeout_seconds: expected at least 1, got 0`],
    ["a CIDR name a rule refuses (zod: Invalid key in record)", { load_balancer: { ui_allowed_cidrs: { "my office!": "203.0.113.0/24" } } }, `environments/prod.tfvars: load_balancer.ui_allowed_cidrs["my office!"]: expected a CIDR name of letters, digits, '_', '.' or '-', got key "my office!"`],
    ["an enum value without its own message", { ecs: { container_insights: "on" } }, `environments/prod.tfvars: ecs.container_insights: expected "enabled" or "enhanced" or "disabled", got "on"`],
    ["a flag that is not true or false", { storage: { force_destroy: "yes" } }, `environments/prod.tfvars: storage.force_destroy: expected true or false, got "yes"`],
    // long values are shortened:
    ["a 1 MB value", { project: "x".repeat(1_000_000) }, `environments/prod.tfvars: project: expected 2-16 lowercase letters, digits or '-', starting with a letter, got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (1000000 characters)`],
  ];

  it.each(cases)("WHEN it has %s THEN loading fails with exactly one clear line", async (_what, override, expected) => {
    const message = await overrideError(override as never);
    expect(message).toBe(`invalid settings (1 problem):\n  ${expected}`);
    expect(message).not.toMatch(/Invalid input|Too small|Too big|expected record|Invalid key in record|received /);
  });

  it("WHEN a 1 MB value is refused THEN the message stays short", async () => {
    const message = await overrideError({ project: "x".repeat(1_000_000) });
    expect(message.length).toBeLessThan(300);
  });

  it("WHEN the region is one the provider knows THEN it loads", async () => {
    const message = await overrideError({ aws: { region: "eu-central-1" }, network: { availability_zones: ["eu-central-1a", "eu-central-1b", "eu-central-1c"] } });
    expect(message).toBe("");
  });

  it.skipIf(MUTATION_RUN)("WHEN the provider mirror is present THEN the region list is the provider's", () => {
    const mirror = findProviderMirror();
    if (!mirror) return; // terraform-validate reports the missing mirror loudly
    const dir = path.join(mirror, `registry.terraform.io/hashicorp/aws/${AWS_PROVIDER_VERSION}`, `${process.platform}_${process.arch === "x64" ? "amd64" : process.arch}`);
    const binary = path.join(dir, fs.readdirSync(dir).find((f) => f.startsWith("terraform-provider-aws"))!);
    const r = spawnSync("grep", ["-aoE", `\\b(af|ap|ca|cn|eu|il|me|mx|sa|us)(-gov|-iso|-isob|-isof|-isoe)?-(north|south|east|west|central|northeast|southeast|northwest|southwest)-[0-9]\\b`, binary], { encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: "C" } });
    const inBinary = [...new Set(r.stdout.split("\n").filter(Boolean))].sort();
    expect(inBinary).toEqual([...AWS_REGIONS].sort());
  });
});

describe("GIVEN a settings file the HCL parser reads without complaint", () => {
  it("WHEN a key is written twice in one object THEN the error names the key and both lines", async () => {
    const message = await loadError({ "common.tfvars": common(), "prod.tfvars": `${prodFile()}\nlogs = {\n  retention_days = 7\n  # later, someone adds\n  "retention_days" = 14\n}\n` });
    const line = prodFile().split("\n").length + 2;
    expect(message).toBe(`invalid settings (1 problem):\n  environments/prod.tfvars: logs.retention_days: is written twice in one object (lines ${line} and ${line + 2}); only the last value would count, so keep one`);
  });

  it("WHEN a key is written twice in a block inside a list THEN the path names the element", async () => {
    const message = await loadError({ "common.tfvars": common(), "prod.tfvars": `${prodFile()}\nloki = { retention_streams = [{ selector = "{a=\\"b\\"}", days = 1 }, { selector = "{level=\\"x\\"}", days = 2, days = 3 }] }\n` });
    expect(message).toContain("environments/prod.tfvars: loki.retention_streams[1].days: is written twice in one object");
  });

  it("WHEN the same key is in two sibling objects, a string, a comment or a heredoc THEN nothing is reported", () => {
    const source = `# cpu = 1 cpu = 2\na = { cpu = 1 }\nb = { cpu = 1, x = [{ cpu = 1 }, { cpu = 2 }] }\nc = {\n  note = "cpu = 1, cpu = 2 { \\" }"\n  /* cpu = 3 */ text = <<EOT\ncpu = 1\n}\nEOT\n  cpu = 4\n}\n`;
    expect(scanHcl(source)).toEqual([]);
    expect(scanHcl(source.replace("cpu = 4", "cpu = 4, note = 5"))).toEqual([{ key: "c.note", message: "is written twice in one object (lines 5 and 10); only the last value would count, so keep one" }]);
  });

  it("WHEN a number is too large to represent THEN the error says so instead of `got null`", async () => {
    const message = await loadError({ "common.tfvars": common().replace("memberlist_port = 7946", "memberlist_port = 1e400"), "prod.tfvars": prodFile() });
    expect(message).toBe("invalid settings (1 problem):\n  environments/common.tfvars: memberlist_port: 1e400 is too large a number to represent");
  });

  it("WHEN a whole number is beyond 2^53 THEN the error says it cannot be kept exactly", async () => {
    const message = await loadError({ "common.tfvars": common(), "prod.tfvars": `${prodFile()}\nlogs = { retention_days = 123456789012345678901234567890 }\n` });
    expect(message).toBe("invalid settings (1 problem):\n  environments/prod.tfvars: logs.retention_days: 12345678901234567890… (30 digits) is too large a whole number to represent exactly (the largest is 9007199254740991)");
  });
});

describe("GIVEN a broken environments folder", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  const folder = (files: Record<string, string>) => {
    const t = tempEnvironments(files);
    cleanups.push(t.cleanup);
    return t;
  };

  it("WHEN common.tfvars is missing THEN one line names it", async () => {
    const message = await loadError({ "prod.tfvars": prodFile() });
    expect(message).toBe("invalid settings (1 problem):\n  environments/common.tfvars: no such file; every environment's settings start from it (the keys all environments share), with prod.tfvars on top");
  });

  it("WHEN an environment file is a symlink loop THEN the error says so, not 'did you mean'", async () => {
    const t = folder({ "common.tfvars": common() });
    fs.symlinkSync(path.join(t.dir, "prod.tfvars"), path.join(t.dir, "prod.tfvars.loop"));
    fs.symlinkSync(path.join(t.dir, "prod.tfvars.loop"), path.join(t.dir, "prod.tfvars"));
    const message = await loadEnvironments(["prod"], t.dir).then(() => "", (e: Error) => e.message);
    expect(message).toContain(`prod.tfvars: is a symbolic link that loops back on itself (or through too many links)`);
    expect(message).not.toContain("did you mean");
  });

  it("WHEN a problem is in common.tfvars THEN it is reported once, naming the environments it affects", async () => {
    const t = folder({ "common.tfvars": common().replace("memberlist_port = 7946", "memberlist_port = 0"), "prod.tfvars": prodFile(), "dev.tfvars": shippedFile("dev.tfvars") });
    const message = await loadEnvironments(undefined, t.dir).then(() => "", (e: Error) => e.message);
    expect(message).toBe(`invalid settings (1 problem):\n  ${path.relative(process.cwd(), path.join(t.dir, "common.tfvars"))}: memberlist_port: expected a port number (1-65535), got 0 (affects environments dev, prod)`);
  });

  it("WHEN only one environment inherits the bad common value THEN only that one is named", async () => {
    const t = folder({
      "common.tfvars": common().replace("memberlist_port = 7946", "memberlist_port = 0"),
      "prod.tfvars": await envFileWith("prod", { memberlist_port: 7946 }),
      "dev.tfvars": shippedFile("dev.tfvars"),
    });
    const message = await loadEnvironments(undefined, t.dir).then(() => "", (e: Error) => e.message);
    expect(message).toContain("memberlist_port: expected a port number (1-65535), got 0 (affects environment dev)");
  });
});

describe("GIVEN the synth command line", () => {
  /** Runs `synth <argv>` in-process as main.ts would and returns its exit code and stderr. */
  async function synthCommand(argv: string[]): Promise<{ code: number; stderr: string }> {
    const errors: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(" ")));
    try {
      return { code: await report(USAGE, () => run(argv)), stderr: errors.join("\n") };
    } finally {
      spy.mockRestore();
    }
  }

  it("WHEN --environments points at a file THEN it exits 1 with one line and no stack trace", async () => {
    const t = tempEnvironments({ "common.tfvars": common() });
    try {
      const file = path.join(t.dir, "common.tfvars");
      const r = await synthCommand(["--environments", file, "--out", path.join(t.root, "out")]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`invalid settings (1 problem):\n  ${file}: is a file; expected a folder of common.tfvars and <env>.tfvars files (--environments)`);
    } finally {
      t.cleanup();
    }
  });

  it("WHEN --environments does not exist THEN it exits 1 naming it", async () => {
    const r = await synthCommand(["--environments", "/nonexistent/lgtm-envs"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("invalid settings (1 problem):\n  /nonexistent/lgtm-envs: no such folder (--environments)");
  });

  it("WHEN a flag is unknown THEN it exits 2 with the usage, without synthesizing", async () => {
    const r = await synthCommand(["--evn", "prod"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--evn'");
    expect(r.stderr).toContain(USAGE);
  });
});
