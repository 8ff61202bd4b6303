/**
 * Terraform tier: every synthesized stack of every environment passes `terraform init
 * -backend=false` against the offline provider mirror and `terraform validate`. Init installs from
 * the mirror as a user's would; validate attaches to one shared provider process
 * (test/support/terraform.ts `startSharedProvider`) instead of starting it once per stack.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listEnvironments } from "../settings";
import { LAYERS } from "../stacks/contract";
import { synthToDisk } from "./support/synth";
import { inPool, offlineTerraform, runAsync, skipWithoutTerraform, startSharedProvider, type SharedProvider } from "./support/terraform";

const skip = skipWithoutTerraform("terraform validate tier");

interface Diagnostic {
  severity: "error" | "warning";
  summary: string;
  detail?: string;
  range?: { start: { line: number } };
}

describe.skipIf(skip)("GIVEN every environment synthesized to Terraform JSON", () => {
  let work: string;
  let stacks: string[];
  let provider: SharedProvider | undefined;
  const results = new Map<string, { errors: Diagnostic[]; warnings: Diagnostic[]; log: string }>();

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-validate-"));
    const started = Date.now();
    [stacks, provider] = await Promise.all([synthToDisk(path.join(work, "out")), startSharedProvider()]);
    const installer = offlineTerraform(work);
    const tf = offlineTerraform(work, provider);
    await inPool(stacks, 2, async (dir) => {
      const init = await runAsync(installer, dir, ["init", "-backend=false", "-input=false"]);
      if (init.code !== 0) {
        results.set(path.basename(dir), { errors: [{ severity: "error", summary: "terraform init failed" }], warnings: [], log: init.stdout + init.stderr });
        return;
      }
      const validate = await runAsync(tf, dir, ["validate", "-json"]);
      const report = JSON.parse(validate.stdout) as { valid: boolean; diagnostics: Diagnostic[] };
      results.set(path.basename(dir), {
        errors: report.diagnostics.filter((d) => d.severity === "error"),
        warnings: report.diagnostics.filter((d) => d.severity === "warning"),
        log: validate.stderr,
      });
    });
    console.log(`terraform validate tier: checked ${results.size} stacks in ${((Date.now() - started) / 1000).toFixed(1)} s (${[...results.keys()].join(", ")})`);
  });

  afterAll(() => {
    provider?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("WHEN listed THEN there are seven stacks per environment", () => {
    const expected = listEnvironments().flatMap((env) => LAYERS.map((layer) => `${env}-${layer}`)).sort();
    expect(stacks.map((s) => path.basename(s))).toEqual(expected);
  });

  it.each(listEnvironments().flatMap((env) => LAYERS.map((layer) => `${env}-${layer}`)))(
    "WHEN %s is validated THEN terraform reports no error and no warning",
    (stack) => {
      const r = results.get(stack);
      expect(r, `no result for ${stack}`).toBeDefined();
      const describeAll = (ds: Diagnostic[]) => ds.map((d) => `${d.summary}${d.detail ? `: ${d.detail}` : ""}`);
      expect(describeAll(r!.errors), r!.log).toEqual([]);
      expect(describeAll(r!.warnings)).toEqual([]);
    },
  );
});
