/**
 * Layers reference only what they declare (stacks/references.ts): LayerStack skips cdktf's
 * "preparing" pass, which exists to wire references between stacks, so a reference to another
 * layer's resource must come out as one synth can see and refuse.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../commands/synth";
import { readSynthesizedStacks } from "../policy";
import { stackId } from "../stacks/contract";
import { foreignReferences, referencedAddresses } from "../stacks/references";
import { shipped } from "./support/settings";
import { synthToDisk } from "./support/synth";

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-references-"));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("GIVEN the shipped environments synthesized", () => {
  it("WHEN every stack's references are checked THEN each names a resource or data source of its own stack", async () => {
    const out = path.join(work, "shipped");
    await synthToDisk(out);
    const stacks = readSynthesizedStacks(out);
    expect(stacks).toHaveLength(14);
    for (const { id, json } of stacks) expect(foreignReferences(json as never), id).toEqual([]);
    // Not vacuous: 60-ecs reads other layers through remote state and wires its own resources.
    const ecs = referencedAddresses(stacks.find((s) => s.id === "prod-60-ecs")!.json as never);
    expect(ecs).toContain("data.terraform_remote_state.network");
    expect(ecs.filter((a) => a.startsWith("aws_ecs_task_definition."))).not.toEqual([]);
  });
});

describe("GIVEN a construct in 60-ecs that references 10-network's VPC directly", () => {
  it("WHEN synthesized THEN the reference names a resource 60-ecs does not declare, and the check reports where", async () => {
    const s = await shipped("dev");
    const app = buildApp(new App({ outdir: path.join(work, "leak"), stackTraces: false }), [s]);
    const stackOf = (layer: "10-network" | "60-ecs") => app.node.children.find((c) => c.node.id === stackId(s.env, layer)) as TerraformStack;
    const vpc = stackOf("10-network").node.findAll().find((c): c is Vpc => c instanceof Vpc)!;
    new SsmParameter(stackOf("60-ecs"), "leak", { name: "/leak/vpc", type: "String", value: vpc.id });
    app.synth();
    const ecs = readSynthesizedStacks(path.join(work, "leak")).find((x) => x.id === stackId(s.env, "60-ecs"))!;
    expect(foreignReferences(ecs.json as never)).toEqual([{ at: "resource.aws_ssm_parameter.leak.value", address: `aws_vpc.${vpc.friendlyUniqueId}` }]);
  });
});

describe("GIVEN hand-written stack JSON", () => {
  const stack = {
    resource: { aws_lb: { alb: { subnets: "${data.terraform_remote_state.network.outputs.public_subnet_ids}", name: "$${not.a_reference.x}" } } },
    data: { terraform_remote_state: { network: { backend: "s3" } } },
    output: { dns: { value: "${aws_lb.alb.dns_name}" }, other: { value: "${upper(aws_lb.gone.dns_name)}", depends_on: ["aws_iam_role.gone"] } },
  };
  it("WHEN checked THEN declared resources and data sources pass, an escape is text, and an undeclared one is found in an expression or depends_on", () => {
    expect(foreignReferences(stack as never)).toEqual([
      { at: "output.other.value", address: "aws_lb.gone" },
      { at: "output.other.depends_on[0]", address: "aws_iam_role.gone" },
    ]);
  });
});
