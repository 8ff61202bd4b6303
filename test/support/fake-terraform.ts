/**
 * An in-process stand-in for the terraform CLI (commands/terraform.ts `TerraformCli`): records every
 * call (stack folder, arguments) and answers per stack folder as a scenario says: init fails, plan
 * exits 0/1/2 and writes a plan file, show prints a plan JSON fixture made by the real terraform,
 * apply succeeds or fails. For the command logic around terraform (order, flags, files, exit codes);
 * the real terraform runs in the tiers of test/support/terraform.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { TerraformCli } from "../../commands/terraform";

export interface StackScenario {
  /** init exits 1 with a backend error. */
  readonly init?: boolean;
  /** plan's -detailed-exitcode (default 2 when `show` is set, else 0). */
  readonly plan?: 0 | 1 | 2;
  /** test/fixtures file `show -json` prints (default: an empty plan). */
  readonly show?: string;
  /** apply exits 1. */
  readonly apply?: boolean;
  /** What `state pull` prints (default: a state with no resources). */
  readonly state?: unknown;
}

export interface FakeCall {
  readonly stack: string;
  readonly args: string[];
}

export interface FakeTerraform extends TerraformCli {
  readonly calls: FakeCall[];
  /** "<stack> <subcommand>" per call, for order assertions. */
  steps(): string[];
}

const FIXTURES = path.join(__dirname, "..", "fixtures");

export function fakeTerraform(scenario: Record<string, StackScenario> = {}): FakeTerraform {
  const calls: FakeCall[] = [];
  return {
    binary: "fake-terraform",
    calls,
    steps: () => calls.filter((c) => c.args[0] !== "version").map((c) => `${c.stack} ${c.args[0]}`),
    runAsync(cwd, args) {
      return Promise.resolve(this.run(cwd, args));
    },
    run(cwd, args) {
      const stack = path.basename(cwd);
      calls.push({ stack, args });
      const s = scenario[stack] ?? {};
      switch (args[0]) {
        case "version":
          return { code: 0, stdout: JSON.stringify({ terraform_version: "1.11.4" }), stderr: "" };
        case "init":
          return s.init ? { code: 1, stdout: "", stderr: "\nError: Failed to get existing workspaces: AccessDenied\n" } : { code: 0, stdout: "Terraform has been successfully initialized!\n", stderr: "" };
        case "plan": {
          const code = s.plan ?? (s.show ? 2 : 0);
          if (code === 1) return { code: 1, stdout: "", stderr: "\nError: Unable to find remote state\n" };
          const out = args.find((a) => a.startsWith("-out="))!.slice(5);
          fs.writeFileSync(path.join(cwd, out), `fake plan of ${stack} from ${s.show ?? "nothing"}`);
          return { code, stdout: "", stderr: "" };
        }
        case "show":
          return { code: 0, stdout: s.show ? fs.readFileSync(path.join(FIXTURES, s.show), "utf8") : JSON.stringify({ format_version: "1.2", resource_changes: [] }), stderr: "" };
        case "state":
          // `state pull` (commands/terraform.ts refreshScope): an empty state unless the scenario has one.
          return { code: 0, stdout: JSON.stringify(s.state ?? { version: 4, resources: [] }), stderr: "" };
        case "apply":
          return s.apply ? { code: 1, stdout: "", stderr: "\nError: creating S3 Bucket: BucketAlreadyExists\n" } : { code: 0, stdout: "Apply complete!\n", stderr: "" };
        default:
          return { code: 1, stdout: "", stderr: `fake terraform: unexpected ${args.join(" ")}` };
      }
    },
  };
}
