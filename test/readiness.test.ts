/**
 * Readiness of ring members (modules/readiness-probe): Mimir, Loki, Tempo and Pyroscope run
 * distroless images and sit behind no target group, so each task carries an essential busybox
 * sidecar whose ECS health check fetches the component's readiness path on the task's loopback.
 * The synthesized task definitions are checked (path and port per component from the settings,
 * timing, a harmless sidecar), and the health check command is run for real: the exact argv from
 * the synthesized JSON, with Debian's busybox, against a stub that answers 503 and then 200.
 */
import { spawn } from "node:child_process";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPONENTS, RING_SERVICES, SERVICE_NAMES, replicationFactor, type Settings } from "../settings";
import { READINESS_TIMING } from "../modules/readiness-probe";
import { settingsWith, shipped } from "./support/settings";
import { resourceOf, synthLayer, type StackJson } from "./support/synth";
import { BUSYBOX, findTool, skipWithoutTool } from "./support/tools";

type Container = Record<string, any>;
const containersOf = (stack: StackJson, svc: string): Container[] =>
  JSON.parse(resourceOf(stack, "aws_ecs_task_definition", `${svc}_task_definition`).container_definitions) as Container[];

/** The readiness path each component serves given its settings (Tempo: /ready at the root; the others under server.http_path_prefix). */
const expectedPath = (s: Settings, n: string): string => (n === "tempo" ? "/ready" : `${s.services[n as "mimir"].path_prefix}/ready`);

const findBusybox = (): string | undefined => findTool(BUSYBOX);
const skipWithoutBusybox = (): boolean => skipWithoutTool(BUSYBOX, "the readiness probe's command", "The health check command was NOT run.");

