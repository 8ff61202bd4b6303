/**
 * loki.previous_schema_periods: an adopted Loki's own schema_config periods, rendered ahead of the
 * TSDB v13 period this stack writes, so logs written before the migration stay readable
 * (docs/migration.md, step 1). Validated as Loki validates them: oldest first, all before
 * loki.schema_from, and only stores and schemas Loki 3 reads.
 */
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { renderConfigs } from "../templates";
import { overrideError, settingsWith, shipped } from "./support/settings";

const lokiSchema = async (override: Parameters<typeof settingsWith>[0]) => {
  const s = await settingsWith(override);
  const loki = renderConfigs(s).find((c) => c.service === "loki" && c.fileName === "loki.yaml")!;
  return (parseYaml(loki.content) as { schema_config: { configs: unknown[] } }).schema_config.configs;
};

describe("GIVEN the shipped prod settings (no previous periods)", () => {
  it("WHEN loki.yaml is rendered THEN schema_config has the one TSDB v13 period from loki.schema_from", async () => {
    const s = await shipped("prod");
    expect(s.loki.previous_schema_periods).toEqual([]);
    expect(await lokiSchema({})).toEqual([{ from: s.loki.schema_from, store: "tsdb", object_store: "s3", schema: "v13", index: { prefix: "index_", period: "24h" } }]);
  });
});

describe("GIVEN an adopted Loki's two periods carried over", () => {
  const loki = {
    schema_from: "2025-06-01",
    previous_schema_periods: [
      { from: "2023-01-01", store: "boltdb-shipper", schema: "v12", index_prefix: "loki_index_" },
      { from: "2024-04-01", store: "tsdb", schema: "v13", index_prefix: "index_" },
    ],
  };

  it("WHEN loki.yaml is rendered THEN they come first, oldest first, with their own index prefixes, then this stack's period", async () => {
    expect(await lokiSchema({ loki })).toEqual([
      { from: "2023-01-01", store: "boltdb-shipper", object_store: "s3", schema: "v12", index: { prefix: "loki_index_", period: "24h" } },
      { from: "2024-04-01", store: "tsdb", object_store: "s3", schema: "v13", index: { prefix: "index_", period: "24h" } },
      { from: "2025-06-01", store: "tsdb", object_store: "s3", schema: "v13", index: { prefix: "index_", period: "24h" } },
    ]);
  });

  it("WHEN a period starts on or after loki.schema_from THEN loading names its from and the date it must precede", async () => {
    const message = await overrideError({ loki: { schema_from: "2024-01-01", previous_schema_periods: loki.previous_schema_periods } });
    expect(message).toContain('loki.previous_schema_periods[1].from: "2024-04-01" is not before loki.schema_from "2024-01-01"');
  });

  it("WHEN the periods are out of order THEN loading names the one that is not after its predecessor", async () => {
    const message = await overrideError({ loki: { schema_from: "2025-06-01", previous_schema_periods: [loki.previous_schema_periods[1], loki.previous_schema_periods[0]] } });
    expect(message).toContain('loki.previous_schema_periods[1].from: "2023-01-01" is not after the previous period\'s "2024-04-01"');
  });

  it("WHEN a period names a store or schema Loki 3 cannot read, or a malformed date or prefix THEN loading names the key", async () => {
    const bad = (p: Record<string, string>) => overrideError({ loki: { previous_schema_periods: [{ from: "2023-01-01", store: "tsdb", schema: "v13", ...p }] } });
    expect(await bad({ store: "aws-dynamo" })).toContain('loki.previous_schema_periods[0].store: expected "tsdb" or "boltdb-shipper"');
    expect(await bad({ schema: "v9" })).toContain('loki.previous_schema_periods[0].schema: expected "v11", "v12" or "v13"');
    expect(await bad({ from: "2023/01/01" })).toContain("loki.previous_schema_periods[0].from: expected a date");
    expect(await bad({ index_prefix: "index/" })).toContain("loki.previous_schema_periods[0].index_prefix: expected an index prefix");
  });
});
