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
import { loadSettings } from "../settings";
import { parseLiteralHcl } from "../settings/hcl-literal";
import { BAD_FILES, REFUSED_VALUES, WINDOWS_PROD } from "./support/bad-settings";
import { envFileWith, loadError, overrideError, shippedFile, tempEnvironments } from "./support/settings";
import { findProviderMirror, AWS_PROVIDER_VERSION } from "./support/terraform";
import { MUTATION_RUN } from "./support/mutation";

const common = () => shippedFile("common.tfvars");
const prodFile = () => shippedFile("prod.tfvars");

describe("GIVEN a value AWS or the backends would refuse or misread", () => {
  // Each case (test/support/bad-settings.ts, also run through the launcher): the exact problem line the user sees.
  it.each(REFUSED_VALUES.map((c) => [c.what, c] as const))("WHEN it has %s THEN loading fails with exactly one clear line", async (_what, c) => {
    const message = await loadError(await c.files());
    expect(message).toBe(c.expected);
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
  // Each case (test/support/bad-settings.ts, also run through the launcher): its message, from the right parser.
  it.each(BAD_FILES.map((c) => [c.what, c] as const))("WHEN it has %s THEN the message says what and where", async (_what, c) => {
    const message = await loadError(await c.files());
    if (c.expected instanceof RegExp) expect(message).toMatch(c.expected);
    else if (c.exact) expect(message).toBe(c.expected);
    else expect(message).toContain(c.expected);
  });

  it("WHEN a valid prod.tfvars is saved by a Windows editor (UTF-8 BOM, CRLF) THEN it loads as the shipped one, through the fast path", async () => {
    const t = tempEnvironments(WINDOWS_PROD());
    try {
      expect(await loadSettings("prod", { environmentsDir: t.dir })).toEqual(await loadSettings("prod"));
    } finally {
      t.cleanup();
    }
    expect(parseLiteralHcl(WINDOWS_PROD()["prod.tfvars"].slice(1))).toBeDefined();
  });

  it("WHEN the same key is in two sibling objects, a string, a comment or a heredoc THEN nothing is reported", () => {
    const source = `# cpu = 1 cpu = 2\na = { cpu = 1 }\nb = { cpu = 1, x = [{ cpu = 1 }, { cpu = 2 }] }\nc = {\n  note = "cpu = 1, cpu = 2 { \\" }"\n  /* cpu = 3 */ text = <<EOT\ncpu = 1\n}\nEOT\n  cpu = 4\n}\n`;
    expect(scanHcl(source)).toEqual([]);
    expect(scanHcl(source.replace("cpu = 4", "cpu = 4, note = 5"))).toEqual([{ key: "c.note", message: "is written twice in one object (lines 5 and 10); only the last value would count, so keep one" }]);
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
