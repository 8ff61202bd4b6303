/**
 * commands/drift.ts's judgement, in process: plan summaries from real `terraform show -json` output
 * (test/fixtures, see make-plan-fixtures.sh), the status each layer gets from its summary and
 * terraform's exit code, and the report's rendering. The command itself (a fake terraform, argument
 * errors, a real terraform against an S3 backend) is test/drift.test.ts. Fast and in process, so
 * the mutation run (vitest.mutation.config.mts) uses it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { driftedAttributes, renderMarkdown, statusOf, summarizePlan, type DriftPlanJson, type DriftReport, type PlanJson } from "../commands/drift";

const FIXTURES = path.join(__dirname, "fixtures");
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8")) as PlanJson;

describe("GIVEN plan JSON written by the real terraform (test/fixtures)", () => {
  it("WHEN objects were changed and deleted outside Terraform THEN the drift lists them, with the changed attribute names", () => {
    const summary = summarizePlan(fixture("plan-with-drift.json"));
    expect(summary.drift).toEqual([
      { address: "aws_s3_object.rules", action: "delete", detail: "deleted outside Terraform" },
      { address: "aws_s3_object.settings", action: "update", detail: expect.stringContaining("content_type") },
    ]);
    expect(summary.changes).toEqual([
      { address: "aws_s3_object.rules", action: "create", detail: "" },
      { address: "aws_s3_object.settings", action: "update", detail: "content_type" },
    ]);
    expect(statusOf(summary, 2)).toBe("drift");
  });

  it("WHEN the configuration changed THEN the changes say create, update, replace and delete, and why", () => {
    const summary = summarizePlan(fixture("plan-with-changes.json"));
    expect(summary.drift).toEqual([]);
    expect(summary.changes).toEqual([
      { address: "terraform_data.added", action: "create", detail: "" },
      { address: "terraform_data.removed", action: "delete", detail: "no longer in the configuration" },
      { address: "terraform_data.replaced", action: "replace", detail: "triggers_replace forces replacement" },
      { address: "terraform_data.updated", action: "update", detail: "input" },
    ]);
    expect(summary.outputs).toEqual([{ address: "output.updated", action: "update", detail: "" }]);
    expect(statusOf(summary, 2)).toBe("changes pending");
  });

  it("WHEN nothing changed THEN the summary is empty and the status is no changes", () => {
    const summary = summarizePlan(fixture("plan-no-changes.json"));
    expect(summary).toEqual({ drift: [], refreshed: [], changes: [], outputs: [] });
    expect(statusOf(summary, 0)).toBe("no changes");
  });

  it("WHEN terraform exits 2 but the summary lists nothing THEN the status still says changes pending: terraform's verdict wins over an empty summary", () => {
    // Exit 2 with nothing itemized: a change the summary does not list (a data source read, an
    // action this version does not know). A scheduled check must not report "no changes" then.
    const empty = summarizePlan(fixture("plan-no-changes.json"));
    expect(statusOf(empty, 2)).toBe("changes pending");
    expect(statusOf(empty, 0)).toBe("no changes");
    // Each part of the summary decides on its own, whatever the exit code says.
    const entry = { address: "x.y", action: "update", detail: "" };
    expect(statusOf({ drift: [], refreshed: [], changes: [], outputs: [entry] }, 0)).toBe("changes pending");
    expect(statusOf({ drift: [], refreshed: [], changes: [entry], outputs: [] }, 0)).toBe("changes pending");
    expect(statusOf({ drift: [entry], refreshed: [], changes: [], outputs: [] }, 0)).toBe("drift");
  });

  describe("AND a plan of dev's 10-network right after its apply against the AWS API emulator, with the VPC's Name tag changed by hand (plan-refresh-after-apply.json)", () => {
    const plan = () => fixture("plan-refresh-after-apply.json") as DriftPlanJson;
    const withoutVpc = (p: DriftPlanJson): DriftPlanJson => ({
      ...p,
      resource_drift: p.resource_drift!.filter((rc) => rc.address !== "aws_vpc.network_vpc"),
      resource_changes: p.resource_changes!.filter((rc) => rc.address !== "aws_vpc.network_vpc"),
    });

    it("WHEN summarized THEN only the VPC is drift (its tags, which the plan sets back); the EIP's association and the route tables' routes are only refreshed", () => {
      const p = plan();
      // The shape terraform wrote: six drifted resources, one planned change.
      expect(p.resource_drift!.map((rc) => rc.address)).toHaveLength(6);
      const summary = summarizePlan(p);
      expect(summary.drift).toEqual([{ address: "aws_vpc.network_vpc", action: "update", detail: "tags, tags_all" }]);
      expect(summary.refreshed).toEqual([
        { address: "aws_eip.network_nat_ap-northeast-2a_ip", action: "update", detail: "association_id, network_interface, private_dns, private_ip" },
        { address: "aws_route_table.network_private_routes_ap-northeast-2a", action: "update", detail: "route" },
        { address: "aws_route_table.network_private_routes_ap-northeast-2c", action: "update", detail: "route" },
        { address: "aws_route_table.network_public_routes", action: "update", detail: "route" },
      ]);
      expect(statusOf(summary, 2)).toBe("drift");
    });

    it("WHEN a drifted attribute only changed from null to empty THEN it is no change at all (the NAT gateway's secondary_allocation_ids)", () => {
      const nat = plan().resource_drift!.find((rc) => rc.address === "aws_nat_gateway.network_nat_ap-northeast-2a")!;
      expect(driftedAttributes(nat)).toEqual([]);
      expect(summarizePlan(plan()).refreshed.map((e) => e.address)).not.toContain(nat.address);
    });

    it("WHEN nothing was changed by hand (the same plan without the VPC) THEN the layer is clean: refresh noise is not drift", () => {
      const summary = summarizePlan(withoutVpc(plan()));
      expect(summary.drift).toEqual([]);
      expect(summary.changes).toEqual([]);
      expect(summary.refreshed).toHaveLength(4);
      expect(statusOf(summary, 0)).toBe("no changes");
    });

    it("WHEN rendered clean THEN the report counts the refreshed resources in one line, says they are not drift, and exits 0", () => {
      const summary = summarizePlan(withoutVpc(plan()));
      const report: DriftReport = {
        env: "dev",
        terraform_version: "1.11.4",
        result: "no changes",
        exit_code: 0,
        layers: [{ layer: "10-network", stack: "dev-10-network", dir: "cdktf.out/stacks/dev-10-network", status: statusOf(summary, 0), ...summary, notes: [] }],
        skipped: [],
      };
      const markdown = renderMarkdown(report);
      expect(markdown).toContain("| 10-network | no changes | 0 | 0 | 0 | 0 | 0 | 0 |");
      expect(markdown).toContain("Not drift: 4 resources whose refresh changed only attributes nothing configures or reads");
      expect(markdown).not.toContain("## 10-network");
    });

    it("WHEN a planned change reads a drifted attribute (relevant_attributes, added to the same plan) THEN that drift counts, with that attribute only", () => {
      const p = withoutVpc(plan());
      p.relevant_attributes = [{ resource: "aws_route_table.network_public_routes", attribute: ["route"] }];
      const summary = summarizePlan(p);
      expect(summary.drift).toEqual([{ address: "aws_route_table.network_public_routes", action: "update", detail: "route" }]);
      expect(summary.refreshed.map((e) => e.address)).not.toContain("aws_route_table.network_public_routes");
      expect(statusOf(summary, 0)).toBe("drift");
    });
  });


  it("WHEN rendered THEN the report names attributes but never prints their values", () => {
    const summary = summarizePlan(fixture("plan-with-drift.json"));
    const report: DriftReport = {
      env: "prod",
      terraform_version: "1.11.4",
      result: "drift",
      exit_code: 2,
      layers: [{ layer: "30-storage", stack: "prod-30-storage", dir: "cdktf.out/stacks/prod-30-storage", status: "drift", ...summary, notes: [] }],
      skipped: [],
    };
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("| `aws_s3_object.settings` | update | content_type");
    expect(markdown).toContain("Full plan: `terraform -chdir=cdktf.out/stacks/prod-30-storage plan -lock=false`");
    // The objects' contents and content types, in the plan's before/after values.
    for (const value of ["9009", "9010", "text/plain", "application/json", "groups"]) expect(markdown).not.toContain(value);
  });
});

describe("GIVEN hand-written plan JSON for the cases the fixtures do not show", () => {
  const rc = (address: string, actions: string[], change: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
    address,
    mode: "managed",
    type: address.split(".")[0],
    name: address.split(".")[1],
    change: { actions, before: {}, after: {}, ...change },
    ...extra,
  });

  it("WHEN several attributes changed THEN the drift and the update list each of them, comma-separated", () => {
    // Drift counts when the plan sets the drifted attributes back (commands/drift.ts): the same
    // resource's update reverses them.
    const twice = { before: { a: 1, b: 1, c: 1 }, after: { a: 2, b: 2, c: 1 } };
    const back = { before: { a: 2, b: 2, c: 1 }, after: { a: 1, b: 1, c: 1 } };
    const summary = summarizePlan({ resource_drift: [rc("x.drifted", ["update"], twice)], resource_changes: [rc("x.drifted", ["update"], back), rc("x.updated", ["update"], twice)] } as PlanJson);
    expect(summary.drift).toEqual([{ address: "x.drifted", action: "update", detail: "a, b" }]);
    expect(summary.changes).toEqual([
      { address: "x.drifted", action: "update", detail: "a, b" },
      { address: "x.updated", action: "update", detail: "a, b" },
    ]);
  });

  it("WHEN a replace has no forcing attribute and no reason THEN its detail is empty; with two forcing attributes both are named", () => {
    const summary = summarizePlan({
      resource_changes: [
        rc("x.plain", ["delete", "create"], { before: { a: 1 }, after: { a: 2 } }),
        rc("x.forced", ["create", "delete"], { before: { a: 1, b: 1 }, after: { a: 2, b: 2 }, replace_paths: [["a"], ["b", 0], ["a"]] }),
      ],
    } as PlanJson);
    expect(summary.changes).toEqual([
      { address: "x.plain", action: "replace", detail: "" },
      { address: "x.forced", action: "replace", detail: "a, b forces replacement" },
    ]);
  });

  it("WHEN a data source is read or a resource is unchanged THEN nothing is listed, and the status is no changes", () => {
    const summary = summarizePlan({
      resource_changes: [rc("x.same", ["no-op"]), { ...rc("aws_partition.current", ["read"]), mode: "data" }],
      output_changes: { same: { actions: ["no-op"] } },
    } as unknown as PlanJson);
    expect(summary).toEqual({ drift: [], refreshed: [], changes: [], outputs: [] });
    expect(statusOf(summary, 0)).toBe("no changes");
  });
});
