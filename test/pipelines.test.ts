/**
 * The pipelines (.github/workflows/*.yml, Jenkinsfile) parsed as their runners read them (YAML;
 * for the Jenkinsfile, its stage names and `sh` steps), calling exactly the commands docs/reviewing.md
 * ("Pipelines") documents, with no credential in the repository and no apply
 * that is not `npm run apply` of saved plans. Every workflow is also validated against GitHub's
 * workflow schema (@action-validator/core, offline), and the shell of the destroy inputs runs in bash.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { listEnvironments } from "../settings";
import { USAGE as PLAN_USAGE } from "../commands/plan";
import { findTool, SHELLCHECK, skipWithoutTool } from "./support/tools";

const root = path.resolve(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
const README = read("README.md");
const REVIEWING = read("docs/reviewing.md");
const TESTING = read("docs/testing.md");

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  "runs-on"?: string;
  needs?: string | string[];
  if?: string;
  environment?: string;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  strategy?: { matrix: { env: string[] } };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, any>;
  permissions: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  jobs: Record<string, Job>;
}

const workflow = (name: string) => {
  const text = read(`.github/workflows/${name}`);
  return { text, wf: parseYaml(text) as Workflow };
};

/** Every `npm ...` command a piece of shell calls, without a trailing `|| code=$?`. */
function npmCommands(shell: string): string[] {
  return [...shell.matchAll(/\bnpm (?:ci|test|run \w+)[^\n|']*/g)].map((m) => m[0].trim());
}
const jobCommands = (job: Job) => job.steps.flatMap((s) => npmCommands(s.run ?? ""));

/** The commands of docs/reviewing.md's pipeline table, by pipeline file. */
function documented(file: string): string[] {
  const section = REVIEWING.slice(REVIEWING.indexOf("## Pipelines"));
  const row = section.split("\n").find((l) => l.startsWith(`| \`${file}\``));
  expect(row, `docs/reviewing.md "Pipelines" has a row for ${file}`).toBeDefined();
  return [...row!.matchAll(/`(npm [^`]+)`/g)].map((m) => m[1]);
}

const NO_SECRETS = /secrets\.|aws-access-key-id|aws-secret-access-key|AKIA[0-9A-Z]{16}/;

/** A few bash runs: milliseconds on an idle machine, 75 s seen for nine at load average 30 (2 cores). */
const BASH_TIMEOUT = 300_000;

const WORKFLOWS = fs.readdirSync(path.join(root, ".github", "workflows")).filter((f) => f.endsWith(".yml")).sort();

/** A step's shell run by bash as the runner runs it (`bash -e`), with `env` and a fake `npm` on the PATH that records its arguments. */
function runStep(script: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string; npm: string[][] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-step-"));
  try {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    // A file a glob such as aws_s3_bucket.old* would match if the script let bash expand it.
    fs.writeFileSync(path.join(dir, "aws_s3_bucket.old-files"), "");
    fs.writeFileSync(path.join(bin, "npm"), `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done >> "${dir}/npm.log"; printf '\\n' >> "${dir}/npm.log"; exit 2\n`, { mode: 0o755 });
    const r = spawnSync("bash", ["-e", "-c", script], { cwd: dir, encoding: "utf8", env: { PATH: `${bin}:${process.env.PATH}`, GITHUB_STEP_SUMMARY: path.join(dir, "summary.md"), GITHUB_OUTPUT: path.join(dir, "output"), ...env } });
    const log = fs.existsSync(path.join(dir, "npm.log")) ? fs.readFileSync(path.join(dir, "npm.log"), "utf8") : "";
    const npm = log.split("\n").filter(Boolean).map((line) => line.split("\0").filter((a, i, all) => i < all.length - 1));
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, npm };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("GIVEN every workflow in .github/workflows", () => {
  it.each(WORKFLOWS)("WHEN %s is validated against GitHub's workflow schema THEN it has no error", (file) => {
    const state = validateWorkflow(read(`.github/workflows/${file}`));
    expect(state.errors).toEqual([]);
  });

  it.each(WORKFLOWS)("WHEN %s is read THEN no run script splices an expression into the shell (inputs and event data come through env)", (file) => {
    const wf = workflow(file).wf;
    const spliced = Object.entries(wf.jobs).flatMap(([name, job]) => job.steps.filter((s) => s.run?.includes("${{")).map((s) => `${name}: ${s.run}`));
    expect(spliced).toEqual([]);
  });

  it.skipIf(skipWithoutTool(SHELLCHECK, "shellcheck of the workflows' run scripts", "The workflows' shell was NOT linted."))(
    "WHEN every run script is checked by shellcheck as the runner's bash -e runs it THEN it finds nothing (what actionlint runs on run scripts)",
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-shellcheck-"));
      try {
        const files = WORKFLOWS.flatMap((file) =>
          Object.entries(workflow(file).wf.jobs).flatMap(([job, j]) =>
            j.steps.flatMap((s, i) => {
              if (!s.run) return [];
              const f = path.join(dir, `${file}-${job}-${i}.sh`);
              fs.writeFileSync(f, `#!/bin/bash -e\n${s.run}`);
              return [f];
            }),
          ),
        );
        expect(files.length).toBeGreaterThan(10);
        const r = spawnSync(findTool(SHELLCHECK)!, ["--shell=bash", "--format=gcc", ...files], { encoding: "utf8" });
        expect(r.stdout.split(dir).join("")).toBe("");
        expect(r.status).toBe(0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    BASH_TIMEOUT,
  );

  it.each(WORKFLOWS)("WHEN %s is read THEN pull_request_target is not used and every job that assumes an AWS role is the only kind that may ask for an OIDC token", (file) => {
    const { text, wf } = workflow(file);
    expect(Object.keys(wf.on)).not.toContain("pull_request_target");
    expect(text).not.toContain("pull_request_target:");
    for (const [name, job] of Object.entries(wf.jobs)) {
      const assumes = job.steps.some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"));
      const token = (job.permissions ?? wf.permissions)?.["id-token"] === "write";
      expect(token, `${file} job ${name}`).toBe(assumes);
      // A job that writes to the repository's issues or pull requests holds no AWS credentials.
      const writes = Object.entries(job.permissions ?? wf.permissions ?? {}).some(([k, v]) => ["issues", "pull-requests", "contents"].includes(k) && v === "write");
      if (writes) expect(assumes, `${file} job ${name}`).toBe(false);
    }
  });
});

