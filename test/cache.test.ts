/**
 * The memcached query cache (settings/cache.ts): settings and their errors, sizes derived from the
 * load (hand-computed here), the Mimir and Loki cache sections in the rendered configs (with the
 * upstream key check and the synth-time address checks), the security groups, the ECS service, the
 * cost lines, and Debian's memcached run with the exact flags of the task definition.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { estimateCost, loadPrices } from "../cost";
import { resolveCache, type Settings } from "../settings";
import { checkRenderedConfigs, renderConfigs, type RenderedConfig } from "../templates";
import { EXAMPLE_LOAD, overrideError, settingsWith, shipped } from "./support/settings";
import { MUTATION_RUN } from "./support/mutation";
import { resourcesOf, synthLayer } from "./support/synth";
import { skipWithoutUpstream } from "./support/upstream";
import { findTool, MEMCACHED, skipWithoutTool } from "./support/tools";

const CACHE_ON = { cache: { enabled: true } };
const configOf = (configs: readonly RenderedConfig[], service: string) => configs.find((c) => c.service === service && /\.ya?ml$/.test(c.fileName))!;
const yamlOf = (configs: readonly RenderedConfig[], service: string) => parse(configOf(configs, service).content) as Record<string, any>;
const replaced = (configs: readonly RenderedConfig[], service: string, from: string, to: string): RenderedConfig[] =>
  configs.map((c) => (c === configOf(configs, service) ? { ...c, content: c.content.split(from).join(to) } : c));

describe("GIVEN the cache settings", () => {
  it("WHEN dev is loaded as shipped THEN the cache is off, and prod runs it", async () => {
    expect((await shipped("dev")).cache.enabled).toBe(false);
    expect((await shipped("prod")).cache.enabled).toBe(true);
  });

  it("WHEN prod has no load block THEN the pool is Grafana's recommended figures, over 3 tasks on the smallest Fargate size that holds them", async () => {
    const c = resolveCache(await shipped("prod"));
    // Mimir 1024 results + 1024 index + 6144 chunks + 512 metadata, Loki 1024 results + 4096 chunks.
    expect(c.budgets.map((b) => `${b.consumer}.${b.cache}=${b.mib}`)).toEqual([
      "mimir.results=1024",
      "mimir.index=1024",
      "mimir.chunks=6144",
      "mimir.metadata=512",
      "loki.results=1024",
      "loki.chunks=4096",
    ]);
    // 13824 MiB / 3 tasks = 4608 MiB each; × 1.2 = 5529.6 MiB → 1 vCPU with 6144 MiB.
    expect({ tasks: c.tasks, memoryLimitMiB: c.memoryLimitMiB, cpu: c.cpu, memory: c.memory }).toEqual({ tasks: 3, memoryLimitMiB: 4608, cpu: 1024, memory: 6144 });
    // 3 Mimir tasks × 4 caches × 100 idle + 3 Loki tasks × 2 caches × 16 = 1296; × 2 → 2592 → 3072.
    expect({ needed: c.connectionsNeeded, limit: c.connectionLimit }).toEqual({ needed: 1296, limit: 3072 });
    expect(c.address).toBe("dns+memcached.lgtm.local:11211");
    expect(c.args).toEqual(["--port=11211", "--memory-limit=4608", "--max-item-size=5m", "--conn-limit=3072", "--threads=4"]);
    expect(c.cpuArchitecture).toBe("ARM64");
  });

  it("WHEN the example load is declared THEN the chunk caches follow it: Mimir 24 h of samples, Loki 24 h of compressed logs", async () => {
    const c = resolveCache(await settingsWith({ ...CACHE_ON, load: EXAMPLE_LOAD }));
    // Mimir: 1M series × (86400 / 15) samples × 2 B = 11.52e9 B = 10986.3 MiB → 10987.
    expect(c.budgets.find((b) => b.consumer === "mimir" && b.cache === "chunks")!.mib).toBe(10987);
    // Loki: 50 GB/day ÷ 5 = 10e9 B = 9536.7 MiB → 9537.
    expect(c.budgets.find((b) => b.consumer === "loki" && b.cache === "chunks")!.mib).toBe(9537);
    // 10987 + 9537 + 1024 + 1024 + 512 + 1024 = 24108 MiB / 3 = 8036; × 1.2 = 9643.2 MiB → 2 vCPU, 10240 MiB.
    expect({ tasks: c.tasks, memoryLimitMiB: c.memoryLimitMiB, cpu: c.cpu, memory: c.memory }).toEqual({ tasks: 3, memoryLimitMiB: 8036, cpu: 2048, memory: 10240 });
  });

  it("WHEN sizes are set THEN they win over the derived ones", async () => {
    const c = resolveCache(await settingsWith({ cache: { enabled: true, desired_count: 2, cpu: 512, memory: 4096, memory_limit_mb: 3000, connection_limit: 2048 } }));
    expect({ tasks: c.tasks, cpu: c.cpu, memory: c.memory, limit: c.memoryLimitMiB, conns: c.connectionLimit }).toEqual({ tasks: 2, cpu: 512, memory: 4096, limit: 3000, conns: 2048 });
  });

  it("WHEN the connection limit is below the clients' idle pools THEN the error names the key and the arithmetic", async () => {
    expect(await overrideError({ cache: { enabled: true, connection_limit: 1024 } })).toBe(
      "invalid settings (1 problem):\n  environments/prod.tfvars: cache.connection_limit: 1024 connections per task is below the clients' idle pools: 3 Mimir tasks × 4 caches × 100 + 3 Loki tasks × 2 caches × 16 = 1296 (Loki's caching guide: at least clients × max_idle_conns); expected at least 1296, or omit it to derive it",
    );
  });

  it("WHEN the item size is too small for Loki's chunks, or too large for the memory THEN the error names cache.max_item_size_mb", async () => {
    expect(await overrideError({ cache: { enabled: true, max_item_size_mb: 1 } })).toContain(
      "environments/prod.tfvars: cache.max_item_size_mb: Loki cuts chunks at 1.5 MB (ingester.chunk_target_size), which a 1 MiB item limit never caches; expected at least 2",
    );
    expect(await overrideError({ cache: { enabled: true, memory_limit_mb: 100, max_item_size_mb: 64 } })).toContain(
      "environments/prod.tfvars: cache.max_item_size_mb: memcached refuses an item size above half its memory limit (100 MiB per task); expected at most 50",
    );
  });

  it("WHEN memcached's memory does not fit the task, or the task is no Fargate size THEN the error names the key", async () => {
    expect(await overrideError({ cache: { enabled: true, cpu: 1024, memory: 4096, memory_limit_mb: 4000 } })).toBe(
      "invalid settings (1 problem):\n  environments/prod.tfvars: cache.memory_limit_mb: memcached's 4000 MiB of items plus its connection buffers and hash table (×1.2) do not fit a 4096 MiB task; expected memory_limit_mb at most 3413, a larger cache.memory, or more tasks (cache.desired_count)",
    );
    expect(await overrideError({ cache: { enabled: true, cpu: 1000, memory: 4096, memory_limit_mb: 1000 } })).toContain(
      "environments/prod.tfvars: cache.cpu: Fargate does not offer 1000 CPU units",
    );
  });

  it("WHEN the image has no pinned tag, the port is no port or a key is misspelt THEN each error names file and key", async () => {
    const message = await overrideError({ cache: { enabled: true, image: "public.ecr.aws/docker/library/memcached", port: 70000, max_item_sise_mb: 2 } });
    expect(message).toContain('environments/prod.tfvars: cache.image: expected an image reference with a pinned tag, such as "public.ecr.aws/docker/library/memcached:1.6.38"');
    expect(message).toContain("environments/prod.tfvars: cache.port: expected a port number (1-65535)");
    expect(message).toContain('environments/prod.tfvars: cache.max_item_sise_mb: unknown key "max_item_sise_mb"; did you mean "max_item_size_mb"?');
  });
});

describe("GIVEN prod with the cache on", () => {
  let s: Settings;
  let configs: RenderedConfig[];
  beforeAll(async () => {
    s = await shipped("prod");
    configs = renderConfigs(s);
  });

  it("WHEN rendered THEN Mimir's results, index, chunks and metadata caches point at the cache tasks with the item limit", () => {
    const mimir = yamlOf(configs, "mimir");
    const client = { addresses: "dns+memcached.lgtm.local:11211", max_item_size: 5 * 2 ** 20 - 1024 };
    expect(mimir.frontend.cache_results).toBe(true);
    expect(mimir.frontend.results_cache).toEqual({ backend: "memcached", memcached: client });
    for (const cache of ["index_cache", "chunks_cache"]) {
      expect(mimir.blocks_storage.bucket_store[cache]).toEqual({ backend: "memcached", memcached: client });
    }
    // The metadata cache keeps the bucket index and the tenant list 1 minute, not 15: a block a
    // stopping ingester uploads is then served within minutes (docs/system-tests.md).
    expect(mimir.blocks_storage.bucket_store.metadata_cache).toEqual({ backend: "memcached", memcached: client, bucket_index_content_ttl: "1m", tenants_list_ttl: "1m" });
  });

  it("WHEN rendered THEN Loki's results and chunks caches point at the cache tasks", () => {
    const loki = yamlOf(configs, "loki");
    const client = { addresses: "dns+memcached.lgtm.local:11211", max_item_size: 5 * 2 ** 20 - 1024 };
    expect(loki.query_range).toEqual({ cache_results: true, results_cache: { cache: { memcached_client: client } } });
    expect(loki.chunk_store_config).toEqual({ chunk_cache_config: { memcached_client: client } });
  });

  it.skipIf(skipWithoutUpstream("cache key check"))("WHEN checked THEN every key exists in the pinned Mimir and Loki references and every check passes", () => {
    expect(checkRenderedConfigs(s, configs).errors).toEqual([]);
  });

  it("WHEN a rendered cache address has another port, host or no dns+ THEN the synth-time check names the setting", () => {
    const errors = (broken: RenderedConfig[]) => checkRenderedConfigs(s, broken).errors;
    expect(errors(replaced(configs, "loki", "memcached.lgtm.local:11211", "memcached.lgtm.local:11212"))).toContain(
      'cache.port: loki/loki.yaml: chunk_store_config.chunk_cache_config.memcached_client.addresses "dns+memcached.lgtm.local:11212" uses port 11212, but memcached listens on 11211 (and the security groups open only that)',
    );
    expect(errors(replaced(configs, "mimir", "dns+memcached.lgtm.local", "dns+cache.lgtm.local")).join("\n")).toContain(
      'service_discovery.namespace: mimir/mimir.yaml: frontend.results_cache.memcached.addresses "dns+cache.lgtm.local:11211" calls cache.lgtm.local, but the cache tasks register as memcached.lgtm.local',
    );
    expect(errors(replaced(configs, "mimir", "dns+memcached", "memcached")).join("\n")).toContain('must start with "dns+"');
    expect(errors(replaced(configs, "mimir", `max_item_size: ${5 * 2 ** 20 - 1024}`, `max_item_size: ${5 * 2 ** 20}`)).join("\n")).toContain(
      "cache.max_item_size_mb: mimir/mimir.yaml: frontend.results_cache.memcached.max_item_size is 5242880, but memcached runs with --max-item-size=5m",
    );
  });

  it("WHEN the cache is off but a config still names it THEN the check says so", async () => {
    const off = await settingsWith({ cache: { enabled: false } });
    const offConfigs = renderConfigs(off);
    expect(offConfigs.map((c) => c.content).join("\n")).not.toContain("memcached");
    expect(checkRenderedConfigs(off, configs).errors.join("\n")).toContain(
      'cache.enabled: mimir/mimir.yaml: frontend.results_cache.memcached.addresses is "dns+memcached.lgtm.local:11211", but the cache is off',
    );
  });

  it.skipIf(MUTATION_RUN)("WHEN 20-security is synthesized THEN the cache group admits Mimir and Loki on cache.port and nothing else", () => {
    const stack = synthLayer(s, "20-security");
    const groups = resourcesOf(stack, "aws_security_group");
    expect(groups.cache_sg.name).toBe("lgtm-prod-cache-tasks");
    const cacheSg = "${aws_security_group.cache_sg.id}";
    const ingress = Object.values(resourcesOf(stack, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === cacheSg);
    expect(ingress.map((r) => [r.referenced_security_group_id, r.from_port, r.to_port, r.ip_protocol, r.cidr_ipv4]).sort()).toEqual(
      [
        ["${aws_security_group.loki_sg.id}", 11211, 11211, "tcp", undefined],
        ["${aws_security_group.mimir_sg.id}", 11211, 11211, "tcp", undefined],
      ].sort(),
    );
    // The consumers get the matching egress; no other service does.
    const egressToCache = Object.values(resourcesOf(stack, "aws_vpc_security_group_egress_rule")).filter((r) => r.referenced_security_group_id === cacheSg);
    expect(egressToCache.map((r) => r.security_group_id).sort()).toEqual(["${aws_security_group.loki_sg.id}", "${aws_security_group.mimir_sg.id}"]);
    // Its own egress: HTTPS only.
    const egress = Object.values(resourcesOf(stack, "aws_vpc_security_group_egress_rule")).filter((r) => r.security_group_id === cacheSg);
    expect(egress.map((r) => [r.cidr_ipv4, r.from_port])).toEqual([["0.0.0.0/0", 443]]);
    expect(stack.output!.cache_security_group_id.value).toBe(cacheSg);
  });

  it.skipIf(MUTATION_RUN)("WHEN 60-ecs is synthesized THEN memcached runs with the derived flags, in Cloud Map as memcached, with no task role and the cache group", () => {
    const stack = synthLayer(s, "60-ecs");
    const td = Object.values(resourcesOf(stack, "aws_ecs_task_definition")).find((t) => t.family === "lgtm-prod-memcached")!;
    expect(td).toBeDefined();
    expect({ cpu: td.cpu, memory: td.memory, arch: td.runtime_platform.cpu_architecture, role: td.task_role_arn }).toEqual({ cpu: "1024", memory: "6144", arch: "ARM64", role: undefined });
    const [main] = JSON.parse(td.container_definitions);
    // Prod pulls through the account's ECR pull-through cache (image_source = "pull_through").
    expect(main.image).toBe("${data.aws_caller_identity.account.account_id}.dkr.ecr.ap-northeast-2.amazonaws.com/ecr-public/docker/library/memcached:1.6.38");
    expect(main.command).toEqual(resolveCache(s).args);
    expect(main.portMappings).toEqual([{ containerPort: 11211, hostPort: 11211, protocol: "tcp" }]);
    const discovery = Object.values(resourcesOf(stack, "aws_service_discovery_service")).find((d) => d.name === "memcached")!;
    expect(discovery.dns_config.dns_records).toEqual([{ type: "A", ttl: 10 }]);
    const service = Object.values(resourcesOf(stack, "aws_ecs_service")).find((d) => d.name === "memcached")!;
    expect(service.desired_count).toBe(3);
    expect(service.network_configuration.security_groups).toEqual(["${data.terraform_remote_state.security.outputs.cache_security_group_id}"]);
    expect(service.load_balancer).toBeUndefined();
    expect(stack.output!.cache_address.value).toBe("dns+memcached.lgtm.local:11211");
  });

  it("WHEN costed THEN the cache tasks are Fargate ARM64 lines that add up from the price file", () => {
    const prices = loadPrices("ap-northeast-2");
    const e = estimateCost(s, prices);
    const lines = e.lines.filter((l) => l.item === "memcached");
    const hours = prices.hours_per_month;
    const fargate = 3 * 1 * hours * prices.prices.fargate_vcpu_hour_arm64.usd + 3 * 6 * hours * prices.prices.fargate_gb_hour_arm64.usd;
    const fargateLines = lines.filter((l) => l.priceKey.startsWith("fargate_"));
    expect(fargateLines.map((l) => l.priceKey)).toEqual(["fargate_vcpu_hour_arm64", "fargate_gb_hour_arm64"]);
    expect(fargateLines.reduce((sum, l) => sum + l.monthly, 0)).toBeCloseTo(fargate, 6);
    expect(e.byItem.memcached).toBeCloseTo(lines.reduce((sum, l) => sum + l.monthly, 0), 6);
  });
});

// ---------------------------------------------------------------- the real memcached

const MEMCACHED_BIN = findTool(MEMCACHED);
const skipWithoutMemcached = (): boolean => MUTATION_RUN || skipWithoutTool(MEMCACHED, "the memcached tier", "The cache task's flags were NOT run.");

/** Sends one memcached text-protocol request and resolves with the reply once it ends with `until`. */
function request(port: number, payload: Buffer, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = Buffer.alloc(0);
    socket.on("data", (d) => {
      reply = Buffer.concat([reply, d]);
      if (until.test(reply.subarray(Math.max(0, reply.length - 64)).toString("latin1"))) {
        socket.end();
        resolve(reply.toString("latin1"));
      }
    });
    socket.on("error", reject);
    socket.write(payload);
  });
}

