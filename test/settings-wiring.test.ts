/**
 * Settings that no other suite follows end to end: each one, changed, reaches the resource or file
 * it drives, and a bad value is refused with the key named.
 */
import { describe, expect, it } from "vitest";
import { renderConfigs } from "../templates";
import { overrideError, settingsWith } from "./support/settings";
import { resourceOf, resourcesOf, synthLayer } from "./support/synth";

describe("GIVEN ecs.config_init_image", () => {
  it("WHEN changed THEN every task's init container uses that image", async () => {
    const image = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/busybox:1.37.0";
    const stack = synthLayer(await settingsWith({ ecs: { config_init_image: image } }), "60-ecs");
    // The memcached query cache has no config file, so no init container: its sizes are its command line.
    const inits = Object.values(resourcesOf(stack, "aws_ecs_task_definition"))
      .filter((td) => td.family !== "lgtm-prod-memcached")
      .map(
      (td) => (JSON.parse(td.container_definitions) as { name: string; image: string }[]).find((c) => c.name === "config")!.image,
    );
    expect(inits).toHaveLength(7);
    expect(new Set(inits)).toEqual(new Set([image]));
  });

  it("WHEN it is not an image reference THEN loading fails naming the key", async () => {
    expect(await overrideError({ ecs: { config_init_image: "busybox latest" } })).toContain(
      'environments/prod.tfvars: ecs.config_init_image: expected an image reference such as "public.ecr.aws/docker/library/busybox:1.37.0"',
    );
  });
});

describe("GIVEN ecs.container_insights", () => {
  it("WHEN set to enhanced THEN the cluster carries it", async () => {
    const stack = synthLayer(await settingsWith({ ecs: { container_insights: "enhanced" } }), "60-ecs");
    expect(resourceOf(stack, "aws_ecs_cluster").setting).toEqual([{ name: "containerInsights", value: "enhanced" }]);
  });

  it("WHEN set to a value ECS does not know THEN loading fails naming the key", async () => {
    expect(await overrideError({ ecs: { container_insights: "on" } })).toContain("environments/prod.tfvars: ecs.container_insights:");
  });
});

describe("GIVEN storage.abort_incomplete_upload_days", () => {
  it("WHEN changed THEN the bucket-wide abort rule uses it", async () => {
    const stack = synthLayer(await settingsWith({ storage: { abort_incomplete_upload_days: 3 } }), "30-storage");
    const rules = resourceOf(stack, "aws_s3_bucket_lifecycle_configuration").rule as { id: string; abort_incomplete_multipart_upload?: { days_after_initiation: number }[] }[];
    const abort = rules.filter((r) => r.abort_incomplete_multipart_upload);
    expect(abort.map((r) => r.abort_incomplete_multipart_upload![0].days_after_initiation)).toEqual([3]);
  });

  it("WHEN zero THEN loading fails naming the key", async () => {
    expect(await overrideError({ storage: { abort_incomplete_upload_days: 0 } })).toContain(
      "environments/prod.tfvars: storage.abort_incomplete_upload_days: expected a number of days",
    );
  });
});

describe("GIVEN aws.assume_role_arn", () => {
  it("WHEN set THEN every layer's provider assumes it, with a session named after the layer", async () => {
    const arn = "arn:aws:iam::111111111111:role/lgtm-deploy";
    const s = await settingsWith({ aws: { assume_role_arn: arn } });
    for (const layer of ["10-network", "60-ecs"] as const) {
      const provider = synthLayer(s, layer).provider!.aws[0] as { assume_role: { role_arn: string; session_name: string }[] };
      expect(provider.assume_role).toEqual([{ role_arn: arn, session_name: `lgtm-prod-${layer}` }]);
    }
  });

  it("WHEN it is not an ARN THEN loading fails naming the key", async () => {
    expect(await overrideError({ aws: { assume_role_arn: "lgtm-deploy" } })).toContain("environments/prod.tfvars: aws.assume_role_arn: expected an AWS ARN");
  });
});

describe("GIVEN alloy.cloudwatch.scrape_interval", () => {
  it("WHEN changed THEN Alloy's CloudWatch exporter scrapes at that interval", async () => {
    const alloy = renderConfigs(await settingsWith({ alloy: { cloudwatch: { scrape_interval: "2m" } } })).find((c) => c.service === "alloy")!;
    expect(alloy.content).toContain('scrape_interval = "2m"');
    expect(alloy.content).not.toContain('scrape_interval = "5m"');
  });

  it("WHEN it uses days, which Alloy cannot read THEN loading fails naming the key", async () => {
    expect(await overrideError({ alloy: { cloudwatch: { scrape_interval: "1d" } } })).toContain(
      'environments/prod.tfvars: alloy.cloudwatch.scrape_interval: expected a duration such as "30s", "5m" or "1h" (no days)',
    );
  });
});
