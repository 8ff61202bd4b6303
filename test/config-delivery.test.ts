import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CONFIG_HASH_LABEL, configDelivery, writableVolumeName } from "../modules/config-delivery";
import { COMPONENTS, SERVICE_NAMES, loadSettings, type ServiceName, type Settings } from "../settings";
import { CONFIG_DIR, renderConfigs, serviceConfigs } from "../templates";
import { settingsWith } from "./support/settings";
import { resourcesOf, synthLayer, type StackJson } from "./support/synth";

const sha256 = (t: string) => createHash("sha256").update(t).digest("hex");

interface Container {
  name: string;
  essential: boolean;
  command?: string[];
  entryPoint?: string[];
  environment: { name: string; value: string }[];
  secrets?: { name: string; valueFrom: string }[];
  mountPoints: { sourceVolume: string; containerPath: string; readOnly: boolean }[];
  dependsOn?: { containerName: string; condition: string }[];
  dockerLabels?: Record<string, string>;
}

function containers(stack: StackJson, service: ServiceName): Container[] {
  const td = resourcesOf(stack, "aws_ecs_task_definition")[`${service}_task_definition`];
  return JSON.parse(td.container_definitions) as Container[];
}

/** Runs an init container's script with this machine's sh, as the container would (as `user`, uid[:gid], when given). */
function runInit(init: Container, env: Record<string, string> = {}, user?: string) {
  const variables = Object.fromEntries((init.environment ?? []).map((e) => [e.name, e.value]));
  const [uid, gid] = (user ?? "").split(":").map(Number);
  return spawnSync(init.entryPoint![0], [...init.entryPoint!.slice(1), ...init.command!], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, ...variables, ...env },
    ...(user ? { uid, gid: Number.isNaN(gid) ? uid : gid } : {}),
  });
}
const asContainer = (spec: { environment?: Record<string, string> }) =>
  ({ ...spec, environment: Object.entries(spec.environment ?? {}).map(([name, value]) => ({ name, value })) }) as unknown as Container;

describe("GIVEN rendered config files", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-delivery-"));
  const files = [
    { containerPath: path.join(tmp, "loki.yaml"), content: 'auth_enabled: true\nquote: "it\'s $HOME and %s"\n' },
    { containerPath: path.join(tmp, "provisioning/datasources/datasources.yaml"), content: "apiVersion: 1\n" },
  ];
  const delivery = configDelivery({ serviceName: "loki", files, mountPath: tmp, initImage: "busybox" });
  const init = { ...delivery.initContainer, environment: Object.entries(delivery.initContainer.environment ?? {}).map(([name, value]) => ({ name, value })) } as unknown as Container;

  it("WHEN the init container's script runs THEN every file is written byte for byte, nested folders included", () => {
    const r = runInit(init);
    expect(r.status, r.stderr).toBe(0);
    for (const f of files) expect(fs.readFileSync(f.containerPath, "utf8")).toBe(f.content);
  });

  it("WHEN a file's content does not match its hash THEN the script fails, so the main container never starts", () => {
    const r = runInit(init, { LGTM_CONFIG_0: "tampered: true\n" });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/FAILED/);
  });

  it("WHEN built THEN the init container is non-essential and the main container waits for its SUCCESS on a read-only mount", () => {
    expect(delivery.initContainer.essential).toBe(false);
    expect(delivery.containerDependsOn).toEqual([{ containerName: "config", condition: "SUCCESS" }]);
    expect(delivery.mountPoints).toEqual([{ sourceVolume: "config", containerPath: tmp, readOnly: true }]);
    expect(delivery.volumes).toEqual([{ name: "config" }]);
  });

  it("WHEN one byte of one file changes THEN the hash label changes", () => {
    const other = configDelivery({ serviceName: "loki", files: [files[0], { ...files[1], content: "apiVersion: 2\n" }], mountPath: tmp, initImage: "busybox" });
    expect(other.dockerLabels[CONFIG_HASH_LABEL]).not.toBe(delivery.dockerLabels[CONFIG_HASH_LABEL]);
    expect(configDelivery({ serviceName: "loki", files, mountPath: tmp, initImage: "busybox" }).sha256).toBe(delivery.sha256);
  });

  it("WHEN a file lies outside the volume THEN delivery refuses it", () => {
    expect(() => configDelivery({ serviceName: "x", files: [{ containerPath: "/etc/passwd", content: "" }], mountPath: "/etc/lgtm", initImage: "b" })).toThrow(
      "x: config file /etc/passwd is not inside the config volume /etc/lgtm",
    );
  });

  it("WHEN the files would not fit in a task definition THEN delivery says so", () => {
    const big = [{ containerPath: "/etc/lgtm/big.yaml", content: "x".repeat(60_000) }];
    expect(() => configDelivery({ serviceName: "big", files: big, mountPath: "/etc/lgtm", initImage: "b" })).toThrow(/big: its rendered configs are 60000 bytes; they travel in the task definition/);
  });
});