describe.each(["prod", "dev"])("GIVEN the shipped %s settings", (env) => {
  let s: Settings;
  let stack: StackJson;
  beforeAll(async () => {
    s = await shipped(env);
    stack = synthLayer(s, "60-ecs");
  });

  it("WHEN synthesized THEN every ring member's task has an essential readiness sidecar probing its own readiness path and HTTP port on the loopback", () => {
    for (const n of RING_SERVICES) {
      const ready = containersOf(stack, n).find((c) => c.name === "ready");
      expect(ready, n).toBeDefined();
      expect(ready!.healthCheck, n).toEqual({
        command: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${s.services[n].http_port}${expectedPath(s, n)}`],
        interval: READINESS_TIMING.intervalSeconds,
        timeout: READINESS_TIMING.timeoutSeconds,
        retries: READINESS_TIMING.retries,
        startPeriod: READINESS_TIMING.startPeriodSeconds,
      });
      expect(ready!.essential, n).toBe(true);
    }
    // The per-component paths are not all alike: Pyroscope serves under its prefix, Tempo at the root.
    expect(containersOf(stack, "pyroscope").find((c) => c.name === "ready")!.healthCheck.command.at(-1)).toBe(`http://127.0.0.1:${s.services.pyroscope.http_port}/pyroscope/ready`);
    expect(containersOf(stack, "tempo").find((c) => c.name === "ready")!.healthCheck.command.at(-1)).toBe(`http://127.0.0.1:${s.services.tempo.http_port}/ready`);
  });

  it("WHEN synthesized THEN the sidecar is harmless: busybox as nobody, read-only root, no ports, volumes, environment or secrets, 32 MiB, stops at once under tini", () => {
    for (const n of RING_SERVICES) {
      const all = containersOf(stack, n);
      const ready = all.find((c) => c.name === "ready")!;
      const config = all.find((c) => c.name === "config")!;
      expect(ready.image, n).toBe(config.image);
      expect(ready, n).toMatchObject({ user: "65534:65534", readonlyRootFilesystem: true, portMappings: [], mountPoints: [], environment: [], memory: 32, stopTimeout: 2, linuxParameters: { initProcessEnabled: true }, entryPoint: ["sleep"], command: ["2147483647"] });
      expect(ready.secrets, n).toBeUndefined();
      expect(ready.dependsOn, n).toBeUndefined();
      expect(ready.logConfiguration.options["awslogs-stream-prefix"], n).toBe("ready");
      // The component's own container has no health check (its image has no shell or wget).
      expect(all.find((c) => c.name === n)!.healthCheck, n).toBeUndefined();
    }
    for (const n of SERVICE_NAMES.filter((x) => !(RING_SERVICES as readonly string[]).includes(x))) {
      expect(containersOf(stack, n).map((c) => c.name), n).not.toContain("ready");
    }
  });

  it("WHEN synthesized THEN each ring's deployment stops no more ready tasks at once than its write quorum tolerates (a singleton: never two copies), and the circuit breaker rolls back", () => {
    for (const n of RING_SERVICES) {
      const svc = resourceOf(stack, "aws_ecs_service", `${n}_service`);
      const tasks = s.services[n].desired_count;
      expect(svc.deployment_circuit_breaker, n).toEqual({ enable: true, rollback: true });
      if (COMPONENTS[n].singleton) {
        expect([svc.deployment_minimum_healthy_percent, svc.deployment_maximum_percent], n).toEqual([0, 100]);
        continue;
      }
      // ECS keeps ceil(tasks × minimum%) tasks HEALTHY (now: ready) and runs at most floor(tasks × maximum%).
      const keptHealthy = Math.ceil((tasks * svc.deployment_minimum_healthy_percent) / 100);
      const maxRunning = Math.floor((tasks * svc.deployment_maximum_percent) / 100);
      const rf = replicationFactor(s, n);
      const tolerated = rf - (Math.floor(rf / 2) + 1);
      expect(tasks - keptHealthy, n).toBeLessThanOrEqual(tolerated);
      expect(maxRunning, n).toBeGreaterThan(keptHealthy);
    }
  });
});

describe("GIVEN Mimir served under a path prefix", () => {
  it("WHEN synthesized THEN its readiness sidecar probes /<prefix>/ready", async () => {
    const s = await settingsWith({ services: { mimir: { path_prefix: "/mimir" } } });
    const ready = containersOf(synthLayer(s, "60-ecs"), "mimir").find((c) => c.name === "ready")!;
    expect(ready.healthCheck.command.at(-1)).toBe(`http://127.0.0.1:${s.services.mimir.http_port}/mimir/ready`);
  });
});

describe.skipIf(skipWithoutBusybox())("GIVEN the synthesized health check command and Debian's busybox", () => {
  let server: http.Server;
  let port: number;
  let answers: number[];
  let readyPath: string;
  let argv: string[];
  const seen: string[] = [];

  beforeAll(async () => {
    const s = await shipped("prod");
    const ready = containersOf(synthLayer(s, "60-ecs"), "pyroscope").find((c) => c.name === "ready")!;
    const command = ready.healthCheck.command as string[];
    expect(command[0]).toBe("CMD");
    const url = new URL(command.at(-1)!);
    readyPath = url.pathname;
    server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url !== readyPath) {
        res.writeHead(404).end("not found");
        return;
      }
      const status = answers.shift() ?? 200;
      res.writeHead(status).end(status === 200 ? "ready" : "Ingester not ready: waiting for 15s after being ready");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    // The exact argv after "CMD", run by busybox (the image's /bin/wget is busybox); only the port
    // becomes the stub's (the component's own port may be taken on this machine).
    expect(url.hostname).toBe("127.0.0.1");
    argv = command.slice(1).map((a) => (a === url.href ? a.replace(`:${url.port}/`, `:${port}/`) : a));
  });
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** Runs the health check command; its exit code. */
  const probe = (args: string[] = argv): Promise<number> =>
    new Promise((resolve, reject) => {
      const child = spawn(findBusybox()!, args, { stdio: "ignore" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.on("error", reject);
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        resolve(code ?? (signal ? 128 : 1));
      });
    });

  it("WHEN the component answers 503 (not ready) THEN the command fails, and once it answers 200 THEN it succeeds", async () => {
    answers = [503, 503, 200];
    expect(await probe()).not.toBe(0);
    expect(await probe()).not.toBe(0);
    expect(await probe()).toBe(0);
    expect(await probe()).toBe(0);
    expect(seen.slice(-4)).toEqual(Array(4).fill(`GET ${readyPath}`));
  });

  it("WHEN the path is not the component's readiness path (404) or nothing listens THEN the command fails", async () => {
    answers = [];
    expect(await probe(argv.map((a) => a.replace(readyPath, "/wrong")))).not.toBe(0);
    const closed = argv.map((a) => a.replace(`:${port}/`, ":1/"));
    expect(await probe(closed)).not.toBe(0);
  });
});
