/**
 * commands/drift.ts, the scheduled drift check: the command run as a user runs it against a
 * fake terraform that records its calls, its argument errors, and, where terraform and the provider
 * mirror exist, one run with the real terraform against an S3 backend on 127.0.0.1. The plan
 * summaries and the status they give are test/drift-summary.test.ts (fast, in process).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { LAYER_OUTPUTS, LAYERS, stackId, stateKey, type LayerId } from "../stacks/contract";
import { parseOptions, renderMarkdown, runDrift, type DriftReport } from "../commands/drift";
import { DEFAULT_PARALLELISM } from "../commands/terraform";
import { fakeTerraform } from "./support/fake-terraform";
import { startS3Backend, type S3Backend } from "./support/s3-backend";
import { synthToDisk, type StackJson } from "./support/synth";
import { runCli, runCliProcess, runInProcess, spawnAsync, type Exit } from "./support/cli";
import { findTerraform, skipWithoutTerraform } from "./support/terraform";

const root = path.resolve(__dirname, "..");
const FIXTURES = path.join(__dirname, "fixtures");
const BACKED: LayerId[] = LAYERS.filter((l) => l !== "00-bootstrap");

/** `npm run drift -- <args>` as a fresh process, from the project root. */
function drift(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(["drift", ...args], { env });
}