describe("GIVEN .github/workflows/ci.yml", () => {
  const { text, wf } = workflow("ci.yml");
  const job = wf.jobs.test;

  it("WHEN read THEN it runs on every push and pull request with read-only permissions", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["pull_request", "push"]);
    expect(wf.permissions).toEqual({ contents: "read" });
    expect(text).not.toMatch(NO_SECRETS);
  });

  it("WHEN read THEN it installs from the lockfile and runs the README's test command with the terraform tier required, as .ci/run does", () => {
    expect(jobCommands(job)).toEqual(["npm ci --no-audit --no-fund", "npm test"]);
    expect(jobCommands(job)).toEqual(documented("ci.yml"));
    expect(README).toMatch(/## Quick start\n\n```sh\n[^`]*^npm test\b/m);
    expect(TESTING).toMatch(/^# Tests\n[^`]*```sh\nnpm test\n```/);
    expect(job.env?.LGTM_REQUIRE_TERRAFORM).toBe("1");
    expect(read(".ci/run")).toContain("export LGTM_REQUIRE_TERRAFORM=1");
    expect(job.steps.find((s) => s.uses?.startsWith("hashicorp/setup-terraform"))?.with).toMatchObject({ terraform_version: "1.11.4" });
    expect(job.steps.some((s) => s.run?.includes("providers mirror") && s.run.includes("LGTM_TF_PROVIDER_MIRROR"))).toBe(true);
  });
});

