/**
 * Synthesizes one layer stack of an environment in memory (cdktf Testing) and returns its
 * Terraform JSON, with helpers to find resources by type.
 */
import { testingApp } from "./testing-app";
import { Testing } from "cdktf";
import type { Settings } from "../../settings";
import { buildEnvironment } from "../../stacks";
import type { LayerId } from "../../stacks/contract";

export interface StackJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; description?: string }>;
  terraform?: Record<string, unknown>;
  provider?: Record<string, unknown[]>;
  locals?: Record<string, unknown>;
}

/**
 * One environment's stacks, built once per distinct settings and synthesized once per layer, for
 * the test files of a worker (vitest runs them in one module graph, vitest.config.mts). Many files
 * synthesize the shipped settings' layers again and again (0.3-0.4 s each, warm); synthesis is
 * deterministic (test/stability.test.ts), so equal settings give equal JSON. Every call returns a
 * fresh parse: a test that edits its copy cannot change another's.
 */
const built = new Map<string, { stacks: ReturnType<typeof buildEnvironment>; json: Map<LayerId, string> }>();
const BUILT_MAX = 8;

export function synthLayer(settings: Settings, layer: LayerId): StackJson {
  const key = JSON.stringify(settings);
  let entry = built.get(key);
  if (!entry) {
    entry = { stacks: buildEnvironment(testingApp(), settings), json: new Map() };
    if (built.size >= BUILT_MAX) built.delete(built.keys().next().value!);
    built.set(key, entry);
  } else {
    // Most recently used last.
    built.delete(key);
    built.set(key, entry);
  }
  let text = entry.json.get(layer);
  if (text === undefined) {
    text = Testing.synth(entry.stacks[layer], true);
    entry.json.set(layer, text);
  }
  return JSON.parse(text) as StackJson;
}

/** All resources of a type, by logical name. */
export function resourcesOf(stack: StackJson, type: string): Record<string, Record<string, any>> {
  return (stack.resource?.[type] ?? {}) as Record<string, Record<string, any>>;
}

/**
 * How many resources (and data sources, as `data.<type>`) of each type a stack holds: the plan's
 * shape in a few lines. A test comparing it with a literal makes every added or lost resource a
 * reviewed one-line change, where a whole-stack snapshot would be rewritten wholesale.
 */
export function inventoryOf(stack: StackJson): Record<string, number> {
  const inventory: Record<string, number> = {};
  for (const [type, byName] of Object.entries(stack.resource ?? {})) inventory[type] = Object.keys(byName).length;
  for (const [type, byName] of Object.entries(stack.data ?? {})) inventory[`data.${type}`] = Object.keys(byName).length;
  return inventory;
}

/** The single resource of a type whose logical name contains `nameContains`. */
export function resourceOf(stack: StackJson, type: string, nameContains = ""): Record<string, any> {
  const matches = Object.entries(resourcesOf(stack, type)).filter(([k]) => k.includes(nameContains));
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} matching "${nameContains}", found ${matches.map(([k]) => k).join(", ") || "none"}`);
  }
  return matches[0][1];
}

/**
 * The shipped environments (default: all) synthesized into `outdir`, as `npm run synth` writes them:
 * copied from the run's shared synth (test/support/global-setup.ts) when there is one, else
 * synthesized here.
 */
export async function synthToDisk(outdir: string, envs?: readonly string[]): Promise<string[]> {
  const fs = await import("node:fs");
  const path = await import("node:path");
  const shared = process.env.LGTM_TEST_SHARED_SYNTH;
  if (shared && fs.existsSync(path.join(shared, "manifest.json"))) {
    const manifest = JSON.parse(fs.readFileSync(path.join(shared, "manifest.json"), "utf8")) as { stacks: Record<string, unknown> };
    const keep = (stack: string) => !envs || envs.length === 0 || envs.some((e) => stack.startsWith(`${e}-`));
    for (const stack of Object.keys(manifest.stacks).filter(keep)) {
      fs.cpSync(path.join(shared, "stacks", stack), path.join(outdir, "stacks", stack), { recursive: true });
    }
    manifest.stacks = Object.fromEntries(Object.entries(manifest.stacks).filter(([k]) => keep(k)));
    fs.writeFileSync(path.join(outdir, "manifest.json"), JSON.stringify(manifest, null, 2));
    return stackDirs(outdir);
  }
  const { App } = await import("cdktf");
  const { buildApp, loadEnvironments } = await import("../../commands/synth");
  buildApp(new App({ outdir }), await loadEnvironments(envs)).synth();
  return stackDirs(outdir);
}

/** The stack folders of a synth output, sorted. */
export function stackDirs(outdir: string): string[] {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const root = path.join(outdir, "stacks");
  return fs.readdirSync(root).sort().map((d: string) => path.join(root, d));
}