describe.skipIf(skipWithoutMemcached())("GIVEN Debian's memcached started with the task definition's flags", () => {
  let proc: ChildProcess;
  let port: number;
  let s: Settings;
  beforeAll(async () => {
    s = await shipped("prod");
    port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(p));
      });
    });
    // The exact command of the task definition, with the port moved and the listener on loopback
    // (and -u when the test runs as root, which memcached refuses otherwise).
    const args = resolveCache(s).args.map((a) => (a.startsWith("--port=") ? `--port=${port}` : a));
    const root = process.getuid?.() === 0 ? ["-u", "nobody"] : [];
    proc = spawn(MEMCACHED_BIN!, [...args, "--listen=127.0.0.1", ...root], { stdio: ["ignore", "ignore", "pipe"] });
    for (let i = 0; i < 50; i++) {
      try {
        await request(port, Buffer.from("version\r\n"), /\r\n$/);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error("memcached did not start");
  });
  afterAll(() => {
    proc?.kill("SIGTERM");
  });

  it("WHEN asked for its settings THEN it runs with the memory, item size and connection limits of the task definition", async () => {
    const c = resolveCache(s);
    const stats = await request(port, Buffer.from("stats settings\r\n"), /END\r\n$/);
    expect(stats).toContain(`STAT maxbytes ${c.memoryLimitMiB * 2 ** 20}\r\n`);
    expect(stats).toContain(`STAT item_size_max ${c.maxItemMiB * 2 ** 20}\r\n`);
    expect(stats).toContain(`STAT maxconns ${c.connectionLimit}\r\n`);
    expect(stats).toContain(`STAT num_threads ${c.threads}\r\n`);
  });

  it("WHEN the largest value the Mimir and Loki configs allow is set under the longest key THEN it is stored and read back whole", async () => {
    const max = resolveCache(s).maxItemBytes;
    const key = "k".repeat(250);
    const value = Buffer.alloc(max, 0x61);
    const stored = await request(port, Buffer.concat([Buffer.from(`set ${key} 0 0 ${max}\r\n`), value, Buffer.from("\r\n")]), /\r\n$/);
    expect(stored).toBe("STORED\r\n");
    const got = await request(port, Buffer.from(`get ${key}\r\n`), /END\r\n$/);
    expect(got.startsWith(`VALUE ${key} 0 ${max}\r\n`)).toBe(true);
    expect(got.length).toBe(`VALUE ${key} 0 ${max}\r\n`.length + max + "\r\nEND\r\n".length);
  });

  it("WHEN a value as large as memcached's own limit is set THEN it is refused, which is why the clients' limit is lower", async () => {
    const limit = resolveCache(s).maxItemMiB * 2 ** 20;
    const reply = await request(port, Buffer.concat([Buffer.from(`set big 0 0 ${limit}\r\n`), Buffer.alloc(limit, 0x62), Buffer.from("\r\n")]), /\r\n$/);
    expect(reply).toMatch(/^SERVER_ERROR object too large for cache/);
  });
});