describe("GIVEN .github/workflows/plan.yml", () => {
  const { text, wf } = workflow("plan.yml");
  const job = wf.jobs.plan;
  const SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository";
  const FORK = "github.event.pull_request.head.repo.full_name != github.repository";

  it("WHEN read THEN it plans every environment on pull requests, through OIDC, with no secret, and grants nothing by default", () => {
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(job.strategy?.matrix.env.sort()).toEqual(listEnvironments().sort());
    expect(wf.permissions).toEqual({});
    expect(job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"))?.with).toMatchObject({ "role-to-assume": "${{ vars.LGTM_PLAN_ROLE_ARN }}" });
    expect(text).not.toMatch(NO_SECRETS);
  });

  it("WHEN a fork opens a pull request THEN only the `fork` job runs: no checkout, no role, no permission, and it says why", () => {
    expect(Object.keys(wf.jobs).sort()).toEqual(["comment", "fork", "plan"]);
    expect(job.if).toBe(SAME_REPO);
    expect(wf.jobs.comment.if).toBe(`always() && ${SAME_REPO}`);
    const fork = wf.jobs.fork;
    expect(fork.if).toBe(FORK);
    expect(fork.permissions).toEqual({});
    expect(fork.steps.every((s) => !s.uses)).toBe(true);
    const said = runStep(fork.steps.map((s) => s.run).join("\n"), {});
    expect(said.status).toBe(0);
    expect(said.stdout).toMatch(/^::notice title=plan skipped::Pull requests from forks are not planned: GitHub gives them no OIDC token/m);
    expect(said.npm).toEqual([]);
  }, BASH_TIMEOUT);

  it("WHEN the plan runs THEN its job may read the code and ask for the OIDC token, nothing more, and the checkout keeps no token", () => {
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
    for (const s of job.steps.filter((s) => s.uses?.startsWith("actions/checkout"))) expect(s.with?.["persist-credentials"]).toBe(false);
  });

  it("WHEN read THEN it calls exactly the documented commands: npm ci and npm run plan with --save, Markdown, JSON and the base branch's settings for the cost", () => {
    expect(jobCommands(job)).toEqual([
      "npm ci --no-audit --no-fund",
      'npm run plan -- --env "$LGTM_ENV" --save "plans/$LGTM_ENV" --markdown "plan-$LGTM_ENV.md" --json "plan-$LGTM_ENV.json" --cost-base "$RUNNER_TEMP/base/environments"',
    ]);
    expect(jobCommands(job)).toEqual(documented("plan.yml"));
    const base = job.steps.find((s) => s.uses?.startsWith("actions/checkout") && s.with?.ref === "${{ github.base_ref }}");
    expect(base?.with).toMatchObject({ "sparse-checkout": "environments", "persist-credentials": false });
  });

  it("WHEN the review is written THEN a separate job without AWS credentials or checkout updates one comment per environment in place", () => {
    const comment = wf.jobs.comment;
    expect(comment.needs).toBe("plan");
    expect(comment.permissions).toEqual({ "pull-requests": "write" });
    expect(comment.steps.some((s) => s.uses?.startsWith("actions/checkout") || s.uses?.startsWith("aws-actions/"))).toBe(false);
    // It reads the review only (attribute names), never the plans (state values).
    expect(comment.steps.find((s) => s.uses?.startsWith("actions/download-artifact"))?.with).toEqual({ name: "plan-review-${{ matrix.env }}" });
    expect(job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact") && s.with?.name === "plan-review-${{ matrix.env }}")?.with?.path).toBe("plan-${{ matrix.env }}.md");
    const script = String(comment.steps.find((s) => s.uses?.startsWith("actions/github-script"))?.with?.script);
    expect(script).toContain("const marker = `<!-- lgtm-fargate plan: ${env} -->`");
    expect(script).toContain("github.rest.issues.updateComment");
    expect(script.indexOf("updateComment")).toBeLessThan(script.indexOf("createComment"));
    expect(job.steps.some((s) => s.uses?.startsWith("actions/github-script"))).toBe(false);
  });

  it("WHEN read THEN the plans are an artifact and exit 1 or 3 fails the job", () => {
    expect(job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact") && s.with?.name === "plans-${{ matrix.env }}")?.with?.path).toContain("plans/${{ matrix.env }}");
    const gate = job.steps[job.steps.length - 1];
    expect(gate.if).toBe("steps.plan.outputs.exit_code != '0' && steps.plan.outputs.exit_code != '2'");
  });
});

describe("GIVEN .github/workflows/deploy.yml", () => {
  const { text, wf } = workflow("deploy.yml");
  const PLAN = 'npm run plan -- --env "$LGTM_ENV" --save "plans/$LGTM_ENV" --markdown "plan-$LGTM_ENV.md" --json "plan-$LGTM_ENV.json" "${allow[@]}"';

  it("WHEN read THEN it runs on a push to main or by hand, two deploys never race, and nothing is granted by default", () => {
    expect(Object.keys(wf.on)).toEqual(["push", "workflow_dispatch"]);
    expect(wf.on.push).toEqual({ branches: ["main"] });
    expect(wf.concurrency).toEqual({ group: "deploy", "cancel-in-progress": false });
    expect(wf.permissions).toEqual({});
    expect(wf.jobs.inputs.permissions).toEqual({});
    for (const name of ["plan", "apply-dev", "apply-prod"]) expect(wf.jobs[name].permissions, name).toEqual({ contents: "read", "id-token": "write" });
    expect(text).not.toMatch(NO_SECRETS);
  });

  it("WHEN run by hand THEN it takes an intended destroy: a boolean, the environment, the addresses and a typed confirmation", () => {
    const inputs = wf.on.workflow_dispatch.inputs;
    expect(inputs.allow_destroy).toMatchObject({ type: "boolean", default: false });
    expect(inputs.destroy_environment).toMatchObject({ type: "choice" });
    expect([...inputs.destroy_environment.options].sort()).toEqual(listEnvironments().sort());
    expect(inputs.destroy_addresses).toMatchObject({ type: "string", default: "" });
    expect(inputs.confirm).toMatchObject({ type: "string", default: "" });
    // The flag the plan job passes is the one `npm run plan` takes.
    expect(PLAN_USAGE).toContain("--allow-destroy <address|glob> ...");
  });

  const check = wf.jobs.inputs.steps[0];
  const checkInputs = (env: Record<string, string>) => runStep(check.run!, env);

  it("WHEN the inputs job checks them THEN no destroy passes, and a destroy passes only with addresses and the exact confirmation", () => {
    expect(check.env).toEqual({
      ALLOW_DESTROY: "${{ inputs.allow_destroy }}",
      DESTROY_ENV: "${{ inputs.destroy_environment }}",
      DESTROY_ADDRESSES: "${{ inputs.destroy_addresses }}",
      CONFIRM: "${{ inputs.confirm }}",
    });
    // A push: every input is empty.
    expect(checkInputs({ ALLOW_DESTROY: "", DESTROY_ENV: "", DESTROY_ADDRESSES: "", CONFIRM: "" }).status).toBe(0);
    expect(checkInputs({ ALLOW_DESTROY: "false", DESTROY_ENV: "prod", DESTROY_ADDRESSES: "aws_lb.x", CONFIRM: "" }).status).toBe(0);
    const noAddresses = checkInputs({ ALLOW_DESTROY: "true", DESTROY_ENV: "prod", DESTROY_ADDRESSES: "  ", CONFIRM: "destroy prod" });
    expect(noAddresses.status).toBe(1);
    expect(noAddresses.stdout).toContain("::error::allow_destroy needs destroy_addresses");
    for (const confirm of ["", "destroy dev", "destroy prod "]) {
      const r = checkInputs({ ALLOW_DESTROY: "true", DESTROY_ENV: "prod", DESTROY_ADDRESSES: "aws_lb.x", CONFIRM: confirm });
      expect(r.status, JSON.stringify(confirm)).toBe(1);
      expect(r.stdout).toContain('::error::allow_destroy needs the confirmation "destroy prod"');
    }
    expect(checkInputs({ ALLOW_DESTROY: "true", DESTROY_ENV: "prod", DESTROY_ADDRESSES: "aws_lb.x", CONFIRM: "destroy prod" }).status).toBe(0);
  }, BASH_TIMEOUT);

  it("WHEN the plan job runs THEN the allowed addresses reach npm run plan as one --allow-destroy each, unexpanded, in the chosen environment only", () => {
    const job = wf.jobs.plan;
    expect(job.needs).toBe("inputs");
    expect(job.env?.LGTM_ALLOW_DESTROY).toBe("${{ inputs.allow_destroy == true && inputs.destroy_environment == matrix.env && inputs.destroy_addresses || '' }}");
    const step = job.steps.find((s) => s.run?.includes("npm run plan"))!;
    const allowed = runStep(step.run!, { LGTM_ENV: "prod", LGTM_ALLOW_DESTROY: "aws_s3_bucket.old*  aws_lb.main" });
    expect(allowed.status).toBe(0); // npm's exit 2 (changes) goes on
    expect(allowed.npm).toEqual([
      ["run", "plan", "--", "--env", "prod", "--save", "plans/prod", "--markdown", "plan-prod.md", "--json", "plan-prod.json", "--allow-destroy", "aws_s3_bucket.old*", "--allow-destroy", "aws_lb.main"],
    ]);
    const none = runStep(step.run!, { LGTM_ENV: "dev", LGTM_ALLOW_DESTROY: "" });
    expect(none.npm).toEqual([["run", "plan", "--", "--env", "dev", "--save", "plans/dev", "--markdown", "plan-dev.md", "--json", "plan-dev.json"]]);
  }, BASH_TIMEOUT);

  it("WHEN read THEN each environment's apply waits behind its GitHub environment (the approval gate), dev before prod, after the plans", () => {
    expect(wf.jobs["apply-dev"]).toMatchObject({ needs: "plan", environment: "dev" });
    expect(wf.jobs["apply-prod"]).toMatchObject({ needs: "apply-dev", environment: "prod" });
    for (const name of ["apply-dev", "apply-prod"]) {
      const steps = wf.jobs[name].steps;
      expect(steps.find((s) => s.uses?.startsWith("actions/download-artifact"))?.with).toEqual({ name: "deploy-plans-${{ env.LGTM_ENV }}", path: "plans/${{ env.LGTM_ENV }}" });
      expect(steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"))?.with).toMatchObject({ "role-to-assume": "${{ vars.LGTM_DEPLOY_ROLE_ARN }}" });
    }
  });

  it("WHEN read THEN it calls exactly the documented commands, and the only apply is npm run apply of the saved plans", () => {
    const commands = ["plan", "apply-dev", "apply-prod"].map((j) => jobCommands(wf.jobs[j]));
    expect(commands).toEqual([
      ["npm ci --no-audit --no-fund", PLAN],
      ["npm ci --no-audit --no-fund", 'npm run apply -- --env "$LGTM_ENV" --plans "plans/$LGTM_ENV"'],
      ["npm ci --no-audit --no-fund", 'npm run apply -- --env "$LGTM_ENV" --plans "plans/$LGTM_ENV"'],
    ]);
    expect([...new Set(commands.flat())]).toEqual(documented("deploy.yml"));
    expect(text).not.toMatch(/terraform (-chdir=\S+ )?apply|cdktf deploy|auto-approve/);
  });
});

describe("GIVEN .github/workflows/drift.yml", () => {
  const { wf } = workflow("drift.yml");

  it("WHEN read THEN it checks every environment and calls exactly the documented command", () => {
    expect(wf.jobs.drift.strategy?.matrix.env.sort()).toEqual(listEnvironments().sort());
    expect(jobCommands(wf.jobs.drift)).toEqual(documented("drift.yml"));
  });

  it("WHEN read THEN a separate job without AWS credentials opens, updates or closes one issue per environment, and reports a failed check apart from drift", () => {
    const issues = wf.jobs.issues;
    expect(issues).toMatchObject({ needs: "drift", if: "always()", permissions: { contents: "read", issues: "write" } });
    expect(issues.steps.some((s) => s.uses?.startsWith("aws-actions/"))).toBe(false);
    const script = String(issues.steps.find((s) => s.uses?.startsWith("actions/github-script"))?.with?.script);
    expect(script).toContain('const failed = !report || report.exit_code === 1;');
    expect(script).toContain('await sync("drift-check-failed", `Drift check failed: ${env}`, failed,');
    expect(script).toContain('if (!failed) await sync("drift", `Drift: ${env}`, drifted,');
    expect(script).toContain('state: "closed"');
    expect(script).toContain("issues.createComment"); // an open issue is updated, not duplicated
  });
});

describe("GIVEN the Jenkinsfile", () => {
  const text = read("Jenkinsfile");
  const stages = [...text.matchAll(/^\s*stage\('([^']+)'\)/gm)].map((m) => m[1]);
  /** Each stage's body, from its `stage(` to the next one. */
  const body = (name: string) => {
    const start = text.indexOf(`stage('${name}')`);
    const next = stages.map((s) => text.indexOf(`stage('${s}')`)).filter((i) => i > start);
    return text.slice(start, next.length > 0 ? Math.min(...next) : undefined);
  };
  const shSteps = (name: string) => [...body(name).matchAll(/\bsh(?:\(returnStatus: true, script:)? '([^']+)'/g)].map((m) => m[1]);
  /** The pipeline block's own lines at its first level of indentation (two spaces). */
  const topLevel = text.slice(text.indexOf("pipeline {")).split("\n").filter((l) => /^  \S/.test(l));

  it("WHEN read THEN it is declarative with the stages test, plan, approval, apply and the scheduled drift check", () => {
    expect(text).toMatch(/^pipeline \{/m);
    expect(stages).toEqual(["Test", "Plan", "Approve", "Apply", "Drift", "Mutation"]);
    expect(body("Approve")).toContain("branch 'main'");
    expect(body("Apply")).toContain("branch 'main'");
    expect(text).toContain("disableConcurrentBuilds()");
  });

  it("WHEN it waits for approval THEN the wait has a timeout, holds no executor, and non-main builds never wait", () => {
    expect(topLevel).toContain("  agent none // each stage takes an executor; Approve waits without one");
    expect(topLevel.filter((l) => /^  agent /.test(l))).toHaveLength(1);
    const approve = body("Approve");
    expect(approve).not.toMatch(/^\s*agent /m);
    expect(approve).toMatch(/^\s+input \{\n\s+message "[^"]+"\n\s+ok 'Apply'\n\s+\}/m);
    expect(approve).not.toMatch(/\binput message:/); // a step inside `steps` would hold the stage's agent
    const timeout = approve.match(/^\s+options \{ timeout\(time: (\d+), unit: 'HOURS'\) \}$/m);
    expect(timeout).not.toBeNull();
    expect(Number(timeout![1])).toBeGreaterThan(0);
    expect(Number(timeout![1])).toBeLessThanOrEqual(24);
    expect(approve).toMatch(/when \{\n\s+beforeInput true\n/);
    for (const s of stages.filter((s) => s !== "Approve")) {
      expect(body(s), s).toMatch(/^\s+agent any$/m);
      expect(body(s), s).toMatch(/when \{\n\s+beforeAgent true\n/);
    }
  });

  it("WHEN read THEN the drift cron is set on main only", () => {
    expect(text).toMatch(/^  triggers \{\n(?:\s*\/\/.*\n)*\s+cron\(env\.BRANCH_NAME == 'main' \? 'H 5 \* \* 1-5' : ''\)\n\s+\}/m);
    expect([...text.matchAll(/\bcron\(/g)]).toHaveLength(1);
  });

  it("WHEN plans are kept THEN the plan files are stashed for Apply, never archived, and artifacts are kept for 5 builds", () => {
    expect(text).toMatch(/^\s+buildDiscarder\(logRotator\(numToKeepStr: '50', artifactNumToKeepStr: '5'\)\)$/m);
    expect(body("Plan")).toContain("archiveArtifacts artifacts: 'plan-*.md, plan-*.json', allowEmptyArchive: true");
    expect(body("Plan")).toContain("stash name: 'plans', includes: 'plans/**'");
    expect(body("Apply")).toContain("unstash 'plans'");
    for (const m of text.matchAll(/archiveArtifacts artifacts: '([^']+)'/g)) expect(m[1]).not.toMatch(/plans\/|tfplan/);
  });

  it("WHEN read THEN its sh steps are exactly the documented commands", () => {
    expect(stages.map((s) => [s, shSteps(s)])).toEqual([
      ["Test", ["npm ci --no-audit --no-fund", "npm test"]],
      ["Plan", ["npm ci --no-audit --no-fund", 'npm run plan -- --env "$LGTM_ENV" --save "plans/$LGTM_ENV" --markdown "plan-$LGTM_ENV.md" --json "plan-$LGTM_ENV.json"']],
      ["Approve", []],
      ["Apply", ["npm ci --no-audit --no-fund", 'npm run apply -- --env "$LGTM_ENV" --plans "plans/$LGTM_ENV"']],
      ["Drift", ["npm ci --no-audit --no-fund", 'npm run drift -- --env "$LGTM_ENV" --report "drift-$LGTM_ENV.md" --json "drift-$LGTM_ENV.json"']],
      ["Mutation", ["npm ci --no-audit --no-fund", "LGTM_MUTATION_CONCURRENCY=2 npm run mutation"]],
    ]);
    // The deploy pipeline's commands are README's; the weekly mutation run is docs/mutation-testing.md's.
    expect([...new Set(stages.filter((s) => s !== "Mutation").flatMap(shSteps))]).toEqual(documented("Jenkinsfile"));
    expect(read("docs/mutation-testing.md")).toContain("the `Mutation` stage");
  });

  it("WHEN read THEN plan and drift use the plan credentials, apply its own required credentials, from the Jenkins AWS binding, never from the repository", () => {
    expect(text).toContain("withCredentials([[$class: 'AmazonWebServicesCredentialsBinding', credentialsId: credentialsId]])");
    expect(text).toContain("body() // the agent's instance role");
    const uses = (s: string) => [...body(s).matchAll(/withAws\(([^)]+)\)/g)].map((m) => m[1]);
    expect(stages.map((s) => [s, uses(s)])).toEqual([
      ["Test", []],
      ["Plan", ["params.AWS_PLAN_CREDENTIALS_ID"]],
      ["Approve", []],
      ["Apply", ["params.AWS_APPLY_CREDENTIALS_ID"]],
      ["Drift", ["params.AWS_PLAN_CREDENTIALS_ID"]],
      ["Mutation", []],
    ]);
    const apply = body("Apply");
    expect(apply).toMatch(/if \(!params\.AWS_APPLY_CREDENTIALS_ID\?\.trim\(\)\) \{\n\s+error\(/);
    expect(apply.indexOf("error(")).toBeLessThan(apply.indexOf("withAws("));
    expect(text).not.toContain("params.AWS_CREDENTIALS_ID");
    expect(text).not.toMatch(/AKIA[0-9A-Z]{16}|aws_secret_access_key\s*=|AWS_SECRET_ACCESS_KEY\s*=/);
  });
});