describe("GIVEN the example workflow .github/workflows/drift.yml", () => {
  const text = fs.readFileSync(path.join(root, ".github", "workflows", "drift.yml"), "utf8");
  const workflow = parseYaml(text) as {
    on: { schedule: { cron: string }[] };
    permissions: Record<string, string>;
    jobs: { drift: { permissions: Record<string, string>; steps: { uses?: string; run?: string; if?: string; with?: Record<string, unknown> }[] } };
  };
  const steps = workflow.jobs.drift.steps;
  const step = (uses: string) => steps.find((s) => s.uses?.startsWith(uses));

  it("WHEN read THEN it runs on a schedule, assumes a role through OIDC and holds no secret", () => {
    expect(workflow.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    // Nothing by default; the checking job alone may ask for the OIDC token.
    expect(workflow.permissions).toEqual({});
    expect(workflow.jobs.drift.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(step("aws-actions/configure-aws-credentials")?.with).toMatchObject({ "role-to-assume": "${{ vars.LGTM_DRIFT_ROLE_ARN }}" });
    expect(text).not.toMatch(/secrets\.|aws-access-key-id|aws-secret-access-key/);
  });

  it("WHEN read THEN it installs with npm ci, runs npm run drift for prod without terraform's stdout wrapper, and publishes the report even when the check fails", () => {
    expect(step("hashicorp/setup-terraform")?.with).toMatchObject({ terraform_wrapper: false });
    const runs = steps.map((s) => s.run ?? "");
    const ci = runs.findIndex((r) => r.startsWith("npm ci"));
    const check = runs.findIndex((r) => r.startsWith("npm run drift -- --env"));
    expect(ci).toBeGreaterThan(-1);
    expect(check).toBeGreaterThan(ci);
    expect(runs[check]).toContain("--report drift-report.md --json drift-report.json");
    const summary = steps.find((s) => s.run?.includes("GITHUB_STEP_SUMMARY"));
    expect(summary?.if).toBe("always()");
    expect(summary?.run).toContain("cat drift-report.md");
    expect(step("actions/upload-artifact")).toMatchObject({ if: "always()", with: { path: "drift-report.md\ndrift-report.json\n" } });
  });
});

/**
 * A fake terraform: logs every call (stack folder, argv, a few env vars) as JSON lines and behaves
 * per stack folder as FAKE_TF_SCENARIO says: init fails, plan exits 0/1/2, show prints a fixture.
 */
const FAKE_TERRAFORM = `#!/usr/bin/env node
const fs = require("fs");
const path = require("path");
const args = process.argv.slice(2);
const stack = path.basename(process.cwd());
const planFiles = fs.readdirSync(process.cwd()).filter((f) => f.endsWith(".tfplan"));
fs.appendFileSync(process.env.FAKE_TF_LOG, JSON.stringify({
  stack, args, planFiles,
  automation: process.env.TF_IN_AUTOMATION ?? null,
  marker: process.env.FAKE_TF_MARKER ?? null,
}) + "\\n");
const s = JSON.parse(process.env.FAKE_TF_SCENARIO || "{}")[stack] || {};
const fail = (text) => { process.stderr.write(text); process.exit(1); };
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
switch (args[0]) {
  case "version":
    process.stdout.write(JSON.stringify({ terraform_version: "1.11.4" }) + "\\n");
    process.exit(0);
  case "init": {
    // Inits must not overlap (they share the plugin cache): one holding this file while another starts fails.
    const lock = process.env.FAKE_TF_LOG + ".init-lock";
    try { fs.writeFileSync(lock, stack, { flag: "wx" }); } catch { fail("fake terraform: init of " + stack + " while another init runs\\n"); }
    sleep(100);
    fs.unlinkSync(lock);
  }
    if (s.init) fail("\\nError: Failed to get existing workspaces: operation error S3: ListObjectsV2, AccessDenied\\n\\n");
    process.stdout.write("Terraform has been successfully initialized!\\n");
    process.exit(0);
  case "plan": {
    // FAKE_TF_PLANS_AT_ONCE=n: each plan waits (up to 20 s) until n plans have started, so the run
    // passes only if n layers plan side by side.
    const atOnce = Number(process.env.FAKE_TF_PLANS_AT_ONCE || 0);
    if (atOnce > 0) {
      fs.writeFileSync(process.env.FAKE_TF_LOG + ".planning." + stack, "");
      const started = () => fs.readdirSync(path.dirname(process.env.FAKE_TF_LOG)).filter((f) => f.startsWith(path.basename(process.env.FAKE_TF_LOG) + ".planning.")).length;
      for (let waited = 0; started() < atOnce; waited += 50) {
        if (waited > 20000) fail("fake terraform: " + stack + " waited 20 s for " + atOnce + " plans at once; " + started() + " started\\n");
        sleep(50);
      }
    }
    const code = s.plan ?? 0;
    if (code === 1) fail("\\nError: Unable to find remote state\\n\\n  with data.terraform_remote_state.network,\\n  on cdk.tf.json line 41\\n\\nNo stored state was found for the given workspace in the given backend.\\n");
    fs.writeFileSync(args.find((a) => a.startsWith("-out=")).slice(5), "fake plan");
    process.exit(code);
  }
  case "state":
    // state pull (40-iam has secret versions): nothing in state yet.
    process.stdout.write(JSON.stringify({ version: 4, resources: [] }) + "\\n");
    process.exit(0);
  case "show":
    if (!fs.existsSync(args[args.length - 1])) fail("Error: no such plan file\\n");
    fs.writeSync(1, fs.readFileSync(path.join(process.env.FAKE_TF_FIXTURES, s.show ?? "plan-no-changes.json")));
    process.exit(0);
}
fail("fake terraform: unexpected call " + args.join(" ") + "\\n");
`;

interface Call {
  stack: string;
  args: string[];
  planFiles: string[];
  automation: string | null;
  marker: string | null;
}

type Scenario = Record<string, { init?: true; plan?: 0 | 1 | 2; show?: string }>;

describe("GIVEN a fake terraform that records its calls", () => {
  let work: string;
  let bin: string;
  let synthesized: string;
  let run = 0;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-drift-"));
    bin = path.join(work, "terraform");
    fs.writeFileSync(bin, FAKE_TERRAFORM, { mode: 0o755 });
    synthesized = path.join(work, "synthesized");
    await synthToDisk(synthesized, ["prod"]);
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  /** Runs drift with the fake; returns the process result, its calls and both reports. */
  function withFake(scenario: Scenario, args: string[], env: NodeJS.ProcessEnv = {}) {
    const dir = path.join(work, `run-${++run}`);
    fs.mkdirSync(dir);
    const logFile = path.join(dir, "calls.jsonl");
    fs.writeFileSync(logFile, "");
    const [report, json] = [path.join(dir, "report.md"), path.join(dir, "report.json")];
    const r = drift(["--env", "prod", "--report", report, "--json", json, ...args], {
      LGTM_TERRAFORM: bin,
      FAKE_TF_LOG: logFile,
      FAKE_TF_SCENARIO: JSON.stringify(scenario),
      FAKE_TF_FIXTURES: FIXTURES,
      FAKE_TF_MARKER: "credentials-pass-through",
      ...env,
    });
    const calls = fs.readFileSync(logFile, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Call);
    const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "");
    return { r, calls, markdown: read(report), json: read(json) ? (JSON.parse(read(json)) as DriftReport) : undefined, dir };
  }
  const noSynthArgs = () => ["--no-synth", "--out", synthesized];
  /** Each stack's own calls, in the order it made them (layers run side by side, so they interleave). */
  const perStack = (calls: Call[]) => {
    const by: Record<string, string[]> = {};
    for (const c of calls.filter((x) => x.args[0] !== "version")) (by[c.stack] ??= []).push(c.args[0]);
    return by;
  };
  const expectedCalls = (layers: readonly LayerId[]) => Object.fromEntries(layers.map((l) => [stackId("prod", l), l === "40-iam" ? ["init", "state", "plan", "show"] : ["init", "plan", "show"]]));

  it("WHEN every layer plans clean THEN it synthesizes, plans 10-network to 60-ecs four at a time (inits one at a time) without the lock, reports them in deploy order, skips 00-bootstrap saying why, and exits 0", () => {
    // The fake's plans wait until four have started: the run passes only if four layers plan at once.
    const { r, calls, markdown, json, dir } = withFake({}, ["--out", path.join(work, "fresh-out")], { FAKE_TF_PLANS_AT_ONCE: String(DEFAULT_PARALLELISM) });
    expect(r.status, r.stderr).toBe(0);
    expect(DEFAULT_PARALLELISM).toBe(4);

    const out = path.join(work, "fresh-out");
    expect(fs.readdirSync(path.join(out, "stacks")).sort()).toEqual(LAYERS.map((l) => stackId("prod", l)));
    // 40-iam holds secret versions: it reads its state first, to leave the unchanged ones unrefreshed.
    expect(perStack(calls)).toEqual(expectedCalls(BACKED));
    expect(json!.layers.map((l) => l.layer)).toEqual(BACKED);
    expect(calls.filter((c) => c.args[0] === "state").map((c) => c.args)).toEqual([["state", "pull", "-no-color"]]);

    for (const c of calls.filter((c) => c.args[0] === "init")) {
      expect(c.args).toEqual(["init", "-no-color", "-input=false", "-reconfigure"]);
    }
    for (const c of calls.filter((c) => c.args[0] === "plan")) {
      expect(c.args).toEqual(["plan", "-no-color", "-input=false", "-lock=false", "-detailed-exitcode", "-out=drift.tfplan"]);
    }
    for (const c of calls.filter((c) => c.args[0] === "show")) {
      expect(c.args).toEqual(["show", "-no-color", "-json", "drift.tfplan"]);
      expect(c.planFiles).toEqual(["drift.tfplan"]);
    }
    expect(calls.every((c) => c.automation === "1" && c.marker === "credentials-pass-through")).toBe(true);
    // Plan files hold state values: none is left behind.
    for (const l of BACKED) expect(fs.readdirSync(path.join(out, "stacks", stackId("prod", l))).filter((f) => f.endsWith(".tfplan"))).toEqual([]);

    expect(r.stdout).toBe(markdown);
    expect(markdown).toContain("| 10-network | no changes | 0 | 0 | 0 | 0 | 0 | 0 |");
    expect(markdown).toContain("**Result: no changes**, exit code 0.");
    expect(markdown).toContain("Not planned: 00-bootstrap, its state is local (terraform.prod-00-bootstrap.tfstate");
    expect(json).toMatchObject({ env: "prod", terraform_version: "1.11.4", result: "no changes", exit_code: 0, skipped: [{ layer: "00-bootstrap" }] });
    expect(json!.layers.map((l) => [l.layer, l.status])).toEqual(BACKED.map((l) => [l, "no changes"]));
    expect(JSON.stringify(json)).not.toContain(dir);
  });

  /**
   * The scenarios below: drift's runDrift() in-process with the in-process fake
   * (test/support/fake-terraform.ts), its report rendered as run() writes it. The fresh-process runs
   * above and below prove the command line, the files, stdout and what reaches terraform's process.
   */
  async function inProcessFake(scenario: Scenario, args: string[]) {
    const options = parseOptions(["--env", "prod", ...noSynthArgs(), ...args]);
    if (options === "help") throw new Error("unexpected --help");
    const tf = fakeTerraform(scenario);
    const json = await runDrift(options, tf);
    return { status: json.exit_code, steps: tf.steps(), markdown: renderMarkdown(json), json };
  }

  it("WHEN one layer drifted and another has pending changes THEN it exits 2 and lists the addresses of both", async () => {
    const { status, markdown, json } = await inProcessFake(
      { "prod-20-security": { plan: 2, show: "plan-with-drift.json" }, "prod-30-storage": { plan: 2, show: "plan-with-changes.json" } },
      [],
    );
    expect(status).toBe(2);
    expect(markdown).toContain("| 20-security | **drift** | 2 | 1 | 1 | 0 | 0 | 0 |");
    expect(markdown).toContain("| 30-storage | **changes pending** | 0 | 1 | 1 | 1 | 1 | 1 |");
    expect(markdown).toContain("**Result: drift** (drift in 20-security; changes pending in 30-storage), exit code 2.");
    expect(markdown).toContain("## 20-security: drift\n\nChanged outside Terraform:");
    expect(markdown).toContain("| `aws_s3_object.rules` | delete | deleted outside Terraform |");
    expect(markdown).toContain("| `terraform_data.replaced` | replace | triggers_replace forces replacement |");
    expect(markdown).toContain("| `output.updated` | update |  |");
    expect(markdown).not.toContain("## 10-network");
    expect(json.layers.map((l) => l.status)).toEqual(["no changes", "drift", "changes pending", "no changes", "no changes", "no changes"]);
  });

  it("WHEN only pending changes are found THEN it exits 2 with the result changes pending", async () => {
    const { status, json } = await inProcessFake({ "prod-60-ecs": { plan: 2, show: "plan-with-changes.json" } }, []);
    expect(status).toBe(2);
    expect(json).toMatchObject({ result: "changes pending", exit_code: 2 });
  });

  it("WHEN a layer's plan fails THEN it exits 1 with terraform's error, and the layers that read it are still planned", async () => {
    const { status, steps, markdown, json } = await inProcessFake(
      { "prod-10-network": { plan: 1 }, "prod-20-security": { plan: 2, show: "plan-with-drift.json" } },
      [],
    );
    expect(status).toBe(1);
    expect(steps.filter((c) => c.endsWith(" plan"))).toEqual(BACKED.map((l) => `${stackId("prod", l)} plan`));
    expect(markdown).toContain("| 10-network | **error** | - | - | - | - | - | - |");
    expect(markdown).toContain("**Result: error** (error in 10-network; drift in 20-security), exit code 1.");
    expect(markdown).toContain("## 10-network: error\n\n`terraform plan` failed (exit 1):\n\n```text\nError: Unable to find remote state\n");
    expect(json.layers[0]).toMatchObject({ layer: "10-network", status: "error", error: { step: "plan", exit_code: 1 } });
    expect(json.layers[1]).toMatchObject({ layer: "20-security", status: "drift" });
  });

  it("WHEN a layer's init fails THEN that layer is not planned and every other one is", async () => {
    const { status, steps, json } = await inProcessFake({ "prod-40-iam": { init: true } }, []);
    expect(status).toBe(1);
    expect(steps.filter((c) => c.startsWith("prod-40-iam"))).toEqual(["prod-40-iam init"]);
    expect(steps.filter((c) => c.endsWith(" show"))).toHaveLength(BACKED.length - 1);
    expect(json.layers.find((l) => l.layer === "40-iam")).toMatchObject({ status: "error", error: { step: "init", message: expect.stringContaining("AccessDenied") } });
  });

  it("WHEN every layer's init fails the same way (no credentials) THEN the report prints terraform's error once, naming the layers it applies to", async () => {
    const { status, markdown, json } = await inProcessFake(Object.fromEntries(BACKED.map((l) => [stackId("prod", l), { init: true }])), []);
    expect(status).toBe(1);
    expect(json.layers.every((l) => l.error?.message.includes("AccessDenied"))).toBe(true);
    expect(markdown.split("AccessDenied").length - 1).toBe(1);
    expect(markdown).toContain(`\`terraform init\` failed (exit 1) in ${BACKED.join(", ")}:`);
    expect(markdown).toContain("## 60-ecs: error\n\n`terraform init` failed (exit 1) with the same error as 10-network, above.");
  });

  it("WHEN layers are named with --layer THEN only those run, in deploy order, 00-bootstrap included with a note on its local state", async () => {
    const { status, steps, markdown, json } = await inProcessFake({}, ["--layer", "network", "--layer", "00-bootstrap", "--parallelism", "1"]);
    expect(status).toBe(0);
    expect(steps).toEqual(["prod-00-bootstrap init", "prod-00-bootstrap plan", "prod-00-bootstrap show", "prod-10-network init", "prod-10-network plan", "prod-10-network show"]);
    expect(json.layers.map((l) => l.layer)).toEqual(["00-bootstrap", "10-network"]);
    expect(json.skipped).toEqual([]);
    expect(markdown).not.toContain("Not planned");
    expect(markdown).toContain("## 00-bootstrap: no changes\n\nNote: its local state file");
    expect(markdown).toContain("is not on this machine, so the plan shows the state bucket as new.");
  });

  it("WHEN terraform cannot be run THEN it exits 1 saying how to provide it", () => {
    const r = drift(["--env", "prod", ...noSynthArgs(), "--report", path.join(work, "x.md"), "--json", path.join(work, "x.json")], {
      LGTM_TERRAFORM: path.join(work, "no-such-terraform"),
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`terraform is not runnable as "${path.join(work, "no-such-terraform")}"`);
    expect(r.stderr).toContain("install Terraform >= 1.11 or set LGTM_TERRAFORM");
  });

  describe("AND wrong arguments (in-process through main.ts's reporter; the fresh-process runs are above)", () => {
    /** drift's run() with the fake terraform on LGTM_TERRAFORM: the exit code, stderr and the fake's calls. */
    async function inProcess(args: string[]) {
      const dir = path.join(work, `run-${++run}`);
      fs.mkdirSync(dir);
      const logFile = path.join(dir, "calls.jsonl");
      fs.writeFileSync(logFile, "");
      const report = path.join(dir, "report.md");
      const command = await import("../commands/drift");
      const r = await runInProcess(command, ["--env", "prod", "--report", report, ...args], {
        LGTM_TERRAFORM: bin,
        FAKE_TF_LOG: logFile,
        FAKE_TF_SCENARIO: "{}",
        FAKE_TF_FIXTURES: FIXTURES,
      });
      return { r, calls: fs.readFileSync(logFile, "utf8"), markdown: fs.existsSync(report) ? fs.readFileSync(report, "utf8") : "" };
    }
    const usage = async (args: string[]) => {
      const result = await inProcess(args);
      expect(result.r.status, result.r.stderr).toBe(2);
      expect(result.r.stderr).toContain("usage: npm run drift -- --env <name>");
      expect(result.calls).toBe("");
      expect(result.markdown).toBe("");
      return result.r.stderr;
    };
    const bare = async (args: string[]) => runInProcess(await import("../commands/drift"), args);

    it("WHEN a flag is unknown THEN it exits 2 with the usage", async () => {
      expect(await usage(["--envs", "dev"])).toContain("Unknown option '--envs'");
    });

    it("WHEN the environment is unknown THEN it exits 1 (a settings error, never read as drift found) naming the file as the settings loader does", async () => {
      const r = await bare(["--env", "staging", "--no-synth"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('environments/staging.tfvars: unknown environment "staging": no such file (known environments: dev, prod)');
      const typo = await bare(["--env", "prdo", "--no-synth"]);
      expect(typo.status).toBe(1);
      expect(typo.stderr).toContain('unknown environment "prdo": no such file; did you mean "prod"?');
    });

    it("WHEN a layer is unknown THEN it exits 2 listing the valid layers", async () => {
      expect(await usage(["--layer", "10-netwrok"])).toContain(
        'unknown layer "10-netwrok"; did you mean "10-network"? (layers: 00-bootstrap, 10-network, 20-security, 30-storage, 40-iam, 50-loadbalancer, 60-ecs)',
      );
    });

    it("WHEN --parallelism is not a whole number from 1 to 16 THEN it exits 2 saying what it takes", async () => {
      for (const bad of ["0", "17", "2.5", "four"]) {
        expect(await usage(["--parallelism", bad])).toContain(`--parallelism must be a whole number from 1 to 16 (layers planned side by side), got "${bad}"`);
      }
    });

    it("WHEN --env is missing or repeated THEN it exits 2 saying one environment is needed", async () => {
      const none = await bare(["--no-synth"]);
      expect(none.status).toBe(2);
      expect(none.stderr).toContain("--env is required");
      expect(await usage(["--env", "dev"])).toContain("one environment per run (each has its own account and credentials), got prod, dev");
    });

    it("WHEN --no-synth finds no synthesized stacks THEN it exits 2 saying how to make them", async () => {
      expect(await usage(["--no-synth", "--out", path.join(work, "empty")])).toContain(
        `--no-synth: no synthesized stack in ${path.join(work, "empty", "stacks", "prod-10-network")}`,
      );
    });
  });
});

/**
 * The real terraform, offline: the state backend is s3rver on 127.0.0.1, and STS is a stub that
 * answers GetCallerIdentity with the environment's allowed account (the AWS provider's one call when
 * it plans a layer with nothing in state yet; any other call is recorded and fails the test). Every
 * terraform command, the S3 backend, the remote-state read and the S3 lockfile are real.
 */
const skipReal = skipWithoutTerraform("drift against a real S3 backend");

describe.skipIf(skipReal)("GIVEN prod's state in an S3 server on 127.0.0.1, with a deploy holding 10-network's state lock", () => {
  let backend: S3Backend;
  let out: string;
  let tfEnv: NodeJS.ProcessEnv;
  let result: Exit;
  let report: DriftReport;
  let markdown: string;
  const LOCK = JSON.stringify({ ID: "held-by-test", Operation: "OperationTypeApply", Who: "deployer@ci", Version: "1.11.4", Created: "2025-01-01T00:00:00Z", Info: "" });
  const objectUrl = (key: string) => backend.objectUrl(key);

  beforeAll(async () => {
    backend = await startS3Backend({ env: "prod", prefix: "lgtm-drift-real", sts: true });
    out = backend.out;

    const put = await fetch(objectUrl(`${stateKey("prod", "10-network")}.tflock`), { method: "PUT", body: LOCK });
    expect(put.status).toBe(200);

    tfEnv = { ...backend.env, AWS_ENDPOINT_URL_STS: backend.sts!.endpoint };
    const [reportFile, jsonFile] = [path.join(backend.work, "report.md"), path.join(backend.work, "report.json")];
    result = await runCliProcess(
      ["drift", "--env", "prod", "--no-synth", "--out", out, "--layer", "20-security", "--layer", "10-network", "--report", reportFile, "--json", jsonFile],
      tfEnv,
    );
    markdown = fs.readFileSync(reportFile, "utf8");
    report = JSON.parse(fs.readFileSync(jsonFile, "utf8")) as DriftReport;
  });

  afterAll(async () => {
    await backend?.stop();
  });

  it("WHEN drift plans 10-network THEN the plan runs despite the held lock and shows every resource and output to create", () => {
    expect(result.status, result.stderr).toBe(1);
    const network = report.layers[0];
    expect(network).toMatchObject({ layer: "10-network", status: "changes pending", drift: [] });
    const stack = JSON.parse(fs.readFileSync(path.join(out, "stacks", "prod-10-network", "cdk.tf.json"), "utf8")) as StackJson;
    const configured = Object.entries(stack.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`));
    expect(new Set(network.changes.map((c) => c.address.replace(/\[.*\]$/, "")))).toEqual(new Set(configured));
    expect(network.changes.every((c) => c.action === "create")).toBe(true);
    expect(network.outputs.map((o) => o.address).sort()).toEqual(Object.keys(LAYER_OUTPUTS["10-network"]).map((o) => `output.${o}`).sort());
    expect(markdown).toContain("| 10-network | **changes pending** | 0 |");
    const sts = backend.sts!;
    expect(sts.calls.length).toBeGreaterThan(0);
    expect(sts.calls.every((body) => body.includes("Action=GetCallerIdentity"))).toBe(true);
  });

  it("WHEN 20-security reads a network state that was never applied THEN it is reported as an error with terraform's message, after 10-network", () => {
    expect(report.layers.map((l) => l.layer)).toEqual(["10-network", "20-security"]);
    expect(report.layers[1]).toMatchObject({ status: "error", error: { step: "plan", exit_code: 1, message: expect.stringContaining("Error: Unable to find remote state") } });
    expect(report).toMatchObject({ result: "error", exit_code: 1 });
  });

  it("WHEN it is done THEN the deploy's lock is untouched and no state was written", async () => {
    const lock = await fetch(objectUrl(`${stateKey("prod", "10-network")}.tflock`));
    expect(lock.status).toBe(200);
    expect(await lock.text()).toBe(LOCK);
    expect((await fetch(objectUrl(stateKey("prod", "10-network")))).status).toBe(404);
  });

  it("WHEN the same plan takes the lock (no -lock=false) THEN terraform refuses: the lock the drift run ignored is real", async () => {
    const r = await spawnAsync(findTerraform()!, ["plan", "-no-color", "-input=false", "-lock-timeout=0s"], {
      cwd: path.join(out, "stacks", "prod-10-network"),
      env: tfEnv,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Error acquiring the state lock");
    expect(r.stderr).toContain("held-by-test");
  });
});
