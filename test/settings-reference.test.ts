/**
 * docs/settings-reference.md is generated from the settings schema (`npm run docs`,
 * scripts/settings-reference.ts): regenerated here in-process and compared with the committed file,
 * so a key added, removed, re-defaulted or re-constrained without `npm run docs` fails, and so does
 * a key nobody described.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFERENCE_FILE, settingsReference } from "../scripts/settings-reference";
import { DEFAULT_ENVIRONMENTS_DIR } from "../settings";

describe("GIVEN the settings schema and the shipped environments", () => {
  let generated: { markdown: string; missing: string[] };
  beforeAll(async () => {
    generated = await settingsReference();
  });

  it("WHEN the reference is generated THEN every key has a description", () => {
    expect(generated.missing, "keys without a .describe() text or an entry in settings/descriptions.ts").toEqual([]);
  });

  it("WHEN the reference is generated THEN it equals the committed docs/settings-reference.md (else run npm run docs)", () => {
    expect(fs.readFileSync(REFERENCE_FILE, "utf8") === generated.markdown, "docs/settings-reference.md is stale: run npm run docs and commit it").toBe(true);
  });

  it("WHEN generated twice THEN the output is byte-identical", async () => {
    expect((await settingsReference()).markdown).toBe(generated.markdown);
  });

  it("WHEN read THEN each row states the schema's own default and constraint (spot checks against settings/schema.ts)", () => {
    const row = (key: string) => generated.markdown.split("\n").find((l) => l.startsWith(`| \`${key}\` |`));
    expect(row("memberlist_port")).toMatch(/\| whole number \| `7946` \| 1-65535 \|/);
    expect(row("network.nat_gateways")).toMatch(/\| "per_az" or "single" \| \*required\* \|/);
    expect(row("load_balancer.domain.zone_id")).toMatch(/\*required\* in `load_balancer.domain`/);
    expect(row("services.<name>.ephemeral_storage_gib")).toMatch(/`21` \| 21-200 \|/);
    expect(row("loki.limits.ingestion_rate_mb")).toMatch(/`4` \| > 0 \| dev, prod: `50` \|/);
    expect(row("tenants.<id>.limits.mimir.ingestion_rate")).toContain("This tenant's own `mimir.limits.ingestion_rate`");
  });
});

describe("GIVEN an environments folder whose prod sets a different Loki schema date", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-ref-"));
    for (const f of fs.readdirSync(DEFAULT_ENVIRONMENTS_DIR)) fs.copyFileSync(path.join(DEFAULT_ENVIRONMENTS_DIR, f), path.join(dir, f));
    fs.appendFileSync(path.join(dir, "prod.tfvars"), '\nloki = { schema_from = "2024-06-01" }\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("WHEN the reference is generated from it THEN it differs from the committed file exactly in that row", async () => {
    const { markdown } = await settingsReference(dir);
    const committed = fs.readFileSync(REFERENCE_FILE, "utf8").split("\n");
    const changed = markdown.split("\n").filter((l, i) => l !== committed[i]);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/^\| `loki\.schema_from` \|.*\| prod: `"2024-06-01"` \|/);
  });
});