describe("GIVEN a main container that writes two paths as uid 10001 (read-only root filesystem)", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-writable-"));
  const [data, scratch] = [path.join(tmp, "data"), path.join(tmp, "tmp")];
  const build = (writablePaths: string[], writableOwner?: string) =>
    configDelivery({
      serviceName: "loki",
      files: [{ containerPath: path.join(tmp, "config/loki.yaml"), content: "x: 1\n" }],
      mountPath: path.join(tmp, "config"),
      initImage: "busybox",
      writablePaths,
      writableOwner,
    });
  const delivery = build([data, scratch], "10001:10001");

  it("WHEN built THEN each path is its own task volume, mounted read-write into the main container and the owner step; the config writer mounts only the config volume", () => {
    const volumes = [writableVolumeName(data), writableVolumeName(scratch)];
    expect(delivery.volumes.map((v) => v.name)).toEqual(["config", ...volumes]);
    const rw = volumes.map((sourceVolume, i) => ({ sourceVolume, containerPath: [data, scratch][i], readOnly: false }));
    expect(delivery.mountPoints).toEqual([{ sourceVolume: "config", containerPath: path.join(tmp, "config"), readOnly: true }, ...rw]);
    expect(delivery.ownerContainer.mountPoints).toEqual([{ sourceVolume: "config", containerPath: path.join(tmp, "config"), readOnly: false }, ...rw]);
    expect(delivery.initContainer.mountPoints).toEqual([{ sourceVolume: "config", containerPath: path.join(tmp, "config"), readOnly: false }]);
    // The writer is the main container's user with no capability; the owner step is root with CHOWN alone, and no environment.
    expect(delivery.initContainer).toMatchObject({ user: "10001:10001", dropCapabilities: ["ALL"], dependsOn: [{ containerName: "config-owner", condition: "SUCCESS" }] });
    expect(delivery.ownerContainer.user).toBeUndefined();
    expect(delivery.ownerContainer.environment).toBeUndefined();
    expect(delivery.ownerContainer.dropCapabilities).not.toContain("CHOWN");
    expect(delivery.ownerContainer.dropCapabilities).toContain("DAC_OVERRIDE");
    expect(writableVolumeName("/var/lib/alloy/data")).toBe("rw-var-lib-alloy-data");
  });

  it("WHEN the owner step runs as root on empty root-owned volumes and the writer then runs as uid 10001 THEN each volume is 10001's and the writer, not root, wrote the config", () => {
    // Fargate creates the volumes empty and owned by root (0755); this machine's sh and chown stand in for the init image's.
    fs.chmodSync(tmp, 0o755);
    for (const d of [data, scratch, path.join(tmp, "config")]) fs.mkdirSync(d, { recursive: true, mode: 0o755 });
    expect(process.getuid?.()).toBe(0);
    // Without the owner step the non-root writer cannot write the root-owned config volume.
    expect(runInit(asContainer(delivery.initContainer), {}, "10001:10001").status).not.toBe(0);
    const owner = runInit(asContainer(delivery.ownerContainer));
    expect(owner.status, owner.stderr).toBe(0);
    for (const d of [data, scratch, path.join(tmp, "config")]) expect([fs.statSync(d).uid, fs.statSync(d).gid], d).toEqual([10001, 10001]);
    const writer = runInit(asContainer(delivery.initContainer), {}, delivery.initContainer.user);
    expect(writer.status, writer.stderr).toBe(0);
    expect(fs.readFileSync(path.join(tmp, "config/loki.yaml"), "utf8")).toBe("x: 1\n");
    expect(fs.statSync(path.join(tmp, "config/loki.yaml")).uid).toBe(10001);
  });

  it("WHEN the main container runs as root (no owner) THEN the writer is nobody (65534), and only the config volume changes hands", () => {
    const rootMain = build([data], undefined);
    expect(rootMain.initContainer.user).toBe("65534:65534");
    expect(rootMain.ownerContainer.command![0].split("\n")).toEqual(["set -eu", `chown 65534:65534 ${path.join(tmp, "config")}`]);
  });

  it("WHEN the owner is not a numeric uid[:gid] or a path is relative, inside the config volume or named like another THEN delivery refuses it", () => {
    expect(() => build([data], "loki")).toThrow("loki: writable owner loki must be a numeric uid or uid:gid");
    expect(() => build(["data"], "10001")).toThrow("loki: writable path data must be an absolute path");
    expect(() => build([path.join(tmp, "config/cache")], "10001")).toThrow(`loki: writable path ${path.join(tmp, "config/cache")} is inside the read-only config volume`);
    expect(() => build(["/a.b", "/a-b"], "10001")).toThrow("loki: two writable paths (or a writable path and the config volume) share the volume name rw-a-b");
  });
});

