/**
 * templates/reference.ts: the rendered configs' keys against the upstream references of the pinned
 * releases (../shared/upstream), and the small Alloy syntax parser the check uses.
 *
 * The reference data lives outside the project. When it is absent the tests that need it are
 * skipped LOUDLY (a banner on stderr and "skipped" in the report), never passed silently.
 */
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Settings } from "../settings";
import { AlloySyntaxError, parseAlloy, referencesIn } from "../templates/alloy-syntax";
import { checkRenderedConfigs, renderConfigs, type RenderedConfig } from "../templates";
import {
  checkAlloy,
  checkGrafanaDatasources,
  defaultReferenceDir,
  KeyReference,
  loadAlloyReference,
  loadGrafanaReference,
  loadKeyReference,
  referenceVersion,
  type AlloyReference,
  type GrafanaReference,
} from "../templates/reference";
import { shipped } from "./support/settings";
import { REFERENCE_DIR, skipWithoutUpstream } from "./support/upstream";

const HAVE_REFERENCES = !skipWithoutUpstream("upstream key checks");

/** Replaces a service's rendered content (the checks parse whatever they are given). */
function edit(configs: readonly RenderedConfig[], service: string, change: (content: string) => string): RenderedConfig[] {
  return configs.map((c) => (c.service === service ? { ...c, content: change(c.content) } : c));
}

function mustLoad<T>(loaded: { ok: true; value: T } | { ok: false; warning: string }): T {
  if (!loaded.ok) throw new Error(loaded.warning);
  return loaded.value;
}

/** The hidden keys the templates knowingly use (each is explained where the template sets it). */
const KNOWN_HIDDEN_KEY_WARNINGS = ['pyroscope/pyroscope.yaml: "limits.write_path" is accepted by Pyroscope 2.2.1 but undocumented upstream'];

