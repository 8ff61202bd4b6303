import { describe, expect, it } from "vitest";
import { containerDefinitionsJson, normalizeContainerDefinition, type ContainerSpec } from "../modules/fargate-service/container-definition";

const minimal: ContainerSpec = { name: "app", image: "grafana/loki:3.7.6" };

describe("GIVEN a container with only a name and an image", () => {
  it("WHEN normalized THEN it has every default the ECS API fills in, and nothing else", () => {
    expect(normalizeContainerDefinition(minimal)).toEqual({
      cpu: 0,
      environment: [],
      essential: true,
      image: "grafana/loki:3.7.6",
      mountPoints: [],
      name: "app",
      portMappings: [],
      systemControls: [],
      volumesFrom: [],
    });
  });

  it("WHEN serialized THEN the JSON carries no null values and its keys are sorted", () => {
    const json = containerDefinitionsJson([minimal]);
    expect(json).not.toContain("null");
    expect(Object.keys(JSON.parse(json)[0])).toEqual([...Object.keys(JSON.parse(json)[0])].sort());
  });
});

describe("GIVEN a typical service container", () => {
  const spec: ContainerSpec = {
    name: "mimir",
    image: "grafana/mimir:3.0.4",
    environment: { LGTM_TENANT_ID: "t", AWS_REGION: "ap-northeast-2", LGTM_S3_BUCKET: "b" },
    secrets: { Z_SECRET: "arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:z", A_SECRET: "arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:a" },
    portMappings: [{ containerPort: 9009 }, { containerPort: 7946, protocol: "tcp" }, { containerPort: 7946, protocol: "udp" }],
    mountPoints: [{ sourceVolume: "config", containerPath: "/etc/mimir" }],
    initProcessEnabled: true,
    stopTimeout: 120,
    logConfiguration: { logDriver: "awslogs", options: { "awslogs-region": "ap-northeast-2", "awslogs-group": "/ecs/lgtm-mimir" } },
  };

  it("WHEN normalized THEN it is exactly what DescribeTaskDefinition returns for it", () => {
    expect(normalizeContainerDefinition(spec)).toEqual({
      cpu: 0,
      environment: [
        { name: "AWS_REGION", value: "ap-northeast-2" },
        { name: "LGTM_S3_BUCKET", value: "b" },
        { name: "LGTM_TENANT_ID", value: "t" },
      ],
      essential: true,
      image: "grafana/mimir:3.0.4",
      linuxParameters: { initProcessEnabled: true },
      logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/lgtm-mimir", "awslogs-region": "ap-northeast-2" } },
      mountPoints: [{ containerPath: "/etc/mimir", readOnly: false, sourceVolume: "config" }],
      name: "mimir",
      portMappings: [
        { containerPort: 9009, hostPort: 9009, protocol: "tcp" },
        { containerPort: 7946, hostPort: 7946, protocol: "tcp" },
        { containerPort: 7946, hostPort: 7946, protocol: "udp" },
      ],
      secrets: [
        { name: "A_SECRET", valueFrom: "arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:a" },
        { name: "Z_SECRET", valueFrom: "arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:z" },
      ],
      stopTimeout: 120,
      systemControls: [],
      volumesFrom: [],
    });
  });

  it("WHEN the environment is written in another order THEN the JSON is byte-for-byte the same", () => {
    const reordered = { ...spec, environment: { LGTM_S3_BUCKET: "b", LGTM_TENANT_ID: "t", AWS_REGION: "ap-northeast-2" } };
    expect(containerDefinitionsJson([reordered])).toBe(containerDefinitionsJson([spec]));
  });

  it("WHEN an init container is added THEN it keeps its place and its essential=false and dependsOn survive", () => {
    const init: ContainerSpec = { name: "config-init", image: "busybox:1.37", essential: false, command: ["sh", "-c", "true"] };
    const main: ContainerSpec = { ...spec, dependsOn: [{ containerName: "config-init", condition: "SUCCESS" }] };
    const [a, b] = JSON.parse(containerDefinitionsJson([main, init]));
    expect(a.name).toBe("mimir");
    expect(a.dependsOn).toEqual([{ condition: "SUCCESS", containerName: "config-init" }]);
    expect(b).toMatchObject({ name: "config-init", essential: false, command: ["sh", "-c", "true"], mountPoints: [] });
  });
});

describe("GIVEN a container the API would reject or change", () => {
  it("WHEN a variable is both plain and secret THEN normalizing fails naming it", () => {
    expect(() => normalizeContainerDefinition({ ...minimal, environment: { X: "1" }, secrets: { X: "arn:aws:ssm:r:1:parameter/x" } })).toThrow(
      'container "app": X is both a plain environment variable and a secret',
    );
  });

  it("WHEN a port and protocol are listed twice THEN normalizing fails", () => {
    expect(() => normalizeContainerDefinition({ ...minimal, portMappings: [{ containerPort: 80 }, { containerPort: 80, protocol: "tcp" }] })).toThrow(
      "port mapping 80/tcp is listed twice",
    );
  });

  it("WHEN the stop timeout is over Fargate's 120 s THEN normalizing fails", () => {
    expect(() => normalizeContainerDefinition({ ...minimal, stopTimeout: 121 })).toThrow("outside Fargate's 0-120 seconds");
  });

  it("WHEN two containers share a name or none is essential THEN serializing fails", () => {
    expect(() => containerDefinitionsJson([minimal, minimal])).toThrow('both named "app"');
    expect(() => containerDefinitionsJson([{ ...minimal, essential: false }])).toThrow("at least one essential container");
  });
});

describe("GIVEN a container with a health check", () => {
  const healthCheck = { command: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3100/ready"], intervalSeconds: 10, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 300 };

  it("WHEN normalized THEN it is written as DescribeTaskDefinition returns it: every field present, ECS's names", () => {
    expect(normalizeContainerDefinition({ ...minimal, healthCheck }).healthCheck).toEqual({
      command: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3100/ready"],
      interval: 10,
      retries: 3,
      startPeriod: 300,
      timeout: 5,
    });
    expect(normalizeContainerDefinition(minimal).healthCheck).toBeUndefined();
  });

  it("WHEN a field is outside ECS's bounds, the timeout is not below the interval or the command has no CMD form THEN normalizing fails naming it", () => {
    expect(() => normalizeContainerDefinition({ ...minimal, healthCheck: { ...healthCheck, startPeriodSeconds: 301 } })).toThrow("health check startPeriodSeconds 301 is outside ECS's 0-300");
    expect(() => normalizeContainerDefinition({ ...minimal, healthCheck: { ...healthCheck, retries: 0 } })).toThrow("health check retries 0 is outside ECS's 1-10");
    expect(() => normalizeContainerDefinition({ ...minimal, healthCheck: { ...healthCheck, timeoutSeconds: 10 } })).toThrow("timeout 10s must be shorter than its interval 10s");
    expect(() => normalizeContainerDefinition({ ...minimal, healthCheck: { ...healthCheck, command: ["wget", "x"] } })).toThrow('must start with "CMD" or "CMD-SHELL"');
  });
});
