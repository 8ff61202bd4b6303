/**
 * Gateway.1 on broken copies of the prod stacks (issue 26): the policy pack reads the gateway's
 * rendered nginx.conf out of the synthesized 60-ecs task definition and reports every forwarding
 * location outside the allow-list (settings/gateway-routes.ts), whatever else is right about it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { evaluatePolicy, type SynthesizedStack } from "../policy";
import type { Settings } from "../settings";
import { settingsWith } from "./support/settings";
import { synthLayer } from "./support/synth";

const ADDRESS = "aws_ecs_task_definition.gateway_task_definition";

describe("GIVEN the synthesized prod 60-ecs stack and broken copies of its gateway config", () => {
  let prod: Settings;
  let stack: SynthesizedStack;

  beforeAll(async () => {
    prod = await settingsWith({});
    stack = { id: "prod-60-ecs", json: synthLayer(prod, "60-ecs") as SynthesizedStack["json"] };
  });

  /** A copy of the stack whose gateway nginx.conf (in the config init container's environment) is edited. */
  function broken(edit: (conf: string) => string): SynthesizedStack {
    const json = structuredClone(stack.json) as any;
    const task = json.resource.aws_ecs_task_definition.gateway_task_definition;
    const containers = JSON.parse(task.container_definitions);
    const init = containers.find((c: any) => c.name === "config");
    const entry = init.environment.find((e: any) => /\blocation\s/.test(e.value) && /\bhttp\s*\{/.test(e.value));
    const edited = edit(entry.value);
    if (edited === entry.value) throw new Error("the edit changed nothing");
    entry.value = edited;
    task.container_definitions = JSON.stringify(containers);
    return { id: stack.id, json };
  }
  const findings = (s: SynthesizedStack) => evaluatePolicy([s], [prod]).violations.filter((v) => v.rule.id === "Gateway.1").map((v) => `${v.address} (${v.part}): ${v.detail}`);
  const route = (location: string, file: string, backend: string) =>
    `    location ${location} {\n      auth_basic_user_file /tmp/gateway/${file};\n      set $backend ${backend};\n      set $lgtm_uri $request_uri;\n      try_files /.lgtm-none @lgtm_upstream;\n    }\n\n    location / {`;

  it("WHEN the shipped config is read THEN Gateway.1 finds nothing", () => {
    expect(findings(stack)).toEqual([]);
  });

  it("WHEN a route for /mimir/ring is added (with a tenant's write credential) THEN Gateway.1 reports it", () => {
    const s = broken((c) => c.replace("    location / {", route("= /mimir/ring", "htpasswd-metrics-write", "http://mimir.lgtm.local:9009")));
    expect(findings(s)).toEqual([`${ADDRESS} (config): location = /mimir/ring forwards to mimir with the write credential: not a route of the gateway's allow-list (settings/gateway-routes.ts)`]);
  });

  it("WHEN Pyroscope is forwarded by prefix again (issue 26: ring, memberlist, ops/object-store under it) THEN Gateway.1 reports the prefix location", () => {
    const s = broken((c) => c.replace("    location / {", route("/pyroscope/", "htpasswd-profiles-read", "http://pyroscope.lgtm.local:4040")));
    expect(findings(s)).toEqual([`${ADDRESS} (config): location /pyroscope/ forwards every path it matches: not an exact or anchored location of the allow-list`]);
  });

  it("WHEN Loki's deletion API is opened to the write credential, or a query route takes the write credential THEN Gateway.1 reports the role", () => {
    const del = broken((c) => c.replace("    location / {", route("= /loki/api/v1/delete", "htpasswd-logs-write", "http://loki.lgtm.local:3100")));
    expect(findings(del)).toEqual([`${ADDRESS} (config): location = /loki/api/v1/delete forwards to loki with the write credential, but the allow-list gives that route to the admin credential`]);
    const query = broken((c) => c.replace(/(location = \/prometheus\/api\/v1\/query \{[^}]*\}\s*auth_basic_user_file \S+htpasswd-metrics-)read;/, "$1write;"));
    expect(findings(query)).toEqual([`${ADDRESS} (config): location = /prometheus/api/v1/query forwards to mimir with the write credential, but the allow-list gives that route to the read credential`]);
  });

  it("WHEN a route loses its method check or its credential THEN Gateway.1 reports it", () => {
    const methods = broken((c) => c.replace("^(GET|HEAD)$", "^(GET|HEAD|DELETE)$"));
    expect(findings(methods)).toEqual([`${ADDRESS} (config): location ~ ^/prometheus/api/v1/label/[^/]+/values$ accepts DELETE, which the allow-list does not give it (GET, HEAD)`]);
    const open = broken((c) => c.replace(/auth_basic_user_file \S+htpasswd-profiles-write;/, "auth_basic off;"));
    expect(findings(open)).toEqual([`${ADDRESS} (config): location = /pyroscope/ingest forwards to pyroscope without a tenant's credential (auth_basic_user_file htpasswd-<signal>-<role>)`]);
  });
});