describe.each(["prod", "dev"])("GIVEN %s synthesized", (env) => {
  let settings: Settings;
  let stack: StackJson;
  beforeAll(async () => {
    settings = await loadSettings(env);
    stack = synthLayer(settings, "60-ecs");
  });

  it.each(SERVICE_NAMES)("WHEN %s's task definition is read THEN its non-root init container carries exactly the rendered files, and the root owner step none", (service) => {
    const [main, owner, init] = containers(stack, service);
    expect(main.name).toBe(service);
    expect(owner).toMatchObject({ name: "config-owner", essential: false });
    expect(owner.environment ?? []).toEqual([]);
    expect(init).toMatchObject({ name: "config", essential: false, user: COMPONENTS[service].imageUser ?? "65534:65534" });
    const written = init.environment.map((e) => e.value).sort();
    expect(written).toEqual(serviceConfigs(settings, service).map((c) => c.content).sort());
    const hashes = serviceConfigs(settings, service).map((c) => c.sha256);
    for (const h of hashes) expect(init.command![0]).toContain(h);
  });

  it.each(SERVICE_NAMES)("WHEN %s's main container is read THEN it waits for the config, mounts it read-only and shows its hash", (service) => {
    const [main] = containers(stack, service);
    expect(main.dependsOn).toEqual([{ condition: "SUCCESS", containerName: "config" }]);
    // Then one read-write mount per writable path (Grafana's data path from EFS, issue 12); the config
    // volume is the first mount everywhere.
    expect(main.mountPoints?.[0]).toEqual({ containerPath: CONFIG_DIR, readOnly: true, sourceVolume: "config" });
    expect(main.mountPoints?.filter((m) => m.sourceVolume === "config")).toHaveLength(1);
    expect(main.mountPoints).toHaveLength(1 + COMPONENTS[service].writablePaths.length);
    expect(main.dockerLabels?.[CONFIG_HASH_LABEL]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("WHEN the backends' commands are read THEN each starts from a file its init container writes", () => {
    for (const service of ["mimir", "loki", "tempo", "pyroscope"] as const) {
      const [main] = containers(stack, service);
      const file = main.command!.find((a) => a.startsWith("-config.file="))!.slice("-config.file=".length);
      expect(serviceConfigs(settings, service).map((c) => c.containerPath)).toContain(file);
    }
    const [alloy] = containers(stack, "alloy");
    expect(alloy.command).toContain(`--server.http.listen-addr=0.0.0.0:${settings.services.alloy.http_port}`);
    expect(serviceConfigs(settings, "alloy").map((c) => c.containerPath)).toContain(alloy.command![alloy.command!.length - 1]);
  });

  it("WHEN Grafana's container is read THEN provisioning points into the config volume and the admin password is a secret, never plain", () => {
    const [grafana] = containers(stack, "grafana");
    const env = Object.fromEntries(grafana.environment.map((e) => [e.name, e.value]));
    expect(env.GF_PATHS_PROVISIONING).toBe(`${CONFIG_DIR}/provisioning`);
    expect(Object.keys(env)).not.toContain("GF_SECURITY_ADMIN_PASSWORD");
    // The admin password, and one gateway read password per tenant plus the self-monitoring tenant's (issue 26).
    expect(grafana.secrets?.map((s) => s.name)).toEqual(["GF_SECURITY_ADMIN_PASSWORD", "LGTM_GRAFANA_READ_PASSWORD_0", "LGTM_GRAFANA_READ_PASSWORD_1", "LGTM_GRAFANA_READ_PASSWORD_META"]);
    // Provisioning files under provisioning/; the dashboards they point at under dashboards/ (issue 19).
    const files = serviceConfigs(settings, "grafana").map((c) => c.containerPath);
    expect(files.filter((p) => !p.startsWith(`${CONFIG_DIR}/provisioning/`)).every((p) => p.startsWith(`${CONFIG_DIR}/dashboards/`))).toBe(true);
    expect(files).toContain(`${CONFIG_DIR}/provisioning/datasources/datasources.yaml`);
  });

  it("WHEN every task definition is measured THEN it is well under ECS's 64 KiB", () => {
    for (const td of Object.values(resourcesOf(stack, "aws_ecs_task_definition"))) {
      // 48 KiB leaves 16 KiB of ECS's 64 KiB: Grafana, with its datasources, alert rules and seven
      // dashboards (issue 19), measures about 40 KB.
      expect(Buffer.byteLength(td.container_definitions)).toBeLessThan(48 * 1024);
    }
  });
});

describe("GIVEN a change to one service's config setting", () => {
  it("WHEN a Loki limit changes THEN only Loki's task definition and config hash change", async () => {
    const before = synthLayer(await loadSettings("prod"), "60-ecs");
    const after = synthLayer(await settingsWith({ loki: { limits: { max_concurrent_tail_requests: 40 } } }), "60-ecs");
    for (const service of SERVICE_NAMES) {
      const [a, b] = [containers(before, service), containers(after, service)];
      if (service === "loki") {
        expect(b[0].dockerLabels?.[CONFIG_HASH_LABEL]).not.toBe(a[0].dockerLabels?.[CONFIG_HASH_LABEL]);
        expect(b.find((c) => c.name === "config")!.environment[0].value).toContain("max_concurrent_tail_requests: 40");
      } else {
        expect(b, service).toEqual(a);
      }
    }
  });

  it("WHEN rendered twice THEN the files and hashes are identical", async () => {
    const s = await loadSettings("prod");
    expect(renderConfigs(s)).toEqual(renderConfigs(s));
    expect(renderConfigs(s).every((c) => c.sha256 === sha256(c.content))).toBe(true);
  });
});
