/**
 * Policy-pack helpers: every stack of an environment synthesized in memory, and minimal hand-written
 * stacks in the shape cdktf writes (one resource type or two), for one rule at a time.
 */
import { testingApp } from "./testing-app";
import { Testing } from "cdktf";
import type { Settings } from "../../settings";
import { buildEnvironment } from "../../stacks";
import type { SynthesizedStack, TfBlock } from "../../policy";

/** Every layer stack of the environments, as `npm run synth` writes them. */
export function synthesizedStacks(...environments: Settings[]): SynthesizedStack[] {
  const app = testingApp();
  return environments.flatMap((s) =>
    Object.values(buildEnvironment(app, s)).map((stack) => ({ id: stack.node.id, json: JSON.parse(Testing.synth(stack, true)) })),
  );
}

/** A stack with the given resources: `{ aws_lb: { public_alb: {...} } }`. */
export function stackOf(resource: Record<string, Record<string, TfBlock>>, id = "test-50-loadbalancer"): SynthesizedStack {
  return { id, json: { resource } };
}

/** One ECS task definition whose containers are `containers` (written as the API returns them). */
export function taskWith(...containers: TfBlock[]): SynthesizedStack {
  return stackOf({ aws_ecs_task_definition: { app_task_definition: { family: "app", container_definitions: JSON.stringify(containers) } } }, "test-60-ecs");
}

/** A container that passes every container rule; override fields to break one. */
export function goodContainer(overrides: TfBlock = {}): TfBlock {
  return {
    name: "app",
    image: `grafana/loki:3.7.6@sha256:${"0".repeat(64)}`,
    essential: true,
    readonlyRootFilesystem: true,
    user: "10001:10001",
    environment: [{ name: "LOG_LEVEL", value: "info" }],
    logConfiguration: { logDriver: "awslogs", options: {} },
    ...overrides,
  };
}

/**
 * A container environment carrying a minimal gateway nginx.conf (as the config init container
 * carries the rendered one) whose one route, at `location`, takes Mimir's write credential.
 */
export function gatewayConfig(location: string): TfBlock {
  const conf = [
    "http {",
    "  server {",
    `    location ${location} {`,
    "      if ($request_method !~ ^(POST)$) { return 405; }",
    "      auth_basic_user_file /tmp/gateway/htpasswd-metrics-write;",
    "      set $backend http://mimir.lgtm.local:9009;",
    "      try_files /.lgtm-none @lgtm_upstream;",
    "    }",
    "    location @lgtm_upstream { proxy_pass $backend$lgtm_uri; }",
    "  }",
    "}",
  ].join("\n");
  return { environment: [{ name: "LGTM_CONFIG_0", value: conf }] };
}