describe.skipIf(!HAVE_REFERENCES).each(["prod", "dev"])("GIVEN the shipped %s configs and the upstream references", (env) => {
  let s: Settings;
  let configs: RenderedConfig[];
  beforeAll(async () => {
    s = await shipped(env);
    configs = renderConfigs(s);
  });

  it("WHEN every rendered key is checked against the pinned releases THEN none is unknown, and the only warnings are the known hidden keys", () => {
    const result = checkRenderedConfigs(s, configs, REFERENCE_DIR);
    expect(result.errors).toEqual([]);
    expect(result.warnings.length).toBe(KNOWN_HIDDEN_KEY_WARNINGS.length);
    KNOWN_HIDDEN_KEY_WARNINGS.forEach((w, i) => expect(result.warnings[i]).toContain(w));
  });

  it("WHEN a removed Tempo 2 block is added (compactor:, ingester:) THEN the check names the key and the template", () => {
    const broken = edit(configs, "tempo", (c) => `${c}compactor:\n  compaction:\n    block_retention: 168h\ningester:\n  max_block_duration: 5m\n`);
    const { errors } = checkRenderedConfigs(s, broken, REFERENCE_DIR);
    expect(errors).toContainEqual(expect.stringMatching(/^templates\/tempo\/tempo\.yaml\.hbs: "compactor" is not a Tempo 3\.0\.3 configuration key.*services\.tempo\.version/));
    expect(errors).toContainEqual(expect.stringContaining('"ingester" is not a Tempo 3.0.3 configuration key'));
  });

  it("WHEN Loki 2's compactor.shared_store is added THEN the check rejects it and suggests nothing misleading", () => {
    const broken = edit(configs, "loki", (c) => c.replace("compactor:\n", "compactor:\n  shared_store: s3\n"));
    const { errors } = checkRenderedConfigs(s, broken, REFERENCE_DIR);
    expect(errors).toContainEqual(expect.stringContaining('"compactor.shared_store" is not a Loki 3.7.6 configuration key'));
  });

  it("WHEN a Mimir key is misspelt THEN the check suggests the right one", () => {
    const broken = edit(configs, "mimir", (c) => c.replace("storage_prefix: \"blocks\"", "storage_prefx: \"blocks\""));
    const { errors } = checkRenderedConfigs(s, broken, REFERENCE_DIR);
    expect(errors).toContainEqual(expect.stringContaining('"blocks_storage.storage_prefx" is not a Mimir 3.0.4 configuration key; did you mean "storage_prefix"?'));
  });

  it("WHEN an Alloy component, argument or block is unknown, or a reference names a missing export THEN each is an error", () => {
    const broken = edit(configs, "alloy", (c) =>
      c
        .replace('loki.write "loki" {', 'loki.writer "loki" {')
        .replace("check_interval         =", "check_intervall        =")
        .replace("    tls {\n", "    tlss {\n")
        .replace("prometheus.remote_write.mimir.receiver]\n}", "prometheus.remote_write.mimir.input]\n}"),
    );
    const { errors } = checkRenderedConfigs(s, broken, REFERENCE_DIR);
    expect(errors).toContainEqual(expect.stringContaining('"loki.writer" (line'));
    expect(errors).toContainEqual(expect.stringContaining('did you mean "loki.write"?'));
    expect(errors).toContainEqual(expect.stringContaining('"check_intervall"'));
    expect(errors).toContainEqual(expect.stringContaining('block "client.tlss"'));
    expect(errors).toContainEqual(expect.stringContaining('not "input"'));
    // The renamed loki.write also leaves otelcol.exporter.loki pointing at nothing.
    expect(errors).toContainEqual(expect.stringContaining('reference "loki.write.loki.receiver" names loki.write "loki", which this file does not declare'));
  });

  it("WHEN a required Alloy argument or block is missing THEN the check names it", () => {
    const broken = edit(configs, "alloy", (c) => c.replace(/    url       = "http:\/\/loki[^\n]*\n/, "").replace(/otelcol\.exporter\.otlp "tempo" \{\n  client \{/, 'otelcol.exporter.otlp "tempo" {\n  clientx {'));
    const { errors } = checkRenderedConfigs(s, broken, REFERENCE_DIR);
    expect(errors).toContainEqual(expect.stringContaining('misses its required argument "url"'));
    expect(errors).toContainEqual(expect.stringContaining('misses its required block "client"'));
  });

  it("WHEN a Grafana datasource field is misspelt THEN the check names the datasource type and the field", () => {
    const broken = edit(configs, "grafana", (c) => c.replace("tracesToLogsV2:", "tracesToLogsV3:").replace("apiVersion: 1", "apiVersion: 1\nprun: true"));
    const { errors } = checkRenderedConfigs(s, broken, REFERENCE_DIR);
    expect(errors).toContainEqual(expect.stringContaining('"datasources[2].jsonData.tracesToLogsV3" is not a Grafana tempo datasource configuration key; did you mean "tracesToLogsV2"?'));
    expect(errors).toContainEqual(expect.stringContaining('"prun" is not a Grafana datasource provisioning configuration key; did you mean "prune"?'));
  });

  it("WHEN a pinned version has no reference file THEN that service's keys are reported as NOT checked, naming the setting, and nothing else changes", () => {
    const unpinned = { ...s, services: { ...s.services, tempo: { ...s.services.tempo, version: "9.9.9" } } } as Settings;
    const broken = edit(renderConfigs(unpinned), "tempo", (c) => `${c}compactor: {}\n`);
    const result = checkRenderedConfigs(unpinned, broken, REFERENCE_DIR);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toContainEqual(expect.stringMatching(/^Tempo 9\.9\.9 \(services\.tempo\.version\) has no reference tempo\/9\.9\.9\.keys\.json.*NOT checked.*3\.0\.3/));
  });
});

describe.skipIf(!HAVE_REFERENCES)("GIVEN the reference files themselves", () => {
  it("WHEN a Tempo remote-write header (a free-form map key), a label with dots and an OTel receiver subtree are checked THEN `*` and `**` accept them", () => {
    const tempo = mustLoad(loadKeyReference(REFERENCE_DIR, "tempo", "3.0.3"));
    const findings = tempo.check({
      metrics_generator: {
        registry: { external_labels: { "k8s.cluster.name": "a" } },
        storage: { remote_write: [{ url: "http://x", headers: { "X-Scope-OrgID": "t" } }] },
      },
      distributor: { receivers: { otlp: { protocols: { grpc: { endpoint: "0.0.0.0:4317", keepalive: { server_parameters: { time: "1m" } } } } } } },
    });
    expect(findings).toEqual([]);
  });

  it("WHEN an element key of a list of objects is misspelt THEN the path shows the [] element", () => {
    const loki = mustLoad(loadKeyReference(REFERENCE_DIR, "loki", "3.7.6"));
    const findings = loki.check({ limits_config: { retention_stream: [{ selector: "{a=\"b\"}", priorty: 1, period: "24h" }] } });
    expect(findings).toEqual([expect.objectContaining({ severity: "error", path: "limits_config.retention_stream[].priorty" })]);
    expect(findings[0].message).toContain('did you mean "priority"?');
  });

  it("WHEN a hidden key is used THEN it passes with a warning, not an error", () => {
    const pyroscope = mustLoad(loadKeyReference(REFERENCE_DIR, "pyroscope", "2.2.1"));
    expect(pyroscope.check({ limits: { retention_period: "720h" } })).toEqual([expect.objectContaining({ severity: "warning", path: "limits.retention_period" })]);
  });

  it("WHEN a version is written as a tag (v1.18.1) THEN its reference file is found without the v", () => {
    expect(referenceVersion("v1.18.1")).toBe("1.18.1");
    expect(referenceVersion("3.0.4")).toBe("3.0.4");
    expect(loadAlloyReference(REFERENCE_DIR, "v1.18.1").ok).toBe(true);
    expect(loadKeyReference(REFERENCE_DIR, "mimir", "3.1.3")).toEqual({ ok: false, warning: expect.stringContaining("3.1-dev") });
  });

  it("WHEN a Grafana datasource of a type without a field reference is checked THEN it is a warning that its jsonData was not checked", () => {
    const grafana: GrafanaReference = mustLoad(loadGrafanaReference(REFERENCE_DIR));
    const findings = checkGrafanaDatasources(grafana, { apiVersion: 1, datasources: [{ name: "x", type: "elasticsearch", url: "http://x", jsonData: { anything: 1 } }] });
    expect(findings).toEqual([expect.objectContaining({ severity: "warning", message: expect.stringContaining("NOT checked") })]);
  });

  it("WHEN an Alloy component is used without a label THEN the check asks for one", () => {
    const alloy: AlloyReference = mustLoad(loadAlloyReference(REFERENCE_DIR, "1.18.1"));
    const findings = checkAlloy(alloy, parseAlloy('loki.write {\n  endpoint {\n    url = "http://x"\n  }\n}\n'));
    expect(findings.map((f) => f.message)).toContainEqual(expect.stringContaining('needs a label: loki.write "<label>"'));
  });
});

describe("GIVEN no upstream reference folder", () => {
  it("WHEN the rendered configs are checked THEN a warning says the key check was skipped, and the other checks still run", async () => {
    const s = await shipped("prod");
    const missing = path.join(os.tmpdir(), "lgtm-no-such-upstream-dir");
    const result = checkRenderedConfigs(s, renderConfigs(s), missing);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([expect.stringContaining(`upstream configuration references not found at ${missing}`)]);
    expect(result.warnings[0]).toContain("NOT checked");
    const broken = edit(renderConfigs(s), "pyroscope", (c) => c.replace("multitenancy_enabled: true", "multitenancy_enabled: false"));
    expect(checkRenderedConfigs(s, broken, missing).errors).toContainEqual(expect.stringMatching(/^tenant_id: /));
  });
});

describe("GIVEN LGTM_UPSTREAM_DIR", () => {
  const saved = process.env.LGTM_UPSTREAM_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.LGTM_UPSTREAM_DIR;
    else process.env.LGTM_UPSTREAM_DIR = saved;
  });
  it("WHEN it is set THEN the default reference folder is that folder; unset, it is ../shared/upstream from the project root", () => {
    process.env.LGTM_UPSTREAM_DIR = "/opt/upstream-refs";
    expect(defaultReferenceDir()).toBe("/opt/upstream-refs");
    delete process.env.LGTM_UPSTREAM_DIR;
    expect(defaultReferenceDir()).toBe(path.resolve(__dirname, "..", "..", "shared", "upstream"));
  });
});

