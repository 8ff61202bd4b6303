/**
 * The pipelines (.github/workflows/*.yml, Jenkinsfile) parsed as their runners read them (YAML;
 * for the Jenkinsfile, its stage names and `sh` steps), calling exactly the commands docs/reviewing.md
 * ("Pipelines") documents, with no credential in the repository and no apply
 * that is not `npm run apply` of saved plans.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { listEnvironments } from "../settings";

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
  on: Record<string, unknown>;
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

  it("WHEN read THEN it plans every environment on pull requests, through OIDC, with no secret", () => {
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(job.strategy?.matrix.env.sort()).toEqual(listEnvironments().sort());
    expect(wf.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
    expect(job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"))?.with).toMatchObject({ "role-to-assume": "${{ vars.LGTM_PLAN_ROLE_ARN }}" });
    expect(text).not.toMatch(NO_SECRETS);
  });

  it("WHEN read THEN it calls exactly the documented commands: npm ci and npm run plan with --save, Markdown, JSON and the base branch's settings for the cost", () => {
    expect(jobCommands(job)).toEqual([
      "npm ci --no-audit --no-fund",
      'npm run plan -- --env "$LGTM_ENV" --save "plans/$LGTM_ENV" --markdown "plan-$LGTM_ENV.md" --json "plan-$LGTM_ENV.json" --cost-base "$RUNNER_TEMP/base/environments"',
    ]);
    expect(jobCommands(job)).toEqual(documented("plan.yml"));
  });

  it("WHEN read THEN one comment per environment is updated in place, the plans are an artifact, and exit 1 or 3 fails the job", () => {
    const comment = job.steps.find((s) => s.uses?.startsWith("actions/github-script"));
    expect(comment?.if).toBe("always()");
    const script = String(comment?.with?.script);
    expect(script).toContain("const marker = `<!-- lgtm-fargate plan: ${env} -->`");
    expect(script).toContain("github.rest.issues.updateComment");
    expect(script.indexOf("updateComment")).toBeLessThan(script.indexOf("createComment"));
    expect(job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"))?.with?.path).toContain("plans/${{ matrix.env }}");
    const gate = job.steps[job.steps.length - 1];
    expect(gate.if).toBe("steps.plan.outputs.exit_code != '0' && steps.plan.outputs.exit_code != '2'");
  });
});

describe("GIVEN .github/workflows/deploy.yml", () => {
  const { text, wf } = workflow("deploy.yml");

  it("WHEN read THEN it runs on a push to main or by hand, and two deploys never race", () => {
    expect(wf.on).toEqual({ push: { branches: ["main"] }, workflow_dispatch: {} });
    expect(wf.concurrency).toEqual({ group: "deploy", "cancel-in-progress": false });
    expect(text).not.toMatch(NO_SECRETS);
  });

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
      ["npm ci --no-audit --no-fund", 'npm run plan -- --env "$LGTM_ENV" --save "plans/$LGTM_ENV" --markdown "plan-$LGTM_ENV.md" --json "plan-$LGTM_ENV.json"'],
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

  it("WHEN read THEN it is declarative with the stages test, plan, approval, apply and the scheduled drift check", () => {
    expect(text).toMatch(/^pipeline \{/m);
    expect(stages).toEqual(["Test", "Plan", "Approve", "Apply", "Drift", "Mutation"]);
    expect(text).toMatch(/triggers \{\n\s+cron\('H 5 \* \* 1-5'\)/);
    expect(body("Approve")).toMatch(/input message: /);
    expect(body("Approve")).toContain("branch 'main'");
    expect(body("Apply")).toContain("branch 'main'");
    expect(text).toContain("disableConcurrentBuilds()");
  });

  it("WHEN read THEN its sh steps are exactly the documented commands", () => {
    expect(stages.map((s) => [s, shSteps(s)])).toEqual([
      ["Test", ["npm ci --no-audit --no-fund", "npm test"]],
      ["Plan", ['npm run plan -- --env "$LGTM_ENV" --save "plans/$LGTM_ENV" --markdown "plan-$LGTM_ENV.md" --json "plan-$LGTM_ENV.json"']],
      ["Approve", []],
      ["Apply", ['npm run apply -- --env "$LGTM_ENV" --plans "plans/$LGTM_ENV"']],
      ["Drift", ["npm ci --no-audit --no-fund", 'npm run drift -- --env "$LGTM_ENV" --report "drift-$LGTM_ENV.md" --json "drift-$LGTM_ENV.json"']],
      ["Mutation", ["npm ci --no-audit --no-fund", "LGTM_MUTATION_CONCURRENCY=2 npm run mutation"]],
    ]);
    // The deploy pipeline's commands are README's; the weekly mutation run is docs/mutation-testing.md's.
    expect([...new Set(stages.filter((s) => s !== "Mutation").flatMap(shSteps))]).toEqual(documented("Jenkinsfile"));
    expect(read("docs/mutation-testing.md")).toContain("the `Mutation` stage");
    expect(body("Plan")).toContain("archiveArtifacts artifacts: 'plan-*.md, plan-*.json, plans/**'");
  });

  it("WHEN read THEN AWS credentials come from the Jenkins AWS binding or the instance role, never from the repository", () => {
    expect(text).toContain("[$class: 'AmazonWebServicesCredentialsBinding', credentialsId: params.AWS_CREDENTIALS_ID]");
    expect(text).toContain("body() // the agent's instance role");
    expect(text).not.toMatch(/AKIA[0-9A-Z]{16}|aws_secret_access_key\s*=|AWS_SECRET_ACCESS_KEY\s*=/);
  });
});