describe("GIVEN a key reference built from a handful of keys", () => {
  const ref = new KeyReference("Demo 1.0", "demo/1.0.keys.json", {
    server: { type: "block" },
    "server.port": { type: "int" },
    overrides: { type: "map" },
    "overrides.*": { type: "block" },
    "overrides.*.rate": { type: "int" },
    list: { type: "list of blocks" },
    "list[]": { type: "block" },
    "list[].name": { type: "string" },
    opaque: { type: "block", opaque: true },
  });
  it("WHEN a document uses exact keys, a free-form key, list elements and an opaque subtree THEN nothing is reported", () => {
    expect(ref.check({ server: { port: 1 }, overrides: { "team.a": { rate: 1 } }, list: [{ name: "x" }], opaque: { any: { thing: 1 } } })).toEqual([]);
  });
  it("WHEN a key under a free-form key or in a list element is unknown THEN its full path is reported", () => {
    expect(ref.check({ overrides: { t: { rat: 1 } }, list: [{ nam: "x" }] }).map((f) => f.path)).toEqual(["overrides.t.rat", "list[].nam"]);
  });
  it("WHEN the document is not a mapping THEN that is the error", () => {
    expect(ref.check(["x"])).toEqual([expect.objectContaining({ severity: "error", message: "expected a mapping of keys" })]);
  });
});

describe("GIVEN the Alloy syntax parser", () => {
  const source = [
    "// comment",
    "/* block",
    "   comment */",
    'prometheus.remote_write "mimir" {',
    "  endpoint {",
    '    url     = "http://mimir:9009/api/v1/push" # trailing comment',
    '    headers = { "X-Scope-OrgID" = "t", plain = `raw\\n` }',
    "  }",
    "}",
    'prometheus.scrape "s" {',
    "  targets    = prometheus.exporter.cloudwatch.aws.targets",
    "  forward_to = [prometheus.remote_write.mimir.receiver]",
    '  env        = sys.env("HOME")',
    "  limit      = -1.5",
    "  enabled    = true",
    "}",
    "",
  ].join("\n");

  it("WHEN a file with labels, nested blocks, objects, references, calls and comments is parsed THEN its structure and values come back", () => {
    const file = parseAlloy(source);
    expect(file.blocks.map((b) => [b.name, b.label, b.line])).toEqual([
      ["prometheus.remote_write", "mimir", 4],
      ["prometheus.scrape", "s", 10],
    ]);
    const endpoint = file.blocks[0].blocks[0];
    expect(endpoint.name).toBe("endpoint");
    expect(endpoint.attributes.map((a) => a.name)).toEqual(["url", "headers"]);
    expect(endpoint.attributes[1].value).toEqual({ kind: "object", entries: { "X-Scope-OrgID": "t", plain: "raw\\n" } });
    const scrape = file.blocks[1];
    expect(scrape.attributes.map((a) => a.value)).toEqual([
      { kind: "ref", path: "prometheus.exporter.cloudwatch.aws.targets" },
      [{ kind: "ref", path: "prometheus.remote_write.mimir.receiver" }],
      { kind: "call", fn: "sys.env", args: ["HOME"] },
      -1.5,
      true,
    ]);
    expect(scrape.attributes.flatMap((a) => referencesIn(a.value))).toEqual(["prometheus.exporter.cloudwatch.aws.targets", "prometheus.remote_write.mimir.receiver"]);
  });

  it("WHEN a brace is missing or an attribute is repeated THEN the error names the line", () => {
    expect(() => parseAlloy('loki.write "a" {\n  endpoint {\n    url = "x"\n  }\n')).toThrow(AlloySyntaxError);
    expect(() => parseAlloy('loki.write "a" {\n  endpoint {\n    url = "x"\n  }\n')).toThrow(/line 5: expected "}" before the end of the file/);
    expect(() => parseAlloy('a "b" {\n  x = 1\n  x = 2\n}\n')).toThrow(/line 3: attribute "x" is set twice/);
    expect(() => parseAlloy('a "b" {\n  x = "unterminated\n}\n')).toThrow(/line 2: newline in a string/);
  });
});
